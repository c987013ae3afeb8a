/**
 * The Lighter simulator's state as one JSON record: what a restarted venue must remember so
 * a bot that reconnects meets the same exchange (`startLighterSim({ restore })`,
 * `server.snapshot()`).
 *
 * Contents: markets and the matching engine (books, resting and ended orders of the bot
 * account with their client indexes and expiries, positions, realized PnL and fees, fills),
 * the wire identities (order indexes, remapped engine indexes), trades and transactions
 * (REST catch-up), block height and hash/order counters, accounts with their API keys
 * (PUBLIC keys only) and next nonces, scheduled cancel-all, revoked auth tokens, the order
 * book feed's nonce sequence, the price drivers (seeded generator position) and the clock
 * time it was taken at.
 *
 * Not kept (by design): open WebSocket connections and subscriptions (clients reconnect),
 * queued test faults, and the request/transaction inspection logs.
 *
 * Invariants:
 * - Plain JSON: prices, sizes and money are decimal strings or integer venue units; the
 *   record survives JSON.stringify / JSON.parse unchanged.
 * - Taking a snapshot has no side effect on the simulator (no flush, no generator draw).
 * - `checkSnapshot` refuses anything else with a message naming the field.
 */
import { z } from 'zod';
import type { PriceDriverState } from '../../adapters/sim/index.ts';
import type { AccountsState } from './accounts.ts';
import type { BookFeedState } from './book-feed.ts';
import type { ExchangeState } from './exchange.ts';

export const SNAPSHOT_FORMAT = 'gridchart.lighter-sim';
export const SNAPSHOT_VERSION = 1;

export interface LighterSimSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: typeof SNAPSHOT_VERSION;
  /** Clock time (epoch ms) the snapshot was taken at. */
  clockNow: number;
  seed: number;
  chainId: number;
  botAccount: number;
  backgroundAccount: number;
  accounts: AccountsState;
  exchange: ExchangeState;
  feed: BookFeedState;
  drivers: PriceDriverState[];
}

const int = z.number().int();
const schema = z.looseObject({
  format: z.literal(SNAPSHOT_FORMAT),
  version: z.literal(SNAPSHOT_VERSION),
  clockNow: int.nonnegative(),
  seed: int,
  chainId: int,
  botAccount: int.positive(),
  backgroundAccount: int.positive(),
  accounts: z.looseObject({
    maxLifetimeSec: int.positive(),
    accounts: z.array(z.looseObject({ index: int.positive(), keys: z.array(z.looseObject({ apiKeyIndex: int, publicKey: z.string(), next: int.nonnegative() })) })).min(1),
    revoked: z.array(z.string()),
  }),
  exchange: z.looseObject({
    height: int,
    trades: z.array(z.unknown()),
    txs: z.array(z.unknown()),
    orders: z.array(z.looseObject({ orderIndex: int, marketIndex: int, filledQuote: z.string() })),
    engineIndex: z.array(z.tuple([int, int])),
    coiIndex: z.array(z.tuple([int, int])),
    suppressed: z.array(int),
    engine: z.looseObject({ version: z.literal(1), markets: z.array(z.looseObject({ config: z.looseObject({ info: z.looseObject({ symbol: z.string() }) }) })).min(1) }),
  }),
  feed: z.looseObject({ rng: int, markets: z.array(z.unknown()) }),
  drivers: z.array(z.looseObject({ config: z.looseObject({ market: z.string() }), rng: int, running: z.boolean() })),
});

/** Validates a stored snapshot; throws an Error naming the first problems (`what` = where it came from). */
export function checkSnapshot(value: unknown, what = 'Lighter simulator snapshot'): LighterSimSnapshot {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    throw new Error(`${what} is not usable: ${issues}`);
  }
  return value as LighterSimSnapshot;
}
