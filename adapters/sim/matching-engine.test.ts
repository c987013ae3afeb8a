import { describe, it, expect } from 'vitest';
import { SimClock } from '../../src/runtime/clock.ts';
import { MatchingEngine, type EngineSink } from './matching-engine.ts';
import { simMarket, TEST, MAX_ORDER_LIFETIME_MS } from './markets.ts';
import { isVenueError, type PlaceOrderRequest, type VenueStreamEvent } from '../types.ts';
import type { SimMarketOverrides } from './markets.ts';

function setup(overrides: SimMarketOverrides = {}) {
  const clock = new SimClock(0);
  const events: VenueStreamEvent[] = [];
  const sink: EngineSink = { event: (_m, e) => events.push(e), watching: () => true };
  const engine = new MatchingEngine({ clock, markets: [simMarket(TEST, overrides)], sink });
  return { clock, engine, events };
}

let nextIndex = 1000;
function order(p: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return {
    market: 'TEST',
    clientIndex: nextIndex++,
    side: 'buy',
    type: 'limit',
    price: '100.00',
    size: '1.000',
    timeInForce: 'post-only',
    reduceOnly: false,
    ...p,
  };
}

function errorOf(fn: () => unknown): { kind?: string; message: string } {
  try {
    fn();
  } catch (e) {
    return { kind: isVenueError(e) ? e.kind : undefined, message: (e as Error).message };
  }
  throw new Error('expected an error');
}

describe('MatchingEngine: admission', () => {
  it('rejects off-grid prices and sizes, naming the value', () => {
    const { engine } = setup();
    const p = errorOf(() => engine.place(order({ price: '100.005' })));
    expect(p.kind).toBe('rejected');
    expect(p.message).toContain('100.005');
    const s = errorOf(() => engine.place(order({ size: '1.0005' })));
    expect(s.kind).toBe('rejected');
    expect(s.message).toContain('1.0005');
    expect(engine.openOrders('TEST')).toEqual([]);
  });

  it('rejects orders below the minimum base size or quote notional (not reduce-only)', () => {
    const { engine } = setup();
    expect(errorOf(() => engine.place(order({ price: '0.50', size: '1.000' }))).message).toMatch(/below the minimum 1.00/);
    const { engine: e2 } = setup({ info: { minBaseSize: '0.010' } });
    expect(errorOf(() => e2.place(order({ size: '0.005' }))).message).toMatch(/below the minimum base size 0.010/);
  });

  it('a duplicate client index of a live or an ended order is duplicate-client-index', () => {
    const { engine } = setup();
    engine.place(order({ clientIndex: 7 }));
    expect(errorOf(() => engine.place(order({ clientIndex: 7, price: '99.90' }))).kind).toBe('duplicate-client-index');
    engine.cancel('TEST', 7);
    expect(errorOf(() => engine.place(order({ clientIndex: 7 }))).kind).toBe('duplicate-client-index');
    expect(engine.allOrders('TEST')).toHaveLength(1);
  });

  it('rejects a market order that is not IOC and an expiry beyond the max lifetime', () => {
    const { engine } = setup();
    expect(errorOf(() => engine.place(order({ type: 'market', timeInForce: 'gtc' }))).message).toMatch(/needs timeInForce ioc/);
    expect(errorOf(() => engine.place(order({ expiresAt: MAX_ORDER_LIFETIME_MS + 1 }))).message).toMatch(/expiresAt/);
    expect(errorOf(() => engine.place(order({ expiresAt: 0 }))).message).toMatch(/expiresAt/);
  });
});

