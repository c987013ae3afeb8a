/**
 * The range-grid root machine: one bot = one market of one account, trading fixed level
 * prices between lower_price and upper_price.
 *
 * Parallel regions:
 *   lifecycle: starting → leverage → reconciling → adopting → cleaning → trading (periodic reconcile)
 *   risk:      armed → stopping → (closing →) halted (latched)        — risk.region.ts
 * Children: `level:<i>`, one level machine per armed or holding level (level.machine.ts);
 * idle levels nobody wants are stopped, so a 500-level grid keeps ~max_resting_orders children.
 * See README.md for the state and event tables and the invariants.
 */
import { assign, enqueueActions, type ActorRefFrom } from 'xstate';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { backoffMs } from './level.logic.ts';
import { ledgerSize, outsideRange } from './levels.ts';
import { resumeRefusal } from './risk-check.ts';
import { riskRegion } from './risk.region.ts';
import { routeFillEvent, routeOrder, emptyRangePlan, type RangeRoutePlan } from './routing.ts';
import { journalAction, levelId, rangeGridSetup } from './setup.ts';
import type { RangeGridContext } from './types.ts';
import type { ReconcileReport } from '../../../adapters/types.ts';

export { resumeRefusal };

/** Levels whose leg is parked (held, no order): an operator resume sends each a fresh exit. */
export const parkedLevels = (ctx: RangeGridContext): number[] => Object.values(ctx.levels).filter((s) => s.state === 'parked').map((s) => s.level);

/**
 * Whether an operator resume may act outside `halted`: risk armed, or a halt still stopping
 * (never a close, whose legs stay parked until released), and not refused (`resumeRefusal`).
 */
export function resumeAllowed(ctx: RangeGridContext): boolean {
  const phase = ctx.risk.phase;
  return (phase === 'armed' || (phase === 'stopping' && ctx.risk.mode === 'halt')) && resumeRefusal(ctx) === null;
}

/** Sends `level.resume` to every live parked level (journaled when there is one). */
const resumeParked = (pauseLifted: boolean) =>
  rangeGridSetup.createAction(enqueueActions(({ context, event, enqueue, self }) => {
    const live = self.getSnapshot().children as Record<string, unknown>;
    const parked = parkedLevels(context).filter((i) => live[levelId(i)]);
    const at = Math.max(context.now, (event as { at?: number }).at ?? 0);
    enqueue.assign({ now: at });
    for (const i of parked) enqueue.sendTo(levelId(i), { type: 'level.resume', at, book: context.book });
    if (parked.length > 0) {
      enqueue(journalAction({ type: 'operator.resumed', level: 'info', message: `resumed: ${pauseLifted ? 'pause lifted; ' : ''}${parked.length} parked leg(s) get a fresh exit (level ${parked.join(', ')})`, payload: { levels: parked, pauseLifted } }));
    }
  }));

function planReport(ctx: RangeGridContext, report: ReconcileReport, at: number): RangeRoutePlan {
  const plan = emptyRangePlan();
  for (const o of report.orders) routeOrder(ctx, o, at, plan);
  for (const f of report.fills) routeFillEvent(ctx, f, at, plan);
  return plan;
}

const venueOf = (p: { size: string; avgEntryPrice: string; reservedMargin?: string; exposure?: string }): RangeGridContext['venue'] => ({
  size: p.size,
  avgEntry: p.avgEntryPrice,
  ...(p.reservedMargin !== undefined ? { reservedMargin: p.reservedMargin } : {}),
  ...(p.exposure !== undefined ? { exposure: p.exposure } : {}),
});

