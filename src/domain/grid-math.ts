/**
 * The pure formulas of the grid strategy (grid-strategy.md §4): prices, sizes, fractions,
 * admission checks (grid step, cooldown, margin cap), stop-loss, close retries, market
 * limit prices, ladder legs.
 *
 * Invariants:
 * - Exact decimal arithmetic only (`Dec`, 40 significant digits); prices, sizes and money
 *   enter and leave as plain decimal strings (`fmt`: no exponent, trailing zeros trimmed,
 *   e.g. 100.00 → '100'). Never a float for a price or size.
 * - Every order price is a multiple of the tick and rounded to the passive side / away from
 *   the touch or the fill (buy down, sell up), and is at least one tick.
 * - Ratio comparisons are exact: by cross-multiplying, never by comparing rounded quotients.
 * - No clock, no I/O: time comes in as arguments (milliseconds).
 */
import {
  Dec,
  type DecValue,
  decFromInt,
  decMax,
  decMin,
  fmt,
  parseDec,
  parseNonNegative,
  parsePositive,
  roundToMultiple,
} from './decimal.ts';

/** Grid direction: `buy` is a long grid (entries buy, exits sell), `sell` a short grid. */
export type Direction = 'buy' | 'sell';
export type Basis = 'margin' | 'price';

function checkDirection(direction: Direction): void {
  if (direction !== 'buy' && direction !== 'sell') {
    throw new RangeError(`direction must be 'buy' or 'sell', got ${JSON.stringify(direction)}`);
  }
}

/** mid = (bid + ask) / 2. */
export function mid(bid: string, ask: string): string {
  return fmt(parsePositive(bid, 'bid').add(parsePositive(ask, 'ask')).div(2));
}

/** Rounds a price to a multiple of `tick`: 'down' (floor) or 'up' (ceiling). */
export function roundToTick(price: string, tick: string, mode: 'down' | 'up'): string {
  return fmt(roundToMultiple(parseDec(price, 'price'), parsePositive(tick, 'tick'), mode));
}

/** Rounds a size down to a multiple of `step`. */
export function roundSizeDown(size: string, step: string): string {
  return fmt(roundToMultiple(parseNonNegative(size, 'size'), parsePositive(step, 'step'), 'down'));
}

/** A buy price: floor to tick, at least one tick. */
function buyPrice(price: DecValue, tick: DecValue): DecValue {
  return decMax(roundToMultiple(price, tick, 'down'), tick);
}

/** A sell price: ceiling to tick, at least one tick. */
function sellPrice(price: DecValue, tick: DecValue): DecValue {
  return decMax(roundToMultiple(price, tick, 'up'), tick);
}

/**
 * Post-only entry price. offset = tick × multiplier. Long (buy): ask − offset rounded down,
 * at least one tick. Short (sell): bid + offset rounded up.
 */
export function entryPrice(p: { direction: Direction; bid: string; ask: string; tick: string; multiplier: number }): string {
  checkDirection(p.direction);
  const tick = parsePositive(p.tick, 'tick');
  const offset = tick.mul(decFromInt(p.multiplier, 'post_only_tick_multiplier', 1));
  if (p.direction === 'buy') return fmt(buyPrice(parsePositive(p.ask, 'ask').sub(offset), tick));
  return fmt(sellPrice(parsePositive(p.bid, 'bid').add(offset), tick));
}

/**
 * Entry size. The notional wins over the quantity: notional / mid, else quantity; rounded
 * DOWN to the size step; then raised to the smallest step multiple meeting both venue
 * minimums (size ≥ minBaseSize and size × mid ≥ minQuoteNotional).
 * `requested` is the unrounded size asked for (notional / mid to 40 digits, or the quantity);
 * `raised` is true only when a minimum raised the size (rounding down alone is not a raise).
 */
