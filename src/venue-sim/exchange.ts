/**
 * The simulated exchange state behind the Lighter front-ends: the matching engine (one
 * trading account: the bot), the wire identities of its orders (order index, client order
 * index, nonce, expiry), trades, transactions, block height, and the translation of
 * engine events into wire objects for the WebSocket hub.
 *
 * Invariants:
 * - Every engine order is registered (`LogicalOrder`) BEFORE it reaches the engine, so
 *   each engine event can be turned into wire objects at once, in processing order.
 * - Engine client index = wire client order index, except for COI 0 and modify, which get
 *   internal indexes counted down from 2^48 − 1 (never reported on the wire).
 * - Client order indexes are unique per account for ever (21728), as in the engine.
 * - Events are queued and delivered to `onEvents` in one batch per microtask; every engine
 *   event also marks its market's book dirty (`onBookDirty`) synchronously.
 * - `toJSON()` / `restored` round-trip everything above (engine, wire identities incl. the
 *   remapped engine indexes, trades, transactions, counters) as plain JSON; events still
 *   queued for the current microtask are not part of the state.
 */
import { HAND_TRADE_INDEX, MAX_CLIENT_INDEX, MatchingEngine, type EngineSink, type EngineState, type SimMarketConfig } from '../../adapters/sim/index.ts';
import type { VenueOrder, VenueStreamEvent } from '../../adapters/types.ts';
import type { WireOrder, WirePosition, WireTrade } from '../../adapters/lighter/types.ts';
import { MIN_ORDER_INDEX } from '../../adapters/lighter/constants.ts';
import { Dec, type DecValue } from '../domain/decimal.ts';
import type { Clock } from '../runtime/clock.ts';
import { SimAccounts } from './accounts.ts';
import { SimMarkets, type SimMarket } from './markets.ts';
import { wireOrder, wirePosition, wireTrade, type LogicalOrder, type WireTx } from './wire.ts';
import { createHash } from 'node:crypto';

export type ExchangeEvent =
  | { kind: 'order'; account: number; marketIndex: number; order: WireOrder }
  | { kind: 'trade'; marketIndex: number; trade: WireTrade; accounts: number[] }
  | { kind: 'position'; account: number; marketIndex: number; position: WirePosition }
  | { kind: 'tx'; account: number; tx: WireTx }
  | { kind: 'height'; height: number };

export interface ExchangeOptions {
  clock: Clock;
  markets: SimMarketConfig[];
  accounts: SimAccounts;
  botAccount: number;
  seed: number;
  backgroundAccountIndex: number;
  /** State from `toJSON()` (markets then come from its engine state). */
  restored?: ExchangeState;
}

/** A LogicalOrder as JSON: the market by index, the filled quote as a decimal string. */
export type LogicalOrderJSON = Omit<LogicalOrder, 'market' | 'filledQuote'> & { marketIndex: number; filledQuote: string };

export interface ExchangeState {
  startedAt: number;
  height: number;
  hashSeq: number;
  nextOrderIndex: number;
  nextInternalCi: number;
  trades: WireTrade[];
  txs: WireTx[];
  /** Every logical order in arrival order. */
  orders: LogicalOrderJSON[];
  /** Engine client index → order index (also the retired incarnations of modified orders). */
  engineIndex: Array<[number, number]>;
  /** Wire client order index → order index. */
  coiIndex: Array<[number, number]>;
  suppressed: number[];
  engine: EngineState;
}

export class SimExchange implements EngineSink {
  readonly clock: Clock;
  readonly markets: SimMarkets;
  readonly accounts: SimAccounts;
  readonly engine: MatchingEngine;
  readonly bot: number;
  readonly seed: number;
  readonly backgroundAccount: number;
  readonly startedAt: number;
  height = 1;
  onEvents: (events: ExchangeEvent[]) => void = () => undefined;
  onBookDirty: (marketIndex: number) => void = () => undefined;
  readonly trades: WireTrade[] = [];
  readonly txs: WireTx[] = [];
  readonly txByHash = new Map<string, WireTx>();
  /** Tx hash credited with the trades of the step in progress. */
  currentTxHash: string | null = null;
  private readonly byEngineCi = new Map<number, LogicalOrder>();
  private readonly byCoi = new Map<number, LogicalOrder>();
  private readonly byOrderIndex = new Map<number, LogicalOrder>();
  /** Every logical order in arrival order. */
  readonly orders: LogicalOrder[] = [];
  private readonly suppressed = new Set<number>();
  private nextOrderIndex = Number(MIN_ORDER_INDEX) + 1;
  private nextInternalCi = MAX_CLIENT_INDEX;
  private hashSeq = 0;
  private pending: ExchangeEvent[] = [];
  private flushQueued = false;

