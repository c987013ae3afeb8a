/**
 * Read models of the Lighter simulator: the bodies of the REST read endpoints and the
 * account pieces the WebSocket channels reuse (protocol notes §2.2–2.3).
 *
 * Invariants:
 * - Pure views over the exchange state: nothing here changes state.
 * - Bodies carry `code: 200`; money is USDC with 6 decimals; account positions are listed
 *   for every market (flat ones with sign 0).
 * - Collateral = configured collateral + realized PnL (net of fees) of the bot.
 */
import type { WireOrder, WireTrade } from '../../adapters/lighter/types.ts';
import { Dec, type DecValue } from '../domain/decimal.ts';
import type { AccountRec } from './accounts.ts';
import type { BookFeed } from './book-feed.ts';
import type { SimExchange } from './exchange.ts';
import type { SimMarket } from './markets.ts';
import { usdc } from './wire.ts';

export function activeOrders(x: SimExchange, account: number, markets: SimMarket[]): WireOrder[] {
  if (account !== x.bot) return [];
  const ids = new Set(markets.map((m) => m.marketIndex));
  const out: WireOrder[] = [];
  for (const lo of x.orders) {
    if (!ids.has(lo.market.marketIndex)) continue;
    const v = x.engineOrder(lo);
    if (v && v.status === 'open') out.push(x.wireOrderOf(lo)!);
  }
  return out;
}

/** Ended orders, newest first, optionally ask-filtered and within `[from, to]` ms (updated_at). */
export function inactiveOrders(x: SimExchange, account: number, markets: SimMarket[], opts: { limit: number; askFilter?: number; from?: number; to?: number }): WireOrder[] {
  if (account !== x.bot) return [];
  const ids = new Set(markets.map((m) => m.marketIndex));
  const out: WireOrder[] = [];
  for (let i = x.orders.length - 1; i >= 0 && out.length < opts.limit; i--) {
    const lo = x.orders[i]!;
    if (!ids.has(lo.market.marketIndex)) continue;
    const w = x.wireOrderOf(lo);
    if (!w || w.status === 'open') continue;
    if (opts.askFilter === 0 && w.is_ask) continue;
    if (opts.askFilter === 1 && !w.is_ask) continue;
    const t = w.updated_at ?? 0;
    if (opts.from !== undefined && t < opts.from) continue;
    if (opts.to !== undefined && t > opts.to) continue;
    out.push(w);
  }
  return out;
}

export interface TradeFilter {
  markets: SimMarket[];
  account?: number;
  orderIndex?: number;
  role?: 'all' | 'maker' | 'taker';
  askFilter?: number;
  from?: number;
  sortDir: 'asc' | 'desc';
  limit: number;
}

export function trades(x: SimExchange, q: TradeFilter): WireTrade[] {
  const ids = new Set(q.markets.map((m) => m.marketIndex));
  let list = x.trades.filter((t) => ids.has(t.market_id));
  if (q.account !== undefined) {
    const a = q.account;
    list = list.filter((t) => {
      const isAsk = t.ask_account_id === a;
      const isBid = t.bid_account_id === a;
      if (!isAsk && !isBid) return false;
      if (q.askFilter === 1 && !isAsk) return false;
      if (q.askFilter === 0 && !isBid) return false;
      if (q.role === 'maker') return (isAsk && t.is_maker_ask) || (isBid && !t.is_maker_ask);
      if (q.role === 'taker') return (isAsk && !t.is_maker_ask) || (isBid && t.is_maker_ask);
      return true;
    });
  }
  if (q.orderIndex !== undefined) list = list.filter((t) => Number(t.ask_id) === q.orderIndex || Number(t.bid_id) === q.orderIndex);
  if (q.from !== undefined && q.from >= 0) list = list.filter((t) => t.timestamp >= q.from!);
  list = q.sortDir === 'asc' ? list : [...list].reverse();
  return list.slice(0, q.limit);
}

