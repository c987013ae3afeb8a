import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';
import { dynamicGridSchema, registerStrategySchema, strategySchema } from './schema.ts';
import { decimalField, enumField, mapping } from './fields.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridchart-cfg-schema-'));
let seq = 0;
function file(text: string, name = `cfg-${++seq}.yaml`): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** The acceptance "Base fixture" config (long grid). */
const BASE: Record<string, string> = {
  direction: 'buy',
  quantity: '1',
  take_profit: '0.8',
  take_profit_basis: 'margin',
  target_leverage: '20',
  grid_step: '0.2',
  max_orders: '5',
  wait_time: '10',
  max_margin_usd: '1000',
  stop_loss_enabled: 'false',
  stop_loss_percentage: '2.0',
  position_timeout_minutes: '60',
  recovery_mode: 'aggressive',
  post_only_tick_multiplier: '2',
  boost_mode: 'false',
};

function fixture(override: Record<string, string | null> = {}): string {
  const merged: Record<string, string | null> = { ...BASE, ...override };
  return Object.entries(merged)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n');
}

function loadError(text: string): ConfigError {
  try {
    loadConfig({ file: file(text) });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('dynamic-grid schema', () => {
  it('CFG-01 the grid keys load with their meanings and §3 defaults', () => {
    const { config, warnings } = loadConfig({
      file: file('direction: buy\nquantity: 1\ntarget_leverage: 20\nmax_margin_usd: 40\n'),
    });
    expect(warnings).toEqual([]);
    expect(config.venue).toEqual({ kind: 'sim' });
    expect(config.instance_slot).toBe(1);
    expect(config.strategy).toEqual({
      kind: 'dynamic-grid',
      direction: 'buy',
      quantity: '1',
      target_leverage: 20,
      max_margin_usd: '40',
      take_profit: '0.08',
      take_profit_basis: 'margin',
      grid_step: '0.002',
      max_orders: 25,
      wait_time: 10,
      stop_loss_enabled: true,
      stop_loss_percentage: '2',
      position_timeout_minutes: 60,
      recovery_mode: 'aggressive',
      post_only_tick_multiplier: 2,
      boost_mode: false,
      market_slippage_percent: '2',
    });
  });

  it('CFG-01 with both order_notional_usd and quantity the notional is used (and the dropped quantity is reported)', () => {
    const { config, warnings } = loadConfig({
      file: file('direction: sell\norder_notional_usd: 300\nquantity: 1\ntarget_leverage: 20\nmax_margin_usd: 40\n', 'both.yaml'),
    });
    expect(config.strategy.order_notional_usd).toBe('300');
    expect(config.strategy.quantity).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('quantity');
    expect(warnings[0]).toContain('both.yaml');
  });

  it('CFG-01 with neither order_notional_usd nor quantity loading fails with exit code 2 naming both keys', () => {
    const err = loadError('direction: buy\ntarget_leverage: 20\nmax_margin_usd: 40\n');
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('order_notional_usd');
    expect(err.message).toContain('quantity');
  });

  it('CFG-01 the base fixture of the acceptance scenarios loads exactly', () => {
    const { config } = loadConfig({ file: file(fixture()) });
    expect(config.strategy).toMatchObject({
      direction: 'buy',
      quantity: '1',
      take_profit: '0.8',
      grid_step: '0.2',
      max_orders: 5,
      max_margin_usd: '1000',
      stop_loss_enabled: false,
      stop_loss_percentage: '2',
    });
  });

  it('keeps decimals exact: YAML numbers become decimal strings from their source text, never floats', () => {
    const { config } = loadConfig({
      file: file(fixture({ take_profit: '0.1', grid_step: '0.30000000000000004441', quantity: '1e-3', max_margin_usd: '"12.50"' })),
    });
    expect(config.strategy.take_profit).toBe('0.1');
    expect(config.strategy.grid_step).toBe('0.30000000000000004441');
    expect(config.strategy.quantity).toBe('0.001');
    expect(config.strategy.max_margin_usd).toBe('12.5');
  });

  it('accepts optional stop_price / pause_price and decimal durations', () => {
    const { config } = loadConfig({
      file: file(fixture({ stop_price: '95.5', pause_price: '110', wait_time: '2.5', position_timeout_minutes: '1.5' })),
    });
    expect(config.strategy.stop_price).toBe('95.5');
    expect(config.strategy.pause_price).toBe('110');
    expect(config.strategy.wait_time).toBe(2.5);
    expect(config.strategy.position_timeout_minutes).toBe(1.5);
  });
});

describe('CFG-03 invalid values name the key, the value and the allowed range', () => {
  const bad: [key: string, value: string, shown: string, allowed: string][] = [
    ['max_orders', '0', '0', '1..1000'],
    ['max_orders', '1001', '1001', '1..1000'],
    ['post_only_tick_multiplier', '21', '21', '1..20'],
    ['stop_loss_percentage', '0.04', '0.04', '0.05..10'],
    ['stop_loss_percentage', '12', '12', '0.05..10'],
    ['take_profit', '0', '0', '(0, 100]'],
    ['take_profit', '101', '101', '(0, 100]'],
    ['position_timeout_minutes', '1441', '1441', '1..1440'],
    ['position_timeout_minutes', '0.5', '0.5', '1..1440'],
    ['target_leverage', '0.5', '0.5', '≥ 1'],
    ['recovery_mode', 'ladderr', '"ladderr"', 'aggressive, ladder, hedge, none'],
    ['direction', 'long', '"long"', 'buy, sell'],
    ['take_profit_basis', 'percent', '"percent"', 'margin, price'],
    ['wait_time', '-1', '-1', '> 0'],
    ['grid_step', '0', '0', '> 0'],
    ['max_margin_usd', '0', '0', '> 0'],
    ['stop_price', '0', '0', '> 0'],
    ['pause_price', '-5', '-5', '> 0'],
    ['market_slippage_percent', '0.01', '0.01', '0.05..10'],
    ['quantity', '0', '0', '> 0'],
  ];
  for (const [key, value, shown, allowed] of bad) {
    it(`CFG-03 ${key}: ${value} → names ${key}, ${shown} and ${allowed}`, () => {
      const err = loadError(fixture({ [key]: value }));
      expect(err.exitCode).toBe(2);
      expect(err.issues).toHaveLength(1);
      expect(err.message).toContain(`${key}: ${shown} `);
      expect(err.message).toContain(allowed);
      expect(err.message).toMatch(/^config cfg-\d+\.yaml: /);
    });
  }

  it('CFG-03 max_orders: "five" names the expected type', () => {
    const err = loadError(fixture({ max_orders: '"five"' }));
    expect(err.message).toContain('max_orders: "five"');
    expect(err.message).toContain('expected an integer');
  });

  it('CFG-03 wrong types are named for booleans, decimals and containers', () => {
    expect(loadError(fixture({ boost_mode: 'yes' })).message).toContain('boost_mode: "yes" has the wrong type (a string); expected true or false');
    expect(loadError(fixture({ take_profit: 'abc' })).message).toContain('take_profit: "abc" has the wrong type');
    expect(loadError(fixture({ take_profit: '.inf' })).message).toContain('take_profit: .inf has the wrong type');
    expect(loadError(fixture({ grid_step: '[1, 2]' })).message).toContain('grid_step: is a list; expected a decimal number > 0');
    expect(loadError(fixture({ max_orders: '2.5' })).message).toContain('max_orders: 2.5 is not an integer');
    expect(loadError(fixture({ max_margin_usd: '1e100000' })).message).toContain('max_margin_usd: 1e100000 has the wrong type (a number); expected a decimal number > 0 (at most 40 digits)');
  });

  it('CFG-03 the boundary values are accepted', () => {
    const edges: Record<string, string>[] = [
      { max_orders: '1' },
      { max_orders: '1000' },
      { post_only_tick_multiplier: '1' },
      { post_only_tick_multiplier: '20' },
      { stop_loss_percentage: '0.05' },
      { stop_loss_percentage: '10' },
      { take_profit: '100' },
      { position_timeout_minutes: '1' },
      { position_timeout_minutes: '1440' },
      { target_leverage: '1' },
      { market_slippage_percent: '0.05' },
      { market_slippage_percent: '10' },
    ];
    for (const edge of edges) {
      const { config } = loadConfig({ file: file(fixture(edge)) });
      const [key, value] = Object.entries(edge)[0];
      expect(String((config.strategy as Record<string, unknown>)[key])).toBe(value);
    }
  });

  it('CFG-03 a missing direction or max_margin_usd is reported as required', () => {
    const err = loadError(fixture({ direction: null, max_margin_usd: null }));
    expect(err.issues.map((i) => i.path)).toEqual(['direction', 'max_margin_usd']);
    for (const issue of err.issues) expect(issue.message).toContain('required');
    expect(err.message).toContain('direction: required key is missing; expected one of buy, sell');
  });

  it('CFG-03 reports every problem of a file at once', () => {
    const err = loadError(fixture({ max_orders: '0', take_profit: '101', direction: 'long' }));
    expect(err.issues.map((i) => i.path).sort()).toEqual(['direction', 'max_orders', 'take_profit']);
  });
});

describe('strategy variant registry', () => {
  it('selects the variant schema by strategy.kind; unknown kinds list the registered ones', () => {
    const r = strategySchema.safeParse({ kind: 'nope', direction: 'buy' });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].path).toEqual(['kind']);
    expect(r.error!.issues[0].message).toContain('allowed dynamic-grid');

    registerStrategySchema(
      'test-variant',
      mapping({
        kind: enumField(['test-variant'], { default: 'test-variant' }),
        width: decimalField({ gt: '0', text: '> 0' }, { required: true }),
      }),
    );
    const ok = strategySchema.safeParse({ kind: 'test-variant', width: 3 });
    expect(ok.success && ok.data).toEqual({ kind: 'test-variant', width: '3' });
    const bad = strategySchema.safeParse({ kind: 'test-variant', width: 0, grid_step: 1 });
    expect(bad.error!.issues.map((i) => i.path.join('.')).sort()).toEqual(['grid_step', 'width']);
  });

  it('dynamicGridSchema can be used on plain objects (presets in code, tests)', () => {
    const r = dynamicGridSchema.parse({ direction: 'sell', quantity: 0.5, target_leverage: 25, max_margin_usd: '100' });
    expect(r.quantity).toBe('0.5');
    expect(r.take_profit).toBe('0.08');
  });
});
