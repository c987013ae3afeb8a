/**
 * Public types of the Lighter simulator server: start options, the server handle, test
 * control and fault-injection hooks, and the logs tests inspect.
 *
 * Invariants:
 * - Markets are addressed by `MarketRef`: the market index (position in `markets`) or the
 *   symbol. Client order indexes in control calls are WIRE client order indexes (what the
 *   client put in `ClientOrderIndex`).
 * - One account (`botAccount`, default the first configured one) trades through the
 *   matching engine; other configured accounts exist for keys, nonces, auth and reads only.
 * - Every decimal is a string; nothing here carries a float price or size.
 */
import type { CounterpartyResult, ForeignOrderRequest, PriceDriverConfig, SimMarketConfig } from '../../adapters/sim/index.ts';
import type { Side, VenueFill, VenueOrder, VenuePosition } from '../../adapters/types.ts';
import type { WireOrder, WireTrade } from '../../adapters/lighter/types.ts';
import type { Clock } from '../runtime/clock.ts';
import type { LighterSimSnapshot } from './snapshot.ts';

export type MarketRef = number | string;

export interface SimApiKeyConfig {
  apiKeyIndex: number;
  /** 80 hex characters, with or without 0x (served without 0x by /apikeys). */
  publicKey: string;
  /** The next nonce this key must use (default 1). */
  nonce?: number;
}

export interface SimAccountConfig {
  accountIndex: number;
  /** 0x-prefixed 40-hex L1 address (default: derived from the index). */
  l1Address?: string;
  apiKeys: SimApiKeyConfig[];
  /** USDC collateral, decimal string (default "10000"). */
  collateral?: string;
}

export interface LighterSimOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  host?: '127.0.0.1';
  /** Market index = position in this list. Tick and step must be powers of ten. */
  markets: SimMarketConfig[];
  clock?: Clock;
  /** Seeds book nonces, tx hashes and default driver seeds (default 1). */
  seed?: number;
  /** Background book drivers (false/undefined: the book moves only when told). */
  driver?: PriceDriverConfig | PriceDriverConfig[] | false;
  accounts: SimAccountConfig[];
  /** The account that trades through the engine (default: the first account). */
  botAccount?: number;
  /** Chain id reported by `/` (informational; signatures are not verified). */
  chainId?: number;
  /** Longest accepted auth-token life in seconds (default 8 h). */
  authTokenMaxLifetimeSec?: number;
  /** Idle WebSocket close (default 120 000 ms, on the clock; 0 disables). */
  wsIdleTimeoutMs?: number;
  /** Order-book / ticker batch interval (default 50 ms, on the clock). */
  bookBatchMs?: number;
  /** Account index reported as the counterparty of background trades (default 281474976710000). */
  backgroundAccountIndex?: number;
}

/**
 * Start from a snapshot (`server.snapshot()`): markets, accounts (public keys, nonces),
 * seed, chain id and drivers come from it; the rest as for a fresh start. Pass a clock set
 * to `restore.clockNow` to continue in simulated time; a SystemClock continues at wall time.
 */
export type LighterSimRestoreOptions = Pick<LighterSimOptions, 'port' | 'host' | 'clock' | 'authTokenMaxLifetimeSec' | 'wsIdleTimeoutMs' | 'bookBatchMs'> & {
  restore: LighterSimSnapshot;
};

export interface SimMarketSummary {
  marketIndex: number;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number;
}

/** One transaction as received (REST or WS), with the simulator's verdict. */
export interface ReceivedTx {
  seq: number;
  time: number;
  via: 'rest' | 'ws';
  batch: boolean;
  txType: number;
  /** tx_info as received (string form). */
  txInfo: string;
  /** Parsed tx_info fields (null when it did not parse). */
  info: Record<string, unknown> | null;
  /** 200 accepted, else the error code answered. */
  code: number;
  message?: string;
  txHash?: string;
  /** Accepted by the API but failed in the (simulated) sequencer, nonce not consumed. */
  sequencerFailed?: boolean;
}

export interface RestCall {
  seq: number;
  time: number;
  method: string;
  /** Path without the query, e.g. "/api/v1/nextNonce". */
  path: string;
  query: Record<string, string>;
  /** Account the call is attributed to (account_index / by=index / auth token / tx), if any. */
  account?: number;
  status: number;
  /** The fault that answered the call, if any. */
  fault?: string;
}

export interface ConnectionInfo {
  id: string;
  subscriptions: string[];
  readonly: boolean;
  openedAt: number;
}

