/**
 * Snapshot envelopes and small JSON records over one Keyv<string> (see keyv-store.ts).
 *
 * Invariants:
 * - `load` never writes and never half-loads: it returns a fully validated envelope, `null`
 *   when the key is absent, or throws `SnapshotRefusedError` (the stored value untouched).
 * - Everything is stored as JSON text under the exact key given (no prefixing here).
 * - Keys are at most 255 characters (the SQL backends' key column).
 */
import type { z } from 'zod';
import { decodeEnvelope, encodeEnvelope, type Envelope, type ExpectedEnvelope } from './envelope.ts';

/** The part of Keyv the store uses (a Keyv<string> satisfies it). */
export interface StringKeyValue {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<boolean>;
}

export const MAX_KEY_LENGTH = 255;

/** Key of a paper-mode simulated venue's state: `gridchart:sim:<name>`. */
export function simKey(name: string): string {
  if (!/^[^:\s]+$/.test(name)) throw new Error(`simKey: name ${JSON.stringify(name)} must be non-empty, without ':' or whitespace`);
  return checkKey(`gridchart:sim:${name}`);
}

export class SnapshotStore {
  constructor(private readonly kv: StringKeyValue) {}

  /** The validated envelope, `null` if absent; throws SnapshotRefusedError if unusable. */
  async load(key: string, expected: ExpectedEnvelope): Promise<Envelope | null> {
    const raw = await this.kv.get(checkKey(key));
    if (raw === undefined || raw === null) return null;
    return decodeEnvelope(raw, expected, key);
  }

  async save(key: string, envelope: Envelope): Promise<void> {
    await this.write(key, encodeEnvelope(envelope));
  }

  /** True if something was deleted. */
  async delete(key: string): Promise<boolean> {
    return this.kv.delete(checkKey(key));
  }

  /** The stored text as is (diagnostics, tests proving a refused value is unchanged). */
  async getRaw(key: string): Promise<string | undefined> {
    return (await this.kv.get(checkKey(key))) ?? undefined;
  }

  /** A JSON record; validated by `schema` when given. Throws naming the key if unusable. */
  async get<T = unknown>(key: string, schema?: z.ZodType<T>): Promise<T | undefined> {
    const raw = await this.kv.get(checkKey(key));
    if (raw === undefined || raw === null) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new Error(`stored record ${key} is corrupted: not JSON (${(err as Error).message})`);
    }
    if (!schema) return value as T;
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new Error(`stored record ${key} does not match its schema: ${issues}`);
    }
    return parsed.data;
  }

  async set(key: string, value: unknown): Promise<void> {
    const text = JSON.stringify(value);
    if (text === undefined) throw new Error(`cannot store ${typeof value} under ${key}: not JSON`);
    await this.write(key, text);
  }

  private async write(key: string, text: string): Promise<void> {
    const ok = await this.kv.set(checkKey(key), text);
    if (ok === false) throw new Error(`store rejected the write of ${key}`);
  }
}

function checkKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new Error(`store key must be 1..${MAX_KEY_LENGTH} characters, got ${key.length}: ${key.slice(0, 60)}…`);
  }
  return key;
}
