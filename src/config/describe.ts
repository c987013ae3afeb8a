/**
 * Start-up explanation of a dynamic-grid strategy: the effective price distances of its
 * take-profit and stop-loss (CFG-02), e.g.
 *   "TP 0.15 % of margin at 20x = 0.0075 % price move".
 *
 * With basis `margin` the price move is percent × r where r = 1 / leverage (what the
 * strategy uses before the venue reports a margin ratio; grid-strategy.md §4). Exact
 * decimals (decimal.js); a non-terminating quotient is shown rounded and marked "≈".
 */
import { Decimal } from 'decimal.js';
import type { DynamicGridConfig } from './schema.ts';

export type DistanceInputs = Pick<
  DynamicGridConfig,
  'take_profit' | 'take_profit_basis' | 'target_leverage' | 'stop_loss_enabled' | 'stop_loss_percentage'
>;

/** A percentage as written for people: integers keep one decimal ("1.0"), others as exact. */
function pct(d: Decimal): string {
  return d.isInteger() ? d.toFixed(1) : d.toFixed();
}

function priceMove(percent: string, leverage: number): string {
  const p = new Decimal(percent);
  const move = p.div(leverage);
  if (move.times(leverage).eq(p)) return `${move.toFixed()} %`;
  return `≈ ${move.toSignificantDigits(6).toFixed()} %`;
}

function distance(label: string, percent: string, basis: 'margin' | 'price', leverage: number): string {
  const shown = pct(new Decimal(percent));
  if (basis === 'price') return `${label} ${shown} % of price = ${new Decimal(percent).toFixed()} % price move`;
  return `${label} ${shown} % of margin at ${leverage}x = ${priceMove(percent, leverage)} price move`;
}

/**
 * Lines describing the TP and stop-loss distances. `leverage` overrides the configured
 * target (pass the venue-clamped leverage once it is known).
 */
export function describeDistances(strategy: DistanceInputs, opts: { leverage?: number } = {}): string[] {
  const leverage = opts.leverage ?? strategy.target_leverage;
  const lines = [distance('TP', strategy.take_profit, strategy.take_profit_basis, leverage)];
  if (strategy.stop_loss_enabled) {
    lines.push(distance('stop-loss', strategy.stop_loss_percentage, strategy.take_profit_basis, leverage));
  } else {
    lines.push('stop-loss disabled (stop_loss_enabled: false)');
  }
  return lines;
}
