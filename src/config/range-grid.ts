/**
 * The `range-grid` strategy schema: keys, defaults and ranges, registered with
 * `registerStrategySchema('range-grid', …)` when this module is imported; plus the mapping to
 * the machine's parameters and the check that needs the market's tick.
 *
 * Invariants:
 * - Prices and sizes come out as canonical decimal strings (from the YAML source text, never
 *   a float); counts as integers. Every problem names the key, the value and what is allowed.
 * - Cross-key rules: lower_price < upper_price; exactly one of order_size / total_notional_usd;
 *   a stop_price lies outside [lower_price, upper_price].
 * - The spacing rule (≥ 2 ticks between levels) needs the market's tick, so it is checked by
 *   `checkRangeGridMarket` once the market is known; it fails with the same ConfigError (exit 2).
 * - `StrategyConfigs` is NOT augmented here: doing so would widen `config.strategy` for every
 *   existing call site; callers narrow with `isRangeGridConfig`.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { levelPrices, spacingProblem } from '../../machines/variants/range-grid/levels.ts';
import type { RangeGridParams } from '../../machines/variants/range-grid/types.ts';
import { ConfigError } from './errors.ts';
import { boolField, decimalField, enumField, intField, mapping } from './fields.ts';
import { registerStrategySchema } from './schema.ts';

export const RANGE_GRID_KIND = 'range-grid';
export const RANGE_DIRECTIONS = ['long', 'short', 'neutral'] as const;
export const SPACINGS = ['arithmetic', 'geometric'] as const;
export const ON_EXIT_RANGE = ['hold', 'halt', 'close'] as const;

const POSITIVE = { gt: '0', text: '> 0' } as const;

const rangeGridShape = {
  kind: enumField([RANGE_GRID_KIND], { default: RANGE_GRID_KIND }),
  lower_price: decimalField(POSITIVE, { required: true }),
  upper_price: decimalField(POSITIVE, { required: true }),
  grid_count: intField({ gte: '2', lte: '500', text: '2..500' }, { required: true }),
  spacing: enumField(SPACINGS, { default: 'arithmetic' }),
  order_size: decimalField(POSITIVE),
  total_notional_usd: decimalField(POSITIVE),
  direction: enumField(RANGE_DIRECTIONS, { required: true }),
  on_exit_range: enumField(ON_EXIT_RANGE, { default: 'hold' }),
  max_resting_orders: intField({ gte: '1', lte: '500', text: '1..500' }, { default: 20 }),
  target_leverage: intField({ gte: '1', text: '≥ 1' }, { required: true }),
  max_margin_usd: decimalField(POSITIVE, { required: true }),
  stop_price: decimalField(POSITIVE),
  stop_loss_enabled: boolField({ default: false }),
  stop_loss_percentage: decimalField({ gte: '0.05', lte: '50', text: '0.05..50' }, { default: '5' }),
  market_slippage_percent: decimalField({ gte: '0.05', lte: '10', text: '0.05..10' }, { default: '2' }),
};

/** Keys a range-grid strategy accepts. */
export const RANGE_GRID_KEYS: readonly string[] = Object.keys(rangeGridShape);

/** Key, default and range of every key, for `grid-bot variants` and the docs. */
export const RANGE_GRID_KEY_TABLE: ReadonlyArray<{ key: string; default: string; range: string }> = [
  { key: 'lower_price', default: 'required', range: '> 0, below upper_price' },
  { key: 'upper_price', default: 'required', range: '> 0, above lower_price' },
  { key: 'grid_count', default: 'required', range: '2..500 (intervals; levels = grid_count + 1; spacing ≥ 2 ticks)' },
  { key: 'spacing', default: 'arithmetic', range: 'arithmetic, geometric' },
  { key: 'order_size', default: '—', range: '> 0 (base size per level; or total_notional_usd)' },
  { key: 'total_notional_usd', default: '—', range: '> 0 (spread over grid_count levels; or order_size)' },
  { key: 'direction', default: 'required', range: 'long, short, neutral' },
  { key: 'on_exit_range', default: 'hold', range: 'hold, halt, close' },
  { key: 'max_resting_orders', default: '20', range: '1..500' },
  { key: 'target_leverage', default: 'required', range: '≥ 1' },
  { key: 'max_margin_usd', default: 'required', range: '> 0' },
  { key: 'stop_price', default: '—', range: '> 0, outside [lower_price, upper_price]' },
  { key: 'stop_loss_enabled', default: 'false', range: 'true, false' },
  { key: 'stop_loss_percentage', default: '5', range: '0.05..50 (% of price from the average entry)' },
  { key: 'market_slippage_percent', default: '2', range: '0.05..10' },
];

