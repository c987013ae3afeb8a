/**
 * Builders of the Lighter wire objects the simulator emits (Order, Trade, AccountPosition,
 * Tx) from the engine's port-shaped snapshots plus the wire-only facts the simulator keeps
 * (order index, client order index, nonce, expiry, tx hash).
 *
 * Invariants:
 * - Prices and sizes are decimal strings padded to the market's decimals; quote amounts
 *   are exact (price decimals + size decimals places); integer twins (`base_price`,
 *   `base_size`) are exact venue units.
 * - Field names and value vocabularies are Lighter's (protocol notes §2.3, §4.6): what these
 *   builders produce is accepted by adapters/lighter/types.ts and parse.ts.
 * - Timestamps: `timestamp`/`created_at`/`updated_at` ms, `transaction_time` µs.
 */
import { Dec, type DecValue } from '../domain/decimal.ts';
import type { CancelReason, VenueFill, VenueOrder, VenuePosition } from '../../adapters/types.ts';
import type { WireOrder, WirePosition, WireTrade } from '../../adapters/lighter/types.ts';
import { fromWireInt } from '../../adapters/lighter/codec.ts';
import type { SimMarket } from './markets.ts';

/** A bot order as the wire knows it (one per order index; survives modify). */
export interface LogicalOrder {
  orderIndex: number;
  /** Wire client order index (0 = none). */
  coi: number;
  /** Current engine client index (equals `coi` unless remapped). */
  engineCi: number;
  market: SimMarket;
  account: number;
  nonce: number;
  /** Wire `OrderExpiry` (ms; 0 for IOC/market). */
  orderExpiry: number;
  txHash: string;
  createdAt: number;
  /** Units filled by earlier engine incarnations (modify). */
  filledBefore: number;
  filledQuote: DecValue;
  blockHeight: number;
}

const TIF_WIRE: Readonly<Record<VenueOrder['timeInForce'], string>> = {
  gtc: 'good-till-time',
  'post-only': 'post-only',
  ioc: 'immediate-or-cancel',
};

const CANCEL_STATUS: Readonly<Record<CancelReason, string>> = {
  'by-user': 'canceled',
  'post-only': 'canceled-post-only',
  'reduce-only': 'canceled-reduce-only',
  expired: 'canceled-expired',
  'ioc-unfilled': 'canceled-not-enough-liquidity',
  margin: 'canceled-margin-not-allowed',
  'self-trade': 'canceled-self-trade',
  other: 'canceled',
};

/** Lighter order status strings → the numeric `st` of event_info (notes §4.6). */
export const STATUS_NUMBER: Readonly<Record<string, number>> = {
  'in-progress': 0,
  pending: 1,
  open: 2,
  filled: 3,
  canceled: 4,
  'canceled-post-only': 5,
  'canceled-reduce-only': 6,
  'canceled-position-not-allowed': 7,
  'canceled-margin-not-allowed': 8,
  'canceled-too-much-slippage': 9,
  'canceled-not-enough-liquidity': 10,
  'canceled-self-trade': 11,
  'canceled-expired': 12,
};

export function wireStatus(o: VenueOrder): string {
  if (o.status === 'open') return 'open';
  if (o.status === 'filled') return 'filled';
  return CANCEL_STATUS[o.cancelReason ?? 'other'];
}

export const priceStr = (m: SimMarket, units: number | bigint): string => fromWireInt(units, m.priceDecimals, 'price');
export const sizeStr = (m: SimMarket, units: number | bigint): string => fromWireInt(units, m.sizeDecimals, 'size');
/** Exact quote amount (price × size) with price+size decimals. */
export const quoteStr = (m: SimMarket, q: DecValue): string => q.toFixed(m.priceDecimals + m.sizeDecimals);
/** USDC money with 6 decimals (half-even). */
export const usdc = (d: DecValue): string => d.toDecimalPlaces(6, Dec.ROUND_HALF_EVEN).toFixed(6);

/** Venue units of a decimal string known to be on the market grid. */
export function unitsOf(value: string, decimals: number): number {
  return new Dec(value).times(new Dec(10).pow(decimals)).toNumber();
}

