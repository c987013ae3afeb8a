/**
 * The strategy-variant contract: what a variant gives the engine so that the runtime (bot,
 * paper, run, status, control endpoint, dashboard, persistence, restart reconcile) runs it
 * without knowing anything about it.
 *
 * A variant provides:
 * - `kind`, a one-line `description`, and `machineVersion` (bumped when its persisted shape
 *   changes: a stored snapshot of another version is refused, never half-loaded);
 * - `build(deps)`: its root machine with every child machine provided with the runtime's
 *   effects (the venue actors of src/runtime/effects.ts), the `journal` sink and the
 *   `reconciled` hook — the machines stay pure, the runtime only `.provide()`s;
 * - `status(snapshot)`: the shared status view (src/runtime/status.ts `BotStatus`) used by
 *   the status line, `grid-bot status`, /status, metrics and the dashboard;
 * - `resumeRefusal(context)`: why an operator resume must be refused (null = allowed);
 * - `operatorEvents`: which operator commands its root handles (others are refused, named);
 * - optionally `startNotes(params, venue)`: journal entries at start (e.g. a recovery mode
 *   the venue cannot honour).
 *
 * The root protocol every variant root follows (the runtime relies on it):
 * - input `{ params, market, slot, leverage, now, nextN? }`; context has `nextN` (a durable
 *   position-number counter that never decreases), `now`, `book`;
 * - events in: `bot.start` | `bot.restored { params, market, leverage }` (fresh start vs
 *   restore; either reconciles with the venue before any entry), the venue stream events
 *   with `at`, `operator.*` events with `at`;
 * - it calls the `reconciled` action once a reconciliation has been applied (the runtime's
 *   gate opens then: no other venue request is sent before);
 * - client indexes come from src/domain/client-index.ts (slot, n, role), so two bots on one
 *   account never collide and a restart recognises every order it sent.
 *
 * Shared pieces a variant reuses instead of rewriting: the venue actors (placeOrder,
 * cancelOrder, queryOrder, cancelOrders, queryOrders, reconcile, queryPosition, setLeverage,
 * deadline), the client-index scheme, the reconcile report (adapters/types.ts), the journal
 * event shape, the persistence envelope and restart path, and — for position-tracking
 * variants — the position child (machines/position).
 */
import type { AnyStateMachine } from 'xstate';
import type { Venue } from '../../adapters/types.ts';
import type { makeEffects } from '../../src/runtime/effects.ts';
import type { BotStatus } from '../../src/runtime/status.ts';
import type { JournalEntry, MarketParams } from '../shared/types.ts';

export type VariantEffects = ReturnType<typeof makeEffects>;

export interface VariantDeps {
  effects: VariantEffects;
  /** The `journal` action implementation: `(_, entry) => …`. */
  journal: (_: unknown, entry: JournalEntry) => void;
  /** The `reconciled` action implementation (opens the runtime's reconcile gate). */
  reconciled: () => void;
}

export type OperatorEventType = 'operator.pause' | 'operator.resume' | 'operator.flatten' | 'operator.cancel-all';

/** What a variant root's input looks like (the runtime builds it). */
export interface VariantRootInput<P> {
  params: P;
  market: MarketParams;
  slot: number;
  leverage: number;
  now: number;
  nextN?: number;
}

export interface SnapshotView {
  value: unknown;
  context: unknown;
  /** Live children by id (position / level children). */
  children?: Record<string, unknown>;
}

export interface StrategyVariant<P = unknown> {
  kind: string;
  description: string;
  machineVersion: number;
  build(deps: VariantDeps): AnyStateMachine;
  status(snapshot: SnapshotView): BotStatus;
  resumeRefusal(context: unknown): string | null;
  operatorEvents: readonly OperatorEventType[];
  startNotes?(params: P, venue: Venue): JournalEntry[];
}
