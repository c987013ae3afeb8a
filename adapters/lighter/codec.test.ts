import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CodecError,
  fromWirePrice,
  fromWireSize,
  initialMarginFractionToLeverage,
  leverageToInitialMarginFraction,
  toWireInt,
  toWirePrice,
  toWireSize,
  unitOf,
} from './codec.ts';

describe('codec: integer scaling', () => {
  it('VEN-08 1.000 at 100.04 encodes to BaseAmount 1000 and Price 10004 (size 3 dp, price 2 dp)', () => {
    expect(toWireSize('1.000', 3)).toBe(1000);
    expect(toWirePrice('100.04', 2)).toBe(10004);
    expect(toWirePrice('100.00', 2)).toBe(10000);
    expect(toWirePrice('100', 2)).toBe(10000);
  });

  it('VEN-08 0.01 at 83453.0 encodes to 1000 and 834530 (size 5 dp, price 1 dp)', () => {
    expect(toWireSize('0.01', 5)).toBe(1000);
    expect(toWirePrice('83453.0', 1)).toBe(834530);
  });

  it('VEN-08 off-grid price 100.005 and size 0.0005 are refused, naming the value and the tick/step', () => {
    expect(() => toWirePrice('100.005', 2)).toThrow(CodecError);
    expect(() => toWirePrice('100.005', 2)).toThrow(/price 100\.005 is off the grid.*tick 0\.01.*refusing to round/);
    expect(() => toWireSize('0.0005', 3)).toThrow(/size 0\.0005 is off the grid.*step 0\.001/);
  });

  it('accepts trailing zeros beyond the decimals (on the grid), never rounds', () => {
    expect(toWireSize('1.0000000', 3)).toBe(1000);
    expect(toWirePrice('0.10', 1)).toBe(1);
  });

  it('rejects signs, exponents, floats and out-of-range values', () => {
    for (const bad of ['-1', '1e3', ' ', '', '1.', '.5', 'NaN', '0x10']) expect(() => toWireSize(bad, 3)).toThrow(CodecError);
    expect(() => toWirePrice(100.04 as unknown as string, 2)).toThrow(/decimal string/);
    expect(() => toWirePrice('0', 2)).toThrow(/out of range/);
    expect(() => toWirePrice('42949672.96', 2)).toThrow(/out of range/); // 2^32
    expect(toWirePrice('42949672.95', 2)).toBe(2 ** 32 - 1);
    expect(() => toWireSize('0', 3)).toThrow(/out of range/);
    expect(toWireSize('0', 3, { allowZero: true })).toBe(0);
    expect(() => toWireSize('1'.padEnd(41, '0'), 3)).toThrow(/out of range/); // 10^40
    expect(toWireInt('1'.padEnd(41, '0'), 3)).toBe(10n ** 43n);
  });

  it('fromWire pads to the market decimals and round-trips exactly', () => {
    expect(fromWirePrice(10004, 2)).toBe('100.04');
    expect(fromWireSize(1000, 3)).toBe('1.000');
    expect(fromWireSize(5, 3)).toBe('0.005');
    expect(fromWirePrice('1152921504606846975', 0)).toBe('1152921504606846975');
    expect(fromWireSize(0n, 2)).toBe('0.00');
    expect(unitOf(0)).toBe('1');
    expect(unitOf(3)).toBe('0.001');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 8 }), (n, d) => toWirePrice(fromWirePrice(n, d), d) === n),
    );
  });
});

describe('codec: leverage', () => {
  it('RSK-11 leverage 50 → InitialMarginFraction 200, 20 → 500, 10 → 1000', () => {
    expect(leverageToInitialMarginFraction(50)).toBe(200);
    expect(leverageToInitialMarginFraction(20)).toBe(500);
    expect(leverageToInitialMarginFraction(10)).toBe(1000);
    expect(initialMarginFractionToLeverage(200)).toBe(50);
    expect(initialMarginFractionToLeverage(500)).toBe(20);
  });

  it('truncates a non-integer fraction like the official SDK and maps it back to the same leverage', () => {
    expect(leverageToInitialMarginFraction(3)).toBe(3333);
    expect(initialMarginFractionToLeverage(3333)).toBe(3);
    for (let l = 1; l <= 50; l++) expect(initialMarginFractionToLeverage(leverageToInitialMarginFraction(l))).toBe(l);
    expect(() => leverageToInitialMarginFraction(0)).toThrow(/leverage must be an integer/);
    expect(() => leverageToInitialMarginFraction(2.5)).toThrow(/leverage must be an integer/);
  });
});
