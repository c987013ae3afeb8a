import { describe, expect, it } from 'vitest';
import { isTransient, VenueError } from '../types.ts';
import { LIGHTER_ERROR_CODES, lighterErrorRule, mapLighterError, needsNonceResync } from './errors.ts';

describe('Lighter error table', () => {
  it.each([
    [21728, undefined, 'duplicate-client-index', 'client-order-index-exists'],
    [21104, undefined, 'unavailable', 'invalid-nonce'],
    [21506, undefined, 'rate-limited', 'too-many-pending-txs'],
    [23000, 429, 'rate-limited', 'too-many-requests'],
    [21715, undefined, 'not-active', 'order-not-active'],
    [21709, undefined, 'not-active', 'order-is-inactive'],
    [21734, undefined, 'rejected', 'price-too-far-from-mark'],
    [21739, undefined, 'rejected', 'not-enough-margin'],
    [21706, undefined, 'rejected', 'below-minimum-size-or-notional'],
    [21799, undefined, 'rejected', 'invalid-order'], // range fallback
    [21650, undefined, 'rejected', 'invalid-order'],
    [29501, undefined, 'outcome-unknown', 'server-timeout'],
    [undefined, 503, 'unavailable', 'http-5xx'],
    [undefined, 429, 'rate-limited', 'http-429'],
    [undefined, 504, 'outcome-unknown', 'http-504-gateway-timeout'],
    [424242, undefined, 'rejected', 'unknown-code'],
  ] as const)('code %s / HTTP %s → %s (%s)', (code, status, kind, reason) => {
    const err = mapLighterError(code, 'msg ', status);
    expect(err).toBeInstanceOf(VenueError);
    expect(err.kind).toBe(kind);
    expect(err.reason).toBe(reason);
  });

  it('VEN-09 429/23000 and 21506 are transient (back off and retry with the same client index)', () => {
    expect(isTransient(mapLighterError(23000, 'Too Many Requests!', 429).kind)).toBe(true);
    expect(isTransient(mapLighterError(21506, 'too many pending txs').kind)).toBe(true);
    expect(isTransient(mapLighterError(undefined, '', 503).kind)).toBe(true);
    expect(isTransient(mapLighterError(21728, 'exists').kind)).toBe(false);
  });

  it('VEN-02 21104 and 21105 ask for a nonce resync; nothing else does', () => {
    expect(needsNonceResync(mapLighterError(21104, 'invalid nonce'))).toBe(true);
    expect(needsNonceResync(mapLighterError(21105, 'batch'))).toBe(true);
    expect(needsNonceResync(mapLighterError(21728, 'dup'))).toBe(false);
    expect(needsNonceResync(new Error('x'))).toBe(false);
    const flagged = Object.entries(LIGHTER_ERROR_CODES).filter(([, r]) => r.resyncNonce).map(([c]) => Number(c));
    expect(flagged).toEqual([21104, 21105]);
  });

  it('message names code, status and reason; the code is kept on the error', () => {
    const err = mapLighterError(21702, 'invalid price ');
    expect(err.message).toBe('Lighter code 21702: invalid price [invalid-price]');
    expect(err.code).toBe(21702);
    expect(mapLighterError(undefined, '', 502).code).toBe('http-502');
    expect(lighterErrorRule(undefined).reason).toBe('unknown-code');
  });
});
