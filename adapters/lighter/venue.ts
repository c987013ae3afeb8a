/**
 * `LighterVenue`: the Venue port over Lighter's REST API and WebSocket stream, signing
 * with the pinned Go-WASM signer (protocol notes §8.2; VEN-01 … VEN-11, CFG-06).
 *
 * Invariants:
 * - connect(): market details (once; retried through 5xx/429 until they come), the signer,
 *   one WebSocket with the order books of `markets` and our account's trades, orders and
 *   positions — it resolves only after each of those streams delivered its first snapshot.
 * - Steady state runs on the WebSocket: order, fill and position state come from the
 *   stream; REST is used for explicit queries, for the nonce seed and the catch-up after a
 *   reconnect — never for polling (`restCallsPerMinute()` shows the budget); a fill whose
 *   position update did not come within 2 s gets one REST position read (position-follow-up.ts).
 * - Transactions: nonces are counted locally from one `nextNonce` (VEN-01); an
 *   invalid-nonce answer refetches it and re-signs the SAME transaction (same client
 *   index) (VEN-02); sends go over the WebSocket (ack = "accepted") and over REST while the
 *   socket is down; a lost answer is 'outcome-unknown' and the next nonce is refetched.
 * - After every reconnect: venue.down … venue.up, then one REST catch-up per subscribed
 *   market (active orders, orders ended since the drop, fills, position) emitted as ONE
 *   'venue.caught-up'; its contents are recorded as seen so stream repeats stay quiet.
 * - The private key lives in the signer only; neither it nor an auth token appears in a
 *   log line, an error, `toJSON()` or `util.inspect()` of the venue.
 */
import { inspect } from 'node:util';
import { SystemClock, type Clock } from '../../src/runtime/clock.ts';
import {
  isVenueError,
  queryReconcileReport,
  VenueError,
  type Bbo,
  type MarketInfo,
  type PlaceOrderRequest,
  type Unsubscribe,
  type Venue,
  type VenueFill,
  type VenueOrder,
  type VenuePosition,
  type VenueStreamEvent,
} from '../types.ts';
import { AuthTokens } from './auth.ts';
import { PositionFollowUp } from './position-follow-up.ts';
import { Activity, backoffDelay } from './common/backoff.ts';
import { silentLogger, type LighterLogger } from './common/logger.ts';
import { DEFAULT_BACKOFF, LighterHttpClient } from './http/client.ts';
import { LighterReads } from './http/reads.ts';
import type { LighterOrderView, MarketSpec, ParseContext } from './map.ts';
import { NonceManager } from './nonce.ts';
import { checkClientIndex, createOrderParams, DEFAULT_ORDER_LIFETIME_MS, leverageParams } from './orders.ts';
import { wsUrlFor, type LighterVenueOptions } from './options.ts';
import { createWasmSigner, normalizePrivateKey, type LighterSigner, type SignedTx } from './signer/signer.ts';
import { submitTx } from './tx-sender.ts';
import { channels, LighterDispatch } from './websocket/dispatch.ts';
import { LighterWsClient } from './websocket/client.ts';

export { wsUrlFor, type LighterVenueOptions } from './options.ts';

type Listener = (event: VenueStreamEvent) => void;

export class LighterVenue implements Venue {
  readonly name: string;
  readonly clock: Clock;
  /** Network requests in flight and clock waits (for simulated-clock drivers). */
  readonly activity = new Activity();
  readonly http: LighterHttpClient;
  readonly nonces: NonceManager;
  #privateKey: string | undefined;
  private signer: LighterSigner | undefined;
  private readonly tokens: AuthTokens;
  private readonly log: LighterLogger;
  private readonly specs = new Map<string, { spec: MarketSpec; info: MarketInfo }>();
  private readonly ctx: ParseContext;
  private readonly reads: LighterReads;
  private ws: LighterWsClient | undefined;
  private dispatch: LighterDispatch | undefined;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Server order index by client index (informational; cancels address client indexes). */
  readonly orderIndexOf = new Map<number, string>();
  private connecting: Promise<void> | undefined;
  private closed = false;
  private droppedAt: number | undefined;
  private catchUps = 0;
  private readonly followUp: PositionFollowUp;

