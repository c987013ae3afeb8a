/**
 * The CI chaos batch (issue #6): CHAOS_RUNS (default 20) runs of CHAOS_SEED (default 1) —
 * the Lighter simulator server in this process, the bot as `grid-bot run` child processes on
 * real sockets and SQLite stores, seeded faults (kill -9 at random moments, between a sent
 * transaction and its answer, after a fill and during store writes; WebSocket drops and
 * refusals; dropped, duplicated and reordered frames; delayed and timed-out answers; REST
 * 5xx and 429; refused and sequencer-failed transactions; post-only storms; partial fills;
 * order expiry; book gaps) — fails on any invariant violation, printing each with the command
 * that replays it. The full size is `npm run chaos -- --runs 500` (docs/reliability.md).
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos/batch.ts';
import { formatReport } from '../src/chaos/report.ts';

const SEED = Number(process.env.CHAOS_SEED ?? 1);
const RUNS = Number(process.env.CHAOS_RUNS ?? 20);

describe('chaos batch over real processes', () => {
  it(`RST-11 chaos: ${RUNS} runs of seed ${SEED} with kill -9, socket, venue and market faults break no invariant`, async () => {
    const report = await runChaos({ seed: SEED, runs: RUNS, parallel: 2 });
    const text = formatReport(report);
    console.log(text);
    expect(report.violations, text).toEqual([]);
    expect(report.runs).toBe(RUNS);
    expect(report.faultsTotal, text).toBeGreaterThan(0);
    if (RUNS >= 20) {
      // A full CI batch exercised what it claims: faults of many kinds, restarts after kill -9, trading.
      expect(Object.values(report.faults).filter((n) => n > 0).length, text).toBeGreaterThanOrEqual(10);
      expect(report.restarts, text).toBeGreaterThan(0);
      expect(report.reconcileMs.count, text).toBeGreaterThan(0);
      expect(report.venue.runsWithFills, text).toBeGreaterThan(0);
    }
  }, 1_800_000);
});
