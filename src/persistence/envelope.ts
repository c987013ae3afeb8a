/**
 * The versioned snapshot envelope (runtime-design.md "Persistence"): one per bot key,
 * stored as the JSON text of
 *
 *     { format: 'gridchart.snapshot', formatVersion: 1, machineVersion, bot, savedAt, snapshot }
 *
 * under `gridchart:<venue>:<account>:<market>:<slot>`.
 *
 * Invariants:
 * - Loading is all or nothing: `decodeEnvelope`/`parseEnvelope` either return a fully
 *   validated envelope/snapshot or throw `SnapshotRefusedError` (exit code 2). The checks run
 *   in a fixed order — JSON, format, formatVersion, schema, machineVersion, bot identity — so
 *   a future format is reported as "unknown version", not as a pile of schema errors.
 * - Every refusal message names what was found and what is supported/expected.
 * - Decoding never writes: a refused value stays in the store exactly as it was (RST-07).
 * - `encodeEnvelope` is the only way an envelope becomes stored text (a plain JSON string).
 */
import { z } from 'zod';

export const ENVELOPE_FORMAT = 'gridchart.snapshot';
export const ENVELOPE_FORMAT_VERSION = 1;
/** Refused snapshots stop the process with this exit code. */
export const SNAPSHOT_REFUSED_EXIT_CODE = 2;

export interface BotIdentity {
  venue: string;
  account: string;
  market: string;
  /** Client-index instance slot, 1..255. */
  slot: number;
  variant: string;
}

export interface Envelope<S = unknown> {
  format: typeof ENVELOPE_FORMAT;
  formatVersion: typeof ENVELOPE_FORMAT_VERSION;
  machineVersion: number;
  bot: BotIdentity;
  /** Epoch ms at which the snapshot was taken. */
  savedAt: number;
  snapshot: S;
}

export interface ExpectedEnvelope {
  /** The machine version(s) this build can restore. */
  machineVersion: number | readonly number[];
  bot: BotIdentity;
}

export type RefusalReason = 'corrupted' | 'format' | 'formatVersion' | 'machineVersion' | 'identity';

export class SnapshotRefusedError extends Error {
  readonly exitCode = SNAPSHOT_REFUSED_EXIT_CODE;
  constructor(
    readonly reason: RefusalReason,
    readonly detail: string,
    readonly key?: string,
  ) {
    super(
      `Refusing to load the snapshot${key ? ` at ${key}` : ''}: ${detail}. Nothing was loaded and ` +
        `the store is unchanged; start with --rebuild-from-venue to rebuild from the venue instead.`,
    );
    this.name = 'SnapshotRefusedError';
  }
}

const KEY_PART = /^[^:\s]+$/;
const keyPart = (what: string) =>
  z.string().regex(KEY_PART, `${what} must be non-empty, without ':' or whitespace`);

export const BotIdentitySchema = z.strictObject({
  venue: keyPart('venue'),
  account: keyPart('account'),
  market: keyPart('market'),
  slot: z.number().int().min(1).max(255),
  variant: z.string().min(1),
});

const EnvelopeSchema = z.object({
  format: z.literal(ENVELOPE_FORMAT),
  formatVersion: z.literal(ENVELOPE_FORMAT_VERSION),
  machineVersion: z.number().int().nonnegative(),
  bot: BotIdentitySchema,
  savedAt: z.number().int().nonnegative(),
  snapshot: z.unknown().refine((v) => v !== undefined, 'snapshot is missing'),
});

const IDENTITY_FIELDS = ['venue', 'account', 'market', 'slot', 'variant'] as const;

/** The store key of one bot: `gridchart:<venue>:<account>:<market>:<slot>`. */
export function botKey(id: Pick<BotIdentity, 'venue' | 'account' | 'market' | 'slot'>): string {
  const parts = { venue: id.venue, account: id.account, market: id.market, slot: id.slot };
  const checked = BotIdentitySchema.pick({ venue: true, account: true, market: true, slot: true }).safeParse(parts);
  if (!checked.success) throw new Error(`botKey: invalid bot identity: ${formatIssues(checked.error.issues)}`);
  return `gridchart:${id.venue}:${id.account}:${id.market}:${id.slot}`;
}

export function makeEnvelope<S>(args: {
  machineVersion: number;
  bot: BotIdentity;
  savedAt: number;
  snapshot: S;
}): Envelope<S> {
  return {
    format: ENVELOPE_FORMAT,
    formatVersion: ENVELOPE_FORMAT_VERSION,
    machineVersion: args.machineVersion,
    bot: { ...args.bot },
    savedAt: args.savedAt,
    snapshot: args.snapshot,
  };
}

/** The stored text of an envelope. Throws if the snapshot is not JSON-serialisable. */
export function encodeEnvelope(envelope: Envelope): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(envelope);
  } catch (err) {
    throw new Error(`snapshot for ${describeBot(envelope.bot)} is not JSON-serialisable: ${(err as Error).message}`);
  }
  if (text === undefined) throw new Error(`snapshot for ${describeBot(envelope.bot)} is not JSON-serialisable`);
  return text;
}

/** Validate stored text against what this build expects; returns the whole envelope. */
export function decodeEnvelope(raw: unknown, expected: ExpectedEnvelope, key?: string): Envelope {
  const refuse = (reason: RefusalReason, detail: string): never => {
    throw new SnapshotRefusedError(reason, detail, key);
  };
  if (typeof raw !== 'string') refuse('corrupted', `corrupted envelope: stored value is a ${typeof raw}, not JSON text`);
  let value: unknown;
  try {
    value = JSON.parse(raw as string);
  } catch (err) {
    refuse('corrupted', `corrupted envelope: not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    refuse('corrupted', `corrupted envelope: expected a JSON object, found ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const obj = value as Record<string, unknown>;
  if (obj.format !== ENVELOPE_FORMAT) {
    refuse('format', `unknown format: found ${show(obj.format)}, supported ${show(ENVELOPE_FORMAT)}`);
  }
  if (obj.formatVersion !== ENVELOPE_FORMAT_VERSION) {
    refuse('formatVersion', `unknown formatVersion: found ${show(obj.formatVersion)}, supported ${ENVELOPE_FORMAT_VERSION}`);
  }
  const parsed = EnvelopeSchema.safeParse(obj);
  if (!parsed.success) refuse('corrupted', `corrupted envelope: ${formatIssues(parsed.error!.issues)}`);
  const env = parsed.data as Envelope;

  const supported = Array.isArray(expected.machineVersion)
    ? (expected.machineVersion as readonly number[])
    : [expected.machineVersion as number];
  if (!supported.includes(env.machineVersion)) {
    refuse('machineVersion', `unknown machineVersion: found ${env.machineVersion}, supported ${supported.join(', ')}`);
  }
  const diffs = IDENTITY_FIELDS.filter((f) => env.bot[f] !== expected.bot[f]).map(
    (f) => `${f}: found ${show(env.bot[f])}, expected ${show(expected.bot[f])}`,
  );
  if (diffs.length > 0) refuse('identity', `snapshot belongs to another bot (${diffs.join('; ')})`);
  return env;
}

/** Validate stored text and return only the snapshot (see `decodeEnvelope`). */
export function parseEnvelope(raw: unknown, expected: ExpectedEnvelope, key?: string): unknown {
  return decodeEnvelope(raw, expected, key).snapshot;
}

function describeBot(b: BotIdentity): string {
  return `${b.venue}:${b.account}:${b.market}:${b.slot}`;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .concat(issues.length > 5 ? [`and ${issues.length - 5} more`] : [])
    .join('; ');
}
