/** The fault plan: deterministic per (seed, run), inside the active window, every kind reachable. */
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, FIRST_FAULT_MS, KILL_KINDS, LAST_FAULT_GAP_MS, planRun } from './plan.ts';

describe('chaos fault plan', () => {
  it('is the same for the same seed and run, and differs between runs', () => {
    expect(planRun(5, 3)).toEqual(planRun(5, 3));
    expect(planRun(5, 4)).not.toEqual(planRun(5, 3));
    expect(planRun(6, 3)).not.toEqual(planRun(5, 3));
  });

  it('schedules sorted faults inside the active window, at most two kills per run, and reaches every kind over a batch', () => {
    const seen = new Set<string>();
    for (let run = 1; run <= 200; run++) {
      const p = planRun(1, run);
      const ats = p.faults.map((f) => f.at);
      expect(ats).toEqual([...ats].sort((a, b) => a - b));
      for (const f of p.faults) {
        expect(f.at).toBeGreaterThanOrEqual(FIRST_FAULT_MS);
        expect(f.at).toBeLessThanOrEqual(p.activeMs - LAST_FAULT_GAP_MS);
        seen.add(f.kind);
      }
      expect(p.faults.filter((f) => KILL_KINDS.has(f.kind)).length).toBeLessThanOrEqual(2);
      expect(['buy', 'sell']).toContain(p.direction);
    }
    expect([...seen].sort()).toEqual([...FAULT_KINDS].sort());
  });

  it('refuses a run number below 1 or a non-integer seed', () => {
    expect(() => planRun(1, 0)).toThrow('chaos run 0 must be an integer ≥ 1');
    expect(() => planRun(1.5, 1)).toThrow('chaos seed 1.5 must be an integer');
  });
});
