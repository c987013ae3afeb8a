/**
 * Fault hooks of the Lighter simulator over real sockets: socket drops and refused
 * reconnects, frame drop/duplicate/reorder/inject, delayed acks, rejections with and
 * without sequencer acceptance (nonce not consumed), REST 429/5xx, book gaps, auth expiry,
 * order expiry.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWsFrame } from '../../adapters/lighter/parse.ts';
import { ACCOUNT, API_KEY, EXPIRY, get, ofType, sendTx, startFixture, WsClient, type Fixture } from './test-support.ts';

let fx: Fixture;
let nonce = 1;
let coi = 9000;
const clients: WsClient[] = [];
const open = async () => {
  const c = await WsClient.open(fx.server.wsUrl);
  clients.push(c);
  return c;
};
const token = () => fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3600);
const order = (price = 9900, n = nonce, expiry = EXPIRY) =>
  fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: ++coi, baseAmount: 1000, price, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: expiry, nonce: n });
const batch = async () => {
  await new Promise((r) => setImmediate(r));
  fx.clock.advanceBy(50);
};

beforeAll(async () => {
  fx = await startFixture();
});
afterEach(() => {
  fx.server.control.faults.clear();
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await fx.close();
});

describe('connections', () => {
  it('VEN-04 drops the sockets of an account and refuses reconnection for a while', async () => {
    const bot = await open();
    bot.subscribe(`account_all/${ACCOUNT}`);
    await bot.waitFor(ofType('subscribed/account_all'));
    const bystander = await open();
    expect(fx.server.control.faults.dropConnections({ account: ACCOUNT })).toBe(1);
    fx.server.control.faults.refuseConnections(5_000);
    await bot.waitClosed();
    await bystander.settle();
    expect(bystander.closedWith).toBeNull();
    await expect(WsClient.open(fx.server.wsUrl)).rejects.toThrow(/503/);
    fx.clock.advanceBy(5_000);
    const again = await open();
    expect(again.frames[0]).toMatchObject({ type: 'connected' });
  });
});

describe('frame faults', () => {
  it('drops, duplicates and reorders frames of matching subscriptions only', async () => {
    const c = await open();
    c.subscribe('order_book/0');
    c.subscribe('ticker/0');
    await c.waitFor(ofType('subscribed/order_book'));
    await c.waitFor(ofType('subscribed/ticker'));
    const f = fx.server.control.faults;
    const move = async (bid: string, ask: string) => {
      fx.server.control.setBook(0, bid, ask);
      await batch();
      await c.settle(30);
    };
    const books = () => c.frames.filter(ofType('update/order_book')).map((x) => (x.order_book as { nonce: number }).nonce);
    f.dropFrames('order_book/0', 1);
    await move('99.99', '100.03');
    expect(books()).toHaveLength(0);
    expect(c.frames.filter(ofType('update/ticker'))).toHaveLength(1); // other channel untouched
    f.duplicateFrames('order_book/0', 1);
    await move('100.00', '100.04');
    expect(books()).toHaveLength(2);
    expect(books()[0]).toBe(books()[1]);
    f.reorderFrames('order_book/0', 2);
    await move('100.01', '100.05');
    expect(books()).toHaveLength(2);
    await move('100.02', '100.06');
    const n = books();
    expect(n).toHaveLength(4);
    expect(n[2]!).toBeGreaterThan(n[3]!);
  });

  it('VEN-06 injects raw malformed frames to subscribers of a channel', async () => {
    const c = await open();
    c.subscribe(`account_all_orders/${ACCOUNT}`, token());
    await c.waitFor(ofType('subscribed/account_all_orders'));
    const other = await open();
    expect(fx.server.control.faults.injectFrame('{not json', { channel: 'account_all_orders' })).toBe(1);
    expect(fx.server.control.faults.injectFrame({ type: 'update/account_all_orders', channel: `account_all_orders:${ACCOUNT}` }, { channel: 'account_all_orders' })).toBe(1);
    const raw = await c.waitFor((x) => x.raw === '{not json');
    expect(parseWsFrame(String(raw.raw), fx.ctx).ok).toBe(false);
    const missing = await c.waitFor((x) => x.type === 'update/account_all_orders');
    const p = parseWsFrame(JSON.stringify(missing), fx.ctx);
    expect(p.ok).toBe(false);
    await other.settle();
    expect(other.frames).toHaveLength(1); // only the greeting
  });

  it('VEN-05 forceBookGap makes the next update skip a nonce', async () => {
    const c = await open();
    c.subscribe('order_book/0');
    const snap = await c.waitFor(ofType('subscribed/order_book'));
    const last = (snap.order_book as { nonce: number }).nonce;
    fx.server.control.faults.forceBookGap('TEST');
    fx.server.control.setBook(0, '99.98', '100.02');
    await batch();
    const u = await c.waitFor(ofType('update/order_book'));
    const ob = u.order_book as { nonce: number; begin_nonce: number };
    expect(ob.begin_nonce).not.toBe(last);
    expect(ob.begin_nonce).toBeGreaterThan(last);
  });
});

describe('transaction faults', () => {
  it('VEN-03 delays the ack: the order is live at once, the ack arrives only when the clock moves', async () => {
    const c = await open();
    fx.server.control.faults.delayAcks(3_000);
    const tx = order();
    c.send({ type: 'jsonapi/sendtx', data: { id: 'slow', tx_type: tx.txType, tx_info: tx.txInfo } });
    await c.settle(80);
    expect(c.frames.filter(ofType('jsonapi/sendtx'))).toHaveLength(0);
    expect(fx.server.control.liveOrders(0).map((o) => o.clientIndex)).toContain(coi);
    nonce++;
    // the re-send with a fresh nonce is answered 21728
    const again = JSON.stringify({ ...JSON.parse(order(9900, nonce).txInfo), ClientOrderIndex: coi - 1 });
    expect((await sendTx(fx.server, 14, again)).json.code).toBe(21728);
    fx.clock.advanceBy(3_000);
    expect(await c.waitFor(ofType('jsonapi/sendtx'))).toMatchObject({ id: 'slow', code: 200 });
  });

  it('VEN-09 rejectNextTx answers 21506 twice without consuming the nonce, then the same tx is accepted', async () => {
    fx.server.control.faults.rejectNextTx(21506, { count: 2, message: 'too many pending txs' });
    const tx = order();
    expect((await sendTx(fx.server, tx.txType, tx.txInfo)).json).toEqual({ code: 21506, message: 'too many pending txs' });
    expect((await sendTx(fx.server, tx.txType, tx.txInfo)).json.code).toBe(21506);
    expect(fx.server.control.nextNonce(ACCOUNT, API_KEY)).toBe(nonce);
    expect((await sendTx(fx.server, tx.txType, tx.txInfo)).json.code).toBe(200);
    nonce++;
    expect(fx.server.control.wireOrders().filter((o) => o.client_order_index === coi)).toHaveLength(1);
  });

  it('VEN-02 failInSequencer acks 200 but executes nothing and keeps the nonce, so the next nonce gets 21104', async () => {
    const c = await open();
    c.subscribe(`account_tx/${ACCOUNT}`, token());
    await c.waitFor(ofType('subscribed/account_tx'));
    fx.server.control.faults.failInSequencer({ code: 21739, message: 'not enough margin' });
    const first = order();
    const r = await sendTx(fx.server, first.txType, first.txInfo);
    expect(r.json.code).toBe(200);
    const failedCoi = coi;
    expect(fx.server.control.wireOrders().some((o) => o.client_order_index === failedCoi)).toBe(false);
    const txf = await c.waitFor(ofType('update/account_tx'));
    expect((txf.txs as Array<Record<string, unknown>>)[0]).toMatchObject({ status: 0, event_info: expect.stringContaining('21739') });
    expect((await get(fx.server, '/api/v1/tx', { by: 'hash', value: String(r.json.tx_hash) })).json.status).toBe(0);
    const next = order(9900, nonce + 1);
    expect((await sendTx(fx.server, next.txType, next.txInfo)).json.code).toBe(21104);
    const n = (await get(fx.server, '/api/v1/nextNonce', { account_index: ACCOUNT, api_key_index: API_KEY })).json.nonce;
    expect(n).toBe(nonce);
    const resigned = JSON.stringify({ ...JSON.parse(order(9900, nonce).txInfo), ClientOrderIndex: failedCoi });
    expect((await sendTx(fx.server, 14, resigned)).json.code).toBe(200);
    nonce++;
    expect(fx.server.control.wireOrders().filter((o) => o.client_order_index === failedCoi)).toHaveLength(1);
  });

  it('VEN-09 failRest answers 429/23000 three times, and 503 for a clock window', async () => {
    fx.server.control.faults.failRest({ status: 429, count: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await get(fx.server, '/api/v1/orderBookDetails');
      expect(r.status).toBe(429);
      expect(r.json).toEqual({ code: 23000, message: 'Too Many Requests!' });
    }
    expect((await get(fx.server, '/api/v1/orderBookDetails')).status).toBe(200);
    fx.server.control.faults.failRest({ status: 503, forMs: 10_000, path: 'orderBookDetails' });
    expect((await get(fx.server, '/api/v1/orderBookDetails')).status).toBe(503);
    expect((await get(fx.server, '/api/v1/orderBookDetails')).json.code).toBe(29500);
    expect((await get(fx.server, '/api/v1/nextNonce', { account_index: ACCOUNT, api_key_index: API_KEY })).status).toBe(200);
    fx.clock.advanceBy(10_000);
    expect((await get(fx.server, '/api/v1/orderBookDetails')).status).toBe(200);
    const log = fx.server.control.restLog();
    expect(log.filter((e) => e.fault === 'http-429')).toHaveLength(3);
    expect(log.filter((e) => e.path === '/api/v1/nextNonce' && e.account === ACCOUNT).length).toBeGreaterThanOrEqual(1);
  });
});

describe('auth and expiry', () => {
  it('VEN-07 expireAuthTokens refuses seen tokens and closes private subscriptions using them', async () => {
    const c = await open();
    const t = token();
    c.subscribe(`account_all_orders/${ACCOUNT}`, t);
    await c.waitFor(ofType('subscribed/account_all_orders'));
    fx.server.control.faults.expireAuthTokens({ closeSubscriptions: true });
    const err = await c.waitFor((f) => 'error' in f);
    expect(err).toMatchObject({ error: { code: 30012, message: expect.stringMatching(/expired/) } });
    expect(fx.server.control.connections().find((x) => x.subscriptions.length === 0)).toBeDefined();
    expect((await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: t })).status).toBe(400);
    const fresh = fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3599);
    expect((await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: fresh })).status).toBe(200);
  });

  it('VEN-07 a configured maximum token life refuses tokens that reach too far', async () => {
    fx.server.control.faults.setAuthTokenMaxLifetime(600);
    const far = fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3600);
    const r = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: far });
    expect(String(r.json.message)).toMatch(/more than 600 s ahead/);
    const near = fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 600);
    expect((await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: near })).status).toBe(200);
    fx.server.control.faults.setAuthTokenMaxLifetime(8 * 3600);
  });

  it('a resting order expires canceled-expired on the clock', async () => {
    const c = await open();
    c.subscribe(`account_all_orders/${ACCOUNT}`, token());
    await c.waitFor(ofType('subscribed/account_all_orders'));
    const expiry = fx.clock.now() + 6 * 60_000;
    const tx = order(9800, nonce, expiry);
    expect((await sendTx(fx.server, tx.txType, tx.txInfo)).json.code).toBe(200);
    nonce++;
    const from = c.frames.length;
    for (let i = 0; i < 6; i++) {
      // keep the socket alive across the 2-minute idle limit
      const pongs = c.frames.length;
      c.send({ type: 'ping' });
      await c.waitFor(ofType('pong'), { from: pongs });
      fx.clock.advanceBy(60_000);
    }
    const f = await c.waitFor((x) => x.type === 'update/account_all_orders' && JSON.stringify(x).includes('canceled-expired'), { from });
    expect(parseWsFrame(JSON.stringify(f), fx.ctx)).toMatchObject({ ok: true, value: { orders: [{ order: { clientIndex: coi, cancelReason: 'expired' } }] } });
  });
});

describe('no ccxt', () => {
  it('the simulator neither imports nor needs ccxt', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = new URL('.', import.meta.url);
    for (const name of await readdir(dir)) {
      if (!name.endsWith('.ts')) continue;
      const text = await readFile(new URL(name, dir), 'utf8');
      expect(/from ['"]ccxt['"]|require\(['"]ccxt['"]\)/.test(text), name).toBe(false);
    }
    // ccxt is a dev dependency only: test/venue/ccxt.test.ts uses it to read from the simulator.
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies?: object };
    expect(Object.keys({ ...pkg.dependencies })).not.toContain('ccxt');
  });
});
