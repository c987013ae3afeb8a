/**
 * Support for the VEN scenarios (not a test file): the real Bot (machines + runtime) wired
 * to a LighterVenue connected over 127.0.0.1 sockets to the Lighter simulator server, on
 * one shared SimClock driven only when nothing waits on the network — plus a recording
 * logger and helpers to read the server's tx log.
 *
 * Invariants: nothing here prints key material; the logger keeps lines in memory only.
 */
import Keyv from 'keyv';
import { simMarket, TEST, type SimMarketConfig } from '../../adapters/sim/index.ts';
import type { LighterLogger } from '../../adapters/lighter/common/logger.ts';
import { advanceSimClock, settleSimClock, startSimVenue, type DriveOptions, type SetupOptions, type SimVenueSetup } from '../../adapters/lighter/testing.ts';
import type { GridParams } from '../../machines/shared/types.ts';
import { decodeClientIndex, type Role } from '../../src/domain/client-index.ts';
import { Bot, type JournalRecord } from '../../src/runtime/bot.ts';
import { SimClock } from '../../src/runtime/clock.ts';
import type { StringKeyValue } from '../../src/persistence/snapshot-store.ts';
import type { ReceivedTx } from '../../src/venue-sim/index.ts';
import type { VenueStreamEvent } from '../../adapters/types.ts';
import { baseParams } from '../harness.ts';

