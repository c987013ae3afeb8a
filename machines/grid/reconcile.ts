/**
 * Reconciliation planning (pure): applies a venue report (orders, fills, signed position) the
 * same way live events are applied, adopts what the snapshot does not know, and compares the
 * tracked total with the venue position.
 *
 * Rules (docs/architecture.md, "Reconcile"):
 * - Orders and fills of our slot are routed by client index exactly like live events.
 * - A position number the snapshot never used (n ≥ nextN) is adopted: its entry fills become a
 *   tracked position that owns its open exit (no second exit is sent); its open entry order is
 *   cancelled (the filled part stays tracked); the counter moves above it.
 * - Open orders of our slot that decode to a finished position are cancelled (orphans).
 * - Tracked total < venue position (grid direction): the difference is adopted as a new
 *   position `grid-{nextN}` at the venue's average entry, with a take-profit (WARNING).
 * - Tracked total > venue position: newest positions are retired first (their exits
 *   cancelled, nothing re-posted) until the total no longer exceeds the venue (WARNING).
 */
import type { ReconcileReport, VenueFill, VenueOrder } from '../../adapters/types.ts';
import { decodeClientIndex, orderName, positionId, type Role } from '../../src/domain/client-index.ts';
import { Dec } from '../../src/domain/decimal.ts';
import { orderRecordFromVenue } from '../shared/orders.ts';
import type { OrderRecord } from '../shared/types.ts';
import { emptyPlan, routeFill, routeOrderUpdate, spawnInput, venueSizeInDirection, type RoutePlan } from './routing.ts';
import type { GridContext } from './types.ts';

export interface ReportPlan extends RoutePlan {
  nextN?: number;
  adopted: string[];
}

export function planReport(ctx: GridContext, report: ReconcileReport, at: number): ReportPlan {
  const plan: ReportPlan = { ...emptyPlan(), adopted: [], foreign: {} };
  const fills = [...report.fills].sort((a, b) => a.time - b.time);
  for (const f of fills) routeFill(ctx, f, at, plan);
  // Latest view of each order (a report may carry an order as open and as ended).
  const latest = new Map<number, VenueOrder>();
  for (const o of report.orders) {
    const prev = latest.get(o.clientIndex);
    if (!prev || o.updatedAt >= prev.updatedAt || o.status !== 'open') latest.set(o.clientIndex, o);
  }
  for (const o of latest.values()) {
    routeOrderUpdate(ctx, o, at, plan);
    // Two live exits for one tracked position (a replacement whose cancel never landed): the
    // one that is not the position's current exit is cancelled. When the current exit is not
    // live (a stale snapshot), the other is left alone: the position re-derives the same
    // index, finds it live ("duplicate") and adopts it.
    const d = o.status === 'open' ? decodeClientIndex(o.clientIndex) : null;
    const p = d && d.slot === ctx.slot && d.role.kind !== 'entry' ? ctx.positions[String(d.n)] : undefined;
    if (p && p.exit && p.exit.clientIndex !== o.clientIndex && latest.get(p.exit.clientIndex)?.status === 'open') {
      plan.orphans.push(o.clientIndex);
    }
  }
  adoptUnknown(ctx, plan);
  return plan;
}

function adoptUnknown(ctx: GridContext, plan: ReportPlan): void {
  const byN = new Map<number, { orders: Map<number, VenueOrder>; fills: Map<string, VenueFill> }>();
  for (const u of plan.unknown) {
    const g = byN.get(u.decoded.n) ?? { orders: new Map(), fills: new Map() };
    if (u.order) g.orders.set(u.order.clientIndex, u.order);
    if (u.fill) g.fills.set(u.fill.tradeId, u.fill);
    byN.set(u.decoded.n, g);
  }
  let nextN = ctx.nextN;
  for (const [n, g] of [...byN.entries()].sort((a, b) => a[0] - b[0])) {
    nextN = Math.max(nextN, n + 1);
    const entryIdx = [...g.orders.values()].find((o) => isRole(o.clientIndex, ctx, n, 1));
    const entryFills = [...g.fills.values()].filter((f) => isRole(f.clientIndex, ctx, n, 1));
    const fillSum = entryFills.reduce((s, f) => s.plus(f.size), new Dec(0));
    const fillNotional = entryFills.reduce((s, f) => s.plus(new Dec(f.price).times(f.size)), new Dec(0));
    const orderFilled = entryIdx ? new Dec(entryIdx.filledSize) : new Dec(0);
    const size = Dec.max(fillSum, orderFilled);
    let entryPrice = entryIdx ? entryIdx.price : '0';
    if (fillSum.gt(0) && fillSum.gte(orderFilled)) entryPrice = fillNotional.div(fillSum).toFixed();
    if (entryIdx && entryIdx.status === 'open') plan.orphans.push(entryIdx.clientIndex);
    const exits = [...g.orders.values()].filter((o) => !isRole(o.clientIndex, ctx, n, 1));
    let exitFilledPrior = new Dec(0);
    let exitNotionalPrior = new Dec(0);
    let live: OrderRecord | undefined;
    const ended: number[] = [];
    for (const o of exits) {
      if (o.status === 'open' && !live) {
        const d = decodeRole(o.clientIndex, ctx);
        live = orderRecordFromVenue(o, d);
      } else {
        exitFilledPrior = exitFilledPrior.plus(o.filledSize);
        ended.push(o.clientIndex);
        exitNotionalPrior = exitNotionalPrior.plus(new Dec(o.filledSize).times(o.price));
        if (o.status === 'open') plan.orphans.push(o.clientIndex);
      }
    }
    if (size.lte(0)) {
      if (live) plan.orphans.push(live.clientIndex);
      continue;
    }
    const remaining = size.minus(exitFilledPrior).minus(live ? live.filled : '0');
    if (remaining.lte(0)) {
      if (live) plan.orphans.push(live.clientIndex);
      continue;
    }
    if (live) plan.adopted.push(orderName(n, live.role));
    plan.spawns.push(
      spawnInput(ctx, n, size.toFixed(), entryPrice, {
        ...(live ? { exit: live } : {}),
        exitFilledPrior: exitFilledPrior.toFixed(),
        exitNotionalPrior: exitNotionalPrior.toFixed(),
        ended,
      }),
    );
    plan.journal.push({
      type: 'position.tracked',
      level: 'warning',
      message: `${positionId(n)} adopted from the venue: ${size.toFixed()} at ${entryPrice}${live ? `, owning ${orderName(n, live.role)}` : ''}`,
      payload: { position: positionId(n), size: size.toFixed(), entryPrice, adopted: true },
    });
  }
  if (plan.adopted.length > 0) {
    plan.journal.push({
      type: 'restart.adopted-orders',
      level: 'warning',
      message: `adopted ${plan.adopted.length} live order(s) the snapshot did not know: ${plan.adopted.join(', ')}`,
      payload: { count: plan.adopted.length, orders: plan.adopted },
    });
  }
  if (nextN !== ctx.nextN) plan.nextN = nextN;
}

