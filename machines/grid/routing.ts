/**
 * Routing of venue order updates and fills, as pure planning over the root's context.
 *
 * The client index alone names the owner (slot, n, role), so routing needs no lookup table
 * the venue can outrun — also for fills of orders this process never saw:
 * - not our slot / not our scheme → a foreign order (kept only for grid-step spacing);
 * - role entry of the entry in flight → the entry record (a fill spawns or grows `grid-n`);
 * - any other role of a live position → that position child;
 * - an n the context has never used (n ≥ nextN) → adoption (reconciliation after lost writes);
 * - anything else belongs to a finished position: fills are already counted, live orders are
 *   orphans to cancel.
 *
 * Invariant: applying the same update or fill twice yields the same plan effects (idempotent).
 */
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import { decodeClientIndex, orderName, positionId, type DecodedIndex } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { takeProfitPrice } from '../../src/domain/grid-math.ts';
import { applyFill, applyOrderUpdate, avgFillPrice, isTerminal } from '../shared/orders.ts';
import type { JournalEntry, OrderRecord } from '../shared/types.ts';
import type { PositionEvent, PositionInput, PositionParams } from '../position/types.ts';
import { tpFraction } from './gate.ts';
import type { EntryRecord, GridContext } from './types.ts';

export interface RoutePlan {
  entry?: EntryRecord | null;
  /** The risk region's whole-bot close order, updated. */
  riskClose?: OrderRecord;
  foreign?: GridContext['foreign'];
  lastFillAt?: number;
  toChildren: Array<{ n: number; event: PositionEvent }>;
  spawns: PositionInput[];
  journal: JournalEntry[];
  /** Ask the lifecycle to reconcile now (a fill nothing can own was seen). */
  reconcileNow?: boolean;
  /** Client indexes of ours seen for positions unknown to the context. */
  unknown: Array<{ decoded: DecodedIndex; order?: VenueOrder; fill?: VenueFill }>;
  orphans: number[];
}

export function emptyPlan(): RoutePlan {
  return { toChildren: [], spawns: [], journal: [], unknown: [], orphans: [] };
}

export function positionParams(ctx: GridContext): PositionParams {
  const p = ctx.params;
  return {
    market: ctx.market.symbol,
    slot: ctx.slot,
    direction: p.direction,
    tick: ctx.market.tick,
    step: ctx.market.step,
    multiplier: p.multiplier,
    slippagePct: p.slippagePct,
    boost: p.boost,
    exitLifetimeMs: p.exitLifetimeMs,
    exitRefreshLeadMs: p.exitRefreshLeadMs,
    retrySpacingMs: p.retrySpacingMs,
    timeoutMs: p.timeoutMs,
    recoveryMode: p.recoveryMode,
  };
}

/** |venue position| in the grid's direction; 0 when flat or on the opposite side. */
export function venueSizeInDirection(ctx: Pick<GridContext, 'venue' | 'params'>): string {
  const s = new Dec(ctx.venue.size);
  const d = ctx.params.direction === 'buy' ? s : s.neg();
  return (d.gt(0) ? d : new Dec(0)).toFixed();
}

export function tpPriceFor(ctx: GridContext, fillPrice: string): string {
  return takeProfitPrice({ direction: ctx.params.direction, fillPrice, f: tpFraction(ctx), tick: ctx.market.tick });
}

export function spawnInput(ctx: GridContext, n: number, size: string, entryPrice: string, extra: Partial<PositionInput> = {}): PositionInput {
  return {
    n,
    params: positionParams(ctx),
    size,
    entryPrice,
    tpPrice: tpPriceFor(ctx, entryPrice),
    now: ctx.now,
    book: ctx.book,
    venueSize: venueSizeInDirection(ctx),
    ...extra,
  };
}

function env(ctx: GridContext, at: number) {
  return { at, book: ctx.book, venueSize: venueSizeInDirection(ctx) };
}

/** After the entry record changed: hand new filled size to its position (spawn or grow). */
function trackEntryFills(ctx: GridContext, before: EntryRecord, after: EntryRecord, at: number, plan: RoutePlan): EntryRecord {
  const out = trackEntrySize(ctx, before, after, at, plan);
  // The entry ended: its position may close once nothing remains.
  if (isTerminal(after) && !isTerminal(before) && new Dec(out.tracked).gt(0)) {
    const spawned = plan.spawns.find((s) => s.n === after.n);
    if (spawned) spawned.entryOpen = false;
    else plan.toChildren.push({ n: after.n, event: { type: 'position.entry-done', ...env(ctx, at) } });
  }
  return out;
}