export const T0 = 1_795_480_000_000;
export const M = 'TEST';

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export function recordingLogger(lines: LogLine[]): LighterLogger {
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    lines.push({ level, message, ...(fields ? { fields } : {}) });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Every log line as one string (for secret scans). */
export function logText(lines: LogLine[]): string {
  return lines.map((l) => `${l.level} ${l.message} ${l.fields ? JSON.stringify(l.fields) : ''}`).join('\n');
}

export interface SimWorld extends SimVenueSetup {
  clock: SimClock;
  logs: LogLine[];
  events: VenueStreamEvent[];
  drive: DriveOptions;
  settle(): Promise<void>;
  advance(ms: number): Promise<void>;
}

/** Server + venue on a shared SimClock, with a recording logger and a stream recorder. */
export async function simWorld(o: SetupOptions & { market?: SimMarketConfig } = {}): Promise<SimWorld> {
  const clock = new SimClock(T0);
  const logs: LogLine[] = [];
  const s = await startSimVenue({
    ...o,
    clock,
    markets: o.markets ?? [o.market ?? simMarket(TEST)],
    venue: { logger: recordingLogger(logs), ...o.venue },
    noConnect: true,
  });
  const drive: DriveOptions = { clock, venue: s.venue, server: s.server };
  const events: VenueStreamEvent[] = [];
  const w: SimWorld = {
    ...s,
    clock,
    logs,
    events,
    drive,
    settle: () => settleSimClock(drive),
    advance: (ms) => advanceSimClock(drive, ms),
  };
  if (!o.noConnect) await connectDriven(w);
  return w;
}

/** connect() while the clock is driven (back-offs on the clock need time to move). */
export async function connectDriven(w: SimWorld): Promise<void> {
  let done = false;
  let failure: unknown;
  const p = w.venue.connect().then(
    () => (done = true),
    (err: unknown) => {
      done = true;
      failure = err;
    },
  );
  for (let i = 0; !done && i < 10_000; i++) await w.advance(100);
  await p;
  if (failure) throw failure;
}

export interface BotWorld extends SimWorld {
  bot: Bot;
  journal: JournalRecord[];
  kv: StringKeyValue;
}

/** The real bot on the LighterVenue over sockets, started (leverage set, subscribed). */
export async function botWorld(o: SetupOptions & { params?: Partial<GridParams>; leverage?: number; beforeStart?: (w: SimWorld) => void } = {}): Promise<BotWorld> {
  const w = await simWorld(o);
  const journal: JournalRecord[] = [];
  const kv = new Keyv<string>() as unknown as StringKeyValue;
  w.venue.subscribe(M, (e) => w.events.push(e));
  const bot = new Bot({
    params: baseParams(o.params),
    market: M,
    slot: 1,
    targetLeverage: o.leverage ?? 20,
    venue: w.venue,
    clock: w.clock,
    kv,
    identity: { venue: 'lighter', account: '1', market: M, slot: 1, variant: 'dynamic-grid' },
    journal: (r) => journal.push(r),
  });
  w.drive.effects = bot.idle;
  o.beforeStart?.(w);
  let started = false;
  let failure: unknown;
  const p = bot.start().then(
    () => (started = true),
    (err: unknown) => {
      started = true;
      failure = err;
    },
  );
  for (let i = 0; !started && i < 1000; i++) await w.advance(10);
  await p;
  if (failure) throw failure;
  await w.settle();
  return { ...w, bot, journal, kv };
}

/** Transactions the server received, with decoded client index roles. */
export function txs(w: SimVenueSetup, type?: number): Array<ReceivedTx & { f: Record<string, number>; role?: Role; n?: number }> {
  return w.server.control
    .txLog()
    .filter((t) => type === undefined || t.txType === type)
    .map((t) => {
      const f = (t.info ?? {}) as Record<string, number>;
      const d = f.ClientOrderIndex !== undefined ? decodeClientIndex(f.ClientOrderIndex) : null;
      return { ...t, f, ...(d ? { role: d.role, n: d.n } : {}) };
    });
}

/** Polls `probe` while driving the clock in `stepMs` steps, up to `maxMs` simulated ms. */
export async function until<T>(w: SimWorld, what: string, probe: () => T | undefined | false, maxMs = 60_000, stepMs = 100): Promise<T> {
  for (let t = 0; t <= maxMs; t += stepMs) {
    const got = probe();
    if (got !== undefined && got !== false) return got;
    await w.advance(stepMs);
  }
  throw new Error(`timed out after ${maxMs} simulated ms waiting for ${what}`);
}

export interface WallBot extends SimVenueSetup {
  bot: Bot;
  journal: JournalRecord[];
  /** Polls `pred` every 20 wall ms (after a settle) for up to `ms`. */
  until(what: string, pred: () => boolean, ms?: number): Promise<void>;
}

/** The real bot on the LighterVenue over sockets on the WALL clock (for acks delayed beyond a timeout). */
export async function botOverWallClock(o: { sendTimeoutMs: number; delayFirstEntryAckMs?: number; dropFirstOrderFrame?: boolean; params?: Partial<GridParams> }): Promise<WallBot> {
  const s = await startSimVenue({ venue: { sendTimeoutMs: o.sendTimeoutMs } });
  const journal: JournalRecord[] = [];
  const bot = new Bot({
    params: baseParams(o.params),
    market: M,
    slot: 1,
    targetLeverage: 20,
    venue: s.venue,
    clock: s.clock,
    kv: new Keyv<string>() as unknown as StringKeyValue,
    identity: { venue: 'lighter', account: '1', market: M, slot: 1, variant: 'dynamic-grid' },
    journal: (r) => journal.push(r),
  });
  // The faults hit the first ORDER the bot sends (queued just before it leaves).
  const place = s.venue.placeOrder.bind(s.venue);
  let first = true;
  s.venue.placeOrder = (req) => {
    if (first) {
      if (o.delayFirstEntryAckMs !== undefined) s.server.control.faults.delayAcks(o.delayFirstEntryAckMs);
      if (o.dropFirstOrderFrame) s.server.control.faults.dropFrames('account_all_orders', 1);
    }
    first = false;
    return place(req);
  };
  await bot.start();
  return {
    ...s,
    bot,
    journal,
    until: async (what, pred, ms = 5000) => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await s.settle();
        if (pred()) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`timed out after ${ms} wall ms waiting for ${what}`);
    },
  };
}
