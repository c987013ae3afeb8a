import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { marketMap, type ParseContext } from './map.ts';
import {
  channelIndex,
  parseAccount,
  parseNextNonce,
  parseOrderBookDetails,
  parseOrders,
  parseRestEnvelope,
  parseSendTxResponse,
  parseTrades,
  parseWsFrame,
  type LighterWsFrame,
  type ParseResult,
} from './parse.ts';

const fixture = (name: string) => readFileSync(new URL(`./test_data/${name}`, import.meta.url), 'utf8');
const ctx: ParseContext = {
  accountIndex: 12345,
  markets: marketMap([
    { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 },
    { marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 },
  ]),
  now: () => 42,
};
const ENTRY = 2 ** 40 + 256 + 1;

function ok<T>(r: ParseResult<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.message}`);
  return r.value;
}
function frame<K extends LighterWsFrame['kind']>(name: string, kind: K): Extract<LighterWsFrame, { kind: K }> {
  const f = ok(parseWsFrame(fixture(name), ctx));
  expect(f.kind).toBe(kind);
  return f as Extract<LighterWsFrame, { kind: K }>;
}

describe('REST parsers', () => {
  it('orderBookDetails → market spec and MarketInfo (tick, step, minimums, fees as fractions, max leverage)', () => {
    const [test, btc] = ok(parseOrderBookDetails(fixture('http_order_book_details.json')));
    expect(test!.spec).toEqual({ marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 });
    expect(test!.info).toEqual({
      symbol: 'TEST', tickSize: '0.01', sizeStep: '0.001', minBaseSize: '0.001', minQuoteNotional: '1',
      makerFee: '0', takerFee: '0', maxLeverage: 50, maxOrderLifetimeMs: 30 * 24 * 3_600_000,
    });
    expect(test!.status).toBe('active');
    expect(btc!.info).toMatchObject({ tickSize: '0.1', sizeStep: '0.00001', takerFee: '0.0003', makerFee: '0.00002' });
  });

  it('VEN-01 nextNonce body → the nonce', () => {
    expect(ok(parseNextNonce(fixture('http_next_nonce.json')))).toBe(41);
  });

  it('VEN-08 accountActiveOrders keeps order index 2^60 − 1 exactly and maps to port orders', () => {
    const { orders } = ok(parseOrders(fixture('http_account_active_orders.json'), ctx));
    expect(orders).toHaveLength(2); // the take-profit order is not a type the port represents
    const [entry, close] = orders;
    expect(entry!.orderIndex).toBe('1152921504606846975');
    expect(entry!.order).toEqual({
      market: 'TEST', clientIndex: ENTRY, side: 'buy', type: 'limit', price: '100.00', size: '1.000', filledSize: '0.600',
      status: 'open', reduceOnly: false, timeInForce: 'post-only', createdAt: 1795480577000, updatedAt: 1795480580000,
      expiresAt: 1795483577038,
    });
    expect(entry!.remainingSize).toBe('0.400');
    expect(close!.order).toMatchObject({ side: 'sell', reduceOnly: true, price: '100.04' });
  });

  it('accountInactiveOrders statuses map to status and cancel reason through the table', () => {
    const { orders, nextCursor } = ok(parseOrders(fixture('http_account_inactive_orders.json'), ctx));
    expect(nextCursor).toBe('eyJpbmRleCI6MTB9');
    expect(orders.map((o) => [o.venueStatus, o.order.status, o.order.cancelReason, o.order.filledSize])).toEqual([
      ['canceled-post-only', 'canceled', 'post-only', '0.000'],
      ['filled', 'filled', undefined, '1.000'],
      ['canceled-not-enough-liquidity', 'canceled', 'ioc-unfilled', '0.700'],
      ['canceled-expired', 'canceled', 'expired', '0.000'],
      ['canceled-reduce-only', 'canceled', 'reduce-only', '0.000'],
    ]);
    expect(orders[2]!.order).toMatchObject({ type: 'market', timeInForce: 'ioc' });
    expect(orders[2]!.order.expiresAt).toBeUndefined();
  });

  it('VEN-11 trades → our fills only, matched by client index and account, maker/taker from is_maker_ask, oldest first', () => {
    const { fills } = ok(parseTrades(fixture('http_trades.json'), ctx));
    expect(fills).toEqual([
      // is_maker_ask false: the bid (ours) rested → maker, fee 60 × 20e-6
      { market: 'TEST', tradeId: '9007199254740993', clientIndex: ENTRY, side: 'buy', price: '100.00', size: '0.600', fee: '0.0012', liquidity: 'maker', time: 1795480579000 },
      { market: 'TEST', tradeId: '1001', clientIndex: 1099511628546, side: 'sell', price: '100.04', size: '1.000', fee: '0', liquidity: 'maker', time: 1795480700000 },
    ]);
  });

  it('a taker fill pays the taker rate; a self-trade yields both sides with distinct ids', () => {
    const trade = (over: Record<string, unknown>) =>
      JSON.stringify({
        code: 200,
        trades: [{ trade_id: 7, type: 'trade', market_id: 0, size: '1.000', price: '100.00', usd_amount: '100.000000', ask_id: 1, bid_id: 2,
          ask_client_id: 11, bid_client_id: 22, ask_account_id: 12345, bid_account_id: 999, is_maker_ask: false, timestamp: 5, maker_fee: -20, taker_fee: 300, ...over }],
      });
    const taker = ok(parseTrades(trade({}), ctx)).fills;
    expect(taker).toEqual([{ market: 'TEST', tradeId: '7', clientIndex: 11, side: 'sell', price: '100.00', size: '1.000', fee: '0.03', liquidity: 'taker', time: 5000 }]);
    const self = ok(parseTrades(trade({ bid_account_id: 12345, is_maker_ask: true }), ctx)).fills;
    expect(self.map((f) => [f.tradeId, f.side, f.clientIndex, f.liquidity, f.fee])).toEqual([
      ['7:bid', 'buy', 22, 'taker', '0.03'],
      ['7:ask', 'sell', 11, 'maker', '-0.002'],
    ]);
    expect(ok(parseTrades(trade({ ask_account_id: 1 }), ctx)).fills).toEqual([]);
  });

  it('VEN-11 account → positions read as sign × position', () => {
    const acct = ok(parseAccount(fixture('http_account.json'), ctx));
    expect(acct.positions).toEqual([
      { market: 'TEST', size: '-1.5', avgEntryPrice: '100.02', realizedPnl: '0.4', exposure: '150.03', leverage: 50 },
      { market: 'BTC', size: '0', avgEntryPrice: '0', realizedPnl: '0', exposure: '0', reservedMargin: '0', leverage: 20 },
    ]);
    expect(acct.availableBalance).toBe('9899.500000');
  });

  it('sendTx body → tx hash (opaque)', () => {
    expect(ok(parseSendTxResponse(fixture('http_send_tx.json'))).txHash).toMatch(/^[0-9a-f]{80}$/);
  });

  it('REST envelope: code ≠ 200 or non-2xx becomes a VenueError; non-JSON is a transport failure', () => {
    expect(parseRestEnvelope(200, fixture('http_next_nonce.json')).ok).toBe(true);
    const nonce = parseRestEnvelope(400, fixture('http_error_invalid_nonce.json'));
    expect(nonce.ok === false && [nonce.error.kind, nonce.error.code]).toEqual(['unavailable', 21104]);
    const limited = parseRestEnvelope(429, fixture('http_error_rate_limited.json'));
    expect(limited.ok === false && limited.error.kind).toBe('rate-limited');
    const inBody = parseRestEnvelope(200, '{"code":21728,"message":"client order index already exists"}');
    expect(inBody.ok === false && inBody.error.kind).toBe('duplicate-client-index');
    const html = parseRestEnvelope(403, fixture('malformed_not_json.txt'));
    expect(html.ok === false && html.error.kind).toBe('unavailable');
    const html200 = parseRestEnvelope(200, '<html>');
    expect(html200.ok === false && html200.error.kind).toBe('unavailable');
  });
});

describe('WebSocket frames', () => {
  it('connected, ping, pong and unknown kinds', () => {
    expect(ok(parseWsFrame(fixture('ws_connected.json'), ctx))).toEqual({ kind: 'connected', sessionId: 'a1b2c3' });
    expect(ok(parseWsFrame('{"type":"ping"}', ctx))).toEqual({ kind: 'ping' });
    expect(ok(parseWsFrame('{"type":"update/height","height":5}', ctx))).toEqual({ kind: 'ignored', type: 'update/height' });
  });

  it('VEN-05 order book snapshot and update carry exact nonce / begin_nonce / offset', () => {
    const snap = frame('ws_order_book_snapshot.json', 'order-book');
    expect(snap).toMatchObject({ phase: 'snapshot', marketIndex: 0, market: 'TEST', nonce: '9182389998', offset: 41 });
    expect(snap.beginNonce).toBeUndefined();
    expect(snap.bids[0]).toEqual({ price: '99.98', size: '50.000' });
    const upd = frame('ws_order_book_update.json', 'order-book');
    expect(upd).toMatchObject({ phase: 'update', nonce: '9182390020', beginNonce: '9182389998', offset: 57 });
    expect(upd.beginNonce).toBe(snap.nonce); // continuous although nonces are not consecutive
    expect(upd.asks).toEqual([{ price: '100.02', size: '0.000' }, { price: '100.01', size: '3.000' }]);
  });

  it('ticker → BBO', () => {
    expect(frame('ws_ticker_update.json', 'ticker').bbo).toEqual({ market: 'TEST', bid: '99.99', ask: '100.01', bidSize: '1.500', askSize: '3.000', time: 1795480577050 });
  });

  it('account_orders update → port orders (filled entry, post-only cancel)', () => {
    const f = frame('ws_account_orders_update.json', 'account-orders');
    expect(f.phase).toBe('update');
    expect(f.orders.map((o) => [o.order.clientIndex, o.order.status, o.order.cancelReason ?? null])).toEqual([
      [ENTRY, 'filled', null],
      [1099511628289, 'canceled', 'post-only'],
    ]);
    expect(f.orders[0]!.orderIndex).toBe('1152921504606846975');
  });

  it('account_all_orders snapshot skips markets we do not trade', () => {
    const f = frame('ws_account_all_orders_snapshot.json', 'account-orders');
    expect(f.phase).toBe('snapshot');
    expect(f.orders.map((o) => o.order.market)).toEqual(['TEST']);
  });

  it('VEN-11 account_all_trades update → our maker sell fill; the empty snapshot list is accepted', () => {
    const f = frame('ws_account_all_trades_update.json', 'account-trades');
    expect(f.fills).toEqual([
      { market: 'TEST', tradeId: '2001', clientIndex: 1099511628290, side: 'sell', price: '100.04', size: '1.000', fee: '0.0020008', liquidity: 'maker', time: 1795480800000 },
    ]);
    expect(frame('ws_account_all_trades_snapshot_empty.json', 'account-trades').fills).toEqual([]);
  });

  it('VEN-11 account_all → signed positions and fills', () => {
    const f = frame('ws_account_all.json', 'account-all');
    expect(f.positions).toEqual([{ market: 'TEST', size: '-1', avgEntryPrice: '100.04', realizedPnl: '0', exposure: '100.03', leverage: 50 }]);
    expect(f.fills.map((x) => [x.tradeId, x.side, x.liquidity])).toEqual([['2001', 'sell', 'maker']]);
  });

  it('sendtx ack and both error frame shapes map through the error table', () => {
    expect(frame('ws_sendtx_ack.json', 'sendtx-ack')).toMatchObject({ id: 'req-7', batch: false });
    const e1 = frame('ws_error_invalid_nonce.json', 'error');
    expect([e1.code, e1.id, e1.error.kind, e1.error.reason]).toEqual([21104, 'req-8', 'unavailable', 'invalid-nonce']);
    const e2 = frame('ws_error_typed.json', 'error');
    expect([e2.code, e2.error.reason]).toEqual([30003, 'ws-already-subscribed']);
    const rejectedAck = ok(parseWsFrame('{"type":"jsonapi/sendtx","code":21728,"message":"dup","id":"x","tx_hash":""}', ctx));
    expect(rejectedAck.kind === 'error' && rejectedAck.error.kind).toBe('duplicate-client-index');
  });

  it.each([
    ['malformed_not_json.txt', /not JSON/],
    ['malformed_price_as_number.json', /orders\.0\.0\.price/],
    ['malformed_missing_orders.json', /orders/],
    ['malformed_huge_size.json', /size 10{40} exceeds the wire maximum/],
    ['malformed_off_grid_book.json', /price 100\.015 is off the grid/],
    ['malformed_unknown_status.json', /unknown status "half-baked"/],
  ])('VEN-06 %s is a typed parse error with an excerpt, never a throw', (name, why) => {
    const text = fixture(name);
    let r: ParseResult<LighterWsFrame> | undefined;
    expect(() => (r = parseWsFrame(text, ctx))).not.toThrow();
    expect(r!.ok).toBe(false);
    if (r!.ok) return;
    expect(r!.error.kind).toBe('parse');
    expect(r!.error.message).toMatch(why);
    expect(r!.error.excerpt.length).toBeGreaterThan(0);
    expect(r!.error.excerpt.length).toBeLessThanOrEqual(161);
  });

  it('VEN-06 odd inputs never throw', () => {
    for (const t of ['', 'null', '[]', '42', '"x"', '{}', '{"type":5}', '{"type":"update/order_book"}', '{"error":"x"}', '{"type":"__proto__"}', '{"type":"toString"}']) {
      expect(() => parseWsFrame(t, ctx)).not.toThrow();
    }
    expect(parseWsFrame('{"type":"toString"}', ctx)).toEqual({ ok: true, value: { kind: 'ignored', type: 'toString' } });
  });

  it('channelIndex reads the trailing index of either separator', () => {
    expect(channelIndex('order_book:12')).toBe(12);
    expect(channelIndex('order_book/3')).toBe(3);
    expect(channelIndex('height')).toBeUndefined();
  });
});