function isRole(index: number, ctx: GridContext, n: number, code: number): boolean {
  const d = decodeClientIndex(index);
  return d !== null && d.slot === ctx.slot && d.n === n && d.code === code;
}

function decodeRole(index: number, _ctx: GridContext): Role {
  const d = decodeClientIndex(index);
  if (!d) throw new Error(`index ${index} is outside the client-index scheme`);
  return d.role;
}

export interface TotalsPlan {
  adoptSize?: string;
  retire: number[];
  journal: RoutePlan['journal'];
}

/** Wait before the report that confirms (or clears) a disagreement of totals. */
export const TOTALS_CONFIRM_MS = 1_000;

/** Whether a totals plan would retire or adopt anything. */
export function totalsDisagree(plan: TotalsPlan): boolean {
  return plan.retire.length > 0 || plan.adoptSize !== undefined;
}

/**
 * Tracked total vs the venue position, in the grid's direction. With `adopt: false` (the risk
 * region is flattening: its close takes whatever the venue holds) nothing is adopted; a
 * tracked total above the venue's still retires positions, newest first.
 */
export function planTotals(ctx: GridContext, { adopt = true }: { adopt?: boolean } = {}): TotalsPlan {
  const out: TotalsPlan = { retire: [], journal: [] };
  const venue = new Dec(venueSizeInDirection(ctx));
  const signed = new Dec(ctx.venue.size);
  const opposite = ctx.params.direction === 'buy' ? signed.lt(0) : signed.gt(0);
  const live = Object.values(ctx.positions).filter((p) => p.state !== 'closed' && p.state !== 'retired' && !p.state.startsWith('retiring'));
  let tracked = live.reduce((s, p) => s.plus(p.remaining), new Dec(0));
  if (opposite) {
    out.journal.push({
      type: 'position.mismatch',
      level: 'error',
      message: `venue position ${ctx.venue.size} is against the grid direction (${ctx.params.direction}); no position adopted`,
      payload: { venue: ctx.venue.size },
    });
  }
  if (venue.gt(tracked)) {
    if (!adopt) return out;
    const diff = venue.minus(tracked);
    out.adoptSize = diff.toFixed();
    out.journal.push({
      type: 'position.untracked',
      level: 'warning',
      message: `venue holds ${venue.toFixed()} but ${tracked.toFixed()} is tracked: adopting ${diff.toFixed()} as ${positionId(ctx.nextN)}`,
      payload: { venue: venue.toFixed(), tracked: tracked.toFixed(), adopted: diff.toFixed(), position: positionId(ctx.nextN) },
    });
  } else if (venue.lt(tracked)) {
    const before = tracked;
    for (const p of [...live].sort((a, b) => b.n - a.n)) {
      if (!tracked.gt(venue)) break;
      out.retire.push(p.n);
      tracked = tracked.minus(p.remaining);
    }
    out.journal.push({
      type: 'position.mismatch',
      level: 'warning',
      message: `tracked ${before.toFixed()} but the venue holds ${venue.toFixed()}: retiring ${out.retire.map(positionId).join(', ')} (newest first)`,
      payload: { tracked: before.toFixed(), venue: venue.toFixed(), retired: out.retire.map(positionId) },
    });
    if (adopt && venue.gt(tracked)) out.adoptSize = venue.minus(tracked).toFixed();
  }
  return out;
}
