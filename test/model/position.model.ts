/**
 * Model of the position child (`machines/position`): input variants, the abstraction the
 * graph traversal uses, realistic events per state, invariants and the retire probe.
 *
 * Invariants checked after every step (real actor):
 * - one live order for the position's exit slot: the exit and ladder legs are never live
 *   together, and at most one exit record is live;
 * - every market order is reduce-only and never larger than what remains;
 * - offsets only widen: close-retry-k are sent in increasing k, priced at least
 *   k × tick × multiplier beyond the touch and never inside the take-profit;
 * - `closed` only after the venue reported exit fills summing to the size (updates, fills or
 *   query answers delivered to it), and with nothing live;
 * - `retired` with nothing live.
 */
import type { EventObject } from 'xstate';
import { decodeClientIndex } from '../../src/domain/client-index.ts';
import { Dec, type DecValue } from '../../src/domain/decimal.ts';
import { positionMachine } from '../../machines/position/machine.ts';
import { liveOrders, remainingOf } from '../../machines/position/logic.ts';
import type { PositionContext, PositionInput, PositionParams } from '../../machines/position/types.ts';
import { isTerminal, newOrderRecord } from '../../machines/shared/orders.ts';
import type { OrderRecord } from '../../machines/shared/types.ts';
import { role } from '../../src/domain/client-index.ts';
import { fakeActors, type Run, type Target } from './driver.ts';
import type { HaltProbe, MachineSuite, StepCheck, Variant } from './kit.ts';
import type { Snap } from './pure.ts';
import { inventory } from './transitions.ts';
import { MARKET, canceledOrder, doneEv, errorEv, fillOf, filledOrder, half, invokes, partialOrder, ticks, unfilled, venueOrder } from './venue-payloads.ts';

const machine = positionMachine.provide({
  actors: fakeActors(['placeOrder', 'cancelOrder', 'queryOrder', 'cancelOrders', 'queryOrders', 'deadline']) as never,
  actions: { journal: () => {} },
});

export const positionTarget: Target = { name: 'position', machine, inv: inventory(machine), asChild: true, scheduled: [] };

const T0 = 1_700_000_000_000;
const params = (over: Partial<PositionParams> = {}): PositionParams => ({
  market: MARKET,
  slot: 1,
  direction: 'buy',
  tick: '0.01',
  step: '0.001',
  multiplier: 1,
  slippagePct: '0.5',
  boost: false,
  exitLifetimeMs: 3_600_000,
  exitRefreshLeadMs: 60_000,
  retrySpacingMs: 250,
  timeoutMs: 600_000,
  recoveryMode: 'aggressive',
  ...over,
});

const input = (p: Partial<PositionParams> = {}, over: Partial<PositionInput> = {}): PositionInput => ({
  n: 3,
  params: params(p),
  size: '0.01',
  entryPrice: '100',
  tpPrice: '100.5',
  now: T0,
  book: { bid: '100', ask: '100.02' },
  venueSize: '0.01',
  ...over,
});

/** An exit found on the venue at restart (adoption). */
const adoptedExit: OrderRecord = {
  ...newOrderRecord({ slot: 1, n: 3, role: role.close(), side: 'sell', type: 'limit', price: '100.5', size: '0.01', reduceOnly: true, postOnly: true, sentAt: T0 - 5_000, expiresAt: T0 + 3_595_000 }),
  status: 'open',
  acceptedAt: T0 - 5_000,
};

const top = (s: Snap) => (typeof s.value === 'string' ? s.value : Object.keys(s.value)[0]);
const inStates = (...names: string[]) => (s: Snap) => names.includes(top(s));

/**
 * aggressive: the full alphabet everywhere. The other variants differ in one decision; they
 * get the full alphabet only around it (elsewhere the venue answers favourably).
 */
/**
 * Directed walks through a client-index role budget (64 refreshes / 64 market exits): the venue
 * answers favourably except for the one answer that uses up a role, and the abstraction counts
 * the roles used, so the shortest path reaches `exhausted`.
 */
function budgetWalk(kind: 'refresh' | 'market') {
  const abstract = (s: Snap) => JSON.stringify([s.value, s.status, ctxOf(s).refreshes, ctxOf(s).marketAttempts, ctxOf(s).exit?.status ?? '-']);
  const events = (s: Snap): EventObject[] => {
    if (s.status !== 'active') return [];
    const p = progress(s);
    if (kind === 'refresh' && s.matches('exitResting')) return p.filter((e) => (e as { name?: string }).name === 'refresh');
    if (kind === 'market' && s.matches({ marketFallback: 'sending' })) return answers(s).filter((e) => (e as { error?: { kind?: string } }).error?.kind === 'rejected');
    return p;
  };
  return { abstract, events };
}

