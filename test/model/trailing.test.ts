/**
 * VAR-09 — model-based suite of the trailing-grid root (machines/variants/trailing-grid):
 * lifecycle and round trip driven on a real actor with `.provide()` fakes (the position child
 * stubbed) along generated paths; coverage table printed; every transition covered, every
 * state reached, invariants after every step, and an operator pause from every abstract state
 * of the round trip leaves no resting entry. Model: trailing.model.ts; runner: kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { coverageTable, runSuite } from './kit.ts';
import { trailingSuite } from './trailing.model.ts';

describe('VAR-09 model-based tests: trailing-grid root (lifecycle, round trip)', () => {
  it('VAR-09 every transition of the trailing-grid root is covered by generated paths, the invariants hold after every step and a pause from every state leaves no resting entry', async () => {
    const report = await runSuite(trailingSuite);
    console.log(`\nVAR-09 transition coverage (trailing-grid root)\n${coverageTable([report])}\n`);
    expect(report.total).toBeGreaterThan(0);
    expect(report.haltProbes).toBeGreaterThan(0);
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(report.uncovered).toEqual([]);
    expect(report.unreached).toEqual([]);
  }, 300_000);
});
