/**
 * Simulator snapshot / restore over real sockets: a venue with a position, resting orders
 * (one modified, one reduce-only exit), ended orders, trades, a scheduled cancel-all and a
 * running price driver is snapshotted, sent through JSON and restored on a new port; the
 * restored venue answers REST and WebSocket reads byte for byte like the original, refuses a
 * reused nonce and accepts the next one, and continues the same price path. `close()` leaves
 * no timer armed on the clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { simMarket, TEST, BTC } from '../../adapters/sim/index.ts';
import { SimClock } from '../runtime/clock.ts';
import { startLighterSim } from './server.ts';
import { checkSnapshot, type LighterSimSnapshot } from './snapshot.ts';
import { ACCOUNT, API_KEY, EXPIRY, get, sendTx, startFixture, WsClient, ofType, type Fixture } from './test-support.ts';
import type { LighterSimServer } from './types.ts';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

/** A fixture with a driver on TEST and some trading history; returns it with the next nonce. */
async function tradedFixture(): Promise<{ fx: Fixture; nonce: number }> {
  const fx = await startFixture({ driver: { mode: 'random-walk', market: 'TEST', seed: 11, stepTicks: 1, intervalMs: 1000 } });
  open.push(fx);
  let nonce = 1;
  const send = async (tx: { txType: number; txInfo: string }) => {
    const r = await sendTx(fx.server, tx.txType, tx.txInfo);
    expect(r.json.code, r.text).toBe(200);
    nonce++;
  };
  const create = (p: Partial<Parameters<Fixture['signer']['createOrder']>[0]>) =>
    fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 1, baseAmount: 1000, price: 9900, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce, ...p });
  await send(create({ clientOrderIndex: 101, type: 'market', timeInForce: 'ioc', orderExpiry: 0, baseAmount: 2500, price: 10100 })); // long 2.5
  await send(create({ clientOrderIndex: 102, price: 9900 })); // resting entry
  await send(create({ clientOrderIndex: 103, price: 9800 }));
  await send(fx.signer.modifyOrder({ marketIndex: 0, index: 103, baseAmount: 1500, price: 9850, nonce })); // remapped engine index
  await send(create({ clientOrderIndex: 104, price: 9700 }));
  await send(fx.signer.cancelOrder({ marketIndex: 0, index: 104, nonce })); // ended order
  await send(create({ clientOrderIndex: 105, isAsk: true, reduceOnly: true, baseAmount: 2500, price: 10150 })); // resting exit
  await send(fx.signer.cancelAll({ mode: 'scheduled', time: fx.clock.now() + 3_600_000, nonce }));
  fx.clock.advanceBy(5_000);
  await fx.server.control.flush();
  return { fx, nonce };
}

async function restoreFrom(snap: LighterSimSnapshot): Promise<{ server: LighterSimServer; clock: SimClock }> {
  const clock = new SimClock(snap.clockNow);
  const server = await startLighterSim({ clock, restore: snap });
  open.push(server);
  return { server, clock };
}

const READS = (token: string): Array<[string, Record<string, string | number>]> => [
  ['/api/v1/accountActiveOrders', { account_index: ACCOUNT, market_id: 0, auth: token }],
  ['/api/v1/accountInactiveOrders', { account_index: ACCOUNT, limit: 100, auth: token }],
  ['/api/v1/accountOrders', { account_index: ACCOUNT, client_order_indexes: '101,102,103,104,105', auth: token }],
  ['/api/v1/trades', { sort_by: 'trade_id', account_index: ACCOUNT, limit: 100, auth: token }],
  ['/api/v1/accountTxs', { by: 'index', value: ACCOUNT, limit: 100, auth: token }],
  ['/api/v1/account', { by: 'index', value: ACCOUNT }],
  ['/api/v1/nextNonce', { account_index: ACCOUNT, api_key_index: API_KEY }],
  ['/api/v1/apikeys', { account_index: ACCOUNT, api_key_index: 255 }],
  ['/api/v1/orderBookOrders', { market_id: 0, limit: 50 }],
  ['/api/v1/orderBookDetails', {}],
  ['/api/v1/recentTrades', { market_id: 0, limit: 50 }],
  ['/api/v1/currentHeight', {}],
];

async function wsSnapshots(server: LighterSimServer, token: string): Promise<unknown[]> {
  const c = await WsClient.open(server.wsUrl);
  try {
    c.subscribe('order_book/0');
    const book = await c.waitFor(ofType('subscribed/order_book'));
    c.subscribe(`account_all/${ACCOUNT}`);
    const all = await c.waitFor(ofType('subscribed/account_all'));
    c.subscribe(`account_orders/0/${ACCOUNT}`, token);
    const orders = await c.waitFor(ofType('subscribed/account_orders'));
    return [book, all, orders];
  } finally {
    c.close();
  }
}

