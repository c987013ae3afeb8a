/**
 * Order semantics of the Lighter simulator over REST sendTx with WASM-signed
 * transactions: market/IOC remainders, reduce-only, modify, cancel-all (immediate and
 * scheduled), orders without a client index, hand orders, non-trading accounts, the
 * seeded book driver, and VEN-08's integer encodings on the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWirePrice, toWireSize } from '../../adapters/lighter/codec.ts';
import { mapTrade } from '../../adapters/lighter/map.ts';
import { tradeSchema } from '../../adapters/lighter/types.ts';
import { Dec } from '../domain/decimal.ts';
import { SimClock } from '../runtime/clock.ts';
import { simMarket, TEST } from '../../adapters/sim/index.ts';
import { startLighterSim } from './server.ts';
import { ACCOUNT, EXPIRY, get, sendTx, startFixture, T0, type Fixture } from './test-support.ts';

let fx: Fixture;
let nonce = 1;
const send = async (tx: { txType: number; txInfo: string }): Promise<number> => {
  const r = await sendTx(fx.server, tx.txType, tx.txInfo);
  if (r.json.code === 200) nonce++;
  return r.json.code as number;
};
const create = (p: Partial<Parameters<Fixture['signer']['createOrder']>[0]>) =>
  fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: 1, baseAmount: 1000, price: 10000, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce, ...p });
const statusOf = (coi: number) => fx.server.control.wireOrders().find((o) => o.client_order_index === coi)?.status;

beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.close();
});

describe('order semantics', () => {
  it('VEN-11 a market order (Type 1, IOC, expiry 0) takes the book; its unfilled remainder is canceled', async () => {
    fx.server.control.setBook(0, '99.98', '100.02', '1.000');
    const buy = create({ clientOrderIndex: 10, type: 'market', timeInForce: 'ioc', orderExpiry: 0, baseAmount: 30000, price: 10010 });
    expect(await send(buy)).toBe(200);
    expect(statusOf(10)).toBe('canceled-not-enough-liquidity');
    const o = fx.server.control.wireOrders().find((w) => w.client_order_index === 10)!;
    expect(o).toMatchObject({ filled_base_amount: '9.000', remaining_base_amount: '21.000', type: 'market', time_in_force: 'immediate-or-cancel', order_expiry: 0 });
    expect(fx.server.control.positionOf(0).size).toBe('9.000');
    fx.server.control.setBook(0, '99.98', '100.02', '50.000');
  });

  it('reduce-only that would grow the position ends canceled-reduce-only; one that reduces fills', async () => {
    expect(await send(create({ clientOrderIndex: 11, reduceOnly: true, baseAmount: 1000, price: 10010 }))).toBe(200); // buy while long
    expect(statusOf(11)).toBe('canceled-reduce-only');
    expect(await send(create({ clientOrderIndex: 12, isAsk: true, type: 'market', timeInForce: 'ioc', orderExpiry: 0, reduceOnly: true, baseAmount: 9000, price: 9990 }))).toBe(200);
    expect(statusOf(12)).toBe('filled');
    expect(fx.server.control.positionOf(0).size).toBe('0.000');
  });

  it('modify keeps the order index and client index, changes price and size', async () => {
    expect(await send(create({ clientOrderIndex: 13, price: 9900 }))).toBe(200);
    const before = fx.server.control.wireOrders().find((w) => w.client_order_index === 13)!;
    expect(await send(fx.signer.modifyOrder({ marketIndex: 0, index: 13, baseAmount: 2000, price: 9950, nonce }))).toBe(200);
    const after = fx.server.control.wireOrders().filter((w) => w.client_order_index === 13);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ order_index: before.order_index, price: '99.50', initial_base_amount: '2.000', status: 'open' });
    expect(fx.server.control.liveOrders(0).filter((o) => o.clientIndex === 13)).toHaveLength(1);
    expect(await send(fx.signer.modifyOrder({ marketIndex: 0, index: 4242, baseAmount: 2000, price: 9950, nonce }))).toBe(21715);
  });

  it('an order without client index (0) is addressable by its order index', async () => {
    expect(await send(create({ clientOrderIndex: 0, price: 9800 }))).toBe(200);
    const o = fx.server.control.wireOrders().find((w) => w.client_order_index === 0 && w.status === 'open')!;
    expect(o.client_order_id).toBe('0');
    expect(await send(fx.signer.cancelOrder({ marketIndex: 0, index: Number(o.order_index), nonce }))).toBe(200);
    expect(fx.server.control.wireOrders().find((w) => w.order_index === o.order_index)!.status).toBe('canceled');
    expect(await send(create({ clientOrderIndex: 0, price: 9801 }))).toBe(200); // COI 0 is never a duplicate
  });

  it('cancel-all immediate cancels every live order; scheduled fires on the clock; abort clears it', async () => {
    expect(await send(create({ clientOrderIndex: 14, price: 9700 }))).toBe(200);
    expect(fx.server.control.liveOrders(0).length).toBeGreaterThan(1);
    expect(await send(fx.signer.cancelAll({ mode: 'immediate', time: 0, nonce }))).toBe(200);
    expect(fx.server.control.liveOrders(0)).toEqual([]);
    const badTime = JSON.stringify({ ...JSON.parse(fx.signer.cancelAll({ mode: 'immediate', time: 0, nonce }).txInfo), Time: 5 }); // the signer refuses it itself
    expect((await sendTx(fx.server, 16, badTime)).json.code).toBe(21714);
    expect(await send(create({ clientOrderIndex: 15, price: 9700 }))).toBe(200);
    const at = fx.clock.now() + 10 * 60_000;
    expect(await send(fx.signer.cancelAll({ mode: 'scheduled', time: at, nonce }))).toBe(200);
    const acct = await get(fx.server, '/api/v1/account', { by: 'index', value: ACCOUNT });
    expect((acct.json.accounts as Array<{ cancel_all_time: number }>)[0]!.cancel_all_time).toBe(at);
    fx.clock.advanceBy(10 * 60_000);
    expect(statusOf(15)).toBe('canceled');
    expect(await send(create({ clientOrderIndex: 16, price: 9700 }))).toBe(200);
    expect(await send(fx.signer.cancelAll({ mode: 'scheduled', time: fx.clock.now() + 10 * 60_000, nonce }))).toBe(200);
    expect(await send(fx.signer.cancelAll({ mode: 'abort', time: 0, nonce }))).toBe(200);
    fx.clock.advanceBy(10 * 60_000);
    expect(statusOf(16)).toBe('open');
  });

  it('hand orders and counterparty trades from the control appear on the wire with the right ids', async () => {
    const coi = fx.server.control.placeForeignOrder({ market: 'TEST', side: 'sell', price: '100.50', size: '1.000' });
    expect(statusOf(coi)).toBe('open');
    const r = fx.server.control.counterpartyTrade('TEST', 'buy', '60.000');
    expect(r.accountFills).toEqual([]); // 60.000 is absorbed by the background at 100.02–100.03
    fx.server.control.counterpartyFill('TEST', coi);
    const t = fx.server.control.wireTrades().at(-1)!;
    expect(t).toMatchObject({ ask_client_id: coi, ask_account_id: ACCOUNT, is_maker_ask: true, size: '1.000', price: '100.50' });
    expect(BigInt(t.bid_id)).toBeGreaterThanOrEqual(2n ** 48n);
    expect(fx.server.control.cancelByUser('TEST', 16).status).toBe('canceled');
  });

  it('a configured non-bot account can authenticate but not trade (21100)', async () => {
    const tx = create({ clientOrderIndex: 20 });
    const other = JSON.stringify({ ...JSON.parse(tx.txInfo), AccountIndex: 2, ApiKeyIndex: 4, Nonce: 1 });
    expect((await sendTx(fx.server, 14, other)).json.code).toBe(21100);
    expect(fx.server.control.nextNonce(2, 4)).toBe(1);
  });

  it('VEN-08 integers are exact on the wire: 1.000 at 100.04 is BaseAmount 1000 / Price 10004', async () => {
    const tx = create({ clientOrderIndex: 21, baseAmount: toWireSize('1.000', 3), price: toWirePrice('100.04', 2), isAsk: true });
    expect(await send(tx)).toBe(200);
    const o = fx.server.control.wireOrders().find((w) => w.client_order_index === 21)!;
    expect(o).toMatchObject({ price: '100.04', initial_base_amount: '1.000', base_price: 10004, base_size: 1000 });
    const btc = create({ marketIndex: 1, clientOrderIndex: 22, baseAmount: toWireSize('0.01', 5), price: toWirePrice('83453.0', 1), orderExpiry: EXPIRY });
    expect(await send(btc)).toBe(200);
    expect(fx.server.control.wireOrders().find((w) => w.client_order_index === 22)).toMatchObject({ price: '83453.0', initial_base_amount: '0.01000', base_price: 834530, base_size: 1000, status: 'filled' });
    expect(fx.server.control.txLog().at(-1)!.info).toMatchObject({ BaseAmount: 1000, Price: 834530 });
    // BTC charges a 0.0002 taker fee: 200 in the trade's 1e-6 units; the adapter mapper derives the same fee as the engine
    const trade = fx.server.control.wireTrades().at(-1)!;
    expect(trade).toMatchObject({ market_id: 1, taker_fee: 200, bid_client_id: 22, bid_account_id: ACCOUNT, is_maker_ask: true });
    expect(trade.maker_fee).toBeUndefined();
    const fill = fx.server.control.accountFills('BTC').at(-1)!;
    expect(mapTrade(tradeSchema.parse(trade), fx.ctx)).toEqual([expect.objectContaining({ clientIndex: 22, liquidity: 'taker', fee: new Dec(fill.fee).toFixed() })]);
  });
});

describe('book driver', () => {
  it('a seeded random walk moves the book on the clock, identically for the same seed', async () => {
    const path = async (seed: number): Promise<string[]> => {
      const clock = new SimClock(T0);
      const s = await startLighterSim({
        clock,
        seed,
        markets: [simMarket(TEST)],
        driver: { mode: 'random-walk', market: 'TEST', seed, stepTicks: 2, intervalMs: 1000 },
        accounts: [{ accountIndex: 1, apiKeys: [] }],
      });
      const bids: string[] = [];
      for (let i = 0; i < 10; i++) {
        clock.advanceBy(1000);
        bids.push((await get(s, '/api/v1/orderBookOrders', { market_id: 0, limit: 1 })).json.bids as never);
      }
      await s.close();
      return bids.map((b) => (b as unknown as Array<{ price: string }>)[0]!.price);
    };
    const a = await path(11);
    expect(new Set(a).size).toBeGreaterThan(1);
    expect(await path(11)).toEqual(a);
    expect(await path(12)).not.toEqual(a);
  });
});
