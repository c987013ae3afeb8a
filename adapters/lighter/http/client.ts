/**
 * REST client for Lighter's `/api/v1/*` over Node's fetch (protocol notes §2, §6; VEN-09,
 * VEN-10).
 *
 * Invariants:
 * - Every answer goes through `parseRestEnvelope`: HTTP status not 2xx or `code` ≠ 200 is
 *   a VenueError from the errors.ts table; bodies are parsed losslessly by the callers.
 * - Timeouts: a read that gets no answer is 'unavailable' (nothing changed); a sendTx whose
 *   answer is lost is 'outcome-unknown' (it may have been executed). A refused connection
 *   is 'unavailable' for both (nothing was sent).
 * - Rate limits: after a 'rate-limited' answer (HTTP 429 / 23000 / 21506) the endpoint is
 *   cooled off — no request to it leaves before a jittered exponential delay (≥ `baseMs`,
 *   growing, capped); the cool-off resets on the next success. Reads are retried (also on
 *   'unavailable') up to `readAttempts` times; sends are never retried here.
 * - Every request that leaves is counted (`restCallsPerMinute()`); private reads carry the
 *   auth token as the `auth` query parameter, which never reaches a log line.
 */
import type { Clock } from '../../../src/runtime/clock.ts';
import { isVenueError, VenueError } from '../../types.ts';
import { Activity, backoffDelay, type BackoffPolicy } from '../common/backoff.ts';
import { CallCounter } from '../common/call-counter.ts';
import { silentLogger, type LighterLogger } from '../common/logger.ts';
import { parseRestEnvelope, parseSendTxResponse } from '../parse.ts';

export const API_PREFIX = '/api/v1/';

export interface LighterHttpOptions {
  /** e.g. "https://mainnet.zklighter.elliot.ai" (paths are appended under /api/v1/). */
  baseUrl: string;
  clock: Clock;
  logger?: LighterLogger;
  /** Per-request timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Timeout of sendTx / sendTxBatch in ms (default `timeoutMs`). */
  sendTimeoutMs?: number;
  /** Attempts of a read before its error is thrown (default 4; `Infinity` for bootstrap). */
  readAttempts?: number;
  /** Back-off between read retries and after rate limits (default 1 s doubling to 30 s, 25 % jitter). */
  backoff?: BackoffPolicy;
  activity?: Activity;
  fetch?: typeof fetch;
  random?: () => number;
}

export interface GetOptions {
  /** A private endpoint: the token provider is asked on every attempt. */
  auth?: (opts?: { fresh?: boolean; refused?: boolean }) => string;
  /** Overrides `readAttempts` for this call. */
  attempts?: number;
}

interface Cooloff {
  failures: number;
  notBefore: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.25 };

/** The endpoint key sends share (REST sendTx, sendTxBatch and WS jsonapi/sendtx). */
export const TX_ENDPOINT = 'tx';

export class LighterHttpClient {
  readonly calls: CallCounter;
  readonly activity: Activity;
  private readonly cooloffs = new Map<string, Cooloff>();
  private readonly log: LighterLogger;
  private readonly fetchFn: typeof fetch;
  private readonly random: () => number;
  private readonly backoff: BackoffPolicy;

  constructor(private readonly opts: LighterHttpOptions) {
    this.calls = new CallCounter(opts.clock);
    this.activity = opts.activity ?? new Activity();
    this.log = opts.logger ?? silentLogger;
    this.fetchFn = opts.fetch ?? fetch;
    this.random = opts.random ?? Math.random;
    this.backoff = opts.backoff ?? DEFAULT_BACKOFF;
  }

  /** REST requests in the rolling minute ending now. */
  restCallsPerMinute(): number {
    return this.calls.perMinute();
  }

  /** Is a rate-limit cool-off of `key` still running? */
  coolingOff(key: string): boolean {
    const c = this.cooloffs.get(key);
    return c !== undefined && c.notBefore > this.opts.clock.now();
  }

  /** Waits out the cool-off of an endpoint (after a rate limit). */
  async waitCooloff(key: string): Promise<void> {
    const c = this.cooloffs.get(key);
    const wait = c ? c.notBefore - this.opts.clock.now() : 0;
    if (wait > 0) {
      this.log.debug('lighter: waiting out a rate-limit cool-off', { endpoint: key, ms: wait });
      await this.activity.sleep(this.opts.clock, wait);
    }
  }

  /** Records an answer for an endpoint: a rate limit extends its cool-off, a success clears it. */
  noteOutcome(key: string, err: unknown): void {
    if (isVenueError(err) && err.kind === 'rate-limited') {
      const c = this.cooloffs.get(key) ?? { failures: 0, notBefore: 0 };
      c.failures++;
      c.notBefore = this.opts.clock.now() + backoffDelay(c.failures, this.backoff, this.random);
      this.cooloffs.set(key, c);
      this.log.warn('lighter: rate limited; cooling off', { endpoint: key, failures: c.failures, untilMs: c.notBefore });
    } else if (err === undefined) this.cooloffs.delete(key);
  }

