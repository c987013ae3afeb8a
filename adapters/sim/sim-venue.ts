/**
 * `SimVenue`: the Venue port over the in-process matching engine, with test control
 * (`control: SimControl`), fault injection and JSON persistence for paper mode.
 *
 * Timing and ordering (what callers can rely on):
 * - A request is processed synchronously inside the call (before the returned promise
 *   exists), unless a `holdCancelConfirmation` defers it on the clock.
 * - Stream events are delivered asynchronously, in processing order: they are queued and
 *   flushed on one microtask. The flush microtask is queued before the method's promise
 *   settles, so, without a delay fault, a subscriber sees the events of a call BEFORE the
 *   caller's `await` resumes. Per step: each touched order's `order.filled` events, then
 *   its `order.updated`; then `position.updated`; then `market.bbo` (only when the top of
 *   book changed).
 * - `subscribe` delivers the current BBO to the new subscriber as its first frame.
 * - Events for a market nobody subscribes to are not kept.
 * - Subscribers must not mutate events (one object is shared by all subscribers). A
 *   subscriber that throws does not stop delivery; the error goes to `onListenerError`
 *   (default: rethrown on a fresh microtask, i.e. it surfaces as an uncaught error).
 */
import type { Clock } from '../../src/runtime/clock.ts';
import {
  VenueError,
  type Bbo,
  type MarketInfo,
  type PlaceOrderRequest,
  type ReconcileReport,
  type Unsubscribe,
  type Venue,
  type VenueFill,
  type VenueOrder,
  type VenuePosition,
  type VenueStreamEvent,
} from '../types.ts';
import { FaultPlan, type OrderArrivalHook, type SentRequest, type SimControl, type VenueMethod } from './control.ts';
import { MatchingEngine, type EngineSink, type EngineState } from './matching-engine.ts';
import type { SimMarketConfig } from './markets.ts';
import { PriceDriver, type PriceDriverConfig, type PriceDriverState } from './price-driver.ts';

export interface SimVenueOptions {
  clock: Clock;
  markets: SimMarketConfig[];
  /** Account collateral, quote currency (informational; default "10000"). */
  collateral?: string;
  name?: string;
  onListenerError?: (err: unknown, event: VenueStreamEvent) => void;
}

export interface SimVenueState {
  version: 1;
  name: string;
  collateral: string;
  engine: EngineState;
  drivers: PriceDriverState[];
}

type Listener = (event: VenueStreamEvent) => void;

interface QueuedEvent {
  market: string;
  event: VenueStreamEvent;
  target?: Listener;
}

export class SimVenue implements Venue, EngineSink {
  readonly name: string;
  readonly clock: Clock;
  readonly engine: MatchingEngine;
  readonly control: SimControl;
  collateral: string;
  private readonly listeners = new Map<string, Set<Listener>>();
  private queue: QueuedEvent[] = [];
  private flushScheduled = false;
  private drainWaiters: Array<() => void> = [];
  private readonly faults = new FaultPlan();
  private readonly dropRules = new Set<(e: VenueStreamEvent, market: string) => boolean>();
  private readonly delayRules = new Map<(e: VenueStreamEvent, market: string) => boolean, number>();
  private dupNext = false;
  private dupFill: QueuedEvent | null = null;
  private arrivalHook: OrderArrivalHook | null = null;
  private readonly log: SentRequest[] = [];
  private readonly drivers: PriceDriver[] = [];
  private closed = false;
  private down = false;
  private readonly onListenerError: (err: unknown, event: VenueStreamEvent) => void;

  constructor(opts: SimVenueOptions, restored?: EngineState) {
    this.name = opts.name ?? 'sim';
    this.clock = opts.clock;
    this.collateral = opts.collateral ?? '10000';
    this.onListenerError =
      opts.onListenerError ??
      ((err) =>
        queueMicrotask(() => {
          throw err;
        }));
    this.engine = restored ? MatchingEngine.restore(restored, opts.clock, this) : new MatchingEngine({ clock: opts.clock, markets: opts.markets, sink: this });
    this.control = this.makeControl();
  }

  // ---------------------------------------------------------------- Venue port

