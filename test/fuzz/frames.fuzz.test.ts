/**
 * Fuzzing the Lighter adapter with malformed and hostile WebSocket frames (issue #6, "bad
 * input"):
 * - pure: the REST parsers on mutated bodies, and `parseWsFrame` on fixture frames with one field replaced by a hostile value (null,
 *   arrays for objects, objects for arrays, wrong types, numbers beyond 2^53 and 1e400 as raw
 *   JSON, huge strings, negative and out-of-grid sizes), a field removed, or arbitrary text.
 *   It never throws; a rejection is `{ ok: false, error: { kind: 'parse' } }` with a short
 *   excerpt; an accepted frame carries only canonical non-negative decimals.
 * - over sockets: the real bot on the LighterVenue connected to the simulator server over
 *   127.0.0.1; hostile frames are injected on every channel the adapter subscribes to,
 *   interleaved with valid traffic. Each rejected frame is logged (the adapter's warn hook),
 *   the connection stays up (no reconnect), and valid frames after them are still processed:
 *   the bot's entry fill and its exit still happen. No unhandled rejection or exception.
 *
 * FUZZ_RUNS=2000 npx vitest run test/fuzz/frames.fuzz.test.ts for a longer run.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { marketMap, type ParseContext } from '../../adapters/lighter/map.ts';
import {
  parseAccount,
  parseNextNonce,
  parseOrderBookDetails,
  parseOrders,
  parseRestEnvelope,
  parseSendTxResponse,
  parseTrades,
  parseWsFrame,
  type LighterWsFrame,
  type ParseResult,
} from '../../adapters/lighter/parse.ts';
import { TEST_ACCOUNT } from '../../adapters/lighter/testing.ts';
import { encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { botWorld, M, until, type BotWorld } from '../venue/support.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`../../adapters/lighter/test_data/${name}`, import.meta.url), 'utf8'));

const FIXTURE_ACCOUNT = 12345;
const fixtureCtx: ParseContext = {
  accountIndex: FIXTURE_ACCOUNT,
  markets: marketMap([
    { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 },
    { marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 },
  ]),
  now: () => 42,
};

const FRAMES = [
  'ws_account_all.json',
  'ws_account_all_orders_snapshot.json',
  'ws_account_all_trades_update.json',
  'ws_account_orders_update.json',
  'ws_order_book_snapshot.json',
  'ws_order_book_update.json',
  'ws_ticker_update.json',
  'ws_sendtx_ack.json',
  'ws_error_typed.json',
].map((name) => ({ name, json: fixture(name) }));

// ---------------------------------------------------------------------------- mutations

type Path = Array<string | number>;

/** Every path in a JSON tree (containers and leaves). */
function pathsOf(v: unknown, at: Path = []): Path[] {
  const out: Path[] = at.length ? [at] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...pathsOf(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...pathsOf(x, [...at, k]));
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, remove = false): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (remove) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** Hostile values; RAW:… are spliced into the JSON text unquoted (numbers JSON.stringify cannot write). */
const hostile = fc.oneof(
  fc.constantFrom<unknown>(null, [], {}, true, false, 0, -1, -0.5, '', '-1.000', '-100.04', 'NaN', 'Infinity', '1e400', '0x1F', ' 1.000', '1.0000000001', '１.０'),
  fc.constantFrom('RAW:9007199254740993', 'RAW:1e400', 'RAW:-1e400', 'RAW:123456789012345678901234567890', 'RAW:1.7976931348623157e309', 'RAW:-9007199254740993'),
  fc.integer({ min: 1, max: 200_000 }).map((n) => 'x'.repeat(n)),
  fc.integer({ min: 1, max: 2_000 }).map((n) => '9'.repeat(n)),
  fc.string({ maxLength: 20 }),
  fc.double(),
  fc.array(fc.constantFrom<unknown>(null, 1, 'a', {}), { maxLength: 3 }),
);