/** The bot's realized PnL (net of fees) over all markets. */
function realized(x: SimExchange): DecValue {
  let r = new Dec(0);
  for (const m of x.markets.list) r = r.plus(x.engine.position(m.symbol).realizedPnl);
  return r;
}

export function accountBalances(x: SimExchange, a: AccountRec): { collateral: string; available: string; total: string; margin: string; unrealized: string } {
  if (a.index !== x.bot) {
    const c = usdc(a.collateral);
    return { collateral: c, available: c, total: c, margin: '0.000000', unrealized: '0.000000' };
  }
  let unrealized = new Dec(0);
  let margin = new Dec(0);
  for (const m of x.markets.list) {
    const p = x.position(m);
    unrealized = unrealized.plus(p.unrealized_pnl ?? '0');
    const lev = x.engine.position(m.symbol).leverage ?? 1;
    margin = margin.plus(new Dec(p.position_value ?? '0').div(lev));
  }
  const collateral = a.collateral.plus(realized(x));
  const total = collateral.plus(unrealized);
  const available = Dec.max(total.minus(margin), 0);
  return { collateral: usdc(collateral), available: usdc(available), total: usdc(total), margin: usdc(margin), unrealized: usdc(unrealized) };
}

export function detailedAccount(x: SimExchange, a: AccountRec): Record<string, unknown> {
  const b = accountBalances(x, a);
  const isBot = a.index === x.bot;
  const open = isBot ? x.markets.list.reduce((n, m) => n + x.engine.openOrders(m.symbol).length, 0) : 0;
  return {
    code: 200,
    account_type: 0,
    index: a.index,
    l1_address: a.l1Address,
    cancel_all_time: a.cancelAllTime,
    total_order_count: open,
    total_isolated_order_count: 0,
    pending_order_count: 0,
    available_balance: b.available,
    status: 1,
    collateral: b.collateral,
    transaction_time: x.clock.now() * 1000,
    account_trading_mode: 0,
    account_index: a.index,
    name: '',
    description: '',
    can_invite: true,
    referral_points_percentage: '',
    can_rfq: false,
    created_at: a.createdAt,
    positions: isBot ? x.markets.list.map((m) => x.position(m)) : [],
    assets: [{ symbol: 'USDC', asset_id: 3, balance: b.collateral, locked_balance: '0.000000', margin_mode: 'enabled', margin_balance: b.collateral, multiplier: '1' }],
    total_asset_value: b.total,
    cross_asset_value: b.total,
    cross_initial_margin_requirement: b.margin,
    cross_maintenance_margin_requirement: b.margin,
    pool_info: null,
    shares: [],
  };
}

export function basicAccount(x: SimExchange, a: AccountRec): Record<string, unknown> {
  const b = accountBalances(x, a);
  return { code: 200, account_type: 0, index: a.index, l1_address: a.l1Address, cancel_all_time: a.cancelAllTime, total_order_count: 0, total_isolated_order_count: 0, pending_order_count: 0, available_balance: b.available, status: 1, collateral: b.collateral, transaction_time: x.clock.now() * 1000, account_trading_mode: 0 };
}

/** `user_stats` payload. */
export function userStats(x: SimExchange, a: AccountRec): Record<string, unknown> {
  const b = accountBalances(x, a);
  const lev = new Dec(b.total).isZero() ? new Dec(0) : new Dec(b.margin).div(b.total);
  const side = { collateral: b.collateral, portfolio_value: b.total, leverage: lev.toFixed(4), available_balance: b.available, margin_usage: lev.toFixed(4), buying_power: b.available };
  return { ...side, account_trading_mode: 0, cross_stats: side, total_stats: side };
}

