/**
 * Zod schemas of the bot configuration (grid-strategy.md §3): the file shape
 * `{ venue, market, store, instance_slot, strategy }` and the `dynamic-grid` strategy keys
 * with their defaults and ranges.
 *
 * Invariants:
 * - Prices, sizes and percentages come out as canonical decimal strings; counts, leverage
 *   and indexes as integers; durations (`wait_time` seconds, `position_timeout_minutes`)
 *   as numbers, decimals allowed.
 * - `strategy.kind` selects the variant schema from a registry (`registerStrategySchema`);
 *   'dynamic-grid' is registered here and is the default kind.
 * - Sizing: at least one of `order_notional_usd` / `quantity`; when both are given the
 *   notional wins and `quantity` is dropped from the result (the loader warns).
 * - No secret is ever part of a config: secrets come from the environment (load.ts).
 */
import { z } from 'zod';
import {
  boolField,
  decimalField,
  durationField,
  enumField,
  intField,
  mapping,
  parseInto,
  textField,
} from './fields.ts';
import { describeValue, isPlainObject } from './values.ts';

export const DIRECTIONS = ['buy', 'sell'] as const;
export const TAKE_PROFIT_BASES = ['margin', 'price'] as const;
export const RECOVERY_MODES = ['aggressive', 'ladder', 'hedge', 'none'] as const;
export const VENUE_KINDS = ['sim', 'lighter'] as const;
export const DEFAULT_STRATEGY_KIND = 'dynamic-grid';

const POSITIVE = { gt: '0', text: '> 0' } as const;

/** The `dynamic-grid` keys exactly as §3 lists them (raw → resolved with defaults). */
const dynamicGridShape = {
  kind: enumField(['dynamic-grid'], { default: 'dynamic-grid' }),
  direction: enumField(DIRECTIONS, { required: true }),
  order_notional_usd: decimalField(POSITIVE),
  quantity: decimalField(POSITIVE),
  take_profit: decimalField({ gt: '0', lte: '100', text: '(0, 100]' }, { default: '0.08' }),
  take_profit_basis: enumField(TAKE_PROFIT_BASES, { default: 'margin' }),
  target_leverage: intField({ gte: '1', text: '≥ 1' }, { required: true }),
  grid_step: decimalField(POSITIVE, { default: '0.002' }),
  max_orders: intField({ gte: '1', lte: '1000', text: '1..1000' }, { default: 25 }),
  wait_time: durationField(POSITIVE, { default: 10 }),
  max_margin_usd: decimalField(POSITIVE, { required: true }),
  stop_loss_enabled: boolField({ default: true }),
  stop_loss_percentage: decimalField({ gte: '0.05', lte: '10', text: '0.05..10' }, { default: '2' }),
  position_timeout_minutes: durationField({ gte: '1', lte: '1440', text: '1..1440' }, { default: 60 }),
  recovery_mode: enumField(RECOVERY_MODES, { default: 'aggressive' }),
  post_only_tick_multiplier: intField({ gte: '1', lte: '20', text: '1..20' }, { default: 2 }),
  boost_mode: boolField({ default: false }),
  market_slippage_percent: decimalField({ gte: '0.05', lte: '10', text: '0.05..10' }, { default: '2' }),
  stop_price: decimalField(POSITIVE),
  pause_price: decimalField(POSITIVE),
};

/** Keys a dynamic-grid strategy accepts (for hints and docs). */
export const DYNAMIC_GRID_KEYS: readonly string[] = Object.keys(dynamicGridShape);

type DynamicGridParsed = { [K in keyof typeof dynamicGridShape]: z.output<(typeof dynamicGridShape)[K]> };

/** A resolved dynamic-grid strategy: every key present with its default, except the optional ones. */
export type DynamicGridConfig = Omit<DynamicGridParsed, 'order_notional_usd' | 'quantity' | 'stop_price' | 'pause_price'> & {
  /** USD notional per entry; when set, `quantity` is absent. */
  order_notional_usd?: string;
  /** Base size per entry; only when no notional is given. */
  quantity?: string;
  stop_price?: string;
  pause_price?: string;
};

export const dynamicGridSchema: z.ZodType<DynamicGridConfig, unknown> = mapping(dynamicGridShape, 'a mapping of strategy keys').transform(
  (s, ctx): DynamicGridConfig => {
    if (s.order_notional_usd === undefined && s.quantity === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'neither order_notional_usd nor quantity is given; one of them is required (order_notional_usd wins when both are given)',
      });
      return z.NEVER as never;
    }
    const out: DynamicGridConfig = { ...s };
    for (const k of ['order_notional_usd', 'quantity', 'stop_price', 'pause_price'] as const) {
      if (out[k] === undefined) delete out[k];
    }
    if (out.order_notional_usd !== undefined) delete out.quantity;
    return out;
  },
);

/**
 * Strategy variants by `kind`. A variant module augments this interface:
 * `declare module '../config/schema.ts' { interface StrategyConfigs { 'range-grid': RangeGridConfig } }`
 * and calls `registerStrategySchema('range-grid', schema)`.
 */
