/**
 * Deterministic matching engine: one account (the bot's) against synthetic background
 * liquidity, per market, on integer ticks and integer size units. Synchronous: every call
 * does all its work before returning and reports what happened through `sink.event` in
 * processing order. `SimVenue` wraps it with the async Venue port and fault hooks; the
 * protocol front-ends (src/venue-sim) may wrap it too.
 *
 * Rules:
 * - Prices/sizes arrive as decimal strings and must sit on the market grid (else rejected).
 * - Client indexes are unique per ACCOUNT for ever: re-using the index of a live or ended
 *   order is 'duplicate-client-index' (the engine never forgets an order).
 * - reduce-only that cannot reduce on arrival → accepted, then canceled 'reduce-only'.
 *   Any reduce-only fill is capped at the position; if the cap stops it, the remainder is
 *   canceled 'reduce-only'.
 * - post-only that would cross the combined book (background or own orders) on arrival →
 *   accepted, then canceled 'post-only'.
 * - market and limit-IOC orders take background liquidity only (never the account's own
 *   orders) up to `price`; the remainder is canceled 'ioc-unfilled'. Limit GTC orders take
 *   background liquidity up to their price, then rest (no self-trade check against the
 *   account's own opposite orders: such a book may be self-crossed).
 * - A background move through an account order fills it completely as maker at its price.
 * - Events per step: for each order touched, its `order.filled` events, then its
 *   `order.updated`; then one `position.updated` if the position changed; then `market.bbo`
 *   if the combined top of book changed.
 */
import type { Clock } from '../../src/runtime/clock.ts';
import {
  VenueError,
  type Bbo,
  type CancelReason,
  type MarketInfo,
  type PlaceOrderRequest,
  type Side,
  type VenueFill,
  type VenueOrder,
  type VenuePosition,
  type VenueStreamEvent,
} from '../types.ts';
import { MarketState, type EngineOrder, type MarketJSON } from './market-state.ts';
import type { SimMarketConfig } from './markets.ts';
import { bboView, feeString, orderView, positionView } from './views.ts';

export const MAX_CLIENT_INDEX = 2 ** 48 - 1;
/** Client index of fills of trades made by hand on the account (no order of ours). */
export const HAND_TRADE_INDEX = 0;

export interface EngineSink {
  event(market: string, event: VenueStreamEvent): void;
  /** False lets the engine skip building events nobody listens to (BBO hot path). */
  watching(market: string): boolean;
}

export interface CounterpartyResult {
  /** Total base size the counterparty traded (background + account). */
  filledSize: string;
  /** Fills of the account's orders it produced. */
  accountFills: VenueFill[];
}

type OrderJSON = Omit<EngineOrder, 'timer'>;

export interface EngineState {
  version: 1;
  seq: number;
  tradeSeq: number;
  foreignSeq: number;
  markets: MarketJSON[];
  orders: OrderJSON[];
}

const SIDES = new Set(['buy', 'sell']);
const TYPES = new Set(['limit', 'market']);
const TIFS = new Set(['gtc', 'post-only', 'ioc']);
const NULL_SINK: EngineSink = { event: () => undefined, watching: () => false };

export class MatchingEngine {
  private readonly clock: Clock;
  private readonly books = new Map<string, MarketState>();
  private readonly configs = new Map<string, SimMarketConfig>();
  private readonly byIndex = new Map<number, EngineOrder>();
  sink: EngineSink;
  private seq = 0;
  private tradeSeq = 0;
  /** Next index handed to hand-placed (foreign) orders without one. */
  foreignSeq = 1;

  constructor(opts: { clock: Clock; markets: SimMarketConfig[]; sink?: EngineSink }) {
    this.clock = opts.clock;
    this.sink = opts.sink ?? NULL_SINK;
    for (const cfg of opts.markets) {
      const sym = cfg.info.symbol;
      if (this.books.has(sym)) throw new Error(`market ${sym} is configured twice`);
      this.books.set(sym, new MarketState(cfg));
      this.configs.set(sym, structuredClone(cfg));
    }
  }

