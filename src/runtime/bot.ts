/**
 * createBot(): wires a strategy variant's pure machines (machines/variants/contract.ts; the
 * dynamic grid by default) to a venue, a clock, a store and a journal.
 *
 * Start-up and crash recovery are one path: load the envelope (refused ones stop the start),
 * restore or create the root actor, subscribe to the venue, then `bot.start` / `bot.restored`
 * makes the machine reconcile before any new entry.
 *
 * Invariants:
 * - One coalescing writer per bot key; snapshots caused only by market data are not
 *   written (the book is re-streamed after a restart); `flush()` (write-ahead) captures the
 *   live snapshot itself.
 * - `kill()` drops everything without shutdown code (no final write), as a crash would.
 * - The journal sink gets every machine journal entry with time and market.
 */
import { createActor, type Actor, type AnyStateMachine, type InspectionEvent, type Observer } from 'xstate';
import type { Venue, VenueStreamEvent } from '../../adapters/types.ts';
import type { GridContext } from '../../machines/grid/types.ts';
import { dynamicGridVariant } from '../../machines/grid/variant.ts';
import type { JournalEntry, MarketParams } from '../../machines/shared/types.ts';
import type { StrategyVariant } from '../../machines/variants/contract.ts';
import { botKey, makeEnvelope, SnapshotRefusedError, type BotIdentity } from '../persistence/envelope.ts';
import { snapshotProblems } from '../persistence/snapshot-shape.ts';
import { Persister } from '../persistence/persister.ts';
import { SnapshotStore, type StringKeyValue } from '../persistence/snapshot-store.ts';
import type { Clock } from './clock.ts';
import type { Supervisor } from './supervisor.ts';
import { IdleTracker, makeEffects, ReconcileGate } from './effects.ts';
import type { BotStatus } from './status.ts';

export interface JournalRecord extends JournalEntry {
  time: number;
  market: string;
}

export interface BotOptions {
  /** The strategy variant to run (default: the dynamic grid). */
  variant?: StrategyVariant<any>;
  /** The variant's machine parameters (GridParams for the dynamic grid). */
  params: unknown;
  market: string;
  slot: number;
  targetLeverage: number;
  venue: Venue;
  clock: Clock;
  kv: StringKeyValue;
  identity: BotIdentity;
  journal: (rec: JournalRecord) => void;
  /** First position number of a fresh store (tests, migrations); default 1. */
  initialN?: number;
  /** Ignore the stored snapshot and adopt what the venue shows. */
  rebuildFromVenue?: boolean;
  inspect?: (ev: InspectionEvent) => void;
  onRequest?: (kind: 'place' | 'cancel' | 'query' | 'reconcile', detail: Record<string, unknown>) => void;
  /** Persistence write latency observer (ms). */
  onWrite?: (ms: number) => void;
  /** Restarts the root actor from the store after an unexpected error (supervisor.ts); without it a crash stops the bot. */
  supervisor?: Supervisor;
}

export function marketParamsOf(info: Awaited<ReturnType<Venue['marketInfo']>>): MarketParams {
  return {
    symbol: info.symbol,
    tick: info.tickSize,
    step: info.sizeStep,
    minBase: info.minBaseSize,
    minQuote: info.minQuoteNotional,
    maxLeverage: info.maxLeverage,
    maxLifetimeMs: info.maxOrderLifetimeMs,
  };
}

export class Bot {
  /** Replaced on a supervised restart: the new actor reconciles before any request. */
  gate = new ReconcileGate();
  /** Incremented on each supervised restart; effects of an older actor send nothing. */
  private generation = 0;
  readonly idle = new IdleTracker();
  readonly store: SnapshotStore;
  readonly key: string;
  readonly variant: StrategyVariant<any>;
  private actor: Actor<AnyStateMachine> | undefined;
  private persister: Persister | undefined;
  private unsubscribe: (() => void) | undefined;
  private alive = true;
  private marketOnly = false;
  private captureScheduled = false;
  restored = false;
  crashed: Error | undefined;

  constructor(private readonly opts: BotOptions) {
    this.store = new SnapshotStore(opts.kv);
    this.key = botKey(opts.identity);
    this.variant = opts.variant ?? dynamicGridVariant;
  }

  get running(): boolean {
    return this.actor !== undefined && this.alive;
  }

  /** Collects the journal entries of one synchronous send (see resume()). */
  private tap: JournalEntry[] | undefined;

  private record(entry: JournalEntry): void {
    this.tap?.push(entry);
    this.opts.journal({ time: this.opts.clock.now(), market: this.opts.market, ...entry });
  }

