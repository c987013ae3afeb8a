/**
 * Venue conformance suite: the behaviour every Venue implementation (the in-process
 * simulator, Lighter over sockets, later Aster/Backpack) must show through the port.
 * Runner-agnostic: no test framework, only the Venue port plus a small harness that can
 * move the market and make a counterparty trade.
 *
 * Each check is a named async function that gets a FRESH harness (flat position, no open
 * orders of ours) and throws a descriptive Error on the first violation. Checks derive every
 * price and size from `marketInfo` and the live book, so any market works. Client indexes
 * come from `harness.clientIndexBase` (default: derived from wall time, so repeated runs
 * against a real venue never re-use an index).
 *
 * Waiting: checks never sleep; they call `harness.settle()` (let the venue deliver pending
 * events) up to `MAX_SETTLES` times while waiting for a stream event or a state.
 */
import { Decimal } from 'decimal.js';
import { isVenueError, type MarketInfo, type PlaceOrderRequest, type Side, type Venue, type VenueFill, type VenueOrder, type VenueStreamEvent } from './types.ts';

export interface ConformanceHarness {
  venue: Venue;
  market: string;
  /** Moves the market's best bid / ask (other liquidity as the venue sees fit). */
  setBook(bid: string, ask: string): Promise<void>;
  /** A counterparty market order of `side` and `size`, taking the best prices (ours included). */
  counterpartyTrade(side: Side, size: string): Promise<void>;
  /** Lets the venue deliver pending events (sim: advance the clock a little and flush microtasks). */
  settle(): Promise<void>;
  close(): Promise<void>;
  /** First client index the checks use (then +1 per order). */
  clientIndexBase?: number;
}

export const CONFORMANCE_CHECKS = [
  'market-info',
  'bbo-first-frame',
  'post-only-cross-canceled',
  'post-only-passive-rests',
  'cancel-by-client-index',
  'duplicate-live-index',
  'reduce-only-when-flat',
  'resting-buy-filled',
  'partial-fill-then-cancel',
  'market-reduce-only-close',
  'history-queries',
  'get-unknown-index-null',
  'cancel-ended-not-active',
  'off-grid-rejected',
] as const;

export type ConformanceCheckName = (typeof CONFORMANCE_CHECKS)[number];

export interface ConformanceCheckResult {
  name: ConformanceCheckName;
  ok: boolean;
  error?: Error;
}

export interface ConformanceResult {
  ok: boolean;
  passed: ConformanceCheckName[];
  failed: Array<{ name: ConformanceCheckName; error: Error }>;
  results: ConformanceCheckResult[];
}

export const MAX_SETTLES = 50;

/** Runs every check (or `only`), each on a fresh harness; never throws for a failing check. */
export async function runVenueConformance(
  makeHarness: () => Promise<ConformanceHarness>,
  opts: { only?: readonly ConformanceCheckName[]; stopOnFailure?: boolean } = {},
): Promise<ConformanceResult> {
  const results: ConformanceCheckResult[] = [];
  for (const name of opts.only ?? CONFORMANCE_CHECKS) {
    try {
      await runConformanceCheck(name, makeHarness);
      results.push({ name, ok: true });
    } catch (err) {
      results.push({ name, ok: false, error: err instanceof Error ? err : new Error(String(err)) });
      if (opts.stopOnFailure) break;
    }
  }
  return {
    ok: results.every((r) => r.ok),
    passed: results.filter((r) => r.ok).map((r) => r.name),
    failed: results.filter((r) => !r.ok).map((r) => ({ name: r.name, error: r.error! })),
    results,
  };
}

/** Runs one check on a fresh harness; throws its first violation (message prefixed with the check name). */
export async function runConformanceCheck(name: ConformanceCheckName, makeHarness: () => Promise<ConformanceHarness>): Promise<void> {
  const check = CHECKS[name];
  if (!check) throw new Error(`unknown conformance check "${String(name)}"; known: ${CONFORMANCE_CHECKS.join(', ')}`);
  const h = await makeHarness();
  const ctx = new Ctx(h);
  let failure: unknown;
  try {
    await ctx.init();
    await check(ctx);
  } catch (err) {
    failure = err;
  }
  try {
    if (failure === undefined) await ctx.cleanup();
  } catch (err) {
    failure = new Error(`cleanup failed: ${(err as Error).message}`);
  } finally {
    ctx.unsubscribe?.();
    await h.close();
  }
  if (failure !== undefined) {
    const msg = failure instanceof Error ? failure.message : String(failure);
    const e = new Error(`[${name}] ${msg}`);
    if (failure instanceof Error) e.stack = `${e.message}\n${failure.stack ?? ''}`;
    throw e;
  }
}