  // ---------------------------------------------------------------- queries

  markets(): string[] {
    return [...this.books.keys()];
  }

  book(market: string): MarketState {
    const ms = this.books.get(market);
    if (!ms) throw new VenueError('rejected', `unknown market "${market}"; known: ${[...this.books.keys()].join(', ')}`, { reason: 'unknown-market' });
    return ms;
  }

  marketInfo(market: string): MarketInfo {
    return { ...this.book(market).info };
  }

  getOrder(market: string, clientIndex: number): VenueOrder | null {
    const ms = this.book(market);
    const o = this.byIndex.get(clientIndex);
    return o && o.market === ms.symbol ? orderView(ms, o) : null;
  }

  openOrders(market: string): VenueOrder[] {
    const ms = this.book(market);
    return ms.orders.filter((o) => o.status === 'open').map((o) => orderView(ms, o));
  }

  allOrders(market: string): VenueOrder[] {
    const ms = this.book(market);
    return ms.orders.map((o) => orderView(ms, o));
  }

  inactiveOrders(market: string, since: number): VenueOrder[] {
    const ms = this.book(market);
    return ms.orders.filter((o) => o.status !== 'open' && o.updatedAt >= since).map((o) => orderView(ms, o));
  }

  fills(market: string, since: number): VenueFill[] {
    return this.book(market).fills.filter((f) => f.time >= since).map((f) => ({ ...f }));
  }

  position(market: string): VenuePosition {
    return positionView(this.book(market));
  }

  bbo(market: string): Bbo {
    const ms = this.book(market);
    return bboView(ms, ms.top(), this.clock.now());
  }

  // ---------------------------------------------------------------- account actions

  /** Places an order for the account. Returns the order as it stands after matching. */
  place(req: PlaceOrderRequest, opts: { foreign?: boolean } = {}): VenueOrder {
    const ms = this.book(req.market);
    const o = this.admit(ms, req, opts.foreign ?? false);
    const pos = ms.position;
    if (o.reduceOnly && pos.reducible(o.side) === 0) {
      this.end(ms, o, 'reduce-only');
    } else if (o.tif === 'post-only' && this.crosses(ms, o)) {
      this.end(ms, o, 'post-only');
    } else {
      const stop = this.takeBackground(ms, o);
      if (o.filled === o.size) this.end(ms, o);
      else if (stop === 'reduce') this.end(ms, o, 'reduce-only');
      else if (o.type === 'market' || o.tif === 'ioc') this.end(ms, o, 'ioc-unfilled');
      else {
        ms.insertResting(o);
        this.armExpiry(ms, o);
      }
    }
    this.emitOrder(ms, o);
    this.endStep(ms);
    return orderView(ms, o);
  }

  cancel(market: string, clientIndex: number, reason: CancelReason = 'by-user'): VenueOrder {
    const ms = this.book(market);
    const o = this.byIndex.get(clientIndex);
    if (!o || o.market !== ms.symbol || o.status !== 'open') {
      const what = !o || o.market !== ms.symbol ? 'unknown' : `${o.status}${o.cancelReason ? ` (${o.cancelReason})` : ''}`;
      throw new VenueError('not-active', `order ${clientIndex} is not active on ${market}: ${what}`, { reason: 'not-active' });
    }
    this.end(ms, o, reason);
    this.emitOrder(ms, o);
    this.endStep(ms);
    return orderView(ms, o);
  }

  setLeverage(market: string, leverage: number): number {
    const ms = this.book(market);
    if (!Number.isInteger(leverage) || leverage < 1) {
      throw new VenueError('rejected', `leverage ${leverage} must be an integer ≥ 1`, { reason: 'invalid-leverage' });
    }
    ms.leverage = Math.min(leverage, ms.info.maxLeverage);
    ms.dirtyPos = true;
    this.endStep(ms);
    return ms.leverage;
  }