  constructor(opts: ExchangeOptions) {
    this.clock = opts.clock;
    this.markets = new SimMarkets(opts.markets);
    this.accounts = opts.accounts;
    this.bot = opts.botAccount;
    this.seed = opts.seed;
    this.backgroundAccount = opts.backgroundAccountIndex;
    this.accounts.require(this.bot);
    const r = opts.restored;
    if (!r) {
      this.startedAt = opts.clock.now();
      this.engine = new MatchingEngine({ clock: opts.clock, markets: opts.markets, sink: this });
      return;
    }
    this.startedAt = r.startedAt;
    this.engine = MatchingEngine.restore(r.engine, opts.clock, this);
    this.height = r.height;
    this.hashSeq = r.hashSeq;
    this.nextOrderIndex = r.nextOrderIndex;
    this.nextInternalCi = r.nextInternalCi;
    this.trades.push(...structuredClone(r.trades));
    for (const t of r.txs) {
      const tx = { ...t };
      this.txs.push(tx);
      this.txByHash.set(tx.hash, tx);
    }
    for (const j of r.orders) {
      const { marketIndex, filledQuote, ...rest } = j;
      const lo: LogicalOrder = { ...rest, market: this.markets.get(marketIndex), filledQuote: new Dec(filledQuote) };
      this.orders.push(lo);
      this.byOrderIndex.set(lo.orderIndex, lo);
    }
    const order = (oi: number): LogicalOrder => {
      const lo = this.byOrderIndex.get(oi);
      if (!lo) throw new Error(`sim exchange state: index names order ${oi}, which is not in the state`);
      return lo;
    };
    for (const [ci, oi] of r.engineIndex) this.byEngineCi.set(ci, order(oi));
    for (const [coi, oi] of r.coiIndex) this.byCoi.set(coi, order(oi));
    for (const ci of r.suppressed) this.suppressed.add(ci);
  }

  /** The exchange state as plain JSON (see the header). */
  toJSON(): ExchangeState {
    const orderIndexOf = (lo: LogicalOrder) => lo.orderIndex;
    return {
      startedAt: this.startedAt,
      height: this.height,
      hashSeq: this.hashSeq,
      nextOrderIndex: this.nextOrderIndex,
      nextInternalCi: this.nextInternalCi,
      trades: structuredClone(this.trades),
      txs: this.txs.map((t) => ({ ...t })),
      orders: this.orders.map(({ market, filledQuote, ...rest }) => ({ ...rest, marketIndex: market.marketIndex, filledQuote: filledQuote.toFixed() })),
      engineIndex: [...this.byEngineCi].map(([ci, lo]) => [ci, orderIndexOf(lo)]),
      coiIndex: [...this.byCoi].map(([coi, lo]) => [coi, orderIndexOf(lo)]),
      suppressed: [...this.suppressed],
      engine: this.engine.toJSON(),
    };
  }

  /** Cancels the expiry timers the engine armed for resting orders (server close). */
  disarmEngine(): void {
    for (const m of this.markets.list) {
      for (const o of this.engine.book(m.symbol).orders) {
        if (o.timer === undefined) continue;
        this.clock.clearTimeout(o.timer);
        delete o.timer;
      }
    }
  }

  // ------------------------------------------------------------------ identities

  /** A deterministic 80-hex pseudo tx hash (the real one is Poseidon2; treat as opaque). */
  newTxHash(parts: string): string {
    const n = ++this.hashSeq;
    const a = createHash('sha256').update(`${this.seed}:${n}:${parts}`).digest('hex');
    const b = createHash('sha256').update(`${a}:${n}`).digest('hex');
    return (a + b).slice(0, 80);
  }

  newOrderIndex(): number {
    return this.nextOrderIndex++;
  }

  /** Registers a bot order before it reaches the engine; returns it with its engine index. */
  register(m: SimMarket, coi: number, fields: { nonce: number; orderExpiry: number; txHash: string }): LogicalOrder {
    const engineCi = coi > 0 && !this.byEngineCi.has(coi) ? coi : this.internalCi();
    const lo: LogicalOrder = {
      orderIndex: this.newOrderIndex(),
      coi,
      engineCi,
      market: m,
      account: this.bot,
      nonce: fields.nonce,
      orderExpiry: fields.orderExpiry,
      txHash: fields.txHash,
      createdAt: this.clock.now(),
      filledBefore: 0,
      filledQuote: new Dec(0),
      blockHeight: this.height,
    };
    this.byEngineCi.set(engineCi, lo);
    if (coi > 0) this.byCoi.set(coi, lo);
    this.byOrderIndex.set(lo.orderIndex, lo);
    this.orders.push(lo);
    return lo;
  }

