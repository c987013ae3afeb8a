/**
 * Model of the grid root (`machines/grid`): lifecycle, entry cycle and risk regions of one
 * parallel machine. Position children are stubs here (the position child has its own suite);
 * what children tell the root (`position.summary`, `exit.accepted`, `position.closed`) comes
 * from the model as events.
 *
 * The three regions multiply, so the variants focus: `lifecycle` (no book: the entry cycle
 * stays idle), `entry cycle` (the lifecycle answers favourably, no risk triggers) and `risk`
 * (stop price, stop-loss, flatten, cancel-all, resume; the entry only progresses).
 *
 * Invariants after every step (real actor): one entry in flight (a new entry index is sent
 * only after the previous entry reached a final status); the whole-bot close is sent only
 * when no entry is in flight and is reduce-only; every market order is reduce-only; the risk
 * region retires positions only after the venue reported a flat position. Halt probe: from
 * one snapshot of every abstract state an operator flatten is driven to its end, which must be
 * `halted` with no resting entry.
 */
import type { EventObject } from 'xstate';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { gridMachine } from '../../machines/grid/machine.ts';
import type { GridContext, GridInput } from '../../machines/grid/types.ts';
import { isTerminal } from '../../machines/shared/orders.ts';
import type { GridParams, MarketParams, OrderRecord, PositionSummary } from '../../machines/shared/types.ts';
import { fakeActors, stubChild, type Run, type Target } from './driver.ts';
import type { HaltProbe, MachineSuite, StepCheck, Variant } from './kit.ts';
import { marketOrderViolations } from './position.model.ts';
import type { Snap } from './pure.ts';
import { inventory } from './transitions.ts';
import { MARKET, canceledOrder, doneEv, errorEv, fillOf, filledOrder, half, invokes, partialOrder, position, ticks, unfilled, venueOrder } from './venue-payloads.ts';

const machine = gridMachine.provide({
  actors: { ...fakeActors(['placeOrder', 'cancelOrder', 'queryOrder', 'cancelOrders', 'reconcile', 'queryPosition', 'setLeverage', 'deadline']), position: stubChild } as never,
  actions: { journal: () => {}, reconciled: () => {} },
});

export const gridTarget: Target = { name: 'grid', machine, inv: inventory(machine), asChild: false, scheduled: ['reconcile.check'] };

const T0 = 1_700_000_000_000;
const params: GridParams = {
  direction: 'buy',
  notionalUsd: '10',
  takeProfitPct: '0.5',
  basis: 'price',
  gridStepPct: '0',
  maxOrders: 2,
  waitTimeSec: '30',
  maxMarginUsd: '1000',
  stopLossEnabled: true,
  stopLossPct: '5',
  timeoutMs: 600_000,
  recoveryMode: 'aggressive',
  multiplier: 1,
  boost: false,
  slippagePct: '0.5',
  pausePrice: '120',
  stopPrice: '80',
  exitLifetimeMs: 3_600_000,
  exitRefreshLeadMs: 60_000,
  retrySpacingMs: 250,
  reconcileEveryMs: 60_000,
};
const market: MarketParams = { symbol: MARKET, tick: '0.01', step: '0.001', minBase: '0.001', minQuote: '1', maxLeverage: 20, maxLifetimeMs: 30 * 86_400_000 };
const input: GridInput = { params, market, slot: 1, leverage: 5, now: T0, nextN: 5 };

const BOOKS = {
  normal: { bid: '100', ask: '100.02' },
  paused: { bid: '121', ask: '121.02' },
  stopLoss: { bid: '94', ask: '94.02' },
  stopPrice: { bid: '79', ask: '79.02' },
};
type BookKind = keyof typeof BOOKS;
const bookKind = (c: GridContext) => (c.book ? (Object.entries(BOOKS).find(([, b]) => b.bid === c.book!.bid)?.[0] ?? 'other') : null);

const ctxOf = (s: Snap) => s.context as GridContext;
const bbo = (kind: BookKind, at: number): EventObject => ({ type: 'market.bbo', bbo: { market: MARKET, ...BOOKS[kind], time: at }, at }) as EventObject;

type Mode = 'lifecycle' | 'entry' | 'risk' | 'operator';

