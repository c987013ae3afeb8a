/**
 * runLive over real sockets: the Lighter simulator server (runSimServer) in this process,
 * the bot over the real Lighter adapter on wall time. A first run places entries and stops
 * on its wall duration; a second run on the same store meets the venue that lived on,
 * restores and reconciles; an abort stops gracefully; a stop while the endpoint is
 * unreachable ends the connect; a malformed key is a config error before the store opens.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadedConfig } from '../config/index.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import type { JournalLine } from '../observability/journal.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { runSimServer, type RunningSim } from '../venue-sim/index.ts';
import { runLive, type LiveOptions } from './live.ts';
import type { PaperOutput } from './paper.ts';

function capture() {
  const lines: string[] = [];
  const statuses: string[] = [];
  const errors: string[] = [];
  const output: PaperOutput = { line: (t) => lines.push(t), status: (t) => statuses.push(t), error: (t) => errors.push(t) };
  return { output, lines, statuses, errors, all: () => [...lines, ...statuses, ...errors].join('\n') };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'live-'));

function lighterConfig(dir: string, venue: { restUrl: string; wsUrl?: string; chainId: number; accountIndex: number; apiKeyIndex: number }, key: string): LoadedConfig {
  const file = join(dir, 'bot.yaml');
  writeFileSync(
    file,
    [
      'venue:',
      '  kind: lighter',
      `  rest_url: ${venue.restUrl}`,
      ...(venue.wsUrl ? [`  ws_url: ${venue.wsUrl}`] : []),
      `  chain_id: ${venue.chainId}`,
      `  account_index: ${venue.accountIndex}`,
      `  api_key_index: ${venue.apiKeyIndex}`,
      'market: BTC',
      'strategy: { kind: dynamic-grid, direction: buy, order_notional_usd: 100, target_leverage: 10, take_profit: 0.5, grid_step: 0.002, max_orders: 5, wait_time: 2, max_margin_usd: 500 }',
      '',
    ].join('\n'),
  );
  return loadConfig({ file, env: { LIGHTER_API_PRIVATE_KEY: key } });
}

describe('runLive (Lighter adapter over loopback sockets, wall time)', () => {
  let sim: RunningSim;
  beforeAll(async () => {
    sim = await runSimServer({ port: 0, seed: 4, out: () => undefined, handleSignals: false });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  async function live(dir: string, opts: Partial<LiveOptions> = {}) {
    const journal: JournalLine[] = [];
    const out = capture();
    const loaded = opts.loaded ?? lighterConfig(dir, sim, sim.privateKey);
    const t0 = performance.now();
    const result = await runLive({ store: join(dir, 'l.sqlite'), events: join(dir, 'e.jsonl'), statusEveryMs: 1_000, output: out.output, onJournal: (l) => journal.push(l), ...opts, loaded });
    return { result, journal, ms: performance.now() - t0, ...out };
  }

  it('places entries on the venue, stops at its wall duration with the state saved, and a restart restores and reconciles against the venue that lived on', async () => {
    const dir = tmp();
    const first = await live(dir, { durationMs: 4_000 });
    expect(first.result.reason).toBe('duration');
    expect(first.result.connected).toBe(true);
    expect(first.result.restored).toBe(false);
    // Wall time is liveness only (timers may fire a few ms early against Date.now()).
    expect(first.result.endedAt - first.result.startedAt).toBeGreaterThanOrEqual(3_900);
    const types = first.journal.map((l) => l.type);
    expect(types[0]).toBe('live.started');
    expect(types.at(-1)).toBe('live.stopped');
    for (const t of ['venue.reconciled', 'entry.placed']) expect(types, t).toContain(t);
    expect(first.journal.filter((l) => l.level === 'error')).toEqual([]);
    // The entry really reached the simulator's engine, with this slot's client index.
    const placed = first.journal.filter((l) => l.type === 'entry.placed').map((l) => Number(l.payload.clientIndex));
    const onVenue = sim.server.control.allOrders('BTC').map((o) => o.clientIndex);
    for (const ci of placed) {
      expect(onVenue).toContain(ci);
      expect(decodeClientIndex(ci)?.slot).toBe(1);
    }
    expect(first.statuses.length).toBeGreaterThanOrEqual(2);
    expect(first.lines.some((l) => /^summary BTC: 4s wall time .* stopped: duration reached$/.test(l))).toBe(true);
    expect(first.lines.some((l) => l.includes('bot gridchart:lighter:1:BTC:1'))).toBe(true);

    // The key appears nowhere: output, journal file, store file.
    const key = sim.privateKey;
    for (const text of [first.all(), readFileSync(join(dir, 'e.jsonl'), 'utf8'), readFileSync(join(dir, 'l.sqlite')).toString('latin1')]) {
      expect(text).not.toContain(key);
      expect(text.toLowerCase()).not.toContain(key.slice(0, 20));
    }
    const store = await openKeyv(join(dir, 'l.sqlite'));
    const env = JSON.parse((await store.keyv.get('gridchart:lighter:1:BTC:1'))!) as { snapshot: { status: string } };
    await store.close();
    expect(env.snapshot.status).toBe('active');
    // The discovery file is removed at the end.
    expect(existsSync(`${join(dir, 'l.sqlite')}.BTC-1.control.json`)).toBe(false);

    const second = await live(dir, { durationMs: 2_000 });
    expect(second.result.restored).toBe(true);
    expect(second.lines).toContain('venue connected; bot restored from the store (reconciling with the venue)');
    const reconciled = second.journal.find((l) => l.type === 'venue.reconciled');
    expect(reconciled, JSON.stringify(second.journal.map((l) => l.type))).toBeDefined();
    expect(second.journal.filter((l) => l.level === 'error')).toEqual([]);
    // No adoption of foreign orders: every resting order of ours is known to the bot.
    expect(second.journal.some((l) => l.type.includes('adopt'))).toBe(false);
  }, 30_000);

  it('an abort stops gracefully (state saved, summary), and an abort during an endless connect ends it', async () => {
    const dir = tmp();
    const abort = new AbortController();
    const journal: JournalLine[] = [];
    const out = capture();
    const loaded = lighterConfig(dir, sim, sim.privateKey);
    const run = runLive({
      loaded,
      store: join(dir, 'l.sqlite'),
      events: join(dir, 'e.jsonl'),
      output: out.output,
      signal: abort.signal,
      onJournal: (l) => {
        journal.push(l);
        if (l.type === 'entry.placed') abort.abort();
      },
    });
    const result = await run;
    expect(result.reason).toBe('stopped');
    expect(out.lines.some((l) => l.includes('stopped: stop requested'))).toBe(true);
    expect(journal.at(-1)?.type).toBe('live.stopped');

    // Nothing listens on this port: the adapter retries for ever; the abort ends the run.
    const closed = lighterConfig(dir, { restUrl: 'http://127.0.0.1:9', chainId: 300, accountIndex: 1, apiKeyIndex: 3 }, sim.privateKey);
    const abort2 = new AbortController();
    const out2 = capture();
    setTimeout(() => abort2.abort(), 1_500);
    const t0 = performance.now();
    const r2 = await runLive({ loaded: closed, store: join(dir, 'c.sqlite'), events: join(dir, 'c.jsonl'), output: out2.output, signal: abort2.signal, venueOptions: { backoff: { baseMs: 100, maxMs: 200, jitter: 0 } } });
    expect(r2.connected).toBe(false);
    expect(r2.reason).toBe('stopped');
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(out2.lines).toContain('stopped before the venue connected (stop requested)');
    expect(out2.errors.some((l) => l.startsWith('WARNING lighter: read failed; retrying'))).toBe(true);
    expect(out2.all()).not.toContain(sim.privateKey);
  }, 30_000);

  it('CFG-05 a missing or malformed key is a ConfigError naming LIGHTER_API_PRIVATE_KEY, raised before the store is opened, without key material', async () => {
    const dir = tmp();
    expect(() => lighterConfig(dir, sim, '')).toThrow(/LIGHTER_API_PRIVATE_KEY, which is not set/);
    const bad = 'ab'.repeat(30);
    const loaded = lighterConfig(dir, sim, bad);
    const err = await runLive({ loaded, store: join(dir, 'x.sqlite'), events: join(dir, 'x.jsonl'), output: capture().output }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/LIGHTER_API_PRIVATE_KEY must be 80 hex characters/);
    expect((err as Error).message).not.toContain('abab');
    expect(existsSync(join(dir, 'x.sqlite'))).toBe(false);
    expect(existsSync(join(dir, 'x.jsonl'))).toBe(false);
  });

  it('an unknown market is a ConfigError naming the market and the venue', async () => {
    const dir = tmp();
    const loaded = lighterConfig(dir, sim, sim.privateKey);
    const err = await runLive({ loaded: { ...loaded, config: { ...loaded.config, market: 'DOGE' } }, store: join(dir, 'm.sqlite'), events: join(dir, 'm.jsonl'), output: capture().output, durationMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/market: "DOGE" is not a market of the venue at http:\/\/127\.0\.0\.1:\d+/);
  });
});
