/**
 * TEST-ONLY runner: the trailing-grid root (with its position child) on the in-process
 * simulated venue and a simulated clock, wired with the real effects (src/runtime/effects.ts)
 * and an in-memory snapshot store — what the runtime does for `strategy.kind: trailing-grid`,
 * minus the Keyv persister, envelope and CLI. Not used in production code.
 *
 * `setBook` moves the simulator's book (crossed resting orders fill) and the machine sees it
 * through the venue stream; `restart()` kills the actor (nothing more is written or sent) and
 * restores it from the last saved snapshot, like a crash and a restart; `flushes` records
 * the saved snapshot at every write-ahead flush (to check that an index is durable before
 * the venue sees it).
 */
import { createActor } from 'xstate';
import { SimVenue, simMarket } from '../../../adapters/sim/index.ts';
import type { VenueOrder, VenueStreamEvent } from '../../../adapters/types.ts';
import { decodeClientIndex } from '../../../src/domain/client-index.ts';
import { SimClock } from '../../../src/runtime/clock.ts';
import { IdleTracker, makeEffects, ReconcileGate } from '../../../src/runtime/effects.ts';
import { marketParamsOf } from '../../../src/runtime/bot.ts';
import type { JournalEntry } from '../../shared/types.ts';
import { trailingGridMachine } from './machine.ts';
import type { TrailingGridContext, TrailingGridParams } from './types.ts';
import { buildTrailingGridMachine } from './variant.ts';

export function trailParams(over: Partial<TrailingGridParams> = {}): TrailingGridParams {
  return {
    direction: 'buy',
    orderSize: '1',
    trailPct: '0.1',
    repegPct: '0.05',
    takeProfitPct: '0.2',
    multiplier: 2,
    slippagePct: '2',
    timeoutMs: 60 * 60_000,
    exitLifetimeMs: 28 * 24 * 3_600_000,
    exitRefreshLeadMs: 24 * 3_600_000,
    retrySpacingMs: 250,
    ...over,
  };
}

type Machine = typeof trailingGridMachine;

export class TrailRunner {
  readonly clock = new SimClock(0);
  /** TEST market: tick 0.01, size step 0.001, book 99.98 / 100.02. */
  readonly venue = new SimVenue({ clock: this.clock, markets: [simMarket('TEST')] });
  readonly market = 'TEST';
  readonly journal: Array<JournalEntry & { time: number }> = [];
  /** The snapshot saved at each write-ahead flush. */
  readonly flushes: TrailingGridContext[] = [];
  actor!: ReturnType<typeof createActor<Machine>>;
  saved: string | null = null;
  /** Crash right after the next write-ahead flush (the index is durable, the send never happens). */
  killOnFlush = false;
  private idle = new IdleTracker();
  private gate = new ReconcileGate();
  private alive = false;
  private unsubscribe: (() => void) | undefined;
  private dirty = false;

  constructor(readonly params: TrailingGridParams = trailParams()) {}

  get control() {
    return this.venue.control;
  }

  private save(): void {
    if (this.alive) this.saved = JSON.stringify(this.actor.getPersistedSnapshot());
  }

  async start(): Promise<void> {
    const info = await this.venue.marketInfo(this.market);
    const restored = this.saved !== null;
    this.gate = new ReconcileGate();
    this.idle = new IdleTracker();
    const effects = makeEffects({
      venue: this.venue,
      clock: this.clock,
      gate: this.gate,
      idle: this.idle,
      flush: async () => {
        this.save();
        this.flushes.push((JSON.parse(this.saved!) as { context: TrailingGridContext }).context);
        if (this.killOnFlush) this.alive = false;
      },
      alive: () => this.alive,
    });
    const journal = (_: unknown, entry: JournalEntry) => {
      if (this.alive) this.journal.push({ time: this.clock.now(), ...entry });
    };
    const machine = buildTrailingGridMachine({ effects, journal, reconciled: () => this.gate.open() }) as unknown as Machine;
    this.actor = restored
      ? createActor(machine, { clock: this.clock, snapshot: JSON.parse(this.saved!) } as never)
      : createActor(machine, { clock: this.clock, input: { params: this.params, market: marketParamsOf(info), slot: 1, leverage: 10, now: this.clock.now() } });
    this.alive = true;
    this.actor.subscribe({
      next: () => {
        if (this.dirty) return;
        this.dirty = true;
        setImmediate(() => {
          this.dirty = false;
          this.save();
        });
      },
      error: (err) => this.journal.push({ time: this.clock.now(), type: 'bot.crashed', level: 'error', message: String(err) }),
    });
    this.actor.start();
    this.unsubscribe = this.venue.subscribe(this.market, (ev: VenueStreamEvent) => {
      if (this.alive) this.actor.send({ ...ev, at: this.clock.now() } as never);
    });
    this.actor.send(restored ? { type: 'bot.restored', at: this.clock.now() } : { type: 'bot.start', at: this.clock.now() });
    await this.settle();
  }

  /** A crash: the last saved snapshot stays; nothing more is written or sent. */
  kill(): void {
    this.alive = false;
    this.unsubscribe?.();
    this.actor.stop();
  }

  async restart(): Promise<void> {
    this.kill();
    await this.settle();
    await this.start();
  }

  /** Moves the simulator's book; the machine sees it over the venue stream. */
  async setBook(bid: string, ask: string): Promise<void> {
    this.control.setBook(this.market, bid, ask);
    await this.settle();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 10_000; i++) {
      if (this.alive && this.actor.getSnapshot().status === 'error') throw new Error(`the root actor crashed: ${String(this.actor.getSnapshot().error)}`);
      await this.control.drain();
      await new Promise((r) => setImmediate(r));
      if (this.idle.busy) {
        await Promise.race([this.idle.whenIdle(), new Promise((r) => setTimeout(r, 20))]);
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

  ctx(): TrailingGridContext {
    return this.actor.getSnapshot().context;
  }

  /** The trading sub-state (or the lifecycle state outside trading). */
  state(): string {
    const v = this.actor.getSnapshot().value as string | Record<string, string>;
    return typeof v === 'string' ? v : `trading.${v.trading}`;
  }

  /** Live orders of this bot, entries or exits. */
  live(kind: 'entry' | 'exit'): VenueOrder[] {
    return this.control.liveOrders(this.market).filter((o) => {
      const d = decodeClientIndex(o.clientIndex);
      return d !== null && (kind === 'entry') === (d.role.kind === 'entry');
    });
  }

  events(type: string) {
    return this.journal.filter((j) => j.type === type);
  }
}

export async function startTrailRunner(params: Partial<TrailingGridParams> = {}): Promise<TrailRunner> {
  const r = new TrailRunner(trailParams(params));
  await r.start();
  return r;
}
