/**
 * Pure risk checks of the range grid: which trigger a book / venue position implies (stop
 * price, stop-loss, leaving the range with on_exit_range halt | close) and why a resume is
 * refused. Exact decimals; no clock, no I/O.
 */
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import type { BookTop } from '../../shared/types.ts';
import { outsideRange, stopPriceHit } from './levels.ts';
import type { RangeGridContext, RiskTrigger } from './types.ts';

/** The trigger a book / position implies, or null. */
export function riskTrigger(ctx: RangeGridContext, book: BookTop): { trigger: RiskTrigger; mode: 'halt' | 'close' } | null {
  if (stopPriceHit(ctx.params, book)) return { trigger: 'stop-price', mode: 'close' };
  const size = new Dec(ctx.venue.size);
  if (ctx.params.stopLossEnabled && !size.isZero() && new Dec(ctx.venue.avgEntry).gt(0)) {
    const mid = new Dec(book.bid).plus(book.ask).div(2);
    const f = new Dec(ctx.params.stopLossPct).div(100);
    const avg = new Dec(ctx.venue.avgEntry);
    if (size.gt(0) ? mid.lte(avg.times(new Dec(1).minus(f))) : mid.gte(avg.times(f.plus(1)))) return { trigger: 'stop-loss', mode: 'close' };
  }
  if (ctx.params.onExitRange !== 'hold' && outsideRange(ctx.params, book)) return { trigger: 'exit-range', mode: ctx.params.onExitRange };
  return null;
}

/** Why a resume is refused now, or null. */
export function resumeRefusal(ctx: RangeGridContext): string | null {
  if (!ctx.book) return null;
  const mid = fmt(new Dec(ctx.book.bid).plus(ctx.book.ask).div(2));
  if (ctx.risk.trigger === 'exit-range' && outsideRange(ctx.params, ctx.book)) return `resume refused: mid ${mid} is outside the range ${ctx.params.lowerPrice}..${ctx.params.upperPrice}`;
  if (stopPriceHit(ctx.params, ctx.book)) return `resume refused: mid ${mid} is beyond the stop price ${ctx.params.stopPrice}`;
  return null;
}

