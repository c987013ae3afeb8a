/**
 * A corrupted or foreign snapshot in the store (issue #6, "bad input"): refused with a
 * message naming what was found, never half-loaded, the store untouched — and then
 * `--rebuild-from-venue` starts and adopts the venue's open orders and position.
 *
 * The envelopes are real: taken from a bot run on a real SQLite file (a tracked position
 * with its resting exit), then damaged: garbage bytes, truncated at any point (fast-check),
 * another bot's identity (venue, account, market, slot, variant), and wrong types inside
 * an otherwise valid envelope (counter, slot, positions, state value, status, children).
 * One case runs end to end through the CLI (exit 2, one line, store bytes unchanged; then
 * `--rebuild-from-venue` exits 0 having adopted the venue's position).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { readJournal } from '../../src/observability/journal.ts';
import { botKey, SnapshotRefusedError } from '../../src/persistence/envelope.ts';
import { openKeyv, type OpenedStore } from '../../src/persistence/keyv-store.ts';
import { runCli } from '../cli-process.ts';
import { Harness } from '../harness.ts';

const M = 'TEST';
const KEY = botKey({ venue: 'sim', account: 'paper', market: M, slot: 1 });
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const STACK = /\n\s+at /;

const opened: OpenedStore[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

async function sqlite(): Promise<OpenedStore> {
  const s = await openKeyv(join(mkdtempSync(join(tmpdir(), 'snapshot-fuzz-')), 'bot.sqlite'));
  opened.push(s);
  return s;
}

/** A real envelope: position 1 filled and tracked with its exit resting; the venue that goes with it. */
async function realRun(): Promise<{ h: Harness; raw: string; exitIndex: number }> {
  const store = await sqlite();
  const h = new Harness({ kv: store.keyv, params: { gridStepPct: '0.05' } });
  await h.start();
  await h.advance(1_000);
  h.control.counterpartyFill(M, encodeClientIndex(1, 1, role.entry()));
  await h.advance(2_000);
  await h.bot.flush();
  const exitIndex = h.status().positions.find((p) => p.n === 1)!.exit!.clientIndex;
  h.bot.kill();
  const raw = (await store.keyv.get(KEY)) as string;
  return { h, raw, exitIndex };
}

/** Stores `raw` on a fresh SQLite file next to the same venue and tries to start a bot on it. */
async function tryStart(h: Harness, raw: string): Promise<{ err: unknown; after: string | undefined; sent: number }> {
  const store = await sqlite();
  await store.keyv.set(KEY, raw);
  const h2 = new Harness({ kv: store.keyv, venue: h.venue, clock: h.clock, params: { gridStepPct: '0.05' } });
  const orders = () => h.control.sentLog().filter((x) => x.method === 'placeOrder' || x.method === 'cancelOrder').length;
  const sentBefore = orders();
  const bot = h2.makeBot();
  let err: unknown;
  try {
    await bot.start();
  } catch (e) {
    err = e;
  }
  bot.kill();
  return { err, after: (await store.keyv.get(KEY)) as string | undefined, sent: orders() - sentBefore };
}

function expectRefused(r: { err: unknown; after: string | undefined; sent: number }, raw: string, pattern: RegExp, what: string): SnapshotRefusedError {
  expect(r.err, what).toBeInstanceOf(SnapshotRefusedError);
  const e = r.err as SnapshotRefusedError;
  expect(e.exitCode).toBe(2);
  expect(e.message, what).toMatch(pattern);
  expect(e.message).toContain(`Refusing to load the snapshot at ${KEY}`);
  expect(e.message).toContain('--rebuild-from-venue');
  expect(e.message).not.toMatch(STACK);
  expect(r.after, `${what}: store changed`).toBe(raw);
  expect(r.sent, `${what}: requests sent`).toBe(0);
  return e;
}

