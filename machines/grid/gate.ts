/**
 * The admission gate, as a pure function of the root's context: which reasons refuse a new
 * entry right now. It gates new entries only; fills, exits, retries and timeouts never ask it.
 *
 * Invariants: exact decimal comparisons (domain functions); the same context always yields
 * the same reasons, in a fixed order.
 */
import { Dec, fmt, parseDec, parseNonNegative, parsePositive } from '../../src/domain/decimal.ts';
import {
  cooldownAllows,
  cooldownMs,
  entrySize,
  gridStepAllows,
  marginCapAllows,
  marginRatio,
  mid as midOf,
  requiredMargin,
  takeProfitFraction,
  usedMargin,
} from '../../src/domain/grid-math.ts';
import type { BookTop, PositionSummary } from '../shared/types.ts';
import { BookMap } from './book-map.ts';
import type { GridContext, RefusalReason } from './types.ts';

/**
 * Whether a position counts as holding a resting exit: its exit is a limit order that rests or
 * is being (re)placed — a position between two attempts (exitCanceled, placingExit, refresh)
 * still counts, so the gate does not admit an entry in the 250 ms gap of a repost.
 * Positions closing at market, retiring or closed do not count.
 */
/** States in which a position holds no resting limit exit and is not between two attempts. */
const NOT_RESTING = ['closed', 'retired', 'retiring', 'marketFallback', 'flat', 'settle', 'exhausted', 'suspended'];

export function holdsLimitExit(p: PositionSummary): boolean {
  if (!p.exit || p.exit.type !== 'limit') return false;
  return !NOT_RESTING.some((s) => p.state === s || p.state.startsWith(`${s}.`));
}

const restingMemo = new WeakMap<object, number>();

/** Positions with a resting limit exit (ladder legs count once); memoized per positions object. */
export function restingExitCount(ctx: Pick<GridContext, 'positions'>): number {
  const hit = restingMemo.get(ctx.positions);
  if (hit !== undefined) return hit;
  let n = 0;
  for (const p of Object.values(ctx.positions)) if (holdsLimitExit(p)) n++;
  restingMemo.set(ctx.positions, n);
  return n;
}

/** Prices of resting exits on the exit side: ours and orders the bot did not place. */
export function restingExitPrices(ctx: Pick<GridContext, 'positions' | 'foreign' | 'params'>): string[] {
  const exitSide = ctx.params.direction === 'buy' ? 'sell' : 'buy';
  const out: string[] = [];
  for (const p of Object.values(ctx.positions)) if (holdsLimitExit(p)) out.push(p.exit!.price);
  for (const f of Object.values(ctx.foreign)) if (f.side === exitSide) out.push(f.price);
  return out;
}

export function currentRatio(ctx: Pick<GridContext, 'venue' | 'leverage'>): string {
  return marginRatio({ reservedMargin: ctx.venue.reservedMargin, exposure: ctx.venue.exposure, leverage: ctx.leverage });
}

export function tpFraction(ctx: Pick<GridContext, 'venue' | 'leverage' | 'params'>): string {
  return takeProfitFraction({ takeProfitPct: ctx.params.takeProfitPct, basis: ctx.params.basis, r: currentRatio(ctx) });
}

/** Pause-price breach: long grids pause while mid > pause, short grids while mid < pause. */
export function isPaused(ctx: Pick<GridContext, 'params' | 'book'>): boolean {
  const pause = ctx.params.pausePrice;
  if (!pause || !ctx.book) return false;
  const m = new Dec(ctx.book.bid).plus(ctx.book.ask).div(2);
  return ctx.params.direction === 'buy' ? m.gt(pause) : m.lt(pause);
}

export function nextEntrySize(ctx: Pick<GridContext, 'params' | 'market' | 'book'>): ReturnType<typeof entrySize> | null {
  if (!ctx.book) return null;
  return entrySize({
    notionalUsd: ctx.params.notionalUsd,
    quantity: ctx.params.quantity,
    mid: midOf(ctx.book.bid, ctx.book.ask),
    sizeStep: ctx.market.step,
    minBaseSize: ctx.market.minBase,
    minQuoteNotional: ctx.market.minQuote,
  });
}

