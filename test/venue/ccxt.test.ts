/**
 * Third-party client check of the Lighter simulator: the unmodified ccxt `lighter`
 * exchange (REST) and `ccxt.pro.lighter` (WebSocket), pointed at a simulator on
 * 127.0.0.1, read its markets, order books and trades.
 *
 * Invariants:
 * - ccxt is configured only through its public constructor options (`urls.api.*`, no
 *   rate limiter against the local server) plus `loadHttpProxyAgent()`, which ccxt itself
 *   requires before it opens a plain `ws://` URL. Nothing of ccxt is patched or stubbed.
 * - Every expected value comes from what this test told the simulator (setBook, foreign
 *   orders, counterparty trades) — never from the simulator's own answers.
 * - Everything (ccxt clients, their sockets, the server) is closed in afterAll.
 *
 * ccxt 4.5.84 has no unified `fetchTrades` for lighter (`has.fetchTrades === false`), so
 * public trades are read through ccxt's implicit REST method for `/api/v1/recentTrades`
 * parsed by ccxt's own `parseTrades`, and through `watchTrades` on the `trade/{market}`
 * channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ccxt, { type OrderBook, type Trade } from 'ccxt';
import { BTC, simMarket, TEST } from '../../adapters/sim/index.ts';
import { SystemClock } from '../../src/runtime/clock.ts';
import { startLighterSim, type LighterSimServer } from '../../src/venue-sim/index.ts';

const TEST_SYM = 'TEST/USDC:USDC';
const BTC_SYM = 'BTC/USDC:USDC';

let sim: LighterSimServer;
let rest: InstanceType<typeof ccxt.lighter>;
let pro: InstanceType<typeof ccxt.pro.lighter>;

/** ccxt options that point every Lighter URL of ccxt at the simulator. */
function simOptions(s: LighterSimServer): Record<string, unknown> {
  return {
    enableRateLimit: false,
    urls: { api: { root: s.restUrl, public: s.restUrl, private: s.restUrl, ws: s.wsUrl } },
  };
}

/** Calls `watch` until `done` holds for what it returned (each call resolves on one frame). */
async function watchUntil<T>(watch: () => Promise<T>, done: (v: T) => boolean, maxFrames = 20): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < maxFrames; i++) {
    last = await watch();
    if (done(last)) return last;
  }
  throw new Error(`condition not reached after ${maxFrames} frames; last: ${JSON.stringify(last)?.slice(0, 400)}`);
}

const paths = (): string[] => sim.control.restLog().map((c) => `${c.method} ${c.path}`);