  // ---------------------------------------------------------------- test control

  /** Moves the background book (decimal strings); account orders traded through fill as maker. */
  setBook(market: string, bid: string, ask: string, depth?: string): void {
    const ms = this.book(market);
    const d = depth === undefined ? undefined : ms.size.toUnits(depth, 'depth');
    this.setBookTicks(market, ms.price.toUnits(bid, 'bid'), ms.price.toUnits(ask, 'ask'), d);
  }

  /** Hot path of `setBook` in integer ticks. */
  setBookTicks(market: string, bid: number, ask: number, depthUnits?: number): void {
    const ms = this.books.get(market) ?? this.book(market);
    ms.setBackground(bid, ask, depthUnits);
    while (ms.buys.length > 0 && ms.buys[0].price >= ms.bgAsk) this.tradeThrough(ms, ms.buys[0]);
    while (ms.sells.length > 0 && ms.sells[0].price <= ms.bgBid) this.tradeThrough(ms, ms.sells[0]);
    this.endStep(ms);
  }

  /**
   * A counterparty order of `side` sweeping the book in price-time priority, background
   * first at equal price, INCLUDING the account's resting orders. `limitPrice` bounds it
   * (sell: not below, buy: not above); without it the sweep may use every background level.
   */
  counterpartyTrade(market: string, side: Side, size: string, limitPrice?: string): CounterpartyResult {
    const ms = this.book(market);
    if (!SIDES.has(side)) throw new Error(`counterparty side "${String(side)}" must be buy or sell`);
    let rem = ms.size.toUnits(size, 'counterparty size');
    const limit = limitPrice === undefined ? undefined : ms.price.toUnits(limitPrice, 'counterparty limit price');
    const bookSide: Side = side === 'sell' ? 'buy' : 'sell';
    const list = side === 'sell' ? ms.buys : ms.sells;
    const before = ms.fills.length;
    let traded = 0;
    while (rem > 0) {
      const bg = ms.bgTop(bookSide);
      const acc = list[0];
      let p = bg;
      if (acc && (p === undefined || (side === 'sell' ? acc.price > p : acc.price < p))) p = acc.price;
      if (p === undefined) break;
      if (limit !== undefined && (side === 'sell' ? p < limit : p > limit)) break;
      if (bg === p) {
        const q = Math.min(rem, ms.bgRemaining(bookSide, p));
        ms.consumeBg(bookSide, p, q);
        rem -= q;
        traded += q;
        continue;
      }
      let q = Math.min(rem, acc.size - acc.filled);
      if (acc.reduceOnly) q = Math.min(q, ms.position.reducible(acc.side));
      if (q > 0) {
        this.fillOrder(ms, acc, q, acc.price, 'maker');
        rem -= q;
        traded += q;
      }
      this.afterMakerFill(ms, acc);
    }
    this.endStep(ms);
    return { filledSize: ms.size.format(traded), accountFills: ms.fills.slice(before).map((f) => ({ ...f })) };
  }

  /**
   * A counterparty trades directly against one resting account order (as maker, at its
   * price), whatever the rest of the book: `size` defaults to its whole remaining size.
   */
  counterpartyFill(market: string, clientIndex: number, size?: string): VenueFill[] {
    const ms = this.book(market);
    const o = this.byIndex.get(clientIndex);
    if (!o || o.market !== ms.symbol || o.status !== 'open') {
      throw new VenueError('not-active', `order ${clientIndex} is not resting on ${market}`, { reason: 'not-active' });
    }
    const left = o.size - o.filled;
    const want = size === undefined ? left : ms.size.toUnits(size, 'size');
    if (want <= 0 || want > left) throw new Error(`counterpartyFill size ${size} must be in (0, ${ms.size.format(left)}] for order ${clientIndex}`);
    const before = ms.fills.length;
    const q = o.reduceOnly ? Math.min(want, ms.position.reducible(o.side)) : want;
    if (q > 0) this.fillOrder(ms, o, q, o.price, 'maker');
    this.afterMakerFill(ms, o);
    this.endStep(ms);
    return ms.fills.slice(before).map((f) => ({ ...f }));
  }

