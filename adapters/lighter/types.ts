/**
 * Wire shapes of the Lighter REST and WebSocket payloads gridchart uses, as zod schemas
 * (protocol notes §2.3, §3.1–§3.4). Shared by the adapter (to parse) and the simulator
 * server (its `Wire*` input types are what it must emit).
 *
 * Invariants:
 * - Field names are exactly the venue's (snake_case); extra fields are allowed and kept
 *   (`looseObject`), missing required ones are errors.
 * - Prices, sizes and money are decimal STRINGS (a number where a string is expected is an
 *   error: that is how a float would sneak in).
 * - Ids that can exceed 2^53 (order_index, trade ids, nonces of the book) accept a safe JSON
 *   number or a digit string (as produced by ../json.ts for big literals) and come out as
 *   exact digit strings. Client order indexes (< 2^48) come out as numbers.
 * - Schemas validate shape only; grid/range checks against a market happen in ./parse.ts.
 */
import { z } from 'zod';

/** Signed plain decimal string ("-1.5", "100.04"). */
export const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a plain decimal string');
/** Unsigned plain decimal string. */
export const unsignedDecimalString = z.string().regex(/^\d+(\.\d+)?$/, 'expected a non-negative plain decimal string');
/** An exact integer id: safe number or digit string → digit string. */
export const exactId = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^\d+$/, 'expected a digit string')])
  .transform((v) => String(v));
/** A client order index (0 = none, ≤ 2^48 − 1) from a number or digit string → number. */
export const clientIndex = z
  .union([z.number().int().min(0), z.string().regex(/^\d+$/)])
  .transform((v) => Number(v))
  .pipe(z.number().int().min(0).max(2 ** 48 - 1));
const int = z.number().int();

// ---------------------------------------------------------------------------- orders

export const orderSchema = z.looseObject({
  order_index: exactId,
  client_order_index: clientIndex,
  order_id: z.string().optional(),
  client_order_id: z.string().optional(),
  market_index: int,
  owner_account_index: int,
  initial_base_amount: unsignedDecimalString,
  price: unsignedDecimalString,
  nonce: z.union([int, z.string()]).optional(),
  remaining_base_amount: unsignedDecimalString,
  is_ask: z.boolean(),
  filled_base_amount: unsignedDecimalString,
  filled_quote_amount: unsignedDecimalString.optional(),
  type: z.string(),
  time_in_force: z.string(),
  reduce_only: z.boolean(),
  trigger_price: unsignedDecimalString.optional(),
  order_expiry: int,
  status: z.string(),
  timestamp: int.optional(),
  created_at: int.optional(),
  updated_at: int.optional(),
  transaction_time: int.optional(),
});
export type WireOrder = z.input<typeof orderSchema>;
export type ParsedWireOrder = z.output<typeof orderSchema>;

// ---------------------------------------------------------------------------- trades

export const tradeSchema = z.looseObject({
  trade_id: exactId,
  trade_id_str: z.string().optional(),
  tx_hash: z.string().optional(),
  type: z.string(),
  market_id: int,
  size: unsignedDecimalString,
  price: unsignedDecimalString,
  usd_amount: unsignedDecimalString,
  ask_id: exactId,
  bid_id: exactId,
  ask_client_id: clientIndex.optional(),
  bid_client_id: clientIndex.optional(),
  ask_account_id: int,
  bid_account_id: int,
  is_maker_ask: z.boolean(),
  block_height: int.optional(),
  timestamp: int,
  /** Fee rates in 1e-6 (assumed, notes §9.8); omitted when zero; negative = rebate. */
  taker_fee: int.optional(),
  maker_fee: int.optional(),
  transaction_time: int.optional(),
});
export type WireTrade = z.input<typeof tradeSchema>;
export type ParsedWireTrade = z.output<typeof tradeSchema>;

// ---------------------------------------------------------------------------- account

export const positionSchema = z.looseObject({
  market_id: int,
  symbol: z.string(),
  /** Percent, e.g. "20.00" = 5x. */
  initial_margin_fraction: unsignedDecimalString,
  open_order_count: int.optional(),
  pending_order_count: int.optional(),
  sign: z.union([z.literal(1), z.literal(-1), z.literal(0)]),
  position: unsignedDecimalString,
  avg_entry_price: unsignedDecimalString,
  position_value: unsignedDecimalString.optional(),
  unrealized_pnl: decimalString.optional(),
  realized_pnl: decimalString,
  liquidation_price: unsignedDecimalString.optional(),
  margin_mode: int.optional(),
  allocated_margin: unsignedDecimalString.optional(),
});
export type WirePosition = z.input<typeof positionSchema>;

export const accountSchema = z.looseObject({
  index: int.optional(),
  account_index: int.optional(),
  l1_address: z.string().optional(),
  available_balance: decimalString.optional(),
  collateral: decimalString.optional(),
  status: int.optional(),
  positions: z.array(positionSchema),
});
export type WireAccount = z.input<typeof accountSchema>;

// ---------------------------------------------------------------------------- markets

export const orderBookDetailSchema = z.looseObject({
  symbol: z.string().min(1),
  market_id: int,
  market_type: z.string().optional(),
  status: z.string(),
  /** Percent strings (docs example "0.0300" = 0.03 %). */
  taker_fee: unsignedDecimalString,
  maker_fee: unsignedDecimalString,
  min_base_amount: unsignedDecimalString,
  min_quote_amount: unsignedDecimalString,
  order_quote_limit: unsignedDecimalString.optional(),
  supported_size_decimals: int.optional(),
  supported_price_decimals: int.optional(),
  size_decimals: int.min(0).max(18),
  price_decimals: int.min(0).max(18),
  quote_multiplier: int.optional(),
  default_initial_margin_fraction: int.optional(),
  /** 1e-4 units: 200 = 2 % = 50x maximum leverage. */
  min_initial_margin_fraction: int.min(1).max(10_000),
  maintenance_margin_fraction: int.optional(),
  closeout_margin_fraction: int.optional(),
  mark_price: unsignedDecimalString.optional(),
  index_price: unsignedDecimalString.optional(),
});
export type WireOrderBookDetail = z.input<typeof orderBookDetailSchema>;

