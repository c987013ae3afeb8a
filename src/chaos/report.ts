/**
 * The report of a chaos batch: the strategy variant that ran, runs, faults injected by kind, restarts, invariant violations
 * (each with the seed and run that replay it), time to reconcile after a restart (p50/p99),
 * and what the venue saw (fills, post-only cancels, transactions) as evidence that the runs
 * traded. Text for people, JSON for tools.
 *
 * Invariants: pure (no I/O); percentiles are nearest-rank over every restart of the batch;
 * `ok` is true exactly when no run has a violation.
 */
import { FAULT_KINDS, type FaultKind } from './plan.ts';
import type { RunResult } from './run.ts';

export interface Percentiles {
  count: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

export interface ChaosReport {
  /** Strategy variant the bots ran (dynamic-grid or range-grid). */
  variant: string;
  seed: number;
  runs: number;
  ok: boolean;
  faults: Record<FaultKind, number>;
  faultsTotal: number;
  restarts: number;
  /** Restart (spawn) → venue.reconciled, wall ms. */
  reconcileMs: Percentiles;
  /** Restart's venue connection (live.started) → venue.reconciled, wall ms. */
  reconcileAfterConnectMs: Percentiles;
  violations: Array<{ seed: number; run: number; invariant: string; detail: string; replay: string; dir?: string }>;
  venue: { fills: number; entryFills: number; postOnlyCancels: number; txs: number; runsWithFills: number };
  wallMs: { total: number; perRunP50: number | null };
}

/** Nearest-rank percentile (q in (0, 1]) of a non-empty list. */
export function percentile(values: number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function replayCommand(seed: number, run: number, variant = 'dynamic-grid'): string {
  return `npm run chaos -- ${variant === 'dynamic-grid' ? '' : `--variant ${variant} `}--seed ${seed} --run ${run}`;
}

export function buildReport(seed: number, results: RunResult[], totalWallMs: number, variant = 'dynamic-grid'): ChaosReport {
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const r of results) for (const [k, n] of Object.entries(r.injected)) faults[k as FaultKind] += n ?? 0;
  const stat = (xs: number[]): Percentiles => ({ count: xs.length, p50: percentile(xs, 0.5), p99: percentile(xs, 0.99), max: xs.length ? Math.max(...xs) : null });
  return {
    variant,
    seed,
    runs: results.length,
    ok: results.every((r) => r.violations.length === 0),
    faults,
    faultsTotal: Object.values(faults).reduce((a, b) => a + b, 0),
    restarts: results.reduce((t, r) => t + r.restarts, 0),
    reconcileMs: stat(results.flatMap((r) => r.reconcileMs)),
    reconcileAfterConnectMs: stat(results.flatMap((r) => r.reconcileAfterConnectMs)),
    violations: results.flatMap((r) => r.violations.map((v) => ({ seed: r.seed, run: r.run, invariant: v.invariant, detail: v.detail, replay: replayCommand(r.seed, r.run, variant), ...(r.dir ? { dir: r.dir } : {}) }))),
    venue: {
      fills: results.reduce((t, r) => t + r.stats.fills, 0),
      entryFills: results.reduce((t, r) => t + r.stats.entryFills, 0),
      postOnlyCancels: results.reduce((t, r) => t + r.stats.postOnlyCancels, 0),
      txs: results.reduce((t, r) => t + r.stats.txs, 0),
      runsWithFills: results.filter((r) => r.stats.fills > 0).length,
    },
    wallMs: { total: totalWallMs, perRunP50: percentile(results.map((r) => r.wallMs), 0.5) },
  };
}

export function formatReport(r: ChaosReport): string {
  const s = (ms: number | null) => (ms === null ? 'n/a' : `${(ms / 1000).toFixed(2)} s`);
  const lines = [
    `chaos report: ${r.variant}, seed ${r.seed}, ${r.runs} runs, ${r.violations.length === 0 ? '0 violations' : `${r.violations.length} VIOLATIONS`} (${s(r.wallMs.total)} wall, ${s(r.wallMs.perRunP50)} per run p50)`,
    `faults injected: ${r.faultsTotal}`,
    ...Object.entries(r.faults).map(([k, n]) => `  ${k.padEnd(20)} ${n}`),
    `restarts (after kill -9): ${r.restarts}`,
    `time to reconcile after a restart (process start → venue.reconciled): p50 ${s(r.reconcileMs.p50)}, p99 ${s(r.reconcileMs.p99)}, max ${s(r.reconcileMs.max)} over ${r.reconcileMs.count} restarts`,
    `  of which venue connected → venue.reconciled: p50 ${s(r.reconcileAfterConnectMs.p50)}, p99 ${s(r.reconcileAfterConnectMs.p99)}, max ${s(r.reconcileAfterConnectMs.max)}`,
    `venue: ${r.venue.fills} fills (${r.venue.entryFills} entry fills journaled) in ${r.venue.runsWithFills}/${r.runs} runs, ${r.venue.postOnlyCancels} post-only cancels, ${r.venue.txs} transactions`,
  ];
  if (r.violations.length > 0) {
    lines.push('violations:');
    for (const v of r.violations) lines.push(`  seed ${v.seed} run ${v.run} ${v.invariant}: ${v.detail.split('\n')[0]}`, `    replay: ${v.replay}${v.dir ? ` (kept: ${v.dir})` : ''}`);
  }
  return lines.join('\n');
}