describe('Lighter simulator snapshot / restore', () => {
  it('round-trips through JSON exactly and a restored venue answers every read like the original', async () => {
    const { fx } = await tradedFixture();
    const snap = fx.server.snapshot();
    const text = JSON.stringify(snap);
    expect(JSON.parse(text)).toEqual(snap);
    expect(text).not.toMatch(/private/i);
    expect(snap.exchange.orders.length).toBeGreaterThanOrEqual(5);
    expect(snap.drivers[0]!.running).toBe(true);
    // Taking a snapshot changes nothing.
    expect(JSON.stringify(fx.server.snapshot())).toBe(text);

    const b = await restoreFrom(checkSnapshot(JSON.parse(text)));
    expect(b.server.port).not.toBe(fx.server.port);
    const token = fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3600);
    for (const [path, q] of READS(token)) {
      const [ra, rb] = [await get(fx.server, path, q), await get(b.server, path, q)];
      expect(ra.status, `${path}: ${ra.text}`).toBe(200);
      expect(rb.text, path).toBe(ra.text);
    }
    expect(await wsSnapshots(b.server, token)).toEqual(await wsSnapshots(fx.server, token));
    expect(b.server.control.positionOf(0)).toEqual(fx.server.control.positionOf(0));
    expect(b.server.control.positionOf(0).size).toBe('2.500');
    expect(b.server.control.liveOrders(0).map((o) => o.clientIndex).sort()).toEqual([102, 103, 105]);
    expect(JSON.stringify(b.server.snapshot())).toBe(text);
  });

  it('a restored venue refuses a reused nonce, accepts the next one, fires its scheduled cancel-all and continues the same price path', async () => {
    const { fx, nonce } = await tradedFixture();
    const snap = JSON.parse(JSON.stringify(fx.server.snapshot())) as LighterSimSnapshot;
    const b = await restoreFrom(snap);

    // The same seed continues the same path: both venues move identically from here.
    const path = (s: LighterSimServer) => s.snapshot().exchange.engine.markets[0]!.bgBid;
    const pathA: number[] = [];
    const pathB: number[] = [];
    for (let i = 0; i < 30; i++) {
      fx.clock.advanceBy(1_000);
      b.clock.advanceBy(1_000);
      pathA.push(path(fx.server));
      pathB.push(path(b.server));
    }
    expect(pathB).toEqual(pathA);
    expect(new Set(pathA).size).toBeGreaterThan(1);
    expect(JSON.stringify(b.server.snapshot())).toBe(JSON.stringify(fx.server.snapshot()));

    const reuse = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 200, baseAmount: 1000, price: 9000, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce: nonce - 1 });
    expect((await sendTx(b.server, reuse.txType, reuse.txInfo)).json.code).toBe(21104);
    const dup = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 102, baseAmount: 1000, price: 9000, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce });
    expect((await sendTx(b.server, dup.txType, dup.txInfo)).json.code).toBe(21728); // client indexes are remembered
    const next = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 200, baseAmount: 1000, price: 9000, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce });
    expect((await sendTx(b.server, next.txType, next.txInfo)).json.code).toBe(200);
    expect(b.server.control.nextNonce(ACCOUNT, API_KEY)).toBe(nonce + 1);

    b.clock.advanceBy(3_600_000);
    expect(b.server.control.liveOrders(0)).toEqual([]);
  });

  it('rotateApiKey registers a new public key and keeps the nonce stream', async () => {
    const { fx, nonce } = await tradedFixture();
    const b = await restoreFrom(fx.server.snapshot());
    b.server.control.rotateApiKey(ACCOUNT, API_KEY, 'cd'.repeat(40));
    expect(b.server.control.nextNonce(ACCOUNT, API_KEY)).toBe(nonce);
    const keys = await get(b.server, '/api/v1/apikeys', { account_index: ACCOUNT, api_key_index: API_KEY });
    expect(keys.text).toContain('cd'.repeat(40));
    expect(() => b.server.control.rotateApiKey(ACCOUNT, API_KEY, 'xyz')).toThrow(/80 hex/);
  });

  it('refuses a damaged snapshot naming the field', async () => {
    const { fx } = await tradedFixture();
    const snap = JSON.parse(JSON.stringify(fx.server.snapshot())) as Record<string, unknown>;
    await expect(startLighterSim({ clock: new SimClock(0), restore: { ...snap, version: 2 } as never })).rejects.toThrow(/version/);
    await expect(startLighterSim({ clock: new SimClock(0), restore: { ...snap, accounts: { maxLifetimeSec: 1, accounts: [], revoked: [] } } as never })).rejects.toThrow(/accounts\.accounts/);
  });

  it('close() cancels every timer it armed (order expiry, book batches, driver, idle close, scheduled cancel-all); other timers stay', async () => {
    const { fx } = await tradedFixture();
    const c = await WsClient.open(fx.server.wsUrl); // arms an idle-close timer
    c.subscribe('order_book/0');
    await c.waitFor(ofType('subscribed/order_book'));
    fx.server.control.setBook(0, '99.90', '99.94'); // arms a book batch
    const mine = fx.clock.setTimeout(() => undefined, 10_000);
    expect(fx.server.pendingTimers()).toBeGreaterThanOrEqual(6);
    await fx.server.close();
    expect(fx.server.pendingTimers()).toBe(0);
    expect(fx.clock.pendingTimers()).toBe(1);
    fx.clock.clearTimeout(mine);
    expect(fx.clock.pendingTimers()).toBe(0);
    await c.waitClosed();
  });

  it('a restored venue on the system clock re-arms the expiries of resting orders at their wall time', async () => {
    const clock = new SimClock(Date.now());
    const fresh = await startLighterSim({ clock, markets: [simMarket(TEST), simMarket(BTC)], accounts: [{ accountIndex: ACCOUNT, apiKeys: [{ apiKeyIndex: API_KEY, publicKey: 'ab'.repeat(40) }] }] });
    open.push(fresh);
    fresh.control.placeForeignOrder({ market: 0, side: 'buy', price: '99.00', size: '1.000', expiresAt: clock.now() + 500 });
    const restored = await startLighterSim({ restore: fresh.snapshot() });
    open.push(restored);
    expect(restored.control.liveOrders(0)).toHaveLength(1);
    const deadline = Date.now() + 5_000; // liveness only
    while (restored.control.liveOrders(0).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(restored.control.allOrders(0).map((o) => o.cancelReason)).toEqual(['expired']);
    await restored.close();
    expect(restored.pendingTimers()).toBe(0);
  });
});
