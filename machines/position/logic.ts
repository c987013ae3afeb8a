/**
 * Pure logic of the position machine: sizes, PnL, the next exit order of each kind, ladder
 * legs, applying venue reports to the position's own orders, and its summary for the root.
 *
 * Invariants: `remaining = size − Σ venue-confirmed exit fills` (current exit, ladder legs and
 * ended exits); an order record is only ever updated by a report carrying its own index.
 */
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import { role as roles, MAX_MARKET_EXITS, MAX_REFRESHES } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { closeRetryPrice, ladderPrices, marketWorstPrice, mid, splitSize } from '../../src/domain/grid-math.ts';
import { applyFill, applyOrderUpdate, filledNotional, isTerminal, newOrderRecord } from '../shared/orders.ts';
import type { OrderRecord, PositionSummary } from '../shared/types.ts';
import type { PositionContext } from './types.ts';

/** Back-off for sends that created no order: 0.5 s doubling to 30 s. */
export function sendBackoffMs(errors: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, errors - 1));
}

/** Spacing of market-close attempts after a failure: ≥ 5 s, doubling, at most 60 s (≤ 12 a minute). */
export function marketBackoffMs(failures: number): number {
  return Math.min(60_000, 5_000 * 2 ** Math.max(0, failures - 1));
}

function ownOrders(ctx: Pick<PositionContext, 'exit' | 'ladder'>): OrderRecord[] {
  return ctx.exit ? [ctx.exit, ...ctx.ladder] : [...ctx.ladder];
}

/** Orders of this position that may still be live on the venue. */
export function liveOrders(ctx: Pick<PositionContext, 'exit' | 'ladder'>): OrderRecord[] {
  return ownOrders(ctx).filter((o) => !isTerminal(o));
}

function strayNotInRecords(ctx: Pick<PositionContext, 'exit' | 'ladder'> & { stray?: PositionContext['stray'] }) {
  const held = new Set(ownOrders(ctx).map((o) => o.clientIndex));
  return (ctx.stray ?? []).filter((f) => !held.has(f.clientIndex));
}

export function remainingOf(ctx: Pick<PositionContext, 'size' | 'exitFilledPrior' | 'exit' | 'ladder'> & { stray?: PositionContext['stray'] }): string {
  let filled = new Dec(ctx.exitFilledPrior);
  for (const o of ownOrders(ctx)) filled = filled.plus(o.filled);
  for (const f of strayNotInRecords(ctx)) filled = filled.plus(f.size);
  const r = new Dec(ctx.size).minus(filled);
  return (r.isNegative() ? new Dec(0) : r).toFixed();
}

export function realizedPnlOf(ctx: PositionContext): string {
  let filled = new Dec(ctx.exitFilledPrior);
  let notional = new Dec(ctx.exitNotionalPrior);
  for (const o of ownOrders(ctx)) {
    filled = filled.plus(o.filled);
    notional = notional.plus(filledNotional(o));
  }
  for (const f of strayNotInRecords(ctx)) {
    filled = filled.plus(f.size);
    notional = notional.plus(new Dec(f.price).times(f.size));
  }
  const cost = filled.times(ctx.entryPrice);
  return (ctx.params.direction === 'buy' ? notional.minus(cost) : cost.minus(notional)).toFixed();
}

export function summarize(ctx: PositionContext, state: string): PositionSummary {
  // Ladder legs count once: the leg nearest the market stands for them.
  const shown = ctx.exit ?? ctx.ladder.find((o) => !isTerminal(o)) ?? ctx.ladder[0] ?? null;
  return {
    n: ctx.n,
    size: ctx.size,
    remaining: remainingOf(ctx),
    entryPrice: ctx.entryPrice,
    exit: shown ? { clientIndex: shown.clientIndex, price: shown.price, type: shown.type, status: shown.status, size: shown.size } : null,
    state,
    realizedPnl: realizedPnlOf(ctx),
    exitAccepted: ctx.exitAccepted,
  };
}

