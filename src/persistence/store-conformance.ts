/**
 * Runner-agnostic conformance suite for snapshot stores: every backend (SQLite, Redis,
 * Postgres, and any added later) must pass the same checks. Each exported function takes a
 * factory that opens a NEW connection to the same store each time it is called, and throws
 * a descriptive Error on the first violation.
 *
 * Invariants of the suite itself:
 * - It touches only keys under a unique account (`conf…` per run) and deletes them all at the
 *   end, pass or fail, so it can run against a shared server.
 * - "Durable" is checked by closing the connection and reading through a fresh one.
 */
import { randomBytes } from 'node:crypto';
import {
  botKey,
  encodeEnvelope,
  makeEnvelope,
  SnapshotRefusedError,
  type BotIdentity,
  type Envelope,
  type ExpectedEnvelope,
  type RefusalReason,
} from './envelope.ts';
import { Persister, type StringWriter } from './persister.ts';
import { simKey, SnapshotStore, type StringKeyValue } from './snapshot-store.ts';

export interface ConformanceStore {
  keyv: StringKeyValue;
  close(): Promise<void>;
}
export type StoreFactory = () => Promise<ConformanceStore>;

export interface ConformanceOptions {
  /** Unique account used in every key; default a random `conf…` id. */
  account?: string;
  log?: (line: string) => void;
}

const MACHINE_VERSION = 1;

class Violation extends Error {
  constructor(check: string, message: string) {
    super(`store conformance [${check}]: ${message}`);
    this.name = 'StoreConformanceViolation';
  }
}

function expect(check: string, cond: boolean, message: string): asserts cond {
  if (!cond) throw new Violation(check, message);
}

function bot(account: string, slot = 1, market = 'ETH'): BotIdentity {
  return { venue: 'sim', account, market, slot, variant: 'grid' };
}

function expectedFor(id: BotIdentity): ExpectedEnvelope {
  return { machineVersion: [MACHINE_VERSION], bot: id };
}

