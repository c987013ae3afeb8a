/**
 * Routing of venue order updates and fills for the trailing grid, as pure planning over the
 * root's context. The client index alone names the owner (src/domain/client-index.ts):
 * - not our slot, or not our scheme → ignored (someone else's order);
 * - the current entry's index → the entry record; new filled size spawns (or grows) the
 *   position child `position:<n>` of that round trip;
 * - any other role of the live position's n → that position child (its exits);
 * - anything else of ours → a finished or unknown round trip: its fills are already counted,
 *   a live order is an orphan the root cancels; an n at or above nextN (a store that lost
 *   writes, `--rebuild-from-venue`) moves nextN past it, so no index is ever reused.
 *
 * Invariant: applying the same update or fill twice plans the same effects (idempotent: order
 * records only move forward, fills are deduplicated by trade id, `tracked` only grows).
 */
import type { VenueFill, VenueOrder } from '../../../adapters/types.ts';
import { decodeClientIndex, orderName, positionId } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { applyFill, applyOrderUpdate, avgFillPrice, isTerminal } from '../../shared/orders.ts';
import { positionInput, venueSizeInDirection } from './trail.ts';
import type { TrailEntry, TrailingGridContext, TrailPlan } from './types.ts';

export const emptyTrailPlan = (): TrailPlan => ({ toChild: [], journal: [], orphans: [] });

const env = (ctx: TrailingGridContext, at: number) => ({ at, book: ctx.book, venueSize: venueSizeInDirection(ctx) });

/** After the entry record changed: hand new filled size to the position, tell it when the entry ended. */
function trackEntry(ctx: TrailingGridContext, before: TrailEntry, after: TrailEntry, at: number, plan: TrailPlan): void {
  let entry = after;
  if (new Dec(after.filled).gt(after.tracked)) {
    const price = avgFillPrice(after);
    plan.journal.push({
      type: 'entry.filled',
      level: 'info',
      message: `${orderName(after.n, after.role)} filled ${new Dec(after.filled).minus(after.tracked).toFixed()} (total ${after.filled}) at ${price}`,
      payload: { position: positionId(after.n), clientIndex: after.clientIndex, filled: after.filled, price },
    });
    if (ctx.position?.n === after.n || plan.spawn) {
      plan.toChild.push({ type: 'position.size', size: after.filled, entryPrice: price, ...env(ctx, at) });
    } else {
      plan.spawn = positionInput(ctx, after.n, after.filled, price, !isTerminal(after));
      plan.journal.push({
        type: 'position.tracked',
        level: 'info',
        message: `${positionId(after.n)} tracked: ${after.filled} at ${price}, take-profit ${plan.spawn.tpPrice}`,
        payload: { position: positionId(after.n), size: after.filled, entryPrice: price, tpPrice: plan.spawn.tpPrice },
      });
    }
    entry = { ...after, tracked: after.filled };
  }
  if (isTerminal(after) && !isTerminal(before) && new Dec(entry.tracked).gt(0)) {
    if (plan.spawn) plan.spawn.entryOpen = false;
    else plan.toChild.push({ type: 'position.entry-done', ...env(ctx, at) });
  }
  plan.entry = entry;
}

/** Never reuse an n the venue has seen: nextN moves past any index of ours at or above it. */
function keepNAhead(ctx: TrailingGridContext, n: number, plan: TrailPlan): void {
  if (n >= (plan.nextN ?? ctx.nextN)) plan.nextN = n + 1;
}

export function routeOrder(ctx: TrailingGridContext, order: VenueOrder, at: number, plan: TrailPlan = emptyTrailPlan()): TrailPlan {
  const d = decodeClientIndex(order.clientIndex);
  if (!d || d.slot !== ctx.slot) return plan;
  keepNAhead(ctx, d.n, plan);
  const entry = plan.entry !== undefined ? plan.entry : ctx.entry;
  if (entry && order.clientIndex === entry.clientIndex) {
    const after = { ...entry, ...applyOrderUpdate(entry, order) };
    if (after.status === 'open' && after.acceptedAt === undefined) after.acceptedAt = at;
    trackEntry(ctx, entry, after, at, plan);
  } else if (d.role.kind !== 'entry' && (ctx.position?.n === d.n || plan.spawn?.n === d.n)) {
    plan.toChild.push({ type: 'position.order-updated', order, ...env(ctx, at) });
  } else if (!isTerminal(order)) {
    plan.orphans.push(order.clientIndex);
  }
  return plan;
}

export function routeFill(ctx: TrailingGridContext, fill: VenueFill, at: number, plan: TrailPlan = emptyTrailPlan()): TrailPlan {
  const d = decodeClientIndex(fill.clientIndex);
  if (!d || d.slot !== ctx.slot) return plan;
  keepNAhead(ctx, d.n, plan);
  plan.lastFillAt = Math.max(plan.lastFillAt ?? ctx.lastFillAt, fill.time);
  const entry = plan.entry !== undefined ? plan.entry : ctx.entry;
  if (entry && fill.clientIndex === entry.clientIndex) {
    trackEntry(ctx, entry, { ...entry, ...applyFill(entry, fill) }, at, plan);
  } else if (d.role.kind !== 'entry' && (ctx.position?.n === d.n || plan.spawn?.n === d.n)) {
    plan.toChild.push({ type: 'position.fill', fill, ...env(ctx, at) });
  }
  return plan;
}
