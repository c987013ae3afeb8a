/**
 * Frame builders of the simulator's WebSocket channels: the `subscribed/<name>` snapshot
 * of a new subscription and the `update/<name>` frame a batch of exchange events makes for
 * one subscription (protocol notes §3.2; payload keys exactly as listed there).
 *
 * Invariants:
 * - Per-market maps are keyed by the stringified market index.
 * - Snapshots of account channels repeat recent trades (clients must de-duplicate by
 *   trade id, as on the venue); `account_orders` / `account_all_orders` snapshots list the
 *   live orders.
 * - `channelFrame` returns null when the batch holds nothing for the subscription.
 */
import type { WireOrder, WireTrade } from '../../adapters/lighter/types.ts';
import type { BookFeed } from './book-feed.ts';
import type { ExchangeEvent, SimExchange } from './exchange.ts';
import { activeOrders, marketStats, userStats } from './reads.ts';
import { usdc } from './wire.ts';
import { Dec } from '../domain/decimal.ts';

export interface Sub {
  /** The subscribe form, e.g. "account_orders/0/12". */
  key: string;
  name: string;
  private: boolean;
  market?: number;
  account?: number;
  /** market_stats/all. */
  all?: boolean;
  auth?: string;
}

const RECENT = 50;

function group<T>(items: Array<{ market: number; item: T }>): Record<string, T[]> {
  const out: Record<string, T[]> = {};
  for (const { market, item } of items) (out[String(market)] ??= []).push(item);
  return out;
}

function accountTrades(x: SimExchange, account: number, market?: number): WireTrade[] {
  return x.trades.filter((t) => (t.ask_account_id === account || t.bid_account_id === account) && (market === undefined || t.market_id === market)).slice(-RECENT);
}

function volumes(x: SimExchange, account: number): Record<string, number> {
  const list = accountTrades(x, account);
  // Volumes are JSON numbers on the venue (statistics, not money we compute with).
  const v = list.reduce((s, t) => s.plus(t.usd_amount), new Dec(0)).toNumber();
  return { daily_trades_count: list.length, weekly_trades_count: list.length, monthly_trades_count: list.length, total_trades_count: list.length, daily_volume: v, weekly_volume: v, monthly_volume: v, total_volume: v };
}

function positions(x: SimExchange, account: number): Record<string, unknown> {
  if (account !== x.bot) return {};
  return Object.fromEntries(x.markets.list.map((m) => [String(m.marketIndex), x.position(m)]));
}

function assets(x: SimExchange, account: number): Record<string, unknown> {
  const a = x.accounts.get(account)!;
  const bal = account === x.bot ? (userStats(x, a).collateral as string) : usdc(a.collateral);
  return { '3': { symbol: 'USDC', asset_id: 3, balance: bal, locked_balance: '0.000000', margin_mode: 'enabled', margin_balance: bal, multiplier: '1' } };
}

