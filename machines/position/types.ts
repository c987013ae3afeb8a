/**
 * Types of the position child machine: its input, context and events.
 * Context is JSON only; `size` grows with entry fills, exits only ever reduce `remaining`.
 */
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import type { BookTop, Direction, OrderRecord, TickEvent } from '../shared/types.ts';

export interface PositionParams {
  market: string;
  slot: number;
  direction: Direction;
  tick: string;
  step: string;
  multiplier: number;
  slippagePct: string;
  boost: boolean;
  exitLifetimeMs: number;
  exitRefreshLeadMs: number;
  retrySpacingMs: number;
  timeoutMs: number;
  recoveryMode: 'aggressive' | 'ladder' | 'hedge' | 'none';
}

export interface PositionInput {
  n: number;
  params: PositionParams;
  size: string;
  entryPrice: string;
  tpPrice: string;
  now: number;
  book: BookTop | null;
  venueSize: string;
  /** An exit already on the venue (adoption after a restart). */
  exit?: OrderRecord;
  /** Exit fills of earlier orders already known (adoption). */
  exitFilledPrior?: string;
  exitNotionalPrior?: string;
  failures?: number;
  /** Indexes of ended exits already counted in exitFilledPrior (adoption). */
  ended?: number[];
  /** Its entry order is still live: more fills may grow it (it waits in `flat` instead of closing). */
  entryOpen?: boolean;
}

export interface PositionContext {
  n: number;
  params: PositionParams;
  size: string;
  entryPrice: string;
  tpPrice: string;
  exit: OrderRecord | null;
  /** Σ filled of ended exit orders, and their notional. */
  exitFilledPrior: string;
  exitNotionalPrior: string;
  /**
   * Fills of this position's own exit indexes that no current order record holds (e.g. after a
   * restore from a snapshot older than the order): they reduce what remains, and are absorbed
   * into the record if the same order is created again — never counted twice.
   */
  stray: Array<{ clientIndex: number; tradeId: string; size: string; price: string }>;
  /** Indexes of ended exit orders whose final fills are in `exitFilledPrior` (their fills are never counted again). */
  ended: number[];
  /** Ladder recovery legs (reduce-only post-only), while the ladder rests. */
  ladder: OrderRecord[];
  /** When the position's first exit was accepted: the stuck-exit clock (not reset by reposts). */
  restingSince: number | null;
  /** Recovery in progress: the mode acting now (ladder escalates to aggressive). */
  recoveryStage: null | 'ladder' | 'aggressive';
  /** A stuck exit was reported (mode none: once). */
  recoveryDetected: boolean;
  ladderSince: number | null;
  /** What follows when every live order of the position has ended (generic cancelling state). */
  afterCancel: null | 'market' | 'ladder' | 'refresh' | 'retired' | 'suspended';
  /** Failed market-close attempts, for the ≥ 5 s back-off. */
  marketFailures: number;
  /** Failed exit attempts: cancelled after reaching the book, or rejected. */
  failures: number;
  marketAttempts: number;
  refreshes: number;
  /** Consecutive sends that created no order (transient errors), for back-off. */
  sendErrors: number;
  lastSendAt: number;
  now: number;
  trackedAt: number;
  book: BookTop | null;
  /** |venue position| in the grid's direction (0 when flat or opposite). */
  venueSize: string;
  exitAccepted: boolean;
  /** Set when the size grew while an exit rests: the exit must be replaced. */
  resizePending: boolean;
  refreshPending: boolean;
  retireRequested: boolean;
  entryOpen: boolean;
  /** Its client-index roles ran out (64 refreshes or market exits): it hands over to reconciliation. */
  exhausted?: boolean;
}

interface Env {
  at: number;
  book?: BookTop | null;
  venueSize?: string;
}

export type PositionEvent =
  | ({ type: 'position.order-updated'; order: VenueOrder } & Env)
  | ({ type: 'position.fill'; fill: VenueFill } & Env)
  | ({ type: 'position.size'; size: string; entryPrice: string } & Env)
  | ({ type: 'position.retire'; reason: string } & Env)
  | ({ type: 'position.market' } & Env)
  | ({ type: 'position.entry-done' } & Env)
  | ({ type: 'position.suspend' } & Env)
  | ({ type: 'position.unsuspend' } & Env)
  | TickEvent;
