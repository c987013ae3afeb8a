/** The batch report: percentiles, fault totals, violations with their replay command. */
import { describe, expect, it } from 'vitest';
import { buildReport, formatReport, percentile } from './report.ts';
import type { RunResult } from './run.ts';

const result = (run: number, o: Partial<RunResult> = {}): RunResult => ({
  seed: 9,
  run,
  direction: 'buy',
  injected: {},
  planned: 0,
  restarts: 0,
  reconcileMs: [],
  reconcileAfterConnectMs: [],
  violations: [],
  stats: { fills: 0, entryFills: 0, postOnlyCancels: 0, txs: 0, priceMoves: 0 },
  wallMs: 1000,
  ...o,
});

describe('chaos report', () => {
  it('nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5], 0.99)).toBe(5);
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.99)).toBe(99);
  });

  it('adds faults by kind and restarts, and lists each violation with the command that replays it', () => {
    const r = buildReport(
      9,
      [
        result(1, { injected: { 'kill-random': 1, 'ws-drop': 2 }, restarts: 1, reconcileMs: [1200], reconcileAfterConnectMs: [300], stats: { fills: 3, entryFills: 2, postOnlyCancels: 1, txs: 10, priceMoves: 50 } }),
        result(2, { injected: { 'ws-drop': 1 }, violations: [{ invariant: 'orphan-order', detail: 'live sell …' }] }),
      ],
      5000,
    );
    expect(r.ok).toBe(false);
    expect(r.faults['ws-drop']).toBe(3);
    expect(r.faults['kill-random']).toBe(1);
    expect(r.faultsTotal).toBe(4);
    expect(r.restarts).toBe(1);
    expect(r.reconcileMs).toEqual({ count: 1, p50: 1200, p99: 1200, max: 1200 });
    expect(r.reconcileAfterConnectMs).toEqual({ count: 1, p50: 300, p99: 300, max: 300 });
    expect(r.violations).toEqual([{ seed: 9, run: 2, invariant: 'orphan-order', detail: 'live sell …', replay: 'npm run chaos -- --seed 9 --run 2' }]);
    const text = formatReport(r);
    expect(text).toContain('2 runs, 1 VIOLATIONS');
    expect(text).toContain('seed 9 run 2 orphan-order: live sell …');
    expect(text).toContain('replay: npm run chaos -- --seed 9 --run 2');
    expect(buildReport(9, [result(1)], 10).ok).toBe(true);
    expect(r.variant).toBe('dynamic-grid');
    expect(text).toContain('chaos report: dynamic-grid, seed 9');
  });

  it('names the variant that ran, and its replay command selects it', () => {
    const r = buildReport(3, [result(4, { seed: 3, variant: 'range-grid', violations: [{ invariant: 'live-entries-exceed-max-resting', detail: '7 live entry orders > max_resting_orders 6' }] })], 100, 'range-grid');
    expect(r.variant).toBe('range-grid');
    expect(r.violations[0]!.replay).toBe('npm run chaos -- --variant range-grid --seed 3 --run 4');
    expect(formatReport(r)).toContain('chaos report: range-grid, seed 3, 1 runs, 1 VIOLATIONS');
  });
});

describe('reconcile times', () => {
  it('measure each restart from its spawn and from its venue connection to its first venue.reconciled; a start killed before reconciling has none', async () => {
    const { reconcileTimes } = await import('./run.ts');
    const at = (ms: number) => new Date(ms).toISOString();
    const line = (ms: number, type: string) => ({ time: at(ms), market: 'BTC', level: 'info' as const, type, message: '', payload: {} });
    const journal = [
      line(1_000, 'live.started'),
      line(1_500, 'venue.reconciled'),
      line(10_000, 'live.started'), // start 2 (spawned at 8 000), killed before reconciling
      line(20_000, 'live.started'), // start 3 (spawned at 15 000)
      line(20_400, 'venue.reconciled'),
      line(21_000, 'venue.reconciled'),
    ];
    expect(reconcileTimes(journal, [0, 8_000, 15_000])).toEqual({ fromStart: [5_400], fromConnect: [400] });
  });
});
