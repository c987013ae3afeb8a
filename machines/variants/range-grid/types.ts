/**
 * Types of the range grid: parameters, the level child's input / context / events / summary,
 * and the root's input / context / events.
 *
 * Invariants: everything here is plain JSON (decimal strings, epoch ms, client indexes), so
 * root and children persist and restore unchanged; level prices are NOT in context (they are
 * a pure, memoized function of the parameters and the tick — see levels.ts).
 */
import type { VenueFill, VenueOrder } from '../../../adapters/types.ts';
import type { BookTop, JournalEntry, MarketParams, OrderRecord, TickEvent, VenueInputEvent } from '../../shared/types.ts';

export const RANGE_GRID_MACHINE_VERSION = 1;

export type RangeDirection = 'long' | 'short' | 'neutral';
export type Spacing = 'arithmetic' | 'geometric';
export type OnExitRange = 'hold' | 'halt' | 'close';
export type Side = 'buy' | 'sell';

/** Strategy parameters of the range grid, resolved from config (decimal strings). */
export interface RangeGridParams {
  lowerPrice: string;
  upperPrice: string;
  /** Number of intervals: there are gridCount + 1 level prices. */
  gridCount: number;
  spacing: Spacing;
  /** Base size of every level's entry (exactly one of orderSize / totalNotionalUsd). */
  orderSize?: string;
  /** USD spread evenly over the gridCount entry levels: size_i = total / gridCount / price_i. */
  totalNotionalUsd?: string;
  direction: RangeDirection;
  onExitRange: OnExitRange;
  /** Most entries resting on the venue at once (exits of holding levels come on top). */
  maxRestingOrders: number;
  maxMarginUsd: string;
  /** Whole-bot stop: below lower_price it triggers on mid ≤ stop, above upper_price on mid ≥ stop. */
  stopPrice?: string;
  stopLossEnabled: boolean;
  /** Price percent from the venue position's average entry (long: below, short: above). */
  stopLossPct: string;
  slippagePct: string;
  /** Periodic reconcile interval while trading (ms). */
  reconcileEveryMs: number;
}

/** One level price: exact (≤ 40 significant digits) and rounded passive per side. */
export interface LevelPrice {
  index: number;
  exact: string;
  /** Rounded down to the tick (a buy at this level). */
  buy: string;
  /** Rounded up to the tick (a sell at this level). */
  sell: string;
}

// ───────────────────────────── level child ─────────────────────────────

export interface LevelInput {
  level: number;
  market: string;
  slot: number;
  tick: string;
  /** This level's prices. */
  buy: string;
  sell: string;
  /** Exit targets: a long leg sells at level i+1, a short leg buys at level i−1 (null at the edges). */
  exitSell: string | null;
  exitBuy: string | null;
  /** Exits are reduce-only (long / short grids); never for neutral on a netting venue. */
  reduceOnlyExits: boolean;
  /**
   * The market's minimums for a resting order (base size, quote notional): a partial entry fill
   * whose exit would be below them keeps the entry resting. Absent in snapshots written before
   * they were added: no minimum (the rest of a partial fill is cancelled at once).
   */
  minBase?: string;
  minQuote?: string;
  now: number;
  book: BookTop | null;
  /** Armed at spawn: the child starts in awaitingN (no idle report that could race the arm). */
  arm?: { side: Side; price: string; size: string };
}

export interface LevelContext extends LevelInput {
  /** Entry side of the current round trip (null when idle). */
  side: Side | null;
  /** Position number of the current round trip; `ns` holds every n it used (a fresh one if exit roles run out). */
  n: number | null;
  ns: number[];
  /** An arm waiting for its n. */
  pending: { side: Side; price: string; size: string } | null;
  entry: OrderRecord | null;
  /** Every exit order of this round trip, oldest first; the last is the current one. */
  exits: OrderRecord[];
  /** Exit orders sent under the current n (0 → close, 1..3 close-retry, 4..67 refresh). */
  exitSeq: number;
  /** Σ fees of distinct fills of this round trip (quote, negative = rebate). */
  fees: string;
  /** Suspended by the root (halt/close of the whole grid): no exit is placed. */
  suspended: boolean;
  /** The root asked to cancel the entry (it may still be placing). */
  disarmed: boolean;
  sendErrors: number;
}

