/**
 * Maps validated Lighter wire objects to the port's unified types (`VenueOrder`,
 * `VenueFill`, `VenuePosition`, `MarketInfo`) — pure functions, tables instead of branches.
 *
 * Invariants:
 * - Markets are known by index through a `MarketSpec` (symbol + decimals from
 *   orderBookDetails); prices and sizes are checked to be on that market's grid and inside
 *   the wire ranges (a size of 10^40 is an error, not a number).
 * - Fills are ours only when the account on their side is ours; side = bid (buy) / ask
 *   (sell); maker iff (is_maker_ask and we are ask) or (not is_maker_ask and we are bid).
 *   A self-trade yields both sides, with ids suffixed ':bid' / ':ask'.
 * - Positions are signed: size = sign × position.
 * - Mapping failures throw `MapError`; ./parse.ts turns them into parse results.
 */
import type { CancelReason, MarketInfo, OrderStatus, TimeInForce, VenueFill, VenueOrder, VenuePosition } from '../types.ts';
import { Dec, fmt } from '../../src/domain/decimal.ts';
import { CodecError, toWireInt, unitOf } from './codec.ts';
import { MAX_ORDER_EXPIRY_PERIOD_MS, MAX_WIRE_BASE_AMOUNT, MAX_WIRE_PRICE, MARGIN_FRACTION_TICK } from './constants.ts';
import type { ParsedWireOrder, ParsedWireTrade, WireOrderBookDetail, WirePosition } from './types.ts';

export interface MarketSpec {
  marketIndex: number;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number;
}

export interface ParseContext {
  /** Markets we know, by index; objects in other markets are skipped, not errors. */
  markets: ReadonlyMap<number, MarketSpec>;
  /** Our account index (fills are matched by it). */
  accountIndex: number;
  /** Fallback time (epoch ms) when a payload carries none. */
  now?: () => number;
}

export function marketMap(specs: readonly MarketSpec[]): ReadonlyMap<number, MarketSpec> {
  return new Map(specs.map((s) => [s.marketIndex, s]));
}

export class MapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MapError';
  }
}

/** An order as Lighter reports it: the port's view plus the venue-only facts. */
export interface LighterOrderView {
  order: VenueOrder;
  marketIndex: number;
  /** Server order index, exact digits (informational; never leaves the adapter). */
  orderIndex: string;
  accountIndex: number;
  /** Lighter's status string, e.g. "canceled-post-only". */
  venueStatus: string;
  /** Remaining base size. */
  remainingSize: string;
}

/** Lighter order status → port status and cancel reason. */
export const ORDER_STATUS_TABLE: Readonly<Record<string, { status: OrderStatus; cancelReason?: CancelReason }>> = {
  'in-progress': { status: 'open' },
  pending: { status: 'open' },
  open: { status: 'open' },
  filled: { status: 'filled' },
  canceled: { status: 'canceled', cancelReason: 'by-user' },
  'canceled-post-only': { status: 'canceled', cancelReason: 'post-only' },
  'canceled-reduce-only': { status: 'canceled', cancelReason: 'reduce-only' },
  'canceled-position-not-allowed': { status: 'canceled', cancelReason: 'other' },
  'canceled-margin-not-allowed': { status: 'canceled', cancelReason: 'margin' },
  'canceled-too-much-slippage': { status: 'canceled', cancelReason: 'ioc-unfilled' },
  'canceled-not-enough-liquidity': { status: 'canceled', cancelReason: 'ioc-unfilled' },
  'canceled-self-trade': { status: 'canceled', cancelReason: 'self-trade' },
  'canceled-expired': { status: 'canceled', cancelReason: 'expired' },
  'canceled-oco': { status: 'canceled', cancelReason: 'other' },
  'canceled-child': { status: 'canceled', cancelReason: 'other' },
  'canceled-liquidation': { status: 'canceled', cancelReason: 'other' },
  'canceled-invalid-balance': { status: 'canceled', cancelReason: 'margin' },
};

