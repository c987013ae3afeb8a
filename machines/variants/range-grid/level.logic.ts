/**
 * Pure helpers of the level child: idempotent application of venue updates and fills to its
 * own orders, the ledger leg, the next exit order (role and price), the summary for the root,
 * and the round-trip report.
 *
 * Invariants:
 * - Fill accounting is machines/shared/orders.ts: `filled` only grows, a trade id counts once,
 *   a terminal status is never undone; fees are added only for fills new to the record.
 * - Exit roles under one n: close, close-retry-1..3, refresh-1..64 (68 exits); after that the
 *   level asks the root for a fresh n (`exitRolesLeft` false). An index is never reused.
 * - The leg a level holds = entry filled − Σ exit fills; an exit's size is always that remainder.
 * - `exitBelowMinimum` uses the paired level's price and the market minimums the level got as
 *   input (the same minBase / minQuote grid-math `entrySize` raises entries to).
 */
import type { VenueFill, VenueOrder } from '../../../adapters/types.ts';
import { MAX_CLOSE_RETRIES, MAX_REFRESHES, role as roles, type Role } from '../../../src/domain/client-index.ts';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { applyFill, applyOrderUpdate, filledNotional, isNewFill, isTerminal, newOrderRecord } from '../../shared/orders.ts';
import type { OrderRecord } from '../../shared/types.ts';
import { exitLevelOf, exitPrice, roundTripProfit } from './levels.ts';
import type { LevelContext, LevelSummary, RoundTripReport } from './types.ts';

export const MAX_EXITS_PER_N = 1 + MAX_CLOSE_RETRIES + MAX_REFRESHES;

/** Role of the k-th exit (0-based) under one n. */
export function exitRole(k: number): Role {
  if (k === 0) return roles.close();
  if (k <= MAX_CLOSE_RETRIES) return roles.closeRetry(k);
  return roles.refresh(k - MAX_CLOSE_RETRIES);
}

export function exitRolesLeft(ctx: Pick<LevelContext, 'exitSeq'>): boolean {
  return ctx.exitSeq < MAX_EXITS_PER_N;
}

export const currentExit = (ctx: Pick<LevelContext, 'exits'>): OrderRecord | null => ctx.exits.at(-1) ?? null;

export function exitedSize(ctx: Pick<LevelContext, 'exits'>): string {
  return fmt(ctx.exits.reduce((a, o) => a.plus(o.filled), new Dec(0)));
}

/** Entry filled − Σ exit fills (what this level holds, unsigned). */
export function remainingOf(ctx: Pick<LevelContext, 'entry' | 'exits'>): string {
  if (!ctx.entry) return '0';
  return fmt(new Dec(ctx.entry.filled).minus(exitedSize(ctx)));
}

export function signedHeld(ctx: Pick<LevelContext, 'entry' | 'exits' | 'side'>): string {
  const r = new Dec(remainingOf(ctx));
  return fmt(ctx.side === 'sell' ? r.neg() : r);
}

/** Applies a venue order update to the entry or one of the exits (by client index). */
export function applyUpdateToOwn(ctx: LevelContext, order: VenueOrder): Partial<LevelContext> {
  if (ctx.entry && ctx.entry.clientIndex === order.clientIndex) {
    const base = ctx.entry.status === 'sending' ? { ...ctx.entry, status: 'open' as const, acceptedAt: order.createdAt } : ctx.entry;
    return { entry: applyOrderUpdate(base, order) };
  }
  const i = ctx.exits.findIndex((o) => o.clientIndex === order.clientIndex);
  if (i < 0) return {};
  const exits = [...ctx.exits];
  const base = exits[i].status === 'sending' ? { ...exits[i], status: 'open' as const, acceptedAt: order.createdAt } : exits[i];
  exits[i] = applyOrderUpdate(base, order);
  return { exits };
}

/** Applies a fill to the entry or one of the exits; fees of new trade ids only. */
export function applyFillToOwn(ctx: LevelContext, fill: VenueFill): Partial<LevelContext> {
  if (ctx.entry && ctx.entry.clientIndex === fill.clientIndex) {
    if (!isNewFill(ctx.entry, fill)) return {};
    return { entry: applyFill(ctx.entry, fill), fees: fmt(new Dec(ctx.fees).plus(fill.fee)) };
  }
  const i = ctx.exits.findIndex((o) => o.clientIndex === fill.clientIndex);
  if (i < 0 || !isNewFill(ctx.exits[i], fill)) return {};
  const exits = [...ctx.exits];
  exits[i] = applyFill(exits[i], fill);
  return { exits, fees: fmt(new Dec(ctx.fees).plus(fill.fee)) };
}

/** Whether `fill` is new to one of this level's orders (a replayed or duplicated trade id is not). */
export function ownsNewFill(ctx: Pick<LevelContext, 'entry' | 'exits'>, fill: VenueFill): boolean {
  if (ctx.entry && ctx.entry.clientIndex === fill.clientIndex) return isNewFill(ctx.entry, fill);
  const exit = ctx.exits.find((o) => o.clientIndex === fill.clientIndex);
  return exit !== undefined && isNewFill(exit, fill);
}

