/**
 * WebSocket front of the Lighter simulator over real sockets: greeting, control frames,
 * malformed client frames, subscription rules and auth, order-book snapshot + delta
 * continuity, tx submission with acks, and the account channels — every frame the tests
 * look at is also run through the phase-1 `parseWsFrame` the adapter uses.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseWsFrame, type LighterWsFrame } from '../../adapters/lighter/parse.ts';
import { Dec } from '../domain/decimal.ts';
import { ACCOUNT, EXPIRY, ofType, startFixture, WsClient, type Fixture } from './test-support.ts';

let fx: Fixture;
let nonce = 1;
const clients: WsClient[] = [];
const open = async () => {
  const c = await WsClient.open(fx.server.wsUrl);
  clients.push(c);
  return c;
};
const token = () => fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3600);
const parsed = (f: Record<string, unknown>): LighterWsFrame => {
  const p = parseWsFrame(JSON.stringify(f), fx.ctx);
  if (!p.ok) throw new Error(`adapter parser refused the frame: ${p.error.message} — ${p.error.excerpt}`);
  return p.value;
};
/** Lets the clock-driven 50 ms book batch fire. */
const batch = async () => {
  await new Promise((r) => setImmediate(r));
  fx.clock.advanceBy(50);
};

beforeAll(async () => {
  fx = await startFixture();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
});
afterAll(async () => {
  await fx.close();
});

describe('connection and control frames', () => {
  it('greets with connected + session_id and answers ping with pong', async () => {
    const c = await open();
    expect(c.frames[0]).toMatchObject({ type: 'connected', session_id: expect.any(String) });
    c.send({ type: 'ping' });
    await c.waitFor(ofType('pong'));
    expect(fx.server.control.connections().length).toBeGreaterThanOrEqual(1);
  });

  it('VEN-06 a malformed client frame gets an error frame and the socket survives', async () => {
    const c = await open();
    c.send('this is not json');
    const err = await c.waitFor((f) => 'error' in f);
    expect(err).toEqual({ error: { code: 30000, message: 'Invalid Json' } });
    expect(parsed(err)).toMatchObject({ kind: 'error', code: 30000 });
    c.send({ type: 'dance' });
    await c.waitFor((f) => (f.error as { code?: number } | undefined)?.code === 30001);
    c.send({ type: 'ping' });
    await c.waitFor(ofType('pong'));
    expect(c.closedWith).toBeNull();
  });

  it('subscription errors: invalid channel 30005, already subscribed 30003, not subscribed 30002', async () => {
    const c = await open();
    c.subscribe('nonsense/0');
    await c.waitFor((f) => (f.error as { code?: number } | undefined)?.code === 30005);
    c.subscribe('order_book/9');
    await c.waitFor((f) => (f.error as { message?: string } | undefined)?.message?.includes('unknown market 9') === true);
    c.subscribe('height');
    await c.waitFor(ofType('subscribed/height'));
    c.subscribe('height');
    await c.waitFor((f) => (f.error as { code?: number } | undefined)?.code === 30003);
    c.send({ type: 'unsubscribe', channel: 'trade/0' });
    await c.waitFor((f) => (f.error as { code?: number } | undefined)?.code === 30002);
  });

  it('closes a socket idle for 2 minutes (on the clock)', async () => {
    const c = await open();
    fx.clock.advanceBy(119_000);
    await c.settle();
    expect(c.closedWith).toBeNull();
    c.send({ type: 'ping' });
    await c.waitFor(ofType('pong'));
    fx.clock.advanceBy(119_000);
    await c.settle();
    expect(c.closedWith).toBeNull();
    fx.clock.advanceBy(1_001);
    const closed = await c.waitClosed();
    expect(closed.reason).toMatch(/idle/);
  });
});

