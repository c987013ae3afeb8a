/**
 * Lighter protocol constants (protocol notes §4.1–§4.3, §5.1, §5.3), in one place.
 *
 * Invariants: numbers are exactly the venue's wire values (lighter-go constants.go); never
 * use the community SDK's LIGHTER_CONSTANTS (wrong tx types and TIF labels).
 */

export const TX_TYPE = {
  createOrder: 14,
  cancelOrder: 15,
  cancelAllOrders: 16,
  modifyOrder: 17,
  updateLeverage: 20,
} as const;

/** Order `Type` on the wire. */
export const ORDER_TYPE = { limit: 0, market: 1 } as const;

/** Order `TimeInForce` on the wire. */
export const TIME_IN_FORCE = { ioc: 0, gtt: 1, 'post-only': 2 } as const;
export type WireTimeInForce = keyof typeof TIME_IN_FORCE;

/** Cancel-all `TimeInForce`: immediate (Time 0), scheduled (dead-man's switch), abort. */
export const CANCEL_ALL_TIF = { immediate: 0, scheduled: 1, abort: 2 } as const;
export type CancelAllMode = keyof typeof CANCEL_ALL_TIF;

export const MARGIN_MODE = { cross: 0, isolated: 1 } as const;
export type MarginMode = keyof typeof MARGIN_MODE;

/** Client order index range: 1 … 2^48 − 1 (0 = none). */
export const MAX_CLIENT_ORDER_INDEX = 2 ** 48 - 1;
/** Server order indexes: 2^48 … 2^60 − 1. */
export const MIN_ORDER_INDEX = 2n ** 48n;
export const MAX_ORDER_INDEX = 2n ** 60n - 1n;
/** `Price` and `TriggerPrice` are uint32. */
export const MAX_WIRE_PRICE = 2 ** 32 - 1;
/** `BaseAmount` ≤ 2^48 − 1. */
export const MAX_WIRE_BASE_AMOUNT = 2 ** 48 - 1;
/** Nonces and ExpiredAt stay below 2^48. */
export const MAX_NONCE = 2 ** 48 - 1;
/** Account indexes 1 … 2^48 − 2 (sub-accounts from 2^47). */
export const MAX_ACCOUNT_INDEX = 2 ** 48 - 2;
/** API key slots 0–254 (255 means "all"/nil in requests). */
export const MAX_API_KEY_INDEX = 254;
/** Perp markets 0–254, spot 2048–4094. */
export const MAX_MARKET_INDEX = 4094;

/** `InitialMarginFraction` unit: 10000 = 100 % (leverage 1). */
export const MARGIN_FRACTION_TICK = 10_000;

/** Resting-order expiry window enforced by the venue (ms). */
export const MIN_ORDER_EXPIRY_PERIOD_MS = 5 * 60_000;
export const MAX_ORDER_EXPIRY_PERIOD_MS = 30 * 24 * 3_600_000;

/** Auth tokens live at most 8 h. */
export const MAX_AUTH_TOKEN_LIFETIME_SEC = 8 * 3600;

export const CHAIN_ID = { mainnet: 304, testnet: 300 } as const;
