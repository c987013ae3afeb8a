/**
 * Port order requests → Lighter CreateOrder / CancelOrder / UpdateLeverage parameters
 * (protocol notes §4.1–§4.4; VEN-08, VEN-11, RSK-11). Pure: no I/O, no clock reads.
 *
 * Invariants:
 * - Prices and sizes are scaled exactly by ./codec.ts; an off-grid or out-of-range value is
 *   refused with a VenueError 'rejected' naming the value and the tick/step — before any
 *   signing or sending, never rounded.
 * - limit post-only → TimeInForce 2 with an expiry; limit gtc → 1 (good-till-time) with an
 *   expiry; ioc and market → TimeInForce 0 with OrderExpiry 0; market → Type 1 with the
 *   request price as the worst acceptable price.
 * - The expiry is the request's `expiresAt`, else now + the default lifetime (28 days, inside
 *   the venue's 5 min … 30 days window).
 * - Leverage is clamped to [1, market maximum] and sent as InitialMarginFraction =
 *   floor(10000 / leverage).
 */
import { VenueError, type PlaceOrderRequest } from '../types.ts';
import { CodecError, leverageToInitialMarginFraction, toWirePrice, toWireSize } from './codec.ts';
import { MAX_CLIENT_ORDER_INDEX } from './constants.ts';
import type { MarketSpec } from './map.ts';
import type { CreateOrderParams } from './signer/signer.ts';

export const DEFAULT_ORDER_LIFETIME_MS = 28 * 24 * 3_600_000;

function rejected(message: string, reason: string): VenueError {
  return new VenueError('rejected', message, { reason });
}

/** Checks a client order index is in 1 … 2^48 − 1. */
export function checkClientIndex(clientIndex: number): number {
  if (!Number.isSafeInteger(clientIndex) || clientIndex < 1 || clientIndex > MAX_CLIENT_ORDER_INDEX) {
    throw rejected(`client index ${String(clientIndex)} is outside 1 … ${MAX_CLIENT_ORDER_INDEX}`, 'invalid-client-index');
  }
  return clientIndex;
}

/** A place request → CreateOrder parameters (without the nonce). */
export function createOrderParams(req: PlaceOrderRequest, spec: MarketSpec, now: number, defaultLifetimeMs = DEFAULT_ORDER_LIFETIME_MS): Omit<CreateOrderParams, 'nonce'> {
  checkClientIndex(req.clientIndex);
  let price: number;
  let baseAmount: number;
  try {
    price = toWirePrice(req.price, spec.priceDecimals);
    baseAmount = toWireSize(req.size, spec.sizeDecimals);
  } catch (err) {
    if (err instanceof CodecError) throw rejected(`${spec.symbol} order ${req.clientIndex}: ${err.message}`, 'off-grid');
    throw err;
  }
  if (req.side !== 'buy' && req.side !== 'sell') throw rejected(`side must be buy or sell, got ${String(req.side)}`, 'invalid-side');
  const market = req.type === 'market';
  if (!market && req.type !== 'limit') throw rejected(`order type must be limit or market, got ${String(req.type)}`, 'invalid-type');
  const tif = market || req.timeInForce === 'ioc' ? 'ioc' : req.timeInForce === 'post-only' ? 'post-only' : 'gtt';
  if (!market && !['ioc', 'post-only', 'gtc'].includes(req.timeInForce)) throw rejected(`time in force must be gtc, post-only or ioc, got ${String(req.timeInForce)}`, 'invalid-tif');
  const orderExpiry = tif === 'ioc' ? 0 : (req.expiresAt ?? now + defaultLifetimeMs);
  if (!Number.isSafeInteger(orderExpiry) || orderExpiry < 0) throw rejected(`expiresAt must be an epoch ms integer, got ${String(req.expiresAt)}`, 'invalid-expiry');
  return {
    marketIndex: spec.marketIndex,
    clientOrderIndex: req.clientIndex,
    baseAmount,
    price,
    isAsk: req.side === 'sell',
    type: market ? 'market' : 'limit',
    timeInForce: tif,
    reduceOnly: req.reduceOnly === true,
    triggerPrice: 0,
    orderExpiry,
  };
}

/** Requested leverage → the applied (clamped) leverage and its InitialMarginFraction. */
export function leverageParams(requested: number, maxLeverage: number): { applied: number; initialMarginFraction: number } {
  if (!Number.isFinite(requested) || requested <= 0) throw rejected(`leverage must be a positive number, got ${String(requested)}`, 'invalid-leverage');
  const applied = Math.max(1, Math.min(Math.floor(requested), maxLeverage));
  return { applied, initialMarginFraction: leverageToInitialMarginFraction(applied) };
}
