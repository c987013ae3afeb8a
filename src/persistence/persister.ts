/**
 * The single coalescing snapshot writer of one bot key (runtime-design.md "Persistence").
 *
 * Invariants:
 * - At most one write is in flight; writes reach the store in the order of `schedule`.
 * - Latest wins: while a write is in flight (or waiting to retry), later snapshots collapse
 *   into the newest one; a superseded snapshot is never written after a newer one.
 * - `flush()` resolves only when every snapshot scheduled before the call (and, if a source
 *   is set, the source's current snapshot) is durable — or a newer one is. It rejects if the
 *   write ultimately fails: an order whose intent (a new position number) is not durable must
 *   not be sent. This is the write-ahead the runtime awaits before using a new `n`.
 * - A failed write is retried with exponential back-off; every failed attempt is reported
 *   through `onError`. After the last attempt the unwritten snapshot is kept and the next
 *   `schedule`/`flush` tries again.
 * - Never throws or rejects in the background: errors go to `onError` and to flush callers.
 */
import { encodeEnvelope, type Envelope } from './envelope.ts';

/** The part of Keyv the writer needs (a Keyv<string> satisfies it). */
export interface StringWriter {
  set(key: string, value: string): Promise<unknown>;
}

export interface WriteErrorInfo {
  key: string;
  /** 1-based attempt number of the failed write. */
  attempt: number;
  /** True when no further attempt will be made for this write. */
  final: boolean;
}

export interface PersisterOptions<S> {
  keyv: StringWriter;
  key: string;
  makeEnvelope: (snapshot: S) => Envelope<S>;
  onError: (err: Error, info: WriteErrorInfo) => void;
  /** Called after each successful write with its latency in ms. */
  onWrite?: (ms: number) => void;
  /** Attempts per write (default 6) and back-off (default 100 ms doubling, capped at 2 s). */
  retry?: { attempts?: number; baseMs?: number; maxMs?: number };
  /** Injected for tests; default real timers. */
  sleep?: (ms: number) => Promise<void>;
  /** Monotonic ms for latency; default performance.now. */
  now?: () => number;
}

export interface PersisterStats {
  writes: number;
  coalesced: number;
  failedAttempts: number;
  lastWriteMs: number | undefined;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  /** A snapshot is scheduled or being written and not yet durable. */
  dirty: boolean;
}

interface Job<S> {
  seq: number;
  snapshot: S;
}
interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

const LATENCY_WINDOW = 512;

export class Persister<S = unknown> {
  private readonly opts: PersisterOptions<S>;
  private readonly attempts: number;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  private source: (() => S) | undefined;
  private pending: Job<S> | undefined;
  /** Latest job whose write failed for good and that nothing newer has replaced. */
  private failed: Job<S> | undefined;
  private draining = false;
  private closed = false;
  private scheduledSeq = 0;
  private durableSeq = 0;
  private waiters: Waiter[] = [];

  private writes = 0;
  private coalesced = 0;
  private failedAttempts = 0;
  private lastWriteMs: number | undefined;
  private latencies: number[] = [];

  constructor(opts: PersisterOptions<S>) {
    this.opts = opts;
    this.attempts = Math.max(1, opts.retry?.attempts ?? 6);
    this.baseMs = opts.retry?.baseMs ?? 100;
    this.maxMs = opts.retry?.maxMs ?? 2000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? (() => performance.now());
  }

  /** Register where `flush()` captures the current snapshot from (the root actor). */
  setSource(source: (() => S) | undefined): void {
    this.source = source;
  }

  /** Queue a snapshot for writing; it supersedes any not yet written. */
  schedule(snapshot: S): void {
    if (this.closed) throw new Error(`Persister for ${this.opts.key} is closed; cannot schedule a snapshot`);
    this.enqueue(snapshot);
  }

