/**
 * Model of the range-grid root (`machines/variants/range-grid/machine.ts` + risk.region.ts):
 * lifecycle and risk regions of one parallel machine. Level children are recording stubs
 * (the level child has its own suite, level.model.ts): what children tell the root
 * (`level.report`, `level.request-n`, `level.round-trip`) comes from the model as events; what
 * the root tells them (`level.grant-n`, `level.disarm`, `level.suspend`, `level.release`…) is
 * recorded per run and checked.
 *
 * Variants focus: `lifecycle` (start, leverage, reconcile, orphans, periodic reconcile,
 * caught-up; the risk region only progresses) and `risk` with on_exit_range close / halt
 * (range exit, stop price, stop-loss, flatten, pause / resume, the close procedure).
 *
 * Invariants after every step (real actor):
 * - one live order per client index: every order the root sends has an index never used before
 *   in the run, under an n no level owns; every granted n is granted once, recorded in
 *   `owners` for that level, below `nextN`; `nextN` never decreases; live entries (level
 *   summaries) never exceed max_resting_orders; no level is spawned unless risk is armed and
 *   the operator did not pause;
 * - every market order is reduce-only;
 * - parked legs are released (`level.release`) and the close ends in `halted` only after the
 *   venue reported a flat position (the latest position query answered 0);
 * - an operator resume that is not refused (risk armed — paused or not —, a halt stopping, or
 *   halted) sends `level.resume` to every parked leg; `level.resume` is sent for nothing else
 *   and never while the grid is closing.
 * Halt probe: from one snapshot of every abstract state an operator flatten is driven to its
 * end, which must be `risk.halted` with no resting entry and no live level order.
 */
import { setup, type EventObject } from 'xstate';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { rangeGridMachine, resumeRefusal } from '../../machines/variants/range-grid/machine.ts';
import type { LevelSummary, RangeGridContext, RangeGridInput, RangeGridParams } from '../../machines/variants/range-grid/types.ts';
import { isTerminal } from '../../machines/shared/orders.ts';
import type { MarketParams, OrderRecord } from '../../machines/shared/types.ts';
import { env, fakeActors, type Run, type Target } from './driver.ts';
import type { HaltProbe, MachineSuite, StepCheck, Variant } from './kit.ts';
import { marketOrderViolations } from './position.model.ts';
import type { Snap } from './pure.ts';
import { inventory } from './transitions.ts';
import { MARKET, canceledOrder, doneEv, errorEv, filledOrder, invokes, position, ticks } from './venue-payloads.ts';

/** What the root sent its (stub) level children, per run. */
const toLevels = new WeakMap<Run, Array<{ to: string; event: EventObject & Record<string, any> }>>();
const sentOf = (run: Run) => {
  let l = toLevels.get(run);
  if (!l) toLevels.set(run, (l = []));
  return l;
};

/** A level child that records what the root sends it and never answers (answers come from the model). */
const levelStub = setup({}).createMachine({
  id: 'level-stub',
  on: {
    '*': {
      actions: ({ event, self }) => {
        if (env.run) sentOf(env.run).push({ to: self.id, event: event as never });
      },
    },
  },
});

const machine = rangeGridMachine.provide({
  actors: { ...fakeActors(['placeOrder', 'cancelOrder', 'queryOrder', 'cancelOrders', 'reconcile', 'queryPosition', 'setLeverage', 'deadline']), level: levelStub } as never,
  actions: { journal: () => {}, reconciled: () => {} },
});

export const rangeRootTarget: Target = { name: 'range-grid root', machine, inv: inventory(machine), asChild: false, scheduled: ['reconcile.check'] };