export function entrySize(p: {
  notionalUsd?: string;
  quantity?: string;
  mid: string;
  sizeStep: string;
  minBaseSize: string;
  minQuoteNotional: string;
}): { size: string; raised: boolean; requested: string } {
  const midD = parsePositive(p.mid, 'mid');
  const step = parsePositive(p.sizeStep, 'sizeStep');
  const minBase = parseNonNegative(p.minBaseSize, 'minBaseSize');
  const minQuote = parseNonNegative(p.minQuoteNotional, 'minQuoteNotional');
  let requested: DecValue;
  if (p.notionalUsd !== undefined) requested = parsePositive(p.notionalUsd, 'order_notional_usd').div(midD);
  else if (p.quantity !== undefined) requested = parsePositive(p.quantity, 'quantity');
  else throw new RangeError('entry size needs order_notional_usd or quantity; neither is set');

  const rounded = roundToMultiple(requested, step, 'down');
  // Smallest step multiple meeting the base minimum.
  const baseMin = roundToMultiple(minBase, step, 'up');
  // Smallest step multiple k × step with k × step × mid ≥ minQuote (checked exactly).
  let k = roundToMultiple(minQuote.div(step.mul(midD)), new Dec(1), 'up');
  while (k.gt(0) && k.sub(1).mul(step).mul(midD).gte(minQuote)) k = k.sub(1);
  while (k.mul(step).mul(midD).lt(minQuote)) k = k.add(1);
  const quoteMin = k.mul(step);
  const minimum = decMax(decMax(baseMin, quoteMin), step);
  const size = decMax(rounded, minimum);
  return { size: fmt(size), raised: size.gt(rounded), requested: fmt(requested) };
}

/**
 * Margin ratio r: reserved margin / exposure when both are present and non-zero (absolute
 * values), else 1 / leverage, else 1.
 */
export function marginRatio(p: { reservedMargin?: string; exposure?: string; leverage?: number }): string {
  if (p.reservedMargin !== undefined && p.exposure !== undefined) {
    const reserved = parseDec(p.reservedMargin, 'reservedMargin').abs();
    const exposure = parseDec(p.exposure, 'exposure').abs();
    if (!reserved.isZero() && !exposure.isZero()) return fmt(reserved.div(exposure));
  }
  if (p.leverage !== undefined && p.leverage !== 0) {
    if (!Number.isFinite(p.leverage) || p.leverage < 1) {
      throw new RangeError(`leverage must be ≥ 1, got ${p.leverage}`);
    }
    return fmt(new Dec(1).div(new Dec(p.leverage)));
  }
  return '1';
}

/**
 * Price fraction f of a take-profit (or stop-loss) percentage: basis `margin`:
 * pct / 100 × r; basis `price`: pct / 100.
 */
export function takeProfitFraction(p: { takeProfitPct: string; basis: Basis; r: string }): string {
  const pct = parsePositive(p.takeProfitPct, 'percentage').div(100);
  if (p.basis === 'price') return fmt(pct);
  if (p.basis === 'margin') return fmt(pct.mul(parsePositive(p.r, 'r')));
  throw new RangeError(`basis must be 'margin' or 'price', got ${JSON.stringify(p.basis)}`);
}

/** Stop-loss fraction: same rule as the take-profit (`takeProfitPct` carries the SL %). */
export const stopLossFraction = takeProfitFraction;

/**
 * Take-profit price. Long (exit sells): fill × (1 + f) rounded up, at least fill + one tick.
 * Short (exit buys): fill × (1 − f) rounded down, at most fill − one tick, at least one tick.
 */
export function takeProfitPrice(p: { direction: Direction; fillPrice: string; f: string; tick: string }): string {
  checkDirection(p.direction);
  const fill = parsePositive(p.fillPrice, 'fillPrice');
  const f = parseNonNegative(p.f, 'f');
  const tick = parsePositive(p.tick, 'tick');
  if (p.direction === 'buy') {
    const raw = roundToMultiple(fill.mul(f.add(1)), tick, 'up');
    return fmt(decMax(raw, roundToMultiple(fill.add(tick), tick, 'up')));
  }
  const raw = roundToMultiple(fill.mul(new Dec(1).sub(f)), tick, 'down');
  return fmt(decMax(decMin(raw, roundToMultiple(fill.sub(tick), tick, 'down')), tick));
}

