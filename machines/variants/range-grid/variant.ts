/**
 * The range grid (`strategy.kind: range-grid`) as a strategy variant: the range-grid root
 * with one spawned `level` child per armed level, provided with the runtime's venue effects,
 * and its status view in the shared BotStatus shape (levels listed one per line; holding
 * levels shown as positions so every generic view — status line, metrics, /status,
 * dashboard — works unchanged).
 *
 * Invariants: the status is derived from the root snapshot only (the root keeps a summary of
 * every live level child); decimals stay exact strings.
 */
import { describeIndex } from '../../../src/domain/client-index.ts';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import type { BotStatus, LevelStatus } from '../../../src/runtime/status.ts';
import { stateName } from '../../position/machine.ts';
import type { StrategyVariant, VariantDeps } from '../contract.ts';
import { levelMachine } from './level.machine.ts';
import { ledgerSize } from './levels.ts';
import { rangeGridMachine } from './machine.ts';
import { resumeRefusal } from './risk-check.ts';
import { RANGE_GRID_MACHINE_VERSION, type RangeGridContext, type RangeGridParams } from './types.ts';

export const RANGE_GRID_VARIANT_KIND = 'range-grid';

export function buildRangeGridMachine({ effects, journal, reconciled }: VariantDeps) {
  const level = levelMachine.provide({
    actors: { placeOrder: effects.placeOrder, cancelOrder: effects.cancelOrder, queryOrder: effects.queryOrder, deadline: effects.deadline as never },
    actions: { journal },
  });
  return rangeGridMachine.provide({
    actors: { ...effects, deadline: effects.deadline as never, level } as never,
    actions: { journal, reconciled },
  });
}

/** Why nothing new is being armed right now (empty = the grid is arming levels). */
export function rangeGateReasons(ctx: RangeGridContext): string[] {
  const reasons: string[] = [];
  if (!ctx.trading) reasons.push('not_trading');
  if (!ctx.book) reasons.push('no_book');
  if (ctx.operatorPaused) reasons.push('paused');
  if (ctx.risk.phase !== 'armed') reasons.push('halted');
  if (ctx.outside) reasons.push('outside_range');
  if (ctx.marginCapHit) reasons.push('margin_cap');
  return reasons;
}

export function rangeGridStatus(snap: { value: unknown; context: unknown }): BotStatus {
  const ctx = snap.context as RangeGridContext;
  const value = snap.value as Record<string, unknown>;
  const summaries = Object.values(ctx.levels).sort((a, b) => a.level - b.level);
  const levels: LevelStatus[] = summaries.map((s) => ({
    level: s.level,
    state: s.state,
    side: s.side,
    held: s.held,
    entry: s.entry ? { name: describeIndex(s.entry.clientIndex), price: s.entry.price, status: s.entry.status } : null,
    exit: s.exit ? { name: describeIndex(s.exit.clientIndex), price: s.exit.price, status: s.exit.status } : null,
    roundTrips: ctx.levelProfit[String(s.level)]?.roundTrips ?? 0,
    profit: ctx.levelProfit[String(s.level)]?.profit ?? '0',
  }));
  const holding = summaries.filter((s) => !new Dec(s.held).isZero());
  const positions: BotStatus['positions'] = holding.map((s) => ({
    n: s.n ?? 0,
    size: fmt(new Dec(s.held).abs()),
    remaining: fmt(new Dec(s.held).abs()),
    entryPrice: s.entry?.price ?? '0',
    exit: s.exit ? { clientIndex: s.exit.clientIndex, price: s.exit.price, type: 'limit', status: s.exit.status, size: s.exit.size } : null,
    state: s.state,
    realizedPnl: ctx.levelProfit[String(s.level)]?.profit ?? '0',
    exitAccepted: s.exit !== null && s.exit.status === 'open',
    name: `level-${s.level}`,
    exitName: s.exit ? describeIndex(s.exit.clientIndex) : null,
  }));
  const resting = summaries.filter((s) => s.exit && s.exit.status === 'open').length;
  const armed = summaries.filter((s) => s.liveEntry).length;
  let unrealized = new Dec(0);
  if (ctx.book && !new Dec(ctx.venue.size).isZero()) {
    const mid = new Dec(ctx.book.bid).plus(ctx.book.ask).div(2);
    unrealized = mid.minus(ctx.venue.avgEntry).times(ctx.venue.size);
  }
  const reasons = rangeGateReasons(ctx);
  return {
    variant: RANGE_GRID_VARIANT_KIND,
    now: ctx.now,
    lifecycle: stateName(value.lifecycle),
    entryState: `${armed} entr${armed === 1 ? 'y' : 'ies'} armed, ${holding.length} holding`,
    gate: { open: reasons.length === 0, reasons },
    paused: ctx.operatorPaused,
    entry: null,
    positions,
    restingExits: resting,
    trackedSize: ledgerSize(ctx.levels),
    venuePosition: ctx.venue.size,
    avgEntry: ctx.venue.avgEntry,
    realizedPnl: ctx.realizedPnl,
    unrealizedPnl: unrealized.toFixed(),
    nextN: ctx.nextN,
    book: ctx.book,
    levels,
  };
}

export const rangeGridVariant: StrategyVariant<RangeGridParams> = {
  kind: RANGE_GRID_VARIANT_KIND,
  description: 'fixed level prices between lower_price and upper_price; each filled level exits at its neighbour',
  machineVersion: RANGE_GRID_MACHINE_VERSION,
  build: buildRangeGridMachine,
  status: rangeGridStatus,
  resumeRefusal: (ctx) => resumeRefusal(ctx as RangeGridContext),
  operatorEvents: ['operator.pause', 'operator.resume', 'operator.flatten'],
};
