/**
 * Order-book publication of the Lighter simulator: full price levels (background
 * liquidity + the bot's resting orders), published in batches on the clock with Lighter's
 * sequencing (protocol notes §3.3).
 *
 * Invariants:
 * - The published book changes only in `flush`: a batch diffs the live levels against the
 *   last published ones and emits the changed levels with ABSOLUTE sizes ("0" removes).
 * - Each update carries `begin_nonce` = the nonce of the previous update and a new, larger
 *   `nonce` (increments are irregular, never 0); `offset` grows irregularly too. A snapshot
 *   carries the current nonce, so `update.begin_nonce === last nonce` holds for every
 *   subscriber — until `forceGap` skips a nonce on purpose.
 * - Changes are batched: the first change arms one timer of `batchMs`; everything until
 *   it fires goes into one update. A snapshot first publishes pending changes.
 * - `toJSON()` / `restored` keep the nonce sequence, offsets, the published levels and the
 *   generator position, so a restored feed continues the same sequence (clients reconnect
 *   and start from a snapshot anyway). Capturing has no side effect: a market with pending
 *   changes is restored dirty and publishes them one batch interval later.
 */
import { Mulberry32 } from '../../adapters/sim/index.ts';
import type { Clock, TimerId } from '../runtime/clock.ts';
import type { SimExchange } from './exchange.ts';
import type { SimMarket } from './markets.ts';
import { priceStr, sizeStr } from './wire.ts';

export interface Level {
  price: string;
  size: string;
}

export interface BookView {
  marketIndex: number;
  asks: Level[];
  bids: Level[];
  nonce: number;
  beginNonce: number;
  offset: number;
  /** Epoch ms of the publication. */
  time: number;
}

export interface BookUpdate extends BookView {
  /** The best bid/ask (price or size) changed with this update. */
  tickerChanged: boolean;
}

export interface Top {
  bid: Level;
  ask: Level;
}

interface MarketFeed {
  bids: Map<number, number>;
  asks: Map<number, number>;
  nonce: number;
  beginNonce: number;
  offset: number;
  time: number;
  dirty: boolean;
  timer: TimerId | undefined;
}

export interface BookFeedState {
  rng: number;
  markets: Array<{ bids: Array<[number, number]>; asks: Array<[number, number]>; nonce: number; beginNonce: number; offset: number; time: number; dirty: boolean }>;
}

export class BookFeed {
  private readonly feeds: MarketFeed[];
  private readonly rng: Mulberry32;

  constructor(
    private readonly x: SimExchange,
    private readonly clock: Clock,
    seed: number,
    private readonly batchMs: number,
    private readonly onUpdate: (u: BookUpdate) => void,
    restored?: BookFeedState,
  ) {
    this.rng = new Mulberry32(seed ^ 0x5bd1e995);
    this.feeds = x.markets.list.map(() => {
      const nonce = 1_000_000_000 + Math.floor(this.rng.next() * 1_000_000);
      return { bids: new Map(), asks: new Map(), nonce, beginNonce: nonce, offset: 1, time: clock.now(), dirty: true, timer: undefined };
    });
    if (!restored) return;
    if (restored.markets.length !== this.feeds.length) throw new Error(`book feed state has ${restored.markets.length} markets, the simulator ${this.feeds.length}`);
    this.rng.state = restored.rng >>> 0;
    restored.markets.forEach((m, i) => {
      const f = this.feeds[i]!;
      f.bids = new Map(m.bids);
      f.asks = new Map(m.asks);
      f.nonce = m.nonce;
      f.beginNonce = m.beginNonce;
      f.offset = m.offset;
      f.time = m.time;
      f.dirty = false;
      if (m.dirty) this.markDirty(i);
    });
  }

  /** Feed state as plain JSON. */
  toJSON(): BookFeedState {
    return {
      rng: this.rng.state,
      markets: this.feeds.map((f) => ({ bids: [...f.bids], asks: [...f.asks], nonce: f.nonce, beginNonce: f.beginNonce, offset: f.offset, time: f.time, dirty: f.dirty })),
    };
  }

  markDirty(marketIndex: number): void {
    const f = this.feeds[marketIndex];
    if (!f) return;
    f.dirty = true;
    if (f.timer === undefined) {
      f.timer = this.clock.setTimeout(() => {
        f.timer = undefined;
        this.flush(marketIndex);
      }, this.batchMs);
    }
  }

