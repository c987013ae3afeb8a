import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseJsonLossless, quoteUnsafeIntegers, stringifyJsonLossless } from './json.ts';

describe('lossless JSON', () => {
  it('VEN-08 an order index of 1152921504606846975 (2^60 − 1) in a frame is kept exactly', () => {
    const v = parseJsonLossless('{"order_index":1152921504606846975,"client_order_index":1099511628033}') as Record<string, unknown>;
    expect(v.order_index).toBe('1152921504606846975');
    expect(v.client_order_index).toBe(1099511628033);
  });

  it('leaves safe integers, decimals, exponents and strings untouched', () => {
    const text = '{"a":9007199254740991,"b":-9007199254740993,"c":1.5e300,"d":"12345678901234567890","e":"x\\"99999999999999999999","f":[12345678901234567.5]}';
    const v = parseJsonLossless(text) as Record<string, unknown>;
    expect(v.a).toBe(9007199254740991);
    expect(v.b).toBe('-9007199254740993');
    expect(v.c).toBe(1.5e300);
    expect(v.d).toBe('12345678901234567890');
    expect(v.e).toBe('x"99999999999999999999');
    expect(v.f).toEqual([12345678901234567.5]);
    expect(quoteUnsafeIntegers('{"a":1}')).toBe('{"a":1}');
  });

  it('invalid JSON throws like JSON.parse', () => {
    expect(() => parseJsonLossless('<html>')).toThrow(SyntaxError);
  });

  it('stringify writes bigints as bare literals and round-trips through the parser', () => {
    const s = stringifyJsonLossless({ id: 2n ** 60n - 1n, n: 5, s: 'a' });
    expect(s).toBe('{"id":1152921504606846975,"n":5,"s":"a"}');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 63n }), (b) => {
        const back = (parseJsonLossless(stringifyJsonLossless({ b })) as { b: number | string }).b;
        return BigInt(back) === b;
      }),
    );
  });
});
