/**
 * Exact conversion between decimal strings and the simulator's integer units (price ticks,
 * size steps), plus the Decimal flavour used for money arithmetic.
 *
 * Invariants:
 * - A value that is not an exact multiple of the step is refused with
 *   VenueError('rejected') naming the value and the step; nothing is ever rounded.
 * - Parsing uses BigInt, formatting uses integer string surgery: no floats touch a price or
 *   size, and formatting is cheap enough for the book hot path (one per BBO field).
 * - Integer units stay within Number.MAX_SAFE_INTEGER (checked on parse).
 */
import { Decimal } from 'decimal.js';
import { VenueError } from '../types.ts';

/** Decimal with room for exact money maths; plain notation for every magnitude we meet. */
export const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
export type Dec = InstanceType<typeof D>;

const DEC_RE = /^(\d+)(?:\.(\d+))?$/;

/** A step such as "0.01": value = units × step. */
export interface Scale {
  readonly step: string;
  /** step = mult × 10^-decimals with integer mult. */
  readonly decimals: number;
  readonly mult: number;
  /** Parses a non-negative decimal string into units; rejects off-grid values. */
  toUnits(value: string, what: string): number;
  /** Formats units as a decimal string with exactly `decimals` fraction digits. */
  format(units: number): string;
  /** Units as an exact Decimal. */
  dec(units: number): Dec;
}

export function makeScale(step: string, label: string): Scale {
  const m = DEC_RE.exec(step);
  if (!m) throw new Error(`${label} "${step}" is not a plain positive decimal`);
  const frac = (m[2] ?? '').replace(/0+$/, '');
  const decimals = frac.length;
  const multBig = BigInt(m[1] + frac);
  if (multBig <= 0n) throw new Error(`${label} "${step}" must be > 0`);
  const mult = Number(multBig);
  const pow10 = 10n ** BigInt(decimals);

  function toUnits(value: string, what: string): number {
    if (typeof value !== 'string') {
      throw new VenueError('rejected', `${what} ${String(value)} is not a decimal string`, { reason: 'invalid-number' });
    }
    const vm = DEC_RE.exec(value);
    if (!vm) throw new VenueError('rejected', `${what} "${value}" is not a plain non-negative decimal`, { reason: 'invalid-number' });
    const vf = vm[2] ?? '';
    const v = BigInt(vm[1] + vf);
    const s = vf.length;
    // value = v × 10^-s; units = value / (mult × 10^-decimals) = v × 10^decimals / (mult × 10^s)
    const num = v * pow10;
    const den = multBig * 10n ** BigInt(s);
    if (num % den !== 0n) {
      throw new VenueError('rejected', `${what} ${value} is not a multiple of ${label} ${step}`, { reason: 'off-grid' });
    }
    const units = num / den;
    if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new VenueError('rejected', `${what} ${value} is too large`, { reason: 'too-large' });
    }
    return Number(units);
  }

  function format(units: number): string {
    const n = units * mult;
    const neg = n < 0;
    let s = String(neg ? -n : n);
    if (decimals > 0) {
      if (s.length <= decimals) s = '0'.repeat(decimals - s.length + 1) + s;
      s = s.slice(0, s.length - decimals) + '.' + s.slice(s.length - decimals);
    }
    return neg ? '-' + s : s;
  }

  return { step, decimals, mult, toUnits, format, dec: (units: number) => new D(format(units)) };
}

/** Money string: rounded to 10 places (half-even), plain notation, at least 2 fraction digits. */
export function money(d: Dec): string {
  const r = d.toDecimalPlaces(10);
  return r.toFixed(Math.max(2, r.decimalPlaces()));
}

/** Price-like string with at least `minDp` fraction digits (exact when it terminates within minDp + 8). */
export function priceLike(d: Dec, minDp: number): string {
  const r = d.toDecimalPlaces(minDp + 8);
  return r.toFixed(Math.max(minDp, r.decimalPlaces()));
}
