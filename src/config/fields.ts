/**
 * Zod field builders for configuration keys. Each field validates one raw value (a
 * `YamlNumber`, number, string, boolean…) and emits an issue whose message names the value
 * and what is allowed (`0 is out of range; allowed 1..1000`); the key path is added by the
 * formatter. `mapping()` builds a strict object: unknown keys are issues with a
 * "did you mean" hint, never dropped.
 *
 * Invariants: decimal fields output canonical decimal strings (decimal.js `toFixed()`, no
 * exponent, no trailing zeros) built from the YAML source text, never from a float;
 * integer fields output JS integers; a missing required key is reported as required.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import { YamlNumber, describeValue, isPlainObject, typeName } from './values.ts';
import { unknownKeyMessage } from './keys.ts';

type Ctx = z.core.$RefinementCtx<unknown>;

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER as never;
}

const DECIMAL_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Most significant digits, and largest power of ten, a decimal field accepts. */
const MAX_DECIMAL_DIGITS = 40;

/** Bounds of a numeric field. `text` is how the range is shown: '1..1000', '(0, 100]', '> 0', '≥ 1'. */
export interface Bounds {
  readonly gt?: string;
  readonly gte?: string;
  readonly lte?: string;
  readonly text: string;
}

interface FieldOpts<T> {
  /** Value when the key is absent; omit for optional keys. */
  readonly default?: T;
  /** Report a missing key as required. */
  readonly required?: boolean;
}

/** Exact decimal text of a raw value, or undefined if it is not a finite number. */
export function decimalText(v: unknown): string | undefined {
  let text: string | undefined;
  if (v instanceof YamlNumber) {
    if (!Number.isFinite(v.value)) return undefined;
    text = DECIMAL_TEXT.test(v.source.trim()) ? v.source.trim() : String(v.value);
  } else if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    text = String(v);
  } else if (typeof v === 'string') {
    text = v.trim();
  }
  if (text === undefined || !DECIMAL_TEXT.test(text)) return undefined;
  const d = new Decimal(text);
  // Bound the canonical form (`1e100000` would expand to 100,001 characters).
  if (Math.abs(d.e) > MAX_DECIMAL_DIGITS || d.sd() > MAX_DECIMAL_DIGITS) return undefined;
  return d.toFixed();
}

function inBounds(d: Decimal, b: Bounds): boolean {
  if (b.gt !== undefined && !d.gt(b.gt)) return false;
  if (b.gte !== undefined && !d.gte(b.gte)) return false;
  if (b.lte !== undefined && !d.lte(b.lte)) return false;
  return true;
}

/** Absent key: the default, or a "required" issue saying what to give. */
function missing<T>(ctx: Ctx, opts: FieldOpts<T>, expected: string): T | undefined {
  if (opts.required) return fail(ctx, `required key is missing; expected ${expected}`);
  return opts.default;
}

/** "… has the wrong type" message; containers are named, never printed. */
export function wrongType(v: unknown, expected: string): string {
  const shown = typeof v === 'object' && v !== null && !(v instanceof YamlNumber) ? `is ${typeName(v)}` : `${describeValue(v)} has the wrong type (${typeName(v)})`;
  return `${shown}; expected ${expected}`;
}

function outOfRange(ctx: Ctx, v: unknown, b: Bounds): never {
  return fail(ctx, `${describeValue(v)} is out of range; allowed ${b.text}`);
}

/** A price, size or percentage: output is a canonical decimal string. */
export function decimalField(b: Bounds, opts: { default: string }): z.ZodType<string, unknown>;
export function decimalField(b: Bounds, opts: { required: true }): z.ZodType<string, unknown>;
export function decimalField(b: Bounds, opts?: object): z.ZodType<string | undefined, unknown>;
export function decimalField(b: Bounds, opts: FieldOpts<string> = {}): z.ZodType<string | undefined, unknown> {
  return z.unknown().transform((v, ctx): string | undefined => {
    if (v === undefined) return missing(ctx, opts, `a decimal number ${b.text}`);
    const text = decimalText(v);
    if (text === undefined) {
      return fail(ctx, wrongType(v, `a decimal number ${b.text} (at most ${MAX_DECIMAL_DIGITS} digits)`));
    }
    if (!inBounds(new Decimal(text), b)) return outOfRange(ctx, v, b);
    return text;
  });
}

function numberValue(v: unknown): number | undefined {
  if (v instanceof YamlNumber) return Number.isFinite(v.value) ? v.value : undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return undefined;
}