describe('corrupted and foreign snapshots are refused, never half-loaded; the store stays as it was', () => {
  it('garbage, truncations at any point, another bot, and wrong types inside a valid envelope', async () => {
    const { h, raw } = await realRun();
    // Sanity: the real envelope restores.
    const good = await tryStart(h, raw);
    expect(good.err).toBeUndefined();

    // Garbage bytes and non-envelopes.
    for (const [bad, pattern] of [
      ['\u0000\u0001\u00ff garbage', /corrupted envelope: not JSON/],
      ['[]', /expected a JSON object, found an array/],
      ['"just a string"', /expected a JSON object, found string/],
      ['{}', /unknown format: found nothing/],
      [raw.replace('"gridchart.snapshot"', '"other.app"'), /unknown format: found "other\.app"/],
    ] as const) {
      expectRefused(await tryStart(h, bad), bad, pattern, bad.slice(0, 30));
    }

    // Truncated at any point.
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: raw.length - 1 }), async (cut) => {
        const bad = raw.slice(0, cut);
        expectRefused(await tryStart(h, bad), bad, /corrupted envelope: not JSON/, `cut at ${cut}`);
      }),
      { numRuns: RUNS },
    );

    // Another bot's snapshot under our key: each identity field named with found and expected.
    const env = JSON.parse(raw) as { bot: Record<string, unknown>; snapshot: Record<string, any> };
    for (const [field, value] of [
      ['venue', 'lighter'],
      ['account', '77'],
      ['market', 'ETH'],
      ['slot', 9],
      ['variant', 'range-grid'],
    ] as const) {
      const bad = JSON.stringify({ ...env, bot: { ...env.bot, [field]: value } });
      expectRefused(await tryStart(h, bad), bad, new RegExp(`snapshot belongs to another bot \\(${field}: found ${JSON.stringify(JSON.stringify(value)).slice(1, -1)}, expected `), field);
    }

    // Wrong types inside a valid envelope.
    const positionChild = Object.keys(env.snapshot.children).find((k) => k.startsWith('position:'))!;
    const cases: Array<[string, (s: Record<string, any>) => void, RegExp]> = [
      ['counter as text', (s) => (s.context.nextN = 'abc'), /snapshot\.context\.nextN: found "abc"/],
      ['counter 0', (s) => (s.context.nextN = 0), /snapshot\.context\.nextN: found 0, expected an integer ≥ 1/],
      ['counter beyond 2^53', (s) => (s.context.nextN = 2 ** 60), /snapshot\.context\.nextN: found 1152921504606847000, expected a safe integer/],
      ['slot 999', (s) => (s.context.slot = 999), /snapshot\.context\.slot: found 999/],
      ['positions a number', (s) => (s.context.positions = 5), /snapshot\.context\.positions: found 5/],
      ['position size a number', (s) => (s.context.positions['1'].size = 1), /snapshot\.context\.positions\.1\.size: found 1/],
      ['position size garbage', (s) => (s.context.positions['1'].size = '1e400'), /snapshot\.context\.positions\.1\.size: found "1e400", expected a decimal string/],
      ['state value a number', (s) => (s.value = 42), /snapshot\.value: found 42/],
      ['failed actor', (s) => (s.status = 'error'), /snapshot\.status: found "error", expected "active"/],
      ['context null', (s) => (s.context = null), /snapshot\.context: found null/],
      ['children a list', (s) => (s.children = []), /snapshot\.children: found \[\]/],
      ['position child without snapshot', (s) => (s.children[positionChild].snapshot = null), /snapshot\.children\.position:grid-1\.snapshot: found null/],
      ['position child n as text', (s) => (s.children[positionChild].snapshot.context.n = 'one'), /snapshot\.children\.position:grid-1\.snapshot\.context\.n: found "one"/],
      ['snapshot missing', (s) => Object.keys(s).forEach((k) => delete s[k]), /snapshot\.status: found nothing/],
    ];
    for (const [name, mutate, pattern] of cases) {
      const copy = structuredClone(env);
      mutate(copy.snapshot);
      const bad = JSON.stringify(copy);
      expectRefused(await tryStart(h, bad), bad, pattern, name);
    }
  }, 120_000);

  it('after a refusal, --rebuild-from-venue starts and adopts the position and the exit resting on the venue', async () => {
    const { h, raw, exitIndex } = await realRun();
    const env = JSON.parse(raw) as { snapshot: Record<string, any> };
    env.snapshot.context.positions = 'lost';
    const bad = JSON.stringify(env);
    expectRefused(await tryStart(h, bad), bad, /snapshot\.context\.positions: found "lost"/, 'positions');

    const store = await sqlite();
    await store.keyv.set(KEY, bad);
    const h2 = new Harness({ kv: store.keyv, venue: h.venue, clock: h.clock, params: { gridStepPct: '0.05' } });
    await h2.start({ rebuildFromVenue: true });
    expect(h2.events('restart.rebuild-from-venue')).toHaveLength(1);
    const s = h2.status();
    expect(s.positions.map((p) => p.n)).toEqual([1]);
    expect(s.positions[0]!.exit!.clientIndex).toBe(exitIndex);
    expect(h.control.liveOrders(M).filter((o) => o.clientIndex === exitIndex)).toHaveLength(1);
    // The rebuilt state replaced the refused value, and trading goes on with the next number.
    await h2.advance(60_000);
    expect(await store.keyv.get(KEY)).not.toBe(bad);
    const next = h2.placed().filter((p) => p.role.kind === 'entry' && p.n > 1);
    if (next.length > 0) expect(next[0]!.n).toBe(2);
    h2.bot.kill();
  }, 60_000);
});

