/**
 * Position child machine: one per tracked position `grid-{n}`.
 *
 *   start → placingExit → exitResting → (exitCanceled → placingExit (close-retry-k) …)
 *         → marketFallback → closed
 *   exitResting → cancelling → (placingExit refresh | ladder | marketFallback | retired)
 *   recovery of a stuck exit (position_timeout after its first exit was accepted):
 *   aggressive/hedge → cancel, market close; ladder → cancel, three legs, then aggressive;
 *   none → alert once.
 *
 * Invariants:
 * - At most one exit order (or one ladder) of this position is live: a new one is sent only
 *   after every earlier one reached a terminal status on the venue (`cancelling` waits).
 * - Every new order gets a new client index (close, close-retry-1..3, ladder-1..3,
 *   market-exit-a, refresh-m); a re-send after a lost answer or transient error keeps it.
 * - `closed` only when venue-confirmed exit fills sum to the size; an order's disappearance
 *   is never taken as a fill.
 * - Every market order is reduce-only and sized min(remaining, |venue position|); failed
 *   market attempts are ≥ 5 s apart with non-decreasing gaps.
 * - Pure: effects are the named actors and the named `journal` action, provided at runtime.
 */
import { assign, fromCallback, fromPromise, sendParent, setup } from 'xstate';
import { isTransient, isVenueError, type VenueOrder } from '../../adapters/types.ts';
import { MAX_CLOSE_RETRIES, orderName, positionId, role as roles } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { applyOrderUpdate, isTerminal } from '../shared/orders.ts';
import type {
  CancelOrderInput,
  DeadlineInput,
  JournalEntry,
  PlaceOrderInput,
  PlaceOrderOutput,
  QueryOrderInput,
  QueryOrderOutput,
} from '../shared/types.ts';
import {
  applyFillToOwn,
  applyUpdateToOwn,
  ladderLegs,
  liveOrders,
  marketBackoffMs,
  markAccepted,
  nextLimitExit,
  nextMarketExit,
  realizedPnlOf,
  remainingOf,
  sendBackoffMs,
  summarize,
} from './logic.ts';
import type { PositionContext, PositionEvent, PositionInput } from './types.ts';

export { remainingOf, realizedPnlOf, sendBackoffMs, summarize } from './logic.ts';

const notProvided = (name: string) => () => {
  throw new Error(`${name} is not provided: supply it with machine.provide()`);
};

export interface CancelOrdersInput {
  market: string;
  clientIndexes: number[];
}
export interface QueryOrdersOutput {
  orders: VenueOrder[];
  /** Indexes the venue never had. */
  missing: number[];
  at: number;
}

function envOf(ctx: PositionContext, e: { at?: number; book?: unknown; venueSize?: unknown }): Partial<PositionContext> {
  const out: Partial<PositionContext> = {};
  if (typeof e.at === 'number' && e.at > ctx.now) out.now = e.at;
  if (e.book) out.book = e.book as PositionContext['book'];
  if (typeof e.venueSize === 'string') out.venueSize = e.venueSize;
  return out;
}

const exitLabel = (ctx: PositionContext) => (ctx.exit ? orderName(ctx.n, ctx.exit.role) : `${positionId(ctx.n)}:none`);

/** Reports the summary under an explicit state name (entry actions see the previous snapshot). */
const reportAs = (state: string) =>
  sendParent(({ context }: { context: PositionContext }) => ({
    type: 'position.summary' as const,
    summary: summarize(context, state === 'cancelling' && context.afterCancel === 'retired' ? 'retiring' : state),
  })) as never;

const j = (fn: (ctx: PositionContext) => JournalEntry) => ({ type: 'journal' as const, params: ({ context }: { context: PositionContext }) => fn(context) });