/** Margin of an entry in flight that may still fill (restart race, outcome unknown). */
function pendingMargin(ctx: GridContext, m: string, r: string): string {
  const e = ctx.entry;
  if (!e || e.status === 'filled' || e.status === 'canceled') return '0';
  const open = new Dec(e.size).minus(e.filled);
  return open.gt(0) ? requiredMargin({ size: open.toFixed(), mid: m, r }) : '0';
}

export function marginAllows(ctx: GridContext): boolean {
  if (!ctx.book) return false;
  const size = nextEntrySize(ctx);
  if (!size) return false;
  const m = midOf(ctx.book.bid, ctx.book.ask);
  const r = currentRatio(ctx);
  const reserved = ctx.venue.reservedMargin && new Dec(ctx.venue.reservedMargin).gt(0) ? ctx.venue.reservedMargin : undefined;
  const used = usedMargin({ positionSize: ctx.venue.size, mid: m, r, reservedMargin: reserved });
  return marginCapAllows({
    used,
    pending: pendingMargin(ctx, m, r),
    required: requiredMargin({ size: size.size, mid: m, r }),
    maxMarginUsd: ctx.params.maxMarginUsd,
  });
}

/** When the density cooldown ends (first admitted ms), or null when it does not apply / never ends. */
export function cooldownEndsAt(ctx: GridContext): number | null {
  if (ctx.lastCycleAt === null) return null;
  const ms = cooldownMs({ restingCount: restingExitCount(ctx), maxOrders: ctx.params.maxOrders, waitTimeSec: ctx.params.waitTimeSec });
  if (ms === null) return null;
  return ctx.lastCycleAt + ms + 1;
}

/**
 * The book-dependent reasons (pause, grid step, margin cap) for one (bid, ask), unmemoized
 * (the reference for the memoized evaluation in `evaluateGate`).
 */
function bookReasons(ctxIn: GridContext, book: NonNullable<GridContext['book']>): RefusalReason[] {
  const ctx = ctxIn.book === book ? ctxIn : { ...ctxIn, book };
  const reasons: RefusalReason[] = [];
  if (isPaused(ctx)) reasons.push('paused');
  const allowedByStep = gridStepAllows({
    direction: ctx.params.direction,
    restingExitPrices: restingExitPrices(ctx),
    bid: book.bid,
    ask: book.ask,
    f: tpFraction(ctx),
    gridStepPct: ctx.params.gridStepPct,
  });
  if (!allowedByStep) reasons.push('grid_step');
  if (!marginAllows(ctx)) reasons.push('margin_cap');
  return reasons;
}

/**
 * The grid-step condition with its non-book terms computed once: long allowed iff
 * next > ask × (1 + f)(1 + g/100); short iff bid × (1 − f) > next × (1 + g/100) — the same
 * cross-multiplied comparison as `gridStepAllows`, exact.
 */
interface StepPlan {
  direction: 'buy' | 'sell';
  next: InstanceType<typeof Dec> | null;
  factor: InstanceType<typeof Dec>;
  bound: InstanceType<typeof Dec>;
}

function stepPlanOf(ctx: GridContext): StepPlan {
  const prices = restingExitPrices(ctx);
  const f = new Dec(tpFraction(ctx));
  const g1 = new Dec(ctx.params.gridStepPct).div(100).plus(1);
  const long = ctx.params.direction === 'buy';
  if (prices.length === 0) return { direction: ctx.params.direction, next: null, factor: g1, bound: g1 };
  const decs = prices.map((p) => new Dec(p));
  const next = long ? Dec.min(...decs) : Dec.max(...decs);
  return long
    ? { direction: 'buy', next, factor: new Dec(1).plus(f).times(g1), bound: next }
    : { direction: 'sell', next, factor: new Dec(1).minus(f), bound: next.times(g1) };
}

