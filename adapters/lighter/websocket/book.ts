/**
 * One market's order book as rebuilt from `order_book/{market}` frames (protocol notes
 * §3.3; VEN-05).
 *
 * Invariants:
 * - A snapshot replaces the book; an update sets absolute level sizes ("0" removes) and is
 *   applied only when its `begin_nonce` equals the last `nonce` — otherwise it is a gap:
 *   the book is dropped (`synced` false) and stays dropped until the next snapshot.
 *   `offset` is never used for continuity.
 * - Levels are keyed by exact integer price units, so `levels()` is sorted by price
 *   whatever order the updates inserted them in (bids high → low, asks low → high).
 * - `top()` is undefined while not synced or when a side is empty or crossed: nothing is
 *   priced from a gapped or broken book.
 */
import { toWireInt } from '../codec.ts';
import type { BookLevel } from '../parse.ts';

export type BookApply = 'applied' | 'gap' | 'ignored';

export interface BookTop {
  bid: string;
  ask: string;
  bidSize: string;
  askSize: string;
}

export class OrderBook {
  private bids = new Map<bigint, BookLevel>();
  private asks = new Map<bigint, BookLevel>();
  private nonce: string | undefined;
  synced = false;

  constructor(private readonly priceDecimals: number) {}

  get lastNonce(): string | undefined {
    return this.nonce;
  }

  applySnapshot(nonce: string, bids: readonly BookLevel[], asks: readonly BookLevel[]): void {
    this.bids = new Map();
    this.asks = new Map();
    this.set(this.bids, bids);
    this.set(this.asks, asks);
    this.nonce = nonce;
    this.synced = true;
  }

  /** Applies a delta; a `begin_nonce` that does not continue the last nonce drops the book. */
  applyUpdate(nonce: string, beginNonce: string | undefined, bids: readonly BookLevel[], asks: readonly BookLevel[]): BookApply {
    if (!this.synced) return 'ignored';
    if (beginNonce === undefined || beginNonce !== this.nonce) {
      this.drop();
      return 'gap';
    }
    this.set(this.bids, bids);
    this.set(this.asks, asks);
    this.nonce = nonce;
    return 'applied';
  }

  drop(): void {
    this.synced = false;
    this.bids.clear();
    this.asks.clear();
    this.nonce = undefined;
  }

  /** Sorted levels: bids high → low, asks low → high. */
  levels(side: 'bids' | 'asks'): BookLevel[] {
    const m = side === 'bids' ? this.bids : this.asks;
    const keys = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (side === 'bids') keys.reverse();
    return keys.map((k) => m.get(k)!);
  }

  top(): BookTop | undefined {
    if (!this.synced) return undefined;
    const bid = extreme(this.bids, 'max');
    const ask = extreme(this.asks, 'min');
    if (!bid || !ask || bid[0] >= ask[0]) return undefined;
    return { bid: bid[1].price, ask: ask[1].price, bidSize: bid[1].size, askSize: ask[1].size };
  }

  private set(m: Map<bigint, BookLevel>, levels: readonly BookLevel[]): void {
    for (const l of levels) {
      const key = toWireInt(l.price, this.priceDecimals, 'price', 'tick');
      if (/^0+(\.0+)?$/.test(l.size)) m.delete(key);
      else m.set(key, { price: l.price, size: l.size });
    }
  }
}

function extreme(m: Map<bigint, BookLevel>, which: 'max' | 'min'): [bigint, BookLevel] | undefined {
  let best: [bigint, BookLevel] | undefined;
  for (const e of m) if (!best || (which === 'max' ? e[0] > best[0] : e[0] < best[0])) best = e;
  return best;
}
