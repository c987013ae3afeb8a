/**
 * VAR-09 — model-based suite of the position child (machines/position): generated paths
 * driven on real actors with `.provide()` fakes; coverage table printed; every transition
 * covered, every state reached, invariants after every step, and a retire from every
 * abstract state ends with no live exit order. Model: position.model.ts; runner: kit.ts.
 */
import { describe, expect, it } from 'vitest';
import { coverageTable, runSuite } from './kit.ts';
import { positionSuite } from './position.model.ts';

describe('VAR-09 model-based tests: position child', () => {
  it('VAR-09 every transition of the position child is covered by generated paths and the invariants hold after every step', async () => {
    const report = await runSuite(positionSuite);
    console.log(`\nVAR-09 transition coverage (position)\n${coverageTable([report])}\n`);
    expect(report.total).toBeGreaterThan(0);
    expect(report.violations.slice(0, 20)).toEqual([]);
    expect(report.uncovered).toEqual([]);
    expect(report.unreached).toEqual([]);
  }, 180_000);
});
