/**
 * Setup of the range-grid root (types, named effects, actions, guards) and the helpers its
 * regions share. The statechart is machine.ts; the risk region risk.region.ts.
 *
 * Invariants:
 * - Effects are the same names as the dynamic grid (placeOrder, cancelOrder, queryOrder,
 *   cancelOrders, reconcile, queryPosition, setLeverage, deadline) plus the `level` child;
 *   `journal` and `reconciled` are provided at runtime. Pure otherwise.
 * - Arming (`arm`) runs only while trading, risk armed, not paused, a book known and — with
 *   on_exit_range hold — mid inside the range; it never lets live entries exceed
 *   max_resting_orders (cancelling ones count) nor the margin cap.
 * - A granted n is recorded in `owners` and `nextN` moves past it before the grant is sent.
 */
import { assign, enqueueActions, setup } from 'xstate';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { marginCapAllows, marginRatio, requiredMargin, usedMargin } from '../../../src/domain/grid-math.ts';
import type { JournalEntry } from '../../shared/types.ts';
import { deadlineStub, runtimeActionStubs, venueActorStubs } from '../../shared/venue-actors.ts';
import { levelMachine } from './level.machine.ts';
import { levelPrices, levelSize, outsideRange, planArming } from './levels.ts';
import { riskTrigger } from './risk-check.ts';
import type { RangeRoutePlan } from './routing.ts';
import type { LevelInput, LevelSummary, RangeGridContext, RangeGridEvent, RangeGridInput } from './types.ts';


export const levelId = (i: number) => `level:${i}`;

export const journalAction = (params: JournalEntry) => ({ type: 'journal', params }) as never;

export function levelsOf(ctx: Pick<RangeGridContext, 'params' | 'market'>) {
  return levelPrices({ lowerPrice: ctx.params.lowerPrice, upperPrice: ctx.params.upperPrice, gridCount: ctx.params.gridCount, spacing: ctx.params.spacing }, ctx.market.tick);
}

export function levelInput(ctx: RangeGridContext, i: number): LevelInput {
  const lv = levelsOf(ctx);
  return {
    level: i,
    market: ctx.market.symbol,
    slot: ctx.slot,
    tick: ctx.market.tick,
    buy: lv[i].buy,
    sell: lv[i].sell,
    exitSell: i + 1 < lv.length ? lv[i + 1].sell : null,
    exitBuy: i > 0 ? lv[i - 1].buy : null,
    reduceOnlyExits: ctx.params.direction !== 'neutral',
    minBase: ctx.market.minBase,
    minQuote: ctx.market.minQuote,
    now: ctx.now,
    book: ctx.book,
  };
}

/** Summary a freshly armed level has until its own first report arrives. */
function armedPlaceholder(level: number, side: 'buy' | 'sell', price: string, size: string): LevelSummary {
  return { level, state: 'awaitingN', side, n: null, ns: [], entry: null, exit: null, held: '0', exitTarget: null, liveEntry: true, liveExit: false, entryNotional: fmt(new Dec(size).times(price)) };
}

export const canArm = (ctx: RangeGridContext) =>
  ctx.trading && ctx.leverageApplied && ctx.risk.phase === 'armed' && ctx.risk.trigger === null && !ctx.operatorPaused && ctx.book !== null && !(ctx.params.onExitRange === 'hold' && outsideRange(ctx.params, ctx.book));


