/**
 * VEN scenarios (acceptance-scenarios.md, "Lighter over sockets") and RSK-11's over-sockets
 * part: the LighterVenue against the Lighter simulator server over 127.0.0.1 sockets, with
 * the real Bot where a scenario needs it. Time is one SimClock shared by bot, adapter and
 * server, moved only when nothing waits on the network (`advance`), except where a test
 * says it runs on the wall clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Decimal } from 'decimal.js';
import { isVenueError, type VenueStreamEvent } from '../../adapters/types.ts';
import { BTC, simMarket, TEST } from '../../adapters/sim/index.ts';
import { TX_TYPE } from '../../adapters/lighter/constants.ts';
import { startSimVenue, TEST_ACCOUNT, type SimVenueSetup } from '../../adapters/lighter/testing.ts';
import { decodeClientIndex as decode, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { botOverWallClock, botWorld, connectDriven, M, simWorld, txs, until } from './support.ts';

const open: Array<{ close(): Promise<void> }> = [];
const track = <T extends { close(): Promise<void> }>(x: T): T => {
  open.push(x);
  return x;
};
afterEach(async () => {
  for (const x of open.splice(0)) {
    if ('bot' in x) (x as unknown as { bot: { kill(): void } }).bot.kill();
    await x.close();
  }
});

const idx = (n: number, r: Parameters<typeof encodeClientIndex>[2]) => encodeClientIndex(1, n, r);
const restCalls = (s: SimVenueSetup, path: string) => s.server.control.restLog().filter((c) => c.path === `/api/v1/${path}`);
const buy = (clientIndex: number, price = '99.90', size = '1.000') => ({ market: M, clientIndex, side: 'buy' as const, type: 'limit' as const, price, size, timeInForce: 'post-only' as const, reduceOnly: false });

async function expectKind(p: Promise<unknown>, kind: string): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (isVenueError(err) && err.kind === kind) return err;
    throw new Error(`expected VenueError ${kind}, got ${String(err)}`);
  }
  throw new Error(`expected VenueError ${kind}, it resolved`);
}

describe('VEN — Lighter over sockets', () => {
  it('VEN-01 nonces start from nextNonce and are counted locally', async () => {
    const w = track(await simWorld({ firstNonce: 41 }));
    await w.venue.setLeverage(M, 20);
    await w.venue.placeOrder(buy(idx(1, role.entry())));
    await w.venue.placeOrder(buy(idx(2, role.entry()), '99.80'));
    await w.venue.cancelOrder(M, idx(1, role.entry()));
    await w.venue.placeOrder(buy(idx(3, role.entry()), '99.70'));
    expect(restCalls(w, 'nextNonce')).toHaveLength(1);
    const sent = txs(w);
    expect(sent.map((t) => t.f.Nonce)).toEqual([41, 42, 43, 44, 45]);
    expect(sent.map((t) => t.txType)).toEqual([TX_TYPE.updateLeverage, TX_TYPE.createOrder, TX_TYPE.createOrder, TX_TYPE.cancelOrder, TX_TYPE.createOrder]);
    expect(sent.every((t) => t.code === 200 && t.via === 'ws')).toBe(true);
    expect(w.server.control.nextNonce(TEST_ACCOUNT, 3)).toBe(46);
  });

  it('VEN-02 an invalid-nonce rejection resyncs the nonce and re-signs the same transaction', async () => {
    const w = track(await simWorld());
    const entry2 = idx(2, role.entry());
    // A transaction accepted by the API but failed in the sequencer: its nonce is not consumed.
    w.server.control.faults.failInSequencer({ count: 1 });
    await w.venue.setLeverage(M, 20);
    await w.venue.placeOrder(buy(entry2));
    await w.settle();
    const creates = txs(w, TX_TYPE.createOrder);
    expect(creates.map((t) => t.code)).toEqual([21104, 200]);
    expect(creates.map((t) => t.f.ClientOrderIndex)).toEqual([entry2, entry2]);
    expect(creates[1]!.f.Nonce).toBe(creates[0]!.f.Nonce! - 1);
    expect(restCalls(w, 'nextNonce')).toHaveLength(2);
    expect(w.server.control.liveOrders(M).filter((o) => o.clientIndex === entry2)).toHaveLength(1);

    // The same recovery for a cancel and for a market order.
    w.server.control.faults.failInSequencer({ count: 1 });
    await w.venue.placeOrder(buy(idx(3, role.entry()), '99.80'));
    await w.venue.cancelOrder(M, entry2);
    const cancels = txs(w, TX_TYPE.cancelOrder);
    expect(cancels.map((t) => [t.code, t.f.Index])).toEqual([
      [21104, entry2],
      [200, entry2],
    ]);
    w.server.control.faults.failInSequencer({ count: 1 });
    await w.venue.placeOrder(buy(idx(4, role.entry()), '99.70'));
    const mkt = idx(5, role.entry());
    await w.venue.placeOrder({ market: M, clientIndex: mkt, side: 'buy', type: 'market', price: '101.00', size: '0.500', timeInForce: 'ioc', reduceOnly: false });
    await w.settle();
    expect(txs(w, TX_TYPE.createOrder).filter((t) => t.f.ClientOrderIndex === mkt).map((t) => t.code)).toEqual([21104, 200]);
    expect(w.server.control.positionOf(M).size).toBe('0.500');
    expect(restCalls(w, 'nextNonce')).toHaveLength(4);
  });

  it('VEN-03 an unacknowledged entry is looked up by client index, never re-sent under a new index (wall clock)', async () => {
    // Adapter: a second send of a live index is "already placed" (21728), not a new order.
    const s = track(await startSimVenue({ venue: { sendTimeoutMs: 300 } }));
    const first = idx(1, role.entry());
    await s.venue.placeOrder(buy(first));
    const dup = await expectKind(s.venue.placeOrder(buy(first)), 'duplicate-client-index');
    expect(dup.message).toMatch(/21728/);
    // The ack of the next send is delayed beyond the send timeout: the outcome is unknown …
    s.server.control.faults.delayAcks(900);
    const second = idx(2, role.entry());
    await expectKind(s.venue.placeOrder(buy(second, '99.80')), 'outcome-unknown');
    // … and the order is found by its client index (what the machines do next).
    const found = await s.venue.getOrder(M, second);
    expect(found).toMatchObject({ clientIndex: second, status: 'open', price: '99.80' });
    // The next transaction refetches the nonce (the lost answer may have consumed one).
    await s.venue.cancelOrder(M, second);
    expect(restCalls(s, 'nextNonce')).toHaveLength(2);
    expect(txs(s, TX_TYPE.createOrder).map((t) => t.f.ClientOrderIndex)).toEqual([first, first, second]);
  });

  it('VEN-03 the bot whose entry ack is lost looks it up and continues in waitingForFill (wall clock)', async () => {
    // The entry's ack is late and its order frame lost: only a lookup can tell what happened.
    const b = track(await botOverWallClock({ sendTimeoutMs: 300, delayFirstEntryAckMs: 900, dropFirstOrderFrame: true }));
    const entry = idx(1, role.entry());
    await b.until('the entry to be looked up and waiting for a fill', () => b.bot.status().entryState === 'waitingForFill' && restCalls(b, 'accountActiveOrders').length >= 2);
    const creates = txs(b, TX_TYPE.createOrder);
    expect(creates.map((t) => t.f.ClientOrderIndex)).toEqual([entry]);
    expect(b.server.control.liveOrders(M).map((o) => o.clientIndex)).toEqual([entry]);
    expect(b.bot.status().entry).toMatchObject({ name: 'grid-1:entry', status: 'open' });
  });

  it('VEN-11 a full cycle over sockets has the right wire fields', async () => {
    const w = track(await simWorld({ noConnect: true }));
    await connectDriven(w);
    // connect() resolved only after the first frames of the book, order and position streams.
    const subs = w.server.control.connections()[0]!.subscriptions;
    expect(subs).toEqual(expect.arrayContaining(['order_book/0', `account_all_orders/${TEST_ACCOUNT}`, `account_all_trades/${TEST_ACCOUNT}`, `account_all/${TEST_ACCOUNT}`]));
    expect(txs(w)).toHaveLength(0);
    const b = track(
      await botWorld({
        beforeStart: (x) => {
          // Every limit exit of grid-2 meets a book that has just moved above it (an arrival
          // hook on the wire): post-only cancels until the market fallback.
          const place = x.venue.placeOrder.bind(x.venue);
          x.venue.placeOrder = (req) => {
            const d = decode(req.clientIndex);
            if (d?.n === 2 && d.role.kind !== 'entry' && req.type === 'limit') {
              const bid = new Decimal(req.price).plus('0.10');
              x.server.control.setBook(M, bid.toFixed(2), bid.plus('0.04').toFixed(2));
            }
            return place(req);
          };
        },
      }),
    );
    const entry1 = idx(1, role.entry());
    const close1 = idx(1, role.close());
    const entryTx = await until(b, 'grid-1:entry', () => txs(b, TX_TYPE.createOrder).find((t) => t.f.ClientOrderIndex === entry1));
    expect(entryTx.f).toMatchObject({ Type: 0, TimeInForce: 2, ReduceOnly: 0, IsAsk: 0, BaseAmount: 1000, Price: 10000, MarketIndex: 0 });
    expect(entryTx.f.OrderExpiry).toBeGreaterThan(b.clock.now());
    b.server.control.counterpartyFill(M, entry1);
    const closeTx = await until(b, 'grid-1:close', () => txs(b, TX_TYPE.createOrder).find((t) => t.f.ClientOrderIndex === close1));
    expect(closeTx.f).toMatchObject({ Type: 0, IsAsk: 1, ReduceOnly: 1, TimeInForce: 2, BaseAmount: 1000, Price: 10004 });
    // Fills are matched by client index and account; the position is sign × position.
    const fill = b.events.find((e): e is Extract<VenueStreamEvent, { type: 'order.filled' }> => e.type === 'order.filled' && e.fill.clientIndex === entry1);
    expect(fill?.fill).toMatchObject({ side: 'buy', size: '1.000', price: '100.00', liquidity: 'maker' });
    expect(Number((await b.venue.position(M)).size)).toBe(1);
    b.server.control.counterpartyFill(M, close1);
    await until(b, 'grid-1 closed', () => b.journal.some((j) => j.type === 'position.closed'));
    expect(Number((await b.venue.position(M)).size)).toBe(0);

    // grid-2: post-only exits cancelled for crossing, then the market fallback.
    const entry2 = await until(b, 'grid-2:entry', () => txs(b, TX_TYPE.createOrder).find((t) => t.n === 2 && t.role?.kind === 'entry'), 120_000, 500);
    await b.settle();
    b.server.control.counterpartyFill(M, entry2.f.ClientOrderIndex!);
    const market = await until(b, 'grid-2 market fallback', () => txs(b, TX_TYPE.createOrder).find((t) => t.n === 2 && t.role?.kind === 'market-exit'), 60_000);
    expect(market.f).toMatchObject({ Type: 1, TimeInForce: 0, OrderExpiry: 0, ReduceOnly: 1, IsAsk: 1 });
    const exits2 = txs(b, TX_TYPE.createOrder).filter((t) => t.n === 2 && t.role?.kind !== 'entry');
    expect(exits2.map((t) => t.role!.kind)).toEqual(['close', 'close-retry', 'close-retry', 'close-retry', 'market-exit']);
    for (const e of exits2.slice(0, 4)) expect(e.f).toMatchObject({ Type: 0, TimeInForce: 2, ReduceOnly: 1, IsAsk: 1 });
    expect(b.journal.filter((j) => j.type === 'exit.canceled').length).toBeGreaterThanOrEqual(3);
    await until(b, 'grid-2 closed', () => b.journal.filter((j) => j.type === 'position.closed').length === 2);
    expect(b.server.control.positionOf(M).size).toBe('0.000');
    // Every cancel the bot sent is a CancelOrder addressed by a client index of the scheme.
    for (const c of txs(b, TX_TYPE.cancelOrder)) expect(decode(c.f.Index!)).not.toBeNull();
    // A short position reads negative (sign × position).
    b.server.control.accountMarketTrade(M, 'sell', '2');
    await b.settle();
    expect(Number((await b.venue.position(M)).size)).toBe(-2);
  });

  it('RSK-11 leverage over sockets is an UpdateLeverage (tx type 20) with the clamped InitialMarginFraction', async () => {
    const b50 = track(await botWorld({ leverage: 100 }));
    const lev = txs(b50, TX_TYPE.updateLeverage);
    expect(lev.length).toBeGreaterThanOrEqual(1);
    for (const t of lev) expect(t.f).toMatchObject({ MarketIndex: 0, InitialMarginFraction: 200, MarginMode: 0 });
    expect(lev.every((t) => t.code === 200)).toBe(true);
    expect(b50.journal.find((j) => j.type === 'risk.leverage-clamped')?.payload).toEqual({ requested: 100, applied: 50 });
    // Before the first entry.
    expect(txs(b50)[0]!.txType).toBe(TX_TYPE.updateLeverage);
    const b20 = track(await botWorld({ leverage: 20 }));
    expect(new Set(txs(b20, TX_TYPE.updateLeverage).map((t) => t.f.InitialMarginFraction))).toEqual(new Set([500]));
    expect(b20.server.control.positionOf(M).leverage).toBe(20);
  });

  it('VEN-05 an order-book gap causes a resubscribe, offset jumps do not; levels stay sorted', async () => {
    const w = track(await simWorld());
    const bbos: string[] = [];
    w.venue.subscribe(M, (e) => e.type === 'market.bbo' && bbos.push(`${e.bbo.bid}/${e.bbo.ask}`));
    await w.settle();
    const book = (w.venue as unknown as { dispatch: { book(i: number): { lastNonce?: string; synced: boolean; levels(s: 'bids' | 'asks'): Array<{ price: string }> } } }).dispatch.book(0);
    // Updates continuous by begin_nonce (9182389998 → 9182390020, not consecutive), offsets jumping.
    const frame = (begin: string, nonce: string, offset: number, bids: Array<[string, string]>) => ({
      type: 'update/order_book',
      channel: 'order_book:0',
      offset,
      timestamp: w.clock.now(),
      order_book: { code: 0, asks: [], bids: bids.map(([price, size]) => ({ price, size })), offset, nonce: Number(nonce), begin_nonce: Number(begin) },
    });
    const gapsBefore = w.venue.stats().bookGaps;
    w.server.control.faults.injectFrame(frame(book.lastNonce!, '9182389998', 5, [['99.95', '3.000']]), { channel: 'order_book/0' });
    w.server.control.faults.injectFrame(frame('9182389998', '9182390020', 90_000, [['99.97', '2.000'], ['99.99', '1.000']]), { channel: 'order_book/0' });
    await w.settle();
    expect(w.venue.stats().bookGaps).toBe(gapsBefore);
    expect(book.lastNonce).toBe('9182390020');
    const prices = book.levels('bids').map((l) => Number(l.price));
    expect(prices).toEqual([...prices].sort((a, b) => b - a));
    expect(prices.slice(0, 4)).toEqual([99.99, 99.98, 99.97, 99.96]);
    expect(bbos.at(-1)).toBe('99.99/100.02');
    // A begin_nonce that does not continue the last nonce (one delta lost): drop, resubscribe, rebuild.
    w.server.control.faults.injectFrame(frame('9182390021', '9182390040', 90_001, [['99.99', '0']]), { channel: 'order_book/0' });
    await w.settle();
    await w.settle();
    expect(w.venue.stats().bookGaps).toBe(gapsBefore + 1);
    expect(book.synced).toBe(true);
    expect(await w.venue.bbo(M)).toMatchObject({ bid: '99.98', ask: '100.02' });
    expect(book.levels('bids')[0]).toMatchObject({ price: '99.98' });
    // The simulator's own forced gap is recovered the same way.
    w.server.control.faults.forceBookGap(M);
    w.server.control.setBook(M, '99.90', '99.94');
    await w.advance(100);
    await w.advance(100);
    expect(w.venue.stats().bookGaps).toBe(gapsBefore + 2);
    expect(await w.venue.bbo(M)).toMatchObject({ bid: '99.90', ask: '99.94' });
    expect(restCalls(w, 'orderBookOrders')).toHaveLength(0);
  });

  it('VEN-06 a malformed frame is logged and survived', async () => {
    const w = track(await simWorld());
    const ci = idx(1, role.close());
    await w.venue.placeOrder({ ...buy(ci), side: 'sell', price: '100.04' });
    await w.settle();
    const before = w.events.length;
    w.venue.subscribe(M, (e) => w.events.push(e));
    await w.settle();
    const seen = w.events.length;
    const order = { order_index: 281474976710700, client_order_index: ci, market_index: 0, owner_account_index: TEST_ACCOUNT, initial_base_amount: '1.000', remaining_base_amount: '0.000', is_ask: true, filled_base_amount: '1.000', type: 'limit', time_in_force: 'post-only', reduce_only: false, order_expiry: 0, status: 'filled' };
    const bad = [
      'this is not json {',
      { type: 'update/account_all_orders', channel: `account_all_orders:${TEST_ACCOUNT}`, orders: { '0': [{ ...order, price: 100.04 }] } },
      { type: 'update/account_all_orders', channel: `account_all_orders:${TEST_ACCOUNT}` },
      { type: 'update/account_all_trades', channel: `account_all_trades:${TEST_ACCOUNT}`, trades: { '0': [{ trade_id: 9, type: 'trade', market_id: 0, size: '1' + '0'.repeat(40), price: '100.04', usd_amount: '1.000000', ask_id: 1, bid_id: 2, ask_client_id: ci, bid_client_id: 0, ask_account_id: TEST_ACCOUNT, bid_account_id: 77, is_maker_ask: true, timestamp: w.clock.now() }] } },
      { type: 'update/order_book', channel: 'order_book:0', order_book: { asks: [{ price: 100.5, size: '1.000' }], bids: [], nonce: 1, begin_nonce: 0 } },
    ];
    w.server.control.faults.injectFrame(bad[0]!, { channel: 'account_all_orders' });
    w.server.control.faults.injectFrame(bad[1]!, { channel: 'account_all_orders' });
    w.server.control.faults.injectFrame(bad[2]!, { channel: 'account_all_orders' });
    w.server.control.faults.injectFrame(bad[3]!, { channel: 'account_all_trades' });
    w.server.control.faults.injectFrame(bad[4]!, { channel: 'order_book/0' });
    await w.settle();
    const malformed = w.logs.filter((l) => /malformed frame/.test(l.message));
    expect(malformed).toHaveLength(5);
    for (const l of malformed) expect(String(l.fields?.excerpt ?? '').length).toBeLessThanOrEqual(161);
    expect(w.events.length).toBe(seen);
    expect(w.venue.stats()).toMatchObject({ malformedFrames: 5, wsReconnects: 0, bookGaps: 0 });
    expect(w.server.control.connections()).toHaveLength(1);
    // The next valid frame (a fill) is processed normally.
    w.server.control.counterpartyFill(M, ci);
    await w.settle();
    const fills = w.events.slice(seen).filter((e) => e.type === 'order.filled');
    expect(fills).toHaveLength(1);
    expect(w.events.slice(seen).some((e) => e.type === 'order.updated' && e.order.clientIndex === ci && e.order.status === 'filled')).toBe(true);
    expect(before).toBe(0);
  });

  it('VEN-07 auth tokens are refreshed before they expire (60 simulated minutes, tokens ≤ 10 min)', async () => {
    const w = track(await simWorld({ server: { authTokenMaxLifetimeSec: 600 } }));
    const deadlines: number[] = [];
    const seenTokens = new Set<string>();
    const tokenOf = (q: Record<string, string>) => q.auth;
    for (let minute = 0; minute < 60; minute += 5) {
      await w.venue.openOrders(M);
      await w.venue.fills(M, 0);
      if (minute === 30) {
        // A reconnect in the middle: private channels come back with a valid token.
        w.server.control.faults.dropConnections();
        await until(w, 'the reconnect', () => w.venue.stats().wsReconnects === 1 && w.venue.wsOpen, 10_000);
        await w.advance(1000);
      }
      await w.advance(5 * 60_000);
    }
    for (const c of w.server.control.restLog()) {
      const t = tokenOf(c.query);
      if (!t) continue;
      expect(c.status).toBe(200);
      const deadline = Number(t.split(':')[0]);
      expect(deadline * 1000).toBeGreaterThan(c.time);
      if (!seenTokens.has(t)) deadlines.push(deadline);
      seenTokens.add(t);
    }
    expect(seenTokens.size).toBeGreaterThanOrEqual(6);
    const subs = w.server.control.connections()[0]!.subscriptions;
    expect(subs).toEqual(expect.arrayContaining([`account_all_orders/${TEST_ACCOUNT}`, `account_all_trades/${TEST_ACCOUNT}`]));
    expect(w.logs.filter((l) => l.level === 'warn' && /error frame/.test(l.message))).toEqual([]);
    expect(w.venue.stats().wsReconnects).toBe(1);
  });

  it('VEN-07 revoked tokens: private channels are resubscribed with a fresh token', async () => {
    const w = track(await simWorld());
    const ci = idx(1, role.entry());
    await w.venue.placeOrder(buy(ci));
    const minted = w.venue.stats().authTokensMinted;
    w.server.control.faults.expireAuthTokens({ closeSubscriptions: true });
    await w.advance(1000);
    expect(w.venue.stats().authTokensMinted).toBeGreaterThan(minted);
    const subs = w.server.control.connections()[0]!.subscriptions;
    expect(subs).toEqual(expect.arrayContaining([`account_all_orders/${TEST_ACCOUNT}`, `account_all_trades/${TEST_ACCOUNT}`]));
    w.venue.subscribe(M, (e) => w.events.push(e));
    w.server.control.counterpartyFill(M, ci);
    await w.settle();
    expect(w.events.some((e) => e.type === 'order.filled' && e.fill.clientIndex === ci)).toBe(true);
    expect(await w.venue.openOrders(M)).toEqual([]);
  });

  it('VEN-08 off-grid prices and sizes are rejected before signing, never rounded; integers are exact', async () => {
    const w = track(await simWorld({ markets: [simMarket(TEST), simMarket(BTC)], subscribe: ['TEST', 'BTC'] }));
    const e1 = await expectKind(w.venue.placeOrder(buy(idx(1, role.entry()), '100.005')), 'rejected');
    expect(e1.message).toMatch(/100\.005/);
    expect(e1.message).toMatch(/tick 0\.01/);
    const e2 = await expectKind(w.venue.placeOrder(buy(idx(2, role.entry()), '99.90', '0.0005')), 'rejected');
    expect(e2.message).toMatch(/0\.0005/);
    expect(e2.message).toMatch(/step 0\.001/);
    expect(txs(w)).toHaveLength(0);
    expect(restCalls(w, 'nextNonce')).toHaveLength(0);
    await w.venue.placeOrder(buy(idx(3, role.entry()), '100.04', '1.000'));
    await w.venue.placeOrder({ ...buy(idx(4, role.entry()), '83453.0', '0.01'), market: 'BTC' });
    const [a, b] = txs(w, TX_TYPE.createOrder);
    expect([a!.f.BaseAmount, a!.f.Price]).toEqual([1000, 10004]);
    expect([b!.f.BaseAmount, b!.f.Price, b!.f.MarketIndex]).toEqual([1000, 834530, 1]);
    // An order index of 2^60 − 1 in a frame is kept exactly.
    const ci = idx(3, role.entry());
    const frame = `{"type":"update/account_all_orders","channel":"account_all_orders:${TEST_ACCOUNT}","orders":{"0":[{"order_index":1152921504606846975,"client_order_index":${ci},"market_index":0,"owner_account_index":${TEST_ACCOUNT},"initial_base_amount":"1.000","price":"100.04","remaining_base_amount":"1.000","is_ask":false,"filled_base_amount":"0.000","type":"limit","time_in_force":"post-only","reduce_only":false,"order_expiry":${w.clock.now() + 86_400_000},"status":"open","updated_at":${w.clock.now() + 1}}]}}`;
    const got: VenueStreamEvent[] = [];
    w.venue.subscribe(M, (e) => got.push(e));
    w.server.control.faults.injectFrame(frame, { channel: 'account_all_orders' });
    await w.settle();
    expect(w.venue.orderIndexOf.get(ci)).toBe('1152921504606846975');
  });

  it('VEN-09 rate limits and server errors are met with back-off', async () => {
    const w = track(await simWorld({ noConnect: true }));
    // 503 on orderBookDetails for 10 s at start-up: connect() waits, it does not fail.
    w.server.control.faults.failRest({ status: 503, forMs: 10_000, path: 'orderBookDetails' });
    const t0 = w.clock.now();
    await connectDriven(w);
    const details = restCalls(w, 'orderBookDetails');
    expect(details.filter((c) => c.status === 503).length).toBeGreaterThanOrEqual(3);
    expect(details.at(-1)!.status).toBe(200);
    expect(details.at(-1)!.time - t0).toBeGreaterThanOrEqual(10_000);
    // Three 429 / 23000 in a row: ≥ 1 s before the endpoint again, growing waits.
    w.server.control.faults.failRest({ status: 429, count: 3 });
    const pos = w.venue.position(M);
    await until(w, 'the position read', () => restCalls(w, 'account').some((c) => c.status === 200), 60_000, 100);
    expect((await pos).size).toBe('0');
    const acct = restCalls(w, 'account');
    expect(acct.map((c) => c.status)).toEqual([429, 429, 429, 200]);
    const gaps = acct.slice(1).map((c, i) => c.time - acct[i]!.time);
    expect(gaps[0]).toBeGreaterThanOrEqual(1000);
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);
    expect(gaps[2]).toBeGreaterThan(gaps[1]!);
    expect(gaps[2]).toBeLessThanOrEqual(5000);
  });

  it('VEN-09 a 21506 (too many pending txs) entry is retried by the bot with the same client index after a back-off', async () => {
    const b = track(
      await botWorld({
        beforeStart: (w) => {
          // The first order the bot sends is answered 21506 twice (queued just before it leaves).
          const place = w.venue.placeOrder.bind(w.venue);
          let first = true;
          w.venue.placeOrder = (req) => {
            if (first) w.server.control.faults.rejectNextTx(21506, { count: 2, message: 'too many pending txs' });
            first = false;
            return place(req);
          };
        },
      }),
    );
    const entry = idx(1, role.entry());
    await until(b, 'the entry accepted', () => txs(b, TX_TYPE.createOrder).some((t) => t.code === 200), 60_000);
    const sends = txs(b, TX_TYPE.createOrder);
    expect(sends.map((t) => [t.code, t.f.ClientOrderIndex])).toEqual([
      [21506, entry],
      [21506, entry],
      [200, entry],
    ]);
    expect(sends[1]!.time - sends[0]!.time).toBeGreaterThanOrEqual(1000);
    expect(sends[2]!.time - sends[1]!.time).toBeGreaterThanOrEqual(2000);
    expect(b.server.control.liveOrders(M).map((o) => o.clientIndex)).toEqual([entry]);
  });

  it('VEN-04 a WebSocket drop during fills is recovered by REST catch-up', async () => {
    const b = track(await botWorld());
    const c = b.server.control;
    const entry1 = idx(1, role.entry());
    const close1 = idx(1, role.close());
    await until(b, 'grid-1:entry', () => c.liveOrders(M).some((o) => o.clientIndex === entry1));
    c.counterpartyFill(M, entry1);
    await until(b, 'grid-1:close resting', () => c.liveOrders(M).some((o) => o.clientIndex === close1));
    c.setBook(M, '99.70', '99.74');
    const entry2 = await until(b, 'grid-2:entry resting', () => c.liveOrders(M).find((o) => decode(o.clientIndex)?.n === 2 && decode(o.clientIndex)?.role.kind === 'entry')?.clientIndex, 120_000, 500);
    await b.settle();
    const mark = b.events.length;
    const restMark = c.restLog().length;
    // The socket drops; both orders fill while it is down; reconnection is refused for 5 s.
    c.faults.refuseConnections(5000);
    c.faults.dropConnections();
    await b.advance(50);
    c.counterpartyFill(M, entry2);
    c.counterpartyFill(M, close1);
    const minted = b.venue.stats().authTokensMinted;
    await until(b, 'the catch-up', () => b.events.slice(mark).some((e) => e.type === 'venue.caught-up'), 30_000);
    await b.advance(2000);
    const kinds = b.events.slice(mark).map((e) => e.type).filter((t) => t.startsWith('venue.'));
    expect(kinds).toEqual(['venue.down', 'venue.up', 'venue.caught-up']);
    const up = b.events.slice(mark).find((e) => e.type === 'venue.up')!;
    const down = b.events.slice(mark).find((e) => e.type === 'venue.down')!;
    expect((up as { time: number }).time - (down as { time: number }).time).toBeGreaterThanOrEqual(5000);
    expect(b.venue.stats().authTokensMinted).toBeGreaterThan(minted);
    const after = c.restLog().slice(restMark).map((x) => x.path.replace('/api/v1/', ''));
    expect(after).toEqual(expect.arrayContaining(['accountActiveOrders', 'accountInactiveOrders', 'trades', 'account']));
    const report = b.events.slice(mark).find((e): e is Extract<VenueStreamEvent, { type: 'venue.caught-up' }> => e.type === 'venue.caught-up')!.report;
    expect(report.fills.map((f) => f.clientIndex)).toEqual(expect.arrayContaining([close1, entry2]));
    // Both fills applied exactly once: grid-1 closed, grid-2 tracked with its exit placed.
    expect(b.journal.filter((j) => j.type === 'position.closed')).toHaveLength(1);
    const close2 = idx(2, role.close());
    await until(b, 'grid-2:close resting', () => c.liveOrders(M).some((o) => o.clientIndex === close2));
    expect(b.bot.status().positions.map((p) => p.n)).toEqual([2]);
    expect(txs(b, TX_TYPE.createOrder).filter((t) => t.f.ClientOrderIndex === close2)).toHaveLength(1);
    // The machine reconciled after the reconnect (journal order: after the drop).
    expect(b.journal.filter((j) => j.type === 'venue.reconciled').length).toBeGreaterThanOrEqual(2);
  });

  it('VEN-10 steady state stays far below the REST budget (one simulated hour)', async () => {
    const b = track(await botWorld());
    const c = b.server.control;
    const t0 = b.clock.now();
    let entryFills = 0;
    let exitFills = 0;
    while (b.clock.now() - t0 < 3_600_000) {
      for (const o of c.liveOrders(M)) {
        const d = decode(o.clientIndex);
        if (!d) continue;
        c.counterpartyFill(M, o.clientIndex);
        if (d.role.kind === 'entry') entryFills++;
        else exitFills++;
      }
      await b.advance(5_000);
    }
    expect(entryFills).toBeGreaterThanOrEqual(20);
    expect(exitFills).toBeGreaterThanOrEqual(20);
    const mine = c.restLog().filter((x) => x.account === TEST_ACCOUNT || x.path.endsWith('orderBookDetails'));
    const all = c.restLog();
    expect(b.venue.stats().restCallsTotal).toBe(all.length);
    const perMinute = all.length / ((b.clock.now() - t0) / 60_000);
    expect(perMinute).toBeLessThanOrEqual(5);
    let worst = 0;
    for (const x of all) worst = Math.max(worst, all.filter((y) => y.time >= x.time && y.time < x.time + 60_000).length);
    expect(worst).toBeLessThanOrEqual(60);
    // The adapter's own figures match the simulator's count (its rolling window keeps one hour).
    expect(b.venue.stats().restCallsMaxPerMinute).toBeLessThanOrEqual(worst);
    expect(mine.length).toBe(all.length);
    expect(b.venue.restCallsPerMinute()).toBe(all.filter((x) => x.time > b.clock.now() - 60_000).length);
  }, 120_000);
});