// ------------------------------------------------------------------ context and helpers

let wallBase = 0;

class Ctx {
  readonly h: ConformanceHarness;
  readonly v: Venue;
  readonly m: string;
  info!: MarketInfo;
  tick!: Decimal;
  step!: Decimal;
  events: VenueStreamEvent[] = [];
  unsubscribe?: () => void;
  private next: number;
  private readonly used: number[] = [];

  constructor(h: ConformanceHarness) {
    this.h = h;
    this.v = h.venue;
    this.m = h.market;
    if (h.clientIndexBase !== undefined) this.next = h.clientIndexBase;
    else {
      wallBase = Math.max(wallBase + 1000, (Date.now() % 2 ** 38) * 2 ** 9);
      this.next = wallBase;
    }
  }

  async init(): Promise<void> {
    await this.v.connect();
    this.info = await this.v.marketInfo(this.m);
    this.tick = new Decimal(this.info.tickSize);
    this.step = new Decimal(this.info.sizeStep);
    this.unsubscribe = this.v.subscribe(this.m, (e) => this.events.push(e));
  }

  index(): number {
    const i = this.next++;
    this.used.push(i);
    return i;
  }

  /** Normalizes the book to bid B / ask B + 4 ticks (B = current best bid); returns [bid, ask]. */
  async book(): Promise<{ bid: Decimal; ask: Decimal }> {
    const b = await this.v.bbo(this.m);
    const bid = new Decimal(b.bid);
    const ask = bid.plus(this.tick.times(4));
    await this.h.setBook(this.px(bid), this.px(ask));
    await this.h.settle();
    const now = await this.v.bbo(this.m);
    if (!new Decimal(now.bid).eq(bid) || !new Decimal(now.ask).eq(ask)) {
      throw new Error(`harness setBook(${this.px(bid)}, ${this.px(ask)}) did not take effect: venue bbo is ${now.bid} / ${now.ask}`);
    }
    return { bid, ask };
  }

  px(d: Decimal): string {
    return d.toFixed(this.tick.decimalPlaces());
  }

  sz(d: Decimal): string {
    return d.toFixed(this.step.decimalPlaces());
  }

  /** Smallest size meeting both minimums at `price` (with 10 % room), times `mult`. */
  qty(price: Decimal, mult = 1): Decimal {
    const minBase = new Decimal(this.info.minBaseSize);
    const byQuote = new Decimal(this.info.minQuoteNotional).times(1.1).div(price).div(this.step).ceil().times(this.step);
    return Decimal.max(minBase, byQuote, this.step).times(mult);
  }

  order(p: Partial<PlaceOrderRequest> & Pick<PlaceOrderRequest, 'side' | 'price' | 'size'>): PlaceOrderRequest {
    return { market: this.m, clientIndex: this.index(), type: 'limit', timeInForce: 'post-only', reduceOnly: false, ...p };
  }