/** Lighter time-in-force strings → port TIF ("Unknown" falls back by order type). */
export const TIME_IN_FORCE_TABLE: Readonly<Record<string, TimeInForce>> = {
  'good-till-time': 'gtc',
  'post-only': 'post-only',
  'immediate-or-cancel': 'ioc',
};

/** Lighter order types the port represents; others (stop-loss, twap, …) are skipped. */
export const ORDER_TYPE_TABLE: Readonly<Record<string, 'limit' | 'market'>> = { limit: 'limit', market: 'market' };

function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Checks a decimal string is on the market grid and within the wire range. */
function onGrid(value: string, decimals: number, what: string, max: number): string {
  try {
    const wire = toWireInt(value, decimals, what);
    if (wire > BigInt(max)) throw new MapError(`${what} ${value} exceeds the wire maximum ${max} units of ${unitOf(decimals)}`);
  } catch (err) {
    if (err instanceof CodecError) throw new MapError(err.message);
    throw err;
  }
  return value;
}
const price = (v: string, m: MarketSpec, what = 'price') => onGrid(v, m.priceDecimals, what, MAX_WIRE_PRICE);
const size = (v: string, m: MarketSpec, what = 'size') => onGrid(v, m.sizeDecimals, what, MAX_WIRE_BASE_AMOUNT);

/** A book level `{price, size}` checked against the market grid (size "0" = remove). */
export function checkBookLevel(l: { price: string; size: string }, m: MarketSpec): { price: string; size: string } {
  return { price: price(l.price, m), size: size(l.size, m) };
}

/** Normalises a timestamp of unknown unit (s, ms, µs, ns — notes §9.8) to epoch ms. */
export function toEpochMs(t: number | undefined): number | undefined {
  if (t === undefined || !Number.isFinite(t) || t <= 0) return undefined;
  if (t < 1e11) return t * 1000; // seconds
  if (t < 1e14) return t; // milliseconds
  if (t < 1e17) return Math.floor(t / 1e3); // microseconds
  return Math.floor(t / 1e6); // nanoseconds
}

/** Lighter Order → port order (null when the market is unknown or the type unsupported). */
export function mapOrder(o: ParsedWireOrder, ctx: ParseContext): LighterOrderView | null {
  const m = ctx.markets.get(o.market_index);
  const type = lookup(ORDER_TYPE_TABLE, o.type);
  if (!m || !type) return null;
  const st = lookup(ORDER_STATUS_TABLE, o.status);
  if (!st) throw new MapError(`order ${o.order_index}: unknown status ${JSON.stringify(o.status)}`);
  const tif = lookup(TIME_IN_FORCE_TABLE, o.time_in_force) ?? (type === 'market' ? 'ioc' : 'gtc');
  const createdAt = toEpochMs(o.created_at) ?? toEpochMs(o.timestamp) ?? toEpochMs(o.transaction_time) ?? ctx.now?.() ?? 0;
  const updatedAt = toEpochMs(o.updated_at) ?? toEpochMs(o.transaction_time) ?? createdAt;
  const order: VenueOrder = {
    market: m.symbol,
    clientIndex: o.client_order_index,
    side: o.is_ask ? 'sell' : 'buy',
    type,
    price: price(o.price, m),
    size: size(o.initial_base_amount, m, 'initial_base_amount'),
    filledSize: size(o.filled_base_amount, m, 'filled_base_amount'),
    status: st.status,
    reduceOnly: o.reduce_only,
    timeInForce: tif,
    createdAt,
    updatedAt,
  };
  if (st.cancelReason) order.cancelReason = st.cancelReason;
  if (o.order_expiry > 0) order.expiresAt = o.order_expiry;
  return {
    order,
    marketIndex: o.market_index,
    orderIndex: o.order_index,
    accountIndex: o.owner_account_index,
    venueStatus: o.status,
    remainingSize: size(o.remaining_base_amount, m, 'remaining_base_amount'),
  };
}

