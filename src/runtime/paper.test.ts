import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import type { JournalLine } from '../observability/journal.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { simKey } from '../persistence/snapshot-store.ts';
import { SnapshotStore } from '../persistence/snapshot-store.ts';
import { gridParamsFrom } from './params.ts';
import { loadPaperConfig, runPaper, type PaperOptions, type PaperOutput } from './paper.ts';
import { VenueStateSaver, captureRecord, guardedKv, openPaperVenue } from './paper-venue.ts';
import { Bot } from './bot.ts';
import { runSimulated } from './clock-driver.ts';
import type { DynamicGridConfig } from '../config/index.ts';

function capture() {
  const lines: string[] = [];
  const statuses: string[] = [];
  const errors: string[] = [];
  const output: PaperOutput = { line: (t) => lines.push(t), status: (t) => statuses.push(t), error: (t) => errors.push(t) };
  return { output, lines, statuses, errors };
}

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'paper-'));
}

async function paper(dir: string, opts: PaperOptions) {
  const journal: JournalLine[] = [];
  const out = capture();
  const result = await runPaper({ store: join(dir, 'p.sqlite'), events: join(dir, 'e.jsonl'), output: out.output, onJournal: (l) => journal.push(l), env: {}, ...opts });
  return { result, journal, ...out };
}

const types = (j: JournalLine[]) => new Set(j.map((l) => l.type));
const positionsOf = (j: JournalLine[], type: string) =>
  j.filter((l) => l.type === type).map((l) => Number(String(l.payload.position).replace('grid-', '')));

