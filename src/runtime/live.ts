/**
 * Live mode: the bot on a Lighter endpoint over the real adapter (REST + WebSocket, signed
 * transactions), on wall time. `grid-bot run` with `venue.kind: lighter` uses it with the
 * config's venue keys and the key from LIGHTER_API_PRIVATE_KEY; paper over loopback
 * (paper-loopback.ts) uses it with an in-process simulator server's URLs and throwaway key.
 *
 * Start-up: check the config (dynamic-grid, a Lighter connection, a well-formed key) before
 * anything is opened; open the store (default `./data/<market>-lighter.sqlite`), the control
 * endpoint and the journal; connect the venue (interruptible by a stop); start the bot
 * (restore + reconcile, or fresh); publish the discovery file; print a status line every
 * `statusEveryMs` wall ms. As in paper mode, the control endpoint serves GET /metrics, logs
 * follow `--log-level` / LOG_LEVEL and alerts their variables (observability/observe.ts);
 * `--dashboard` / `--inspect` start the operator views (observability/dashboard/operator-views.ts).
 *
 * Stop (`durationMs` of wall time, abort signal from SIGINT/SIGTERM, or the bot crashed):
 * stop admitting (book updates are no longer delivered to the bot, so no new entry is
 * decided), let in-flight requests finish (at most STOP_SETTLE_MS), `bot.stop()` (final
 * snapshot written while the actor is live), `venue.close()`, cancel every timer of the
 * clock, print the summary. A crashed bot is not persisted again (its last good snapshot
 * stays the restart point).
 *
 * Invariants:
 * - The private key goes to `createLighterVenue` only: it is never printed, journaled, put in
 *   an error message or kept in this module's state; adapter log lines are masked again.
 * - Configuration problems (missing or malformed key, unknown market) are ConfigErrors
 *   (exit 2); a key-format problem is detected before the store is opened.
 * - Times in the journal and the status line are wall time (SystemClock).
 */
import type { Venue, VenueStreamEvent } from '../../adapters/types.ts';
import { isVenueError } from '../../adapters/types.ts';
import { redact as redactAdapter, type LighterLogger } from '../../adapters/lighter/common/logger.ts';
import { LighterSignerError } from '../../adapters/lighter/signer/signer.ts';
import { createLighterVenue, type LighterVenue, type LighterVenueOptions } from '../../adapters/lighter/venue.ts';
import type { LoadedConfig } from '../config/index.ts';
import { ConfigError, LIGHTER_KEY_ENV } from '../config/index.ts';
import { redact } from '../config/errors.ts';
import { ControlServer, controlFilePath, newControlToken, pidAlive, readDiscovery, removeDiscovery, writeDiscovery } from '../observability/control-server.ts';
import { JournalWriter, type JournalLine } from '../observability/journal.ts';
import { startOperatorViews, type OperatorViewOptions, type OperatorViews } from '../observability/dashboard/operator-views.ts';
import { RunTally, durationText, formatStatusLine, formatSummary } from '../observability/status-line.ts';
import { botKey, type BotIdentity } from '../persistence/envelope.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import type { StringKeyValue } from '../persistence/snapshot-store.ts';
import { Bot, marketParamsOf, type JournalRecord } from './bot.ts';
import { Supervisor } from './supervisor.ts';
import { SystemClock } from './clock.ts';
import { runnableStrategy } from '../variants/installed.ts';
import { consoleOutput, DEFAULT_MARKET, DEFAULT_STATUS_EVERY_MS, STOP_SETTLE_MS, type PaperOutput } from './paper.ts';
import type { BotStatus } from './status.ts';

export const defaultLiveStore = (market: string): string => `./data/${market}-lighter.sqlite`;
export const defaultLiveEvents = (market: string): string => `./data/${market}-lighter-events.jsonl`;
/** How often a wall-time run looks for a crashed bot (ms). */
const CRASH_POLL_MS = 200;

/** Where and as whom to connect. `privateKey` is a secret: handed to the adapter only. */
export interface LighterConnection {
  restUrl: string;
  wsUrl?: string;
  chainId: number;
  accountIndex: number;
  apiKeyIndex: number;
  privateKey: string;
}

