/**
 * The default paper run (`grid-bot paper`: the Lighter simulator in the child, the real
 * adapter over loopback) across restarts, as real child processes on real SQLite files:
 * - SIGINT persists both sides; `grid-bot status` reads the stopped bot offline; the next
 *   run restores the simulator (position and resting exits still there, the same orders) and
 *   the bot, places no duplicate entry, and its transactions continue the nonce stream;
 * - RST-11 over loopback: kill -9 while positions and exits rest, restart: the bot restores,
 *   reconciles, and ends with bot and venue agreeing (tracked size = venue position, every
 *   open exit resting on the venue, at most one entry).
 *
 * The simulator's state is read back from the store by restoring it into an in-test
 * simulator on a simulated clock (nothing moves while it is inspected).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINE_VERSION, type GridContext } from '../machines/grid/types.ts';
import type { VenueOrder } from '../adapters/types.ts';
import { Dec } from '../src/domain/decimal.ts';
import { readJournal, type JournalLine } from '../src/observability/journal.ts';
import { openKeyv } from '../src/persistence/keyv-store.ts';
import { SnapshotStore } from '../src/persistence/snapshot-store.ts';
import { SimClock } from '../src/runtime/clock.ts';
import { loopbackVenueKey } from '../src/runtime/paper-loopback.ts';
import { buildStatus, type BotStatus } from '../src/runtime/status.ts';
import { checkSnapshot, startLighterSim, type LighterSimSnapshot } from '../src/venue-sim/index.ts';
import { runCli, startCli } from './cli-process.ts';

const IDENTITY = { venue: 'lighter-sim', account: '1', market: 'BTC', slot: 1, variant: 'dynamic-grid' };
const BOT_KEY = 'gridchart:lighter-sim:1:BTC:1';
/** Wall-time liveness bound for the first resting exit (it usually comes within ~20 s). */
const FIRST_EXIT_MS = 120_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const journal = (file: string): JournalLine[] => (existsSync(file) ? readJournal(file) : []);
const has = (file: string, type: string) => existsSync(file) && readFileSync(file, 'utf8').includes(`"type":"${type}"`);

interface Stored {
  bot: BotStatus;
  venueSnap: LighterSimSnapshot;
  venue: { position: string; live: VenueOrder[]; nextNonce: number };
}

/** The bot's and the simulator's persisted state. */
async function stored(store: string): Promise<Stored> {
  const opened = await openKeyv(store);
  let venueSnap: LighterSimSnapshot;
  let bot: BotStatus;
  try {
    const raw = await opened.keyv.get(loopbackVenueKey('BTC'));
    expect(raw, 'the simulator state is in the store').toBeDefined();
    venueSnap = checkSnapshot(JSON.parse(raw!));
    const env = await new SnapshotStore(opened.keyv).load(BOT_KEY, { machineVersion: MACHINE_VERSION, bot: IDENTITY });
    expect(env, 'the bot snapshot is in the store').not.toBeNull();
    bot = buildStatus(env!.snapshot as { value: unknown; context: GridContext });
  } finally {
    await opened.close();
  }
  const server = await startLighterSim({ clock: new SimClock(venueSnap.clockNow), restore: venueSnap });
  try {
    return { bot, venueSnap, venue: { position: server.control.positionOf('BTC').size, live: server.control.liveOrders('BTC'), nextNonce: server.control.nextNonce(1, 3) } };
  } finally {
    await server.close();
  }
}

/** Bot and venue agree: tracked size = venue position; every open exit rests on the venue; nothing else but at most one entry. */
function expectAgreement(s: Stored): void {
  expect(new Dec(s.bot.trackedSize).eq(new Dec(s.venue.position)), `bot tracks ${s.bot.trackedSize}, venue position ${s.venue.position}`).toBe(true);
  const exits = s.bot.positions.filter((p) => p.exit && p.exit.status === 'open');
  for (const p of exits) {
    const o = s.venue.live.find((v) => v.clientIndex === p.exit!.clientIndex);
    expect(o, `${p.name}'s exit ${p.exit!.clientIndex} rests on the venue`).toBeDefined();
    expect(o!.reduceOnly).toBe(true);
    expect(new Dec(o!.price).eq(new Dec(p.exit!.price))).toBe(true);
  }
  expect(s.venue.live.filter((o) => o.reduceOnly)).toHaveLength(exits.length);
  expect(s.venue.live.filter((o) => !o.reduceOnly).length).toBeLessThanOrEqual(1);
}

/** Nonces of the simulator's transactions: 1, 2, 3, … without a gap or a repeat. */
function expectConsecutiveNonces(snap: LighterSimSnapshot): void {
  const nonces = snap.exchange.txs.map((t) => t.nonce);
  expect(nonces).toEqual(nonces.map((_, i) => i + 1));
}

