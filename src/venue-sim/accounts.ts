/**
 * Accounts, registered API keys, per-(account, api key) nonces and auth-token checks of
 * the Lighter simulator (protocol notes §5.3, §5.6, §8.3.2).
 *
 * Invariants:
 * - A nonce stream is strictly sequential: a transaction must carry exactly `next`; it is
 *   advanced only by `consume` (an accepted transaction), never by a refusal.
 * - Auth tokens are `"{deadline_s}:{account}:{api_key}:{160 hex}"`; accepted when the key
 *   is registered for the account, the deadline is in the future and at most
 *   `maxLifetimeSec` ahead, and the token was not revoked (`expireTokens`). The signature
 *   part is checked for shape only (not verifiable here).
 * - Auth refusals are SimApiError(AUTH_ERROR_CODE) whose message starts "invalid auth:".
 * - `toJSON()` / `SimAccounts.restore` keep accounts, public keys, next nonces, collateral,
 *   scheduled cancel-all times and revoked tokens (never a private key: none is known here).
 * - `rotateKey` replaces a key's public half and keeps its nonce stream (Lighter's
 *   ChangePubKey): a restarted paper run registers its new throwaway key this way.
 */
import { Dec, type DecValue } from '../domain/decimal.ts';
import type { Clock } from '../runtime/clock.ts';
import { MAX_AUTH_TOKEN_LIFETIME_SEC } from '../../adapters/lighter/constants.ts';
import { SimApiError, type SimAccountConfig } from './types.ts';

/** REST code for a missing/invalid/expired auth token (the simulator's choice; 20001 = invalid param). */
export const AUTH_ERROR_CODE = 20001;
/** WS error code for a private subscription refused for auth (30012 = failed to subscribe). */
export const WS_AUTH_ERROR_CODE = 30012;

export interface ApiKeyRec {
  apiKeyIndex: number;
  publicKey: string;
  next: number;
  registeredAt: number;
}

export interface AccountRec {
  index: number;
  l1Address: string;
  keys: Map<number, ApiKeyRec>;
  collateral: DecValue;
  createdAt: number;
  /** Scheduled cancel-all time (ms), 0 = none. */
  cancelAllTime: number;
}

export interface AccountsState {
  maxLifetimeSec: number;
  accounts: Array<{ index: number; l1Address: string; collateral: string; createdAt: number; cancelAllTime: number; keys: ApiKeyRec[] }>;
  revoked: string[];
}

const TOKEN = /^(\d+):(\d+):(\d+):([0-9a-fA-F]{160})$/;

export class SimAccounts {
  private readonly byIndex = new Map<number, AccountRec>();
  private readonly seen = new Set<string>();
  private readonly revoked = new Set<string>();
  maxLifetimeSec: number;

  constructor(
    configs: SimAccountConfig[],
    private readonly clock: Clock,
    maxLifetimeSec = MAX_AUTH_TOKEN_LIFETIME_SEC,
  ) {
    if (configs.length === 0) throw new Error('the Lighter simulator needs at least one account');
    this.maxLifetimeSec = maxLifetimeSec;
    const now = clock.now();
    for (const c of configs) {
      if (!Number.isSafeInteger(c.accountIndex) || c.accountIndex < 1) throw new Error(`accountIndex ${c.accountIndex} must be a positive integer`);
      if (this.byIndex.has(c.accountIndex)) throw new Error(`account ${c.accountIndex} is configured twice`);
      const keys = new Map<number, ApiKeyRec>();
      for (const k of c.apiKeys) {
        if (!Number.isInteger(k.apiKeyIndex) || k.apiKeyIndex < 0 || k.apiKeyIndex > 254) throw new Error(`account ${c.accountIndex}: apiKeyIndex ${k.apiKeyIndex} must be in 0..254`);
        const pk = k.publicKey.replace(/^0x/, '').toLowerCase();
        if (!/^[0-9a-f]{80}$/.test(pk)) throw new Error(`account ${c.accountIndex} key ${k.apiKeyIndex}: publicKey must be 80 hex characters (optionally 0x-prefixed)`);
        const next = k.nonce ?? 1;
        if (!Number.isSafeInteger(next) || next < 0) throw new Error(`account ${c.accountIndex} key ${k.apiKeyIndex}: nonce ${next} must be an integer ≥ 0`);
        keys.set(k.apiKeyIndex, { apiKeyIndex: k.apiKeyIndex, publicKey: pk, next, registeredAt: now });
      }
      const collateral = c.collateral ?? '10000';
      if (!/^\d+(\.\d+)?$/.test(collateral)) throw new Error(`account ${c.accountIndex}: collateral "${collateral}" must be a non-negative decimal string`);
      this.byIndex.set(c.accountIndex, {
        index: c.accountIndex,
        l1Address: c.l1Address ?? `0x${c.accountIndex.toString(16).padStart(40, '0')}`,
        keys,
        collateral: new Dec(collateral),
        createdAt: now,
        cancelAllTime: 0,
      });
    }
  }

  toJSON(): AccountsState {
    return {
      maxLifetimeSec: this.maxLifetimeSec,
      accounts: this.all().map((a) => ({
        index: a.index,
        l1Address: a.l1Address,
        collateral: a.collateral.toFixed(),
        createdAt: a.createdAt,
        cancelAllTime: a.cancelAllTime,
        keys: [...a.keys.values()].map((k) => ({ ...k })),
      })),
      revoked: [...this.revoked],
    };
  }

