/**
 * Routing of venue order updates and fills for the range-grid root, as pure planning.
 *
 * The client index names slot, n and role; the root's `owners` map names the level of every
 * live n (recorded when the n is granted, before any order uses it):
 * - not our slot / not our scheme → foreign, ignored;
 * - the whole-bot close in flight → the risk record;
 * - an owned n whose level child is live → that child;
 * - an n never granted (n ≥ nextN: the store lost writes) → nextN moves past it (never
 *   reused), a live order is an orphan to cancel;
 * - anything else belongs to a finished round trip: fills were counted, live orders are orphans.
 *
 * Invariant: routing the same update or fill twice yields the same effects (children and the
 * risk record apply them idempotently).
 */
import type { VenueFill, VenueOrder } from '../../../adapters/types.ts';
import { decodeClientIndex, describeIndex } from '../../../src/domain/client-index.ts';
import { applyFill, applyOrderUpdate } from '../../shared/orders.ts';
import type { JournalEntry, OrderRecord } from '../../shared/types.ts';
import type { LevelEvent, RangeGridContext } from './types.ts';

export interface RangeRoutePlan {
  toLevels: Array<{ level: number; event: LevelEvent }>;
  riskClose?: OrderRecord;
  nextN?: number;
  orphans: number[];
  journal: JournalEntry[];
  lastFillAt?: number;
}

export const emptyRangePlan = (): RangeRoutePlan => ({ toLevels: [], orphans: [], journal: [] });

type Target = { kind: 'foreign' } | { kind: 'close' } | { kind: 'level'; level: number } | { kind: 'unknown'; n: number } | { kind: 'finished' };

function targetOf(ctx: RangeGridContext, clientIndex: number, close: OrderRecord | null): Target {
  const d = decodeClientIndex(clientIndex);
  if (!d || d.slot !== ctx.slot) return { kind: 'foreign' };
  if (close && close.clientIndex === clientIndex) return { kind: 'close' };
  const level = ctx.owners[String(d.n)];
  if (level !== undefined && ctx.levels[String(level)]) return { kind: 'level', level };
  if (d.n >= ctx.nextN) return { kind: 'unknown', n: d.n };
  return { kind: 'finished' };
}

export function routeOrder(ctx: RangeGridContext, order: VenueOrder, at: number, plan: RangeRoutePlan = emptyRangePlan()): RangeRoutePlan {
  const t = targetOf(ctx, order.clientIndex, plan.riskClose ?? ctx.risk.close);
  switch (t.kind) {
    case 'foreign':
      return plan;
    case 'close':
      plan.riskClose = applyOrderUpdate(plan.riskClose ?? ctx.risk.close!, order);
      return plan;
    case 'level':
      plan.toLevels.push({ level: t.level, event: { type: 'level.order-updated', order, at, book: ctx.book } });
      return plan;
    case 'unknown':
      plan.nextN = Math.max(plan.nextN ?? ctx.nextN, t.n + 1);
      plan.journal.push({
        type: 'reconcile.unknown-order',
        level: 'warning',
        message: `order ${describeIndex(order.clientIndex)} uses an n this bot never granted (the store lost writes); the counter moves past it${order.status === 'open' ? ' and the order is cancelled' : ''}`,
        payload: { clientIndex: order.clientIndex, status: order.status },
      });
      if (order.status === 'open') plan.orphans.push(order.clientIndex);
      return plan;
    case 'finished':
      if (order.status === 'open') plan.orphans.push(order.clientIndex);
      return plan;
  }
}

export function routeFillEvent(ctx: RangeGridContext, fill: VenueFill, at: number, plan: RangeRoutePlan = emptyRangePlan()): RangeRoutePlan {
  if (fill.time > (plan.lastFillAt ?? ctx.lastFillAt)) plan.lastFillAt = fill.time;
  const t = targetOf(ctx, fill.clientIndex, plan.riskClose ?? ctx.risk.close);
  switch (t.kind) {
    case 'close':
      plan.riskClose = applyFill(plan.riskClose ?? ctx.risk.close!, fill);
      return plan;
    case 'level':
      plan.toLevels.push({ level: t.level, event: { type: 'level.fill', fill, at, book: ctx.book } });
      return plan;
    case 'unknown':
      plan.nextN = Math.max(plan.nextN ?? ctx.nextN, t.n + 1);
      plan.journal.push({
        type: 'reconcile.unknown-fill',
        level: 'warning',
        message: `fill of ${describeIndex(fill.clientIndex)} (${fill.side} ${fill.size} at ${fill.price}) belongs to no level; the ledger check compares with the venue position`,
        payload: { clientIndex: fill.clientIndex, tradeId: fill.tradeId },
      });
      return plan;
    default:
      return plan;
  }
}