const T0 = 1_700_000_000_000;
const SLOT = 1;
/** Levels 90, 92 … 110 (index i at 90 + 2i); a bid of 100 arms buys at 98 (4) and 96 (3). */
const params: RangeGridParams = {
  lowerPrice: '90',
  upperPrice: '110',
  gridCount: 10,
  spacing: 'arithmetic',
  orderSize: '0.5',
  direction: 'long',
  onExitRange: 'close',
  maxRestingOrders: 2,
  maxMarginUsd: '1000',
  stopPrice: '85',
  stopLossEnabled: true,
  stopLossPct: '5',
  slippagePct: '0.5',
  reconcileEveryMs: 60_000,
};
const market: MarketParams = { symbol: MARKET, tick: '0.01', step: '0.001', minBase: '0.001', minQuote: '1', maxLeverage: 20, maxLifetimeMs: 30 * 86_400_000 };
const input: RangeGridInput = { params, market, slot: SLOT, leverage: 5, now: T0, nextN: 5 };

const BOOKS = {
  normal: { bid: '100', ask: '100.02' },
  outside: { bid: '111', ask: '111.02' },
  stopLoss: { bid: '94', ask: '94.02' },
  stopPrice: { bid: '84', ask: '84.02' },
};
type BookKind = keyof typeof BOOKS;
const bookKind = (c: RangeGridContext) => (c.book ? (Object.entries(BOOKS).find(([, b]) => b.bid === c.book!.bid)?.[0] ?? 'other') : null);
const bbo = (kind: BookKind, at: number): EventObject => ({ type: 'market.bbo', bbo: { market: MARKET, ...BOOKS[kind], time: at }, at }) as EventObject;

const ctxOf = (s: Snap) => s.context as RangeGridContext;
const levelPrice = (i: number) => String(90 + 2 * i);
const liveChild = (s: Snap, level: number) => Boolean((s.children as Record<string, unknown>)[`level:${level}`]);

type Mode = 'lifecycle' | 'risk' | 'all';

/** An open order of this slot under a finished n (an orphan), or none. */
function orphanOrder(at: number) {
  return { market: MARKET, clientIndex: encodeClientIndex(SLOT, 2, role.close()), side: 'sell', type: 'limit', price: '100', size: '0.5', filledSize: '0', status: 'open', reduceOnly: true, timeInForce: 'post-only', createdAt: at - 60_000, updatedAt: at - 60_000 };
}

function report(at: number, kind: 'empty' | 'orphan' | 'position', withBook: boolean) {
  return { market: MARKET, time: at, orders: kind === 'orphan' ? [orphanOrder(at)] : [], fills: [], position: position(kind === 'position' ? '0.5' : '0'), ...(withBook ? { bbo: { market: MARKET, ...BOOKS.normal, time: at } } : {}) };
}

/** Answers of the pending requests: all kinds in the regions the mode explores, the favourable one elsewhere. */
function answers(s: Snap, mode: Mode, favourable = false): EventObject[] {
  const c = ctxOf(s);
  const at = c.now + 1_000;
  const out: EventObject[] = [];
  for (const inv of invokes(s)) {
    const region = inv.id.includes('.risk.') || inv.id.includes('risk') ? 'risk' : 'lifecycle';
    const full = !favourable && (mode === 'all' || mode === region);
    const alts: EventObject[] = [];
    switch (inv.src) {
      case 'setLeverage':
        alts.push(doneEv(inv.id, { leverage: inv.input.leverage, at }), errorEv(inv.id, 'rejected'));
        break;
      case 'reconcile':
        alts.push(doneEv(inv.id, report(at, 'empty', true)), errorEv(inv.id, 'unavailable'), doneEv(inv.id, report(at, 'orphan', true)), doneEv(inv.id, report(at, 'position', false)));
        break;
      case 'cancelOrders':
        alts.push(doneEv(inv.id, { at }), errorEv(inv.id, 'unavailable'));
        break;
      case 'queryPosition':
        alts.push(doneEv(inv.id, { position: position('0'), at }), doneEv(inv.id, { position: position('0.5'), at }), errorEv(inv.id, 'unavailable'));
        break;
      case 'placeOrder':
        alts.push(doneEv(inv.id, { at, clientIndex: (inv.input.order as OrderRecord).clientIndex }), errorEv(inv.id, 'rejected'));
        break;
    }
    out.push(...(full ? alts : alts.slice(0, 1)));
  }
  return out;
}

