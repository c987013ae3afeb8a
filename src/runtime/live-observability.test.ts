/**
 * `grid-bot run` (runLive) has the same operator outputs as paper: over real sockets against
 * the Lighter simulator server, a run serves GET /metrics on its control endpoint (scraped
 * while it runs: orders sent, journal events, REST calls, the venue connection), writes
 * JSON log lines at `logLevel`, and no output carries the private key or the control token.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.ts';
import { controlFilePath, readDiscovery } from '../observability/control-server.ts';
import { runSimServer, type RunningSim } from '../venue-sim/index.ts';
import { runLive } from './live.ts';

describe('runLive observability (metrics, logs)', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await runSimServer({ port: 0, seed: 4, out: () => undefined, handleSignals: false });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('serves /metrics on the control endpoint of a running run and writes JSON logs without secrets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'live-obs-'));
    const file = join(dir, 'bot.yaml');
    writeFileSync(
      file,
      [
        'venue:',
        '  kind: lighter',
        `  rest_url: ${sim.restUrl}`,
        `  ws_url: ${sim.wsUrl}`,
        `  chain_id: ${sim.chainId}`,
        `  account_index: ${sim.accountIndex}`,
        `  api_key_index: ${sim.apiKeyIndex}`,
        'market: BTC',
        'strategy: { kind: dynamic-grid, direction: buy, order_notional_usd: 100, target_leverage: 10, take_profit: 0.5, grid_step: 0.002, max_orders: 5, wait_time: 2, max_margin_usd: 500 }',
        '',
      ].join('\n'),
    );
    const loaded = loadConfig({ file, env: { LIGHTER_API_PRIVATE_KEY: sim.privateKey } });
    const store = join(dir, 'l.sqlite');
    const logs: string[] = [];
    const printed: string[] = [];
    const stop = new AbortController();
    const run = runLive({
      loaded,
      store,
      events: join(dir, 'e.jsonl'),
      statusEveryMs: 1_000,
      signal: stop.signal,
      env: {},
      logLevel: 'info',
      logWrite: (l) => logs.push(l),
      output: { line: (t) => printed.push(t), status: (t) => printed.push(t), error: (t) => printed.push(t) },
    });
    let scraped = '';
    let controlToken = '';
    try {
      const controlFile = controlFilePath(store, 'BTC', 1);
      // Scrape until the venue has accepted an entry (liveness bound: 30 s of wall time).
      for (let i = 0; i < 300 && !/gridchart_journal_events_total\{[^}]*type="entry.placed"[^}]*\} [1-9]/.test(scraped); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const d = readDiscovery(controlFile);
        if (!d) continue;
        controlToken = d.token;
        const res = await fetch(`${d.url}/metrics`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        scraped = await res.text();
      }
    } finally {
      stop.abort();
    }
    const result = await run;
    expect(result.reason).toBe('stopped');
    expect(scraped).toMatch(/gridchart_orders_sent_total\{[^}]*kind="entry"[^}]*\} [1-9]/);
    expect(scraped).toMatch(/gridchart_journal_events_total\{[^}]*type="entry.placed"[^}]*\} [1-9]/);
    expect(scraped).toMatch(/gridchart_rest_calls_total\{/);
    expect(scraped).toMatch(/^gridchart_venue_connected\{[^}]*\} 1$/m);
    const json = logs.map((l) => JSON.parse(l) as { level: number | string; msg: string; market?: string });
    expect(json.length).toBeGreaterThan(0);
    expect(json.every((l) => l.market === 'BTC')).toBe(true);
    const everything = [scraped, ...logs, ...printed].join('\n');
    expect(everything).not.toContain(sim.privateKey);
    expect(everything).not.toContain(sim.privateKey.replace(/^0x/, ''));
    expect(controlToken).toMatch(/^[0-9a-f]{48}$/);
    expect(everything).not.toContain(controlToken);
  }, 60_000);
});