type Parsed = { [K in keyof typeof rangeGridShape]: z.output<(typeof rangeGridShape)[K]> };

/** A resolved range-grid strategy: every key with its default, except the optional ones. */
export type RangeGridConfig = Omit<Parsed, 'order_size' | 'total_notional_usd' | 'stop_price'> & {
  order_size?: string;
  total_notional_usd?: string;
  stop_price?: string;
};

export const rangeGridSchema: z.ZodType<RangeGridConfig, unknown> = mapping(rangeGridShape, 'a mapping of strategy keys').transform((s, ctx): RangeGridConfig => {
  let bad = false;
  const issue = (path: string[], message: string) => {
    bad = true;
    ctx.addIssue({ code: 'custom', path, message });
  };
  if (!new Decimal(s.lower_price).lt(s.upper_price)) {
    issue(['upper_price'], `${s.upper_price} is not above lower_price ${s.lower_price}; allowed upper_price > lower_price`);
  }
  if (s.order_size === undefined && s.total_notional_usd === undefined) {
    issue([], 'neither order_size nor total_notional_usd is given; exactly one of them is required');
  } else if (s.order_size !== undefined && s.total_notional_usd !== undefined) {
    issue(['total_notional_usd'], 'is given together with order_size; give exactly one of order_size or total_notional_usd');
  }
  if (s.stop_price !== undefined && new Decimal(s.stop_price).gte(s.lower_price) && new Decimal(s.stop_price).lte(s.upper_price)) {
    issue(['stop_price'], `${s.stop_price} is inside the range ${s.lower_price}..${s.upper_price}; allowed below lower_price or above upper_price`);
  }
  if (bad) return z.NEVER as never;
  const out: RangeGridConfig = { ...s };
  for (const k of ['order_size', 'total_notional_usd', 'stop_price'] as const) if (out[k] === undefined) delete out[k];
  return out;
});

registerStrategySchema(RANGE_GRID_KIND, rangeGridSchema);

export function isRangeGridConfig(s: unknown): s is RangeGridConfig {
  return typeof s === 'object' && s !== null && (s as { kind?: unknown }).kind === RANGE_GRID_KIND;
}

/**
 * The market check of a loaded range grid: levels ≥ 2 ticks apart (geometric: the first gap)
 * and lower_price ≥ one tick. Returns a ConfigError (exit 2) naming the key, or null.
 */
export function checkRangeGridMarket(cfg: RangeGridConfig, tick: string, source = 'config'): ConfigError | null {
  const spec = { lowerPrice: cfg.lower_price, upperPrice: cfg.upper_price, gridCount: cfg.grid_count, spacing: cfg.spacing };
  const p = spacingProblem(spec, tick);
  if (p) return ConfigError.of(source, `strategy.${p.key}`, p.message);
  levelPrices(spec, tick); // computes (and caches) the levels once at start-up
  return null;
}

/** Machine parameters of a resolved range-grid config. */
export function rangeGridParamsFrom(cfg: RangeGridConfig, opts: { reconcileEveryMs?: number } = {}): RangeGridParams {
  return {
    lowerPrice: cfg.lower_price,
    upperPrice: cfg.upper_price,
    gridCount: cfg.grid_count,
    spacing: cfg.spacing,
    ...(cfg.order_size !== undefined ? { orderSize: cfg.order_size } : {}),
    ...(cfg.total_notional_usd !== undefined ? { totalNotionalUsd: cfg.total_notional_usd } : {}),
    direction: cfg.direction,
    onExitRange: cfg.on_exit_range,
    maxRestingOrders: cfg.max_resting_orders,
    maxMarginUsd: cfg.max_margin_usd,
    ...(cfg.stop_price !== undefined ? { stopPrice: cfg.stop_price } : {}),
    stopLossEnabled: cfg.stop_loss_enabled,
    stopLossPct: cfg.stop_loss_percentage,
    slippagePct: cfg.market_slippage_percent,
    reconcileEveryMs: opts.reconcileEveryMs ?? 5 * 60_000,
  };
}