export interface LiveOptions {
  loaded: LoadedConfig;
  /** Default: `loaded.config.venue` (kind lighter) with `loaded.secrets.lighterApiPrivateKey`. */
  connection?: LighterConnection;
  /** Venue part of the bot identity / store key (default 'lighter'). */
  venueLabel?: string;
  /** Run label in the journal (`<label>.started` / `<label>.stopped`) and messages (default 'live'). */
  runLabel?: string;
  /** Lines printed after the config lines (e.g. the loopback simulator's address). */
  banner?: string[];
  store?: string;
  events?: string;
  /** Status line interval, wall ms (default 5 s). */
  statusEveryMs?: number;
  /** Wall ms to run; default: until stopped. */
  durationMs?: number;
  rebuildFromVenue?: boolean;
  /**
   * State kept beside the bot in the same store (paper over loopback: the simulator's
   * snapshot). `attach` gets the opened store and returns the view the bot writes through;
   * `stopping` runs when the graceful stop begins (admission off); `detach` runs after the
   * bot and the venue stopped, before the store closes.
   */
  companion?: { attach(kv: StringKeyValue): StringKeyValue; stopping?(): void; detach(): Promise<void> };
  /** Control endpoint port on 127.0.0.1 (default 0 = any free port); false: no endpoint. */
  controlPort?: number | false;
  /** Aborting it stops the run gracefully (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  output?: PaperOutput;
  /** Adapter debug/info lines on stderr (default: warnings and errors only). */
  debug?: boolean;
  /** Every journal line (tests). */
  onJournal?: (line: JournalLine) => void;
  /** Alert variables and LOG_LEVEL (observability/observe.ts); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Structured logs at this level (`--log-level`; default LOG_LEVEL; neither: no logs). */
  logLevel?: string;
  /** Where log lines go (tests); default stderr. */
  logWrite?: (line: string) => void;
  /** `--dashboard` / `--inspect` (observability/dashboard/operator-views.ts); default neither. */
  views?: OperatorViewOptions;
  /** Adapter tuning (tests): timeouts, back-off, ping interval. */
  venueOptions?: Partial<Omit<LighterVenueOptions, 'privateKey' | 'restUrl' | 'wsUrl' | 'chainId' | 'accountIndex' | 'apiKeyIndex' | 'clock' | 'logger'>>;
}

export type LiveStopReason = 'duration' | 'stopped' | 'crashed';

export interface LiveResult {
  reason: LiveStopReason;
  startedAt: number;
  endedAt: number;
  /** Whether the bot came from a stored snapshot; false also when it never started. */
  restored: boolean;
  /** False when the run stopped before the venue connected. */
  connected: boolean;
  tally: RunTally;
  status: BotStatus | null;
  market: string;
}

function configSource(loaded: LoadedConfig): string {
  return loaded.sources.at(-1) ?? 'config';
}

/** The connection of a `venue.kind: lighter` config; the key must be in the secrets (from the environment). */
export function connectionFromConfig(loaded: LoadedConfig): LighterConnection {
  const v = loaded.config.venue;
  if (v.kind !== 'lighter') throw ConfigError.of(configSource(loaded), 'venue.kind', `${JSON.stringify(v.kind)}: live mode needs venue.kind lighter`);
  const key = loaded.secrets.lighterApiPrivateKey;
  if (!key) {
    throw ConfigError.of(
      configSource(loaded),
      'venue.kind',
      `venue kind lighter needs the API private key in the environment variable ${LIGHTER_KEY_ENV}, which is not set (the key is never read from a file)`,
    );
  }
  return { restUrl: v.rest_url, ...(v.ws_url !== undefined ? { wsUrl: v.ws_url } : {}), chainId: v.chain_id, accountIndex: v.account_index, apiKeyIndex: v.api_key_index, privateKey: key };
}

/** Adapter log lines on stderr, masked once more (the adapter already keeps secrets out). */
function adapterLogger(out: PaperOutput, debug: boolean, secret: string): LighterLogger {
  const fmt = (level: string, message: string, fields?: Record<string, unknown>): string => {
    let extra = '';
    if (fields && Object.keys(fields).length > 0) {
      try {
        extra = ` ${JSON.stringify(fields, (_k, val: unknown) => (typeof val === 'bigint' ? val.toString() : val))}`;
      } catch (err) {
        extra = ` (fields not printable: ${(err as Error).message})`;
      }
    }
    return redact(redactAdapter(`${level} ${message}${extra}`), [secret]);
  };
  const quiet = () => undefined;
  return {
    debug: debug ? (m, f) => out.error(fmt('DEBUG', m, f)) : quiet,
    info: debug ? (m, f) => out.error(fmt('INFO', m, f)) : quiet,
    warn: (m, f) => out.error(fmt('WARNING', m, f)),
    error: (m, f) => out.error(fmt('ERROR', m, f)),
  };
}