  /** Accounts from `toJSON()` output. */
  static restore(state: AccountsState, clock: Clock): SimAccounts {
    const configs: SimAccountConfig[] = state.accounts.map((a) => ({
      accountIndex: a.index,
      l1Address: a.l1Address,
      collateral: a.collateral,
      apiKeys: a.keys.map((k) => ({ apiKeyIndex: k.apiKeyIndex, publicKey: k.publicKey, nonce: k.next })),
    }));
    const s = new SimAccounts(configs, clock, state.maxLifetimeSec);
    for (const a of state.accounts) {
      const rec = s.byIndex.get(a.index)!;
      rec.createdAt = a.createdAt;
      rec.cancelAllTime = a.cancelAllTime;
      for (const k of a.keys) rec.keys.get(k.apiKeyIndex)!.registeredAt = k.registeredAt;
    }
    for (const t of state.revoked) {
      s.revoked.add(t);
      s.seen.add(t);
    }
    return s;
  }

  /** Registers `publicKey` for an existing API key slot; its nonce stream continues. */
  rotateKey(account: number, apiKeyIndex: number, publicKey: string): void {
    const pk = publicKey.replace(/^0x/, '').toLowerCase();
    if (!/^[0-9a-f]{80}$/.test(pk)) throw new Error(`account ${account} key ${apiKeyIndex}: publicKey must be 80 hex characters (optionally 0x-prefixed)`);
    const k = this.requireKey(account, apiKeyIndex);
    k.publicKey = pk;
    k.registeredAt = this.clock.now();
  }

  all(): AccountRec[] {
    return [...this.byIndex.values()];
  }

  get(index: number): AccountRec | undefined {
    return this.byIndex.get(index);
  }

  require(index: number): AccountRec {
    const a = this.byIndex.get(index);
    if (!a) throw new SimApiError(21100, `account not found: ${index}`);
    return a;
  }

  requireKey(account: number, apiKeyIndex: number): ApiKeyRec {
    const k = this.require(account).keys.get(apiKeyIndex);
    if (!k) throw new SimApiError(21109, `api key not found: account ${account} api key ${apiKeyIndex}`);
    return k;
  }

  byL1(address: string): AccountRec[] {
    const a = address.toLowerCase();
    return this.all().filter((x) => x.l1Address.toLowerCase() === a);
  }

  nextNonce(account: number, apiKeyIndex: number): number {
    return this.requireKey(account, apiKeyIndex).next;
  }

  setNextNonce(account: number, apiKeyIndex: number, nonce: number): void {
    if (!Number.isSafeInteger(nonce) || nonce < 0) throw new Error(`nonce ${nonce} must be an integer ≥ 0`);
    this.requireKey(account, apiKeyIndex).next = nonce;
  }

  /** Throws 21104 unless `nonce` is exactly the next one. */
  checkNonce(account: number, apiKeyIndex: number, nonce: number): void {
    const k = this.requireKey(account, apiKeyIndex);
    if (nonce !== k.next) throw new SimApiError(21104, `invalid nonce: got ${nonce}, expected ${k.next}`);
  }

  consume(account: number, apiKeyIndex: number): void {
    this.requireKey(account, apiKeyIndex).next += 1;
  }

  /**
   * Validates an auth token; `account` (when given) must be the token's account.
   * Returns the token's account and key.
   */
  checkAuth(token: string | undefined, account?: number): { account: number; apiKeyIndex: number } {
    if (token === undefined || token === '') throw new SimApiError(AUTH_ERROR_CODE, 'invalid auth: auth query param and Authorization header are empty');
    const t = token.replace(/^Bearer\s+/i, '').trim();
    const m = TOKEN.exec(t);
    if (!m) throw new SimApiError(AUTH_ERROR_CODE, 'invalid auth: malformed token (expected deadline:account:api_key:signature)');
    this.seen.add(t);
    const deadline = Number(m[1]);
    const acct = Number(m[2]);
    const key = Number(m[3]);
    if (this.revoked.has(t)) throw new SimApiError(AUTH_ERROR_CODE, 'invalid auth: token expired');
    const nowSec = Math.floor(this.clock.now() / 1000);
    if (deadline <= nowSec) throw new SimApiError(AUTH_ERROR_CODE, `invalid auth: token expired (deadline ${deadline}, now ${nowSec})`);
    if (deadline > nowSec + this.maxLifetimeSec) {
      throw new SimApiError(AUTH_ERROR_CODE, `invalid auth: token deadline ${deadline} is more than ${this.maxLifetimeSec} s ahead (now ${nowSec})`);
    }
    const a = this.byIndex.get(acct);
    if (!a || !a.keys.has(key)) throw new SimApiError(AUTH_ERROR_CODE, `invalid auth: api key ${key} is not registered for account ${acct}`);
    if (account !== undefined && account !== acct) throw new SimApiError(AUTH_ERROR_CODE, `invalid auth: token is for account ${acct}, not ${account}`);
    return { account: acct, apiKeyIndex: key };
  }

  /** Revokes every token seen so far; returns them. */
  expireTokens(): string[] {
    const list = [...this.seen];
    for (const t of list) this.revoked.add(t);
    return list;
  }

  isRevoked(token: string): boolean {
    return this.revoked.has(token.replace(/^Bearer\s+/i, '').trim());
  }
}
