/**
 * The grid root machine: one bot = one market of one account.
 *
 * Parallel regions:
 *   lifecycle: starting → leverage → reconciling → adopting → cleaning → trading (periodic reconcile)
 *   entry:     ready → placing → waitingForFill → (cancelling) → awaitingExit → ready
 *              (+ placeBackoff, recovering for "outcome unknown")
 *   risk:      armed → flattening (stop price, stop-loss) → halted (latched) | coolingOff
 * Children: `position:grid-n`, one spawned position machine per tracked position.
 * See README.md for the state and event tables and the invariants.
 */
import { assign, enqueueActions, stopChild, type ActorRefFrom } from 'xstate';
import { isTransient, isVenueError } from '../../adapters/types.ts';
import { positionId, role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { entryPrice as entryPriceOf } from '../../src/domain/grid-math.ts';
import { sendBackoffMs } from '../position/machine.ts';
import { isTerminal, newOrderRecord } from '../shared/orders.ts';
import { bookUpdate, storesBookOnly } from './book.ts';
import { cooldownEndsAt, nextEntrySize, restingExitCount } from './gate.ts';
import { planReport, planTotals, TOTALS_CONFIRM_MS, totalsDisagree } from './reconcile.ts';
import type { GridContext } from './types.ts';
import { routeFill, routeOrderUpdate, spawnInput } from './routing.ts';
import { riskRegion } from './risk.region.ts';
import { riskTrigger } from './risk-check.ts';
import { childId, gridSetup, journalAction, journalOf } from './setup.ts';

/**
 * A snapshot taken between a child's final `closed` summary and its `position.closed` event
 * (a write-ahead flush inside that macrostep, then a crash) restores the child already done:
 * it will never send `position.closed`, so the restore completes it here (RST-11 seed 11).
 */
function closedBeforeSnapshot(context: GridContext): Partial<GridContext> {
  const closed = Object.values(context.positions).filter((p) => p.state === 'closed');
  if (closed.length === 0) return {};
  const positions = Object.fromEntries(Object.entries(context.positions).filter(([, p]) => p.state !== 'closed'));
  const realizedPnl = closed.reduce((sum, p) => sum.plus(p.realizedPnl), new Dec(context.realizedPnl)).toFixed();
  return { positions, realizedPnl };
}

export const gridMachine = gridSetup.createMachine({
  id: 'grid',
  type: 'parallel',
  context: ({ input }) => ({
    params: input.params,
    market: input.market,
    slot: input.slot,
    leverage: input.leverage,
    nextN: input.nextN ?? 1,
    now: input.now,
    book: null,
    venue: { size: '0', avgEntry: '0' },
    positions: {},
    foreign: {},
    entry: null,
    lastCycleAt: null,
    prevResting: null,
    gate: { open: false, reasons: ['not_trading'] },
    journaled: [],
    trading: false,
    leverageApplied: false,
    risk: { phase: 'armed', trigger: null, close: null, closeAttempts: 0, lastCloseAt: 0, coolOffUntil: null, triggerMid: null },
    entryIdle: true,
    paused: false,
    sizeWarned: false,
    realizedPnl: '0',
    lastFillAt: input.now,
    sendErrors: 0,
    orphans: [],
    reconciledAt: null,
    totalsMismatchAt: null,
    startedAt: input.now,
  }),
  on: {
    // Every book update is one transition at the root (no region takes it): a plain assign of
    // its patch (book.ts) unless it causes journal entries (pause / resume, a refusal episode
    // that starts), then the same patch plus those entries.
    'market.bbo': [
      {
        guard: ({ context }) => storesBookOnly(context),
        actions: assign(({ context, event }) => ({ book: { bid: event.bbo.bid, ask: event.bbo.ask }, now: Math.max(context.now, event.at) })),
      },
      {
        guard: ({ context, event }) => bookUpdate(context, event).journal.length === 0,
        actions: assign(({ context, event }) => bookUpdate(context, event).patch),
      },
      {
        actions: enqueueActions(({ context, event, enqueue }) => {
          const update = bookUpdate(context, event);
          for (const j of update.journal) enqueue(journalAction(j));
          enqueue.assign(update.patch);
        }),
      },
    ],
    'order.updated': {
      actions: [
        'storeEventTime',
        { type: 'applyPlan', params: ({ context, event }) => routeOrderUpdate(context, event.order, event.at) },
        enqueueActions(({ context, enqueue }) => {
          if (context.entryIdle) enqueue('evaluateGate');
        }),
      ],
    },
    'order.filled': {
      actions: ['storeEventTime', { type: 'applyPlan', params: ({ context, event }) => routeFill(context, event.fill, event.at) }],
    },
    'position.updated': {
      actions: [
        assign(({ context, event }) => ({
          now: Math.max(context.now, event.at),
          venue: {
            size: event.position.size,
            avgEntry: event.position.avgEntryPrice,
            ...(event.position.reservedMargin !== undefined ? { reservedMargin: event.position.reservedMargin } : {}),
            ...(event.position.exposure !== undefined ? { exposure: event.position.exposure } : {}),
          },
        })),
        enqueueActions(({ context, enqueue }) => {
          if (context.book && context.risk.phase === 'armed' && context.risk.trigger === null) {
            const trigger = riskTrigger(context, context.book);
            if (trigger) enqueue.assign({ risk: { ...context.risk, trigger, triggerMid: new Dec(context.book.bid).plus(context.book.ask).div(2).toFixed() } });
          }
          if (context.entryIdle) enqueue('evaluateGate');
        }),
      ],
    },
    'position.summary': {
      actions: [
        assign(({ context, event }) =>
          context.positions[String(event.summary.n)] ? { positions: { ...context.positions, [String(event.summary.n)]: event.summary } } : {},
        ),
        enqueueActions(({ context, enqueue }) => {
          if (context.entryIdle) enqueue('evaluateGate');
        }),
      ],
    },
    'operator.pause': {
      guard: ({ context }) => !context.operatorPaused,
      actions: [
        assign({ operatorPaused: true }),
        { type: 'journal', params: () => ({ type: 'operator.paused', level: 'warning', message: 'operator pause: no new entries until resume (exits, retries and recovery go on)', payload: { by: 'operator' } }) },
        'evaluateGate',
      ],
    },
    'operator.flatten': { actions: assign(({ context }) => ({ risk: { ...context.risk, request: 'flatten' as const } })) },
    'operator.cancel-all': { actions: assign(({ context }) => ({ risk: { ...context.risk, request: 'cancel-all' as const } })) },
    'venue.down': {
      actions: [
        'storeEventTime',
        { type: 'journal', params: ({ event }) => ({ type: 'venue.disconnected', level: 'warning', message: `venue stream down: ${event.reason}`, payload: { reason: event.reason } }) },
      ],
    },
    'venue.up': {
      actions: ['storeEventTime', { type: 'journal', params: () => ({ type: 'venue.reconnected', level: 'info', message: 'venue stream back; catching up over REST' }) }],
    },
    'exit.accepted': {
      actions: assign(({ context, event }) =>
        context.entry && context.entry.n === event.n && !context.entry.exitAccepted ? { entry: { ...context.entry, exitAccepted: true } } : {},
      ),
    },
    'position.closed': {
      actions: [
        stopChild(({ event }) => childId(event.n)),
        assign(({ context, event }) => {
          const { [String(event.n)]: _gone, ...positions } = context.positions;
          return {
            positions,
            realizedPnl: new Dec(context.realizedPnl).plus(event.realizedPnl).toFixed(),
            // Its entry is still live (the position was retired or ran out of roles): stop it.
            ...(context.entry && context.entry.n === event.n
              ? { entry: { ...context.entry, exitAccepted: true, ...(isTerminal(context.entry) ? {} : { cancelRequested: true }) } }
              : {}),
          };
        }),
        enqueueActions(({ context, event, enqueue }) => {
          if (context.entryIdle) enqueue('evaluateGate');
          if (event.reason === 'exhausted') enqueue.raise({ type: 'reconcile.now' });
        }),
      ],
    },
  },
  states: {
    lifecycle: {
      initial: 'starting',
      on: {
        'bot.restored': {
          target: '.leverage',
          actions: [
            'storeEventTime',
            // The current config applies to new entries; tracked positions keep their exits.
            assign(({ context, event }) => ({
              ...(event.params ? { params: event.params } : {}),
              ...(event.market ? { market: event.market } : {}),
              ...(event.leverage ? { leverage: event.leverage } : {}),
              ...closedBeforeSnapshot(context),
            })),
          ],
        },
      },
      states: {
        starting: {
          description: 'Created, not yet told to start: no order is sent.',
          on: { 'bot.start': { target: 'leverage', actions: 'storeEventTime' } },
        },
        leverage: {
          description: 'Sets target_leverage (clamped to the market maximum) on the venue; no entry before it is applied.',
          invoke: {
            src: 'setLeverage',
            input: ({ context }) => ({ market: context.market.symbol, leverage: context.leverage }),
            onDone: {
              target: 'reconciling',
              actions: assign(({ context, event }) => ({ leverage: event.output.leverage, leverageApplied: true, now: Math.max(context.now, event.output.at), sendErrors: 0 })),
            },
            onError: {
              target: 'leverageBackoff',
              actions: [
                assign(({ context }) => ({ leverageApplied: false, sendErrors: context.sendErrors + 1 })),
                {
                  type: 'journal',
                  params: ({ context, event }) => ({
                    type: 'risk.leverage-failed',
                    level: 'warning',
                    message: `setting leverage ${context.leverage} failed: ${(event.error as Error).message}; retrying, no entry until it is set`,
                    payload: { leverage: context.leverage },
                  }),
                },
              ],
            },
          },
        },
        leverageBackoff: {
          description: 'The venue refused the leverage change: retries with back-off; entries wait (reason leverage).',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'leverage-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'leverage', actions: 'storeEventTime' } },
        },
        reconciling: {
          description: 'Asks the venue for open orders, recent fills and the signed position before any new entry.',
          entry: assign({ trading: false }),
          invoke: {
            src: 'reconcile',
            input: ({ context }) => ({ market: context.market.symbol, since: Math.max(0, context.lastFillAt - 60_000) }),
            onDone: {
              target: 'adopting',
              actions: [
                assign(({ context, event }) => ({
                  now: Math.max(context.now, event.output.time),
                  venue: {
                    size: event.output.position.size,
                    avgEntry: event.output.position.avgEntryPrice,
                    ...(event.output.position.reservedMargin !== undefined ? { reservedMargin: event.output.position.reservedMargin } : {}),
                    ...(event.output.position.exposure !== undefined ? { exposure: event.output.position.exposure } : {}),
                  },
                  ...(event.output.bbo ? { book: { bid: event.output.bbo.bid, ask: event.output.bbo.ask } } : {}),
                })),
                { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.output, context.now) },
              ],
            },
            onError: {
              target: 'reconcileBackoff',
              actions: {
                type: 'journal',
                params: ({ event }) => ({ type: 'venue.reconcile-failed', level: 'warning', message: `reconciliation failed: ${(event.error as Error).message}; retrying` }),
              },
            },
          },
        },
        reconcileBackoff: {
          description: 'The venue could not be asked; waits and asks again.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'reconcile-backoff', at: context.now + 2_000 }) },
          on: { tick: { target: 'reconciling', actions: 'storeEventTime' } },
        },
        adopting: {
          description: 'Positions have taken the report in; compares the tracked total with the venue position.',
          entry: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'reconcile.check' }, { delay: 0 })),
          on: {
            'reconcile.check': [
              {
                // While flattening every position is being retired anyway (the close takes
                // whatever the venue holds): retiring on one report is safe and adopting is
                // skipped, so there is nothing to confirm (chaos seed 1 run 415).
                guard: ({ context }) => context.risk.phase !== 'flattening' && (context.totalsMismatchAt ?? null) === null && totalsDisagree(planTotals(context)),
                target: 'confirmingTotals',
                actions: [
                  assign(({ context }) => ({ totalsMismatchAt: context.now })),
                  {
                    type: 'journal',
                    params: ({ context }) => ({
                      type: 'venue.totals-unconfirmed',
                      level: 'info',
                      message: `venue position ${context.venue.size} differs from the tracked total; asking the venue again before acting`,
                      payload: { venuePosition: context.venue.size },
                    }),
                  },
                ],
              },
              {
              target: 'cleaning',
              actions: enqueueActions(({ context, enqueue, self }) => {
                enqueue.assign({ totalsMismatchAt: null });
                const totals = planTotals(context, { adopt: context.risk.phase !== 'flattening' });
                const live = self.getSnapshot().children as Record<string, unknown>;
                for (const j of totals.journal) enqueue({ type: 'journal', params: j });
                for (const n of totals.retire.filter((k) => live[childId(k)])) enqueue.sendTo(childId(n), { type: 'position.retire', reason: 'venue position smaller than tracked', at: context.now });
                if (totals.adoptSize) {
                  const input = spawnInput(context, context.nextN, totals.adoptSize, context.venue.avgEntry);
                  enqueue({ type: 'applyPlan', params: { toChildren: [], journal: [], unknown: [], orphans: [], spawns: [input], nextN: context.nextN + 1 } });
                }
                enqueue({
                  type: 'journal',
                  params: {
                    type: 'venue.reconciled',
                    level: 'info',
                    message: `reconciled: venue position ${context.venue.size}, ${Object.keys(context.positions).length} tracked position(s), next ${positionId(context.nextN + (totals.adoptSize ? 1 : 0))}`,
                    payload: { venuePosition: context.venue.size, tracked: Object.keys(context.positions).length, orphans: context.orphans.length },
                  },
                });
              }),
              },
            ],
          },
        },
        confirmingTotals: {
          description: 'A report disagreed with the tracked total: asks again after a moment, and acts only if the next report still disagrees.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'totals-confirm', at: context.now + TOTALS_CONFIRM_MS }) },
          on: { tick: { target: 'reconciling', actions: 'storeEventTime' } },
        },
        cleaning: {
          description: 'Cancels orders of this bot that no machine owns (found by reconciliation).',
          always: [{ guard: ({ context }) => context.orphans.length === 0, target: 'trading' }],
          invoke: {
            src: 'cancelOrders',
            input: ({ context }) => ({ market: context.market.symbol, clientIndexes: context.orphans, ungated: true }),
            onDone: {
              target: 'trading',
              actions: [
                {
                  type: 'journal',
                  params: ({ context }) => ({
                    type: 'restart.orphans-canceled',
                    level: 'warning',
                    message: `cancelled ${context.orphans.length} order(s) of this bot that no position owns`,
                    payload: { clientIndexes: context.orphans },
                  }),
                },
                assign({ orphans: [] }),
              ],
            },
            onError: { target: 'trading' },
          },
        },
        trading: {
          description: 'Reconciled: new entries may be admitted by the gate; reconciles again periodically.',
          entry: [
            assign(({ context }) => ({
              trading: true,
              reconciledAt: context.now,
              // On a start with exits already resting, the density cooldown runs from now.
              lastCycleAt: context.lastCycleAt ?? (restingExitCount(context) > 0 ? context.now : null),
            })),
            'reconciled',
            'evaluateGate',
          ],
          exit: assign({ trading: false }),
          invoke: {
            src: 'deadline',
            input: ({ context }) => ({ name: 'reconcile-periodic', at: context.now + context.params.reconcileEveryMs }),
          },
          on: {
            tick: [
              { guard: ({ event }) => event.name === 'reconcile-periodic', target: 'reconciling', actions: 'storeEventTime' },
            ],
            // A position handed its remaining size over (roles exhausted): adopt it now.
            'reconcile.now': { target: 'reconciling' },
            'venue.caught-up': {
              target: 'adopting',
              actions: [
                'storeEventTime',
                assign(({ context, event }) => ({
                  venue: {
                    size: event.report.position.size,
                    avgEntry: event.report.position.avgEntryPrice,
                    ...(event.report.position.reservedMargin !== undefined ? { reservedMargin: event.report.position.reservedMargin } : {}),
                    ...(event.report.position.exposure !== undefined ? { exposure: event.report.position.exposure } : {}),
                  },
                })),
                { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.report, context.now) },
              ],
            },
          },
        },
      },
    },
    risk: riskRegion,
    entry: {
      initial: 'ready',
      states: {
        ready: {
          description: 'No entry in flight: places the next post-only entry as soon as the admission gate is open.',
          entry: [assign({ entryIdle: true }), 'evaluateGate'],
          exit: assign({ entryIdle: false }),
          invoke: {
            src: 'deadline',
            input: ({ context }) => {
              const end = cooldownEndsAt(context);
              return { name: 'cooldown', at: end !== null && end > context.now ? end : Number.MAX_SAFE_INTEGER };
            },
          },
          always: {
            guard: 'gateOpen',
            target: 'placing',
            actions: enqueueActions(({ context, enqueue }) => {
              const book = context.book!;
              const sizing = nextEntrySize(context)!;
              const n = context.nextN;
              const price = entryPriceOf({ direction: context.params.direction, bid: book.bid, ask: book.ask, tick: context.market.tick, multiplier: context.params.multiplier });
              const rec = newOrderRecord({
                slot: context.slot,
                n,
                role: role.entry(),
                side: context.params.direction,
                type: 'limit',
                price,
                size: sizing.size,
                reduceOnly: false,
                postOnly: true,
                sentAt: context.now,
              });
              enqueue.assign({ nextN: n + 1, entry: { ...rec, n, tracked: '0', exitAccepted: false } });
              if (sizing.raised && !context.sizeWarned) {
                enqueue.assign({ sizeWarned: true });
                enqueue({
                  type: 'journal',
                  params: {
                    type: 'entry.size-raised',
                    level: 'warning',
                    message: `entry size ${sizing.requested} is below the venue minimum; raised to ${sizing.size}`,
                    payload: { requested: sizing.requested, size: sizing.size },
                  },
                });
              }
            }),
          },
          on: {
            tick: { guard: ({ event }) => event.name === 'cooldown', target: 'ready', reenter: true, actions: 'storeEventTime' },
          },
        },
        placing: {
          description: 'Sends the entry (its index made durable first); the venue may answer or report the order first.',
          invoke: {
            src: 'placeOrder',
            input: ({ context }) => ({ market: context.market.symbol, order: context.entry!, writeAhead: true }),
            onDone: {
              target: 'waitingForFill',
              actions: [
                assign(({ context, event }) => ({
                  now: Math.max(context.now, event.output.at),
                  entry: context.entry && context.entry.status === 'sending' ? { ...context.entry, status: 'open' as const, acceptedAt: event.output.at } : context.entry,
                  sendErrors: 0,
                })),
                { type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.placed', 'info', `${context.entry!.side} ${context.entry!.size} at ${context.entry!.price} post-only accepted`) },
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
                target: 'ready',
                actions: [
                  { type: 'journal', params: ({ context, event }) => journalOf(context.entry!, 'entry.rejected', 'warning', `rejected: ${(event.error as Error).message}`) },
                  'completeCycle',
                ],
              },
              { target: 'recovering' },
            ],
          },
          always: {
            guard: 'entryAccepted',
            target: 'waitingForFill',
            actions: { type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.placed', 'info', `${context.entry!.side} ${context.entry!.size} at ${context.entry!.price} post-only accepted`) },
          },
        },
        placeBackoff: {
          description: 'The send created no order (rate limit, 5xx): waits, then re-sends with the same index.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'send-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'placing', actions: 'storeEventTime' } },
        },
        waitingForFill: {
          description: 'The entry rests; a fill (also partial) becomes a tracked position; times out after position_timeout from its persisted send time.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'entry-timeout', at: context.entry!.sentAt + context.params.timeoutMs }) },
          always: [
            { guard: 'entryFilledTerminal', target: 'awaitingExit' },
            { guard: ({ context }) => context.entry !== null && context.entry.cancelRequested === true && context.entry.status === 'open', target: 'cancelling' },
            {
              guard: 'entryCanceledPostOnly',
              target: 'ready',
              actions: [{ type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.canceled-post-only', 'info', 'canceled post-only (would have crossed)') }, 'completeCycle'],
            },
            {
              guard: 'entryCanceledEmpty',
              target: 'ready',
              actions: [{ type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.canceled', 'info', `canceled (${context.entry!.cancelReason ?? 'unknown'})`) }, 'completeCycle'],
            },
          ],
          on: {
            tick: {
              guard: ({ event }) => event.name === 'entry-timeout',
              target: 'cancelling',
              actions: [
                'storeEventTime',
                assign(({ context }) => ({ entry: { ...context.entry!, cancelRequested: true } })),
                { type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.timeout', 'info', `not filled within ${context.params.timeoutMs / 60_000} min: cancelling`) },
              ],
            },
          },
        },
        cancelling: {
          description: 'Timed out: the cancel is sent and the cycle waits for the venue’s final status (a racing fill is still tracked).',
          initial: 'sending',
          states: {
            sending: {
              invoke: {
                src: 'cancelOrder',
                input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
                onDone: { target: 'confirming', actions: 'storeEventTime' },
                onError: [
                  {
                    guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind),
                    target: 'backoff',
                    actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })),
                  },
                  { target: '#grid.entry.recovering' },
                ],
              },
            },
            backoff: {
              invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
              on: { tick: { target: 'sending', actions: 'storeEventTime' } },
            },
            confirming: {
              invoke: { src: 'deadline', input: ({ context }) => ({ name: 'cancel-confirm', at: context.now + 10_000 }) },
              on: { tick: { guard: ({ event }) => event.name === 'cancel-confirm', target: '#grid.entry.recovering', actions: 'storeEventTime' } },
            },
          },
          always: [
            { guard: 'entryFilledTerminal', target: 'awaitingExit' },
            { guard: 'entryCanceledEmpty', target: 'ready', actions: [{ type: 'journal', params: ({ context }) => journalOf(context.entry!, 'entry.canceled', 'info', 'cancel confirmed, nothing filled') }, 'completeCycle'] },
          ],
        },
        recovering: {
          description: 'The outcome of the last entry request is unknown: asks the venue by client index; never guesses, never uses a new index.',
          invoke: {
            src: 'queryOrder',
            input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
            onDone: [
              // The venue never had it: re-send the same order with the same index.
              {
                guard: ({ event }) => event.output.order === null,
                target: 'placing',
                actions: assign(({ context }) => ({ entry: { ...context.entry!, status: 'sending' as const } })),
              },
              {
                guard: ({ context, event }) => event.output.order!.status === 'open' && context.entry!.cancelRequested === true,
                target: 'cancelling',
                actions: { type: 'applyPlan', params: ({ context, event }) => routeOrderUpdate(context, event.output.order!, event.output.at) },
              },
              {
                target: 'waitingForFill',
                actions: { type: 'applyPlan', params: ({ context, event }) => routeOrderUpdate(context, event.output.order!, event.output.at) },
              },
            ],
            onError: { target: 'recoverBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        recoverBackoff: {
          description: 'The venue could not be asked: waits, then asks again.',
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'recover-backoff', at: context.now + sendBackoffMs(context.sendErrors) }) },
          on: { tick: { target: 'recovering', actions: 'storeEventTime' } },
        },
        awaitingExit: {
          description: 'The entry is done and filled: waits until its position’s exit is accepted (or the position closed), then completes the cycle.',
          always: { guard: 'exitSettled', target: 'ready', actions: 'completeCycle' },
        },
      },
    },
  },
});


export type GridActor = ActorRefFrom<typeof gridMachine>;
