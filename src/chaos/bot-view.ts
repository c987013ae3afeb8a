/**
 * The bot's view for the chaos checks (invariants.ts `BotView`), from its persisted snapshot,
 * through the variant registry: the variant's `status()` gives the venue position and the
 * tracked total; what the bot owns on the venue comes from the variant's own records.
 *
 * - dynamic grid: the entry in flight (`context.entry`, 0 or 1) and each tracked position with
 *   its exit, as `status()` lists them; the tracked total is unsigned (Σ remaining).
 * - range grid: every level child (`snapshot.children["level:<i>"]`, falling back to the
 *   root's summary of it) — its entry while the level does not know it terminal (one per armed
 *   level: many live entries), and, for a level that holds a leg, a position numbered by its
 *   entry's n with the ns its exits used, the leg (entry filled − Σ exit fills) and its exit
 *   orders not known terminal. The tracked total is the signed level ledger (+ long, − short);
 *   `closedFlat` when its risk region halted after a close (legs released).
 *
 * Invariants: pure (no I/O); an order the bot already holds to be terminal is not owned (a
 * live venue order it forgot is an orphan); decimals stay exact strings.
 */
import type { BotStatus } from '../runtime/status.ts';
import { Dec, fmt } from '../domain/decimal.ts';
import type { OrderRecord } from '../../machines/shared/types.ts';
import type { LevelContext, LevelSummary, RangeGridContext } from '../../machines/variants/range-grid/types.ts';
import type { GridContext } from '../../machines/grid/types.ts';
import type { BotView } from './invariants.ts';

/** A persisted root snapshot as the store holds it (children with their own snapshots). */
export interface PersistedSnapshot {
  status?: string;
  value: unknown;
  context: unknown;
  children?: Record<string, { snapshot?: { context?: unknown } } | undefined>;
}

const terminal = (s: OrderRecord['status']) => s === 'filled' || s === 'canceled';

export function dynamicGridView(snap: PersistedSnapshot, status: BotStatus): BotView {
  const ctx = snap.context as GridContext;
  return {
    venuePosition: status.venuePosition,
    trackedSize: status.trackedSize,
    entryClientIndexes: ctx.entry ? [ctx.entry.clientIndex] : [],
    positions: status.positions.map((p) => ({ n: p.n, size: p.size, remaining: p.remaining, exitClientIndex: p.exit?.clientIndex ?? null })),
  };
}

/** What one level owns and holds, from its child context (or the root's summary when the child is missing). */
function levelRecords(summary: LevelSummary, child: LevelContext | undefined): { entry: OrderRecord | LevelSummary['entry']; exits: Array<{ clientIndex: number; status: OrderRecord['status']; filled?: string }>; ns: number[]; remaining: string } {
  if (child) {
    const exited = child.exits.reduce((t, o) => t.plus(o.filled), new Dec(0));
    const remaining = child.entry ? fmt(new Dec(child.entry.filled).minus(exited)) : '0';
    return { entry: child.entry, exits: child.exits, ns: child.ns, remaining };
  }
  return { entry: summary.entry, exits: summary.exit ? [summary.exit] : [], ns: summary.ns, remaining: fmt(new Dec(summary.held).abs()) };
}

export function rangeGridView(snap: PersistedSnapshot, status: BotStatus): BotView {
  const ctx = snap.context as RangeGridContext;
  const entryClientIndexes: number[] = [];
  const positions: BotView['positions'] = [];
  for (const s of Object.values(ctx.levels).sort((a, b) => a.level - b.level)) {
    const child = snap.children?.[`level:${s.level}`]?.snapshot?.context as LevelContext | undefined;
    const r = levelRecords(s, child);
    if (r.entry && !terminal(r.entry.status)) entryClientIndexes.push(r.entry.clientIndex);
    const liveExits = r.exits.filter((o) => !terminal(o.status)).map((o) => o.clientIndex);
    // A level holds when its entry filled more than its exits did (the summary's `held` is 0 once idle).
    if (!r.entry || new Dec(r.remaining).isZero() || s.state === 'idle') {
      // Nothing held: an exit still live here has no leg behind it; not owned (checkFinal names it).
      continue;
    }
    const n = r.ns[0] ?? s.n ?? 0;
    positions.push({
      n,
      size: r.entry.filled,
      remaining: r.remaining,
      exitClientIndex: liveExits.at(-1) ?? null,
      ns: r.ns.length > 0 ? r.ns : [n],
      ownedClientIndexes: liveExits,
    });
  }
  const closedFlat = ctx.risk.phase === 'halted' && ctx.risk.mode === 'close';
  return { venuePosition: status.venuePosition, trackedSize: status.trackedSize, trackedSigned: true, ...(closedFlat ? { closedFlat } : {}), entryClientIndexes, positions };
}

/** The chaos view of a persisted snapshot of `kind` (status from the variant's `status()`). */
export function botViewOf(kind: string, snap: PersistedSnapshot, status: (s: PersistedSnapshot) => BotStatus): BotView {
  const st = status(snap);
  if (kind === 'range-grid') return rangeGridView(snap, st);
  if (kind === 'dynamic-grid') return dynamicGridView(snap, st);
  throw new Error(`the chaos harness has no view of variant ${kind}`);
}
