/**
 * RSK-13 — invariants over random price paths, long and short (property test, fast-check).
 *
 * Each run: a seeded random-walk book, random hand cancels of the bot's exits (~10 % of exit
 * observations), random partial fills of its resting orders, aggressive recovery. After every
 * step: the venue position never has the sign opposite to the grid; resting reduce-only exit
 * size ≤ |venue position|; the bot's resting exits ≤ max_orders; the tracked total equals the
 * venue position once settled (every entry fill covered by exactly one position or closed);
 * no two live orders share a client index. A failing run prints its seed.
 *
 * Size: PROPERTY_RUNS (default 12 in `npm test`, 200 in the full run) × PROPERTY_MINUTES
 * simulated minutes (default 20; 120 in the full run).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Mulberry32 } from '../../adapters/sim/index.ts';
import { decodeClientIndex } from '../../src/domain/client-index.ts';
import { evaluateGate, evaluateGateDirect } from '../../machines/grid/gate.ts';
import { startHarness } from '../harness.ts';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 12);
const MINUTES = Number(process.env.PROPERTY_MINUTES ?? 20);
const M = 'TEST';

async function run(seed: number, direction: 'buy' | 'sell'): Promise<void> {
  const rng = new Mulberry32(seed >>> 0);
  const h = await startHarness({ params: { direction, gridStepPct: '0.05', maxOrders: 5, waitTimeSec: '2', timeoutMs: 10 * 60_000, recoveryMode: 'aggressive' } });
  const driver = h.venue.addDriver({ mode: 'random-walk', market: M, seed, stepTicks: 3, intervalMs: 1000 });
  const sign = direction === 'buy' ? 1 : -1;
  const fail = (what: string) => {
    if (process.env.DEBUG_PROP) console.log(JSON.stringify(h.journal.map((j) => [j.time, j.type, j.message])), JSON.stringify(h.liveOrders()), JSON.stringify(h.position()));
    throw new Error(`RSK-13 run seed=${seed} direction=${direction} t=${h.clock.now()}: ${what}`);
  };
  for (let step = 0; step < MINUTES * 60; step++) {
    driver.next();
    const live = h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex));
    const r = rng.next();
    if (live.length > 0 && r < 0.05) {
      const o = live[Math.floor((rng.next()) * live.length)];
      if (o.reduceOnly && rng.next() < 0.5) h.control.cancelByUser(M, o.clientIndex);
      else {
        const open = Number(o.size) - Number(o.filledSize);
        const part = Math.max(0.001, Math.floor(open * (rng.next()) * 1000) / 1000);
        h.control.counterpartyFill(M, o.clientIndex, part.toFixed(3));
      }
    }
    await h.advance(1000);
    // Invariants after every step.
    const pos = Number(h.position().size);
    if (pos * sign < -1e-12) fail(`venue position ${pos} against the grid direction`);
    const orders = h.liveOrders();
    const ids = new Set<number>();
    for (const o of orders) {
      if (ids.has(o.clientIndex)) fail(`two live orders share index ${o.clientIndex}`);
      ids.add(o.clientIndex);
    }
    const restingExit = orders.filter((o) => o.reduceOnly).reduce((t, o) => t + Number(o.size) - Number(o.filledSize), 0);
    if (restingExit > Math.abs(pos) + 1e-9) fail(`resting reduce-only exits ${restingExit} > |position| ${Math.abs(pos)}`);
    const s = h.status();
    if (s.restingExits > 5) fail(`${s.restingExits} resting exits > max_orders 5`);
    // The memoized gate equals the direct evaluation on the live context.
    const ctx = h.bot.context();
    const memoized = evaluateGate(ctx);
    const direct = evaluateGateDirect(ctx);
    if (JSON.stringify(memoized) !== JSON.stringify(direct)) fail(`memoized gate ${JSON.stringify(memoized)} ≠ direct ${JSON.stringify(direct)}`);
    const tracked = s.positions.reduce((t, p) => t + Number(p.remaining), 0);
    if (Math.abs(tracked - Math.abs(pos)) > 1e-9) fail(`tracked ${tracked} ≠ venue ${pos}`);
  }
  h.bot.kill();
}

describe('RSK-13 invariants over random price paths', () => {
  for (const direction of ['buy', 'sell'] as const) {
    it(`RSK-13 invariants hold over random price paths (${direction === 'buy' ? 'long' : 'short'}, ${RUNS / 2} runs × ${MINUTES} simulated min)`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
          await run(seed, direction);
          expect(true).toBe(true);
        }),
        { numRuns: Math.max(1, Math.floor(RUNS / 2)), seed: direction === 'buy' ? 13 : 31, endOnFailure: true },
      );
    }, 600_000);
  }
});