let rawSeq = 0;
/** JSON text of `v` with RAW:… strings written as bare JSON numbers. */
function toText(v: unknown): string {
  const raws = new Map<string, string>();
  const text = JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'string' && x.startsWith('RAW:')) {
      const token = `@@raw${++rawSeq}@@`;
      raws.set(token, x.slice(4));
      return token;
    }
    return x;
  });
  let out = text;
  for (const [token, raw] of raws) out = out.replace(`"${token}"`, raw);
  return out;
}

/** One hostile frame built from a fixture: a field replaced, a field removed, or text garbage. */
const mutatedFrame = fc.oneof(
  fc.tuple(fc.constantFrom(...FRAMES), fc.nat(), hostile, fc.boolean()).map(([f, i, value, remove]) => {
    const paths = pathsOf(f.json);
    const path = paths[i % paths.length]!;
    return { source: f.name, path: path.join('.'), text: toText(setAt(f.json, path, value, remove && path.length > 1)) };
  }),
  fc.constantFrom(...FRAMES).chain((f) => fc.nat({ max: 400 }).map((cut) => ({ source: f.name, path: `truncated at ${cut}`, text: JSON.stringify(f.json).slice(0, cut) }))),
  fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('[]', '123', '"x"', 'null', 'true', '{}', '{"type":null}', '{"type":["update/order_book"]}', '{"error":null}', '{"error":{"code":"x"}}')).map((text) => ({ source: 'garbage', path: '', text })),
);

const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

/** Every price/size an accepted frame hands on is a canonical non-negative decimal. */
function checkAccepted(f: LighterWsFrame, what: string): void {
  const dec = (v: string | undefined, field: string) => {
    if (v === undefined) return;
    expect(v, `${what}: ${field}`).toMatch(DECIMAL);
  };
  switch (f.kind) {
    case 'order-book':
      for (const l of [...f.asks, ...f.bids]) {
        dec(l.price, 'level price');
        dec(l.size, 'level size');
      }
      expect(f.nonce, `${what}: nonce`).toMatch(/^\d+$/);
      return;
    case 'ticker':
      for (const k of ['bid', 'ask', 'bidSize', 'askSize'] as const) dec(f.bbo[k], k);
      return;
    case 'account-orders':
      for (const v of f.orders) for (const k of ['price', 'size', 'filledSize'] as const) dec(v.order[k], `order ${k}`);
      return;
    case 'account-trades':
    case 'account-all':
      for (const fill of f.fills) {
        dec(fill.price, 'fill price');
        dec(fill.size, 'fill size');
      }
      if (f.kind === 'account-all') for (const p of f.positions) expect(p.size, `${what}: position size`).toMatch(/^-?(0|[1-9]\d*)(\.\d+)?$/);
      return;
    default:
      return;
  }
}

describe('parseWsFrame fuzz (pure)', () => {
  it('never throws; rejections are parse errors with a short excerpt; accepted frames carry canonical decimals only', () => {
    const counts = { accepted: 0, rejected: 0 };
    fc.assert(
      fc.property(mutatedFrame, ({ source, path, text }) => {
        const what = `${source} ${path}`;
        let r: ReturnType<typeof parseWsFrame>;
        try {
          r = parseWsFrame(text, fixtureCtx);
        } catch (err) {
          throw new Error(`${what}: parseWsFrame threw ${String(err)}`);
        }
        if (r.ok) {
          counts.accepted++;
          checkAccepted(r.value, what);
        } else {
          counts.rejected++;
          expect(r.error.kind).toBe('parse');
          expect(typeof r.error.message).toBe('string');
          expect(r.error.excerpt.length).toBeLessThanOrEqual(161);
        }
      }),
      { numRuns: RUNS },
    );
    expect(counts.rejected).toBeGreaterThan(0);
    expect(counts.accepted).toBeGreaterThan(0);
  });

  it('values the bot must never see are refused: negative, beyond 2^53 or 1e400, off-grid or non-decimal sizes and prices', () => {
    const book = FRAMES.find((f) => f.name === 'ws_order_book_update.json')!.json;
    const trades = FRAMES.find((f) => f.name === 'ws_account_all_trades_update.json')!.json as { trades: Record<string, unknown[]> };
    const tradePath = ['trades', Object.keys(trades.trades)[0]!, 0];
    const bad = ['-1.000', '1e400', 'RAW:1e400', 'RAW:9007199254740993', '1.0001', 'abc', '', null, [], {}, 'RAW:-1'];
    for (const v of bad) {
      for (const [frame, path] of [
        [book, ['order_book', 'asks', 1, 'size']],
        [book, ['order_book', 'bids', 0, 'price']],
        [trades, [...tradePath, 'size']],
        [trades, [...tradePath, 'price']],
      ] as Array<[unknown, Path]>) {
        const r = parseWsFrame(toText(setAt(frame, path, v)), fixtureCtx);
        expect(r.ok, `${path.join('.')} = ${JSON.stringify(v)}`).toBe(false);
      }
    }
  });
});

