/**
 * Model of the trailing-grid root (`machines/variants/trailing-grid`): lifecycle (leverage,
 * reconciliation, orphan cleaning, restore) and the round trip (trailing post-only entry,
 * re-peg, partial fill, pause, exit held by the shared position child). The position child is
 * a stub here (it has its own suite): what it tells the root (`position.summary`,
 * `position.closed`) comes from the model as events.
 *
 * Two variants keep the product small: `lifecycle` (every answer of the leverage / reconcile /
 * cleaning requests, restores from every state; the round trip only progresses) and `round
 * trip` (every venue answer and order update of the entry, books that run away, pause /
 * resume, child messages; the lifecycle only progresses).
 *
 * Invariants after every step (real actor): one live entry per slot (a new entry index is sent
 * only after the previous one reached a final status reported by the venue); the entry is a
 * post-only limit order and every market order reduce-only; the orphan cancel never names the
 * live entry; at most one position child; a position is tracked only for size the venue
 * reported filled on the entry; the entry record is released only after its final status.
 * Halt probe: from one snapshot of every abstract state an `operator.pause` is driven to its
 * end (the venue answering favourably), which must leave no resting entry.
 */
import type { EventObject } from 'xstate';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { trailingGridMachine } from '../../machines/variants/trailing-grid/machine.ts';
import type { TrailingGridContext, TrailingGridInput, TrailingGridParams } from '../../machines/variants/trailing-grid/types.ts';
import { isTerminal } from '../../machines/shared/orders.ts';
import type { MarketParams, OrderRecord, PositionSummary } from '../../machines/shared/types.ts';
import { fakeActors, stubChild, type Run, type Target } from './driver.ts';
import type { HaltProbe, MachineSuite, StepCheck, Variant } from './kit.ts';
import { marketOrderViolations } from './position.model.ts';
import type { Snap } from './pure.ts';
import { inventory } from './transitions.ts';
import { MARKET, canceledOrder, doneEv, errorEv, fillOf, filledOrder, half, invokes, partialOrder, position, ticks, unfilled, venueOrder } from './venue-payloads.ts';

const machine = trailingGridMachine.provide({
  actors: { ...fakeActors(['placeOrder', 'cancelOrder', 'queryOrder', 'cancelOrders', 'reconcile', 'setLeverage', 'deadline']), position: stubChild } as never,
  actions: { journal: () => {}, reconciled: () => {} },
});

export const trailingTarget: Target = { name: 'trailing-grid', machine, inv: inventory(machine), asChild: false, scheduled: [] };

const T0 = 1_700_000_000_000;
const SLOT = 1;
const params: TrailingGridParams = {
  direction: 'buy',
  orderSize: '0.1',
  trailPct: '0.1',
  repegPct: '0.05',
  takeProfitPct: '0.2',
  multiplier: 2,
  slippagePct: '2',
  timeoutMs: 3_600_000,
  exitLifetimeMs: 28 * 86_400_000,
  exitRefreshLeadMs: 86_400_000,
  retrySpacingMs: 250,
};
const market: MarketParams = { symbol: MARKET, tick: '0.01', step: '0.001', minBase: '0.001', minQuote: '1', maxLeverage: 20, maxLifetimeMs: 30 * 86_400_000 };
const input: TrailingGridInput = { params, market, slot: SLOT, leverage: 5, now: T0, nextN: 3 };

/** normal: the entry rests at 99.90; away: the bid ran 0.5 % up (a buy entry must follow). */
const BOOKS = { normal: { bid: '100', ask: '100.02' }, away: { bid: '100.5', ask: '100.52' } };
type BookKind = keyof typeof BOOKS;
const bookKind = (c: TrailingGridContext) => (c.book ? (Object.entries(BOOKS).find(([, b]) => b.bid === c.book!.bid)?.[0] ?? 'other') : '-');
const bbo = (kind: BookKind, at: number): EventObject => ({ type: 'market.bbo', bbo: { market: MARKET, ...BOOKS[kind], time: at }, at }) as EventObject;