describe('ccxt lighter (real third-party client) against the Lighter simulator', () => {
  beforeAll(async () => {
    sim = await startLighterSim({
      clock: new SystemClock(),
      markets: [simMarket(TEST), simMarket(BTC)],
      accounts: [{ accountIndex: 1, apiKeys: [] }],
    });
    const c = sim.control;
    c.setBook('TEST', '99.50', '99.60', '5.000');
    // Two public trades at 99.55: a resting order on the account, taken in two sweeps
    // (0.100 then the remaining 0.150), so it is gone and the book is setBook's again.
    c.placeForeignOrder({ market: 'TEST', side: 'buy', price: '99.55', size: '0.250' });
    expect(c.counterpartyTrade('TEST', 'sell', '0.100').filledSize).toBe('0.100');
    expect(c.counterpartyTrade('TEST', 'sell', '0.150').filledSize).toBe('0.150');
    expect(c.liveOrders('TEST')).toEqual([]);
    await c.flush();
    rest = new ccxt.lighter(simOptions(sim));
    pro = new ccxt.pro.lighter(simOptions(sim));
    await pro.loadHttpProxyAgent();
  });

  afterAll(async () => {
    await pro?.close();
    await rest?.close();
    await sim?.close();
  });

  it('loadMarkets lists the simulator markets with ids and tick / size-step precision', async () => {
    expect(sim.control.markets()).toEqual([
      { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 },
      { marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 },
    ]);
    const markets = await rest.loadMarkets();
    expect(Object.keys(markets).sort()).toEqual([BTC_SYM, TEST_SYM]);
    const t = markets[TEST_SYM]!;
    expect(t).toMatchObject({ id: '0', base: 'TEST', quote: 'USDC', settle: 'USDC', baseId: 'TEST', type: 'swap', swap: true, linear: true, active: true });
    expect(t.precision).toEqual({ price: 0.01, amount: 0.001 });
    expect(t.limits.amount?.min).toBe(0.001);
    expect(t.limits.cost?.min).toBe(1);
    const b = markets[BTC_SYM]!;
    expect(b).toMatchObject({ id: '1', base: 'BTC', type: 'swap', active: true });
    expect(b.precision).toEqual({ price: 0.1, amount: 0.00001 });
    expect(b.limits.amount?.min).toBe(0.0001);
    expect(rest.safeMarket('0').symbol).toBe(TEST_SYM);
    expect(rest.safeMarket('1').symbol).toBe(BTC_SYM);
    expect(paths()).toContain('GET /api/v1/orderBookDetails');
  });

  it('fetchOrderBook returns the book control.setBook set (REST orderBookOrders)', async () => {
    const ob = await rest.fetchOrderBook(TEST_SYM);
    expect(ob.symbol).toBe(TEST_SYM);
    expect(ob.bids[0]).toEqual([99.5, 5]);
    expect(ob.asks[0]).toEqual([99.6, 5]);
    expect(ob.bids).toHaveLength(20);
    expect(ob.asks).toHaveLength(20);
    expect(ob.bids[19]).toEqual([99.31, 5]);
    expect(ob.asks[19]).toEqual([99.79, 5]);
    const btc = await rest.fetchOrderBook(BTC_SYM, 5);
    expect(btc.bids[0]).toEqual([59999.9, 2]);
    expect(btc.asks[0]).toEqual([60000.1, 2]);
    expect(btc.bids).toHaveLength(5);
    const calls = sim.control.restLog().filter((c) => c.path === '/api/v1/orderBookOrders');
    expect(calls.map((c) => c.query)).toEqual([
      { market_id: '0', limit: '100' },
      { market_id: '1', limit: '5' },
    ]);
  });

  it('public trades are readable: recentTrades via ccxt parseTrades, and watchTrades over the socket', async () => {
    expect(rest.has.fetchTrades).toBe(false); // ccxt 4.5.84: no unified fetchTrades for lighter
    const market = rest.market(TEST_SYM);
    const raw = await rest.publicGetRecentTrades({ market_id: market.id, limit: 10 });
    const trades = rest.parseTrades(raw.trades, market);
    expect(trades.map((t) => [t.id, t.symbol, t.price, t.amount])).toEqual([
      ['1', TEST_SYM, 99.55, 0.1],
      ['2', TEST_SYM, 99.55, 0.15],
    ]);
    expect(trades.every((t) => typeof t.timestamp === 'number' && t.timestamp > 0)).toBe(true);
    expect(paths()).toContain('GET /api/v1/recentTrades');

    const snap = await pro.watchTrades(TEST_SYM);
    const byId = (list: Trade[]) => [...list].sort((a, b) => Number(a.id) - Number(b.id)).map((t) => [t.id, t.price, t.amount, t.side]);
    // The counterparty sold into the resting bid: the maker was the bid, the taker sold.
    expect(byId(snap)).toEqual([
      ['1', 99.55, 0.1, 'sell'],
      ['2', 99.55, 0.15, 'sell'],
    ]);

    // A live trade on BTC arrives as an update frame.
    expect(await pro.watchTrades(BTC_SYM)).toEqual([]);
    sim.control.placeForeignOrder({ market: 'BTC', side: 'buy', price: '60000.0', size: '0.01000' });
    expect(sim.control.counterpartyTrade('BTC', 'sell', '0.01000').filledSize).toBe('0.01000');
    const live = await watchUntil(() => pro.watchTrades(BTC_SYM), (l) => l.length > 0);
    expect(live.map((t) => [t.id, t.symbol, t.price, t.amount, t.side])).toEqual([['3', BTC_SYM, 60000, 0.01, 'sell']]);
  });

  it('watchOrderBook receives the book over the websocket and follows a later setBook', async () => {
    const first: OrderBook = await pro.watchOrderBook(TEST_SYM);
    expect(first.symbol).toBe(TEST_SYM);
    expect(first.bids[0]).toEqual([99.5, 5]);
    expect(first.asks[0]).toEqual([99.6, 5]);
    expect(first.bids).toHaveLength(20);
    expect(first.asks).toHaveLength(20);
    expect(sim.control.connections().length).toBeGreaterThanOrEqual(1);

    sim.control.setBook('TEST', '101.00', '101.10', '7.000');
    const moved = await watchUntil(() => pro.watchOrderBook(TEST_SYM), (ob) => ob.bids[0]?.[0] === 101);
    expect(moved.bids[0]).toEqual([101, 7]);
    expect(moved.asks[0]).toEqual([101.1, 7]);
    // The update removed every old level (size "0"), so no stale price is left.
    expect(moved.bids).toHaveLength(20);
    expect(moved.asks).toHaveLength(20);
    expect(moved.bids[19]).toEqual([100.81, 7]);
    expect(moved.asks.every(([p]) => p !== undefined && p >= 101.1)).toBe(true);
    expect(moved.bids.every(([p]) => p !== undefined && p > 100.8)).toBe(true);
  });
});
