/**
 * Pure math of the range grid: level prices, which levels are armed, level pairing, sizes,
 * round-trip profit.
 *
 * Level prices (acceptance VAR): gridCount intervals → gridCount + 1 prices from lower to
 * upper inclusive. Arithmetic: lower + i × (upper − lower) / gridCount; geometric:
 * lower × (upper / lower)^(i / gridCount). Each is rounded to the tick in the passive
 * direction for its side: a buy DOWN, a sell UP.
 *
 * Invariants:
 * - Exact: arithmetic levels are rounded from the exact rational (integer division); geometric
 *   levels are shown with 40 significant digits and rounded EXACTLY — the tick multiple k is
 *   chosen by comparing (k·tick)^n with lower^(n−i)·upper^i in integers (BigInt), so a level
 *   that lands on a tick (100 × 1.21^½ = 110) is never pushed a tick off by a root's last digit.
 * - With spacing ≥ 2 ticks (checked by `spacingProblem`), rounded prices of one side strictly
 *   increase and a level's sell is below the next level's buy.
 * - Arming: never more than maxRestingOrders entries (cancelling ones count until confirmed);
 *   nearest to the touch first; a level that holds, or whose price is another level's exit
 *   target, is never armed (one order per level price); an entry holding a partial fill is
 *   never disarmed by a price move (it rests until enough filled to exit).
 */
import { Dec, type DecValue, fmt, parsePositive, roundToMultiple } from '../../../src/domain/decimal.ts';
import { entrySize } from '../../../src/domain/grid-math.ts';
import type { BookTop, MarketParams } from '../../shared/types.ts';
import type { LevelPrice, LevelSummary, RangeDirection, RangeGridParams, Side, Spacing } from './types.ts';

export interface LevelSpec {
  lowerPrice: string;
  upperPrice: string;
  gridCount: number;
  spacing: Spacing;
}

const HI = Dec.clone({ precision: 60 });

/** Integer scale 10^d making every given decimal an integer; returns the scaled BigInts. */
function scaled(values: DecValue[]): bigint[] {
  const d = Math.max(0, ...values.map((v) => v.decimalPlaces()));
  return values.map((v) => BigInt(v.times(new Dec(10).pow(d)).toFixed(0)));
}

/** Geometric level i exactly rounded: floor / ceil of x/t where x^n = l^(n−i)·u^i (scaled ints). */
function geometricTicks(l: bigint, u: bigint, t: bigint, n: number, i: number, approx: DecValue, tick: DecValue): { down: bigint; up: bigint } {
  const target = l ** BigInt(n - i) * u ** BigInt(i);
  const N = BigInt(n);
  const pow = (k: bigint) => (k * t) ** N;
  let k = BigInt(approx.div(tick).floor().toFixed(0));
  while (k > 0n && pow(k) > target) k -= 1n;
  while (pow(k + 1n) <= target) k += 1n;
  const exact = pow(k) === target;
  return { down: k, up: exact ? k : k + 1n };
}

function compute(spec: LevelSpec, tickS: string): LevelPrice[] {
  const lower = parsePositive(spec.lowerPrice, 'lower_price');
  const upper = parsePositive(spec.upperPrice, 'upper_price');
  const tick = parsePositive(tickS, 'tick');
  const n = spec.gridCount;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`grid_count must be an integer ≥ 1, got ${n}`);
  if (!lower.lt(upper)) throw new RangeError(`lower_price ${spec.lowerPrice} must be below upper_price ${spec.upperPrice}`);
  const out: LevelPrice[] = [];
  if (spec.spacing === 'arithmetic') {
    const nD = new Dec(n);
    const unit = tick.times(nD);
    for (let i = 0; i <= n; i++) {
      const num = lower.times(nD).plus(upper.minus(lower).times(i)); // x = num / n, exact numerator
      const down = roundToMultiple(num, unit, 'down').div(nD);
      const up = roundToMultiple(num, unit, 'up').div(nD);
      out.push({ index: i, exact: fmt(num.div(nD)), buy: fmt(down), sell: fmt(up) });
    }
    return out;
  }
  const [l, u, t] = scaled([lower, upper, tick]);
  const ratio = new HI(upper.toFixed()).div(lower.toFixed());
  for (let i = 0; i <= n; i++) {
    const x = i === 0 ? new HI(lower.toFixed()) : i === n ? new HI(upper.toFixed()) : new HI(lower.toFixed()).times(ratio.pow(new HI(i).div(n)));
    const exact = new Dec(x.toSignificantDigits(40).toFixed());
    const k = geometricTicks(l, u, t, n, i, exact, tick);
    out.push({ index: i, exact: fmt(exact), buy: fmt(tick.times(k.down.toString())), sell: fmt(tick.times(k.up.toString())) });
  }
  return out;
}

