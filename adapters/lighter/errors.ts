/**
 * Lighter error codes and HTTP statuses → the port's VenueError taxonomy, as one
 * declarative table (ccxt style; protocol notes §2.4, §6, §3.5).
 *
 * Invariants:
 * - Resolution order: exact code → code range → HTTP status → default. No if-chains: adding
 *   a code is adding a row.
 * - Match on the numeric code, never on message text (messages carry stray spaces).
 * - `resyncNonce` marks codes after which the local nonce counter must be refetched
 *   (21104 invalid nonce, 21105 batch nonces not increasing); the transaction is then
 *   re-signed with the fresh nonce (VEN-02).
 * - Anything unknown is 'rejected' with reason 'unknown-code' (a permanent refusal is the
 *   safe reading: the bot looks the order up rather than re-sending blindly).
 */
import { VenueError, type VenueErrorKind } from '../types.ts';

export interface LighterErrorRule {
  kind: VenueErrorKind;
  /** Short machine-readable reason, shown in status and logs. */
  reason: string;
  /** Refetch nextNonce and re-sign before retrying. */
  resyncNonce?: true;
}

const rej = (reason: string): LighterErrorRule => ({ kind: 'rejected', reason });

/** Exact Lighter API codes. */
export const LIGHTER_ERROR_CODES: Readonly<Record<number, LighterErrorRule>> = {
  20001: rej('invalid-param'),
  20558: rej('restricted-region'),
  21100: rej('account-not-found'),
  21102: rej('invalid-account-index'),
  21104: { kind: 'unavailable', reason: 'invalid-nonce', resyncNonce: true },
  21105: { kind: 'unavailable', reason: 'batch-nonce-not-increasing', resyncNonce: true },
  21108: rej('api-key-not-registered'),
  21109: rej('api-key-not-found'),
  21110: rej('invalid-api-key-index'),
  21111: rej('account-in-liquidation'),
  21112: rej('account-in-pre-liquidation'),
  21120: rej('invalid-signature'),
  21121: rej('batch-mixed-account-or-key'),
  21122: rej('dead-mans-switch'),
  21136: rej('signer-outdated'),
  21301: rej('not-enough-collateral'),
  21500: rej('tx-not-found'),
  21501: rej('invalid-tx-info'),
  21505: rej('unsupported-tx-type'),
  21506: { kind: 'rate-limited', reason: 'too-many-pending-txs' },
  21507: rej('below-maintenance-margin'),
  21508: rej('below-initial-margin'),
  21513: rej('batch-length-mismatch'),
  21514: rej('batch-too-large'),
  21600: { kind: 'not-active', reason: 'not-an-active-limit-order' },
  21601: rej('order-book-full'),
  21602: rej('invalid-market'),
  21613: rej('invalid-margin-mode'),
  21618: rej('invalid-order-type-for-market'),
  21700: rej('invalid-order-index'),
  21701: rej('invalid-base-amount'),
  21702: rej('invalid-price'),
  21703: rej('invalid-is-ask'),
  21704: rej('invalid-order-type'),
  21705: rej('invalid-time-in-force'),
  21706: rej('below-minimum-size-or-notional'),
  21707: rej('not-order-owner'),
  21708: { kind: 'not-active', reason: 'order-is-empty' },
  21709: { kind: 'not-active', reason: 'order-is-inactive' },
  21711: rej('invalid-expiry'),
  21712: rej('cancel-all-queued'),
  21713: rej('invalid-cancel-all-tif'),
  21714: rej('invalid-cancel-all-time'),
  21715: { kind: 'not-active', reason: 'order-not-active' },
  21717: rej('too-many-active-orders'),
  21718: rej('too-many-active-orders-in-market'),
  21719: rej('too-many-pending-orders'),
  21720: rej('too-many-pending-orders-in-market'),
  21727: rej('invalid-client-order-index'),
  21728: { kind: 'duplicate-client-index', reason: 'client-order-index-exists' },
  21729: rej('invalid-trigger-price'),
  21732: rej('reduce-only-increases-position'),
  21733: rej('fat-finger-price'),
  21734: rej('price-too-far-from-mark'),
  21735: rej('trigger-too-far'),
  21738: rej('invalid-reduce-only-direction'),
  21739: rej('not-enough-margin'),
  21741: rej('invalid-grouping-type'),
  21742: rej('invalid-grouping-size'),
  23000: { kind: 'rate-limited', reason: 'too-many-requests' },
  23001: { kind: 'rate-limited', reason: 'too-many-subscriptions' },
  23002: { kind: 'rate-limited', reason: 'too-many-accounts' },
  23003: { kind: 'rate-limited', reason: 'too-many-connections' },
  29404: rej('not-found'),
  29500: { kind: 'unavailable', reason: 'internal-error' },
  29501: { kind: 'outcome-unknown', reason: 'server-timeout' },
  30000: rej('ws-invalid-json'),
  30001: rej('ws-invalid-type'),
  30002: rej('ws-not-subscribed'),
  30003: rej('ws-already-subscribed'),
  30004: { kind: 'unavailable', reason: 'ws-failed-to-fetch' },
  30005: rej('ws-invalid-channel'),
  30006: rej('ws-unsupported-operation'),
  30007: rej('ws-invalid-data'),
  30008: rej('ws-invalid-account-type'),
  30009: { kind: 'rate-limited', reason: 'ws-too-many-messages' },
  30010: { kind: 'rate-limited', reason: 'ws-too-many-inflight' },
  30011: { kind: 'unavailable', reason: 'ws-failed-to-connect' },
  30012: { kind: 'unavailable', reason: 'ws-failed-to-subscribe' },
};