  async connect(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  marketInfo(market: string): Promise<MarketInfo> {
    return this.call('marketInfo', { market }, () => this.engine.marketInfo(market));
  }

  placeOrder(req: PlaceOrderRequest): Promise<void> {
    return this.call('placeOrder', { ...req }, () => {
      this.arrivalHook?.(Object.freeze({ ...req }), this.control);
      this.engine.place(req);
    });
  }

  cancelOrder(market: string, clientIndex: number): Promise<void> {
    return this.call('cancelOrder', { market, clientIndex }, () => {
      this.engine.cancel(market, clientIndex, 'by-user');
    });
  }

  getOrder(market: string, clientIndex: number): Promise<VenueOrder | null> {
    return this.call('getOrder', { market, clientIndex }, () => this.engine.getOrder(market, clientIndex));
  }

  openOrders(market: string): Promise<VenueOrder[]> {
    return this.call('openOrders', { market }, () => this.engine.openOrders(market));
  }

  inactiveOrders(market: string, since: number): Promise<VenueOrder[]> {
    return this.call('inactiveOrders', { market, since }, () => this.engine.inactiveOrders(market, since));
  }

  fills(market: string, since: number): Promise<VenueFill[]> {
    return this.call('fills', { market, since }, () => this.engine.fills(market, since));
  }

  position(market: string): Promise<VenuePosition> {
    return this.call('position', { market }, () => this.engine.position(market));
  }

  bbo(market: string): Promise<Bbo> {
    return this.call('bbo', { market }, () => this.engine.bbo(market));
  }

  setLeverage(market: string, leverage: number): Promise<number> {
    return this.call('setLeverage', { market, leverage }, () => this.engine.setLeverage(market, leverage));
  }

  subscribe(market: string, onEvent: (event: VenueStreamEvent) => void): Unsubscribe {
    const first = this.engine.bbo(market); // throws for an unknown market
    let set = this.listeners.get(market);
    if (!set) this.listeners.set(market, (set = new Set()));
    set.add(onEvent);
    this.push({ market, event: { type: 'market.bbo', bbo: first }, target: onEvent });
    return () => {
      this.listeners.get(market)?.delete(onEvent);
    };
  }

  // ---------------------------------------------------------------- price drivers

  /** Adds a book driver for one market (persisted with the venue); `start` runs it on the clock. */
  addDriver(config: PriceDriverConfig, opts: { start?: boolean } = {}): PriceDriver {
    const d = new PriceDriver(this.engine, this.clock, config);
    this.drivers.push(d);
    if (opts.start) d.start();
    return d;
  }

  driversOf(market?: string): PriceDriver[] {
    return this.drivers.filter((d) => market === undefined || d.market === market);
  }

  // ---------------------------------------------------------------- persistence

  toJSON(): SimVenueState {
    return {
      version: 1,
      name: this.name,
      collateral: this.collateral,
      engine: this.engine.toJSON(),
      drivers: this.drivers.map((d) => d.toJSON()),
    };
  }

  /** Rebuilds a venue from `toJSON()`: orders (expiry re-armed), positions, fills, book, drivers (restarted if running). */
  static restore(json: SimVenueState, clock: Clock, opts: Pick<SimVenueOptions, 'onListenerError'> = {}): SimVenue {
    if (!json || json.version !== 1) throw new Error(`unsupported sim venue state version ${String(json?.version)}; expected 1`);
    const v = new SimVenue(
      { clock, markets: json.engine.markets.map((m) => m.config), collateral: json.collateral, name: json.name, onListenerError: opts.onListenerError },
      json.engine,
    );
    for (const st of json.drivers) {
      const d = new PriceDriver(v.engine, clock, st.config, st);
      v.drivers.push(d);
      if (st.running) d.start();
    }
    return v;
  }

  // ---------------------------------------------------------------- EngineSink

  event(market: string, event: VenueStreamEvent): void {
    this.push({ market, event });
  }

  watching(market: string): boolean {
    const s = this.listeners.get(market);
    return s !== undefined && s.size > 0;
  }

  // ---------------------------------------------------------------- internals

  private call<T>(method: VenueMethod, request: Record<string, unknown>, work: () => T): Promise<T> {
    const entry: SentRequest = { seq: this.log.length + 1, time: this.clock.now(), method, request };
    if (typeof request.market === 'string') entry.market = request.market;
    if (typeof request.clientIndex === 'number') entry.clientIndex = request.clientIndex;
    this.log.push(entry);
    if (this.closed) return Promise.reject(new VenueError('unavailable', `sim venue is closed (${method}); call connect() first`));
    if (this.down) return Promise.reject(new VenueError('unavailable', `sim venue is disconnected (${method})`));
    const fail = this.faults.take(method, 'fail');
    if (fail) {
      entry.fault = 'failed';
      return Promise.reject(fail.error);
    }
    const hold = method === 'cancelOrder' ? this.faults.take(method, 'hold') : undefined;
    const delay = this.faults.take(method, 'delay');
    const lose = this.faults.take(method, 'lose');
    if (lose) entry.fault = 'lost';
    else if (delay) entry.fault = 'delayed';
    else if (hold) entry.fault = 'held';
    return new Promise<T>((resolve, reject) => {
      const run = (): void => {
        let settle: () => void;
        try {
          const value = work();
          settle = () => resolve(value);
        } catch (err) {
          settle = () => reject(err);
        }
        if (lose) settle = () => reject(new VenueError('outcome-unknown', `${method} was processed but its response was lost (sim fault)`));
        if (delay) this.clock.setTimeout(settle, delay.ms ?? 0);
        else settle();
      };
      if (hold) this.clock.setTimeout(run, hold.ms ?? 0);
      else run();
    });
  }

  private push(q: QueuedEvent, delayed = false): void {
    if (this.down && !q.event.type.startsWith('venue.')) return;
    for (const rule of this.dropRules) if (rule(q.event, q.market)) return;
    if (!delayed) {
      for (const [rule, ms] of this.delayRules) {
        if (rule(q.event, q.market)) {
          this.clock.setTimeout(() => this.push(q, true), ms);
          return;
        }
      }
    }
    if (!q.target && !this.watching(q.market)) return;
    if (this.dupNext && q.event.type === 'order.filled') {
      this.dupNext = false;
      this.dupFill = q;
    } else if (this.dupFill && q.event.type === 'order.updated' && this.dupFill.event.type === 'order.filled' && q.event.order.clientIndex === this.dupFill.event.fill.clientIndex) {
      this.queue.push(q, this.dupFill, q);
      this.dupFill = null;
      this.scheduleFlush();
      return;
    }
    this.queue.push(q);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    for (let i = 0; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (q.target) {
        if (this.listeners.get(q.market)?.has(q.target)) this.deliver(q.target, q.event);
        continue;
      }
      const set = this.listeners.get(q.market);
      if (set) for (const l of set) this.deliver(l, q.event);
    }
    this.queue = [];
    this.flushScheduled = false;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  };

  private deliver(l: Listener, event: VenueStreamEvent): void {
    try {
      l(event);
    } catch (err) {
      this.onListenerError(err, event);
    }
  }

  private makeControl(): SimControl {
    const e = this.engine;
    const control: SimControl = {
      setBook: (market, bid, ask, depth) => e.setBook(market, bid, ask, depth),
      counterpartyTrade: (market, side, size, limitPrice) => e.counterpartyTrade(market, side, size, limitPrice),
      counterpartyFill: (market, clientIndex, size) => e.counterpartyFill(market, clientIndex, size),
      cancelByUser: (market, clientIndex) => e.cancel(market, clientIndex, 'by-user'),
      placeForeignOrder: (req) => {
        const clientIndex = req.clientIndex ?? e.nextForeignIndex();
        e.place({ type: 'limit', timeInForce: 'gtc', reduceOnly: false, ...req, clientIndex }, { foreign: true });
        return clientIndex;
      },
      accountMarketTrade: (market, side, size) => e.accountMarketTrade(market, side, size),
      setReportedMargin: (market, reserved, exposure) => e.setReportedMargin(market, reserved, exposure),
      onOrderArrival: (hook) => {
        this.arrivalHook = hook;
        return () => {
          if (this.arrivalHook === hook) this.arrivalHook = null;
        };
      },
      failNext: (method, error, times = 1) => this.faults.add(method, { kind: 'fail', error, left: times }),
      delayResponse: (method, ms, times = 1) => this.faults.add(method, { kind: 'delay', ms, left: times }),
      loseResponse: (method, times = 1) => this.faults.add(method, { kind: 'lose', left: times }),
      holdCancelConfirmation: (ms, times = 1) => this.faults.add('cancelOrder', { kind: 'hold', ms, left: times }),
      duplicateNextFillReport: () => {
        this.dupNext = true;
      },
      dropStreamEvents: (predicate) => {
        this.dropRules.add(predicate);
        return () => {
          this.dropRules.delete(predicate);
        };
      },
      disconnect: (reason = 'simulated disconnect') => {
        for (const market of this.listeners.keys()) this.push({ market, event: { type: 'venue.down', reason, time: this.clock.now() } });
        this.down = true;
      },
      reconnect: (since) => {
        this.down = false;
        const now = this.clock.now();
        for (const market of this.listeners.keys()) {
          this.push({ market, event: { type: 'venue.up', time: now } });
          const report: ReconcileReport = {
            market,
            time: now,
            orders: [...e.openOrders(market), ...e.inactiveOrders(market, since)],
            fills: e.fills(market, since),
            position: e.position(market),
            bbo: e.bbo(market),
          };
          this.push({ market, event: { type: 'venue.caught-up', report } });
        }
      },
      delayStreamEvents: (predicate, ms) => {
        if (!(ms >= 0)) throw new Error(`delayStreamEvents ms ${ms} must be ≥ 0`);
        this.delayRules.set(predicate, ms);
        return () => {
          this.delayRules.delete(predicate);
        };
      },
      clearFaults: () => {
        this.faults.clear();
        this.dropRules.clear();
        this.delayRules.clear();
        this.dupNext = false;
        this.dupFill = null;
        this.arrivalHook = null;
      },
      liveOrders: (market) => e.openOrders(market),
      allOrders: (market) => e.allOrders(market),
      accountFills: (market) => e.fills(market, -Infinity),
      positionOf: (market) => e.position(market),
      sentLog: () => this.log.map((x) => ({ ...x, request: { ...x.request } })),
      drain: () => (this.flushScheduled ? new Promise<void>((r) => this.drainWaiters.push(r)) : Promise.resolve()),
    };
    return control;
  }
}