const memo = new Map<string, LevelPrice[]>();

/** The gridCount + 1 level prices (memoized: the root calls it on every book update). */
export function levelPrices(spec: LevelSpec, tick: string): LevelPrice[] {
  const key = `${spec.spacing}|${spec.lowerPrice}|${spec.upperPrice}|${spec.gridCount}|${tick}`;
  let levels = memo.get(key);
  if (!levels) {
    levels = compute(spec, tick);
    if (memo.size > 64) memo.clear();
    memo.set(key, levels);
  }
  return levels;
}

/**
 * Why these levels cannot trade on a market with this tick, or null: the spacing between
 * adjacent levels must be at least two ticks (geometric: the first, smallest gap), and the
 * lower price at least one tick. The message names the key and the allowed range.
 */
export function spacingProblem(spec: LevelSpec, tickS: string): { key: string; message: string } | null {
  const lower = parsePositive(spec.lowerPrice, 'lower_price');
  const upper = parsePositive(spec.upperPrice, 'upper_price');
  const tick = parsePositive(tickS, 'tick');
  const n = spec.gridCount;
  if (lower.lt(tick)) return { key: 'lower_price', message: `${spec.lowerPrice} is below one tick (${tickS}); allowed ≥ ${tickS}` };
  const twoTicks = tick.times(2);
  if (spec.spacing === 'arithmetic') {
    const step = upper.minus(lower).div(n);
    if (upper.minus(lower).lt(twoTicks.times(n))) {
      const most = upper.minus(lower).div(twoTicks).floor().toFixed();
      return {
        key: 'grid_count',
        message: `${n} levels make a spacing of ${step.toSignificantDigits(8).toFixed()}, smaller than two ticks (${fmt(twoTicks)}); allowed 2..${most} for ${spec.lowerPrice}..${spec.upperPrice} at tick ${tickS}`,
      };
    }
    return null;
  }
  // Smallest gap is the first: lower × r − lower ≥ 2 ticks ⟺ lower^(n−1) × upper ≥ (lower + 2 ticks)^n.
  const [l, u, t2] = scaled([lower, upper, lower.plus(twoTicks)]);
  if (l ** BigInt(n - 1) * u < t2 ** BigInt(n)) {
    const gap = new HI(lower.toFixed()).times(new HI(upper.toFixed()).div(lower.toFixed()).pow(new HI(1).div(n)).minus(1));
    return {
      key: 'grid_count',
      message: `${n} geometric levels make a first spacing of ${gap.toSignificantDigits(8).toFixed()}, smaller than two ticks (${fmt(twoTicks)}); lower grid_count (allowed 2..500, spacing ≥ 2 ticks)`,
    };
  }
  return null;
}

/** Level an exit of a filled entry at `index` trades at: buy → i+1, sell → i−1. */
export function exitLevelOf(side: Side, index: number): number {
  return side === 'buy' ? index + 1 : index - 1;
}

/** Whether a level may hold an entry on this side at all (its exit level exists). */
export function canEnter(levels: LevelPrice[], index: number, side: Side): boolean {
  const j = exitLevelOf(side, index);
  return j >= 0 && j < levels.length;
}

/** Sides a direction enters on. */
export function entrySides(direction: RangeDirection): Side[] {
  return direction === 'long' ? ['buy'] : direction === 'short' ? ['sell'] : ['buy', 'sell'];
}

export interface ArmCandidate {
  level: number;
  side: Side;
  price: string;
  /** Distance to the touch (bid − buy, sell − ask), for nearest-first ordering. */
  distance: string;
  /** Price of the paired level its exit targets (sell of i+1 for a buy, buy of i−1 for a sell). */
  exitPrice: string;
}

