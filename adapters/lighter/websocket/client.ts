/**
 * One Lighter WebSocket connection (`/stream`) with its subscriptions, keepalive,
 * reconnects and transaction submission (protocol notes §3.1–§3.5; VEN-04, VEN-06, VEN-07).
 *
 * Invariants:
 * - The socket is "open" once the server's `connected` greeting arrived; every registered
 *   subscription is then (re)sent, private ones with an auth token asked for at that
 *   moment (a fresh one after a reconnect). A subscription counts as live once its first
 *   `subscribed/…` snapshot arrived on the current connection (`waitSnapshots`). A snapshot
 *   that does not arrive within `snapshotTimeoutMs` (a lost frame) is asked for again
 *   (unsubscribe + subscribe), so a start or a catch-up never waits forever.
 * - Keepalive: an app-level `ping` whenever nothing was sent for `pingEveryMs`; server pings
 *   are answered with `pong`; a connection silent for `staleAfterMs` is terminated.
 * - An unexpected close is reported once (`onDown`) and followed by reconnect attempts with
 *   jittered exponential back-off, forever, until `close()`.
 * - `sendTx` resolves on the ack with the same id; an error frame with that id rejects with
 *   the mapped VenueError; no ack within the timeout, or a drop while waiting, rejects with
 *   'outcome-unknown'. A send while the socket is not open rejects with 'unavailable'
 *   (nothing was sent) so the caller can fall back to REST.
 * - Frames that do not parse are handed to `onMalformed` and never end the connection.
 * - `barrier()` resolves once every frame the server wrote before it saw our ping arrived
 *   (a ping/pong round trip on an ordered stream).
 */
import WebSocket from 'ws';
import type { Clock, TimerId } from '../../../src/runtime/clock.ts';
import { VenueError } from '../../types.ts';
import { Activity, backoffDelay, type BackoffPolicy } from '../common/backoff.ts';
import { silentLogger, type LighterLogger } from '../common/logger.ts';
import type { ParseContext } from '../map.ts';
import { parseWsFrame, type LighterParseError, type LighterWsFrame } from '../parse.ts';

export interface LighterWsOptions {
  url: string;
  clock: Clock;
  ctx: ParseContext;
  /** Auth token for private subscriptions; `fresh` forces a new one. */
  authToken: (opts?: { fresh?: boolean; refused?: boolean }) => string;
  logger?: LighterLogger;
  activity?: Activity;
  /** Default 30 000 ms. */
  pingEveryMs?: number;
  /** Default 3 × pingEveryMs. */
  staleAfterMs?: number;
  /** Greeting wait per attempt (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Wait for a subscription's snapshot before asking again (default 5 000 ms). */
  snapshotTimeoutMs?: number;
  /** Reconnect back-off (default 250 ms doubling to 10 s, 25 % jitter). */
  reconnect?: BackoffPolicy;
  random?: () => number;
  /** Instrumentation (benchmarks): called with each raw frame received / sent. */
  probe?: { received?(text: string): void; sent?(text: string): void };
}

export interface WsHandlers {
  onFrame(frame: LighterWsFrame): void;
  onMalformed(err: LighterParseError): void;
  /** The socket is open and subscriptions were sent; `reconnect` after a drop. */
  onOpen(reconnect: boolean): void;
  onDown(reason: string): void;
}

interface PendingTx {
  resolve(hash: string | string[]): void;
  reject(err: VenueError): void;
  timer: TimerId;
}

interface SubState {
  key: string;
  private: boolean;
  live: boolean;
  /** Watchdog of the snapshot asked for last. */
  watchdog?: TimerId;
}

export const DEFAULT_RECONNECT: BackoffPolicy = { baseMs: 250, maxMs: 10_000, factor: 2, jitter: 0.25 };

export class LighterWsClient {
  private ws: WebSocket | undefined;
  private open = false;
  private closing = false;
  private everOpened = false;
  private attempt = 0;
  private readonly subs = new Map<string, SubState>();
  private readonly pending = new Map<string, PendingTx>();
  private txSeq = 0;
  private pingsSent = 0;
  private pongsSeen = 0;
  private barriers: Array<{ target: number; resolve: () => void }> = [];
  private snapshotWaiters: Array<() => void> = [];
  private keepalive: TimerId | undefined;
  private greeting: TimerId | undefined;
  private lastSentAt = 0;
  private lastReceivedAt = 0;
  private authFailures = 0;
  private authRetryPending = false;
  private handlers: WsHandlers | undefined;
  readonly activity: Activity;
  private readonly log: LighterLogger;
  /** Frames received (all kinds) — for tests and metrics. */
  framesReceived = 0;
  reconnects = 0;

