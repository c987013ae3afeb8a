import { describe, it, expect } from 'vitest';
import { makeScale, money, D } from './units.ts';
import { isVenueError } from '../types.ts';

describe('makeScale', () => {
  it('parses and formats exact multiples of the step', () => {
    const tick = makeScale('0.01', 'tick');
    expect(tick.toUnits('100.02', 'price')).toBe(10002);
    expect(tick.toUnits('100.020', 'price')).toBe(10002);
    expect(tick.toUnits('100', 'price')).toBe(10000);
    expect(tick.format(10002)).toBe('100.02');
    expect(tick.format(5)).toBe('0.05');
    expect(tick.format(-5)).toBe('-0.05');
    const step = makeScale('0.00001', 'size step');
    expect(step.toUnits('1', 'size')).toBe(100000);
    expect(step.format(1)).toBe('0.00001');
    expect(step.format(0)).toBe('0.00000');
  });

  it('handles non-power-of-ten steps', () => {
    const half = makeScale('0.5', 'tick');
    expect(half.toUnits('2.5', 'price')).toBe(5);
    expect(half.format(5)).toBe('2.5');
    expect(() => half.toUnits('2.2', 'price')).toThrow(/price 2.2 is not a multiple of tick 0.5/);
  });

  it('rejects off-grid and malformed values with a VenueError naming the value', () => {
    const tick = makeScale('0.01', 'tick');
    for (const bad of ['100.005', '-1', '1e3', 'abc', '']) {
      let err: unknown;
      try {
        tick.toUnits(bad, 'price');
      } catch (e) {
        err = e;
      }
      expect(isVenueError(err) && err.kind).toBe('rejected');
      expect((err as Error).message).toContain(`${bad}`);
    }
  });

  it('money keeps at least two decimals and rounds long quotients', () => {
    expect(money(new D('10'))).toBe('10.00');
    expect(money(new D('0.0060024'))).toBe('0.0060024');
    expect(money(new D(1).div(3))).toBe('0.3333333333');
  });
});
