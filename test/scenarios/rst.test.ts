/**
 * RST scenarios (acceptance-scenarios.md): restart and persistence, in-process. "Kill" drops
 * the bot's actors and store handle without any shutdown code, keeping only what the store
 * had durably written; the simulated venue and clock live on. Stores are real SQLite files
 * (and real Redis / PostgreSQL for RST-08).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { VenueError, type PlaceOrderRequest, type Venue } from '../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { MACHINE_VERSION } from '../../machines/grid/types.ts';
import { encodeEnvelope, makeEnvelope, SnapshotRefusedError } from '../../src/persistence/envelope.ts';
import { openKeyv, type OpenedStore } from '../../src/persistence/keyv-store.ts';
import { POSTGRES_URL, probeService, REDIS_URL, requireService, runId } from '../../src/persistence/test-services.ts';
import { startHarness, type Harness } from '../harness.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s);
const idx = (n: number, r: ReturnType<(typeof role)[keyof typeof role]>, slot = 1) => encodeClientIndex(slot, n, r);

const redis = await probeService(REDIS_URL, 6379);
const postgres = await probeService(POSTGRES_URL, 5432);

const opened: OpenedStore[] = [];
afterEach(async () => {
  await new Promise((r) => setTimeout(r, 50)); // let killed bots' last writes land
  while (opened.length) await opened.pop()!.close();
});

async function sqlite(): Promise<OpenedStore> {
  const dir = mkdtempSync(join(tmpdir(), 'gridchart-rst-'));
  const s = await openKeyv(join(dir, 'bot.sqlite'));
  opened.push(s);
  return s;
}

/** A venue wrapper that runs `onPlace` before (or instead of) forwarding a placement. */
function intercept(h: () => Harness, onPlace: (req: PlaceOrderRequest, forward: () => Promise<void>) => Promise<void>) {
  return (v: Venue): Venue =>
    Object.assign(Object.create(v) as Venue, {
      placeOrder: (req: PlaceOrderRequest) => onPlace(req, () => v.placeOrder(req)),
    });
}

/**
 * A venue wrapper that kills the bot at the first placement of `clientIndex` (only while
 * `armed()` holds): before the venue receives it, or after the venue accepted it but before
 * the answer reaches the bot.
 */
function crashAt(h: () => Harness, clientIndex: number, when: 'before-send' | 'after-send', armed: () => boolean = () => true) {
  let fired = false;
  return intercept(h, async (req, forward) => {
    if (!fired && armed() && req.clientIndex === clientIndex) {
      fired = true;
      if (when === 'after-send') await forward();
      crash(h());
    }
    return forward();
  });
}

/** Simulates the crash inside a venue call: the bot dies, the call never answers. */
function crash(h: Harness): never {
  h.bot.kill();
  throw new VenueError('outcome-unknown', 'process killed');
}

function liveByN(h: Harness, n: number) {
  return h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex)?.n === n);
}

function checkInvariants(h: Harness) {
  const live = h.liveOrders();
  const seen = new Set<number>();
  for (const o of live) {
    expect(seen.has(o.clientIndex)).toBe(false);
    seen.add(o.clientIndex);
  }
  const byN = new Map<number, number>();
  for (const o of live) {
    const d = decodeClientIndex(o.clientIndex);
    if (d && d.role.kind !== 'entry') byN.set(d.n, (byN.get(d.n) ?? 0) + 1);
  }
  for (const c of byN.values()) expect(c).toBeLessThanOrEqual(1);
  const tracked = h.status().positions.reduce((s, p) => s + num(p.remaining), 0);
  expect(tracked).toBeCloseTo(num(h.position().size), 9);
}

