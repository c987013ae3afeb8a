/**
 * The simulator's market registry: market index ↔ symbol, Lighter decimals, fee rates in
 * wire units, and the `orderBooks` / `orderBookDetails` wire objects.
 *
 * Invariants:
 * - Market index = position in the configured list (TEST = 0 in the base fixture).
 * - Tick and step must be powers of ten (Lighter scales by 10^decimals); anything else is
 *   refused at start-up with a message naming the market and the value.
 * - Fee rates are fractions in the config ("0.0002"); on the wire they are percent strings
 *   in orderBookDetails ("0.0200") and 1e-6 integers in trades (200); a rate that is not a
 *   whole number of 1e-6 is refused.
 */
import { Dec, type DecValue } from '../domain/decimal.ts';
import type { SimMarketConfig } from '../../adapters/sim/index.ts';
import type { MarketRef, SimMarketSummary } from './types.ts';
import { SimApiError } from './types.ts';

export interface SimMarket extends SimMarketSummary {
  config: SimMarketConfig;
  /** Fee rates in 1e-6 units (may be negative for a maker rebate). */
  makerFeeMicro: number;
  takerFeeMicro: number;
  /** 10000 / maxLeverage (1e-4 units). */
  minInitialMarginFraction: number;
}

function powerOfTenDecimals(step: string, what: string): number {
  const trimmed = step.includes('.') ? step.replace(/0+$/, '').replace(/\.$/, '') : step;
  const m = /^(?:0\.(0*)1|1)$/.exec(trimmed);
  if (!m) throw new Error(`${what} "${step}" must be a power of ten (e.g. "0.01"): Lighter scales prices and sizes by 10^decimals`);
  return step.startsWith('0.') ? (m[1] ?? '').length + 1 : 0;
}

function microRate(rate: string, what: string): number {
  const d = new Dec(rate).times(1_000_000);
  if (!d.isInteger()) throw new Error(`${what} "${rate}" is not a whole number of 1e-6 (the wire unit of trade fees)`);
  return d.toNumber();
}

export class SimMarkets {
  readonly list: SimMarket[];
  private readonly bySymbol = new Map<string, SimMarket>();

  constructor(configs: SimMarketConfig[]) {
    if (configs.length === 0) throw new Error('the Lighter simulator needs at least one market');
    this.list = configs.map((config, marketIndex) => {
      const sym = config.info.symbol;
      if (this.bySymbol.has(sym)) throw new Error(`market ${sym} is configured twice`);
      const m: SimMarket = {
        marketIndex,
        symbol: sym,
        priceDecimals: powerOfTenDecimals(config.info.tickSize, `market ${sym} tickSize`),
        sizeDecimals: powerOfTenDecimals(config.info.sizeStep, `market ${sym} sizeStep`),
        config,
        makerFeeMicro: microRate(config.info.makerFee, `market ${sym} makerFee`),
        takerFeeMicro: microRate(config.info.takerFee, `market ${sym} takerFee`),
        minInitialMarginFraction: Math.floor(10_000 / config.info.maxLeverage),
      };
      this.bySymbol.set(sym, m);
      return m;
    });
  }

  /** Resolves a market reference; throws a plain Error (control misuse) naming the known ones. */
  get(ref: MarketRef): SimMarket {
    const m = typeof ref === 'number' ? this.list[ref] : this.bySymbol.get(ref);
    if (!m) throw new Error(`unknown market ${JSON.stringify(ref)}; known: ${this.list.map((x) => `${x.marketIndex}=${x.symbol}`).join(', ')}`);
    return m;
  }

  /** Resolves a wire market index; unknown → API error 21602. */
  byIndex(index: unknown): SimMarket {
    const m = typeof index === 'number' && Number.isInteger(index) ? this.list[index] : undefined;
    if (!m) throw new SimApiError(21602, `invalid market index ${String(index)}`);
    return m;
  }

  /** REST `market_id` filter: undefined/255 = all, else that market (unknown → 20001). */
  select(marketId: string | undefined): SimMarket[] {
    if (marketId === undefined || marketId === '' || marketId === '255') return this.list;
    const n = Number(marketId);
    const m = Number.isInteger(n) ? this.list[n] : undefined;
    if (!m) throw new SimApiError(20001, `invalid param: market_id ${marketId}`);
    return [m];
  }

  summaries(): SimMarketSummary[] {
    return this.list.map(({ marketIndex, symbol, priceDecimals, sizeDecimals }) => ({ marketIndex, symbol, priceDecimals, sizeDecimals }));
  }
}

const pct = (rate: string): string => new Dec(rate).times(100).toFixed(4);

/** `OrderBook` entry of `/api/v1/orderBooks`. */
export function wireOrderBook(m: SimMarket, createdAt: number): Record<string, unknown> {
  const i = m.config.info;
  return {
    symbol: m.symbol,
    market_id: m.marketIndex,
    market_type: 'perp',
    base_asset_id: m.marketIndex + 1,
    quote_asset_id: 3,
    status: 'active',
    taker_fee: pct(i.takerFee),
    maker_fee: pct(i.makerFee),
    liquidation_fee: '1.0000',
    is_taker_fee_enabled: i.takerFee !== '0',
    is_maker_fee_enabled: i.makerFee !== '0',
    min_base_amount: new Dec(i.minBaseSize).toFixed(m.sizeDecimals),
    min_quote_amount: new Dec(i.minQuoteNotional).toFixed(6),
    order_quote_limit: '281474976.710655',
    supported_size_decimals: m.sizeDecimals,
    supported_price_decimals: m.priceDecimals,
    supported_quote_decimals: 6,
    created_at: String(createdAt),
    multiplier: '1',
  };
}

/** `PerpsOrderBookDetail` entry of `/api/v1/orderBookDetails`. */
export function wireOrderBookDetail(m: SimMarket, createdAt: number, stats: { markPrice: string; lastTradePrice: string; openInterest: string }): Record<string, unknown> {
  const maxLev = m.config.info.maxLeverage;
  return {
    ...wireOrderBook(m, createdAt),
    size_decimals: m.sizeDecimals,
    price_decimals: m.priceDecimals,
    quote_multiplier: 1,
    default_initial_margin_fraction: Math.floor(10_000 / Math.min(maxLev, m.config.defaultLeverage ?? 10)),
    min_initial_margin_fraction: m.minInitialMarginFraction,
    maintenance_margin_fraction: Math.max(1, Math.floor(m.minInitialMarginFraction * 0.6)),
    closeout_margin_fraction: Math.max(1, Math.floor(m.minInitialMarginFraction * 0.4)),
    mark_price: stats.markPrice,
    index_price: stats.markPrice,
    // Stats are JSON numbers on the venue (not money we compute with).
    last_trade_price: Number(stats.lastTradePrice),
    daily_trades_count: 0,
    daily_base_token_volume: 0,
    daily_quote_token_volume: 0,
    daily_price_low: Number(stats.markPrice),
    daily_price_high: Number(stats.markPrice),
    daily_price_change: 0,
    open_interest: Number(stats.openInterest),
    daily_chart: {},
    market_config: {
      market_margin_mode: 0,
      insurance_fund_account_index: 281474976710655,
      liquidation_mode: 0,
      force_reduce_only: false,
      trading_hours: '',
    },
    strategy_index: 0,
    market_flags: 0,
    funding_premium_multiplier: 0,
    funding_clamp_small: 0,
    funding_clamp_big: 0,
    base_interest_rate: 0,
  };
}
