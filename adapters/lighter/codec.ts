/**
 * Exact conversions between the port's decimal strings and Lighter's wire integers, plus
 * leverage ↔ InitialMarginFraction (protocol notes §4.4, RSK-11, VEN-08).
 *
 * Invariants:
 * - Scaling is done on the digit string with BigInt: no floating point, no rounding. A value
 *   with more significant decimals than the market allows is REJECTED with an error naming
 *   the value and the tick/step (trailing zeros beyond the decimals are fine: "1.0000" at
 *   3 decimals is 1000).
 * - `toWirePrice` / `toWireSize` return a JS `number`: the protocol caps Price at 2^32 − 1
 *   and BaseAmount at 2^48 − 1, both exact in a double, and the signer WASM only takes
 *   numbers. Values outside those ranges are rejected, not wrapped. `toWireInt` gives the
 *   unbounded bigint for other uses.
 * - `fromWire*` return plain decimal strings padded to the market's decimals, as the venue
 *   prints them ("100.04", "1.000").
 * - Lossless JSON helpers live in ./json.ts and are re-exported here.
 */
import { MARGIN_FRACTION_TICK, MAX_WIRE_BASE_AMOUNT, MAX_WIRE_PRICE } from './constants.ts';

export { parseJsonLossless, quoteUnsafeIntegers, stringifyJsonLossless } from './json.ts';

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

function checkDecimals(decimals: number, name: string): void {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 18) {
    throw new CodecError(`${name} decimals must be an integer in [0, 18], got ${String(decimals)}`);
  }
}

/** "0.01" for 2 decimals, "1" for 0. */
export function unitOf(decimals: number): string {
  checkDecimals(decimals, 'unit');
  return decimals === 0 ? '1' : `0.${'0'.repeat(decimals - 1)}1`;
}

/**
 * Scales a non-negative plain decimal string by 10^decimals exactly. `what` names the
 * quantity in errors ("price", "size"); `stepWord` is "tick" or "step".
 */
export function toWireInt(value: string, decimals: number, what = 'value', stepWord = 'step'): bigint {
  checkDecimals(decimals, what);
  if (typeof value !== 'string') throw new CodecError(`${what} must be a decimal string, got ${typeof value} ${String(value)}`);
  const m = PLAIN_DECIMAL.exec(value.trim());
  if (!m) throw new CodecError(`${what} must be a non-negative plain decimal string such as "100.04", got ${JSON.stringify(value)}`);
  const intPart = m[1]!;
  const frac = m[2] ?? '';
  const kept = frac.slice(0, decimals);
  const extra = frac.slice(decimals);
  if (/[1-9]/.test(extra)) {
    throw new CodecError(`${what} ${value} is off the grid: it has more than ${decimals} decimals (${stepWord} ${unitOf(decimals)}); refusing to round`);
  }
  return BigInt(intPart + kept.padEnd(decimals, '0'));
}

function bounded(v: bigint, value: string, what: string, min: number, max: number): number {
  if (v < BigInt(min) || v > BigInt(max)) {
    throw new CodecError(`${what} ${value} is out of range: wire value ${v} is not in [${min}, ${max}]`);
  }
  return Number(v);
}

/** Price string → `Price` (uint32, ≥ 1). */
export function toWirePrice(price: string, priceDecimals: number): number {
  return bounded(toWireInt(price, priceDecimals, 'price', 'tick'), price, 'price', 1, MAX_WIRE_PRICE);
}

/** Size string → `BaseAmount` (≥ 1 unless `allowZero`, ≤ 2^48 − 1). */
export function toWireSize(size: string, sizeDecimals: number, opts: { allowZero?: boolean } = {}): number {
  return bounded(toWireInt(size, sizeDecimals, 'size', 'step'), size, 'size', opts.allowZero ? 0 : 1, MAX_WIRE_BASE_AMOUNT);
}

/** Wire integer (number, bigint or digit string) → decimal string padded to `decimals`. */
export function fromWireInt(value: number | bigint | string, decimals: number, what = 'value'): string {
  checkDecimals(decimals, what);
  let v: bigint;
  if (typeof value === 'bigint') v = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) v = BigInt(value);
  else if (typeof value === 'string' && /^-?\d+$/.test(value)) v = BigInt(value);
  else throw new CodecError(`${what} must be an exact integer, got ${String(value)}`);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(decimals + 1, '0');
  const head = digits.slice(0, digits.length - decimals);
  const tail = digits.slice(digits.length - decimals);
  return `${neg ? '-' : ''}${head}${decimals > 0 ? `.${tail}` : ''}`;
}

export function fromWirePrice(price: number | bigint | string, priceDecimals: number): string {
  return fromWireInt(price, priceDecimals, 'price');
}

export function fromWireSize(size: number | bigint | string, sizeDecimals: number): string {
  return fromWireInt(size, sizeDecimals, 'size');
}

/**
 * Leverage → `InitialMarginFraction` (10000 / leverage): 50 → 200, 20 → 500, 10 → 1000.
 * Leverage must be an integer in [1, 10000]; a fraction that is not an integer is truncated,
 * as the official SDK does (3 → 3333, i.e. 3.0003x).
 */
export function leverageToInitialMarginFraction(leverage: number): number {
  if (!Number.isInteger(leverage) || leverage < 1 || leverage > MARGIN_FRACTION_TICK) {
    throw new CodecError(`leverage must be an integer in [1, ${MARGIN_FRACTION_TICK}], got ${String(leverage)}`);
  }
  return Math.floor(MARGIN_FRACTION_TICK / leverage);
}

/** `InitialMarginFraction` → the nearest whole leverage (3333 → 3, 200 → 50; exact inverse of the above for leverage ≤ 50, Lighter's maximum). */
export function initialMarginFractionToLeverage(fraction: number): number {
  if (!Number.isInteger(fraction) || fraction < 1 || fraction > MARGIN_FRACTION_TICK) {
    throw new CodecError(`initial margin fraction must be an integer in [1, ${MARGIN_FRACTION_TICK}], got ${String(fraction)}`);
  }
  return Math.round(MARGIN_FRACTION_TICK / fraction);
}