function channelName(sub: Sub): string {
  if (sub.name === 'account_orders') return `account_orders:${sub.market}`;
  return sub.key.replace(/\//g, ':');
}

export function snapshotFrame(x: SimExchange, feed: BookFeed, sub: Sub): Record<string, unknown> {
  const now = x.clock.now();
  const base = { type: `subscribed/${sub.name}`, channel: channelName(sub), timestamp: now };
  const m = sub.market === undefined ? undefined : x.markets.list[sub.market]!;
  switch (sub.name) {
    case 'order_book': {
      const v = feed.snapshot(m!.marketIndex);
      return { ...base, offset: v.offset, order_book: { code: 0, asks: v.asks, bids: v.bids, offset: v.offset, nonce: v.nonce, begin_nonce: v.beginNonce, last_updated_at: v.time * 1000 } };
    }
    case 'ticker': {
      const top = feed.top(m!.marketIndex);
      return { ...base, nonce: feed.nonce(m!.marketIndex), last_updated_at: now * 1000, ticker: { s: m!.symbol, a: top.ask, b: top.bid, last_updated_at: now * 1000 } };
    }
    case 'trade':
      return { ...base, nonce: feed.nonce(m!.marketIndex), trades: x.trades.filter((t) => t.market_id === m!.marketIndex).slice(-RECENT), liquidation_trades: [] };
    case 'market_stats':
      return { ...base, market_stats: sub.all ? Object.fromEntries(x.markets.list.map((mm) => [String(mm.marketIndex), marketStats(x, feed, mm)])) : marketStats(x, feed, m!) };
    case 'height':
      return { ...base, height: x.height };
    case 'account_all': {
      const a = sub.account!;
      return {
        ...base,
        account: a,
        positions: positions(x, a),
        trades: group(accountTrades(x, a).map((t) => ({ market: t.market_id, item: t }))),
        assets: assets(x, a),
        funding_histories: {},
        shares: [],
        ...volumes(x, a),
      };
    }
    case 'user_stats':
      return { ...base, stats: userStats(x, x.accounts.get(sub.account!)!) };
    case 'account_orders':
      return { ...base, account: sub.account, nonce: x.height, orders: { [String(m!.marketIndex)]: activeOrders(x, sub.account!, [m!]) } };
    case 'account_all_orders':
      return { ...base, orders: Object.fromEntries(x.markets.list.map((mm) => [String(mm.marketIndex), activeOrders(x, sub.account!, [mm])])) };
    case 'account_all_trades': {
      const a = sub.account!;
      return { ...base, trades: group(accountTrades(x, a).map((t) => ({ market: t.market_id, item: t }))), ...volumes(x, a) };
    }
    case 'account_all_positions':
      return { ...base, positions: positions(x, sub.account!), shares: [] };
    case 'account_tx':
      return { ...base, txs: [] };
    default:
      throw new Error(`no snapshot builder for channel ${sub.name}`);
  }
}

/** The update frame a batch of events makes for one subscription, or null. */
export function channelFrame(x: SimExchange, feed: BookFeed, sub: Sub, events: ExchangeEvent[]): Record<string, unknown> | null {
  const base = { type: `update/${sub.name}`, channel: channelName(sub), timestamp: x.clock.now() };
  const a = sub.account;
  const orders = (pred: (e: Extract<ExchangeEvent, { kind: 'order' }>) => boolean): Array<{ market: number; item: WireOrder }> =>
    events.filter((e): e is Extract<ExchangeEvent, { kind: 'order' }> => e.kind === 'order' && pred(e)).map((e) => ({ market: e.marketIndex, item: e.order }));
  const trades = (pred: (e: Extract<ExchangeEvent, { kind: 'trade' }>) => boolean): Array<{ market: number; item: WireTrade }> =>
    events.filter((e): e is Extract<ExchangeEvent, { kind: 'trade' }> => e.kind === 'trade' && pred(e)).map((e) => ({ market: e.marketIndex, item: e.trade }));
  const latestPositions = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const e of events) if (e.kind === 'position' && e.account === a) out[String(e.marketIndex)] = e.position;
    return out;
  };
  switch (sub.name) {
    case 'account_orders': {
      const list = orders((e) => e.account === a && e.marketIndex === sub.market);
      return list.length ? { ...base, account: a, nonce: x.height, orders: group(list) } : null;
    }
    case 'account_all_orders': {
      const list = orders((e) => e.account === a);
      return list.length ? { ...base, orders: group(list) } : null;
    }
    case 'account_all_trades': {
      const list = trades((e) => e.accounts.includes(a!));
      return list.length ? { ...base, trades: group(list), ...volumes(x, a!) } : null;
    }
    case 'account_all': {
      const list = trades((e) => e.accounts.includes(a!));
      const pos = latestPositions();
      if (!list.length && !Object.keys(pos).length) return null;
      return { ...base, account: a, positions: pos, trades: group(list), funding_histories: {}, ...volumes(x, a!) };
    }
    case 'account_all_positions': {
      const pos = latestPositions();
      return Object.keys(pos).length ? { ...base, positions: pos, shares: [] } : null;
    }
    case 'user_stats':
      return events.some((e) => (e.kind === 'position' || e.kind === 'trade') && (e.kind === 'position' ? e.account === a : e.accounts.includes(a!)))
        ? { ...base, stats: userStats(x, x.accounts.get(a!)!) }
        : null;
    case 'account_tx': {
      const txs = events.filter((e): e is Extract<ExchangeEvent, { kind: 'tx' }> => e.kind === 'tx' && e.account === a).map((e) => e.tx);
      return txs.length ? { ...base, txs } : null;
    }
    case 'trade': {
      const list = trades((e) => e.marketIndex === sub.market);
      return list.length ? { ...base, nonce: feed.nonce(sub.market!), trades: list.map((t) => t.item), liquidation_trades: [] } : null;
    }
    case 'market_stats': {
      const touched = new Set(events.filter((e) => e.kind === 'trade').map((e) => (e as Extract<ExchangeEvent, { kind: 'trade' }>).marketIndex));
      if (sub.all) {
        const ms = x.markets.list.filter((m) => touched.has(m.marketIndex));
        return ms.length ? { ...base, market_stats: Object.fromEntries(ms.map((m) => [String(m.marketIndex), marketStats(x, feed, m)])) } : null;
      }
      return touched.has(sub.market!) ? { ...base, market_stats: marketStats(x, feed, x.markets.list[sub.market!]!) } : null;
    }
    case 'height': {
      const h = events.filter((e) => e.kind === 'height').pop();
      return h ? { ...base, height: (h as Extract<ExchangeEvent, { kind: 'height' }>).height } : null;
    }
    default:
      return null;
  }
}
