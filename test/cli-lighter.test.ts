/**
 * `grid-bot run` with venue.kind lighter and `grid-bot paper --venue lighter-sim` as real
 * child processes, over the real Lighter adapter and loopback sockets:
 * - run: the simulator server runs in this test process (runSimServer); the child gets the
 *   simulator's generated key ONLY through its environment (LIGHTER_API_PRIVATE_KEY), places
 *   entries, stops at its wall --duration (or on SIGINT) with exit 0, and never prints the key;
 *   while it runs, `grid-bot status` reads it live over the control endpoint;
 * - CFG-05: without the variable it exits 2 naming it; a key in the file exits 2;
 * - paper --venue lighter-sim: the simulator in the child, entries placed, exit 0, a rerun
 *   resumes; --speed other than 1 (also on the default venue) and an unknown --venue are
 *   usage errors; after a run stops, `grid-bot status` reads the run store offline.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readJournal } from '../src/observability/journal.ts';
import { runSimServer, type RunningSim } from '../src/venue-sim/index.ts';
import { runCli, startCli, type CliExit } from './cli-process.ts';

const STACK = /\n\s+at .+\(|\n\s+at file:/;

const tmp = () => mkdtempSync(join(tmpdir(), 'cli-lighter-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function botYaml(dir: string, sim: RunningSim, extra = ''): string {
  const file = join(dir, 'bot.yaml');
  writeFileSync(
    file,
    `venue:\n  kind: lighter\n  rest_url: ${sim.restUrl}\n  ws_url: ${sim.wsUrl}\n  chain_id: ${sim.chainId}\n  account_index: ${sim.accountIndex}\n  api_key_index: ${sim.apiKeyIndex}\n` +
      `market: BTC\nstore: ${join(dir, 'bot.sqlite')}\n` +
      'strategy: { kind: dynamic-grid, direction: buy, order_notional_usd: 100, target_leverage: 10, take_profit: 0.5, grid_step: 0.002, max_orders: 5, wait_time: 2, max_margin_usd: 500 }\n' +
      extra,
  );
  return file;
}

function noKey(run: CliExit, key: string): void {
  for (const text of [run.stdout, run.stderr]) {
    expect(text).not.toContain(key);
    expect(text.toLowerCase()).not.toContain(key.slice(0, 20));
  }
}

describe('grid-bot run (venue.kind lighter) against the simulator server', () => {
  // A fresh simulator per test: a venue with another test's orders would be adopted (or block entries by grid_step).
  let sim: RunningSim;
  beforeEach(async () => {
    sim = await runSimServer({ port: 0, seed: 9, out: () => undefined, handleSignals: false });
  });
  afterEach(async () => {
    await sim?.stop();
  });

  it('places entries over the real adapter, stops at its wall --duration with exit 0, and never prints the key', async () => {
    const dir = tmp();
    const file = botYaml(dir, sim);
    const events = join(dir, 'events.jsonl');
    const run = await runCli(['run', '--config', file, '--duration', '6s', '--status-every', '2s', '--events', events], { LIGHTER_API_PRIVATE_KEY: sim.privateKey });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`venue: lighter ${sim.restUrl} (chain 300, account 1, api key 3)`);
    expect(run.stdout).toMatch(/^summary BTC: 6s wall time .* stopped: duration reached$/m);
    const journal = readJournal(events);
    const types = journal.map((l) => l.type);
    for (const t of ['live.started', 'venue.reconciled', 'entry.placed', 'live.stopped']) expect(types, t).toContain(t);
    expect(journal.filter((l) => l.level === 'error')).toEqual([]);
    // The config's store key was used.
    expect(existsSync(join(dir, 'bot.sqlite'))).toBe(true);
    noKey(run, sim.privateKey);
    expect(readFileSync(events, 'utf8')).not.toContain(sim.privateKey);
    // Wall time: the duration plus start-up (tsx, signer load) and a graceful stop.
    expect(run.ms).toBeGreaterThan(6_000);
    expect(run.ms).toBeLessThan(18_000);
  }, 40_000);

  it('SIGINT stops gracefully with exit 0; while running, grid-bot status reads it live', async () => {
    const dir = tmp();
    const file = botYaml(dir, sim);
    const events = join(dir, 'events.jsonl');
    const child = startCli(['run', '--config', file, '--events', events], { LIGHTER_API_PRIVATE_KEY: sim.privateKey });
    await until('entry.placed', () => existsSync(events) && readFileSync(events, 'utf8').includes('"entry.placed"'));
    await child.waitFor(/control: http:\/\/127\.0\.0\.1:/, { what: 'the control line' });
    const status = await runCli(['status', '--store', join(dir, 'bot.sqlite'), '--market', 'BTC']);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/^bot gridchart:lighter:1:BTC:1, live \(pid \d+/);
    child.kill('SIGINT');
    const run = await child.done;
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('SIGINT: stopping gracefully');
    expect(run.stdout).toContain('stopped: stop requested');
    expect(readJournal(events).at(-1)?.type).toBe('live.stopped');
    expect(existsSync(`${join(dir, 'bot.sqlite')}.BTC-1.control.json`)).toBe(false);
    noKey(run, sim.privateKey);
    // Stopped: status reads the run store offline.
    const offline = await runCli(['status', '--store', join(dir, 'bot.sqlite'), '--market', 'BTC']);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/^bot gridchart:lighter:1:BTC:1, saved \S+ \(wall time\)$/m);
    expect(offline.stdout).toContain('next position number: grid-');
  }, 40_000);

  it('CFG-05 without LIGHTER_API_PRIVATE_KEY exits 2 naming the variable; a key in the file exits 2 (environment only); neither shows key material', async () => {
    const dir = tmp();
    const file = botYaml(dir, sim);
    const missing = await runCli(['run', '--config', file, '--duration', '5s']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: config bot\.yaml: venue\.kind: venue kind lighter needs the API private key in the environment variable LIGHTER_API_PRIVATE_KEY, which is not set/m);
    expect(missing.stderr).not.toMatch(STACK);
    expect(existsSync(join(dir, 'bot.sqlite'))).toBe(false);

    const inFile = botYaml(tmp(), sim, `api_private_key: "${sim.privateKey}"\n`);
    const refused = await runCli(['run', '--config', inFile, '--duration', '5s'], { LIGHTER_API_PRIVATE_KEY: sim.privateKey });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/environment/);
    noKey(missing, sim.privateKey);
    noKey(refused, sim.privateKey);

    const speed = await runCli(['run', '--config', file, '--speed', '10'], { LIGHTER_API_PRIVATE_KEY: sim.privateKey });
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain('--speed 10 is not allowed with venue.kind lighter: it runs on wall time');
  }, 30_000);
});

describe('grid-bot paper --venue lighter-sim (simulator server in-process, real adapter over loopback)', () => {
  it('places entries over the real protocol path and exits 0; a rerun resumes the stored simulator and bot; --speed and --venue are checked', async () => {
    const dir = tmp();
    const args = ['paper', '--venue', 'lighter-sim', '--duration', '6s', '--status-every', '2s', '--store', join(dir, 'p.sqlite'), '--events', join(dir, 'p.jsonl')];
    const first = await runCli(args);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/^simulator: Lighter over loopback http:\/\/127\.0\.0\.1:\d+ /m);
    expect(first.stdout).toContain('bot gridchart:lighter-sim:1:BTC:1');
    expect(first.stdout).toMatch(/^summary BTC: 6s wall time/m);
    const j = readJournal(join(dir, 'p.jsonl'));
    for (const t of ['paper.started', 'venue.reconciled', 'entry.placed', 'paper.stopped']) expect(j.map((l) => l.type), t).toContain(t);
    expect(first.stdout + first.stderr).not.toMatch(/[0-9a-f]{80}/i);

    const second = await runCli(args.map((a) => (a === '6s' ? '3s' : a)));
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/^simulator: Lighter over loopback http:\/\/127\.0\.0\.1:\d+ .*BTC resumed from the store/m);
    expect(second.stdout).toContain('bot restored from the store');

    const speed = await runCli(['paper', '--venue', 'lighter-sim', '--speed', 'max']);
    expect(speed.code).toBe(2);
    expect(speed.stderr).toContain('--speed max is not allowed with paper --venue lighter-sim');
    const defaultSpeed = await runCli(['paper', '--speed', '10']);
    expect(defaultSpeed.code).toBe(2);
    expect(defaultSpeed.stderr).toContain('--speed 10 is not allowed with paper on its default venue (lighter-sim: the Lighter simulator over loopback): it runs on wall time (only --speed 1); use grid-bot paper --venue sim');
    const bogus = await runCli(['paper', '--venue', 'mainnet']);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('--venue "mainnet" is not allowed; use sim or lighter-sim');
  }, 60_000);
});
