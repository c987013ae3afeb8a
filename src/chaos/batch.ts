/**
 * A chaos batch: runs 1..N of a seed (or one run to replay it) of one strategy variant
 * (`dynamic-grid`, the default, or `range-grid`), at most `parallel` at a time, then the
 * report. One throwaway API key pair is generated per batch (its private half goes to the
 * children's environment only).
 *
 * Invariants: run K of seed S is the same plan whatever N or P (plan.ts); results are
 * reported in run order; a run that throws becomes a violation, never an unhandled error.
 */
import { generateApiKey } from '../../adapters/lighter/signer/signer.ts';
import { buildReport, type ChaosReport } from './report.ts';
import { CHAOS_VARIANTS, runOne, type ChaosVariant, type RunResult } from './run.ts';

export interface ChaosBatchOptions {
  seed: number;
  /** Runs 1..runs (ignored when `only` is set). */
  runs: number;
  /** Replay this single run. */
  only?: number;
  parallel: number;
  /** Strategy variant the bots run (default dynamic-grid). */
  variant?: ChaosVariant;
  keepDirs?: boolean;
  /** Called after each run (progress). */
  onRun?: (r: RunResult, done: number, total: number) => void;
  trace?: (line: string) => void;
}

export async function runChaos(o: ChaosBatchOptions): Promise<ChaosReport> {
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed ${o.seed} must be an integer`);
  if (!(Number.isInteger(o.parallel) && o.parallel >= 1)) throw new RangeError(`parallel ${o.parallel} must be an integer ≥ 1`);
  const list = o.only !== undefined ? [o.only] : Array.from({ length: o.runs }, (_, i) => i + 1);
  const variant = o.variant ?? 'dynamic-grid';
  if (!CHAOS_VARIANTS.includes(variant)) throw new RangeError(`variant ${String(variant)} is not one the harness runs; allowed ${CHAOS_VARIANTS.join(', ')}`);
  const t0 = Date.now();
  const key = await generateApiKey();
  const results: RunResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const run = list[next++]!;
      let r: RunResult;
      try {
        r = await runOne({ seed: o.seed, run, key, variant, ...(o.keepDirs ? { keepDir: true } : {}), ...(o.trace ? { trace: (l) => o.trace!(`[run ${run}] ${l}`) } : {}) });
      } catch (err) {
        r = { seed: o.seed, run, variant, direction: 'buy', injected: {}, planned: 0, restarts: 0, reconcileMs: [], reconcileAfterConnectMs: [], violations: [{ invariant: 'bot-exit', detail: `the run failed: ${(err as Error).message}` }], stats: { fills: 0, entryFills: 0, postOnlyCancels: 0, txs: 0, priceMoves: 0 }, wallMs: 0 };
      }
      results.push(r);
      o.onRun?.(r, results.length, list.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.parallel, list.length) }, worker));
  results.sort((a, b) => a.run - b.run);
  return buildReport(o.seed, results, Date.now() - t0, variant);
}
