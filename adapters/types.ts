/**
 * The Venue port: the one interface strategy code and the runtime use to trade.
 *
 * Invariants:
 * - Orders are named by the bot's integer client index only (see src/domain/client-index.ts);
 *   server order ids never leave an adapter.
 * - Every price, size and money amount is a decimal string; adapters convert to venue
 *   integer units at the wire and never round silently.
 * - A method either resolves with the venue's answer or rejects with a VenueError whose
 *   `kind` is one of the taxonomy below; nothing else escapes an adapter.
 * - Order state is reported by the stream (`order.updated`, `order.filled`); a resolved
 *   `placeOrder` means "accepted for processing", never "executed".
 */

export type Side = 'buy' | 'sell';
export type OrderType = 'limit' | 'market';
export type TimeInForce = 'gtc' | 'post-only' | 'ioc';

/** Static facts about one market. */
export interface MarketInfo {
  symbol: string;
  /** Price tick, e.g. "0.01". */
  tickSize: string;
  /** Size step, e.g. "0.001". */
  sizeStep: string;
  /** Minimum base size of one order. */
  minBaseSize: string;
  /** Minimum quote notional (size × price) of one order. */
  minQuoteNotional: string;
  /** Fee rates as fractions, e.g. "0.0002". */
  makerFee: string;
  takerFee: string;
  /** Highest leverage the market allows (integer). */
  maxLeverage: number;
  /** Longest time an order may rest, in ms (Lighter: 30 days). */
  maxOrderLifetimeMs: number;
}

export interface PlaceOrderRequest {
  market: string;
  clientIndex: number;
  side: Side;
  type: OrderType;
  /** Limit price; for a market order, the worst acceptable price (slippage bound). */
  price: string;
  size: string;
  timeInForce: TimeInForce;
  reduceOnly: boolean;
  /** Absolute expiry (epoch ms) for resting orders; omitted = venue default. */
  expiresAt?: number;
}

export type OrderStatus = 'open' | 'filled' | 'canceled';

/** Why an order ended without (full) execution. */
export type CancelReason =
  | 'post-only'
  | 'reduce-only'
  | 'expired'
  | 'by-user'
  | 'ioc-unfilled'
  | 'margin'
  | 'self-trade'
  | 'other';

/** A venue's view of one order, addressed by client index. */
export interface VenueOrder {
  market: string;
  clientIndex: number;
  side: Side;
  type: OrderType;
  price: string;
  size: string;
  /** Cumulative filled base size. */
  filledSize: string;
  status: OrderStatus;
  cancelReason?: CancelReason;
  reduceOnly: boolean;
  timeInForce: TimeInForce;
  /** Epoch ms the venue created it. */
  createdAt: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
  expiresAt?: number;
}

export interface VenueFill {
  market: string;
  /** Venue trade id, unique per trade; the same trade reported twice carries the same id. */
  tradeId: string;
  clientIndex: number;
  side: Side;
  price: string;
  size: string;
  /** Fee paid (negative = rebate), quote currency. */
  fee: string;
  liquidity: 'maker' | 'taker';
  time: number;
}

/** Signed net position of the account in one market. */
export interface VenuePosition {
  market: string;
  /** Signed base size: > 0 long, < 0 short. */
  size: string;
  /** Average entry price ("0" when flat). */
  avgEntryPrice: string;
  realizedPnl: string;
  /** Margin the venue reserves for this position, when reported. */
  reservedMargin?: string;
  /** Position exposure (|size| × mark) the venue reports, when reported. */
  exposure?: string;
  /** Leverage in force for this market. */
  leverage?: number;
}

export interface Bbo {
  market: string;
  bid: string;
  ask: string;
  bidSize?: string;
  askSize?: string;
  time: number;
}

/** Everything the venue streams to a subscriber. */
export type VenueStreamEvent =
  | { type: 'market.bbo'; bbo: Bbo }
  | { type: 'order.updated'; order: VenueOrder }
  | { type: 'order.filled'; fill: VenueFill }
  | { type: 'position.updated'; position: VenuePosition }
  | { type: 'venue.down'; reason: string; time: number }
  | { type: 'venue.up'; time: number }
  /** After a reconnect the adapter catches up over REST and emits one report. */
  | { type: 'venue.caught-up'; report: ReconcileReport };

