/**
 * Auth tokens for private REST reads and private WebSocket channels (protocol notes §5.6;
 * VEN-07, CFG-06).
 *
 * Invariants:
 * - A token is minted by the signer (no network) with deadline now + `lifetimeSec`, and
 *   replaced once now is within `refreshLeadSec` of its deadline — so no request ever
 *   carries a token at or past its deadline; `fresh` forces a new one (after a refusal, a
 *   reconnect).
 * - After a refusal a shorter lifetime is tried (halved, ≥ 60 s): a venue that accepts
 *   shorter-lived tokens than configured is still served.
 * - The token is a credential: it is never logged, and `toJSON`/inspect show no token.
 */
import { inspect } from 'node:util';
import type { Clock } from '../../src/runtime/clock.ts';
import { MAX_AUTH_TOKEN_LIFETIME_SEC } from './constants.ts';
import type { LighterSigner } from './signer/signer.ts';

export interface AuthTokenOptions {
  /** Token life in seconds (default 600, max 8 h). */
  lifetimeSec?: number;
  /** Replace the token this long before its deadline (default 20 % of the life, ≥ 30 s). */
  refreshLeadSec?: number;
}

export class AuthTokens {
  #token: string | undefined;
  private deadline = 0;
  private lifetime: number;
  minted = 0;

  constructor(
    private readonly signer: () => LighterSigner,
    private readonly clock: Clock,
    private readonly opts: AuthTokenOptions = {},
  ) {
    this.lifetime = Math.min(MAX_AUTH_TOKEN_LIFETIME_SEC, Math.max(60, opts.lifetimeSec ?? 600));
  }

  private lead(): number {
    return this.opts.refreshLeadSec ?? Math.max(30, Math.floor(this.lifetime / 5));
  }

  /**
   * The current token, minted anew when missing, near its deadline, or `fresh`. `refused`
   * (the venue refused the last one) also shortens the life for the next tokens.
   */
  token(o: { fresh?: boolean; refused?: boolean } = {}): string {
    const nowSec = Math.floor(this.clock.now() / 1000);
    if (o.refused && this.#token !== undefined) this.lifetime = Math.max(60, Math.floor(this.lifetime / 2));
    if (this.#token === undefined || o.fresh || o.refused || nowSec >= this.deadline - this.lead()) {
      this.deadline = nowSec + this.lifetime;
      this.#token = this.signer().authToken(this.deadline);
      this.minted++;
    }
    return this.#token;
  }

  /** Deadline (unix seconds) of the current token, 0 when none. */
  get currentDeadline(): number {
    return this.#token === undefined ? 0 : this.deadline;
  }

  toJSON(): object {
    return { type: 'AuthTokens', lifetimeSec: this.lifetime, deadline: this.deadline, token: '[redacted]' };
  }

  [inspect.custom](): string {
    return `AuthTokens(lifetime=${this.lifetime}s)`;
  }
}
