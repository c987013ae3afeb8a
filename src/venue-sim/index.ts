/**
 * The Lighter simulator server (REST + WebSocket on 127.0.0.1) over the in-process
 * matching engine: public entry point.
 *
 * - `startLighterSim(opts)` → `LighterSimServer { restUrl, wsUrl, port, chainId, control, snapshot, close }`;
 *   `startLighterSim({ restore: snapshot })` continues a saved exchange (snapshot.ts).
 * - `runSimServer(opts)` → the `grid-bot sim` command core (throwaway key, printed URLs, signals).
 * - `control` (LighterSimControl): book/counterparty moves, inspection, nonces, logs;
 *   `control.faults` (LighterSimFaults): socket drops, frame drop/duplicate/reorder/inject,
 *   delayed acks, tx rejections with and without sequencer acceptance, REST 429/5xx, book
 *   gaps, auth-token expiry.
 */
export { startLighterSim, DEFAULT_BACKGROUND_ACCOUNT } from './server.ts';
export { runSimServer, SIM_ACCOUNT_INDEX, SIM_API_KEY_INDEX, type RunSimServerOptions, type RunningSim } from './run.ts';
export { AUTH_ERROR_CODE, WS_AUTH_ERROR_CODE } from './accounts.ts';
export { MAX_BATCH } from './txinfo.ts';
export { checkSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type LighterSimSnapshot } from './snapshot.ts';
export type { WireTx } from './wire.ts';
export {
  SimApiError,
  type ConnectionInfo,
  type LighterSimControl,
  type LighterSimFaults,
  type LighterSimOptions,
  type LighterSimRestoreOptions,
  type LighterSimServer,
  type MarketRef,
  type ReceivedTx,
  type RestCall,
  type SimAccountConfig,
  type SimApiKeyConfig,
  type SimMarketSummary,
} from './types.ts';