export const exitSide = (ctx: Pick<PositionContext, 'params'>) => (ctx.params.direction === 'buy' ? 'sell' : 'buy') as 'buy' | 'sell';

/** Ended orders' fills move into the prior totals; live records stay. */
export function retireEnded(ctx: PositionContext): Partial<PositionContext> {
  let filled = new Dec(ctx.exitFilledPrior);
  let notional = new Dec(ctx.exitNotionalPrior);
  const keep: OrderRecord[] = [];
  for (const o of ownOrders(ctx)) {
    // A fully filled order has ended on the venue even if its final status update is still on the way.
    if (isTerminal(o) || o.status === 'sending' || new Dec(o.filled).gte(o.size)) {
      filled = filled.plus(o.filled);
      notional = notional.plus(filledNotional(o));
    } else keep.push(o);
  }
  if (keep.length > 0) throw new Error(`position ${ctx.n}: ${keep.length} order(s) still live when replacing its exit`);
  const retired = ownOrders(ctx).map((o) => o.clientIndex);
  const retiredIdx = new Set(retired);
  return {
    exitFilledPrior: filled.toFixed(),
    exitNotionalPrior: notional.toFixed(),
    exit: null,
    ladder: [],
    stray: (ctx.stray ?? []).filter((f) => !retiredIdx.has(f.clientIndex)),
    ended: [...(ctx.ended ?? []), ...retired],
  };
}

/** The next limit exit: close first, then close-retry-k after k failures, refresh-m when replacing. */
export function nextLimitExit(ctx: PositionContext, kind: 'retry' | 'refresh'): Partial<PositionContext> {
  const base = retireEnded(ctx);
  const merged = { ...ctx, ...base };
  const p = ctx.params;
  let r;
  let price = ctx.tpPrice;
  let refreshes = ctx.refreshes;
  if (kind === 'refresh') {
    if (refreshes >= MAX_REFRESHES) return { ...base, exhausted: true };
    refreshes += 1;
    r = roles.refresh(refreshes);
  } else if (ctx.failures === 0) {
    r = roles.close();
  } else {
    r = roles.closeRetry(ctx.failures);
    const book = ctx.book ?? { bid: ctx.tpPrice, ask: ctx.tpPrice };
    price = closeRetryPrice({ direction: p.direction, tpPrice: ctx.tpPrice, bid: book.bid, ask: book.ask, tick: p.tick, multiplier: p.multiplier, k: ctx.failures });
  }
  const exit = newOrderRecord({
    slot: p.slot,
    n: ctx.n,
    role: r,
    side: exitSide(ctx),
    type: 'limit',
    price,
    size: remainingOf(merged),
    reduceOnly: true,
    postOnly: true,
    sentAt: ctx.now,
    expiresAt: ctx.now + p.exitLifetimeMs,
  });
  return { ...base, exit: absorbStray(exit, base.stray), refreshes, lastSendAt: ctx.now, sendErrors: 0, resizePending: false, refreshPending: false };
}

/** A reduce-only market exit for what remains, capped by the venue position. */
export function nextMarketExit(ctx: PositionContext): Partial<PositionContext> {
  const base = retireEnded(ctx);
  const remaining = new Dec(remainingOf({ ...ctx, ...base }));
  const venue = new Dec(ctx.venueSize);
  const size = venue.gt(0) && venue.lt(remaining) ? venue : remaining;
  const p = ctx.params;
  const side = exitSide(ctx);
  const book = ctx.book ?? { bid: ctx.entryPrice, ask: ctx.entryPrice };
  if (ctx.marketAttempts >= MAX_MARKET_EXITS) return { ...base, exhausted: true };
  const a = ctx.marketAttempts + 1;
  const exit = newOrderRecord({
    slot: p.slot,
    n: ctx.n,
    role: roles.marketExit(a),
    side,
    type: 'market',
    price: marketWorstPrice({ side, bid: book.bid, ask: book.ask, slippagePct: p.slippagePct, tick: p.tick }),
    size: size.toFixed(),
    reduceOnly: true,
    postOnly: false,
    sentAt: ctx.now,
  });
  return { ...base, exit: absorbStray(exit, base.stray), marketAttempts: a, lastSendAt: ctx.now, sendErrors: 0 };
}

