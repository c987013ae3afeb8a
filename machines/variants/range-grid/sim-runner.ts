/**
 * TEST-ONLY runner: the range-grid root (with its level children) on the simulated venue and
 * a simulated clock, wired with the real effect implementations (src/runtime/effects.ts) and
 * an in-memory snapshot store — what the runtime will do for `strategy.kind: range-grid`,
 * minus the Keyv persister, envelope and CLI. Not used in production code.
 *
 * `quote(bid, ask)` shows the machine a book without moving the simulator (a price move the
 * venue does not trade through, VAR-03 / VAR-06); `setBook` moves the simulator (trade-through
 * fills included). `restart()` kills the actor (no final write) and restores it from the last
 * saved snapshot, like a crash and restart.
 */
import { createActor } from 'xstate';
import { SimVenue, simMarket, type SimMarketOverrides } from '../../../adapters/sim/index.ts';
import type { VenueOrder, VenueStreamEvent } from '../../../adapters/types.ts';
import { decodeClientIndex } from '../../../src/domain/client-index.ts';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { SimClock } from '../../../src/runtime/clock.ts';
import { IdleTracker, makeEffects, ReconcileGate } from '../../../src/runtime/effects.ts';
import { marketParamsOf } from '../../../src/runtime/bot.ts';
import type { JournalEntry } from '../../shared/types.ts';
import { rangeGridMachine } from './machine.ts';
import type { RangeGridContext, RangeGridParams } from './types.ts';
import { buildRangeGridMachine } from './variant.ts';

export interface RunnerRecord extends JournalEntry {
  time: number;
}

export function rangeParams(over: Partial<RangeGridParams> = {}): RangeGridParams {
  return {
    lowerPrice: '90',
    upperPrice: '110',
    gridCount: 10,
    spacing: 'arithmetic',
    orderSize: '0.5',
    direction: 'long',
    onExitRange: 'hold',
    maxRestingOrders: 3,
    maxMarginUsd: '100000',
    stopLossEnabled: false,
    stopLossPct: '5',
    slippagePct: '2',
    reconcileEveryMs: 5 * 60_000,
    ...over,
  };
}

export interface RunnerOptions {
  params?: Partial<RangeGridParams>;
  market?: SimMarketOverrides;
  slot?: number;
  leverage?: number;
  /** Forward the simulator's market.bbo to the machine (default true). */
  venueBbo?: boolean;
}

type Machine = typeof rangeGridMachine;

export class RangeGridRunner {
  readonly clock = new SimClock(0);
  readonly venue: SimVenue;
  readonly journal: RunnerRecord[] = [];
  readonly market = 'TEST';
  actor!: ReturnType<typeof createActor<Machine>>;
  /** The last saved snapshot (JSON), as a store would hold it. */
  saved: string | null = null;
  venueBbo: boolean;
  private idle = new IdleTracker();
  private gate = new ReconcileGate();
  private alive = false;
  private unsubscribe: (() => void) | undefined;
  private dirty = false;

  constructor(readonly opts: RunnerOptions = {}) {
    this.venue = new SimVenue({ clock: this.clock, markets: [simMarket('TEST', opts.market ?? {})] });
    this.venueBbo = opts.venueBbo ?? true;
  }

  get control() {
    return this.venue.control;
  }

  private machine(): Machine {
    const effects = makeEffects({
      venue: this.venue,
      clock: this.clock,
      gate: this.gate,
      idle: this.idle,
      flush: async () => this.save(),
      alive: () => this.alive,
    });
    const journal = (_: unknown, params: JournalEntry) => {
      if (this.alive) this.journal.push({ time: this.clock.now(), ...params });
    };
    return buildRangeGridMachine({ effects, journal, reconciled: () => this.gate.open() }) as unknown as Machine;
  }

  private save(): void {
    if (this.alive) this.saved = JSON.stringify(this.actor.getPersistedSnapshot());
  }