/** Lighter Trade → our fills (0, 1, or 2 for a self-trade). */
export function mapTrade(t: ParsedWireTrade, ctx: ParseContext): VenueFill[] {
  const m = ctx.markets.get(t.market_id);
  if (!m) return [];
  const sides = [
    { ours: t.bid_account_id === ctx.accountIndex, side: 'buy' as const, client: t.bid_client_id ?? 0, maker: !t.is_maker_ask, tag: 'bid' },
    { ours: t.ask_account_id === ctx.accountIndex, side: 'sell' as const, client: t.ask_client_id ?? 0, maker: t.is_maker_ask, tag: 'ask' },
  ].filter((s) => s.ours);
  if (sides.length === 0) return [];
  const p = price(t.price, m);
  const s = size(t.size, m);
  const baseId = t.trade_id_str && /^\d+$/.test(t.trade_id_str) ? t.trade_id_str : t.trade_id;
  return sides.map((x) => {
    const rate = (x.maker ? t.maker_fee : t.taker_fee) ?? 0;
    return {
      market: m.symbol,
      tradeId: sides.length === 2 ? `${baseId}:${x.tag}` : baseId,
      clientIndex: x.client,
      side: x.side,
      price: p,
      size: s,
      fee: fmt(new Dec(t.usd_amount).times(rate).div(1_000_000)),
      liquidity: x.maker ? 'maker' : 'taker',
      time: toEpochMs(t.timestamp) ?? ctx.now?.() ?? 0,
    };
  });
}

/** Lighter AccountPosition → signed port position (null for unknown markets). */
export function mapPosition(p: WirePosition, ctx: ParseContext): VenuePosition | null {
  const m = ctx.markets.get(p.market_id);
  if (!m) return null;
  const magnitude = new Dec(size(p.position, m, 'position'));
  const signed = p.sign === -1 ? magnitude.neg() : p.sign === 0 ? new Dec(0) : magnitude;
  const imfPercent = new Dec(p.initial_margin_fraction);
  const pos: VenuePosition = {
    market: m.symbol,
    size: fmt(signed),
    avgEntryPrice: signed.isZero() ? '0' : fmt(new Dec(p.avg_entry_price)),
    realizedPnl: fmt(new Dec(p.realized_pnl)),
  };
  if (p.position_value !== undefined) pos.exposure = fmt(new Dec(p.position_value));
  if (p.margin_mode === 1 && p.allocated_margin !== undefined) pos.reservedMargin = fmt(new Dec(p.allocated_margin));
  if (imfPercent.gt(0)) pos.leverage = new Dec(100).div(imfPercent).toDecimalPlaces(0, Dec.ROUND_HALF_UP).toNumber();
  return pos;
}

/** orderBookDetails entry → the market spec used for scaling. */
export function toMarketSpec(d: WireOrderBookDetail): MarketSpec {
  return { marketIndex: d.market_id, symbol: d.symbol, priceDecimals: d.price_decimals, sizeDecimals: d.size_decimals };
}

/** orderBookDetails entry → port MarketInfo (fees: percent strings → fractions). */
export function toMarketInfo(d: WireOrderBookDetail): MarketInfo {
  return {
    symbol: d.symbol,
    tickSize: unitOf(d.price_decimals),
    sizeStep: unitOf(d.size_decimals),
    minBaseSize: fmt(new Dec(d.min_base_amount)),
    minQuoteNotional: fmt(new Dec(d.min_quote_amount)),
    makerFee: fmt(new Dec(d.maker_fee).div(100)),
    takerFee: fmt(new Dec(d.taker_fee).div(100)),
    maxLeverage: Math.floor(MARGIN_FRACTION_TICK / d.min_initial_margin_fraction),
    maxOrderLifetimeMs: MAX_ORDER_EXPIRY_PERIOD_MS,
  };
}