describe('MatchingEngine: post-only and resting', () => {
  it('post-only buy at or above the ask is accepted then canceled post-only', () => {
    const { engine } = setup();
    const o = engine.place(order({ price: '100.02' }));
    expect(o.status).toBe('canceled');
    expect(o.cancelReason).toBe('post-only');
    expect(engine.getOrder('TEST', o.clientIndex)?.cancelReason).toBe('post-only');
  });

  it('post-only sell at the bid is canceled; a passive one rests with the default expiry', () => {
    const { engine } = setup();
    expect(engine.place(order({ side: 'sell', price: '99.98' })).cancelReason).toBe('post-only');
    const o = engine.place(order({ side: 'sell', price: '100.04' }));
    expect(o.status).toBe('open');
    expect(o.expiresAt).toBe(MAX_ORDER_LIFETIME_MS);
    expect(engine.openOrders('TEST').map((x) => x.clientIndex)).toEqual([o.clientIndex]);
  });

  it('the BBO includes the account order (ENT-09 shape: bot bid is best bid)', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.setBook('TEST', '99.98', '101.10');
    expect(engine.bbo('TEST')).toMatchObject({ bid: '100.00', ask: '101.10', bidSize: '1.000', askSize: '50.000' });
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    expect(engine.bbo('TEST')).toMatchObject({ bid: '99.98', ask: '101.10' });
    expect(engine.position('TEST')).toMatchObject({ size: '1.000', avgEntryPrice: '100.00' });
  });
});

describe('MatchingEngine: matching', () => {
  it('price-time priority: a bid above the background is hit first; background is older at equal price', () => {
    const { engine } = setup();
    const a = engine.place(order({ price: '99.98', size: '1.000' })); // joins background at 99.98
    const b = engine.place(order({ price: '99.99', size: '1.000' }));
    const c = engine.place(order({ price: '99.99', size: '1.000' }));
    const r = engine.counterpartyTrade('TEST', 'sell', '1.500');
    expect(r.filledSize).toBe('1.500');
    expect(r.accountFills.map((f) => [f.clientIndex, f.size, f.price, f.liquidity])).toEqual([
      [b.clientIndex, '1.000', '99.99', 'maker'],
      [c.clientIndex, '0.500', '99.99', 'maker'],
    ]);
    // next: c's remaining 0.5, then 50 background at 99.98 before a
    const r2 = engine.counterpartyTrade('TEST', 'sell', '50.600');
    expect(r2.accountFills.map((f) => [f.clientIndex, f.size])).toEqual([
      [c.clientIndex, '0.500'],
      [a.clientIndex, '0.100'],
    ]);
    expect(engine.getOrder('TEST', a.clientIndex)).toMatchObject({ status: 'open', filledSize: '0.100' });
    expect(engine.position('TEST').size).toBe('2.100');
  });

  it('partial fill then cancel keeps the filled size', () => {
    const { engine } = setup();
    const o = engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '0.400');
    expect(engine.getOrder('TEST', o.clientIndex)).toMatchObject({ status: 'open', filledSize: '0.400' });
    const c = engine.cancel('TEST', o.clientIndex);
    expect(c).toMatchObject({ status: 'canceled', cancelReason: 'by-user', filledSize: '0.400' });
    expect(engine.position('TEST').size).toBe('0.400');
    expect(errorOf(() => engine.cancel('TEST', o.clientIndex)).kind).toBe('not-active');
  });

  it('counterparty sweeps deplete background levels until the next setBook', () => {
    const { engine } = setup();
    engine.counterpartyTrade('TEST', 'sell', '60.000');
    expect(engine.bbo('TEST')).toMatchObject({ bid: '99.97', bidSize: '40.000' });
    engine.setBook('TEST', '99.98', '100.02');
    expect(engine.bbo('TEST')).toMatchObject({ bid: '99.98', bidSize: '50.000' });
    expect(engine.counterpartyTrade('TEST', 'buy', '10.000', '100.01').filledSize).toBe('0.000');
  });

  it('market orders take background only (never own orders), bounded by the worst price', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000'); // long 1 @ 100.00
    engine.place(order({ price: '99.99', size: '5.000' })); // own bid above background
    const m = engine.place(order({ side: 'sell', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: '98.00' }));
    expect(m.status).toBe('filled');
    const f = engine.fills('TEST', 0).at(-1)!;
    expect(f).toMatchObject({ clientIndex: m.clientIndex, price: '99.98', size: '1.000', liquidity: 'taker' });
    expect(engine.position('TEST')).toMatchObject({ size: '0.000', realizedPnl: '-0.02' }); // EXT-03 numbers
  });

  it('IOC remainder beyond the price bound is canceled ioc-unfilled', () => {
    const { engine } = setup();
    const m = engine.place(order({ type: 'market', timeInForce: 'ioc', price: '100.03', size: '120.000' }));
    expect(m).toMatchObject({ status: 'canceled', cancelReason: 'ioc-unfilled', filledSize: '100.000' });
    expect(engine.position('TEST')).toMatchObject({ size: '100.000', avgEntryPrice: '100.025' });
  });

  it('a GTC limit that crosses takes background liquidity then rests the remainder', () => {
    const { engine } = setup();
    const o = engine.place(order({ timeInForce: 'gtc', price: '100.02', size: '60.000' }));
    expect(o).toMatchObject({ status: 'open', filledSize: '50.000' });
    expect(engine.bbo('TEST')).toMatchObject({ bid: '100.02', bidSize: '10.000', ask: '100.03' });
  });

  it('a background move through an account order fills it as maker at its own price', () => {
    const { engine, events } = setup();
    const o = engine.place(order({ price: '100.00' }));
    events.length = 0;
    engine.setBook('TEST', '99.90', '99.95');
    expect(engine.getOrder('TEST', o.clientIndex)?.status).toBe('filled');
    expect(engine.fills('TEST', 0)).toMatchObject([{ price: '100.00', size: '1.000', liquidity: 'maker' }]);
    expect(events.map((e) => e.type)).toEqual(['order.filled', 'order.updated', 'position.updated', 'market.bbo']);
  });
});