  async start(restart = false): Promise<void> {
    const gen = this.generation;
    const { venue, clock, market } = this.opts;
    const info = await venue.marketInfo(market);
    const marketParams = marketParamsOf(info);
    const leverage = Math.min(this.opts.targetLeverage, info.maxLeverage);
    if (leverage !== this.opts.targetLeverage) {
      this.record({
        type: 'risk.leverage-clamped',
        level: 'warning',
        message: `target_leverage ${this.opts.targetLeverage} exceeds the market maximum; applied ${leverage}`,
        payload: { requested: this.opts.targetLeverage, applied: leverage },
      });
    }
    const applied = leverage; // set on the venue by the machine (lifecycle `leverage`), retried with back-off
    for (const note of this.variant.startNotes?.(this.opts.params, venue) ?? []) this.record(note);
    const expected = { machineVersion: this.variant.machineVersion, bot: this.opts.identity };
    const rebuild = this.opts.rebuildFromVenue === true && !restart;
    const envelope = rebuild ? null : await this.store.load(this.key, expected);
    const problems = envelope ? snapshotProblems(envelope.snapshot) : [];
    if (problems.length > 0) throw new SnapshotRefusedError('corrupted', `corrupted snapshot: ${problems.join('; ')}`, this.key);
    if (rebuild) {
      this.record({ type: 'restart.rebuild-from-venue', level: 'warning', message: 'ignoring the stored snapshot: rebuilding from the venue', payload: {} });
    }

    const effects = makeEffects({
      venue,
      clock,
      gate: this.gate,
      idle: this.idle,
      flush: () => this.flush(),
      alive: () => this.alive && gen === this.generation,
      onRequest: this.opts.onRequest,
    });
    const journal = (_: unknown, params: JournalEntry) => {
      if (this.alive) this.record(params);
    };
    const machine = this.variant.build({ effects, journal, reconciled: () => this.gate.open() });

    const common = { clock, ...(this.opts.inspect ? { inspect: this.opts.inspect } : {}) };
    const actor = envelope
      ? createActor(machine, { ...common, snapshot: envelope.snapshot } as never)
      : createActor(machine, { ...common, input: { params: this.opts.params, market: marketParams, slot: this.opts.slot, leverage: applied, now: clock.now(), ...(this.opts.initialN ? { nextN: this.opts.initialN } : {}) } });
    this.actor = actor;
    this.restored = envelope !== null;

    this.persister = new Persister({
      keyv: this.opts.kv,
      key: this.key,
      makeEnvelope: (snapshot) => makeEnvelope({ machineVersion: this.variant.machineVersion, bot: this.opts.identity, savedAt: clock.now(), snapshot }),
      onError: (err, info) =>
        this.record({ type: 'store.write-failed', level: info.final ? 'error' : 'warning', message: `snapshot write failed (attempt ${info.attempt}): ${err.message}` }),
      ...(this.opts.onWrite ? { onWrite: this.opts.onWrite } : {}),
    });
    this.persister.setSource(() => actor.getPersistedSnapshot());

    const observer: Observer<unknown> = {
      next: () => {
        if (!this.marketOnly) this.markDirty();
      },
      error: (err) => {
        if (gen !== this.generation || !this.alive) return;
        if (this.opts.supervisor) return this.onSupervisedCrash(err);
        this.crashed = err as Error;
        this.record({ type: 'bot.crashed', level: 'error', message: `root actor stopped on an error: ${err instanceof Error ? err.message : String(err)}` });
      },
    };
    actor.subscribe(observer);
    actor.start();
    this.unsubscribe = venue.subscribe(market, (ev) => this.onVenueEvent(ev));
    if (envelope) {
      actor.send({ type: 'bot.restored', at: clock.now(), params: this.opts.params, market: marketParams, leverage: applied });
    } else {
      actor.send({ type: 'bot.start', at: clock.now() });
    }
    // A fresh start persists its (empty) state at once, so the counter exists on disk.
    this.markDirty();
  }

  private onVenueEvent(ev: VenueStreamEvent): void {
    if (!this.alive || !this.actor) return;
    const at = this.opts.clock.now();
    if (ev.type === 'market.bbo') {
      this.marketOnly = true;
      try {
        // A literal of the declared shape (cheaper than a spread on the hot path).
        this.actor.send({ type: 'market.bbo', bbo: ev.bbo, at });
      } finally {
        this.marketOnly = false;
      }
      return;
    }
    this.actor.send({ ...ev, at } as never);
  }