/** A report as the venue would give it: optionally an orphan of a finished position, an unknown entry, a position. */
function report(at: number, kind: 'empty' | 'orphan' | 'unknown' | 'position', withBook = true) {
  const orders = [];
  const fills = [];
  if (kind === 'orphan') {
    orders.push({ market: MARKET, clientIndex: encodeClientIndex(1, 2, role.close()), side: 'sell', type: 'limit', price: '101', size: '0.1', filledSize: '0', status: 'open', reduceOnly: true, timeInForce: 'post-only', createdAt: at - 60_000, updatedAt: at - 60_000 });
  }
  if (kind === 'unknown') {
    const idx = encodeClientIndex(1, 7, role.entry());
    orders.push({ market: MARKET, clientIndex: idx, side: 'buy', type: 'limit', price: '99.98', size: '0.1', filledSize: '0.1', status: 'filled', reduceOnly: false, timeInForce: 'post-only', createdAt: at - 60_000, updatedAt: at - 30_000 });
    fills.push({ market: MARKET, tradeId: `T${idx}-0.1`, clientIndex: idx, side: 'buy', price: '99.98', size: '0.1', fee: '0.002', liquidity: 'maker', time: at - 30_000 });
  }
  return { market: MARKET, time: at, orders, fills, position: position(kind === 'position' || kind === 'unknown' ? '0.1' : '0'), ...(withBook ? { bbo: { market: MARKET, ...BOOKS.normal, time: at } } : {}) };
}

function answers(s: Snap, mode: Mode | 'all', favourable = false): EventObject[] {
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const out: EventObject[] = [];
  const recOf = (idx: number): OrderRecord | null => (c.entry && c.entry.clientIndex === idx ? c.entry : c.risk.close && c.risk.close.clientIndex === idx ? c.risk.close : null);
  for (const inv of invokes(s)) {
    const region = inv.id.split('.')[2];
    const full = !favourable && (mode === 'all' || (mode === 'lifecycle' && region === 'lifecycle') || (mode === 'entry' && region === 'entry') || ((mode === 'risk' || mode === 'operator') && region === 'risk'));
    const alts: EventObject[] = [];
    switch (inv.src) {
      case 'setLeverage':
        alts.push(doneEv(inv.id, { leverage: inv.input.leverage, at }), errorEv(inv.id, 'rejected'));
        break;
      case 'reconcile':
        {
          // Lifecycle: no book, so the entry cycle stays idle while the lifecycle is explored.
          const book = mode !== 'lifecycle';
          alts.push(doneEv(inv.id, report(at, 'empty', book)), errorEv(inv.id, 'unavailable'), doneEv(inv.id, report(at, 'orphan', book)), doneEv(inv.id, report(at, 'unknown', book)), doneEv(inv.id, report(at, 'position', book)));
        }
        break;
      case 'cancelOrders':
        alts.push(doneEv(inv.id, { at }), errorEv(inv.id, 'unavailable'));
        break;
      case 'placeOrder': {
        const o = inv.input.order as OrderRecord;
        alts.push(doneEv(inv.id, { at, clientIndex: o.clientIndex }), errorEv(inv.id, 'rate-limited'), errorEv(inv.id, 'rejected'), errorEv(inv.id, 'outcome-unknown'));
        break;
      }
      case 'cancelOrder':
        alts.push(doneEv(inv.id, { at }), errorEv(inv.id, 'rate-limited'), errorEv(inv.id, 'not-active'));
        break;
      case 'queryOrder': {
        const rec = recOf(inv.input.clientIndex);
        if (rec) alts.push(doneEv(inv.id, { order: canceledOrder(rec, at, 'by-user'), fills: [], at }));
        alts.push(doneEv(inv.id, { order: null, fills: [], at }));
        if (rec) alts.push(doneEv(inv.id, { order: venueOrder(rec, { status: 'open', updatedAt: at }), fills: [], at }), doneEv(inv.id, { order: filledOrder(rec, at), fills: [], at }));
        alts.push(errorEv(inv.id, 'unavailable'));
        break;
      }
      case 'queryPosition':
        alts.push(doneEv(inv.id, { position: position('0'), at }), doneEv(inv.id, { position: position('0.1'), at }), errorEv(inv.id, 'unavailable'));
        break;
    }
    out.push(...(full ? alts : alts.slice(0, 1)));
  }
  return out;
}

function summary(c: GridContext, n: number, state: string, exit: boolean): PositionSummary {
  const p = c.positions[String(n)];
  return {
    ...p,
    state,
    exit: exit ? { clientIndex: encodeClientIndex(1, n, role.close()), price: '100.5', type: 'limit', status: 'open', size: p.size } : null,
    exitAccepted: exit || p.exitAccepted,
  };
}