  /** GET `/api/v1/<path>`; returns the raw JSON text of a successful answer. */
  async get(path: string, params: Record<string, string | number | undefined> = {}, o: GetOptions = {}): Promise<string> {
    const attempts = o.attempts ?? this.opts.readAttempts ?? 4;
    let authFresh = false;
    let lastErr: VenueError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.waitCooloff(path);
      const url = new URL(API_PREFIX + path, this.opts.baseUrl);
      for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
      if (o.auth) url.searchParams.set('auth', o.auth(authFresh ? { refused: true } : {}));
      try {
        const text = await this.request(url, { method: 'GET' }, 'read', path);
        this.noteOutcome(path, undefined);
        return text;
      } catch (err) {
        const e = err as VenueError;
        this.noteOutcome(path, e);
        lastErr = e;
        // A refused token (expired, revoked, too long-lived): mint a fresh one and retry once.
        if (o.auth && !authFresh && e.kind === 'rejected' && /auth/i.test(e.message)) {
          authFresh = true;
          attempt--;
          continue;
        }
        if (e.kind !== 'rate-limited' && e.kind !== 'unavailable') throw e;
        if (attempt >= attempts) break;
        if (e.kind === 'unavailable') {
          const ms = backoffDelay(attempt, this.backoff, this.random);
          this.log.warn('lighter: read failed; retrying', { path, attempt, ms, kind: e.kind, code: e.code });
          await this.activity.sleep(this.opts.clock, ms);
        }
      }
    }
    throw lastErr ?? new VenueError('unavailable', `GET ${path} failed`);
  }

  /** POST sendTx (form fields tx_type, tx_info); resolves with the server's tx hash. */
  async sendTx(txType: number, txInfo: string): Promise<{ txHash: string }> {
    const body = new URLSearchParams({ tx_type: String(txType), tx_info: txInfo });
    return this.postTx('sendTx', body);
  }

  /** POST sendTxBatch (tx_types / tx_infos as JSON strings). */
  async sendTxBatch(txTypes: number[], txInfos: string[]): Promise<{ txHash: string }> {
    const body = new URLSearchParams({ tx_types: JSON.stringify(txTypes), tx_infos: JSON.stringify(txInfos) });
    return this.postTx('sendTxBatch', body);
  }

  private async postTx(path: string, body: URLSearchParams): Promise<{ txHash: string }> {
    await this.waitCooloff(TX_ENDPOINT);
    const url = new URL(API_PREFIX + path, this.opts.baseUrl);
    try {
      const text = await this.request(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 'send', path);
      this.noteOutcome(TX_ENDPOINT, undefined);
      const parsed = parseSendTxResponse(text);
      // An accepted tx whose answer we cannot read: it was executed (code 200) — keep going.
      return { txHash: parsed.ok ? parsed.value.txHash : '' };
    } catch (err) {
      this.noteOutcome(TX_ENDPOINT, err);
      throw err;
    }
  }

  /** One HTTP request with timeout; errors come out as VenueErrors. */
  private request(url: URL, init: RequestInit, mode: 'read' | 'send', path: string): Promise<string> {
    this.calls.record();
    const ms = mode === 'send' ? (this.opts.sendTimeoutMs ?? this.opts.timeoutMs ?? 10_000) : (this.opts.timeoutMs ?? 10_000);
    const ctl = new AbortController();
    const clock = this.opts.clock;
    const timer = clock.setTimeout(() => ctl.abort(), ms);
    const run = async (): Promise<string> => {
      let status: number;
      let text: string;
      try {
        const res = await this.fetchFn(url, { ...init, signal: ctl.signal, headers: { 'user-agent': 'gridchart', accept: 'application/json', ...(init.headers as Record<string, string> | undefined) } });
        status = res.status;
        text = await res.text();
      } catch (err) {
        throw this.transportError(err, ctl.signal.aborted, mode, path, ms);
      } finally {
        clock.clearTimeout(timer);
      }
      const env = parseRestEnvelope(status, text);
      if (!env.ok) {
        this.log.debug('lighter: REST error answer', { path, status, code: env.error.code, kind: env.error.kind });
        throw env.error;
      }
      return text;
    };
    return this.activity.track(run());
  }

  private transportError(err: unknown, timedOut: boolean, mode: 'read' | 'send', path: string, ms: number): VenueError {
    const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code;
    if (!timedOut && cause === 'ECONNREFUSED') return new VenueError('unavailable', `Lighter ${path}: connection refused`, { reason: 'connection-refused' });
    const what = timedOut ? `no answer within ${ms} ms` : `transport error (${cause ?? (err as Error)?.message ?? 'unknown'})`;
    if (mode === 'send') return new VenueError('outcome-unknown', `Lighter ${path}: ${what}; the transaction may or may not have been executed`, { reason: timedOut ? 'timeout' : 'transport' });
    return new VenueError('unavailable', `Lighter ${path}: ${what}`, { reason: timedOut ? 'timeout' : 'transport' });
  }
}