  private readonly o: Omit<LighterVenueOptions, 'privateKey'>;

  constructor(opts: LighterVenueOptions) {
    const { privateKey, ...o } = opts;
    this.#privateKey = normalizePrivateKey(privateKey);
    this.o = o;
    this.name = o.name ?? 'lighter';
    this.clock = o.clock ?? new SystemClock();
    this.log = o.logger ?? silentLogger;
    this.http = new LighterHttpClient({
      baseUrl: o.restUrl,
      clock: this.clock,
      logger: this.log,
      activity: this.activity,
      backoff: o.backoff ?? DEFAULT_BACKOFF,
      ...(o.restTimeoutMs !== undefined ? { timeoutMs: o.restTimeoutMs } : {}),
      ...(o.sendTimeoutMs !== undefined ? { sendTimeoutMs: o.sendTimeoutMs } : {}),
      ...(o.readAttempts !== undefined ? { readAttempts: o.readAttempts } : {}),
      ...(o.random ? { random: o.random } : {}),
    });
    this.ctx = { markets: new Map(), accountIndex: o.accountIndex, now: () => this.clock.now() };
    this.tokens = new AuthTokens(() => this.requireSigner(), this.clock, o.auth);
    this.reads = new LighterReads(this.http, this.ctx, (x) => this.tokens.token(x));
    this.nonces = new NonceManager({ fetchNextNonce: () => this.reads.nextNonce(o.apiKeyIndex) });
    this.followUp = new PositionFollowUp({
      clock: this.clock,
      ...(o.positionFollowUpMs !== undefined ? { waitMs: o.positionFollowUpMs } : {}),
      read: (market) => this.position(market),
      deliver: (p) => this.dispatch?.onPosition(p),
      log: this.log,
      activity: this.activity,
    });
  }

  // ------------------------------------------------------------------ metrics and tests

  /** REST requests in the rolling minute ending now. */
  restCallsPerMinute(): number {
    return this.http.restCallsPerMinute();
  }

  stats(): Record<string, number> {
    return {
      restCallsPerMinute: this.http.calls.perMinute(),
      restCallsTotal: this.http.calls.total,
      restCallsMaxPerMinute: this.http.calls.maxPerMinute(),
      wsFrames: this.ws?.framesReceived ?? 0,
      wsReconnects: this.ws?.reconnects ?? 0,
      malformedFrames: this.dispatch?.malformed ?? 0,
      bookGaps: this.dispatch?.gaps ?? 0,
      nonceFetches: this.nonces.fetchCount,
      authTokensMinted: this.tokens.minted,
      catchUps: this.catchUps,
      positionFollowUps: this.followUp.reads,
    };
  }

  /** Resolves once every frame the server sent so far has been handled (a ping round trip). */
  async sync(): Promise<void> {
    await this.ws?.barrier();
  }

  get wsOpen(): boolean {
    return this.ws?.isOpen ?? false;
  }