  constructor(private readonly o: LighterWsOptions) {
    this.activity = o.activity ?? new Activity();
    this.log = o.logger ?? silentLogger;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Registers a subscription (sent now if open and not live yet, and after every reconnect). */
  subscribe(key: string, isPrivate: boolean): void {
    let s = this.subs.get(key);
    if (!s) this.subs.set(key, (s = { key, private: isPrivate, live: false }));
    if (this.open && !s.live) this.sendSubscribe(s, false);
  }

  /** Unsubscribes and subscribes again (a book gap): the next snapshot rebuilds. */
  resubscribe(key: string): void {
    const s = this.subs.get(key);
    if (!s || !this.open) return;
    s.live = false;
    this.send({ type: 'unsubscribe', channel: key });
    this.sendSubscribe(s, false);
  }

  /** Marks a subscription live (its snapshot arrived). */
  markLive(key: string): void {
    const s = this.subs.get(key);
    if (!s || s.live) return;
    s.live = true;
    if (s.watchdog !== undefined) this.o.clock.clearTimeout(s.watchdog);
    s.watchdog = undefined;
    if (s.private) this.authFailures = 0;
    const w = this.snapshotWaiters;
    this.snapshotWaiters = [];
    for (const f of w) f();
  }

  subscriptionKeys(): string[] {
    return [...this.subs.keys()];
  }

  /** Resolves once every subscription in `keys` is live on the current connection. */
  async waitSnapshots(keys: readonly string[]): Promise<void> {
    while (!keys.every((k) => this.subs.get(k)?.live)) {
      if (this.closing) throw new VenueError('unavailable', 'WebSocket closed while waiting for the first frames');
      await new Promise<void>((r) => this.snapshotWaiters.push(r));
    }
  }

  /** Opens the socket; resolves once greeted (retrying with back-off up to `maxAttempts`). */
  async connect(handlers: WsHandlers, maxAttempts = 10): Promise<void> {
    this.handlers = handlers;
    this.closing = false;
    for (let n = 1; ; n++) {
      try {
        await this.openOnce();
        return;
      } catch (err) {
        if (this.closing) throw new VenueError('unavailable', 'WebSocket closed while connecting');
        if (n >= maxAttempts) throw new VenueError('unavailable', `WebSocket ${new URL(this.o.url).host}: ${(err as Error).message} (after ${n} attempts)`);
        const ms = backoffDelay(n, this.o.reconnect ?? DEFAULT_RECONNECT, this.o.random);
        this.log.warn('lighter ws: connect failed; retrying', { attempt: n, ms, error: (err as Error).message });
        await this.activity.sleep(this.o.clock, ms);
      }
    }
  }

  private openOnce(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(this.o.url, { headers: { 'user-agent': 'gridchart' } });
      this.ws = ws;
      let settled = false;
      const fail = (why: string): void => {
        if (settled) return;
        settled = true;
        if (this.greeting !== undefined) this.o.clock.clearTimeout(this.greeting);
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        ws.terminate();
        reject(new Error(why));
      };
      this.greeting = this.o.clock.setTimeout(() => fail(`no greeting within ${this.o.connectTimeoutMs ?? 10_000} ms`), this.o.connectTimeoutMs ?? 10_000);
      ws.on('error', (err) => fail(err.message));
      ws.on('close', (code) => fail(`closed (${code}) before the greeting`));
      ws.on('message', (data, isBinary) => {
        if (settled) return this.onMessage(ws, isBinary ? '' : data.toString());
        // The first frame must be the greeting.
        const text = data.toString();
        const p = parseWsFrame(text, this.o.ctx);
        if (!p.ok || p.value.kind !== 'connected') return fail(`unexpected first frame: ${text.slice(0, 80)}`);
        settled = true;
        if (this.greeting !== undefined) this.o.clock.clearTimeout(this.greeting);
        ws.removeAllListeners('close');
        ws.removeAllListeners('error');
        ws.on('close', (code, reason) => this.onClose(ws, `closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
        ws.on('error', (err) => this.log.warn('lighter ws: socket error', { error: err.message }));
        ws.on('ping', () => (this.lastReceivedAt = this.o.clock.now()));
        this.onGreeted(ws);
        resolve();
      });
    });
  }

  private onGreeted(ws: WebSocket): void {
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.open = true;
    this.attempt = 0;
    this.lastReceivedAt = this.o.clock.now();
    if (reconnect) this.reconnects++;
    for (const s of this.subs.values()) {
      s.live = false;
      this.sendSubscribe(s, reconnect);
    }
    this.armKeepalive(ws);
    this.handlers?.onOpen(reconnect);
  }

  private sendSubscribe(s: SubState, fresh: boolean, refused = false): void {
    const frame: Record<string, unknown> = { type: 'subscribe', channel: s.key };
    if (s.private) frame.auth = this.o.authToken(refused ? { refused: true } : { fresh });
    this.send(frame);
    this.armSnapshotWatchdog(s);
  }

  /** Asks again for a snapshot that did not come (its frame was lost) on this connection. */
  private armSnapshotWatchdog(s: SubState): void {
    if (s.watchdog !== undefined) this.o.clock.clearTimeout(s.watchdog);
    const ws = this.ws;
    const ms = this.o.snapshotTimeoutMs ?? 5_000;
    s.watchdog = this.o.clock.setTimeout(() => {
      s.watchdog = undefined;
      if (this.ws !== ws || !this.open || s.live || this.subs.get(s.key) !== s) return;
      this.log.warn('lighter ws: no snapshot for a subscription; subscribing again', { channel: s.key, waitedMs: ms });
      this.resubscribe(s.key);
    }, ms);
  }

  private armKeepalive(ws: WebSocket): void {
    const every = this.o.pingEveryMs ?? 30_000;
    const stale = this.o.staleAfterMs ?? every * 3;
    const tick = (): void => {
      if (this.ws !== ws || !this.open) return;
      const now = this.o.clock.now();
      if (now - this.lastReceivedAt >= stale) {
        this.log.warn('lighter ws: connection silent; reconnecting', { silentMs: now - this.lastReceivedAt });
        ws.terminate();
        return;
      }
      if (now - this.lastSentAt >= every - 1) this.ping();
      this.keepalive = this.o.clock.setTimeout(tick, every);
    };
    this.keepalive = this.o.clock.setTimeout(tick, every);
  }

  private ping(): number {
    this.send({ type: 'ping' });
    return ++this.pingsSent;
  }

  /** Resolves once all frames written by the server before our ping have arrived. */
  barrier(): Promise<void> {
    if (!this.open) return Promise.resolve();
    const target = this.ping();
    return new Promise<void>((resolve) => this.barriers.push({ target, resolve }));
  }

  private send(frame: unknown): void {
    this.sendText(JSON.stringify(frame));
  }

  private sendText(text: string): void {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    // Uncompressed (a permessage-deflate round through zlib's thread pool would delay it),
    // and as a Buffer: ws then masks header and payload into ONE buffer, one socket write.
    this.ws.send(Buffer.from(text), { binary: false, compress: false });
    this.o.probe?.sent?.(text);
    this.lastSentAt = this.o.clock.now();
  }

  private onMessage(ws: WebSocket, text: string): void {
    if (ws !== this.ws) return;
    this.o.probe?.received?.(text);
    this.framesReceived++;
    this.lastReceivedAt = this.o.clock.now();
    const p = parseWsFrame(text, this.o.ctx);
    if (!p.ok) {
      this.handlers?.onMalformed(p.error);
      return;
    }
    const f = p.value;
    switch (f.kind) {
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'pong': {
        this.pongsSeen++;
        const due = this.barriers.filter((b) => b.target <= this.pongsSeen);
        this.barriers = this.barriers.filter((b) => b.target > this.pongsSeen);
        for (const b of due) b.resolve();
        return;
      }
      case 'connected':
      case 'ignored':
        return;
      case 'sendtx-ack': {
        const tx = f.id !== undefined ? this.pending.get(f.id) : undefined;
        if (!tx) return this.log.debug('lighter ws: ack for no pending transaction', { id: f.id });
        this.pending.delete(f.id!);
        this.o.clock.clearTimeout(tx.timer);
        tx.resolve(f.txHash);
        return;
      }
      case 'error': {
        const tx = f.id !== undefined ? this.pending.get(f.id) : undefined;
        if (tx) {
          this.pending.delete(f.id!);
          this.o.clock.clearTimeout(tx.timer);
          tx.reject(f.error);
          return;
        }
        this.onStreamError(f.code, f.message);
        return;
      }
      default:
        this.handlers?.onFrame(f);
    }
  }

  /** An error frame that answers no transaction: a refused or revoked subscription. */
  private onStreamError(code: number, message: string): void {
    if (code === 30003) return; // already subscribed: our resubscribe raced a live subscription
    const auth = code === 30012 || /auth/i.test(message);
    this.log.warn('lighter ws: error frame', { code, message: message.slice(0, 120) });
    if (!auth) return;
    // Resubscribe the private channels with a fresh token (live ones answer 30003). Error
    // frames arriving while a retry is pending are the same episode.
    if (this.authRetryPending) return;
    this.authRetryPending = true;
    this.authFailures++;
    const ms = this.authFailures <= 1 ? 100 : backoffDelay(this.authFailures - 1, this.o.reconnect ?? DEFAULT_RECONNECT, this.o.random);
    const ws = this.ws;
    void this.activity.sleep(this.o.clock, ms).then(() => {
      this.authRetryPending = false;
      if (this.ws !== ws || !this.open) return;
      let first = true;
      for (const s of this.subs.values()) {
        if (!s.private) continue;
        this.sendSubscribe(s, false, first);
        first = false;
      }
    });
  }

  /** Sends a transaction; resolves with the server's hash on the ack. */
  sendTx(txType: number, txInfo: string, timeoutMs: number): Promise<string | string[]> {
    if (!this.open || !this.ws || this.ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new VenueError('unavailable', 'WebSocket not open: transaction not sent', { reason: 'ws-down' }));
    }
    if (!Number.isSafeInteger(txType) || !txInfo.startsWith('{') || !txInfo.endsWith('}')) {
      return Promise.reject(new VenueError('rejected', `transaction not sent: tx_type must be an integer and tx_info a JSON object (type ${String(txType)})`, { reason: 'bad-tx' }));
    }
    const id = `gc-${++this.txSeq}`;
    // Written first, the ack bookkeeping after: the answer cannot be read before this turn
    // ends. tx_info is the signer's JSON text, embedded as it is (no parse + re-serialize).
    this.sendText(`{"type":"jsonapi/sendtx","data":{"id":"${id}","tx_type":${txType},"tx_info":${txInfo}}}`);
    const p = new Promise<string | string[]>((resolve, reject) => {
      const timer = this.o.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(new VenueError('outcome-unknown', `no acknowledgement of transaction ${id} (type ${txType}) within ${timeoutMs} ms; it may or may not have been executed`, { reason: 'ack-timeout' }));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
    });
    return this.activity.track(p);
  }

  private onClose(ws: WebSocket, reason: string): void {
    if (ws !== this.ws) return;
    this.open = false;
    if (this.keepalive !== undefined) this.o.clock.clearTimeout(this.keepalive);
    this.keepalive = undefined;
    for (const s of this.subs.values()) {
      s.live = false;
      if (s.watchdog !== undefined) this.o.clock.clearTimeout(s.watchdog);
      s.watchdog = undefined;
    }
    for (const [id, tx] of this.pending) {
      this.o.clock.clearTimeout(tx.timer);
      tx.reject(new VenueError('outcome-unknown', `WebSocket ${reason} before the acknowledgement of ${id}; the transaction may or may not have been executed`, { reason: 'ws-closed' }));
    }
    this.pending.clear();
    // Pings of the lost connection will never be answered: realign the round-trip counters.
    this.pongsSeen = this.pingsSent;
    for (const b of this.barriers.splice(0)) b.resolve();
    if (this.closing) return;
    this.log.warn('lighter ws: connection lost; reconnecting', { reason });
    this.handlers?.onDown(reason);
    void this.reconnectLoop();
  }

  private async reconnectLoop(): Promise<void> {
    while (!this.closing && !this.open) {
      this.attempt++;
      const ms = backoffDelay(this.attempt, this.o.reconnect ?? DEFAULT_RECONNECT, this.o.random);
      await this.activity.sleep(this.o.clock, ms);
      if (this.closing) return;
      try {
        await this.openOnce();
      } catch (err) {
        this.log.warn('lighter ws: reconnect failed', { attempt: this.attempt, error: (err as Error).message });
      }
    }
  }

  /** Closes for good (no reconnect). */
  async close(): Promise<void> {
    this.closing = true;
    this.open = false;
    if (this.keepalive !== undefined) this.o.clock.clearTimeout(this.keepalive);
    if (this.greeting !== undefined) this.o.clock.clearTimeout(this.greeting);
    for (const s of this.subs.values()) if (s.watchdog !== undefined) this.o.clock.clearTimeout(s.watchdog);
    const ws = this.ws;
    this.ws = undefined;
    for (const [, tx] of this.pending) {
      this.o.clock.clearTimeout(tx.timer);
      tx.reject(new VenueError('outcome-unknown', 'adapter closed before the acknowledgement'));
    }
    this.pending.clear();
    for (const b of this.barriers.splice(0)) b.resolve();
    const w = this.snapshotWaiters;
    this.snapshotWaiters = [];
    for (const f of w) f();
    if (!ws) return;
    await new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.on('error', () => undefined);
      ws.close(1000, 'client closing');
      const t = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      t.unref();
    });
  }
}