interface GridStepInput {
  direction: Direction;
  restingExitPrices: string[];
  bid: string;
  ask: string;
  f: string;
  gridStepPct: string;
}

/** next (nearest resting exit) and candidate (the next TP at the touch); null with no exits. */
function gridStepTerms(p: Omit<GridStepInput, 'gridStepPct'>): { num: DecValue; den: DecValue } | null {
  checkDirection(p.direction);
  if (p.restingExitPrices.length === 0) return null;
  const exits = p.restingExitPrices.map((x, i) => parsePositive(x, `restingExitPrices[${i}]`));
  const f = parseNonNegative(p.f, 'f');
  if (p.direction === 'buy') {
    const next = exits.reduce(decMin);
    const candidate = parsePositive(p.ask, 'ask').mul(f.add(1));
    return { num: next, den: candidate };
  }
  const next = exits.reduce(decMax);
  const candidate = parsePositive(p.bid, 'bid').mul(new Dec(1).sub(f));
  return { num: candidate, den: next };
}

/**
 * Grid-step condition. No resting exits → allowed. Long: next = lowest exit, candidate =
 * ask × (1 + f), allowed iff next / candidate > 1 + g/100. Short: next = highest exit,
 * candidate = bid × (1 − f), allowed iff candidate / next > 1 + g/100. Compared exactly by
 * cross-multiplying.
 */
export function gridStepAllows(p: GridStepInput): boolean {
  const g = parsePositive(p.gridStepPct, 'grid_step');
  const terms = gridStepTerms(p);
  if (!terms) return true;
  return terms.num.gt(terms.den.mul(g.div(100).add(1)));
}

/**
 * The grid-step ratio (long next / candidate, short candidate / next) for messages; null
 * with no resting exits. Full precision, or `decimals` places (half-even, zeros kept).
 */
export function gridStepRatio(p: Omit<GridStepInput, 'gridStepPct'> & { decimals?: number }): string | null {
  const terms = gridStepTerms(p);
  if (!terms) return null;
  const ratio = terms.num.div(terms.den);
  return p.decimals === undefined ? fmt(ratio) : ratio.toFixed(p.decimals);
}

/**
 * Density-scaled cooldown in whole milliseconds (rounded up), or null (wait) when
 * restingCount ≥ maxOrders. Density n / max compared by cross-multiplying:
 * 3n ≥ 2max → 2 × wait; 3n ≥ max → wait; 6n ≥ max → wait / 2; else wait / 4.
 */
export function cooldownMs(p: { restingCount: number; maxOrders: number; waitTimeSec: string }): number | null {
  const n = decFromInt(p.restingCount, 'restingCount', 0);
  const max = decFromInt(p.maxOrders, 'max_orders', 1);
  const wait = parsePositive(p.waitTimeSec, 'wait_time');
  if (n.gte(max)) return null;
  let factor: DecValue;
  if (n.mul(3).gte(max.mul(2))) factor = new Dec(2);
  else if (n.mul(3).gte(max)) factor = new Dec(1);
  else if (n.mul(6).gte(max)) factor = new Dec('0.5');
  else factor = new Dec('0.25');
  return roundToMultiple(wait.mul(factor).mul(1000), new Dec(1), 'up').toNumber();
}

/**
 * Cooldown gate. A drop in the resting count since the last look (and below max) admits at
 * once; at or above max never; else admitted iff now − lastCycleAt > cooldown (strictly).
 */