  async start(): Promise<void> {
    const info = await this.venue.marketInfo(this.market);
    const restored = this.saved !== null;
    this.gate = new ReconcileGate();
    this.idle = new IdleTracker();
    const machine = this.machine();
    this.actor = restored
      ? createActor(machine, { clock: this.clock, snapshot: JSON.parse(this.saved!) } as never)
      : createActor(machine, { clock: this.clock, input: { params: rangeParams(this.opts.params), market: marketParamsOf(info), slot: this.opts.slot ?? 1, leverage: this.opts.leverage ?? 10, now: this.clock.now() } });
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
      if (!this.alive) return;
      if (ev.type === 'market.bbo' && !this.venueBbo) return;
      this.actor.send({ ...ev, at: this.clock.now() } as never);
    });
    this.actor.send(restored ? { type: 'bot.restored', at: this.clock.now() } : { type: 'bot.start', at: this.clock.now() });
    await this.settle();
  }

  /** A crash: nothing more is written or sent; then a fresh actor from the saved snapshot. */
  async restart(): Promise<void> {
    this.kill();
    await this.settle();
    await this.start();
  }

  kill(): void {
    this.save();
    this.alive = false;
    this.unsubscribe?.();
    this.actor.stop();
  }

  /** The machine sees this book; the simulator's book does not move. */
  async quote(bid: string, ask: string): Promise<void> {
    this.actor.send({ type: 'market.bbo', bbo: { market: this.market, bid, ask, time: this.clock.now() }, at: this.clock.now() });
    await this.settle();
  }

  /** Moves the simulator's book (our crossed orders fill) and shows it to the machine. */
  async setBook(bid: string, ask: string): Promise<void> {
    this.control.setBook(this.market, bid, ask);
    await this.settle();
    if (!this.venueBbo) await this.quote(bid, ask);
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

  ctx(): RangeGridContext {
    return this.actor.getSnapshot().context;
  }

  riskState(): string {
    const v = this.actor.getSnapshot().value as Record<string, unknown>;
    const r = v.risk;
    return typeof r === 'string' ? r : Object.keys(r as object)[0];
  }

  /** State of each live level child, by level index. */
  levelStates(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [id, child] of Object.entries(this.actor.getSnapshot().children as Record<string, { getSnapshot(): { value: unknown } }>)) {
      if (!id.startsWith('level:') || !child) continue;
      const v = child.getSnapshot().value;
      out[id.slice(6)] = typeof v === 'string' ? v : Object.keys(v as object)[0];
    }
    return out;
  }

  liveOrders(): VenueOrder[] {
    return this.control.liveOrders(this.market);
  }

  /** Live orders of this bot by role kind (prices and sizes in canonical form: '98', not '98.00'). */
  live(kind: 'entry' | 'exit'): VenueOrder[] {
    return this.liveOrders()
      .filter((o) => {
        const d = decodeClientIndex(o.clientIndex);
        return d !== null && (kind === 'entry' ? d.role.kind === 'entry' : d.role.kind !== 'entry');
      })
      .map((o) => ({ ...o, price: fmt(new Dec(o.price)), size: fmt(new Dec(o.size)), filledSize: fmt(new Dec(o.filledSize)) }));
  }

  entryAt(price: string): VenueOrder {
    const o = this.live('entry').find((x) => x.price === price);
    if (!o) throw new Error(`no live entry at ${price}; entries: ${this.prices('entry').join(', ')}`);
    return o;
  }

  prices(kind: 'entry' | 'exit'): string[] {
    return this.live(kind)
      .map((o) => o.price)
      .sort((a, b) => new Dec(b).comparedTo(a));
  }

  events(type: string): RunnerRecord[] {
    return this.journal.filter((j) => j.type === type);
  }

  placed() {
    return this.control
      .sentLog()
      .filter((s) => s.method === 'placeOrder')
      .map((s) => ({ at: s.time, req: s.request as { clientIndex: number; side: string; price: string; size: string; reduceOnly: boolean; timeInForce: string; type: string }, fault: s.fault }));
  }
}

export async function startRunner(opts: RunnerOptions = {}, before?: (r: RangeGridRunner) => void): Promise<RangeGridRunner> {
  const r = new RangeGridRunner(opts);
  before?.(r);
  await r.start();
  return r;
}
