/**
 * Raw configuration values as they come out of YAML, and how to print them in messages.
 *
 * YAML numbers are read as `YamlNumber`, which keeps the scalar's source text next to the
 * parsed float, so `0.1` reaches the schema as the text '0.1' and decimal fields never go
 * through binary floating point. Plain JS numbers (presets built in code, flags) are
 * accepted too.
 *
 * Invariant: `describeValue` prints scalars only; mappings and lists are summarised, so a
 * nested secret cannot leak through an error message.
 */

export class YamlNumber {
  constructor(
    /** The float YAML parsed (used for integer fields and range pre-checks only). */
    readonly value: number,
    /** The scalar exactly as written in the file, e.g. '0.10', '1e3', '0x1F'. */
    readonly source: string,
  ) {}
  toString(): string {
    return this.source;
  }
  toJSON(): number {
    return this.value;
  }
}

export type RawValue = unknown;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof YamlNumber);
}

/** How a value appears in an error message: scalars verbatim (strings quoted), containers summarised. */
export function describeValue(v: unknown): string {
  if (v instanceof YamlNumber) return v.source;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') {
    const shown = v.length > 40 ? `${v.slice(0, 37)}...` : v;
    return JSON.stringify(shown);
  }
  if (typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}

/** The type name used in "expected …" messages. */
export function typeName(v: unknown): string {
  if (v instanceof YamlNumber || typeof v === 'number') return 'a number';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'boolean') return 'a boolean';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return typeof v;
}
