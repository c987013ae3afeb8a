/**
 * A JSON status view of a running bot, derived from the root snapshot only: every machine's
 * state, the entry in flight, tracked positions with their exits, admission refusal reasons,
 * venue position and PnL. Used by the paper status line, `grid-bot status` and tests.
 */
import { describeIndex } from '../domain/client-index.ts';
import { Dec } from '../domain/decimal.ts';
import { stateName } from '../../machines/position/machine.ts';
import type { GridContext } from '../../machines/grid/types.ts';
import type { PositionSummary } from '../../machines/shared/types.ts';

export interface LevelStatus {
  level: number;
  state: string;
  side: string | null;
  held: string;
  entry: { name: string; price: string; status: string } | null;
  exit: { name: string; price: string; status: string } | null;
  roundTrips: number;
  profit: string;
}

export interface BotStatus {
  /** Strategy variant kind (absent in snapshots of older builds = dynamic-grid). */
  variant?: string;
  now: number;
  lifecycle: string;
  entryState: string;
  /** Admission gate: open, or the reasons nothing is being placed. */
  gate: { open: boolean; reasons: string[] };
  paused: boolean;
  entry: null | { name: string; side: string; price: string; size: string; filled: string; status: string };
  positions: Array<PositionSummary & { name: string; exitName: string | null }>;
  restingExits: number;
  trackedSize: string;
  venuePosition: string;
  avgEntry: string;
  realizedPnl: string;
  unrealizedPnl: string;
  nextN: number;
  book: GridContext['book'];
  /** Range grid: one line per live level (absent for the dynamic grid). */
  levels?: LevelStatus[];
}

interface SnapshotLike {
  value: unknown;
  context: GridContext;
}

export function buildStatus(snap: SnapshotLike): BotStatus {
  const ctx = snap.context;
  const value = snap.value as Record<string, unknown>;
  const positions = Object.values(ctx.positions)
    .sort((a, b) => a.n - b.n)
    .map((p) => ({ ...p, name: `grid-${p.n}`, exitName: p.exit ? describeIndex(p.exit.clientIndex) : null }));
  const tracked = positions.reduce((s, p) => s.plus(p.remaining), new Dec(0));
  const resting = positions.filter((p) => p.exit && p.exit.type === 'limit' && p.exit.status === 'open').length;
  let unrealized = new Dec(0);
  if (ctx.book && !new Dec(ctx.venue.size).isZero()) {
    const mid = new Dec(ctx.book.bid).plus(ctx.book.ask).div(2);
    unrealized = mid.minus(ctx.venue.avgEntry).times(ctx.venue.size);
  }
  return {
    variant: 'dynamic-grid',
    now: ctx.now,
    lifecycle: stateName(value.lifecycle),
    entryState: stateName(value.entry),
    gate: ctx.gate,
    paused: ctx.paused,
    entry: ctx.entry
      ? { name: describeIndex(ctx.entry.clientIndex), side: ctx.entry.side, price: ctx.entry.price, size: ctx.entry.size, filled: ctx.entry.filled, status: ctx.entry.status }
      : null,
    positions,
    restingExits: resting,
    trackedSize: tracked.toFixed(),
    venuePosition: ctx.venue.size,
    avgEntry: ctx.venue.avgEntry,
    realizedPnl: ctx.realizedPnl,
    unrealizedPnl: unrealized.toFixed(),
    nextN: ctx.nextN,
    book: ctx.book,
  };
}
