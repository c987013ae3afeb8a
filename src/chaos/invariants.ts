/**
 * The chaos invariants as pure functions over the venue's records (the source of truth) and,
 * for the final check, the bot's persisted view.
 *
 * - `checkVenue` (cheap, polled during the run): the position never has the sign against the
 *   grid direction; resting reduce-only size ≤ |position|; resting exits ≤ max_orders; no two
 *   live orders share a client index.
 * - `checkFinal` (after the graceful stop that follows the last fault): every entry fill is
 *   covered by exactly one tracked position (entry fills − exit fills = its remaining) or
 *   closed; no tracked position without an entry fill; no live order of the slot that neither
 *   the entry nor a tracked position owns; the bot's view of the position equals the venue's
 *   and the tracked total equals |position|.
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

/** What the venue holds for the bot account in the grid's market. */
export interface VenueRecords {
  direction: 'buy' | 'sell';
  slot: number;
  maxOrders: number;
  /** Signed position size (decimal string). */
  position: string;
  liveOrders: VenueOrder[];
  fills: VenueFill[];
}

/** The bot's persisted view, as `buildStatus` reports it. */
export interface BotView {
  venuePosition: string;
  trackedSize: string;
  entryClientIndex: number | null;
  positions: Array<{ n: number; size: string; remaining: string; exitClientIndex: number | null }>;
}

/** Roles that close the whole bot's position (not one n). */
const WHOLE_BOT = new Set(['flatten', 'stop-loss-close', 'stop-price-close']);

const ours = (slot: number, clientIndex: number) => decodeClientIndex(clientIndex)?.slot === slot;

export function checkVenue(v: VenueRecords): Violation[] {
  const out: Violation[] = [];
  const pos = new Dec(v.position);
  if ((v.direction === 'buy' && pos.isNegative()) || (v.direction === 'sell' && pos.gt(0))) {
    out.push({ invariant: 'position-sign', detail: `venue position ${pos.toFixed()} is against the ${v.direction === 'buy' ? 'long' : 'short'} grid` });
  }
  const reduceOnly = v.liveOrders.filter((o) => o.reduceOnly);
  const resting = reduceOnly.reduce((t, o) => t.plus(o.size).minus(o.filledSize), new Dec(0));
  if (resting.gt(pos.abs())) out.push({ invariant: 'reduce-only-exceeds-position', detail: `resting reduce-only size ${resting.toFixed()} > |venue position| ${pos.abs().toFixed()}` });
  const exits = reduceOnly.filter((o) => o.type === 'limit' && ours(v.slot, o.clientIndex)).length;
  if (exits > v.maxOrders) out.push({ invariant: 'resting-exits-exceed-max-orders', detail: `${exits} resting reduce-only limit orders > max_orders ${v.maxOrders}` });
  const seen = new Set<number>();
  for (const o of v.liveOrders) {
    if (seen.has(o.clientIndex)) out.push({ invariant: 'duplicate-live-client-index', detail: `two live orders share client index ${o.clientIndex}` });
    seen.add(o.clientIndex);
  }
  return out;
}

export function checkFinal(v: VenueRecords, bot: BotView): Violation[] {
  const out: Violation[] = [];
  const pos = new Dec(v.position);
  if (!new Dec(bot.venuePosition).eq(pos)) out.push({ invariant: 'position-view', detail: `the bot sees venue position ${bot.venuePosition}, the venue holds ${pos.toFixed()}` });
  if (!new Dec(bot.trackedSize).eq(pos.abs())) out.push({ invariant: 'tracked-total', detail: `tracked total ${bot.trackedSize} ≠ |venue position| ${pos.abs().toFixed()}` });

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
    const exited = exit.get(n) ?? new Dec(0);
    const open = filled.minus(exited);
    const p = tracked.get(n);
    if (p) {
      if (!open.eq(p.remaining)) out.push({ invariant: 'entry-fill-not-covered', detail: `grid-${n}: entry fills ${filled.toFixed()} − exit fills ${exited.toFixed()} = ${open.toFixed()}, tracked remaining ${p.remaining}` });
    } else if (!open.isZero() && !(lastWholeBotClose >= lastEntryFill.get(n)!)) {
      out.push({ invariant: 'entry-fill-not-covered', detail: `grid-${n}: ${open.toFixed()} of its entry fills (${filled.toFixed()}) is neither tracked nor closed` });
    }
  }
  for (const p of bot.positions) {
    if (!entry.has(p.n) && !new Dec(p.remaining).isZero()) out.push({ invariant: 'tracked-without-fill', detail: `grid-${p.n} tracks ${p.remaining} without an entry fill on the venue` });
  }

  // Every live order of the slot is owned by the entry or a tracked position's exit.
  const owned = new Set<number>();
  if (bot.entryClientIndex !== null) owned.add(bot.entryClientIndex);
  for (const p of bot.positions) if (p.exitClientIndex !== null) owned.add(p.exitClientIndex);
  for (const o of v.liveOrders) {
    if (!ours(v.slot, o.clientIndex) || owned.has(o.clientIndex)) continue;
    const d = decodeClientIndex(o.clientIndex)!;
    out.push({ invariant: 'orphan-order', detail: `live ${o.reduceOnly ? 'reduce-only ' : ''}${o.side} ${o.size}@${o.price} (grid-${d.n} ${d.role.kind}, client index ${o.clientIndex}) is owned by no tracked position or entry` });
  }
  return out;
}