function childEvents(c: GridContext, mode: Mode | 'all'): EventObject[] {
  const out: EventObject[] = [];
  for (const key of Object.keys(c.positions)) {
    const n = Number(key);
    out.push({ type: 'position.summary', summary: summary(c, n, 'exitResting', true) } as EventObject);
    if (mode !== 'entry') out.push({ type: 'position.summary', summary: summary(c, n, 'suspended', false) } as EventObject);
    if (!c.positions[key].exitAccepted) out.push({ type: 'exit.accepted', n } as EventObject);
    out.push({ type: 'position.closed', n, realizedPnl: '0.05', reason: 'closed' } as EventObject);
    if (mode === 'lifecycle' || mode === 'all') out.push({ type: 'position.closed', n, realizedPnl: '0', reason: 'exhausted' } as EventObject);
  }
  return out;
}

function entryEvents(c: GridContext, at: number, full: boolean): EventObject[] {
  const e = c.entry;
  if (!e || isTerminal(e)) return [];
  const out: EventObject[] = [
    { type: 'order.updated', order: venueOrder(e, { status: 'open', updatedAt: at }), at },
    { type: 'order.updated', order: filledOrder(e, at), at },
    { type: 'order.updated', order: canceledOrder(e, at, 'post-only'), at },
  ] as unknown as EventObject[];
  if (full) {
    out.push({ type: 'order.updated', order: canceledOrder(e, at, 'by-user'), at } as EventObject);
    if (new Dec(e.filled).isZero()) {
      out.push({ type: 'order.updated', order: partialOrder(e, at), at } as EventObject);
      out.push({ type: 'order.filled', fill: fillOf(e, half(e.size), at), at } as EventObject);
    }
    out.push({ type: 'order.filled', fill: fillOf(e, unfilled(e), at), at } as EventObject);
  }
  return out;
}

function closeEvents(c: GridContext, at: number): EventObject[] {
  const x = c.risk.close;
  if (!x || isTerminal(x)) return [];
  return [
    { type: 'order.updated', order: filledOrder(x, at), at },
    { type: 'order.updated', order: canceledOrder(x, at, 'ioc-unfilled'), at },
    { type: 'position.updated', position: position('0'), at },
  ] as unknown as EventObject[];
}

function eventsFor(mode: Mode | 'all') {
  return (s: Snap): EventObject[] => {
    if (s.status !== 'active') return [];
    const c = ctxOf(s);
    const at = c.now + 1_000;
    const out: EventObject[] = [...answers(s, mode)];
    const riskTicks = new Set(invokes(s).filter((i) => i.src === 'deadline' && i.id.includes('.risk.')).map((i) => i.input.name));
    out.push(
      ...ticks(s).filter((t) => {
        const name = (t as { name?: string }).name!;
        if (mode === 'risk' || mode === 'operator') return riskTicks.has(name);
        return mode === 'lifecycle' || mode === 'all' || name !== 'reconcile-periodic';
      }),
    );
    if (s.matches({ lifecycle: 'starting' })) out.push({ type: 'bot.start', at } as EventObject);
    if (s.matches({ lifecycle: 'adopting' })) out.push({ type: 'reconcile.check' });
    if (mode === 'lifecycle' || mode === 'all') {
      out.push({ type: 'bot.restored', at, params: c.params, market: c.market, leverage: c.leverage } as EventObject);
      out.push({ type: 'venue.down', reason: 'socket closed', at } as EventObject, { type: 'venue.up', at } as EventObject);
      if (s.matches({ lifecycle: 'trading' })) out.push({ type: 'venue.caught-up', report: report(at, 'position', false), at } as EventObject);
      out.push({ type: 'position.updated', position: { ...position('0.1'), reservedMargin: '2', exposure: '10' }, at } as EventObject);
      out.push(...childEvents(c, mode));
    }
    if (mode === 'entry' || mode === 'all') {
      if (c.trading) out.push(bbo('normal', at), bbo('paused', at));
      out.push(...entryEvents(c, at, true), ...childEvents(c, mode));
    }
    if (mode === 'all' || ((mode === 'risk' || mode === 'operator') && s.matches({ lifecycle: 'trading' }))) {
      const armed = s.matches({ risk: 'armed' });
      // Stop price / stop-loss: books and the venue position (set up while armed, flat while closing).
      if (mode !== 'operator') {
        if (c.trading) for (const k of ['normal', 'stopLoss', 'stopPrice'] as BookKind[]) out.push(bbo(k, at));
        if (armed && new Dec(c.venue.size).isZero()) out.push({ type: 'position.updated', position: position('0.1'), at } as EventObject);
        out.push({ type: 'operator.resume', at } as EventObject);
        // After a stop-loss the operator may still flatten, cancel everything or pause.
        if (s.matches({ risk: 'coolingOff' })) {
          out.push({ type: 'operator.flatten', at } as EventObject, { type: 'operator.cancel-all', at } as EventObject);
          if (!c.operatorPaused) out.push({ type: 'operator.pause', at } as EventObject);
        }
      }
      if (mode !== 'risk') {
        for (const t of ['operator.flatten', 'operator.cancel-all', 'operator.resume'] as const) out.push({ type: t, at } as EventObject);
        if (!c.operatorPaused && (armed || s.matches({ risk: 'halted' }))) out.push({ type: 'operator.pause', at } as EventObject);
      }
      out.push(...entryEvents(c, at, false), ...closeEvents(c, at), ...childEvents(c, mode));
    }
    return out;
  };
}

