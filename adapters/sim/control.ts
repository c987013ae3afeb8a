/**
 * Test control of the simulated venue: the `SimControl` interface (book moves, counterparty
 * and hand trades, fault injection, inspection) and `FaultPlan`, the per-method queue of
 * injected faults.
 *
 * Fault semantics (per call of a Venue method, after it is written to the sent log):
 * - failNext: the request is NOT processed; the caller gets the given error.
 * - holdCancelConfirmation (cancelOrder only): processing happens `ms` later on the clock;
 *   the call settles then (resolves, or rejects 'not-active' if the order ended meanwhile).
 * - delayResponse: processed at once (its stream events go out at once); the answer
 *   arrives `ms` later on the clock.
 * - loseResponse: processed, but the caller gets VenueError('outcome-unknown').
 * Each fault is consumed by one call; `times` queues it for that many calls.
 */
import type { PlaceOrderRequest, Side, VenueError, VenueFill, VenueOrder, VenuePosition, VenueStreamEvent } from '../types.ts';
import type { CounterpartyResult } from './matching-engine.ts';

export type VenueMethod =
  | 'marketInfo'
  | 'placeOrder'
  | 'cancelOrder'
  | 'getOrder'
  | 'openOrders'
  | 'inactiveOrders'
  | 'fills'
  | 'position'
  | 'bbo'
  | 'setLeverage';

export const VENUE_METHODS: readonly VenueMethod[] = [
  'marketInfo',
  'placeOrder',
  'cancelOrder',
  'getOrder',
  'openOrders',
  'inactiveOrders',
  'fills',
  'position',
  'bbo',
  'setLeverage',
];

/** One request the account made through the Venue port. */
export interface SentRequest {
  /** 1-based order of arrival. */
  seq: number;
  /** Clock time the request reached the venue. */
  time: number;
  method: VenueMethod;
  market?: string;
  clientIndex?: number;
  /** The request's fields (a copy of the PlaceOrderRequest for placeOrder). */
  request: Record<string, unknown>;
  /** The fault applied to this call, if any. */
  fault?: 'failed' | 'held' | 'delayed' | 'lost';
}

/** A hand-placed order on the account; `clientIndex` defaults to a small index outside the bot's scheme. */
export type ForeignOrderRequest = Omit<PlaceOrderRequest, 'clientIndex' | 'type' | 'timeInForce' | 'reduceOnly'> &
  Partial<Pick<PlaceOrderRequest, 'clientIndex' | 'type' | 'timeInForce' | 'reduceOnly'>>;

/** Runs when an order reaches the venue, before matching (may move the book). */
export type OrderArrivalHook = (req: Readonly<PlaceOrderRequest>, control: SimControl) => void;

export interface SimControl {
  /** Moves the background book; `depth` (base size per level) stays as set when omitted. */
  setBook(market: string, bid: string, ask: string, depth?: string): void;
  /** A counterparty order sweeping the book, the account's resting orders included. */
  counterpartyTrade(market: string, side: Side, size: string, limitPrice?: string): CounterpartyResult;
  /** A counterparty takes one resting account order (maker, its price), whatever the book; default: all of it. */
  counterpartyFill(market: string, clientIndex: number, size?: string): VenueFill[];
  /** Someone cancels the account's order by hand: final status canceled, reason by-user. */
  cancelByUser(market: string, clientIndex: number): VenueOrder;
  /** Places a hand order on the account; returns its client index. */
  placeForeignOrder(req: ForeignOrderRequest): number;
  /** A market trade made by hand on the account (fills carry client index 0). */
  accountMarketTrade(market: string, side: Side, size: string): VenueFill[];
  /** Overrides the reported reserved margin / exposure; null goes back to the model. */
  setReportedMargin(market: string, reserved: string | null, exposure?: string): void;
  /** Sets (or clears with null) the order-arrival hook; returns a remover. */
  onOrderArrival(hook: OrderArrivalHook | null): () => void;

  failNext(method: VenueMethod, error: VenueError, times?: number): void;
  delayResponse(method: VenueMethod, ms: number, times?: number): void;
  loseResponse(method: VenueMethod, times?: number): void;
  holdCancelConfirmation(ms: number, times?: number): void;
  /** The next account fill is delivered twice (same trade id) and its order update repeated. */
  duplicateNextFillReport(): void;
  /** Stream events matching the predicate are lost (until the returned remover is called). */
  dropStreamEvents(predicate: (event: VenueStreamEvent, market: string) => boolean): () => void;
  /**
   * The stream connection drops: subscribers get `venue.down`; until `reconnect`, stream
   * events are lost and every port call fails 'unavailable' (not processed).
   */
  disconnect(reason?: string): void;
  /**
   * The connection is back: subscribers get `venue.up`, then per subscribed market one
   * `venue.caught-up` report (open orders, orders ended and fills since `since`, position, BBO).
   */
  reconnect(since: number): void;
  /**
   * Stream events matching the predicate are delivered `ms` later on the clock (in their
   * order), e.g. a fill report that arrives after the cancel response (ENT-05).
   */
  delayStreamEvents(predicate: (event: VenueStreamEvent, market: string) => boolean, ms: number): () => void;
  /** Removes every queued fault, drop rule, duplicate request and the arrival hook. */
  clearFaults(): void;

  liveOrders(market: string): VenueOrder[];
  allOrders(market: string): VenueOrder[];
  accountFills(market: string): VenueFill[];
  positionOf(market: string): VenuePosition;
  sentLog(): SentRequest[];
  /** Resolves once every queued stream event has been delivered. */
  drain(): Promise<void>;
}

interface Queued {
  kind: 'fail' | 'delay' | 'lose' | 'hold';
  error?: VenueError;
  ms?: number;
  left: number;
}

/** Per-method queues of one-shot faults. */
export class FaultPlan {
  private readonly rules = new Map<string, Queued[]>();

  add(method: VenueMethod, rule: Queued): void {
    if (!(rule.left >= 1) || !Number.isInteger(rule.left)) throw new Error(`fault times ${rule.left} must be an integer ≥ 1`);
    if (rule.ms !== undefined && !(rule.ms >= 0)) throw new Error(`fault delay ${rule.ms} ms must be ≥ 0`);
    const key = `${method}:${rule.kind}`;
    const list = this.rules.get(key) ?? [];
    list.push(rule);
    this.rules.set(key, list);
  }

  /** Consumes one use of the first queued fault of that kind, if any. */
  take(method: VenueMethod, kind: Queued['kind']): Queued | undefined {
    const list = this.rules.get(`${method}:${kind}`);
    const r = list?.[0];
    if (!r) return undefined;
    r.left -= 1;
    if (r.left === 0) list!.shift();
    return r;
  }

  clear(): void {
    this.rules.clear();
  }
}