/** Code families, for codes the exact table does not list (inclusive bounds). */
export const LIGHTER_ERROR_RANGES: readonly { from: number; to: number; rule: LighterErrorRule }[] = [
  { from: 21100, to: 21199, rule: rej('account-error') },
  { from: 21200, to: 21299, rule: rej('pool-error') },
  { from: 21300, to: 21399, rule: rej('collateral-error') },
  { from: 21500, to: 21599, rule: rej('tx-error') },
  { from: 21600, to: 21699, rule: rej('invalid-order') },
  { from: 21700, to: 21799, rule: rej('invalid-order') },
  { from: 23000, to: 23099, rule: { kind: 'rate-limited', reason: 'rate-limit' } },
  { from: 29400, to: 29499, rule: rej('bad-request') },
  { from: 29500, to: 29599, rule: { kind: 'unavailable', reason: 'server-error' } },
  { from: 30000, to: 30099, rule: rej('ws-error') },
  { from: 61000, to: 61999, rule: rej('api-token-error') },
];

/** HTTP statuses, used when the body carries no (known) code. */
export const HTTP_STATUS_RULES: readonly { from: number; to: number; rule: LighterErrorRule }[] = [
  { from: 429, to: 429, rule: { kind: 'rate-limited', reason: 'http-429' } },
  // The firewall answers 405 and blocks the IP for ~60 s when limits are exceeded.
  { from: 405, to: 405, rule: { kind: 'rate-limited', reason: 'http-405-firewall' } },
  // Cloudflare HTML 403 pages: a transport problem, not a venue answer.
  { from: 403, to: 403, rule: { kind: 'unavailable', reason: 'http-403' } },
  { from: 408, to: 408, rule: { kind: 'outcome-unknown', reason: 'http-408' } },
  { from: 504, to: 504, rule: { kind: 'outcome-unknown', reason: 'http-504-gateway-timeout' } },
  { from: 500, to: 599, rule: { kind: 'unavailable', reason: 'http-5xx' } },
  { from: 400, to: 499, rule: rej('http-4xx') },
];

const DEFAULT_RULE: LighterErrorRule = rej('unknown-code');

function inRange<T extends { from: number; to: number }>(rows: readonly T[], n: number | undefined): T | undefined {
  return n === undefined ? undefined : rows.find((r) => n >= r.from && n <= r.to);
}

/** The rule for a code and/or HTTP status (exact code → range → status → default). */
export function lighterErrorRule(code: number | undefined, httpStatus?: number): LighterErrorRule {
  const exact = code !== undefined && Object.hasOwn(LIGHTER_ERROR_CODES, code) ? LIGHTER_ERROR_CODES[code] : undefined;
  return exact ?? inRange(LIGHTER_ERROR_RANGES, code)?.rule ?? inRange(HTTP_STATUS_RULES, httpStatus)?.rule ?? DEFAULT_RULE;
}

/** Maps a Lighter error (code, message, optional HTTP status) to the port's VenueError. */
export function mapLighterError(code: number | undefined, message: string, httpStatus?: number): VenueError {
  const rule = lighterErrorRule(code, httpStatus);
  const where = [code !== undefined ? `code ${code}` : undefined, httpStatus !== undefined ? `HTTP ${httpStatus}` : undefined]
    .filter(Boolean)
    .join(', ');
  const text = (message ?? '').trim() || '(no message)';
  return new VenueError(rule.kind, `Lighter ${where || 'error'}: ${text} [${rule.reason}]`, {
    reason: rule.reason,
    code: code ?? (httpStatus !== undefined ? `http-${httpStatus}` : undefined),
  });
}

/** True when the error asks for a nonce resync (21104/21105). */
export function needsNonceResync(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as VenueError).code;
  return typeof code === 'number' && lighterErrorRule(code).resyncNonce === true;
}