function progress(s: Snap): EventObject[] {
  if (s.status !== 'active') return [];
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const out = [...answers(s, 'all', true), ...ticks(s).filter((t) => (t as { name?: string }).name !== 'reconcile-periodic')];
  if (s.matches({ lifecycle: 'starting' })) out.push({ type: 'bot.start', at } as EventObject);
  if (s.matches({ lifecycle: 'adopting' })) out.push({ type: 'reconcile.check' });
  return out;
}

const entryKey = (c: GridContext) => (c.entry ? `${c.entry.status}${new Dec(c.entry.filled).gt(0) ? ':f' : ''}${c.entry.cancelRequested ? ':c' : ''}${c.entry.exitAccepted ? ':x' : ''}` : '-');

function abstractFor(mode: Mode | 'all') {
  return (s: Snap): string => {
    const c = ctxOf(s);
    const positions = Math.min(Object.keys(c.positions).length, 2);
    const common = [s.status, s.value, entryKey(c), positions, c.risk.request ?? null, c.risk.trigger];
    if (mode === 'lifecycle') return JSON.stringify([...common, c.orphans.length > 0, c.leverageApplied, new Dec(c.venue.size).isZero()]);
    if (mode === 'entry') return JSON.stringify([s.status, s.value, entryKey(c), positions, c.gate.open, c.lastCycleAt === null]);
    return JSON.stringify([s.status, s.value, entryKey(c), Math.min(positions, 1), c.risk.request ?? null, c.risk.trigger, bookKind(c), c.risk.close ? c.risk.close.status : '-', new Dec(c.venue.size).isZero(), c.operatorPaused ?? false]);
  };
}

/** A new entry index is sent only when no other entry is in flight; the close only without one. */
const tracked = new WeakMap<Run, { seen: WeakSet<object>; market: WeakSet<object>; lastEntry: number | null; entryDone: Set<number>; flatSeen: boolean }>();

function invariants({ snap, prev, run }: StepCheck): string[] {
  const c = ctxOf(snap);
  const p = ctxOf(prev);
  const out: string[] = [];
  let st = tracked.get(run);
  if (!st) tracked.set(run, (st = { seen: new WeakSet(), market: new WeakSet(), lastEntry: null, entryDone: new Set(), flatSeen: false }));
  // The machine's own records: an entry whose final status it saw (or that it gave up: completed).
  if (p.entry && (isTerminal(p.entry) || c.entry === null || c.entry.clientIndex !== p.entry.clientIndex)) st.entryDone.add(p.entry.clientIndex);
  if (c.entry && isTerminal(c.entry)) st.entryDone.add(c.entry.clientIndex);
  out.push(...marketOrderViolations(run, st.market));
  for (const r of run.requests) {
    if (r.src !== 'placeOrder' || st.seen.has(r)) continue;
    st.seen.add(r);
    const o = r.input.order as OrderRecord;
    const kind = decodeClientIndex(o.clientIndex)!.role.kind;
    if (kind === 'entry') {
      if (st.lastEntry !== null && st.lastEntry !== o.clientIndex && !st.entryDone.has(st.lastEntry)) out.push(`entry ${o.clientIndex} sent while entry ${st.lastEntry} is still in flight`);
      st.lastEntry = o.clientIndex;
      if (o.type !== 'limit' || !o.postOnly || o.reduceOnly) out.push(`entry ${o.clientIndex} is not a post-only limit order`);
    } else {
      if (c.entry && !isTerminal(c.entry) && c.entry.status !== 'sending') out.push(`whole-bot close ${o.clientIndex} sent while the entry is in flight`);
      if (!o.reduceOnly || o.type !== 'market') out.push(`whole-bot close ${o.clientIndex} is not a reduce-only market order`);
    }
  }
  // Positions are retired only after the venue reported flat.
  if (!prevMatches(prev, 'retiring') && snap.matches({ risk: { flattening: 'retiring' } }) && !new Dec(c.venue.size).isZero()) out.push(`retiring positions while the venue reports ${c.venue.size}`);
  return out;
}

