import { describe, expect, it } from 'vitest';
import type { VenueStreamEvent } from '../../types.ts';
import { silentLogger } from '../common/logger.ts';
import { marketMap } from '../map.ts';
import { parseWsFrame } from '../parse.ts';
import { LighterDispatch } from './dispatch.ts';

const specs = marketMap([{ marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 }]);
const ctx = { markets: specs, accountIndex: 1, now: () => 1000 };

function setup() {
  const out: Array<VenueStreamEvent | { type: 'gap' | 'live'; key: string }> = [];
  const d = new LighterDispatch(
    specs,
    1,
    {
      bbo: (_m, bbo) => out.push({ type: 'market.bbo', bbo }),
      order: (v) => out.push({ type: 'order.updated', order: v.order }),
      fill: (fill) => out.push({ type: 'order.filled', fill }),
      position: (position) => out.push({ type: 'position.updated', position }),
      live: (key) => out.push({ type: 'live', key }),
      gap: (key) => out.push({ type: 'gap', key }),
    },
    silentLogger,
    () => 1000,
  );
  const feed = (frame: object) => {
    const p = parseWsFrame(JSON.stringify(frame), ctx);
    if (!p.ok) throw new Error(p.error.message);
    d.frame(p.value);
  };
  return { d, out, feed };
}

const book = (type: string, nonce: number, begin: number, bids: Array<[string, string]>, asks: Array<[string, string]> = []) => ({
  type,
  channel: 'order_book:0',
  order_book: { asks: asks.map(([price, size]) => ({ price, size })), bids: bids.map(([price, size]) => ({ price, size })), nonce, begin_nonce: begin, offset: nonce * 7 },
});

describe('LighterDispatch', () => {
  it('VEN-05 emits market.bbo only when the top changes; a gap asks for a resubscribe and emits nothing', () => {
    const { out, feed } = setup();
    feed(book('subscribed/order_book', 100, 100, [['99.98', '5.000']], [['100.02', '5.000']]));
    feed(book('update/order_book', 120, 100, [['99.90', '1.000']]));
    feed(book('update/order_book', 140, 120, [['99.99', '1.000']]));
    feed(book('update/order_book', 170, 150, [['99.99', '0']]));
    feed(book('update/order_book', 190, 170, [['99.97', '1.000']]));
    expect(out.map((e) => (e.type === 'market.bbo' ? `bbo ${e.bbo.bid}/${e.bbo.ask}` : `${e.type}${'key' in e ? ' ' + e.key : ''}`))).toEqual([
      'live order_book/0',
      'bbo 99.98/100.02',
      'bbo 99.99/100.02',
      'gap order_book/0',
    ]);
  });

  it('de-duplicates repeated trades and unchanged orders; fills come before positions in account_all', () => {
    const { out, feed } = setup();
    const trade = { trade_id: 5, type: 'trade', market_id: 0, size: '1.000', price: '100.00', usd_amount: '100.000000', ask_id: 1, bid_id: 2, ask_client_id: 0, bid_client_id: 77, ask_account_id: 9, bid_account_id: 1, is_maker_ask: false, timestamp: 1_795_480_000_000 };
    const pos = { market_id: 0, symbol: 'TEST', initial_margin_fraction: '5.00', sign: 1, position: '1.000', avg_entry_price: '100.00', realized_pnl: '0.000000' };
    feed({ type: 'update/account_all_trades', channel: 'account_all_trades:1', trades: { '0': [trade] } });
    feed({ type: 'update/account_all', channel: 'account_all:1', account: 1, trades: { '0': [trade] }, positions: { '0': pos } });
    feed({ type: 'subscribed/account_all', channel: 'account_all:1', account: 1, trades: { '0': [trade] }, positions: { '0': pos } });
    expect(out.map((e) => e.type)).toEqual(['order.filled', 'position.updated', 'live']);
  });
});