describe('MatchingEngine: reduce-only', () => {
  it('reduce-only when flat or growing the position is canceled reduce-only', () => {
    const { engine } = setup();
    expect(engine.place(order({ side: 'sell', price: '100.04', reduceOnly: true })).cancelReason).toBe('reduce-only');
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    expect(engine.place(order({ side: 'buy', price: '99.90', reduceOnly: true })).cancelReason).toBe('reduce-only');
  });

  it('a reduce-only market order is capped at the position: it never flips', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '0.400');
    const m = engine.place(order({ side: 'sell', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: '90.00', size: '1.000' }));
    expect(m).toMatchObject({ status: 'canceled', cancelReason: 'reduce-only', filledSize: '0.400' });
    expect(engine.position('TEST').size).toBe('0.000');
  });

  it('a resting reduce-only order hit for more than the position fills the position and cancels the rest', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    const tp1 = engine.place(order({ side: 'sell', price: '100.04', reduceOnly: true }));
    const tp2 = engine.place(order({ side: 'sell', price: '100.05', reduceOnly: true }));
    engine.accountMarketTrade('TEST', 'sell', '0.400'); // hand trade: venue +0.600
    engine.setBook('TEST', '99.98', '100.10'); // our exits are now the best offers
    engine.counterpartyTrade('TEST', 'buy', '2.000', '100.05');
    expect(engine.getOrder('TEST', tp1.clientIndex)).toMatchObject({ status: 'canceled', cancelReason: 'reduce-only', filledSize: '0.600' });
    expect(engine.getOrder('TEST', tp2.clientIndex)).toMatchObject({ status: 'canceled', cancelReason: 'reduce-only', filledSize: '0.000' });
    expect(engine.position('TEST').size).toBe('0.000');
  });
});