export interface LighterSimFaults {
  /** Drops WebSocket connections (all, or those subscribed to `account`'s channels); returns how many. */
  dropConnections(opts?: { account?: number; mode?: 'terminate' | 'close' }): number;
  /** New WebSocket upgrades are refused (HTTP 503) for `ms` on the clock. */
  refuseConnections(ms: number): void;
  /** The next `count` frames of subscriptions whose key starts with `channel` (e.g. "order_book/0") are lost. */
  dropFrames(channel: string, count?: number): void;
  /** The next `count` frames of matching subscriptions are sent twice. */
  duplicateFrames(channel: string, count?: number): void;
  /** The next `count` (≥ 2) frames of matching subscriptions are held and sent in reverse order. */
  reorderFrames(channel: string, count?: number): void;
  /** Sends a raw frame (text as is, objects as JSON) to sockets with a matching subscription (or all); returns how many. */
  injectFrame(frame: string | object, opts?: { channel?: string }): number;
  /** The next `count` sendTx/sendTxBatch answers (REST and WS) are delayed `ms` on the clock; the tx is processed at once. */
  delayAcks(ms: number, count?: number): void;
  /** `hook` runs once per transaction answer (REST and WS), after processing and before the answer is written; null removes it. */
  onBeforeAck(hook: (() => void) | null): void;
  /** The next `count` transaction submissions are answered with `code`; nothing is processed, no nonce consumed. */
  rejectNextTx(code: number, opts?: { count?: number; message?: string }): void;
  /** The next `count` valid transactions are acknowledged (200 + hash) but fail in the sequencer: not executed, nonce not consumed. */
  failInSequencer(opts?: { count?: number; code?: number; message?: string }): void;
  /**
   * REST calls (optionally only paths containing `path`) answer HTTP `status` with
   * `{code, message}` (429 → 23000, 5xx → 29500 unless `code`), for the next `count` calls
   * (default 1) or, with `forMs`, until that much clock time has passed.
   */
  failRest(opts: { status: number; code?: number; message?: string; count?: number; forMs?: number; path?: string }): void;
  /** Skips an order-book nonce: the next update's begin_nonce differs from the last sent nonce. */
  forceBookGap(market: MarketRef): void;
  /** Every auth token seen so far stops being accepted; optionally private subscriptions using one get an error frame and are removed. */
  expireAuthTokens(opts?: { closeSubscriptions?: boolean }): void;
  /** Changes the longest accepted auth-token life (seconds). */
  setAuthTokenMaxLifetime(sec: number): void;
  /** Removes every queued fault and releases held frames. */
  clear(): void;
}

export interface LighterSimControl {
  readonly botAccount: number;
  markets(): SimMarketSummary[];
  marketIndexOf(market: MarketRef): number;

  // ------------------------------------------------------------- market and account moves (bot account)
  /** Moves the background book (decimal strings); resting bot orders traded through fill as maker. */
  setBook(market: MarketRef, bid: string, ask: string, depth?: string): void;
  counterpartyTrade(market: MarketRef, side: Side, size: string, limitPrice?: string): CounterpartyResult;
  /** A counterparty takes one resting bot order (by wire client order index). */
  counterpartyFill(market: MarketRef, clientOrderIndex: number, size?: string): VenueFill[];
  /** The bot's order is canceled by hand (status "canceled"). */
  cancelByUser(market: MarketRef, clientOrderIndex: number): WireOrder;
  /** The bot's resting order expires now (status "canceled-expired"), as at its OrderExpiry. */
  expireOrder(market: MarketRef, clientOrderIndex: number): WireOrder;
  /** A hand-placed order on the bot account; returns its client order index. */
  placeForeignOrder(req: Omit<ForeignOrderRequest, 'market'> & { market: MarketRef }): number;
  /** A hand market trade on the bot account (client index 0). */
  accountMarketTrade(market: MarketRef, side: Side, size: string): VenueFill[];
  setReportedMargin(market: MarketRef, reserved: string | null, exposure?: string): void;

  // ------------------------------------------------------------- inspection
  liveOrders(market: MarketRef): VenueOrder[];
  allOrders(market: MarketRef): VenueOrder[];
  /** The bot's orders as the wire reports them (all markets, arrival order). */
  wireOrders(): WireOrder[];
  accountFills(market: MarketRef): VenueFill[];
  wireTrades(): WireTrade[];
  positionOf(market: MarketRef): VenuePosition;
  nextNonce(accountIndex: number, apiKeyIndex: number): number;
  setNextNonce(accountIndex: number, apiKeyIndex: number, nonce: number): void;
  /** Registers a new public key (80 hex) for an existing API key slot; its nonce stream continues (ChangePubKey). */
  rotateApiKey(accountIndex: number, apiKeyIndex: number, publicKey: string): void;
  /** Stops (false) or starts (true) every background price driver; a snapshot records it. */
  setDriversRunning(running: boolean): void;
  txLog(): ReceivedTx[];
  restLog(): RestCall[];
  connections(): ConnectionInfo[];
  /** Publishes pending order-book batches now and waits until queued frames are written. */
  flush(): Promise<void>;

  readonly faults: LighterSimFaults;
}

export interface LighterSimServer {
  /** e.g. "http://127.0.0.1:54321" (REST paths are under /api/v1/). */
  readonly restUrl: string;
  /** e.g. "ws://127.0.0.1:54321/stream". */
  readonly wsUrl: string;
  readonly port: number;
  readonly chainId: number;
  readonly control: LighterSimControl;
  /** The whole exchange state as plain JSON (no side effect); restore with `startLighterSim({ restore })`. */
  snapshot(): LighterSimSnapshot;
  /** Timers the simulator has armed on its clock and not yet fired or cleared (0 after close). */
  pendingTimers(): number;
  /** Stops drivers, cancels every timer it armed, closes sockets and the HTTP server. */
  close(): Promise<void>;
}

/** An error the API answers with `{code, message}` (HTTP 400 on REST, error frame on WS). */
export class SimApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = 'SimApiError';
  }
}
