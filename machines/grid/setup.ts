/**
 * Setup of the grid root machine (types, named effects, actions, guards) and helpers shared
 * by its region definitions. The statechart itself is in machine.ts; regions in *.region.ts.
 *
 * The grid root machine: one bot = one market of one account.
 *
 * Parallel regions:
 *   lifecycle: starting → reconciling → adopting → cleaning → trading (periodic reconcile)
 *   entry:     ready → placing → waitingForFill → (cancelling) → awaitingExit → ready
 *              (+ placeBackoff, recovering for "outcome unknown")
 * Children: `position:grid-n`, one spawned position machine per tracked position.
 *
 * Invariants:
 * - One entry in flight at a time; a new n is taken only on ready → placing, and its intent
 *   (with the send time) is in context before the placement actor runs (write-ahead is the
 *   placeOrder implementation's first step).
 * - Admission (gate) only decides ready → placing. Fills, exits, timeouts never ask it.
 * - Every fill is routed by decoding its client index (routing.ts); the entry cycle returns to
 *   ready only after the filled position's exit was accepted (or it closed).
 * - No new entry before the first reconciliation after (re)start has been applied.
 * - Pure: effects are named in setup() and provided at runtime.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { orderName, positionId } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { positionMachine } from '../position/machine.ts';
import type { PositionInput } from '../position/types.ts';
import { isTerminal } from '../shared/orders.ts';
import { deadlineStub, runtimeActionStubs, venueActorStubs } from '../shared/venue-actors.ts';
import type { JournalEntry, PositionSummary } from '../shared/types.ts';
import { EPISODE_REASONS, evaluateGate, restingExitCount } from './gate.ts';
import type { RoutePlan } from './routing.ts';
import type { EntryRecord, GridContext, GridEvent, GridInput, RefusalReason } from './types.ts';


export type { ReconcileInput } from '../shared/venue-actors.ts';

export const childId = (n: number) => `position:${positionId(n)}`;

function initialSummary(input: PositionInput): PositionSummary {
  return {
    n: input.n,
    size: input.size,
    remaining: input.size,
    entryPrice: input.entryPrice,
    exit: input.exit
      ? { clientIndex: input.exit.clientIndex, price: input.exit.price, type: input.exit.type, status: input.exit.status, size: input.exit.size }
      : null,
    state: 'start',
    realizedPnl: '0',
    exitAccepted: input.exit !== undefined,
  };
}

export function journalOf(entry: EntryRecord, type: string, level: JournalEntry['level'], message: string): JournalEntry {
  return {
    type,
    level,
    message: `${orderName(entry.n, entry.role)} ${message}`,
    payload: { position: positionId(entry.n), clientIndex: entry.clientIndex, side: entry.side, price: entry.price, size: entry.size },
  };
}

/**
 * A reference to the named `journal` action for use inside `extend()` actions, whose enqueue
 * is not typed with the base setup's action names (the cast only bridges that typing gap).
 */
export const journalAction = (params: JournalEntry) => ({ type: 'journal', params }) as never;

export const entryFilled = (ctx: GridContext) => ctx.entry !== null && new Dec(ctx.entry.filled).gt(0);