  /** A market trade made by hand on the account (client index 0), taking background liquidity. */
  accountMarketTrade(market: string, side: Side, size: string): VenueFill[] {
    const ms = this.book(market);
    let rem = ms.size.toUnits(size, 'size');
    const before = ms.fills.length;
    const bookSide: Side = side === 'buy' ? 'sell' : 'buy';
    while (rem > 0) {
      const p = ms.bgTop(bookSide);
      if (p === undefined) break;
      const q = Math.min(rem, ms.bgRemaining(bookSide, p));
      ms.consumeBg(bookSide, p, q);
      this.fill(ms, side, HAND_TRADE_INDEX, q, p, 'taker');
      rem -= q;
    }
    this.endStep(ms);
    return ms.fills.slice(before).map((f) => ({ ...f }));
  }

  /** Overrides the reserved margin / exposure the position reports (null restores the model). */
  setReportedMargin(market: string, reserved: string | null, exposure?: string): void {
    const ms = this.book(market);
    if (reserved === null) ms.marginOverride = null;
    else {
      for (const [k, v] of [['reserved', reserved], ['exposure', exposure]] as const) {
        if (typeof v !== 'string' || !/^\d+(\.\d+)?$/.test(v)) throw new Error(`setReportedMargin ${k} "${String(v)}" must be a non-negative decimal string`);
      }
      ms.marginOverride = { reserved, exposure: exposure as string };
    }
    ms.dirtyPos = true;
    this.endStep(ms);
  }

  nextForeignIndex(): number {
    while (this.byIndex.has(this.foreignSeq)) this.foreignSeq++;
    return this.foreignSeq++;
  }

  // ---------------------------------------------------------------- internals

  private admit(ms: MarketState, req: PlaceOrderRequest, foreign: boolean): EngineOrder {
    const ci = req.clientIndex;
    if (!Number.isSafeInteger(ci) || ci < 1 || ci > MAX_CLIENT_INDEX) {
      throw new VenueError('rejected', `client index ${ci} is outside 1..${MAX_CLIENT_INDEX}`, { reason: 'invalid-client-index' });
    }
    const prior = this.byIndex.get(ci);
    if (prior) {
      throw new VenueError('duplicate-client-index', `client index ${ci} already used by a ${prior.status} order on ${prior.market}`, { reason: 'duplicate-client-index' });
    }
    if (!SIDES.has(req.side)) throw new VenueError('rejected', `side "${String(req.side)}" must be buy or sell`, { reason: 'invalid-side' });
    if (!TYPES.has(req.type)) throw new VenueError('rejected', `order type "${String(req.type)}" must be limit or market`, { reason: 'invalid-type' });
    if (!TIFS.has(req.timeInForce)) throw new VenueError('rejected', `timeInForce "${String(req.timeInForce)}" must be gtc, post-only or ioc`, { reason: 'invalid-tif' });
    if (req.type === 'market' && req.timeInForce !== 'ioc') {
      throw new VenueError('rejected', `a market order needs timeInForce ioc, got ${req.timeInForce}`, { reason: 'invalid-tif' });
    }
    const price = ms.price.toUnits(req.price, 'price');
    const size = ms.size.toUnits(req.size, 'size');
    if (price <= 0) throw new VenueError('rejected', `price ${req.price} must be > 0`, { reason: 'invalid-price' });
    if (size <= 0) throw new VenueError('rejected', `size ${req.size} must be > 0`, { reason: 'invalid-size' });
    if (!req.reduceOnly) {
      if (size < ms.minBaseUnits) {
        throw new VenueError('rejected', `size ${req.size} is below the minimum base size ${ms.info.minBaseSize}`, { reason: 'below-minimum' });
      }
      const notional = ms.price.dec(price).times(ms.size.dec(size));
      if (notional.lessThan(ms.minQuote)) {
        throw new VenueError('rejected', `notional ${notional.toFixed()} (size ${req.size} × price ${req.price}) is below the minimum ${ms.info.minQuoteNotional}`, { reason: 'below-minimum' });
      }
    }
    const now = this.clock.now();
    let expiresAt: number | undefined;
    if (req.type === 'limit' && req.timeInForce !== 'ioc') {
      const maxAt = now + ms.info.maxOrderLifetimeMs;
      if (req.expiresAt === undefined) expiresAt = maxAt;
      else if (!Number.isSafeInteger(req.expiresAt) || req.expiresAt <= now || req.expiresAt > maxAt) {
        throw new VenueError('rejected', `expiresAt ${req.expiresAt} must be an integer in (${now}, ${maxAt}] (now + max lifetime ${ms.info.maxOrderLifetimeMs} ms)`, { reason: 'invalid-expiry' });
      } else expiresAt = req.expiresAt;
    }
    const o: EngineOrder = {
      market: ms.symbol,
      clientIndex: ci,
      side: req.side,
      type: req.type,
      tif: req.timeInForce,
      price,
      size,
      filled: 0,
      status: 'open',
      reduceOnly: req.reduceOnly === true,
      createdAt: now,
      updatedAt: now,
      seq: ++this.seq,
      foreign,
    };
    if (expiresAt !== undefined) o.expiresAt = expiresAt;
    this.byIndex.set(ci, o);
    ms.orders.push(o);
    return o;
  }