  async until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
    for (let i = 0; i <= MAX_SETTLES; i++) {
      const got = await probe();
      if (got !== undefined) return got;
      await this.h.settle();
    }
    throw new Error(`timed out waiting for ${what}; recent stream events: ${this.recent()}`);
  }

  /** Waits for an `order.updated` of `clientIndex` satisfying `pred`. */
  orderEvent(clientIndex: number, what: string, pred: (o: VenueOrder) => boolean): Promise<VenueOrder> {
    return this.until(`order.updated of ${clientIndex} ${what}`, () => {
      for (const e of this.events) if (e.type === 'order.updated' && e.order.clientIndex === clientIndex && pred(e.order)) return e.order;
      return undefined;
    });
  }

  /** Waits for the order (by getOrder) to reach a final status. */
  async final(clientIndex: number): Promise<VenueOrder> {
    return this.until(`order ${clientIndex} to reach a final status`, async () => {
      const o = await this.v.getOrder(this.m, clientIndex);
      return o && o.status !== 'open' ? o : undefined;
    });
  }

  fillsOf(clientIndex: number): VenueFill[] {
    const seen = new Map<string, VenueFill>();
    for (const e of this.events) if (e.type === 'order.filled' && e.fill.clientIndex === clientIndex) seen.set(e.fill.tradeId, e.fill);
    return [...seen.values()];
  }

  async positionSize(): Promise<Decimal> {
    return new Decimal((await this.v.position(this.m)).size);
  }

  async requireFlat(): Promise<void> {
    const s = await this.positionSize();
    if (!s.isZero()) throw new Error(`precondition: the harness must start flat, position is ${s.toFixed()}`);
  }

  /** Rests a post-only buy one tick above the bid and has a counterparty sell `size` into it. */
  async buyFilledByCounterparty(size: Decimal, orderSize = size): Promise<{ order: PlaceOrderRequest; price: Decimal }> {
    const { bid } = await this.book();
    const price = bid.plus(this.tick);
    const order = this.order({ side: 'buy', price: this.px(price), size: this.sz(orderSize) });
    await this.v.placeOrder(order);
    await this.orderEvent(order.clientIndex, 'open', (o) => o.status === 'open');
    await this.h.counterpartyTrade('sell', this.sz(size));
    await this.until(`fills of ${order.clientIndex} totalling ${this.sz(size)}`, () => {
      const total = this.fillsOf(order.clientIndex).reduce((a, f) => a.plus(f.size), new Decimal(0));
      return total.gte(size) ? true : undefined;
    });
    return { order, price };
  }

  recent(): string {
    return (
      this.events
        .slice(-8)
        .map((e) => {
          switch (e.type) {
            case 'order.updated':
              return `order.updated(${e.order.clientIndex} ${e.order.status}${e.order.cancelReason ? '/' + e.order.cancelReason : ''} filled ${e.order.filledSize})`;
            case 'order.filled':
              return `order.filled(${e.fill.clientIndex} ${e.fill.size}@${e.fill.price})`;
            case 'position.updated':
              return `position.updated(${e.position.size})`;
            case 'market.bbo':
              return `bbo(${e.bbo.bid}/${e.bbo.ask})`;
            default:
              return e.type;
          }
        })
        .join(', ') || 'none'
    );
  }

  /** Cancels our open orders and closes any position we opened (reduce-only market). */
  async cleanup(): Promise<void> {
    for (const o of await this.v.openOrders(this.m)) {
      if (!this.used.includes(o.clientIndex)) continue;
      try {
        await this.v.cancelOrder(this.m, o.clientIndex);
      } catch (err) {
        if (!(isVenueError(err) && err.kind === 'not-active')) throw err;
      }
    }
    const size = await this.positionSize();
    if (size.isZero()) return;
    const b = await this.v.bbo(this.m);
    const side: Side = size.gt(0) ? 'sell' : 'buy';
    const worst = side === 'sell' ? new Decimal(b.bid).div(2) : new Decimal(b.ask).times(2);
    const price = worst.div(this.tick).floor().times(this.tick);
    await this.v.placeOrder(this.order({ side, type: 'market', timeInForce: 'ioc', reduceOnly: true, price: this.px(price), size: this.sz(size.abs()) }));
    await this.until('the cleanup close to flatten the position', async () => ((await this.positionSize()).isZero() ? true : undefined));
  }
}

function fail(msg: string): never {
  throw new Error(msg);
}

function eq(a: Decimal.Value, b: Decimal.Value): boolean {
  return new Decimal(a).eq(b);
}

function isPlainDecimal(s: unknown, allowNegative = false): boolean {
  return typeof s === 'string' && (allowNegative ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/).test(s);
}

function onGrid(value: string, step: Decimal): boolean {
  return new Decimal(value).mod(step).isZero();
}

async function expectVenueError(p: Promise<unknown>, kind: string, what: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (isVenueError(err) && err.kind === kind) return err;
    fail(`${what} must reject with VenueError ${kind}; got ${isVenueError(err) ? `VenueError ${err.kind}: ${err.message}` : String(err)}`);
  }
  return fail(`${what} must reject with VenueError ${kind}; it resolved`);
}

// ------------------------------------------------------------------ the checks