const ctxOf = (s: Snap) => s.context as TrailingGridContext;

type Mode = 'lifecycle' | 'trip' | 'all';
type ReportKind = 'empty' | 'orphan' | 'foreign' | 'entry-open' | 'entry-filled' | 'entry-canceled';

/** A reconciliation report as the venue would give it, optionally carrying the tracked entry's status. */
function report(c: TrailingGridContext, at: number, kind: ReportKind, withBook = true) {
  const orders: unknown[] = [];
  const fills: unknown[] = [];
  let size = c.position ? c.position.remaining : '0';
  if (kind === 'orphan') {
    // A take-profit of a round trip this run no longer owns, still resting.
    orders.push({ market: MARKET, clientIndex: encodeClientIndex(SLOT, 1, role.close()), side: 'sell', type: 'limit', price: '101', size: '0.1', filledSize: '0', status: 'open', reduceOnly: true, timeInForce: 'post-only', createdAt: at - 60_000, updatedAt: at - 60_000 });
  }
  if (kind === 'foreign') {
    // An entry of a round trip ahead of nextN (a store that lost writes), finished.
    const idx = encodeClientIndex(SLOT, 9, role.entry());
    orders.push({ market: MARKET, clientIndex: idx, side: 'buy', type: 'limit', price: '99.9', size: '0.1', filledSize: '0', status: 'canceled', cancelReason: 'by-user', reduceOnly: false, timeInForce: 'post-only', createdAt: at - 60_000, updatedAt: at - 30_000 });
  }
  const e = c.entry;
  if (e && !isTerminal(e)) {
    if (kind === 'entry-open') orders.push(venueOrder(e, { status: 'open', updatedAt: at - 1 }));
    if (kind === 'entry-canceled') orders.push(canceledOrder(e, at - 1, 'by-user'));
    if (kind === 'entry-filled') {
      orders.push(filledOrder(e, at - 1));
      const rest = unfilled(e);
      fills.push(fillOf(e, rest, at - 1));
      size = new Dec(size).plus(rest).toFixed();
    }
  }
  return { market: MARKET, time: at, orders, fills, position: position(size, '99.9'), ...(withBook ? { bbo: { market: MARKET, ...BOOKS.normal, time: at } } : {}) };
}

function reportKinds(c: TrailingGridContext): ReportKind[] {
  const out: ReportKind[] = ['empty', 'orphan', 'foreign'];
  if (c.entry && !isTerminal(c.entry)) out.push('entry-open', 'entry-filled', 'entry-canceled');
  return out;
}

/** Answers of the pending requests; `full`: every kind, else only the favourable one. */
function answers(s: Snap, full: (src: string) => boolean, favourable = false): EventObject[] {
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const out: EventObject[] = [];
  const e = c.entry;
  for (const inv of invokes(s)) {
    const alts: EventObject[] = [];
    switch (inv.src) {
      case 'setLeverage':
        alts.push(doneEv(inv.id, { leverage: inv.input.leverage, at }), errorEv(inv.id, 'unavailable'));
        break;
      case 'reconcile':
        alts.push(doneEv(inv.id, report(c, at, 'empty')), errorEv(inv.id, 'unavailable'));
        for (const k of reportKinds(c).slice(1)) alts.push(doneEv(inv.id, report(c, at, k)));
        break;
      case 'cancelOrders':
        alts.push(doneEv(inv.id, { at, clientIndex: 0 }), errorEv(inv.id, 'unavailable'));
        break;
      case 'placeOrder': {
        const o = inv.input.order as OrderRecord;
        alts.push(doneEv(inv.id, { at, clientIndex: o.clientIndex }), errorEv(inv.id, 'rate-limited'), errorEv(inv.id, 'rejected'), errorEv(inv.id, 'outcome-unknown'), errorEv(inv.id, 'duplicate-client-index'));
        break;
      }
      case 'cancelOrder':
        alts.push(doneEv(inv.id, { at, clientIndex: inv.input.clientIndex }), errorEv(inv.id, 'not-active'), errorEv(inv.id, 'unavailable'));
        break;
      case 'queryOrder': {
        const rec = e && e.clientIndex === inv.input.clientIndex ? e : null;
        // Favourable: the final status (the cancel went through / the order never rested).
        if (rec) alts.push(doneEv(inv.id, { order: canceledOrder(rec, at, 'by-user'), fills: [], at }));
        alts.push(doneEv(inv.id, { order: null, fills: [], at }), errorEv(inv.id, 'unavailable'));
        if (rec) alts.push(doneEv(inv.id, { order: venueOrder(rec, { status: 'open', updatedAt: at }), fills: [], at }), doneEv(inv.id, { order: filledOrder(rec, at), fills: [], at }));
        break;
      }
    }
    out.push(...(!favourable && full(inv.src) ? alts : alts.slice(0, 1)));
  }
  return out;
}

