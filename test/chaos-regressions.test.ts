/**
 * Regressions found by the chaos harness (src/chaos/, docs/reliability.md), each named after
 * the seed and run that found it, reproduced deterministically in-process.
 */
import { describe, expect, it } from 'vitest';
import type { Venue, VenueStreamEvent } from '../adapters/types.ts';
import { checkVenue } from '../src/chaos/invariants.ts';
import { MACHINE_VERSION, type GridContext } from '../machines/grid/types.ts';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { Dec } from '../src/domain/decimal.ts';
import { botKey } from '../src/persistence/envelope.ts';
import { SnapshotStore } from '../src/persistence/snapshot-store.ts';
import { SimClock } from '../src/runtime/clock.ts';
import { startHarness, type Harness } from './harness.ts';

const M = 'TEST';

/** Delivers the position update that follows a stop-loss close's fill `lagMs` late (as the WebSocket can). */
function lagPositionAfterStopLossFill(clock: SimClock, lagMs: number): (v: Venue) => Venue {
  return (inner) => {
    const wrapped = Object.create(inner) as Venue;
    wrapped.subscribe = (market, onEvent) => {
      let lagUntil = -Infinity;
      return inner.subscribe(market, (ev: VenueStreamEvent) => {
        if (ev.type === 'order.filled' && decodeClientIndex(ev.fill.clientIndex)?.role.kind === 'stop-loss-close') lagUntil = clock.now() + lagMs;
        if (ev.type === 'position.updated' && clock.now() <= lagUntil) {
          clock.setTimeout(() => onEvent(ev), lagMs);
          return;
        }
        onEvent(ev);
      });
    };
    return wrapped;
  };
}

/** `position()` answers `size` once when armed (a read that raced a fill), the truth after. */
function stalePositionOnce(): { wrap: (v: Venue) => Venue; arm: (size: string) => void } {
  let lie: string | undefined;
  return {
    arm: (size) => (lie = size),
    wrap: (inner) => {
      const wrapped = Object.create(inner) as Venue;
      wrapped.position = async (market) => {
        const p = await inner.position(market);
        if (lie === undefined) return p;
        const out = { ...p, size: lie };
        lie = undefined;
        return out;
      };
      return wrapped;
    },
  };
}

/** Exit cancels that never get an answer (the bot dies with them in flight). */
function exitCancelsHang(inner: Venue): Venue {
  const wrapped = Object.create(inner) as Venue;
  wrapped.cancelOrder = (market, clientIndex) => (decodeClientIndex(clientIndex)?.role.kind === 'entry' ? inner.cancelOrder(market, clientIndex) : new Promise<void>(() => {}));
  return wrapped;
}

/**
 * Rewrites the stored root's summary of position `n` to `state`: the snapshot a kill leaves
 * when the root was written before it took in its child's latest summary.
 */
async function staleSummaryInStore(h: Harness, n: number, state: string): Promise<void> {
  const identity = h.identity();
  const store = new SnapshotStore(h.kv);
  const env = (await store.load(botKey(identity), { machineVersion: MACHINE_VERSION, bot: identity }))!;
  const ctx = (env.snapshot as { context: GridContext }).context;
  ctx.positions[n] = { ...ctx.positions[n]!, state };
  await store.save(botKey(identity), env);
}