const CHECKS: Record<ConformanceCheckName, (c: Ctx) => Promise<void>> = {
  async 'market-info'(c) {
    const i = c.info;
    if (i.symbol !== c.m) fail(`marketInfo.symbol must be "${c.m}"; got "${i.symbol}"`);
    for (const k of ['tickSize', 'sizeStep'] as const) {
      if (!isPlainDecimal(i[k]) || new Decimal(i[k]).lte(0)) fail(`marketInfo.${k} must be a positive decimal string; got ${JSON.stringify(i[k])}`);
    }
    for (const k of ['minBaseSize', 'minQuoteNotional'] as const) {
      if (!isPlainDecimal(i[k])) fail(`marketInfo.${k} must be a non-negative decimal string; got ${JSON.stringify(i[k])}`);
    }
    if (!onGrid(i.minBaseSize, c.step)) fail(`marketInfo.minBaseSize ${i.minBaseSize} must be a multiple of sizeStep ${i.sizeStep}`);
    for (const k of ['makerFee', 'takerFee'] as const) {
      if (!isPlainDecimal(i[k], true) || new Decimal(i[k]).abs().gte(1)) fail(`marketInfo.${k} must be a decimal fraction; got ${JSON.stringify(i[k])}`);
    }
    if (!Number.isInteger(i.maxLeverage) || i.maxLeverage < 1) fail(`marketInfo.maxLeverage must be an integer ≥ 1; got ${i.maxLeverage}`);
    if (!Number.isInteger(i.maxOrderLifetimeMs) || i.maxOrderLifetimeMs <= 0) fail(`marketInfo.maxOrderLifetimeMs must be a positive integer; got ${i.maxOrderLifetimeMs}`);
  },

  async 'bbo-first-frame'(c) {
    const ev = await c.until('a first market.bbo frame after subscribe', () => c.events.find((e) => e.type === 'market.bbo'));
    if (ev.type !== 'market.bbo') return;
    const { bid, ask, market } = ev.bbo;
    if (market !== c.m) fail(`market.bbo frame must name market ${c.m}; got ${market}`);
    if (!isPlainDecimal(bid) || !isPlainDecimal(ask) || !new Decimal(bid).lt(ask)) fail(`market.bbo must have bid < ask as decimal strings; got ${bid} / ${ask}`);
    if (!onGrid(bid, c.tick) || !onGrid(ask, c.tick)) fail(`market.bbo prices must sit on the tick ${c.info.tickSize}; got ${bid} / ${ask}`);
    const q = await c.v.bbo(c.m);
    if (!new Decimal(q.bid).lt(q.ask)) fail(`bbo() must have bid < ask; got ${q.bid} / ${q.ask}`);
  },

  async 'post-only-cross-canceled'(c) {
    const { ask } = await c.book();
    const o = c.order({ side: 'buy', price: c.px(ask), size: c.sz(c.qty(ask)) });
    await c.v.placeOrder(o);
    const ev = await c.orderEvent(o.clientIndex, 'final', (x) => x.status !== 'open');
    if (ev.status !== 'canceled' || ev.cancelReason !== 'post-only') {
      fail(`post-only buy at the ask ${c.px(ask)} must end canceled post-only; got ${ev.status}${ev.cancelReason ? '/' + ev.cancelReason : ''}`);
    }
    const got = await c.v.getOrder(c.m, o.clientIndex);
    if (!got || got.status !== 'canceled' || got.cancelReason !== 'post-only' || !eq(got.filledSize, 0)) {
      fail(`getOrder after a post-only cross must show canceled post-only with 0 filled; got ${JSON.stringify(got)}`);
    }
  },

  async 'post-only-passive-rests'(c) {
    const { bid } = await c.book();
    const price = bid.minus(c.tick);
    const size = c.qty(price);
    const o = c.order({ side: 'buy', price: c.px(price), size: c.sz(size) });
    await c.v.placeOrder(o);
    await c.orderEvent(o.clientIndex, 'open', (x) => x.status === 'open');
    const open = (await c.v.openOrders(c.m)).find((x) => x.clientIndex === o.clientIndex);
    if (!open) fail(`openOrders must list the resting post-only buy ${o.clientIndex}`);
    if (!eq(open.price, price) || !eq(open.size, size) || open.side !== 'buy') fail(`openOrders shows ${open.side} ${open.size} @ ${open.price}; expected buy ${c.sz(size)} @ ${c.px(price)}`);
    const got = await c.v.getOrder(c.m, o.clientIndex);
    if (!got || got.status !== 'open' || !eq(got.filledSize, 0) || got.timeInForce !== 'post-only' || got.reduceOnly) {
      fail(`getOrder of a resting post-only buy must be open, 0 filled, post-only, not reduce-only; got ${JSON.stringify(got)}`);
    }
  },

  async 'cancel-by-client-index'(c) {
    const { bid } = await c.book();
    const o = c.order({ side: 'buy', price: c.px(bid.minus(c.tick)), size: c.sz(c.qty(bid)) });
    await c.v.placeOrder(o);
    await c.orderEvent(o.clientIndex, 'open', (x) => x.status === 'open');
    await c.v.cancelOrder(c.m, o.clientIndex);
    const ev = await c.orderEvent(o.clientIndex, 'canceled', (x) => x.status !== 'open');
    if (ev.status !== 'canceled' || ev.cancelReason !== 'by-user') fail(`cancel by client index must end canceled by-user; got ${ev.status}/${ev.cancelReason}`);
    const got = await c.v.getOrder(c.m, o.clientIndex);
    if (got?.status !== 'canceled' || got.cancelReason !== 'by-user') fail(`getOrder after cancel must be canceled by-user; got ${JSON.stringify(got)}`);
    if ((await c.v.openOrders(c.m)).some((x) => x.clientIndex === o.clientIndex)) fail(`openOrders must not list canceled order ${o.clientIndex}`);
  },

  async 'duplicate-live-index'(c) {
    const { bid } = await c.book();
    const price = bid.minus(c.tick);
    const o = c.order({ side: 'buy', price: c.px(price), size: c.sz(c.qty(bid)) });
    await c.v.placeOrder(o);
    await c.orderEvent(o.clientIndex, 'open', (x) => x.status === 'open');
    await expectVenueError(c.v.placeOrder({ ...o, price: c.px(price.minus(c.tick)) }), 'duplicate-client-index', `a second placeOrder with live index ${o.clientIndex}`);
    await c.h.settle();
    const mine = (await c.v.openOrders(c.m)).filter((x) => x.clientIndex === o.clientIndex);
    if (mine.length !== 1 || !eq(mine[0].price, price)) fail(`after a duplicate index exactly the original order must rest at ${c.px(price)}; got ${JSON.stringify(mine)}`);
  },

  async 'reduce-only-when-flat'(c) {
    await c.requireFlat();
    const { ask } = await c.book();
    const price = ask.plus(c.tick);
    const o = c.order({ side: 'sell', price: c.px(price), size: c.sz(c.qty(price)), timeInForce: 'gtc', reduceOnly: true });
    try {
      await c.v.placeOrder(o);
    } catch (err) {
      if (!(isVenueError(err) && err.kind === 'rejected')) throw err;
      const got = await c.v.getOrder(c.m, o.clientIndex);
      if (got && !(got.status === 'canceled' && got.cancelReason === 'reduce-only')) fail(`a rejected reduce-only order must not be live; got ${JSON.stringify(got)}`);
      return;
    }
    const fin = await c.final(o.clientIndex);
    if (fin.status !== 'canceled' || fin.cancelReason !== 'reduce-only') fail(`a reduce-only sell when flat must end canceled reduce-only; got ${fin.status}/${fin.cancelReason}`);
    if (!(await c.positionSize()).isZero()) fail('a reduce-only order when flat must not open a position');
  },

  async 'resting-buy-filled'(c) {
    await c.requireFlat();
    const { bid } = await c.book();
    const q = c.qty(bid);
    const { order, price } = await c.buyFilledByCounterparty(q);
    const fills = c.fillsOf(order.clientIndex);
    if (fills.length !== 1) fail(`a resting buy filled by one counterparty sell must produce one order.filled; got ${fills.length}`);
    const f = fills[0];
    if (typeof f.tradeId !== 'string' || f.tradeId === '') fail(`order.filled must carry a tradeId; got ${JSON.stringify(f.tradeId)}`);
    if (f.side !== 'buy' || !eq(f.price, price) || !eq(f.size, q)) fail(`order.filled must be buy ${c.sz(q)} @ ${c.px(price)}; got ${f.side} ${f.size} @ ${f.price}`);
    if (f.liquidity !== 'maker') fail(`a resting order hit by a counterparty is maker; got ${f.liquidity}`);
    const fee = new Decimal(c.info.makerFee).times(price).times(q);
    if (!isPlainDecimal(f.fee, true) || !eq(f.fee, fee)) fail(`maker fee must be makerFee × price × size = ${fee.toFixed()}; got ${f.fee}`);
    const upd = await c.orderEvent(order.clientIndex, 'filled', (x) => x.status === 'filled');
    if (!eq(upd.filledSize, q)) fail(`order.updated filled must report filledSize ${c.sz(q)}; got ${upd.filledSize}`);
    const fi = c.events.findIndex((e) => e.type === 'order.filled' && e.fill.tradeId === f.tradeId);
    const ui = c.events.findIndex((e) => e.type === 'order.updated' && e.order.clientIndex === order.clientIndex && e.order.status === 'filled');
    if (!(fi >= 0 && fi < ui)) fail(`order.filled (#${fi}) must arrive before the order.updated that shows it filled (#${ui})`);
    await c.until(`position.updated with size ${c.sz(q)}`, () => c.events.find((e) => e.type === 'position.updated' && eq(e.position.size, q)));
    const pos = await c.v.position(c.m);
    if (!eq(pos.size, q) || !eq(pos.avgEntryPrice, price)) fail(`position must be +${c.sz(q)} @ ${c.px(price)}; got ${pos.size} @ ${pos.avgEntryPrice}`);
  },

  async 'partial-fill-then-cancel'(c) {
    await c.requireFlat();
    const { bid } = await c.book();
    const q = c.qty(bid);
    const { order } = await c.buyFilledByCounterparty(q, q.times(2));
    const mid = await c.v.getOrder(c.m, order.clientIndex);
    if (mid?.status !== 'open' || !eq(mid.filledSize, q)) fail(`after a partial fill the order must be open with ${c.sz(q)} filled; got ${JSON.stringify(mid)}`);
    await c.v.cancelOrder(c.m, order.clientIndex);
    const fin = await c.orderEvent(order.clientIndex, 'canceled', (x) => x.status !== 'open');
    if (fin.status !== 'canceled' || !eq(fin.filledSize, q)) fail(`a partially filled order canceled must end canceled keeping filledSize ${c.sz(q)}; got ${fin.status} ${fin.filledSize}`);
    const got = await c.v.getOrder(c.m, order.clientIndex);
    if (!got || !eq(got.filledSize, q) || got.status !== 'canceled') fail(`getOrder must keep filledSize ${c.sz(q)} after the cancel; got ${JSON.stringify(got)}`);
    if (!(await c.positionSize()).eq(q)) fail(`position must be +${c.sz(q)} after the partial fill`);
  },

  async 'market-reduce-only-close'(c) {
    await c.requireFlat();
    const { bid } = await c.book();
    const q = c.qty(bid);
    await c.buyFilledByCounterparty(q);
    const from = c.events.length;
    const b = await c.v.bbo(c.m);
    const worst = new Decimal(b.bid).times(0.9).div(c.tick).floor().times(c.tick);
    const o = c.order({ side: 'sell', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: c.px(worst), size: c.sz(q.times(2)) });
    await c.v.placeOrder(o);
    const fin = await c.final(o.clientIndex);
    if (!eq(fin.filledSize, q)) fail(`a reduce-only market sell of ${c.sz(q.times(2))} against +${c.sz(q)} must fill exactly ${c.sz(q)}; got ${fin.filledSize} (${fin.status})`);
    await c.until(`fills of ${o.clientIndex} totalling ${c.sz(q)}`, () => {
      const t = c.fillsOf(o.clientIndex).reduce((a, f) => a.plus(f.size), new Decimal(0));
      return t.eq(q) ? true : undefined;
    });
    for (const f of c.fillsOf(o.clientIndex)) if (f.liquidity !== 'taker') fail(`a market order's fills are taker; got ${f.liquidity} on trade ${f.tradeId}`);
    const pos = await c.positionSize();
    if (!pos.isZero()) fail(`the position must be flat after the reduce-only close; got ${pos.toFixed()}`);
    for (const e of c.events.slice(from)) {
      if (e.type === 'position.updated' && new Decimal(e.position.size).lt(0)) fail(`the position must never flip during a reduce-only close; saw ${e.position.size}`);
    }
  },

  async 'history-queries'(c) {
    await c.requireFlat();
    const { bid } = await c.book();
    const a = c.order({ side: 'buy', price: c.px(bid.minus(c.tick.times(2))), size: c.sz(c.qty(bid)) });
    await c.v.placeOrder(a);
    const opened = await c.orderEvent(a.clientIndex, 'open', (x) => x.status === 'open');
    const since = opened.createdAt;
    await c.v.cancelOrder(c.m, a.clientIndex);
    await c.orderEvent(a.clientIndex, 'canceled', (x) => x.status === 'canceled');
    const { order: b } = await c.buyFilledByCounterparty(c.qty(bid));
    const [fill] = c.fillsOf(b.clientIndex);
    const inactive = await c.until(`inactiveOrders(since ${since}) to list ${a.clientIndex} and ${b.clientIndex}`, async () => {
      const list = await c.v.inactiveOrders(c.m, since);
      return list.some((x) => x.clientIndex === a.clientIndex) && list.some((x) => x.clientIndex === b.clientIndex) ? list : undefined;
    });
    const ia = inactive.find((x) => x.clientIndex === a.clientIndex)!;
    const ib = inactive.find((x) => x.clientIndex === b.clientIndex)!;
    if (ia.status !== 'canceled' || ib.status !== 'filled') fail(`inactiveOrders must show ${a.clientIndex} canceled and ${b.clientIndex} filled; got ${ia.status}, ${ib.status}`);
    const fills = await c.v.fills(c.m, since);
    const f = fills.find((x) => x.tradeId === fill.tradeId);
    if (!f || f.clientIndex !== b.clientIndex || !eq(f.size, fill.size) || !eq(f.price, fill.price)) {
      fail(`fills(since ${since}) must include trade ${fill.tradeId} of ${b.clientIndex} (${fill.size} @ ${fill.price}); got ${JSON.stringify(fills)}`);
    }
    for (let i = 1; i < fills.length; i++) if (fills[i].time < fills[i - 1].time) fail('fills(since) must be oldest first');
    const later = await c.v.fills(c.m, fill.time + 1);
    if (later.some((x) => x.tradeId === fill.tradeId)) fail(`fills(since ${fill.time + 1}) must not include trade ${fill.tradeId} made at ${fill.time}`);
  },

  async 'get-unknown-index-null'(c) {
    const got = await c.v.getOrder(c.m, c.index());
    if (got !== null) fail(`getOrder of an index never used must be null; got ${JSON.stringify(got)}`);
  },

  async 'cancel-ended-not-active'(c) {
    const { bid } = await c.book();
    const o = c.order({ side: 'buy', price: c.px(bid.minus(c.tick)), size: c.sz(c.qty(bid)) });
    await c.v.placeOrder(o);
    await c.orderEvent(o.clientIndex, 'open', (x) => x.status === 'open');
    await c.v.cancelOrder(c.m, o.clientIndex);
    await c.orderEvent(o.clientIndex, 'canceled', (x) => x.status === 'canceled');
    await expectVenueError(c.v.cancelOrder(c.m, o.clientIndex), 'not-active', `cancel of ended order ${o.clientIndex}`);
    const unknown = c.index();
    await expectVenueError(c.v.cancelOrder(c.m, unknown), 'not-active', `cancel of never-used index ${unknown}`);
  },

  async 'off-grid-rejected'(c) {
    const { bid } = await c.book();
    const badPrice = bid.minus(c.tick.div(2));
    const size = c.qty(bid);
    const p = c.order({ side: 'buy', price: badPrice.toFixed(), size: c.sz(size) });
    const e1 = await expectVenueError(c.v.placeOrder(p), 'rejected', `an off-grid price ${badPrice.toFixed()}`);
    if (!e1.message.includes(badPrice.toFixed())) fail(`the off-grid price rejection must name the value ${badPrice.toFixed()}; got "${e1.message}"`);
    const badSize = size.plus(c.step.div(2));
    const s = c.order({ side: 'buy', price: c.px(bid.minus(c.tick)), size: badSize.toFixed() });
    const e2 = await expectVenueError(c.v.placeOrder(s), 'rejected', `an off-grid size ${badSize.toFixed()}`);
    if (!e2.message.includes(badSize.toFixed())) fail(`the off-grid size rejection must name the value ${badSize.toFixed()}; got "${e2.message}"`);
    await c.h.settle();
    for (const ci of [p.clientIndex, s.clientIndex]) {
      const got = await c.v.getOrder(c.m, ci);
      if (got !== null) fail(`a rejected order must not exist on the venue; getOrder(${ci}) = ${JSON.stringify(got)}`);
    }
  },
};