/** Index of the last element with key < x (−1 if none); keys ascending. */
function lastBelow(levels: LevelPrice[], key: (l: LevelPrice) => string, x: DecValue): number {
  let lo = 0;
  let hi = levels.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (new Dec(key(levels[mid])).lt(x)) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Entry candidates for the book, nearest first: buys strictly below the bid, sells strictly
 * above the ask (neutral: both), excluding blocked levels; at most `limit` per side are
 * looked at (binary search to the touch, then outward), so a 500-level grid costs O(log n + limit).
 */
export function candidates(levels: LevelPrice[], direction: RangeDirection, book: BookTop, blocked: Set<number> = new Set(), limit = levels.length): ArmCandidate[] {
  const bid = new Dec(book.bid);
  const ask = new Dec(book.ask);
  const out: Array<ArmCandidate & { d: DecValue }> = [];
  const sides = entrySides(direction);
  if (sides.includes('buy')) {
    let taken = 0;
    for (let i = lastBelow(levels, (l) => l.buy, bid); i >= 0 && taken < limit; i--) {
      if (blocked.has(i) || !canEnter(levels, i, 'buy')) continue;
      const d = bid.minus(levels[i].buy);
      out.push({ level: i, side: 'buy', price: levels[i].buy, distance: fmt(d), exitPrice: levels[exitLevelOf('buy', i)].sell, d });
      taken++;
    }
  }
  if (sides.includes('sell')) {
    let taken = 0;
    // First level whose sell is > ask: everything after the last one with sell ≤ ask.
    let first = levels.length;
    let lo = 0;
    let hi = levels.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (new Dec(levels[mid].sell).gt(ask)) {
        first = mid;
        hi = mid - 1;
      } else lo = mid + 1;
    }
    for (let i = first; i < levels.length && taken < limit; i++) {
      if (blocked.has(i) || !canEnter(levels, i, 'sell')) continue;
      const d = new Dec(levels[i].sell).minus(ask);
      out.push({ level: i, side: 'sell', price: levels[i].sell, distance: fmt(d), exitPrice: levels[exitLevelOf('sell', i)].buy, d });
      taken++;
    }
  }
  out.sort((a, b) => a.d.comparedTo(b.d) || a.level - b.level);
  return out.map(({ d: _d, ...c }) => c);
}

export interface ArmingPlan {
  /** The desired entry set (nearest first). */
  want: ArmCandidate[];
  /** Levels to arm now (nearest first); more may follow once cancels are confirmed. */
  arm: ArmCandidate[];
  /** Levels whose live entry must be cancelled. */
  disarm: number[];
}

const ENTRY_STATES = new Set(['awaitingN', 'entryPlacing', 'entryBackoff', 'entryQuerying', 'entryResting']);

/** Whether a level's live entry is one the root may still count as armed (not being cancelled). */
export function isArmedEntry(s: LevelSummary): boolean {
  return ENTRY_STATES.has(s.state);
}

/**
 * A resting entry that already holds a partial fill: the level keeps it resting only while what
 * filled is below the venue minimums at its exit (level.machine.ts `entryResting`), so
 * cancelling it for a price move would strand a leg whose exit the venue refuses. The arming
 * never disarms it (risk halt / close still do).
 */
export function holdsPartialEntry(s: LevelSummary): boolean {
  return s.state === 'entryResting' && !new Dec(s.held).isZero();
}

/**
 * Which entries should rest: the max nearest candidates. Levels that hold or are another
 * level's exit target are blocked; levels with a live entry on the wrong side or outside the
 * nearest set are disarmed (never one holding a partial fill: `holdsPartialEntry`); free slots
 * (max − live entries, cancelling ones included) go to the nearest wanted levels without an entry.
 */
