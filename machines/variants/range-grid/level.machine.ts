/**
 * Level child machine: one per range-grid level that is armed or holds (`level:<i>`).
 *
 *   idle → awaitingN → entryPlacing → entryResting → holding → exitResting → idle
 *   (entryCancelling when disarmed; exitCancelling / parked when the root suspends the grid)
 *
 * Invariants:
 * - Every round trip takes a fresh n, granted by the root (`level.request-n` → `level.grant-n`);
 *   the root records the owner before granting and the entry is sent write-ahead, so the n is
 *   durable before the venue can know it. Exits use the same n (close, close-retry-1..3,
 *   refresh-1..64) and then a fresh n: no client index is ever reused; a re-send after a lost
 *   answer or a transient error keeps its index.
 * - At most one live order: an exit is placed only after the entry is terminal (a partially
 *   filled entry is cancelled first — or, while what filled is below the market minimums at
 *   the exit price, keeps resting until enough filled), and a new exit only after the previous
 *   one is terminal.
 * - Fill accounting is idempotent (machines/shared/orders.ts); `idle` is reached from an exit
 *   only when venue-confirmed exit fills cover the entry's filled size; an order's
 *   disappearance is never taken as a fill.
 * - Pure: effects are the named actors (placeOrder, cancelOrder, queryOrder, deadline) and the
 *   named `journal` action, provided at runtime.
 */
import { assign, fromCallback, fromPromise, sendParent, setup } from 'xstate';
import { isTransient, isVenueError } from '../../../adapters/types.ts';
import { describeIndex } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { applyOrderUpdate, isTerminal } from '../../shared/orders.ts';
import type { CancelOrderInput, DeadlineInput, JournalEntry, OrderRecord, PlaceOrderInput, PlaceOrderOutput, QueryOrderInput, QueryOrderOutput } from '../../shared/types.ts';
import {
  applyFillToOwn,
  applyUpdateToOwn,
  backoffMs,
  currentExit,
  exitRolesLeft,
  exitBelowMinimum,
  exitTarget,
  idleContext,
  newEntry,
  nextExit,
  ownsNewFill,
  remainingOf,
  roundTrip,
  summarize,
} from './level.logic.ts';
import type { LevelContext, LevelEvent, LevelInput } from './types.ts';

const notProvided = (name: string) => () => {
  throw new Error(`${name} is not provided: supply it with machine.provide()`);
};

type Ctx = { context: LevelContext };

const CANCEL_CONFIRM_MS = 10_000;

function envOf(ctx: LevelContext, e: { at?: number; book?: unknown }): Partial<LevelContext> {
  const out: Partial<LevelContext> = {};
  if (typeof e.at === 'number' && e.at > ctx.now) out.now = e.at;
  if (e.book) out.book = e.book as LevelContext['book'];
  return out;
}

const label = (ctx: LevelContext, o: OrderRecord | null) => (o ? describeIndex(o.clientIndex) : `level-${ctx.level}`);

const report = (state: string) => sendParent(({ context }: Ctx) => ({ type: 'level.report' as const, summary: summarize(context, state) })) as never;

const j = (fn: (ctx: LevelContext) => JournalEntry) => ({ type: 'journal' as const, params: ({ context }: Ctx) => fn(context) });

const at = (ctx: LevelContext, e: { at?: number; output?: { at?: number } }) => ({ now: Math.max(ctx.now, e.at ?? e.output?.at ?? 0) });

/** Journals an entry the venue accepted (placement answered, or the order reported first). */
const entryPlaced = j((c) => ({ type: 'level.entry-placed', level: 'info', message: `level ${c.level}: entry ${label(c, c.entry)} ${c.entry!.side} ${c.entry!.size} at ${c.entry!.price} post-only`, payload: { level: c.level, clientIndex: c.entry!.clientIndex, price: c.entry!.price, size: c.entry!.size } }));

const markOpen = (o: OrderRecord, t: number): OrderRecord => (o.status === 'sending' ? { ...o, status: 'open', acceptedAt: t } : o);

const setCurrentExit = (ctx: LevelContext, o: OrderRecord): Partial<LevelContext> => ({ exits: [...ctx.exits.slice(0, -1), o] });

const entryFilled = (ctx: LevelContext) => ctx.entry !== null && new Dec(ctx.entry.filled).gt(0);
const nothingRemains = (ctx: LevelContext) => ctx.entry !== null && new Dec(remainingOf(ctx)).lte(0);