/** Three reduce-only post-only legs at mid ± 1.5 / 3 / 4.5 % on the profitable side. */
export function ladderLegs(ctx: PositionContext): Partial<PositionContext> {
  const base = retireEnded(ctx);
  const remaining = remainingOf({ ...ctx, ...base });
  const p = ctx.params;
  const book = ctx.book ?? { bid: ctx.entryPrice, ask: ctx.entryPrice };
  const prices = ladderPrices({ direction: p.direction, mid: mid(book.bid, book.ask), tick: p.tick });
  const sizes = splitSize(remaining, 3, p.step);
  const ladder: OrderRecord[] = [];
  sizes.forEach((size, i) => {
    if (new Dec(size).lte(0)) return;
    ladder.push(
      newOrderRecord({
        slot: p.slot,
        n: ctx.n,
        role: roles.ladder(i + 1),
        side: exitSide(ctx),
        type: 'limit',
        price: prices[i],
        size,
        reduceOnly: true,
        postOnly: true,
        sentAt: ctx.now,
        expiresAt: ctx.now + p.exitLifetimeMs,
      }),
    );
  });
  return { ...base, ladder: ladder.map((o) => absorbStray(o, base.stray)), lastSendAt: ctx.now, sendErrors: 0 };
}

/** Applies an order update to whichever own order carries its index. */
export function applyUpdateToOwn(ctx: PositionContext, order: VenueOrder): Partial<PositionContext> {
  if (ctx.exit && ctx.exit.clientIndex === order.clientIndex) return { exit: applyOrderUpdate(ctx.exit, order) };
  const i = ctx.ladder.findIndex((o) => o.clientIndex === order.clientIndex);
  if (i < 0) return {};
  const ladder = [...ctx.ladder];
  ladder[i] = applyOrderUpdate(ladder[i], order);
  return { ladder };
}

export function applyFillToOwn(ctx: PositionContext, fill: VenueFill): Partial<PositionContext> {
  if (ctx.exit && ctx.exit.clientIndex === fill.clientIndex) return { exit: applyFill(ctx.exit, fill) };
  const i = ctx.ladder.findIndex((o) => o.clientIndex === fill.clientIndex);
  if (i < 0) {
    // A fill of one of our exit indexes with no current record: keep it (once per trade id),
    // unless that order already ended here (its final fills are in the prior totals).
    if ((ctx.ended ?? []).includes(fill.clientIndex)) return {};
    const stray = ctx.stray ?? [];
    if (stray.some((f) => f.tradeId === fill.tradeId)) return {};
    return { stray: [...stray, { clientIndex: fill.clientIndex, tradeId: fill.tradeId, size: fill.size, price: fill.price }].slice(-64) };
  }
  const ladder = [...ctx.ladder];
  ladder[i] = applyFill(ladder[i], fill);
  return { ladder };
}

/** A new record of an index that already has fills on the venue takes them over (no double count). */
export function absorbStray(rec: OrderRecord, stray: PositionContext['stray'] | undefined): OrderRecord {
  let out = rec;
  for (const f of stray ?? []) {
    if (f.clientIndex !== rec.clientIndex) continue;
    out = applyFill(out, { market: '', tradeId: f.tradeId, clientIndex: f.clientIndex, side: rec.side, price: f.price, size: f.size, fee: '0', liquidity: 'taker', time: 0 });
  }
  return out;
}

/** Marks the own order accepted (first answer from the venue). */
export function markAccepted(rec: OrderRecord | null, at: number): OrderRecord | null {
  if (!rec || rec.status !== 'sending') return rec;
  return { ...rec, status: 'open', acceptedAt: at };
}
