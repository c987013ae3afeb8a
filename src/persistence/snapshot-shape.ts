/**
 * The shape a stored snapshot must have before it may be restored into a root actor: a
 * valid envelope can still carry a snapshot with wrong types inside (a hand edit, a bug of
 * another build, a foreign tool writing the same key). Restoring one would half-load the bot
 * (e.g. a position counter "abc" numbering positions "grid-abc0", or `positions: 5` cancelling
 * our own exits as orphans), so it is refused before any actor exists.
 *
 * Invariants:
 * - Checks only what XState needs to restore (an active machine snapshot: status, state
 *   value, context object, children with their snapshots) and the root-context fields the
 *   runtime and every variant rely on, when present: the position counter, the slot, the
 *   tracked positions (integer n, decimal sizes and prices), realized PnL, the clocks.
 * - Never throws on any input: returns the problems found (empty when restorable), each
 *   naming the path, what was found (shortened) and what is expected.
 */
import { z } from 'zod';

const DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const decimal = z.string().regex(DECIMAL, 'expected a decimal string');
const count = z.number().int('expected an integer').min(1, 'expected an integer ≥ 1').max(Number.MAX_SAFE_INTEGER, 'expected a safe integer');
const time = z.number().refine((n) => Number.isFinite(n), 'expected a finite number');

type StateValue = string | { [k: string]: StateValue };
const stateValue: z.ZodType<StateValue> = z.lazy(() => z.union([z.string(), z.record(z.string(), stateValue)], { error: 'expected a state name or a mapping of state names' }));

const positionSummary = z.looseObject({
  n: count,
  size: decimal,
  remaining: decimal.optional(),
  entryPrice: decimal.optional(),
  realizedPnl: decimal.optional(),
});

const rootContext = z.looseObject({
  nextN: count.optional(),
  slot: z.number().int('expected an integer').min(1).max(255).optional(),
  leverage: z.number().positive('expected a number > 0').optional(),
  params: z.looseObject({}).optional(),
  market: z.looseObject({}).optional(),
  positions: z.record(z.string(), positionSummary).optional(),
  realizedPnl: decimal.optional(),
  now: time.optional(),
  startedAt: time.optional(),
  lastFillAt: time.optional(),
  risk: z.looseObject({}).optional(),
});

const child = z.looseObject({ src: z.string(), snapshot: z.looseObject({}) });

const machineSnapshot = (context: z.ZodType, status: z.ZodType) =>
  z.looseObject({
    status,
    value: stateValue,
    context,
    children: z.record(z.string(), child),
    historyValue: z.record(z.string(), z.unknown()).optional(),
  });

const rootSnapshot = machineSnapshot(rootContext, z.literal('active', { error: 'expected "active" (a failed or stopped actor is never restored)' }));
const childMachine = machineSnapshot(z.looseObject({ n: count.nullable().optional() }), z.enum(['active', 'done']));

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function at(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function problemsOf(schema: z.ZodType, value: unknown, prefix: string): string[] {
  const r = schema.safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].join('.');
    return `${path}: found ${show(at(value, i.path))}, ${i.message.replace(/^Invalid input: /, '')}`;
  });
}

/** The problems that make `snapshot` unrestorable (at most 5), or [] when it may be restored. */
export function snapshotProblems(snapshot: unknown): string[] {
  const problems = problemsOf(rootSnapshot, snapshot, 'snapshot');
  if (problems.length === 0) {
    const children = (snapshot as { children: Record<string, { snapshot: Record<string, unknown> }> }).children;
    for (const [id, c] of Object.entries(children)) {
      // Machine children (positions) must be restorable machine snapshots too; promise and
      // callback actors carry only their input.
      if ('value' in c.snapshot || 'context' in c.snapshot) problems.push(...problemsOf(childMachine, c.snapshot, `snapshot.children.${id}.snapshot`));
    }
  }
  return problems.length > 5 ? [...problems.slice(0, 5), `and ${problems.length - 5} more`] : problems;
}
