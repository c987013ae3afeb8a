/**
 * `runSimServer`: the core of `grid-bot sim [--port N] [--seed S]` — starts the Lighter
 * simulator on 127.0.0.1 with a throwaway API key registered for the bot account, prints
 * where it listens, and stops on SIGINT/SIGTERM.
 *
 * Invariants:
 * - The private key is NEVER printed or logged: it is handed to in-process callers through
 *   the return value only (e.g. to set LIGHTER_API_PRIVATE_KEY for a child bot).
 * - Printed lines (via `out`, default stdout), once the sockets listen:
 *     REST http://127.0.0.1:PORT
 *     WS ws://127.0.0.1:PORT/stream
 *     ACCOUNT 1 API_KEY 3 CHAIN 300
 * - Default markets: TEST (index 0, the acceptance base fixture), BTC (1), ETH (2); a
 *   seeded random-walk driver moves each book once a second unless `driver: false`.
 */
import { BTC, ETH, simMarket, TEST, type PriceDriverConfig, type SimMarketConfig } from '../../adapters/sim/index.ts';
import { CHAIN_ID } from '../../adapters/lighter/constants.ts';
import { generateApiKey } from '../../adapters/lighter/signer/signer.ts';
import type { Clock } from '../runtime/clock.ts';
import { startLighterSim } from './server.ts';
import type { LighterSimServer } from './types.ts';

export const SIM_ACCOUNT_INDEX = 1;
export const SIM_API_KEY_INDEX = 3;

export interface RunSimServerOptions {
  /** 0 (default) = a free port. */
  port?: number;
  seed?: number;
  markets?: SimMarketConfig[];
  /** Account/key to register; a fresh key pair is generated unless both keys are given. */
  apiKey?: { accountIndex?: number; apiKeyIndex?: number; publicKey?: string; privateKey?: string; nonce?: number };
  /** false: the books move only when told; default: a random walk per market. */
  driver?: boolean;
  chainId?: number;
  clock?: Clock;
  collateral?: string;
  /** Line printer (default: stdout). */
  out?: (line: string) => void;
  /** Stop on SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
}

export interface RunningSim {
  server: LighterSimServer;
  restUrl: string;
  wsUrl: string;
  chainId: number;
  accountIndex: number;
  apiKeyIndex: number;
  publicKey: string;
  /** 80 hex characters without 0x. Secret: never print it. */
  privateKey: string;
  /** Resolves once the server has stopped (signal or `stop()`). */
  stopped: Promise<void>;
  stop(): Promise<void>;
}

export async function runSimServer(opts: RunSimServerOptions = {}): Promise<RunningSim> {
  const seed = opts.seed ?? 1;
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port ${port} must be an integer in 0..65535`);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed ${seed} must be an integer`);
  const accountIndex = opts.apiKey?.accountIndex ?? SIM_ACCOUNT_INDEX;
  const apiKeyIndex = opts.apiKey?.apiKeyIndex ?? SIM_API_KEY_INDEX;
  let publicKey = opts.apiKey?.publicKey;
  let privateKey = opts.apiKey?.privateKey;
  if (!publicKey || !privateKey) {
    const pair = await generateApiKey();
    publicKey = pair.publicKey;
    privateKey = pair.privateKey;
  }
  privateKey = privateKey.replace(/^0x/, '').toLowerCase();
  publicKey = publicKey.replace(/^0x/, '').toLowerCase();
  const markets = opts.markets ?? [simMarket(TEST), simMarket(BTC), simMarket(ETH)];
  const drivers: PriceDriverConfig[] =
    opts.driver === false ? [] : markets.map((m, i) => ({ mode: 'random-walk', market: m.info.symbol, seed: seed * 7919 + i, stepTicks: 1, intervalMs: 1000 }));
  const chainId = opts.chainId ?? CHAIN_ID.testnet;
  const server = await startLighterSim({
    port,
    seed,
    markets,
    ...(opts.clock ? { clock: opts.clock } : {}),
    driver: drivers,
    chainId,
    accounts: [{ accountIndex, apiKeys: [{ apiKeyIndex, publicKey, ...(opts.apiKey?.nonce !== undefined ? { nonce: opts.apiKey.nonce } : {}) }], ...(opts.collateral ? { collateral: opts.collateral } : {}) }],
  });
  const out = opts.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  out(`REST ${server.restUrl}`);
  out(`WS ${server.wsUrl}`);
  out(`ACCOUNT ${accountIndex} API_KEY ${apiKeyIndex} CHAIN ${chainId}`);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  const onSignal = (): void => {
    void stop();
  };
  const handle = opts.handleSignals ?? true;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (handle) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await server.close();
      resolveStopped();
    })());
  if (handle) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { server, restUrl: server.restUrl, wsUrl: server.wsUrl, chainId, accountIndex, apiKeyIndex, publicKey, privateKey, stopped, stop };
}
