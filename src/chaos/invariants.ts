/**
 * The chaos invariants as pure functions over the venue's records (the source of truth) and,
 * for the final check, the bot's persisted view. They serve both variants the harness runs
 * (`--variant dynamic-grid | range-grid`); what differs is stated per check below and in
 * docs/reliability.md.
 *
 * - `checkVenue` (cheap, polled during the run): the position never has the sign against the
 *   grid direction (not checked on a neutral range grid: it holds long and short legs);
 *   resting reduce-only size ≤ |position|; resting exits ≤ the bound (dynamic grid:
 *   max_orders, counting live reduce-only limit orders of the slot; range grid: the number of
 *   levels that can hold a leg — grid_count, grid_count + 1 neutral — counting live limit
 *   orders of the slot whose role is an exit, since neutral exits are not reduce-only);
 *   range grid only: live entries of the slot ≤ max_resting_orders, and per n the unfilled
 *   size of its live exits ≤ its entry fills − its exit fills; no two live orders share a
 *   client index.
 * - `checkFinal` (after the graceful stop that follows the last fault): every entry fill is
 *   covered by exactly one tracked position (entry fills − exit fills of its position numbers =
 *   its remaining) or closed (its exits filled it, a whole-bot close filled after it, or — range
 *   grid — the bot completed its close procedure and the venue is flat: a neutral grid's legs
 *   that net to zero are released without a market order); no tracked position without an entry fill; no live order of the
 *   slot that neither a live entry nor a tracked position owns; the bot's view of the position
 *   equals the venue's and the tracked total equals it (dynamic grid: unsigned total =
 *   |position|; range grid: the signed level ledger = the signed position).
 *
 * A range-grid "position" is a holding level's round trip: its entry is under the n the root
 * granted for it, its exits under that n (close, close-retry, refresh roles) and — after 68
 * exits — under fresh ns the level lists in `ns`; so its exit fills are summed over `ns`.
 *
 * Invariants of this module: no I/O, no clock; every size is compared with decimal.js; each
 * violation names its invariant and the numbers that break it.
 */
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import { Dec, type DecValue } from '../domain/decimal.ts';

export type InvariantName =
  | 'position-sign'
  | 'reduce-only-exceeds-position'
  | 'resting-exits-exceed-max-orders'
  | 'live-entries-exceed-max-resting'
  | 'exit-exceeds-leg'
  | 'duplicate-live-client-index'
  | 'entry-fill-not-covered'
  | 'tracked-without-fill'
  | 'orphan-order'
  | 'position-view'
  | 'tracked-total'
  | 'snapshot-loads'
  | 'bot-exit'
  | 'bot-error'
  | 'not-reconciled';

export interface Violation {
  invariant: InvariantName;
  detail: string;
}

/** What the venue holds for the bot account in the grid's market, and the bounds to check. */
export interface VenueRecords {
  /** Grid direction; 'neutral' (range grid only) skips the position-sign check. */
  direction: 'buy' | 'sell' | 'neutral';
  slot: number;
  /** Bound on resting exits: max_orders (dynamic grid), grid_count or grid_count + 1 (range grid). */
  maxOrders: number;
  /** Name of that bound in messages (default "max_orders"). */
  maxOrdersName?: string;
  /**
   * How resting exits are counted: 'reduce-only' (default; the dynamic grid's exits are its
   * live reduce-only limit orders) or 'role' (range grid: live limit orders of the slot whose
   * role is not entry and not a whole-bot close).
   */
  exitsBy?: 'reduce-only' | 'role';
  /** Range grid: at most this many live entries of the slot (max_resting_orders); absent = not checked. */
  maxEntries?: number;
  /** Signed position size (decimal string). */
  position: string;
  liveOrders: VenueOrder[];
  fills: VenueFill[];
  /**
   * Venue time of the sample (the clock of fill times). With it, the reduce-only check skips
   * the FLATTEN_CANCEL_GRACE_MS after a fill of a whole-bot close: the strategy closes the
   * position first and cancels the exits after (grid-strategy §5 stop-loss), so for one cancel
   * round trip exits rest against a smaller position. Without it (the final check) nothing is skipped.
   */
  now?: number;
  /**
   * Times the bot could not act (venue clock): from a kill -9 to its restart's reconciliation
   * (`until` absent while that has not happened yet). A close fill's grace is extended past any
   * such interval that starts inside it: a killed bot cancels nothing, and the restarted one
   * gets the same grace from the moment it has reconciled (chaos seed 1 run 415).
   */
  botDown?: Array<{ from: number; until?: number }>;
}