function envelopeOf<S>(id: BotIdentity, snapshot: S, savedAt = 1_700_000_000_000): Envelope<S> {
  return makeEnvelope({ machineVersion: MACHINE_VERSION, bot: id, savedAt, snapshot });
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A snapshot that exercises the awkward corners of JSON and of Keyv's default codec. */
function trickySnapshot(tag: string): unknown {
  return {
    status: 'active',
    value: { lifecycle: 'trading', entry: { waiting: {} } },
    context: {
      tag,
      nextN: 4_294_967_295,
      maxIndex: 2 ** 48 - 1,
      price: '99.78',
      size: '1.000',
      colonLead: ':base64:AAAA',
      colon: ':x',
      unicode: 'grid € ✓ 😀 "quoted" \\ back',
      empty: '',
      nothing: null,
      flags: [true, false],
      nested: [{ a: [1, 2, { b: 'c' }] }],
    },
    children: {},
  };
}

interface Ctx {
  factory: StoreFactory;
  account: string;
  store: ConformanceStore;
  snapshots: SnapshotStore;
  keys: Set<string>;
}

async function reopen(ctx: Ctx): Promise<void> {
  await ctx.store.close();
  ctx.store = await ctx.factory();
  ctx.snapshots = new SnapshotStore(ctx.store.keyv);
}

function track(ctx: Ctx, key: string): string {
  ctx.keys.add(key);
  return key;
}

async function withContext<T>(factory: StoreFactory, options: ConformanceOptions, body: (ctx: Ctx) => Promise<T>): Promise<T> {
  const account = options.account ?? `conf${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
  const store = await factory();
  const ctx: Ctx = { factory, account, store, snapshots: new SnapshotStore(store.keyv), keys: new Set() };
  try {
    return await body(ctx);
  } finally {
    // Clean up through a fresh connection: the current one may be closed or broken.
    const cleaner = await factory();
    try {
      for (const key of ctx.keys) await cleaner.keyv.delete(key);
    } finally {
      await cleaner.close();
      await ctx.store.close();
    }
  }
}

const CHECKS: Array<[string, (ctx: Ctx) => Promise<void>]> = [
  ['absent key reads as null', async (ctx) => {
    const key = track(ctx, botKey(bot(ctx.account, 9)));
    const got = await ctx.snapshots.load(key, expectedFor(bot(ctx.account, 9)));
    expect('absent', got === null, `load of a never-written key returned ${JSON.stringify(got)}`);
    expect('absent', (await ctx.snapshots.get(track(ctx, simKey(`${ctx.account}-none`)))) === undefined, 'get of a never-written record was not undefined');
  }],
  ['save/load round trip is exact', async (ctx) => {
    const id = bot(ctx.account);
    const key = track(ctx, botKey(id));
    const env = envelopeOf(id, trickySnapshot('round-trip'));
    await ctx.snapshots.save(key, env);
    const raw = await ctx.snapshots.getRaw(key);
    expect('round trip', raw === encodeEnvelope(env), `stored text differs from the envelope's JSON (got ${raw?.slice(0, 120)}…)`);
    const loaded = await ctx.snapshots.load(key, expectedFor(id));
    expect('round trip', same(loaded, env), `loaded ${JSON.stringify(loaded)?.slice(0, 200)}, expected ${JSON.stringify(env).slice(0, 200)}`);
  }],
  ['overwrite keeps the latest', async (ctx) => {
    const id = bot(ctx.account);
    const key = track(ctx, botKey(id));
    await ctx.snapshots.save(key, envelopeOf(id, { v: 'first' }));
    await ctx.snapshots.save(key, envelopeOf(id, { v: 'second' }));
    const loaded = await ctx.snapshots.load(key, expectedFor(id));
    expect('overwrite', same(loaded?.snapshot, { v: 'second' }), `after two saves load gave ${JSON.stringify(loaded?.snapshot)}`);
  }],
  ['coalescing writer keeps order and the latest wins', async (ctx) => {
    const id = bot(ctx.account, 3);
    const key = track(ctx, botKey(id));
    const written: number[] = [];
    const recorder: StringWriter = {
      set: async (k, v) => {
        written.push((JSON.parse(v) as Envelope<{ n: number }>).snapshot.n);
        return ctx.store.keyv.set(k, v);
      },
    };
    const errors: Error[] = [];
    const p = new Persister<{ n: number }>({
      keyv: recorder, key, makeEnvelope: (s) => envelopeOf(id, s), onError: (e) => errors.push(e),
    });
    const total = 100;
    for (let n = 0; n < total; n++) {
      p.schedule({ n });
      if (n % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await p.flush();
    const st = p.stats();
    expect('coalescing', errors.length === 0, `write errors: ${errors.map((e) => e.message).join('; ')}`);
    expect('coalescing', written.every((n, i) => i === 0 || n > written[i - 1]), `writes out of order: ${written.join(',')}`);
    expect('coalescing', written[0] === 0 && written[written.length - 1] === total - 1, `first/last written ${written[0]}/${written.at(-1)}, expected 0/${total - 1}`);
    expect('coalescing', written.length < total, `no coalescing: ${written.length} writes for ${total} snapshots`);
    expect('coalescing', st.writes === written.length && st.writes + st.coalesced === total, `stats ${JSON.stringify(st)} do not add up to ${total} snapshots / ${written.length} writes`);
    const loaded = await ctx.snapshots.load(key, expectedFor(id));
    expect('coalescing', same(loaded?.snapshot, { n: total - 1 }), `store holds ${JSON.stringify(loaded?.snapshot)}`);
  }],
  ['flush is durable across a new connection', async (ctx) => {
    const id = bot(ctx.account, 4);
    const key = track(ctx, botKey(id));
    let state = { nextN: 1 };
    const p = new Persister<typeof state>({
      keyv: ctx.store.keyv, key, makeEnvelope: (s) => envelopeOf(id, s), onError: () => undefined,
    });
    p.setSource(() => state);
    state = { nextN: 42 };
    await p.flush();
    await reopen(ctx);
    const loaded = await ctx.snapshots.load(key, expectedFor(id));
    expect('flush durability', same(loaded?.snapshot, { nextN: 42 }), `after flush + reconnect the store holds ${JSON.stringify(loaded?.snapshot)}`);
  }],
  ['refused envelopes leave the stored value unchanged', async (ctx) => {
    const id = bot(ctx.account, 5);
    const key = track(ctx, botKey(id));
    for (const bad of refusalCases(id)) {
      await ctx.store.keyv.set(key, bad.raw);
      let refused: unknown;
      try {
        await ctx.snapshots.load(key, expectedFor(id));
      } catch (err) {
        refused = err;
      }
      expect('refusal', refused instanceof SnapshotRefusedError, `${bad.name}: load did not throw SnapshotRefusedError (got ${String(refused)})`);
      const e = refused as SnapshotRefusedError;
      expect('refusal', e.reason === bad.reason && e.exitCode === 2, `${bad.name}: reason ${e.reason}/exit ${e.exitCode}, expected ${bad.reason}/2`);
      expect('refusal', bad.message.test(e.message), `${bad.name}: message "${e.message}" does not match ${bad.message}`);
      const after = await ctx.snapshots.getRaw(key);
      expect('refusal', after === bad.raw, `${bad.name}: stored value changed after the refusal`);
    }
  }],
  ['a 1 MB snapshot round-trips through a new connection', async (ctx) => {
    const id = bot(ctx.account, 6);
    const key = track(ctx, botKey(id));
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789:"\\€';
    const blob = Array.from({ length: 1024 }, (_, i) =>
      Array.from({ length: 1024 }, (_, j) => alphabet[(i * 31 + j * 7) % alphabet.length]).join(''));
    const env = envelopeOf(id, { blob });
    const text = encodeEnvelope(env);
    expect('big snapshot', text.length >= 1_000_000, `test snapshot is only ${text.length} chars`);
    await ctx.snapshots.save(key, env);
    await reopen(ctx);
    const raw = await ctx.snapshots.getRaw(key);
    expect('big snapshot', raw === text, `stored ${raw?.length} chars, expected ${text.length} identical chars`);
    const loaded = await ctx.snapshots.load(key, expectedFor(id));
    expect('big snapshot', same(loaded, env), 'loaded 1 MB envelope differs');
  }],
  ['two bot keys are isolated', async (ctx) => {
    const a = bot(ctx.account, 7);
    const b = bot(ctx.account, 8);
    const ka = track(ctx, botKey(a));
    const kb = track(ctx, botKey(b));
    expect('isolation', ka !== kb, `slots 7 and 8 share the key ${ka}`);
    await ctx.snapshots.save(ka, envelopeOf(a, { who: 'a' }));
    await ctx.snapshots.save(kb, envelopeOf(b, { who: 'b' }));
    const la = await ctx.snapshots.load(ka, expectedFor(a));
    const lb = await ctx.snapshots.load(kb, expectedFor(b));
    expect('isolation', same(la?.snapshot, { who: 'a' }) && same(lb?.snapshot, { who: 'b' }), `loaded ${JSON.stringify(la?.snapshot)} / ${JSON.stringify(lb?.snapshot)}`);
    expect('isolation', (await ctx.snapshots.delete(ka)) === true, 'delete of an existing key returned false');
    expect('isolation', (await ctx.snapshots.load(ka, expectedFor(a))) === null, 'deleted key still loads');
    const lb2 = await ctx.snapshots.load(kb, expectedFor(b));
    expect('isolation', same(lb2?.snapshot, { who: 'b' }), 'deleting one bot key affected the other');
  }],
  ['generic JSON records round-trip', async (ctx) => {
    const key = track(ctx, simKey(`${ctx.account}-venue`));
    const state = { clock: 1_700_000_000_000, book: { bids: [['99.78', '1.000']], asks: [] }, rng: 'seed:7' };
    await ctx.snapshots.set(key, state);
    await reopen(ctx);
    const got = await ctx.snapshots.get(key);
    expect('records', same(got, state), `record came back as ${JSON.stringify(got)}`);
  }],
];

interface RefusalCase {
  name: string;
  raw: string;
  reason: RefusalReason;
  message: RegExp;
}

/** The RST-07 cases: version 999 (format and machine), corrupted text and schema, another market. */
export function refusalCases(id: BotIdentity): RefusalCase[] {
  const good = JSON.parse(encodeEnvelope(envelopeOf(id, { nextN: 3 }))) as Record<string, unknown>;
  const withField = (patch: Record<string, unknown>) => JSON.stringify({ ...good, ...patch });
  return [
    { name: 'formatVersion 999', raw: withField({ formatVersion: 999 }), reason: 'formatVersion', message: /formatVersion: found 999, supported 1/ },
    { name: 'machineVersion 999', raw: withField({ machineVersion: 999 }), reason: 'machineVersion', message: /machineVersion: found 999, supported 1/ },
    { name: 'unknown format', raw: withField({ format: 'other.thing' }), reason: 'format', message: /format: found "other\.thing", supported "gridchart\.snapshot"/ },
    { name: 'truncated JSON', raw: encodeEnvelope(envelopeOf(id, { nextN: 3 })).slice(0, 40), reason: 'corrupted', message: /corrupted envelope: not JSON/ },
    { name: 'schema error', raw: withField({ bot: { ...id, slot: 'one' } }), reason: 'corrupted', message: /bot\.slot/ },
    { name: 'another market', raw: withField({ bot: { ...id, market: 'BTC' } }), reason: 'identity', message: /market: found "BTC", expected "ETH"/ },
  ];
}

/** Runs every check; returns the names of the checks that passed (all, or it throws). */
export async function runSnapshotStoreConformance(factory: StoreFactory, options: ConformanceOptions = {}): Promise<string[]> {
  return withContext(factory, options, async (ctx) => {
    const passed: string[] = [];
    for (const [name, check] of CHECKS) {
      await check(ctx);
      passed.push(name);
      options.log?.(`ok - ${name}`);
    }
    return passed;
  });
}

/**
 * Store-level RST-08: the position counter and tracked positions survive restarts, and no
 * `n` is ever used twice. Each run opens a new connection, restores, write-ahead flushes a
 * new `n` before "sending" it, and then dies without a graceful shutdown.
 */
export async function checkPositionCounterSurvives(factory: StoreFactory, options: ConformanceOptions = {}): Promise<number[]> {
  return withContext(factory, options, async (ctx) => {
    const id = bot(ctx.account, 11);
    const key = track(ctx, botKey(id));
    const sent: number[] = [];
    type State = { context: { nextN: number; positions: Record<string, { size: string; price: string }> } };
    for (let run = 0; run < 4; run++) {
      if (run > 0) await reopen(ctx);
      const env = await ctx.snapshots.load(key, expectedFor(id));
      expect('RST-08', (env === null) === (run === 0), `run ${run}: envelope ${env === null ? 'missing' : 'present'}`);
      const state: State = (env?.snapshot as State | undefined) ?? { context: { nextN: 1, positions: {} } };
      const tracked = Object.keys(state.context.positions).length;
      expect('RST-08', tracked === sent.length, `run ${run}: ${tracked} tracked positions restored, expected ${sent.length}`);
      const p = new Persister<State>({
        keyv: ctx.store.keyv, key, makeEnvelope: (s) => envelopeOf(id, s), onError: () => undefined,
      });
      let current = state;
      p.setSource(() => current);
      for (let i = 0; i < 3; i++) {
        const n = current.context.nextN;
        current = {
          context: {
            nextN: n + 1,
            positions: { ...current.context.positions, [`grid-${n}`]: { size: '1.000', price: '99.78' } },
          },
        };
        await p.flush(); // write-ahead: the new n is durable before the order is sent
        expect('RST-08', !sent.includes(n), `run ${run}: n=${n} reused (sent before: ${sent.join(',')})`);
        sent.push(n);
      }
      // "Crash": no close(), no final flush; the connection just goes away at reopen().
    }
    expect('RST-08', sent.every((n, i) => n === i + 1), `n sequence ${sent.join(',')} is not 1..${sent.length}`);
    return sent;
  });
}