export const positionVariants: Variant[] = [
  { label: 'aggressive', input: input() },
  { label: 'ladder', input: input({ recoveryMode: 'ladder' }), focus: inStates('exitResting', 'ladder', 'cancelling'), halt: false },
  { label: 'none', input: input({ recoveryMode: 'none' }), focus: inStates('exitResting'), halt: false },
  { label: 'hedge (short grid)', input: input({ recoveryMode: 'hedge', direction: 'sell' }, { tpPrice: '99.5', venueSize: '0.01' }), focus: inStates('exitResting', 'exitCanceled', 'placingExit'), halt: false },
  { label: 'boost', input: input({ boost: true }), focus: inStates('marketFallback'), halt: false },
  { label: 'adopted exit', input: input({}, { exit: adoptedExit }), focus: inStates('exitResting'), halt: false },
  { label: 'entry open', input: input({}, { entryOpen: true }), focus: inStates('exitResting', 'flat', 'placingExit'), halt: false },
  { label: '64 refreshes', input: input(), ...budgetWalk('refresh'), halt: false, targetedOnly: true },
  { label: '64 market exits', input: input({ boost: true }), ...budgetWalk('market'), halt: false, targetedOnly: true },
];

const ctxOf = (s: Snap) => s.context as PositionContext;

/** Orders of the position that may still trade: not terminal and not completely filled. */
const openOrders = (c: PositionContext) => liveOrders(c).filter((o) => new Dec(o.filled).lt(o.size));

/**
 * The abstraction: the state value plus, per state, only the context facts its guards and
 * deadlines read (the repost counter in the repost cycle, the continuation while cancelling,
 * ladder leg statuses in the ladder…), so the graph stays small.
 */
function abstract(s: Snap): string {
  const c = ctxOf(s);
  const v = s.value as string | Record<string, string>;
  const top = typeof v === 'string' ? v : Object.keys(v)[0];
  const x = c.exit ? `${c.exit.type}:${c.exit.status}` : '-';
  const rz = new Dec(remainingOf(c)).isZero();
  const facts: unknown[] = [s.status, v, x, rz, c.entryOpen];
  if (top === 'exitResting' || top === 'exitCanceled' || top === 'placingExit' || top === 'placeBackoff')
    facts.push(c.afterCancel === null && c.recoveryStage === null ? Math.min(c.failures, 4) : 'r', c.resizePending, c.refreshPending, c.recoveryDetected);
  if (top === 'cancelling') facts.push(c.afterCancel, liveOrders(c).length);
  if (top === 'ladder') facts.push(c.ladder.map((o) => o.status));
  return JSON.stringify(facts);
}

/** Answers of the venue to each pending request, realistic for the request's input. */
function answers(s: Snap): EventObject[] {
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const own = (idx: number) => [c.exit, ...c.ladder].find((o) => o && o.clientIndex === idx) ?? null;
  const out: EventObject[] = [];
  for (const inv of invokes(s)) {
    switch (inv.src) {
      case 'placeOrder': {
        const order = inv.input.order as OrderRecord;
        out.push(doneEv(inv.id, { at, clientIndex: order.clientIndex }));
        for (const kind of ['rate-limited', 'rejected', 'outcome-unknown', 'duplicate-client-index'] as const) out.push(errorEv(inv.id, kind));
        break;
      }
      case 'cancelOrders':
        out.push(doneEv(inv.id, { at }), errorEv(inv.id, 'unavailable'));
        break;
      case 'queryOrder': {
        const rec = own(inv.input.clientIndex);
        out.push(doneEv(inv.id, { order: null, fills: [], at }), errorEv(inv.id, 'unavailable'));
        if (rec) {
          out.push(doneEv(inv.id, { order: venueOrder(rec, { status: 'open', updatedAt: at }), fills: [], at }));
          out.push(doneEv(inv.id, { order: filledOrder(rec, at), fills: [], at }));
          out.push(doneEv(inv.id, { order: canceledOrder(rec, at, 'expired'), fills: [], at }));
        }
        break;
      }
      case 'queryOrders': {
        const recs = (inv.input.clientIndexes as number[]).map(own).filter((o): o is OrderRecord => o !== null);
        out.push(doneEv(inv.id, { orders: recs.map((o) => canceledOrder(o, at, 'by-user')), missing: [], at }));
        out.push(doneEv(inv.id, { orders: [], missing: inv.input.clientIndexes, at }));
        out.push(doneEv(inv.id, { orders: recs.map((o) => venueOrder(o, { status: 'open', updatedAt: at })), missing: [], at }));
        out.push(doneEv(inv.id, { orders: recs.map((o) => filledOrder(o, at)), missing: [], at }));
        out.push(errorEv(inv.id, 'unavailable'));
        break;
      }
    }
  }
  return out;
}

