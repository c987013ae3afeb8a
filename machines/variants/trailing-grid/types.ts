/**
 * Types of the trailing grid (`strategy.kind: trailing-grid`): its parameters, the root's
 * input, context and events. The exit leg is the shared position child (machines/position),
 * so its types are reused, not redefined.
 *
 * Invariants: everything here is plain JSON (decimal strings, epoch ms, client indexes), so
 * the root and its position child persist and restore unchanged.
 */
import type { ReconcileReport } from '../../../adapters/types.ts';
import type { BookTop, Direction, JournalEntry, MarketParams, OrderRecord, PositionSummary, TickEvent, VenueInputEvent } from '../../shared/types.ts';
import type { PositionInput, PositionEvent } from '../../position/types.ts';

/** Bumped when the persisted context changes shape (a stored snapshot of another version is refused). */
export const TRAILING_GRID_MACHINE_VERSION = 1;

/** Strategy parameters, resolved from config (decimal strings, integer ms). */
export interface TrailingGridParams {
  /** buy: the entry rests below the bid and the exit sells; sell: mirrored. */
  direction: Direction;
  /** Base size of every entry (a multiple of the market's size step). */
  orderSize: string;
  /** Distance of the entry from the touch, in percent of the touch price. */
  trailPct: string;
  /** The entry is re-placed once the touch has moved away by this percent more. */
  repegPct: string;
  /** Take-profit distance from the entry's fill price, in percent of price. */
  takeProfitPct: string;
  /** Position child settings (machines/position/types.ts PositionParams). */
  multiplier: number;
  slippagePct: string;
  timeoutMs: number;
  exitLifetimeMs: number;
  exitRefreshLeadMs: number;
  retrySpacingMs: number;
}

/** The entry of the current round trip: an order record plus its position number. */
export interface TrailEntry extends OrderRecord {
  n: number;
  /** Filled size already handed to the position child (grows with the entry's fills). */
  tracked: string;
}

export interface TrailingGridInput {
  params: TrailingGridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  now: number;
  nextN?: number;
}

export interface TrailingGridContext {
  params: TrailingGridParams;
  market: MarketParams;
  slot: number;
  leverage: number;
  /** Durable position-number counter: the next round trip's n; never decreases. */
  nextN: number;
  now: number;
  book: BookTop | null;
  venue: { size: string; avgEntry: string };
  /** The entry of the current round trip (null between round trips). */
  entry: TrailEntry | null;
  /** Summary of the live position child (null when no position is held). */
  position: PositionSummary | null;
  /** Own orders no round trip owns (found by a reconciliation): cancelled before trading. */
  orphans: number[];
  trading: boolean;
  operatorPaused: boolean;
  /** No risk latch in this variant; the runtime's resume reads `risk.phase` (always armed). */
  risk: { phase: 'armed' };
  roundTrips: number;
  realizedPnl: string;
  /** Time of the last fill seen: the next reconciliation asks for fills since shortly before. */
  lastFillAt: number;
  /** Consecutive failed sends (leverage, entry), for back-off. */
  sendErrors: number;
}

/** What routing a venue update or fill asks the root to do (pure planning, see routing.ts). */
export interface TrailPlan {
  entry?: TrailEntry | null;
  spawn?: PositionInput;
  toChild: PositionEvent[];
  journal: JournalEntry[];
  orphans: number[];
  lastFillAt?: number;
  /** An index of ours at or above nextN was seen (the store lost writes): nextN moves past it. */
  nextN?: number;
}

export type TrailingGridEvent =
  | VenueInputEvent
  | TickEvent
  | { type: 'bot.start'; at: number }
  | { type: 'bot.restored'; at: number; params?: TrailingGridParams; market?: MarketParams; leverage?: number }
  | { type: 'operator.pause'; at: number }
  | { type: 'operator.resume'; at: number }
  | { type: 'position.summary'; summary: PositionSummary }
  | { type: 'exit.accepted'; n: number }
  | { type: 'position.closed'; n: number; realizedPnl: string; reason: string };

export type { ReconcileReport };
