/**
 * The trailing grid (`strategy.kind: trailing-grid`) as a strategy variant: the root of
 * machine.ts with the shared position child, both provided with the runtime's venue effects,
 * and its status in the shared BotStatus shape (so the status line, `grid-bot status`,
 * /status, metrics and the dashboard show it unchanged).
 *
 * Invariants: the status is derived from the root snapshot only (the root keeps the position
 * child's latest summary); decimals stay exact strings.
 */
import { describeIndex, positionId } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import type { BotStatus } from '../../../src/runtime/status.ts';
import { positionMachine, stateName } from '../../position/machine.ts';
import type { StrategyVariant, VariantDeps } from '../contract.ts';
import { trailingGridMachine } from './machine.ts';
import { TRAILING_GRID_MACHINE_VERSION, type TrailingGridContext, type TrailingGridParams } from './types.ts';

export const TRAILING_GRID_KIND = 'trailing-grid';

export function buildTrailingGridMachine({ effects, journal, reconciled }: VariantDeps) {
  const position = positionMachine.provide({
    actors: {
      placeOrder: effects.placeOrder,
      cancelOrder: effects.cancelOrder,
      queryOrder: effects.queryOrder,
      cancelOrders: effects.cancelOrders,
      queryOrders: effects.queryOrders,
      deadline: effects.deadline as never,
    },
    actions: { journal },
  });
  return trailingGridMachine.provide({
    actors: { ...effects, deadline: effects.deadline as never, position } as never,
    actions: { journal, reconciled },
  });
}

/** Why no entry is being placed right now (empty = the entry trails the touch). */
export function trailGateReasons(ctx: TrailingGridContext): string[] {
  const reasons: string[] = [];
  if (!ctx.trading) reasons.push('not_trading');
  if (!ctx.book) reasons.push('no_book');
  if (ctx.operatorPaused) reasons.push('paused');
  if (ctx.position) reasons.push('holding');
  return reasons;
}

export function trailingGridStatus(snap: { value: unknown; context: unknown }): BotStatus {
  const ctx = snap.context as TrailingGridContext;
  const value = snap.value;
  const trading = typeof value === 'object' && value !== null && 'trading' in value;
  const p = ctx.position;
  let unrealized = new Dec(0);
  if (ctx.book && !new Dec(ctx.venue.size).isZero()) {
    unrealized = new Dec(ctx.book.bid).plus(ctx.book.ask).div(2).minus(ctx.venue.avgEntry).times(ctx.venue.size);
  }
  const reasons = trailGateReasons(ctx);
  return {
    variant: TRAILING_GRID_KIND,
    now: ctx.now,
    lifecycle: trading ? 'trading' : stateName(value),
    entryState: trading ? stateName((value as { trading: unknown }).trading) : 'idle',
    gate: { open: reasons.length === 0, reasons },
    paused: ctx.operatorPaused,
    entry: ctx.entry
      ? { name: describeIndex(ctx.entry.clientIndex), side: ctx.entry.side, price: ctx.entry.price, size: ctx.entry.size, filled: ctx.entry.filled, status: ctx.entry.status }
      : null,
    positions: p ? [{ ...p, name: positionId(p.n), exitName: p.exit ? describeIndex(p.exit.clientIndex) : null }] : [],
    restingExits: p?.exit && p.exit.type === 'limit' && p.exit.status === 'open' ? 1 : 0,
    trackedSize: p ? p.remaining : '0',
    venuePosition: ctx.venue.size,
    avgEntry: ctx.venue.avgEntry,
    realizedPnl: ctx.realizedPnl,
    unrealizedPnl: unrealized.toFixed(),
    nextN: ctx.nextN,
    book: ctx.book,
  };
}

export const trailingGridVariant: StrategyVariant<TrailingGridParams> = {
  kind: TRAILING_GRID_KIND,
  description: 'a single post-only entry that trails the touch at a fixed distance; when it fills, a reduce-only take-profit exit; one round trip at a time',
  machineVersion: TRAILING_GRID_MACHINE_VERSION,
  build: buildTrailingGridMachine,
  status: trailingGridStatus,
  resumeRefusal: () => null, // no risk latch: a resume only lifts an operator pause
  operatorEvents: ['operator.pause', 'operator.resume'],
};
