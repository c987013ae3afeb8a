/**
 * Shapes shared by every grid machine: parameters, the book top, order records, the events
 * the runtime feeds in, and the journal entries machines ask the runtime to write.
 *
 * Invariants: everything here is plain JSON (decimal strings, epoch-ms numbers, client
 * indexes as numbers) so that snapshots persist and restore unchanged.
 */
import type { ReconcileReport, Side, VenueFill, VenueOrder, VenuePosition, Bbo } from '../../adapters/types.ts';
import type { Role } from '../../src/domain/client-index.ts';

export type Direction = 'buy' | 'sell';

/** Market facts a machine needs (decimal strings). */
export interface MarketParams {
  symbol: string;
  tick: string;
  step: string;
  minBase: string;
  minQuote: string;
  maxLeverage: number;
  /** Longest resting lifetime the venue allows (ms). */
  maxLifetimeMs: number;
}

/** Strategy parameters of the dynamic grid, resolved from config (decimal strings). */
export interface GridParams {
  direction: Direction;
  notionalUsd?: string;
  quantity?: string;
  takeProfitPct: string;
  basis: 'margin' | 'price';
  gridStepPct: string;
  maxOrders: number;
  waitTimeSec: string;
  maxMarginUsd: string;
  stopLossEnabled: boolean;
  stopLossPct: string;
  timeoutMs: number;
  recoveryMode: 'aggressive' | 'ladder' | 'hedge' | 'none';
  multiplier: number;
  boost: boolean;
  slippagePct: string;
  pausePrice?: string;
  stopPrice?: string;
  /** Exit lifetime L and refresh lead R (ms). */
  exitLifetimeMs: number;
  exitRefreshLeadMs: number;
  /** Minimum spacing between two exit sends of one position (ms). */
  retrySpacingMs: number;
  /** Periodic reconcile interval while trading (ms). */
  reconcileEveryMs: number;
}

export interface BookTop {
  bid: string;
  ask: string;
}

/** The bot's record of one of its orders, kept in machine context. */
export interface OrderRecord {
  clientIndex: number;
  role: Role;
  side: Side;
  type: 'limit' | 'market';
  price: string;
  size: string;
  reduceOnly: boolean;
  postOnly: boolean;
  /** sending: intent exists, no venue answer yet. */
  status: 'sending' | 'open' | 'filled' | 'canceled';
  cancelReason?: string;
  /** Cumulative filled = max(venue cumulative, Σ distinct fills). */
  filled: string;
  /** Σ of distinct fills seen (by trade id). */
  fillSum: string;
  /** Σ price × size of distinct fills, for the average fill price. */
  fillNotional: string;
  fillIds: string[];
  /** Epoch ms the intent was made (the send time, persisted before the send). */
  sentAt: number;
  acceptedAt?: number;
  expiresAt?: number;
  cancelRequested?: boolean;
}

/** Events the runtime (venue stream, clock, operator) sends to the root. */
export type VenueInputEvent =
  | { type: 'market.bbo'; bbo: Bbo; at: number }
  | { type: 'order.updated'; order: VenueOrder; at: number }
  | { type: 'order.filled'; fill: VenueFill; at: number }
  | { type: 'position.updated'; position: VenuePosition; at: number }
  | { type: 'venue.down'; reason: string; at: number }
  | { type: 'venue.up'; at: number }
  | { type: 'venue.caught-up'; report: ReconcileReport; at: number };

export type TickEvent = { type: 'tick'; name: string; at: number };

export type JournalLevel = 'debug' | 'info' | 'warning' | 'error';

/** What a machine asks the runtime to write to the events journal. */
export interface JournalEntry {
  type: string;
  level: JournalLevel;
  message: string;
  payload?: Record<string, unknown>;
}

/** A position child's summary, sent to the root on every change. */
export interface PositionSummary {
  n: number;
  /** Filled entry size (absolute, decimal). */
  size: string;
  /** size − Σ exit fills. */
  remaining: string;
  entryPrice: string;
  /** Current exit order, if any. */
  exit: { clientIndex: number; price: string; type: 'limit' | 'market'; status: OrderRecord['status']; size: string } | null;
  /** The child's state name, for status views. */
  state: string;
  realizedPnl: string;
  /** True once its exit has been accepted at least once. */
  exitAccepted: boolean;
}

export interface PlaceOrderInput {
  market: string;
  order: OrderRecord;
  /** Await the persister's flush before sending (a new position number). */
  writeAhead: boolean;
}

export interface PlaceOrderOutput {
  at: number;
  /** The client index the answer is for (several sends may be in flight over time). */
  clientIndex?: number;
}

export interface CancelOrderInput {
  market: string;
  clientIndex: number;
}

export interface QueryOrderInput {
  market: string;
  clientIndex: number;
}

export interface QueryOrderOutput {
  order: VenueOrder | null;
  fills: VenueFill[];
  at: number;
}

export interface DeadlineInput {
  name: string;
  at: number;
}
