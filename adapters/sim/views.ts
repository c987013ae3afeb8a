/**
 * Port-shaped snapshots (VenueOrder, Bbo, VenuePosition, fee strings) of the engine's
 * integer state. Pure functions; every call returns a fresh object.
 *
 * Position model: mark = background mid; exposure = |size| × mark; reserved margin =
 * exposure / leverage (so r = reserved / exposure = 1 / leverage), unless a test override
 * (`setReportedMargin`) is in force. Quote amounts are rounded to 10 places, at least 2
 * shown; the average entry is exact when it terminates within tick decimals + 8 places.
 */
import type { Bbo, VenueOrder, VenuePosition } from '../types.ts';
import type { EngineOrder, MarketState, TopOfBook } from './market-state.ts';
import { money, priceLike, type Dec } from './units.ts';

export function orderView(ms: MarketState, o: EngineOrder): VenueOrder {
  const v: VenueOrder = {
    market: o.market,
    clientIndex: o.clientIndex,
    side: o.side,
    type: o.type,
    price: ms.price.format(o.price),
    size: ms.size.format(o.size),
    filledSize: ms.size.format(o.filled),
    status: o.status,
    reduceOnly: o.reduceOnly,
    timeInForce: o.tif,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
  if (o.cancelReason !== undefined) v.cancelReason = o.cancelReason;
  if (o.expiresAt !== undefined) v.expiresAt = o.expiresAt;
  return v;
}

export function bboView(ms: MarketState, t: TopOfBook, time: number): Bbo {
  return {
    market: ms.symbol,
    bid: ms.price.format(t.bid),
    ask: ms.price.format(t.ask),
    bidSize: ms.size.format(t.bidSize),
    askSize: ms.size.format(t.askSize),
    time,
  };
}

export function positionView(ms: MarketState): VenuePosition {
  const p = ms.position;
  const abs = ms.size.dec(Math.abs(p.size));
  const avg = p.avgEntry(abs);
  let reserved: string;
  let exposure: string;
  if (ms.marginOverride) {
    reserved = ms.marginOverride.reserved;
    exposure = ms.marginOverride.exposure;
  } else {
    const exp: Dec = abs.times(ms.price.dec(ms.bgBid + ms.bgAsk)).div(2);
    exposure = money(exp);
    reserved = money(exp.div(ms.leverage));
  }
  return {
    market: ms.symbol,
    size: ms.size.format(p.size),
    avgEntryPrice: avg === null ? '0' : priceLike(avg, ms.price.decimals),
    realizedPnl: money(p.realized),
    reservedMargin: reserved,
    exposure,
    leverage: ms.leverage,
  };
}

/** Exact fee string: "0" for none, else at least 2 fraction digits, never rounded. */
export function feeString(d: Dec): string {
  return d.isZero() ? '0' : d.toFixed(Math.max(2, d.decimalPlaces()));
}
