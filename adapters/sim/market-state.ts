/**
 * One market's book inside the matching engine: synthetic background liquidity plus the
 * account's resting orders, all on integer ticks and integer size units.
 *
 * Background model: a best bid/ask and `levels` tick levels per side, each holding `depth`
 * units. Trades that take background liquidity deplete it (tracked per level) until the next
 * `setBackground`, which replenishes every level. Background is older than any account order
 * at the same price (it fills first).
 *
 * Invariants:
 * - `buys` is sorted by price descending then arrival `seq`; `sells` by price ascending then
 *   `seq`: index 0 is always the account's best order on that side (price-time priority).
 * - Only open orders with remaining size sit in `buys` / `sells`.
 * - 0 < bgBid < bgAsk.
 */
import type { CancelReason, MarketInfo, OrderStatus, OrderType, Side, TimeInForce, VenueFill } from '../types.ts';
import { D, makeScale, type Dec, type Scale } from './units.ts';
import { PositionBook, type PositionJSON } from './position.ts';
import type { SimMarketConfig } from './markets.ts';

export interface EngineOrder {
  market: string;
  clientIndex: number;
  side: Side;
  type: OrderType;
  tif: TimeInForce;
  /** Ticks. */
  price: number;
  /** Units. */
  size: number;
  filled: number;
  status: OrderStatus;
  cancelReason?: CancelReason;
  reduceOnly: boolean;
  createdAt: number;
  updatedAt: number;
  expiresAt?: number;
  /** Arrival sequence (time priority), unique per engine. */
  seq: number;
  /** Placed by hand on the account (not through the Venue port). */
  foreign: boolean;
  /** Live expiry timer id (not persisted). */
  timer?: number;
}

/** Persisted state of one market (orders are persisted by the engine). */
export interface MarketJSON {
  config: SimMarketConfig;
  bgBid: number;
  bgAsk: number;
  depth: number;
  levels: number;
  consumedBid: Array<[number, number]>;
  consumedAsk: Array<[number, number]>;
  leverage: number;
  marginOverride: { reserved: string; exposure: string } | null;
  position: PositionJSON;
  fills: VenueFill[];
}

export interface TopOfBook {
  bid: number;
  ask: number;
  bidSize: number;
  askSize: number;
}

export class MarketState {
  readonly info: MarketInfo;
  readonly symbol: string;
  readonly price: Scale;
  readonly size: Scale;
  bgBid = 0;
  bgAsk = 0;
  depth = 0;
  levels = 20;
  readonly consumedBid = new Map<number, number>();
  readonly consumedAsk = new Map<number, number>();
  readonly buys: EngineOrder[] = [];
  readonly sells: EngineOrder[] = [];
  /** Every order of this market, in arrival order (active and ended). */
  readonly orders: EngineOrder[] = [];
  readonly fills: VenueFill[] = [];
  position = new PositionBook();
  leverage: number;
  marginOverride: { reserved: string; exposure: string } | null = null;
  /** Last top of book reported on the stream. */
  lastTop: TopOfBook | null = null;
  readonly minBaseUnits: number;
  readonly minQuote: Dec;
  readonly makerRate: Dec;
  readonly takerRate: Dec;
  /** The market is touched by the current engine step (position changed). */
  dirtyPos = false;

  constructor(cfg: SimMarketConfig) {
    this.info = { ...cfg.info };
    this.symbol = cfg.info.symbol;
    this.price = makeScale(cfg.info.tickSize, 'tick');
    this.size = makeScale(cfg.info.sizeStep, 'size step');
    this.minBaseUnits = this.size.toUnits(cfg.info.minBaseSize, `market ${this.symbol} minBaseSize`);
    this.minQuote = decimalField(cfg.info.minQuoteNotional, `market ${this.symbol} minQuoteNotional`);
    this.makerRate = decimalField(cfg.info.makerFee, `market ${this.symbol} makerFee`, true);
    this.takerRate = decimalField(cfg.info.takerFee, `market ${this.symbol} takerFee`, true);
    if (!Number.isInteger(cfg.info.maxOrderLifetimeMs) || cfg.info.maxOrderLifetimeMs <= 0) {
      throw new Error(`market ${this.symbol} maxOrderLifetimeMs ${cfg.info.maxOrderLifetimeMs} must be a positive integer`);
    }
    const max = cfg.info.maxLeverage;
    if (!Number.isInteger(max) || max < 1) throw new Error(`market ${this.symbol} maxLeverage ${max} must be an integer ≥ 1`);
    this.leverage = Math.min(cfg.defaultLeverage ?? 10, max);
    this.levels = cfg.book.levels ?? 20;
    if (!Number.isInteger(this.levels) || this.levels < 1) throw new Error(`market ${this.symbol} book levels ${this.levels} must be an integer ≥ 1`);
    this.depth = this.size.toUnits(cfg.book.depth, `market ${this.symbol} book depth`);
    this.setBackground(this.price.toUnits(cfg.book.bid, 'bid'), this.price.toUnits(cfg.book.ask, 'ask'));
  }

