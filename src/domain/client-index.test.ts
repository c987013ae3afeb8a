import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  MAX_CLIENT_INDEX,
  MAX_N,
  N_FACTOR,
  SLOT_FACTOR,
  decodeClientIndex,
  describeIndex,
  encodeClientIndex,
  orderName,
  positionId,
  role,
  roleCode,
  roleFromCode,
  type Role,
} from './client-index.ts';

/** Every role of the scheme with its documented code (grid-strategy.md §2). */
const ALL_ROLES: Array<[Role, number, string]> = [
  [role.entry(), 1, 'entry'],
  [role.close(), 2, 'close'],
  [role.closeRetry(1), 3, 'close-retry-1'],
  [role.closeRetry(2), 4, 'close-retry-2'],
  [role.closeRetry(3), 5, 'close-retry-3'],
  [role.ladder(1), 6, 'ladder-1'],
  [role.ladder(2), 7, 'ladder-2'],
  [role.ladder(3), 8, 'ladder-3'],
  [role.marketExit(1), 16, 'market-exit-1'],
  [role.marketExit(64), 79, 'market-exit-64'],
  [role.refresh(1), 80, 'refresh-1'],
  [role.refresh(64), 143, 'refresh-64'],
  [role.flatten(), 200, 'flatten'],
  [role.stopLossClose(), 201, 'stop-loss-close'],
  [role.stopPriceClose(), 202, 'stop-price-close'],
];

const roleArb = fc.oneof(
  fc.constantFrom(role.entry(), role.close(), role.flatten(), role.stopLossClose(), role.stopPriceClose()),
  fc.integer({ min: 1, max: 3 }).map(role.closeRetry),
  fc.integer({ min: 1, max: 3 }).map(role.ladder),
  fc.integer({ min: 1, max: 64 }).map(role.marketExit),
  fc.integer({ min: 1, max: 64 }).map(role.refresh),
);

