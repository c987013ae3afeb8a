/**
 * Types of the grid root machine: input, context, events.
 * Context is JSON only (decimal strings, epoch ms, client indexes, no actor refs).
 */
import type { VenuePosition } from '../../adapters/types.ts';
import type {
  BookTop,
  GridParams,
  JournalEntry,
  MarketParams,
  OrderRecord,
  PositionSummary,
  TickEvent,
  VenueInputEvent,
} from '../shared/types.ts';

export const MACHINE_VERSION = 1;

/** The entry leg in flight: an order record plus what has been handed to its position. */
export interface EntryRecord extends OrderRecord {
  n: number;
  /** Filled size already given to the position child `grid-n`. */
  tracked: string;
  /** The position's exit has been accepted (or the position closed). */
  exitAccepted: boolean;
}

export type RefusalReason =
  | 'not_trading'
  | 'no_book'
  | 'paused'
  | 'max_orders'
  | 'cooldown'
  | 'grid_step'
  | 'margin_cap'
  | 'halted'
  | 'stop-loss'
  | 'leverage'
  | 'operator_pause';

export interface GateState {
  open: boolean;
  reasons: RefusalReason[];
}

export interface VenuePositionView {
  /** Signed base size. */
  size: string;
  avgEntry: string;
  reservedMargin?: string;
  exposure?: string;
}

export interface GridInput {
  params: GridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  now: number;
  /** First position number to use (a fresh store starts at 1). */
  nextN?: number;
}

/** The risk region's working record (stop price, stop-loss). */
export interface RiskState {
  /** What the risk region is doing (mirrors its state, read by the gate and status). */
  phase: 'armed' | 'flattening' | 'suspending' | 'halted' | 'coolingOff';
  trigger: null | 'stop-price' | 'stop-loss' | 'flatten' | 'cancel-all';
  /** An operator flatten / cancel-all waiting to be taken up by the risk region. */
  request?: null | 'flatten' | 'cancel-all';
  /** The whole-bot reduce-only market close in flight. */
  close: OrderRecord | null;
  closeAttempts: number;
  lastCloseAt: number;
  coolOffUntil: number | null;
  /** Mid at the trigger, for messages. */
  triggerMid: string | null;
}

export interface GridContext {
  params: GridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  /** Durable position counter: the next n to use; never decreases. */
  nextN: number;
  now: number;
  book: BookTop | null;
  venue: VenuePositionView;
  positions: Record<string, PositionSummary>;
  /** Open orders on the account outside the bot's scheme (count for grid-step spacing). */
  foreign: Record<string, { side: 'buy' | 'sell'; price: string }>;
  entry: EntryRecord | null;
  /** When the entry cycle last returned to ready (null: never). */
  lastCycleAt: number | null;
  /** Resting-exit count at the last gate evaluation. */
  prevResting: number | null;
  gate: GateState;
  /** Reasons whose refusal episode has been journaled. */
  journaled: RefusalReason[];
  trading: boolean;
  /** Operator pause: a latch on new entries only (persisted; lifted by resume). */
  operatorPaused?: boolean;
  /** Leverage has been set on the venue (entries wait for it). */
  leverageApplied: boolean;
  risk: RiskState;
  entryIdle: boolean;
  /** Pause-price breach in effect (journaled as grid.paused / grid.resumed). */
  paused: boolean;
  sizeWarned: boolean;
  realizedPnl: string;
  /** Time of the newest fill seen (reconcile asks for fills since a little before it). */
  lastFillAt: number;
  sendErrors: number;
  /** Orders of our slot that no machine owns, to be cancelled (found by reconciliation). */
  orphans: number[];
  /** Set while a reconcile report is being applied. */
  reconciledAt: number | null;
  /**
   * When a report last disagreed with the tracked total (null: the last one agreed). A
   * disagreement is acted on (retire / adopt) only when the next report, asked for a moment
   * later, still disagrees: one report can race a fill (chaos seed 1 run 153).
   */
  totalsMismatchAt?: number | null;
  startedAt: number;
}

export type GridEvent =
  | VenueInputEvent
  | TickEvent
  | { type: 'bot.start'; at: number }
  | { type: 'bot.restored'; at: number; params?: GridParams; market?: MarketParams; leverage?: number }
  | { type: 'reconcile.check' }
  | { type: 'reconcile.now' }
  | { type: 'position.summary'; summary: PositionSummary }
  | { type: 'exit.accepted'; n: number }
  | { type: 'position.closed'; n: number; realizedPnl: string; reason: string }
  | { type: 'operator.resume'; at: number }
  | { type: 'operator.pause'; at: number }
  | { type: 'operator.flatten'; at: number }
  | { type: 'operator.cancel-all'; at: number };

export type { JournalEntry, VenuePosition };
