/**
 * The range-grid strategy of a chaos run (`--variant range-grid`): a small range around the
 * simulator's BTC start price (bid 59999.9 / ask 60000.1) so that entries fill, exits fill at
 * the neighbouring level and the price crosses levels within seconds on the chaos price path
 * (moves of 4–12 USD every 60–120 ms, storms of ±20–60 USD).
 *
 * Invariants:
 * - Pure and deterministic: depends on (seed, run) and the run plan only, through its own PRNG
 *   (seeded from "chaos-range:seed:run"), so the fault plan of a run (plan.ts) is the same for
 *   both variants and dynamic-grid runs are untouched.
 * - Long / short follow the plan's direction (buy / sell); one run in four is neutral.
 * - Every config it makes passes the range-grid schema (src/config/range-grid.ts): lower <
 *   upper, spacing ≥ 2 ticks (levels are 6–24 USD apart), order_size ≥ the BTC minimums
 *   (0.0002 × 59 880 ≥ 10 USD), a stop price outside the range.
 */
import { Mulberry32, seedToUint32 } from '../../adapters/sim/index.ts';
import type { RunPlan } from './plan.ts';

/** The start mid of the simulator's BTC book (plan-independent). */
export const RANGE_CENTER = 60_000;

export interface RangePlan {
  direction: 'long' | 'short' | 'neutral';
  lowerPrice: string;
  upperPrice: string;
  gridCount: number;
  spacing: 'arithmetic' | 'geometric';
  orderSize: string;
  maxRestingOrders: number;
  onExitRange: 'hold' | 'halt' | 'close';
  stopPrice?: string;
}

export function planRange(plan: Pick<RunPlan, 'seed' | 'run' | 'direction'>): RangePlan {
  const rng = new Mulberry32(seedToUint32(`chaos-range:${plan.seed}:${plan.run}`));
  const u = () => rng.next();
  const int = (lo: number, hi: number) => lo + Math.floor(u() * (hi - lo + 1));
  const neutral = u() < 0.25;
  const direction = neutral ? 'neutral' : plan.direction === 'buy' ? 'long' : 'short';
  const half = int(60, 120);
  const gridCount = int(10, 20);
  const spacing = u() < 0.25 ? 'geometric' : 'arithmetic';
  const orderSize = (['0.0002', '0.0005', '0.001'] as const)[int(0, 2)];
  const maxRestingOrders = int(3, 6);
  const x = u();
  const onExitRange = x < 0.6 ? 'hold' : x < 0.8 ? 'halt' : 'close';
  const lower = RANGE_CENTER - half;
  const upper = RANGE_CENTER + half;
  // A whole-bot stop just beyond the range on the losing side, one run in seven.
  const stopPrice = u() < 1 / 7 ? String(direction === 'short' ? upper + 10 : lower - 10) : undefined;
  return { direction, lowerPrice: String(lower), upperPrice: String(upper), gridCount, spacing, orderSize, maxRestingOrders, onExitRange, ...(stopPrice !== undefined ? { stopPrice } : {}) };
}

/** The YAML `strategy:` flow mapping of a range plan. */
export function rangeStrategyYaml(r: RangePlan): string {
  return (
    `{ kind: range-grid, lower_price: ${r.lowerPrice}, upper_price: ${r.upperPrice}, grid_count: ${r.gridCount}, spacing: ${r.spacing}, order_size: ${r.orderSize}, ` +
    `direction: ${r.direction}, on_exit_range: ${r.onExitRange}, max_resting_orders: ${r.maxRestingOrders}, target_leverage: 10, max_margin_usd: 500, stop_loss_enabled: false` +
    `${r.stopPrice !== undefined ? `, stop_price: ${r.stopPrice}` : ''} }`
  );
}

/** Bound on resting exits: one per level that can hold a leg (long: 0..n−1, short: 1..n, neutral: 0..n). */
export function maxRangeExits(r: Pick<RangePlan, 'direction' | 'gridCount'>): number {
  return r.direction === 'neutral' ? r.gridCount + 1 : r.gridCount;
}