  /**
   * Schedules a snapshot capture after the current I/O turn (setImmediate, not a microtask), so
   * that serializing the actor tree never delays a request already on its way to the venue
   * (the fill → exit path). The write-ahead `flush()` captures the live snapshot itself.
   */
  private markDirty(): void {
    if (this.captureScheduled || !this.alive) return;
    this.captureScheduled = true;
    setImmediate(() => {
      this.captureScheduled = false;
      if (!this.alive || !this.actor || !this.persister) return;
      if (this.actor.getSnapshot().status !== 'active') return; // a failed actor is never persisted
      this.persister.schedule(this.actor.getPersistedSnapshot());
    });
  }

  /** Resolves when the live state is durable. */
  async flush(): Promise<void> {
    if (!this.persister) return;
    await this.idle.track(this.persister.flush());
  }

  /** The root context (typed for the dynamic grid; other variants cast to their own). */
  context(): GridContext {
    if (!this.actor) throw new Error('bot not started');
    return this.actor.getSnapshot().context as GridContext;
  }

  snapshot() {
    if (!this.actor) throw new Error('bot not started');
    return this.actor.getSnapshot();
  }

  /** The persisted form of the live state (what the store receives). */
  persistedSnapshot(): unknown {
    if (!this.actor) throw new Error('bot not started');
    return this.actor.getPersistedSnapshot();
  }

  status(): BotStatus {
    if (!this.actor) throw new Error('bot not started');
    return this.variant.status(this.actor.getSnapshot());
  }

  /**
   * Operator resume: lifts the stop-price latch unless the stop condition still holds (then
   * the refusal, naming mid and the stop price, is returned and journaled).
   */
  resume(): { ok: boolean; message: string } {
    if (!this.actor) throw new Error('bot not started');
    const ctx = this.actor.getSnapshot().context as { risk?: { phase?: string }; operatorPaused?: boolean };
    const refusal = this.variant.resumeRefusal(ctx);
    const said: JournalEntry[] = (this.tap = []);
    try {
      this.actor.send({ type: 'operator.resume', at: this.opts.clock.now() });
    } finally {
      this.tap = undefined;
    }
    if (refusal) return { ok: false, message: refusal };
    if (ctx.risk?.phase === 'halted') return { ok: true, message: 'resumed: halted lifted' };
    if (ctx.operatorPaused) return { ok: true, message: 'resumed: pause lifted' };
    // Neither: what the machine journaled for it, if anything (a range grid's parked legs get fresh exits).
    const resumed = said.find((e) => e.type === 'operator.resumed');
    return { ok: true, message: resumed ? resumed.message : 'nothing to resume' };
  }

  /** Sends an event to the root (operator commands, tests). */
  send(ev: Parameters<NonNullable<typeof this.actor>['send']>[0]): void {
    this.actor?.send(ev);
  }

  /**
   * Graceful stop: stop taking events and sending requests, write the final live state,
   * release the venue stream, then stop the actors (a stopped actor's snapshot is never written).
   */
  async stop(): Promise<void> {
    if (!this.actor || !this.alive) return;
    this.unsubscribe?.();
    this.alive = false;
    await this.persister?.close();
    this.actor.stop();
  }

  /** A crash: no shutdown code, nothing more is written or sent. */
  kill(): void {
    this.alive = false;
    this.unsubscribe?.();
    this.actor?.stop();
  }

  /** The root actor failed: stop listening and writing, then let the supervisor decide. */
  private onSupervisedCrash(err: unknown): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.persister?.setSource(undefined);
    this.opts.supervisor!.onCrash(err, this, (e) => this.record(e));
  }

  /**
   * Supervised restart: drop the failed actor (no final write; its effects send nothing
   * more), let writes already in flight land, then start again from the stored snapshot —
   * the restore + reconcile path of a process restart.
   */
  restartFromStore(): Promise<void> {
    return this.idle.track(
      (async () => {
        const old = this.persister;
        this.generation++;
        this.actor?.stop();
        this.unsubscribe?.();
        this.unsubscribe = undefined;
        await old?.flush().catch(() => undefined);
        this.gate = new ReconcileGate();
        this.restarts++;
        await this.start(true);
      })(),
    );
  }

  /** The supervisor gave up: the run stops as after an unsupervised crash. */
  giveUp(err: Error): void {
    this.crashed = err;
  }

  /** Supervised restarts done so far. */
  restarts = 0;

  persisterStats() {
    return this.persister?.stats();
  }
}

export async function createBot(opts: BotOptions): Promise<Bot> {
  const bot = new Bot(opts);
  await bot.start();
  return bot;
}