/**
 * The venue as the bot sees it, with a switch that stops delivering book updates: once
 * `admitting` is false no new entry is decided, while order, fill and position events still
 * reach the bot so requests in flight complete.
 */
export class AdmissionSwitch implements Venue {
  admitting = true;
  readonly name: string;
  constructor(private readonly inner: Venue) {
    this.name = inner.name;
  }
  get hedgeMode(): boolean | undefined {
    return this.inner.hedgeMode;
  }
  connect = (): Promise<void> => this.inner.connect();
  close = (): Promise<void> => this.inner.close();
  marketInfo: Venue['marketInfo'] = (m) => this.inner.marketInfo(m);
  placeOrder: Venue['placeOrder'] = (r) => this.inner.placeOrder(r);
  cancelOrder: Venue['cancelOrder'] = (m, i) => this.inner.cancelOrder(m, i);
  getOrder: Venue['getOrder'] = (m, i) => this.inner.getOrder(m, i);
  openOrders: Venue['openOrders'] = (m) => this.inner.openOrders(m);
  inactiveOrders: Venue['inactiveOrders'] = (m, s) => this.inner.inactiveOrders(m, s);
  fills: Venue['fills'] = (m, s) => this.inner.fills(m, s);
  position: Venue['position'] = (m) => this.inner.position(m);
  bbo: Venue['bbo'] = (m) => this.inner.bbo(m);
  setLeverage: Venue['setLeverage'] = (m, l) => this.inner.setLeverage(m, l);
  subscribe(market: string, onEvent: (event: VenueStreamEvent) => void): () => void {
    return this.inner.subscribe(market, (ev) => {
      if (!this.admitting && ev.type === 'market.bbo') return;
      onEvent(ev);
    });
  }
}

/** Resolves with the first stop cause; `dispose()` removes its timers and listener. */
function stopWatch(opts: { signal?: AbortSignal; durationMs?: number; crashed: () => boolean }): { reason: Promise<LiveStopReason>; dispose(): void } {
  let resolve!: (r: LiveStopReason) => void;
  const reason = new Promise<LiveStopReason>((r) => (resolve = r));
  const onAbort = () => resolve('stopped');
  if (opts.signal?.aborted) resolve('stopped');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = opts.durationMs !== undefined ? setTimeout(() => resolve('duration'), opts.durationMs) : undefined;
  const poll = setInterval(() => {
    if (opts.crashed()) resolve('crashed');
  }, CRASH_POLL_MS);
  return {
    reason,
    dispose: () => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (timer) clearTimeout(timer);
      clearInterval(poll);
    },
  };
}

