/** book-map.ts: values by (bid, ask) and the bound on entries. */
import { describe, expect, it } from 'vitest';
import { BookMap } from './book-map.ts';

describe('BookMap', () => {
  it('keeps one value per (bid, ask): same bid with another ask, or the swapped pair, is another key', () => {
    const m = new BookMap<number>();
    m.set({ bid: '100.1', ask: '100.2' }, 1);
    m.set({ bid: '100.1', ask: '100.3' }, 2);
    m.set({ bid: '100.2', ask: '100.1' }, 3);
    expect(m.get({ bid: '100.1', ask: '100.2' })).toBe(1);
    expect(m.get({ bid: '100.1', ask: '100.3' })).toBe(2);
    expect(m.get({ bid: '100.2', ask: '100.1' })).toBe(3);
    expect(m.get({ bid: '100.2', ask: '100.2' })).toBeUndefined();
    m.set({ bid: '100.1', ask: '100.2' }, 4);
    expect(m.get({ bid: '100.1', ask: '100.2' })).toBe(4);
  });

  it('drops everything once the limit is reached (overwrites do not count), then fills again', () => {
    const m = new BookMap<string>(3);
    const book = (i: number) => ({ bid: String(i), ask: String(i + 1) });
    for (let i = 0; i < 3; i++) m.set(book(i), `v${i}`);
    m.set(book(0), 'again');
    expect([0, 1, 2].map((i) => m.get(book(i)))).toEqual(['again', 'v1', 'v2']);
    m.set(book(3), 'v3');
    expect([0, 1, 2].map((i) => m.get(book(i)))).toEqual([undefined, undefined, undefined]);
    expect(m.get(book(3))).toBe('v3');
  });
});
