/**
 * The root's `risk` region: stop price and aggregate stop-loss.
 *
 *   armed → flattening (entry → closing → awaiting / closeBackoff → retiring) → halted | coolingOff
 *
 * flattening: cancel the pending entry and wait for its final status (a racing fill is
 * tracked first); then one reduce-only market close sized from the venue's signed position,
 * queried fresh (a fresh position number per attempt: `stop-price-close` / `stop-loss-close`);
 * then every position is retired (its exits cancelled). A stop price latches `halted` until an
 * operator resume (refused while mid is still beyond the stop); a stop-loss cools off for
 * position_timeout_minutes (entries refused with reason `stop-loss`).
 *
 * Invariants: triggers are ignored while flattening (no re-fire); the close is reduce-only
 * and never larger than the venue position; entries are refused from trigger to re-arm.
 */
import { assign, enqueueActions } from 'xstate';
import { isTransient, isVenueError } from '../../adapters/types.ts';
import { orderName, role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { marketWorstPrice, mid } from '../../src/domain/grid-math.ts';
import { marketBackoffMs } from '../position/logic.ts';
import { isTerminal, newOrderRecord } from '../shared/orders.ts';
import type { JournalEntry } from '../shared/types.ts';
import { resumeRefusal } from './risk-check.ts';
import { routeOrderUpdate } from './routing.ts';
import { childId, gridSetup, journalAction } from './setup.ts';
import type { GridContext } from './types.ts';

const entryInFlight = (c: GridContext) => c.entry !== null && !isTerminal(c.entry);
const venueFlat = (c: GridContext) => new Dec(c.venue.size).isZero();
// Standalone action helpers are typed loosely by XState; `as never` bridges them into the region.
const phase = (p: GridContext['risk']['phase']) => assign(({ context }: { context: GridContext }) => ({ risk: { ...context.risk, phase: p } })) as never;
const label = (c: GridContext) => (c.risk.trigger === 'stop-price' ? 'stop-price' : 'stop-loss');

function riskJournal(type: string, level: JournalEntry['level'], message: (c: GridContext) => string) {
  return enqueueActions(({ context, enqueue }: { context: GridContext; enqueue: { (a: never): void } }) => {
    enqueue(
      journalAction({
        type,
        level,
        message: message(context),
        payload: { trigger: context.risk.trigger, venuePosition: context.venue.size, mid: context.risk.triggerMid, stopPrice: context.params.stopPrice },
      }),
    );
  }) as never;
}

/** A fresh whole-bot reduce-only market close for the whole venue position. */
function closeOrder(c: GridContext) {
  const signed = new Dec(c.venue.size);
  const side = signed.gt(0) ? ('sell' as const) : ('buy' as const);
  const book = c.book ?? { bid: c.venue.avgEntry, ask: c.venue.avgEntry };
  return newOrderRecord({
    slot: c.slot,
    n: c.nextN,
    role: c.risk.trigger === 'stop-price' ? role.stopPriceClose() : c.risk.trigger === 'flatten' ? role.flatten() : role.stopLossClose(),
    side,
    type: 'market',
    price: marketWorstPrice({ side, bid: book.bid, ask: book.ask, slippagePct: c.params.slippagePct, tick: c.market.tick }),
    size: signed.abs().toFixed(),
    reduceOnly: true,
    postOnly: false,
    sentAt: c.now,
  });
}

/** Operator flatten / cancel-all requests, taken up from armed, coolingOff and halted. */
const takeRequest = [
  {
    guard: ({ context }: { context: GridContext }) => context.risk.request === 'cancel-all',
    target: '#grid.risk.suspending',
    actions: assign(({ context }: { context: GridContext }) => ({ risk: { ...context.risk, trigger: 'cancel-all' as const, request: null } })),
  },
  {
    guard: ({ context }: { context: GridContext }) => context.risk.request === 'flatten',
    target: '#grid.risk.flattening',
    actions: assign(({ context }: { context: GridContext }) => ({
      risk: { ...context.risk, trigger: 'flatten' as const, request: null, triggerMid: context.book ? mid(context.book.bid, context.book.ask) : null },
    })),
  },
] as never;

/** Resume outside `halted`: lifts an operator pause (the only latch there is). */
const liftPause = {
  guard: ({ context }: { context: GridContext }) => context.operatorPaused === true,
  actions: [
    assign({ operatorPaused: false }),
    enqueueActions(({ enqueue }: { enqueue: { (a: never): void } }) => {
      enqueue(journalAction({ type: 'operator.resumed', level: 'info', message: 'operator resume: pause lifted', payload: { by: 'operator' } }));
    }),
    'evaluateGate',
  ],
} as never;

export const riskRegion = gridSetup.createStateConfig({
  initial: 'armed',
  states: {
    armed: {
      description: 'Watching the stop price and the stop-loss level on every book and position update.',
      entry: [phase('armed'), 'evaluateGate'],
      always: [...(takeRequest as unknown as []), { guard: ({ context }) => context.risk.trigger !== null, target: 'flattening' }],
      on: { 'operator.resume': liftPause },
    },
    flattening: {
      description: 'Stop triggered: cancel the pending entry, close the venue position at market (reduce-only), retire every position.',
      entry: [
        phase('flattening'),
        enqueueActions(({ context, enqueue }) => {
          const stop = context.risk.trigger === 'stop-price';
          const flatten = context.risk.trigger === 'flatten';
          enqueue(
            journalAction({
              type: flatten ? 'operator.flatten' : stop ? 'stop-price.triggered' : 'stop-loss.initiated',
              level: 'warning',
              message: flatten
                ? `operator flatten: closing ${context.venue.size} at market (reduce-only), then halted`
                : stop
                ? `mid ${context.risk.triggerMid} beyond stop_price ${context.params.stopPrice}: flattening, then halted`
                : `mid ${context.risk.triggerMid} reached the stop-loss level: closing ${context.venue.size} at market`,
              payload: { mid: context.risk.triggerMid, stopPrice: context.params.stopPrice, venuePosition: context.venue.size, avgEntry: context.venue.avgEntry },
            }),
          );
        }),
      ],
      initial: 'entry',
      states: {
        entry: {
          description: 'Cancels the pending entry and waits for its final status (a racing fill becomes a position first).',
          initial: 'check',
          states: {
            check: {
              always: [
                { guard: ({ context }) => !entryInFlight(context), target: '#grid.risk.flattening.closing' },
                { guard: ({ context }) => context.entry!.status === 'open', target: 'cancelling' },
              ],
            },
            cancelling: {
              invoke: {
                src: 'cancelOrder',
                input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
                onDone: { target: 'confirming' },
                onError: { target: 'confirming' },
              },
            },
            confirming: {
              always: { guard: ({ context }) => !entryInFlight(context), target: '#grid.risk.flattening.closing' },
              invoke: { src: 'deadline', input: ({ context }) => ({ name: 'risk-entry-confirm', at: context.now + 5_000 }) },
              on: { tick: { guard: ({ event }) => event.name === 'risk-entry-confirm', target: 'querying' } },
            },
            querying: {
              invoke: {
                src: 'queryOrder',
                input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
                onDone: {
                  target: 'check',
                  actions: {
                    type: 'applyPlan',
                    params: ({ context, event }) =>
                      event.output.order ? routeOrderUpdate(context, event.output.order, event.output.at) : { toChildren: [], spawns: [], journal: [], unknown: [], orphans: [] },
                  },
                },
                onError: { target: 'confirming' },
              },
            },
          },
        },
        closing: {
          description: 'Reads the venue position fresh, then sends one reduce-only market close of all of it (a new position number).',
          initial: 'sizing',
          states: {
            sizing: {
              invoke: {
                src: 'queryPosition',
                input: ({ context }) => ({ market: context.market.symbol }),
                onDone: [
                  {
                    guard: ({ event }) => new Dec(event.output.position.size).isZero(),
                    target: '#grid.risk.flattening.retiring',
                    actions: assign(({ context, event }) => ({ venue: { ...context.venue, size: event.output.position.size, avgEntry: event.output.position.avgEntryPrice } })),
                  },
                  {
                    target: 'sending',
                    actions: [
                      assign(({ context, event }) => ({
                        now: Math.max(context.now, event.output.at),
                        venue: { ...context.venue, size: event.output.position.size, avgEntry: event.output.position.avgEntryPrice },
                      })),
                      assign(({ context }) => ({
                        nextN: context.nextN + 1,
                        risk: { ...context.risk, close: closeOrder(context), closeAttempts: context.risk.closeAttempts + 1, lastCloseAt: context.now },
                      })),
                    ],
                  },
                ],
                onError: { target: '#grid.risk.flattening.closeBackoff' },
              },
            },
            sending: {
              invoke: {
                src: 'placeOrder',
                input: ({ context }) => ({ market: context.market.symbol, order: context.risk.close!, writeAhead: true }),
                onDone: { target: '#grid.risk.flattening.awaiting' },
                onError: [
                  { guard: ({ event }) => isVenueError(event.error) && isTransient(event.error.kind), target: '#grid.risk.flattening.closeBackoff' },
                  { guard: ({ event }) => isVenueError(event.error) && event.error.kind === 'rejected', target: '#grid.risk.flattening.closeBackoff', actions: riskJournal('stop-loss.failed', 'error', (c) => `${orderName(c.nextN - 1, c.risk.close!.role)} rejected; retrying`) },
                  { target: '#grid.risk.flattening.awaiting' },
                ],
              },
            },
          },
        },
        awaiting: {
          description: 'Waits for the close to end; the venue position decides.',
          always: [
            { guard: ({ context }) => context.risk.close !== null && isTerminal(context.risk.close) && venueFlat(context), target: 'retiring' },
            { guard: ({ context }) => context.risk.close !== null && isTerminal(context.risk.close), target: 'closeBackoff' },
          ],
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'risk-close-wait', at: context.now + 15_000 }) },
          on: { tick: { guard: ({ event }) => event.name === 'risk-close-wait', target: 'closeBackoff' } },
        },
        closeBackoff: {
          description: 'The close did not flatten the venue: another attempt after ≥ 5 s (doubling), sized fresh.',
          // The venue may report the position after the close's fill (chaos seed 1 run 29): flat now means done.
          always: { guard: ({ context }) => context.risk.close !== null && isTerminal(context.risk.close) && venueFlat(context), target: 'retiring' },
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'risk-close-backoff', at: context.risk.lastCloseAt + marketBackoffMs(context.risk.closeAttempts) }) },
          on: { tick: { guard: ({ event }) => event.name === 'risk-close-backoff', target: 'closing' } },
        },
        retiring: {
          description: 'The venue is flat: retires every tracked position (their exits are cancelled, nothing re-posted).',
          entry: enqueueActions(({ context, enqueue, self }) => {
            const live = self.getSnapshot().children as Record<string, unknown>;
            for (const key of Object.keys(context.positions).filter((k) => live[childId(Number(k))])) {
              enqueue.sendTo(childId(Number(key)), { type: 'position.retire', reason: label(context), at: context.now });
            }
          }),
          always: { guard: ({ context }) => Object.keys(context.positions).length === 0 && !entryInFlight(context), target: 'done' },
        },
        done: { type: 'final' },
      },
      on: { 'operator.resume': liftPause },
      onDone: [
        {
          guard: ({ context }) => context.risk.trigger === 'stop-price' || context.risk.trigger === 'flatten',
          target: 'halted',
          actions: enqueueActions(({ context, enqueue }) => {
            enqueue(
              journalAction({
                type: context.risk.trigger === 'flatten' ? 'flatten.executed' : 'stop-price.executed',
                level: 'warning',
                message: `flattened (venue ${context.venue.size}); halted until an operator resumes`,
                payload: { trigger: context.risk.trigger, venuePosition: context.venue.size },
              }),
            );
          }),
        },
        {
          target: 'coolingOff',
          actions: [
            assign(({ context }) => ({ risk: { ...context.risk, coolOffUntil: context.now + context.params.timeoutMs } })),
            riskJournal('stop-loss.executed', 'warning', (c) => `stop-loss close done (venue ${c.venue.size}); entries refused until the cool-off ends`),
          ],
        },
      ],
    },
    suspending: {
      description: 'Operator cancel-all: cancels the pending entry and every exit; positions stay tracked; then halted.',
      entry: [
        phase('suspending'),
        enqueueActions(({ context, enqueue }) => {
          enqueue(journalAction({ type: 'operator.cancel-all', level: 'warning', message: 'operator cancel-all: cancelling the entry and every exit; positions stay tracked', payload: {} }));
        }),
      ],
      initial: 'entry',
      states: {
        entry: {
          always: [
            { guard: ({ context }) => !entryInFlight(context), target: 'exits' },
            { guard: ({ context }) => context.entry!.status === 'open' && !context.entry!.cancelRequested, target: 'cancelling' },
          ],
        },
        cancelling: {
          entry: assign(({ context }) => ({ entry: context.entry ? { ...context.entry, cancelRequested: true } : null })),
          invoke: {
            src: 'cancelOrder',
            input: ({ context }) => ({ market: context.market.symbol, clientIndex: context.entry!.clientIndex }),
            onDone: { target: 'entry' },
            onError: { target: 'entry' },
          },
        },
        exits: {
          entry: enqueueActions(({ context, enqueue, self }) => {
            const live = self.getSnapshot().children as Record<string, unknown>;
            for (const key of Object.keys(context.positions).filter((k) => live[childId(Number(k))])) {
              enqueue.sendTo(childId(Number(key)), { type: 'position.suspend', at: context.now });
            }
          }),
          always: {
            guard: ({ context }) => !entryInFlight(context) && Object.values(context.positions).every((p) => p.state === 'suspended' || p.state === 'closed'),
            target: '#grid.risk.halted',
            actions: enqueueActions(({ context, enqueue }) => {
              enqueue(
                journalAction({
                  type: 'cancel-all.executed',
                  level: 'warning',
                  message: `cancel-all done: no order of this bot rests; ${Object.keys(context.positions).length} position(s) kept; halted until resume`,
                  payload: { positions: Object.keys(context.positions).length },
                }),
              );
            }),
          },
        },
      },
      on: { 'operator.resume': liftPause },
    },
    halted: {
      description: 'Latched after a stop price, a flatten or a cancel-all: no entry until an operator resumes (refused while mid is beyond a stop price).',
      entry: [phase('halted'), 'evaluateGate'],
      always: takeRequest,
      on: {
        'operator.resume': [
          {
            guard: ({ context }) => resumeRefusal(context) !== null,
            actions: enqueueActions(({ context, enqueue }) => {
              enqueue(journalAction({ type: 'operator.resume-refused', level: 'warning', message: resumeRefusal(context)!, payload: { stopPrice: context.params.stopPrice, book: context.book } }));
            }),
          },
          {
            target: 'armed',
            actions: [
              // After a cancel-all, the positions place their exits again.
              enqueueActions(({ context, enqueue, self }) => {
                if (context.risk.trigger !== 'cancel-all') return;
                const live = self.getSnapshot().children as Record<string, unknown>;
                for (const key of Object.keys(context.positions).filter((k) => live[childId(Number(k))])) {
                  enqueue.sendTo(childId(Number(key)), { type: 'position.unsuspend', at: context.now });
                }
              }),
              assign(({ context }) => ({ operatorPaused: false, risk: { ...context.risk, trigger: null, close: null, closeAttempts: 0, triggerMid: null } })),
              enqueueActions(({ context, enqueue }) => {
                enqueue(journalAction({ type: 'grid.resumed', level: 'info', message: `operator resume: halted lifted (mid ${context.book ? mid(context.book.bid, context.book.ask) : '?'})`, payload: { by: 'operator' } }));
              }),
            ],
          },
        ],
      },
    },
    coolingOff: {
      description: 'After a stop-loss: entries refused (reason stop-loss) until position_timeout_minutes have passed.',
      entry: [phase('coolingOff'), 'evaluateGate'],
      always: takeRequest,
      invoke: { src: 'deadline', input: ({ context }) => ({ name: 'stop-loss-cooloff', at: context.risk.coolOffUntil ?? context.now }) },
      on: {
        tick: {
          guard: ({ event }) => event.name === 'stop-loss-cooloff',
          target: 'armed',
          actions: assign(({ context }) => ({ risk: { ...context.risk, trigger: null, close: null, closeAttempts: 0, coolOffUntil: null, triggerMid: null } })),
        },
        'operator.resume': liftPause,
      },
    },
  },
});