/** An integer (counts, leverage, indexes): range is checked before integrality. */
export function intField(b: Bounds, opts: { default: number }): z.ZodType<number, unknown>;
export function intField(b: Bounds, opts: { required: true }): z.ZodType<number, unknown>;
export function intField(b: Bounds, opts?: object): z.ZodType<number | undefined, unknown>;
export function intField(b: Bounds, opts: FieldOpts<number> = {}): z.ZodType<number | undefined, unknown> {
  return z.unknown().transform((v, ctx): number | undefined => {
    if (v === undefined) return missing(ctx, opts, `an integer ${b.text}`);
    const n = numberValue(v);
    if (n === undefined) {
      return fail(ctx, wrongType(v, `an integer ${b.text}`));
    }
    if (!inBounds(new Decimal(n), b)) return outOfRange(ctx, v, b);
    if (!Number.isInteger(n)) return fail(ctx, `${describeValue(v)} is not an integer; expected an integer ${b.text}`);
    if (!Number.isSafeInteger(n)) return fail(ctx, `${describeValue(v)} is too large to be exact; expected an integer ${b.text} (at most ${Number.MAX_SAFE_INTEGER})`);
    return n;
  });
}

/** A duration (seconds, minutes) that may have decimals: output is a JS number. */
export function durationField(b: Bounds, opts: { default: number }): z.ZodType<number, unknown> {
  return z.unknown().transform((v, ctx): number => {
    if (v === undefined) return opts.default;
    const n = numberValue(v);
    if (n === undefined) {
      return fail(ctx, wrongType(v, `a number ${b.text}`));
    }
    if (!inBounds(new Decimal(n), b)) return outOfRange(ctx, v, b);
    return n;
  });
}

/** One of a fixed set of words. */
export function enumField<const T extends string>(values: readonly T[], opts: { default: T }): z.ZodType<T, unknown>;
export function enumField<const T extends string>(values: readonly T[], opts: { required: true }): z.ZodType<T, unknown>;
export function enumField<const T extends string>(values: readonly T[], opts: FieldOpts<T>): z.ZodType<T | undefined, unknown> {
  const allowed = values.join(', ');
  return z.unknown().transform((v, ctx): T | undefined => {
    if (v === undefined) return missing(ctx, opts, `one of ${allowed}`);
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    if (typeof v === 'object' && v !== null && !(v instanceof YamlNumber)) return fail(ctx, wrongType(v, `one of ${allowed}`));
    return fail(ctx, `${describeValue(v)} is not allowed; allowed ${allowed}`);
  });
}

export function boolField(opts: { default: boolean }): z.ZodType<boolean, unknown> {
  return z.unknown().transform((v, ctx): boolean => {
    if (v === undefined) return opts.default;
    if (typeof v === 'boolean') return v;
    return fail(ctx, wrongType(v, 'true or false'));
  });
}

/** A non-empty single-line string (symbols, paths, URLs). `pattern` narrows it further. */
export function textField(
  what: string,
  opts: { required?: boolean; pattern?: RegExp; maxLength?: number } = {},
): z.ZodType<string | undefined, unknown> {
  const max = opts.maxLength ?? 2048;
  return z.unknown().transform((v, ctx): string | undefined => {
    if (v === undefined) return opts.required ? fail(ctx, `required key is missing; expected ${what}`) : undefined;
    if (typeof v !== 'string') return fail(ctx, wrongType(v, what));
    if (v.trim() === '' || /[\r\n]/.test(v) || v.length > max) {
      return fail(ctx, `${describeValue(v)} is not allowed; expected ${what}`);
    }
    if (opts.pattern && !opts.pattern.test(v)) return fail(ctx, `${describeValue(v)} is not allowed; expected ${what}`);
    return v.trim();
  });
}

type Shape = Record<string, z.ZodType<unknown, unknown>>;
type Out<S extends Shape> = { [K in keyof S]: z.output<S[K]> };

/**
 * A strict mapping of the given fields. Not a mapping → one issue; unknown keys → one issue
 * each (at the key's path, with a "did you mean" hint, value not shown); then every field
 * is validated (absent keys are passed as undefined, so fields apply their defaults or
 * report "required") and all problems are reported at once.
 */
export function mapping<S extends Shape>(shape: S, what = 'a mapping of keys'): z.ZodType<Out<S>, unknown> {
  const known = Object.keys(shape);
  return z.unknown().transform((v, ctx): Out<S> => {
    if (!isPlainObject(v)) return fail(ctx, wrongType(v, what));
    let bad = false;
    for (const key of Object.keys(v)) {
      if (!Object.hasOwn(shape, key)) {
        bad = true;
        ctx.addIssue({ code: 'custom', message: unknownKeyMessage(key, known), path: [key] });
      }
    }
    const out: Record<string, unknown> = {};
    for (const key of known) {
      const r = shape[key].safeParse(Object.hasOwn(v, key) ? v[key] : undefined);
      if (r.success) {
        out[key] = r.data;
      } else {
        bad = true;
        for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path] });
      }
    }
    if (bad) return z.NEVER as never;
    return out as Out<S>;
  });
}

/** Parse `v` with `schema` inside another transform, forwarding its issues (paths kept relative). */
export function parseInto<T>(schema: z.ZodType<T, unknown>, v: unknown, ctx: Ctx): T {
  const r = schema.safeParse(v);
  if (r.success) return r.data;
  for (const issue of r.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  return z.NEVER as never;
}
