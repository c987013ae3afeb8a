/**
 * The machines' effects, implemented over the Venue port, the clock and the persister:
 * the actor logic that `createBot()` provides to the pure machines with `.provide()`.
 *
 * Invariants:
 * - No machine effect reaches the venue before the first reconciliation after a (re)start has
 *   been applied (`ReconcileGate`); the reconcile query itself is not gated.
 * - An entry (a new position number) is sent only after the persister's flush resolved:
 *   the index is durable before the venue can know it (write-ahead).
 * - An effect whose state was left before it ran (aborted) sends nothing.
 * - Every in-flight effect is counted in `IdleTracker`, so a simulated clock only jumps ahead
 *   when nothing is pending.
 */
import { fromCallback, fromPromise } from 'xstate';
import { queryReconcileReport, VenueError, type PlaceOrderRequest, type ReconcileReport, type Venue, type VenueOrder, type VenuePosition } from '../../adapters/types.ts';
import type { ReconcileInput } from '../../machines/grid/setup.ts';
import type {
  CancelOrderInput,
  DeadlineInput,
  OrderRecord,
  PlaceOrderInput,
  PlaceOrderOutput,
  QueryOrderInput,
  QueryOrderOutput,
} from '../../machines/shared/types.ts';
import type { Clock } from './clock.ts';

/** Opens once the first reconciliation has been applied. */
export class ReconcileGate {
  private resolveFn!: () => void;
  readonly opened: Promise<void>;
  isOpen = false;
  constructor() {
    this.opened = new Promise<void>((r) => (this.resolveFn = r));
  }
  open(): void {
    if (this.isOpen) return;
    this.isOpen = true;
    this.resolveFn();
  }
}

/** Counts in-flight effects; `whenIdle` resolves when none is pending. */
export class IdleTracker {
  private pending = 0;
  private waiters: Array<() => void> = [];
  get busy(): boolean {
    return this.pending > 0;
  }
  async track<T>(p: Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await p;
    } finally {
      this.pending--;
      if (this.pending === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      }
    }
  }
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }
}

export interface EffectDeps {
  venue: Venue;
  clock: Clock;
  gate: ReconcileGate;
  idle: IdleTracker;
  /** Resolves when everything up to now is durable (write-ahead). */
  flush: () => Promise<void>;
  /** False once the bot was killed: nothing more may reach the venue. */
  alive: () => boolean;
  /** Called for every request the bot sends (metrics, logs). */
  onRequest?: (kind: 'place' | 'cancel' | 'query' | 'reconcile', detail: Record<string, unknown>) => void;
}

export function toPlaceRequest(market: string, o: OrderRecord): PlaceOrderRequest {
  return {
    market,
    clientIndex: o.clientIndex,
    side: o.side,
    type: o.type,
    price: o.price,
    size: o.size,
    timeInForce: o.type === 'market' ? 'ioc' : o.postOnly ? 'post-only' : 'gtc',
    reduceOnly: o.reduceOnly,
    ...(o.expiresAt !== undefined ? { expiresAt: o.expiresAt } : {}),
  };
}

const killed = () => new VenueError('outcome-unknown', 'the bot was stopped before this request was sent');
const aborted = () => new VenueError('outcome-unknown', 'request abandoned: its state was left before it was sent');