const LIFECYCLE_SRCS = ['setLeverage', 'reconcile', 'cancelOrders'];

function summary(c: TrailingGridContext, state: string): PositionSummary {
  const p = c.position!;
  return { ...p, state, exit: { clientIndex: encodeClientIndex(SLOT, p.n, role.close()), price: '100.1', type: 'limit', status: 'open', size: p.size }, exitAccepted: true };
}

/** The entry's own updates and fills, as the venue reports them. */
function entryEvents(c: TrailingGridContext, at: number): EventObject[] {
  const e = c.entry;
  if (!e || isTerminal(e) || e.status === 'sending') return [];
  const out = [
    { type: 'order.updated', order: venueOrder(e, { status: 'open', updatedAt: at }), at },
    { type: 'order.updated', order: filledOrder(e, at), at },
    { type: 'order.updated', order: canceledOrder(e, at, 'post-only'), at },
    { type: 'order.filled', fill: fillOf(e, unfilled(e), at), at },
  ] as unknown as EventObject[];
  if (new Dec(e.filled).isZero()) {
    out.push({ type: 'order.updated', order: partialOrder(e, at), at } as EventObject);
    out.push({ type: 'order.filled', fill: fillOf(e, half(e.size), at), at } as EventObject);
  }
  return out;
}

function eventsFor(mode: Mode) {
  return (s: Snap): EventObject[] => {
    if (s.status !== 'active') return [];
    const c = ctxOf(s);
    const at = c.now + 1_000;
    const full = (src: string) => mode === 'all' || (mode === 'lifecycle') === LIFECYCLE_SRCS.includes(src);
    const out: EventObject[] = [...answers(s, full), ...ticks(s)];
    if (s.matches('starting')) out.push({ type: 'bot.start', at } as EventObject);
    if (mode !== 'trip') {
      out.push({ type: 'bot.restored', at, params: c.params, market: c.market, leverage: c.leverage } as EventObject);
      out.push({ type: 'venue.down', reason: 'socket closed', at } as EventObject, { type: 'venue.up', at } as EventObject);
      out.push({ type: 'position.updated', position: position(c.position ? c.position.remaining : '0.1', '99.9'), at } as EventObject);
      if (s.matches('trading')) out.push({ type: 'venue.caught-up', report: report(c, at, c.entry && !isTerminal(c.entry) ? 'entry-filled' : 'empty', false), at } as EventObject);
    }
    if (mode !== 'lifecycle') {
      if (c.trading) out.push(bbo('normal', at), bbo('away', at));
      out.push(...entryEvents(c, at));
      out.push(c.operatorPaused ? ({ type: 'operator.resume', at } as EventObject) : ({ type: 'operator.pause', at } as EventObject));
    }
    if (c.position) {
      out.push({ type: 'position.summary', summary: summary(c, 'exitResting') } as EventObject);
      // The child closes only once its entry ended (while the entry may still fill it waits in `flat`).
      if (!restingEntry(c)) out.push({ type: 'position.closed', n: c.position.n, realizedPnl: '0.02', reason: 'closed' } as EventObject);
    }
    return out;
  };
}

