/**
 * What the dashboard shows, computed from a running bot: the control status (gate and its
 * reasons, positions, exits, PnL, position size), the active states of the root regions and
 * of every child actor (position children), the statechart outlines of the root and of each
 * child machine (chart.ts), and the ladder of the book around the grid with our orders.
 *
 * The venue port streams the book top only (adapters/types.ts), so the ladder is the best
 * bid / ask plus every price where we have an order (the entry in flight, each exit) or an
 * open position's entry price, sorted high to low — exact decimal strings, compared with
 * decimal.js.
 *
 * Invariants: read-only (never sends to the bot); plain JSON out; no secrets (the status and
 * the machine outlines carry none; the control token is never part of a view).
 */
import { Dec } from '../../domain/decimal.ts';
import { controlStatus, type ControlStatus, type ControlTarget, type OperatorEvent } from '../control-server.ts';
import { activeIds, chartOf, valueText, type ChartNode, type StateNodeLike } from './chart.ts';

/** A live child actor, as read from `snapshot.children`. */
export interface ChildActorLike {
  id: string;
  logic?: unknown;
  getSnapshot(): { value?: unknown; status?: string };
}

/** The live root snapshot, as read here (a Bot's `snapshot()` satisfies it). */
export interface RootSnapshotLike {
  can: (ev: OperatorEvent) => boolean;
  value: unknown;
  status?: string;
  machine?: { root: StateNodeLike; id?: string; implementations?: { actors?: Record<string, unknown> } };
  children?: Record<string, ChildActorLike | undefined>;
}

/** What the dashboard drives and reads: a Bot satisfies it. */
export interface DashboardTarget extends ControlTarget {
  snapshot(): RootSnapshotLike;
}

export interface LadderOrder {
  /** `entry`, `exit`, or `position` (an open position's entry price). */
  kind: 'entry' | 'exit' | 'position';
  name: string;
  side: string;
  size: string;
  detail: string;
}

export interface LadderRow {
  price: string;
  bid: boolean;
  ask: boolean;
  /** Whether the price is above mid (null: no book). */
  aboveMid: boolean | null;
  orders: LadderOrder[];
}

export interface ChildView {
  id: string;
  /** The machine id of its logic (which chart draws it). */
  machine: string;
  value: string;
  active: string[];
  status: string;
}

export interface DashboardView {
  running: boolean;
  status: ControlStatus | null;
  /** Root region → its state (`entry` → `waitingForFill`). */
  regions: Record<string, string>;
  rootActive: string[];
  children: ChildView[];
  ladder: LadderRow[];
  mid: string | null;
}

export interface Charts {
  /** The root machine's id (`grid`). */
  root: string;
  charts: Record<string, ChartNode>;
}

interface MachineLike {
  id: string;
  root: StateNodeLike;
}

function isMachine(x: unknown): x is MachineLike {
  return typeof x === 'object' && x !== null && typeof (x as MachineLike).id === 'string' && typeof (x as { root?: unknown }).root === 'object' && (x as { root?: unknown }).root !== null;
}

/**
 * The outlines of the root machine and of every child machine it can spawn (the state
 * machines among its provided actors) plus those of children already alive.
 */
export function chartsOf(snap: RootSnapshotLike): Charts {
  const charts: Record<string, ChartNode> = {};
  const root = snap.machine;
  if (!root) return { root: '', charts };
  const rootId = root.id ?? root.root.id;
  charts[rootId] = chartOf(root.root);
  for (const logic of Object.values(root.implementations?.actors ?? {})) {
    if (isMachine(logic) && !charts[logic.id]) charts[logic.id] = chartOf(logic.root);
  }
  for (const child of Object.values(snap.children ?? {})) {
    if (child && isMachine(child.logic) && !charts[child.logic.id]) charts[child.logic.id] = chartOf(child.logic.root);
  }
  return { root: rootId, charts };
}

function childViews(snap: RootSnapshotLike): ChildView[] {
  const out: ChildView[] = [];
  for (const child of Object.values(snap.children ?? {})) {
    if (!child || !isMachine(child.logic)) continue;
    const s = child.getSnapshot();
    out.push({ id: child.id, machine: child.logic.id, value: valueText(s.value), active: activeIds(child.logic.root.id, s.value), status: s.status ?? 'active' });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** Book top plus our orders and open positions, one row per price, high to low. */
export function ladderOf(status: ControlStatus): LadderRow[] {
  const rows = new Map<string, LadderRow>();
  const mid = status.book ? new Dec(status.book.bid).plus(status.book.ask).div(2) : null;
  const row = (price: string): LadderRow => {
    const key = new Dec(price).toFixed();
    let r = rows.get(key);
    if (!r) {
      r = { price: key, bid: false, ask: false, aboveMid: mid ? new Dec(key).gt(mid) : null, orders: [] };
      rows.set(key, r);
    }
    return r;
  };
  if (status.book) {
    row(status.book.bid).bid = true;
    row(status.book.ask).ask = true;
  }
  if (status.entry) {
    const e = status.entry;
    row(e.price).orders.push({ kind: 'entry', name: e.name, side: e.side, size: e.size, detail: `${e.status}${new Dec(e.filled).isZero() ? '' : `, filled ${e.filled}`}` });
  }
  for (const p of status.positions) {
    row(p.entryPrice).orders.push({ kind: 'position', name: p.name, side: 'held', size: p.remaining, detail: p.state });
    if (p.exit && p.exit.status !== 'filled' && p.exit.status !== 'canceled') {
      row(p.exit.price).orders.push({ kind: 'exit', name: p.exitName ?? p.name, side: 'exit', size: p.exit.size, detail: `${p.exit.type} ${p.exit.status}` });
    }
  }
  return [...rows.values()].sort((a, b) => new Dec(b.price).comparedTo(a.price));
}

export function viewOf(target: DashboardTarget | undefined): DashboardView {
  if (!target || !target.running) return { running: false, status: null, regions: {}, rootActive: [], children: [], ladder: [], mid: null };
  const snap = target.snapshot();
  const status = controlStatus(target);
  const rootId = snap.machine ? (snap.machine.id ?? snap.machine.root.id) : 'root';
  const regions: Record<string, string> = {};
  if (snap.value && typeof snap.value === 'object') {
    for (const [k, v] of Object.entries(snap.value as Record<string, unknown>)) regions[k] = valueText(v);
  } else regions.root = valueText(snap.value);
  const mid = status.book ? new Dec(status.book.bid).plus(status.book.ask).div(2).toFixed() : null;
  return { running: true, status, regions, rootActive: activeIds(rootId, snap.value), children: childViews(snap), ladder: ladderOf(status), mid };
}
