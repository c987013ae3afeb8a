import { describe, expect, it } from 'vitest';
import { isVenueError } from '../types.ts';
import { createOrderParams, DEFAULT_ORDER_LIFETIME_MS, leverageParams } from './orders.ts';

const TEST = { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 };
const BTC = { marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 };
const NOW = 1_795_480_000_000;
const req = { market: 'TEST', clientIndex: 1099511628033, side: 'buy' as const, type: 'limit' as const, price: '100.04', size: '1.000', timeInForce: 'post-only' as const, reduceOnly: false };

function rejection(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    if (isVenueError(err) && err.kind === 'rejected') return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('order parameters', () => {
  it('VEN-08 encodes exactly: 1.000 at 100.04 → 1000 / 10004; 0.01 at 83453.0 (1 / 5 decimals) → 1000 / 834530', () => {
    expect(createOrderParams(req, TEST, NOW)).toMatchObject({ baseAmount: 1000, price: 10004, type: 'limit', timeInForce: 'post-only', isAsk: false, reduceOnly: false, triggerPrice: 0, orderExpiry: NOW + DEFAULT_ORDER_LIFETIME_MS });
    expect(createOrderParams({ ...req, market: 'BTC', price: '83453.0', size: '0.01' }, BTC, NOW)).toMatchObject({ baseAmount: 1000, price: 834530, marketIndex: 1 });
  });

  it('VEN-08 refuses off-grid prices and sizes naming the value and the tick or step, never rounding', () => {
    expect(rejection(() => createOrderParams({ ...req, price: '100.005' }, TEST, NOW)).message).toMatch(/price 100\.005 is off the grid.*tick 0\.01/);
    expect(rejection(() => createOrderParams({ ...req, size: '0.0005' }, TEST, NOW)).message).toMatch(/size 0\.0005 is off the grid.*step 0\.001/);
    expect(rejection(() => createOrderParams({ ...req, size: '1' + '0'.repeat(40) }, TEST, NOW)).message).toMatch(/out of range/);
    expect(rejection(() => createOrderParams({ ...req, clientIndex: 2 ** 48 }, TEST, NOW)).message).toMatch(/client index/);
  });

  it('VEN-11 market = Type 1, TIF 0, expiry 0; gtc = TIF 1 with expiry; reduce-only and sell map to the flags', () => {
    expect(createOrderParams({ ...req, type: 'market', timeInForce: 'ioc', side: 'sell', reduceOnly: true, price: '99.00' }, TEST, NOW)).toMatchObject({ type: 'market', timeInForce: 'ioc', orderExpiry: 0, isAsk: true, reduceOnly: true, price: 9900 });
    expect(createOrderParams({ ...req, timeInForce: 'gtc', expiresAt: NOW + 3_600_000 }, TEST, NOW)).toMatchObject({ timeInForce: 'gtt', orderExpiry: NOW + 3_600_000 });
    expect(createOrderParams({ ...req, timeInForce: 'ioc' }, TEST, NOW)).toMatchObject({ type: 'limit', timeInForce: 'ioc', orderExpiry: 0 });
  });

  it('RSK-11 leverage is clamped to the market maximum: 100 → 50 (IMF 200), 20 → IMF 500', () => {
    expect(leverageParams(100, 50)).toEqual({ applied: 50, initialMarginFraction: 200 });
    expect(leverageParams(20, 50)).toEqual({ applied: 20, initialMarginFraction: 500 });
    expect(rejection(() => leverageParams(0, 50)).message).toMatch(/leverage/);
  });
});