function progress(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const c = ctxOf(s);
  const out = [...answers(s, () => false, true), ...ticks(s)];
  if (s.matches('starting')) out.push({ type: 'bot.start', at: c.now + 1_000 } as EventObject);
  return out;
}

const entryKey = (c: TrailingGridContext) => (c.entry ? `${c.entry.status}${new Dec(c.entry.filled).gt(0) ? (new Dec(c.entry.filled).lt(c.entry.size) ? ':p' : ':f') : ''}${new Dec(c.entry.tracked).gt(0) ? ':t' : ''}` : '-');

function abstract(s: Snap): string {
  const c = ctxOf(s);
  return JSON.stringify([s.status, s.value, entryKey(c), c.position ? 1 : 0, c.orphans.length > 0, c.operatorPaused, bookKind(c), Math.min(c.sendErrors, 2)]);
}

const tracked = new WeakMap<Run, { seen: WeakSet<object>; market: WeakSet<object>; lastEntry: number | null; sent: Set<number>; entryDone: Set<number>; reportedFilled: Map<number, string> }>();

/** Filled size of an entry the venue reported in the events delivered so far (updates, fills, answers). */
function noteVenueReports(ev: EventObject, st: { entryDone: Set<number>; reportedFilled: Map<number, string> }) {
  const orders: Array<{ clientIndex: number; filledSize: string; status: string }> = [];
  const fills: Array<{ clientIndex: number; size: string; tradeId: string }> = [];
  const e = ev as any;
  if (ev.type === 'order.updated') orders.push(e.order);
  if (ev.type === 'order.filled') fills.push(e.fill);
  if (ev.type === 'venue.caught-up') orders.push(...e.report.orders), fills.push(...e.report.fills);
  if (ev.type.startsWith('xstate.done.actor.') && e.output) {
    if (Array.isArray(e.output.orders)) orders.push(...e.output.orders), fills.push(...e.output.fills);
    if (e.output.order) orders.push(e.output.order);
  }
  for (const o of orders) {
    if (['filled', 'canceled', 'expired'].includes(o.status)) st.entryDone.add(o.clientIndex);
    const was = st.reportedFilled.get(o.clientIndex) ?? '0';
    if (new Dec(o.filledSize).gt(was)) st.reportedFilled.set(o.clientIndex, o.filledSize);
  }
  for (const f of fills) {
    const was = st.reportedFilled.get(f.clientIndex) ?? '0';
    // Fills here are cumulative by trade id (T<idx>-<cumulative>).
    const cum = f.tradeId.split('-').at(-1)!;
    if (new Dec(cum).gt(was)) st.reportedFilled.set(f.clientIndex, cum);
  }
}