describe('private channels need auth', () => {
  it('refuses account_orders / account_all_orders / account_tx without a valid token, allows account_all', async () => {
    const c = await open();
    c.subscribe(`account_orders/0/${ACCOUNT}`);
    const e1 = await c.waitFor((f) => 'error' in f);
    expect(e1).toMatchObject({ error: { code: 30012, message: expect.stringMatching(/^invalid auth/) } });
    c.subscribe(`account_all_orders/${ACCOUNT}`, 'garbage');
    await c.waitFor((f) => (f.error as { message?: string } | undefined)?.message?.includes('malformed') === true);
    c.subscribe(`account_tx/2`, token()); // token of account 1
    await c.waitFor((f) => (f.error as { message?: string } | undefined)?.message?.includes('not 2') === true);
    c.subscribe(`account_all/${ACCOUNT}`);
    const snap = await c.waitFor(ofType('subscribed/account_all'));
    expect(parsed(snap)).toMatchObject({ kind: 'account-all', phase: 'snapshot', account: ACCOUNT });
    c.subscribe(`account_orders/0/${ACCOUNT}`, token());
    const ok = await c.waitFor(ofType('subscribed/account_orders'));
    expect(ok).toMatchObject({ channel: 'account_orders:0', account: ACCOUNT, orders: { '0': [] } });
  });
});

describe('order book', () => {
  it('VEN-05 snapshot, then deltas whose begin_nonce continues the previous nonce; applying them rebuilds the book', async () => {
    const c = await open();
    c.subscribe('order_book/0');
    const snap = await c.waitFor(ofType('subscribed/order_book'));
    const s = parsed(snap);
    if (s.kind !== 'order-book') throw new Error('not a book frame');
    expect(snap.channel).toBe('order_book:0');
    expect(s.bids[0]).toEqual({ price: '99.98', size: '50.000' });
    expect(s.asks[0]).toEqual({ price: '100.02', size: '50.000' });
    expect(s.asks).toHaveLength(20);
    const book = { bids: new Map(s.bids.map((l) => [l.price, l.size])), asks: new Map(s.asks.map((l) => [l.price, l.size])) };
    let last = s.nonce;
    for (const [bid, ask] of [['99.99', '100.03'], ['100.00', '100.04'], ['99.90', '99.94']] as const) {
      const from = c.frames.length;
      fx.server.control.setBook(0, bid, ask);
      await batch();
      const u = parsed(await c.waitFor(ofType('update/order_book'), { from }));
      if (u.kind !== 'order-book') throw new Error('not a book frame');
      expect(u.phase).toBe('update');
      expect(u.beginNonce).toBe(last);
      expect(BigInt(u.nonce)).toBeGreaterThan(BigInt(last));
      for (const [side, levels] of [['bids', u.bids], ['asks', u.asks]] as const) {
        for (const l of levels) {
          if (l.size === '0.000') book[side].delete(l.price);
          else book[side].set(l.price, l.size);
        }
      }
      last = u.nonce;
    }
    const c2 = await open();
    c2.subscribe('order_book/0');
    const fresh = parsed(await c2.waitFor(ofType('subscribed/order_book')));
    if (fresh.kind !== 'order-book') throw new Error('not a book frame');
    expect(fresh.nonce).toBe(last);
    const sortedSide = (m: Map<string, string>, desc: boolean) => [...m.entries()].sort((a, b) => (desc ? new Dec(b[0]).cmp(a[0]) : new Dec(a[0]).cmp(b[0]))).map(([price, size]) => ({ price, size }));
    expect(sortedSide(book.bids, true)).toEqual(fresh.bids);
    expect(sortedSide(book.asks, false)).toEqual(fresh.asks);
    expect(fresh.bids[0]!.price).toBe('99.90');
  });

  it('batches several moves within 50 ms into one update', async () => {
    const c = await open();
    c.subscribe('order_book/0');
    await c.waitFor(ofType('subscribed/order_book'));
    const from = c.frames.length;
    fx.server.control.setBook(0, '99.95', '99.99');
    fx.server.control.setBook(0, '99.96', '100.00');
    await batch();
    await c.waitFor(ofType('update/order_book'), { from });
    await c.settle();
    expect(c.frames.slice(from).filter(ofType('update/order_book'))).toHaveLength(1);
  });

  it('ticker carries the best bid/ask and parses as a BBO', async () => {
    const c = await open();
    c.subscribe('ticker/0');
    const snap = await c.waitFor(ofType('subscribed/ticker'));
    const t = parsed(snap);
    expect(t).toMatchObject({ kind: 'ticker', bbo: { market: 'TEST', bid: '99.96', ask: '100.00', bidSize: '50.000' } });
    const from = c.frames.length;
    fx.server.control.setBook(0, '99.98', '100.02');
    await batch();
    expect(parsed(await c.waitFor(ofType('update/ticker'), { from }))).toMatchObject({ kind: 'ticker', phase: 'update', bbo: { bid: '99.98', ask: '100.02' } });
  });
});