/** How long exits may outlive a whole-bot close's fill (the cancels of the flatten sequence). */
export const FLATTEN_CANCEL_GRACE_MS = 2_000;

/** The bot's persisted view (from the variant's status and, for the range grid, its level children). */
export interface BotView {
  venuePosition: string;
  /**
   * Tracked total: unsigned Σ remaining, compared with |venue position| (dynamic grid); with
   * `trackedSigned`, the signed ledger (+ long legs, − short legs), compared with the signed
   * venue position (range grid).
   */
  trackedSize: string;
  trackedSigned?: boolean;
  /**
   * Range grid: the bot's close procedure completed (risk halted after a close-mode trigger:
   * every level cancelled, the venue position closed to zero by market orders — or found zero
   * already, as when a neutral grid's long and short legs net out — and the legs released). It
   * stays halted to the end of the run, so with a flat venue every untracked leg counts as closed.
   */
  closedFlat?: boolean;
  /** Client indexes of every live entry the bot owns (dynamic grid: 0 or 1; range grid: one per armed level). */
  entryClientIndexes: number[];
  positions: Array<{
    n: number;
    size: string;
    remaining: string;
    exitClientIndex: number | null;
    /** Position numbers whose exit fills count against this position (default [n]). */
    ns?: number[];
    /** Further client indexes this position owns (earlier exits not yet known terminal). */
    ownedClientIndexes?: number[];
  }>;
}

/** Roles that close the whole bot's position (not one n). */
const WHOLE_BOT = new Set(['flatten', 'stop-loss-close', 'stop-price-close']);

const ours = (slot: number, clientIndex: number) => decodeClientIndex(clientIndex)?.slot === slot;

function isExitOrder(v: VenueRecords, o: VenueOrder): boolean {
  if (o.type !== 'limit' || !ours(v.slot, o.clientIndex)) return false;
  if ((v.exitsBy ?? 'reduce-only') === 'reduce-only') return o.reduceOnly;
  const kind = decodeClientIndex(o.clientIndex)!.role.kind;
  return kind !== 'entry' && !WHOLE_BOT.has(kind);
}

/**
 * A whole-bot close of the slot filled less than FLATTEN_CANCEL_GRACE_MS of bot uptime before
 * `v.now`: the grace of a fill at t ends at t + grace, or at grace after the end of a `botDown`
 * interval that began before that (repeatedly, for a restart killed again).
 */
function inFlattenGrace(v: VenueRecords): boolean {
  if (v.now === undefined) return false;
  const now = v.now;
  const down = [...(v.botDown ?? [])].sort((a, b) => a.from - b.from);
  return v.fills.some((f) => {
    const d = decodeClientIndex(f.clientIndex);
    if (d === null || d.slot !== v.slot || !WHOLE_BOT.has(d.role.kind)) return false;
    let ends = f.time + FLATTEN_CANCEL_GRACE_MS;
    for (const i of down) {
      if (i.from > ends || (i.until !== undefined && i.until < f.time)) continue;
      ends = Math.max(ends, (i.until ?? Infinity) + FLATTEN_CANCEL_GRACE_MS);
    }
    return now <= ends;
  });
}

