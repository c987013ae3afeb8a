/**
 * Market presets for the simulated venue.
 *
 * - `TEST`: the acceptance base fixture (tick 0.01, step 0.001, min 0.001 / 1.00 USD,
 *   max leverage 50, fees 0, book 99.98 / 100.02 with 50.000 at every tick level).
 * - `BTC`, `ETH`: paper-mode markets shaped like Lighter's perps (price/size decimals 1/5
 *   and 2/4), taker fee 0.0002, maker 0.
 *
 * Presets are frozen; `simMarket()` returns an independent copy with overrides applied.
 */
import type { MarketInfo } from '../types.ts';

export const MAX_ORDER_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

/** Background (synthetic) liquidity of a market. */
export interface SimBookConfig {
  bid: string;
  ask: string;
  /** Base size at every background tick level, e.g. "50.000". */
  depth: string;
  /** Tick levels of background liquidity on each side (default 20). */
  levels?: number;
}

export interface SimMarketConfig {
  info: MarketInfo;
  book: SimBookConfig;
  /** Leverage in force before any setLeverage (default min(10, maxLeverage)). */
  defaultLeverage?: number;
}

function freeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (v && typeof v === 'object') freeze(v);
  return Object.freeze(o);
}

export const TEST: Readonly<SimMarketConfig> = freeze({
  info: {
    symbol: 'TEST',
    tickSize: '0.01',
    sizeStep: '0.001',
    minBaseSize: '0.001',
    minQuoteNotional: '1.00',
    makerFee: '0',
    takerFee: '0',
    maxLeverage: 50,
    maxOrderLifetimeMs: MAX_ORDER_LIFETIME_MS,
  },
  book: { bid: '99.98', ask: '100.02', depth: '50.000', levels: 20 },
});

export const BTC: Readonly<SimMarketConfig> = freeze({
  info: {
    symbol: 'BTC',
    tickSize: '0.1',
    sizeStep: '0.00001',
    minBaseSize: '0.0001',
    minQuoteNotional: '10',
    makerFee: '0',
    takerFee: '0.0002',
    maxLeverage: 50,
    maxOrderLifetimeMs: MAX_ORDER_LIFETIME_MS,
  },
  book: { bid: '59999.9', ask: '60000.1', depth: '2.00000', levels: 20 },
});

export const ETH: Readonly<SimMarketConfig> = freeze({
  info: {
    symbol: 'ETH',
    tickSize: '0.01',
    sizeStep: '0.0001',
    minBaseSize: '0.001',
    minQuoteNotional: '10',
    makerFee: '0',
    takerFee: '0.0002',
    maxLeverage: 50,
    maxOrderLifetimeMs: MAX_ORDER_LIFETIME_MS,
  },
  book: { bid: '2999.99', ask: '3000.01', depth: '20.0000', levels: 20 },
});

export const SIM_MARKETS: Readonly<Record<'TEST' | 'BTC' | 'ETH', Readonly<SimMarketConfig>>> = { TEST, BTC, ETH };

export interface SimMarketOverrides {
  info?: Partial<MarketInfo>;
  book?: Partial<SimBookConfig>;
  defaultLeverage?: number;
}

/** An independent copy of a preset, optionally with overrides (e.g. fees or the starting book). */
export function simMarket(preset: 'TEST' | 'BTC' | 'ETH' | Readonly<SimMarketConfig>, overrides: SimMarketOverrides = {}): SimMarketConfig {
  const base = typeof preset === 'string' ? SIM_MARKETS[preset] : preset;
  if (!base) throw new Error(`unknown sim market preset "${String(preset)}"; allowed: ${Object.keys(SIM_MARKETS).join(', ')}`);
  const out: SimMarketConfig = {
    info: { ...base.info, ...overrides.info },
    book: { ...base.book, ...overrides.book },
  };
  const lev = overrides.defaultLeverage ?? base.defaultLeverage;
  if (lev !== undefined) out.defaultLeverage = lev;
  return out;
}
