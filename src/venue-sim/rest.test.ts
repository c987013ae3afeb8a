/**
 * REST front of the Lighter simulator over real sockets: envelope, read endpoints (shapes
 * checked with the phase-1 parsers the adapter uses), sendTx/sendTxBatch in every body
 * encoding with real WASM-signed transactions, nonce and duplicate-index rules, auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAccount, parseNextNonce, parseOrderBookDetails, parseOrders, parseRestEnvelope, parseSendTxResponse, parseTrades } from '../../adapters/lighter/parse.ts';
import { mapLighterError } from '../../adapters/lighter/errors.ts';
import { ACCOUNT, API_KEY, EXPIRY, get, post, sendTx, startFixture, T0, type Fixture } from './test-support.ts';

let fx: Fixture;
let nonce = 41;
const auth = () => fx.signer.authToken(Math.floor(fx.clock.now() / 1000) + 3600);
const entry = (coi: number, price: number, extra: Partial<Parameters<Fixture['signer']['createOrder']>[0]> = {}) =>
  fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: coi, baseAmount: 1000, price, isAsk: false, type: 'limit', timeInForce: 'post-only', reduceOnly: false, orderExpiry: EXPIRY, nonce, ...extra });

beforeAll(async () => {
  fx = await startFixture({}, 41);
});
afterAll(async () => {
  await fx.close();
});

describe('REST envelope and reads', () => {
  it('serves / and /info, and unknown paths as non-JSON 404', async () => {
    const root = await get(fx.server, '/');
    expect(root.status).toBe(200);
    expect(root.json).toMatchObject({ network_id: 300, timestamp: Math.floor(T0 / 1000) });
    expect((await get(fx.server, '/info')).json).toHaveProperty('contract_address');
    const missing = await get(fx.server, '/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(parseRestEnvelope(missing.status, missing.text)).toMatchObject({ ok: false, error: { kind: 'unavailable' } });
  });

  it('VEN-01 nextNonce starts at the configured 41 and parses with the adapter parser', async () => {
    const r = await get(fx.server, '/api/v1/nextNonce', { account_index: ACCOUNT, api_key_index: API_KEY });
    expect(r.status).toBe(200);
    expect(parseNextNonce(r.text)).toEqual({ ok: true, value: 41 });
  });

  it('errors come as HTTP 400 {code, message} and map through the phase-1 error table', async () => {
    const r = await get(fx.server, '/api/v1/nextNonce', { account_index: 999, api_key_index: 0 });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 21100 });
    const noParam = await get(fx.server, '/api/v1/nextNonce', { account_index: ACCOUNT });
    expect(noParam.json.code).toBe(20001);
    const env = parseRestEnvelope(r.status, r.text);
    expect(env.ok).toBe(false);
  });

  it('apikeys serves the registered public key without 0x', async () => {
    const r = await get(fx.server, '/api/v1/apikeys', { account_index: ACCOUNT });
    const keys = r.json.api_keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ account_index: ACCOUNT, api_key_index: API_KEY, nonce: 41 });
    expect(keys[0]!.public_key).toMatch(/^[0-9a-f]{80}$/);
  });

  it('orderBookDetails parses into the base-fixture market specs', async () => {
    const r = await get(fx.server, '/api/v1/orderBookDetails', { market_id: 255 });
    const p = parseOrderBookDetails(r.text);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.value[0]).toMatchObject({ spec: { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 }, info: { tickSize: '0.01', sizeStep: '0.001', minBaseSize: '0.001', minQuoteNotional: '1', maxLeverage: 50 } });
    expect(p.value[1]!.spec).toMatchObject({ marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 });
    expect(p.value[1]!.info.takerFee).toBe('0.0002');
    const one = await get(fx.server, '/api/v1/orderBooks', { market_id: 1 });
    expect((one.json.order_books as unknown[]).length).toBe(1);
    expect((await get(fx.server, '/api/v1/orderBookDetails', { market_id: 9 })).json.code).toBe(20001);
  });

  it('orderBookOrders lists the background levels best first', async () => {
    const r = await get(fx.server, '/api/v1/orderBookOrders', { market_id: 0, limit: 3 });
    const asks = r.json.asks as Array<{ price: string; remaining_base_amount: string }>;
    const bids = r.json.bids as Array<{ price: string }>;
    expect(asks.map((a) => a.price)).toEqual(['100.02', '100.03', '100.04']);
    expect(asks[0]!.remaining_base_amount).toBe('50.000');
    expect(bids.map((b) => b.price)).toEqual(['99.98', '99.97', '99.96']);
  });

  it('account parses with signed positions and collateral; accountsByL1Address finds it', async () => {
    const r = await get(fx.server, '/api/v1/account', { by: 'index', value: ACCOUNT });
    const p = parseAccount(r.text, fx.ctx);
    expect(p.ok).toBe(true);
    if (p.ok) expect(p.value).toMatchObject({ collateral: '10000.000000', positions: [{ market: 'TEST', size: '0' }, { market: 'BTC', size: '0' }] });
    const l1 = (r.json.accounts as Array<{ l1_address: string }>)[0]!.l1_address;
    const subs = await get(fx.server, '/api/v1/accountsByL1Address', { l1_address: l1 });
    expect((subs.json.sub_accounts as Array<{ index: number }>)[0]!.index).toBe(ACCOUNT);
    expect((await get(fx.server, '/api/v1/account', { by: 'index', value: 77 })).json.code).toBe(21100);
  });

  it('private reads need a valid auth token (query or header), for the right account', async () => {
    const none = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT });
    expect(none.status).toBe(400);
    expect(String(none.json.message)).toMatch(/^invalid auth/);
    const bad = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: 'x:y' });
    expect(String(bad.json.message)).toMatch(/malformed/);
    const expired = fx.signer.authToken(Math.floor(T0 / 1000) - 5);
    expect(String((await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, auth: expired })).json.message)).toMatch(/expired/);
    const other = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: 2, auth: auth() });
    expect(String(other.json.message)).toMatch(/not 2/);
    const ok = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT }, { Authorization: auth() });
    expect(ok.status).toBe(200);
    expect(parseOrders(ok.text, fx.ctx)).toEqual({ ok: true, value: { orders: [] } });
  });
});

describe('sendTx', () => {
  it('VEN-11 a WASM-signed post-only CreateOrder (multipart) is accepted and listed in accountActiveOrders', async () => {
    const tx = entry(1001, 10000);
    const r = await sendTx(fx.server, tx.txType, tx.txInfo);
    expect(r.status).toBe(200);
    const p = parseSendTxResponse(r.text);
    expect(p.ok && p.value.txHash).toMatch(/^[0-9a-f]{80}$/);
    nonce++;
    const orders = await get(fx.server, '/api/v1/accountActiveOrders', { account_index: ACCOUNT, market_id: 0, auth: auth() });
    const parsed = parseOrders(orders.text, fx.ctx);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.orders).toHaveLength(1);
    expect(parsed.value.orders[0]).toMatchObject({
      order: { market: 'TEST', clientIndex: 1001, side: 'buy', price: '100.00', size: '1.000', filledSize: '0.000', status: 'open', timeInForce: 'post-only', reduceOnly: false, expiresAt: EXPIRY },
      venueStatus: 'open',
      accountIndex: ACCOUNT,
    });
    expect(BigInt(parsed.value.orders[0]!.orderIndex)).toBeGreaterThanOrEqual(2n ** 48n);
    const log = fx.server.control.txLog().at(-1)!;
    expect(log).toMatchObject({ via: 'rest', txType: 14, code: 200, info: { Type: 0, TimeInForce: 2, ReduceOnly: 0, IsAsk: 0, BaseAmount: 1000, Price: 10000, Nonce: 41 } });
    const txr = await get(fx.server, '/api/v1/tx', { by: 'hash', value: p.ok ? p.value.txHash : '' });
    expect(txr.json).toMatchObject({ code: 200, type: 14, status: 2, nonce: 41, account_index: ACCOUNT });
  });

  it('VEN-02 a wrong nonce gets 21104 (nothing consumed); the correct nonce is then accepted', async () => {
    const wrong = entry(1002, 9999, { nonce: nonce + 5 });
    const r = await sendTx(fx.server, wrong.txType, wrong.txInfo);
    expect(r.status).toBe(400);
    expect(r.json.code).toBe(21104);
    expect(mapLighterError(21104, String(r.json.message)).kind).toBe('unavailable');
    const n = await get(fx.server, '/api/v1/nextNonce', { account_index: ACCOUNT, api_key_index: API_KEY });
    expect(n.json.nonce).toBe(nonce);
    const right = entry(1002, 9999);
    expect((await sendTx(fx.server, right.txType, right.txInfo)).status).toBe(200);
    nonce++;
  });

  it('VEN-03 re-using a client order index answers 21728 without consuming the nonce', async () => {
    const dup = entry(1001, 9990);
    const r = await sendTx(fx.server, dup.txType, dup.txInfo);
    expect(r.json.code).toBe(21728);
    expect(fx.server.control.nextNonce(ACCOUNT, API_KEY)).toBe(nonce);
  });

  it('accepts urlencoded and JSON bodies too', async () => {
    const a = entry(1003, 9980);
    const r1 = await post(fx.server, '/api/v1/sendTx', new URLSearchParams({ tx_type: String(a.txType), tx_info: a.txInfo }));
    expect(r1.json.code).toBe(200);
    nonce++;
    const b = entry(1004, 9970);
    const r2 = await post(fx.server, '/api/v1/sendTx', JSON.stringify({ tx_type: b.txType, tx_info: b.txInfo }), { 'content-type': 'application/json' });
    expect(r2.json.code).toBe(200);
    nonce++;
  });

  it('refuses a bad signature, an expired tx, an unknown api key and an off-range price', async () => {
    const t = entry(1010, 9960);
    const info = JSON.parse(t.txInfo) as Record<string, unknown>;
    const bad = async (patch: Record<string, unknown>) => (await sendTx(fx.server, 14, JSON.stringify({ ...info, ...patch }))).json.code;
    expect(await bad({ Sig: 'AAAA' })).toBe(21120);
    expect(await bad({ ExpiredAt: T0 - 1 })).toBe(21501);
    expect(await bad({ ApiKeyIndex: 9 })).toBe(21109);
    expect(await bad({ Price: 0 })).toBe(21702);
    expect(await bad({ TimeInForce: 0 })).toBe(21711); // IOC with an expiry
    expect(await bad({ OrderExpiry: T0 + 60_000 })).toBe(21711);
    expect(await bad({ BaseAmount: 0 })).toBe(21701);
    expect(await bad({ MarketIndex: 7 })).toBe(21602);
    expect((await sendTx(fx.server, 99, t.txInfo)).json.code).toBe(21505);
    // missing L2TxAttributes (this signer omits it) and an explicit null are both fine
    expect((await sendTx(fx.server, 14, JSON.stringify({ ...info, L2TxAttributes: null }))).json.code).toBe(200);
    nonce++;
  });

  it('rejects a resting order below the market minimum with 21706', async () => {
    const t = entry(1011, 50, { baseAmount: 10 }); // 0.010 at 0.50 = 0.005 USD < 1.00
    expect((await sendTx(fx.server, t.txType, t.txInfo)).json.code).toBe(21706);
  });

  it('cancels by client order index and by order index; a second cancel is 21709, an unknown one 21715', async () => {
    const c1 = fx.signer.cancelOrder({ marketIndex: 0, index: 1003, nonce });
    expect((await sendTx(fx.server, c1.txType, c1.txInfo)).json.code).toBe(200);
    nonce++;
    const again = fx.signer.cancelOrder({ marketIndex: 0, index: 1003, nonce });
    expect((await sendTx(fx.server, again.txType, again.txInfo)).json.code).toBe(21709);
    const unknown = fx.signer.cancelOrder({ marketIndex: 0, index: 424242, nonce });
    expect((await sendTx(fx.server, unknown.txType, unknown.txInfo)).json.code).toBe(21715);
    const o = fx.server.control.wireOrders().find((w) => w.client_order_index === 1004)!;
    const c2 = fx.signer.cancelOrder({ marketIndex: 0, index: Number(o.order_index), nonce });
    expect((await sendTx(fx.server, c2.txType, c2.txInfo)).json.code).toBe(200);
    nonce++;
    const inactive = await get(fx.server, '/api/v1/accountInactiveOrders', { account_index: ACCOUNT, limit: 10, auth: auth() });
    const parsed = parseOrders(inactive.text, fx.ctx);
    expect(parsed.ok && parsed.value.orders.map((x) => [x.order.clientIndex, x.venueStatus])).toEqual([
      [1004, 'canceled'],
      [1003, 'canceled'],
    ]);
  });

  it('sendTxBatch: consecutive nonces accepted; mixed keys 21121, gaps 21105, > 50 is 21514, length mismatch 21513', async () => {
    const a = entry(1020, 9900);
    const b = entry(1021, 9890, { nonce: nonce + 1 });
    const form = new FormData();
    form.set('tx_types', JSON.stringify([a.txType, b.txType]));
    form.set('tx_infos', JSON.stringify([a.txInfo, b.txInfo]));
    const ok = await post(fx.server, '/api/v1/sendTxBatch', form);
    expect(ok.json.code).toBe(200);
    expect(ok.json.tx_hash).toHaveLength(2);
    nonce += 2;
    const gap1 = entry(1022, 9880);
    const gap2 = entry(1023, 9870, { nonce: nonce + 2 });
    const batch = (types: unknown[], infos: unknown[]) => post(fx.server, '/api/v1/sendTxBatch', new URLSearchParams({ tx_types: JSON.stringify(types), tx_infos: JSON.stringify(infos) }));
    expect((await batch([14, 14], [gap1.txInfo, gap2.txInfo])).json.code).toBe(21105);
    const other = JSON.stringify({ ...JSON.parse(gap2.txInfo), ApiKeyIndex: 4, AccountIndex: 2, Nonce: nonce + 1 });
    expect((await batch([14, 14], [gap1.txInfo, other])).json.code).toBe(21121);
    expect((await batch([14], [gap1.txInfo, gap2.txInfo])).json.code).toBe(21513);
    expect((await batch(Array(51).fill(14), Array(51).fill(gap1.txInfo))).json.code).toBe(21514);
    expect(fx.server.control.nextNonce(ACCOUNT, API_KEY)).toBe(nonce);
  });

  it('UpdateLeverage (tx 20) changes the position initial margin fraction', async () => {
    const t = fx.signer.updateLeverage({ marketIndex: 0, initialMarginFraction: 500, marginMode: 'cross', nonce });
    expect((await sendTx(fx.server, t.txType, t.txInfo)).json.code).toBe(200);
    nonce++;
    const r = await get(fx.server, '/api/v1/account', { by: 'index', value: ACCOUNT });
    const pos = (r.json.accounts as Array<{ positions: Array<{ initial_margin_fraction: string }> }>)[0]!.positions[0]!;
    expect(pos.initial_margin_fraction).toBe('5.00');
    const tooHigh = fx.signer.updateLeverage({ marketIndex: 0, initialMarginFraction: 100, marginMode: 'cross', nonce });
    expect((await sendTx(fx.server, tooHigh.txType, tooHigh.txInfo)).json.code).toBe(21501);
  });

  it('fills show in trades (parsed as our fills) and in the signed position', async () => {
    fx.server.control.counterpartyFill(0, 1001); // our bid 1.000 @ 100.00 taken
    const since = T0 - 1;
    const r = await get(fx.server, '/api/v1/trades', { sort_by: 'timestamp', limit: 10, account_index: ACCOUNT, from: since, auth: auth() });
    const p = parseTrades(r.text, fx.ctx);
    expect(p.ok && p.value.fills).toEqual([expect.objectContaining({ market: 'TEST', clientIndex: 1001, side: 'buy', price: '100.00', size: '1.000', liquidity: 'maker', fee: '0' })]);
    const acct = parseAccount((await get(fx.server, '/api/v1/account', { by: 'index', value: ACCOUNT })).text, fx.ctx);
    expect(acct.ok && acct.value.positions[0]).toMatchObject({ market: 'TEST', size: '1', avgEntryPrice: '100', leverage: 20 });
    const noAuth = await get(fx.server, '/api/v1/trades', { sort_by: 'timestamp', limit: 10, account_index: ACCOUNT });
    expect(noAuth.status).toBe(400);
    const pub = await get(fx.server, '/api/v1/recentTrades', { market_id: 0, limit: 5 });
    expect((pub.json.trades as unknown[]).length).toBe(1);
  });

  it('candles, fundings and exchangeStats answer with their envelopes', async () => {
    const c = await get(fx.server, '/api/v1/candles', { market_id: 0, resolution: '1m', start_timestamp: T0 - 60_000, end_timestamp: T0 + 60_000, count_back: 10 });
    expect(c.json).toMatchObject({ code: 200, r: '1m', c: [expect.objectContaining({ o: 100, c: 100 })] });
    const f = await get(fx.server, '/api/v1/fundings', { market_id: 0, resolution: '1h', start_timestamp: 0, end_timestamp: T0, count_back: 1 });
    expect(f.json).toMatchObject({ code: 200, fundings: [] });
    const s = await get(fx.server, '/api/v1/exchangeStats');
    expect(s.json).toMatchObject({ code: 200, total: 2 });
  });
});
