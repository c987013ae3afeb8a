/**
 * Placeholders for what every root machine (grid, range grid, trailing grid) invokes or calls
 * but the runtime supplies with `machine.provide()`: the venue actors, the deadline timer and
 * the `journal` / `reconciled` actions. Declared once here so that the three `setup()` blocks
 * type them alike; calling one that was not provided throws naming it.
 */
import { fromCallback, fromPromise, type EventObject } from 'xstate';
import type { ReconcileReport, VenuePosition } from '../../adapters/types.ts';
import type { CancelOrderInput, DeadlineInput, JournalEntry, PlaceOrderInput, PlaceOrderOutput, QueryOrderInput, QueryOrderOutput } from './types.ts';

export const notProvided = (name: string) => () => {
  throw new Error(`${name} is not provided: supply it with machine.provide()`);
};

export interface ReconcileInput {
  market: string;
  since: number;
}

/** The venue actors a root invokes (src/runtime/effects.ts provides the real ones). */
export const venueActorStubs = {
  placeOrder: fromPromise<PlaceOrderOutput, PlaceOrderInput>(notProvided('placeOrder')),
  cancelOrder: fromPromise<PlaceOrderOutput, CancelOrderInput>(notProvided('cancelOrder')),
  queryOrder: fromPromise<QueryOrderOutput, QueryOrderInput>(notProvided('queryOrder')),
  cancelOrders: fromPromise<PlaceOrderOutput, { market: string; clientIndexes: number[]; ungated?: boolean }>(notProvided('cancelOrders')),
  reconcile: fromPromise<ReconcileReport, ReconcileInput>(notProvided('reconcile')),
  queryPosition: fromPromise<{ position: VenuePosition; at: number }, { market: string }>(notProvided('queryPosition')),
  setLeverage: fromPromise<{ leverage: number; at: number }, { market: string; leverage: number }>(notProvided('setLeverage')),
};

/** The deadline timer of a root whose events are `E` (it sends `tick` events back). */
export const deadlineStub = <E extends EventObject>() => fromCallback<E, DeadlineInput>(notProvided('deadline'));

/** Actions the runtime provides: journal lines, and "the reconciliation is applied". */
export const runtimeActionStubs = {
  journal: (_: unknown, _params: JournalEntry) => {
    throw new Error('journal is not provided: supply it with machine.provide()');
  },
  /** Tells the runtime that the reconciliation is applied (its request gate opens). */
  reconciled: () => {
    throw new Error('reconciled is not provided: supply it with machine.provide()');
  },
};
