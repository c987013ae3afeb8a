/**
 * Paper over loopback — the default of `grid-bot paper` (`--venue lighter-sim`): the Lighter
 * simulator server (src/venue-sim/) starts in this process on 127.0.0.1 (a free port) with
 * the paper market and its seeded book driver; the bot runs over the REAL Lighter adapter
 * (REST + WebSocket, signed transactions) exactly as `grid-bot run` does (live.ts), on wall
 * time.
 *
 * Persistence: the simulator's snapshot (venue-sim/snapshot.ts: books, orders, positions,
 * trades, transactions, API keys and nonces, driver state) is kept in the bot's store under
 * `loopbackVenueKey(market)`, with paper-venue.ts's ordering guarantee: it is written before
 * every write of the bot's snapshot (so it is never older), every VENUE_SAVE_EVERY_MS wall ms,
 * and once more after the bot and the adapter stopped. The next run restores it, so a resumed
 * paper run meets the same venue (position, resting exits, client indexes, nonces) and the bot
 * restores + reconciles as after any restart. A kill -9 loses only the venue's progress since
 * its last save (paper-venue.ts, "Limitation"). The price drivers stop when the graceful stop
 * begins (as the in-process venue's clock stops), so nothing fills while the bot is away;
 * a resumed run restarts them from their saved generator positions.
 *
 * Invariants:
 * - A fresh throwaway API key is generated each run and goes from the signer to the server
 *   (public half; on a restored venue it replaces the stored public key of the same slot and
 *   the nonce stream continues) and to the adapter (private half) only; it is never printed,
 *   journaled or stored. The snapshot holds public keys only.
 * - A bot snapshot without a venue snapshot beside it (a store from before venue persistence)
 *   is not reconciled against a venue that never saw its orders: the run says so and
 *   rebuilds from the venue.
 * - Wall time only (`--speed 1`): the bot and the simulator exchange real packets.
 * - The server is closed when the run ends, whatever the outcome; close() cancels every timer
 *   it armed.
 */
import { simMarket, SIM_MARKETS } from '../../adapters/sim/index.ts';
import { CHAIN_ID } from '../../adapters/lighter/constants.ts';
import { generateApiKey } from '../../adapters/lighter/signer/signer.ts';
import { checkSnapshot, startLighterSim, type LighterSimServer, type LighterSimSnapshot } from '../venue-sim/index.ts';
import { ConfigError, type LoadedConfig } from '../config/index.ts';
import { botKey, SnapshotRefusedError } from '../persistence/envelope.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { SnapshotStore, simKey, type StringKeyValue } from '../persistence/snapshot-store.ts';
import { runLive, type LiveOptions, type LiveResult } from './live.ts';
import { consoleOutput, DEFAULT_MARKET, DEFAULT_PAPER_EVENTS, DEFAULT_PAPER_STORE, loadPaperConfig, type PaperOptions } from './paper.ts';
import { driverConfig, guardedKv, VENUE_SAVE_EVERY_MS, VenueStateSaver } from './paper-venue.ts';

/** `--venue` values of `grid-bot paper` (default DEFAULT_PAPER_VENUE). */
export const PAPER_VENUES = ['sim', 'lighter-sim'] as const;
export type PaperVenueKind = (typeof PAPER_VENUES)[number];
export const DEFAULT_PAPER_VENUE: PaperVenueKind = 'lighter-sim';

/** Same files as the in-process venue: the keys differ (bot `gridchart:lighter-sim:1:…`, venue `gridchart:sim:lighter-sim.<market>`). */
export const DEFAULT_LOOPBACK_STORE = DEFAULT_PAPER_STORE;
export const DEFAULT_LOOPBACK_EVENTS = DEFAULT_PAPER_EVENTS;
/** The simulator's bot account and API key slot (as `grid-bot sim`). */
export const LOOPBACK_ACCOUNT_INDEX = 1;
export const LOOPBACK_API_KEY_INDEX = 3;
/** Identity venue of loopback bots: their store keys never mix with a real Lighter bot's. */
export const LOOPBACK_VENUE_LABEL = 'lighter-sim';

/** Store key of the loopback simulator's snapshot for `market`. */
export function loopbackVenueKey(market: string): string {
  return simKey(`${LOOPBACK_VENUE_LABEL}.${market}`);
}

export interface PaperLoopbackOptions extends Omit<LiveOptions, 'loaded' | 'connection' | 'venueLabel' | 'runLabel' | 'banner' | 'companion'> {
  config?: string;
  preset?: string;
  loaded?: LoadedConfig;
  market?: string;
  slot?: number;
  /** Seed of a new simulator's book driver (default 1); a restored one keeps its own. */
  seed?: number | string;
  env?: NodeJS.ProcessEnv;
}