function invariants({ snap, prev, event, run }: StepCheck): string[] {
  const c = ctxOf(snap);
  const p = ctxOf(prev);
  const out: string[] = [];
  let st = tracked.get(run);
  if (!st) tracked.set(run, (st = { seen: new WeakSet(), market: new WeakSet(), lastEntry: null, sent: new Set(), entryDone: new Set(), reportedFilled: new Map() }));
  noteVenueReports(event, st);
  out.push(...marketOrderViolations(run, st.market));
  for (const r of run.requests) {
    if (st.seen.has(r)) continue;
    st.seen.add(r);
    if (r.src === 'cancelOrders' && c.entry && !isTerminal(c.entry) && (r.input.clientIndexes as number[]).includes(c.entry.clientIndex)) out.push(`the orphan cancel names the live entry ${c.entry.clientIndex}`);
    if (r.src !== 'placeOrder') continue;
    const o = r.input.order as OrderRecord;
    const d = decodeClientIndex(o.clientIndex)!;
    if (d.slot !== SLOT || d.role.kind !== 'entry') out.push(`the root sent ${o.clientIndex}, not an entry of slot ${SLOT}`);
    if (o.type !== 'limit' || !o.postOnly || o.reduceOnly) out.push(`entry ${o.clientIndex} is not a post-only limit order`);
    // One live entry per slot: a new index only once the previous one's final status was reported.
    if (st.lastEntry !== null && st.lastEntry !== o.clientIndex && !st.entryDone.has(st.lastEntry)) out.push(`entry ${o.clientIndex} sent while entry ${st.lastEntry} may still rest`);
    // A client index is never reused by another round trip; its n comes from the durable counter.
    if (st.lastEntry !== o.clientIndex && st.sent.has(o.clientIndex)) out.push(`client index ${o.clientIndex} reused for a new entry`);
    if (d.n >= c.nextN) out.push(`entry n ${d.n} sent while nextN is ${c.nextN} (not write-ahead)`);
    st.sent.add(o.clientIndex);
    st.lastEntry = o.clientIndex;
  }
  // A placeOrder that created nothing (rejected / nothing at query) leaves no live order either.
  if (p.entry && c.entry?.clientIndex === p.entry.clientIndex && p.entry.status === 'sending' && c.entry.status === 'canceled') st.entryDone.add(c.entry.clientIndex);
  if (c.nextN < p.nextN) out.push(`nextN went back from ${p.nextN} to ${c.nextN}`);
  const children = Object.keys(snap.children).filter((k) => k.startsWith('position:'));
  if (children.length > 1) out.push(`${children.length} position children live: ${children.join(', ')}`);
  if (c.position) {
    if (children.length !== 1 || children[0] !== `position:${c.position.n}`) out.push(`position ${c.position.n} tracked without its child (children: ${children.join(', ') || 'none'})`);
    const e = c.entry;
    const reported = e ? (st.reportedFilled.get(e.clientIndex) ?? '0') : null;
    if (!p.position && (!e || e.n !== c.position.n || new Dec(c.position.size).gt(reported!))) out.push(`position ${c.position.n} of ${c.position.size} tracked, but the venue reported ${reported ?? 'no'} fill on its entry`);
  }
  // The entry record is released only once the venue reported its final status (or it was never created).
  if (p.entry && !c.entry && !isTerminal(p.entry) && !st.entryDone.has(p.entry.clientIndex)) out.push(`entry ${p.entry.clientIndex} released while ${p.entry.status}, no final status reported`);
  return out;
}

/** Resting: live on the venue as far as the machine knows (sent, open or being cancelled). */
const restingEntry = (c: TrailingGridContext) => c.entry !== null && !isTerminal(c.entry);

const haltProbe: HaltProbe = {
  trigger: (s) => [{ type: 'operator.pause', at: ctxOf(s).now + 1_000 } as EventObject],
  next: (s) => {
    const c = ctxOf(s);
    if (s.matches('starting')) return { type: 'bot.start', at: c.now + 1_000 } as EventObject;
    return answers(s, () => false, true)[0] ?? ticks(s)[0] ?? null;
  },
  ended: (s) => (s.matches({ trading: 'idle' }) || s.matches({ trading: 'holding' })) && !restingEntry(ctxOf(s)),
  check: (s) => {
    const c = ctxOf(s);
    const out: string[] = [];
    if (restingEntry(c)) out.push(`an entry still rests (${c.entry!.status})`);
    if (!c.operatorPaused) out.push('not paused');
    if (Object.keys(s.children).some((k) => !k.startsWith('position:'))) out.push(`requests still pending: ${Object.keys(s.children).join(', ')}`);
    return out;
  },
  maxSteps: 30,
};

export const trailingVariants: Variant[] = [
  { label: 'lifecycle', input, events: eventsFor('lifecycle'), abstract },
  { label: 'round trip', input, events: eventsFor('trip'), abstract },
];

export const trailingSuite: MachineSuite = {
  target: trailingTarget,
  variants: trailingVariants,
  model: { abstract, events: eventsFor('all'), progress },
  invariants,
  limit: 2_000_000,
  halt: haltProbe,
};