describe('RST restart and persistence', () => {
  it('RST-01 killed after the client index is reserved, before the send', async () => {
    const store = await sqlite();
    let h!: Harness;
    h = await startHarness({
      noStart: true,
      kv: store.keyv,
      params: { gridStepPct: '0.05' },
      wrapVenue: crashAt(() => h, idx(2, role.entry()), 'before-send'),
    });
    await h.start();
    h.control.counterpartyTrade(M, 'sell', '1');
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(30_000);
    expect(h.bot.running).toBe(false);
    expect(h.control.allOrders(M).some((o) => o.clientIndex === idx(2, role.entry()))).toBe(false);
    await h.start();
    await h.advance(1000);
    expect(h.events('venue.reconciled').length).toBeGreaterThanOrEqual(2);
    const e2 = h.control.allOrders(M).filter((o) => o.clientIndex === idx(2, role.entry()));
    expect(e2).toHaveLength(1);
    expect(num(e2[0].price)).toBe(99.78);
    h.control.counterpartyFill(M, idx(2, role.entry()));
    h.control.setBook(M, '99.50', '99.54');
    await h.advance(60_000);
    const next = h.placed().filter((p) => p.role.kind === 'entry' && p.n > 2);
    expect(next[0]?.n).toBe(3);
    checkInvariants(h);
  });

  it('RST-02 killed after the send, before the acknowledgement', async () => {
    const store = await sqlite();
    let h!: Harness;
    h = await startHarness({
      noStart: true,
      kv: store.keyv,
      params: { timeoutMs: 60_000 },
      wrapVenue: crashAt(() => h, idx(1, role.entry()), 'after-send'),
    });
    await h.start();
    const sentAt = h.control.sentLog().find((s) => s.clientIndex === idx(1, role.entry()))!.time;
    await h.advance(20_000);
    await h.start();
    await h.advance(1000);
    expect(h.status().entryState).toBe('waitingForFill');
    expect(h.liveOrders().filter((o) => o.clientIndex === idx(1, role.entry()))).toHaveLength(1);
    // The timeout counts from the persisted send time, not from the restart.
    await h.advanceTo(sentAt + 59_000);
    expect(h.control.sentLog().filter((s) => s.method === 'cancelOrder')).toHaveLength(0);
    await h.advanceTo(sentAt + 61_000);
    const cancels = h.control.sentLog().filter((s) => s.method === 'cancelOrder');
    expect(cancels).toHaveLength(1);
    expect(cancels[0].time).toBeLessThanOrEqual(sentAt + 61_000);
  });

  it('RST-03 killed after a fill, before the exit was placed (and: filled while down)', async () => {
    for (const variant of ['before-exit', 'while-down'] as const) {
      const store = await sqlite();
      let h!: Harness;
      let armed = variant === 'before-exit';
      h = await startHarness({
        noStart: true,
        kv: store.keyv,
        params: { gridStepPct: '0.05' },
        wrapVenue: crashAt(() => h, idx(2, role.close()), 'before-send', () => armed),
      });
      await h.start();
      h.control.counterpartyTrade(M, 'sell', '1');
      h.control.setBook(M, '99.76', '99.80');
      await h.advance(20_000);
      expect(liveByN(h, 2).map((o) => o.clientIndex)).toEqual([idx(2, role.entry())]);
      if (variant === 'while-down') {
        h.bot.kill();
        await h.advance(1000);
      }
      h.control.counterpartyFill(M, idx(2, role.entry()));
      await h.advance(1000);
      expect(h.bot.running).toBe(false);
      await h.start();
      await h.advance(1000);
      const p2 = h.status().positions.find((p) => p.n === 2)!;
      expect(num(p2.size)).toBe(1);
      expect(num(p2.entryPrice)).toBe(99.78);
      const close = h.placed().filter((p) => p.clientIndex === idx(2, role.close()));
      expect(close.length).toBeGreaterThanOrEqual(1);
      expect(num(close[0].req.price)).toBe(99.82);
      expect(liveByN(h, 2).map((o) => o.clientIndex)).toEqual([idx(2, role.close())]);
      const later = h.placed().filter((p) => p.role.kind === 'entry' && p.n > 2);
      for (const e of later) expect(e.at).toBeGreaterThanOrEqual(close[close.length - 1].at);
      checkInvariants(h);
    }
  });

  it('RST-04 killed during a close retry', async () => {
    const store = await sqlite();
    let h!: Harness;
    h = await startHarness({
      noStart: true,
      kv: store.keyv,
      wrapVenue: crashAt(() => h, idx(1, role.closeRetry(2)), 'after-send'),
    });
    await h.start();
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    h.control.cancelByUser(M, idx(1, role.close()));
    await h.advance(1000);
    h.control.cancelByUser(M, idx(1, role.closeRetry(1)));
    await h.advance(1000);
    expect(h.bot.running).toBe(false);
    expect(liveByN(h, 1).map((o) => o.clientIndex)).toEqual([idx(1, role.closeRetry(2))]);
    await h.start();
    await h.advance(1000);
    if (process.env.DEBUG_RST) console.log(JSON.stringify(h.journal.map((j) => [j.time, j.type, j.message])), JSON.stringify(h.control.sentLog().map((x) => [x.time, x.method, x.clientIndex, x.fault])));
    expect(liveByN(h, 1).map((o) => o.clientIndex)).toEqual([idx(1, role.closeRetry(2))]);
    h.control.cancelByUser(M, idx(1, role.closeRetry(2)));
    await h.advance(1000);
    expect(liveByN(h, 1).map((o) => o.clientIndex)).toEqual([idx(1, role.closeRetry(3))]);
    const exits = h.placed().filter((p) => p.n === 1 && p.role.kind !== 'entry').map((p) => p.clientIndex);
    expect(exits).not.toContain(encodeClientIndex(1, 2, role.close()));
    checkInvariants(h);
  });

  it('RST-05 an exit that filled while the bot was down closes the position', async () => {
    const store = await sqlite();
    const h = await startHarness({ noStart: true, kv: store.keyv, params: { gridStepPct: '0.05' } });
    await h.start();
    h.control.counterpartyTrade(M, 'sell', '1');
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    h.control.counterpartyFill(M, idx(2, role.entry()));
    await h.advance(1000);
    h.control.setBook(M, '99.40', '99.44');
    await h.advance(1000);
    expect(h.status().positions.map((p) => p.n)).toEqual([1, 2]);
    const sentBefore = h.placed().length;
    h.bot.kill();
    h.control.counterpartyFill(M, idx(2, role.close()));
    h.control.counterpartyFill(M, idx(1, role.close()), '0.4');
    await h.advance(5000);
    await h.start();
    await h.advance(1000);
    const s = h.status();
    expect(s.positions.map((p) => p.n)).toEqual([1]);
    expect(num(s.positions[0].remaining)).toBe(0.6);
    expect(s.positions[0].exit!.clientIndex).toBe(idx(1, role.close()));
    const newExits = h.placed().slice(sentBefore).filter((p) => p.role.kind !== 'entry');
    expect(newExits).toHaveLength(0);
    expect(num(h.position().size)).toBe(0.6);
    checkInvariants(h);
  });

  it('RST-06 orders with the bot\'s indexes that the snapshot does not know are adopted or cancelled', async () => {
    const store = await sqlite();
    const h = await startHarness({ noStart: true, kv: store.keyv, params: { gridStepPct: '0.05' } });
    await h.start();
    // grid-1 tracked and closed, grid-2 tracked.
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    h.control.counterpartyFill(M, idx(1, role.close()));
    await h.advance(20_000);
    h.control.counterpartyFill(M, idx(2, role.entry()));
    await h.advance(20_000);
    expect(h.placed().some((p) => p.n === 3)).toBe(false);
    await h.bot.flush();
    const oldSnapshot = await h.bot.store.getRaw(h.bot.key);
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    // grid-3 filled and its exit rests; then the later writes are lost.
    h.control.counterpartyFill(M, idx(3, role.entry()));
    await h.advance(1000);
    expect(liveByN(h, 3).map((o) => o.clientIndex)).toEqual([idx(3, role.close())]);
    h.bot.kill();
    await h.quiesce();
    await store.keyv.set(h.bot.key, oldSnapshot!);
    // A stray live order of the finished grid-1, and a hand order outside the scheme.
    const stray = h.control.placeForeignOrder({ market: M, side: 'sell', price: '101.00', size: '0.1', clientIndex: idx(1, role.closeRetry(1)), reduceOnly: true });
    const hand = h.control.placeForeignOrder({ market: M, side: 'sell', price: '102.00', size: '0.1' });
    const sentBefore = h.placed().length;
    await h.start();
    await h.advance(1000);
    const s = h.status();
    const g3 = s.positions.find((p) => p.n === 3)!;
    expect(num(g3.size)).toBe(1);
    expect(g3.exit!.clientIndex).toBe(idx(3, role.close()));
    expect(h.placed().slice(sentBefore).filter((p) => p.n === 3)).toHaveLength(0);
    if (process.env.DEBUG_RST) console.log(JSON.stringify(h.journal.map((j) => [j.time, j.type, j.message])), JSON.stringify(h.control.sentLog().map((x) => [x.time, x.method, x.clientIndex, x.fault])));
    const adopted = h.events('restart.adopted-orders');
    expect(adopted).toHaveLength(1);
    expect(adopted[0].payload).toMatchObject({ count: 1 });
    expect(h.control.allOrders(M).find((o) => o.clientIndex === stray)!.status).toBe('canceled');
    expect(h.liveOrders().some((o) => o.clientIndex === hand)).toBe(true);
    await h.advance(30_000);
    const next = h.placed().find((p) => p.role.kind === 'entry' && p.n > 3);
    if (next) expect(next.n).toBe(4);
    checkInvariants(h);
  });

  it('RST-07 an unknown snapshot version is refused with a clear message; --rebuild-from-venue adopts', async () => {
    const identity = { venue: 'sim', account: 'paper', market: M, slot: 1, variant: 'dynamic-grid' };
    const cases: Array<[string, string, RegExp]> = [
      ['version 999', encodeEnvelope(makeEnvelope({ machineVersion: 999, bot: identity, savedAt: 0, snapshot: {} })), /999/],
      ['corrupted', '{"format":"gridchart.snapshot", "formatVersion": 1, "machi', /corrupted|JSON/i],
      ['other market', encodeEnvelope(makeEnvelope({ machineVersion: MACHINE_VERSION, bot: { ...identity, market: 'ETH' }, savedAt: 0, snapshot: {} })), /ETH/],
    ];
    for (const [name, raw, pattern] of cases) {
      const store = await sqlite();
      const h = await startHarness({ noStart: true, kv: store.keyv });
      await store.keyv.set('gridchart:sim:paper:TEST:1', raw);
      const bot = h.makeBot();
      const err = await bot.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, name).toBeInstanceOf(SnapshotRefusedError);
      expect((err as Error).message).toMatch(pattern);
      if (name === 'version 999') expect((err as Error).message).toMatch(new RegExp(`\\b${MACHINE_VERSION}\\b`));
      expect((err as SnapshotRefusedError).exitCode).toBe(2);
      bot.kill();
      expect(h.control.sentLog().filter((s) => s.method === 'placeOrder')).toHaveLength(0);
      expect(await store.keyv.get('gridchart:sim:paper:TEST:1')).toBe(raw);
    }
    // Rebuild from the venue: a position and an exit of ours are adopted.
    const store = await sqlite();
    const h = await startHarness({ noStart: true, kv: store.keyv });
    await store.keyv.set('gridchart:sim:paper:TEST:1', cases[0][1]);
    h.control.placeForeignOrder({ market: M, side: 'buy', price: '100.00', size: '1', clientIndex: idx(4, role.entry()) });
    h.control.counterpartyFill(M, idx(4, role.entry()));
    h.control.placeForeignOrder({ market: M, side: 'sell', price: '100.04', size: '1', clientIndex: idx(4, role.close()), reduceOnly: true, timeInForce: 'post-only' });
    await h.start({ rebuildFromVenue: true });
    expect(h.status().positions.map((p) => p.n)).toEqual([4]);
    expect(h.status().positions[0].exit!.clientIndex).toBe(idx(4, role.close()));
    await h.advance(60_000);
    const e = h.placed().find((p) => p.role.kind === 'entry');
    if (e) expect(e.n).toBe(5);
  });

  for (const [label, svc] of [
    ['Redis', redis],
    ['Postgres', postgres],
  ] as const) {
    it.skipIf(svc.skip)(`RST-08 ${label} store behaves like SQLite (RST-03 across a restart)`, async () => {
      requireService(svc);
      const table = `gridchart_rst08_${runId()}`;
      const store = await openKeyv(svc.url, { table });
      opened.push(store);
      let h!: Harness;
      h = await startHarness({
        noStart: true,
        kv: store.keyv,
        params: { gridStepPct: '0.05' },
        wrapVenue: crashAt(() => h, idx(2, role.close()), 'before-send'),
      });
      try {
        await h.start();
        h.control.counterpartyTrade(M, 'sell', '1');
        h.control.setBook(M, '99.76', '99.80');
        await h.advance(20_000);
        // The entry's write-ahead goes to a real server: wait (real time) until it was sent.
        for (let i = 0; i < 200 && !liveByN(h, 2).length; i++) {
          await new Promise((r) => setTimeout(r, 25));
          await h.advance(100);
        }
        h.control.counterpartyFill(M, idx(2, role.entry()));
        await h.advance(1000);
        for (let i = 0; i < 200 && h.bot.running; i++) {
          await new Promise((r) => setTimeout(r, 25));
          await h.advance(100);
        }
        expect(h.bot.running).toBe(false);
        await h.start();
        await h.advance(1000);
        expect(h.status().positions.map((p) => p.n)).toEqual([1, 2]);
        expect(liveByN(h, 2).map((o) => o.clientIndex)).toEqual([idx(2, role.close())]);
        h.control.setBook(M, '99.40', '99.44');
        await h.advance(60_000);
        const ns = h.placed().filter((p) => p.role.kind === 'entry').map((p) => p.n);
        expect(new Set(ns).size).toBe(new Set(h.placed().filter((p) => p.role.kind === 'entry').map((p) => p.clientIndex)).size);
        expect(Math.max(...ns)).toBeGreaterThanOrEqual(3);
        checkInvariants(h);
      } finally {
        h.bot.kill();
        await store.keyv.delete(h.bot.key);
      }
    });
  }

  it('RST-09 restored deadlines still fire on time', async () => {
    for (const restartAt of [45_000, 90_000]) {
      const store = await sqlite();
      const h = await startHarness({ noStart: true, kv: store.keyv, params: { timeoutMs: 60_000 } });
      await h.start();
      await h.advanceTo(30_000);
      await h.bot.flush();
      h.bot.kill();
      await h.advanceTo(restartAt);
      await h.start();
      await h.advanceTo(Math.max(60_000, restartAt) + 1000);
      const cancels = h.control.sentLog().filter((s) => s.method === 'cancelOrder');
      expect(cancels).toHaveLength(1);
      expect(cancels[0].time).toBeGreaterThanOrEqual(60_000);
      expect(cancels[0].time).toBeLessThanOrEqual(Math.max(60_000, restartAt) + 1000);
    }
  });

  it('RST-09 the cooldown survives a restart', async () => {
    const store = await sqlite();
    const h = await startHarness({ noStart: true, kv: store.keyv });
    h.control.onOrderArrival((req, c) => {
      if (req.clientIndex === idx(1, role.entry())) c.setBook(M, '99.90', '99.95');
    });
    await h.start();
    h.control.onOrderArrival(null);
    const cancelAt = h.clock.now();
    await h.advance(1000);
    await h.bot.flush(); // the cancel was durable long before the crash (1 s of wall time)
    h.bot.kill();
    await h.advance(500);
    await h.start();
    await h.advance(500);
    expect(h.placed().filter((p) => p.role.kind === 'entry')).toHaveLength(1);
    await h.advanceTo(cancelAt + 3000);
    const e = h.placed().filter((p) => p.role.kind === 'entry');
    expect(e).toHaveLength(2);
    expect(e[1].at).toBeGreaterThan(cancelAt + 2500);
  });

  it('RST-10 client indexes are never reused across restarts or instances', async () => {
    const store = await sqlite();
    const h = await startHarness({ noStart: true, kv: store.keyv });
    // Every entry is cancelled post-only: each cycle uses a new n.
    h.control.onOrderArrival((req, c) => {
      // Every entry meets an ask at its own price: it is cancelled post-only.
      const p = Number(req.price);
      if (decodeClientIndex(req.clientIndex)?.role.kind === 'entry') c.setBook(M, (p - 0.04).toFixed(2), p.toFixed(2));
    });
    await h.start();
    for (let r = 0; r < 3; r++) {
      await h.advance(10_000);
      await h.restart();
    }
    await h.advance(10_000);
    const sent = h.placed();
    const ns = sent.map((p) => p.n);
    expect(ns).toEqual([...ns].sort((a, b) => a - b));
    const byIndex = new Map<number, string>();
    for (const p of sent) {
      const key = JSON.stringify([p.req.side, p.req.price, p.req.size]);
      const prev = byIndex.get(p.clientIndex);
      if (prev) expect(prev).toBe(key); // a re-send is the same order
      byIndex.set(p.clientIndex, key);
      expect(p.clientIndex).toBeGreaterThanOrEqual(1);
      expect(p.clientIndex).toBeLessThanOrEqual(2 ** 48 - 1);
      expect(decodeClientIndex(p.clientIndex)!.slot).toBe(1);
    }
    expect(new Set(ns).size).toBeGreaterThanOrEqual(4);
    // Two bots (slots 1 and 2) on one account never produce the same index.
    const two = await startHarness({ noStart: true });
    const b1 = two.makeBot({ slot: 1 });
    const b2 = two.makeBot({ slot: 2, kv: two.kv });
    await b1.start();
    await b2.start();
    await two.advance(1000);
    const idxs = two.placed().map((p) => p.clientIndex);
    expect(new Set(idxs).size).toBe(idxs.length);
    expect(new Set(idxs.map((i) => decodeClientIndex(i)!.slot))).toEqual(new Set([1, 2]));
    b1.kill();
    b2.kill();
    // Rebuild on an empty store: the counter resumes above the highest n on the venue.
    const store2 = await sqlite();
    const h3 = await startHarness({ noStart: true, kv: store2.keyv, venue: h.venue, clock: h.clock });
    h.bot.kill();
    await h3.start({ rebuildFromVenue: true });
    await h3.advance(10_000);
    const maxBefore = Math.max(...ns);
    const after = h3.placed().slice(sent.length).filter((p) => p.role.kind === 'entry');
    expect(after.length).toBeGreaterThan(0);
    expect(after[0].n).toBeGreaterThan(maxBefore);
  });
});
