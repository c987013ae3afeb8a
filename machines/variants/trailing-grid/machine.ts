/**
 * The trailing-grid root machine: one post-only entry that trails the touch at a fixed
 * distance; when it fills, the shared position child (machines/position) exits it with a
 * reduce-only take-profit; one round trip at a time, each with a fresh position number n.
 *
 *   starting → leverage → reconciling → cleaning → trading
 *   trading: choosing → idle → placingEntry → entryResting → (cancellingEntry → confirmingCancel)
 *            → entryDone → holding (the position child exits) → idle → …
 *
 * Invariants:
 * - Nothing is sent before a reconciliation has been applied (`reconciled` runs on entering
 *   trading); `bot.start` and `bot.restored` both reconcile first.
 * - At most one entry is live: a new one is sent only after the previous one reached a
 *   terminal status on the venue (the cancel is confirmed by the order's final status).
 * - The entry's n is taken from the durable `nextN` and sent write-ahead; a re-send after an
 *   error keeps the same index (the venue refuses a duplicate, so it is never live twice).
 * - A partly filled entry is cancelled: the round trip's size is what filled.
 */
import { assign, stopChild } from 'xstate';
import { isTransient, isVenueError } from '../../../adapters/types.ts';
import { orderName, positionId } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { isTerminal } from '../../shared/orders.ts';
import type { JournalEntry } from '../../shared/types.ts';
import { sendBackoffMs } from '../../position/machine.ts';
import { emptyTrailPlan, routeFill, routeOrder } from './routing.ts';
import { childId, trailingGridSetup } from './setup.ts';
import { venueSizeInDirection } from './trail.ts';
import type { ReconcileReport, TrailingGridContext } from './types.ts';

/** Routes a reconciliation report (orders first, then fills) into one plan. */
function planReport(ctx: TrailingGridContext, report: ReconcileReport) {
  const plan = emptyTrailPlan();
  for (const o of report.orders) routeOrder(ctx, o, report.time, plan);
  for (const f of report.fills) routeFill(ctx, f, report.time, plan);
  return plan;
}

const entryJournal = (ctx: TrailingGridContext, type: string, what: string): JournalEntry => ({
  type,
  level: 'info',
  message: `${orderName(ctx.entry!.n, ctx.entry!.role)} ${what}`,
  payload: { position: positionId(ctx.entry!.n), clientIndex: ctx.entry!.clientIndex, side: ctx.entry!.side, price: ctx.entry!.price, size: ctx.entry!.size },
});

/** After a reconciliation: what the bot tracks, and a warning when the venue holds something else. */
function reconciledJournal(ctx: TrailingGridContext): JournalEntry {
  const tracked = ctx.position?.remaining ?? '0';
  const venue = venueSizeInDirection(ctx);
  const payload = { venuePosition: ctx.venue.size, tracked, nextN: ctx.nextN };
  if (!new Dec(venue).eq(tracked)) {
    return { type: 'reconcile.position-mismatch', level: 'warning', message: `venue position ${ctx.venue.size} differs from the tracked ${tracked}; this bot trades only what it tracks (flatten or adjust by hand)`, payload };
  }
  return { type: 'venue.reconciled', level: 'info', message: `reconciled: venue position ${ctx.venue.size} = tracked; entry ${ctx.entry ? `${ctx.entry.status} at ${ctx.entry.price}` : 'none'}; next n ${ctx.nextN}`, payload };
}

const venueOf = (p: { size: string; avgEntryPrice: string }) => ({ size: p.size, avgEntry: p.avgEntryPrice });