describe('transactions over WS and the account channels', () => {
  it('VEN-11 jsonapi/sendtx is acked by id; the order appears on account_orders and account_all_orders', async () => {
    const c = await open();
    c.subscribe(`account_orders/0/${ACCOUNT}`, token());
    c.subscribe(`account_all_orders/${ACCOUNT}`, token());
    await c.waitFor(ofType('subscribed/account_orders'));
    await c.waitFor(ofType('subscribed/account_all_orders'));
    const tx = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 501, baseAmount: 1000, price: 9990, isAsk: false, type: 'limit', timeInForce: 'post-only', reduceOnly: false, orderExpiry: EXPIRY, nonce });
    c.send({ type: 'jsonapi/sendtx', data: { id: 'req-1', tx_type: tx.txType, tx_info: JSON.parse(tx.txInfo) } });
    const ack = await c.waitFor(ofType('jsonapi/sendtx'));
    expect(parsed(ack)).toMatchObject({ kind: 'sendtx-ack', id: 'req-1', txHash: expect.stringMatching(/^[0-9a-f]{80}$/) });
    nonce++;
    const upd = parsed(await c.waitFor(ofType('update/account_orders')));
    expect(upd).toMatchObject({ kind: 'account-orders', phase: 'update', orders: [{ order: { clientIndex: 501, status: 'open', price: '99.90' }, venueStatus: 'open' }] });
    expect(parsed(await c.waitFor(ofType('update/account_all_orders')))).toMatchObject({ orders: [{ order: { clientIndex: 501 } }] });
  });

  it('a post-only order that would cross ends canceled-post-only on the channel', async () => {
    const c = await open();
    c.subscribe(`account_all_orders/${ACCOUNT}`, token());
    await c.waitFor(ofType('subscribed/account_all_orders'));
    const tx = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 502, baseAmount: 1000, price: 10002, isAsk: false, type: 'limit', timeInForce: 'post-only', reduceOnly: false, orderExpiry: EXPIRY, nonce });
    c.send({ type: 'jsonapi/sendtx', data: { id: 7, tx_type: tx.txType, tx_info: tx.txInfo } });
    await c.waitFor(ofType('jsonapi/sendtx'));
    nonce++;
    const upd = parsed(await c.waitFor(ofType('update/account_all_orders')));
    expect(upd).toMatchObject({ orders: [{ order: { clientIndex: 502, status: 'canceled', cancelReason: 'post-only' }, venueStatus: 'canceled-post-only' }] });
  });

  it('a refused tx gets an error frame with the request id (21104)', async () => {
    const c = await open();
    const tx = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 503, baseAmount: 1000, price: 9990, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce: nonce + 3 });
    c.send({ type: 'jsonapi/sendtx', data: { id: 'bad-nonce', tx_type: tx.txType, tx_info: tx.txInfo } });
    const err = await c.waitFor((f) => 'error' in f);
    expect(parsed(err)).toMatchObject({ kind: 'error', code: 21104, id: 'bad-nonce', error: { kind: 'unavailable' } });
  });

  it('a fill reaches trade, account_all, account_all_trades, account_orders and account_tx; the position is signed', async () => {
    const c = await open();
    for (const ch of [`trade/0`, `account_all/${ACCOUNT}`, `user_stats/${ACCOUNT}`, 'height', 'market_stats/all']) c.subscribe(ch);
    for (const ch of [`account_all_trades/${ACCOUNT}`, `account_orders/0/${ACCOUNT}`, `account_tx/${ACCOUNT}`]) c.subscribe(ch, token());
    for (const t of ['trade', 'account_all', 'user_stats', 'height', 'market_stats', 'account_all_trades', 'account_orders', 'account_tx']) await c.waitFor(ofType(`subscribed/${t}`));
    const snap = c.frames.find(ofType('subscribed/account_all_trades'))!;
    expect(parsed(snap)).toMatchObject({ kind: 'account-trades', phase: 'snapshot' });
    // an ask at 100.03 (rests), then a counterparty lifts it
    const tx = fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 504, baseAmount: 2000, price: 10003, isAsk: true, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce });
    c.send({ type: 'jsonapi/sendtx', data: { tx_type: tx.txType, tx_info: tx.txInfo } });
    await c.waitFor(ofType('jsonapi/sendtx'));
    nonce++;
    const txFrame = await c.waitFor(ofType('update/account_tx'));
    expect((txFrame.txs as Array<Record<string, unknown>>)[0]).toMatchObject({ type: 14, status: 2, account_index: ACCOUNT });
    await c.waitFor(ofType('update/height'));
    const beforeFill = c.frames.length;
    fx.server.control.counterpartyFill(0, 504, '0.500');
    const trade = parsed(await c.waitFor(ofType('update/trade')));
    expect(trade).toMatchObject({ kind: 'ignored' }); // the adapter reads fills from the account channels
    const tradeFrame = c.frames.find(ofType('update/trade'))!;
    expect((tradeFrame.trades as Array<Record<string, unknown>>)[0]).toMatchObject({ ask_client_id: 504, ask_account_id: ACCOUNT, is_maker_ask: true, price: '100.03', size: '0.500', usd_amount: '50.01500' });
    const all = parsed(await c.waitFor(ofType('update/account_all')));
    expect(all).toMatchObject({ kind: 'account-all', fills: [{ clientIndex: 504, side: 'sell', liquidity: 'maker', size: '0.500' }], positions: [{ market: 'TEST', size: '-0.5', avgEntryPrice: '100.03' }] });
    expect(parsed(await c.waitFor(ofType('update/account_all_trades')))).toMatchObject({ fills: [{ clientIndex: 504, price: '100.03' }] });
    expect(parsed(await c.waitFor(ofType('update/account_orders'), { from: beforeFill }))).toMatchObject({ orders: [{ order: { clientIndex: 504, filledSize: '0.500', status: 'open' }, remainingSize: '1.500' }] });
    await c.waitFor(ofType('update/user_stats'));
    await c.waitFor(ofType('update/market_stats'));
    // a fresh account_all snapshot repeats the trade (clients de-duplicate by trade id)
    const c2 = await open();
    c2.subscribe(`account_all/${ACCOUNT}`);
    const again = parsed(await c2.waitFor(ofType('subscribed/account_all')));
    expect(again).toMatchObject({ fills: [{ clientIndex: 504 }] });
  });

  it('jsonapi/sendtxbatch acks with a hash list; readonly connections cannot send', async () => {
    const c = await open();
    const a = fx.signer.cancelOrder({ marketIndex: 0, index: 501, nonce });
    const b = fx.signer.cancelOrder({ marketIndex: 0, index: 504, nonce: nonce + 1 });
    c.send({ type: 'jsonapi/sendtxbatch', data: { id: 'b1', tx_types: JSON.stringify([15, 15]), tx_infos: JSON.stringify([a.txInfo, b.txInfo]) } });
    const ack = await c.waitFor(ofType('jsonapi/sendtxbatch'));
    expect(parsed(ack)).toMatchObject({ kind: 'sendtx-ack', batch: true, id: 'b1' });
    expect(ack.tx_hash).toHaveLength(2);
    nonce += 2;
    expect(fx.server.control.liveOrders('TEST')).toEqual([]);
    const ro = await WsClient.open(`${fx.server.wsUrl}?readonly=true`);
    clients.push(ro);
    ro.send({ type: 'jsonapi/sendtx', data: { id: 'r', tx_type: 15, tx_info: a.txInfo } });
    expect(await ro.waitFor((f) => 'error' in f)).toMatchObject({ error: { code: 30006 }, id: 'r' });
  });
});