export function wireOrder(lo: LogicalOrder, v: VenueOrder, now: number): WireOrder {
  const m = lo.market;
  const size = unitsOf(v.size, m.sizeDecimals) + lo.filledBefore;
  const filled = unitsOf(v.filledSize, m.sizeDecimals) + lo.filledBefore;
  const price = unitsOf(v.price, m.priceDecimals);
  return {
    order_index: lo.orderIndex,
    client_order_index: lo.coi,
    order_id: String(lo.orderIndex),
    client_order_id: String(lo.coi),
    market_index: m.marketIndex,
    owner_account_index: lo.account,
    initial_base_amount: sizeStr(m, size),
    price: v.price,
    nonce: lo.nonce,
    remaining_base_amount: sizeStr(m, size - filled),
    is_ask: v.side === 'sell',
    base_size: size,
    base_price: price,
    filled_base_amount: sizeStr(m, filled),
    filled_quote_amount: quoteStr(m, lo.filledQuote),
    side: v.side,
    type: v.type,
    time_in_force: TIF_WIRE[v.timeInForce],
    reduce_only: v.reduceOnly,
    trigger_price: priceStr(m, 0),
    order_expiry: lo.orderExpiry,
    status: wireStatus(v),
    trigger_status: 'na',
    trigger_time: 0,
    parent_order_index: 0,
    parent_order_id: '0',
    to_trigger_order_id_0: '0',
    to_trigger_order_id_1: '0',
    to_cancel_order_id_0: '0',
    integrator_fee_collector_index: '0',
    integrator_taker_fee: '0',
    integrator_maker_fee: '0',
    order_flags: 0,
    block_height: lo.blockHeight,
    timestamp: lo.createdAt,
    created_at: lo.createdAt,
    updated_at: v.updatedAt,
    transaction_time: now * 1000,
  } as WireOrder;
}

export interface TradeSide {
  orderIndex: number;
  coi: number;
  account: number;
}

/** A Trade from one engine fill of the bot (`ours`) against a counterparty (`other`). */
export function wireTrade(
  m: SimMarket,
  f: VenueFill,
  ours: TradeSide,
  other: TradeSide,
  extra: { tradeId: number; txHash: string; blockHeight: number },
): WireTrade {
  const ask = f.side === 'sell' ? ours : other;
  const bid = f.side === 'sell' ? other : ours;
  const weAreMaker = f.liquidity === 'maker';
  const isMakerAsk = weAreMaker ? f.side === 'sell' : f.side === 'buy';
  const usd = new Dec(f.price).times(f.size);
  const t: WireTrade & Record<string, unknown> = {
    trade_id: extra.tradeId,
    trade_id_str: String(extra.tradeId),
    tx_hash: extra.txHash,
    type: 'trade',
    market_id: m.marketIndex,
    size: f.size,
    price: f.price,
    usd_amount: quoteStr(m, usd),
    ask_id: ask.orderIndex,
    ask_id_str: String(ask.orderIndex),
    bid_id: bid.orderIndex,
    bid_id_str: String(bid.orderIndex),
    ask_client_id: ask.coi,
    ask_client_id_str: String(ask.coi),
    bid_client_id: bid.coi,
    bid_client_id_str: String(bid.coi),
    ask_account_id: ask.account,
    bid_account_id: bid.account,
    is_maker_ask: isMakerAsk,
    block_height: extra.blockHeight,
    timestamp: f.time,
    transaction_time: f.time * 1000,
  };
  // Fee rates in 1e-6, omitted when zero (notes §2.3).
  if (m.takerFeeMicro !== 0) t.taker_fee = m.takerFeeMicro;
  if (m.makerFeeMicro !== 0) t.maker_fee = m.makerFeeMicro;
  return t;
}

/** AccountPosition from the engine's signed position and the market's mark price. */
export function wirePosition(m: SimMarket, p: VenuePosition, mark: DecValue, openOrders: number): WirePosition {
  const signed = new Dec(p.size);
  const sign = signed.isZero() ? 0 : signed.isNegative() ? -1 : 1;
  const abs = signed.abs();
  const avg = new Dec(p.avgEntryPrice);
  const unrealized = sign === 0 ? new Dec(0) : mark.minus(avg).times(signed);
  const leverage = p.leverage ?? 1;
  const value = abs.times(mark);
  return {
    market_id: m.marketIndex,
    symbol: m.symbol,
    initial_margin_fraction: new Dec(100).div(leverage).toFixed(2),
    open_order_count: openOrders,
    pending_order_count: 0,
    position_tied_order_count: 0,
    sign,
    position: abs.toFixed(m.sizeDecimals),
    avg_entry_price: sign === 0 ? priceStr(m, 0) : avg.toFixed(Math.max(m.priceDecimals, avg.decimalPlaces())),
    position_value: usdc(value),
    unrealized_pnl: usdc(unrealized),
    realized_pnl: usdc(new Dec(p.realizedPnl)),
    liquidation_price: priceStr(m, 0),
    total_funding_paid_out: '0.000000',
    margin_mode: 0,
    margin_set_flag: 0,
    allocated_margin: '0.000000',
    total_discount: '0.000000',
  } as WirePosition;
}

/** Lighter tx record (`/api/v1/tx`, `account_tx`). */
export interface WireTx {
  hash: string;
  type: number;
  info: string;
  event_info: string;
  status: number;
  transaction_index: number;
  l1_address: string;
  account_index: number;
  nonce: number;
  expire_at: number;
  block_height: number;
  queued_at: number;
  executed_at: number;
  sequence_index: number;
  parent_hash: string;
  api_key_index: number;
  transaction_time: number;
  committed_at: number;
  verified_at: number;
}