  /** Publishes pending changes of one market (or all) now. */
  flush(marketIndex?: number): void {
    if (marketIndex === undefined) {
      for (let i = 0; i < this.feeds.length; i++) this.flush(i);
      return;
    }
    const f = this.feeds[marketIndex]!;
    if (f.timer !== undefined) {
      this.clock.clearTimeout(f.timer);
      f.timer = undefined;
    }
    if (!f.dirty) return;
    f.dirty = false;
    const m = this.x.markets.list[marketIndex]!;
    const live = this.liveLevels(m);
    const asks = diff(f.asks, live.asks, m, true);
    const bids = diff(f.bids, live.bids, m, false);
    if (asks.length === 0 && bids.length === 0) return;
    const before = this.topOf(m, f);
    f.asks = live.asks;
    f.bids = live.bids;
    f.beginNonce = f.nonce;
    f.nonce += 1 + Math.floor(this.rng.next() * 25);
    f.offset += 1 + Math.floor(this.rng.next() * 3);
    f.time = this.clock.now();
    const after = this.topOf(m, f);
    const tickerChanged = JSON.stringify(before) !== JSON.stringify(after);
    this.onUpdate({ marketIndex, asks, bids, nonce: f.nonce, beginNonce: f.beginNonce, offset: f.offset, time: f.time, tickerChanged });
  }

  /** The full published book (pending changes are published first). */
  snapshot(marketIndex: number): BookView {
    const f = this.feeds[marketIndex]!;
    if (f.dirty) this.flush(marketIndex);
    const m = this.x.markets.list[marketIndex]!;
    return {
      marketIndex,
      asks: sorted(f.asks, true).map(([p, s]) => ({ price: priceStr(m, p), size: sizeStr(m, s) })),
      bids: sorted(f.bids, false).map(([p, s]) => ({ price: priceStr(m, p), size: sizeStr(m, s) })),
      nonce: f.nonce,
      beginNonce: f.beginNonce,
      offset: f.offset,
      time: f.time,
    };
  }

  /** Best published bid and ask. */
  top(marketIndex: number): Top {
    const f = this.feeds[marketIndex]!;
    if (f.dirty) this.flush(marketIndex);
    return this.topOf(this.x.markets.list[marketIndex]!, f);
  }

  nonce(marketIndex: number): number {
    return this.feeds[marketIndex]!.nonce;
  }

  /** Skips a nonce: the next update's begin_nonce will not be the last nonce sent. */
  forceGap(marketIndex: number): void {
    const f = this.feeds[marketIndex]!;
    f.nonce += 1 + Math.floor(this.rng.next() * 25);
  }

  dispose(): void {
    for (const f of this.feeds) if (f.timer !== undefined) this.clock.clearTimeout(f.timer);
  }

  private topOf(m: SimMarket, f: MarketFeed): Top {
    const level = (map: Map<number, number>, asc: boolean): Level => {
      const first = sorted(map, asc)[0];
      return first ? { price: priceStr(m, first[0]), size: sizeStr(m, first[1]) } : { price: priceStr(m, 0), size: sizeStr(m, 0) };
    };
    return { bid: level(f.bids, false), ask: level(f.asks, true) };
  }

  /** Background levels with liquidity left plus the bot's resting orders, in venue units. */
  private liveLevels(m: SimMarket): { bids: Map<number, number>; asks: Map<number, number> } {
    const ms = this.x.engine.book(m.symbol);
    const bids = new Map<number, number>();
    const asks = new Map<number, number>();
    for (let p = ms.bgBid; p > ms.bgBid - ms.levels && p > 0; p--) {
      const r = ms.bgRemaining('buy', p);
      if (r > 0) bids.set(p, r);
    }
    for (let p = ms.bgAsk; p < ms.bgAsk + ms.levels; p++) {
      const r = ms.bgRemaining('sell', p);
      if (r > 0) asks.set(p, r);
    }
    for (const o of ms.buys) bids.set(o.price, (bids.get(o.price) ?? 0) + o.size - o.filled);
    for (const o of ms.sells) asks.set(o.price, (asks.get(o.price) ?? 0) + o.size - o.filled);
    return { bids, asks };
  }
}

function sorted(map: Map<number, number>, ascending: boolean): Array<[number, number]> {
  return [...map.entries()].sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
}

/** Changed levels (absolute sizes, 0 = removed), price-sorted. */
function diff(prev: Map<number, number>, next: Map<number, number>, m: SimMarket, ascending: boolean): Level[] {
  const changed = new Map<number, number>();
  for (const [p, s] of next) if (prev.get(p) !== s) changed.set(p, s);
  for (const p of prev.keys()) if (!next.has(p)) changed.set(p, 0);
  return sorted(changed, ascending).map(([p, s]) => ({ price: priceStr(m, p), size: sizeStr(m, s) }));
}