export const rangeGridSetup = setup({
  types: { context: {} as RangeGridContext, events: {} as RangeGridEvent, input: {} as RangeGridInput },
  actors: {
    ...venueActorStubs,
    deadline: deadlineStub<RangeGridEvent>(),
    level: levelMachine,
  },
  actions: {
    ...runtimeActionStubs,
    storeEventTime: assign(({ context, event }) => {
      const at = (event as { at?: number }).at;
      return typeof at === 'number' && at > context.now ? { now: at } : {};
    }),
  },
}).extend({
  actions: {
    applyPlan: enqueueActions(({ context, enqueue, self }, plan: RangeRoutePlan) => {
      const patch: Partial<RangeGridContext> = {};
      if (plan.riskClose) patch.risk = { ...context.risk, close: plan.riskClose };
      if (plan.nextN !== undefined && plan.nextN > context.nextN) patch.nextN = plan.nextN;
      if (plan.lastFillAt !== undefined) patch.lastFillAt = plan.lastFillAt;
      if (plan.orphans.length > 0) patch.orphans = [...new Set([...context.orphans, ...plan.orphans])];
      if (Object.keys(patch).length > 0) enqueue.assign(patch);
      const live = self.getSnapshot().children as Record<string, unknown>;
      for (const t of plan.toLevels) if (live[levelId(t.level)]) enqueue.sendTo(levelId(t.level), t.event);
      for (const j of plan.journal) enqueue(journalAction(j));
      if (plan.orphans.length > 0 && context.trading) enqueue.raise({ type: 'reconcile.now' });
    }),
    /** Checks the risk triggers against the current book; sets risk.trigger (the risk region acts). */
    checkRisk: enqueueActions(({ context, enqueue }) => {
      if (!context.book || !context.trading || context.risk.phase !== 'armed' || context.risk.trigger !== null) return;
      const t = riskTrigger(context, context.book);
      if (t) enqueue.assign({ risk: { ...context.risk, trigger: t.trigger, mode: t.mode, triggerMid: fmt(new Dec(context.book.bid).plus(context.book.ask).div(2)) } });
    }),
    /** Arms / disarms levels toward the nearest max_resting_orders; stops idle children nobody wants. */
    arm: enqueueActions(({ context, enqueue, self }) => {
      const idle = Object.values(context.levels).filter((s) => s.state === 'idle');
      if (!canArm(context) && idle.length === 0) return; // also: the initial state's entry, before the actor has a snapshot
      const live = self.getSnapshot().children as Record<string, unknown>;
      if (!canArm(context)) {
        const gone = stopIdle(context.levels, idle, new Set());
        for (const i of gone.stop) if (live[levelId(i)]) enqueue.stopChild(levelId(i));
        if (gone.stop.length > 0) enqueue.assign({ levels: gone.levels });
        return;
      }
      const book = context.book!;
      const plan = planArming({ levels: levelsOf(context), direction: context.params.direction, book, maxResting: context.params.maxRestingOrders, summaries: context.levels });
      const levels = { ...context.levels };
      for (const i of plan.disarm) if (live[levelId(i)]) enqueue.sendTo(levelId(i), { type: 'level.disarm', at: context.now });
      // Margin cap: used + pending entries + this entry ≤ max_margin_usd.
      const mid = fmt(new Dec(book.bid).plus(book.ask).div(2));
      const r = marginRatio({ ...(context.venue.reservedMargin !== undefined ? { reservedMargin: context.venue.reservedMargin } : {}), ...(context.venue.exposure !== undefined ? { exposure: context.venue.exposure } : {}), leverage: context.leverage });
      const used = usedMargin({ positionSize: context.venue.size, mid, r, ...(context.venue.reservedMargin !== undefined ? { reservedMargin: context.venue.reservedMargin } : {}) });
      let pending = Object.values(levels).reduce((a, s) => a.plus(s.entryNotional), new Dec(0)).times(r);
      let capHit = false;
      const armed = new Set<number>();
      for (const c of plan.arm) {
        const size = levelSize(context.params, context.market, c.price, c.exitPrice);
        const required = requiredMargin({ size, mid: c.price, r });
        if (!marginCapAllows({ used, pending: fmt(pending), required, maxMarginUsd: context.params.maxMarginUsd })) {
          capHit = true;
          break;
        }
        pending = pending.plus(required);
        armed.add(c.level);
        levels[String(c.level)] = armedPlaceholder(c.level, c.side, c.price, size);
        if (live[levelId(c.level)]) enqueue.sendTo(levelId(c.level), { type: 'level.arm', side: c.side, price: c.price, size, at: context.now, book });
        else enqueue.spawnChild('level', { id: levelId(c.level), input: { ...levelInput(context, c.level), arm: { side: c.side, price: c.price, size } } });
      }
      const gone = stopIdle(levels, idle, armed);
      for (const i of gone.stop) if (live[levelId(i)]) enqueue.stopChild(levelId(i));
      if (armed.size > 0 || gone.stop.length > 0) enqueue.assign({ levels: gone.levels });
      if (capHit !== context.marginCapHit) {
        enqueue.assign({ marginCapHit: capHit });
        if (capHit) enqueue(journalAction({ type: 'risk.margin-cap-hit', level: 'warning', message: `entry refused: margin cap ${context.params.maxMarginUsd} USD would be exceeded`, payload: { maxMarginUsd: context.params.maxMarginUsd, used } }));
      }
    }),
  },
});

/** Idle level children not being armed: stopped to keep the snapshot small. */
function stopIdle(levels: Record<string, LevelSummary>, idle: LevelSummary[], armed: Set<number>): { stop: number[]; levels: Record<string, LevelSummary> } {
  const out = { ...levels };
  const stop: number[] = [];
  for (const s of idle) {
    if (armed.has(s.level)) continue;
    stop.push(s.level);
    delete out[String(s.level)];
  }
  return { stop, levels: out };
}
