/**
 * The simulator's view of the injected clock: every timer the simulator arms (order
 * expiry, book batches, drivers, idle closes, delayed acks, scheduled cancel-all) goes
 * through it, so `close()` can cancel exactly those timers and nothing else on a clock
 * that may be shared with a bot.
 *
 * Invariants:
 * - `pending()` counts timers armed through this view that have neither fired nor been
 *   cleared; `clearAll()` cancels them on the underlying clock and leaves it at 0.
 * - After `clearAll()` with `closed = true`, new timers are refused silently (a late
 *   callback of a closing socket must not re-arm anything on a shared clock).
 */
import type { Clock, TimerId } from '../runtime/clock.ts';

export class TrackedClock implements Clock {
  private readonly armed = new Set<TimerId>();
  private closed = false;

  constructor(readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    if (this.closed) return -1;
    const id = this.inner.setTimeout(() => {
      this.armed.delete(id);
      fn();
    }, ms);
    this.armed.add(id);
    return id;
  }

  clearTimeout(id: TimerId): void {
    if (!this.armed.delete(id)) return;
    this.inner.clearTimeout(id);
  }

  pending(): number {
    return this.armed.size;
  }

  /** Cancels every timer armed through this view; afterwards no new timer is armed. */
  clearAll(): void {
    this.closed = true;
    for (const id of this.armed) this.inner.clearTimeout(id);
    this.armed.clear();
  }
}
