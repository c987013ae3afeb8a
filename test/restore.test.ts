/**
 * Persist → JSON → restore, for every state that has an invoke or a deadline: snapshots are
 * taken from real bot runs (with venue faults holding the machines in each state), sent
 * through JSON, and restored into machines whose effects are recording fakes. Every invoked
 * actor that was active must be started again with the same input — the same client index
 * for a placement, the same absolute time for a deadline.
 */
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise } from 'xstate';
import { VenueError } from '../adapters/types.ts';
import { gridMachine } from '../machines/grid/machine.ts';
import { positionMachine } from '../machines/position/machine.ts';
import { encodeClientIndex, role } from '../src/domain/client-index.ts';
import { SimClock } from '../src/runtime/clock.ts';
import { startHarness, type Harness } from './harness.ts';

const M = 'TEST';

interface Invoked {
  path: string;
  src: string;
  input: unknown;
}

/** Active invoked/spawned actors of a persisted snapshot, recursively (not position machines themselves). */
function activeInvokes(persisted: any, path = 'grid'): { invokes: Invoked[]; states: string[] } {
  const invokes: Invoked[] = [];
  const states: string[] = [`${path}:${JSON.stringify(persisted.value)}`];
  for (const child of Object.values<any>(persisted.children ?? {})) {
    const snap = child.snapshot;
    if (child.src === 'position') {
      const sub = activeInvokes(snap, `position:${snap.context.n}`);
      invokes.push(...sub.invokes);
      states.push(...sub.states);
    } else if (snap.status === 'active') {
      invokes.push({ path, src: child.src, input: snap.input });
    }
  }
  return { invokes, states };
}

/** Restores a persisted snapshot into machines with recording fakes; returns what they started. */
function restoreAndRecord(persisted: unknown): Invoked[] {
  const started: Invoked[] = [];
  const rec = (path: () => string, src: string) => ({ input }: { input: unknown }) => {
    started.push({ path: path(), src, input });
  };
  const never = () => new Promise<never>(() => {});
  const fakes = (owner: () => string) => ({
    placeOrder: fromPromise(async (a: { input: unknown }) => (rec(owner, 'placeOrder')(a), never())),
    cancelOrder: fromPromise(async (a: { input: unknown }) => (rec(owner, 'cancelOrder')(a), never())),
    queryOrder: fromPromise(async (a: { input: unknown }) => (rec(owner, 'queryOrder')(a), never())),
    cancelOrders: fromPromise(async (a: { input: unknown }) => (rec(owner, 'cancelOrders')(a), never())),
    queryOrders: fromPromise(async (a: { input: unknown }) => (rec(owner, 'queryOrders')(a), never())),
    deadline: fromCallback((a: { input: unknown }) => {
      rec(owner, 'deadline')(a);
      return () => {};
    }),
  });
  const child = positionMachine.provide({
    actors: fakes(() => 'position') as never,
    actions: { journal: () => {} },
  });
  const machine = gridMachine.provide({
    actors: {
      ...fakes(() => 'grid'),
      reconcile: fromPromise(async (a: { input: unknown }) => (rec(() => 'grid', 'reconcile')(a), never())),
      setLeverage: fromPromise(async (a: { input: unknown }) => (rec(() => 'grid', 'setLeverage')(a), never())),
      queryPosition: fromPromise(async (a: { input: unknown }) => (rec(() => 'grid', 'queryPosition')(a), never())),
      position: child,
    } as never,
    actions: { journal: () => {}, reconciled: () => {} },
  });
  const actor = createActor(machine, { snapshot: JSON.parse(JSON.stringify(persisted)), clock: new SimClock(0) } as never);
  actor.start();
  actor.stop();
  return started;
}

/** Collects a persisted snapshot after every settle of a scenario. */
async function collect(
  run: (h: Harness, take: () => void) => Promise<void>,
  before?: (h: Harness) => void,
  params: Parameters<typeof startHarness>[0] = {},
): Promise<unknown[]> {
  const out: unknown[] = [];
  const h = await startHarness({ noStart: true, ...params, params: { timeoutMs: 60_000, ...params.params } });
  before?.(h);
  await h.start();
  const take = () => out.push(JSON.parse(JSON.stringify(h.bot.persistedSnapshot())));
  // Snapshot every 250 ms of simulated time while the scenario runs.
  const advance = h.advance.bind(h);
  h.advance = async (ms: number) => {
    const end = h.clock.now() + ms;
    while (h.clock.now() + 250 < end) {
      await advance(250);
      take();
    }
    await advance(end - h.clock.now());
  };
  take();
  await run(h, take);
  return out;
}

const entry1 = encodeClientIndex(1, 1, role.entry());
const close1 = encodeClientIndex(1, 1, role.close());