function stepAllows(plan: StepPlan, book: NonNullable<GridContext['book']>): boolean {
  if (plan.next === null) return true;
  return plan.direction === 'buy' ? plan.bound.gt(new Dec(book.ask).times(plan.factor)) : new Dec(book.bid).times(plan.factor).gt(plan.bound);
}

/**
 * The margin cap's non-book terms, parsed once: the same `Dec` operations as `marginAllows`
 * (grid-math's usedMargin, pendingMargin, requiredMargin, marginCapAllows) without the decimal
 * string round trips between them, which are exact (`fmt` then parse gives the same value), so
 * the result is identical.
 */
interface MarginPlan {
  r: InstanceType<typeof Dec>;
  /** Margin in use when the venue reports a reserved margin > 0 (then it does not depend on mid). */
  reserved: InstanceType<typeof Dec> | null;
  /** |venue position| (used only without `reserved`). */
  position: InstanceType<typeof Dec> | null;
  /** Open size of an entry in flight that may still fill, or null. */
  pendingOpen: InstanceType<typeof Dec> | null;
  max: InstanceType<typeof Dec>;
}

function marginPlanOf(ctx: GridContext): MarginPlan {
  const r = parsePositive(currentRatio(ctx), 'r');
  const reserved = ctx.venue.reservedMargin && new Dec(ctx.venue.reservedMargin).gt(0) ? parseDec(ctx.venue.reservedMargin, 'reservedMargin') : null;
  const e = ctx.entry;
  const open = !e || e.status === 'filled' || e.status === 'canceled' ? null : new Dec(e.size).minus(e.filled);
  return {
    r,
    reserved,
    position: reserved ? null : parseDec(ctx.venue.size, 'positionSize').abs(),
    pendingOpen: open && open.gt(0) ? open : null,
    max: parsePositive(ctx.params.maxMarginUsd, 'max_margin_usd'),
  };
}

/** `marginAllows` for one book, given its plan and the entry size at this book. */
function marginPlanAllows(plan: MarginPlan, mid: InstanceType<typeof Dec>, entrySize: InstanceType<typeof Dec>): boolean {
  const used = plan.reserved ?? plan.position!.mul(mid).mul(plan.r);
  const pending = plan.pendingOpen ? plan.pendingOpen.mul(mid).mul(plan.r) : ZERO;
  const required = entrySize.mul(mid).mul(plan.r);
  return used.add(pending).add(required).lte(plan.max);
}
const ZERO = new Dec(0);

/**
 * Memo of the book-dependent reasons, one per bot (kept on its params object, which a bot
 * never mutates). Each reason is memoized per book under exactly the inputs it depends on,
 * compared by identity (XState keeps the identity of context members an event did not change)
 * or, for the venue view, by the fields used, so that e.g. a position summary does not drop
 * the margin-cap results, nor a reconcile that re-reads the same venue position. The hot path
 * — a book update while the gate is closed — then costs a few map lookups, no decimal
 * arithmetic.
 */
interface BookMemo {
  step: {
    positions: unknown;
    foreign: unknown;
    reservedMargin: string | undefined;
    exposure: string | undefined;
    leverage: number;
    plan: StepPlan | null;
    /** By ask (long) or bid (short): the only book term of the condition. */
    byPrice: Map<string, boolean>;
  } | null;
  margin: {
    market: unknown;
    entry: unknown;
    size: string;
    reservedMargin: string | undefined;
    exposure: string | undefined;
    leverage: number;
    plan: MarginPlan | null;
    byBook: BookMap<boolean>;
  } | null;
  /** Entry size by book (parsed): depends only on params, market and mid. */
  sizing: { market: unknown; byBook: BookMap<InstanceType<typeof Dec>> } | null;
  /** Pause-price breach by book (only with a pause price). */
  paused: BookMap<boolean> | null;
  /** Cooldown length by resting-exit count. */
  cooldown: Array<number | null | undefined>;
}
const MEMO_LIMIT = 4096;
const memo = new WeakMap<object, BookMemo>();