describe('MatchingEngine: position, PnL and fees', () => {
  it('long 1 @ 100, sell 1 @ 100.04 → realized +0.04 (EXT-06 in two partial fills)', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    const tp = engine.place(order({ side: 'sell', price: '100.04', reduceOnly: true }));
    // background ask 100.02 is better than the exit: a counterparty limited at 100.04 takes it first
    expect(engine.counterpartyTrade('TEST', 'buy', '0.300', '100.04').accountFills).toEqual([]);
    engine.setBook('TEST', '99.98', '100.06');
    engine.counterpartyTrade('TEST', 'buy', '0.300', '100.04');
    expect(engine.position('TEST')).toMatchObject({ size: '0.700', avgEntryPrice: '100.00', realizedPnl: '0.012' });
    expect(engine.getOrder('TEST', tp.clientIndex)).toMatchObject({ status: 'open', filledSize: '0.300' });
    engine.counterpartyTrade('TEST', 'buy', '0.700', '100.04');
    expect(engine.position('TEST')).toMatchObject({ size: '0.000', avgEntryPrice: '0', realizedPnl: '0.04' });
    expect(engine.getOrder('TEST', tp.clientIndex)?.status).toBe('filled');
  });

  it('average entry, flip through zero and short PnL', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.place(order({ price: '99.99', size: '2.000' }));
    engine.counterpartyTrade('TEST', 'sell', '3.000');
    expect(engine.position('TEST').avgEntryPrice).toBe('99.9933333333');
    engine.place(order({ side: 'sell', type: 'market', timeInForce: 'ioc', price: '99.00', size: '4.000' }));
    // closes 3 @ 99.98 (realized 3×99.98 − 299.98 = −0.04), opens −1 @ 99.98
    expect(engine.position('TEST')).toMatchObject({ size: '-1.000', avgEntryPrice: '99.98', realizedPnl: '-0.04' });
    engine.setBook('TEST', '99.90', '99.94');
    engine.place(order({ side: 'buy', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: '100.00', size: '1.000' }));
    expect(engine.position('TEST')).toMatchObject({ size: '0.000', realizedPnl: '0.00' });
  });

  it('maker and taker fees on notional; realized PnL is net of fees', () => {
    const { engine } = setup({ info: { makerFee: '-0.0001', takerFee: '0.0002' } });
    engine.place(order({ price: '100.00' }));
    const [maker] = engine.counterpartyTrade('TEST', 'sell', '1.000').accountFills;
    expect(maker.fee).toBe('-0.01');
    engine.place(order({ side: 'sell', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: '99.00', size: '0.300' }));
    const taker = engine.fills('TEST', 0).at(-1)!;
    expect(taker).toMatchObject({ liquidity: 'taker', price: '99.98', fee: '0.0059988' }); // 99.98 × 0.3 × 0.0002
    // realized: 0.3 × (99.98 − 100) = −0.006, + rebate 0.01, − fee 0.0059988
    expect(engine.position('TEST').realizedPnl).toBe('-0.0019988');
  });

  it('each account fill has a unique trade id', () => {
    const { engine } = setup();
    for (let i = 0; i < 5; i++) engine.place(order({ price: '100.00', size: '0.100' }));
    engine.counterpartyTrade('TEST', 'sell', '0.500');
    const ids = engine.fills('TEST', 0).map((f) => f.tradeId);
    expect(new Set(ids).size).toBe(5);
  });

  it('leverage is clamped; reserved margin = |size| × mid / leverage; override for RSK-07', () => {
    const { engine } = setup();
    expect(engine.setLeverage('TEST', 80)).toBe(50);
    expect(engine.setLeverage('TEST', 20)).toBe(20);
    expect(errorOf(() => engine.setLeverage('TEST', 0)).kind).toBe('rejected');
    engine.place(order({ price: '100.00', size: '2.000' }));
    engine.counterpartyTrade('TEST', 'sell', '2.000');
    expect(engine.position('TEST')).toMatchObject({ size: '2.000', reservedMargin: '10.00', exposure: '200.00', leverage: 20 });
    engine.setReportedMargin('TEST', '0', '200.00');
    expect(engine.position('TEST')).toMatchObject({ reservedMargin: '0', exposure: '200.00' });
    engine.setReportedMargin('TEST', null);
    expect(engine.position('TEST').reservedMargin).toBe('10.00');
  });
});

