import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, type DynamicGridConfig } from '../config/index.ts';
import { EXIT_LIFETIME_MS, EXIT_REFRESH_LEAD_MS, RECONCILE_EVERY_MS, RETRY_SPACING_MS, gridParamsFrom, minutesToMs } from './params.ts';

function strategyOf(yaml: string): DynamicGridConfig {
  const dir = mkdtempSync(join(tmpdir(), 'params-'));
  const file = join(dir, 'bot.yaml');
  writeFileSync(file, yaml);
  return loadConfig({ file, env: {} }).config.strategy as DynamicGridConfig;
}

describe('gridParamsFrom', () => {
  it('maps every seed key of the grid_ev_positive preset', () => {
    const strategy = loadConfig({ preset: 'grid_ev_positive', env: {} }).config.strategy as DynamicGridConfig;
    expect(gridParamsFrom(strategy)).toEqual({
      direction: 'buy',
      notionalUsd: '300',
      takeProfitPct: '0.15',
      basis: 'margin',
      gridStepPct: '0.002',
      maxOrders: 5,
      waitTimeSec: '20',
      maxMarginUsd: '40',
      stopLossEnabled: true,
      stopLossPct: '1',
      timeoutMs: 5 * 60_000,
      recoveryMode: 'aggressive',
      multiplier: 10,
      boost: false,
      slippagePct: '2',
      exitLifetimeMs: 28 * 24 * 3_600_000,
      exitRefreshLeadMs: 24 * 3_600_000,
      retrySpacingMs: 250,
      reconcileEveryMs: 300_000,
    });
  });

  it('uses quantity when no notional is given, and carries stop/pause prices', () => {
    const p = gridParamsFrom(
      strategyOf('direction: sell\nquantity: 0.5\ntarget_leverage: 5\nmax_margin_usd: 100\nstop_price: 70000\npause_price: 65000.5\n'),
    );
    expect(p.quantity).toBe('0.5');
    expect(p.notionalUsd).toBeUndefined();
    expect(p.direction).toBe('sell');
    expect(p.stopPrice).toBe('70000');
    expect(p.pausePrice).toBe('65000.5');
    expect('stopPrice' in gridParamsFrom(strategyOf('direction: buy\nquantity: 1\ntarget_leverage: 5\nmax_margin_usd: 1\n'))).toBe(false);
  });

  it('converts fractional durations exactly (no float noise)', () => {
    const p = gridParamsFrom(
      strategyOf('direction: buy\nquantity: 1\ntarget_leverage: 5\nmax_margin_usd: 1\nposition_timeout_minutes: 4.35\nwait_time: 0.3\n'),
    );
    expect(4.35 * 60_000).not.toBe(261_000); // the float product is off; ours is not
    expect(p.timeoutMs).toBe(261_000);
    expect(p.waitTimeSec).toBe('0.3');
    expect(Number.isInteger(minutesToMs(1.00001))).toBe(true);
    expect(minutesToMs(1440)).toBe(86_400_000);
  });

  it('exposes the runtime defaults it applies', () => {
    expect([EXIT_LIFETIME_MS, EXIT_REFRESH_LEAD_MS, RETRY_SPACING_MS, RECONCILE_EVERY_MS]).toEqual([2_419_200_000, 86_400_000, 250, 300_000]);
  });
});