export function makeEffects(deps: EffectDeps) {
  const { venue, clock, gate, idle } = deps;

  const placeOrder = fromPromise<PlaceOrderOutput, PlaceOrderInput>(({ input, signal }) =>
    idle.track(
      (async () => {
        // No await once the gate is open: an exit is signed and sent in the same turn as the
        // fill that caused it (fill → exit latency), not after the rest of the frame batch.
        if (!gate.isOpen) await gate.opened;
        if (signal.aborted) throw aborted();
        if (input.writeAhead) await deps.flush();
        if (signal.aborted) throw aborted();
        if (!deps.alive()) throw killed();
        deps.onRequest?.('place', { clientIndex: input.order.clientIndex });
        await venue.placeOrder(toPlaceRequest(input.market, input.order));
        return { at: clock.now(), clientIndex: input.order.clientIndex };
      })(),
    ),
  );

  const cancelOrder = fromPromise<PlaceOrderOutput, CancelOrderInput>(({ input, signal }) =>
    idle.track(
      (async () => {
        await gate.opened;
        if (signal.aborted) throw aborted();
        if (!deps.alive()) throw killed();
        deps.onRequest?.('cancel', { clientIndex: input.clientIndex });
        await venue.cancelOrder(input.market, input.clientIndex);
        return { at: clock.now() };
      })(),
    ),
  );

  const queryOrder = fromPromise<QueryOrderOutput, QueryOrderInput>(({ input }) =>
    idle.track(
      (async () => {
        await gate.opened;
        if (!deps.alive()) throw killed();
        deps.onRequest?.('query', { clientIndex: input.clientIndex });
        const order = await venue.getOrder(input.market, input.clientIndex);
        return { order, fills: [], at: clock.now() };
      })(),
    ),
  );

  /** Cancels several orders; `ungated` for the reconciliation's own clean-up (it runs before the gate opens). */
  const cancelOrders = fromPromise<PlaceOrderOutput, { market: string; clientIndexes: number[]; ungated?: boolean }>(({ input }) =>
    idle.track(
      (async () => {
        if (!input.ungated) await gate.opened;
        for (const idx of input.clientIndexes) {
          if (!deps.alive()) throw killed();
          deps.onRequest?.('cancel', { clientIndex: idx });
          try {
            await venue.cancelOrder(input.market, idx);
          } catch (err) {
            // An orphan that already ended is what we wanted; anything else is retried by the
            // next periodic reconciliation, which finds the order again.
            if (!(err instanceof VenueError && err.kind === 'not-active')) throw err;
          }
        }
        return { at: clock.now() };
      })(),
    ),
  );

  const queryOrders = fromPromise<{ orders: VenueOrder[]; missing: number[]; at: number }, { market: string; clientIndexes: number[] }>(({ input }) =>
    idle.track(
      (async () => {
        await gate.opened;
        const orders: VenueOrder[] = [];
        const missing: number[] = [];
        for (const idx of input.clientIndexes) {
          if (!deps.alive()) throw killed();
          deps.onRequest?.('query', { clientIndex: idx });
          const o = await venue.getOrder(input.market, idx);
          if (o) orders.push(o);
          else missing.push(idx);
        }
        return { orders, missing, at: clock.now() };
      })(),
    ),
  );

  const queryPosition = fromPromise<{ position: VenuePosition; at: number }, { market: string }>(({ input }) =>
    idle.track(
      (async () => {
        await gate.opened;
        if (!deps.alive()) throw killed();
        deps.onRequest?.('query', { position: input.market });
        return { position: await venue.position(input.market), at: clock.now() };
      })(),
    ),
  );

  /** Sets leverage (not gated: it runs before the first reconciliation). */
  const setLeverage = fromPromise<{ leverage: number; at: number }, { market: string; leverage: number }>(({ input }) =>
    idle.track(
      (async () => {
        if (!deps.alive()) throw killed();
        const applied = await venue.setLeverage(input.market, input.leverage);
        return { leverage: applied, at: clock.now() };
      })(),
    ),
  );

  const reconcile = fromPromise<ReconcileReport, ReconcileInput>(({ input }) =>
    idle.track(
      (async () => {
        if (!deps.alive()) throw killed();
        deps.onRequest?.('reconcile', { since: input.since });
        return queryReconcileReport(venue, input.market, input.since, clock.now());
      })(),
    ),
  );

  const deadline = fromCallback<{ type: 'tick'; name: string; at: number }, DeadlineInput>(({ input, sendBack }) => {
    if (!Number.isFinite(input.at) || input.at >= Number.MAX_SAFE_INTEGER) return () => {};
    const id = clock.setTimeout(() => sendBack({ type: 'tick', name: input.name, at: clock.now() }), Math.max(0, input.at - clock.now()));
    return () => clock.clearTimeout(id);
  });

  return { placeOrder, cancelOrder, queryOrder, cancelOrders, queryOrders, queryPosition, setLeverage, reconcile, deadline };
}
