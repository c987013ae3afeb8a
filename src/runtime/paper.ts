/**
 * Paper mode: the bot against the in-process simulated venue, on one simulated clock.
 *
 * Start-up: load the config (`paper` preset when none is given), print where it came from
 * and its TP / stop-loss price distances, open the store, restore the simulated venue from
 * the same store (or create one with a seeded random-walk driver), start the bot (restore +
 * reconcile, or fresh), then run the clock (`--speed N` = N× real time, `max` = as fast as
 * possible; default 1) with a status line every `--status-every` simulated ms.
 *
 * Control endpoint (observability/control-server.ts): listens on 127.0.0.1 (`--control-port`,
 * default any free port) before the bot starts, serves the bot once it has started, and
 * publishes `{ url, pid, token, bot }` in the discovery file beside the store (mode 0600) for
 * `grid-bot status` / `grid-bot resume`; it is closed and the file removed when the run ends.
 * It also serves GET /metrics (observability/observe.ts: metrics from the journal, requests,
 * writes and status; JSON logs with `--log-level` / LOG_LEVEL; alerts when configured).
 * `--dashboard` / `--inspect` start the operator views (observability/dashboard/operator-views.ts).
 *
 * Stop (`--duration` reached, abort signal from SIGINT/SIGTERM, or the bot crashed): settle
 * in-flight effects, stop the price driver, `bot.stop()` (final snapshot written), save the
 * venue state with the clock time, print the summary. Running again on the same store
 * resumes where it stopped.
 *
 * Invariants:
 * - The venue and the bot share one SimClock; a resumed clock starts at the saved time.
 * - The stored venue state is never older than the stored bot snapshot (paper-venue.ts);
 *   it is also saved every VENUE_SAVE_EVERY_MS simulated ms.
 * - Configuration problems throw ConfigError before the store or venue is opened.
 */
import type { Venue } from '../../adapters/types.ts';
import type { LoadedConfig } from '../config/index.ts';
import { ConfigError, loadConfig } from '../config/index.ts';
import { ControlServer, controlFilePath, newControlToken, pidAlive, readDiscovery, removeDiscovery, writeDiscovery } from '../observability/control-server.ts';
import { JournalWriter, type JournalLine } from '../observability/journal.ts';
import { startOperatorViews, type OperatorViewOptions, type OperatorViews } from '../observability/dashboard/operator-views.ts';
import { RunTally, formatStatusLine, formatSummary } from '../observability/status-line.ts';
import { botKey, type BotIdentity } from '../persistence/envelope.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { SnapshotStore } from '../persistence/snapshot-store.ts';
import { runnableStrategy } from '../variants/installed.ts';
import { Bot, marketParamsOf, type JournalRecord } from './bot.ts';
import { Supervisor } from './supervisor.ts';
import { runSimulated, settle, validateSpeed, type StopReason } from './clock-driver.ts';
import { VENUE_SAVE_EVERY_MS, VenueStateSaver, captureRecord, guardedKv, openPaperVenue } from './paper-venue.ts';
import type { BotStatus } from './status.ts';

export const DEFAULT_PAPER_STORE = './data/paper.sqlite';
export const DEFAULT_PAPER_EVENTS = './data/paper-events.jsonl';
export const DEFAULT_MARKET = 'BTC';
export const DEFAULT_STATUS_EVERY_MS = 5_000;
export const PAPER_ACCOUNT = 'paper';
/** Longest wall time the graceful stop waits for pending effects before stopping anyway. */
export const STOP_SETTLE_MS = 10_000;

export interface PaperOutput {
  /** A line for stdout. */
  line(text: string): void;
  /** The periodic status line (a TTY overwrites it in place). */
  status(text: string): void;
  /** A line for stderr. */
  error(text: string): void;
}

