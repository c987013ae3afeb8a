/**
 * Position child machine: one per tracked position `grid-{n}`.
 *
 *   start → placingExit → exitResting → (exitCanceled → placingExit (close-retry-k) …)
 *         → marketFallback → closed          (also: recovering, replacingExit, retiring)
 *
 * Invariants:
 * - At most one exit order of this position is live at a time: a new exit is only sent after
 *   the previous one reached a terminal status on the venue (or never existed there).
 * - Every new exit order gets a new client index (close, close-retry-1..3, market-exit-a,
 *   refresh-m); a re-send after a lost answer or transient error keeps the same index.
 * - `closed` is reached only when the venue-confirmed exit fills sum to the position size;
 *   an order's disappearance is never taken as a fill.
 * - Every market order is reduce-only and sized min(remaining, |venue position|).
 * - Pure: effects are the named actors (placeOrder, cancelOrder, queryOrder, deadline) and
 *   the named `journal` action, provided at runtime.
 */
import { assign, fromCallback, fromPromise, sendParent, setup } from 'xstate';
import { isTransient, isVenueError } from '../../adapters/types.ts';
import { role as roles, MAX_CLOSE_RETRIES, orderName, positionId } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { closeRetryPrice, marketWorstPrice } from '../../src/domain/grid-math.ts';
import { applyFill, applyOrderUpdate, filledNotional, isTerminal, newOrderRecord } from '../shared/orders.ts';
import type {
  CancelOrderInput,
  DeadlineInput,
  JournalEntry,
  PlaceOrderInput,
  PlaceOrderOutput,
  PositionSummary,
  QueryOrderInput,
  QueryOrderOutput,
} from '../shared/types.ts';
import type { PositionContext, PositionEvent, PositionInput } from './types.ts';

const notProvided = (name: string) => () => {
  throw new Error(`${name} is not provided: supply it with machine.provide()`);
};

/** Back-off for sends that created no order: 0.5 s doubling to 30 s. */
export function sendBackoffMs(errors: number): number {
  return Math.min(30_000, 500 * 2 ** Math.max(0, errors - 1));
}

export function remainingOf(ctx: Pick<PositionContext, 'size' | 'exitFilledPrior' | 'exit'>): string {
  const exitFilled = new Dec(ctx.exitFilledPrior).plus(ctx.exit ? ctx.exit.filled : '0');
  const r = new Dec(ctx.size).minus(exitFilled);
  return (r.isNegative() ? new Dec(0) : r).toFixed();
}

export function realizedPnlOf(ctx: PositionContext): string {
  const filled = new Dec(ctx.exitFilledPrior).plus(ctx.exit ? ctx.exit.filled : '0');
  const notional = new Dec(ctx.exitNotionalPrior).plus(ctx.exit ? filledNotional(ctx.exit) : '0');
  const cost = filled.times(ctx.entryPrice);
  return (ctx.params.direction === 'buy' ? notional.minus(cost) : cost.minus(notional)).toFixed();
}

export function summarize(ctx: PositionContext, state: string): PositionSummary {
  return {
    n: ctx.n,
    size: ctx.size,
    remaining: remainingOf(ctx),
    entryPrice: ctx.entryPrice,
    exit: ctx.exit
      ? { clientIndex: ctx.exit.clientIndex, price: ctx.exit.price, type: ctx.exit.type, status: ctx.exit.status, size: ctx.exit.size }
      : null,
    state,
    realizedPnl: realizedPnlOf(ctx),
    exitAccepted: ctx.exitAccepted,
  };
}

const exitSide = (ctx: PositionContext) => (ctx.params.direction === 'buy' ? 'sell' : 'buy') as 'buy' | 'sell';

/** Moves the current exit's fills into the prior totals (it has ended) and clears it. */
function retireExit(ctx: PositionContext): Partial<PositionContext> {
  if (!ctx.exit) return {};
  return {
    exitFilledPrior: new Dec(ctx.exitFilledPrior).plus(ctx.exit.filled).toFixed(),
    exitNotionalPrior: new Dec(ctx.exitNotionalPrior).plus(filledNotional(ctx.exit)).toFixed(),
    exit: null,
  };
}

