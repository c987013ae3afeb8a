/**
 * In-process test harness: the real bot (machines + runtime) on the simulated venue and a
 * simulated clock, with the store in memory (or any Keyv given). `settle()` lets every
 * pending effect, stream event and timer due *now* run; `advance(ms)` moves simulated time,
 * settling at every timer on the way — so reaction windows are exact in simulated time.
 */
import Keyv from 'keyv';
import { SimVenue, simMarket, type SimMarketOverrides } from '../adapters/sim/index.ts';
import type { Venue } from '../adapters/types.ts';
import type { GridContext } from '../machines/grid/types.ts';
import type { GridParams } from '../machines/shared/types.ts';
import { decodeClientIndex, type Role } from '../src/domain/client-index.ts';
import { Bot, type JournalRecord } from '../src/runtime/bot.ts';
import { SimClock } from '../src/runtime/clock.ts';
import type { BotIdentity } from '../src/persistence/envelope.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';

export const DAY = 24 * 60 * 60 * 1000;

/** The acceptance scenarios' base fixture (long grid). */
export function baseParams(over: Partial<GridParams> = {}): GridParams {
  return {
    direction: 'buy',
    quantity: '1',
    takeProfitPct: '0.8',
    basis: 'margin',
    gridStepPct: '0.2',
    maxOrders: 5,
    waitTimeSec: '10',
    maxMarginUsd: '1000',
    stopLossEnabled: false,
    stopLossPct: '2.0',
    timeoutMs: 60 * 60_000,
    recoveryMode: 'aggressive',
    multiplier: 2,
    boost: false,
    slippagePct: '2.0',
    exitLifetimeMs: 28 * DAY,
    exitRefreshLeadMs: DAY,
    retrySpacingMs: 250,
    reconcileEveryMs: 5 * 60_000,
    ...over,
  };
}

export interface HarnessOptions {
  params?: Partial<GridParams>;
  leverage?: number;
  slot?: number;
  kv?: StringKeyValue;
  clock?: SimClock;
  venue?: SimVenue;
  market?: SimMarketOverrides;
  /** Wraps the venue the bot talks to (tests that alter answers). */
  wrapVenue?: (v: Venue) => Venue;
  /** Do not start the bot (tests that prepare the venue or store first). */
  noStart?: boolean;
  rebuildFromVenue?: boolean;
  initialN?: number;
}

export class Harness {
  readonly clock: SimClock;
  readonly venue: SimVenue;
  readonly kv: StringKeyValue;
  readonly journal: JournalRecord[] = [];
  bot!: Bot;
  readonly market = 'TEST';

  constructor(readonly opts: HarnessOptions = {}) {
    this.clock = opts.clock ?? new SimClock(0);
    this.venue = opts.venue ?? new SimVenue({ clock: this.clock, markets: [simMarket('TEST', opts.market ?? {})] });
    this.kv = opts.kv ?? (new Keyv<string>() as unknown as StringKeyValue);
  }

  get control() {
    return this.venue.control;
  }

  /** The store identity of this harness's bot (its snapshot key is `botKey(identity)`). */
  identity(slot = this.opts.slot ?? 1): BotIdentity {
    return { venue: 'sim', account: 'paper', market: this.market, slot, variant: 'dynamic-grid' };
  }

  makeBot(over: Partial<HarnessOptions> = {}): Bot {
    const o = { ...this.opts, ...over };
    return new Bot({
      params: baseParams(o.params),
      market: this.market,
      slot: o.slot ?? 1,
      targetLeverage: o.leverage ?? 20,
      venue: o.wrapVenue ? o.wrapVenue(this.venue) : this.venue,
      clock: this.clock,
      kv: this.kv,
      identity: this.identity(o.slot),
      journal: (r) => this.journal.push(r),
      ...(o.rebuildFromVenue ? { rebuildFromVenue: true } : {}),
      ...(o.initialN ? { initialN: o.initialN } : {}),
    });
  }

  async start(over: Partial<HarnessOptions> = {}): Promise<Bot> {
    this.bot = this.makeBot(over);
    await this.bot.start();
    await this.settle();
    return this.bot;
  }

  /** Kill (no shutdown code) and start a new bot on the same store and venue. */
  async restart(over: Partial<HarnessOptions> = {}): Promise<Bot> {
    this.bot.kill();
    await this.settle();
    return this.start(over);
  }

  /** Waits (real time) until the bot's persister has no write in flight. */
  async quiesce(): Promise<void> {
    for (let i = 0; i < 400; i++) {
      if (!this.bot?.persisterStats()?.dirty) return;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error('quiesce(): the persister stayed busy for 2 s');
  }

  /**
   * Runs everything pending at the current simulated time. An effect still pending after a
   * short real-time wait is taken to be waiting on the simulated clock (a held or delayed
   * venue answer), so settling does not wait for it.
   */
  async settle(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      await this.control.drain();
      await new Promise((r) => setImmediate(r));
      if (this.bot?.idle.busy) {
        // A real store (SQLite, Redis, Postgres) may take longer than the in-memory one to make
        // a write-ahead durable on a loaded machine: give it more real time before moving on.
        await Promise.race([this.bot.idle.whenIdle(), new Promise((r) => setTimeout(r, this.opts.kv ? 400 : 20))]);
        await this.control.drain();
        await new Promise((r) => setImmediate(r));
      }
      const due = this.clock.nextDue();
      if (due !== undefined && due <= this.clock.now()) {
        this.clock.step();
        continue;
      }
      return;
    }
    throw new Error('settle(): the system did not become idle');
  }

  /** Moves simulated time forward by ms, firing every timer on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    for (;;) {
      await this.settle();
      const due = this.clock.nextDue();
      if (due === undefined || due > target) break;
      this.clock.step();
    }
    this.clock.advanceTo(target);
    await this.settle();
  }

  async advanceTo(t: number): Promise<void> {
    await this.advance(Math.max(0, t - this.clock.now()));
  }

  /** Journal entries of one type. */
  events(type: string): JournalRecord[] {
    return this.journal.filter((j) => j.type === type);
  }

  /** Place requests the account sent, decoded. */
  placed(): Array<{ at: number; clientIndex: number; n: number; role: Role; req: Record<string, unknown> }> {
    return this.control
      .sentLog()
      .filter((s) => s.method === 'placeOrder')
      .map((s) => {
        const idx = (s as { clientIndex?: number }).clientIndex ?? (s.request as { clientIndex: number }).clientIndex;
        const d = decodeClientIndex(idx);
        return { at: s.time, clientIndex: idx, n: d?.n ?? -1, role: d?.role ?? { kind: 'entry', seq: -1 }, req: s.request as Record<string, unknown> };
      });
  }

  liveOrders() {
    return this.control.liveOrders(this.market);
  }

  position() {
    return this.control.positionOf(this.market);
  }

  status() {
    return this.bot.status();
  }
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const h = new Harness(opts);
  if (!opts.noStart) await h.start();
  return h;
}

/**
 * The grid root's context of a real bot on the simulated venue (TEST market), 2 s after
 * start; the harness is pushed to `alive` so that the test's afterEach can kill it.
 */
export async function liveGridContext(params: Partial<GridParams>, alive: Harness[]): Promise<GridContext> {
  const h = await startHarness({ params });
  alive.push(h);
  await h.advance(2000);
  return h.bot.context();
}