export interface PaperOptions {
  config?: string;
  preset?: string;
  /** An already loaded config (`grid-bot run` with venue kind sim); skips loading. */
  loaded?: LoadedConfig;
  market?: string;
  store?: string;
  slot?: number;
  /** Default 1 (real-time pace). */
  speed?: number | 'max';
  /** Simulated ms to run; default: until stopped. */
  durationMs?: number;
  /** Price driver seed of a fresh venue (default 1). */
  seed?: number | string;
  statusEveryMs?: number;
  events?: string;
  rebuildFromVenue?: boolean;
  /** Control endpoint port on 127.0.0.1 (default 0 = any free port); false: no endpoint. */
  controlPort?: number | false;
  /** Aborting it stops the run gracefully (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal;
  output?: PaperOutput;
  env?: NodeJS.ProcessEnv;
  /** Every journal line (tests). */
  onJournal?: (line: JournalLine) => void;
  /** Structured logs at this level (`--log-level`; default LOG_LEVEL; neither: no logs). */
  logLevel?: string;
  /** Where log lines go (tests); default stderr (a TTY: pretty, through `output.error`). */
  logWrite?: (line: string) => void;
  /** Wraps the venue the bot talks to (tests: faulty or hostile venues). */
  wrapVenue?: (venue: Venue) => Venue;
  /** `--dashboard` / `--inspect` (observability/dashboard/operator-views.ts); default neither. */
  views?: OperatorViewOptions;
}

export interface PaperResult {
  reason: StopReason | 'crashed';
  startedAt: number;
  endedAt: number;
  resumed: boolean;
  tally: RunTally;
  status: BotStatus | null;
  market: string;
}

export function consoleOutput(stream: NodeJS.WriteStream = process.stdout, errStream: NodeJS.WriteStream = process.stderr): PaperOutput {
  const tty = stream.isTTY === true;
  let statusShown = false;
  const clearStatus = () => {
    if (statusShown) stream.write('\r\x1b[2K');
    statusShown = false;
  };
  return {
    line: (text) => {
      // Keep the last status line visible above ordinary output.
      if (statusShown) stream.write('\n');
      statusShown = false;
      stream.write(`${text}\n`);
    },
    status: (text) => {
      if (!tty) {
        stream.write(`${text}\n`);
        return;
      }
      const width = stream.columns && stream.columns > 20 ? stream.columns - 1 : text.length;
      stream.write(`\r\x1b[2K${text.length > width ? text.slice(0, width) : text}`);
      statusShown = true;
    },
    error: (text) => {
      if (tty) clearStatus();
      errStream.write(`${text}\n`);
    },
  };
}

export function loadPaperConfig(opts: Pick<PaperOptions, 'config' | 'preset' | 'market' | 'store' | 'slot' | 'env'>): LoadedConfig {
  const flags: { market?: string; store?: string; slot?: number } = {};
  if (opts.market !== undefined) flags.market = opts.market;
  if (opts.store !== undefined) flags.store = opts.store;
  if (opts.slot !== undefined) flags.slot = opts.slot;
  return loadConfig({
    ...(opts.config !== undefined ? { file: opts.config } : {}),
    ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
    fallbackPreset: 'paper',
    flags,
    ...(opts.env ? { env: opts.env } : {}),
  });
}

