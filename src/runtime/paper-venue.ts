/**
 * The simulated venue of paper mode and its persistence beside the bot's snapshot.
 *
 * Record (key `simKey(market)`): `SimVenue.toJSON()` plus `clockNow`, the simulated time it
 * was taken at. A resumed run starts its SimClock at `clockNow` (never below the bot
 * snapshot's `savedAt`) so the venue's order expiries and the bot's persisted deadlines
 * agree.
 *
 * Ordering guarantee (`VenueStateSaver` + `guardedKv`): every write of the bot's snapshot is
 * preceded by a write of the venue state captured AFTER that snapshot was taken, so the
 * stored venue is never older than the stored bot. A kill -9 therefore looks to the bot like
 * an ordinary crash against a venue that lived on (restore + reconcile handles it), never
 * like a venue that forgot orders the bot knows it sent or fills it already saw.
 *
 * The same saver and guarded view keep the Lighter simulator's snapshot beside a loopback
 * paper bot (paper-loopback.ts), under its own key.
 *
 * Limitation (documented): the venue lives in the paper process, so a kill -9 also loses the
 * venue's progress since its last save (at most VENUE_SAVE_EVERY_MS of book moves, plus
 * requests the bot sent after its last snapshot write — e.g. an exit placed then lost: the
 * restored bot re-sends it with the same client index). The real fix is `grid-bot sim` as a
 * separate process that outlives the bot (later work).
 */
import { z } from 'zod';
import { SimVenue, simMarket, SIM_MARKETS, type PriceDriverConfig, type SimVenueState } from '../../adapters/sim/index.ts';
import { ConfigError } from '../config/index.ts';
import { SnapshotStore, simKey, type StringKeyValue } from '../persistence/snapshot-store.ts';
import { SimClock } from './clock.ts';

/** Periodic venue-state save interval (simulated ms). */
export const VENUE_SAVE_EVERY_MS = 10_000;

/** Book-driver defaults per sim market: one update per second, uniform move of ±stepTicks. */
export const DRIVER_DEFAULTS: Readonly<Record<string, { stepTicks: number; intervalMs: number }>> = {
  // ±10 USD a second at 60000 (≈ 6 USD standard deviation, roughly BTC's real volatility).
  BTC: { stepTicks: 100, intervalMs: 1000 },
  // ±0.5 USD a second at 3000.
  ETH: { stepTicks: 50, intervalMs: 1000 },
  // ±0.02 at 100 (the acceptance fixture market).
  TEST: { stepTicks: 2, intervalMs: 1000 },
};

export type PaperVenueRecord = SimVenueState & { clockNow: number };

const recordSchema = z.looseObject({
  version: z.literal(1),
  name: z.string(),
  collateral: z.string(),
  engine: z.looseObject({ version: z.literal(1), markets: z.array(z.looseObject({ config: z.unknown() })) }),
  drivers: z.array(z.unknown()),
  clockNow: z.number().int().nonnegative().optional(),
});

export interface OpenedPaperVenue {
  venue: SimVenue;
  clock: SimClock;
  resumed: boolean;
  /** Notices for the operator (e.g. a record without its clock time). */
  notes: string[];
}

export interface OpenPaperVenueOptions {
  store: SnapshotStore;
  market: string;
  seed: number | string;
  /** Earliest start time: the bot snapshot's savedAt, if any. */
  notBefore?: number;
  /** Start time of a fresh venue (default: now, whole seconds). */
  freshStart?: number;
}

/** Restores the paper venue of `market` from the store, or creates a fresh one with a running random-walk driver. */
export async function openPaperVenue(opts: OpenPaperVenueOptions): Promise<OpenedPaperVenue> {
  const { store, market } = opts;
  const notes: string[] = [];
  const raw = await store.get(simKey(market), recordSchema);
  if (raw !== undefined) {
    const rec = raw as unknown as PaperVenueRecord;
    let start = rec.clockNow;
    if (start === undefined) {
      start = opts.freshStart ?? wholeSecondsNow();
      notes.push(`the stored simulated venue of ${market} has no clock time; starting its clock at ${new Date(start).toISOString()}`);
    }
    const clock = new SimClock(Math.max(start, opts.notBefore ?? 0));
    const venue = SimVenue.restore(rec, clock);
    if (!venue.engine.markets().includes(market)) {
      throw new Error(`the stored simulated venue at ${simKey(market)} has no market ${market} (it has ${venue.engine.markets().join(', ')})`);
    }
    const drivers = venue.driversOf(market);
    if (drivers.length === 0) venue.addDriver(driverConfig(market, opts.seed), { start: true });
    for (const d of drivers) if (!d.running) d.start();
    return { venue, clock, resumed: true, notes };
  }
  if (!(market in SIM_MARKETS)) {
    throw ConfigError.of('command line', 'market', `${JSON.stringify(market)} is not a simulated market; paper mode allows ${Object.keys(SIM_MARKETS).join(', ')}`);
  }
  const clock = new SimClock(Math.max(opts.freshStart ?? wholeSecondsNow(), opts.notBefore ?? 0));
  const venue = new SimVenue({ clock, markets: [simMarket(market as keyof typeof SIM_MARKETS)] });
  venue.addDriver(driverConfig(market, opts.seed), { start: true });
  return { venue, clock, resumed: false, notes };
}

export function driverConfig(market: string, seed: number | string): PriceDriverConfig {
  const d = DRIVER_DEFAULTS[market] ?? { stepTicks: 1, intervalMs: 1000 };
  return { mode: 'random-walk', market, seed, stepTicks: d.stepTicks, intervalMs: d.intervalMs };
}

function wholeSecondsNow(): number {
  return Math.floor(Date.now() / 1000) * 1000;
}

/**
 * One coalescing writer of the venue state: a `save()` made while a write is waiting joins
 * it; the state is captured when the write starts, so writes are in order and each is at
 * least as new as every `save()` call it answers.
 */
export class VenueStateSaver {
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private inFlight = 0;
  writes = 0;

  /** `key` defaults to `simKey(market)` (the in-process venue); paper over loopback passes its own. */
  constructor(
    private readonly store: SnapshotStore,
    market: string,
    private readonly capture: () => unknown,
    private readonly key: string = simKey(market),
  ) {}

  save(): Promise<void> {
    if (this.queued) return this.queued;
    this.inFlight++;
    const p = this.tail.then(async () => {
      this.queued = null;
      try {
        await this.store.set(this.key, this.capture());
        this.writes++;
      } finally {
        this.inFlight--;
      }
    });
    this.queued = p;
    // The chain continues after a failed write; the failure is reported to the caller of save().
    this.tail = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Resolves when every save() made so far has finished (successfully or not). */
  settled(): Promise<void> {
    return this.tail;
  }
}

export function captureRecord(venue: SimVenue, clock: SimClock): PaperVenueRecord {
  return { ...venue.toJSON(), clockNow: clock.now() };
}

/**
 * The key-value view the bot writes through: every `set` first saves the venue state (see
 * the header), then writes the bot's value.
 */
export function guardedKv(kv: StringKeyValue, saver: VenueStateSaver): StringKeyValue {
  return {
    get: (key) => kv.get(key),
    delete: (key) => kv.delete(key),
    set: async (key, value) => {
      await saver.save();
      return kv.set(key, value);
    },
  };
}