  /** Resolves when everything scheduled up to now (plus the source's snapshot) is durable. */
  flush(): Promise<void> {
    if (this.source && !this.closed) this.enqueue(this.source());
    const target = this.scheduledSeq;
    if (this.durableSeq >= target) return Promise.resolve();
    if (!this.pending && this.failed) {
      // Nothing newer since the last failure: try that snapshot again. (The drain loop may
      // still be unwinding from that failure; it, or its `finally`, picks this job up.)
      this.pending = this.failed;
      this.failed = undefined;
    }
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ seq: target, resolve, reject }));
    this.kick();
    return done;
  }

  /** Flush, then refuse further snapshots. Rejects if the final flush fails. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      this.source = undefined;
    }
  }

  stats(): PersisterStats {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const pct = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] : undefined);
    return {
      writes: this.writes,
      coalesced: this.coalesced,
      failedAttempts: this.failedAttempts,
      lastWriteMs: this.lastWriteMs,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
      dirty: this.durableSeq < this.scheduledSeq,
    };
  }

  private enqueue(snapshot: S): void {
    const seq = ++this.scheduledSeq;
    if (this.pending) this.coalesced++;
    this.pending = { seq, snapshot };
    this.failed = undefined;
    this.kick();
  }

  private kick(): void {
    if (this.draining || !this.pending) return;
    this.draining = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending) {
        const job = this.pending;
        this.pending = undefined;
        await this.writeWithRetry(job);
      }
    } finally {
      this.draining = false;
      // A job may have been re-queued by flush() between the loop's end and here.
      if (this.pending) this.kick();
    }
  }

  private async writeWithRetry(first: Job<S>): Promise<void> {
    let job = first;
    for (let attempt = 1; ; attempt++) {
      let text: string;
      try {
        text = encodeEnvelope(this.opts.makeEnvelope(job.snapshot));
      } catch (err) {
        // Not retryable: the same snapshot will never encode.
        this.fail(job, asError(err), attempt, true);
        return;
      }
      const started = this.now();
      try {
        const ok = await this.opts.keyv.set(this.opts.key, text);
        if (ok === false) throw new Error('the store rejected the write');
      } catch (err) {
        this.failedAttempts++;
        const final = attempt >= this.attempts;
        this.fail(job, asError(err), attempt, final);
        if (final) return;
        await this.sleep(Math.min(this.baseMs * 2 ** (attempt - 1), this.maxMs));
        if (this.pending) {
          // A newer snapshot supersedes the one we were retrying.
          job = this.pending;
          this.pending = undefined;
          this.coalesced++;
        }
        continue;
      }
      this.recordWrite(this.now() - started);
      this.durableSeq = Math.max(this.durableSeq, job.seq);
      this.settle(this.durableSeq, undefined);
      return;
    }
  }

  private fail(job: Job<S>, err: Error, attempt: number, final: boolean): void {
    const info: WriteErrorInfo = { key: this.opts.key, attempt, final };
    const wrapped = new Error(
      `snapshot write to ${this.opts.key} failed (attempt ${attempt}/${this.attempts}${final ? ', giving up' : ', will retry'}): ${err.message}`,
      { cause: err },
    );
    try {
      this.opts.onError(wrapped, info);
    } catch (hookErr) {
      process.stderr.write(`gridchart persister: onError hook threw: ${asError(hookErr).message}\n`);
    }
    if (!final) return;
    if (!this.pending) this.failed = job;
    this.settle(job.seq, wrapped);
  }

  /** Resolve (or reject, with `err`) every waiter whose target is at or below `seq`. */
  private settle(seq: number, err: Error | undefined): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq > seq) keep.push(w);
      else if (err) w.reject(err);
      else w.resolve();
    }
    this.waiters = keep;
  }

  private recordWrite(ms: number): void {
    this.writes++;
    this.lastWriteMs = ms;
    this.latencies.push(ms);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
    if (this.opts.onWrite) {
      try {
        this.opts.onWrite(ms);
      } catch (hookErr) {
        process.stderr.write(`gridchart persister: onWrite hook threw: ${asError(hookErr).message}\n`);
      }
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