export const trailingGridMachine = trailingGridSetup.createMachine({
  id: 'trailing-grid',
  context: ({ input }) => ({
    params: input.params,
    market: input.market,
    slot: input.slot,
    leverage: input.leverage,
    nextN: input.nextN ?? 1,
    now: input.now,
    book: null,
    venue: { size: '0', avgEntry: '0' },
    entry: null,
    position: null,
    orphans: [],
    trading: false,
    operatorPaused: false,
    risk: { phase: 'armed' as const },
    roundTrips: 0,
    realizedPnl: '0',
    lastFillAt: input.now,
    sendErrors: 0,
  }),
  on: {
    'bot.restored': {
      target: '.leverage',
      actions: [
        'storeEventTime',
        // The current config applies to the next entry; a held position keeps its exit.
        assign(({ event }) => ({ ...(event.params ? { params: event.params } : {}), ...(event.market ? { market: event.market } : {}), ...(event.leverage ? { leverage: event.leverage } : {}) })),
      ],
    },
    'market.bbo': { actions: [assign(({ context, event }) => ({ book: { bid: event.bbo.bid, ask: event.bbo.ask }, now: Math.max(context.now, event.at) })), 'forwardBook'] },
    'order.updated': { actions: ['storeEventTime', { type: 'applyPlan', params: ({ context, event }) => routeOrder(context, event.order, event.at) }] },
    'order.filled': { actions: ['storeEventTime', { type: 'applyPlan', params: ({ context, event }) => routeFill(context, event.fill, event.at) }] },
    'position.updated': { actions: assign(({ context, event }) => ({ now: Math.max(context.now, event.at), venue: venueOf(event.position) })) },
    'position.summary': { actions: assign(({ context, event }) => (context.position?.n === event.summary.n ? { position: event.summary } : {})) },
    'position.closed': {
      actions: [
        stopChild(({ event }) => childId(event.n)),
        assign(({ context, event }) => ({
          position: null,
          roundTrips: context.roundTrips + 1,
          realizedPnl: new Dec(context.realizedPnl).plus(event.realizedPnl).toFixed(),
        })),
        {
          type: 'journal',
          params: ({ context, event }) => ({
            type: 'trail.round-trip',
            level: 'info',
            message: `${positionId(event.n)} round trip ${event.reason}: PnL ${event.realizedPnl}, total ${context.realizedPnl} over ${context.roundTrips} round trip(s)`,
            payload: { position: positionId(event.n), reason: event.reason, profit: event.realizedPnl, realizedPnl: context.realizedPnl, roundTrips: context.roundTrips },
          }),
        },
      ],
    },
    'operator.pause': {
      actions: [assign({ operatorPaused: true }), { type: 'journal', params: () => ({ type: 'operator.paused', level: 'warning', message: 'operator pause: the entry is cancelled, no new one until resume (the exit goes on)', payload: { by: 'operator' } }) }],
    },
    'operator.resume': { guard: ({ context }) => context.operatorPaused, actions: assign({ operatorPaused: false }) },
    'venue.down': { actions: ['storeEventTime', { type: 'journal', params: ({ event }) => ({ type: 'venue.disconnected', level: 'warning', message: `venue stream down: ${event.reason}`, payload: { reason: event.reason } }) }] },
    'venue.up': { actions: ['storeEventTime', { type: 'journal', params: () => ({ type: 'venue.reconnected', level: 'info', message: 'venue stream back; catching up over REST' }) }] },
  },
  initial: 'starting',
  states: {
    starting: {
      description: 'Created, not yet told to start: nothing is sent.',
      on: { 'bot.start': { target: 'leverage', actions: 'storeEventTime' } },
    },
    leverage: {
      description: 'Sets target_leverage on the venue; nothing else is sent before.',
      invoke: {
        src: 'setLeverage',
        input: ({ context }) => ({ market: context.market.symbol, leverage: context.leverage }),
        onDone: { target: 'reconciling', actions: assign(({ context, event }) => ({ leverage: event.output.leverage, now: Math.max(context.now, event.output.at), sendErrors: 0 })) },
        onError: { target: 'leverageBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
      },
    },
    leverageBackoff: {
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'leverage-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
      on: { tick: { target: 'leverage', actions: 'storeEventTime' } },
    },
    reconciling: {
      description: 'Asks the venue for open and recent orders, fills since the last one seen and the position; routes them to the entry and the position child (a fill missed while down spawns it).',
      entry: assign({ trading: false }),
      invoke: {
        src: 'reconcile',
        input: ({ context }) => ({ market: context.market.symbol, since: Math.max(0, context.lastFillAt - 60_000) }),
        onDone: {
          target: 'cleaning',
          actions: [
            assign(({ context, event }) => ({ now: Math.max(context.now, event.output.time), venue: venueOf(event.output.position), ...(event.output.bbo ? { book: { bid: event.output.bbo.bid, ask: event.output.bbo.ask } } : {}) })),
            { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.output) },
            { type: 'journal', params: ({ context }) => reconciledJournal(context) },
          ],
        },
        onError: {
          target: 'reconcileBackoff',
          actions: { type: 'journal', params: ({ event }) => ({ type: 'venue.reconcile-failed', level: 'warning', message: `reconciliation failed: ${(event.error as Error).message}; retrying` }) },
        },
      },
    },
    reconcileBackoff: {
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'reconcile-backoff', at: context.now + 2_000 }) },
      on: { tick: { target: 'reconciling', actions: 'storeEventTime' } },
    },
    cleaning: {
      description: 'Cancels live orders of this bot that no round trip owns (left by an older run).',
      always: { guard: ({ context }) => context.orphans.length === 0, target: 'trading' },
      invoke: {
        src: 'cancelOrders',
        input: ({ context }) => ({ market: context.market.symbol, clientIndexes: context.orphans, ungated: true }),
        onDone: {
          target: 'trading',
          actions: [
            { type: 'journal', params: ({ context }) => ({ type: 'restart.orphans-canceled', level: 'warning', message: `cancelled ${context.orphans.length} order(s) of this bot that no round trip owns`, payload: { clientIndexes: context.orphans } }) },
            assign({ orphans: [] }),
          ],
        },
        onError: { target: 'trading', actions: assign({ orphans: [] }) },
      },
    },
    trading: {
      description: 'Reconciled: one round trip at a time.',
      entry: [assign({ trading: true }), 'reconciled'],
      exit: assign({ trading: false }),
      on: {
        'venue.caught-up': {
          actions: ['storeEventTime', assign(({ event }) => ({ venue: venueOf(event.report.position) })), { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.report) }],
        },
      },
      initial: 'choosing',
      states: {
        choosing: {
          description: 'Resumes where the round trip stands (after a start or a restore).',
          always: [{ guard: 'entryUnsent', target: 'placingEntry' }, { guard: 'entryLive', target: 'entryResting' }, { guard: 'hasPosition', target: 'holding' }, { target: 'entryDone' }],
        },
        idle: {
          description: 'No entry, no position: a new round trip starts as soon as a book is known and nothing is paused.',
          always: { guard: 'canEnter', target: 'placingEntry', actions: 'startEntry' },
        },
        placingEntry: {
          description: 'Sends the entry (post-only, write-ahead); a re-send keeps its index.',
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.market.symbol, order: context.entry!, writeAhead: true }),
            onDone: {
              target: 'entryResting',
              actions: [
                assign(({ context, event }) => ({
                  now: Math.max(context.now, event.output.at),
                  sendErrors: 0,
                  entry: context.entry!.status === 'sending' ? { ...context.entry!, status: 'open' as const, acceptedAt: event.output.at } : context.entry,
                })),
                { type: 'journal', params: ({ context }) => entryJournal(context, 'entry.placed', `${context.entry!.side} ${context.entry!.size} at ${context.entry!.price} post-only accepted (book ${context.book?.bid ?? '?'} / ${context.book?.ask ?? '?'})`) },
              ],
            },
            onError: [
              {
                guard: ({ event }) => isVenueError(event.error) && event.error.kind === 'rejected',
                target: 'rejectBackoff',
                actions: [
                  assign(({ context }) => ({ entry: { ...context.entry!, status: 'canceled' as const, cancelReason: 'rejected' }, sendErrors: context.sendErrors + 1 })),
                  { type: 'journal', params: ({ context, event }) => ({ type: 'entry.rejected', level: 'warning', message: `${positionId(context.entry!.n)} entry at ${context.entry!.price} rejected: ${(event.error as Error).message}`, payload: { position: positionId(context.entry!.n) } }) },
                ],
              },
              { guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind), target: 'entryBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
              { target: 'checkingEntry' },
            ],
          },
        },
        entryBackoff: {
          description: 'The send created no order (or its outcome is unknown and the venue has none): the same order again after a back-off.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'entry-backoff', at: context.now + sendBackoffMs(Math.max(1, context.sendErrors)) }) },
          on: { tick: { target: 'placingEntry', actions: 'storeEventTime' } },
        },
        rejectBackoff: {
          description: 'The venue refused the entry (it would cross, size or margin): the next round trip waits a back-off, so a config the venue refuses never loops hot.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'reject-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'entryDone', actions: 'storeEventTime' } },
        },
        checkingEntry: {
          description: 'The outcome of the send is unknown (or the index already exists): asks the venue by client index.',
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order !== null, target: 'entryResting', actions: { type: 'applyPlan', params: ({ context, event }) => routeOrder(context, event.output.order!, event.output.at) } },
              { target: 'entryBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
            ],
            onError: { target: 'entryBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        entryResting: {
          description: 'The entry rests. It ends by itself (filled, expired) or must go: partly filled, paused, or the touch ran away by repeg %.',
          always: [{ guard: 'entryEnded', target: 'entryDone' }, { guard: 'entryMustGo', target: 'cancellingEntry' }],
        },
        cancellingEntry: {
          description: 'Cancels the entry (to re-peg, after a partial fill, or on pause).',
          entry: { type: 'journal', params: ({ context }) => entryJournal(context, 'entry.cancel-requested', `at ${context.entry!.price} cancelled: ${new Dec(context.entry!.filled).gt(0) ? 'partly filled' : context.operatorPaused ? 'paused' : `the touch ran away (book ${context.book?.bid} / ${context.book?.ask})`}`) },
          always: { guard: 'entryEnded', target: 'entryDone' },
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
            onDone: { target: 'confirmingCancel' },
            onError: { target: 'confirmingCancel' },
          },
        },
        confirmingCancel: {
          description: "Waits for the entry's final status from the venue: no new entry while it could still fill.",
          always: { guard: 'entryEnded', target: 'entryDone' },
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
            onDone: [
              { guard: ({ event }) => event.output.order !== null && isTerminal(event.output.order), target: 'entryDone', actions: { type: 'applyPlan', params: ({ context, event }) => routeOrder(context, event.output.order!, event.output.at) } },
              { target: 'cancelBackoff' },
            ],
            onError: { target: 'cancelBackoff' },
          },
        },
        cancelBackoff: {
          description: 'The entry is still live: cancel again after one second.',
          always: { guard: 'entryEnded', target: 'entryDone' },
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-backoff', at: context.now + 1_000 }) },
          on: { tick: { target: 'cancellingEntry', actions: 'storeEventTime' } },
        },
        entryDone: {
          description: 'The entry ended: what filled is a position (held), or nothing filled (next round trip).',
          always: [{ guard: 'hasPosition', target: 'holding' }, { target: 'idle', actions: assign({ entry: null }) }],
        },
        holding: {
          description: 'The position child exits what filled (reduce-only take-profit, reposts, market fallback); closed → next round trip.',
          always: { guard: ({ context }) => context.position === null, target: 'idle', actions: assign({ entry: null }) },
        },
      },
    },
  },
});
