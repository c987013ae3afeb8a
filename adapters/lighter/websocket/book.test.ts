import { describe, expect, it } from 'vitest';
import { OrderBook } from './book.ts';

const L = (price: string, size: string) => ({ price, size });

describe('OrderBook', () => {
  it('VEN-05 applies deltas continuous by begin_nonce (nonces not consecutive) and keeps levels sorted', () => {
    const b = new OrderBook(2);
    b.applySnapshot('9182389990', [L('99.98', '5.000'), L('99.96', '1.000')], [L('100.02', '5.000')]);
    expect(b.applyUpdate('9182389998', '9182389990', [L('99.97', '2.000')], [])).toBe('applied');
    expect(b.applyUpdate('9182390020', '9182389998', [L('99.99', '1.000'), L('99.96', '0')], [L('100.01', '3.000')])).toBe('applied');
    expect(b.levels('bids').map((l) => l.price)).toEqual(['99.99', '99.98', '99.97']);
    expect(b.levels('asks').map((l) => l.price)).toEqual(['100.01', '100.02']);
    expect(b.top()).toEqual({ bid: '99.99', ask: '100.01', bidSize: '1.000', askSize: '3.000' });
    expect(b.lastNonce).toBe('9182390020');
  });

  it('VEN-05 a begin_nonce gap drops the book until the next snapshot; nothing is priced from it', () => {
    const b = new OrderBook(2);
    b.applySnapshot('10', [L('99.98', '5.000')], [L('100.02', '5.000')]);
    expect(b.applyUpdate('30', '20', [L('99.99', '1.000')], [])).toBe('gap');
    expect(b.synced).toBe(false);
    expect(b.top()).toBeUndefined();
    expect(b.applyUpdate('40', '30', [], [])).toBe('ignored');
    b.applySnapshot('50', [L('99.90', '1.000')], [L('99.94', '1.000')]);
    expect(b.top()).toMatchObject({ bid: '99.90', ask: '99.94' });
  });

  it('a crossed or one-sided book has no top', () => {
    const b = new OrderBook(1);
    b.applySnapshot('1', [L('100.1', '1')], [L('100.0', '1')]);
    expect(b.top()).toBeUndefined();
    b.applySnapshot('2', [L('100.1', '1')], []);
    expect(b.top()).toBeUndefined();
  });
});
