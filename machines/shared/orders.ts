/**
 * Pure helpers over OrderRecord: applying venue order updates and fills idempotently.
 *
 * Invariants:
 * - `filled` only grows: it is max(venue cumulative filled, Σ distinct fills by trade id),
 *   so a fill reported twice, an update repeated, or either stream lost never miscounts.
 * - A terminal status (filled / canceled) is never undone by a late `open` update.
 */
import type { Side, VenueFill, VenueOrder } from '../../adapters/types.ts';
import { encodeClientIndex, type Role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import type { OrderRecord } from './types.ts';

const MAX_FILL_IDS = 64;

export function newOrderRecord(p: {
  slot: number;
  n: number;
  role: Role;
  side: Side;
  type: 'limit' | 'market';
  price: string;
  size: string;
  reduceOnly: boolean;
  postOnly: boolean;
  sentAt: number;
  expiresAt?: number;
}): OrderRecord {
  return {
    clientIndex: encodeClientIndex(p.slot, p.n, p.role),
    role: p.role,
    side: p.side,
    type: p.type,
    price: p.price,
    size: p.size,
    reduceOnly: p.reduceOnly,
    postOnly: p.postOnly,
    status: 'sending',
    filled: '0',
    fillSum: '0',
    fillNotional: '0',
    fillIds: [],
    sentAt: p.sentAt,
    ...(p.expiresAt !== undefined ? { expiresAt: p.expiresAt } : {}),
  };
}

export function isTerminal(rec: Pick<OrderRecord, 'status'>): boolean {
  return rec.status === 'filled' || rec.status === 'canceled';
}

function maxDec(a: string, b: string): string {
  return new Dec(a).gte(b) ? a : b;
}

/** Applies a venue order update (same client index assumed). */
export function applyOrderUpdate(rec: OrderRecord, order: VenueOrder): OrderRecord {
  const filled = maxDec(rec.filled, new Dec(order.filledSize).toFixed());
  let status = rec.status;
  let cancelReason = rec.cancelReason;
  if (!isTerminal(rec)) {
    status = order.status;
    if (order.status === 'canceled') cancelReason = order.cancelReason ?? 'other';
  } else if (rec.status === 'canceled' && order.status === 'filled') {
    // A fill the venue settled after our view of the cancel: the venue's final word wins.
    status = 'filled';
  }
  if (status === rec.status && filled === rec.filled && cancelReason === rec.cancelReason) return rec;
  return { ...rec, status, filled, ...(cancelReason !== undefined ? { cancelReason } : {}) };
}

/** Applies one fill; a trade id already seen is ignored. */
export function applyFill(rec: OrderRecord, fill: VenueFill): OrderRecord {
  if (rec.fillIds.includes(fill.tradeId)) return rec;
  const fillSum = new Dec(rec.fillSum).plus(fill.size);
  const fillNotional = new Dec(rec.fillNotional).plus(new Dec(fill.price).times(fill.size));
  const fillIds = [...rec.fillIds, fill.tradeId].slice(-MAX_FILL_IDS);
  const fillSumS = fillSum.toFixed();
  return {
    ...rec,
    fillSum: fillSumS,
    fillNotional: fillNotional.toFixed(),
    fillIds,
    filled: maxDec(rec.filled, fillSumS),
  };
}

/** Whether a fill id is new to this record. */
export function isNewFill(rec: OrderRecord, fill: VenueFill): boolean {
  return !rec.fillIds.includes(fill.tradeId);
}

/**
 * Notional of the filled amount: distinct fills at their prices, and any amount known only
 * from the venue's cumulative count at the order's limit price.
 */
export function filledNotional(rec: OrderRecord): string {
  const unpriced = new Dec(rec.filled).minus(rec.fillSum);
  const rest = unpriced.gt(0) ? unpriced.times(rec.price) : new Dec(0);
  return new Dec(rec.fillNotional).plus(rest).toFixed();
}

/** Average fill price, or the limit price before any fill. */
export function avgFillPrice(rec: OrderRecord): string {
  const f = new Dec(rec.filled);
  if (f.isZero()) return rec.price;
  return new Dec(filledNotional(rec)).div(f).toFixed();
}

export function orderRecordFromVenue(order: VenueOrder, role: Role): OrderRecord {
  return {
    clientIndex: order.clientIndex,
    role,
    side: order.side,
    type: order.type,
    price: order.price,
    size: order.size,
    reduceOnly: order.reduceOnly,
    postOnly: order.timeInForce === 'post-only',
    status: order.status,
    ...(order.cancelReason ? { cancelReason: order.cancelReason } : {}),
    filled: new Dec(order.filledSize).toFixed(),
    fillSum: '0',
    fillNotional: '0',
    fillIds: [],
    sentAt: order.createdAt,
    acceptedAt: order.createdAt,
    ...(order.expiresAt !== undefined ? { expiresAt: order.expiresAt } : {}),
  };
}