  private crosses(ms: MarketState, o: EngineOrder): boolean {
    const t = ms.top();
    return o.side === 'buy' ? o.price >= t.ask : o.price <= t.bid;
  }

  /** Takes background liquidity for an arriving account order. */
  private takeBackground(ms: MarketState, o: EngineOrder): 'done' | 'limit' | 'reduce' {
    const bookSide: Side = o.side === 'buy' ? 'sell' : 'buy';
    while (o.filled < o.size) {
      const p = ms.bgTop(bookSide);
      if (p === undefined || (o.side === 'buy' ? p > o.price : p < o.price)) return 'limit';
      let q = Math.min(o.size - o.filled, ms.bgRemaining(bookSide, p));
      if (o.reduceOnly) {
        const cap = ms.position.reducible(o.side);
        if (cap === 0) return 'reduce';
        q = Math.min(q, cap);
      }
      ms.consumeBg(bookSide, p, q);
      this.fillOrder(ms, o, q, p, 'taker');
    }
    return 'done';
  }

  /** The background moved through a resting account order: fill it all as maker. */
  private tradeThrough(ms: MarketState, o: EngineOrder): void {
    let q = o.size - o.filled;
    if (o.reduceOnly) q = Math.min(q, ms.position.reducible(o.side));
    if (q > 0) this.fillOrder(ms, o, q, o.price, 'maker');
    this.afterMakerFill(ms, o);
  }

  /** Status bookkeeping of a resting order after a (possibly capped or empty) maker fill. */
  private afterMakerFill(ms: MarketState, o: EngineOrder): void {
    if (o.filled === o.size) this.end(ms, o);
    else if (o.reduceOnly && ms.position.reducible(o.side) === 0) this.end(ms, o, 'reduce-only');
    this.emitOrder(ms, o);
  }

  private fillOrder(ms: MarketState, o: EngineOrder, units: number, price: number, liquidity: 'maker' | 'taker'): void {
    o.filled += units;
    o.updatedAt = this.clock.now();
    this.fill(ms, o.side, o.clientIndex, units, price, liquidity);
  }

