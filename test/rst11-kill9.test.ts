/**
 * RST-11 — kill -9 of a real paper run at random moments loses nothing.
 *
 * `grid-bot paper --speed max` runs as a child process on one store (its simulated venue is
 * persisted in the same store, src/runtime/paper-venue.ts); a first 2-minute run creates
 * the stored venue and bot. Each round: start it again, wait for
 * its `store:` line, SIGKILL it after a seeded random delay, restart it with `--duration 2m`
 * (simulated, speed max) and, once it has stopped, check the stored pair (venue state + bot
 * snapshot) and the restarted run's journal:
 * - RSK-13 invariants: the venue position is never against the grid direction; resting
 *   reduce-only size ≤ |venue position|; resting exits ≤ max_orders; the tracked total
 *   equals the venue position (and the bot's view of it); no two live orders share a client
 *   index;
 * - every entry fill on the venue is covered by exactly one tracked position (its remaining
 *   = entry fills − exit fills of that n) or closed (exit fills = entry fills, or a
 *   whole-bot close after it);
 * - the restarted run reconciled (`venue.reconciled`), logged no error, and traded after it
 *   (or, with no new level allowed in its 2 minutes, is trading with its exits resting, or
 *   cools off after a stop-loss with the cool-off's end still ahead).
 *
 * Reproduce: RST11_SEED (default 11) fixes the kill delays; RST11_KILLS (default 20). A
 * failure names the seed, the round and the store directory (kept for inspection).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Mulberry32, SimVenue } from '../adapters/sim/index.ts';
import { MACHINE_VERSION, type GridContext } from '../machines/grid/types.ts';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { Dec, type DecValue } from '../src/domain/decimal.ts';
import { readJournal, type JournalLine } from '../src/observability/journal.ts';
import { botKey } from '../src/persistence/envelope.ts';
import { openKeyv } from '../src/persistence/keyv-store.ts';
import { SnapshotStore, simKey } from '../src/persistence/snapshot-store.ts';
import { SimClock } from '../src/runtime/clock.ts';
import type { PaperVenueRecord } from '../src/runtime/paper-venue.ts';
import { buildStatus } from '../src/runtime/status.ts';
import { runCli, startCli } from './cli-process.ts';

const SEED = Number(process.env.RST11_SEED ?? 11);
const KILLS = Number(process.env.RST11_KILLS ?? 20);
/** Kill delays are uniform in [0, MAX_DELAY_MS) wall ms after the run opened its store. */
const MAX_DELAY_MS = 700;
const MARKET = 'BTC';
const SLOT = 1;
const MAX_ORDERS = 10; // presets/paper.yaml
const IDENTITY = { venue: 'sim', account: 'paper', market: MARKET, slot: SLOT, variant: 'dynamic-grid' };
/** Roles that close the whole bot's position (not one n). */
const WHOLE_BOT = new Set(['flatten', 'stop-loss-close', 'stop-price-close']);
/** Gate refusals that only say the grid is at its limits (a trading bot obeys them). */
const LIMITS = new Set(['max_orders', 'grid_step', 'cooldown', 'margin_cap']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks the stored venue + bot pair; returns the problems found (empty = all hold). */
interface Facts {
  venuePosition: string;
  tracked: number;
  restingExits: number;
  trackedSize: string;
  live: number;
  fills: number;
  nextN: number;
  lifecycle: string;
  gate: string[];
  risk: GridContext['risk']['phase'];
  coolOffUntil: number | null;
  /** Simulated time of the stored venue. */
  clockNow: number;
}

async function checkStore(file: string): Promise<{ problems: string[]; facts: Facts }> {
  const opened = await openKeyv(file);
  try {
    const store = new SnapshotStore(opened.keyv);
    const env = await store.load(botKey(IDENTITY), { machineVersion: MACHINE_VERSION, bot: IDENTITY });
    const rec = await store.get<PaperVenueRecord>(simKey(MARKET));
    if (!env || !rec) throw new Error(`store ${file} lacks the ${env ? 'venue' : 'bot'} record`);
    const venue = SimVenue.restore(rec, new SimClock(rec.clockNow));
    const snap = env.snapshot as { status: string; value: unknown; context: GridContext };
    const status = buildStatus(snap);
    const problems: string[] = [];
    const pos = new Dec(venue.control.positionOf(MARKET).size);
    const live = venue.control.liveOrders(MARKET);
    const fills = venue.control.accountFills(MARKET);

    if (snap.status !== 'active') problems.push(`stored bot snapshot has status ${snap.status}`);
    if (pos.isNegative()) problems.push(`venue position ${pos.toFixed()} is against the long grid`);
    const resting = live.filter((o) => o.reduceOnly).reduce((t, o) => t.plus(o.size).minus(o.filledSize), new Dec(0));
    if (resting.gt(pos.abs())) problems.push(`resting reduce-only size ${resting.toFixed()} > |venue position| ${pos.abs().toFixed()}`);
    if (status.restingExits > MAX_ORDERS) problems.push(`${status.restingExits} resting exits > max_orders ${MAX_ORDERS}`);
    const liveExits = live.filter((o) => o.reduceOnly && o.type === 'limit').length;
    if (liveExits > MAX_ORDERS) problems.push(`${liveExits} live reduce-only limit orders on the venue > max_orders ${MAX_ORDERS}`);
    if (!new Dec(status.trackedSize).eq(pos.abs())) problems.push(`tracked total ${status.trackedSize} ≠ venue position ${pos.toFixed()}`);
    if (!new Dec(status.venuePosition).eq(pos)) problems.push(`the bot sees venue position ${status.venuePosition}, the venue holds ${pos.toFixed()}`);
    const seen = new Set<number>();
    for (const o of live) {
      if (seen.has(o.clientIndex)) problems.push(`two live orders share client index ${o.clientIndex}`);
      seen.add(o.clientIndex);
    }

    // Every entry fill: covered by exactly one tracked position, or closed.
    const entry = new Map<number, DecValue>();
    const exit = new Map<number, DecValue>();
    let lastWholeBotClose = -Infinity;
    const lastEntryFill = new Map<number, number>();
    for (const f of fills) {
      const d = decodeClientIndex(f.clientIndex);
      if (!d || d.slot !== SLOT) continue;
      if (WHOLE_BOT.has(d.role.kind)) {
        lastWholeBotClose = Math.max(lastWholeBotClose, f.time);
        continue;
      }
      const m = d.role.kind === 'entry' ? entry : exit;
      m.set(d.n, (m.get(d.n) ?? new Dec(0)).plus(f.size));
      if (d.role.kind === 'entry') lastEntryFill.set(d.n, Math.max(lastEntryFill.get(d.n) ?? 0, f.time));
    }
    const tracked = new Map(status.positions.map((p) => [p.n, p]));
    if (tracked.size !== status.positions.length) problems.push('two tracked positions share a position number');
    for (const [n, filled] of entry) {
      const open = filled.minus(exit.get(n) ?? 0);
      const p = tracked.get(n);
      if (p) {
        if (!open.eq(p.remaining)) problems.push(`grid-${n}: entry fills ${filled.toFixed()} − exit fills ${(exit.get(n) ?? new Dec(0)).toFixed()} = ${open.toFixed()}, tracked remaining ${p.remaining}`);
      } else if (!open.isZero() && !(lastWholeBotClose >= lastEntryFill.get(n)!)) {
        problems.push(`grid-${n}: ${open.toFixed()} of its entry fills (${filled.toFixed()}) is neither tracked nor closed`);
      }
    }
    for (const p of status.positions) {
      if (!entry.has(p.n) && !new Dec(p.remaining).isZero()) problems.push(`grid-${p.n} tracks ${p.remaining} without an entry fill on the venue`);
    }
    const facts: Facts = { venuePosition: pos.toFixed(), tracked: status.positions.length, restingExits: status.restingExits, trackedSize: status.trackedSize, live: live.length, fills: fills.length, nextN: status.nextN, lifecycle: status.lifecycle, gate: [...status.gate.reasons], risk: snap.context.risk.phase, coolOffUntil: snap.context.risk.coolOffUntil, clockNow: rec.clockNow };
    return { problems, facts };
  } finally {
    await opened.close();
  }
}

const PAPER = (dir: string) => ['paper', '--venue', 'sim', '--speed', 'max', '--status-every', '10m', '--store', join(dir, 'p.sqlite'), '--events', join(dir, 'p.jsonl')];

describe('RST-11 kill -9 of a real paper run', () => {
  it(`RST-11 kill -9 of a real paper run at ${KILLS} reproducible random moments loses nothing (seed ${SEED})`, async () => {
    const rng = new Mulberry32(SEED >>> 0);
    const dir = mkdtempSync(join(tmpdir(), 'rst11-'));
    const journalFile = join(dir, 'p.jsonl');
    // A first run creates the stored venue and bot, so every kill hits a run that resumes them.
    const first = await runCli([...PAPER(dir), '--duration', '2m']);
    expect(first.code, first.stderr).toBe(0);
    let journalAt = 0;
    const tradedRounds: number[] = [];
    for (let round = 1; round <= KILLS; round++) {
      const delay = Math.floor(rng.next() * MAX_DELAY_MS); // Mulberry32.next() is in [0, 1)
      const where = `RST-11 seed=${SEED} round=${round}/${KILLS} kill delay ${delay} ms (store ${dir})`;

      const victim = startCli(PAPER(dir));
      await victim.waitFor(/^store: /m, { what: `its store: line (${where})` });
      await sleep(delay);
      victim.kill('SIGKILL');
      const killed = await victim.done;
      expect(killed.signal, `${where}: the paper run ended before the kill (code ${killed.code}): ${killed.stderr}`).toBe('SIGKILL');
      journalAt = readJournal(journalFile).length;

      const restart = await runCli([...PAPER(dir), '--duration', '2m']);
      expect(restart.code, `${where}: the restart failed: ${restart.stderr}`).toBe(0);
      const lines = readJournal(journalFile).slice(journalAt);
      const show = (ls: JournalLine[]) => ls.map((l) => `${l.time} ${l.level} ${l.type} ${l.message}`).join('\n');
      expect(lines.filter((l) => l.level === 'error'), `${where}: errors in the restarted run:\n${show(lines)}`).toEqual([]);
      const types = lines.map((l) => l.type);
      expect(lines[0]?.payload.resumed, `${where}: the restart did not resume the stored venue`).toBe(true);
      const reconciled = types.indexOf('venue.reconciled');
      expect(reconciled, `${where}: no venue.reconciled after the restart:\n${show(lines)}`).toBeGreaterThan(-1);
      const after = types.slice(reconciled + 1);
      const { problems, facts } = await checkStore(join(dir, 'p.sqlite'));
      expect(problems, `${where}: invariants broken (${JSON.stringify(facts)}):\n${show(lines.slice(-40))}`).toEqual([]);

      // Trading resumed: order activity after reconciliation, or (no new level allowed in
      // these 2 minutes) trading with every resting exit in place and only grid limits
      // refusing — or a stop-loss cool-off (taken before the kill) whose end is still ahead.
      const activity = ['entry.placed', 'entry.filled', 'exit.placed', 'exit.filled', 'position.closed'];
      if (after.includes('entry.placed')) tradedRounds.push(round);
      if (!after.some((t) => activity.includes(t))) {
        expect(facts.lifecycle, `${where}: not trading after the restart`).toBe('trading');
        const coolingOff = facts.risk === 'coolingOff' && facts.coolOffUntil !== null && facts.coolOffUntil > facts.clockNow;
        const allowed = (r: string) => LIMITS.has(r) || (r === 'stop-loss' && coolingOff);
        expect(facts.gate.filter((r) => !allowed(r)), `${where}: the gate refuses for ${facts.gate.join(', ')} (${JSON.stringify(facts)})`).toEqual([]);
        expect(facts.restingExits, `${where}: exits missing (${JSON.stringify(facts)})`).toBe(facts.tracked);
      }
    }
    // New entries follow in many rounds (max_orders or a stop-loss cool-off may hold a round).
    console.log(`RST-11 seed ${SEED}: ${KILLS} kills; rounds with a new entry after the restart: ${tradedRounds.join(', ')}`);
    expect(tradedRounds.length, `rounds with a new entry after the restart: ${tradedRounds.join(', ')}`).toBeGreaterThanOrEqual(Math.ceil(KILLS / 4));
  }, 420_000); // liveness only: 20 child processes (start-up dominates on a loaded machine)

  it('the store check finds a position the bot lost (tracked total and the per-entry cover)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rst11-'));
    const run = await runCli([...PAPER(dir), '--duration', '1m']);
    expect(run.code, run.stderr).toBe(0);
    const file = join(dir, 'p.sqlite');
    expect((await checkStore(file)).problems).toEqual([]);
    // Drop one tracked position from the stored snapshot, as a lost fill would.
    const opened = await openKeyv(file);
    const store = new SnapshotStore(opened.keyv);
    const env = (await store.load(botKey(IDENTITY), { machineVersion: MACHINE_VERSION, bot: IDENTITY }))!;
    const ctx = (env.snapshot as { context: GridContext }).context;
    const n = Object.keys(ctx.positions)[0];
    expect(n, 'the 1-minute run leaves a tracked position').toBeDefined();
    const lost = ctx.positions[n];
    delete ctx.positions[n];
    await store.save(botKey(IDENTITY), env);
    await opened.close();
    const { problems } = await checkStore(file);
    expect(problems).toContain(`grid-${lost.n}: ${new Dec(lost.remaining).toFixed()} of its entry fills (${new Dec(lost.size).toFixed()}) is neither tracked nor closed`);
    expect(problems.some((p) => p.startsWith('tracked total '))).toBe(true);
  }, 30_000);
});