describe('persist → JSON → restore of every state with an invoke or a deadline', () => {
  it('restores each active invoke with the same input (same client index, same absolute deadline)', async () => {
    const snaps: unknown[] = [];
    const dropUpdates = (h: Harness) => h.control.dropStreamEvents((e) => e.type === 'order.updated');
    const fill = (h: Harness) => h.control.counterpartyTrade(M, 'sell', '1');
    // Entry: placing (answer held, stream lost), then waitingForFill, cancelling.sending (held).
    let undo: () => void = () => {};
    snaps.push(
      ...(await collect(
        async (h) => {
          await h.advance(3500);
          undo();
          h.control.holdCancelConfirmation(3000);
          await h.advanceTo(64_000);
        },
        (h) => {
          undo = dropUpdates(h);
          h.control.delayResponse('placeOrder', 3000);
        },
      )),
    );
    // Entry: cancelling.backoff and cancelling.confirming (final status lost), recovering.
    snaps.push(
      ...(await collect(async (h) => {
        await h.advanceTo(59_000);
        h.control.failNext('cancelOrder', new VenueError('unavailable', '503'));
        dropUpdates(h);
        await h.advanceTo(75_000);
      })),
    );
    // Entry: recovering (query held) and recoverBackoff (query failing).
    snaps.push(
      ...(await collect(
        async (h) => {
          await h.advance(4000);
        },
        (h) => {
          dropUpdates(h);
          h.control.loseResponse('placeOrder');
          h.control.delayResponse('getOrder', 2000);
          h.control.failNext('getOrder', new VenueError('unavailable', '503'), 1);
        },
      )),
    );
    // Entry: placeBackoff; position: placingExit held, placeBackoff, exitResting.
    snaps.push(
      ...(await collect(
        async (h) => {
          await h.advance(2000);
          undo = dropUpdates(h);
          h.control.delayResponse('placeOrder', 2000);
          h.control.failNext('placeOrder', new VenueError('unavailable', '503'), 1);
          fill(h);
          await h.advance(6000);
          undo();
          await h.advance(1000);
        },
        (h) => h.control.failNext('placeOrder', new VenueError('rate-limited', '429'), 1),
      )),
    );
    // Position: exitCanceled (spacing), marketFallback.spacing / sending (held), recovering.
    snaps.push(
      ...(await collect(
        async (h) => {
          fill(h);
          await h.advance(1000);
          h.control.cancelByUser(M, close1);
          await h.advance(6000);
          for (const k of [1, 2, 3]) {
            h.control.cancelByUser(M, encodeClientIndex(1, 1, role.closeRetry(k)));
            if (k === 3) {
              undo = dropUpdates(h);
              h.control.delayResponse('placeOrder', 2000, 3); // the entry cycle may send first
            }
            await h.advance(6000);
          }
          undo();
          await h.advance(3000);
        },
        undefined,
        { params: { retrySpacingMs: 5000 } },
      )),
    );
    snaps.push(
      ...(await collect(async (h) => {
        fill(h);
        undo = dropUpdates(h);
        h.control.loseResponse('placeOrder');
        h.control.delayResponse('getOrder', 2000);
        await h.advance(4000);
        undo();
      })),
    );
    // Position: replacingExit (refresh before expiry, cancel held); retiring (venue smaller).
    snaps.push(
      ...(await collect(
        async (h) => {
          fill(h);
          await h.advance(1000);
          h.control.holdCancelConfirmation(3000);
          await h.advanceTo(45_000);
          undo = dropUpdates(h);
          h.control.delayResponse('getOrder', 2000, 2);
          await h.advanceTo(75_000);
          undo();
        },
        undefined,
        { params: { exitLifetimeMs: 60_000, exitRefreshLeadMs: 10_000, timeoutMs: 600_000 } },
      )),
    );
    snaps.push(
      ...(await collect(async (h) => {
        fill(h);
        await h.advance(1000);
        h.control.accountMarketTrade(M, 'sell', '1');
        h.control.holdCancelConfirmation(3000);
        await h.advanceTo(25_000);
      }, undefined, { params: { reconcileEveryMs: 20_000 } })),
    );
    const covered = new Set<string>();
    let compared = 0;
    for (const snap of snaps) {
      const { invokes, states } = activeInvokes(snap);
      states.forEach((s) => covered.add(s));
      const started = restoreAndRecord(snap);
      const norm = (xs: Invoked[]) => xs.map((x) => `${x.path.replace(/:\d+$/, '')}|${x.src}|${JSON.stringify(x.input)}`).sort();
      expect(norm(started)).toEqual(norm(invokes));
      compared += invokes.length;
    }
    if (process.env.DEBUG_RESTORE) console.log("\n" + [...covered].join("\n"));
    const srcs = new Set(snaps.flatMap((s) => activeInvokes(s).invokes.map((i) => i.src)));
    for (const need of ['placeOrder', 'deadline', 'queryOrder', 'cancelOrder', 'cancelOrders', 'queryOrders']) expect(srcs.has(need), need).toBe(true);
    const required = [
      'grid:{"lifecycle":"trading","risk":"armed","entry":"ready"}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":"placing"}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":"placeBackoff"}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":"waitingForFill"}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":{"cancelling":"sending"}}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":{"cancelling":"backoff"}}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":{"cancelling":"confirming"}}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":"recovering"}',
      'grid:{"lifecycle":"trading","risk":"armed","entry":"recoverBackoff"}',
      'position:1:"placingExit"',
      'position:1:"placeBackoff"',
      'position:1:"exitResting"',
      'position:1:"exitCanceled"',
      'position:1:"recovering"',
      'position:1:{"marketFallback":"spacing"}',
      'position:1:{"marketFallback":"sending"}',
      'position:1:{"cancelling":"sending"}',
      'position:1:{"cancelling":"confirming"}',
      'position:1:{"cancelling":"querying"}',
    ];
    for (const state of required) {
      expect(covered.has(state), `state ${state} reached in a persisted snapshot`).toBe(true);
    }
    // A restored placement re-sends the same client index.
    const placing = snaps.flatMap((s) => activeInvokes(s).invokes).filter((i) => i.src === 'placeOrder');
    const restored = placing.length > 0;
    expect(restored).toBe(true);
    expect(compared).toBeGreaterThan(20);
  });
});
