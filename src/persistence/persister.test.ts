import { describe, it, expect } from 'vitest';
import { makeEnvelope, type BotIdentity, type Envelope } from './envelope.ts';
import { Persister, type WriteErrorInfo } from './persister.ts';

const bot: BotIdentity = { venue: 'sim', account: 'a1', market: 'ETH', slot: 1, variant: 'grid' };
const KEY = 'gridchart:sim:a1:ETH:1';
type Snap = { n: number | bigint };
const mk = (s: Snap) => makeEnvelope({ machineVersion: 1, bot, savedAt: 0, snapshot: s });

/** A store whose writes complete only when the test releases them, and can be told to fail. */
class ControlledWriter {
  stored = new Map<string, string>();
  started: number[] = [];
  private gates: Array<() => void> = [];
  failNext = 0;
  manual = false;
  async set(key: string, value: string): Promise<boolean> {
    const n = (JSON.parse(value) as Envelope<{ n: number }>).snapshot.n;
    this.started.push(n);
    if (this.manual) await new Promise<void>((r) => this.gates.push(r));
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('connection reset');
    }
    this.stored.set(key, value);
    return true;
  }
  release(): void {
    this.gates.shift()?.();
  }
  get waiting(): number {
    return this.gates.length;
  }
  storedN(): number | undefined {
    const v = this.stored.get(KEY);
    return v === undefined ? undefined : (JSON.parse(v) as Envelope<{ n: number }>).snapshot.n;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

function setup(writer: ControlledWriter, extra: Partial<ConstructorParameters<typeof Persister<Snap>>[0]> = {}) {
  const errors: Array<{ err: Error; info: WriteErrorInfo }> = [];
  const sleeps: number[] = [];
  const p = new Persister<Snap>({
    keyv: writer,
    key: KEY,
    makeEnvelope: mk,
    onError: (err, info) => errors.push({ err, info }),
    sleep: async (ms) => {
      sleeps.push(ms);
      await tick();
    },
    ...extra,
  });
  return { p, errors, sleeps };
}

describe('Persister', () => {
  it('collapses snapshots scheduled during an in-flight write into the newest, in order', async () => {
    const w = new ControlledWriter();
    w.manual = true;
    const { p } = setup(w);
    p.schedule({ n: 1 });
    for (let n = 2; n <= 10; n++) p.schedule({ n });
    await tick();
    expect(w.started).toEqual([1]);
    w.release();
    await tick();
    expect(w.started).toEqual([1, 10]);
    w.release();
    await p.flush();
    expect(w.storedN()).toBe(10);
    expect(p.stats()).toMatchObject({ writes: 2, coalesced: 8, dirty: false });
  });

  it('flush resolves only once the write is durable', async () => {
    const w = new ControlledWriter();
    w.manual = true;
    const { p } = setup(w);
    p.schedule({ n: 1 });
    let flushed = false;
    const f = p.flush().then(() => (flushed = true));
    await tick();
    await tick();
    expect(flushed).toBe(false);
    expect(w.storedN()).toBeUndefined();
    w.release();
    await f;
    expect(flushed).toBe(true);
    expect(w.storedN()).toBe(1);
  });

  it('flush captures the current snapshot from the source (write-ahead of a new n)', async () => {
    const w = new ControlledWriter();
    const { p } = setup(w);
    let state: Snap = { n: 5 };
    p.setSource(() => state);
    state = { n: 6 };
    await p.flush();
    expect(w.storedN()).toBe(6);
    expect(p.stats().writes).toBe(1);
  });

  it('flush with nothing scheduled resolves without writing', async () => {
    const w = new ControlledWriter();
    const { p } = setup(w);
    await p.flush();
    expect(p.stats().writes).toBe(0);
    expect(w.started).toEqual([]);
  });

  it('retries a failed write with back-off, reporting each failure, then succeeds', async () => {
    const w = new ControlledWriter();
    w.failNext = 2;
    const { p, errors, sleeps } = setup(w, { retry: { attempts: 5, baseMs: 10, maxMs: 25 } });
    p.schedule({ n: 1 });
    await p.flush();
    expect(w.storedN()).toBe(1);
    expect(errors.map((e) => e.info)).toEqual([
      { key: KEY, attempt: 1, final: false },
      { key: KEY, attempt: 2, final: false },
    ]);
    expect(errors[0].err.message).toMatch(/snapshot write to gridchart:sim:a1:ETH:1 failed \(attempt 1\/5, will retry\): connection reset/);
    expect(sleeps).toEqual([10, 20]);
    expect(p.stats().failedAttempts).toBe(2);
  });

  it('rejects flush when the write ultimately fails, and a later flush retries the same snapshot', async () => {
    const w = new ControlledWriter();
    w.failNext = 3;
    const { p, errors, sleeps } = setup(w, { retry: { attempts: 3, baseMs: 100, maxMs: 150 } });
    p.schedule({ n: 7 });
    await expect(p.flush()).rejects.toThrow(/attempt 3\/3, giving up\): connection reset/);
    expect(errors.at(-1)?.info.final).toBe(true);
    expect(sleeps).toEqual([100, 150]);
    expect(w.storedN()).toBeUndefined();
    expect(p.stats().dirty).toBe(true);
    await p.flush();
    expect(w.storedN()).toBe(7);
    expect(p.stats().dirty).toBe(false);
  });

  it('a retry writes the newest snapshot, never a superseded one after it', async () => {
    const w = new ControlledWriter();
    w.failNext = 1;
    const { p } = setup(w, {
      sleep: async () => {
        p.schedule({ n: 2 });
        await tick();
      },
    });
    p.schedule({ n: 1 });
    await p.flush();
    expect(w.started).toEqual([1, 2]);
    expect(w.storedN()).toBe(2);
    expect(p.stats().coalesced).toBe(1);
  });

  it('a snapshot that is not JSON fails at once without retries', async () => {
    const w = new ControlledWriter();
    const { p, errors } = setup(w);
    p.schedule({ n: 1n });
    await expect(p.flush()).rejects.toThrow(/not JSON-serialisable/);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => e.info.attempt === 1 && e.info.final)).toBe(true);
    expect(w.started).toEqual([]);
    p.schedule({ n: 3 });
    await p.flush();
    expect(w.storedN()).toBe(3);
  });

  it('treats a store answering false as a failed write', async () => {
    const stored: string[] = [];
    let answer = false;
    const p = new Persister<Snap>({
      keyv: { set: async (_k, v) => (answer ? (stored.push(v), true) : false) },
      key: KEY,
      makeEnvelope: mk,
      onError: () => { answer = true; },
      sleep: async () => undefined,
    });
    p.schedule({ n: 1 });
    await p.flush();
    expect(stored).toHaveLength(1);
    expect(p.stats().failedAttempts).toBe(1);
  });

  it('close flushes, then refuses new snapshots', async () => {
    const w = new ControlledWriter();
    const { p } = setup(w);
    p.schedule({ n: 4 });
    await p.close();
    expect(w.storedN()).toBe(4);
    expect(() => p.schedule({ n: 5 })).toThrow(/Persister for gridchart:sim:a1:ETH:1 is closed/);
  });

  it('measures write latency (last, p50, p99) and reports each write', async () => {
    let t = 0;
    const seen: number[] = [];
    const durations = [5, 1, 3, 2, 4];
    let i = 0;
    const p = new Persister<Snap>({
      keyv: { set: async () => { t += durations[i++]; return true; } },
      key: KEY,
      makeEnvelope: mk,
      onError: (e) => { throw e; },
      onWrite: (ms) => seen.push(ms),
      now: () => t,
    });
    for (let n = 0; n < durations.length; n++) {
      p.schedule({ n });
      await p.flush();
    }
    expect(seen).toEqual(durations);
    expect(p.stats()).toMatchObject({ writes: 5, lastWriteMs: 4, p50Ms: 3, p99Ms: 5 });
  });
});