describe('client index scheme', () => {
  it('encodes slot × 2^40 + n × 2^8 + role with the documented role codes', () => {
    for (const [r, code] of ALL_ROLES) {
      expect(roleCode(r)).toBe(code);
      expect(encodeClientIndex(1, 7, r)).toBe(2 ** 40 + 7 * 256 + code);
      expect(roleFromCode(code)).toEqual(r);
    }
    expect(encodeClientIndex(1, 1, role.entry())).toBe(1_099_511_628_033);
  });

  it('round-trips every role kind at slot 1 and slot 255, n 1 and 2^32 − 1', () => {
    for (const [r, code] of ALL_ROLES) {
      for (const slot of [1, 255]) {
        for (const n of [1, 2, MAX_N]) {
          const index = encodeClientIndex(slot, n, r);
          expect(Number.isSafeInteger(index)).toBe(true);
          expect(index).toBeGreaterThanOrEqual(1);
          expect(index).toBeLessThanOrEqual(MAX_CLIENT_INDEX);
          expect(decodeClientIndex(index)).toEqual({ slot, n, role: r, code });
        }
      }
    }
  });

  it('the largest index (slot 255, n 2^32 − 1, code 202) is below 2^48', () => {
    const index = encodeClientIndex(255, MAX_N, role.stopPriceClose());
    expect(index).toBe(255 * 2 ** 40 + (2 ** 32 - 1) * 256 + 202);
    expect(index).toBeLessThan(2 ** 48);
  });

  it('round-trips any valid (slot, n, role)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: MAX_N }), roleArb, (slot, n, r) => {
        const index = encodeClientIndex(slot, n, r);
        expect(index).toBeLessThan(2 ** 48);
        const d = decodeClientIndex(index);
        expect(d).toEqual({ slot, n, role: r, code: roleCode(r) });
      }),
    );
  });

  it('rejects out-of-range slot, n and role sequences with clear messages', () => {
    expect(() => encodeClientIndex(0, 1, role.entry())).toThrow(/instance slot 0 is outside 1..255/);
    expect(() => encodeClientIndex(256, 1, role.entry())).toThrow(/slot 256/);
    expect(() => encodeClientIndex(1.5, 1, role.entry())).toThrow(/slot/);
    expect(() => encodeClientIndex(1, 0, role.entry())).toThrow(/position number 0/);
    expect(() => encodeClientIndex(1, MAX_N + 1, role.entry())).toThrow(/position number/);
    expect(() => encodeClientIndex(1, 1, role.closeRetry(0))).toThrow(/close-retry sequence 0 is outside 1..3/);
    expect(() => encodeClientIndex(1, 1, role.closeRetry(4))).toThrow(/close-retry/);
    expect(() => encodeClientIndex(1, 1, role.ladder(4))).toThrow(/ladder/);
    expect(() => encodeClientIndex(1, 1, role.marketExit(65))).toThrow(/market-exit/);
    expect(() => encodeClientIndex(1, 1, role.refresh(65))).toThrow(/refresh/);
    expect(() => encodeClientIndex(1, 1, role.marketExit(1.5))).toThrow(/market-exit/);
  });

  it('decodes foreign indexes to null', () => {
    const foreign = [
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      2 ** 48, // above Lighter's limit
      2 ** 53,
      12345, // slot 0 (a hand-placed small index)
      SLOT_FACTOR, // slot 1, n 0
      SLOT_FACTOR + 200, // n 0 with a valid role code
      SLOT_FACTOR + N_FACTOR, // role code 0 (reserved)
      SLOT_FACTOR + N_FACTOR + 9, // reserved code between ladder and market-exit
      SLOT_FACTOR + N_FACTOR + 15,
      SLOT_FACTOR + N_FACTOR + 144, // just after refresh-64
      SLOT_FACTOR + N_FACTOR + 199,
      SLOT_FACTOR + N_FACTOR + 203,
      SLOT_FACTOR + N_FACTOR + 255,
    ];
    for (const index of foreign) expect(decodeClientIndex(index)).toBeNull();
    expect(describeIndex(12345)).toBe('#12345');
  });

  it('every reserved role code is rejected and every assigned one accepted', () => {
    for (let code = 0; code <= 255; code++) {
      const known = code === 1 || code === 2 || (code >= 3 && code <= 8) || (code >= 16 && code <= 143) || (code >= 200 && code <= 202);
      expect(roleFromCode(code) !== null).toBe(known);
      expect(decodeClientIndex(SLOT_FACTOR + 5 * N_FACTOR + code) !== null).toBe(known);
    }
  });

  it('names orders and positions as grid-{n}:{role}', () => {
    expect(orderName(7, role.closeRetry(2))).toBe('grid-7:close-retry-2');
    expect(orderName(1, role.entry())).toBe('grid-1:entry');
    expect(orderName(3, role.marketExit(1))).toBe('grid-3:market-exit-1');
    expect(orderName(9, role.ladder(3))).toBe('grid-9:ladder-3');
    expect(orderName(4, role.refresh(12))).toBe('grid-4:refresh-12');
    expect(orderName(12, role.stopLossClose())).toBe('grid-12:stop-loss-close');
    expect(positionId(7)).toBe('grid-7');
    for (const [r, , suffix] of ALL_ROLES) {
      expect(describeIndex(encodeClientIndex(2, 42, r))).toBe(`grid-42:${suffix}`);
    }
  });

  it('RST-10 two slots with identical n and role never collide; indexes are unique per (slot, n, role)', () => {
    const seen = new Map<number, string>();
    for (const slot of [1, 2, 255]) {
      for (const n of [1, 2, 3, 255, 256, 65_536, MAX_N]) {
        for (const [r] of ALL_ROLES) {
          const index = encodeClientIndex(slot, n, r);
          const key = `${slot}/${orderName(n, r)}`;
          expect(seen.get(index) ?? key).toBe(key);
          seen.set(index, key);
          expect(index).toBeGreaterThanOrEqual(1);
          expect(index).toBeLessThanOrEqual(2 ** 48 - 1);
        }
      }
    }
    expect(seen.size).toBe(3 * 7 * ALL_ROLES.length);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: MAX_N }), roleArb, (a, b, n, r) => {
        fc.pre(a !== b);
        expect(encodeClientIndex(a, n, r)).not.toBe(encodeClientIndex(b, n, r));
      }),
    );
  });
});