/** The exit side and target price of the current leg. */
export function exitTarget(ctx: LevelContext): { side: 'buy' | 'sell'; price: string } | null {
  if (ctx.side === 'buy' && ctx.exitSell) return { side: 'sell', price: ctx.exitSell };
  if (ctx.side === 'sell' && ctx.exitBuy) return { side: 'buy', price: ctx.exitBuy };
  return null;
}

/**
 * Whether the leg held now could NOT be exited on its own: its exit at the paired level's price
 * would be below the market's resting minimums (size < minBase, or size × price < minQuote).
 * A partially filled entry keeps resting while this holds (the venue would refuse the exit).
 * False with nothing held, with no paired level, or without known minimums.
 */
export function exitBelowMinimum(ctx: Pick<LevelContext, 'entry' | 'exits' | 'side' | 'exitSell' | 'exitBuy' | 'minBase' | 'minQuote'>): boolean {
  const size = new Dec(remainingOf(ctx));
  const target = ctx.side === 'buy' ? ctx.exitSell : ctx.side === 'sell' ? ctx.exitBuy : null;
  if (size.lte(0) || target === null) return false;
  return size.lt(ctx.minBase ?? '0') || size.times(target).lt(ctx.minQuote ?? '0');
}

/** The next exit order (new client index) for what remains; caller checks exitRolesLeft. */
export function nextExit(ctx: LevelContext): Partial<LevelContext> {
  const target = exitTarget(ctx)!;
  const first = ctx.exits.length === 0;
  const price = first ? target.price : exitPrice({ side: target.side, target: target.price, book: ctx.book, tick: ctx.tick });
  const rec = newOrderRecord({
    slot: ctx.slot,
    n: ctx.n!,
    role: exitRole(ctx.exitSeq),
    side: target.side,
    type: 'limit',
    price,
    size: remainingOf(ctx),
    reduceOnly: ctx.reduceOnlyExits,
    postOnly: true,
    sentAt: ctx.now,
  });
  return { exits: [...ctx.exits, rec], exitSeq: ctx.exitSeq + 1, sendErrors: 0 };
}

/** The entry order of an arm, under the granted n. */
export function newEntry(ctx: LevelContext, n: number): Partial<LevelContext> {
  const p = ctx.pending!;
  const entry = newOrderRecord({ slot: ctx.slot, n, role: roles.entry(), side: p.side, type: 'limit', price: p.price, size: p.size, reduceOnly: false, postOnly: true, sentAt: ctx.now });
  return { entry, n, ns: [n], side: p.side, pending: null, exits: [], exitSeq: 0, fees: '0', sendErrors: 0 };
}

export function liveEntry(ctx: Pick<LevelContext, 'entry'>): boolean {
  return ctx.entry !== null && !isTerminal(ctx.entry);
}

export function liveExit(ctx: Pick<LevelContext, 'exits'>): boolean {
  return ctx.exits.some((o) => !isTerminal(o));
}

export function summarize(ctx: LevelContext, state: string): LevelSummary {
  const e = ctx.entry;
  const x = currentExit(ctx);
  const holding = e !== null && new Dec(remainingOf(ctx)).gt(0);
  const live = state === 'awaitingN' || liveEntry(ctx);
  const want = e ?? ctx.pending;
  return {
    level: ctx.level,
    state,
    side: ctx.side ?? ctx.pending?.side ?? null,
    n: ctx.n,
    ns: ctx.ns,
    entry: e ? { clientIndex: e.clientIndex, price: e.price, size: e.size, status: e.status, filled: e.filled } : null,
    exit: x ? { clientIndex: x.clientIndex, price: x.price, size: x.size, status: x.status } : null,
    held: state === 'idle' ? '0' : signedHeld(ctx),
    exitTarget: holding && ctx.side ? exitLevelOf(ctx.side, ctx.level) : null,
    liveEntry: live,
    liveExit: liveExit(ctx),
    entryNotional: live && want ? fmt(new Dec(want.size).times(want.price)) : '0',
  };
}

/** The completed round trip (entry fully exited). */
export function roundTrip(ctx: LevelContext): RoundTripReport {
  const entry = ctx.entry!;
  const size = entry.filled;
  const entryNotional = filledNotional(entry);
  const exitNotional = fmt(ctx.exits.reduce((a, o) => a.plus(filledNotional(o)), new Dec(0)));
  const { gross, profit } = roundTripProfit({ side: ctx.side!, entryNotional, exitNotional, fees: ctx.fees });
  const sz = new Dec(size);
  return {
    level: ctx.level,
    n: ctx.n!,
    side: ctx.side!,
    entryPrice: fmt(new Dec(entryNotional).div(sz)),
    exitPrice: fmt(new Dec(exitNotional).div(sz)),
    size,
    gross,
    fees: ctx.fees,
    profit,
  };
}

/** Context of an idle level (the round trip's records are dropped; the journal has them). */
export function idleContext(): Partial<LevelContext> {
  return { side: null, n: null, ns: [], pending: null, entry: null, exits: [], exitSeq: 0, fees: '0', suspended: false, disarmed: false, sendErrors: 0 };
}

/** Back-off before re-sending after a transient error: 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffMs(errors: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.max(0, Math.min(errors, 10) - 1));
}