const roundTripDone = [
  j((c) => {
    const r = roundTrip(c);
    return {
      type: 'level.round-trip',
      level: 'info',
      message: `level ${c.level} (${c.side === 'buy' ? c.buy : c.sell}) round trip: ${r.side} ${r.size} at ${r.entryPrice}, exit at ${r.exitPrice}, profit ${r.profit} (gross ${r.gross}, fees ${r.fees})`,
      payload: { ...r },
    };
  }),
  sendParent(({ context }: Ctx) => ({ type: 'level.round-trip' as const, report: roundTrip(context) })),
] as never[];

export const levelMachine = setup({
  types: { context: {} as LevelContext, events: {} as LevelEvent, input: {} as LevelInput },
  actors: {
    placeOrder: fromPromise<PlaceOrderOutput, PlaceOrderInput>(notProvided('placeOrder')),
    cancelOrder: fromPromise<PlaceOrderOutput, CancelOrderInput>(notProvided('cancelOrder')),
    queryOrder: fromPromise<QueryOrderOutput, QueryOrderInput>(notProvided('queryOrder')),
    deadline: fromCallback<LevelEvent, DeadlineInput>(notProvided('deadline')),
  },
  actions: {
    journal: (_: unknown, _params: JournalEntry) => {
      throw new Error('journal is not provided: supply it with machine.provide()');
    },
    reportNow: sendParent(({ context, self }) => ({ type: 'level.report' as const, summary: summarize(context, topState(self.getSnapshot().value)) })),
  },
  guards: {
    transient: ({ event }) => {
      const err = (event as unknown as { error?: unknown }).error;
      return isVenueError(err) && isTransient(err.kind);
    },
    rejected: ({ event }) => {
      const err = (event as unknown as { error?: unknown }).error;
      return isVenueError(err) && err.kind === 'rejected';
    },
  },
}).createMachine({
  id: 'level',
  context: ({ input }) => {
    const { arm, ...rest } = input;
    return { ...rest, ...(idleContext() as Omit<LevelContext, keyof LevelInput>), pending: arm ?? null };
  },
  on: {
    'level.order-updated': { actions: [assign(({ context, event }) => ({ ...envOf(context, event), ...applyUpdateToOwn(context, event.order) })), 'reportNow'] },
    // Journaled once per trade: a fill replayed by a reconciliation or sent twice by the stream is
    // applied idempotently and not journaled again (range-grid chaos seed 1 run 20).
    'level.fill': [
      {
        guard: ({ context, event }) => ownsNewFill(context, event.fill),
        actions: [
          assign(({ context, event }) => ({ ...envOf(context, event), ...applyFillToOwn(context, event.fill) })),
          { type: 'journal', params: ({ context, event }) => ({ type: 'level.filled', level: 'info', message: `level ${context.level}: ${event.fill.side} ${event.fill.size} at ${event.fill.price} filled`, payload: { level: context.level, clientIndex: event.fill.clientIndex, price: event.fill.price, size: event.fill.size, fee: event.fill.fee, tradeId: event.fill.tradeId } }) },
          'reportNow',
        ],
      },
      { actions: [assign(({ context, event }) => ({ ...envOf(context, event), ...applyFillToOwn(context, event.fill) })), 'reportNow'] },
    ],
    'level.suspend': { actions: assign(({ context, event }) => ({ ...envOf(context, event), suspended: true, disarmed: true })) },
  },
  initial: 'start',
  states: {
    start: {
      description: 'Spawned: armed at once when the root spawned it with an arm, else idle.',
      always: [{ guard: ({ context }) => context.pending !== null, target: 'awaitingN' }, { target: 'idle' }],
    },
    idle: {
      description: 'No order and nothing held; waits to be armed by the root.',
      entry: [assign(() => idleContext()), report('idle')],
      on: {
        'level.arm': { target: 'awaitingN', actions: assign(({ context, event }) => ({ ...envOf(context, event), pending: { side: event.side, price: event.price, size: event.size } })) },
        'level.suspend': {},
      },
    },
    awaitingN: {
      description: 'Armed: asks the root for a fresh n for this round trip.',
      entry: [report('awaitingN'), sendParent(({ context }: Ctx) => ({ type: 'level.request-n' as const, level: context.level, purpose: 'entry' as const })) as never],
      on: {
        'level.grant-n': { target: 'entryPlacing', actions: assign(({ context, event }) => ({ ...envOf(context, event), ...newEntry(context, event.n) })) },
        'level.disarm': 'idle',
        'level.suspend': 'idle',
      },
    },
    entryPlacing: {
      description: 'Sends the post-only entry (write-ahead: its n is durable first); the venue may report the order before answering.',
      entry: report('entryPlacing'),
      invoke: {
        src: 'placeOrder',
        input: ({ context }) => ({ market: context.market, order: context.entry!, writeAhead: true }),
        onDone: {
          target: 'entryResting',
          actions: [
            assign(({ context, event }) => ({ ...at(context, event), entry: markOpen(context.entry!, event.output.at), sendErrors: 0 })),
            entryPlaced,
          ],
        },
        onError: [
          { guard: 'transient', target: 'entryBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          {
            guard: 'rejected',
            target: 'idle',
            actions: j((c) => ({ type: 'level.entry-rejected', level: 'warning', message: `level ${c.level}: entry ${c.entry!.side} ${c.entry!.size} at ${c.entry!.price} rejected`, payload: { level: c.level, clientIndex: c.entry!.clientIndex } })),
          },
          { target: 'entryQuerying' },
        ],
      },
      // The venue reported the order before answering the placement.
      always: { guard: ({ context }) => context.entry!.status !== 'sending', target: 'entryResting', actions: entryPlaced },
      on: { 'level.disarm': { actions: assign({ disarmed: true }) } },
    },
    entryBackoff: {
      description: 'The send created no order (rate limit, 5xx): re-sends the same index after back-off; a disarm ends it (nothing exists).',
      entry: report('entryBackoff'),
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'send-backoff', at: context.now + backoffMs(context.sendErrors) }) },
      always: { guard: ({ context }) => context.disarmed, target: 'idle' },
      on: { tick: { target: 'entryPlacing', actions: assign(({ context, event }) => at(context, event)) }, 'level.disarm': 'idle' },
    },
    entryQuerying: {
      description: 'Outcome unknown: asks the venue by client index; re-sends the same index only if the venue never had it.',
      entry: report('entryQuerying'),
      invoke: {
        src: 'queryOrder',
        input: ({ context }) => ({ market: context.market, clientIndex: context.entry!.clientIndex }),
        onDone: [
          { guard: ({ context, event }) => event.output.order === null && context.disarmed, target: 'idle' },
          { guard: ({ event }) => event.output.order === null, target: 'entryPlacing' },
          { target: 'entryResting', actions: assign(({ context, event }) => ({ ...at(context, event), entry: applyOrderUpdate(markOpen(context.entry!, event.output.at), event.output.order!) })) },
        ],
        onError: { target: 'entryBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
      },
      on: { 'level.disarm': { actions: assign({ disarmed: true }) } },
    },
    entryResting: {
      description:
        'The entry rests at the level price. A full fill → holding; a partial fill → cancel the rest first, unless what filled could not be exited on its own (below the market minimums at the exit price: it keeps resting until enough filled); disarmed → cancel.',
      entry: report('entryResting'),
      always: [
        { guard: ({ context }) => entryFilled(context) && isTerminal(context.entry!), target: 'holding' },
        // A partial fill below the exit minimum keeps resting: its exit alone would be refused
        // (range-grid chaos seed 3 run 10: 0.00016 × 60043.7 = 9.61 < 10 USD).
        { guard: ({ context }) => context.disarmed || (entryFilled(context) && !exitBelowMinimum(context)), target: 'entryCancelling' },
        {
          guard: ({ context }) => isTerminal(context.entry!),
          target: 'idle',
          actions: j((c) => ({ type: 'level.entry-canceled', level: 'info', message: `level ${c.level}: entry ${label(c, c.entry)} canceled (${c.entry!.cancelReason ?? 'unknown'})`, payload: { level: c.level, reason: c.entry!.cancelReason ?? 'unknown' } })),
        },
      ],
      on: { 'level.disarm': { target: 'entryCancelling', actions: assign({ disarmed: true }) }, 'level.suspend': { target: 'entryCancelling', actions: assign({ disarmed: true, suspended: true }) } },
    },
    entryCancelling: {
      description: 'Cancels the entry and waits for its final status; what filled meanwhile is held and exited.',
      entry: report('entryCancelling'),
      initial: 'sending',
      states: {
        sending: {
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.market, clientIndex: context.entry!.clientIndex }),
            onDone: { target: 'confirming', actions: assign(({ context, event }) => at(context, event)) },
            onError: [{ guard: 'transient', target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) }, { target: 'querying' }],
          },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-backoff', at: context.now + backoffMs(context.sendErrors) }) },
          on: { tick: { target: 'sending', actions: assign(({ context, event }) => at(context, event)) } },
        },
        confirming: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + CANCEL_CONFIRM_MS }) },
          on: { tick: { target: 'querying', actions: assign(({ context, event }) => at(context, event)) } },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market, clientIndex: context.entry!.clientIndex }),
            onDone: [
              // Never on the venue: nothing to cancel, nothing filled.
              { guard: ({ event }) => event.output.order === null, actions: assign(({ context }) => ({ entry: { ...context.entry!, status: 'canceled' as const, cancelReason: 'other' } })) },
              { guard: ({ event }) => event.output.order!.status === 'open', target: 'sending', actions: assign(({ context, event }) => ({ entry: applyOrderUpdate(markOpen(context.entry!, event.output.at), event.output.order!) })) },
              { actions: assign(({ context, event }) => ({ entry: applyOrderUpdate(markOpen(context.entry!, event.output.at), event.output.order!) })) },
            ],
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
      },
      always: [
        { guard: ({ context }) => isTerminal(context.entry!) && entryFilled(context) && context.suspended, target: 'parked' },
        { guard: ({ context }) => isTerminal(context.entry!) && entryFilled(context), target: 'holding' },
        { guard: ({ context }) => isTerminal(context.entry!), target: 'idle' },
      ],
    },
    holding: {
      description: 'Filled: places the exit at the paired level (i+1 long leg, i−1 short leg) with the next exit role; a fresh n when roles run out.',
      entry: report('holding'),
      initial: 'deciding',
      states: {
        deciding: {
          always: [
            { guard: ({ context }) => context.suspended, target: '#level.parked' },
            {
              guard: ({ context }) => exitTarget(context) === null,
              target: '#level.parked',
              actions: j((c) => ({ type: 'level.no-exit-level', level: 'error', message: `level ${c.level}: a ${c.side} leg has no paired level to exit at`, payload: { level: c.level } })),
            },
            { guard: ({ context }) => !exitRolesLeft(context), target: 'awaitingN' },
            { target: 'placing', actions: assign(({ context }) => nextExit(context)) },
          ],
        },
        awaitingN: {
          entry: sendParent(({ context }: Ctx) => ({ type: 'level.request-n' as const, level: context.level, purpose: 'exit' as const })) as never,
          on: { 'level.grant-n': { target: 'deciding', actions: assign(({ context, event }) => ({ ...envOf(context, event), n: event.n, ns: [...context.ns, event.n], exitSeq: 0 })) } },
        },
        placing: {
          invoke: {
            src: 'placeOrder',
            // A fresh n (exit roles ran out) is sent write-ahead, like every new n.
            input: ({ context }) => ({ market: context.market, order: currentExit(context)!, writeAhead: context.exitSeq === 1 && context.ns.length > 1 }),
            onDone: { target: '#level.exitResting', actions: assign(({ context, event }) => ({ ...at(context, event), ...setCurrentExit(context, markOpen(currentExit(context)!, event.output.at)), sendErrors: 0 })) },
            onError: [
              { guard: 'transient', target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
              {
                guard: 'rejected',
                target: '#level.parked',
                actions: [
                  assign(({ context }) => setCurrentExit(context, { ...currentExit(context)!, status: 'canceled', cancelReason: 'rejected' })),
                  j((c) => ({ type: 'level.exit-rejected', level: 'error', message: `level ${c.level}: exit ${label(c, currentExit(c))} rejected; the leg is parked until the operator resumes`, payload: { level: c.level, remaining: remainingOf(c) } })),
                ],
              },
              { target: 'querying' },
            ],
          },
          always: { guard: ({ context }) => currentExit(context)!.status !== 'sending', target: '#level.exitResting' },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'send-backoff', at: context.now + backoffMs(context.sendErrors) }) },
          on: { tick: { target: 'placing', actions: assign(({ context, event }) => at(context, event)) } },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market, clientIndex: currentExit(context)!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order === null, target: 'placing' },
              { target: '#level.exitResting', actions: assign(({ context, event }) => setCurrentExit(context, applyOrderUpdate(markOpen(currentExit(context)!, event.output.at), event.output.order!))) },
            ],
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
      },
    },
    exitResting: {
      description: 'The exit rests; when its fills cover the leg the round trip is journaled with its profit and the level is idle.',
      entry: [
        report('exitResting'),
        j((c) => ({ type: 'level.exit-placed', level: 'info', message: `level ${c.level}: exit ${label(c, currentExit(c))} ${currentExit(c)!.side} ${currentExit(c)!.size} at ${currentExit(c)!.price}${currentExit(c)!.reduceOnly ? ' reduce-only' : ''} post-only`, payload: { level: c.level, clientIndex: currentExit(c)!.clientIndex, price: currentExit(c)!.price, size: currentExit(c)!.size } })),
      ],
      always: [
        { guard: ({ context }) => nothingRemains(context), target: 'idle', actions: roundTripDone },
        {
          guard: ({ context }) => isTerminal(currentExit(context)!) && currentExit(context)!.cancelReason === 'reduce-only',
          target: 'idle',
          actions: j((c) => ({ type: 'level.leg-lost', level: 'error', message: `level ${c.level}: the venue refused exit ${label(c, currentExit(c))} as reduce-only (no position to reduce); ${remainingOf(c)} dropped from the ledger, reconciliation compares with the venue`, payload: { level: c.level, remaining: remainingOf(c) } })),
        },
        { guard: ({ context }) => isTerminal(currentExit(context)!) && context.suspended, target: 'parked' },
        { guard: ({ context }) => isTerminal(currentExit(context)!), target: 'holding' },
        { guard: ({ context }) => context.suspended, target: 'exitCancelling' },
      ],
    },
    exitCancelling: {
      description: 'The root suspended the grid (close): cancels the exit and waits for its final status.',
      entry: report('exitCancelling'),
      initial: 'sending',
      states: {
        sending: {
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.market, clientIndex: currentExit(context)!.clientIndex }),
            onDone: { target: 'confirming', actions: assign(({ context, event }) => at(context, event)) },
            onError: [{ guard: 'transient', target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) }, { target: 'querying' }],
          },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-backoff', at: context.now + backoffMs(context.sendErrors) }) },
          on: { tick: { target: 'sending', actions: assign(({ context, event }) => at(context, event)) } },
        },
        confirming: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + CANCEL_CONFIRM_MS }) },
          on: { tick: { target: 'querying', actions: assign(({ context, event }) => at(context, event)) } },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market, clientIndex: currentExit(context)!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order === null, actions: assign(({ context }) => setCurrentExit(context, { ...currentExit(context)!, status: 'canceled', cancelReason: 'other' })) },
              { guard: ({ event }) => event.output.order!.status === 'open', target: 'sending', actions: assign(({ context, event }) => setCurrentExit(context, applyOrderUpdate(markOpen(currentExit(context)!, event.output.at), event.output.order!))) },
              { actions: assign(({ context, event }) => setCurrentExit(context, applyOrderUpdate(markOpen(currentExit(context)!, event.output.at), event.output.order!))) },
            ],
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
      },
      always: [
        { guard: ({ context }) => nothingRemains(context), target: 'idle', actions: roundTripDone },
        { guard: ({ context }) => isTerminal(currentExit(context)!), target: 'parked' },
      ],
    },
    parked: {
      description: 'Holds its leg with no order (grid suspended, or its exit was rejected): resumes with a fresh exit, or is released once the bot closed the venue position.',
      entry: report('parked'),
      always: { guard: ({ context }) => nothingRemains(context), target: 'idle', actions: roundTripDone },
      on: {
        'level.resume': { target: 'holding', actions: assign(({ context, event }) => ({ ...envOf(context, event), suspended: false, disarmed: false })) },
        'level.release': {
          target: 'idle',
          actions: j((c) => ({ type: 'level.released', level: 'warning', message: `level ${c.level}: leg of ${remainingOf(c)} closed by the bot's market close; no round-trip profit recorded`, payload: { level: c.level, remaining: remainingOf(c), side: c.side } })),
        },
      },
    },
  },
});

/** Top-level state name of a level snapshot value. */
export function topState(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.keys(value as object)[0] ?? '';
  return '';
}