export function cooldownAllows(p: {
  restingCount: number;
  previousRestingCount: number | null;
  maxOrders: number;
  waitTimeSec: string;
  lastCycleAt: number;
  now: number;
}): boolean {
  if (p.previousRestingCount !== null && p.restingCount < p.previousRestingCount && p.restingCount < p.maxOrders) {
    return true;
  }
  const cooldown = cooldownMs(p);
  if (cooldown === null) return false;
  return p.now - p.lastCycleAt > cooldown;
}

/** Margin the next entry needs: size × mid × r. */
export function requiredMargin(p: { size: string; mid: string; r: string }): string {
  return fmt(parseNonNegative(p.size, 'size').mul(parsePositive(p.mid, 'mid')).mul(parsePositive(p.r, 'r')));
}

/**
 * Margin in use: the venue's reserved margin when present and > 0, else |position| × mid × r
 * (a reported 0 for an open position, e.g. cross margin, is not taken as 0).
 */
export function usedMargin(p: { positionSize: string; mid: string; r: string; reservedMargin?: string }): string {
  if (p.reservedMargin !== undefined) {
    const reserved = parseDec(p.reservedMargin, 'reservedMargin');
    if (reserved.gt(0)) return fmt(reserved);
  }
  const size = parseDec(p.positionSize, 'positionSize').abs();
  return fmt(size.mul(parsePositive(p.mid, 'mid')).mul(parsePositive(p.r, 'r')));
}

/** Margin cap: allowed iff used + pending + required ≤ max_margin_usd. */
export function marginCapAllows(p: { used: string; pending: string; required: string; maxMarginUsd: string }): boolean {
  const total = parseNonNegative(p.used, 'used')
    .add(parseNonNegative(p.pending, 'pending'))
    .add(parseNonNegative(p.required, 'required'));
  return total.lte(parsePositive(p.maxMarginUsd, 'max_margin_usd'));
}

/** Aggregate stop-loss level (exact, not rounded): long avg × (1 − f), short avg × (1 + f). */
export function stopLossLevel(p: { direction: Direction; avgEntry: string; f: string }): string {
  checkDirection(p.direction);
  const avg = parsePositive(p.avgEntry, 'avgEntry');
  const f = parseNonNegative(p.f, 'f');
  return fmt(p.direction === 'buy' ? avg.mul(new Dec(1).sub(f)) : avg.mul(f.add(1)));
}

/** Stop-loss trigger: long mid ≤ level; short mid ≥ level. */
export function stopLossTriggered(p: { direction: Direction; mid: string; level: string }): boolean {
  checkDirection(p.direction);
  const m = parsePositive(p.mid, 'mid');
  const level = parseDec(p.level, 'level');
  return p.direction === 'buy' ? m.lte(level) : m.gte(level);
}

/**
 * Close retry k price. offset = tick × multiplier × k. Long grid (exit sells):
 * max(tp, bid + offset). Short grid (exit buys): min(tp, ask − offset), at least one tick.
 * Rounded to the tick away from the touch.
 */
export function closeRetryPrice(p: {
  direction: Direction;
  tpPrice: string;
  bid: string;
  ask: string;
  tick: string;
  multiplier: number;
  k: number;
}): string {
  checkDirection(p.direction);
  const tick = parsePositive(p.tick, 'tick');
  const tp = parsePositive(p.tpPrice, 'tpPrice');
  const offset = tick.mul(decFromInt(p.multiplier, 'post_only_tick_multiplier', 1)).mul(decFromInt(p.k, 'k', 1));
  if (p.direction === 'buy') {
    return fmt(sellPrice(decMax(tp, parsePositive(p.bid, 'bid').add(offset)), tick));
  }
  return fmt(buyPrice(decMin(tp, parsePositive(p.ask, 'ask').sub(offset)), tick));
}

/**
 * Worst acceptable price of a market order: buy ask × (1 + s/100) rounded up; sell
 * bid × (1 − s/100) rounded down, at least one tick.
 */