describe('chaos regressions', () => {
  it('RST-11 chaos seed 1 run 153: one reconcile report whose position disagrees with its fills retires nothing; the venue is asked again and the tracked position keeps its exit', async () => {
    const stale = stalePositionOnce();
    const h = await startHarness({ wrapVenue: stale.wrap });
    h.control.counterpartyTrade(M, 'sell', '1'); // grid-1's entry fills; its exit rests
    await h.advance(1000);
    expect(h.status().positions.map((p) => p.n)).toEqual([1]);
    const exit = h.liveOrders().find((o) => o.reduceOnly)!;
    expect(exit).toBeDefined();
    stale.arm('0'); // the next report reads the position as flat
    await h.advance(6 * 60_000); // periodic reconcile (every 5 min), then the confirming one
    expect(h.events('venue.totals-unconfirmed')).toHaveLength(1);
    expect(h.events('position.mismatch')).toEqual([]);
    expect(h.events('position.untracked')).toEqual([]);
    expect(h.status().positions.map((p) => p.n)).toEqual([1]);
    expect(h.liveOrders().find((o) => o.clientIndex === exit.clientIndex)?.status).toBe('open');
    expect(new Dec(h.position().size).toFixed()).toBe('1');
  });


  it('RSK-13 chaos seed 1 run 29: a stop-loss close whose fill arrives before the position update retires the positions as soon as the venue is flat, leaving no exit resting against a flat position', async () => {
    const clock = new SimClock(0);
    const h = await startHarness({ clock, params: { stopLossEnabled: true, stopLossPct: '2.0' }, wrapVenue: lagPositionAfterStopLossFill(clock, 300) });
    h.control.counterpartyTrade(M, 'sell', '1'); // grid-1's entry fills; its exit rests
    await h.advance(1000);
    expect(h.liveOrders().filter((o) => o.reduceOnly)).toHaveLength(1);
    h.control.setBook(M, '99.78', '99.82'); // mid 99.80 ≤ stop-loss level 99.90
    await h.advance(2000);
    expect(h.events('stop-loss.initiated')).toHaveLength(1);
    expect(new Dec(h.position().size).toFixed()).toBe('0');
    // 2 s after the trigger (well inside the ≥ 5 s close back-off): exits cancelled, positions retired.
    const records = { direction: 'buy' as const, slot: 1, maxOrders: 10, position: h.position().size, liveOrders: h.liveOrders(), fills: [] };
    expect(checkVenue(records)).toEqual([]);
    expect(h.status().positions).toEqual([]);
    expect(h.events('stop-loss.executed')).toHaveLength(1);
  });
  it('RST-11 chaos seed 1 run 415: a bot killed while its stop-loss flatten retires the positions retires them at once after the restart reconciles (no confirming report), so no exit outlives the flat venue', async () => {
    const clock = new SimClock(0);
    const h = await startHarness({ clock, params: { stopLossEnabled: true, stopLossPct: '2.0' }, wrapVenue: exitCancelsHang });
    h.control.counterpartyTrade(M, 'sell', '1'); // grid-1's entry fills; its exit rests
    await h.advance(1000);
    expect(h.liveOrders().filter((o) => o.reduceOnly)).toHaveLength(1);
    h.control.setBook(M, '99.78', '99.82'); // mid 99.80 ≤ stop-loss level 99.90
    await h.advance(2000);
    expect(new Dec(h.position().size).toFixed()).toBe('0'); // the close filled
    expect(h.bot.snapshot().matches({ risk: { flattening: 'retiring' } })).toBe(true);
    expect(h.liveOrders().filter((o) => o.reduceOnly)).toHaveLength(1); // grid-1's exit cancel is in flight
    await h.quiesce();
    h.bot.kill(); // kill -9 …
    await staleSummaryInStore(h, 1, 'exitResting'); // … with the root's summary of grid-1 one step behind its child

    await h.start({ wrapVenue: (v) => v });
    await h.advance(300); // well inside TOTALS_CONFIRM_MS (1 s)
    expect(h.events('venue.totals-unconfirmed')).toEqual([]);
    expect(h.events('position.untracked')).toEqual([]);
    expect(h.liveOrders().filter((o) => o.reduceOnly)).toEqual([]);
    expect(checkVenue({ direction: 'buy', slot: 1, maxOrders: 10, position: h.position().size, liveOrders: h.liveOrders(), fills: [] })).toEqual([]);
    expect(h.status().positions).toEqual([]);
    expect(h.events('stop-loss.executed')).toHaveLength(1);
    expect(h.placed().filter((p) => p.role.kind === 'stop-loss-close')).toHaveLength(1);
  });
});
