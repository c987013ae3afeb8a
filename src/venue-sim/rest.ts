/**
 * The REST front of the Lighter simulator: `/`, `/info` and `/api/v1/*` (protocol notes
 * §2, §8.3.1–2), with the venue's envelope and injected REST faults.
 *
 * Invariants:
 * - Success: HTTP 200 with `code: 200`. Refusal: HTTP 400 (or the fault's status) with
 *   `{code, message}`. Unknown paths: HTTP 404 with a non-JSON body (as behind Cloudflare).
 * - sendTx / sendTxBatch accept multipart/form-data, application/x-www-form-urlencoded
 *   and JSON bodies; `tx_infos` / `tx_types` are JSON strings (or arrays in JSON bodies).
 * - Private reads (accountActiveOrders, accountInactiveOrders, accountOrders, accountTxs,
 *   trades with account_index) need a valid auth token in `auth` / `authorization` query
 *   or the Authorization header.
 * - Every call is logged (`RestCall`) before faults apply, attributed to an account when
 *   the request names one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonLossless } from '../../adapters/lighter/json.ts';
import type { Clock } from '../runtime/clock.ts';
import type { BookFeed } from './book-feed.ts';
import type { SimExchange } from './exchange.ts';
import type { FaultState } from './faults.ts';
import { wireOrderBook, wireOrderBookDetail } from './markets.ts';
import { activeOrders, basicAccount, candles, detailedAccount, exchangeStats, inactiveOrders, orderBookOrders, trades } from './reads.ts';
import type { TxProcessor } from './tx.ts';
import { SimApiError, type RestCall } from './types.ts';

type Query = Record<string, string>;
interface Req {
  q: Query;
  body: Record<string, unknown>;
  auth: string | undefined;
}
type Handler = (r: Req) => unknown;

export interface RestContext {
  x: SimExchange;
  tx: TxProcessor;
  feed: BookFeed;
  faults: FaultState;
  clock: Clock;
  chainId: number;
}

const MAX_BODY = 1 << 20;

function int(q: Query, name: string, opts: { required?: boolean; def?: number; min?: number } = {}): number {
  const v = q[name];
  if (v === undefined || v === '') {
    if (opts.required || opts.def === undefined) throw new SimApiError(20001, `invalid param: ${name} is required`);
    return opts.def;
  }
  if (!/^-?\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new SimApiError(20001, `invalid param: ${name} must be an integer, got ${JSON.stringify(v)}`);
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min) throw new SimApiError(20001, `invalid param: ${name} must be ≥ ${opts.min}, got ${n}`);
  return n;
}

function str(q: Query, name: string): string {
  const v = q[name];
  if (v === undefined || v === '') throw new SimApiError(20001, `invalid param: ${name} is required`);
  return v;
}

export class RestFront {
  readonly log: RestCall[] = [];
  private readonly routes: Readonly<Record<string, Handler>>;

  constructor(private readonly c: RestContext) {
    const { x, tx, feed } = c;
    const authFor = (r: Req, account: number) => x.accounts.checkAuth(r.auth, account);
    this.routes = {
      'GET /': () => ({ status: 1, network_id: c.chainId, timestamp: Math.floor(c.clock.now() / 1000) }),
      'GET /info': () => ({ contract_address: '0x0000000000000000000000000000000000000000' }),
      'GET /api/v1/nextNonce': ({ q }) => ({ code: 200, nonce: x.accounts.nextNonce(int(q, 'account_index', { required: true }), int(q, 'api_key_index', { required: true })) }),
      'GET /api/v1/apikeys': ({ q }) => {
        const a = x.accounts.require(int(q, 'account_index', { required: true }));
        const k = int(q, 'api_key_index', { def: 255 });
        const keys = [...a.keys.values()].filter((key) => k === 255 || key.apiKeyIndex === k);
        if (k !== 255 && keys.length === 0) throw new SimApiError(21109, `api key not found: account ${a.index} api key ${k}`);
        return { code: 200, api_keys: keys.map((key) => ({ account_index: a.index, api_key_index: key.apiKeyIndex, nonce: key.next, public_key: key.publicKey, transaction_time: key.registeredAt * 1000 })) };
      },
      'POST /api/v1/sendTx': ({ body }) => {
        const r = tx.submit(body.tx_type, body.tx_info, 'rest');
        return { code: 200, message: '{"ratelimit": "didn\'t use volume quota"}', tx_hash: r.txHash, predicted_execution_time_ms: r.predictedExecutionMs, volume_quota_remaining: 1000 };
      },
      'POST /api/v1/sendTxBatch': ({ body }) => {
        const r = tx.submitBatch(body.tx_types, body.tx_infos, 'rest');
        return { code: 200, message: '{"ratelimit": "didn\'t use volume quota"}', tx_hash: r.txHashes, predicted_execution_time_ms: r.predictedExecutionMs, volume_quota_remaining: 1000 };
      },
      'GET /api/v1/orderBooks': ({ q }) => ({ code: 200, order_books: this.perp(q).map((m) => wireOrderBook(m, x.startedAt)) }),
      'GET /api/v1/orderBookDetails': ({ q }) => ({
        code: 200,
        order_book_details: this.perp(q).map((m) => {
          const top = feed.top(m.marketIndex);
          return wireOrderBookDetail(m, x.startedAt, { markPrice: x.mark(m).toFixed(m.priceDecimals + 1), lastTradePrice: x.lastTradePrice(m) ?? top.bid.price, openInterest: x.engine.position(m.symbol).size.replace('-', '') });
        }),
        spot_order_book_details: [],
      }),
      'GET /api/v1/orderBookOrders': ({ q }) => orderBookOrders(x, feed, x.markets.select(String(int(q, 'market_id', { required: true })))[0]!, int(q, 'limit', { required: true, min: 1 })),
      'GET /api/v1/recentTrades': ({ q }) => ({
        code: 200,
        trades: trades(x, { markets: x.markets.select(String(int(q, 'market_id', { required: true }))), sortDir: 'desc', limit: int(q, 'limit', { required: true, min: 1 }) }),
      }),
      'GET /api/v1/trades': (r) => {
        const { q } = r;
        const sortBy = str(q, 'sort_by');
        if (!['block_height', 'timestamp', 'trade_id'].includes(sortBy)) throw new SimApiError(20001, `invalid param: sort_by ${sortBy} (allowed: block_height, timestamp, trade_id)`);
        const account = int(q, 'account_index', { def: -1 });
        if (account >= 0) authFor(r, account);
        const role = q.role ?? 'all';
        if (!['all', 'maker', 'taker'].includes(role)) throw new SimApiError(20001, `invalid param: role ${role}`);
        return {
          code: 200,
          trades: trades(x, {
            markets: x.markets.select(q.market_id),
            ...(account >= 0 ? { account } : {}),
            ...(q.order_index ? { orderIndex: int(q, 'order_index') } : {}),
            role: role as 'all',
            askFilter: int(q, 'ask_filter', { def: -1 }),
            from: int(q, 'from', { def: -1 }),
            sortDir: q.sort_dir === 'asc' ? 'asc' : 'desc',
            limit: int(q, 'limit', { required: true, min: 1 }),
          }),
        };
      },
      'GET /api/v1/account': ({ q }) => {
        const by = str(q, 'by');
        const value = str(q, 'value');
        let list;
        if (by === 'index') list = [x.accounts.require(int(q, 'value', { required: true }))];
        else if (by === 'l1_address') list = x.accounts.byL1(value);
        else throw new SimApiError(20001, `invalid param: by ${by} (allowed: index, l1_address)`);
        if (list.length === 0) throw new SimApiError(21100, `account not found: ${value}`);
        return { code: 200, total: list.length, accounts: list.map((a) => detailedAccount(x, a)) };
      },
      'GET /api/v1/accountsByL1Address': ({ q }) => {
        const l1 = str(q, 'l1_address');
        const list = x.accounts.byL1(l1);
        if (list.length === 0) throw new SimApiError(21100, `account not found: ${l1}`);
        return { code: 200, l1_address: l1, sub_accounts: list.map((a) => basicAccount(x, a)) };
      },
      'GET /api/v1/accountActiveOrders': (r) => {
        const account = int(r.q, 'account_index', { required: true });
        authFor(r, account);
        return { code: 200, orders: activeOrders(x, account, x.markets.select(r.q.market_id)) };
      },
      'GET /api/v1/accountInactiveOrders': (r) => {
        const account = int(r.q, 'account_index', { required: true });
        authFor(r, account);
        const between = r.q.between_timestamps;
        let from: number | undefined;
        let to: number | undefined;
        if (between) {
          const m = /^(\d+)-(\d+)$/.exec(between);
          if (!m) throw new SimApiError(20001, `invalid param: between_timestamps ${between} (expected start-end)`);
          from = Number(m[1]);
          to = Number(m[2]);
        }
        return {
          code: 200,
          orders: inactiveOrders(x, account, x.markets.select(r.q.market_id), {
            limit: int(r.q, 'limit', { required: true, min: 1 }),
            askFilter: int(r.q, 'ask_filter', { def: -1 }),
            ...(from !== undefined ? { from, to } : {}),
          }),
        };
      },
      'GET /api/v1/accountOrders': (r) => {
        const account = int(r.q, 'account_index', { def: x.bot });
        authFor(r, account);
        const raw = str(r.q, 'client_order_indexes');
        const list = raw.replace(/[[\]\s]/g, '').split(',').filter(Boolean);
        if (list.some((s) => !/^\d+$/.test(s))) throw new SimApiError(20001, `invalid param: client_order_indexes ${raw}`);
        const wanted = new Set(list.map(Number));
        const orders = account === x.bot ? x.orders.filter((lo) => wanted.has(lo.coi)).map((lo) => x.wireOrderOf(lo)).filter((o) => o !== null) : [];
        return { code: 200, orders };
      },
      'GET /api/v1/tx': ({ q }) => {
        const by = str(q, 'by');
        const value = str(q, 'value');
        const t = by === 'hash' ? x.txByHash.get(value) : by === 'sequence_index' ? x.txs.find((z) => String(z.sequence_index) === value) : undefined;
        if (by !== 'hash' && by !== 'sequence_index') throw new SimApiError(20001, `invalid param: by ${by} (allowed: hash, sequence_index)`);
        if (!t) throw new SimApiError(21500, `transaction not found: ${value}`);
        return { code: 200, ...t };
      },
      'GET /api/v1/accountTxs': (r) => {
        const account = int(r.q, 'value', { required: true });
        authFor(r, account);
        const limit = int(r.q, 'limit', { required: true, min: 1 });
        return { code: 200, txs: x.txs.filter((t) => t.account_index === account).slice(-limit).reverse() };
      },
      'GET /api/v1/candles': ({ q }) => {
        const m = x.markets.select(String(int(q, 'market_id', { required: true })))[0]!;
        const res = str(q, 'resolution');
        if (!['1m', '5m', '15m', '30m', '1h', '4h', '12h', '1d'].includes(res)) throw new SimApiError(20001, `invalid param: resolution ${res}`);
        return candles(x, m, res, int(q, 'start_timestamp', { required: true }), int(q, 'end_timestamp', { required: true }), int(q, 'count_back', { required: true }));
      },
      'GET /api/v1/fundings': ({ q }) => {
        x.markets.select(String(int(q, 'market_id', { required: true })));
        const res = str(q, 'resolution');
        if (res !== '1h' && res !== '1d') throw new SimApiError(20001, `invalid param: resolution ${res} (allowed: 1h, 1d)`);
        return { code: 200, resolution: res, fundings: [] };
      },
      'GET /api/v1/exchangeStats': () => exchangeStats(x, feed),
      'GET /api/v1/currentHeight': () => ({ code: 200, height: x.height }),
      // The collateral asset (third-party clients such as ccxt load currencies from here).
      'GET /api/v1/assetDetails': () => ({
        code: 200,
        asset_details: [
          {
            asset_id: 3,
            symbol: 'USDC',
            l1_decimals: 6,
            decimals: 6,
            min_transfer_amount: '1.000000',
            min_withdrawal_amount: '1.000000',
            margin_mode: 'enabled',
            index_price: '1.000000',
            l1_address: '0x0000000000000000000000000000000000000000',
          },
        ],
      }),
      'GET /api/v1/accountLimits': (r) => {
        const account = int(r.q, 'account_index', { required: true });
        authFor(r, account);
        return { code: 200, max_llp_percentage: 0, user_tier: 'standard', can_create_public_pool: false, current_maker_fee_tick: 0, current_taker_fee_tick: 0 };
      },
    };
  }

  private perp(q: Query) {
    const filter = q.filter ?? 'all';
    if (!['all', 'perp', 'spot'].includes(filter)) throw new SimApiError(20001, `invalid param: filter ${filter} (allowed: all, spot, perp)`);
    return filter === 'spot' ? [] : this.c.x.markets.select(q.market_id);
  }

  /** node:http request handler. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((err: unknown) => {
      send(res, 500, { code: 29500, message: `internal error: ${err instanceof Error ? err.message : String(err)}` });
    });
  };

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q: Query = {};
    for (const [k, v] of url.searchParams) if (!(k in q)) q[k] = v;
    const method = req.method ?? 'GET';
    const entry: RestCall = { seq: this.log.length + 1, time: this.c.clock.now(), method, path, query: q, status: 0 };
    this.log.push(entry);
    let body: Record<string, unknown> = {};
    try {
      if (method === 'POST') body = await readBody(req);
    } catch (err) {
      entry.status = 400;
      send(res, 400, { code: 20001, message: `invalid param: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const headerAuth = req.headers.authorization;
    const auth = q.auth ?? q.authorization ?? (typeof headerAuth === 'string' ? headerAuth : undefined);
    const account = attribute(q, body, auth);
    if (account !== undefined) entry.account = account;
    const fault = this.c.faults.takeRest(path);
    if (fault) {
      entry.status = fault.status;
      entry.fault = `http-${fault.status}`;
      send(res, fault.status, { code: fault.code, message: fault.message });
      return;
    }
    const handler = this.routes[`${method} ${path}`];
    if (!handler) {
      entry.status = 404;
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end(`<html><body>404 page not found: ${method} ${path}</body></html>`);
      return;
    }
    let status = 200;
    let out: unknown;
    try {
      out = handler({ q, body, auth });
    } catch (err) {
      if (!(err instanceof SimApiError)) throw err;
      status = err.httpStatus;
      out = { code: err.code, message: err.message };
    }
    entry.status = status;
    const isTx = path === '/api/v1/sendTx' || path === '/api/v1/sendTxBatch';
    const delay = isTx ? this.c.faults.takeAckDelay() : undefined;
    if (delay !== undefined) {
      entry.fault = `ack-delayed-${delay}ms`;
      this.c.clock.setTimeout(() => send(res, status, out), delay);
    } else send(res, status, out);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function attribute(q: Query, body: Record<string, unknown>, auth: string | undefined): number | undefined {
  const direct = q.account_index ?? (q.by === 'index' || q.by === 'account_index' ? q.value : undefined);
  if (direct !== undefined && /^\d+$/.test(direct)) return Number(direct);
  const t = auth ? /^(?:Bearer\s+)?\d+:(\d+):/.exec(auth) : null;
  if (t) return Number(t[1]);
  const info = body.tx_info ?? (typeof body.tx_infos === 'string' ? body.tx_infos.replace(/\\"/g, '"') : undefined);
  const m = typeof info === 'string' ? /"AccountIndex"\s*:\s*(\d+)/.exec(info) : null;
  return m ? Number(m[1]) : undefined;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  const buf = Buffer.concat(chunks);
  if (buf.length === 0) return {};
  const ct = String(req.headers['content-type'] ?? '');
  if (ct.includes('application/json') || (!ct && buf[0] === 0x7b)) {
    const v = parseJsonLossless(buf.toString('utf8'));
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('JSON body must be an object');
    return v as Record<string, unknown>;
  }
  if (ct.includes('multipart/form-data') || ct.includes('application/x-www-form-urlencoded') || !ct) {
    const form = await new Response(buf, { headers: { 'content-type': ct || 'application/x-www-form-urlencoded' } }).formData();
    const out: Record<string, unknown> = {};
    for (const [k, v] of form) if (!(k in out)) out[k] = typeof v === 'string' ? v : await v.text();
    return out;
  }
  throw new Error(`unsupported content-type ${ct}`);
}