export interface StrategyConfigs {
  'dynamic-grid': DynamicGridConfig;
}
export type StrategyConfig = StrategyConfigs[keyof StrategyConfigs];

const strategyRegistry = new Map<string, z.ZodType<unknown, unknown>>();

/** Register (or replace) the schema of a strategy variant. Its output must carry `kind`. */
export function registerStrategySchema(kind: string, schema: z.ZodType<unknown, unknown>): void {
  strategyRegistry.set(kind, schema);
}

export function strategyKinds(): string[] {
  return [...strategyRegistry.keys()];
}

registerStrategySchema(DEFAULT_STRATEGY_KIND, dynamicGridSchema);

export const strategySchema: z.ZodType<StrategyConfig, unknown> = z.unknown().transform((v, ctx): StrategyConfig => {
  if (v === undefined) {
    ctx.addIssue({ code: 'custom', message: 'required key is missing; expected a mapping of strategy keys' });
    return z.NEVER as never;
  }
  const kind = isPlainObject(v) && v.kind !== undefined ? v.kind : DEFAULT_STRATEGY_KIND;
  const schema = typeof kind === 'string' ? strategyRegistry.get(kind) : undefined;
  if (!schema) {
    ctx.addIssue({
      code: 'custom',
      path: ['kind'],
      message: `${describeValue(kind)} is not a known strategy kind; allowed ${strategyKinds().join(', ')}`,
    });
    return z.NEVER as never;
  }
  return parseInto(schema, v, ctx) as StrategyConfig;
});

/** Venue connection. `sim` = in-process matching engine; `lighter` = a Lighter REST/WS endpoint. */
export type VenueConfig =
  | { kind: 'sim' }
  | {
      kind: 'lighter';
      rest_url: string;
      /** Derived from rest_url by the adapter when absent. */
      ws_url?: string;
      chain_id: number;
      account_index: number;
      api_key_index: number;
    };

const LIGHTER_ONLY = ['rest_url', 'ws_url', 'chain_id', 'account_index', 'api_key_index'] as const;

const venueShape = {
  kind: enumField(VENUE_KINDS, { default: 'sim' }),
  rest_url: textField('an http(s) URL', { pattern: /^https?:\/\/\S+$/ }),
  ws_url: textField('a ws(s) URL', { pattern: /^wss?:\/\/\S+$/ }),
  chain_id: intField({ gte: '0', lte: '4294967295', text: '0..4294967295' }),
  account_index: intField({ gte: '0', lte: '281474976710655', text: '0..2^48-1' }),
  api_key_index: intField({ gte: '0', lte: '254', text: '0..254' }),
};

const venueMapping = mapping(venueShape, 'a mapping of venue keys');

export const venueSchema: z.ZodType<VenueConfig, unknown> = z
  .unknown()
  .transform((raw, ctx) => parseInto(venueMapping, raw === undefined ? {} : raw, ctx))
  .transform((v, ctx): VenueConfig => {
    if (v.kind === 'sim') {
      let bad = false;
      for (const k of LIGHTER_ONLY) {
        if (v[k] !== undefined) {
          bad = true;
          ctx.addIssue({ code: 'custom', path: [k], message: 'applies to venue.kind lighter only; this venue is kind sim' });
        }
      }
      return bad ? (z.NEVER as never) : { kind: 'sim' };
    }
    let bad = false;
    for (const k of ['rest_url', 'chain_id', 'account_index', 'api_key_index'] as const) {
      if (v[k] === undefined) {
        bad = true;
        ctx.addIssue({ code: 'custom', path: [k], message: 'required key is missing for venue.kind lighter' });
      }
    }
    if (bad) return z.NEVER as never;
    const out: VenueConfig = {
      kind: 'lighter',
      rest_url: v.rest_url!,
      chain_id: v.chain_id!,
      account_index: v.account_index!,
      api_key_index: v.api_key_index!,
    };
    if (v.ws_url !== undefined) out.ws_url = v.ws_url;
    return out;
  });

/** Top-level keys of a bot config file; a file with none of them is a flat strategy file. */
export const TOP_LEVEL_KEYS: readonly string[] = ['venue', 'market', 'store', 'instance_slot', 'strategy'];

const botShape = {
  venue: venueSchema,
  market: textField('a market symbol such as BTC', { pattern: /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, maxLength: 64 }),
  store: textField('a store path or URL'),
  instance_slot: intField({ gte: '1', lte: '255', text: '1..255' }, { default: 1 }),
  strategy: strategySchema,
};

type BotParsed = { [K in keyof typeof botShape]: z.output<(typeof botShape)[K]> };

export type BotConfig = Omit<BotParsed, 'market' | 'store'> & {
  /** Market symbol; absent → paper mode trades the simulator's BTC. */
  market?: string;
  /** Keyv store path or URL; absent → the runtime's default under ./data/. */
  store?: string;
};

export const botConfigSchema: z.ZodType<BotConfig, unknown> = mapping(botShape, 'a mapping of config keys').transform(
  (b): BotConfig => {
    const out: BotConfig = { ...b };
    if (out.market === undefined) delete out.market;
    if (out.store === undefined) delete out.store;
    return out;
  },
);