export async function runPaper(opts: PaperOptions): Promise<PaperResult> {
  const out = opts.output ?? consoleOutput();
  const speed = opts.speed ?? 1;
  validateSpeed(speed);
  const statusEvery = opts.statusEveryMs ?? DEFAULT_STATUS_EVERY_MS;
  if (!(Number.isInteger(statusEvery) && statusEvery > 0)) throw new RangeError(`status interval must be a positive integer ms, got ${statusEvery}`);
  if (opts.durationMs !== undefined && !(Number.isInteger(opts.durationMs) && opts.durationMs > 0)) {
    throw new RangeError(`duration must be a positive integer ms, got ${opts.durationMs}`);
  }

  // 1. Configuration: every problem is a ConfigError, before anything is opened.
  const loaded = opts.loaded ?? loadPaperConfig(opts);
  const strategy = runnableStrategy(loaded);
  if (loaded.config.venue.kind !== 'sim') {
    throw ConfigError.of(loaded.sources.at(-1) ?? 'config', 'venue.kind', `paper mode runs on the simulated venue; ${loaded.config.venue.kind} is for grid-bot run`);
  }
  const market = loaded.config.market ?? DEFAULT_MARKET;
  const slot = loaded.config.instance_slot;
  for (const w of loaded.warnings) out.error(`warning: ${w}`);
  out.line(`config: ${loaded.sources.join(' + ')} | ${market} ${strategy.label}, slot ${slot}`);
  for (const l of strategy.details) out.line(`  ${l}`);

  // Metrics, logs, alerts (observability/observe.ts): a bad log level or alert variable is a ConfigError here.
  // Loaded on use: pino and prom-client add ~0.5 s to every CLI start otherwise.
  const { createObservability } = await import('../observability/observe.ts');
  const controlToken = newControlToken();
  const obs = createObservability({
    market,
    slot,
    env: opts.env ?? process.env,
    ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
    ...(opts.logWrite ? { logWrite: opts.logWrite } : process.stderr.isTTY ? { logWrite: (l: string) => out.error(l.trimEnd()) } : {}),
    secrets: [controlToken],
    printError: (t) => out.error(t),
  });

  // 2. Store, venue, journal.
  const location = opts.store ?? loaded.config.store ?? DEFAULT_PAPER_STORE;
  const opened = await openKeyv(location, { onError: (e) => out.error(`store: ${e.message}`) });
  let journal: JournalWriter | undefined;
  let bot: Bot | undefined;
  let control: ControlServer | undefined;
  let views: OperatorViews | undefined;
  const controlFile = opts.controlPort === false ? undefined : controlFilePath(location, market, slot);
  try {
    if (opts.controlPort !== false) control = await ControlServer.start({ port: opts.controlPort ?? 0, token: controlToken, metrics: obs.metrics });
    views = await startOperatorViews(opts.views, out);
    const store = new SnapshotStore(opened.keyv);
    const identity: BotIdentity = { venue: 'sim', account: PAPER_ACCOUNT, market, slot, variant: strategy.kind };
    const notBefore = await botSavedAt(store, botKey(identity));
    const { venue, clock, resumed, notes } = await openPaperVenue({ store, market, seed: opts.seed ?? 1, ...(notBefore !== undefined ? { notBefore } : {}) });
    for (const n of notes) out.error(`warning: ${n}`);
    const saver = new VenueStateSaver(store, market, () => captureRecord(venue, clock));

    const tally = new RunTally();
    journal = new JournalWriter({
      file: opts.events ?? DEFAULT_PAPER_EVENTS,
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
      `store: ${opened.describe} | venue: sim ${market} (${resumed ? `resumed at ${new Date(startedAt).toISOString()}` : `new, seed ${String(opts.seed ?? 1)}`}) | speed ${speed === 'max' ? 'max' : `${speed}x`}` +
        `${opts.durationMs !== undefined ? ` | duration ${opts.durationMs / 1000}s simulated` : ''} | events: ${journal.file}`,
    );
    record({ type: 'paper.started', level: 'info', message: `paper run ${resumed ? 'resumed' : 'started'} on sim ${market}`, payload: { resumed, speed, seed: opts.seed ?? 1, durationMs: opts.durationMs ?? null } });

    // 3. The bot: restore (+ reconcile) or fresh start; its writes go through the guarded kv.
    strategy.checkMarket(marketParamsOf(await venue.marketInfo(market)));
    bot = new Bot({
      variant: strategy.variant,
      params: strategy.params,
      market,
      slot,
      targetLeverage: strategy.targetLeverage,
      venue: opts.wrapVenue ? opts.wrapVenue(venue) : venue,
      clock,
      kv: guardedKv(opened.keyv, saver),
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
    views?.attach(running, () => clock.now());
    if (control && controlFile) {
      control.attach(running, () => clock.now());
      const other = readOtherLiveDiscovery(controlFile);
      if (other) out.error(`warning: ${controlFile} named a running process (pid ${other}); another bot may be running on this store, market and slot`);
      writeDiscovery(controlFile, { url: control.url, pid: process.pid, token: control.token!, bot: running.key });
      out.line(`control: ${control.url} (grid-bot status / pause / resume / flatten / cancel-all; GET /metrics; file ${controlFile})`);
    }

    // 4. Periodic work on the simulated clock.
    const timers = new Set<number>();
    const every = (ms: number, fn: () => void) => {
      const tick = () => {
        timers.delete(id);
        fn();
        id = clock.setTimeout(tick, ms);
        timers.add(id);
      };
      let id = clock.setTimeout(tick, ms);
      timers.add(id);
    };
    every(statusEvery, () => out.status(formatStatusLine(running.status(), { now: clock.now(), market })));
    every(VENUE_SAVE_EVERY_MS, () => {
      saver.save().catch((e: Error) => record({ type: 'paper.venue-save-failed', level: 'warning', message: `saving the simulated venue failed: ${e.message}` }));
    });

    const drain = async () => {
      await venue.control.drain();
      await saver.settled();
    };
    const until = opts.durationMs !== undefined ? startedAt + opts.durationMs : undefined;
    const run = await runSimulated({
      clock,
      idle: running.idle,
      drain,
      speed,
      ...(until !== undefined ? { until } : {}),
      shouldStop: () => opts.signal?.aborted === true || running.crashed !== undefined,
    });

    // 5. Graceful stop.
    const reason: PaperResult['reason'] = running.crashed ? 'crashed' : run.reason;
    for (const id of timers) clock.clearTimeout(id);
    if (!running.crashed) {
      try {
        await settle(clock, running.idle, drain, { stallMs: STOP_SETTLE_MS });
      } catch (err) {
        // Stop anyway: the snapshot records the pending effect and a restart re-runs it.
        record({ type: 'paper.stop-unsettled', level: 'warning', message: `stopping with effects still pending: ${(err as Error).message}` });
      }
    }
    for (const d of venue.driversOf()) d.stop();
    control?.detach();
    views?.detach();
    const status = running.crashed ? null : running.status();
    // A crashed actor is not persisted again (its last good snapshot stays the restart point).
    if (running.crashed) running.kill();
    else await stopBot(running);
    await saver.save();
    const endedAt = clock.now();
    record({ type: 'paper.stopped', level: 'info', message: `paper run stopped (${reason}); state saved`, payload: { reason, simulatedMs: endedAt - startedAt } });
    for (const l of formatSummary({ market, startedAt, endedAt, tally, status, reason: reasonText(reason) })) out.line(l);
    return { reason, startedAt, endedAt, resumed, tally, status, market };
  } catch (err) {
    bot?.kill();
    throw err;
  } finally {
    if (control) {
      if (controlFile) removeDiscovery(controlFile, control.token!);
      await control.close();
    }
    await views?.close();
    journal?.close();
    await obs.close();
    await opened.close();
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

/**
 * Graceful stop that leaves a restorable snapshot: write the LIVE state, then drop the actor
 * without further writes. (Workaround: `Bot.stop()` closes its persister after
 * `actor.stop()`, and the close's final flush captures the STOPPED actor — status
 * 'stopped', no children — which a restart restores as an actor that ignores every event.
 * Switch back to `bot.stop()` once it persists before stopping the actor.)
 */
async function stopBot(bot: Bot): Promise<void> {
  await bot.flush();
  bot.kill();
}

function reasonText(reason: PaperResult['reason']): string {
  switch (reason) {
    case 'until':
      return 'duration reached';
    case 'stopped':
      return 'stop requested';
    case 'no-timers':
      return 'nothing left to simulate';
    case 'crashed':
      return 'the bot crashed (see the ERROR event)';
  }
}

/** The bot snapshot's savedAt, read loosely (Bot.start validates the envelope itself). */
async function botSavedAt(store: SnapshotStore, key: string): Promise<number | undefined> {
  const raw = await store.getRaw(key);
  if (raw === undefined) return undefined;
  try {
    const savedAt = (JSON.parse(raw) as { savedAt?: unknown }).savedAt;
    return typeof savedAt === 'number' && Number.isFinite(savedAt) ? savedAt : undefined;
  } catch (err) {
    // Not JSON: Bot.start refuses the snapshot with the precise reason; no time to take from it.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}
