/**
 * VAR-09 — model-based suite of the range-grid level child (level.machine.ts): generated paths
 * driven on real actors with `.provide()` fakes; coverage table printed; every transition
 * covered, every state reached, invariants after every step, and a suspend from every
 * abstract state ends with no resting entry. Model: level.model.ts; runner: kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { coverageTable, runSuite } from './kit.ts';
import { levelSuite } from './level.model.ts';

describe('VAR-09 model-based tests: range-grid level child', () => {
  it('VAR-09 every transition of the level child is covered by generated paths and the invariants hold after every step', async () => {
    const report = await runSuite(levelSuite);
    console.log(`\nVAR-09 transition coverage (range-grid level)\n${coverageTable([report])}\n`);
    expect(report.total).toBeGreaterThan(0);
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(report.uncovered).toEqual([]);
    expect(report.unreached).toEqual([]);
  }, 300_000);
});
