/**
 * Counts REST requests on the injected clock, for the rate-limit budget and metrics
 * (VEN-10: the bot's own REST-calls-per-minute figure).
 *
 * Invariants: every HTTP request that leaves the adapter is recorded once (retries
 * included); `perMinute()` is the count in the rolling minute ending now; timestamps older
 * than `keepMs` (default one hour) are forgotten, `total` never is.
 */
import type { Clock } from '../../../src/runtime/clock.ts';

export class CallCounter {
  private times: number[] = [];
  total = 0;

  constructor(
    private readonly clock: Clock,
    private readonly keepMs = 3_600_000,
  ) {}

  record(): void {
    const now = this.clock.now();
    this.total++;
    this.times.push(now);
    if (this.times.length > 4096 || (this.times[0] ?? now) < now - this.keepMs) {
      this.times = this.times.filter((t) => t >= now - this.keepMs);
    }
  }

  /** Requests in the rolling minute ending now. */
  perMinute(): number {
    const from = this.clock.now() - 60_000;
    let n = 0;
    for (let i = this.times.length - 1; i >= 0 && this.times[i]! > from; i--) n++;
    return n;
  }

  /** The most requests in any rolling minute of the kept window. */
  maxPerMinute(): number {
    let best = 0;
    let lo = 0;
    for (let hi = 0; hi < this.times.length; hi++) {
      while (this.times[hi]! - this.times[lo]! >= 60_000) lo++;
      best = Math.max(best, hi - lo + 1);
    }
    return best;
  }
}