/** The next limit exit: close first, then close-retry-k after k failures, refresh-m when replacing. */
function nextLimitExit(ctx: PositionContext, kind: 'retry' | 'refresh'): Partial<PositionContext> {
  const base = retireExit(ctx);
  const merged = { ...ctx, ...base };
  const remaining = remainingOf(merged);
  const p = ctx.params;
  let role;
  let price = ctx.tpPrice;
  let refreshes = ctx.refreshes;
  if (kind === 'refresh') {
    refreshes += 1;
    role = roles.refresh(refreshes);
  } else if (ctx.failures === 0) {
    role = roles.close();
  } else {
    role = roles.closeRetry(ctx.failures);
    const book = ctx.book ?? { bid: ctx.tpPrice, ask: ctx.tpPrice };
    price = closeRetryPrice({
      direction: p.direction,
      tpPrice: ctx.tpPrice,
      bid: book.bid,
      ask: book.ask,
      tick: p.tick,
      multiplier: p.multiplier,
      k: ctx.failures,
    });
  }
  const exit = newOrderRecord({
    slot: p.slot,
    n: ctx.n,
    role,
    side: exitSide(ctx),
    type: 'limit',
    price,
    size: remaining,
    reduceOnly: true,
    postOnly: true,
    sentAt: ctx.now,
    expiresAt: ctx.now + p.exitLifetimeMs,
  });
  return { ...base, exit, refreshes, lastSendAt: ctx.now, sendErrors: 0, resizePending: false, refreshPending: false };
}