const prevMatches = (s: Snap, name: string) => s.matches({ risk: { flattening: name } } as never);

/** No entry rests: none in context, or its final status is known. */
const noRestingEntry = (c: GridContext) => c.entry === null || isTerminal(c.entry);

const haltProbe: HaltProbe = {
  trigger: (s) => [{ type: 'operator.flatten', at: ctxOf(s).now + 1_000 } as EventObject],
  next: (s) => {
    const c = ctxOf(s);
    const at = c.now + 1_000;
    if (s.matches({ lifecycle: 'starting' })) return { type: 'bot.start', at } as EventObject;
    const evs = answers(s, 'all', true);
    // The venue's final word on the entry, the close filled, children closed.
    if (c.entry && !isTerminal(c.entry) && s.matches({ risk: { flattening: { entry: 'confirming' } } })) return { type: 'order.updated', order: canceledOrder(c.entry, at, 'by-user'), at } as EventObject;
    const q = evs.find((e) => e.type.includes('risk') && e.type.startsWith('xstate.done.actor.'));
    if (q) return q;
    if (s.matches({ risk: { flattening: 'awaiting' } }) && c.risk.close && !isTerminal(c.risk.close)) return { type: 'order.updated', order: filledOrder(c.risk.close, at), at } as EventObject;
    if (s.matches({ risk: { flattening: 'retiring' } })) {
      const n = Object.keys(c.positions)[0];
      if (n) return { type: 'position.closed', n: Number(n), realizedPnl: '0', reason: 'retired' } as EventObject;
    }
    if (s.matches({ risk: 'suspending' })) {
      const n = Object.keys(c.positions).find((k) => !['suspended', 'closed'].includes(c.positions[k].state));
      if (n) return { type: 'position.summary', summary: summary(c, Number(n), 'suspended', false) } as EventObject;
    }
    return evs[0] ?? ticks(s)[0] ?? null;
  },
  ended: (s) => s.matches({ risk: 'halted' }) && !s.matches({ entry: 'placing' }),
  check: (s) => (noRestingEntry(ctxOf(s)) ? [] : [`an entry still rests (${ctxOf(s).entry!.status})`]),
  maxSteps: 40,
};

const onlyLifecycle: Variant = { label: 'lifecycle', input, events: eventsFor('lifecycle'), abstract: abstractFor('lifecycle'), halt: false };
/** Without pause / stop prices and stop-loss a book update while an entry is in flight only stores the book. */
const plainInput: GridInput = { ...input, params: { ...params, pausePrice: undefined, stopPrice: undefined, stopLossEnabled: false } };

export const gridVariants: Variant[] = [
  onlyLifecycle,
  { label: 'entry cycle without stops', input: plainInput, events: eventsFor('entry'), abstract: abstractFor('entry'), halt: false, targetedOnly: true },
  { label: 'entry cycle', input, events: eventsFor('entry'), abstract: abstractFor('entry') },
  { label: 'risk: stop price, stop-loss', input, events: eventsFor('risk'), abstract: abstractFor('risk'), halt: false },
  { label: 'risk: operator flatten, cancel-all, pause', input, events: eventsFor('operator'), abstract: abstractFor('risk'), halt: false },
];

export const gridSuite: MachineSuite = {
  target: gridTarget,
  variants: gridVariants,
  model: { abstract: abstractFor('all'), events: eventsFor('all'), progress },
  invariants,
  limit: 2_000_000,
  halt: haltProbe,
};
