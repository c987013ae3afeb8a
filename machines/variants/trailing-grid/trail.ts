/**
 * The trailing grid's pricing, pure: where the entry rests, when it must be re-placed, the
 * entry order record of a new round trip and the position child's input.
 *
 * Invariants:
 * - A buy entry rests at bid × (1 − trail %) rounded down to the tick (a sell entry at
 *   ask × (1 + trail %) rounded up), never nearer than the touch: post-only never crosses.
 * - The entry only follows the touch AWAY from itself (a buy up, a sell down), and only once
 *   the new price is at least repeg % (and one tick) better: a touch coming toward the entry
 *   leaves it where it is, so it can fill.
 * - Exact decimals throughout (decimal.js); prices are multiples of the tick.
 */
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { role } from '../../../src/domain/client-index.ts';
import { roundToTick, takeProfitPrice } from '../../../src/domain/grid-math.ts';
import { newOrderRecord } from '../../shared/orders.ts';
import type { BookTop } from '../../shared/types.ts';
import type { PositionInput } from '../../position/types.ts';
import type { TrailEntry, TrailingGridContext } from './types.ts';

type Ctx = Pick<TrailingGridContext, 'params' | 'market'>;

/** Where the entry should rest for this book. */
export function trailPrice(ctx: Ctx, book: BookTop): string {
  const off = new Dec(ctx.params.trailPct).div(100);
  if (ctx.params.direction === 'buy') {
    const p = roundToTick(fmt(new Dec(book.bid).times(new Dec(1).minus(off))), ctx.market.tick, 'down');
    return new Dec(p).gt(0) ? p : ctx.market.tick;
  }
  return roundToTick(fmt(new Dec(book.ask).times(new Dec(1).plus(off))), ctx.market.tick, 'up');
}

/** True when the touch has moved away far enough that the resting entry must follow it. */
export function repegNeeded(ctx: Ctx, entryPrice: string, book: BookTop): boolean {
  const target = new Dec(trailPrice(ctx, book));
  const away = ctx.params.direction === 'buy' ? target.minus(entryPrice) : new Dec(entryPrice).minus(target);
  const threshold = Dec.max(new Dec(entryPrice).times(ctx.params.repegPct).div(100), ctx.market.tick);
  return away.gte(threshold);
}

/** The post-only entry of round trip `n` at the current trail price (status `sending`). */
export function newEntry(ctx: Pick<TrailingGridContext, 'params' | 'market' | 'slot' | 'now'>, n: number, book: BookTop): TrailEntry {
  const order = newOrderRecord({
    slot: ctx.slot,
    n,
    role: role.entry(),
    side: ctx.params.direction,
    type: 'limit',
    price: trailPrice(ctx, book),
    size: ctx.params.orderSize,
    reduceOnly: false,
    postOnly: true,
    sentAt: ctx.now,
  });
  return { ...order, n, tracked: '0' };
}

/** |venue position| in the strategy's direction; 0 when flat or on the other side. */
export function venueSizeInDirection(ctx: Pick<TrailingGridContext, 'venue' | 'params'>): string {
  const s = new Dec(ctx.venue.size);
  const d = ctx.params.direction === 'buy' ? s : s.neg();
  return fmt(d.gt(0) ? d : new Dec(0));
}

/** Input of the shared position child that exits `size` bought (sold) at `entryPrice`. */
export function positionInput(ctx: TrailingGridContext, n: number, size: string, entryPrice: string, entryOpen: boolean): PositionInput {
  const p = ctx.params;
  return {
    n,
    params: {
      market: ctx.market.symbol,
      slot: ctx.slot,
      direction: p.direction,
      tick: ctx.market.tick,
      step: ctx.market.step,
      multiplier: p.multiplier,
      slippagePct: p.slippagePct,
      boost: false,
      exitLifetimeMs: p.exitLifetimeMs,
      exitRefreshLeadMs: p.exitRefreshLeadMs,
      retrySpacingMs: p.retrySpacingMs,
      timeoutMs: p.timeoutMs,
      recoveryMode: 'aggressive',
    },
    size,
    entryPrice,
    tpPrice: takeProfitPrice({ direction: p.direction, fillPrice: entryPrice, f: fmt(new Dec(p.takeProfitPct).div(100)), tick: ctx.market.tick }),
    now: ctx.now,
    book: ctx.book,
    venueSize: venueSizeInDirection(ctx),
    entryOpen,
  };
}
