/**
 * Model of the range-grid level child (`machines/variants/range-grid/level.machine.ts`):
 * input variants, abstraction, realistic events per state, invariants and the suspend probe.
 *
 * Invariants checked after every step (real actor):
 * - one live order per level: the entry and an exit are never live together, at most one exit
 *   is live, and every new order gets a client index never used before by this level;
 * - exits are reduce-only on a long/short grid (input), entries post-only and not reduce-only;
 * - `idle` after an exit only when the venue reported exit fills covering the entry's fill;
 * - a partially filled entry keeps resting exactly while what filled could not be exited alone
 *   (below the market minimums at the exit price; variant with minimums), else it is cancelled.
 * Probe: a `level.suspend` from every abstract state ends in `parked` or `idle` with no
 * resting entry.
 */
import type { EventObject } from 'xstate';
import { Dec, type DecValue } from '../../src/domain/decimal.ts';
import { currentExit, exitBelowMinimum, remainingOf } from '../../machines/variants/range-grid/level.logic.ts';
import { levelMachine } from '../../machines/variants/range-grid/level.machine.ts';
import type { LevelContext, LevelInput } from '../../machines/variants/range-grid/types.ts';
import { isTerminal } from '../../machines/shared/orders.ts';
import type { OrderRecord } from '../../machines/shared/types.ts';
import { fakeActors, type Run, type Target } from './driver.ts';
import type { HaltProbe, MachineSuite, StepCheck, Variant } from './kit.ts';
import type { Snap } from './pure.ts';
import { inventory } from './transitions.ts';
import { MARKET, canceledOrder, doneEv, errorEv, fillOf, filledOrder, half, invokes, partialOrder, ticks, unfilled, venueOrder } from './venue-payloads.ts';

const machine = levelMachine.provide({
  actors: fakeActors(['placeOrder', 'cancelOrder', 'queryOrder', 'deadline']) as never,
  actions: { journal: () => {} },
});

export const levelTarget: Target = { name: 'range-grid level', machine, inv: inventory(machine), asChild: true, scheduled: [] };

const T0 = 1_700_000_000_000;
const BOOK = { bid: '99', ask: '99.02' };
const base: LevelInput = { level: 4, market: MARKET, slot: 1, tick: '0.01', buy: '98', sell: '98', exitSell: '100', exitBuy: '96', reduceOnlyExits: true, now: T0, book: BOOK };

const ctxOf = (s: Snap) => s.context as LevelContext;
const top = (s: Snap) => (typeof s.value === 'string' ? s.value : Object.keys(s.value)[0]);
const rec = (o: OrderRecord | null) => (o ? `${o.status}${new Dec(o.filled).gt(0) ? ':f' : ''}${new Dec(o.filled).gte(o.size) ? 'F' : ''}` : '-');

function abstract(s: Snap): string {
  const c = ctxOf(s);
  return JSON.stringify([s.status, s.value, rec(c.entry), rec(currentExit(c)), c.exits.length > 1, c.suspended, c.disarmed, c.pending !== null, c.n !== null, new Dec(remainingOf(c)).isZero(), exitBelowMinimum(c)]);
}

function answers(s: Snap): EventObject[] {
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const own = (idx: number) => [c.entry, ...c.exits].find((o) => o && o.clientIndex === idx) ?? null;
  const out: EventObject[] = [];
  for (const inv of invokes(s)) {
    if (inv.src === 'placeOrder') {
      out.push(doneEv(inv.id, { at, clientIndex: inv.input.order.clientIndex }));
      for (const kind of ['rate-limited', 'rejected', 'outcome-unknown'] as const) out.push(errorEv(inv.id, kind));
    } else if (inv.src === 'cancelOrder') {
      out.push(doneEv(inv.id, { at }), errorEv(inv.id, 'rate-limited'), errorEv(inv.id, 'not-active'));
    } else if (inv.src === 'queryOrder') {
      const o = own(inv.input.clientIndex);
      if (o) out.push(doneEv(inv.id, { order: canceledOrder(o, at, 'by-user'), fills: [], at }));
      out.push(doneEv(inv.id, { order: null, fills: [], at }));
      if (o) out.push(doneEv(inv.id, { order: venueOrder(o, { status: 'open', updatedAt: at }), fills: [], at }), doneEv(inv.id, { order: filledOrder(o, at), fills: [], at }));
      out.push(errorEv(inv.id, 'unavailable'));
    }
  }
  return out;
}

