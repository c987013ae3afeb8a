/**
 * runSimulated(): drives a `SimClock` for paper runs and replays.
 *
 * - `speed: 'max'`: as fast as possible. Before every timer step the system is settled:
 *   venue stream events delivered (`drain`), a macrotask turn for promise chains, and every
 *   tracked effect finished (`idle.whenIdle()`). So simulated time only jumps when nothing
 *   is pending: no effect in flight, no undelivered stream event.
 * - `speed: N`: simulated time advances N× wall time. The driver sleeps real time until the
 *   next timer is due at that pace (in short slices, so `shouldStop` is seen promptly), moving
 *   the clock along with the wall so `clock.now()` stays current; it also settles before every
 *   step. When the work falls behind the pace, timers fire back to back.
 *
 * Stops when `shouldStop()` turns true (checked between steps and during sleeps), when
 * simulated time reaches `until` (the clock is left exactly at `until`, every timer due at or
 * before it fired), or — at speed max without `until` — when no timer is left.
 */
import type { SimClock } from './clock.ts';

export interface IdleSource {
  readonly busy: boolean;
  whenIdle(): Promise<void>;
}

export interface RunSimulatedOptions {
  clock: SimClock;
  idle: IdleSource;
  /** Delivers queued stream events (and anything else the caller must finish before time moves). */
  drain: () => Promise<void>;
  speed: number | 'max';
  /** Simulated epoch ms to stop at. */
  until?: number;
  shouldStop: () => boolean;
  /** Wall clock and sleep, injectable for tests. */
  wallNow?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Longest real sleep before `shouldStop` is checked again (ms, default 50). */
  sliceMs?: number;
}

export type StopReason = 'until' | 'stopped' | 'no-timers';

export interface RunSimulatedResult {
  reason: StopReason;
  /** Timers fired. */
  steps: number;
  startedAt: number;
  endedAt: number;
}

const MAX_SETTLE_ROUNDS = 10_000;

const macrotask = () => new Promise<void>((r) => setImmediate(r));
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Lets every pending effect and stream event run at the current simulated time. */
export async function settle(idle: IdleSource, drain: () => Promise<void>): Promise<void> {
  for (let i = 0; i < MAX_SETTLE_ROUNDS; i++) {
    await drain();
    await macrotask();
    // An effect that was pending may have produced stream events: drain once more after it.
    const wasBusy = idle.busy;
    await idle.whenIdle();
    await macrotask();
    if (!wasBusy && !idle.busy) return;
  }
  throw new Error(`runSimulated: the system did not become idle after ${MAX_SETTLE_ROUNDS} rounds`);
}

export function validateSpeed(speed: number | 'max'): void {
  if (speed === 'max') return;
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0) {
    throw new RangeError(`speed must be a positive number or 'max', got ${String(speed)}`);
  }
}

export async function runSimulated(opts: RunSimulatedOptions): Promise<RunSimulatedResult> {
  const { clock, idle, drain, speed, until, shouldStop } = opts;
  validateSpeed(speed);
  if (until !== undefined && !Number.isFinite(until)) throw new RangeError(`until must be a finite epoch ms, got ${until}`);
  const wallNow = opts.wallNow ?? (() => performance.now());
  const sleep = opts.sleep ?? realSleep;
  const slice = opts.sliceMs ?? 50;
  const startedAt = clock.now();
  const wallStart = wallNow();
  let steps = 0;
  const done = (reason: StopReason): RunSimulatedResult => ({ reason, steps, startedAt, endedAt: clock.now() });
  const paced = () => Math.floor(startedAt + (wallNow() - wallStart) * (speed as number));

  for (;;) {
    if (shouldStop()) return done('stopped');
    await settle(idle, drain);
    if (shouldStop()) return done('stopped');
    const due = clock.nextDue();
    const limit = until ?? Infinity;
    const target = due !== undefined && due <= limit ? due : limit;
    if (target === Infinity && speed === 'max') return done('no-timers');

    if (speed !== 'max') {
      const now = paced();
      if (now < target) {
        await sleep(Math.max(1, Math.min(slice, (target - now) / speed)));
        const later = Math.min(paced(), target - 1);
        const next = clock.nextDue();
        // Follow the wall, but never past a timer that appeared meanwhile (it is stepped
        // after a settle, on the next round).
        if (later > clock.now() && (next === undefined || next > later)) clock.advanceTo(later);
        continue;
      }
    }

    if (target === due) {
      clock.step();
      steps++;
    } else {
      clock.advanceTo(limit);
      await settle(idle, drain);
      return done('until');
    }
  }
}
