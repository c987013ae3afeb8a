/**
 * Realistic venue payloads for model events: order updates, fills, query answers, VenueErrors
 * of each kind, positions and reconcile reports — built from the machine's own order records
 * so ids, sides, prices and sizes are the ones the venue would report (decimal strings).
 *
 * Invariant: the same inputs always give the same payload (trade ids derive from the client
 * index and the cumulative filled size), so model events serialize deterministically.
 */
import type { EventObject } from 'xstate';
import { VenueError, type CancelReason, type VenueErrorKind, type VenueFill, type VenueOrder, type VenuePosition } from '../../adapters/types.ts';
import { Dec } from '../../src/domain/decimal.ts';
import type { OrderRecord } from '../../machines/shared/types.ts';

export const MARKET = 'TEST';

export function venueOrder(rec: OrderRecord, over: Partial<VenueOrder> = {}): VenueOrder {
  return {
    market: MARKET,
    clientIndex: rec.clientIndex,
    side: rec.side,
    type: rec.type,
    price: rec.price,
    size: rec.size,
    filledSize: rec.filled,
    status: rec.status === 'sending' ? 'open' : rec.status,
    reduceOnly: rec.reduceOnly,
    timeInForce: rec.postOnly ? 'post-only' : rec.type === 'market' ? 'ioc' : 'gtc',
    createdAt: rec.sentAt,
    updatedAt: rec.sentAt,
    ...(rec.expiresAt !== undefined ? { expiresAt: rec.expiresAt } : {}),
    ...over,
  } as VenueOrder;
}

export const filledOrder = (rec: OrderRecord, at: number) => venueOrder(rec, { status: 'filled', filledSize: rec.size, updatedAt: at });
export const canceledOrder = (rec: OrderRecord, at: number, reason: CancelReason = 'post-only', filledSize = rec.filled) =>
  venueOrder(rec, { status: 'canceled', cancelReason: reason, filledSize, updatedAt: at });
export const partialOrder = (rec: OrderRecord, at: number) => venueOrder(rec, { status: 'open', filledSize: half(rec.size), updatedAt: at });

/** Half of a size, on a 0.001 step (at least one step). */
export function half(size: string): string {
  const h = new Dec(size).div(2).toDecimalPlaces(3, Dec.ROUND_DOWN);
  return (h.gt(0) ? h : new Dec('0.001')).toFixed();
}

/** A fill of `size` more on an order record (trade id from index and cumulative filled). */
export function fillOf(rec: OrderRecord, size: string, at: number): VenueFill {
  const cum = new Dec(rec.filled).plus(size).toFixed();
  return { market: MARKET, tradeId: `T${rec.clientIndex}-${cum}`, clientIndex: rec.clientIndex, side: rec.side, price: rec.price, size, fee: new Dec(size).times(rec.price).times('0.0002').toFixed(), liquidity: rec.postOnly ? 'maker' : 'taker', time: at };
}

export const unfilled = (rec: OrderRecord) => new Dec(rec.size).minus(rec.filled).toFixed();

export const venueError = (kind: VenueErrorKind) => new VenueError(kind, `venue said ${kind}`);

export const position = (size: string, avgEntryPrice = '100'): VenuePosition => ({ market: MARKET, size, avgEntryPrice: new Dec(size).isZero() ? '0' : avgEntryPrice, realizedPnl: '0' });

/** Done / error events of one invoke. */
export const doneEv = (id: string, output: unknown): EventObject => ({ type: `xstate.done.actor.${id}`, output }) as EventObject;
export const errorEv = (id: string, kind: VenueErrorKind): EventObject => ({ type: `xstate.error.actor.${id}`, error: venueError(kind) }) as EventObject;

/** Invoked children of a snapshot: id, src and the input they were started with. */
export function invokes(s: { children: Record<string, unknown> }): Array<{ id: string; src: string; input: any }> {
  return Object.entries(s.children ?? {}).map(([id, ref]) => {
    const r = ref as { src?: unknown; options?: { input?: unknown }; getSnapshot?: () => { status?: string } };
    return { id, src: typeof r.src === 'string' ? r.src : '', input: r.options?.input };
  });
}

/** Tick events of the armed deadlines (a deadline at MAX_SAFE_INTEGER never fires). */
export function ticks(s: { children: Record<string, unknown> }): EventObject[] {
  return invokes(s)
    .filter((c) => c.src === 'deadline' && c.input && c.input.at < Number.MAX_SAFE_INTEGER)
    .map((c) => ({ type: 'tick', name: c.input.name, at: c.input.at }) as EventObject);
}
