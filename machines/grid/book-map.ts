/**
 * A bounded memo keyed by a book's (bid, ask): nested maps of the book's own price strings, so
 * that a lookup builds no key string (the book path asks such memos on every update).
 *
 * Invariants: holds at most `limit` entries (all are dropped when it is full, as the memos it
 * serves are caches of pure functions); never mutates the books it is given.
 */
import type { BookTop } from '../shared/types.ts';

export class BookMap<V> {
  private readonly byBid = new Map<string, Map<string, V>>();
  private count = 0;

  constructor(private readonly limit = 4096) {}

  get(book: BookTop): V | undefined {
    return this.byBid.get(book.bid)?.get(book.ask);
  }

  set(book: BookTop, value: V): void {
    let byAsk = this.byBid.get(book.bid);
    if (!byAsk?.has(book.ask)) {
      if (this.count >= this.limit) {
        this.byBid.clear();
        this.count = 0;
        byAsk = undefined;
      }
      this.count++;
    }
    if (!byAsk) this.byBid.set(book.bid, (byAsk = new Map()));
    byAsk.set(book.ask, value);
  }
}
