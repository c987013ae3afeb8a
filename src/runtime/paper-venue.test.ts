import { describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.ts';
import { SnapshotStore, simKey, type StringKeyValue } from '../persistence/snapshot-store.ts';
import { VenueStateSaver, captureRecord, guardedKv, openPaperVenue, type PaperVenueRecord } from './paper-venue.ts';

/** In-memory kv that records the order of writes, with an async (macrotask) write. */
class RecordingKv implements StringKeyValue {
  readonly data = new Map<string, string>();
  readonly log: string[] = [];
  async get(key: string) {
    return this.data.get(key);
  }
  async set(key: string, value: string) {
    await new Promise((r) => setImmediate(r));
    this.data.set(key, value);
    this.log.push(key);
    return true;
  }
  async delete(key: string) {
    return this.data.delete(key);
  }
}

const START = Date.UTC(2024, 0, 1);

describe('openPaperVenue', () => {
  it('creates a fresh BTC venue with a running seeded driver, then resumes it at the saved clock time', async () => {
    const kv = new RecordingKv();
    const store = new SnapshotStore(kv);
    const a = await openPaperVenue({ store, market: 'BTC', seed: 7, freshStart: START });
    expect(a.resumed).toBe(false);
    expect(a.clock.now()).toBe(START);
    expect(a.venue.driversOf('BTC').map((d) => d.running)).toEqual([true]);
    a.clock.advanceBy(30_000); // 30 driver steps
    const bbo = await a.venue.bbo('BTC');
    expect(bbo.bid).not.toBe('59999.9');
    for (const d of a.venue.driversOf()) d.stop();
    await new VenueStateSaver(store, 'BTC', () => captureRecord(a.venue, a.clock)).save();

    const b = await openPaperVenue({ store, market: 'BTC', seed: 99, freshStart: START + 999_999 });
    expect(b.resumed).toBe(true);
    expect(b.clock.now()).toBe(START + 30_000);
    expect(await b.venue.bbo('BTC')).toEqual(bbo);
    expect(b.venue.driversOf('BTC').map((d) => d.running)).toEqual([true]);
    // The same seeded path continues: one more second moves both copies identically.
    a.venue.driversOf('BTC')[0].next();
    b.clock.advanceBy(1000);
    const top = async (v: typeof a.venue) => {
      const { bid, ask } = await v.bbo('BTC');
      return { bid, ask };
    };
    expect(await top(b.venue)).toEqual(await top(a.venue));
  });

  it('never starts the clock before the bot snapshot it will restore', async () => {
    const store = new SnapshotStore(new RecordingKv());
    const v = await openPaperVenue({ store, market: 'ETH', seed: 1, freshStart: START, notBefore: START + 5000 });
    expect(v.clock.now()).toBe(START + 5000);
  });

  it('refuses a market the simulator does not have, naming the allowed ones', async () => {
    const store = new SnapshotStore(new RecordingKv());
    const err = await openPaperVenue({ store, market: 'DOGE', seed: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/"DOGE" is not a simulated market; paper mode allows TEST, BTC, ETH/);
  });
});

describe('VenueStateSaver and guardedKv', () => {
  it('writes the venue state (taken after the bot snapshot) before every bot write', async () => {
    const kv = new RecordingKv();
    const store = new SnapshotStore(kv);
    const { venue, clock } = await openPaperVenue({ store, market: 'BTC', seed: 1, freshStart: START });
    const saver = new VenueStateSaver(store, 'BTC', () => captureRecord(venue, clock));
    const botKv = guardedKv(kv, saver);
    clock.advanceBy(2000);
    const botValue = JSON.stringify({ savedAt: clock.now() });
    const writing = botKv.set('gridchart:sim:paper:BTC:1', botValue);
    clock.advanceBy(1000); // the venue moves on while the write is queued
    await writing;
    expect(kv.log).toEqual([simKey('BTC'), 'gridchart:sim:paper:BTC:1']);
    const rec = JSON.parse(kv.data.get(simKey('BTC'))!) as PaperVenueRecord;
    expect(rec.clockNow).toBe(START + 3000);
    expect(rec.clockNow).toBeGreaterThanOrEqual(JSON.parse(botValue).savedAt);
    expect(await botKv.get('gridchart:sim:paper:BTC:1')).toBe(botValue);
  });

  it('coalesces saves made while one waits, writes in order and captures at write time', async () => {
    const kv = new RecordingKv();
    const writes: Array<() => void> = [];
    const gated: StringKeyValue = {
      get: (k) => kv.get(k),
      delete: (k) => kv.delete(k),
      set: async (k, v) => {
        await new Promise<void>((r) => writes.push(r));
        return kv.set(k, v);
      },
    };
    let n = 0;
    const saver = new VenueStateSaver(new SnapshotStore(gated), 'X', () => ({ n: ++n }) as never);
    const p1 = saver.save();
    expect(saver.save()).toBe(p1); // not started yet: joins it (it captures when it runs)
    while (writes.length === 0) await new Promise((r) => setImmediate(r));
    expect(n).toBe(1); // the first write captured its state when it started
    const p2 = saver.save(); // the first is in flight: a second write is queued behind it
    const p3 = saver.save();
    expect(p3).toBe(p2);
    expect(saver.busy).toBe(true);
    writes.shift()!();
    await p1;
    expect(JSON.parse(kv.data.get(simKey('X'))!)).toEqual({ n: 1 });
    while (writes.length === 0) await new Promise((r) => setImmediate(r));
    writes.shift()!();
    await p2;
    await saver.settled();
    expect(saver.busy).toBe(false);
    expect(saver.writes).toBe(2);
    expect(JSON.parse(kv.data.get(simKey('X'))!)).toEqual({ n: 2 });
  });

  it('reports a failed write to its caller and keeps saving afterwards', async () => {
    const kv = new RecordingKv();
    let fail = true;
    const flaky: StringKeyValue = {
      get: (k) => kv.get(k),
      delete: (k) => kv.delete(k),
      set: async (k, v) => {
        if (fail) throw new Error('disk full');
        return kv.set(k, v);
      },
    };
    const saver = new VenueStateSaver(new SnapshotStore(flaky), 'X', () => ({ ok: true }) as never);
    await expect(saver.save()).rejects.toThrow('disk full');
    fail = false;
    await saver.save();
    expect(kv.data.has(simKey('X'))).toBe(true);
  });
});