export const rangeGridMachine = rangeGridSetup.createMachine({
  id: 'range-grid',
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
    levels: {},
    owners: {},
    trading: false,
    leverageApplied: false,
    operatorPaused: false,
    outside: false,
    marginCapHit: false,
    risk: { phase: 'armed', trigger: null, mode: null, request: null, close: null, closeAttempts: 0, lastCloseAt: 0, triggerMid: null },
    realizedPnl: '0',
    roundTrips: 0,
    levelProfit: {},
    lastFillAt: input.now,
    orphans: [],
    sendErrors: 0,
    startedAt: input.now,
  }),
  on: {
    'market.bbo': {
      actions: [
        enqueueActions(({ context, event, enqueue }) => {
          const book = { bid: event.bbo.bid, ask: event.bbo.ask };
          const outside = outsideRange(context.params, book);
          enqueue.assign({ book, now: Math.max(context.now, event.at), ...(outside !== context.outside ? { outside } : {}) });
          if (outside !== context.outside) {
            enqueue(
              journalAction(
                outside
                  ? { type: 'range.exited', level: 'warning', message: `mid left the range ${context.params.lowerPrice}..${context.params.upperPrice} (on_exit_range ${context.params.onExitRange})`, payload: { bid: book.bid, ask: book.ask, onExitRange: context.params.onExitRange } }
                  : { type: 'range.entered', level: 'info', message: `mid is back inside the range ${context.params.lowerPrice}..${context.params.upperPrice}`, payload: { bid: book.bid, ask: book.ask } },
              ),
            );
          }
        }),
        'checkRisk',
        'arm',
      ],
    },
    'order.updated': { actions: ['storeEventTime', { type: 'applyPlan', params: ({ context, event }) => routeOrder(context, event.order, event.at) }] },
    'order.filled': { actions: ['storeEventTime', { type: 'applyPlan', params: ({ context, event }) => routeFillEvent(context, event.fill, event.at) }] },
    'position.updated': { actions: [assign(({ context, event }) => ({ now: Math.max(context.now, event.at), venue: venueOf(event.position) })), 'checkRisk'] },
    'level.report': {
      actions: enqueueActions(({ context, event, enqueue, self }) => {
        const s = event.summary;
        // A report a stopped child sent before it was stopped is dropped.
        if (!(self.getSnapshot().children as Record<string, unknown>)[`level:${s.level}`]) return;
        const owners = { ...context.owners };
        for (const [n, lv] of Object.entries(owners)) if (lv === s.level && !s.ns.includes(Number(n))) delete owners[n];
        for (const n of s.ns) owners[String(n)] = s.level;
        enqueue.assign({ levels: { ...context.levels, [String(s.level)]: s }, owners });
        enqueue('arm');
      }),
    },
    'level.request-n': {
      actions: enqueueActions(({ context, event, enqueue, self }) => {
        if (!(self.getSnapshot().children as Record<string, unknown>)[`level:${event.level}`]) return;
        const n = context.nextN;
        enqueue.assign({ nextN: n + 1, owners: { ...context.owners, [String(n)]: event.level } });
        enqueue.sendTo(`level:${event.level}`, { type: 'level.grant-n', n, at: context.now });
      }),
    },
    'level.round-trip': {
      actions: assign(({ context, event }) => {
        const r = event.report;
        const prev = context.levelProfit[String(r.level)] ?? { roundTrips: 0, profit: '0' };
        return {
          realizedPnl: fmt(new Dec(context.realizedPnl).plus(r.profit)),
          roundTrips: context.roundTrips + 1,
          levelProfit: { ...context.levelProfit, [String(r.level)]: { roundTrips: prev.roundTrips + 1, profit: fmt(new Dec(prev.profit).plus(r.profit)) } },
        };
      }),
    },
    'operator.pause': {
      actions: [assign({ operatorPaused: true }), { type: 'journal', params: () => ({ type: 'operator.paused', level: 'warning', message: 'operator pause: no new entries until resume (exits go on)', payload: { by: 'operator' } }) }],
    },
    // Outside `halted` (its own handler, risk.region.ts): lifts a pause and sends every parked leg
    // (an exit the venue refused) a fresh exit; with no pause, only the parked legs (range-grid
    // chaos seed 3 run 10). Refused while `resumeRefusal` holds; never while closing.
    'operator.resume': [
      { guard: ({ context }) => resumeAllowed(context) && context.operatorPaused && context.risk.phase === 'armed', actions: [assign({ operatorPaused: false }), resumeParked(true), 'arm'] },
      { guard: ({ context }) => resumeAllowed(context) && parkedLevels(context).length > 0, actions: [resumeParked(false), 'arm'] },
    ],
    'operator.flatten': { actions: [assign(({ context }) => ({ risk: { ...context.risk, request: 'flatten' as const } }))] },
    'venue.down': { actions: ['storeEventTime', { type: 'journal', params: ({ event }) => ({ type: 'venue.disconnected', level: 'warning', message: `venue stream down: ${event.reason}`, payload: { reason: event.reason } }) }] },
    'venue.up': { actions: ['storeEventTime', { type: 'journal', params: () => ({ type: 'venue.reconnected', level: 'info', message: 'venue stream back; catching up over REST' }) }] },
  },
  states: {
    lifecycle: {
      initial: 'starting',
      on: {
        'bot.restored': {
          target: '.leverage',
          actions: [
            'storeEventTime',
            // The current config applies to new arms; holding levels keep their exits.
            assign(({ event }) => ({ ...(event.params ? { params: event.params } : {}), ...(event.market ? { market: event.market } : {}), ...(event.leverage ? { leverage: event.leverage } : {}) })),
          ],
        },
      },
      states: {
        starting: {
          description: 'Created, not yet told to start: nothing is sent.',
          on: { 'bot.start': { target: 'leverage', actions: 'storeEventTime' } },
        },
        leverage: {
          description: 'Sets target_leverage on the venue; no entry before it is applied.',
          invoke: {
            src: 'setLeverage',
            input: ({ context }) => ({ market: context.market.symbol, leverage: context.leverage }),
            onDone: { target: 'reconciling', actions: assign(({ context, event }) => ({ leverage: event.output.leverage, leverageApplied: true, now: Math.max(context.now, event.output.at), sendErrors: 0 })) },
            onError: { target: 'leverageBackoff', actions: assign(({ context }) => ({ sendErrors: context.sendErrors + 1 })) },
          },
        },
        leverageBackoff: {
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'leverage-backoff', at: context.now + backoffMs(context.sendErrors) }) },
          on: { tick: { target: 'leverage', actions: 'storeEventTime' } },
        },
        reconciling: {
          description: 'Asks the venue for open and recent orders, fills since the last saved fill and the position; routes them to the levels.',
          entry: assign({ trading: false }),
          invoke: {
            src: 'reconcile',
            input: ({ context }) => ({ market: context.market.symbol, since: Math.max(0, context.lastFillAt - 60_000) }),
            onDone: {
              target: 'adopting',
              actions: [
                assign(({ context, event }) => ({ now: Math.max(context.now, event.output.time), venue: venueOf(event.output.position), ...(event.output.bbo ? { book: { bid: event.output.bbo.bid, ask: event.output.bbo.ask } } : {}) })),
                { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.output, context.now) },
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
        adopting: {
          description: 'The levels have taken the report in (their reports arrive first); compares the ledger with the venue position.',
          entry: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'reconcile.check' }, { delay: 0 })),
          on: {
            'reconcile.check': {
              target: 'cleaning',
              actions: enqueueActions(({ context, enqueue }) => {
                const ledger = ledgerSize(context.levels);
                const same = new Dec(ledger).eq(context.venue.size);
                enqueue(
                  journalAction(
                    same
                      ? { type: 'venue.reconciled', level: 'info', message: `reconciled: venue position ${context.venue.size} = level ledger; ${Object.keys(context.levels).length} live level(s), next n ${context.nextN}`, payload: { venuePosition: context.venue.size, ledger } }
                      : { type: 'reconcile.ledger-mismatch', level: 'warning', message: `venue position ${context.venue.size} differs from the level ledger ${ledger}; levels keep their legs, the operator decides (flatten or adjust by hand)`, payload: { venuePosition: context.venue.size, ledger } },
                  ),
                );
              }),
            },
          },
        },
        cleaning: {
          description: 'Cancels orders of this bot that no level owns.',
          always: { guard: ({ context }) => context.orphans.length === 0, target: 'trading' },
          invoke: {
            src: 'cancelOrders',
            input: ({ context }) => ({ market: context.market.symbol, clientIndexes: context.orphans, ungated: true }),
            onDone: {
              target: 'trading',
              actions: [
                { type: 'journal', params: ({ context }) => ({ type: 'restart.orphans-canceled', level: 'warning', message: `cancelled ${context.orphans.length} order(s) of this bot that no level owns`, payload: { clientIndexes: context.orphans } }) },
                assign({ orphans: [] }),
              ],
            },
            onError: { target: 'trading' },
          },
        },
        trading: {
          description: 'Reconciled: levels are armed toward the nearest max_resting_orders; reconciles again periodically.',
          entry: [assign(({ context }) => ({ trading: true, now: context.now })), 'reconciled', 'checkRisk', 'arm'],
          exit: assign({ trading: false }),
          invoke: { src: 'deadline', input: ({ context }) => ({ name: 'reconcile-periodic', at: context.now + context.params.reconcileEveryMs }) },
          on: {
            tick: { guard: ({ event }) => event.name === 'reconcile-periodic', target: 'reconciling', actions: 'storeEventTime' },
            'reconcile.now': { target: 'reconciling' },
            'venue.caught-up': {
              target: 'adopting',
              actions: [
                'storeEventTime',
                assign(({ event }) => ({ venue: venueOf(event.report.position) })),
                { type: 'applyPlan', params: ({ context, event }) => planReport(context, event.report, context.now) },
              ],
            },
          },
        },
      },
    },
    risk: riskRegion,
  },
});

export type RangeGridActor = ActorRefFrom<typeof rangeGridMachine>;
