/**
 * Stop price and aggregate stop-loss as pure checks of the root's context and a book.
 *
 * - Stop price: a long grid stops when mid < stop_price, a short grid when mid > stop_price.
 * - Stop-loss (when enabled and the venue holds a position in the grid's direction):
 *   level = avg entry × (1 ∓ f), f = stop_loss_percentage / 100 × r (basis margin) or / 100
 *   (basis price); long triggers at mid ≤ level, short at mid ≥ level.
 * Both are memoized per (venue view, params, leverage) identity and book, like the gate.
 */
import { Dec } from '../../src/domain/decimal.ts';
import { stopLossFraction, stopLossLevel, stopLossTriggered } from '../../src/domain/grid-math.ts';
import { BookMap } from './book-map.ts';
import { currentRatio } from './gate.ts';
import type { BookTop } from '../shared/types.ts';
import type { GridContext } from './types.ts';

export type RiskTrigger = null | 'stop-price' | 'stop-loss';

export function stopPriceBreached(ctx: Pick<GridContext, 'params'>, book: BookTop): boolean {
  const stop = ctx.params.stopPrice;
  if (!stop) return false;
  const m = new Dec(book.bid).plus(book.ask).div(2);
  return ctx.params.direction === 'buy' ? m.lt(stop) : m.gt(stop);
}

/** The stop-loss level for the venue position, or null when there is nothing to protect. */
export function stopLossLevelOf(ctx: Pick<GridContext, 'params' | 'venue' | 'leverage'>): string | null {
  if (!ctx.params.stopLossEnabled) return null;
  const size = new Dec(ctx.venue.size);
  const inDirection = ctx.params.direction === 'buy' ? size.gt(0) : size.lt(0);
  if (!inDirection || new Dec(ctx.venue.avgEntry).lte(0)) return null;
  const f = stopLossFraction({ takeProfitPct: ctx.params.stopLossPct, basis: ctx.params.basis, r: currentRatio(ctx) });
  return stopLossLevel({ direction: ctx.params.direction, avgEntry: ctx.venue.avgEntry, f });
}

function compute(ctx: GridContext, book: BookTop): RiskTrigger {
  if (stopPriceBreached(ctx, book)) return 'stop-price';
  const level = stopLossLevelOf(ctx);
  if (level !== null) {
    const m = new Dec(book.bid).plus(book.ask).div(2).toFixed();
    if (stopLossTriggered({ direction: ctx.params.direction, mid: m, level })) return 'stop-loss';
  }
  return null;
}

interface Memo {
  params: unknown;
  leverage: number;
  byBook: BookMap<RiskTrigger>;
}
const memo = new WeakMap<object, Memo>();

export function riskTrigger(ctx: GridContext, book: BookTop): RiskTrigger {
  if (!ctx.params.stopPrice && !ctx.params.stopLossEnabled) return null;
  let m = memo.get(ctx.venue);
  if (!m || m.params !== ctx.params || m.leverage !== ctx.leverage) {
    m = { params: ctx.params, leverage: ctx.leverage, byBook: new BookMap() };
    memo.set(ctx.venue, m);
  }
  let r = m.byBook.get(book);
  if (r === undefined) {
    r = compute(ctx, book);
    m.byBook.set(book, r);
  }
  return r;
}

/** Why an operator resume is refused (the stop condition still holds), or null. */
export function resumeRefusal(ctx: GridContext): string | null {
  if (ctx.risk.phase !== 'halted' || ctx.risk.trigger !== 'stop-price') return null;
  if (!ctx.book) return 'no market data yet: cannot check the stop price';
  if (stopPriceBreached(ctx, ctx.book)) {
    const m = new Dec(ctx.book.bid).plus(ctx.book.ask).div(2).toFixed();
    const side = ctx.params.direction === 'buy' ? 'below' : 'above';
    return `resume refused: mid ${m} is still ${side} stop_price ${ctx.params.stopPrice}`;
  }
  return null;
}