/** `orderBookOrders`: resting levels as SimpleOrders (background levels get synthetic ids). */
export function orderBookOrders(x: SimExchange, feed: BookFeed, m: SimMarket, limit: number): Record<string, unknown> {
  const view = feed.snapshot(m.marketIndex);
  const now = x.clock.now();
  let synthetic = 2 ** 59 + m.marketIndex * 2 ** 20;
  const simple = (l: { price: string; size: string }) => {
    const id = synthetic++;
    return { order_index: id, order_id: String(id), owner_account_index: x.backgroundAccount, initial_base_amount: l.size, remaining_base_amount: l.size, price: l.price, order_expiry: 0, transaction_time: now * 1000 };
  };
  return { code: 200, total_asks: Math.min(limit, view.asks.length), asks: view.asks.slice(0, limit).map(simple), total_bids: Math.min(limit, view.bids.length), bids: view.bids.slice(0, limit).map(simple) };
}

const RESOLUTION_MS: Readonly<Record<string, number>> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '4h': 14_400_000, '12h': 43_200_000, '1d': 86_400_000 };

/** `candles` from the bot's trades (compact keys). */
export function candles(x: SimExchange, m: SimMarket, resolution: string, start: number, end: number, countBack: number): Record<string, unknown> {
  const step = RESOLUTION_MS[resolution];
  if (!step) throw new Error(`resolution ${resolution}`);
  const buckets = new Map<number, WireTrade[]>();
  for (const t of x.trades) {
    if (t.market_id !== m.marketIndex || t.timestamp < start || t.timestamp > end) continue;
    const b = Math.floor(t.timestamp / step) * step;
    const list = buckets.get(b) ?? [];
    list.push(t);
    buckets.set(b, list);
  }
  const c = [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .slice(-Math.max(1, countBack))
    .map(([t, list]) => {
      const prices = list.map((z) => new Dec(z.price));
      const hi = Dec.max(...prices);
      const lo = Dec.min(...prices);
      const v = list.reduce((s, z) => s.plus(z.size), new Dec(0));
      const q = list.reduce((s, z) => s.plus(z.usd_amount), new Dec(0));
      const o = list[0]!.price;
      const cl = list[list.length - 1]!.price;
      // Candle values are JSON numbers on the venue (display data, not money we compute with).
      return { t, o: Number(o), h: hi.toNumber(), l: lo.toNumber(), c: Number(cl), O: Number(o), H: hi.toNumber(), L: lo.toNumber(), C: Number(cl), v: v.toNumber(), V: q.toNumber(), i: Number(list[list.length - 1]!.trade_id) };
    });
  return { code: 200, r: resolution, c };
}

export function exchangeStats(x: SimExchange, feed: BookFeed): Record<string, unknown> {
  const stats = x.markets.list.map((m) => marketStats(x, feed, m));
  return { code: 200, total: stats.length, order_book_stats: stats.map((s) => ({ symbol: s.symbol, last_trade_price: Number(s.last_trade_price), daily_trades_count: 0, daily_base_token_volume: 0, daily_quote_token_volume: 0, daily_price_change: 0 })), daily_usd_volume: 0, daily_trades_count: 0 };
}

/** `market_stats` payload of one market. */
export function marketStats(x: SimExchange, feed: BookFeed, m: SimMarket): Record<string, string | number> {
  const mark = x.mark(m).toFixed(m.priceDecimals + 1);
  const top = feed.top(m.marketIndex);
  const last = x.lastTradePrice(m) ?? top.bid.price;
  const pos = x.engine.position(m.symbol).size.replace('-', '');
  return {
    symbol: m.symbol,
    market_id: m.marketIndex,
    index_price: mark,
    mark_price: mark,
    open_interest: pos,
    open_interest_limit: '0',
    funding_clamp_small: '0',
    funding_clamp_big: '0',
    last_trade_price: last,
    current_funding_rate: '0.0000',
    funding_rate: '0.0000',
    funding_timestamp: Math.floor(x.clock.now() / 3_600_000) * 3_600_000 + 3_600_000,
    daily_base_token_volume: 0,
    daily_quote_token_volume: 0,
    daily_price_low: 0,
    daily_price_high: 0,
    daily_price_change: 0,
  };
}
