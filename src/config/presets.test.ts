import { describe, expect, it } from 'vitest';
import { describeDistances } from './describe.ts';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';
import { PAPER_PRESET, SEED_PRESETS, listPresets, presetPath } from './presets.ts';

const TABLE = {
  grid_ev_positive: { take_profit: '0.15', grid_step: '0.002', wait_time: 20, stop_loss_percentage: '1', position_timeout_minutes: 5, tp: '0.0075', sl: '0.05' },
  grid_hft: { take_profit: '0.03', grid_step: '0.0005', wait_time: 20, stop_loss_percentage: '0.12', position_timeout_minutes: 1, tp: '0.0015', sl: '0.006' },
  grid_original: { take_profit: '0.1', grid_step: '0.002', wait_time: 40, stop_loss_percentage: '2.5', position_timeout_minutes: 3, tp: '0.005', sl: '0.125' },
  grid_set_and_forget: { take_profit: '0.22', grid_step: '0.001', wait_time: 20, stop_loss_percentage: '1.8', position_timeout_minutes: 10, tp: '0.011', sl: '0.09' },
} as const;

describe('CFG-02 shipped presets', () => {
  it('CFG-02 lists the four seed presets and paper', () => {
    expect(listPresets()).toEqual([...SEED_PRESETS, PAPER_PRESET].sort());
  });

  for (const name of SEED_PRESETS) {
    it(`CFG-02 ${name} loads with its values and the common ones, without warnings`, () => {
      const { config, warnings } = loadConfig({ preset: name });
      const { tp: _tp, sl: _sl, ...values } = TABLE[name];
      expect(warnings).toEqual([]);
      expect(config.market).toBe('BTC');
      expect(config.venue).toEqual({ kind: 'sim' });
      expect(config.strategy).toMatchObject({
        ...values,
        direction: 'buy',
        order_notional_usd: '300',
        target_leverage: 20,
        max_orders: 5,
        max_margin_usd: '40',
        post_only_tick_multiplier: 10,
        recovery_mode: 'aggressive',
        take_profit_basis: 'margin',
        stop_loss_enabled: true,
      });
    });

    it(`CFG-02 ${name} explains its price distances at r = 1/20`, () => {
      const { config } = loadConfig({ preset: name });
      const row = TABLE[name];
      const slShown = row.stop_loss_percentage.includes('.') ? row.stop_loss_percentage : `${row.stop_loss_percentage}.0`;
      expect(describeDistances(config.strategy)).toEqual([
        `TP ${row.take_profit} % of margin at 20x = ${row.tp} % price move`,
        `stop-loss ${slShown} % of margin at 20x = ${row.sl} % price move`,
      ]);
    });
  }

  it('CFG-02 the spec example line is produced verbatim', () => {
    const { config } = loadConfig({ preset: 'grid_ev_positive' });
    expect(describeDistances(config.strategy)[0]).toBe('TP 0.15 % of margin at 20x = 0.0075 % price move');
    expect(describeDistances(config.strategy)[1]).toBe('stop-loss 1.0 % of margin at 20x = 0.05 % price move');
  });

  it('the paper preset trades BTC long with the documented values', () => {
    const { config, venueExplicit } = loadConfig({ fallbackPreset: PAPER_PRESET });
    expect(config.market).toBe('BTC');
    expect(venueExplicit).toBe(false);
    expect(config.venue).toEqual({ kind: 'sim' });
    expect(config.strategy).toMatchObject({
      direction: 'buy',
      order_notional_usd: '100',
      take_profit: '0.5',
      take_profit_basis: 'margin',
      target_leverage: 10,
      grid_step: '0.002',
      max_orders: 10,
      wait_time: 5,
      max_margin_usd: '500',
    });
  });

  it('an unknown preset is a ConfigError listing the available ones', () => {
    let err: unknown;
    try {
      presetPath('grid_hfx');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('"grid_hfx" is not a known preset');
    expect(msg).toContain('did you mean grid_hft?');
    for (const p of listPresets()) expect(msg).toContain(p);
    expect(() => presetPath('../package')).toThrow(ConfigError);
  });
});

describe('describeDistances', () => {
  const base = { take_profit: '0.8', take_profit_basis: 'margin', target_leverage: 20, stop_loss_enabled: true, stop_loss_percentage: '2' } as const;

  it('uses the venue-clamped leverage when given and marks inexact quotients', () => {
    expect(describeDistances(base, { leverage: 25 })[0]).toBe('TP 0.8 % of margin at 25x = 0.032 % price move');
    expect(describeDistances({ ...base, target_leverage: 3 })[0]).toBe('TP 0.8 % of margin at 3x = ≈ 0.266667 % price move');
  });

  it('price basis and disabled stop-loss', () => {
    expect(describeDistances({ ...base, take_profit_basis: 'price', stop_loss_enabled: false })).toEqual([
      'TP 0.8 % of price = 0.8 % price move',
      'stop-loss disabled (stop_loss_enabled: false)',
    ]);
  });
});
