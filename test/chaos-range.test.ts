/**
 * The range grid under the chaos harness (issue #8): CHAOS_RANGE_RUNS (default 8) runs of
 * CHAOS_RANGE_SEED (default 1), `variant: range-grid` — the Lighter simulator server in this
 * process, `grid-bot run` with a `strategy.kind: range-grid` config (long, short or neutral;
 * on_exit_range hold / halt / close; sometimes a stop price — src/chaos/range-plan.ts) as child
 * processes on real sockets and SQLite stores, the same seeded faults as the dynamic-grid batch
 * (kill -9 at random moments, on a transaction answer, after a fill and during store writes;
 * socket, frame, answer, REST and sequencer faults; post-only storms; partial fills; expiry;
 * book gaps). Fails on any invariant violation (many live entries, one exit per holding level,
 * the level ledger against the venue position — docs/reliability.md "Range grid under the
 * harness"), printing each with the command that replays it.
 */
import { describe, expect, it } from 'vitest';
import { runChaos } from '../src/chaos/batch.ts';
import { formatReport } from '../src/chaos/report.ts';

const SEED = Number(process.env.CHAOS_RANGE_SEED ?? 1);
const RUNS = Number(process.env.CHAOS_RANGE_RUNS ?? 8);

describe('range grid chaos batch over real processes', () => {
  it(`range-grid chaos: ${RUNS} runs of seed ${SEED} with kill -9, socket, venue and market faults break no invariant`, async () => {
    const report = await runChaos({ seed: SEED, runs: RUNS, parallel: 2, variant: 'range-grid' });
    const text = formatReport(report);
    console.log(text);
    expect(report.variant).toBe('range-grid');
    expect(report.violations, text).toEqual([]);
    expect(report.runs).toBe(RUNS);
    expect(report.faultsTotal, text).toBeGreaterThan(0);
    // The batch traded: levels filled (entries and exits) in most runs.
    expect(report.venue.runsWithFills, text).toBeGreaterThan(0);
    expect(report.venue.entryFills, text).toBeGreaterThan(0);
    if (RUNS >= 8) {
      expect(report.restarts, text).toBeGreaterThan(0);
      expect(report.reconcileMs.count, text).toBeGreaterThan(0);
    }
  }, 1_800_000);
});
