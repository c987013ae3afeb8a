/**
 * VAR-08 — the range grid over sockets and across a SIGKILL restart.
 *
 * The Lighter simulator server runs in this test process (no price driver: the test moves the
 * book); `grid-bot run` with a `strategy.kind: range-grid` config and `venue.kind: lighter`
 * runs as a child process over the real adapter. The test drives several round trips, then
 * SIGKILLs the child at the moment the simulator has accepted an exit transaction but has not
 * answered it yet (the exit is being placed), restarts it on the same store, and checks from
 * the simulator's own records, after the restarted bot reconciled:
 * - every holding position number (entry fills − exit fills > 0) has exactly one exit resting,
 *   sized to what it holds, and no other live order of the bot holds that n;
 * - no client index is live twice, and no exit was sent twice for one n after the restart;
 * - no fill is lost: the venue position equals Σ (entry fills − exit fills) over all n, and the
 *   bot's own status (trackedSize over /status) equals the venue position.
 * Also: `paper --config examples/range-grid.yaml --venue sim` trades round trips (the README's
 * range-grid command on the in-process simulated venue).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { Dec, type DecValue } from '../src/domain/decimal.ts';
import { readJournal } from '../src/observability/journal.ts';
import { readDiscovery } from '../src/observability/control-server.ts';
import { startCli, type CliProcess } from './cli-process.ts';
import { runSimServer, type RunningSim } from '../src/venue-sim/index.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function until(what: string, cond: () => boolean, ms = 30_000, detail: () => string = () => ''): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > ms) throw new Error(`timed out waiting for ${what}\n${detail()}`);
    await sleep(50);
  }
}

type Live = { clientIndex: number; side: string; price: string; size: string; filledSize: string; reduceOnly?: boolean };

describe('VAR-08 range grid over sockets and across a restart', () => {
  let sim: RunningSim | undefined;
  const children: CliProcess[] = [];
  afterEach(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sim?.stop();
  });

  it('VAR-08 round trips over the Lighter simulator; SIGKILL while an exit is being placed; after the restart every holding n has exactly one exit, nothing duplicated, no fill lost', async () => {
    sim = await runSimServer({ port: 0, seed: 8, driver: false, out: () => undefined, handleSignals: false });
    const control = sim.server.control;
    const dir = mkdtempSync(join(tmpdir(), 'var08-'));
    const store = join(dir, 'bot.sqlite');
    const events = join(dir, 'events.jsonl');
    const cfg = join(dir, 'range.yaml');
    writeFileSync(
      cfg,
      `venue:\n  kind: lighter\n  rest_url: ${sim.restUrl}\n  ws_url: ${sim.wsUrl}\n  chain_id: ${sim.chainId}\n  account_index: ${sim.accountIndex}\n  api_key_index: ${sim.apiKeyIndex}\n` +
        `market: BTC\nstore: ${store}\n` +
        'strategy: { kind: range-grid, lower_price: 59800, upper_price: 60200, grid_count: 8, spacing: arithmetic, order_size: 0.001, direction: long, on_exit_range: hold, max_resting_orders: 3, target_leverage: 10, max_margin_usd: 2000, stop_loss_enabled: false }\n',
    );
    const env = { LIGHTER_API_PRIVATE_KEY: sim.privateKey };
    const args = ['run', '--config', cfg, '--events', events, '--status-every', '60s'];

    const live = (): Live[] => control.liveOrders('BTC').filter((o: Live) => decodeClientIndex(o.clientIndex) !== null);
    const entries = () => live().filter((o) => decodeClientIndex(o.clientIndex)!.role.kind === 'entry');
    const exits = () => live().filter((o) => decodeClientIndex(o.clientIndex)!.role.kind !== 'entry');
    const setBook = async (bid: string, ask: string) => {
      control.setBook('BTC', bid, ask);
      await control.flush();
    };
    const journalHas = (type: string, from = 0) => existsSync(events) && readJournal(events).slice(from).some((l) => l.type === type);

    await setBook('60000.0', '60000.1');
    const first = startCli(args, env);
    children.push(first);
    await until('three entries resting', () => entries().length === 3, 30_000, first.out);

    // Several round trips: dip through every resting buy level, then rise above every exit.
    const lowest = (os: Live[]) => os.reduce((m, o) => (new Dec(o.price).lt(m) ? new Dec(o.price) : m), new Dec(Infinity) as DecValue);
    const highest = (os: Live[]) => os.reduce((m, o) => (new Dec(o.price).gt(m) ? new Dec(o.price) : m), new Dec(0) as DecValue);
    const dip = async () => {
      const p = lowest(entries()).minus(10);
      await setBook(p.toFixed(1), p.plus('0.1').toFixed(1));
    };
    let roundTrips = 0;
    for (let i = 0; i < 3; i++) {
      await dip();
      await until('an exit per holding n after the dip', () => exits().length > 0 && holdingNs().length === exits().length, 20_000, first.out);
      const p = highest(exits()).plus(10);
      await setBook(p.toFixed(1), p.plus('0.1').toFixed(1));
      await until('exits filled after the rise', () => exits().length === 0, 20_000, () => `${first.out()}\nlive: ${JSON.stringify(live())}`);
      await until('entries re-armed', () => entries().length === 3, 20_000, first.out);
      roundTrips = readJournal(events).filter((l) => l.type === 'level.round-trip').length;
    }
    expect(roundTrips).toBeGreaterThanOrEqual(4);

    // Kill -9 while an exit is being placed: the simulator accepted the exit tx and has not answered.
    let killedAt: number | undefined;
    control.faults.onBeforeAck(() => {
      if (killedAt !== undefined) return;
      const last = control.txLog().at(-1);
      const coi = Number(last?.info?.ClientOrderIndex ?? 0);
      const idx = decodeClientIndex(coi);
      if (last?.code === 200 && idx && idx.role.kind !== 'entry') {
        killedAt = last.seq;
        first.kill('SIGKILL');
      }
    });
    await dip();
    const dead = await first.done;
    expect(dead.signal).toBe('SIGKILL');
    expect(killedAt).toBeDefined();
    control.faults.onBeforeAck(null);
    const journalBefore = readJournal(events).length;
    const sentBefore = control.txLog().length;

    // Restart on the same store; wait for the reconciliation and a quiet venue.
    const second = startCli(args, env);
    children.push(second);
    await until('the restarted bot reconciled', () => journalHas('venue.reconciled', journalBefore), 30_000, second.out);
    await until('every holding n has its exit', () => holdingWithoutExit().length === 0, 20_000, () => `${second.out()}\nholding without exit: ${JSON.stringify(holdingWithoutExit())}`);
    await sleep(1_500); // anything duplicated would be sent by now

    // Per n, from the simulator's records.
    function perN() {
      const byN = new Map<number, { entry: DecValue; exit: DecValue }>();
      for (const f of control.accountFills('BTC') as Array<{ clientIndex: number; size: string }>) {
        const idx = decodeClientIndex(f.clientIndex);
        if (!idx) continue;
        const r = byN.get(idx.n) ?? { entry: new Dec(0), exit: new Dec(0) };
        if (idx.role.kind === 'entry') r.entry = r.entry.plus(f.size);
        else r.exit = r.exit.plus(f.size);
        byN.set(idx.n, r);
      }
      return byN;
    }
    function holdingNs(): number[] {
      return [...perN()].filter(([, r]) => r.entry.minus(r.exit).gt(0)).map(([n]) => n);
    }
    function holdingWithoutExit(): number[] {
      const out: number[] = [];
      for (const [n, r] of perN()) if (r.entry.minus(r.exit).gt(0) && !exits().some((o) => decodeClientIndex(o.clientIndex)!.n === n)) out.push(n);
      return out;
    }
    const liveNow = live();
    const holding = [...perN()].filter(([, r]) => r.entry.minus(r.exit).gt(0));
    expect(holding.length).toBeGreaterThan(0);
    for (const [n, r] of holding) {
      const mine = exits().filter((o) => decodeClientIndex(o.clientIndex)!.n === n);
      expect(mine, `n ${n}`).toHaveLength(1);
      expect(new Dec(mine[0].size).minus(mine[0].filledSize).eq(r.entry.minus(r.exit)), `n ${n} exit size`).toBe(true);
    }
    // No client index live twice; no exit sent twice for one n after the restart.
    expect(new Set(liveNow.map((o) => o.clientIndex)).size).toBe(liveNow.length);
    const exitTxAfter = control
      .txLog()
      .slice(sentBefore)
      .filter((t: { code: number; info: Record<string, unknown> | null }) => t.code === 200 && t.info?.ClientOrderIndex !== undefined)
      .map((t: { info: Record<string, unknown> | null }) => decodeClientIndex(Number(t.info!.ClientOrderIndex)))
      .filter((d): d is NonNullable<typeof d> => d !== null && d.role.kind !== 'entry');
    for (const d of exitTxAfter) expect(holding.map(([n]) => n), `exit sent after restart for n ${d.n}`).toContain(d.n);
    expect(new Set(exitTxAfter.map((d) => d.n)).size).toBe(exitTxAfter.length);
    // No fill lost: venue position = Σ held per n = the bot's tracked size.
    const sum = [...perN().values()].reduce((s, r) => s.plus(r.entry).minus(r.exit), new Dec(0));
    const pos = control.positionOf('BTC') as { size: string };
    expect(new Dec(pos.size).eq(sum)).toBe(true);
    const disc = readDiscovery(`${store}.BTC-1.control.json`)!;
    const status = (await (await fetch(`${disc.url}/status`, { headers: { authorization: `Bearer ${disc.token}` } })).json()) as { trackedSize: string; venuePosition: string; variant: string };
    expect(status.variant).toBe('range-grid');
    expect(new Dec(status.trackedSize).eq(pos.size)).toBe(true);
    expect(new Dec(status.venuePosition).eq(pos.size)).toBe(true);
    expect(readJournal(events).filter((l) => l.level === 'error')).toEqual([]);

    second.kill('SIGINT');
    const stopped = await second.done;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(readFileSync(events, 'utf8')).not.toContain(sim.privateKey);
  }, 150_000);

  it('paper --config examples/range-grid.yaml --venue sim trades range round trips and reports per-level profit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'var-paper-'));
    const events = join(dir, 'ev.jsonl');
    const run = startCli(['paper', '--config', 'examples/range-grid.yaml', '--venue', 'sim', '--speed', 'max', '--duration', '10m', '--store', join(dir, 'p.sqlite'), '--events', events]);
    children.push(run);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/BTC range grid 59000\.\.61000, 100 intervals \(arithmetic\), neutral/);
    const j = readJournal(events);
    const trips = j.filter((l) => l.type === 'level.round-trip');
    expect(trips.length).toBeGreaterThan(0);
    for (const t of trips) expect(new Dec(String(t.payload.profit)).isFinite()).toBe(true);
    expect(r.stdout).toMatch(new RegExp(`positions closed ${trips.length}`));
    expect(j.filter((l) => l.level === 'error')).toEqual([]);
  }, 120_000);
});