const REST_PARSERS: Array<{ name: string; parse: (text: string) => ParseResult<unknown> }> = [
  { name: 'http_account_active_orders.json', parse: (t) => parseOrders(t, fixtureCtx) },
  { name: 'http_account_inactive_orders.json', parse: (t) => parseOrders(t, fixtureCtx) },
  { name: 'http_trades.json', parse: (t) => parseTrades(t, fixtureCtx) },
  { name: 'http_account.json', parse: (t) => parseAccount(t, fixtureCtx) },
  { name: 'http_order_book_details.json', parse: parseOrderBookDetails },
  { name: 'http_next_nonce.json', parse: parseNextNonce },
  { name: 'http_send_tx.json', parse: parseSendTxResponse },
];
const REST = REST_PARSERS.map((r) => ({ ...r, json: fixture(r.name) }));

describe('REST parsers fuzz (pure)', () => {
  it('never throw: a mutated or garbage body is a parse error (or a VenueError envelope), never an exception', () => {
    const body = fc.oneof(
      fc.tuple(fc.constantFrom(...REST), fc.nat(), hostile, fc.boolean()).map(([r, i, value, remove]) => {
        const paths = pathsOf(r.json);
        const path = paths[i % paths.length]!;
        return { r, text: toText(setAt(r.json, path, value, remove && path.length > 1)) };
      }),
      fc.tuple(fc.constantFrom(...REST), fc.string({ unit: 'binary', maxLength: 300 })).map(([r, text]) => ({ r, text })),
    );
    fc.assert(
      fc.property(body, fc.constantFrom(200, 400, 429, 500, 503), ({ r, text }, status) => {
        let parsed: ParseResult<unknown>;
        let envelope: ReturnType<typeof parseRestEnvelope>;
        try {
          envelope = parseRestEnvelope(status, text);
          parsed = r.parse(text);
        } catch (err) {
          throw new Error(`${r.name}: a REST parser threw ${String(err)}`);
        }
        if (!envelope.ok) expect(envelope.error).toBeDefined();
        if (!parsed.ok) {
          expect(parsed.error.kind).toBe('parse');
          expect(parsed.error.excerpt.length).toBeLessThanOrEqual(161);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------- over sockets

describe('hostile frames over sockets (LighterVenue ↔ simulator server, real bot)', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  });
  let w: BotWorld | undefined;
  afterEach(async () => {
    w?.bot.kill();
    await w?.close();
    w = undefined;
  });

  /** The adapter's own parse context for the simulator's TEST market and our account. */
  const simCtx: ParseContext = { accountIndex: TEST_ACCOUNT, markets: marketMap([{ marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 }]), now: () => 0 };

  /** Re-targets a fixture frame at our account / market 0 (so a hostile field is the only thing wrong). */
  function retarget(text: string): string {
    return text
      .split(String(FIXTURE_ACCOUNT))
      .join(String(TEST_ACCOUNT))
      .replace(/"order_book:1"/g, '"order_book:0"')
      .replace(/"ticker:1"/g, '"ticker:0"');
  }

  it('every subscribed channel gets non-JSON, wrong types, missing fields, numbers beyond 2^53 and 1e400, huge strings, negative sizes, unknown channels, nulls and arrays for objects: each is logged and survived; fills still reach the bot', async () => {
    w = await botWorld({ params: { gridStepPct: '0.05' } });
    const channels = w.server.control.connections().flatMap((c) => c.subscriptions);
    for (const ch of ['order_book/0', `account_all_orders/${TEST_ACCOUNT}`, `account_all_trades/${TEST_ACCOUNT}`, `account_all/${TEST_ACCOUNT}`]) expect(channels).toContain(ch);
    const entry = await until(w, 'the first entry', () => w!.bot.status().positions.length === 0 && w!.server.control.liveOrders(M).find((o) => o.clientIndex === encodeClientIndex(1, 1, role.entry())));
    expect(entry).toBeTruthy();

    // The barrage: frames the adapter's parser rejects, spread over every subscription, plus
    // frames of unknown types (ignored, not errors).
    const sample = fc.sample(mutatedFrame, { numRuns: 120, seed: 6 });
    const rejected = sample.map((f) => ({ ...f, text: retarget(f.text) })).filter((f) => !parseWsFrame(f.text, simCtx).ok);
    expect(rejected.length).toBeGreaterThan(60);
    const unknown = ['{"type":"update/unknown_channel","channel":"nope:1","data":[1,2,3]}', '{"type":"subscribed/height","height":"99999999999999999999999"}', '{"type":"update/market_stats","market_stats":null}'];
    const logsBefore = w.logs.filter((l) => /malformed frame/.test(l.message)).length;
    const statsBefore = w.venue.stats();
    let i = 0;
    for (const f of rejected) {
      w.server.control.faults.injectFrame(f.text, { channel: channels[i++ % channels.length]! });
      if (i % 20 === 0) {
        w.server.control.faults.injectFrame(unknown[(i / 20) % unknown.length]!, { channel: channels[0]! });
        await w.settle();
      }
      if (i === Math.floor(rejected.length / 2)) {
        // Valid traffic in the middle of it: the entry fills.
        w.server.control.counterpartyFill(M, entry!.clientIndex);
      }
    }
    await w.settle();
    const malformed = w.logs.filter((l) => /malformed frame/.test(l.message)).length - logsBefore;
    expect(malformed).toBe(rejected.length);
    for (const l of w.logs.filter((x) => /malformed frame/.test(x.message))) {
      expect(String(l.fields?.excerpt ?? '').length).toBeLessThanOrEqual(161);
      expect(l.level).toBe('warn');
    }
    const stats = w.venue.stats();
    expect(stats.malformedFrames - statsBefore.malformedFrames).toBe(rejected.length);
    expect(stats.wsReconnects).toBe(statsBefore.wsReconnects);
    expect(w.server.control.connections()).toHaveLength(1);

    // The fill made in the middle of the barrage reached the bot: position 1 is tracked with its exit.
    await until(w, 'position 1 tracked', () => w!.bot.status().positions.some((p) => p.n === 1 && p.exit !== undefined));
    expect(w.journal.filter((j) => j.type === 'entry.filled')).toHaveLength(1);
    // And after the barrage the connection still carries fills: the exit fills, the position closes.
    const exit = w.bot.status().positions.find((p) => p.n === 1)!.exit!;
    w.server.control.counterpartyFill(M, exit.clientIndex);
    await until(w, 'position 1 closed', () => w!.journal.some((j) => j.type === 'position.closed'));
    expect(w.journal.filter((j) => j.level === 'error')).toEqual([]);
    expect(unhandled).toEqual([]);
  }, 60_000);
});
