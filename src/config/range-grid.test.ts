import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';
import { checkRangeGridMarket, isRangeGridConfig, RANGE_GRID_KEY_TABLE, RANGE_GRID_KEYS, rangeGridParamsFrom, type RangeGridConfig } from './range-grid.ts';
import { strategyKinds } from './schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridchart-cfg-range-'));
let seq = 0;
function file(text: string): string {
  const p = join(dir, `range-${++seq}.yaml`);
  writeFileSync(p, text);
  return p;
}

const BASE: Record<string, string> = {
  kind: 'range-grid',
  lower_price: '90',
  upper_price: '110',
  grid_count: '10',
  order_size: '0.5',
  direction: 'long',
  target_leverage: '10',
  max_margin_usd: '500',
};

function yaml(over: Record<string, string | null> = {}): string {
  const lines = Object.entries({ ...BASE, ...over })
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `  ${k}: ${v}`);
  return `market: TEST\nstrategy:\n${lines.join('\n')}\n`;
}

function strategy(over: Record<string, string | null> = {}): RangeGridConfig {
  const s = loadConfig({ file: file(yaml(over)), env: {} }).config.strategy;
  if (!isRangeGridConfig(s)) throw new Error('not a range grid');
  return s;
}

function loadError(text: string): ConfigError {
  try {
    loadConfig({ file: file(text), env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('range-grid config', () => {
  it('VAR-01 range-grid is a registered kind with its keys, defaults and ranges listed', () => {
    expect(strategyKinds()).toEqual(expect.arrayContaining(['dynamic-grid', 'range-grid']));
    expect(RANGE_GRID_KEY_TABLE.map((r) => r.key)).toEqual(RANGE_GRID_KEYS.filter((k) => k !== 'kind'));
    expect(RANGE_GRID_KEY_TABLE.find((r) => r.key === 'max_resting_orders')).toEqual({ key: 'max_resting_orders', default: '20', range: '1..500' });
  });

  it('VAR-01 strategy.kind: rangegrid fails with exit code 2 naming the two valid kinds', () => {
    const err = loadError(yaml({ kind: 'rangegrid' }));
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('strategy.kind: "rangegrid" is not a known strategy kind');
    expect(err.message).toContain('dynamic-grid');
    expect(err.message).toContain('range-grid');
  });

  it('loads with defaults: arithmetic, hold, max_resting_orders 20, stop-loss off', () => {
    expect(strategy()).toEqual({
      kind: 'range-grid',
      lower_price: '90',
      upper_price: '110',
      grid_count: 10,
      spacing: 'arithmetic',
      order_size: '0.5',
      direction: 'long',
      on_exit_range: 'hold',
      max_resting_orders: 20,
      target_leverage: 10,
      max_margin_usd: '500',
      stop_loss_enabled: false,
      stop_loss_percentage: '5',
      market_slippage_percent: '2',
    });
  });

  it('maps to the machine parameters exactly (decimal strings from the source text)', () => {
    const s = strategy({ spacing: 'geometric', order_size: null, total_notional_usd: '1000.10', direction: 'neutral', on_exit_range: 'close', stop_price: '85.5', max_resting_orders: '40' });
    expect(rangeGridParamsFrom(s)).toEqual({
      lowerPrice: '90',
      upperPrice: '110',
      gridCount: 10,
      spacing: 'geometric',
      totalNotionalUsd: '1000.1',
      direction: 'neutral',
      onExitRange: 'close',
      maxRestingOrders: 40,
      maxMarginUsd: '500',
      stopPrice: '85.5',
      stopLossEnabled: false,
      stopLossPct: '5',
      slippagePct: '2',
      reconcileEveryMs: 300_000,
    });
  });

  const bad: [key: string, value: string, shown: string, allowed: string][] = [
    ['grid_count', '1', '1', '2..500'],
    ['grid_count', '501', '501', '2..500'],
    ['spacing', 'log', '"log"', 'arithmetic, geometric'],
    ['direction', 'buy', '"buy"', 'long, short, neutral'],
    ['on_exit_range', 'stop', '"stop"', 'hold, halt, close'],
    ['max_resting_orders', '0', '0', '1..500'],
    ['lower_price', '0', '0', '> 0'],
    ['order_size', '-1', '-1', '> 0'],
    ['stop_loss_percentage', '60', '60', '0.05..50'],
  ];
  for (const [key, value, shown, allowed] of bad) {
    it(`VAR-02 ${key}: ${value} is refused with exit code 2 naming ${key} and ${allowed}`, () => {
      const err = loadError(yaml({ [key]: value }));
      expect(err.exitCode).toBe(2);
      expect(err.issues).toHaveLength(1);
      expect(err.message).toContain(`strategy.${key}: ${shown} `);
      expect(err.message).toContain(allowed);
    });
  }

  it('VAR-02 lower ≥ upper is refused naming upper_price and the rule', () => {
    for (const upper of ['90', '80']) {
      const err = loadError(yaml({ upper_price: upper }));
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain(`strategy.upper_price: ${upper} is not above lower_price 90; allowed upper_price > lower_price`);
    }
  });

  it('sizing: exactly one of order_size / total_notional_usd', () => {
    expect(loadError(yaml({ order_size: null })).message).toContain('neither order_size nor total_notional_usd is given');
    expect(loadError(yaml({ total_notional_usd: '100' })).message).toContain('strategy.total_notional_usd: is given together with order_size');
    expect(strategy({ order_size: null, total_notional_usd: '100' }).total_notional_usd).toBe('100');
  });

  it('a stop_price inside the range is refused; outside is accepted', () => {
    expect(loadError(yaml({ stop_price: '100' })).message).toContain('strategy.stop_price: 100 is inside the range 90..110; allowed below lower_price or above upper_price');
    expect(strategy({ stop_price: '89' }).stop_price).toBe('89');
    expect(strategy({ stop_price: '111' }).stop_price).toBe('111');
  });

  it('unknown keys are refused with a hint (dynamic-grid keys do not apply)', () => {
    const err = loadError(yaml({ take_profit: '0.1' }));
    expect(err.message).toContain('strategy.take_profit');
  });

  it('VAR-02 a spacing smaller than two ticks is refused at start-up (market tick known) with exit code 2 naming grid_count', () => {
    expect(checkRangeGridMarket(strategy(), '0.01')).toBeNull();
    const err = checkRangeGridMarket(strategy({ lower_price: '100', upper_price: '101', grid_count: '51' }), '0.01', 'range.yaml');
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.exitCode).toBe(2);
    expect(err!.message).toContain('config range.yaml: strategy.grid_count: 51 levels make a spacing of 0.019607843, smaller than two ticks (0.02); allowed 2..50');
    expect(checkRangeGridMarket(strategy({ lower_price: '100', upper_price: '101', grid_count: '50' }), '0.01')).toBeNull();
  });
});

describe('examples/range-grid.yaml', () => {
  it('loads as a range grid and passes the market check on the simulator BTC (tick 0.1)', () => {
    const path = new URL('../../examples/range-grid.yaml', import.meta.url).pathname;
    const { config } = loadConfig({ file: path, env: {} });
    expect(config.market).toBe('BTC');
    const s = config.strategy;
    expect(isRangeGridConfig(s)).toBe(true);
    if (!isRangeGridConfig(s)) return;
    expect(s).toMatchObject({ lower_price: '59000', upper_price: '61000', grid_count: 100, direction: 'neutral', on_exit_range: 'halt', total_notional_usd: '5000' });
    expect(checkRangeGridMarket(s, '0.1')).toBeNull();
  });
});