export function planArming(p: {
  levels: LevelPrice[];
  direction: RangeDirection;
  book: BookTop;
  maxResting: number;
  summaries: Record<string, LevelSummary>;
}): ArmingPlan {
  const blocked = new Set<number>();
  for (const s of Object.values(p.summaries)) {
    if (s.exitTarget !== null) blocked.add(s.exitTarget);
    if (s.state !== 'idle' && !s.liveEntry) blocked.add(s.level); // holding, exiting, parked
    if (s.liveEntry && !isArmedEntry(s)) blocked.add(s.level); // cancelling: not re-armed until it ends
  }
  const want = candidates(p.levels, p.direction, p.book, blocked, p.maxResting).slice(0, p.maxResting);
  const wanted = new Map(want.map((c) => [c.level, c]));
  const disarm: number[] = [];
  let live = 0;
  for (const s of Object.values(p.summaries)) {
    if (!s.liveEntry) continue;
    live++;
    if (!isArmedEntry(s) || holdsPartialEntry(s)) continue;
    const w = wanted.get(s.level);
    if (!w || w.side !== s.side) disarm.push(s.level);
  }
  const free = Math.max(0, p.maxResting - live);
  const arm = want.filter((c) => !p.summaries[String(c.level)]?.liveEntry && (p.summaries[String(c.level)]?.state ?? 'idle') === 'idle').slice(0, free);
  return { want, arm, disarm: disarm.sort((a, b) => a - b) };
}

/**
 * Entry size of a level: order_size, or total_notional_usd / gridCount / price; rounded down
 * to the size step and raised to the venue minimums (grid-math `entrySize`) — at the entry
 * price and, given `exitAt`, also at the exit's price, so that a full leg can always rest its
 * exit (a sell entry's buy exit is cheaper than the entry).
 */
export function levelSize(params: Pick<RangeGridParams, 'orderSize' | 'totalNotionalUsd' | 'gridCount'>, market: MarketParams, price: string, exitAt?: string): string {
  const sizing = params.totalNotionalUsd !== undefined
    ? { notionalUsd: fmt(new Dec(params.totalNotionalUsd).div(params.gridCount)) }
    : { quantity: params.orderSize! };
  const minimums = { sizeStep: market.step, minBaseSize: market.minBase, minQuoteNotional: market.minQuote };
  const size = new Dec(entrySize({ ...sizing, mid: price, ...minimums }).size);
  if (exitAt === undefined) return fmt(size);
  const exitMinimum = new Dec(entrySize({ quantity: market.step, mid: exitAt, ...minimums }).size);
  return fmt(Dec.max(size, exitMinimum));
}

/**
 * Exit price of a leg: the target level's price on the exit side, made passive against the
 * book when the target is already crossed (a sell never below bid + tick, a buy never above
 * ask − tick) — never worse for the level than its target.
 */
export function exitPrice(p: { side: Side; target: string; book: BookTop | null; tick: string }): string {
  const tick = new Dec(p.tick);
  if (!p.book) return p.target;
  if (p.side === 'sell') {
    const floor = new Dec(p.book.bid).plus(tick);
    return fmt(roundToMultiple(Dec.max(new Dec(p.target), floor), tick, 'up'));
  }
  const ceil = new Dec(p.book.ask).minus(tick);
  const price = roundToMultiple(Dec.min(new Dec(p.target), ceil), tick, 'down');
  return fmt(Dec.max(price, tick));
}

/** Round-trip profit: long leg exit − entry notional, short leg entry − exit, less fees. */
export function roundTripProfit(p: { side: Side; entryNotional: string; exitNotional: string; fees: string }): { gross: string; profit: string } {
  const gross = p.side === 'buy' ? new Dec(p.exitNotional).minus(p.entryNotional) : new Dec(p.entryNotional).minus(p.exitNotional);
  return { gross: fmt(gross), profit: fmt(gross.minus(p.fees)) };
}

/** Mid is outside [lower, upper]. */
export function outsideRange(params: Pick<RangeGridParams, 'lowerPrice' | 'upperPrice'>, book: BookTop): boolean {
  const mid = new Dec(book.bid).plus(book.ask).div(2);
  return mid.lt(params.lowerPrice) || mid.gt(params.upperPrice);
}

/** The stop price triggers: below the range on mid ≤ stop, above it on mid ≥ stop. */
export function stopPriceHit(params: Pick<RangeGridParams, 'lowerPrice' | 'stopPrice'>, book: BookTop): boolean {
  if (params.stopPrice === undefined) return false;
  const mid = new Dec(book.bid).plus(book.ask).div(2);
  return new Dec(params.stopPrice).lt(params.lowerPrice) ? mid.lte(params.stopPrice) : mid.gte(params.stopPrice);
}

/** Σ signed ledger legs of the levels. */
export function ledgerSize(summaries: Record<string, LevelSummary>): string {
  return fmt(Object.values(summaries).reduce((acc, s) => acc.plus(s.held), new Dec(0)));
}
