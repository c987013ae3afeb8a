/**
 * runSimulated(): drives a `SimClock` for paper runs and replays.
 *
 * - `speed: 'max'`: as fast as possible. Before every jump of time the system is settled:
 *   venue stream events delivered (`drain`), a macrotask turn for promise chains, and every
 *   tracked effect finished (`idle.whenIdle()`). So simulated time only jumps when nothing
 *   is pending: no effect in flight, no undelivered stream event. Timers due at the CURRENT
 *   time fire while effects are pending (time does not move): an effect may wait for one,
 *   e.g. a restored placement waits for the reconcile gate, which opens after the machine's
 *   zero-delay `reconcile.check` timer.
 * - Stall guard: an effect that waits for a FUTURE simulated timer (e.g. simulated response
 *   latency) can never finish at speed max; after `stallMs` of wall time without progress
 *   `settle` throws naming the situation instead of hanging.
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
  /** See `settle` (default DEFAULT_STALL_MS). */
  stallMs?: number;
}

export type StopReason = 'until' | 'stopped' | 'no-timers';

export interface RunSimulatedResult {
  reason: StopReason;
  /** Timers fired. */
  steps: number;
  startedAt: number;
  endedAt: number;
}

/** Wall ms of busy effects with no progress before `settle` gives up (default). */
export const DEFAULT_STALL_MS = 30_000;

const macrotask = () => new Promise<void>((r) => setImmediate(r));
const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface SettleOptions {
  /** Wall ms without progress while effects are pending before throwing (default 30 s). */
  stallMs?: number;
  /** Return early (with effects still pending) once this turns true. */
  shouldStop?: () => boolean;
}

/**
 * Lets every pending effect, stream event and timer due NOW run, without moving time.
 * Returns when no effect is pending and no timer is due at the current time.
 */
export async function settle(clock: SimClock, idle: IdleSource, drain: () => Promise<void>, opts: SettleOptions = {}): Promise<void> {
  const stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
  let progressAt = performance.now();
  for (;;) {
    await drain();
    await macrotask();
    const due = clock.nextDue();
    if (due !== undefined && due <= clock.now()) {
      clock.step();
      progressAt = performance.now();
      continue;
    }
    if (!idle.busy) return;
    if (opts.shouldStop?.()) return;
    // Wait for the effects, but look again soon: one of them may wait for a timer due now
    // that another one has just set. Once they are done, loop to drain what they produced.
    await Promise.race([idle.whenIdle(), realSleep(1)]);
    if (!idle.busy) {
      progressAt = performance.now();
      continue;
    }
    if (performance.now() - progressAt > stallMs) {
      throw new Error(
        `simulated clock stalled: effects have been pending for ${Math.round(performance.now() - progressAt)} ms of wall time at simulated ${new Date(clock.now()).toISOString()} ` +
          `with no timer due; an effect is waiting for something only a later simulated time can bring`,
      );
    }
  }
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
  const settleOpts: SettleOptions = { shouldStop, ...(opts.stallMs !== undefined ? { stallMs: opts.stallMs } : {}) };
  const paced = () => Math.floor(startedAt + (wallNow() - wallStart) * (speed as number));

  for (;;) {
    if (shouldStop()) return done('stopped');
    await settle(clock, idle, drain, settleOpts);
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
      await settle(clock, idle, drain, settleOpts);
      return done('until');
    }
  }
}
