/**
 * ENT scenarios (acceptance-scenarios.md): the entry cycle, on the simulated venue and the
 * simulated clock, through the real bot runtime.
 */
import { describe, expect, it } from 'vitest';
import { startHarness } from '../harness.ts';

describe('ENT entry cycle', () => {
  it('ENT-01 long entry is a post-only bid at the ask minus the tick offset', async () => {
    const h = await startHarness();
    const placed = h.placed();
    expect(placed).toHaveLength(1);
    const p = placed[0];
    expect(p.n).toBe(1);
    expect(p.role.kind).toBe('entry');
    expect(p.req).toMatchObject({ side: 'buy', type: 'limit', timeInForce: 'post-only', reduceOnly: false });
    expect(Number(p.req.price)).toBe(100); // decimal string compared by value
    expect(p.req.size).toMatch(/^1(\.0+)?$/);
    expect(h.status().entryState).toBe('waitingForFill');
    expect(h.events('entry.placed')).toHaveLength(1);
  });
});