function bookMemoOf(ctx: Pick<GridContext, 'params'>): BookMemo {
  let m = memo.get(ctx.params);
  if (!m) {
    m = { step: null, margin: null, sizing: null, paused: null, cooldown: [] };
    memo.set(ctx.params, m);
  }
  return m;
}

function boundedSet<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MEMO_LIMIT) map.clear();
  map.set(key, value);
}

function memoGridStep(m: BookMemo, ctx: GridContext, book: NonNullable<GridContext['book']>): boolean {
  const v = ctx.venue;
  let s = m.step;
  if (!s || s.positions !== ctx.positions || s.foreign !== ctx.foreign || s.reservedMargin !== v.reservedMargin || s.exposure !== v.exposure || s.leverage !== ctx.leverage) {
    s = m.step = { positions: ctx.positions, foreign: ctx.foreign, reservedMargin: v.reservedMargin, exposure: v.exposure, leverage: ctx.leverage, plan: null, byPrice: new Map() };
  }
  const price = ctx.params.direction === 'buy' ? book.ask : book.bid;
  let allowed = s.byPrice.get(price);
  if (allowed === undefined) {
    s.plan ??= stepPlanOf(ctx);
    allowed = stepAllows(s.plan, book);
    boundedSet(s.byPrice, price, allowed);
  }
  return allowed;
}

function memoMarginAllows(m: BookMemo, ctx: GridContext, book: BookTop): boolean {
  const v = ctx.venue;
  let g = m.margin;
  if (
    !g ||
    g.market !== ctx.market ||
    g.entry !== ctx.entry ||
    g.size !== v.size ||
    g.reservedMargin !== v.reservedMargin ||
    g.exposure !== v.exposure ||
    g.leverage !== ctx.leverage
  ) {
    g = m.margin = { market: ctx.market, entry: ctx.entry, size: v.size, reservedMargin: v.reservedMargin, exposure: v.exposure, leverage: ctx.leverage, plan: null, byBook: new BookMap() };
  }
  let allowed = g.byBook.get(book);
  if (allowed === undefined) {
    // As midOf / nextEntrySize / marginAllows compute them (the same parse checks and operations).
    const mid = parsePositive(book.bid, 'bid').add(parsePositive(book.ask, 'ask')).div(2);
    g.plan ??= marginPlanOf(ctx);
    allowed = marginPlanAllows(g.plan, mid, sizingAt(m, ctx, book, mid));
    g.byBook.set(book, allowed);
  }
  return allowed;
}

/** The entry size at this book (as `nextEntrySize`), parsed. */
function sizingAt(m: BookMemo, ctx: GridContext, book: BookTop, mid: InstanceType<typeof Dec>): InstanceType<typeof Dec> {
  if (!m.sizing || m.sizing.market !== ctx.market) m.sizing = { market: ctx.market, byBook: new BookMap() };
  let size = m.sizing.byBook.get(book);
  if (!size) {
    const sizing = entrySize({
      notionalUsd: ctx.params.notionalUsd,
      quantity: ctx.params.quantity,
      mid: fmt(mid),
      sizeStep: ctx.market.step,
      minBaseSize: ctx.market.minBase,
      minQuoteNotional: ctx.market.minQuote,
    });
    size = parseNonNegative(sizing.size, 'size');
    m.sizing.byBook.set(book, size);
  }
  return size;
}

function memoPaused(m: BookMemo, ctx: Pick<GridContext, 'params'>, book: BookTop): boolean {
  if (!ctx.params.pausePrice) return false;
  m.paused ??= new BookMap();
  let paused = m.paused.get(book);
  if (paused === undefined) {
    paused = isPaused({ params: ctx.params, book });
    m.paused.set(book, paused);
  }
  return paused;
}

