/**
 * Exact decimal arithmetic for prices, sizes and money (grid-strategy.md §4).
 *
 * Invariants:
 * - One dedicated decimal.js clone (`Dec`): 40 significant digits, banker's rounding, so
 *   nothing else in the process can change our precision by configuring the global Decimal.
 * - Module edges speak decimal strings. `parseDec` turns a string into a `Dec` (throwing a
 *   message that names the parameter and the value); `fmt` turns a `Dec` back into a plain
 *   string: never exponent notation, trailing zeros trimmed, never "-0".
 * - Sums, differences and products of inputs are exact (well within 40 digits); quotients
 *   are exact when they terminate within 40 digits. Rounding to a tick or step uses integer
 *   division (`divToInt`), which is exact whatever the precision.
 */
import { Decimal } from 'decimal.js';

export const Dec = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
/** An instance of `Dec`. */
export type DecValue = Decimal;

const DECIMAL_STRING = /^-?(\d+(\.\d*)?|\.\d+)$/;

/**
 * Parses a decimal string (plain notation, e.g. '100.04', '-0.5'). Exponent notation,
 * NaN, Infinity, empty strings and non-strings are rejected with a message naming `name`.
 */
export function parseDec(value: string, name: string): DecValue {
  if (typeof value !== 'string' || !DECIMAL_STRING.test(value.trim())) {
    throw new TypeError(`${name} must be a plain decimal string such as '100.04', got ${JSON.stringify(value)}`);
  }
  return new Dec(value.trim());
}

/** Like `parseDec`, but the value must be > 0. */
export function parsePositive(value: string, name: string): DecValue {
  const d = parseDec(value, name);
  if (!d.gt(0)) throw new RangeError(`${name} must be > 0, got '${value}'`);
  return d;
}

/** Like `parseDec`, but the value must be ≥ 0. */
export function parseNonNegative(value: string, name: string): DecValue {
  const d = parseDec(value, name);
  if (d.lt(0)) throw new RangeError(`${name} must be ≥ 0, got '${value}'`);
  return d;
}

/** A `Dec` from a JavaScript integer (counts, leverage, multipliers), checked. */
export function decFromInt(value: number, name: string, min: number): DecValue {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${value}`);
  }
  return new Dec(value);
}

/** Plain decimal string: no exponent, trailing zeros trimmed, zero is '0' (never '-0'). */
export function fmt(d: DecValue): string {
  if (d.isZero()) return '0';
  return d.toFixed();
}

/** Round `value` to a multiple of `unit` (> 0): 'down' = floor, 'up' = ceiling. Exact. */
export function roundToMultiple(value: DecValue, unit: DecValue, mode: 'down' | 'up'): DecValue {
  const q = value.divToInt(unit); // truncates toward zero, exact
  const base = q.mul(unit);
  if (base.eq(value)) return base;
  if (mode === 'down') return value.gt(0) ? base : base.sub(unit);
  return value.gt(0) ? base.add(unit) : base;
}

export function decMin(a: DecValue, b: DecValue): DecValue {
  return a.lte(b) ? a : b;
}

export function decMax(a: DecValue, b: DecValue): DecValue {
  return a.gte(b) ? a : b;
}
