/**
 * End-to-end tests of the `grid-bot` command line as a real child process
 * (`node --import tsx src/cli.ts …`), plus unit tests of its value parsers.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJournal } from './observability/journal.ts';
import { openKeyv } from './persistence/keyv-store.ts';
import { parseDuration, parseSpeed, UsageError } from './cli.ts';
import { controlFilePath, readDiscovery } from './observability/control-server.ts';
import { REPO_ROOT, runCli, startCli } from '../test/cli-process.ts';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'cli-'));
}

/** --store and --events inside `dir`, so no test writes under ./data. */
const files = (dir: string, name = 'p') => ['--store', join(dir, `${name}.sqlite`), '--events', join(dir, `${name}.jsonl`)];

const STACK = /\n\s+at .+\(|\n\s+at file:/;

describe('grid-bot paper (child process)', () => {
  it('trades within 2 simulated minutes at --speed max, exits 0, and a second run resumes where it stopped', async () => {
    const dir = tmp();
    const first = await runCli(['paper', '--venue', 'sim', '--speed', 'max', '--duration', '2m', '--status-every', '1m', ...files(dir)]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('TP 0.5 % of margin at 10x = 0.05 % price move');
    expect(first.stdout).toMatch(/summary BTC: 2m 0s simulated .* stopped: duration reached/);
    const j1 = readJournal(join(dir, 'p.jsonl'));
    const t1 = new Set(j1.map((l) => l.type));
    for (const t of ['entry.placed', 'entry.filled', 'exit.placed', 'exit.filled', 'position.closed']) expect(t1, t).toContain(t);
    for (const l of j1) {
      expect(Object.keys(l)).toEqual(['time', 'market', 'level', 'type', 'message', 'payload']);
      expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    }

    const second = await runCli(['paper', '--venue', 'sim', '--speed', 'max', '--duration', '1m', '--status-every', '1m', ...files(dir)]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('(resumed at');
    const j2 = readJournal(join(dir, 'p.jsonl')).slice(j1.length);
    const t2 = new Set(j2.map((l) => l.type));
    expect(t2).toContain('venue.reconciled');
    expect(t2).not.toContain('restart.adopted-orders');
    const n = (lines: typeof j1) => lines.filter((l) => l.type === 'entry.placed').map((l) => Number(String(l.payload.position).slice(5)));
    expect(n(j2).length).toBeGreaterThan(0);
    expect(Math.min(...n(j2))).toBeGreaterThan(Math.max(...n(j1)));
    // The second run's simulated clock starts where the first one stopped.
    expect(j2[0].time).toBe(j1.at(-1)!.time);

    const status = await runCli(['status', '--store', join(dir, 'p.sqlite')]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^bot gridchart:sim:paper:BTC:1, saved /);
    expect(status.stdout).toMatch(/\d\d:\d\d:\d\d BTC entry \w+/);
    expect(status.stdout).toContain('next position number: grid-');
  }, 60_000);

  it('stops gracefully on SIGINT (state saved, summary printed, exit 0) and survives a SIGKILL', async () => {
    const dir = tmp();
    const child = startCli(['paper', '--venue', 'sim', '--speed', '50', '--status-every', '10s', ...files(dir)]);
    while (!/\d\d:\d\d:\d\d BTC entry/.test(child.stdout())) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const run = await child.done;
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('SIGINT: stopping gracefully');
    expect(run.stdout).toContain('stopped: stop requested');
    const j1 = readJournal(join(dir, 'p.jsonl'));
    expect(j1.at(-1)?.type).toBe('paper.stopped');

    // kill -9 in the middle of trading, then restart: it reconciles and goes on trading.
    const victim = startCli(['paper', '--venue', 'sim', '--speed', '100', '--status-every', '10s', ...files(dir)]);
    const before = (victim.stdout().match(/ BTC entry /g) ?? []).length;
    while ((victim.stdout().match(/ BTC entry /g) ?? []).length < before + 3) await new Promise((r) => setTimeout(r, 50));
    victim.kill('SIGKILL');
    expect((await victim.done).signal).toBe('SIGKILL');
    const count = readJournal(join(dir, 'p.jsonl')).length;
    const after = await runCli(['paper', '--venue', 'sim', '--speed', 'max', '--duration', '2m', '--status-every', '1m', ...files(dir)]);
    expect(after.code).toBe(0);
    const j3 = readJournal(join(dir, 'p.jsonl')).slice(count);
    expect(j3.map((l) => l.type)).toContain('venue.reconciled');
    expect(j3.filter((l) => l.level === 'error')).toEqual([]);
  }, 60_000);

  it('CFG-02 each seed preset runs 10 simulated minutes without an ERROR event and prints its distances', async () => {
    const expected: Record<string, [string, string]> = {
      grid_ev_positive: ['TP 0.15 % of margin at 20x = 0.0075 % price move', 'stop-loss 1.0 % of margin at 20x = 0.05 % price move'],
      grid_hft: ['TP 0.03 % of margin at 20x = 0.0015 % price move', 'stop-loss 0.12 % of margin at 20x = 0.006 % price move'],
      grid_original: ['TP 0.1 % of margin at 20x = 0.005 % price move', 'stop-loss 2.5 % of margin at 20x = 0.125 % price move'],
      grid_set_and_forget: ['TP 0.22 % of margin at 20x = 0.011 % price move', 'stop-loss 1.8 % of margin at 20x = 0.09 % price move'],
    };
    const dir = tmp();
    const runs = await Promise.all(
      Object.keys(expected).map((p) => runCli(['paper', '--venue', 'sim', '--preset', p, '--speed', 'max', '--duration', '10m', '--status-every', '10m', ...files(dir, p)])),
    );
    Object.keys(expected).forEach((preset, i) => {
      const run = runs[i];
      expect(run.code, `${preset}: ${run.stderr}`).toBe(0);
      for (const line of expected[preset]) expect(run.stdout, preset).toContain(line);
      expect(run.stdout).toContain(`config: preset ${preset}`);
      expect(run.stdout).toMatch(/summary BTC: 10m 0s simulated/);
      const journal = readJournal(join(dir, `${preset}.jsonl`));
      expect(journal.filter((l) => l.level === 'error'), preset).toEqual([]);
      expect(journal.some((l) => l.type === 'entry.filled'), preset).toBe(true);
    });
  }, 60_000);
});

describe('grid-bot errors (child process)', () => {
  it('CFG-03 a bad value exits 2 naming the key, the value and the range, without a stack trace', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'direction: buy\norder_notional_usd: 300\ntarget_leverage: 20\nmax_margin_usd: 40\nmax_orders: 0\n');
    const run = await runCli(['paper', '--venue', 'sim', '--config', file, ...files(dir)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/max_orders/);
    expect(run.stderr).toMatch(/\b0\b/);
    expect(run.stderr).toContain('1..1000');
    expect(run.stderr).toContain('bad.yaml');
    expect(run.stderr).not.toMatch(STACK);
    expect(existsSync(join(dir, 'p.sqlite'))).toBe(false);
  }, 30_000);

  it('CFG-07 an empty config file exits 2 promptly, naming the file, without a stack trace (stack with --debug)', async () => {
    const dir = tmp();
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    const run = await runCli(['paper', '--venue', 'sim', '--config', file, ...files(dir)]);
    expect(run.code).toBe(2);
    // Liveness only (process start-up on a shared machine); the loader's own 1 s bound is checked in-process (yaml-read.test.ts).
    expect(run.ms).toBeLessThan(25_000);
    expect(run.stderr).toContain('empty.yaml');
    expect(run.stderr).not.toMatch(STACK);
    const debug = await runCli(['paper', '--venue', 'sim', '--config', file, '--debug', ...files(dir)]);
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(STACK);
  }, 30_000);

  it('usage errors exit 2: unknown option, bad --speed, bad --duration, unknown command', async () => {
    const dir = tmp();
    const [unknown, speed, duration, command, none] = await Promise.all([
      runCli(['paper', '--venue', 'sim', '--bogus', ...files(dir)]),
      runCli(['paper', '--venue', 'sim', '--speed', 'fast', ...files(dir)]),
      runCli(['paper', '--venue', 'sim', '--duration', '10', ...files(dir)]),
      runCli(['trade']),
      runCli([]),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown option --bogus for grid-bot paper');
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain('--speed "fast" is not allowed; use a positive number');
    expect(duration.code).toBe(2);
    expect(duration.stderr).toContain('--duration "10" is not a duration; use a number with a unit: 500ms, 30s, 10m, 2h, 1d');
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('unknown command "trade"; commands: paper, run, status, resume, pause, flatten, cancel-all, sim, chaos, variants, presets, help');
    expect(none.code).toBe(2);
    expect(none.stdout).toContain('usage: grid-bot COMMAND');
    for (const r of [unknown, speed, duration, command]) expect(r.stderr).not.toMatch(STACK);
    expect(existsSync(join(dir, 'p.sqlite'))).toBe(false);
  }, 30_000);

  it('run with venue.kind sim runs in-process; run without a config is a usage error (lighter: test/cli-lighter.test.ts)', async () => {
    const dir = tmp();
    const sim = await runCli(['run', '--preset', 'grid_hft', '--speed', 'max', '--duration', '30s', ...files(dir)]);
    expect(sim.code, sim.stderr).toBe(0);
    expect(sim.stdout).toContain('config: preset grid_hft');
    const noConfig = await runCli(['run', ...files(dir)]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('grid-bot run needs --config FILE or --preset NAME');
  }, 30_000);

  it('an unexpected error exits 1 with its message; the stack only in debug', async () => {
    const dir = tmp();
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const store = join(blocker, 'p.sqlite');
    const run = await runCli(['paper', '--venue', 'sim', '--store', store, '--events', join(dir, 'e.jsonl'), '--speed', 'max', '--duration', '1s']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*not-a-dir/m);
    expect(run.stderr).not.toMatch(STACK);
    const debug = await runCli(['paper', '--venue', 'sim', '--store', store, '--events', join(dir, 'e.jsonl'), '--speed', 'max', '--duration', '1s'], { DEBUG: '1' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(STACK);
  }, 30_000);

  it('status without a store or without that bot exits 2 (and creates no store)', async () => {
    const dir = tmp();
    const missing = await runCli(['status', '--store', join(dir, 'none.sqlite')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`no store at ${join(dir, 'none.sqlite')}`);
    expect(existsSync(join(dir, 'none.sqlite'))).toBe(false);
    const eth = await runCli(['status', '--store', join(dir, 'p.sqlite'), '--market', 'ETH']);
    expect(eth.code).toBe(2);
  }, 30_000);

  it('a refused snapshot exits 2 with the reason and the store unchanged', async () => {
    const dir = tmp();
    const store = await openKeyv(join(dir, 'p.sqlite'));
    await store.keyv.set('gridchart:sim:paper:BTC:1', '{"format":"something-else"}');
    await store.close();
    const run = await runCli(['paper', '--venue', 'sim', '--speed', 'max', '--duration', '10s', ...files(dir)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Refusing to load the snapshot at gridchart:sim:paper:BTC:1');
    expect(run.stderr).not.toMatch(STACK);
    const after = await openKeyv(join(dir, 'p.sqlite'));
    expect(await after.keyv.get('gridchart:sim:paper:BTC:1')).toBe('{"format":"something-else"}');
    await after.close();
  }, 30_000);
});

/** The paper preset with a stop price (a long grid halts while mid < stop). */
function stopConfig(dir: string, stopPrice: string): string {
  const file = join(dir, `stop-${stopPrice}.yaml`);
  const preset = readFileSync(join(REPO_ROOT, 'presets', 'paper.yaml'), 'utf8');
  writeFileSync(file, `${preset.trimEnd()}\n  stop_price: ${stopPrice}\n`);
  return file;
}

describe('grid-bot status / resume over the control endpoint (child process)', () => {
  it('RSK-02 grid-bot resume while mid is beyond the stop price exits 3 naming both prices; after a restart with a lower stop it lifts halted (exit 0) and entries follow', async () => {
    const dir = tmp();
    const store = join(dir, 'p.sqlite');
    // The simulated BTC starts at 60000: a long grid with stop_price 70000 halts at once.
    const first = startCli(['paper', '--venue', 'sim', '--config', stopConfig(dir, '70000'), '--speed', '5', '--status-every', '10s', ...files(dir)]);
    await first.waitFor(/gate: halted/);
    const refused = await runCli(['resume', '--store', store]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/resume refused: mid \d+(\.\d+)? is still below stop_price 70000/);
    const live = await runCli(['status', '--store', store]);
    expect(live.code).toBe(0);
    expect(live.stdout).toMatch(/^bot gridchart:sim:paper:BTC:1, live \(pid \d+, http:\/\/127\.0\.0\.1:\d+\)/);
    expect(live.stdout).toContain('risk: halted (stop-price at mid 60000); gate refusing: halted');
    first.kill('SIGINT');
    expect((await first.done).code).toBe(0);
    expect(existsSync(controlFilePath(store, 'BTC', 1))).toBe(false);

    // The halted latch is persisted: a restart with stop_price 50000 stays halted until resumed.
    const second = startCli(['paper', '--venue', 'sim', '--config', stopConfig(dir, '50000'), '--speed', '5', '--status-every', '5s', ...files(dir)]);
    await second.waitFor(/control: http/);
    await second.waitFor(/gate: halted/);
    const ok = await runCli(['resume', '--store', store]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe('resumed: halted lifted');
    await second.waitFor(/entry waitingForFill grid-\d+:entry|positions [1-9]/);
    second.kill('SIGINT');
    expect((await second.done).code).toBe(0);
    const journal = readJournal(join(dir, 'p.jsonl'));
    const types = journal.map((l) => l.type);
    expect(types.filter((t) => t === 'operator.resume-refused')).toHaveLength(1);
    expect(types.indexOf('grid.resumed')).toBeGreaterThan(types.lastIndexOf('paper.started'));
    expect(types.indexOf('entry.placed')).toBeGreaterThan(types.indexOf('grid.resumed'));
  }, 60_000);

  it('with no running bot: resume exits 2 (no control file, or one left by a SIGKILLed run) and status falls back to the stored state', async () => {
    const dir = tmp();
    const store = join(dir, 'p.sqlite');
    const none = await runCli(['resume', '--store', store]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`error: no running bot found: no control file at ${controlFilePath(store, 'BTC', 1)}`);
    expect(none.stderr).not.toMatch(STACK);

    const victim = startCli(['paper', '--venue', 'sim', '--speed', '20', '--status-every', '10s', '--control-port', '0', ...files(dir)]);
    await victim.waitFor(/ BTC entry /);
    const discovery = readDiscovery(controlFilePath(store, 'BTC', 1));
    expect(discovery?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const nothing = await runCli(['resume', '--store', store]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout.trim()).toBe('nothing to resume');
    victim.kill('SIGKILL');
    await victim.done;
    const stale = await runCli(['resume', '--store', store]);
    expect(stale.code).toBe(2);
    expect(stale.stderr).toContain(`names pid ${discovery!.pid}, which is not running (left by a killed run)`);
    const status = await runCli(['status', '--store', store]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^bot gridchart:sim:paper:BTC:1, saved /);
  }, 60_000);

  it('--control-port must be a port number', async () => {
    const dir = tmp();
    const run = await runCli(['paper', '--venue', 'sim', '--control-port', 'any', ...files(dir)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--control-port "any" is not allowed; use an integer 0..65535');
    expect(existsSync(join(dir, 'p.sqlite'))).toBe(false);
  }, 30_000);
});

describe('grid-bot presets and help (child process)', () => {
  it('lists every shipped preset with its distance lines, and help lists the commands', async () => {
    const [presets, help, paperHelp] = await Promise.all([runCli(['presets']), runCli(['help']), runCli(['paper', '--help'])]);
    expect(presets.code).toBe(0);
    for (const p of ['grid_ev_positive', 'grid_hft', 'grid_original', 'grid_set_and_forget', 'paper']) expect(presets.stdout).toMatch(new RegExp(`^${p}: BTC long`, 'm'));
    expect(presets.stdout).toContain('TP 0.15 % of margin at 20x = 0.0075 % price move');
    expect(help.code).toBe(0);
    for (const c of ['paper', 'run', 'status', 'resume', 'sim', 'presets', 'help']) expect(help.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    expect(paperHelp.code).toBe(0);
    expect(paperHelp.stdout).toContain('--speed N|max');
  }, 30_000);
});

describe('value parsers', () => {
  it('parses durations with units into integer ms', () => {
    expect(parseDuration('10m', '--duration')).toBe(600_000);
    expect(parseDuration('30s', '--duration')).toBe(30_000);
    expect(parseDuration('2h', '--duration')).toBe(7_200_000);
    expect(parseDuration('1d', '--duration')).toBe(86_400_000);
    expect(parseDuration('1.5s', '--duration')).toBe(1500);
    expect(parseDuration('250ms', '--duration')).toBe(250);
    for (const bad of ['10', '-1m', '1w', 'm', '0s', '1e3s', ' ']) expect(() => parseDuration(bad, '--duration'), bad).toThrow(UsageError);
  });

  it('parses --speed as a positive number or max', () => {
    expect(parseSpeed('max')).toBe('max');
    expect(parseSpeed('1')).toBe(1);
    expect(parseSpeed('2.5')).toBe(2.5);
    for (const bad of ['0', '-1', 'fast', 'Infinity', '1e3', '']) expect(() => parseSpeed(bad), bad).toThrow(UsageError);
  });
});
