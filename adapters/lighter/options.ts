/**
 * Options of the Lighter venue adapter (see docs/venues/lighter.md for the defaults) and
 * the WebSocket URL derived from the REST URL when `ws_url` is not configured.
 *
 * Invariants: the private key is an option only on the way in — the venue keeps it in a
 * private field until the signer holds it, and never stores the options object with it.
 */
import type { Clock } from '../../src/runtime/clock.ts';
import type { AuthTokenOptions } from './auth.ts';
import type { BackoffPolicy } from './common/backoff.ts';
import type { LighterLogger } from './common/logger.ts';

export interface LighterVenueOptions {
  restUrl: string;
  /** Default: derived from restUrl (http → ws, https → wss, path /stream). */
  wsUrl?: string;
  /** 304 mainnet, 300 testnet. */
  chainId: number;
  accountIndex: number;
  apiKeyIndex: number;
  /** 80 hex characters, optionally 0x-prefixed (from LIGHTER_API_PRIVATE_KEY only). */
  privateKey: string;
  clock?: Clock;
  logger?: LighterLogger;
  /** Order books subscribed at connect (symbols); others are subscribed on first use. */
  markets?: string[];
  /** REST read timeout (default 10 000 ms). */
  restTimeoutMs?: number;
  /** Transaction answer timeout, WS ack or REST (default 10 000 ms). */
  sendTimeoutMs?: number;
  /** Read attempts before an error is thrown (default 4). */
  readAttempts?: number;
  /** REST retry and rate-limit cool-off policy (default 1 s doubling to 30 s, 25 % jitter). */
  backoff?: BackoffPolicy;
  /** WebSocket reconnect policy (default 250 ms doubling to 10 s, 25 % jitter). */
  reconnect?: BackoffPolicy;
  pingEveryMs?: number;
  /** Wait for a subscription's first frame before subscribing again (default 5 000 ms). */
  snapshotTimeoutMs?: number;
  /** A fill without a position update for this long gets a REST position read (default 2 000 ms). */
  positionFollowUpMs?: number;
  auth?: AuthTokenOptions;
  /** Resting-order lifetime when a request names none (default 28 days). */
  defaultOrderLifetimeMs?: number;
  /** The catch-up after a reconnect looks back this far before the drop (default 60 000 ms). */
  catchUpMarginMs?: number;
  /** 'ws' (default): transactions over the WebSocket, REST while it is down. */
  submitVia?: 'ws' | 'rest';
  random?: () => number;
  name?: string;
  /** Instrumentation (benchmarks): raw WebSocket frames received / sent. */
  wsProbe?: { received?(text: string): void; sent?(text: string): void };
}

/** The WebSocket URL of a REST base URL: https://host → wss://host/stream. */
export function wsUrlFor(restUrl: string): string {
  const u = new URL(restUrl);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`rest_url ${restUrl} must be an http(s) URL`);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.pathname = '/stream';
  u.search = '';
  return u.toString();
}
