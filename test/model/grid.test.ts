/**
 * VAR-09 — model-based suite of the grid root (machines/grid): lifecycle, entry cycle and risk
 * regions driven on a real actor with `.provide()` fakes along generated paths; coverage table
 * printed (per region too); every transition covered, every state reached, invariants after
 * every step, and an operator flatten from every abstract state of the entry cycle ends halted
 * with no resting entry. Model: grid.model.ts; runner: kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { coverageTable, runSuite } from './kit.ts';
import { gridSuite } from './grid.model.ts';

describe('VAR-09 model-based tests: grid root (entry cycle, lifecycle, risk)', () => {
  it('VAR-09 every transition of the grid root is covered by generated paths, the invariants hold after every step and a halt from every state leaves no resting entry', async () => {
    const report = await runSuite(gridSuite);
    console.log(`\nVAR-09 transition coverage (grid root)\n${coverageTable([report])}\n`);
    expect(report.total).toBeGreaterThan(0);
    expect(report.haltProbes).toBeGreaterThan(0);
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(report.uncovered).toEqual([]);
    expect(report.unreached).toEqual([]);
  }, 300_000);
});