function summary(c: RangeGridContext, level: number, state: 'entryResting' | 'idle' | 'exitResting' | 'parked'): LevelSummary {
  const prev = c.levels[String(level)];
  const n = prev?.n ?? Number(Object.entries(c.owners).find(([, lv]) => lv === level)?.[0] ?? NaN);
  const hasN = Number.isFinite(n);
  const price = levelPrice(level);
  const entry = hasN ? { clientIndex: encodeClientIndex(SLOT, n, role.entry()), price, size: '0.5', status: 'open' as const, filled: '0' } : null;
  const base: LevelSummary = { level, state, side: null, n: null, ns: [], entry: null, exit: null, held: '0', exitTarget: null, liveEntry: false, liveExit: false, entryNotional: '0' };
  if (state === 'idle') return base;
  const ns = hasN ? [n] : [];
  if (state === 'entryResting') return { ...base, side: 'buy', n: hasN ? n : null, ns, entry, liveEntry: true, entryNotional: new Dec(price).times('0.5').toFixed() };
  const filled = entry ? { ...entry, status: 'filled' as const, filled: '0.5' } : null;
  const exit = state === 'exitResting' && hasN ? { clientIndex: encodeClientIndex(SLOT, n, role.close()), price: levelPrice(level + 1), size: '0.5', status: 'open' as const } : null;
  return { ...base, side: 'buy', n: hasN ? n : null, ns, entry: filled, exit, held: '0.5', exitTarget: level + 1, liveExit: exit !== null };
}

/** What the stub children would tell the root. */
function childEvents(s: Snap, kind: 'full' | 'risk' | 'idle'): EventObject[] {
  const full = kind === 'full';
  const c = ctxOf(s);
  const out: EventObject[] = [];
  for (const [key, sum] of Object.entries(c.levels)) {
    const level = Number(key);
    if (!liveChild(s, level)) continue;
    if (sum.state === 'awaitingN' && sum.n === null) out.push({ type: 'level.request-n', level, purpose: 'entry' } as EventObject);
    const states = full ? (['entryResting', 'idle', 'exitResting', 'parked'] as const) : kind === 'risk' ? (['idle', 'parked'] as const) : (['idle'] as const);
    for (const st of states) if (st !== sum.state) out.push({ type: 'level.report', summary: summary(c, level, st) } as EventObject);
    if (full && sum.state === 'exitResting' && sum.n !== null) {
      out.push({ type: 'level.round-trip', report: { level, n: sum.n, side: 'buy', entryPrice: levelPrice(level), exitPrice: levelPrice(level + 1), size: '0.5', gross: '1', fees: '0.0196', profit: '0.9804' } } as EventObject);
    }
  }
  return out;
}

/** Venue updates of the whole-bot close (and a level's entry, routed to its child). */
function orderEvents(c: RangeGridContext, at: number, full: boolean): EventObject[] {
  const out: EventObject[] = [];
  const x = c.risk.close;
  if (x && !isTerminal(x)) {
    out.push({ type: 'order.updated', order: filledOrder(x, at), at } as EventObject);
    out.push({ type: 'order.filled', fill: { market: MARKET, tradeId: `T${x.clientIndex}`, clientIndex: x.clientIndex, side: x.side, price: x.price, size: x.size, fee: '0.01', liquidity: 'taker', time: at }, at } as EventObject);
    if (full) out.push({ type: 'order.updated', order: canceledOrder(x, at, 'ioc-unfilled'), at } as EventObject);
  }
  return out;
}