/** What the venue knows about our orders, fills and position at one moment. */
export interface ReconcileReport {
  market: string;
  time: number;
  /** Open orders plus orders that ended since `since` (inactive). */
  orders: VenueOrder[];
  /** Account fills since `since`. */
  fills: VenueFill[];
  position: VenuePosition;
  bbo?: Bbo;
}

export type VenueErrorKind =
  /** The venue refused the request permanently (bad price, margin, market closed…). */
  | 'rejected'
  /** Too many requests; nothing was created. Back off. */
  | 'rate-limited'
  /** The venue is unreachable or answered 5xx; nothing was created. Retry with back-off. */
  | 'unavailable'
  /** The client index is already used by a live or past order: the order exists; look it up. */
  | 'duplicate-client-index'
  /** The request may or may not have reached the venue (timeout, socket closed): ask the venue. */
  | 'outcome-unknown'
  /** Cancel/lookup of an order the venue does not hold as active. */
  | 'not-active';

export class VenueError extends Error {
  readonly kind: VenueErrorKind;
  readonly reason?: string;
  readonly code?: number | string;
  constructor(kind: VenueErrorKind, message: string, opts: { reason?: string; code?: number | string } = {}) {
    super(message);
    this.name = 'VenueError';
    this.kind = kind;
    this.reason = opts.reason;
    this.code = opts.code;
  }
}

export function isVenueError(err: unknown): err is VenueError {
  return err instanceof Error && (err as VenueError).name === 'VenueError' && typeof (err as VenueError).kind === 'string';
}

/** Transient kinds: retry the same request with the same client index after a back-off. */
export function isTransient(kind: VenueErrorKind): boolean {
  return kind === 'rate-limited' || kind === 'unavailable';
}

export type Unsubscribe = () => void;

/** The port. One instance serves one account; markets are addressed by symbol. */
export interface Venue {
  readonly name: string;
  /** True where the venue keeps long and short legs apart (hedge mode); netting venues omit it. */
  readonly hedgeMode?: boolean;
  /** Connects and resolves once ready to trade (streams have delivered a first frame). */
  connect(): Promise<void>;
  close(): Promise<void>;
  marketInfo(market: string): Promise<MarketInfo>;
  /** Resolves once accepted for processing. */
  placeOrder(req: PlaceOrderRequest): Promise<void>;
  /** Resolves once the cancel is accepted; the final status arrives on the stream. */
  cancelOrder(market: string, clientIndex: number): Promise<void>;
  /** Active or inactive order by client index; null when the venue never had it. */
  getOrder(market: string, clientIndex: number): Promise<VenueOrder | null>;
  openOrders(market: string): Promise<VenueOrder[]>;
  /** Orders that ended at or after `since` (epoch ms). */
  inactiveOrders(market: string, since: number): Promise<VenueOrder[]>;
  /** Account fills at or after `since` (epoch ms), oldest first. */
  fills(market: string, since: number): Promise<VenueFill[]>;
  position(market: string): Promise<VenuePosition>;
  bbo(market: string): Promise<Bbo>;
  /** Sets leverage; resolves with the leverage in force. */
  setLeverage(market: string, leverage: number): Promise<number>;
  /** Streams for one market (book top, our orders, fills, position, connection). */
  subscribe(market: string, onEvent: (event: VenueStreamEvent) => void): Unsubscribe;
}

/** Builds a reconcile report from the port's queries (the same shape every adapter returns). */
export async function queryReconcileReport(venue: Venue, market: string, since: number, now: number): Promise<ReconcileReport> {
  const [open, inactive, fills, position, bbo] = await Promise.all([
    venue.openOrders(market),
    venue.inactiveOrders(market, since),
    venue.fills(market, since),
    venue.position(market),
    venue.bbo(market).catch(() => undefined),
  ]);
  return { market, time: now, orders: [...open, ...inactive], fills, position, bbo };
}
