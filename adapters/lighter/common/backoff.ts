/**
 * Jittered exponential back-off and clock-based sleeping for the Lighter adapter (REST
 * retries, rate-limit cool-offs, WebSocket reconnects).
 *
 * Invariants:
 * - `backoffDelay(n)` for attempt n ≥ 1 is base × factor^(n−1), capped at `maxMs`, plus a
 *   jitter of at most `jitter` × that value: never below the un-jittered delay (so a
 *   "wait at least 1 s after a 429" policy holds whatever the random draw).
 * - Sleeping goes through the injected Clock (a simulated clock moves it), and is counted in
 *   `Activity.sleeping`, so a simulated-clock driver knows the adapter waits on time, not on
 *   the network.
 */
import type { Clock } from '../../../src/runtime/clock.ts';

export interface BackoffPolicy {
  /** Delay of the first retry (ms). */
  baseMs: number;
  /** Cap of the un-jittered delay (ms). */
  maxMs: number;
  /** Growth per attempt (default 2). */
  factor?: number;
  /** Extra random fraction added on top, 0 … 1 (default 0.25). */
  jitter?: number;
}

export function backoffDelay(attempt: number, p: BackoffPolicy, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const raw = Math.min(p.maxMs, p.baseMs * (p.factor ?? 2) ** (n - 1));
  return Math.round(raw + raw * (p.jitter ?? 0.25) * random());
}

/**
 * What the adapter is waiting for right now: `net` counts requests and acknowledgements in
 * flight on a socket, `sleeping` counts waits on the clock (back-off, cool-off, reconnect).
 */
export class Activity {
  net = 0;
  sleeping = 0;
  private waiters: Array<() => void> = [];

  get busy(): boolean {
    return this.net > 0;
  }

  /** Counts `p` as network activity until it settles. */
  async track<T>(p: Promise<T>): Promise<T> {
    this.net++;
    try {
      return await p;
    } finally {
      this.net--;
      if (this.net === 0) {
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      }
    }
  }

  /** Resolves when no network activity is pending. */
  whenIdle(): Promise<void> {
    if (this.net === 0) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** Sleeps `ms` on the clock (counted in `sleeping`). */
  sleep(clock: Clock, ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    this.sleeping++;
    return new Promise<void>((resolve) => {
      clock.setTimeout(() => {
        this.sleeping--;
        resolve();
      }, ms);
    });
  }
}
