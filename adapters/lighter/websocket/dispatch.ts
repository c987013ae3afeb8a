/**
 * Routes parsed Lighter WebSocket frames to the adapter: order books (snapshot + deltas
 * with `begin_nonce` continuity), BBO changes, our orders, fills and positions
 * (protocol notes §3.2–§3.3, §4.7; VEN-05, VEN-06).
 *
 * Invariants:
 * - Each frame names the subscription it belongs to (`keyOf`); the first snapshot of a
 *   subscription marks it live on the client.
 * - A book update that breaks `begin_nonce` continuity drops that book and asks for a
 *   resubscribe; no BBO is derived until the new snapshot arrived. `offset` is ignored.
 * - `market.bbo` is emitted only when the top of book (price or size) changed.
 * - Fills are de-duplicated by trade id (snapshots repeat recent trades); order and
 *   position updates are emitted only when they differ from the last one seen, so a
 *   resubscribe snapshot does not repeat unchanged state.
 * - Malformed frames are logged once each with a short excerpt and otherwise ignored: they
 *   change nothing.
 */
import type { Bbo, VenueFill, VenueOrder, VenuePosition } from '../../types.ts';
import { redact, type LighterLogger } from '../common/logger.ts';
import type { LighterOrderView, MarketSpec } from '../map.ts';
import type { LighterParseError, LighterWsFrame } from '../parse.ts';
import { OrderBook } from './book.ts';

export interface DispatchSink {
  bbo(market: string, bbo: Bbo): void;
  order(view: LighterOrderView): void;
  fill(fill: VenueFill): void;
  position(position: VenuePosition): void;
  /** A subscription got its first snapshot on this connection. */
  live(key: string): void;
  /** A book broke continuity: resubscribe `key`. */
  gap(key: string, marketIndex: number): void;
}

const MAX_SEEN = 20_000;

/** Channel keys of the subscriptions the adapter makes. */
export const channels = {
  book: (marketIndex: number) => `order_book/${marketIndex}`,
  orders: (account: number) => `account_all_orders/${account}`,
  trades: (account: number) => `account_all_trades/${account}`,
  account: (account: number) => `account_all/${account}`,
};

export class LighterDispatch {
  private readonly books = new Map<number, OrderBook>();
  private readonly lastTop = new Map<number, string>();
  private readonly seenTrades = new Set<string>();
  private readonly lastOrder = new Map<number, string>();
  private readonly lastPosition = new Map<string, string>();
  malformed = 0;
  gaps = 0;

  constructor(
    private readonly specs: ReadonlyMap<number, MarketSpec>,
    private readonly account: number,
    private readonly sink: DispatchSink,
    private readonly log: LighterLogger,
    private readonly now: () => number,
  ) {}

  book(marketIndex: number): OrderBook | undefined {
    return this.books.get(marketIndex);
  }

  /** The current BBO of a market from its synced book, if any. */
  bbo(marketIndex: number): Bbo | undefined {
    const spec = this.specs.get(marketIndex);
    const top = this.books.get(marketIndex)?.top();
    if (!spec || !top) return undefined;
    return { market: spec.symbol, bid: top.bid, ask: top.ask, bidSize: top.bidSize, askSize: top.askSize, time: this.now() };
  }

  /** Records a trade id; false when it was seen before. */
  markTradeSeen(tradeId: string): boolean {
    if (this.seenTrades.has(tradeId)) return false;
    this.seenTrades.add(tradeId);
    if (this.seenTrades.size > MAX_SEEN) this.seenTrades.delete(this.seenTrades.values().next().value!);
    return true;
  }

  malformedFrame(err: LighterParseError): void {
    this.malformed++;
    this.log.warn('lighter ws: malformed frame ignored', { problem: err.message.slice(0, 200), excerpt: redact(err.excerpt) });
  }

  frame(f: LighterWsFrame): void {
    switch (f.kind) {
      case 'order-book':
        return this.onBook(f);
      case 'account-orders':
        if (f.phase === 'snapshot') this.sink.live(channels.orders(this.account));
        for (const v of f.orders) if (v.accountIndex === this.account) this.onOrder(v);
        return;
      case 'account-trades':
        if (f.phase === 'snapshot') this.sink.live(channels.trades(this.account));
        for (const fill of f.fills) this.onFill(fill);
        return;
      case 'account-all':
        if (f.account !== this.account) return;
        if (f.phase === 'snapshot') this.sink.live(channels.account(this.account));
        for (const fill of f.fills) this.onFill(fill);
        for (const p of f.positions) this.onPosition(p);
        return;
      default:
        return;
    }
  }

  private onBook(f: Extract<LighterWsFrame, { kind: 'order-book' }>): void {
    const spec = this.specs.get(f.marketIndex);
    if (!spec) return;
    let book = this.books.get(f.marketIndex);
    if (!book) this.books.set(f.marketIndex, (book = new OrderBook(spec.priceDecimals)));
    const key = channels.book(f.marketIndex);
    if (f.phase === 'snapshot') {
      book.applySnapshot(f.nonce, f.bids, f.asks);
      this.sink.live(key);
    } else {
      const r = book.applyUpdate(f.nonce, f.beginNonce, f.bids, f.asks);
      if (r === 'gap') {
        this.gaps++;
        this.lastTop.delete(f.marketIndex);
        this.log.warn('lighter ws: order-book gap; resubscribing', { market: spec.symbol, beginNonce: f.beginNonce, nonce: f.nonce });
        this.sink.gap(key, f.marketIndex);
        return;
      }
      if (r === 'ignored') return;
    }
    const bbo = this.bbo(f.marketIndex);
    if (!bbo) return;
    const sig = `${bbo.bid}/${bbo.bidSize}/${bbo.ask}/${bbo.askSize}`;
    if (this.lastTop.get(f.marketIndex) === sig) return;
    this.lastTop.set(f.marketIndex, sig);
    if (f.time !== undefined) bbo.time = f.time;
    this.sink.bbo(spec.symbol, bbo);
  }

  /** An order view from any source (WS or REST): emitted when it changed (`emit` false: only recorded). */
  onOrder(v: Pick<LighterOrderView, 'order'> & Partial<LighterOrderView>, emit = true): boolean {
    const o = v.order;
    if (o.clientIndex === 0) return false;
    const sig = orderSignature(o);
    if (this.lastOrder.get(o.clientIndex) === sig) return false;
    this.lastOrder.set(o.clientIndex, sig);
    if (this.lastOrder.size > MAX_SEEN) this.lastOrder.delete(this.lastOrder.keys().next().value!);
    if (emit) this.sink.order(v as LighterOrderView);
    return true;
  }

  onFill(fill: VenueFill, emit = true): boolean {
    if (!this.markTradeSeen(`${fill.market}:${fill.tradeId}`)) return false;
    if (emit) this.sink.fill(fill);
    return true;
  }

  onPosition(p: VenuePosition, emit = true): boolean {
    const sig = `${p.size}/${p.avgEntryPrice}/${p.realizedPnl}/${p.leverage ?? ''}/${p.reservedMargin ?? ''}`;
    if (this.lastPosition.get(p.market) === sig) return false;
    this.lastPosition.set(p.market, sig);
    if (emit) this.sink.position(p);
    return true;
  }
}

function orderSignature(o: VenueOrder): string {
  return `${o.status}/${o.cancelReason ?? ''}/${o.filledSize}/${o.price}/${o.size}`;
}