export function checkVenue(v: VenueRecords): Violation[] {
  const out: Violation[] = [];
  const pos = new Dec(v.position);
  if ((v.direction === 'buy' && pos.isNegative()) || (v.direction === 'sell' && pos.gt(0))) {
    out.push({ invariant: 'position-sign', detail: `venue position ${pos.toFixed()} is against the ${v.direction === 'buy' ? 'long' : 'short'} grid` });
  }
  const reduceOnly = v.liveOrders.filter((o) => o.reduceOnly);
  const resting = reduceOnly.reduce((t, o) => t.plus(o.size).minus(o.filledSize), new Dec(0));
  if (resting.gt(pos.abs()) && !inFlattenGrace(v)) out.push({ invariant: 'reduce-only-exceeds-position', detail: `resting reduce-only size ${resting.toFixed()} > |venue position| ${pos.abs().toFixed()}` });
  const exits = v.liveOrders.filter((o) => isExitOrder(v, o)).length;
  if (exits > v.maxOrders) {
    const what = (v.exitsBy ?? 'reduce-only') === 'reduce-only' ? 'resting reduce-only limit orders' : 'resting exit orders';
    out.push({ invariant: 'resting-exits-exceed-max-orders', detail: `${exits} ${what} > ${v.maxOrdersName ?? 'max_orders'} ${v.maxOrders}` });
  }
  if (v.maxEntries !== undefined) {
    const entries = v.liveOrders.filter((o) => ours(v.slot, o.clientIndex) && decodeClientIndex(o.clientIndex)!.role.kind === 'entry').length;
    if (entries > v.maxEntries) out.push({ invariant: 'live-entries-exceed-max-resting', detail: `${entries} live entry orders > max_resting_orders ${v.maxEntries}` });
  }
  if (v.exitsBy === 'role') out.push(...exitsWithinLegs(v));
  const seen = new Set<number>();
  for (const o of v.liveOrders) {
    if (seen.has(o.clientIndex)) out.push({ invariant: 'duplicate-live-client-index', detail: `two live orders share client index ${o.clientIndex}` });
    seen.add(o.clientIndex);
  }
  return out;
}

/**
 * Range grid, per position number n: the unfilled size of n's live exits ≤ n's entry fills −
 * n's exit fills (no level exits more than its leg — the double-exit check that also covers
 * neutral grids, whose exits are not reduce-only). An n without entry fills (a level's fresh n
 * after its exit roles ran out) is not judged here; checkFinal covers it through `ns`.
 */
function exitsWithinLegs(v: VenueRecords): Violation[] {
  const resting = new Map<number, DecValue>();
  for (const o of v.liveOrders) {
    if (!isExitOrder(v, o)) continue;
    const n = decodeClientIndex(o.clientIndex)!.n;
    resting.set(n, (resting.get(n) ?? new Dec(0)).plus(o.size).minus(o.filledSize));
  }
  if (resting.size === 0) return [];
  const entered = new Map<number, DecValue>();
  const exited = new Map<number, DecValue>();
  for (const f of v.fills) {
    const d = decodeClientIndex(f.clientIndex);
    if (!d || d.slot !== v.slot || !resting.has(d.n) || WHOLE_BOT.has(d.role.kind)) continue;
    const m = d.role.kind === 'entry' ? entered : exited;
    m.set(d.n, (m.get(d.n) ?? new Dec(0)).plus(f.size));
  }
  const out: Violation[] = [];
  for (const [n, size] of resting) {
    const filled = entered.get(n);
    if (!filled) continue;
    const leg = filled.minus(exited.get(n) ?? 0);
    if (size.gt(leg)) out.push({ invariant: 'exit-exceeds-leg', detail: `grid-${n}: live exits rest ${size.toFixed()} > its leg ${leg.toFixed()} (entry fills ${filled.toFixed()} − exit fills ${(exited.get(n) ?? new Dec(0)).toFixed()})` });
  }
  return out;
}