/** Resolves true when `p` settled within `ms`, false otherwise. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

export async function runLive(opts: LiveOptions): Promise<LiveResult> {
  const out = opts.output ?? consoleOutput();
  const runLabel = opts.runLabel ?? 'live';
  const statusEvery = opts.statusEveryMs ?? DEFAULT_STATUS_EVERY_MS;
  if (!(Number.isInteger(statusEvery) && statusEvery > 0)) throw new RangeError(`status interval must be a positive integer ms, got ${statusEvery}`);
  if (opts.durationMs !== undefined && !(Number.isInteger(opts.durationMs) && opts.durationMs > 0)) {
    throw new RangeError(`duration must be a positive integer ms, got ${opts.durationMs}`);
  }

  // 1. Configuration and the key's format, before anything is opened.
  const { loaded } = opts;
  const strategy = runnableStrategy(loaded);
  const conn = opts.connection ?? connectionFromConfig(loaded);
  const market = loaded.config.market ?? DEFAULT_MARKET;
  const slot = loaded.config.instance_slot;
  const clock = new SystemClock();
  let lighter: LighterVenue;
  try {
    lighter = createLighterVenue({
      ...opts.venueOptions,
      restUrl: conn.restUrl,
      ...(conn.wsUrl !== undefined ? { wsUrl: conn.wsUrl } : {}),
      chainId: conn.chainId,
      accountIndex: conn.accountIndex,
      apiKeyIndex: conn.apiKeyIndex,
      privateKey: conn.privateKey,
      markets: [market],
      clock,
      logger: adapterLogger(out, opts.debug === true, conn.privateKey),
    });
  } catch (err) {
    if (err instanceof LighterSignerError) throw ConfigError.of('environment', LIGHTER_KEY_ENV, err.message.replace(/^private key: /, ''));
    throw err;
  }
  const venue = new AdmissionSwitch(lighter);
  for (const w of loaded.warnings) out.error(`warning: ${w}`);
  out.line(`config: ${loaded.sources.join(' + ')} | ${market} ${strategy.label}, slot ${slot}`);
  for (const l of strategy.details) out.line(`  ${l}`);
  for (const l of opts.banner ?? []) out.line(l);
  // Metrics (GET /metrics on the control endpoint), logs, alerts: a bad log level or alert variable is a ConfigError here.
  const { createObservability } = await import('../observability/observe.ts');
  const controlToken = newControlToken();
  const obs = createObservability({
    market,
    slot,
    env: opts.env ?? process.env,
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    ...(opts.logWrite ? { logWrite: opts.logWrite } : {}),
    secrets: [controlToken, conn.privateKey],
    printError: (t) => out.error(t),
  });

  // 2. Store, control endpoint, journal.
  const location = opts.store ?? loaded.config.store ?? defaultLiveStore(market);
  const opened = await openKeyv(location, { onError: (e) => out.error(`store: ${e.message}`) });
  const botKv = opts.companion ? opts.companion.attach(opened.keyv) : opened.keyv;
  let journal: JournalWriter | undefined;
  let bot: Bot | undefined;
  let control: ControlServer | undefined;
  let views: OperatorViews | undefined;
  let statusTimer: NodeJS.Timeout | undefined;
  const controlFile = opts.controlPort === false ? undefined : controlFilePath(location, market, slot);
  const watch = stopWatch({ ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.durationMs !== undefined ? { durationMs: opts.durationMs } : {}), crashed: () => bot?.crashed !== undefined });
  try {
    if (opts.controlPort !== false) control = await ControlServer.start({ port: opts.controlPort ?? 0, token: controlToken, metrics: obs.metrics });
    views = await startOperatorViews(opts.views, out);
    const identity: BotIdentity = { venue: opts.venueLabel ?? 'lighter', account: String(conn.accountIndex), market, slot, variant: strategy.kind };
    const tally = new RunTally();
    journal = new JournalWriter({
      file: opts.events ?? defaultLiveEvents(market),
      onLine: (line) => {
        tally.add(line);
        obs.journal(line);
        views?.journal(line);
        opts.onJournal?.(line);
      },
      // With logs on, WARNING+ events are log lines already.
      alert: obs.logger ? null : (text) => out.error(text),
    });
    const record = (rec: Omit<JournalRecord, 'time' | 'market'>) => journal!.write({ time: clock.now(), market, ...rec });
    const startedAt = clock.now();
    out.line(
      `store: ${opened.describe} | venue: ${identity.venue} ${conn.restUrl} (chain ${conn.chainId}, account ${conn.accountIndex}, api key ${conn.apiKeyIndex}) | bot ${botKey(identity)}` +
        `${opts.durationMs !== undefined ? ` | duration ${durationText(opts.durationMs)} wall time` : ''} | events: ${journal.file}`,
    );

    // 3. Connect (a stop request interrupts it: an unreachable endpoint is retried for ever).
    out.line(`connecting to ${conn.restUrl} …`);
    const connecting = venue.connect().then(
      () => true as const,
      (err: unknown) => {
        throw connectError(err, loaded, market, conn.restUrl);
      },
    );
    // A failure after a stop won the race is moot (the run is over): keep it from going unhandled.
    connecting.catch(() => undefined);
    const connected = await Promise.race([connecting, watch.reason.then(() => false as const)]);
    if (!connected) {
      const reason = await watch.reason;
      out.line(`stopped before the venue connected (${reasonText(reason)})`);
      return { reason, startedAt, endedAt: clock.now(), restored: false, connected: false, tally, status: null, market };
    }
    record({
      type: `${runLabel}.started`,
      level: 'info',
      message: `${runLabel} run started on ${identity.venue} ${market}`,
      payload: { venue: identity.venue, chainId: conn.chainId, accountIndex: conn.accountIndex, apiKeyIndex: conn.apiKeyIndex, durationMs: opts.durationMs ?? null },
    });

    // 4. The bot: restore (+ reconcile) or fresh start.
    strategy.checkMarket(marketParamsOf(await venue.marketInfo(market)));
    bot = new Bot({
      variant: strategy.variant,
      params: strategy.params,
      market,
      slot,
      targetLeverage: strategy.targetLeverage,
      venue,
      clock,
      kv: botKv,
      identity,
      journal: journal.write,
      supervisor: new Supervisor({ clock }),
      ...(opts.rebuildFromVenue ? { rebuildFromVenue: true } : {}),
      ...obs.botOptions,
      ...views?.botOptions(obs.botOptions.inspect),
    });
    await bot.start();
    const running = bot;
    obs.watch(running);
    views?.attach(running);
    out.line(`venue connected; bot ${running.restored ? 'restored from the store (reconciling with the venue)' : 'started fresh'}`);
    if (control && controlFile) {
      control.attach(running);
      const other = readOtherLiveDiscovery(controlFile);
      if (other) out.error(`warning: ${controlFile} named a running process (pid ${other}); another bot may be running on this store, market and slot`);
      writeDiscovery(controlFile, { url: control.url, pid: process.pid, token: control.token!, bot: running.key });
      out.line(`control: ${control.url} (grid-bot status / resume --store ${location} --market ${market}; file ${controlFile})`);
    }
    statusTimer = setInterval(() => {
      if (running.running) out.status(formatStatusLine(running.status(), { now: clock.now(), market }));
    }, statusEvery);

    // 5. Run until stopped, then stop gracefully.
    const reason = await watch.reason;
    clearInterval(statusTimer);
    venue.admitting = false;
    opts.companion?.stopping?.();
    if (!running.crashed && !(await within(running.idle.whenIdle(), STOP_SETTLE_MS))) {
      // Stop anyway: the snapshot records the pending request and a restart re-runs it.
      record({ type: `${runLabel}.stop-unsettled`, level: 'warning', message: `stopping with requests still in flight after ${STOP_SETTLE_MS} ms` });
    }
    control?.detach();
    views?.detach();
    const status = running.crashed ? null : running.status();
    if (running.crashed) running.kill();
    else await running.stop();
    const endedAt = clock.now();
    record({ type: `${runLabel}.stopped`, level: 'info', message: `${runLabel} run stopped (${reason}); state saved`, payload: { reason, wallMs: endedAt - startedAt } });
    const [, ...rest] = formatSummary({ market, startedAt, endedAt, tally, status, reason: reasonText(reason) });
    out.line(`summary ${market}: ${durationText(endedAt - startedAt)} wall time (${new Date(startedAt).toISOString()} → ${new Date(endedAt).toISOString()}), stopped: ${reasonText(reason)}`);
    for (const l of rest) out.line(l);
    return { reason, startedAt, endedAt, restored: running.restored, connected: true, tally, status, market };
  } catch (err) {
    bot?.kill();
    throw err;
  } finally {
    watch.dispose();
    if (statusTimer) clearInterval(statusTimer);
    await venue.close();
    // Adapter retries, pings and deadline timers all run on this clock: none may outlive the run.
    clock.clearAll();
    if (control) {
      if (controlFile) removeDiscovery(controlFile, control.token!);
      await control.close();
    }
    await views?.close();
    if (opts.companion) await opts.companion.detach().catch((e: unknown) => out.error(`error: saving state beside the bot failed: ${(e as Error).message}`));
    journal?.close();
    await obs.close();
    await opened.close();
  }
}

/** A connect failure as the operator should read it (an unknown market is a config problem). */
function connectError(err: unknown, loaded: LoadedConfig, market: string, restUrl: string): Error {
  if (isVenueError(err) && err.reason === 'unknown-market') {
    return ConfigError.of(configSource(loaded), 'market', `${JSON.stringify(market)} is not a market of the venue at ${restUrl}: ${err.message}`);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new Error(`cannot connect to the Lighter venue at ${restUrl}: ${e.message}`, { cause: e });
}

function reasonText(reason: LiveStopReason): string {
  switch (reason) {
    case 'duration':
      return 'duration reached';
    case 'stopped':
      return 'stop requested';
    case 'crashed':
      return 'the bot crashed (see the ERROR event)';
  }
}

/** The pid of a live process (not this one) named by an existing discovery file, if any. */
function readOtherLiveDiscovery(file: string): number | undefined {
  let d;
  try {
    d = readDiscovery(file);
  } catch (err) {
    // A damaged file is simply replaced.
    if (err instanceof Error) return undefined;
    throw err;
  }
  return d && d.pid !== process.pid && pidAlive(d.pid) ? d.pid : undefined;
}
