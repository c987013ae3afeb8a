/**
 * The client-index scheme (grid-strategy.md §2), fixed for ever because indexes are
 * persisted and live on the venue:
 *
 *     index = slot × 2^40 + n × 2^8 + role
 *
 * slot 1..255 (the bot instance), n 1..2^32−1 (position number from a durable counter that
 * never resets), role 0..255 (what the order is for). The index alone names its owner, also
 * for fills of orders this process never saw. Indexes stay below 2^48 (Lighter's limit) and
 * therefore are exact JavaScript numbers.
 *
 * Roles: 1 entry, 2 close, 3–5 close-retry-1..3, 6–8 ladder-1..3, 16–79 market-exit-1..64,
 * 80–143 refresh-1..64, 200 flatten, 201 stop-loss close, 202 stop-price close.
 */

export const SLOT_FACTOR = 2 ** 40;
export const N_FACTOR = 2 ** 8;
export const MAX_N = 2 ** 32 - 1;
export const MAX_CLIENT_INDEX = 2 ** 48 - 1;

export const ROLE = {
  entry: 1,
  close: 2,
  closeRetryBase: 2, // close-retry-k = 2 + k (k = 1..3)
  ladderBase: 5, // ladder-leg = 5 + leg (leg = 1..3)
  marketExitBase: 15, // market-exit-a = 15 + a (a = 1..64)
  refreshBase: 79, // refresh-m = 79 + m (m = 1..64)
  flatten: 200,
  stopLossClose: 201,
  stopPriceClose: 202,
} as const;

export const MAX_CLOSE_RETRIES = 3;
export const MAX_MARKET_EXITS = 64;
export const MAX_REFRESHES = 64;
export const MAX_LADDER_LEGS = 3;

export type RoleKind =
  | 'entry'
  | 'close'
  | 'close-retry'
  | 'ladder'
  | 'market-exit'
  | 'refresh'
  | 'flatten'
  | 'stop-loss-close'
  | 'stop-price-close';

export interface Role {
  kind: RoleKind;
  /** k for close-retry, leg for ladder, a for market-exit, m for refresh; 0 otherwise. */
  seq: number;
}

export interface DecodedIndex {
  slot: number;
  n: number;
  role: Role;
  /** Raw role code 0..255. */
  code: number;
}

export function roleCode(role: Role): number {
  const { kind, seq } = role;
  switch (kind) {
    case 'entry':
      return ROLE.entry;
    case 'close':
      return ROLE.close;
    case 'close-retry':
      checkSeq(kind, seq, MAX_CLOSE_RETRIES);
      return ROLE.closeRetryBase + seq;
    case 'ladder':
      checkSeq(kind, seq, MAX_LADDER_LEGS);
      return ROLE.ladderBase + seq;
    case 'market-exit':
      checkSeq(kind, seq, MAX_MARKET_EXITS);
      return ROLE.marketExitBase + seq;
    case 'refresh':
      checkSeq(kind, seq, MAX_REFRESHES);
      return ROLE.refreshBase + seq;
    case 'flatten':
      return ROLE.flatten;
    case 'stop-loss-close':
      return ROLE.stopLossClose;
    case 'stop-price-close':
      return ROLE.stopPriceClose;
  }
}

function checkSeq(kind: string, seq: number, max: number): void {
  if (!Number.isInteger(seq) || seq < 1 || seq > max) {
    throw new RangeError(`role ${kind} sequence ${seq} is outside 1..${max}`);
  }
}

/** Role for a code, or null for reserved codes. */
export function roleFromCode(code: number): Role | null {
  if (code === ROLE.entry) return { kind: 'entry', seq: 0 };
  if (code === ROLE.close) return { kind: 'close', seq: 0 };
  if (code >= 3 && code <= 5) return { kind: 'close-retry', seq: code - ROLE.closeRetryBase };
  if (code >= 6 && code <= 8) return { kind: 'ladder', seq: code - ROLE.ladderBase };
  if (code >= 16 && code <= 79) return { kind: 'market-exit', seq: code - ROLE.marketExitBase };
  if (code >= 80 && code <= 143) return { kind: 'refresh', seq: code - ROLE.refreshBase };
  if (code === ROLE.flatten) return { kind: 'flatten', seq: 0 };
  if (code === ROLE.stopLossClose) return { kind: 'stop-loss-close', seq: 0 };
  if (code === ROLE.stopPriceClose) return { kind: 'stop-price-close', seq: 0 };
  return null;
}

export function encodeClientIndex(slot: number, n: number, role: Role): number {
  if (!Number.isInteger(slot) || slot < 1 || slot > 255) throw new RangeError(`instance slot ${slot} is outside 1..255`);
  if (!Number.isInteger(n) || n < 1 || n > MAX_N) throw new RangeError(`position number ${n} is outside 1..${MAX_N}`);
  return slot * SLOT_FACTOR + n * N_FACTOR + roleCode(role);
}

/** Decodes an index of the scheme; null when it is not one (a hand-placed order, say). */
export function decodeClientIndex(index: number): DecodedIndex | null {
  if (!Number.isSafeInteger(index) || index < 1 || index > MAX_CLIENT_INDEX) return null;
  const slot = Math.floor(index / SLOT_FACTOR);
  const rest = index - slot * SLOT_FACTOR;
  const n = Math.floor(rest / N_FACTOR);
  const code = rest - n * N_FACTOR;
  if (slot < 1 || n < 1) return null;
  const role = roleFromCode(code);
  if (!role) return null;
  return { slot, n, role, code };
}

/** Human name of an order, e.g. `grid-7:close-retry-2`. */
export function orderName(n: number, role: Role): string {
  const suffix = role.seq > 0 ? `${role.kind}-${role.seq}` : role.kind;
  return `grid-${n}:${suffix}`;
}

export function positionId(n: number): string {
  return `grid-${n}`;
}

/** Name of an index, or `#<index>` for an index outside the scheme. */
export function describeIndex(index: number): string {
  const d = decodeClientIndex(index);
  return d ? orderName(d.n, d.role) : `#${index}`;
}

export const role = {
  entry: (): Role => ({ kind: 'entry', seq: 0 }),
  close: (): Role => ({ kind: 'close', seq: 0 }),
  closeRetry: (k: number): Role => ({ kind: 'close-retry', seq: k }),
  ladder: (leg: number): Role => ({ kind: 'ladder', seq: leg }),
  marketExit: (a: number): Role => ({ kind: 'market-exit', seq: a }),
  refresh: (m: number): Role => ({ kind: 'refresh', seq: m }),
  flatten: (): Role => ({ kind: 'flatten', seq: 0 }),
  stopLossClose: (): Role => ({ kind: 'stop-loss-close', seq: 0 }),
  stopPriceClose: (): Role => ({ kind: 'stop-price-close', seq: 0 }),
};
