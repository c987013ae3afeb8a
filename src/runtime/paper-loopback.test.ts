/**
 * runPaperLoopback in-process: trades over the real Lighter adapter against the simulator
 * server it starts, saves the simulator's snapshot in the store, closes that server at the
 * end, never stores or prints the throwaway private key;
 * refuses a Lighter config and a market the simulator does not have before starting anything.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.ts';
import { SnapshotRefusedError } from '../persistence/envelope.ts';
import type { JournalLine } from '../observability/journal.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { checkSnapshot } from '../venue-sim/index.ts';
import { loopbackVenueKey, runPaperLoopback } from './paper-loopback.ts';
import type { PaperOutput } from './paper.ts';

function capture() {
  const lines: string[] = [];
  const errors: string[] = [];
  const output: PaperOutput = { line: (t) => lines.push(t), status: (t) => lines.push(t), error: (t) => errors.push(t) };
  return { output, lines, errors };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'loopback-'));

describe('runPaperLoopback', () => {
  it('places an entry over loopback sockets, saves the simulator beside the bot, then closes it; no 80-hex key in output or journal, only public keys and tx hashes in the store', async () => {
    const dir = tmp();
    const out = capture();
    const journal: JournalLine[] = [];
    const result = await runPaperLoopback({ store: join(dir, 'p.sqlite'), events: join(dir, 'p.jsonl'), durationMs: 3_000, statusEveryMs: 1_000, output: out.output, onJournal: (l) => journal.push(l), env: {} });
    expect(result.reason).toBe('duration');
    expect(result.connected).toBe(true);
    expect(journal.map((l) => l.type)).toContain('entry.placed');
    const sim = /^simulator: Lighter over loopback (http:\/\/127\.0\.0\.1:\d+) /m.exec(out.lines.join('\n'));
    expect(sim).not.toBeNull();
    await expect(fetch(`${sim![1]}/api/v1/orderBookDetails`)).rejects.toThrow();
    const texts = [out.lines.join('\n'), out.errors.join('\n'), readFileSync(join(dir, 'p.jsonl'), 'utf8')];
    for (const t of texts) expect(t).not.toMatch(/[0-9a-f]{80}/i);
    // The store holds the simulator's snapshot: its 80-hex strings are the registered PUBLIC
    // key and transaction hashes, nothing else (the private key is never stored).
    const opened = await openKeyv(join(dir, 'p.sqlite'));
    const raw = await opened.keyv.get(loopbackVenueKey('BTC'));
    await opened.close();
    const snap = checkSnapshot(JSON.parse(raw!));
    expect(snap.exchange.txs.length).toBeGreaterThan(0);
    const allowed = new Set([...snap.accounts.accounts.flatMap((a) => a.keys.map((k) => k.publicKey)), ...snap.exchange.txs.map((t) => t.hash), ...snap.exchange.trades.map((t) => t.tx_hash)]);
    const found = readFileSync(join(dir, 'p.sqlite')).toString('latin1').match(/(?<![0-9a-f])[0-9a-f]{80}(?![0-9a-f])/gi) ?? [];
    expect(found.length).toBeGreaterThan(0);
    for (const h of found) expect(allowed.has(h.toLowerCase()), h.slice(0, 8)).toBe(true);
  }, 20_000);

  it('a damaged simulator state in the store is refused (store unchanged); --rebuild-from-venue replaces it with a new simulator', async () => {
    const dir = tmp();
    const store = join(dir, 'p.sqlite');
    const opened = await openKeyv(store);
    await opened.keyv.set(loopbackVenueKey('BTC'), '{"format":"gridchart.lighter-sim","version":7}');
    await opened.close();
    const refused = await runPaperLoopback({ store, events: join(dir, 'p.jsonl'), durationMs: 1_000, output: capture().output, env: {} }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SnapshotRefusedError);
    expect((refused as Error).message).toMatch(/gridchart:sim:lighter-sim\.BTC: the stored simulator state is not usable: version/);
    const again = await openKeyv(store);
    expect(await again.keyv.get(loopbackVenueKey('BTC'))).toBe('{"format":"gridchart.lighter-sim","version":7}');
    await again.close();

    const out = capture();
    const rebuilt = await runPaperLoopback({ store, events: join(dir, 'p.jsonl'), durationMs: 1_500, output: out.output, rebuildFromVenue: true, controlPort: false, env: {} });
    expect(rebuilt.connected).toBe(true);
    expect(out.errors.join('\n')).toContain('--rebuild-from-venue: starting a new simulator');
    const after = await openKeyv(store);
    const raw = await after.keyv.get(loopbackVenueKey('BTC'));
    await after.close();
    expect(checkSnapshot(JSON.parse(raw!)).version).toBe(1);
  }, 30_000);

  it('refuses a venue.kind lighter config and a market the simulator lacks, before opening anything', async () => {
    const dir = tmp();
    const file = join(dir, 'lighter.yaml');
    writeFileSync(file, 'venue: { kind: lighter, rest_url: "http://127.0.0.1:1", chain_id: 300, account_index: 1, api_key_index: 3 }\nstrategy: { direction: buy, quantity: 1, target_leverage: 5, max_margin_usd: 10 }\n');
    const lighter = await runPaperLoopback({ config: file, store: join(dir, 'a.sqlite'), output: capture().output, env: { LIGHTER_API_PRIVATE_KEY: 'ab'.repeat(40) } }).catch((e: unknown) => e);
    expect(lighter).toBeInstanceOf(ConfigError);
    expect((lighter as Error).message).toMatch(/venue\.kind: paper --venue lighter-sim starts its own Lighter simulator; lighter is for grid-bot run/);
    const market = await runPaperLoopback({ market: 'DOGE', store: join(dir, 'b.sqlite'), output: capture().output, env: {} }).catch((e: unknown) => e);
    expect(market).toBeInstanceOf(ConfigError);
    expect((market as Error).message).toMatch(/"DOGE" is not a simulated market/);
    expect(existsSync(join(dir, 'a.sqlite')) || existsSync(join(dir, 'b.sqlite'))).toBe(false);
  });
});
