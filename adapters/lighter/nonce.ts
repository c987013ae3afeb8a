/**
 * Nonce manager for one (account, api key) pair (protocol notes §5.3, §8.2; VEN-01, VEN-02).
 *
 * Invariants:
 * - Seeded from `GET /api/v1/nextNonce` once (lazily, on first use), then counted locally:
 *   consecutive transactions carry consecutive nonces with no further REST calls.
 * - Every use is serialized through one queue, so concurrent callers never get the same
 *   nonce and transactions leave in nonce order (sign + send happen inside the critical
 *   section when `run` is used). A use that finds the queue empty and the counter known
 *   starts in the caller's turn (no promise hop before signing: fill → exit latency).
 * - After an invalid-nonce answer (21104/21105) the counter is refetched and the same
 *   transaction re-signed with the fresh nonce (up to `maxResyncs` times).
 * - A failed send whose nonce was certainly not consumed (the API answered with an error, or
 *   signing failed) gives the nonce back; one whose outcome is unknown (timeout, socket
 *   closed) marks the counter stale, so the next use refetches before signing.
 */
import { isVenueError } from '../types.ts';
import { needsNonceResync } from './errors.ts';

export type NonceOutcome = 'consumed' | 'not-consumed' | 'unknown';

export interface NonceManagerOptions {
  /** Fetches the venue's next nonce for this (account, api key). */
  fetchNextNonce: () => Promise<number>;
  /** Is this error an invalid-nonce answer? Default: Lighter codes 21104/21105. */
  isInvalidNonce?: (err: unknown) => boolean;
  /** Was the nonce used by a failed attempt consumed? Default: see `defaultNonceOutcome`. */
  outcomeOf?: (err: unknown) => NonceOutcome;
  /** Re-sign attempts after invalid-nonce answers within one `run` (default 2). */
  maxResyncs?: number;
}

/**
 * Default classification: a VenueError means the venue answered (nothing consumed), except
 * 'outcome-unknown'; a LighterSignerError/CodecError means nothing was sent; anything else
 * (a raw transport error) is unknown.
 */
export function defaultNonceOutcome(err: unknown): NonceOutcome {
  if (isVenueError(err)) return err.kind === 'outcome-unknown' ? 'unknown' : 'not-consumed';
  if (err instanceof Error && (err.name === 'LighterSignerError' || err.name === 'CodecError')) return 'not-consumed';
  return 'unknown';
}

export class NonceManager {
  private nextValue: number | undefined;
  private stale = true;
  /** Settles when the last queued use is over (never rejects). */
  private queue: Promise<void> = Promise.resolve();
  /** Uses queued or running. */
  private active = 0;
  private fetches = 0;
  private readonly opts: Required<NonceManagerOptions>;

  constructor(opts: NonceManagerOptions) {
    this.opts = {
      isInvalidNonce: needsNonceResync,
      outcomeOf: defaultNonceOutcome,
      maxResyncs: 2,
      ...opts,
    };
  }

  /** How many times nextNonce was fetched (for budgets and tests). */
  get fetchCount(): number {
    return this.fetches;
  }

  /** The nonce the next transaction will carry, if known (no fetch). */
  peek(): number | undefined {
    return this.stale ? undefined : this.nextValue;
  }

  /** Reserves the next nonce (seeding on first use). The caller owns its consumption. */
  next(): Promise<number> {
    return this.serialize(async () => {
      const n = await this.current();
      this.nextValue = n + 1;
      return n;
    });
  }

  /** Refetches nextNonce now (after 21104) and returns it. */
  resync(): Promise<number> {
    return this.serialize(() => this.refetch());
  }

  /** Marks the counter stale: the next use refetches (after an ambiguous send). */
  invalidate(): void {
    this.stale = true;
  }

  /**
   * Runs `attempt(nonce)` (sign + send) inside the critical section. On success the nonce is
   * consumed. On an invalid-nonce error the counter is refetched and `attempt` re-run with
   * the fresh nonce; other errors give the nonce back or mark it stale, then rethrow.
   */
  run<T>(attempt: (nonce: number) => Promise<T>): Promise<T> {
    return this.serialize(async () => {
      let resyncs = 0;
      for (;;) {
        // A known counter is used without an await, so `attempt` starts in this turn.
        const n = this.stale || this.nextValue === undefined ? await this.refetch() : this.nextValue;
        try {
          const result = await attempt(n);
          this.nextValue = n + 1;
          return result;
        } catch (err) {
          if (this.opts.isInvalidNonce(err) && resyncs < this.opts.maxResyncs) {
            resyncs++;
            await this.refetch();
            continue;
          }
          const outcome = this.opts.outcomeOf(err);
          if (outcome === 'consumed') this.nextValue = n + 1;
          else if (outcome === 'unknown' || this.opts.isInvalidNonce(err)) this.stale = true;
          throw err;
        }
      }
    });
  }

  private async current(): Promise<number> {
    if (this.stale || this.nextValue === undefined) return this.refetch();
    return this.nextValue;
  }

  private async refetch(): Promise<number> {
    this.fetches++;
    const n = await this.opts.fetchNextNonce();
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`nextNonce must be a non-negative integer, got ${String(n)}`);
    this.nextValue = n;
    this.stale = false;
    return n;
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.queue;
    const idle = this.active === 0;
    this.active++;
    let release!: () => void;
    // Set before `fn` runs, so a use queued from inside `fn` waits for this one.
    this.queue = new Promise<void>((r) => (release = r));
    const result = idle ? fn() : previous.then(fn);
    // Keep the chain alive whatever the outcome; callers see their own result.
    const done = (): void => {
      this.active--;
      release();
    };
    result.then(done, done);
    return result;
  }
}
