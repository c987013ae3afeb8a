/**
 * VAR-10 — the authoring guide's example variant (docs/authoring-variants.md) runs and cannot
 * rot:
 * - `grid-bot paper --config examples/trailing-grid.yaml --venue sim --speed max --duration 10m`
 *   as a child process exits 0 and its journal shows entry and exit fills of the trailing grid;
 * - `grid-bot variants` lists it with every config key;
 * - every code block of the guide marked `<!-- file: … -->` equals that file (or its line
 *   range) in the repository, so the guide fails the build when the code drifts.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { expectedText, markedBlocks } from '../machines/variants/trailing-grid/guide-blocks.ts';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { readJournal } from '../src/observability/journal.ts';
import { TRAILING_GRID_KEY_TABLE } from '../src/config/trailing-grid.ts';
import { runCli } from './cli-process.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GUIDE = 'docs/authoring-variants.md';


describe('VAR-10 authoring guide example variant', () => {
  it('VAR-10 paper --config examples/trailing-grid.yaml --venue sim for 10 simulated minutes: exit 0, at least one entry fill and one exit fill of the trailing grid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'var10-'));
    const events = join(dir, 'ev.jsonl');
    const r = await runCli(['paper', '--config', 'examples/trailing-grid.yaml', '--venue', 'sim', '--speed', 'max', '--duration', '10m', '--store', join(dir, 'p.sqlite'), '--events', events]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('BTC trailing buy entry 0.01 % from the touch');
    const j = readJournal(events);
    const entryFills = j.filter((l) => l.type === 'entry.filled');
    const exitFills = j.filter((l) => l.type === 'exit.filled');
    expect(entryFills.length).toBeGreaterThan(0);
    expect(exitFills.length).toBeGreaterThan(0);
    // The fills are of this variant's orders: an entry index, then a reduce-only close of the same n.
    for (const f of entryFills) expect(decodeClientIndex(Number(f.payload.clientIndex))?.role.kind).toBe('entry');
    const trips = j.filter((l) => l.type === 'trail.round-trip');
    expect(trips.length).toBeGreaterThan(0);
    const exitNs = new Set(exitFills.map((l) => decodeClientIndex(Number(l.payload.clientIndex))?.n));
    for (const t of trips) expect(exitNs.has(Number(String(t.payload.position).slice('grid-'.length)))).toBe(true);
    expect(r.stdout).toMatch(new RegExp(`positions closed ${trips.length}\\b`));
    expect(j.filter((l) => l.level === 'error')).toEqual([]);
  }, 120_000);

  it('VAR-10 grid-bot variants lists trailing-grid with its description and every key', async () => {
    const r = await runCli(['variants']);
    expect(r.code, r.stderr).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('trailing-grid:'));
    expect(section).toMatch(/^trailing-grid: a single post-only entry that trails the touch/);
    for (const k of TRAILING_GRID_KEY_TABLE) expect(section).toMatch(new RegExp(`\\n  ${k.key}\\s+default ${k.default.replace(/[.]/g, '\\.')}\\s`));
  }, 60_000);

  it('VAR-10 a trailing-grid config the variant refuses exits 2 naming the key, the value and what is allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'var10-bad-'));
    const cfg = join(dir, 'bad.yaml');
    (await import('node:fs')).writeFileSync(cfg, 'market: BTC\nstrategy: { kind: trailing-grid, direction: buy, order_size: 0.002, trail_percent: 0.01, repeg_percent: 0.02 }\n');
    const r = await runCli(['paper', '--config', cfg, '--venue', 'sim', '--speed', 'max', '--duration', '1m', '--store', join(dir, 'p.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('strategy.repeg_percent');
    expect(r.stderr).toContain('0.02 is not below trail_percent 0.01');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  }, 60_000);

  it('VAR-10 every code block of the guide marked with a file equals that file in the repository', () => {
    const blocks = markedBlocks(readFileSync(join(ROOT, GUIDE), 'utf8'));
    // The walk-through shows each module of the variant at least once.
    const shown = new Set(blocks.map((b) => b.file));
    for (const f of [
      'machines/variants/trailing-grid/types.ts',
      'src/config/trailing-grid.ts',
      'machines/variants/trailing-grid/trail.ts',
      'machines/variants/trailing-grid/routing.ts',
      'machines/variants/trailing-grid/setup.ts',
      'machines/variants/trailing-grid/machine.ts',
      'machines/variants/trailing-grid/variant.ts',
      'src/variants/trailing-grid.ts',
      'examples/trailing-grid.yaml',
    ]) expect(shown, `${GUIDE} shows no block of ${f}`).toContain(f);
    expect(readFileSync(join(ROOT, 'src/variants/installed.ts'), 'utf8')).toContain("\nimport './trailing-grid.ts';\n");
    for (const b of blocks) {
      const text = expectedText(readFileSync(join(ROOT, b.file), 'utf8'), b.lines);
      expect(b.code, `${GUIDE} line ${b.at}: the block of ${b.file}${b.lines ? ` lines ${b.lines.join('-')}` : ''} differs from the repository`).toBe(text);
    }
  });
});
