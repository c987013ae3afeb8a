import { describe, it, expect } from 'vitest';
import { SimClock } from '../../src/runtime/clock.ts';
import { SimVenue } from './sim-venue.ts';
import { simMarket } from './markets.ts';
import { VenueError, isVenueError, type PlaceOrderRequest, type VenueStreamEvent } from '../types.ts';

function setup() {
  const clock = new SimClock(0);
  const venue = new SimVenue({ clock, markets: [simMarket('TEST')] });
  const events: VenueStreamEvent[] = [];
  venue.subscribe('TEST', (e) => events.push(e));
  return { clock, venue, events, c: venue.control };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

function entry(clientIndex: number, p: Partial<PlaceOrderRequest> = {}): PlaceOrderRequest {
  return { market: 'TEST', clientIndex, side: 'buy', type: 'limit', price: '100.00', size: '1.000', timeInForce: 'post-only', reduceOnly: false, ...p };
}

async function rejection(p: Promise<unknown>): Promise<VenueError> {
  try {
    await p;
  } catch (e) {
    if (isVenueError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('SimVenue stream', () => {
  it('delivers the BBO as first frame, asynchronously', async () => {
    const { events } = setup();
    expect(events).toEqual([]);
    await flush();
    expect(events).toEqual([{ type: 'market.bbo', bbo: { market: 'TEST', bid: '99.98', ask: '100.02', bidSize: '50.000', askSize: '50.000', time: 0 } }]);
  });

  it('events of a call reach subscribers before the caller resumes; fill before order update', async () => {
    const { venue, events, c } = setup();
    await flush();
    events.length = 0;
    await venue.placeOrder(entry(1));
    expect(events.map((e) => e.type)).toEqual(['order.updated', 'market.bbo']);
    events.length = 0;
    c.counterpartyTrade('TEST', 'sell', '1.000');
    expect(events).toEqual([]); // async
    await c.drain();
    expect(events.map((e) => e.type)).toEqual(['order.filled', 'order.updated', 'position.updated', 'market.bbo']);
    expect(events[1]).toMatchObject({ order: { status: 'filled', filledSize: '1.000' } });
    expect(events[2]).toMatchObject({ position: { size: '1.000', avgEntryPrice: '100.00' } });
  });

  it('unsubscribe stops delivery', async () => {
    const clock = new SimClock(0);
    const venue = new SimVenue({ clock, markets: [simMarket('TEST')] });
    const got: VenueStreamEvent[] = [];
    const off = venue.subscribe('TEST', (e) => got.push(e));
    off();
    venue.control.setBook('TEST', '99.90', '99.95');
    await flush();
    expect(got).toEqual([]);
  });

  it('duplicateNextFillReport delivers the same trade twice and repeats the order update (POS-06)', async () => {
    const { venue, events, c } = setup();
    await venue.placeOrder(entry(1));
    events.length = 0;
    c.duplicateNextFillReport();
    c.counterpartyTrade('TEST', 'sell', '1.000');
    await c.drain();
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['order.filled', 'order.updated', 'order.filled', 'order.updated']);
    const fills = events.filter((e) => e.type === 'order.filled');
    expect(fills[0]).toEqual(fills[1]);
    expect(c.accountFills('TEST')).toHaveLength(1);
  });

  it('dropStreamEvents loses matching events until removed (POS-02 b)', async () => {
    const { venue, events, c } = setup();
    await venue.placeOrder(entry(1));
    await flush();
    events.length = 0;
    const stop = c.dropStreamEvents((e) => e.type === 'order.updated');
    c.counterpartyTrade('TEST', 'sell', '1.000');
    await c.drain();
    expect(events.map((e) => e.type)).toEqual(['order.filled', 'position.updated', 'market.bbo']);
    stop();
    await venue.placeOrder(entry(2, { price: '99.00' }));
    expect(events.at(-1)?.type).toBe('order.updated');
  });

  it('a throwing subscriber does not stop delivery to others', async () => {
    const clock = new SimClock(0);
    const errors: unknown[] = [];
    const venue = new SimVenue({ clock, markets: [simMarket('TEST')], onListenerError: (e) => errors.push(e) });
    const got: string[] = [];
    venue.subscribe('TEST', () => {
      throw new Error('boom');
    });
    venue.subscribe('TEST', (e) => got.push(e.type));
    await flush();
    expect(got).toEqual(['market.bbo']);
    expect(errors).toHaveLength(1);
  });
});

describe('SimVenue port', () => {
  it('getOrder, openOrders, cancel by client index, not-active on an ended order', async () => {
    const { venue } = setup();
    await venue.placeOrder(entry(1));
    expect(await venue.getOrder('TEST', 1)).toMatchObject({ status: 'open', price: '100.00' });
    expect((await venue.openOrders('TEST')).map((o) => o.clientIndex)).toEqual([1]);
    await venue.cancelOrder('TEST', 1);
    expect(await venue.getOrder('TEST', 1)).toMatchObject({ status: 'canceled', cancelReason: 'by-user' });
    expect((await rejection(venue.cancelOrder('TEST', 1))).kind).toBe('not-active');
    expect(await venue.getOrder('TEST', 99)).toBeNull();
    expect((await rejection(venue.placeOrder(entry(1)))).kind).toBe('duplicate-client-index');
  });

  it('setLeverage clamps; position reports r = 1 / leverage', async () => {
    const { venue, c } = setup();
    expect(await venue.setLeverage('TEST', 20)).toBe(20);
    await venue.placeOrder(entry(1));
    c.counterpartyTrade('TEST', 'sell', '1.000');
    expect(await venue.position('TEST')).toMatchObject({ size: '1.000', reservedMargin: '5.00', exposure: '100.00', leverage: 20 });
  });

  it('after close() calls fail unavailable; connect() reopens', async () => {
    const { venue } = setup();
    await venue.close();
    expect((await rejection(venue.bbo('TEST'))).kind).toBe('unavailable');
    await venue.connect();
    expect((await venue.bbo('TEST')).bid).toBe('99.98');
  });
});

describe('SimVenue faults and control', () => {
  it('onOrderArrival moves the book before matching: the entry crosses and is canceled post-only (ENT-03)', async () => {
    const { venue, c } = setup();
    c.onOrderArrival((req, ctl) => {
      if (req.clientIndex === 1) ctl.setBook('TEST', '99.90', '99.95');
    });
    await venue.placeOrder(entry(1));
    expect(await venue.getOrder('TEST', 1)).toMatchObject({ status: 'canceled', cancelReason: 'post-only' });
    expect((await venue.bbo('TEST')).ask).toBe('99.95');
  });

  it('failNext: the request is not processed and the caller gets the error; the sent log records it', async () => {
    const { venue, c, clock } = setup();
    c.failNext('placeOrder', new VenueError('rate-limited', 'slow down'));
    c.failNext('placeOrder', new VenueError('unavailable', '503'));
    clock.advanceTo(5);
    expect((await rejection(venue.placeOrder(entry(1)))).kind).toBe('rate-limited');
    expect((await rejection(venue.placeOrder(entry(1)))).kind).toBe('unavailable');
    await venue.placeOrder(entry(1));
    expect(c.liveOrders('TEST')).toHaveLength(1);
    const log = c.sentLog().filter((x) => x.method === 'placeOrder');
    expect(log.map((x) => [x.time, x.clientIndex, x.fault])).toEqual([
      [5, 1, 'failed'],
      [5, 1, 'failed'],
      [5, 1, undefined],
    ]);
    expect(log[0].request).toMatchObject({ price: '100.00', size: '1.000', side: 'buy' });
  });

  it('failNext with times fails that many calls', async () => {
    const { venue, c } = setup();
    c.failNext('getOrder', new VenueError('unavailable', '502'), 2);
    expect((await rejection(venue.getOrder('TEST', 1))).kind).toBe('unavailable');
    expect((await rejection(venue.getOrder('TEST', 1))).kind).toBe('unavailable');
    expect(await venue.getOrder('TEST', 1)).toBeNull();
  });

  it('loseResponse: processed, but the caller gets outcome-unknown (ENT-07)', async () => {
    const { venue, c } = setup();
    c.loseResponse('placeOrder');
    expect((await rejection(venue.placeOrder(entry(1)))).kind).toBe('outcome-unknown');
    expect(await venue.getOrder('TEST', 1)).toMatchObject({ status: 'open' });
    expect((await rejection(venue.placeOrder(entry(1)))).kind).toBe('duplicate-client-index'); // ENT-08
  });

  it('delayResponse: processed at once, answered ms later on the clock (RSK-05)', async () => {
    const { venue, c, clock, events } = setup();
    await venue.placeOrder(entry(1));
    c.counterpartyTrade('TEST', 'sell', '1.000');
    c.delayResponse('placeOrder', 3000);
    let settled = false;
    const p = venue.placeOrder(entry(2, { side: 'sell', type: 'market', timeInForce: 'ioc', reduceOnly: true, price: '98.00' })).then(() => {
      settled = true;
    });
    await flush();
    expect(settled).toBe(false);
    expect(c.positionOf('TEST').size).toBe('0.000');
    expect(events.some((e) => e.type === 'order.filled' && e.fill.clientIndex === 2)).toBe(true);
    clock.advanceTo(2999);
    await flush();
    expect(settled).toBe(false);
    clock.advanceTo(3000);
    await p;
    expect(settled).toBe(true);
  });

  it('holdCancelConfirmation: the cancel is processed ms later; a fill in between makes it not-active (ENT-05)', async () => {
    const { venue, c, clock } = setup();
    await venue.placeOrder(entry(1));
    c.holdCancelConfirmation(3000);
    const cancel = rejection(venue.cancelOrder('TEST', 1));
    await flush();
    expect((await venue.getOrder('TEST', 1))?.status).toBe('open');
    c.counterpartyTrade('TEST', 'sell', '1.000');
    clock.advanceTo(3000);
    expect((await cancel).kind).toBe('not-active');
    expect(await venue.getOrder('TEST', 1)).toMatchObject({ status: 'filled', filledSize: '1.000' });
  });

  it('holdCancelConfirmation: the order stays open until the held cancel is processed (ENT-04)', async () => {
    const { venue, c, clock } = setup();
    await venue.placeOrder(entry(1));
    c.holdCancelConfirmation(3000);
    let done = false;
    const p = venue.cancelOrder('TEST', 1).then(() => (done = true));
    clock.advanceTo(2999);
    await flush();
    expect(done).toBe(false);
    expect(c.liveOrders('TEST')).toHaveLength(1);
    clock.advanceTo(3000);
    await p;
    expect(c.allOrders('TEST')[0]).toMatchObject({ status: 'canceled', cancelReason: 'by-user', updatedAt: 3000 });
  });

  it('cancelByUser, foreign orders and hand trades (POS-02 a, POS-04, POS-07)', async () => {
    const { venue, c } = setup();
    const hand = c.placeForeignOrder({ market: 'TEST', side: 'sell', price: '100.10', size: '0.500' });
    expect(hand).toBeLessThan(2 ** 40);
    expect(await venue.openOrders('TEST')).toMatchObject([{ clientIndex: hand, price: '100.10', timeInForce: 'gtc' }]);
    c.cancelByUser('TEST', hand);
    expect(await venue.getOrder('TEST', hand)).toMatchObject({ status: 'canceled', cancelReason: 'by-user' });
    const fills = c.accountMarketTrade('TEST', 'sell', '1.000');
    expect(fills).toMatchObject([{ clientIndex: 0, price: '99.98', liquidity: 'taker' }]);
    expect((await venue.position('TEST')).size).toBe('-1.000');
    expect(await venue.fills('TEST', 0)).toHaveLength(1);
  });
});

describe('SimVenue persistence', () => {
  it('toJSON / restore: orders, fills, position, book, drivers and counters survive', async () => {
    const { venue, c, clock } = setup();
    await venue.setLeverage('TEST', 20);
    await venue.placeOrder(entry(1));
    c.counterpartyTrade('TEST', 'sell', '1.000');
    await venue.placeOrder(entry(2, { side: 'sell', price: '100.04', reduceOnly: true, expiresAt: 60_000 }));
    const driver = venue.addDriver({ mode: 'random-walk', market: 'TEST', seed: 42, intervalMs: 100 }, { start: true });
    clock.advanceTo(1000);
    const json = JSON.parse(JSON.stringify(venue.toJSON()));

    const clock2 = new SimClock(clock.now());
    const restored = SimVenue.restore(json, clock2);
    expect(restored.control.allOrders('TEST')).toEqual(c.allOrders('TEST'));
    expect(restored.control.accountFills('TEST')).toEqual(c.accountFills('TEST'));
    expect(restored.control.positionOf('TEST')).toEqual(c.positionOf('TEST'));
    expect(await restored.bbo('TEST')).toEqual(await venue.bbo('TEST'));
    expect(restored.driversOf('TEST')[0].running).toBe(true);

    // both continue identically
    clock.advanceTo(5000);
    clock2.advanceTo(5000);
    expect(await restored.bbo('TEST')).toEqual(await venue.bbo('TEST'));
    expect(driver.toJSON().rng).toBe(restored.driversOf('TEST')[0].toJSON().rng);
    expect((await rejection(restored.placeOrder(entry(2)))).kind).toBe('duplicate-client-index');
  });

  it('restore refuses an unknown version', () => {
    expect(() => SimVenue.restore({ version: 2 } as never, new SimClock())).toThrow(/version 2/);
  });
});

describe('SimVenue connection faults', () => {
  it('disconnect loses events and fails calls; reconnect emits venue.up and a caught-up report', async () => {
    const { venue, c, events } = setup();
    await venue.placeOrder(entry(1));
    await flush();
    events.length = 0;
    c.disconnect('ws closed');
    c.counterpartyTrade('TEST', 'sell', '1.000'); // the fill happens while we are deaf
    await c.drain();
    expect(events.map((e) => e.type)).toEqual(['venue.down']);
    expect((await rejection(venue.getOrder('TEST', 1))).kind).toBe('unavailable');
    c.reconnect(0);
    await c.drain();
    expect(events.map((e) => e.type)).toEqual(['venue.down', 'venue.up', 'venue.caught-up']);
    const last = events[2];
    if (last.type !== 'venue.caught-up') throw new Error('expected a report');
    expect(last.report.orders).toMatchObject([{ clientIndex: 1, status: 'filled' }]);
    expect(last.report.fills).toHaveLength(1);
    expect(last.report.position.size).toBe('1.000');
    expect((await venue.getOrder('TEST', 1))?.status).toBe('filled');
  });
});

describe('SimVenue delayed stream events', () => {
  it('a fill report can arrive after the cancel response (ENT-05 second branch)', async () => {
    const { venue, c, clock, events } = setup();
    await venue.placeOrder(entry(1));
    await flush();
    events.length = 0;
    c.delayStreamEvents((e) => e.type === 'order.filled' || (e.type === 'order.updated' && e.order.status === 'filled'), 2000);
    c.holdCancelConfirmation(500);
    const cancel = rejection(venue.cancelOrder('TEST', 1));
    c.counterpartyTrade('TEST', 'sell', '1.000');
    clock.advanceTo(500);
    expect((await cancel).kind).toBe('not-active');
    expect(events.some((e) => e.type === 'order.filled')).toBe(false);
    clock.advanceTo(2000);
    await c.drain();
    expect(events.filter((e) => e.type === 'order.filled' || e.type === 'order.updated').map((e) => e.type)).toEqual(['order.filled', 'order.updated']);
  });
});