function trackEntrySize(ctx: GridContext, before: EntryRecord, after: EntryRecord, at: number, plan: RoutePlan): EntryRecord {
  const filled = new Dec(after.filled);
  if (!filled.gt(after.tracked)) return after;
  const price = avgFillPrice(after);
  const key = String(after.n);
  plan.journal.push({
    type: 'entry.filled',
    level: 'info',
    message: `${orderName(after.n, after.role)} filled ${filled.minus(before.tracked).toFixed()} (total ${after.filled}) at ${price}`,
    payload: { position: positionId(after.n), clientIndex: after.clientIndex, filled: after.filled, price },
  });
  if (ctx.positions[key] || plan.spawns.some((s) => s.n === after.n)) {
    plan.toChildren.push({ n: after.n, event: { type: 'position.size', size: after.filled, entryPrice: price, ...env(ctx, at) } });
  } else if (new Dec(after.tracked).gt(0)) {
    // Its position already ended (retired, roles exhausted) while the entry kept filling: the
    // new amount is left to reconciliation, which adopts it under a fresh position number.
    plan.reconcileNow = true;
    plan.journal.push({
      type: 'entry.fill-after-position',
      level: 'warning',
      message: `${orderName(after.n, after.role)} filled ${filled.minus(after.tracked).toFixed()} more after ${positionId(after.n)} ended; reconciling to adopt it`,
      payload: { position: positionId(after.n), filled: after.filled, tracked: after.tracked },
    });
  } else {
    const input = spawnInput(ctx, after.n, after.filled, price, { entryOpen: !isTerminal(after) });
    plan.spawns.push(input);
    plan.journal.push({
      type: 'position.tracked',
      level: 'info',
      message: `${positionId(after.n)} tracked: ${after.filled} at ${price}, take-profit ${input.tpPrice}`,
      payload: { position: positionId(after.n), size: after.filled, entryPrice: price, tpPrice: input.tpPrice },
    });
  }
  return { ...after, tracked: after.filled };
}

function routeForeignOrder(ctx: GridContext, order: VenueOrder, plan: RoutePlan): void {
  const key = String(order.clientIndex);
  const open = order.status === 'open' && order.type === 'limit';
  const foreign = plan.foreign ?? ctx.foreign;
  if (open && !foreign[key]) plan.foreign = { ...foreign, [key]: { side: order.side, price: order.price } };
  else if (open && foreign[key].price !== order.price) plan.foreign = { ...foreign, [key]: { side: order.side, price: order.price } };
  else if (!open && foreign[key]) {
    const { [key]: _gone, ...rest } = foreign;
    plan.foreign = rest;
  }
}

export function routeOrderUpdate(ctx: GridContext, order: VenueOrder, at: number, plan: RoutePlan = emptyPlan()): RoutePlan {
  const d = decodeClientIndex(order.clientIndex);
  if (!d || d.slot !== ctx.slot) {
    routeForeignOrder(ctx, order, plan);
    return plan;
  }
  const close = plan.riskClose ?? ctx.risk?.close;
  if (close && close.clientIndex === order.clientIndex) {
    plan.riskClose = applyOrderUpdate(close, order);
    return plan;
  }
  const entry = plan.entry !== undefined ? plan.entry : ctx.entry;
  if (d.role.kind === 'entry' && entry && entry.clientIndex === order.clientIndex) {
    const updated = applyOrderUpdate(entry, order) as EntryRecord;
    plan.entry = trackEntryFills(ctx, entry, updated, at, plan);
    return plan;
  }
  if (ctx.positions[String(d.n)] || plan.spawns.some((s) => s.n === d.n)) {
    if (d.role.kind !== 'entry') plan.toChildren.push({ n: d.n, event: { type: 'position.order-updated', order, ...env(ctx, at) } });
    return plan;
  }
  if (d.n >= ctx.nextN) {
    plan.unknown.push({ decoded: d, order });
    return plan;
  }
  if (order.status === 'open') plan.orphans.push(order.clientIndex);
  return plan;
}

export function routeFill(ctx: GridContext, fill: VenueFill, at: number, plan: RoutePlan = emptyPlan()): RoutePlan {
  const d = decodeClientIndex(fill.clientIndex);
  if (fill.time > (plan.lastFillAt ?? ctx.lastFillAt)) plan.lastFillAt = fill.time;
  if (!d || d.slot !== ctx.slot) return plan;
  const close = plan.riskClose ?? ctx.risk?.close;
  if (close && close.clientIndex === fill.clientIndex) {
    plan.riskClose = applyFill(close, fill);
    return plan;
  }
  const entry = plan.entry !== undefined ? plan.entry : ctx.entry;
  if (d.role.kind === 'entry' && entry && entry.clientIndex === fill.clientIndex) {
    const updated = applyFill(entry, fill) as EntryRecord;
    plan.entry = trackEntryFills(ctx, entry, updated, at, plan);
    return plan;
  }
  if (ctx.positions[String(d.n)] || plan.spawns.some((s) => s.n === d.n)) {
    if (d.role.kind !== 'entry') plan.toChildren.push({ n: d.n, event: { type: 'position.fill', fill, ...env(ctx, at) } });
    return plan;
  }
  if (d.n >= ctx.nextN) plan.unknown.push({ decoded: d, fill });
  return plan;
}

export function entryIsTerminal(e: EntryRecord | null): boolean {
  return e !== null && isTerminal(e);
}