function nextMarketExit(ctx: PositionContext): Partial<PositionContext> {
  const base = retireExit(ctx);
  const merged = { ...ctx, ...base };
  const remaining = new Dec(remainingOf(merged));
  const venue = new Dec(ctx.venueSize);
  const size = venue.gt(0) && venue.lt(remaining) ? venue : remaining;
  const p = ctx.params;
  const side = exitSide(ctx);
  const book = ctx.book ?? { bid: ctx.entryPrice, ask: ctx.entryPrice };
  const a = ctx.marketAttempts + 1;
  const exit = newOrderRecord({
    slot: p.slot,
    n: ctx.n,
    role: roles.marketExit(Math.min(a, 64)),
    side,
    type: 'market',
    price: marketWorstPrice({ side, bid: book.bid, ask: book.ask, slippagePct: p.slippagePct, tick: p.tick }),
    size: size.toFixed(),
    reduceOnly: true,
    postOnly: false,
    sentAt: ctx.now,
  });
  return { ...base, exit, marketAttempts: a, lastSendAt: ctx.now, sendErrors: 0 };
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
  sendParent(({ context }: { context: PositionContext }) => ({ type: 'position.summary' as const, summary: summarize(context, state) })) as never;

const acceptedJournal = {
  type: 'journal' as const,
  params: ({ context }: { context: PositionContext }): JournalEntry => ({
    type: context.failures === 0 && context.refreshes === 0 ? 'exit.placed' : context.refreshes > 0 && context.exit?.role.kind === 'refresh' ? 'exit.refreshed' : 'exit.reposted',
    level: 'info',
    message: `${exitLabel(context)} ${context.exit!.side} ${context.exit!.size} at ${context.exit!.price} accepted`,
    payload: { position: positionId(context.n), clientIndex: context.exit!.clientIndex, price: context.exit!.price, size: context.exit!.size },
  }),
};

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
    exitCanceled: ({ context }) => context.exit !== null && context.exit.status === 'canceled',
    exitTerminal: ({ context }) => context.exit !== null && isTerminal(context.exit),
    exitGone: ({ context }) => context.exit === null || isTerminal(context.exit),
    resizeNeeded: ({ context }) => context.resizePending,
    refreshNeeded: ({ context }) => context.refreshPending,
    retryLimitReached: ({ context }) => context.failures > MAX_CLOSE_RETRIES,
    isBoost: ({ context }) => context.params.boost,
    hasRestingExit: ({ context }) => context.exit !== null && context.exit.type === 'limit' && !isTerminal(context.exit),
    retireRequested: ({ context }) => context.retireRequested,
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
    exitFilledPrior: input.exitFilledPrior ?? '0',
    exitNotionalPrior: input.exitNotionalPrior ?? '0',
    failures: input.failures ?? 0,
    marketAttempts: 0,
    refreshes: 0,
    sendErrors: 0,
    lastSendAt: input.exit ? input.exit.sentAt : 0,
    now: input.now,
    trackedAt: input.now,
    book: input.book,
    venueSize: input.venueSize,
    exitAccepted: input.exit !== undefined && input.exit.status !== 'sending',
    resizePending: false,
    refreshPending: false,
    retireRequested: false,
  }),
  on: {
    'position.order-updated': {
      actions: [
        assign(({ context, event }) => ({
          ...envOf(context, event),
          ...(context.exit && context.exit.clientIndex === event.order.clientIndex
            ? { exit: applyOrderUpdate(context.exit, event.order) }
            : {}),
        })),
        'report',
      ],
    },
    'position.fill': {
      actions: [
        assign(({ context, event }) => ({
          ...envOf(context, event),
          ...(context.exit && context.exit.clientIndex === event.fill.clientIndex ? { exit: applyFill(context.exit, event.fill) } : {}),
        })),
        {
          type: 'journal',
          params: ({ context, event }) => ({
            type: 'exit.filled',
            level: 'info',
            message: `${orderName(context.n, context.exit?.role ?? roles.close())} filled ${event.fill.size} at ${event.fill.price}`,
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
          return {
            ...envOf(context, event),
            ...(grew ? { size: event.size, entryPrice: event.entryPrice, resizePending: context.exit !== null } : {}),
          };
        }),
        'report',
      ],
    },
    'position.retire': {
      target: '.retiring',
      actions: [
        assign(({ context, event }) => ({ ...envOf(context, event), retireRequested: true })),
        {
          type: 'journal',
          params: ({ context, event }) => ({
            type: 'position.retired',
            level: 'warning',
            message: `${positionId(context.n)} retired: ${event.reason}`,
            payload: { position: positionId(context.n), remaining: remainingOf(context), reason: event.reason },
          }),
        },
      ],
    },
    'position.market': { actions: assign(({ context, event }) => envOf(context, event)) },
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
              exit: context.exit && context.exit.status === 'sending' ? { ...context.exit, status: 'open' as const, acceptedAt: event.output.at } : context.exit,
              exitAccepted: true,
              sendErrors: 0,
            })),
            sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
            acceptedJournal,
            'report',
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
              {
                type: 'journal',
                params: ({ context, event }) => ({
                  type: 'exit.rejected',
                  level: 'warning',
                  message: `${exitLabel(context)} rejected: ${(event.error as Error).message}`,
                  payload: { position: positionId(context.n) },
                }),
              },
            ],
          },
          { target: 'recovering' },
        ],
      },
      always: [
        // The venue reported the order (or its end) before the send's answer arrived.
        {
          guard: ({ context }) => context.exit !== null && context.exit.status !== 'sending',
          target: 'exitResting',
          actions: [
            assign(({ context }) => ({ exitAccepted: true, sendErrors: 0 })),
            sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
            acceptedJournal,
          ],
        },
      ],
    },
    placeBackoff: {
      description: 'The last send created no order (rate limit, 5xx): waits, then re-sends the same order with the same index.',
      entry: reportAs('placeBackoff'),
      invoke: {
        src: 'deadline',
        input: ({ context }) => ({ name: 'send-backoff', at: context.now + sendBackoffMs(context.sendErrors) }),
      },
      on: {
        tick: { target: 'placingExit', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) },
      },
    },
    exitResting: {
      description: 'The exit rests on the book; fills reduce the remaining size until the venue reports nothing left.',
      entry: reportAs('exitResting'),
      invoke: {
        src: 'deadline',
        input: ({ context }) => ({
          name: 'refresh',
          at:
            context.exit && context.exit.type === 'limit'
              ? (context.exit.acceptedAt ?? context.exit.sentAt) + context.params.exitLifetimeMs - context.params.exitRefreshLeadMs
              : Number.MAX_SAFE_INTEGER,
        }),
      },
      always: [
        { guard: 'nothingRemains', target: 'closed' },
        { guard: 'exitCanceled', target: 'exitCanceled' },
        // Filled in full while the position grew: place the rest.
        { guard: 'exitTerminal', target: 'placingExit', actions: assign(({ context }) => nextLimitExit(context, 'refresh')) },
        { guard: 'resizeNeeded', target: 'replacingExit' },
        { guard: 'refreshNeeded', target: 'replacingExit' },
      ],
      on: {
        tick: {
          guard: ({ event }) => event.name === 'refresh',
          actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at), refreshPending: true })),
        },
      },
    },
    exitCanceled: {
      description: 'The exit ended without filling the position: counts a failed attempt, then reposts wider (≥ 250 ms after the last send) or falls back to market.',
      entry: [
        assign(({ context }) => ({ failures: context.failures + 1 })),
        reportAs('exitCanceled'),
        {
          type: 'journal',
          params: ({ context }) => ({
            type: 'exit.canceled',
            level: 'info',
            message: `${exitLabel(context)} canceled (${context.exit?.cancelReason ?? 'unknown'}), attempt ${context.failures} failed`,
            payload: { position: positionId(context.n), reason: context.exit?.cancelReason, failures: context.failures },
          }),
        },
        'report',
      ],
      always: [
        { guard: 'nothingRemains', target: 'closed' },
        {
          guard: 'retryLimitReached',
          target: 'marketFallback',
          actions: {
            type: 'journal',
            params: ({ context }) => ({
              type: 'exit.retry-limit-exceeded',
              level: 'warning',
              message: `${positionId(context.n)}: ${context.failures} exit attempts canceled; closing at market (reduce-only)`,
              payload: { position: positionId(context.n), failures: context.failures },
            }),
          },
        },
      ],
      invoke: {
        src: 'deadline',
        input: ({ context }) => ({ name: 'retry-spacing', at: context.lastSendAt + context.params.retrySpacingMs }),
      },
      on: {
        tick: {
          target: 'placingExit',
          actions: assign(({ context, event }) => nextLimitExit({ ...context, now: Math.max(context.now, event.at) }, 'retry')),
        },
      },
    },
    replacingExit: {
      description: 'Cancels the resting exit (to resize it or refresh it before expiry) and waits for the venue to confirm its end.',
      entry: reportAs('replacingExit'),
      initial: 'cancelling',
      states: {
        cancelling: {
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.params.market, clientIndex: context.exit!.clientIndex }),
            onDone: { target: 'confirming' },
            onError: { target: '#position.recovering' },
          },
        },
        confirming: {
          invoke: {
            src: 'deadline',
            input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + 10_000 }),
          },
          on: { tick: { target: '#position.recovering' } },
        },
      },
      always: [
        { guard: 'nothingRemains', target: 'closed' },
        { guard: 'exitGone', target: 'placingExit', actions: assign(({ context }) => nextLimitExit(context, 'refresh')) },
      ],
    },
    marketFallback: {
      description: 'Closes what remains with reduce-only market orders (market-exit-1, -2, …), backing off between failed attempts.',
      initial: 'spacing',
      entry: reportAs('marketFallback'),
      states: {
        spacing: {
          description: 'Keeps ≥ retry spacing after the last exit send before the first market order.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'retry-spacing', at: context.lastSendAt + context.params.retrySpacingMs }) },
          on: {
            tick: {
              target: 'sending',
              actions: [
                assign(({ context, event }) => nextMarketExit({ ...context, now: Math.max(context.now, event.at) })),
                {
                  type: 'journal',
                  params: ({ context }) => ({
                    type: 'exit.market-fallback',
                    level: 'warning',
                    message: `${exitLabel(context)}: market ${context.exit!.side} ${context.exit!.size}, reduce-only`,
                    payload: { position: positionId(context.n), clientIndex: context.exit!.clientIndex, size: context.exit!.size },
                  }),
                },
              ],
            },
          },
        },
        sending: {
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.params.market, order: context.exit!, writeAhead: false }),
            onDone: {
              target: 'awaiting',
              actions: [
                assign(({ context, event }) => ({
                  now: Math.max(context.now, event.output.at),
                  exit: context.exit && context.exit.status === 'sending' ? { ...context.exit, status: 'open' as const, acceptedAt: event.output.at } : context.exit,
                  exitAccepted: true,
                  sendErrors: 0,
                })),
                sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
                'report',
              ],
            },
            onError: [
              {
                guard: ({ event }) => isVenueError(event.error) && (event.error.kind === 'duplicate-client-index' || event.error.kind === 'outcome-unknown'),
                target: 'querying',
              },
              {
                guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind),
                target: 'backoff',
                actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })),
              },
              {
                target: 'backoff',
                actions: [
                  assign(({ context }) => ({
                    sendErrors: context.sendErrors + 1,
                    exit: context.exit ? { ...context.exit, status: 'canceled' as const, cancelReason: 'rejected' } : null,
                  })),
                  {
                    type: 'journal',
                    params: ({ context, event }) => ({
                      type: 'exit.market-failed',
                      level: 'error',
                      message: `${exitLabel(context)} failed: ${(event.error as Error).message}`,
                      payload: { position: positionId(context.n) },
                    }),
                  },
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
            onError: { target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        awaiting: {
          always: [
            { guard: 'nothingRemains', target: '#position.closed' },
            { guard: 'exitTerminal', target: 'backoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          ],
        },
        backoff: {
          invoke: {
            src: 'deadline',
            input: ({ context }) => ({ name: 'market-backoff', at: context.now + sendBackoffMs(context.sendErrors) }),
          },
          always: [{ guard: 'nothingRemains', target: '#position.closed' }],
          on: {
            tick: [
              // The failed order is still unresolved on the venue: ask first.
              {
                guard: ({ context }) => context.exit !== null && !isTerminal(context.exit) && context.exit.status !== 'sending',
                target: 'querying',
              },
              {
                guard: ({ context }) => context.exit !== null && context.exit.status === 'sending',
                target: 'sending',
              },
              {
                target: 'sending',
                actions: assign(({ context, event }) => nextMarketExit({ ...context, now: Math.max(context.now, event.at) })),
              },
            ],
          },
        },
      },
    },
    recovering: {
      description: 'The outcome of the last request is unknown: asks the venue for the exit by client index, never guesses.',
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
              })),
              sendParent(({ context }) => ({ type: 'exit.accepted' as const, n: context.n })),
              'report',
            ],
          },
        ],
        onError: { target: 'recoverBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
      },
    },
    recoverBackoff: {
      description: 'The venue could not be asked: waits, then asks again.',
      entry: reportAs('recoverBackoff'),
      invoke: {
        src: 'deadline',
        input: ({ context }) => ({ name: 'recover-backoff', at: context.now + sendBackoffMs(context.sendErrors) }),
      },
      on: { tick: { target: 'recovering', actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at) })) } },
    },
    retiring: {
      description: 'Retired by the root (venue position smaller than tracked, stop, flatten): cancels its exit and waits for the end.',
      entry: reportAs('retiring'),
      initial: 'check',
      states: {
        check: {
          always: [{ guard: 'exitGone', target: '#position.retired' }, { target: 'cancelling' }],
        },
        cancelling: {
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.params.market, clientIndex: context.exit!.clientIndex }),
            onDone: { target: 'confirming' },
            onError: { target: 'querying' },
          },
        },
        confirming: {
          always: [{ guard: 'exitGone', target: '#position.retired' }],
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + 10_000 }) },
          on: { tick: { target: 'querying' } },
        },
        querying: {
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.params.market, clientIndex: context.exit!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order === null, target: '#position.retired', actions: assign({ exit: null }) },
              {
                target: 'check',
                actions: assign(({ context, event }) => ({ exit: context.exit ? applyOrderUpdate(context.exit, event.output.order!) : null })),
              },
            ],
            onError: { target: 'cancelling' },
          },
        },
      },
      on: {
        'position.retire': {},
      },
    },
    retired: {
      type: 'final',
      description: 'Retired: its exit is gone; the root stops tracking it.',
      entry: [
        reportAs('retired'),
        sendParent(({ context }) => ({ type: 'position.closed' as const, n: context.n, realizedPnl: realizedPnlOf(context), reason: 'retired' })),
      ],
    },
    closed: {
      type: 'final',
      description: 'The venue confirmed exit fills for the whole size: nothing remains.',
      entry: [
        reportAs('closed'),
        {
          type: 'journal',
          params: ({ context }) => ({
            type: 'position.closed',
            level: 'info',
            message: `${positionId(context.n)} closed, realized PnL ${realizedPnlOf(context)}`,
            payload: { position: positionId(context.n), realizedPnl: realizedPnlOf(context), size: context.size },
          }),
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
