/** The range-grid strategy of a chaos run: deterministic, valid for the range-grid schema, every option reachable. */
import { describe, expect, it } from 'vitest';
import { rangeGridSchema, checkRangeGridMarket } from '../config/range-grid.ts';
import { Dec } from '../domain/decimal.ts';
import { planRun } from './plan.ts';
import { maxRangeExits, planRange, rangeStrategyYaml } from './range-plan.ts';
import { parse } from 'yaml';

describe('chaos range plan', () => {
  it('is a pure function of (seed, run); long / short follow the run plan, neutral aside', () => {
    for (let run = 1; run <= 40; run++) {
      const plan = planRun(1, run);
      const r = planRange(plan);
      expect(planRange(planRun(1, run))).toEqual(r);
      if (r.direction !== 'neutral') expect(r.direction).toBe(plan.direction === 'buy' ? 'long' : 'short');
    }
  });

  it('every config of seeds 1 and 2 (runs 1..100) passes the range-grid schema and the BTC tick check, with a small range and few resting entries', () => {
    const seen = { direction: new Set<string>(), onExitRange: new Set<string>(), spacing: new Set<string>(), stop: 0 };
    for (const seed of [1, 2]) {
      for (let run = 1; run <= 100; run++) {
        const r = planRange(planRun(seed, run));
        const parsed = rangeGridSchema.safeParse(parse(rangeStrategyYaml(r)));
        expect(parsed.success, `seed ${seed} run ${run}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
        expect(checkRangeGridMarket(parsed.data!, '0.1')).toBeNull();
        expect(new Dec(r.upperPrice).minus(r.lowerPrice).lte(240), `range ${r.lowerPrice}..${r.upperPrice}`).toBe(true);
        expect(r.maxRestingOrders).toBeLessThanOrEqual(6);
        expect(maxRangeExits(r)).toBe(r.direction === 'neutral' ? r.gridCount + 1 : r.gridCount);
        seen.direction.add(r.direction);
        seen.onExitRange.add(r.onExitRange);
        seen.spacing.add(r.spacing);
        if (r.stopPrice !== undefined) seen.stop++;
      }
    }
    expect([...seen.direction].sort()).toEqual(['long', 'neutral', 'short']);
    expect([...seen.onExitRange].sort()).toEqual(['close', 'halt', 'hold']);
    expect([...seen.spacing].sort()).toEqual(['arithmetic', 'geometric']);
    expect(seen.stop).toBeGreaterThan(0);
  });
});