export const gridSetup = setup({
  types: {
    context: {} as GridContext,
    events: {} as GridEvent,
    input: {} as GridInput,
  },
  actors: {
    ...venueActorStubs,
    deadline: deadlineStub<GridEvent>(),
    position: positionMachine,
  },
  actions: {
    ...runtimeActionStubs,
    storeEventTime: assign(({ context, event }) => {
      const at = (event as { at?: number }).at;
      return typeof at === 'number' && at > context.now ? { now: at } : {};
    }),
    completeCycle: assign(({ context }) => ({ entry: null, lastCycleAt: context.now, sendErrors: 0 })),
  },
  guards: {
    gateOpen: ({ context }) =>
      context.gate.open &&
      context.trading &&
      context.entry === null &&
      context.leverageApplied &&
      context.risk.phase === 'armed' &&
      context.risk.trigger === null &&
      !context.risk.request &&
      !context.operatorPaused,
    entryAccepted: ({ context }) => context.entry !== null && context.entry.status !== 'sending',
    entryFilledTerminal: ({ context }) => context.entry !== null && isTerminal(context.entry) && entryFilled(context),
    entryCanceledPostOnly: ({ context }) =>
      context.entry !== null && context.entry.status === 'canceled' && !entryFilled(context) && context.entry.cancelReason === 'post-only',
    entryCanceledEmpty: ({ context }) => context.entry !== null && context.entry.status === 'canceled' && !entryFilled(context),
    exitSettled: ({ context }) => context.entry === null || context.entry.exitAccepted || !context.positions[String(context.entry.n)],
  },
}).extend({
  actions: {
    applyPlan: enqueueActions(({ context, enqueue, self }, plan: RoutePlan & { nextN?: number }) => {
      const patch: Partial<GridContext> = {};
      if (plan.entry !== undefined) patch.entry = plan.entry;
      if (plan.riskClose !== undefined) patch.risk = { ...context.risk, close: plan.riskClose };
      if (plan.foreign !== undefined) patch.foreign = plan.foreign;
      if (plan.lastFillAt !== undefined) patch.lastFillAt = plan.lastFillAt;
      if (plan.nextN !== undefined) patch.nextN = Math.max(context.nextN, plan.nextN);
      if (plan.orphans.length > 0) patch.orphans = [...new Set([...context.orphans, ...plan.orphans])];
      if (plan.spawns.length > 0) {
        const positions = { ...context.positions };
        for (const s of plan.spawns) positions[String(s.n)] = initialSummary(s);
        patch.positions = positions;
      }
      if (Object.keys(patch).length > 0) enqueue.assign(patch);
      for (const s of plan.spawns) enqueue.spawnChild('position', { id: childId(s.n), input: s, syncSnapshot: true });
      // A child that reached its final state is gone before its `position.closed` is handled:
      // events for it are dropped (its fills were final), never sent to a missing actor.
      const live = self.getSnapshot().children as Record<string, unknown>;
      const spawned = new Set(plan.spawns.map((s) => s.n));
      for (const c of plan.toChildren) if (spawned.has(c.n) || live[childId(c.n)]) enqueue.sendTo(childId(c.n), c.event);
      for (const j of plan.journal) enqueue(journalAction(j));
      if (plan.reconcileNow) enqueue.raise({ type: 'reconcile.now' });
    }),
    evaluateGate: enqueueActions(({ context, enqueue }) => {
      const { patch, journal } = gateUpdate(context);
      for (const j of journal) enqueue(journalAction(j));
      if (patch) enqueue.assign(patch);
    }),
  },
});

export interface GateUpdate {
  patch: Partial<GridContext> | null;
  journal: JournalEntry[];
}

/** The answer when nothing changes (the common case on a book update; shared, never mutated). */
const GATE_UNCHANGED: GateUpdate = Object.freeze({ patch: null, journal: Object.freeze([]) as unknown as JournalEntry[] });

function sameReasons(a: readonly RefusalReason[], b: readonly RefusalReason[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Nothing to journal and nothing to forget: every journaled reason still refuses and every
 * episode reason that refuses has been journaled.
 */
function episodesSettled(reasons: readonly RefusalReason[], journaled: readonly RefusalReason[]): boolean {
  for (const r of journaled) if (!reasons.includes(r)) return false;
  for (const r of reasons) if (EPISODE_REASONS.has(r) && !journaled.includes(r)) return false;
  return true;
}

/** New gate state (or null when unchanged) and the journal entries of episodes that start. */
export function gateUpdate(context: GridContext, book: GridContext['book'] = context.book, now: number = context.now): GateUpdate {
  const reasons = evaluateGate(context, book, now);
  const open = reasons.length === 0;
  const resting = restingExitCount(context);
  const same = open === context.gate.open && sameReasons(reasons, context.gate.reasons);
  // The hot case (a book update that changes nothing): answered without allocating.
  if (same && context.prevResting === resting && episodesSettled(reasons, context.journaled)) return GATE_UNCHANGED;
  const journaled = context.journaled.filter((r) => reasons.includes(r));
  const fresh = reasons.filter((r) => EPISODE_REASONS.has(r) && !journaled.includes(r));
  const journal = fresh.map((r) => refusalEntry({ ...context, book }, r));
  journaled.push(...fresh);
  const journaledChanged = journaled.length !== context.journaled.length || fresh.length > 0;
  if (same && !journaledChanged && context.prevResting === resting) return { patch: null, journal };
  return {
    patch: {
      gate: same ? context.gate : { open, reasons },
      journaled: journaledChanged ? journaled : context.journaled,
      prevResting: resting,
    },
    journal,
  };
}

function refusalEntry(ctx: GridContext, reason: RefusalReason): JournalEntry {
  if (reason === 'margin_cap') {
    return { type: 'risk.margin-cap-hit', level: 'warning', message: `entry refused: margin cap ${ctx.params.maxMarginUsd} USD would be exceeded`, payload: { reason, maxMarginUsd: ctx.params.maxMarginUsd } };
  }
  return {
    type: 'admission.refused',
    level: 'info',
    message: `entry refused: ${reason}`,
    payload: { reason, book: ctx.book, resting: restingExitCount(ctx) },
  };
}

