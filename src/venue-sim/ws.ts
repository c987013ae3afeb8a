/**
 * The WebSocket front of the Lighter simulator at `/stream` (protocol notes §3, §8.3.3–4):
 * connection greeting, subscribe/unsubscribe, ping/pong, jsonapi/sendtx(batch), the
 * public and private channels, idle close, and frame-level fault injection.
 *
 * Invariants:
 * - Subscribe names use '/', frames echo ':' ("order_book/0" → "order_book:0"), except
 *   account_orders, whose frames name only the market and carry `account` separately.
 * - A subscription's first frame is `subscribed/<name>` (snapshot); later ones are
 *   `update/<name>`. Per batch of exchange events each subscription gets at most one frame.
 * - Private channels need a valid auth token for that account (error 30012 "invalid
 *   auth: …"); a refused subscribe, a malformed frame or an unknown type gets an error
 *   frame `{"error":{"code","message"},"id"?}` and the socket stays open.
 * - Frame faults (drop/duplicate/reorder) apply to subscription frames only, never to
 *   acks or error frames.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { Clock, TimerId } from '../runtime/clock.ts';
import { parseJsonLossless } from '../../adapters/lighter/json.ts';
import { WS_AUTH_ERROR_CODE } from './accounts.ts';
import type { BookFeed, BookUpdate } from './book-feed.ts';
import type { ExchangeEvent, SimExchange } from './exchange.ts';
import type { FaultState } from './faults.ts';
import type { TxProcessor } from './tx.ts';
import { SimApiError, type ConnectionInfo } from './types.ts';
import { channelFrame, snapshotFrame, type Sub } from './ws-frames.ts';

interface Conn {
  id: string;
  ws: WebSocket;
  subs: Map<string, Sub>;
  readonly: boolean;
  openedAt: number;
  idle: TimerId | undefined;
}

type ChannelArgs = 'market' | 'market-or-all' | 'account' | 'market-account' | 'none';
const CHANNELS: Readonly<Record<string, { args: ChannelArgs; private: boolean }>> = {
  order_book: { args: 'market', private: false },
  ticker: { args: 'market', private: false },
  trade: { args: 'market', private: false },
  market_stats: { args: 'market-or-all', private: false },
  height: { args: 'none', private: false },
  account_all: { args: 'account', private: false },
  user_stats: { args: 'account', private: false },
  account_orders: { args: 'market-account', private: true },
  account_all_orders: { args: 'account', private: true },
  account_all_trades: { args: 'account', private: true },
  account_all_positions: { args: 'account', private: true },
  account_tx: { args: 'account', private: true },
};

export interface WsContext {
  x: SimExchange;
  tx: TxProcessor;
  feed: BookFeed;
  faults: FaultState;
  clock: Clock;
  idleMs: number;
}

export class WsHub {
  readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Map<string, Conn>();
  private seq = 0;

  constructor(private readonly c: WsContext) {}

  /** node:http 'upgrade' handler. */
  readonly upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/stream') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (this.c.clock.now() < this.c.faults.refuseUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, url.searchParams.get('readonly') === 'true'));
  };

  private open(ws: WebSocket, readonly: boolean): void {
    const id = `sim-${(++this.seq).toString(16).padStart(8, '0')}`;
    const conn: Conn = { id, ws, subs: new Map(), readonly, openedAt: this.c.clock.now(), idle: undefined };
    this.conns.set(id, conn);
    this.touch(conn);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.touch(conn);
      this.onMessage(conn, isBinary ? null : rawText(data));
    });
    ws.on('ping', () => this.touch(conn));
    ws.on('pong', () => this.touch(conn));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
    this.write(conn, { type: 'connected', session_id: id });
  }

  private forget(conn: Conn): void {
    if (conn.idle !== undefined) this.c.clock.clearTimeout(conn.idle);
    conn.idle = undefined;
    this.conns.delete(conn.id);
  }

  private touch(conn: Conn): void {
    if (this.c.idleMs <= 0) return;
    if (conn.idle !== undefined) this.c.clock.clearTimeout(conn.idle);
    conn.idle = this.c.clock.setTimeout(() => {
      conn.idle = undefined;
      conn.ws.close(1000, 'idle timeout: no frame for 2 minutes');
    }, this.c.idleMs);
  }

  private write(conn: Conn, frame: unknown): void {
    if (conn.ws.readyState === WebSocket.OPEN) conn.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  private error(conn: Conn, code: number, message: string, id?: unknown): void {
    this.write(conn, { error: { code, message }, ...(id !== undefined ? { id } : {}) });
  }

  /** Sends a subscription frame through the frame faults. */
  private emit(conn: Conn, sub: Sub, frame: unknown): void {
    const text = JSON.stringify(frame);
    const write = (): void => this.write(conn, text);
    const rule = this.c.faults.frameRule(sub.key);
    if (!rule) return write();
    rule.left -= 1;
    if (rule.kind === 'drop') return;
    if (rule.kind === 'duplicate') {
      write();
      write();
      return;
    }
    rule.held.push(write);
    if (rule.left === 0) {
      const held = rule.held.reverse();
      rule.held = [];
      for (const w of held) w();
    }
  }

  private onMessage(conn: Conn, text: string | null): void {
    if (text === null) return this.error(conn, 30000, 'Invalid Json: binary frames are not supported');
    let msg: unknown;
    try {
      msg = parseJsonLossless(text);
    } catch {
      return this.error(conn, 30000, 'Invalid Json');
    }
    if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return this.error(conn, 30000, 'Invalid Json: expected an object');
    const m = msg as Record<string, unknown>;
    switch (m.type) {
      case 'ping':
        return this.write(conn, { type: 'pong' });
      case 'pong':
        return;
      case 'subscribe':
        return this.subscribe(conn, m.channel, m.auth);
      case 'unsubscribe':
        return this.unsubscribe(conn, m.channel);
      case 'jsonapi/sendtx':
      case 'jsonapi/sendtxbatch':
        return this.sendTx(conn, m.type, m.data);
      default:
        return this.error(conn, 30001, `Invalid Type: ${JSON.stringify(m.type)}`);
    }
  }

  private parseChannel(channel: unknown): Sub {
    if (typeof channel !== 'string') throw new SimApiError(30005, 'Invalid Channel: channel must be a string');
    const [name = '', ...args] = channel.split('/');
    const spec = Object.hasOwn(CHANNELS, name) ? CHANNELS[name]! : undefined;
    if (!spec) throw new SimApiError(30005, `Invalid Channel: ${channel}`);
    const num = (s: string | undefined): number => (s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN);
    const market = (s: string | undefined): number => {
      const n = num(s);
      if (!this.c.x.markets.list[n]) throw new SimApiError(30005, `Invalid Channel: ${channel} (unknown market ${s})`);
      return n;
    };
    const account = (s: string | undefined): number => {
      const n = num(s);
      if (!this.c.x.accounts.get(n)) throw new SimApiError(30005, `Invalid Channel: ${channel} (unknown account ${s})`);
      return n;
    };
    const want = { market: 1, 'market-or-all': 1, account: 1, 'market-account': 2, none: 0 }[spec.args];
    if (args.length !== want) throw new SimApiError(30005, `Invalid Channel: ${channel} (expected ${want} argument(s))`);
    const sub: Sub = { key: channel, name, private: spec.private };
    if (spec.args === 'market') sub.market = market(args[0]);
    if (spec.args === 'market-or-all') {
      if (args[0] === 'all') sub.all = true;
      else sub.market = market(args[0]);
    }
    if (spec.args === 'account') sub.account = account(args[0]);
    if (spec.args === 'market-account') {
      sub.market = market(args[0]);
      sub.account = account(args[1]);
    }
    return sub;
  }

  private subscribe(conn: Conn, channel: unknown, auth: unknown): void {
    let sub: Sub;
    try {
      sub = this.parseChannel(channel);
      if (conn.subs.has(sub.key)) throw new SimApiError(30003, `Already Subscribed to: ${sub.key}`);
      if (sub.private) {
        try {
          this.c.x.accounts.checkAuth(typeof auth === 'string' ? auth : undefined, sub.account);
        } catch (err) {
          if (err instanceof SimApiError) throw new SimApiError(WS_AUTH_ERROR_CODE, err.message);
          throw err;
        }
        sub.auth = auth as string;
      }
    } catch (err) {
      if (err instanceof SimApiError) return this.error(conn, err.code, err.message);
      throw err;
    }
    // Build the snapshot before registering: publishing pending book changes must not
    // reach the new subscriber ahead of its snapshot.
    const snapshot = snapshotFrame(this.c.x, this.c.feed, sub);
    conn.subs.set(sub.key, sub);
    this.emit(conn, sub, snapshot);
  }

  private unsubscribe(conn: Conn, channel: unknown): void {
    const key = typeof channel === 'string' ? channel : '';
    const sub = conn.subs.get(key);
    if (!sub) return this.error(conn, 30002, `Not Subscribed to: ${String(channel)}`);
    conn.subs.delete(key);
    this.write(conn, { type: `unsubscribed/${sub.name}`, channel: key.replace(/\//g, ':') });
  }

  private sendTx(conn: Conn, type: 'jsonapi/sendtx' | 'jsonapi/sendtxbatch', data: unknown): void {
    const d = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
    const id = d?.id;
    if (!d) return this.error(conn, 30007, 'Invalid Data: data must be an object', id);
    if (conn.readonly) return this.error(conn, 30006, "Operation isn't supported: the connection is read-only", id);
    let frame: unknown;
    try {
      if (type === 'jsonapi/sendtx') {
        const r = this.c.tx.submit(d.tx_type, d.tx_info, 'ws');
        frame = { type, code: 200, ...(id !== undefined ? { id } : {}), tx_hash: r.txHash, predicted_execution_time_ms: r.predictedExecutionMs };
      } else {
        const r = this.c.tx.submitBatch(d.tx_types, d.tx_infos, 'ws');
        frame = { type, code: 200, ...(id !== undefined ? { id } : {}), tx_hash: r.txHashes, predicted_execution_time_ms: r.predictedExecutionMs };
      }
    } catch (err) {
      if (!(err instanceof SimApiError)) throw err;
      frame = { error: { code: err.code, message: err.message }, ...(id !== undefined ? { id } : {}) };
    }
    const delay = this.c.faults.takeAckDelay();
    if (delay !== undefined) this.c.clock.setTimeout(() => this.write(conn, frame), delay);
    else this.write(conn, frame);
  }

  // ------------------------------------------------------------------ feeds

  onEvents(events: ExchangeEvent[]): void {
    for (const conn of this.conns.values()) {
      for (const sub of conn.subs.values()) {
        const frame = channelFrame(this.c.x, this.c.feed, sub, events);
        if (frame) this.emit(conn, sub, frame);
      }
    }
  }

  onBook(u: BookUpdate): void {
    const m = this.c.x.markets.list[u.marketIndex]!;
    const now = this.c.clock.now();
    for (const conn of this.conns.values()) {
      for (const sub of conn.subs.values()) {
        if (sub.market !== u.marketIndex) continue;
        if (sub.name === 'order_book') {
          this.emit(conn, sub, {
            type: 'update/order_book',
            channel: `order_book:${u.marketIndex}`,
            offset: u.offset,
            timestamp: now,
            order_book: { code: 0, asks: u.asks, bids: u.bids, offset: u.offset, nonce: u.nonce, begin_nonce: u.beginNonce, last_updated_at: u.time * 1000 },
          });
        } else if (sub.name === 'ticker' && u.tickerChanged) {
          const top = this.c.feed.top(u.marketIndex);
          this.emit(conn, sub, { type: 'update/ticker', channel: `ticker:${u.marketIndex}`, nonce: u.nonce, timestamp: now, last_updated_at: u.time * 1000, ticker: { s: m.symbol, a: top.ask, b: top.bid, last_updated_at: u.time * 1000 } });
        }
      }
    }
  }

  // ------------------------------------------------------------------ faults and inspection

  dropConnections(opts: { account?: number; mode?: 'terminate' | 'close' } = {}): number {
    let n = 0;
    for (const conn of [...this.conns.values()]) {
      if (opts.account !== undefined && ![...conn.subs.values()].some((s) => s.account === opts.account)) continue;
      n++;
      this.forget(conn);
      if (opts.mode === 'close') conn.ws.close(1001, 'going away (simulated drop)');
      else conn.ws.terminate();
    }
    return n;
  }

  inject(frame: string | object, channel?: string): number {
    let n = 0;
    for (const conn of this.conns.values()) {
      if (channel !== undefined && ![...conn.subs.keys()].some((k) => k.startsWith(channel))) continue;
      this.write(conn, typeof frame === 'string' ? frame : JSON.stringify(frame));
      n++;
    }
    return n;
  }

  /** Private subscriptions whose token is revoked get an error frame and are removed. */
  closeRevoked(): void {
    for (const conn of this.conns.values()) {
      for (const sub of [...conn.subs.values()]) {
        if (!sub.private || !sub.auth || !this.c.x.accounts.isRevoked(sub.auth)) continue;
        conn.subs.delete(sub.key);
        this.error(conn, WS_AUTH_ERROR_CODE, `invalid auth: token expired; resubscribe ${sub.key} with a fresh token`);
      }
    }
  }

  connections(): ConnectionInfo[] {
    return [...this.conns.values()].map((c) => ({ id: c.id, subscriptions: [...c.subs.keys()], readonly: c.readonly, openedAt: c.openedAt }));
  }

  async close(): Promise<void> {
    for (const conn of [...this.conns.values()]) {
      this.forget(conn);
      conn.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