// ---------------------------------------------------------------------------- REST bodies

const envelope = { code: int.optional(), message: z.string().nullish() };

export const orderBookDetailsResponseSchema = z.looseObject({
  ...envelope,
  order_book_details: z.array(orderBookDetailSchema),
  spot_order_book_details: z.array(z.unknown()).optional(),
});
export const nextNonceResponseSchema = z.looseObject({ ...envelope, nonce: int.min(0) });
export const ordersResponseSchema = z.looseObject({ ...envelope, next_cursor: z.string().nullish(), orders: z.array(orderSchema) });
export const tradesResponseSchema = z.looseObject({ ...envelope, next_cursor: z.string().nullish(), trades: z.array(tradeSchema) });
export const accountResponseSchema = z.looseObject({ ...envelope, total: int.optional(), accounts: z.array(accountSchema) });
export const sendTxResponseSchema = z.looseObject({
  ...envelope,
  tx_hash: z.string(),
  predicted_execution_time_ms: int.optional(),
  volume_quota_remaining: int.optional(),
});
export const sendTxBatchResponseSchema = z.looseObject({ ...envelope, tx_hash: z.array(z.string()) });
export const errorBodySchema = z.looseObject({ code: int, message: z.string().nullish() });

export type WireNextNonceResponse = z.input<typeof nextNonceResponseSchema>;
export type WireOrdersResponse = z.input<typeof ordersResponseSchema>;
export type WireTradesResponse = z.input<typeof tradesResponseSchema>;
export type WireAccountResponse = z.input<typeof accountResponseSchema>;
export type WireOrderBookDetailsResponse = z.input<typeof orderBookDetailsResponseSchema>;
export type WireSendTxResponse = z.input<typeof sendTxResponseSchema>;

// ---------------------------------------------------------------------------- WS frames

export const priceLevelSchema = z.looseObject({ price: unsignedDecimalString, size: unsignedDecimalString });

export const orderBookFrameSchema = z.looseObject({
  type: z.enum(['subscribed/order_book', 'update/order_book']),
  channel: z.string(),
  offset: int.optional(),
  timestamp: int.optional(),
  order_book: z.looseObject({
    code: int.optional(),
    asks: z.array(priceLevelSchema),
    bids: z.array(priceLevelSchema),
    offset: int.optional(),
    nonce: exactId,
    begin_nonce: exactId.optional(),
    last_updated_at: int.optional(),
  }),
});

export const tickerFrameSchema = z.looseObject({
  type: z.enum(['subscribed/ticker', 'update/ticker']),
  channel: z.string(),
  nonce: exactId.optional(),
  timestamp: int.optional(),
  ticker: z.looseObject({
    s: z.string().optional(),
    a: priceLevelSchema,
    b: priceLevelSchema,
    last_updated_at: int.optional(),
  }),
});

const ordersByMarket = z.record(z.string().regex(/^\d+$/), z.array(orderSchema));
const tradesByMarket = z.record(z.string().regex(/^\d+$/), z.array(tradeSchema));

export const accountOrdersFrameSchema = z.looseObject({
  type: z.enum(['subscribed/account_orders', 'update/account_orders', 'subscribed/account_all_orders', 'update/account_all_orders']),
  channel: z.string(),
  account: int.optional(),
  nonce: z.union([int, z.string()]).optional(),
  orders: ordersByMarket,
});

export const accountTradesFrameSchema = z.looseObject({
  type: z.enum(['subscribed/account_all_trades', 'update/account_all_trades']),
  channel: z.string(),
  // The snapshot may carry an empty list instead of a map.
  trades: z.union([tradesByMarket, z.array(tradeSchema).max(0)]),
});

export const accountAllFrameSchema = z.looseObject({
  type: z.enum(['subscribed/account_all', 'update/account_all']),
  channel: z.string(),
  account: int,
  positions: z.record(z.string().regex(/^\d+$/), positionSchema).optional(),
  trades: z.union([tradesByMarket, z.array(tradeSchema).max(0)]).optional(),
});

export const errorFrameSchema = z.union([
  z.looseObject({ error: z.looseObject({ code: int, message: z.string().nullish() }), id: z.union([z.string(), int]).optional() }),
  z.looseObject({ type: z.literal('error'), code: int, message: z.string().nullish(), id: z.union([z.string(), int]).optional() }),
]);

export const sendTxAckSchema = z.looseObject({
  type: z.enum(['jsonapi/sendtx', 'jsonapi/sendtxbatch']),
  code: int.optional(),
  message: z.string().nullish(),
  id: z.union([z.string(), int]).optional(),
  tx_hash: z.union([z.string(), z.array(z.string())]),
  predicted_execution_time_ms: int.optional(),
});

export type WireOrderBookFrame = z.input<typeof orderBookFrameSchema>;
export type WireTickerFrame = z.input<typeof tickerFrameSchema>;
export type WireAccountOrdersFrame = z.input<typeof accountOrdersFrameSchema>;
export type WireAccountTradesFrame = z.input<typeof accountTradesFrameSchema>;
export type WireAccountAllFrame = z.input<typeof accountAllFrameSchema>;
export type WireErrorFrame = z.input<typeof errorFrameSchema>;
export type WireSendTxAck = z.input<typeof sendTxAckSchema>;