function eventsFor(mode: Mode) {
  return (s: Snap): EventObject[] => {
    if (s.status !== 'active') return [];
    const c = ctxOf(s);
    const at = c.now + 1_000;
    const out: EventObject[] = [...answers(s, mode)];
    out.push(...ticks(s).filter((t) => mode !== 'risk' || (t as { name?: string }).name !== 'reconcile-periodic'));
    if (s.matches({ lifecycle: 'starting' })) out.push({ type: 'bot.start', at } as EventObject);
    if (s.matches({ lifecycle: 'adopting' })) out.push({ type: 'reconcile.check' });
    if (mode !== 'risk') {
      out.push({ type: 'bot.restored', at, params: c.params, market: c.market, leverage: c.leverage } as EventObject);
      out.push({ type: 'venue.down', reason: 'socket closed', at } as EventObject, { type: 'venue.up', at } as EventObject);
      if (s.matches({ lifecycle: 'trading' })) {
        out.push({ type: 'venue.caught-up', report: report(at, 'position', false), at } as EventObject);
        out.push({ type: 'order.updated', order: orphanOrder(at), at } as EventObject);
      }
      out.push({ type: 'position.updated', position: { ...position('0.5'), reservedMargin: '10', exposure: '50' }, at } as EventObject);
      if (c.trading && c.book === null) out.push(bbo('normal', at));
      out.push(...childEvents(s, 'full'));
    }
    if (mode !== 'lifecycle') {
      const armed = s.matches({ risk: 'armed' });
      // Range exit, stop price, stop-loss while armed; a book back inside to resume after.
      if (c.trading && armed) for (const k of Object.keys(BOOKS) as BookKind[]) out.push(bbo(k, at));
      else if (c.trading && bookKind(c) !== 'normal') out.push(bbo('normal', at));
      if (armed && new Dec(c.venue.size).isZero()) out.push({ type: 'position.updated', position: position('0.5'), at } as EventObject);
      out.push({ type: 'operator.flatten', at } as EventObject, { type: 'operator.resume', at } as EventObject);
      if (!c.operatorPaused && armed) out.push({ type: 'operator.pause', at } as EventObject);
      out.push(...orderEvents(c, at, mode === 'all'), ...childEvents(s, mode === 'all' ? 'full' : 'risk'));
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

/** Levels, coarsely: how many (capped), an n granted, one awaiting its n, entries / legs / exits live. */
const levelsKey = (c: RangeGridContext, owners = false) => {
  const all = Object.values(c.levels);
  return [Math.min(all.length, 2), owners && Object.keys(c.owners).length > 0, all.some((l) => l.state === 'awaitingN' && l.n === null), all.some((l) => l.liveEntry), all.some((l) => !new Dec(l.held).isZero()), all.some((l) => l.liveExit)].join(':');
};

function abstractFor(mode: Mode) {
  return (s: Snap): string => {
    const c = ctxOf(s);
    const common = [s.status, s.value, c.risk.request, c.risk.trigger, c.risk.mode, c.risk.close ? c.risk.close.status : '-', bookKind(c), new Dec(c.venue.size).isZero()];
    if (mode === 'lifecycle') return JSON.stringify([...common, c.orphans.length > 0, c.leverageApplied, levelsKey(c, true)]);
    return JSON.stringify([...common, levelsKey(c), c.operatorPaused]);
  };
}

/** Latest position the venue reported through a settled position query (null: none yet). */
function lastQueriedSize(run: Run): string | null {
  const q = run.requests.filter((r) => r.src === 'queryPosition' && r.outcome === 'done');
  return q.length ? (q[q.length - 1].output.position.size as string) : null;
}

const tracked = new WeakMap<Run, { market: WeakSet<object>; seen: WeakSet<object>; indexes: Set<number>; grants: Set<number>; sentChecked: number }>();

const ENTRY_STATES = new Set(['awaitingN', 'entryPlacing', 'entryBackoff', 'entryQuerying', 'entryResting', 'entryCancelling']);

function invariants({ snap, prev, event: stepEvent, run }: StepCheck): string[] {
  const c = ctxOf(snap);
  const p = ctxOf(prev);
  const out: string[] = [];
  let st = tracked.get(run);
  if (!st) tracked.set(run, (st = { market: new WeakSet(), seen: new WeakSet(), indexes: new Set(), grants: new Set(), sentChecked: 0 }));
  out.push(...marketOrderViolations(run, st.market));
  // Orders of the root (the whole-bot close): a fresh index each, under an n no level owns.
  for (const r of run.requests) {
    if (r.src !== 'placeOrder' || st.seen.has(r)) continue;
    st.seen.add(r);
    const o = r.input.order as OrderRecord;
    if (st.indexes.has(o.clientIndex)) out.push(`client index ${o.clientIndex} sent twice`);
    st.indexes.add(o.clientIndex);
    const d = decodeClientIndex(o.clientIndex);
    if (!d || d.slot !== SLOT) {
      out.push(`close ${o.clientIndex} is not an index of slot ${SLOT}`);
      continue;
    }
    const n = d.n;
    if (c.owners[String(n)] !== undefined) out.push(`close ${o.clientIndex} uses n ${n} owned by level ${c.owners[String(n)]}`);
    if (n >= c.nextN) out.push(`close ${o.clientIndex} uses n ${n} ≥ nextN ${c.nextN}`);
    if (o.type !== 'market' || !o.reduceOnly) out.push(`whole-bot close ${o.clientIndex} is not a reduce-only market order`);
  }
  if (c.nextN < p.nextN) out.push(`nextN went back from ${p.nextN} to ${c.nextN}`);
  // What the root told its children this step.
  const sent = sentOf(run);
  const resumed = new Set<string>();
  for (const { to, event } of sent.slice(st.sentChecked)) {
    if (event.type === 'level.grant-n') {
      if (st.grants.has(event.n)) out.push(`n ${event.n} granted twice`);
      st.grants.add(event.n);
      if (c.owners[String(event.n)] === undefined || `level:${c.owners[String(event.n)]}` !== to) out.push(`n ${event.n} granted to ${to} but owners says ${c.owners[String(event.n)]}`);
      if (event.n >= c.nextN) out.push(`n ${event.n} granted but nextN is ${c.nextN}`);
    }
    if (event.type === 'level.resume') {
      if (stepEvent.type !== 'operator.resume') out.push(`${to} resumed by ${stepEvent.type}, not by an operator resume`);
      if (p.risk.phase === 'closing' || (p.risk.phase === 'stopping' && p.risk.mode === 'close')) out.push(`${to} resumed while the grid is closing`);
      resumed.add(to);
    }
    if (event.type === 'level.release') {
      const size = lastQueriedSize(run);
      if (size === null || !new Dec(size).isZero()) out.push(`${to} released while the venue last reported ${size ?? 'nothing'}`);
    }
  }
  st.sentChecked = sent.length;
  // An operator resume that is not refused (risk armed, a halt stopping, or halted) sends every
  // parked leg a fresh exit — also with no pause to lift (range-grid chaos seed 3 run 10).
  if (stepEvent.type === 'operator.resume' && resumeRefusal(p) === null && (p.risk.phase === 'armed' || p.risk.phase === 'halted' || (p.risk.phase === 'stopping' && p.risk.mode === 'halt'))) {
    for (const l of Object.values(p.levels)) if (l.state === 'parked' && liveChild(prev, l.level) && !resumed.has(`level:${l.level}`)) out.push(`parked level ${l.level} not resumed by the operator resume (risk ${p.risk.phase}, paused ${p.operatorPaused})`);
  }
  // The close procedure ends only on a venue-reported flat position.
  if (run.stepFired.some((id) => id.startsWith('risk.closing.done  always#0'))) {
    const size = lastQueriedSize(run);
    if (size === null || !new Dec(size).isZero()) out.push(`close ended while the venue last reported ${size ?? 'nothing'}`);
  }
  // Live entries never exceed max_resting_orders.
  const live = Object.values(c.levels).filter((l) => l.liveEntry).length;
  if (live > c.params.maxRestingOrders) out.push(`${live} live entries > max_resting_orders ${c.params.maxRestingOrders}`);
  // No level is spawned (armed) unless the risk region is armed and the operator did not pause.
  const spawned = Object.keys(snap.children).filter((k) => k.startsWith('level:') && !(prev.children as Record<string, unknown>)[k]);
  if (spawned.length > 0 && (c.risk.phase !== 'armed' || c.risk.trigger !== null || c.operatorPaused)) out.push(`${spawned.join(', ')} armed while risk ${c.risk.phase}/${c.risk.trigger} paused ${c.operatorPaused}`);
  return out;
}

/** No resting entry and no level order: every level idle / parked / holding without a live order. */
function restingViolations(c: RangeGridContext): string[] {
  const out: string[] = [];
  for (const l of Object.values(c.levels)) {
    if (l.liveEntry || ENTRY_STATES.has(l.state)) out.push(`level ${l.level} still has an entry (${l.state})`);
    if (c.risk.mode === 'close' && l.liveExit) out.push(`level ${l.level} still has an exit after the close`);
  }
  if (c.risk.close && !isTerminal(c.risk.close) && c.risk.phase !== 'halted') out.push('the whole-bot close is still live');
  return out;
}

const haltProbe: HaltProbe = {
  trigger: (s) => [{ type: 'operator.flatten', at: ctxOf(s).now + 1_000 } as EventObject],
  next: (s) => {
    const c = ctxOf(s);
    const at = c.now + 1_000;
    if (s.matches({ lifecycle: 'starting' })) return { type: 'bot.start', at } as EventObject;
    // Children confirm their orders are gone (legs parked, entries cancelled).
    for (const [key, sum] of Object.entries(c.levels)) {
      const level = Number(key);
      if (!liveChild(s, level)) continue;
      const settledHere = c.risk.mode === 'close' ? sum.state === 'idle' || sum.state === 'parked' : !sum.liveEntry && !ENTRY_STATES.has(sum.state);
      if (s.matches({ risk: 'stopping' }) && !settledHere) return { type: 'level.report', summary: summary(c, level, new Dec(sum.held).isZero() ? 'idle' : 'parked') } as EventObject;
    }
    if (s.matches({ risk: { closing: 'awaiting' } }) && c.risk.close && !isTerminal(c.risk.close)) return { type: 'order.updated', order: filledOrder(c.risk.close, at), at } as EventObject;
    const evs = answers(s, 'all', true);
    const risk = evs.find((e) => e.type.includes('risk'));
    if (risk) return risk;
    if (s.matches({ lifecycle: 'adopting' })) return { type: 'reconcile.check' };
    return evs[0] ?? ticks(s).find((t) => (t as { name?: string }).name !== 'reconcile-periodic') ?? null;
  },
  ended: (s) => s.matches({ risk: 'halted' }),
  check: (s) => restingViolations(ctxOf(s)),
  maxSteps: 40,
};

export const rangeRootVariants: Variant[] = [
  { label: 'lifecycle', input, events: eventsFor('lifecycle'), abstract: abstractFor('lifecycle'), halt: false },
  { label: 'risk: on_exit_range close, stop price, stop-loss, flatten', input, events: eventsFor('risk'), abstract: abstractFor('risk') },
  { label: 'risk: on_exit_range halt', input: { ...input, params: { ...params, onExitRange: 'halt' } }, events: eventsFor('risk'), abstract: abstractFor('risk') },
];

export const rangeRootSuite: MachineSuite = {
  target: rangeRootTarget,
  variants: rangeRootVariants,
  model: { abstract: abstractFor('all'), events: eventsFor('all'), progress },
  invariants,
  limit: 300_000,
  halt: haltProbe,
};