describe('a damaged snapshot through the CLI (child processes, real SQLite file)', () => {
  it('grid-bot paper refuses it (exit 2, one line naming what was found, store file unchanged); --rebuild-from-venue then adopts the venue position (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snapshot-cli-'));
    const store = join(dir, 'p.sqlite');
    const files = ['--venue', 'sim', '--store', store, '--events', join(dir, 'p.jsonl'), '--control-port', '0'];
    const first = await runCli(['paper', '--speed', 'max', '--duration', '20m', ...files]);
    expect(first.code, first.stderr).toBe(0);

    // Damage the stored bot snapshot: its position counter becomes text.
    const s = await openKeyv(store);
    const key = botKey({ venue: 'sim', account: 'paper', market: 'BTC', slot: 1 });
    const raw = (await s.keyv.get(key)) as string;
    const env = JSON.parse(raw) as { snapshot: { context: { nextN: unknown; positions: Record<string, unknown> } } };
    const tracked = Object.keys(env.snapshot.context.positions).length;
    expect(tracked).toBeGreaterThan(0);
    env.snapshot.context.nextN = 'seven';
    const bad = JSON.stringify(env);
    await s.keyv.set(key, bad);
    await s.close();
    const bytes = readFileSync(store);

    const refused = await runCli(['paper', '--speed', 'max', '--duration', '1m', ...files]);
    expect(refused.code).toBe(2);
    const errLines = refused.stderr.trimEnd().split('\n');
    expect(errLines).toHaveLength(1);
    expect(errLines[0]).toMatch(/^error: Refusing to load the snapshot at gridchart:sim:paper:BTC:1: corrupted snapshot: snapshot\.context\.nextN: found "seven", expected number, received string\. Nothing was loaded and the store is unchanged; start with --rebuild-from-venue/);
    expect(refused.stderr).not.toContain('    at ');
    expect(readFileSync(store).equals(bytes)).toBe(true);

    const rebuilt = await runCli(['paper', '--speed', 'max', '--duration', '1m', '--rebuild-from-venue', ...files]);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const journal = readJournal(join(dir, 'p.jsonl'));
    const started = journal.map((l) => l.type).lastIndexOf('restart.rebuild-from-venue');
    expect(started).toBeGreaterThan(0);
    const reconciled = journal.slice(started).find((l) => l.type === 'venue.reconciled')!;
    expect(reconciled.message).toMatch(/reconciled: venue position [\d.]+, \d+ tracked position\(s\)/);
    // Every position the damaged snapshot tracked (all resting on the venue) is adopted again.
    const adopted = Number(/(\d+) tracked position/.exec(reconciled.message)![1]);
    expect(adopted).toBe(tracked);
    const after = await openKeyv(store);
    const restored = JSON.parse((await after.keyv.get(key)) as string) as { snapshot: { context: { nextN: unknown } } };
    await after.close();
    expect(typeof restored.snapshot.context.nextN).toBe('number');
  }, 120_000);
});