const acceptedJournal = j((c) => ({
  type: c.failures === 0 && c.refreshes === 0 ? 'exit.placed' : c.exit?.role.kind === 'refresh' ? 'exit.refreshed' : 'exit.reposted',
  level: 'info',
  message: `${exitLabel(c)} ${c.exit!.side} ${c.exit!.size} at ${c.exit!.price} accepted`,
  payload: { position: positionId(c.n), clientIndex: c.exit!.clientIndex, price: c.exit!.price, size: c.exit!.size },
}));

const recoveryJournal = (type: string, level: JournalEntry['level'], what: (c: PositionContext) => string, mode: (c: PositionContext) => string) =>
  j((c) => ({ type, level, message: `${positionId(c.n)}: ${what(c)}`, payload: { position: positionId(c.n), mode: mode(c), remaining: remainingOf(c) } }));

const minutes = (ms: number) => `${new Dec(ms).div(60_000).toFixed()} min`;

export const positionMachine = setup({
  types: {
    context: {} as PositionContext,
    events: {} as PositionEvent,
    input: {} as PositionInput,
  },
  actors: {
    placeOrder: fromPromise<PlaceOrderOutput, PlaceOrderInput>(notProvided('placeOrder')),
    cancelOrder: fromPromise<PlaceOrderOutput, CancelOrderInput>(notProvided('cancelOrder')),
    queryOrder: fromPromise<QueryOrderOutput, QueryOrderInput>(notProvided('queryOrder')),
    cancelOrders: fromPromise<PlaceOrderOutput, CancelOrdersInput>(notProvided('cancelOrders')),
    queryOrders: fromPromise<QueryOrdersOutput, CancelOrdersInput>(notProvided('queryOrders')),
    deadline: fromCallback<PositionEvent, DeadlineInput>(notProvided('deadline')),
  },
  actions: {
    journal: (_: unknown, _params: JournalEntry) => {
      throw new Error('journal is not provided: supply it with machine.provide()');
    },
    report: sendParent(({ context, self }) => ({
      type: 'position.summary' as const,
      summary: summarize(context, stateName(self.getSnapshot().value)),
    })),
  },
  guards: {
    nothingRemains: ({ context }) => new Dec(remainingOf(context)).lte(0),
    settled: ({ context }) => new Dec(remainingOf(context)).lte(0) && liveOrders(context).length === 0,
    exitCanceled: ({ context }) => context.exit !== null && context.exit.status === 'canceled',
    exitTerminal: ({ context }) => context.exit !== null && isTerminal(context.exit),
    nothingLive: ({ context }) => liveOrders(context).length === 0,
    resizeNeeded: ({ context }) => context.resizePending,
    refreshNeeded: ({ context }) => context.refreshPending,
    retryLimitReached: ({ context }) => context.failures > MAX_CLOSE_RETRIES,
    isBoost: ({ context }) => context.params.boost,
  },
}).createMachine({
  id: 'position',
  context: ({ input }) => ({
    n: input.n,
    params: input.params,
    size: input.size,
    entryPrice: input.entryPrice,
    tpPrice: input.tpPrice,
    exit: input.exit ?? null,
    ladder: [],
    stray: [],
    ended: input.ended ?? [],
    exitFilledPrior: input.exitFilledPrior ?? '0',
    exitNotionalPrior: input.exitNotionalPrior ?? '0',
    failures: input.failures ?? 0,
    marketAttempts: 0,
    marketFailures: 0,
    refreshes: 0,
    sendErrors: 0,
    lastSendAt: input.exit ? input.exit.sentAt : 0,
    now: input.now,
    trackedAt: input.now,
    restingSince: input.exit && input.exit.status === 'open' ? (input.exit.acceptedAt ?? input.now) : null,
    recoveryStage: null,
    recoveryDetected: false,
    ladderSince: null,
    afterCancel: null,
    book: input.book,
    venueSize: input.venueSize,
    exitAccepted: input.exit !== undefined && input.exit.status !== 'sending',
    resizePending: false,
    refreshPending: false,
    retireRequested: false,
    entryOpen: input.entryOpen ?? false,
  }),
  on: {
    'position.order-updated': {
      actions: [assign(({ context, event }) => ({ ...envOf(context, event), ...applyUpdateToOwn(context, event.order) })), 'report'],
    },
    'position.fill': {
      actions: [
        assign(({ context, event }) => ({ ...envOf(context, event), ...applyFillToOwn(context, event.fill) })),
        {
          type: 'journal',
          params: ({ context, event }) => ({
            type: 'exit.filled',
            level: 'info',
            message: `${positionId(context.n)} exit filled ${event.fill.size} at ${event.fill.price}`,
            payload: { position: positionId(context.n), clientIndex: event.fill.clientIndex, size: event.fill.size, price: event.fill.price, tradeId: event.fill.tradeId },
          }),
        },
        'report',
      ],
    },
    'position.size': {
      actions: [
        assign(({ context, event }) => {
          const grew = new Dec(event.size).gt(context.size);
          return { ...envOf(context, event), ...(grew ? { size: event.size, entryPrice: event.entryPrice, resizePending: context.exit !== null } : {}) };
        }),
        'report',
      ],
    },
    'position.retire': {
      target: '.cancelling',
      actions: [
        assign(({ context, event }) => ({ ...envOf(context, event), retireRequested: true, afterCancel: 'retired' as const })),
        j((c) => ({ type: 'position.retired', level: 'warning', message: `${positionId(c.n)} retired`, payload: { position: positionId(c.n), remaining: remainingOf(c) } })),
      ],
    },
    'position.market': { actions: assign(({ context, event }) => envOf(context, event)) },
    // Operator cancel-all: its orders are cancelled, it stays tracked without an exit.
    'position.suspend': {
      guard: ({ context }) => context.afterCancel !== 'retired',
      target: '.cancelling',
      actions: assign(({ context, event }) => ({ ...envOf(context, event), afterCancel: 'suspended' as const })),
    },
    'position.entry-done': { actions: [assign(({ context, event }) => ({ ...envOf(context, event), entryOpen: false })), 'report'] },
  },
  initial: 'start',
  states: {
    start: {
      description: 'Chooses the first step: adopt an exit found on the venue, a boost-mode market exit, or a limit take-profit.',
      always: [
        { guard: ({ context }) => context.exit !== null, target: 'exitResting' },
        { guard: 'isBoost', target: 'marketFallback' },
        { target: 'placingExit', actions: assign(({ context }) => nextLimitExit(context, 'retry')) },
      ],
    },
    placingExit: {
      description: 'Sends the current exit order (same client index on every re-send) and waits for the venue to accept it.',
      entry: reportAs('placingExit'),
      invoke: {
        src: 'placeOrder',
        input: ({ context }) => ({ market: context.params.market, order: context.exit!, writeAhead: false }),
        onDone: {
          target: 'exitResting',
          actions: [
            assign(({ context, event }) => ({
              now: Math.max(context.now, event.output.at),
              exit: markAccepted(context.exit, event.output.at),
              exitAccepted: true,
              sendErrors: 0,
              restingSince: context.restingSince ?? event.output.at,
            })),
            sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
            acceptedJournal,
          ],
        },
        onError: [
          {
            guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind),
            target: 'placeBackoff',
            actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })),
          },
          {
            guard: ({ event }) => isVenueError(event.error) && event.error.kind === 'rejected',
            target: 'exitCanceled',
            actions: [
              assign(({ context }) => ({ exit: context.exit ? { ...context.exit, status: 'canceled' as const, cancelReason: 'rejected' } : null })),
              { type: 'journal', params: ({ context, event }) => ({ type: 'exit.rejected', level: 'warning', message: `${exitLabel(context)} rejected: ${(event.error as Error).message}`, payload: { position: positionId(context.n) } }) },
            ],
          },
          { target: 'recovering' },
        ],
      },
      always: [
        { guard: ({ context }) => context.exhausted === true, target: 'exhausted' },
        // The venue reported the order (or its end) before the send's answer arrived.
        {
          guard: ({ context }) => context.exit !== null && context.exit.status !== 'sending',
          target: 'exitResting',
          actions: [
            assign(({ context }) => ({ exitAccepted: true, sendErrors: 0, restingSince: context.restingSince ?? context.now })),
            sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
            acceptedJournal,
          ],
        },
      ],
    },
    placeBackoff: {
      description: 'The last send created no order (rate limit, 5xx): waits, then re-sends the same order with the same index.',
      entry: reportAs('placeBackoff'),
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'send-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
      on: { tick: { target: 'placingExit', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
    },
    exitResting: {
      description: 'The exit rests; fills reduce what remains. Refreshed before expiry; after position_timeout the recovery mode acts.',
      entry: reportAs('exitResting'),
      invoke: [
        {
          src: 'deadline',
          input: ({ context }) => ({
            name: 'refresh',
            at:
              context.exit && context.exit.type === 'limit'
                ? (context.exit.acceptedAt ?? context.exit.sentAt) + context.params.exitLifetimeMs - context.params.exitRefreshLeadMs
                : Number.MAX_SAFE_INTEGER,
          }),
        },
        {
          src: 'deadline',
          input: ({ context }) => ({
            name: 'stuck',
            at: context.restingSince === null || context.recoveryDetected ? Number.MAX_SAFE_INTEGER : context.restingSince + context.params.timeoutMs,
          }),
        },
      ],
      always: [
        { guard: 'nothingRemains', target: 'settle' },
        { guard: 'exitCanceled', target: 'exitCanceled' },
        // Filled in full while the position grew: place the rest.
        { guard: 'exitTerminal', target: 'placingExit', actions: assign(({ context }) => nextLimitExit(context, 'refresh')) },
        { guard: 'resizeNeeded', target: 'cancelling', actions: assign({ afterCancel: 'refresh' as const }) },
        { guard: 'refreshNeeded', target: 'cancelling', actions: assign({ afterCancel: 'refresh' as const }) },
      ],
      on: {
        tick: [
          { guard: ({ event }) => event.name === 'refresh', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at), refreshPending: true })) },
          {
            guard: ({ context, event }) => event.name === 'stuck' && context.params.recoveryMode === 'none',
            target: 'exitResting',
            reenter: true,
            actions: [
              assign(({ context, event }) => ({ now: Math.max(context.now, event.at), recoveryDetected: true })),
              recoveryJournal('recovery.detected', 'warning', (c) => `exit resting longer than ${minutes(c.params.timeoutMs)}; mode none: left resting`, () => 'none'),
            ],
          },
          {
            guard: ({ context, event }) => event.name === 'stuck' && context.params.recoveryMode === 'ladder',
            target: 'cancelling',
            actions: [
              assign(({ context, event }) => ({ now: Math.max(context.now, event.at), recoveryDetected: true, recoveryStage: 'ladder' as const, afterCancel: 'ladder' as const })),
              recoveryJournal('recovery.detected', 'warning', (c) => `exit resting longer than ${minutes(c.params.timeoutMs)}`, () => 'ladder'),
            ],
          },
          {
            guard: ({ event }) => event.name === 'stuck',
            target: 'cancelling',
            actions: [
              assign(({ context, event }) => ({ now: Math.max(context.now, event.at), recoveryDetected: true, recoveryStage: 'aggressive' as const, afterCancel: 'market' as const })),
              recoveryJournal('recovery.detected', 'warning', (c) => `exit resting longer than ${minutes(c.params.timeoutMs)}`, (c) => c.params.recoveryMode),
              recoveryJournal('recovery.started', 'warning', () => 'cancelling its exit, then a reduce-only market close', (c) => (c.params.recoveryMode === 'hedge' ? 'aggressive (hedge on a netting venue)' : 'aggressive')),
            ],
          },
        ],
      },
    },
    exitCanceled: {
      description: 'The exit ended without filling the position: counts a failed attempt, then reposts wider (≥ 250 ms after the last send) or falls back to market.',
      entry: [
        assign(({ context }) => ({ failures: context.failures + 1 })),
        reportAs('exitCanceled'),
        j((c) => ({
          type: 'exit.canceled',
          level: 'info',
          message: `${exitLabel(c)} canceled (${c.exit?.cancelReason ?? 'unknown'}), attempt ${c.failures} failed`,
          payload: { position: positionId(c.n), reason: c.exit?.cancelReason, failures: c.failures },
        })),
      ],
      always: [
        { guard: 'nothingRemains', target: 'settle' },
        {
          guard: 'retryLimitReached',
          target: 'marketFallback',
          actions: j((c) => ({
            type: 'exit.retry-limit-exceeded',
            level: 'warning',
            message: `${positionId(c.n)}: ${c.failures} exit attempts canceled; closing at market (reduce-only)`,
            payload: { position: positionId(c.n), failures: c.failures },
          })),
        },
      ],
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'retry-spacing', at: context.lastSendAt + context.params.retrySpacingMs }) },
      on: {
        tick: { target: 'placingExit', actions: assign(({ context, event }) => nextLimitExit({ ...context, now: Math.max(context.now, event.at) }, 'retry')) },
      },
    },
    cancelling: {
      description: 'Cancels every live order of this position (to resize, refresh, recover or retire) and waits for the venue to confirm each end.',
      entry: reportAs('cancelling'),
      initial: 'sending',
      states: {
        sending: {
          invoke: {
            src: 'cancelOrders',
            input: ({ context }) => ({ market: context.params.market, clientIndexes: liveOrders(context).map((o) => o.clientIndex) }),
            onDone: { target: 'confirming', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.output.at) })) },
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'querying', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
        },
        confirming: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + 10_000 }) },
          on: { tick: { target: 'querying', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
        },
        querying: {
          // The venue's own word on each order: ended (with its fills) or still live → cancel again.
          invoke: {
            src: 'queryOrders',
            input: ({ context }) => ({ market: context.params.market, clientIndexes: liveOrders(context).map((o) => o.clientIndex) }),
            onDone: {
              target: 'sending',
              actions: assign(({ context, event }) => {
                let next: PositionContext = { ...context, now: Math.max(context.now, event.output.at) };
                for (const o of event.output.orders) next = { ...next, ...applyUpdateToOwn(next, o) };
                // Never on the venue: nothing to cancel (it was never sent).
                const gone = new Set(event.output.missing);
                if (next.exit && gone.has(next.exit.clientIndex)) next = { ...next, exit: { ...next.exit, status: 'canceled', cancelReason: 'never-placed' } };
                next = { ...next, ladder: next.ladder.map((o) => (gone.has(o.clientIndex) ? { ...o, status: 'canceled' as const, cancelReason: 'never-placed' } : o)) };
                return next;
              }),
            },
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
      },
      always: [
        { guard: 'settled', target: 'settle' },
        { guard: 'nothingLive', target: 'dispatch' },
      ],
    },
    dispatch: {
      description: 'Every earlier order has ended: continues with what the cancel was for.',
      // Entered only from cancelling when something remains (cancelling settles otherwise).
      always: [
        { guard: ({ context }) => context.afterCancel === 'retired', target: 'retired' },
        { guard: ({ context }) => context.afterCancel === 'suspended', target: 'suspended', actions: assign({ afterCancel: null }) },
        { guard: ({ context }) => context.afterCancel === 'market', target: 'marketFallback' },
        { guard: ({ context }) => context.afterCancel === 'ladder', target: 'ladder' },
        { target: 'placingExit', actions: assign(({ context }) => ({ ...nextLimitExit(context, 'refresh'), afterCancel: null })) },
      ],
    },
    ladder: {
      description: 'Ladder recovery: three reduce-only post-only legs at mid ± 1.5 / 3 / 4.5 %; escalates to aggressive after a further timeout.',
      entry: [
        assign(({ context }) => ({ ...ladderLegs(context), ladderSince: context.now, afterCancel: null })),
        reportAs('ladder'),
        recoveryJournal('recovery.started', 'warning', (c) => `ladder of ${c.ladder.length} legs at ${c.ladder.map((o) => o.price).join(', ')}`, () => 'ladder'),
      ],
      initial: 'placing',
      states: {
        placing: {
          always: [{ guard: ({ context }) => context.ladder.every((o) => o.status !== 'sending'), target: 'resting' }],
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.params.market, order: context.ladder.find((o) => o.status === 'sending')!, writeAhead: false }),
            onDone: {
              target: 'placing',
              reenter: true,
              actions: assign(({ context, event }) => ({
                ladder: context.ladder.map((o) => (o.clientIndex === event.output.clientIndex ? markAccepted(o, event.output.at)! : o)),
                exitAccepted: true,
                sendErrors: 0,
              })),
            },
            onError: [
              { guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind), target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
              {
                // Rejected, duplicate or unknown: ask the venue about it before anything else.
                target: 'querying',
              },
            ],
          },
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'send-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'placing', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.params.market, clientIndex: context.ladder.find((o) => o.status === 'sending')!.clientIndex }),
            onDone: {
              target: 'placing',
              actions: assign(({ context, event }) => {
                const i = context.ladder.findIndex((o) => o.status === 'sending');
                // The stream reported the leg before the query answered: nothing left to resolve.
                if (i < 0) return {};
                const ladder = [...context.ladder];
                // Never on the venue → dropped from the ladder (its size is closed by the escalation).
                ladder[i] = event.output.order ? applyOrderUpdate({ ...ladder[i], status: 'open' }, event.output.order) : { ...ladder[i], status: 'canceled', cancelReason: 'rejected' };
                return { ladder };
              }),
            },
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        resting: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'ladder-timeout', at: (context.ladderSince ?? context.now) + context.params.timeoutMs }) },
          on: {
            tick: {
              target: '#position.cancelling',
              actions: [
                assign(({ context, event }) => ({ now: Math.max(context.now, event.at), recoveryStage: 'aggressive' as const, afterCancel: 'market' as const })),
                recoveryJournal('recovery.started', 'warning', () => 'ladder legs still resting after a further timeout: escalating, cancel then market close', () => 'aggressive (escalated from ladder)'),
              ],
            },
          },
        },
      },
      always: [{ guard: 'settled', target: 'settle' }],
    },
    marketFallback: {
      description: 'Closes what remains with reduce-only market orders (market-exit-1, -2, …); failed attempts back off ≥ 5 s, non-decreasing.',
      entry: reportAs('marketFallback'),
      initial: 'spacing',
      states: {
        spacing: {
          description: 'Keeps ≥ retry spacing after the last exit send before the first market order.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'retry-spacing', at: context.lastSendAt + context.params.retrySpacingMs }) },
          on: {
            tick: {
              target: 'sending',
              actions: [
                assign(({ context, event }) => nextMarketExit({ ...context, now: Math.max(context.now, event.at) })),
                j((c) => ({
                  type: c.recoveryStage ? 'recovery.market-close' : 'exit.market-fallback',
                  level: 'warning',
                  message: `${exitLabel(c)}: market ${c.exit!.side} ${c.exit!.size}, reduce-only`,
                  payload: { position: positionId(c.n), clientIndex: c.exit!.clientIndex, size: c.exit!.size },
                })),
              ],
            },
          },
        },
        sending: {
          always: { guard: ({ context }) => context.exhausted === true, target: '#position.exhausted' },
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.params.market, order: context.exit!, writeAhead: false }),
            onDone: {
              target: 'awaiting',
              actions: [
                assign(({ context, event }) => ({ now: Math.max(context.now, event.output.at), exit: markAccepted(context.exit, event.output.at), exitAccepted: true, sendErrors: 0 })),
                sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
              ],
            },
            onError: [
              {
                guard: ({ event }) => isVenueError(event.error) && (event.error.kind === 'duplicate-client-index' || event.error.kind === 'outcome-unknown'),
                target: 'querying',
              },
              {
                target: 'backoff',
                actions: [
                  assign(({ context, event }) => ({
                    marketFailures: context.marketFailures + 1,
                    // A send that created no order keeps its index for the next try; a reject ends it.
                    exit:
                      context.exit && !(isVenueError(event.error) && isTransient(event.error.kind))
                        ? { ...context.exit, status: 'canceled' as const, cancelReason: 'rejected' }
                        : context.exit,
                  })),
                  { type: 'journal', params: ({ context, event }) => ({ type: 'exit.market-failed', level: 'warning', message: `${exitLabel(context)} failed: ${(event.error as Error).message}`, payload: { position: positionId(context.n), attempt: context.marketFailures } }) },
                ],
              },
            ],
          },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.params.market, clientIndex: context.exit!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order === null, target: 'sending' },
              {
                target: 'awaiting',
                actions: assign(({ context, event }) => ({
                  now: Math.max(context.now, event.output.at),
                  exit: context.exit ? applyOrderUpdate({ ...context.exit, status: context.exit.status === 'sending' ? 'open' : context.exit.status }, event.output.order!) : null,
                })),
              },
            ],
            onError: { target: 'backoff', actions: assign(({ context }) => ({ marketFailures: context.marketFailures + 1 })) },
          },
        },
        awaiting: {
          always: [
            { guard: 'nothingRemains', target: '#position.settle' },
            {
              guard: 'exitTerminal',
              target: 'backoff',
              actions: [
                assign(({ context }) => ({ marketFailures: context.marketFailures + 1 })),
                j((c) => ({ type: 'exit.market-failed', level: 'warning', message: `${exitLabel(c)} ended with ${remainingOf(c)} remaining (${c.exit?.cancelReason ?? 'unknown'})`, payload: { position: positionId(c.n), attempt: c.marketFailures } })),
              ],
            },
          ],
        },
        backoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'market-backoff', at: context.lastSendAt + marketBackoffMs(context.marketFailures) }) },
          always: [{ guard: 'nothingRemains', target: '#position.settle' }],
          on: {
            tick: [
              // The failed order is still unresolved on the venue: ask first.
              { guard: ({ context }) => context.exit !== null && !isTerminal(context.exit) && context.exit.status !== 'sending', target: 'querying' },
              {
                guard: ({ context }) => context.exit !== null && context.exit.status === 'sending',
                target: 'sending',
                actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at), lastSendAt: Math.max(context.now, event.at) })),
              },
              { target: 'sending', actions: assign(({ context, event }) => nextMarketExit({ ...context, now: Math.max(context.now, event.at) })) },
            ],
          },
        },
      },
    },
    recovering: {
      description: 'The outcome of the last exit send is unknown: asks the venue by client index, never guesses.',
      entry: reportAs('recovering'),
      invoke: {
        src: 'queryOrder',
        input: ({ context }) => ({ market: context.params.market, clientIndex: context.exit!.clientIndex }),
        onDone: [
          // The venue never had it: re-send the same order (same index).
          { guard: ({ event }) => event.output.order === null, target: 'placingExit' },
          {
            target: 'exitResting',
            actions: [
              assign(({ context, event }) => ({
                now: Math.max(context.now, event.output.at),
                exit: context.exit
                  ? applyOrderUpdate({ ...context.exit, status: context.exit.status === 'sending' ? 'open' : context.exit.status, acceptedAt: context.exit.acceptedAt ?? event.output.order!.createdAt }, event.output.order!)
                  : null,
                exitAccepted: true,
                restingSince: context.restingSince ?? event.output.order!.createdAt,
              })),
              sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
            ],
          },
        ],
        onError: { target: 'recoverBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
      },
    },
    recoverBackoff: {
      description: 'The venue could not be asked: waits, then asks again.',
      entry: reportAs('recoverBackoff'),
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'recover-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
      on: { tick: { target: 'recovering', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
    },
    exhausted: {
      description: 'Its client-index roles ran out: cancels what is live and retires; reconciliation adopts what remains under a fresh position number.',
      entry: j((c) => ({
        type: 'position.roles-exhausted',
        level: 'error',
        message: `${positionId(c.n)}: no client-index role left (${c.refreshes} refreshes, ${c.marketAttempts} market exits); handing ${remainingOf(c)} over to reconciliation`,
        payload: { position: positionId(c.n), remaining: remainingOf(c) },
      })),
      always: { target: 'cancelling', actions: assign({ afterCancel: 'retired' as const }) },
    },
    suspended: {
      description: 'Operator cancel-all: tracked, no exit on the venue, until the operator resumes (then a fresh exit is placed).',
      entry: reportAs('suspended'),
      always: { guard: 'nothingRemains', target: 'settle' },
      on: {
        'position.suspend': {},
        'position.unsuspend': { target: 'placingExit', actions: assign(({ context, event }) => nextLimitExit({ ...context, ...envOf(context, event) }, 'refresh')) },
      },
    },
    settle: {
      description: 'Nothing remains: closed, unless its entry order is still live (more fills may come).',
      always: [{ guard: ({ context }) => context.entryOpen, target: 'flat' }, { target: 'closed' }],
    },
    flat: {
      description: 'Everything filled so far has been exited, but the entry still rests: waits for more fills or its end.',
      entry: reportAs('flat'),
      always: [
        { guard: ({ context }) => !context.entryOpen && new Dec(remainingOf(context)).lte(0), target: 'closed' },
        { guard: ({ context }) => new Dec(remainingOf(context)).gt(0), target: 'placingExit', actions: assign(({ context }) => nextLimitExit(context, 'refresh')) },
      ],
    },
    retired: {
      type: 'final',
      description: 'Retired: its orders are gone; the root stops tracking it.',
      entry: [
        reportAs('retired'),
        sendParent(({ context }) => ({ type: 'position.closed' as const, n: context.n, realizedPnl: realizedPnlOf(context), reason: context.exhausted ? 'exhausted' : 'retired' })),
      ],
    },
    closed: {
      type: 'final',
      description: 'The venue confirmed exit fills for the whole size: nothing remains.',
      entry: [
        reportAs('closed'),
        j((c) => ({ type: 'position.closed', level: 'info', message: `${positionId(c.n)} closed, realized PnL ${realizedPnlOf(c)}`, payload: { position: positionId(c.n), realizedPnl: realizedPnlOf(c), size: c.size } })),
        {
          type: 'journal',
          params: ({ context }) =>
            context.recoveryStage
              ? { type: 'recovery.done', level: 'info', message: `${positionId(context.n)}: recovery done (${context.recoveryStage})`, payload: { position: positionId(context.n), mode: context.recoveryStage } }
              : { type: 'position.close-path', level: 'debug', message: `${positionId(context.n)} closed by its exits` },
        },
        sendParent(({ context }) => ({ type: 'position.closed' as const, n: context.n, realizedPnl: realizedPnlOf(context), reason: 'closed' })),
      ],
    },
  },
});

export function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const [k, v] = Object.entries(value as Record<string, unknown>)[0] ?? [];
    return k ? `${k}.${stateName(v)}` : '';
  }
  return '';
}

export { roles };