function orderEvents(o: OrderRecord | null, at: number, book: LevelContext['book']): EventObject[] {
  if (!o) return [];
  const ev = (order: unknown) => ({ type: 'level.order-updated', order, at, book }) as EventObject;
  const fill = (f: unknown) => ({ type: 'level.fill', fill: f, at, book }) as EventObject;
  if (isTerminal(o)) return new Dec(o.filled).lt(o.size) && o.status === 'canceled' ? [] : [];
  const out = [ev(venueOrder(o, { status: 'open', updatedAt: at })), ev(filledOrder(o, at)), ev(canceledOrder(o, at, 'post-only'))];
  if (o.reduceOnly) out.push(ev(canceledOrder(o, at, 'reduce-only')));
  if (new Dec(o.filled).isZero()) out.push(ev(partialOrder(o, at)), fill(fillOf(o, half(o.size), at)));
  out.push(fill(fillOf(o, unfilled(o), at)));
  return out;
}

function events(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const out: EventObject[] = [...answers(s), ...ticks(s), ...orderEvents(c.entry, at, c.book), ...orderEvents(currentExit(c), at, c.book)];
  const t = top(s);
  if (t === 'idle') out.push({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at, book: c.book } as EventObject);
  if (s.matches('awaitingN') || s.matches({ holding: 'awaitingN' })) out.push({ type: 'level.grant-n', n: 7 + c.ns.length, at } as EventObject);
  out.push({ type: 'level.disarm', at } as EventObject, { type: 'level.suspend', at } as EventObject);
  if (t === 'parked') out.push({ type: 'level.resume', at, book: c.book } as EventObject, { type: 'level.release', at, reason: 'flatten' } as EventObject);
  return out;
}