describe('runPaper', () => {
  it('trades the paper preset on the simulated BTC within 2 simulated minutes, then resumes where it stopped', async () => {
    const dir = tmp();
    const first = await paper(dir, { speed: 'max', durationMs: 120_000, statusEveryMs: 30_000 });
    expect(first.result.reason).toBe('until');
    expect(first.result.resumed).toBe(false);
    expect(first.result.endedAt - first.result.startedAt).toBe(120_000);
    for (const t of ['venue.reconciled', 'entry.placed', 'entry.filled', 'position.tracked', 'exit.placed', 'exit.filled', 'position.closed']) {
      expect(types(first.journal), t).toContain(t);
    }
    expect(first.journal.filter((l) => l.level === 'error')).toEqual([]);
    expect(first.lines).toContain('  TP 0.5 % of margin at 10x = 0.05 % price move');
    expect(first.statuses).toHaveLength(4);
    expect(first.statuses[0]).toMatch(/^\d\d:\d\d:\d\d BTC entry \w+/);
    expect(first.lines.some((l) => l.startsWith('summary BTC: 2m 0s simulated'))).toBe(true);

    // The stored venue is at least as new as the stored bot, and carries the clock time.
    const store = await openKeyv(join(dir, 'p.sqlite'));
    const venueRec = JSON.parse((await store.keyv.get(simKey('BTC')))!) as { clockNow: number };
    const botEnv = JSON.parse((await store.keyv.get('gridchart:sim:paper:BTC:1'))!) as { savedAt: number; snapshot: { status: string } };
    await store.close();
    expect(venueRec.clockNow).toBe(first.result.endedAt);
    expect(venueRec.clockNow).toBeGreaterThanOrEqual(botEnv.savedAt);
    expect(botEnv.snapshot.status).toBe('active');

    const second = await paper(dir, { speed: 'max', durationMs: 60_000, statusEveryMs: 30_000 });
    expect(second.result.resumed).toBe(true);
    expect(second.result.startedAt).toBe(first.result.endedAt);
    expect(types(second.journal)).toContain('venue.reconciled');
    expect(types(second.journal)).not.toContain('restart.adopted-orders');
    expect(types(second.journal)).not.toContain('restart.orphans-canceled');
    expect(second.journal.filter((l) => l.level === 'error')).toEqual([]);
    // New entries continue above every position number of the first run.
    const maxFirst = Math.max(...positionsOf(first.journal, 'entry.placed'));
    const newer = positionsOf(second.journal, 'entry.placed');
    expect(newer.length).toBeGreaterThan(0);
    expect(Math.min(...newer)).toBeGreaterThan(maxFirst);
    // Positions left open by the first run are still tracked (their exits fill or they stay).
    expect(second.result.status?.nextN).toBeGreaterThan(maxFirst + 1);
  }, 30_000);

  it('stops gracefully on abort (Ctrl-C) at a real-time pace, and the next run reconciles without adopting', async () => {
    const dir = tmp();
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 700);
    const wallStart = performance.now();
    const first = await paper(dir, { speed: 100, statusEveryMs: 10_000, signal: abort.signal });
    const wall = performance.now() - wallStart;
    expect(first.result.reason).toBe('stopped');
    expect(wall).toBeLessThan(5_000);
    const simulated = first.result.endedAt - first.result.startedAt;
    // ≈ 100× the wall time it ran (loosely: start-up and shutdown take wall time too).
    expect(simulated).toBeGreaterThan(10_000);
    expect(simulated).toBeLessThan(100 * wall + 1000);
    expect(first.journal.at(-1)?.type).toBe('paper.stopped');
    expect(first.lines.some((l) => l.includes('stopped: stop requested'))).toBe(true);

    const second = await paper(dir, { speed: 'max', durationMs: 30_000, statusEveryMs: 30_000 });
    expect(second.result.startedAt).toBe(first.result.endedAt);
    expect(types(second.journal)).toContain('venue.reconciled');
    expect(types(second.journal)).not.toContain('restart.adopted-orders');
    const placed = first.journal.filter((l) => l.type === 'entry.placed' || l.type === 'exit.placed').length;
    expect(placed).toBeGreaterThan(0);
  }, 30_000);

  it('resumes a bot killed between the write-ahead of an entry and its send (restored placement waits for reconciliation)', async () => {
    const dir = tmp();
    const file = join(dir, 'p.sqlite');
    const opened = await openKeyv(file);
    const store = new SnapshotStore(opened.keyv);
    const { venue, clock } = await openPaperVenue({ store, market: 'BTC', seed: 1 });
    const saver = new VenueStateSaver(store, 'BTC', () => captureRecord(venue, clock));
    const strategy = loadPaperConfig({ env: {} }).config.strategy as DynamicGridConfig;
    const bot = new Bot({
      params: gridParamsFrom(strategy),
      market: 'BTC',
      slot: 1,
      targetLeverage: strategy.target_leverage,
      venue,
      clock,
      kv: guardedKv(opened.keyv, saver),
      identity: { venue: 'sim', account: 'paper', market: 'BTC', slot: 1, variant: 'dynamic-grid' },
      journal: () => undefined,
    });
    let killed = false;
    venue.control.onOrderArrival(() => {
      if (killed) return;
      killed = true;
      bot.kill(); // the process dies: the entry's index is durable, the order never reached the venue
      throw new Error('process killed before the send');
    });
    await bot.start();
    await runSimulated({ clock, idle: bot.idle, drain: () => venue.control.drain(), speed: 'max', until: clock.now() + 60_000, shouldStop: () => killed });
    expect(killed).toBe(true);
    await saver.save();
    const env = JSON.parse((await opened.keyv.get(bot.key))!) as { snapshot: { value: { entry: string } } };
    await opened.close();
    expect(env.snapshot.value.entry).toBe('placing');

    const resumed = await paper(dir, { speed: 'max', durationMs: 30_000, statusEveryMs: 30_000 });
    expect(resumed.result.reason).toBe('until');
    const order = resumed.journal.map((l) => l.type);
    expect(order.indexOf('venue.reconciled')).toBeGreaterThan(-1);
    const placed = resumed.journal.filter((l) => l.type === 'entry.placed');
    expect(placed[0]?.payload.position).toBe('grid-1'); // the same index, re-sent after reconciliation
    expect(resumed.journal.filter((l) => l.level === 'error')).toEqual([]);
  }, 30_000);

  it('writes client indexes of its own slot only', async () => {
    const dir = tmp();
    const run = await paper(dir, { speed: 'max', durationMs: 60_000, statusEveryMs: 60_000, slot: 3 });
    const indexes = run.journal.filter((l) => l.type === 'entry.placed').map((l) => Number(l.payload.clientIndex));
    expect(indexes.length).toBeGreaterThan(0);
    for (const idx of indexes) expect(decodeClientIndex(idx)?.slot).toBe(3);
  }, 30_000);

  it('refuses a bad config before opening the store or the journal', async () => {
    const dir = tmp();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'direction: buy\nquantity: 1\ntarget_leverage: 5\nmax_margin_usd: 10\nmax_orders: 0\n');
    const err = await paper(dir, { config: file, speed: 'max', durationMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('max_orders');
    expect(existsSync(join(dir, 'p.sqlite'))).toBe(false);
    expect(existsSync(join(dir, 'e.jsonl'))).toBe(false);
  });

  it('refuses a market the simulator does not have and a lighter venue', async () => {
    const dir = tmp();
    await expect(paper(dir, { market: 'DOGE', speed: 'max', durationMs: 1000 })).rejects.toThrow(/"DOGE" is not a simulated market/);
    const file = join(dir, 'lighter.yaml');
    writeFileSync(
      file,
      'venue: { kind: lighter, rest_url: "http://127.0.0.1:1", chain_id: 1, account_index: 1, api_key_index: 2 }\nstrategy: { direction: buy, quantity: 1, target_leverage: 5, max_margin_usd: 10 }\n',
    );
    const err = await runPaper({ config: file, store: join(dir, 'l.sqlite'), events: join(dir, 'l.jsonl'), output: capture().output, env: { LIGHTER_API_PRIVATE_KEY: 'k'.repeat(40) } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/venue.kind: paper mode runs on the simulated venue; lighter is for grid-bot run/);
  });

  it('rejects a speed or duration that is not positive', async () => {
    const dir = tmp();
    await expect(paper(dir, { speed: 0 })).rejects.toThrow(/positive number or 'max'/);
    await expect(paper(dir, { speed: 'max', durationMs: -5 })).rejects.toThrow(/duration must be a positive integer ms/);
  });
});