describe('MatchingEngine: expiry', () => {
  it('an order is canceled expired when the clock reaches expiresAt', () => {
    const { engine, clock, events } = setup();
    const o = engine.place(order({ expiresAt: 5000 }));
    clock.advanceTo(4999);
    expect(engine.getOrder('TEST', o.clientIndex)?.status).toBe('open');
    events.length = 0;
    clock.advanceTo(5000);
    expect(engine.getOrder('TEST', o.clientIndex)).toMatchObject({ status: 'canceled', cancelReason: 'expired', updatedAt: 5000 });
    expect(events[0]).toMatchObject({ type: 'order.updated', order: { cancelReason: 'expired' } });
  });

  it('a filled or canceled order clears its expiry timer', () => {
    const { engine, clock } = setup();
    const o = engine.place(order({ expiresAt: 5000 }));
    engine.cancel('TEST', o.clientIndex);
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('MatchingEngine: inspection', () => {
  it('getOrder of an unknown index is null; inactiveOrders/fills filter by time', () => {
    const { engine, clock } = setup();
    expect(engine.getOrder('TEST', 424242)).toBeNull();
    const a = engine.place(order({ price: '99.00' }));
    clock.advanceTo(1000);
    engine.cancel('TEST', a.clientIndex);
    clock.advanceTo(2000);
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    expect(engine.inactiveOrders('TEST', 1000).map((o) => o.clientIndex)).toContain(a.clientIndex);
    expect(engine.inactiveOrders('TEST', 1001).map((o) => o.clientIndex)).not.toContain(a.clientIndex);
    expect(engine.fills('TEST', 2000)).toHaveLength(1);
    expect(engine.fills('TEST', 2001)).toHaveLength(0);
  });

  it('unknown market is rejected', () => {
    const { engine } = setup();
    expect(errorOf(() => engine.place(order({ market: 'NOPE' }))).message).toMatch(/unknown market "NOPE"/);
  });
});

describe('MatchingEngine: persistence', () => {
  it('toJSON / restore round trip keeps orders, fills, position, book and counters', () => {
    const { engine, clock } = setup();
    engine.setLeverage('TEST', 20);
    engine.place(order({ clientIndex: 1, price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '0.400');
    engine.place(order({ clientIndex: 2, side: 'sell', price: '100.04', reduceOnly: true, size: '0.400', expiresAt: 9000 }));
    engine.counterpartyTrade('TEST', 'sell', '51.000'); // deplete background a bit
    const json = JSON.parse(JSON.stringify(engine.toJSON()));
    const clock2 = new SimClock(clock.now());
    const r = MatchingEngine.restore(json, clock2);
    expect(r.allOrders('TEST')).toEqual(engine.allOrders('TEST'));
    expect(r.fills('TEST', 0)).toEqual(engine.fills('TEST', 0));
    expect(r.position('TEST')).toEqual(engine.position('TEST'));
    expect(r.bbo('TEST')).toEqual(engine.bbo('TEST'));
    expect(errorOf(() => r.place(order({ clientIndex: 2 }))).kind).toBe('duplicate-client-index');
    r.counterpartyTrade('TEST', 'sell', '1.000');
    const newIds = r.fills('TEST', 0).map((f) => f.tradeId);
    expect(new Set(newIds).size).toBe(newIds.length);
    clock2.advanceTo(9000);
    expect(r.getOrder('TEST', 2)?.cancelReason).toBe('expired');
  });
});

describe('MatchingEngine: counterpartyFill', () => {
  it('takes one account order at its price whatever the background, reduce-only capped', () => {
    const { engine } = setup();
    engine.place(order({ price: '100.00' }));
    engine.counterpartyTrade('TEST', 'sell', '1.000');
    const tp = engine.place(order({ side: 'sell', price: '100.04', reduceOnly: true }));
    expect(engine.counterpartyFill('TEST', tp.clientIndex, '0.300')).toMatchObject([{ price: '100.04', size: '0.300', liquidity: 'maker' }]);
    expect(engine.getOrder('TEST', tp.clientIndex)).toMatchObject({ status: 'open', filledSize: '0.300' });
    expect(() => engine.counterpartyFill('TEST', tp.clientIndex, '0.800')).toThrow(/must be in \(0, 0.700\]/);
    engine.counterpartyFill('TEST', tp.clientIndex);
    expect(engine.getOrder('TEST', tp.clientIndex)?.status).toBe('filled');
    expect(engine.position('TEST')).toMatchObject({ size: '0.000', realizedPnl: '0.04' });
    expect(() => engine.counterpartyFill('TEST', tp.clientIndex)).toThrow(/not resting/);
  });
});