export function marketWorstPrice(p: { side: 'buy' | 'sell'; bid: string; ask: string; slippagePct: string; tick: string }): string {
  const tick = parsePositive(p.tick, 'tick');
  const s = parseNonNegative(p.slippagePct, 'market_slippage_percent').div(100);
  if (p.side === 'buy') return fmt(sellPrice(parsePositive(p.ask, 'ask').mul(s.add(1)), tick));
  if (p.side === 'sell') return fmt(buyPrice(parsePositive(p.bid, 'bid').mul(new Dec(1).sub(s)), tick));
  throw new RangeError(`side must be 'buy' or 'sell', got ${JSON.stringify(p.side)}`);
}

const LADDER_STEPS = ['0.015', '0.03', '0.045'];

/**
 * Ladder recovery leg prices (legs 1..3), on the profitable side of the exit. Long grid
 * (exits sell): mid × 1.015, 1.03, 1.045 rounded up. Short grid (exits buy): mid × 0.985,
 * 0.97, 0.955 rounded down, at least one tick.
 */
export function ladderPrices(p: { direction: Direction; mid: string; tick: string }): string[] {
  checkDirection(p.direction);
  const m = parsePositive(p.mid, 'mid');
  const tick = parsePositive(p.tick, 'tick');
  return LADDER_STEPS.map((s) =>
    p.direction === 'buy' ? fmt(sellPrice(m.mul(new Dec(s).add(1)), tick)) : fmt(buyPrice(m.mul(new Dec(1).sub(s)), tick)),
  );
}

/**
 * Splits `size` (a multiple of `step`) into `parts` step multiples summing exactly to it.
 * Each part gets floor(units / parts) steps; the remainder goes to the LAST part
 * (1.000 / 3 → 0.333, 0.333, 0.334, as REC-03 lists them). A part is '0' only when size is
 * smaller than parts × step (e.g. 0.002 / 3 → 0, 0, 0.002): callers skip zero-size legs.
 */
export function splitSize(size: string, parts: number, step: string): string[] {
  const total = parseNonNegative(size, 'size');
  const stepD = parsePositive(step, 'step');
  const count = decFromInt(parts, 'parts', 1);
  const units = total.div(stepD);
  if (!units.isInteger()) throw new RangeError(`size ${size} is not a multiple of the size step ${step}`);
  const each = units.divToInt(count);
  const rest = units.sub(each.mul(count));
  const out: string[] = [];
  for (let i = 0; i < parts; i++) {
    const u = i === parts - 1 ? each.add(rest) : each;
    out.push(fmt(u.mul(stepD)));
  }
  return out;
}

/**
 * Price-move percent of a TP or SL percentage: margin basis pct / leverage, price basis pct
 * (CFG-02: TP 0.15 % of margin at 20x = 0.0075 % price move).
 */
export function effectiveDistancePct(p: { pct: string; basis: Basis; leverage: number }): string {
  const pct = parsePositive(p.pct, 'percentage');
  if (p.basis === 'price') return fmt(pct);
  if (p.basis !== 'margin') throw new RangeError(`basis must be 'margin' or 'price', got ${JSON.stringify(p.basis)}`);
  if (!Number.isFinite(p.leverage) || p.leverage < 1) throw new RangeError(`leverage must be ≥ 1, got ${p.leverage}`);
  return fmt(pct.div(new Dec(p.leverage)));
}

/** Realized PnL of a round trip: long (exit − entry) × size, short (entry − exit) × size. */
export function signedPnl(p: { direction: Direction; entryPrice: string; exitPrice: string; size: string }): string {
  checkDirection(p.direction);
  const entry = parsePositive(p.entryPrice, 'entryPrice');
  const exit = parsePositive(p.exitPrice, 'exitPrice');
  const size = parseNonNegative(p.size, 'size');
  return fmt(p.direction === 'buy' ? exit.sub(entry).mul(size) : entry.sub(exit).mul(size));
}
