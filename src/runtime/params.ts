/**
 * gridParamsFrom(): maps a validated dynamic-grid config (snake_case, grid-strategy.md §3)
 * to the machines' `GridParams` (camelCase, decimal strings, integer ms).
 *
 * Invariants:
 * - Decimal keys pass through as the canonical strings the config produced; numeric
 *   durations are converted exactly with decimal arithmetic (`position_timeout_minutes` ×
 *   60 000 → integer ms, rounded half-even only for a sub-millisecond remainder).
 * - `target_leverage` is not a grid parameter: the runtime clamps it to the venue and passes
 *   it to the bot separately (`BotOptions.targetLeverage`).
 *
 * Runtime defaults that the config does not expose (exported so docs and tests name them):
 * - `exitLifetimeMs` = 28 days: resting exits expire after this (Lighter allows at most 30),
 * - `exitRefreshLeadMs` = 1 day: an exit is refreshed this long before it expires,
 * - `retrySpacingMs` = 250 ms: minimum spacing between two exit sends of one position (§4),
 * - `reconcileEveryMs` = 5 min: periodic reconciliation with the venue while trading.
 */
import type { DynamicGridConfig } from '../config/index.ts';
import { Dec, fmt } from '../domain/decimal.ts';
import type { GridParams } from '../../machines/shared/types.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

export const EXIT_LIFETIME_MS = 28 * DAY_MS;
export const EXIT_REFRESH_LEAD_MS = DAY_MS;
export const RETRY_SPACING_MS = 250;
export const RECONCILE_EVERY_MS = 5 * 60_000;

/** A config number (seconds, minutes) as a plain decimal string, without float noise. */
function numberText(n: number, key: string): string {
  if (!Number.isFinite(n)) throw new RangeError(`${key} must be a finite number, got ${n}`);
  return fmt(new Dec(n));
}

/** Minutes → integer milliseconds, computed exactly. */
export function minutesToMs(minutes: number, key = 'minutes'): number {
  const ms = new Dec(numberText(minutes, key)).times(60_000).toDecimalPlaces(0, Dec.ROUND_HALF_EVEN);
  return ms.toNumber();
}

export function gridParamsFrom(strategy: DynamicGridConfig): GridParams {
  const params: GridParams = {
    direction: strategy.direction,
    takeProfitPct: strategy.take_profit,
    basis: strategy.take_profit_basis,
    gridStepPct: strategy.grid_step,
    maxOrders: strategy.max_orders,
    waitTimeSec: numberText(strategy.wait_time, 'wait_time'),
    maxMarginUsd: strategy.max_margin_usd,
    stopLossEnabled: strategy.stop_loss_enabled,
    stopLossPct: strategy.stop_loss_percentage,
    timeoutMs: minutesToMs(strategy.position_timeout_minutes, 'position_timeout_minutes'),
    recoveryMode: strategy.recovery_mode,
    multiplier: strategy.post_only_tick_multiplier,
    boost: strategy.boost_mode,
    slippagePct: strategy.market_slippage_percent,
    exitLifetimeMs: EXIT_LIFETIME_MS,
    exitRefreshLeadMs: EXIT_REFRESH_LEAD_MS,
    retrySpacingMs: RETRY_SPACING_MS,
    reconcileEveryMs: RECONCILE_EVERY_MS,
  };
  if (strategy.order_notional_usd !== undefined) params.notionalUsd = strategy.order_notional_usd;
  else if (strategy.quantity !== undefined) params.quantity = strategy.quantity;
  if (strategy.pause_price !== undefined) params.pausePrice = strategy.pause_price;
  if (strategy.stop_price !== undefined) params.stopPrice = strategy.stop_price;
  return params;
}
