/**
 * The trailing-grid config schema: defaults, ranges, the cross-key rule, and the mapping to
 * machine parameters (exact decimal strings, integer ms).
 */
import { describe, expect, it } from 'vitest';
import { YamlNumber } from './values.ts';
import { trailingGridParamsFrom, trailingGridSchema } from './trailing-grid.ts';

const issues = (v: unknown) => {
  const r = trailingGridSchema.safeParse(v);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('trailing-grid config', () => {
  it('fills the defaults and maps to exact machine parameters', () => {
    const cfg = trailingGridSchema.parse({ kind: 'trailing-grid', direction: 'buy', order_size: new YamlNumber(0.002, '0.0020') });
    expect(cfg).toMatchObject({ order_size: '0.002', trail_percent: '0.05', repeg_percent: '0.02', take_profit_percent: '0.1', target_leverage: 5, position_timeout_minutes: 60 });
    expect(trailingGridParamsFrom(cfg)).toMatchObject({ direction: 'buy', orderSize: '0.002', trailPct: '0.05', repegPct: '0.02', takeProfitPct: '0.1', timeoutMs: 3_600_000, multiplier: 2 });
  });

  it('names the key, the value and what is allowed', () => {
    expect(issues({ direction: 'up', order_size: 0 })).toEqual(['direction: "up" is not allowed; allowed buy, sell', 'order_size: 0 is out of range; allowed > 0']);
    expect(issues({ direction: 'buy' })).toEqual(['order_size: required key is missing; expected a decimal number > 0']);
    expect(issues({ direction: 'sell', order_size: 1, trail_percent: 0.01, repeg_percent: 0.01 })).toEqual(['repeg_percent: 0.01 is not below trail_percent 0.01; allowed repeg_percent < trail_percent']);
    expect(issues({ direction: 'sell', order_size: 1, trail: 1 })[0]).toMatch(/^trail: /);
  });
});