  // ------------------------------------------------------------------ lifecycle

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new VenueError('unavailable', 'the Lighter venue was closed'));
    this.connecting ??= this.doConnect().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const details = await this.reads.marketDetails(Infinity);
    for (const d of details) {
      this.specs.set(d.spec.symbol, { spec: d.spec, info: d.info });
      (this.ctx.markets as Map<number, MarketSpec>).set(d.spec.marketIndex, d.spec);
    }
    for (const m of this.o.markets ?? []) this.requireSpec(m);
    if (!this.signer) {
      this.signer = await createWasmSigner({
        privateKey: this.#privateKey!,
        chainId: this.o.chainId,
        accountIndex: this.o.accountIndex,
        apiKeyIndex: this.o.apiKeyIndex,
        url: this.o.restUrl,
        now: () => this.clock.now(),
      });
      this.#privateKey = undefined;
    }
    const account = this.o.accountIndex;
    const dispatch = new LighterDispatch(
      this.ctx.markets,
      account,
      {
        bbo: (market, bbo) => this.emit(market, { type: 'market.bbo', bbo }),
        order: (v) => this.onOrder(v),
        fill: (f) => {
          this.emit(f.market, { type: 'order.filled', fill: f });
          this.followUp.fillSeen(f.market);
        },
        position: (p) => {
          this.followUp.positionSeen(p.market);
          this.emit(p.market, { type: 'position.updated', position: p });
        },
        live: (key) => this.ws?.markLive(key),
        gap: (key) => this.ws?.resubscribe(key),
      },
      this.log,
      () => this.clock.now(),
    );
    this.dispatch = dispatch;
    const ws = new LighterWsClient({
      url: this.o.wsUrl ?? wsUrlFor(this.o.restUrl),
      clock: this.clock,
      ctx: this.ctx,
      authToken: (x) => this.tokens.token(x),
      logger: this.log,
      activity: this.activity,
      ...(this.o.pingEveryMs !== undefined ? { pingEveryMs: this.o.pingEveryMs } : {}),
      ...(this.o.snapshotTimeoutMs !== undefined ? { snapshotTimeoutMs: this.o.snapshotTimeoutMs } : {}),
      ...(this.o.reconnect ? { reconnect: this.o.reconnect } : {}),
      ...(this.o.random ? { random: this.o.random } : {}),
      ...(this.o.wsProbe ? { probe: this.o.wsProbe } : {}),
    });
    this.ws = ws;
    // Order matters: within one batch the server writes frames in subscription order, so
    // fills arrive before the order update that shows them, and positions after both.
    const keys = [
      ...(this.o.markets ?? []).map((m) => channels.book(this.requireSpec(m).marketIndex)),
      channels.trades(account),
      channels.orders(account),
      channels.account(account),
    ];
    ws.subscribe(channels.trades(account), true);
    ws.subscribe(channels.orders(account), true);
    ws.subscribe(channels.account(account), false);
    for (const m of this.o.markets ?? []) ws.subscribe(channels.book(this.requireSpec(m).marketIndex), false);
    await ws.connect({
      onFrame: (f) => dispatch.frame(f),
      onMalformed: (e) => dispatch.malformedFrame(e),
      onOpen: (reconnect) => {
        if (reconnect) void this.afterReconnect();
      },
      onDown: (reason) => this.onDown(reason),
    });
    await ws.waitSnapshots(keys);
    this.log.info('lighter: connected', { account, markets: (this.o.markets ?? []).join(','), restCalls: this.http.calls.total });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.followUp.close();
    this.listeners.clear();
    await this.ws?.close();
  }

  // ------------------------------------------------------------------ streams

  private emit(market: string, ev: VenueStreamEvent): void {
    const set = this.listeners.get(market);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(ev);
      } catch (err) {
        this.log.error('lighter: stream listener threw', { market, event: ev.type, error: (err as Error).message });
      }
    }
  }

  private emitAll(ev: VenueStreamEvent): void {
    for (const market of this.listeners.keys()) this.emit(market, ev);
  }

  private onOrder(v: LighterOrderView): void {
    this.orderIndexOf.set(v.order.clientIndex, v.orderIndex);
    this.emit(v.order.market, { type: 'order.updated', order: v.order });
  }

  private onDown(reason: string): void {
    this.droppedAt ??= this.clock.now();
    this.emitAll({ type: 'venue.down', reason: `WebSocket ${reason}`, time: this.clock.now() });
  }

  /** After a reconnect: venue.up, the snapshots, then one REST catch-up per market. */
  private async afterReconnect(): Promise<void> {
    const ws = this.ws!;
    const since = (this.droppedAt ?? this.clock.now()) - (this.o.catchUpMarginMs ?? 60_000);
    this.emitAll({ type: 'venue.up', time: this.clock.now() });
    try {
      await ws.waitSnapshots(ws.subscriptionKeys());
    } catch (err) {
      this.log.debug('lighter: catch-up abandoned (closed)', { error: (err as Error).message });
      return;
    }
    for (let attempt = 1; !this.closed && ws.isOpen; attempt++) {
      try {
        for (const market of [...this.listeners.keys()]) {
          const report = await queryReconcileReport(this, market, since, this.clock.now());
          for (const o of report.orders) this.dispatch?.onOrder({ order: o }, false);
          for (const f of report.fills) this.dispatch?.onFill(f, false);
          this.dispatch?.onPosition(report.position, false);
          this.followUp.positionSeen(market);
          this.catchUps++;
          this.emit(market, { type: 'venue.caught-up', report });
        }
        this.droppedAt = undefined;
        return;
      } catch (err) {
        const ms = backoffDelay(attempt, this.o.backoff ?? DEFAULT_BACKOFF, this.o.random);
        this.log.warn('lighter: catch-up after reconnect failed; retrying', { attempt, ms, error: (err as Error).message });
        await this.activity.sleep(this.clock, ms);
      }
    }
  }

  subscribe(market: string, onEvent: (event: VenueStreamEvent) => void): Unsubscribe {
    let set = this.listeners.get(market);
    if (!set) this.listeners.set(market, (set = new Set()));
    set.add(onEvent);
    const spec = this.specs.get(market)?.spec;
    if (spec && this.ws) this.ws.subscribe(channels.book(spec.marketIndex), false);
    queueMicrotask(() => {
      const bbo = spec ? this.dispatch?.bbo(spec.marketIndex) : undefined;
      if (bbo && set.has(onEvent)) onEvent({ type: 'market.bbo', bbo });
    });
    return () => {
      set.delete(onEvent);
    };
  }

  // ------------------------------------------------------------------ queries

  private requireSpec(market: string): MarketSpec {
    const s = this.specs.get(market);
    if (!s) throw new VenueError('rejected', `unknown market "${market}"; the venue lists ${[...this.specs.keys()].join(', ') || 'none (not connected)'}`, { reason: 'unknown-market' });
    return s.spec;
  }

  private requireSigner(): LighterSigner {
    if (!this.signer) throw new VenueError('unavailable', 'the Lighter venue is not connected (call connect() first)');
    return this.signer;
  }

  async marketInfo(market: string): Promise<MarketInfo> {
    if (this.specs.size === 0) await this.connect();
    this.requireSpec(market);
    return { ...this.specs.get(market)!.info };
  }

  private bookSynced(spec: MarketSpec): boolean {
    return this.dispatch?.book(spec.marketIndex)?.synced === true;
  }

  /** Waits until the market's book has a synced snapshot (subscribing it if needed). */
  private async bookReady(spec: MarketSpec, timeoutMs = 5_000): Promise<void> {
    const ws = this.ws;
    if (!ws || !ws.isOpen) return;
    const key = channels.book(spec.marketIndex);
    ws.subscribe(key, false);
    if (this.dispatch?.book(spec.marketIndex)?.synced) return;
    let timer: number | undefined;
    await Promise.race([ws.waitSnapshots([key]), new Promise<void>((r) => (timer = this.clock.setTimeout(r, timeoutMs)))]);
    if (timer !== undefined) this.clock.clearTimeout(timer);
  }

  async bbo(market: string): Promise<Bbo> {
    const spec = this.requireSpec(market);
    await this.bookReady(spec);
    const b = this.dispatch?.bbo(spec.marketIndex);
    if (!b) throw new VenueError('unavailable', `no synced order book for ${market} (WebSocket down or the book is being rebuilt)`, { reason: 'no-book' });
    return b;
  }

  async openOrders(market: string): Promise<VenueOrder[]> {
    const views = await this.reads.activeOrders(this.requireSpec(market));
    for (const v of views) this.orderIndexOf.set(v.order.clientIndex, v.orderIndex);
    return views.map((v) => v.order);
  }

  async inactiveOrders(market: string, since: number): Promise<VenueOrder[]> {
    return (await this.reads.inactiveOrders(this.requireSpec(market), since)).map((v) => v.order);
  }

  async getOrder(market: string, clientIndex: number): Promise<VenueOrder | null> {
    const spec = this.requireSpec(market);
    checkClientIndex(clientIndex);
    const active = (await this.reads.activeOrders(spec)).find((v) => v.order.clientIndex === clientIndex);
    if (active) return active.order;
    let found: LighterOrderView | undefined;
    try {
      found = (await this.reads.ordersByClientIndex(spec, clientIndex))[0];
    } catch (err) {
      // accountOrders' list encoding is not documented: fall back to the recent ended orders.
      if (!(isVenueError(err) && err.kind === 'rejected')) throw err;
      this.log.debug('lighter: accountOrders refused; looking through inactive orders', { code: err.code });
      found = (await this.reads.inactiveOrders(spec, 0)).find((v) => v.order.clientIndex === clientIndex);
    }
    if (found) this.orderIndexOf.set(clientIndex, found.orderIndex);
    return found?.order ?? null;
  }

  fills(market: string, since: number): Promise<VenueFill[]> {
    return this.reads.fills(this.requireSpec(market), since);
  }

  position(market: string): Promise<VenuePosition> {
    return this.reads.position(this.requireSpec(market));
  }

  // ------------------------------------------------------------------ transactions

  async placeOrder(req: PlaceOrderRequest): Promise<void> {
    const spec = this.requireSpec(req.market);
    const params = createOrderParams(req, spec, this.clock.now(), this.o.defaultOrderLifetimeMs ?? DEFAULT_ORDER_LIFETIME_MS);
    // Synced book (the steady state): no await, so signing and sending happen in this turn.
    if (!this.bookSynced(spec)) await this.bookReady(spec);
    await this.submit(`CreateOrder ${req.clientIndex}`, (nonce) => this.requireSigner().createOrder({ ...params, nonce }));
  }

  async cancelOrder(market: string, clientIndex: number): Promise<void> {
    const spec = this.requireSpec(market);
    checkClientIndex(clientIndex);
    await this.submit(`CancelOrder ${clientIndex}`, (nonce) => this.requireSigner().cancelOrder({ marketIndex: spec.marketIndex, index: clientIndex, nonce }));
  }

  async setLeverage(market: string, leverage: number): Promise<number> {
    const spec = this.requireSpec(market);
    const { applied, initialMarginFraction } = leverageParams(leverage, this.specs.get(market)!.info.maxLeverage);
    if (applied !== leverage) this.log.warn('lighter: leverage clamped', { market, requested: leverage, applied });
    await this.submit(`UpdateLeverage ${market}`, (nonce) =>
      this.requireSigner().updateLeverage({ marketIndex: spec.marketIndex, initialMarginFraction, marginMode: 'cross', nonce }),
    );
    return applied;
  }

  private submit(what: string, sign: (nonce: number) => SignedTx): Promise<void> {
    this.requireSigner();
    return submitTx({ http: this.http, nonces: this.nonces, ws: this.ws, log: this.log, submitVia: this.o.submitVia ?? 'ws', sendTimeoutMs: this.o.sendTimeoutMs ?? 10_000 }, what, sign);
  }

  // ------------------------------------------------------------------ secrets stay inside

  toJSON(): object {
    return {
      type: 'LighterVenue',
      name: this.name,
      restUrl: this.o.restUrl,
      wsUrl: this.o.wsUrl ?? wsUrlFor(this.o.restUrl),
      chainId: this.o.chainId,
      accountIndex: this.o.accountIndex,
      apiKeyIndex: this.o.apiKeyIndex,
      privateKey: '[redacted]',
    };
  }

  toString(): string {
    return `LighterVenue(${this.o.restUrl}, account=${this.o.accountIndex}, apiKey=${this.o.apiKeyIndex})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Builds a Lighter venue (validates the key format at once; connect() loads the signer). */
export function createLighterVenue(opts: LighterVenueOptions): LighterVenue {
  return new LighterVenue(opts);
}
