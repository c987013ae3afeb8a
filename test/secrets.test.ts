/**
 * Secrets (issue #6): a full session of `grid-bot run` (child processes) against the Lighter
 * simulator server with LIGHTER_API_PRIVATE_KEY set to a known key — debug output and
 * LOG_LEVEL=debug, the events journal, fills, induced error paths (REST 500s, a transaction
 * rejected for an invalid signature, an invalid nonce), a kill -9 and a restart, `grid-bot
 * status`, GET /status and /metrics — then the key (with and without 0x, upper case, and its
 * first 16 hex characters) must appear in none of: stdout, stderr, the events file, the
 * SQLite store (file bytes, -wal/-shm, every decoded value), the status and metrics answers.
 * The store file (and -wal/-shm) and the discovery/token file are owner-only (0600); no
 * file the bot writes holds the key.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { controlFilePath, readDiscovery } from '../src/observability/control-server.ts';
import { readJournal } from '../src/observability/journal.ts';
import { openKeyv } from '../src/persistence/keyv-store.ts';
import { runSimServer, type RunningSim } from '../src/venue-sim/index.ts';
import { startCli } from './cli-process.ts';




let eventsFile = '';
const journalTail = () => (existsSync(eventsFile) ? readFileSync(eventsFile, 'utf8').split('\n').slice(-25).join('\n') : 'no events file');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean | Promise<boolean>, diag: () => string = journalTail, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; output so far:\n${diag().slice(-3000)}`);
    await sleep(100);
  }
}

describe('the private key never leaves the environment', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await runSimServer({ port: 0, seed: 11, out: () => undefined, handleSignals: false });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('a full run session (fills, REST 500s, rejected txs, kill -9, restart, status, /status, /metrics) shows the key nowhere; store and token files are 0600', async () => {
    const key = sim.privateKey;
    expect(key).toMatch(/^[0-9a-f]{80}$/);
    const forms = [key, `0x${key}`, key.toUpperCase(), key.slice(0, 16), key.slice(-16), key.slice(32, 48)];

    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    const store = join(dir, 'bot.sqlite');
    const events = join(dir, 'events.jsonl');
    eventsFile = events;
    const config = join(dir, 'bot.yaml');
    writeFileSync(
      config,
      `venue:\n  kind: lighter\n  rest_url: ${sim.restUrl}\n  ws_url: ${sim.wsUrl}\n  chain_id: ${sim.chainId}\n  account_index: ${sim.accountIndex}\n  api_key_index: ${sim.apiKeyIndex}\n` +
        `market: BTC\nstore: ${store}\n` +
        'strategy: { kind: dynamic-grid, direction: buy, order_notional_usd: 100, target_leverage: 10, take_profit: 0.5, grid_step: 0.002, max_orders: 5, wait_time: 2, max_margin_usd: 500 }\n',
    );
    const env = { LIGHTER_API_PRIVATE_KEY: `0x${key}`, LOG_LEVEL: 'debug' };
    const args = ['run', '--config', config, '--events', events, '--status-every', '1s', '--log-level', 'debug', '--debug'];
    const texts: Record<string, string> = {};
    const journalTypes = () => (existsSync(events) ? readJournal(events).map((l) => l.type) : []);
    const ours = () => sim.server.control.liveOrders('BTC').filter((o) => decodeClientIndex(o.clientIndex) !== null);

    // --- first process: entries, error paths, fills, status, endpoints; then kill -9.
    const first = startCli(args, env);
    await until('an entry placed', () => journalTypes().includes('entry.placed'), () => first.out() + journalTail());
    sim.server.control.faults.failRest({ status: 500, count: 3 });
    sim.server.control.faults.rejectNextTx(21120, { message: 'invalid signature' });
    sim.server.control.faults.rejectNextTx(21104, { message: 'invalid nonce' });
    await until('the entry fills', async () => {
      for (const o of ours()) if (decodeClientIndex(o.clientIndex)!.role.kind === 'entry') sim.server.control.counterpartyFill('BTC', o.clientIndex);
      return journalTypes().includes('entry.filled');
    });
    await until('an exit resting', () => journalTypes().some((t) => t === 'exit.placed' || t === 'exit.reposted'));
    await until('the control line', () => first.out().includes('control: http://127.0.0.1:'));

    const file = controlFilePath(store, 'BTC', 1);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const d = readDiscovery(file)!;
    const auth = { authorization: `Bearer ${d.token}` };
    const status = await fetch(`${d.url}/status`, { headers: auth });
    expect(status.status).toBe(200);
    texts['GET /status'] = await status.text();
    expect(JSON.parse(texts['GET /status']!)).toMatchObject({ bot: 'gridchart:lighter:1:BTC:1' });
    const metrics = await fetch(`${d.url}/metrics`);
    // 200 with Prometheus text once `run` serves metrics; either way the answer is scanned.
    expect([200, 404]).toContain(metrics.status);
    texts['GET /metrics'] = await metrics.text();
    texts['GET /status (no token)'] = await (await fetch(`${d.url}/status`)).text();
    const cliStatus = await startCli(['status', '--store', store, '--market', 'BTC'], {}).done;
    expect(cliStatus.code, cliStatus.stderr).toBe(0);
    expect(cliStatus.stdout).toMatch(/live \(pid \d+/);
    texts['grid-bot status (live)'] = cliStatus.stdout + cliStatus.stderr;

    first.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    texts['run 1 stdout'] = killed.stdout;
    texts['run 1 stderr'] = killed.stderr;

    // --- second process: restored, reconciled; the exit fills; then SIGINT.
    const reconciledBefore = journalTypes().filter((t) => t === 'venue.reconciled').length;
    const second = startCli(args, env);
    await until('the restart reconciled', () => journalTypes().filter((t) => t === 'venue.reconciled').length > reconciledBefore);
    sim.server.control.faults.failRest({ status: 500, count: 2 });
    await until('an exit fills', async () => {
      for (const o of ours()) if (decodeClientIndex(o.clientIndex)!.role.kind !== 'entry') sim.server.control.counterpartyFill('BTC', o.clientIndex);
      return journalTypes().includes('exit.filled');
    });
    await until('the control line', () => second.out().includes('control: http://127.0.0.1:'));
    const d2 = readDiscovery(file)!;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    texts['GET /status (restarted)'] = await (await fetch(`${d2.url}/status`, { headers: { authorization: `Bearer ${d2.token}` } })).text();
    texts['GET /metrics (restarted)'] = await (await fetch(`${d2.url}/metrics`)).text();
    second.kill('SIGINT');
    const stopped = await second.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('venue connected; bot restored from the store');
    texts['run 2 stdout'] = stopped.stdout;
    texts['run 2 stderr'] = stopped.stderr;
    const offline = await startCli(['status', '--store', store, '--market', 'BTC'], {}).done;
    texts['grid-bot status (stored)'] = offline.stdout + offline.stderr;

    // The session did go through the error paths it was meant to.
    const journal = readJournal(events);
    const types = journal.map((l) => l.type);
    for (const t of ['live.started', 'entry.placed', 'entry.filled', 'exit.rejected', 'exit.reposted', 'exit.filled', 'live.stopped']) expect(types, t).toContain(t);
    expect(sim.server.control.restLog().some((c) => c.status === 500)).toBe(true);
    expect(texts['run 1 stderr']! + texts['run 2 stderr']!).toMatch(/DEBUG|WARNING/);

    // --- the scan.
    texts['events file'] = readFileSync(events, 'utf8');
    for (const suffix of ['', '-wal', '-shm']) {
      const f = `${store}${suffix}`;
      if (!existsSync(f)) continue;
      expect(statSync(f).mode & 0o777, f).toBe(0o600);
      texts[`store file ${suffix || '(main)'}`] = readFileSync(f).toString('latin1');
    }
    const opened = await openKeyv(store);
    let values = 0;
    try {
      for await (const [k, v] of opened.keyv.iterator!(undefined) as AsyncGenerator<[string, unknown]>) {
        texts[`store value ${k}`] = `${k} ${typeof v === 'string' ? v : JSON.stringify(v)}`;
        values++;
      }
    } finally {
      await opened.close();
    }
    expect(values).toBeGreaterThan(0);
    for (const f of readdirSync(dir)) texts[`file ${f}`] = readFileSync(join(dir, f)).toString('latin1');

    for (const [where, text] of Object.entries(texts)) {
      for (const form of forms) {
        expect(text.includes(form) || text.toLowerCase().includes(form.toLowerCase()), `${where} contains key material (${form.length} chars)`).toBe(false);
      }
    }
  }, 150_000);
});
