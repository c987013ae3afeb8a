/**
 * Setup of the trailing-grid root: its types, the named effects (provided by the runtime with
 * `.provide()`, see variant.ts), the shared actions and the guards the statechart in
 * machine.ts uses.
 *
 * Invariants:
 * - Pure: every effect is a named actor (placeOrder, cancelOrder, queryOrder, cancelOrders,
 *   reconcile, setLeverage, deadline, and the shared `position` child); `journal` and
 *   `reconciled` are provided at runtime.
 * - `startEntry` takes n = nextN and moves nextN past it in the same step, before the entry
 *   is sent (write-ahead: the runtime persists the snapshot before the venue sees the index).
 * - At most one position child lives at a time, id `position:<n>` of the current round trip.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { Dec } from '../../../src/domain/decimal.ts';
import { isTerminal } from '../../shared/orders.ts';
import { deadlineStub, runtimeActionStubs, venueActorStubs } from '../../shared/venue-actors.ts';
import type { JournalEntry } from '../../shared/types.ts';
import { positionMachine } from '../../position/machine.ts';
import { newEntry, repegNeeded, venueSizeInDirection } from './trail.ts';
import type { TrailingGridContext, TrailingGridEvent, TrailingGridInput, TrailPlan } from './types.ts';


export const childId = (n: number) => `position:${n}`;

export const journalAction = (params: JournalEntry) => ({ type: 'journal', params }) as never;

const entryLive = (c: TrailingGridContext) => c.entry !== null && !isTerminal(c.entry);

export const trailingGridSetup = setup({
  types: { context: {} as TrailingGridContext, events: {} as TrailingGridEvent, input: {} as TrailingGridInput },
  actors: {
    ...venueActorStubs,
    deadline: deadlineStub<TrailingGridEvent>(),
    position: positionMachine,
  },
  actions: {
    ...runtimeActionStubs,
    storeEventTime: assign(({ context, event }) => {
      const at = (event as { at?: number }).at;
      return typeof at === 'number' && at > context.now ? { now: at } : {};
    }),
    /** A new round trip: entry n = nextN at the trail price; nextN moves past it first. */
    startEntry: assign(({ context }) => ({ entry: newEntry(context, context.nextN, context.book!), nextN: context.nextN + 1 })),
  },
  guards: {
    canEnter: ({ context }) => context.trading && !context.operatorPaused && context.book !== null && context.position === null && !entryLive(context),
    hasPosition: ({ context }) => context.position !== null,
    entryUnsent: ({ context }) => context.entry !== null && context.entry.status === 'sending',
    entryLive: ({ context }) => entryLive(context),
    entryEnded: ({ context }) => context.entry !== null && isTerminal(context.entry),
    /** The resting entry must go: partly filled (one round trip at a time), paused, or the touch ran away. */
    entryMustGo: ({ context }) =>
      context.entry !== null &&
      ((new Dec(context.entry.filled).gt(0) && new Dec(context.entry.filled).lt(context.entry.size)) || context.operatorPaused || (context.book !== null && repegNeeded(context, context.entry.price, context.book))),
  },
}).extend({
  actions: {
    /** Applies a routing plan (routing.ts): entry record, spawn / feed the position child, journal, orphans. */
    applyPlan: enqueueActions(({ context, enqueue }, plan: TrailPlan) => {
      const patch: Partial<TrailingGridContext> = {};
      if (plan.entry !== undefined) patch.entry = plan.entry;
      if (plan.lastFillAt !== undefined && plan.lastFillAt > context.lastFillAt) patch.lastFillAt = plan.lastFillAt;
      if (plan.nextN !== undefined && plan.nextN > context.nextN) patch.nextN = plan.nextN;
      if (plan.orphans.length > 0) patch.orphans = [...new Set([...context.orphans, ...plan.orphans])];
      if (plan.spawn) {
        const s = plan.spawn;
        patch.position = { n: s.n, size: s.size, remaining: s.size, entryPrice: s.entryPrice, exit: null, state: 'start', realizedPnl: '0', exitAccepted: false };
      }
      if (Object.keys(patch).length > 0) enqueue.assign(patch);
      if (plan.spawn) enqueue.spawnChild('position', { id: childId(plan.spawn.n), input: plan.spawn, syncSnapshot: true });
      const n = plan.spawn?.n ?? context.position?.n;
      if (n !== undefined) for (const ev of plan.toChild) enqueue.sendTo(childId(n), ev);
      for (const j of plan.journal) enqueue(journalAction(j));
    }),
    /** The position child prices its retries from the book: it sees every book change. */
    forwardBook: enqueueActions(({ context, enqueue }) => {
      if (context.position) enqueue.sendTo(childId(context.position.n), { type: 'position.market', at: context.now, book: context.book, venueSize: venueSizeInDirection(context) });
    }),
  },
});
