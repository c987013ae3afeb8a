/**
 * VAR-01: installed variants are listed with their keys; a misspelt kind fails naming both.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { encoding: 'utf8', timeout: 30_000 });

describe('VAR-01 variants', () => {
  it('VAR-01 installed variants are listed with their keys, and an unknown kind names both', () => {
    const r = cli(['variants']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^dynamic-grid \(default\): .+/m);
    expect(r.stdout).toMatch(/^range-grid: .+/m);
    for (const key of ['take_profit', 'grid_step', 'max_orders', 'lower_price', 'upper_price', 'grid_count', 'spacing', 'on_exit_range', 'max_resting_orders']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${key}\\s+default `, 'm'));
    }
    expect(r.stdout).toMatch(/grid_count\s+default \S+.*2\.\.500/);
    const dir = mkdtempSync(join(tmpdir(), 'gridchart-var01-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'strategy:\n  kind: rangegrid\n  direction: buy\n');
    const bad = cli(['paper', '--venue', 'sim', '--config', file, '--store', join(dir, 's.sqlite'), '--duration', '1s', '--speed', 'max']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/rangegrid/);
    expect(bad.stderr).toMatch(/dynamic-grid/);
    expect(bad.stderr).toMatch(/range-grid/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
