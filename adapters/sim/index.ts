/**
 * The in-process simulated venue: public entry point.
 *
 * - `SimVenue` implements the Venue port over `MatchingEngine` and exposes `control`
 *   (`SimControl`) for tests: book moves, counterparty and hand trades, fault injection,
 *   inspection of orders, fills, position and every request the account sent.
 * - `markets.ts` presets: TEST (acceptance base fixture), BTC, ETH.
 * - `PriceDriver`: seeded random-walk / mean-reverting book drivers and CSV replay.
 *
 * Client-index rule: an index is unique per account for as long as the venue remembers the
 * order, and the simulator never forgets one, so re-using ANY index (live or ended) is
 * VenueError('duplicate-client-index').
 */
export { SimVenue, type SimVenueOptions, type SimVenueState } from './sim-venue.ts';
export {
  VENUE_METHODS,
  type ForeignOrderRequest,
  type OrderArrivalHook,
  type SentRequest,
  type SimControl,
  type VenueMethod,
} from './control.ts';
export {
  HAND_TRADE_INDEX,
  MAX_CLIENT_INDEX,
  MatchingEngine,
  type CounterpartyResult,
  type EngineSink,
  type EngineState,
} from './matching-engine.ts';
export {
  BTC,
  ETH,
  MAX_ORDER_LIFETIME_MS,
  SIM_MARKETS,
  TEST,
  simMarket,
  type SimBookConfig,
  type SimMarketConfig,
  type SimMarketOverrides,
} from './markets.ts';
export {
  Mulberry32,
  PriceDriver,
  parseBookCsv,
  seedToUint32,
  type BookRow,
  type DriverTarget,
  type PriceDriverConfig,
  type PriceDriverState,
} from './price-driver.ts';
export { makeScale, type Scale } from './units.ts';