/** What a level tells the root on every state change. */
export interface LevelSummary {
  level: number;
  state: string;
  side: Side | null;
  n: number | null;
  ns: number[];
  entry: { clientIndex: number; price: string; size: string; status: OrderRecord['status']; filled: string } | null;
  exit: { clientIndex: number; price: string; size: string; status: OrderRecord['status'] } | null;
  /** Signed size this level holds in the bot's ledger (+ long leg, − short leg). */
  held: string;
  /** Level index its exit trades at (i+1 long, i−1 short) while it holds. */
  exitTarget: number | null;
  /** An entry order exists that is not known to be terminal (placing, resting or cancelling). */
  liveEntry: boolean;
  /** An exit order exists that is not known to be terminal. */
  liveExit: boolean;
  /** Notional of the live (or requested) entry, for the margin cap. */
  entryNotional: string;
}

export interface RoundTripReport {
  level: number;
  n: number;
  side: Side;
  entryPrice: string;
  exitPrice: string;
  size: string;
  gross: string;
  fees: string;
  profit: string;
}

export type LevelEvent =
  | TickEvent
  | { type: 'level.arm'; side: Side; price: string; size: string; at: number; book: BookTop | null }
  | { type: 'level.grant-n'; n: number; at: number }
  | { type: 'level.disarm'; at: number }
  | { type: 'level.suspend'; at: number }
  | { type: 'level.resume'; at: number; book: BookTop | null }
  | { type: 'level.release'; at: number; reason: string }
  | { type: 'level.order-updated'; order: VenueOrder; at: number; book: BookTop | null }
  | { type: 'level.fill'; fill: VenueFill; at: number; book: BookTop | null };

/** Events a level sends to the root. */
export type LevelToRoot =
  | { type: 'level.report'; summary: LevelSummary }
  | { type: 'level.request-n'; level: number; purpose: 'entry' | 'exit' }
  | { type: 'level.round-trip'; report: RoundTripReport };

// ───────────────────────────── root ─────────────────────────────

export interface RangeGridInput {
  params: RangeGridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  now: number;
  nextN?: number;
}

export type RiskTrigger = 'exit-range' | 'stop-price' | 'stop-loss' | 'flatten';

export interface RangeRisk {
  phase: 'armed' | 'stopping' | 'closing' | 'halted';
  trigger: RiskTrigger | null;
  /** halt: cancel entries, keep exits; close: cancel everything, market-close the venue position. */
  mode: 'halt' | 'close' | null;
  request: 'flatten' | null;
  close: OrderRecord | null;
  closeAttempts: number;
  lastCloseAt: number;
  triggerMid: string | null;
}

export interface RangeGridContext {
  params: RangeGridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  /** Durable counter: the next n to grant; never decreases. */
  nextN: number;
  now: number;
  book: BookTop | null;
  venue: { size: string; avgEntry: string; reservedMargin?: string; exposure?: string };
  /** Summaries of live level children, by level index. */
  levels: Record<string, LevelSummary>;
  /** Which level owns each live n (granted before any order using it is sent). */
  owners: Record<string, number>;
  trading: boolean;
  leverageApplied: boolean;
  operatorPaused: boolean;
  /** Mid is outside [lower, upper] (journaled on change). */
  outside: boolean;
  marginCapHit: boolean;
  risk: RangeRisk;
  realizedPnl: string;
  roundTrips: number;
  /** Per level: completed round trips and their summed profit. */
  levelProfit: Record<string, { roundTrips: number; profit: string }>;
  lastFillAt: number;
  orphans: number[];
  sendErrors: number;
  startedAt: number;
}

export type RangeGridEvent =
  | VenueInputEvent
  | TickEvent
  | LevelToRoot
  | { type: 'bot.start'; at: number }
  | { type: 'bot.restored'; at: number; params?: RangeGridParams; market?: MarketParams; leverage?: number }
  | { type: 'reconcile.check' }
  | { type: 'reconcile.now' }
  | { type: 'operator.pause'; at: number }
  | { type: 'operator.resume'; at: number }
  | { type: 'operator.flatten'; at: number };

export type { JournalEntry };