  /** Replaces the background best bid/ask (ticks) and replenishes every level. */
  setBackground(bid: number, ask: number, depth?: number): void {
    if (!(bid > 0 && bid < ask) || !Number.isSafeInteger(bid) || !Number.isSafeInteger(ask)) {
      throw new Error(`market ${this.symbol}: book bid ${this.price.format(bid)} / ask ${this.price.format(ask)} must satisfy 0 < bid < ask`);
    }
    if (depth !== undefined) {
      if (!(depth > 0)) throw new Error(`market ${this.symbol}: book depth must be > 0`);
      this.depth = depth;
    }
    this.bgBid = bid;
    this.bgAsk = ask;
    if (this.consumedBid.size) this.consumedBid.clear();
    if (this.consumedAsk.size) this.consumedAsk.clear();
  }

  /** Background units left at price `p` on the bid ('buy') or ask ('sell') side. */
  bgRemaining(side: Side, p: number): number {
    if (side === 'buy') {
      if (p > this.bgBid || p <= this.bgBid - this.levels) return 0;
      return this.depth - (this.consumedBid.get(p) ?? 0);
    }
    if (p < this.bgAsk || p >= this.bgAsk + this.levels) return 0;
    return this.depth - (this.consumedAsk.get(p) ?? 0);
  }

  consumeBg(side: Side, p: number, units: number): void {
    const m = side === 'buy' ? this.consumedBid : this.consumedAsk;
    m.set(p, (m.get(p) ?? 0) + units);
  }

  /** Best background price with liquidity left on the bid ('buy') or ask ('sell') side. */
  bgTop(side: Side): number | undefined {
    if (side === 'buy') {
      if (this.consumedBid.size === 0) return this.bgBid;
      for (let p = this.bgBid; p > this.bgBid - this.levels && p > 0; p--) if (this.bgRemaining('buy', p) > 0) return p;
      return undefined;
    }
    if (this.consumedAsk.size === 0) return this.bgAsk;
    for (let p = this.bgAsk; p < this.bgAsk + this.levels; p++) if (this.bgRemaining('sell', p) > 0) return p;
    return undefined;
  }

  /** Background mid in ticks (may be a half tick): the mark price. */
  markTicks(): number {
    return (this.bgBid + this.bgAsk) / 2;
  }

  insertResting(o: EngineOrder): void {
    const list = o.side === 'buy' ? this.buys : this.sells;
    const better = o.side === 'buy' ? (a: EngineOrder) => a.price > o.price : (a: EngineOrder) => a.price < o.price;
    let i = 0;
    while (i < list.length && (better(list[i]) || (list[i].price === o.price && list[i].seq < o.seq))) i++;
    list.splice(i, 0, o);
  }

  removeResting(o: EngineOrder): void {
    const list = o.side === 'buy' ? this.buys : this.sells;
    const i = list.indexOf(o);
    if (i >= 0) list.splice(i, 1);
  }

  toJSON(config: SimMarketConfig): MarketJSON {
    return {
      config: structuredClone(config),
      bgBid: this.bgBid,
      bgAsk: this.bgAsk,
      depth: this.depth,
      levels: this.levels,
      consumedBid: [...this.consumedBid],
      consumedAsk: [...this.consumedAsk],
      leverage: this.leverage,
      marginOverride: this.marginOverride ? { ...this.marginOverride } : null,
      position: this.position.toJSON(),
      fills: this.fills.map((f) => ({ ...f })),
    };
  }

  /** Loads book, position, leverage and fills from `toJSON()` output (orders excluded). */
  load(j: MarketJSON): void {
    this.levels = j.levels;
    this.setBackground(j.bgBid, j.bgAsk, j.depth);
    for (const [p, q] of j.consumedBid) this.consumedBid.set(p, q);
    for (const [p, q] of j.consumedAsk) this.consumedAsk.set(p, q);
    this.leverage = j.leverage;
    this.marginOverride = j.marginOverride ? { ...j.marginOverride } : null;
    this.position = PositionBook.fromJSON(j.position);
    this.fills.push(...j.fills.map((f) => ({ ...f })));
  }

  /** Combined top of book (background + account orders). */
  top(): TopOfBook {
    const bgB = this.bgTop('buy');
    const bgA = this.bgTop('sell');
    const accB = this.buys.length ? this.buys[0].price : undefined;
    const accA = this.sells.length ? this.sells[0].price : undefined;
    let bid = bgB ?? accB ?? this.bgBid;
    if (accB !== undefined && accB > bid) bid = accB;
    let ask = bgA ?? accA ?? this.bgAsk;
    if (accA !== undefined && accA < ask) ask = accA;
    let bidSize = this.bgRemaining('buy', bid);
    for (const o of this.buys) {
      if (o.price !== bid) break;
      bidSize += o.size - o.filled;
    }
    let askSize = this.bgRemaining('sell', ask);
    for (const o of this.sells) {
      if (o.price !== ask) break;
      askSize += o.size - o.filled;
    }
    return { bid, ask, bidSize, askSize };
  }
}

function decimalField(v: string, what: string, allowNegative = false): Dec {
  const re = allowNegative ? /^-?\d+(\.\d+)?$/ : /^\d+(\.\d+)?$/;
  if (typeof v !== 'string' || !re.test(v)) throw new Error(`${what} "${String(v)}" is not a plain decimal string`);
  return new D(v);
}