/** `isPaused` for this book, memoized per bot and book (the book update asks it on every update). */
export function pausedAt(ctx: Pick<GridContext, 'params'>, book: BookTop): boolean {
  return ctx.params.pausePrice ? memoPaused(bookMemoOf(ctx), ctx, book) : false;
}

function cooldownFor(m: BookMemo, resting: number, maxOrders: number, waitTimeSec: string): number | null {
  let v = m.cooldown[resting];
  if (v === undefined) v = m.cooldown[resting] = cooldownMs({ restingCount: resting, maxOrders, waitTimeSec });
  return v;
}

/** The refusal reasons now; `book` / `now` override the context's (the hot path passes them). */
export function evaluateGate(ctx: GridContext, book: GridContext['book'] = ctx.book, now: number = ctx.now): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  if (!ctx.trading) reasons.push('not_trading');
  if (!ctx.leverageApplied) reasons.push('leverage');
  riskReasons(ctx, reasons);
  if (!book) {
    reasons.push('no_book');
    return reasons;
  }
  const m = bookMemoOf(ctx);
  if (memoPaused(m, ctx, book)) reasons.push('paused');
  const resting = restingExitCount(ctx);
  if (resting >= ctx.params.maxOrders) reasons.push('max_orders');
  else if (ctx.lastCycleAt !== null) {
    // cooldownAllows, with the cooldown length memoized (it only depends on the count).
    const dropped = ctx.prevResting !== null && resting < ctx.prevResting;
    const cooldown = cooldownFor(m, resting, ctx.params.maxOrders, ctx.params.waitTimeSec);
    if (!dropped && (cooldown === null || !(now - ctx.lastCycleAt > cooldown))) reasons.push('cooldown');
  }
  if (!memoGridStep(m, ctx, book)) reasons.push('grid_step');
  if (!memoMarginAllows(m, ctx, book)) reasons.push('margin_cap');
  return reasons;
}

/** The unmemoized evaluation (tests check the memo against it). */
export function evaluateGateDirect(ctx: GridContext): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  if (!ctx.trading) reasons.push('not_trading');
  if (!ctx.leverageApplied) reasons.push('leverage');
  riskReasons(ctx, reasons);
  if (!ctx.book) return [...reasons, 'no_book'];
  const fromBook = bookReasons(ctx, ctx.book);
  if (fromBook[0] === 'paused') reasons.push('paused');
  const resting = restingExitCount(ctx);
  if (resting >= ctx.params.maxOrders) reasons.push('max_orders');
  else if (
    ctx.lastCycleAt !== null &&
    !cooldownAllows({
      restingCount: resting,
      previousRestingCount: ctx.prevResting,
      maxOrders: ctx.params.maxOrders,
      waitTimeSec: ctx.params.waitTimeSec,
      lastCycleAt: ctx.lastCycleAt,
      now: ctx.now,
    })
  ) {
    reasons.push('cooldown');
  }
  for (const r of fromBook) if (r !== 'paused') reasons.push(r);
  return reasons;
}

/** Stop price (halted, latched) and stop-loss (flattening, cool-off) refuse every entry. */
function riskReasons(ctx: GridContext, out: RefusalReason[]): void {
  const r = ctx.risk;
  if (ctx.operatorPaused) out.push('operator_pause');
  const lossOnly = r.trigger === 'stop-loss';
  if (r.phase === 'halted' || r.phase === 'suspending' || (r.phase === 'flattening' && !lossOnly)) out.push('halted');
  else if (r.phase === 'coolingOff' || (r.phase === 'flattening' && lossOnly)) out.push('stop-loss');
  else if (r.phase === 'armed' && (r.trigger !== null || r.request)) out.push(lossOnly ? 'stop-loss' : 'halted');
}

/** Reasons that are journaled once per episode (the others are transient or shown in status only). */
export const EPISODE_REASONS: ReadonlySet<RefusalReason> = new Set<RefusalReason>(['grid_step', 'max_orders', 'margin_cap']);