export async function runPaperLoopback(opts: PaperLoopbackOptions): Promise<LiveResult> {
  const loaded = opts.loaded ?? loadPaperConfig({ ...opts, ...(opts.store !== undefined ? { store: opts.store } : {}) } satisfies Pick<PaperOptions, 'config' | 'preset' | 'market' | 'store' | 'slot' | 'env'>);
  const source = loaded.sources.at(-1) ?? 'config';
  if (loaded.config.venue.kind !== 'sim') {
    throw ConfigError.of(source, 'venue.kind', `paper --venue lighter-sim starts its own Lighter simulator; ${loaded.config.venue.kind} is for grid-bot run`);
  }
  const market = loaded.config.market ?? DEFAULT_MARKET;
  if (!(market in SIM_MARKETS)) {
    throw ConfigError.of('command line', 'market', `${JSON.stringify(market)} is not a simulated market; paper mode allows ${Object.keys(SIM_MARKETS).join(', ')}`);
  }
  const out = opts.output ?? consoleOutput();
  const seed = opts.seed ?? 1;
  const location = opts.store ?? loaded.config.store ?? DEFAULT_LOOPBACK_STORE;
  const key = botKey({ venue: LOOPBACK_VENUE_LABEL, account: String(LOOPBACK_ACCOUNT_INDEX), market, slot: loaded.config.instance_slot });
  const venueKey = loopbackVenueKey(market);
  const stored = await readStored(location, key, venueKey, opts.rebuildFromVenue === true, (t) => out.error(t));
  const stale = stored.bot && !stored.venue;

  const pair = await generateApiKey();
  let server: LighterSimServer;
  if (stored.venue) {
    server = await startLighterSim({ port: 0, restore: stored.venue });
    server.control.rotateApiKey(LOOPBACK_ACCOUNT_INDEX, LOOPBACK_API_KEY_INDEX, pair.publicKey);
    // Saved at a stop with the market paused (see stopping below): it moves again.
    server.control.setDriversRunning(true);
  } else {
    server = await startLighterSim({
      port: 0,
      ...(typeof seed === 'number' && Number.isSafeInteger(seed) ? { seed } : {}),
      markets: [simMarket(market as keyof typeof SIM_MARKETS)],
      driver: [driverConfig(market, seed)],
      chainId: CHAIN_ID.testnet,
      accounts: [{ accountIndex: LOOPBACK_ACCOUNT_INDEX, apiKeys: [{ apiKeyIndex: LOOPBACK_API_KEY_INDEX, publicKey: pair.publicKey }] }],
    });
  }
  try {
    const banner = [
      `simulator: Lighter over loopback ${server.restUrl} (ws ${server.wsUrl}), ${market} ` +
        (stored.venue
          ? `resumed from the store (saved ${new Date(stored.venue.clockNow).toISOString()}; next nonce ${server.control.nextNonce(LOOPBACK_ACCOUNT_INDEX, LOOPBACK_API_KEY_INDEX)})`
          : `new, random walk seed ${String(seed)}`) +
        `; its state is saved in the store (${venueKey})`,
    ];
    if (stale) banner.push(`note: the stored bot ${key} has no simulator state beside it (an older store): the bot is rebuilt from the new venue instead`);
    return await runLive({
      ...opts,
      loaded,
      store: location,
      events: opts.events ?? DEFAULT_LOOPBACK_EVENTS,
      connection: { restUrl: server.restUrl, wsUrl: server.wsUrl, chainId: server.chainId, accountIndex: LOOPBACK_ACCOUNT_INDEX, apiKeyIndex: LOOPBACK_API_KEY_INDEX, privateKey: pair.privateKey },
      venueLabel: LOOPBACK_VENUE_LABEL,
      runLabel: 'paper',
      banner,
      companion: simulatorCompanion(server, market, venueKey, (t) => out.error(t)),
      ...(stale || opts.rebuildFromVenue ? { rebuildFromVenue: true } : {}),
    });
  } finally {
    await server.close();
  }
}

/**
 * Keeps the simulator's snapshot beside the bot (see the header): saved before every bot
 * write (guardedKv), every VENUE_SAVE_EVERY_MS wall ms, and at detach.
 */
function simulatorCompanion(server: LighterSimServer, market: string, venueKey: string, warn: (text: string) => void): NonNullable<LiveOptions['companion']> {
  let saver: VenueStateSaver | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    attach: (kv: StringKeyValue) => {
      const s = new VenueStateSaver(new SnapshotStore(kv), market, () => server.snapshot(), venueKey);
      saver = s;
      timer = setInterval(() => {
        s.save().catch((e: Error) => warn(`warning: saving the simulator state failed: ${e.message}`));
      }, VENUE_SAVE_EVERY_MS);
      timer.unref();
      return guardedKv(kv, s);
    },
    // The market pauses while the bot is away, as the in-process venue's clock does: nothing
    // fills between the bot's last snapshot and the simulator's.
    stopping: () => server.control.setDriversRunning(false),
    detach: async () => {
      if (timer) clearInterval(timer);
      if (!saver) return;
      await saver.settled();
      await saver.save();
    },
  };
}

/** What the store at `location` holds for this bot and its simulator (a store that does not exist yet holds nothing). */
async function readStored(location: string, key: string, venueKey: string, rebuild: boolean, onError: (text: string) => void): Promise<{ bot: boolean; venue: LighterSimSnapshot | undefined }> {
  const opened = await openKeyv(location, { onError: (e) => onError(`store: ${e.message}`) });
  try {
    const store = new SnapshotStore(opened.keyv);
    const raw = await store.get(venueKey);
    let venue: LighterSimSnapshot | undefined;
    try {
      venue = raw === undefined ? undefined : checkSnapshot(raw, 'the stored simulator state');
    } catch (err) {
      // Like a refused bot snapshot: exit 2 with the reason, the stored value untouched —
      // unless the operator asked to rebuild: then a new simulator replaces it.
      if (!rebuild) throw new SnapshotRefusedError('corrupted', (err as Error).message, venueKey);
      onError(`warning: ${(err as Error).message}; --rebuild-from-venue: starting a new simulator`);
    }
    return { bot: (await opened.keyv.get(key)) !== undefined, venue };
  } finally {
    await opened.close();
  }
}
