/**
 * The supervisor: the restart budget alone, then the real bot (machines + runtime) on the
 * simulated venue whose stream delivers a malformed event — a thrown action inside the root
 * actor, as a buggy adapter would cause — restarting from its stored snapshot, reconciling
 * and trading on; and the budget running out (the bot is marked crashed, the run stops with
 * reason 'crashed', which the CLI turns into exit code 1).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Venue, VenueStreamEvent } from '../../adapters/types.ts';
import type { JournalEntry } from '../../machines/shared/types.ts';
import { Harness } from '../../test/harness.ts';
import { SimClock } from './clock.ts';
import { runPaper } from './paper.ts';
import { RestartBudget, Supervisor, type SupervisedBot } from './supervisor.ts';

const M = 'TEST';

/** A venue whose stream the test can poison: `poison()` delivers an event the machines cannot read. */
class PoisonableVenue {
  private listeners: Array<(ev: VenueStreamEvent) => void> = [];
  subscriptions = 0;
  constructor(private readonly inner: Venue) {}
  wrap(): Venue {
    return new Proxy(this.inner, {
      get: (target, prop, receiver) => {
        if (prop === 'subscribe') {
          return (market: string, onEvent: (ev: VenueStreamEvent) => void) => {
            this.subscriptions++;
            this.listeners.push(onEvent);
            const off = target.subscribe(market, onEvent);
            return () => {
              this.listeners = this.listeners.filter((l) => l !== onEvent);
              off();
            };
          };
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
  /** A BBO event without its `bbo`: reading it throws inside a root action/guard. Returns the listeners reached. */
  poison(): number {
    const bad = { type: 'market.bbo', market: M } as unknown as VenueStreamEvent;
    const reached = [...this.listeners];
    for (const l of reached) l(bad);
    return reached.length;
  }
}

describe('RestartBudget', () => {
  it('allows 3 restarts within 10 minutes with back-off 1 s, 2 s, 4 s, then gives up; the window slides', () => {
    const b = new RestartBudget();
    expect(b.onCrash(0)).toEqual({ restart: true, attempt: 1, delayMs: 1_000 });
    expect(b.onCrash(60_000)).toEqual({ restart: true, attempt: 2, delayMs: 2_000 });
    expect(b.onCrash(120_000)).toEqual({ restart: true, attempt: 3, delayMs: 4_000 });
    expect(b.onCrash(180_000)).toEqual({ restart: false, crashes: 4 });
    // 10 minutes after the first restart it no longer counts.
    expect(b.onCrash(600_001)).toEqual({ restart: true, attempt: 3, delayMs: 4_000 });
    expect(() => new RestartBudget({ maxRestarts: -1, windowMs: 1, baseDelayMs: 1, maxDelayMs: 1 })).toThrow(/maxRestarts -1/);
  });

  it('journals crash messages without key material and gives up when a restart fails', async () => {
    const clock = new SimClock(0);
    const key = '0x' + 'ab12'.repeat(20);
    const records: JournalEntry[] = [];
    let gaveUp: Error | undefined;
    const bot: SupervisedBot = {
      running: true,
      restartFromStore: () => Promise.reject(new Error(`store unreadable near ${key.slice(2)}`)),
      giveUp: (e) => (gaveUp = e),
    };
    const s = new Supervisor({ clock, secrets: [key] });
    s.onCrash(new TypeError(`bad value ${key}`), bot, (e) => records.push(e));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ type: 'bot.crashed', level: 'error', payload: { restart: true, attempt: 1, delayMs: 1_000 } });
    expect(records[0]!.message).toContain('TypeError: bad value [redacted]');
    clock.advanceBy(999);
    await new Promise((r) => setImmediate(r));
    expect(gaveUp).toBeUndefined();
    clock.advanceBy(1);
    await new Promise((r) => setImmediate(r));
    expect(records.map((r) => r.type)).toEqual(['bot.crashed', 'bot.restart-failed']);
    expect(gaveUp?.message).toMatch(/restart 1 failed: store unreadable near \[redacted\]; giving up; the process exits with code 1/);
    for (const r of records) expect(JSON.stringify(r).toLowerCase()).not.toContain('ab12ab12ab12');
  });
});

describe('supervised bot (real actors on the simulated venue)', () => {
  async function supervisedHarness() {
    const h = new Harness({ params: { gridStepPct: '0.05' } });
    const poisonable = new PoisonableVenue(h.venue);
    const supervisor = new Supervisor({ clock: h.clock });
    const makeBot = h.makeBot.bind(h);
    h.makeBot = (over = {}) => {
      const bot = makeBot({ ...over, wrapVenue: () => poisonable.wrap() });
      // The harness builds BotOptions itself; the supervisor is added the way paper.ts / live.ts pass it.
      (bot as unknown as { opts: { supervisor: Supervisor } }).opts.supervisor = supervisor;
      return bot;
    };
    await h.start();
    return { h, poisonable, supervisor };
  }

  it('a thrown action in the root actor is journaled; the actor restarts from the stored snapshot, reconciles (adopting a fill made while it was down) and keeps trading', async () => {
    const { h, poisonable } = await supervisedHarness();
    await h.advance(1_000);
    const entry = h.placed().find((p) => p.role.kind === 'entry' && p.n === 1)!;
    expect(entry).toBeDefined();
    h.control.counterpartyFill(M, entry.clientIndex);
    await h.advance(2_000);
    expect(h.status().positions.map((p) => p.n)).toEqual([1]);
    const exit = h.placed().find((p) => p.n === 1 && p.role.kind !== 'entry')!;
    expect(exit).toBeDefined();
    await h.quiesce();
    const placedBefore = h.placed().length;

    expect(poisonable.poison()).toBe(1);
    expect(h.bot.snapshot().status).toBe('error');
    const crash = h.events('bot.crashed');
    expect(crash).toHaveLength(1);
    expect(crash[0]!.message).toMatch(/^root actor stopped on an error: .*Cannot read properties of undefined.*; restarting from the last persisted snapshot in 1000 ms \(restart 1 of 3 within 10 min\)$/);
    expect(crash[0]!.message).not.toContain('\n');
    expect(h.bot.crashed).toBeUndefined();

    // While it is down the exit fills on the venue; nothing is sent during the back-off.
    h.control.counterpartyFill(M, exit.clientIndex);
    await h.advance(999);
    expect(h.placed().length).toBe(placedBefore);
    expect(h.events('bot.restarted')).toHaveLength(0);
    await h.advance(1);
    await h.advance(1_000);
    expect(h.events('bot.restarted')).toHaveLength(1);
    expect(h.bot.restored).toBe(true);
    expect(h.bot.restarts).toBe(1);
    expect(h.bot.snapshot().status).toBe('active');
    expect(poisonable.subscriptions).toBe(2);
    // Reconciled after the restart: the exit's fill is adopted, position 1 is closed, never re-exited.
    expect(h.events('venue.reconciled')).toHaveLength(2);
    expect(h.status().positions.map((p) => p.n)).not.toContain(1);
    expect(h.placed().filter((p) => p.n === 1)).toHaveLength(2);
    // Keeps trading: a new entry with the next position number.
    await h.advance(60_000);
    const next = h.placed().filter((p) => p.role.kind === 'entry' && p.n >= 2);
    expect(next.length).toBeGreaterThan(0);
    expect(next[0]!.n).toBe(2);
    h.bot.kill();
  });

  it('the fourth crash within 10 minutes spends the budget: journaled once, the bot is marked crashed and sends nothing more', async () => {
    const { h, poisonable } = await supervisedHarness();
    await h.advance(1_000);
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      poisonable.poison();
      const last = h.events('bot.crashed').at(-1)!;
      delays.push(Number((last.payload as { delayMs: number }).delayMs));
      await h.advance(10_000);
      expect(h.bot.snapshot().status).toBe('active');
    }
    expect(delays).toEqual([1_000, 2_000, 4_000]);
    expect(h.events('bot.restarted')).toHaveLength(3);
    poisonable.poison();
    expect(h.bot.crashed?.message).toMatch(/restart budget spent \(4 crashes, at most 3 restarts within 10 min\): giving up; the process exits with code 1/);
    expect(h.events('bot.crashed')).toHaveLength(4);
    const sent = h.control.sentLog().length;
    await h.advance(60_000);
    expect(h.events('bot.restarted')).toHaveLength(3);
    expect(h.control.sentLog().length).toBe(sent);
    h.bot.kill();
  });

  it('grid-bot paper: one crash is survived (the run ends at its duration); a crash loop ends the run as crashed, with the reason on stderr', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'supervisor-'));
    const lines: string[] = [];
    const errors: string[] = [];
    const output = { line: (t: string) => lines.push(t), status: () => undefined, error: (t: string) => errors.push(t) };
    let poisonable: PoisonableVenue | undefined;
    let crashes = 0;
    const onJournal = (l: { type: string }) => {
      if (l.type === 'entry.placed' && crashes === 0 && poisonable) {
        crashes++;
        setImmediate(() => poisonable!.poison());
      }
    };
    const common = { preset: 'paper', market: 'BTC', speed: 'max' as const, controlPort: false as const, events: join(dir, 'e.jsonl'), store: join(dir, 'p.sqlite'), output };
    const once = await runPaper({
      ...common,
      durationMs: 10 * 60_000,
      onJournal,
      wrapVenue: (v) => (poisonable = new PoisonableVenue(v)).wrap(),
    });
    expect(once.reason).toBe('until');
    expect(once.tally.count('bot.crashed')).toBe(1);
    expect(once.tally.count('bot.restarted')).toBe(1);

    // A poison on every (re)subscription: 4 crashes within minutes.
    const loop = await runPaper({
      ...common,
      durationMs: 60 * 60_000,
      wrapVenue: (v) => {
        const p = new PoisonableVenue(v);
        const venue = p.wrap();
        return new Proxy(venue, {
          get: (t, prop, r) =>
            prop === 'subscribe'
              ? (m: string, cb: (ev: VenueStreamEvent) => void) => {
                  const off = t.subscribe(m, cb);
                  setImmediate(() => p.poison());
                  return off;
                }
              : Reflect.get(t, prop, r),
        });
      },
    });
    expect(loop.reason).toBe('crashed');
    expect(loop.endedAt - loop.startedAt).toBeLessThan(60_000);
    expect(errors.join('\n')).toMatch(/restart budget spent \(4 crashes/);
    expect(lines.join('\n')).toContain('the bot crashed');
  }, 60_000);
});
