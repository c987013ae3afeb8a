/**
 * VAR-09 — model-based suite of the range-grid root (machines/variants/range-grid/machine.ts):
 * lifecycle and risk regions driven on a real actor with `.provide()` fakes and recording
 * level stubs along generated paths; coverage table printed (per region too); every
 * transition covered, every state reached, invariants after every step, and an operator
 * flatten from every abstract state ends halted with no resting entry. Model:
 * range-root.model.ts; runner: kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { coverageTable, runSuite } from './kit.ts';
import { rangeRootSuite } from './range-root.model.ts';

describe('VAR-09 model-based tests: range-grid root (lifecycle, risk)', () => {
  it('VAR-09 every transition of the range-grid root is covered by generated paths, the invariants hold after every step and a flatten from every state leaves no resting entry', async () => {
    const report = await runSuite(rangeRootSuite);
    console.log(`\nVAR-09 transition coverage (range-grid root)\n${coverageTable([report])}\n`);
    expect(report.total).toBeGreaterThan(0);
    expect(report.haltProbes).toBeGreaterThan(0);
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(report.uncovered).toEqual([]);
    expect(report.unreached).toEqual([]);
  }, 300_000);
});