function progress(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const c = ctxOf(s);
  const seen = new Set<string>();
  const first = answers(s).filter((e) => {
    const id = e.type.replace(/^xstate\.(done|error)\.actor\./, '');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  const out = [...first, ...ticks(s)];
  if (s.matches('awaitingN') || s.matches({ holding: 'awaitingN' })) out.push({ type: 'level.grant-n', n: 7 + c.ns.length, at: c.now + 1_000 } as EventObject);
  return out;
}

/** 68 exits under one n (close, close-retry-1..3, refresh-1..64), then a fresh n. */
const budget = {
  abstract: (s: Snap) => JSON.stringify([s.value, s.status, ctxOf(s).exitSeq, ctxOf(s).ns.length, rec(currentExit(ctxOf(s))), rec(ctxOf(s).entry)]),
  events: (s: Snap): EventObject[] => {
    const c = ctxOf(s);
    // One fresh n is enough: the walk stops once the second n is in use.
    if (s.status !== 'active' || c.ns.length > 1) return [];
    const at = c.now + 1_000;
    if (s.matches('entryResting') && c.entry) return [{ type: 'level.order-updated', order: filledOrder(c.entry, at), at, book: c.book } as EventObject];
    const x = currentExit(c);
    if (s.matches('exitResting') && x) return [{ type: 'level.order-updated', order: canceledOrder(x, at, 'post-only'), at, book: c.book } as EventObject];
    return progress(s);
  },
};

/**
 * Market minimums of 0.001 / 30 USD: half of the 0.5 entry (0.25 × 100 = 25 USD at its exit)
 * cannot be exited alone and keeps resting; a further quarter (0.375 → 37.5 USD) can.
 */
const minimums = {
  input: { ...base, minBase: '0.001', minQuote: '30', arm: { side: 'buy', price: '98', size: '0.5' } } as LevelInput,
  // The full alphabet (and a quarter fill) while the entry lives; only progress after it.
  events: (s: Snap): EventObject[] => {
    if (!['entryPlacing', 'entryResting', 'entryCancelling'].includes(top(s))) return progress(s);
    const c = ctxOf(s);
    const e = c.entry;
    const more = s.status === 'active' && e && !isTerminal(e) && new Dec(e.filled).gt(0) && new Dec(e.filled).lt(e.size);
    return more ? [...events(s), { type: 'level.fill', fill: fillOf(e, new Dec(e.size).div(4).toFixed(), c.now + 1_000), at: c.now + 1_000, book: c.book } as EventObject] : events(s);
  },
};

export const levelVariants: Variant[] = [
  { label: 'long leg', input: { ...base, arm: { side: 'buy', price: '98', size: '0.5' } } },
  { label: 'idle start', input: base, focus: (s) => ['idle', 'awaitingN', 'entryPlacing'].includes(top(s)), halt: false },
  { label: 'short leg', input: { ...base, arm: { side: 'sell', price: '98', size: '0.5' }, book: { bid: '97', ask: '97.02' } }, focus: (s) => ['holding', 'exitResting'].includes(top(s)), halt: false },
  { label: 'top edge (no exit level)', input: { ...base, exitSell: null, arm: { side: 'buy', price: '98', size: '0.5' } }, focus: (s) => ['entryResting', 'holding', 'parked'].includes(top(s)), halt: false },
  { label: 'partial fill below the exit minimum', ...minimums },
  { label: '68 exits then a fresh n', input: { ...base, arm: { side: 'buy', price: '98', size: '0.5' } }, ...budget, halt: false, targetedOnly: true },
];

const checked = new WeakMap<Run, { seen: WeakSet<object>; indexes: Set<number>; idleChecked: number }>();

function venueReportedFill(run: Run, idx: number): DecValue {
  let cum = new Dec(0);
  const fills = new Map<string, string>();
  for (const ev of run.delivered as Array<EventObject & Record<string, any>>) {
    if (ev.type === 'level.order-updated' && ev.order.clientIndex === idx && new Dec(ev.order.filledSize).gt(cum)) cum = new Dec(ev.order.filledSize);
    if (ev.type === 'level.fill' && ev.fill.clientIndex === idx) fills.set(ev.fill.tradeId, ev.fill.size);
    if (ev.type.startsWith('xstate.done.actor.') && ev.output?.order?.clientIndex === idx && new Dec(ev.output.order.filledSize).gt(cum)) cum = new Dec(ev.output.order.filledSize);
  }
  const sum = [...fills.values()].reduce((a, v) => a.plus(v), new Dec(0));
  return cum.gt(sum) ? cum : sum;
}

function invariants({ snap, prev, run }: StepCheck): string[] {
  const c = ctxOf(snap);
  const out: string[] = [];
  let st = checked.get(run);
  if (!st) checked.set(run, (st = { seen: new WeakSet(), indexes: new Set(), idleChecked: 0 }));
  const open = (o: OrderRecord | null) => o !== null && !isTerminal(o) && new Dec(o.filled).lt(o.size);
  const liveExits = c.exits.filter(open);
  if (open(c.entry) && liveExits.length > 0) out.push('the entry and an exit are live together');
  if (liveExits.length > 1) out.push(`${liveExits.length} exits live together`);
  for (const r of run.requests) {
    if (r.src !== 'placeOrder' || st.seen.has(r)) continue;
    st.seen.add(r);
    const o = r.input.order as OrderRecord;
    const isEntry = c.entry !== null && c.entry.clientIndex === o.clientIndex;
    const resend = st.indexes.has(o.clientIndex);
    // A re-send after a lost answer / transient error keeps its index; anything else is new.
    const prevRec = [ctxOf(prev).entry, ...ctxOf(prev).exits].find((x) => x && x.clientIndex === o.clientIndex);
    if (resend && !(prevRec && prevRec.status === 'sending')) out.push(`client index ${o.clientIndex} reused`);
    st.indexes.add(o.clientIndex);
    if (o.type === 'market' && !o.reduceOnly) out.push(`market order ${o.clientIndex} without reduce-only`);
    if (isEntry && (!o.postOnly || o.reduceOnly)) out.push(`entry ${o.clientIndex} is not post-only / is reduce-only`);
    if (!isEntry && o.reduceOnly !== c.reduceOnlyExits) out.push(`exit ${o.clientIndex} reduce-only ${o.reduceOnly} on a grid whose exits are ${c.reduceOnlyExits ? '' : 'not '}reduce-only`);
  }
  // The rest of a partially filled entry is cancelled only when disarmed / suspended or when what
  // filled can be exited alone; it keeps resting only while its exit would be below the minimums.
  const prevC = ctxOf(prev);
  if (top(snap) === 'entryCancelling' && top(prev) !== 'entryCancelling' && !c.disarmed && exitBelowMinimum(c)) out.push(`the rest of entry ${c.entry!.clientIndex} cancelled while ${c.entry!.filled} filled is below the exit minimum`);
  if (top(snap) === 'entryResting' && c.entry && !isTerminal(c.entry) && new Dec(c.entry.filled).gt(0) && !exitBelowMinimum(c)) out.push(`entry ${c.entry.clientIndex} keeps resting with ${c.entry.filled} filled, enough to exit`);
  // idle after an exit only when the venue's exit fills cover the entry's fill.
  if (top(snap) === 'idle' && top(prev) !== 'idle' && prevC.entry && new Dec(prevC.entry.filled).gt(0) && prevC.exits.length > 0) {
    const last = run.delivered.at(-1) as (EventObject & { order?: { cancelReason?: string } }) | undefined;
    // Released by the bot's close, or refused as reduce-only (journaled as a lost leg): no round trip.
    const lost = last?.type === 'level.release' || last?.order?.cancelReason === 'reduce-only';
    const reported = prevC.exits.reduce((a, x) => a.plus(venueReportedFill(run, x.clientIndex)), new Dec(0));
    if (!lost && reported.lt(prevC.entry.filled)) out.push(`idle with venue-reported exit fills ${reported} < entry fill ${prevC.entry.filled}`);
  }
  return out;
}

const suspendProbe: HaltProbe = {
  trigger: (s) => (s.status === 'active' ? [{ type: 'level.suspend', at: ctxOf(s).now + 1_000 } as EventObject] : []),
  next: (s) => {
    const c = ctxOf(s);
    const at = c.now + 1_000;
    if (s.matches({ entryCancelling: 'confirming' }) && c.entry) return { type: 'level.order-updated', order: canceledOrder(c.entry, at, 'by-user'), at, book: c.book } as EventObject;
    const x = currentExit(c);
    if (s.matches({ exitCancelling: 'confirming' }) && x) return { type: 'level.order-updated', order: canceledOrder(x, at, 'by-user'), at, book: c.book } as EventObject;
    return progress(s).find((e) => !e.type.startsWith('level.grant')) ?? progress(s)[0] ?? null;
  },
  ended: (s) => ['idle', 'parked'].includes(top(s)),
  check: (s) => {
    const c = ctxOf(s);
    return c.entry && !isTerminal(c.entry) ? ['an entry still rests'] : [];
  },
  maxSteps: 30,
};

export const levelSuite: MachineSuite = {
  target: levelTarget,
  variants: levelVariants,
  model: { abstract, events, progress },
  invariants,
  limit: 2_000_000,
  halt: suspendProbe,
};