describe('default paper run over loopback across restarts', () => {
  it('SIGINT persists bot and simulator; status reads it offline; the next run meets the same venue, places no duplicate entry, and continues the nonces', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopback-restart-'));
    const store = join(dir, 'p.sqlite');
    const events = join(dir, 'p.jsonl');
    const args = ['paper', '--status-every', '5s', '--store', store, '--events', events];

    const first = startCli(args);
    await until('a resting exit', () => has(events, 'exit.placed'), FIRST_EXIT_MS);
    first.kill('SIGINT');
    const r1 = await first.done;
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toMatch(/^simulator: Lighter over loopback http:\/\/127\.0\.0\.1:\d+ \(ws ws:\/\/127\.0\.0\.1:\d+\/stream\), BTC new/m);
    expect(r1.stdout).toMatch(/^control: http:\/\/127\.0\.0\.1:\d+ /m);
    expect(journal(events).at(-1)?.type).toBe('paper.stopped');
    const s1 = await stored(store);
    expectAgreement(s1);
    const restingAtStop = s1.bot.positions.filter((p) => p.exit && p.exit.status === 'open');
    expect(restingAtStop.length).toBeGreaterThan(0);
    expect(new Dec(s1.venue.position).gt(0)).toBe(true);
    expectConsecutiveNonces(s1.venueSnap);
    expect(s1.venue.nextNonce).toBe(s1.venueSnap.exchange.txs.length + 1);

    const offline = await runCli(['status', '--store', store]);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toMatch(/^bot gridchart:lighter-sim:1:BTC:1, saved \S+ \(wall time\)$/m);
    expect(offline.stdout).toMatch(/^Lighter simulator saved at /m);
    for (const p of restingAtStop) expect(offline.stdout).toContain(`  ${p.name} `);

    const j1 = journal(events).length;
    const second = startCli(args);
    await second.waitFor(/venue connected; bot restored from the store/, { what: 'the restored bot', ms: 30_000 });
    await second.waitFor(/^control: http/m, { what: 'the control line', ms: 30_000 });
    expect(second.stdout()).toMatch(/BTC resumed from the store \(saved \S+; next nonce \d+\)/);
    // An operator cancel-all makes the resumed run send transactions (signed with its new key).
    const cancel = await runCli(['cancel-all', '--yes', '--store', store]);
    expect(cancel.code, cancel.stderr).toBe(0);
    await until('cancel-all executed', () => journal(events).slice(j1).some((l) => l.type === 'cancel-all.executed'));
    second.kill('SIGINT');
    const r2 = await second.done;
    expect(r2.code, r2.stderr).toBe(0);

    const run2 = journal(events).slice(j1);
    expect(run2.filter((l) => l.level === 'error')).toEqual([]);
    // The restored positions kept their exits (the same orders, not re-placed) until cancel-all.
    const restingNames = new Set(restingAtStop.map((p) => p.name));
    expect(run2.filter((l) => l.type === 'exit.placed' && restingNames.has(String(l.payload?.position)))).toEqual([]);
    // No duplicate entry: every entry of the second run is a new position number.
    const run1Entries = new Set(journal(events).slice(0, j1).filter((l) => l.type === 'entry.placed').map((l) => String(l.payload?.position)));
    expect(run2.filter((l) => l.type === 'entry.placed' && run1Entries.has(String(l.payload?.position)))).toEqual([]);

    const s2 = await stored(store);
    expectAgreement(s2);
    expect(s2.venue.live).toEqual([]);
    for (const p of restingAtStop) {
      const before = s1.venueSnap.exchange.orders.find((o) => o.coi === p.exit!.clientIndex)!;
      const after = s2.venueSnap.exchange.orders.filter((o) => o.coi === p.exit!.clientIndex);
      expect(after.map((o) => o.orderIndex)).toEqual([before.orderIndex]);
    }
    // The nonce stream continued across the restart (and the key rotation).
    expectConsecutiveNonces(s2.venueSnap);
    expect(s2.venueSnap.exchange.txs.length).toBeGreaterThan(s1.venueSnap.exchange.txs.length);
    expect(s2.venueSnap.exchange.txs[s1.venueSnap.exchange.txs.length]!.nonce).toBe(s1.venue.nextNonce);
  }, 240_000);

  it('RST-11 kill -9 of a loopback paper run while exits rest; the restart restores, reconciles and ends with bot and venue agreeing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopback-kill9-'));
    const store = join(dir, 'p.sqlite');
    const events = join(dir, 'p.jsonl');
    const args = ['paper', '--status-every', '5s', '--store', store, '--events', events];

    const victim = startCli(args);
    await until('a resting exit', () => has(events, 'exit.placed'), FIRST_EXIT_MS);
    await sleep(300);
    victim.kill('SIGKILL');
    const killed = await victim.done;
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${store}.BTC-1.control.json`)).toBe(true); // no graceful stop happened

    const j1 = journal(events).length;
    const after = await runCli([...args, '--duration', '6s']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/BTC resumed from the store/);
    expect(after.stdout).toContain('venue connected; bot restored from the store (reconciling with the venue)');
    const run2 = journal(events).slice(j1);
    expect(run2.map((l) => l.type)).toContain('venue.reconciled');
    expect(run2.filter((l) => l.level === 'error')).toEqual([]);
    const s = await stored(store);
    expectAgreement(s);
    expectConsecutiveNonces(s.venueSnap);
  }, 240_000);
});