export function checkFinal(v: VenueRecords, bot: BotView): Violation[] {
  const out: Violation[] = [];
  const pos = new Dec(v.position);
  if (!new Dec(bot.venuePosition).eq(pos)) out.push({ invariant: 'position-view', detail: `the bot sees venue position ${bot.venuePosition}, the venue holds ${pos.toFixed()}` });
  if (bot.trackedSigned) {
    if (!new Dec(bot.trackedSize).eq(pos)) out.push({ invariant: 'tracked-total', detail: `level ledger ${bot.trackedSize} ≠ venue position ${pos.toFixed()}` });
  } else if (!new Dec(bot.trackedSize).eq(pos.abs())) out.push({ invariant: 'tracked-total', detail: `tracked total ${bot.trackedSize} ≠ |venue position| ${pos.abs().toFixed()}` });

  // Every entry fill: covered by exactly one tracked position, or closed.
  const entry = new Map<number, DecValue>();
  const exit = new Map<number, DecValue>();
  const lastEntryFill = new Map<number, number>();
  let lastWholeBotClose = -Infinity;
  for (const f of v.fills) {
    const d = decodeClientIndex(f.clientIndex);
    if (!d || d.slot !== v.slot) continue;
    if (WHOLE_BOT.has(d.role.kind)) {
      lastWholeBotClose = Math.max(lastWholeBotClose, f.time);
      continue;
    }
    const m = d.role.kind === 'entry' ? entry : exit;
    m.set(d.n, (m.get(d.n) ?? new Dec(0)).plus(f.size));
    if (d.role.kind === 'entry') lastEntryFill.set(d.n, Math.max(lastEntryFill.get(d.n) ?? -Infinity, f.time));
  }
  const tracked = new Map<number, BotView['positions'][number]>();
  for (const p of bot.positions) {
    if (tracked.has(p.n)) out.push({ invariant: 'entry-fill-not-covered', detail: `grid-${p.n} is tracked twice` });
    tracked.set(p.n, p);
  }
  for (const [n, filled] of entry) {
    const p = tracked.get(n);
    const ns = p?.ns ?? [n];
    const exited = ns.reduce((t, k) => t.plus(exit.get(k) ?? 0), new Dec(0));
    const open = filled.minus(exited);
    const exitsText = ns.length > 1 ? `exit fills of n ${ns.join(', ')}` : 'exit fills';
    if (p) {
      if (!open.eq(p.remaining)) out.push({ invariant: 'entry-fill-not-covered', detail: `grid-${n}: entry fills ${filled.toFixed()} − ${exitsText} ${exited.toFixed()} = ${open.toFixed()}, tracked remaining ${p.remaining}` });
    } else if (!open.isZero() && !(lastWholeBotClose >= lastEntryFill.get(n)!) && !(bot.closedFlat && pos.isZero())) {
      out.push({ invariant: 'entry-fill-not-covered', detail: `grid-${n}: ${open.toFixed()} of its entry fills (${filled.toFixed()}) is neither tracked nor closed` });
    }
  }
  for (const p of bot.positions) {
    if (!entry.has(p.n) && !new Dec(p.remaining).isZero()) out.push({ invariant: 'tracked-without-fill', detail: `grid-${p.n} tracks ${p.remaining} without an entry fill on the venue` });
  }

  // Every live order of the slot is owned by a live entry or a tracked position's exit.
  const owned = new Set<number>(bot.entryClientIndexes);
  for (const p of bot.positions) {
    if (p.exitClientIndex !== null) owned.add(p.exitClientIndex);
    for (const ci of p.ownedClientIndexes ?? []) owned.add(ci);
  }
  for (const o of v.liveOrders) {
    if (!ours(v.slot, o.clientIndex) || owned.has(o.clientIndex)) continue;
    const d = decodeClientIndex(o.clientIndex)!;
    out.push({ invariant: 'orphan-order', detail: `live ${o.reduceOnly ? 'reduce-only ' : ''}${o.side} ${o.size}@${o.price} (grid-${d.n} ${d.role.kind}, client index ${o.clientIndex}) is owned by no tracked position or entry` });
  }
  return out;
}