  /** Undoes `register` when the engine refused the order. */
  unregister(lo: LogicalOrder): void {
    this.byEngineCi.delete(lo.engineCi);
    if (lo.coi > 0 && this.byCoi.get(lo.coi) === lo) this.byCoi.delete(lo.coi);
    this.byOrderIndex.delete(lo.orderIndex);
    const i = this.orders.lastIndexOf(lo);
    if (i >= 0) this.orders.splice(i, 1);
  }

  /** Gives a modified order a fresh engine incarnation. */
  reincarnate(lo: LogicalOrder, filledUnits: number): void {
    this.suppressed.add(lo.engineCi);
    lo.filledBefore += filledUnits;
    lo.engineCi = this.internalCi();
    this.byEngineCi.set(lo.engineCi, lo);
  }

  hasCoi(coi: number): boolean {
    return this.byCoi.has(coi);
  }

  /** Lighter's Cancel/Modify `Index`: a client order index (< 2^48) or an order index. */
  lookup(index: number): LogicalOrder | undefined {
    return index < Number(MIN_ORDER_INDEX) ? this.byCoi.get(index) : this.byOrderIndex.get(index);
  }

  byEngine(ci: number): LogicalOrder | undefined {
    return this.byEngineCi.get(ci);
  }

  engineOrder(lo: LogicalOrder): VenueOrder | null {
    return this.engine.getOrder(lo.market.symbol, lo.engineCi);
  }

  wireOrderOf(lo: LogicalOrder): WireOrder | null {
    const v = this.engineOrder(lo);
    return v ? wireOrder(lo, v, this.clock.now()) : null;
  }

  private internalCi(): number {
    while (this.byEngineCi.has(this.nextInternalCi) || this.byCoi.has(this.nextInternalCi) || this.suppressed.has(this.nextInternalCi)) this.nextInternalCi--;
    return this.nextInternalCi--;
  }

  // ------------------------------------------------------------------ market facts

  mark(m: SimMarket): DecValue {
    const ms = this.engine.book(m.symbol);
    return new Dec(ms.price.format(ms.bgBid + ms.bgAsk)).div(2);
  }

  position(m: SimMarket): WirePosition {
    const open = this.engine.openOrders(m.symbol).length;
    return wirePosition(m, this.engine.position(m.symbol), this.mark(m), open);
  }

  lastTradePrice(m: SimMarket): string | undefined {
    for (let i = this.trades.length - 1; i >= 0; i--) if (this.trades[i]!.market_id === m.marketIndex) return this.trades[i]!.price;
    return undefined;
  }

  // ------------------------------------------------------------------ events

  watching(): boolean {
    return true;
  }

  event(symbol: string, ev: VenueStreamEvent): void {
    const m = this.markets.get(symbol);
    this.onBookDirty(m.marketIndex);
    if (ev.type === 'order.filled') {
      const f = ev.fill;
      const lo = f.clientIndex === HAND_TRADE_INDEX ? undefined : this.byEngineCi.get(f.clientIndex);
      if (lo) lo.filledQuote = lo.filledQuote.plus(new Dec(f.price).times(f.size));
      const ours = lo ? { orderIndex: lo.orderIndex, coi: lo.coi, account: this.bot } : { orderIndex: this.newOrderIndex(), coi: 0, account: this.bot };
      const other = { orderIndex: this.newOrderIndex(), coi: 0, account: this.backgroundAccount };
      const txHash = this.currentTxHash ?? this.newTxHash(`trade:${f.tradeId}`);
      const trade = wireTrade(m, f, ours, other, { tradeId: Number(f.tradeId), txHash, blockHeight: this.height });
      this.trades.push(trade);
      this.push({ kind: 'trade', marketIndex: m.marketIndex, trade, accounts: [this.bot] });
    } else if (ev.type === 'order.updated') {
      const ci = ev.order.clientIndex;
      if (this.suppressed.delete(ci)) return;
      const lo = this.byEngineCi.get(ci);
      if (!lo) throw new Error(`sim exchange: engine order ${ci} on ${symbol} has no wire identity (register before placing)`);
      this.push({ kind: 'order', account: this.bot, marketIndex: m.marketIndex, order: wireOrder(lo, ev.order, this.clock.now()) });
    } else if (ev.type === 'position.updated') {
      this.push({ kind: 'position', account: this.bot, marketIndex: m.marketIndex, position: this.position(m) });
    }
  }

  push(e: ExchangeEvent): void {
    this.pending.push(e);
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const batch = this.pending;
      this.pending = [];
      if (batch.length) this.onEvents(batch);
    });
  }

  recordTx(tx: WireTx): void {
    this.txs.push(tx);
    this.txByHash.set(tx.hash, tx);
    this.push({ kind: 'tx', account: tx.account_index, tx });
  }

  bumpHeight(): void {
    this.height += 1;
    this.push({ kind: 'height', height: this.height });
  }
}