/** The first (favourable) answer of each pending request, and the ticks. */
function progress(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const seen = new Set<string>();
  const first = answers(s).filter((e) => {
    const id = e.type.replace(/^xstate\.(done|error)\.actor\./, '');
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  return [...first, ...ticks(s)];
}

function events(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const envp = { at, book: c.book, venueSize: c.venueSize };
  const out: EventObject[] = [...answers(s), ...ticks(s)];
  const x = c.exit;
  if (x && !isTerminal(x)) {
    out.push({ type: 'position.order-updated', order: venueOrder(x, { status: 'open', updatedAt: at }), ...envp } as EventObject);
    out.push({ type: 'position.order-updated', order: filledOrder(x, at), ...envp } as EventObject);
    out.push({ type: 'position.order-updated', order: canceledOrder(x, at, x.type === 'market' ? 'ioc-unfilled' : 'post-only'), ...envp } as EventObject);
    if (new Dec(x.filled).isZero()) out.push({ type: 'position.order-updated', order: partialOrder(x, at), ...envp } as EventObject);
    out.push({ type: 'position.fill', fill: fillOf(x, unfilled(x), at), ...envp } as EventObject);
    if (new Dec(x.filled).isZero()) out.push({ type: 'position.fill', fill: fillOf(x, half(x.size), at), ...envp } as EventObject);
  }
  // A late fill of an exit that already ended (the fills stream lags the order stream).
  if (x && isTerminal(x) && new Dec(x.filled).lt(x.size)) out.push({ type: 'position.fill', fill: fillOf(x, unfilled(x), at), ...envp } as EventObject);
  const leg = c.ladder.find((o) => !isTerminal(o));
  if (leg) {
    out.push({ type: 'position.order-updated', order: filledOrder(leg, at), ...envp } as EventObject);
    out.push({ type: 'position.order-updated', order: canceledOrder(leg, at, 'expired'), ...envp } as EventObject);
  }
  if (c.size === '0.01') out.push({ type: 'position.size', size: '0.02', entryPrice: '99.99', ...envp } as EventObject);
  if (c.entryOpen) out.push({ type: 'position.entry-done', ...envp } as EventObject);
  out.push({ type: 'position.retire', reason: 'venue position smaller than tracked', ...envp } as EventObject);
  out.push({ type: 'position.suspend', ...envp } as EventObject);
  if (s.matches('suspended')) out.push({ type: 'position.unsuspend', ...envp } as EventObject);
  out.push({ type: 'position.market', ...envp, book: { bid: '99.5', ask: '99.52' }, venueSize: '0.005' } as EventObject);
  return out;
}

/** Σ exit fills the venue reported for this position: per index max(cumulative filled, Σ distinct fills). */
export function venueReportedExitFills(run: Run, n: number): DecValue {
  const cum = new Map<number, DecValue>();
  const fills = new Map<number, Map<string, string>>();
  const seeOrder = (o: { clientIndex: number; filledSize: string } | null | undefined) => {
    if (!o) return;
    const d = decodeClientIndex(o.clientIndex);
    if (!d || d.n !== n || d.role.kind === 'entry') return;
    const prev = cum.get(o.clientIndex) ?? new Dec(0);
    if (new Dec(o.filledSize).gt(prev)) cum.set(o.clientIndex, new Dec(o.filledSize));
  };
  for (const ev of run.delivered as Array<EventObject & Record<string, any>>) {
    if (ev.type === 'position.order-updated') seeOrder(ev.order);
    else if (ev.type === 'position.fill') {
      const d = decodeClientIndex(ev.fill.clientIndex);
      if (!d || d.n !== n) continue;
      const m = fills.get(ev.fill.clientIndex) ?? new Map<string, string>();
      m.set(ev.fill.tradeId, ev.fill.size);
      fills.set(ev.fill.clientIndex, m);
    } else if (ev.type.startsWith('xstate.done.actor.') && ev.output) {
      seeOrder(ev.output.order);
      for (const o of ev.output.orders ?? []) seeOrder(o);
    }
  }
  let total = new Dec(0);
  for (const idx of new Set([...cum.keys(), ...fills.keys()])) {
    const sum = [...(fills.get(idx)?.values() ?? [])].reduce((a, v) => a.plus(v), new Dec(0));
    const c = cum.get(idx) ?? new Dec(0);
    total = total.plus(c.gt(sum) ? c : sum);
  }
  return total;
}

/** Market orders reduce-only and no larger than `cap` (invariant shared with the roots). */
export function marketOrderViolations(run: Run, seen: WeakSet<object>): string[] {
  const out: string[] = [];
  for (const r of run.requests) {
    if (r.src !== 'placeOrder' || seen.has(r)) continue;
    seen.add(r);
    const o = r.input.order as OrderRecord;
    if (o.type === 'market' && !o.reduceOnly) out.push(`market order ${o.clientIndex} sent without reduce-only`);
  }
  return out;
}

const checked = new WeakMap<Run, { market: WeakSet<object>; retries: number[]; closedChecked: boolean; sizedRequests: WeakSet<object> }>();

function invariants({ snap, run }: StepCheck): string[] {
  const c = ctxOf(snap);
  const out: string[] = [];
  let st = checked.get(run);
  if (!st) checked.set(run, (st = { market: new WeakSet(), retries: [], closedChecked: false, sizedRequests: new WeakSet() }));
  // One live order for the exit slot.
  const open = openOrders(c);
  const liveExit = c.exit !== null && open.includes(c.exit);
  const liveLegs = c.ladder.filter((o) => open.includes(o));
  if (liveExit && liveLegs.length > 0) out.push(`exit ${c.exit!.clientIndex} and ${liveLegs.length} ladder leg(s) live together`);
  if (new Set(liveOrders(c).map((o) => o.clientIndex)).size !== liveOrders(c).length) out.push('two live records share a client index');
  // Market orders: reduce-only, sized within what remains; limit exits reduce-only too.
  out.push(...marketOrderViolations(run, st.market));
  for (const r of run.requests) {
    if (r.src !== 'placeOrder' || st.sizedRequests.has(r)) continue;
    st.sizedRequests.add(r);
    const o = r.input.order as OrderRecord;
    if (!o.reduceOnly) out.push(`exit ${o.clientIndex} sent without reduce-only`);
    if (new Dec(o.size).gt(c.size)) out.push(`exit ${o.clientIndex} of ${o.size} exceeds the position size ${c.size}`);
    const d = decodeClientIndex(o.clientIndex)!;
    if (d.role.kind === 'close-retry') {
      const k = d.role.seq;
      const last = st.retries.at(-1);
      if (last !== k) {
        if (last !== undefined && k <= last) out.push(`close-retry-${k} sent after close-retry-${last}: offsets must only widen`);
        st.retries.push(k);
        const offset = new Dec(c.params.tick).times(c.params.multiplier).times(k);
        const book = c.book!;
        const sell = o.side === 'sell';
        const beyond = sell ? new Dec(o.price).minus(book.bid) : new Dec(book.ask).minus(o.price);
        const insideTp = sell ? new Dec(o.price).lt(c.tpPrice) : new Dec(o.price).gt(c.tpPrice);
        if (insideTp) out.push(`close-retry-${k} at ${o.price} is inside the take-profit ${c.tpPrice}`);
        if (beyond.lt(offset) && !new Dec(o.price).eq(c.tpPrice)) out.push(`close-retry-${k} at ${o.price} is ${beyond} from the touch, less than k × tick × multiplier = ${offset}`);
      }
    }
  }
  // closed only after the venue reported exit fills for the whole size.
  if (snap.value === 'closed' && !st.closedChecked) {
    st.closedChecked = true;
    const reported = venueReportedExitFills(run, c.n);
    if (reported.lt(c.size)) out.push(`closed with venue-reported exit fills ${reported} < size ${c.size}`);
    if (!new Dec(remainingOf(c)).isZero()) out.push(`closed with ${remainingOf(c)} remaining`);
    if (openOrders(c).length > 0) out.push('closed with a live order');
  }
  if (snap.value === 'retired' && openOrders(c).length > 0) out.push('retired with a live order');
  return out;
}

/** Retire from any state: the venue answers favourably until the child is final. */
const retireProbe: HaltProbe = {
  trigger: (s) => (s.status === 'active' ? [{ type: 'position.retire', reason: 'stop-price', at: ctxOf(s).now + 1_000, book: ctxOf(s).book, venueSize: ctxOf(s).venueSize } as EventObject] : []),
  next: (s) => {
    const evs = [...answers(s), ...ticks(s)];
    const pick = (p: (e: EventObject & Record<string, any>) => boolean) => evs.find((e) => p(e as never));
    return (
      pick((e) => e.type.startsWith('xstate.done.actor.') && (e.output?.orders ? e.output.orders.every((o: { status: string }) => o.status === 'canceled') && e.output.missing.length === 0 : e.output?.order === undefined || e.output.order === null)) ??
      pick((e) => e.type === 'tick') ??
      null
    );
  },
  ended: (s) => s.status !== 'active',
  check: (s) => (openOrders(ctxOf(s)).length > 0 ? ['an exit order is still live'] : []),
  maxSteps: 40,
};

export const positionSuite: MachineSuite = {
  target: positionTarget,
  variants: positionVariants,
  model: { abstract, events, progress },
  invariants,
  limit: 2_000_000,
  simple: { max: 40, limit: 200_000, coarse: (s) => JSON.stringify(s.value) },
  halt: retireProbe,
};
