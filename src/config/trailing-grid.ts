/**
 * The `trailing-grid` strategy schema: keys, defaults and ranges, registered with
 * `registerStrategySchema('trailing-grid', …)` when this module is imported; plus the mapping
 * to the machine's parameters (machines/variants/trailing-grid/types.ts).
 *
 * Invariants:
 * - Prices, sizes and percentages come out as canonical decimal strings (from the YAML source
 *   text, never a float); every problem names the key, the value and what is allowed.
 * - Cross-key rule: repeg_percent is below trail_percent (a re-peg threshold wider than the
 *   trail would let the entry fall further behind than the trail itself).
 * - `StrategyConfigs` is NOT augmented (as for the range grid): it would widen
 *   `config.strategy` for every dynamic-grid call site; callers narrow on `kind`.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { TrailingGridParams } from '../../machines/variants/trailing-grid/types.ts';
import { minutesToMs, EXIT_LIFETIME_MS, EXIT_REFRESH_LEAD_MS, RETRY_SPACING_MS } from '../runtime/params.ts';
import { decimalField, durationField, enumField, intField, mapping } from './fields.ts';
import { registerStrategySchema } from './schema.ts';

export const TRAILING_GRID_KIND = 'trailing-grid';

const trailingGridShape = {
  kind: enumField([TRAILING_GRID_KIND], { default: TRAILING_GRID_KIND }),
  direction: enumField(['buy', 'sell'], { required: true }),
  order_size: decimalField({ gt: '0', text: '> 0' }, { required: true }),
  trail_percent: decimalField({ gte: '0.001', lte: '10', text: '0.001..10' }, { default: '0.05' }),
  repeg_percent: decimalField({ gte: '0.001', lte: '10', text: '0.001..10' }, { default: '0.02' }),
  take_profit_percent: decimalField({ gte: '0.001', lte: '50', text: '0.001..50' }, { default: '0.1' }),
  target_leverage: intField({ gte: '1', lte: '100', text: '1..100' }, { default: 5 }),
  position_timeout_minutes: durationField({ gte: '1', lte: '1440', text: '1..1440' }, { default: 60 }),
  post_only_tick_multiplier: intField({ gte: '1', lte: '20', text: '1..20' }, { default: 2 }),
  market_slippage_percent: decimalField({ gte: '0.05', lte: '10', text: '0.05..10' }, { default: '2' }),
};

/** Key, default and range of every key, for `grid-bot variants` and the guide. */
export const TRAILING_GRID_KEY_TABLE: ReadonlyArray<{ key: string; default: string; range: string }> = [
  { key: 'direction', default: 'required', range: 'buy (entry below the bid, exit sells), sell (mirrored)' },
  { key: 'order_size', default: 'required', range: '> 0 (base size of every entry; a multiple of the size step)' },
  { key: 'trail_percent', default: '0.05', range: '0.001..10 (% of the touch between it and the entry)' },
  { key: 'repeg_percent', default: '0.02', range: '0.001..10, below trail_percent (% the touch may run away before the entry follows)' },
  { key: 'take_profit_percent', default: '0.1', range: '0.001..50 (% of the fill price)' },
  { key: 'target_leverage', default: '5', range: '1..100' },
  { key: 'position_timeout_minutes', default: '60', range: '1..1440 (a stuck exit then closes at market)' },
  { key: 'post_only_tick_multiplier', default: '2', range: '1..20 (repost offset per failed exit, in ticks)' },
  { key: 'market_slippage_percent', default: '2', range: '0.05..10' },
];

export type TrailingGridConfig = { [K in keyof typeof trailingGridShape]: z.output<(typeof trailingGridShape)[K]> };

export const trailingGridSchema: z.ZodType<TrailingGridConfig, unknown> = mapping(trailingGridShape, 'a mapping of strategy keys').transform((s, ctx) => {
  if (!new Decimal(s.repeg_percent).lt(s.trail_percent)) {
    ctx.addIssue({ code: 'custom', path: ['repeg_percent'], message: `${s.repeg_percent} is not below trail_percent ${s.trail_percent}; allowed repeg_percent < trail_percent` });
    return z.NEVER as never;
  }
  return s;
});

registerStrategySchema(TRAILING_GRID_KIND, trailingGridSchema);

/** Machine parameters of a resolved trailing-grid config. */
export function trailingGridParamsFrom(cfg: TrailingGridConfig): TrailingGridParams {
  return {
    direction: cfg.direction,
    orderSize: cfg.order_size,
    trailPct: cfg.trail_percent,
    repegPct: cfg.repeg_percent,
    takeProfitPct: cfg.take_profit_percent,
    multiplier: cfg.post_only_tick_multiplier,
    slippagePct: cfg.market_slippage_percent,
    timeoutMs: minutesToMs(cfg.position_timeout_minutes, 'position_timeout_minutes'),
    exitLifetimeMs: EXIT_LIFETIME_MS,
    exitRefreshLeadMs: EXIT_REFRESH_LEAD_MS,
    retrySpacingMs: RETRY_SPACING_MS,
  };
}