  private fill(ms: MarketState, side: Side, clientIndex: number, units: number, price: number, liquidity: 'maker' | 'taker'): void {
    const qty = ms.size.dec(units);
    const px = ms.price.dec(price);
    const fee = px.times(qty).times(liquidity === 'maker' ? ms.makerRate : ms.takerRate);
    ms.position.apply(side, units, qty, px, fee);
    ms.dirtyPos = true;
    const f: VenueFill = {
      market: ms.symbol,
      tradeId: String(++this.tradeSeq),
      clientIndex,
      side,
      price: ms.price.format(price),
      size: ms.size.format(units),
      fee: feeString(fee),
      liquidity,
      time: this.clock.now(),
    };
    ms.fills.push(f);
    this.sink.event(ms.symbol, { type: 'order.filled', fill: { ...f } });
  }

  /** Ends an order: filled when `reason` is omitted, else canceled with that reason. */
  private end(ms: MarketState, o: EngineOrder, reason?: CancelReason): void {
    if (o.status !== 'open') return;
    o.status = reason === undefined ? 'filled' : 'canceled';
    if (reason !== undefined) o.cancelReason = reason;
    o.updatedAt = this.clock.now();
    ms.removeResting(o);
    if (o.timer !== undefined) {
      this.clock.clearTimeout(o.timer);
      delete o.timer;
    }
  }

  private armExpiry(ms: MarketState, o: EngineOrder): void {
    if (o.expiresAt === undefined || o.status !== 'open') return;
    o.timer = this.clock.setTimeout(() => {
      delete o.timer;
      if (o.status !== 'open') return;
      this.end(ms, o, 'expired');
      this.emitOrder(ms, o);
      this.endStep(ms);
    }, Math.max(0, o.expiresAt - this.clock.now()));
  }

  private emitOrder(ms: MarketState, o: EngineOrder): void {
    this.sink.event(ms.symbol, { type: 'order.updated', order: orderView(ms, o) });
  }

  private endStep(ms: MarketState): void {
    if (ms.dirtyPos) {
      ms.dirtyPos = false;
      this.sink.event(ms.symbol, { type: 'position.updated', position: positionView(ms) });
    }
    const t = ms.top();
    const l = ms.lastTop;
    if (l && l.bid === t.bid && l.ask === t.ask && l.bidSize === t.bidSize && l.askSize === t.askSize) return;
    ms.lastTop = t;
    if (this.sink.watching(ms.symbol)) this.sink.event(ms.symbol, { type: 'market.bbo', bbo: bboView(ms, t, this.clock.now()) });
  }

  // ---------------------------------------------------------------- persistence

  toJSON(): EngineState {
    const markets: EngineState['markets'] = [];
    const orders: OrderJSON[] = [];
    for (const [sym, ms] of this.books) {
      markets.push(ms.toJSON(this.configs.get(sym)!));
      for (const o of ms.orders) {
        const { timer: _t, ...rest } = o;
        orders.push({ ...rest });
      }
    }
    orders.sort((a, b) => a.seq - b.seq);
    return { version: 1, seq: this.seq, tradeSeq: this.tradeSeq, foreignSeq: this.foreignSeq, markets, orders };
  }

  /** Rebuilds an engine from `toJSON()` output; open orders' expiry timers are re-armed on `clock`. */
  static restore(state: EngineState, clock: Clock, sink?: EngineSink): MatchingEngine {
    if (!state || state.version !== 1) throw new Error(`unsupported sim engine state version ${String(state?.version)}; expected 1`);
    const e = new MatchingEngine({ clock, markets: state.markets.map((m) => m.config), sink });
    e.seq = state.seq;
    e.tradeSeq = state.tradeSeq;
    e.foreignSeq = state.foreignSeq;
    for (const m of state.markets) {
      e.book(m.config.info.symbol).load(m);
    }
    for (const j of state.orders) {
      const ms = e.book(j.market);
      const o: EngineOrder = { ...j };
      e.byIndex.set(o.clientIndex, o);
      ms.orders.push(o);
      if (o.status === 'open') {
        ms.insertResting(o);
        e.armExpiry(ms, o);
      }
    }
    for (const ms of e.books.values()) ms.lastTop = ms.top();
    return e;
  }
}

