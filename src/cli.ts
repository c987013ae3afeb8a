/**
 * `grid-bot` command line: `paper` (default of `npm start`), `run`, `status`, `resume`,
 * `presets`, `help`. Options are parsed strictly (node:util parseArgs): an unknown option or
 * a bad value is a usage error.
 *
 * `status` and `resume` talk to a running bot over its local control endpoint, found through
 * the discovery file beside the store (observability/control-server.ts); `status` falls back
 * to the persisted snapshot when no bot is running.
 *
 * Exit codes: 0 done; 2 usage, configuration (ConfigError) or refused snapshot
 * (SnapshotRefusedError) or a venue not available in this build or no running bot (resume);
 * 3 an operator command refused by the bot (resume while beyond the stop price); 1 anything
 * unexpected (or a bot crash). Messages only; a stack trace only with `--debug` or `DEBUG=1`.
 *
 * Venues plug in through `VENUES`: `sim` runs in-process (paper, simulated time); `lighter`
 * runs the real adapter on wall time (runtime/live.ts; key from LIGHTER_API_PRIVATE_KEY).
 * `paper` (default `--venue lighter-sim`) starts the Lighter simulator server in-process and
 * runs the bot over the real adapter on loopback, wall time, the simulator's state kept in
 * the store (runtime/paper-loopback.ts); `--venue sim` is the in-process matching engine on
 * a simulated clock (the only venue for `--speed` other than 1).
 */
import { listVariants } from './variants/list.ts';
import { registeredVariant } from './variants/installed.ts';
import { runSimServer } from './venue-sim/run.ts';
import { existsSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { pathToFileURL } from 'node:url';
import { ConfigError, describeDistances, listPresets, loadConfig, type DynamicGridConfig, type LoadedConfig, type VenueConfig } from './config/index.ts';
import { Dec } from './domain/decimal.ts';
import { ControlClient, controlFilePath, NoRunningBotError, readDiscovery, type ControlStatus, type OperatorCommand } from './observability/control-server.ts';
import { createInterface } from 'node:readline/promises';
import { operatorViewOptionsFrom, optionalFlagValue } from './observability/dashboard/operator-views.ts';
import { formatStatusLine, clockText } from './observability/status-line.ts';
import { SnapshotRefusedError } from './persistence/envelope.ts';
import { openKeyv, parseStoreLocation } from './persistence/keyv-store.ts';
import { SnapshotStore, simKey } from './persistence/snapshot-store.ts';
import { DEFAULT_MARKET, DEFAULT_PAPER_EVENTS, DEFAULT_PAPER_STORE, PAPER_ACCOUNT, consoleOutput, runPaper, type PaperOptions, type PaperOutput } from './runtime/paper.ts';
import { buildStatus, type BotStatus } from './runtime/status.ts';
import { runLive, type LiveOptions } from './runtime/live.ts';
import { DEFAULT_PAPER_VENUE, LOOPBACK_ACCOUNT_INDEX, LOOPBACK_VENUE_LABEL, loopbackVenueKey, PAPER_VENUES, runPaperLoopback, type PaperVenueKind } from './runtime/paper-loopback.ts';
import { findStoredBots } from './runtime/stored-bots.ts';
import type { GridContext } from '../machines/grid/types.ts';

/** A command-line mistake (exit code 2). */
export class UsageError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The configured venue has no adapter in this build (exit code 2). */
export class VenueUnavailableError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'VenueUnavailableError';
  }
}

export interface CliIO {
  out: PaperOutput;
  env: NodeJS.ProcessEnv;
  /** Installs stop handlers (SIGINT/SIGTERM); returns the uninstaller. */
  onStopSignal?: (stop: (signal: string) => void) => () => void;
  /** Asks a yes/no question (operator commands); default: the terminal when stdin is a TTY. */
  confirm?: (question: string) => Promise<boolean>;
}

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

const COMMON: OptionSpec = {
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const RUN_OPTIONS: OptionSpec = {
  ...COMMON,
  config: { type: 'string', short: 'c' },
  preset: { type: 'string' },
  market: { type: 'string' },
  store: { type: 'string' },
  slot: { type: 'string' },
  speed: { type: 'string' },
  duration: { type: 'string' },
  seed: { type: 'string' },
  'status-every': { type: 'string' },
  events: { type: 'string' },
  'rebuild-from-venue': { type: 'boolean' },
  'control-port': { type: 'string' },
  'log-level': { type: 'string' },
  dashboard: { type: 'string' },
  'dashboard-host': { type: 'string' },
  inspect: { type: 'boolean' },
  'inspect-port': { type: 'string' },
};
const PAPER_OPTIONS: OptionSpec = { ...RUN_OPTIONS, venue: { type: 'string' } };
const BOT_OPTIONS: OptionSpec = { ...COMMON, store: { type: 'string' }, market: { type: 'string' }, slot: { type: 'string' } };

interface Command {
  summary: string;
  usage: string;
  options: OptionSpec;
  run(values: Record<string, string | boolean | undefined>, io: CliIO): Promise<number>;
}

const RUN_HELP = `  -c, --config FILE        YAML config (seed-compatible keys, grid-strategy.md §3)
      --preset NAME        a shipped preset (see: grid-bot presets)
      --market SYMBOL      market (paper: BTC, ETH or TEST; default BTC)
      --store LOCATION     SQLite file, redis://… or postgres://… (default ${DEFAULT_PAPER_STORE})
      --slot N             instance slot 1..255 (default 1)
      --speed N|max        simulated-time pace: N× real time, or max (default 1; sim only)
      --duration D         stop after D: 30s, 10m, 2h, 1d (simulated time on sim, wall time otherwise)
      --seed S             price-driver seed of a new simulated venue (default 1; not for lighter)
      --status-every D     status line interval (simulated time on sim, wall time otherwise; default 5s)
      --events FILE        JSON-lines events journal (default ${DEFAULT_PAPER_EVENTS})
      --rebuild-from-venue ignore the stored snapshot and adopt what the venue shows
      --control-port N     control endpoint port on 127.0.0.1 (default 0 = any free port)
      --log-level L        structured logs (JSON; pretty on a TTY) at trace, debug, info, warn,
                           error (default: LOG_LEVEL; neither: no logs)
      --dashboard [PORT]   local dashboard page on 127.0.0.1 (default port 8780; 0 = any free
                           port): statecharts, gate, book, positions, PnL, events, buttons
      --dashboard-host H   bind the dashboard to H instead (the page then needs the token
                           printed once in its URL)
      --inspect            Stately inspector: relay on 127.0.0.1 (off by default: costs throughput)
      --inspect-port N     inspector relay port (default 8781; 0 = any free port)
      --debug              print stack traces (also DEBUG=1)`;

const COMMANDS: Record<string, Command> = {
  paper: {
    summary: 'run the bot on a simulated venue (default config: preset paper)',
    usage: `grid-bot paper [--venue lighter-sim|sim] [options]
      --venue KIND         lighter-sim (default): the Lighter simulator server in-process and
                           the real Lighter adapter over loopback, on wall time (--speed 1
                           only); the simulator's state is saved in the store beside the bot
                           and restored on the next run.
                           sim: the in-process matching engine on a simulated clock (any
                           --speed, e.g. --venue sim --speed max --duration 2h).
                           Both use the same default files, each bot under its own key.
${RUN_HELP}`,
    options: PAPER_OPTIONS,
    run: (v, io) => {
      const kind = paperVenueOf(v);
      return kind === 'lighter-sim' ? runLoopbackCommand(v, io) : runPaperCommand(v, io, undefined);
    },
  },
  run: {
    summary: 'run the bot on the venue of the config (lighter: real adapter, key from LIGHTER_API_PRIVATE_KEY; sim: in-process)',
    usage: `grid-bot run --config FILE | --preset NAME [options]\n${RUN_HELP}`,
    options: RUN_OPTIONS,
    run: (v, io) => runCommand(v, io),
  },
  status: {
    summary: 'print the status of a paper bot (live when it runs, else the persisted one)',
    usage: `grid-bot status [--store LOCATION] [--market SYMBOL] [--slot N]`,
    options: BOT_OPTIONS,
    run: (v, io) => statusCommand(v, io),
  },
  resume: {
    summary: 'lift halted (stop price) on a running bot; refused while mid is beyond the stop',
    usage: `grid-bot resume [--store LOCATION] [--market SYMBOL] [--slot N]\n  exit 0 resumed (or nothing to resume), 3 refused, 2 no running bot`,
    options: BOT_OPTIONS,
    run: (v, io) => resumeCommand(v, io),
  },
  pause: operatorEntry('pause', 'latch new entries on a running bot (exits, retries and recovery go on); resume lifts it'),
  flatten: operatorEntry('flatten', 'close the position of a running bot at market (reduce-only), retire every position, then halted'),
  'cancel-all': operatorEntry('cancel-all', 'cancel the entry and every exit of a running bot, keep positions tracked, then halted'),
  sim: {
    summary: 'run the Lighter-compatible simulator server alone on 127.0.0.1 (REST + WebSocket)',
    usage: 'grid-bot sim [--port N] [--seed S]\n  prints its REST and WS URLs and the account / API key indexes once ready; Ctrl-C stops it',
    options: { ...COMMON, port: { type: 'string' }, seed: { type: 'string' } },
    run: async (v, io) => {
      const port = v.port === undefined ? 0 : Number(v.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${String(v.port)} must be an integer in 0..65535`);
      const seed = v.seed === undefined ? 1 : Number(v.seed);
      if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed ${String(v.seed)} must be an integer`);
      const sim = await runSimServer({ port, seed, out: (line) => io.out.line(line) });
      await sim.stopped;
      return 0;
    },
  },
  chaos: {
    summary: 'crash-safety harness: the simulator server here, the bot as child processes, seeded faults and kill -9 (docs/reliability.md)',
    usage: `grid-bot chaos [--variant V] [--runs N] [--seed S] [--run K] [--parallel P] [--report FILE] [--keep] [--trace]
      --variant V     strategy the bots run: dynamic-grid (default) or range-grid
      --runs N        runs 1..N of the seed (default 20)
      --seed S        batch seed (default 1); run K of seed S always has the same fault plan
      --run K         replay only run K of the seed
      --parallel P    runs at a time (default 2)
      --report FILE   also write the report as JSON
      --keep          keep every run's directory (store, journal, child output), not only failing ones
      --trace         print each injected fault
  exit 0 no violation, 1 a violation (each printed with its seed, run and replay command)`,
    options: { ...COMMON, variant: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' }, run: { type: 'string' }, parallel: { type: 'string' }, report: { type: 'string' }, keep: { type: 'boolean' }, trace: { type: 'boolean' } },
    run: (v, io) => chaosCommand(v, io),
  },
  variants: {
    summary: 'list the installed strategy variants with their config keys',
    usage: 'grid-bot variants',
    options: COMMON,
    run: async (_v, io) => {
      for (const v of listVariants()) {
        io.out.line(`${v.kind}${v.isDefault ? ' (default)' : ''}: ${v.description}`);
        for (const k of v.keys) io.out.line(`  ${k.key.padEnd(28)} default ${k.default.padEnd(26)} ${k.range}`);
      }
      return 0;
    },
  },
  presets: {
    summary: 'list the shipped presets with their TP / stop-loss distances',
    usage: 'grid-bot presets',
    options: COMMON,
    run: async (_v, io) => {
      for (const name of listPresets()) {
        const loaded = loadConfig({ preset: name, env: io.env });
        const s = loaded.config.strategy as DynamicGridConfig;
        io.out.line(`${name}: ${loaded.config.market ?? DEFAULT_MARKET} ${s.direction === 'buy' ? 'long' : 'short'}, leverage ${s.target_leverage}, max_orders ${s.max_orders}`);
        for (const l of describeDistances(s)) io.out.line(`  ${l}`);
      }
      return 0;
    },
  },
  help: {
    summary: 'show this help (or: grid-bot help COMMAND)',
    usage: 'grid-bot help [COMMAND]',
    options: COMMON,
    run: async (_v, io) => {
      io.out.line(helpText());
      return 0;
    },
  },
};

export function helpText(command?: string): string {
  if (command && COMMANDS[command]) return `usage: ${COMMANDS[command].usage}`;
  const lines = ['usage: grid-bot COMMAND [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(11)}${c.summary}`);
  lines.push('', 'grid-bot help COMMAND shows the options of a command.');
  return lines.join('\n');
}

// ------------------------------------------------------------------ value parsing

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `500ms`, `30s`, `10m`, `1.5h`, `1d` → integer ms (> 0). */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} ${JSON.stringify(text)} is not a duration; use a number with a unit: 500ms, 30s, 10m, 2h, 1d`);
  const ms = new Dec(m[1]).times(UNIT_MS[m[2]]).toDecimalPlaces(0, Dec.ROUND_HALF_EVEN);
  if (!ms.gt(0) || !ms.lte(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${flag} ${JSON.stringify(text)} must be at least 1ms and finite`);
  return ms.toNumber();
}

/** `max` or a positive number. */
export function parseSpeed(text: string): number | 'max' {
  if (text === 'max') return 'max';
  if (!/^\d+(\.\d+)?$/.test(text) || !new Dec(text).gt(0)) {
    throw new UsageError(`--speed ${JSON.stringify(text)} is not allowed; use a positive number (1 = real time, 10 = ten times faster) or max`);
  }
  return Number(text);
}

function parseSlot(text: string): number {
  if (!/^\d{1,3}$/.test(text)) throw new UsageError(`--slot ${JSON.stringify(text)} is not allowed; use an integer 1..255`);
  return Number(text);
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--control-port ${JSON.stringify(text)} is not allowed; use an integer 0..65535 (0 = any free port)`);
  return Number(text);
}

function parseSeed(text: string): number | string {
  return /^\d{1,15}$/.test(text) ? Number(text) : text;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function paperOptionsFrom(v: Record<string, string | boolean | undefined>): PaperOptions {
  const o: PaperOptions = {};
  const s = (k: string) => str(v[k]);
  if (s('config') !== undefined) o.config = s('config');
  if (s('preset') !== undefined) o.preset = s('preset');
  if (s('market') !== undefined) o.market = s('market');
  if (s('store') !== undefined) o.store = s('store');
  if (s('slot') !== undefined) o.slot = parseSlot(s('slot')!);
  if (s('speed') !== undefined) o.speed = parseSpeed(s('speed')!);
  if (s('duration') !== undefined) o.durationMs = parseDuration(s('duration')!, '--duration');
  if (s('seed') !== undefined) o.seed = parseSeed(s('seed')!);
  if (s('status-every') !== undefined) o.statusEveryMs = parseDuration(s('status-every')!, '--status-every');
  if (s('events') !== undefined) o.events = s('events');
  if (v['rebuild-from-venue'] === true) o.rebuildFromVenue = true;
  if (s('control-port') !== undefined) o.controlPort = parsePort(s('control-port')!);
  if (s('log-level') !== undefined) o.logLevel = s('log-level');
  const views = operatorViewOptionsFrom(v);
  if (views) o.views = views;
  return o;
}

// ------------------------------------------------------------------ commands

/** Runs `body` with SIGINT/SIGTERM wired to an abort signal (a second signal exits at once). */
async function withStopSignals<T>(io: CliIO, body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  let signals = 0;
  const uninstall = io.onStopSignal?.((signal) => {
    signals++;
    if (signals === 1) {
      io.out.error(`${signal}: stopping gracefully (state is being saved; press Ctrl-C again to exit at once)`);
      abort.abort();
    } else {
      io.out.error(`${signal} again: exiting without a graceful stop`);
      process.exit(130);
    }
  });
  try {
    return await body(abort.signal);
  } finally {
    uninstall?.();
  }
}

async function runPaperCommand(v: Record<string, string | boolean | undefined>, io: CliIO, loaded: LoadedConfig | undefined): Promise<number> {
  const opts = paperOptionsFrom(v);
  return withStopSignals(io, async (signal) => {
    const result = await runPaper({ ...opts, ...(loaded ? { loaded } : {}), signal, output: io.out, env: io.env });
    return result.reason === 'crashed' ? 1 : 0;
  });
}

function paperVenueOf(v: Record<string, string | boolean | undefined>): PaperVenueKind {
  const kind = str(v.venue) ?? DEFAULT_PAPER_VENUE;
  if (!(PAPER_VENUES as readonly string[]).includes(kind)) {
    throw new UsageError(`--venue ${JSON.stringify(kind)} is not allowed; use ${PAPER_VENUES.join(' or ')}`);
  }
  return kind as PaperVenueKind;
}

/** Options shared by the wall-time modes; `--speed` other than 1 is refused. */
function wallTimeOptions(v: Record<string, string | boolean | undefined>, mode: string, io: CliIO): Omit<LiveOptions, 'loaded'> {
  const opts = paperOptionsFrom(v);
  if (opts.speed !== undefined && opts.speed !== 1) {
    throw new UsageError(`--speed ${String(opts.speed)} is not allowed with ${mode}: it runs on wall time (only --speed 1); use grid-bot paper --venue sim for faster simulated time`);
  }
  const o: Omit<LiveOptions, 'loaded'> = { debug: v.debug === true || isDebug([], io.env) };
  if (opts.store !== undefined) o.store = opts.store;
  if (opts.events !== undefined) o.events = opts.events;
  if (opts.statusEveryMs !== undefined) o.statusEveryMs = opts.statusEveryMs;
  if (opts.durationMs !== undefined) o.durationMs = opts.durationMs;
  if (opts.rebuildFromVenue) o.rebuildFromVenue = true;
  if (opts.controlPort !== undefined) o.controlPort = opts.controlPort;
  if (opts.logLevel !== undefined) o.logLevel = opts.logLevel;
  if (opts.views) o.views = opts.views;
  return o;
}

/** `grid-bot run` on venue.kind lighter: the real adapter on wall time. */
async function runLiveCommand(v: Record<string, string | boolean | undefined>, io: CliIO, loaded: LoadedConfig): Promise<number> {
  if (str(v.seed) !== undefined) throw new UsageError('--seed applies to a simulated venue only; venue.kind lighter has its own prices');
  const o = wallTimeOptions(v, 'venue.kind lighter', io);
  return withStopSignals(io, async (signal) => {
    const result = await runLive({ ...o, loaded, signal, output: io.out, env: io.env });
    return result.reason === 'crashed' ? 1 : 0;
  });
}

/** `grid-bot paper --venue lighter-sim`: the simulator server in-process, the real adapter over loopback. */
async function runLoopbackCommand(v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const opts = paperOptionsFrom(v);
  const o = wallTimeOptions(v, str(v.venue) === undefined ? 'paper on its default venue (lighter-sim: the Lighter simulator over loopback)' : 'paper --venue lighter-sim', io);
  return withStopSignals(io, async (signal) => {
    const result = await runPaperLoopback({
      ...o,
      ...(opts.config !== undefined ? { config: opts.config } : {}),
      ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
      ...(opts.market !== undefined ? { market: opts.market } : {}),
      ...(opts.slot !== undefined ? { slot: opts.slot } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
      env: io.env,
      signal,
      output: io.out,
    });
    return result.reason === 'crashed' ? 1 : 0;
  });
}

/** Venue kinds and how `run` starts them; a missing entry is reported as not available. */
const VENUES: Record<VenueConfig['kind'], ((v: Record<string, string | boolean | undefined>, io: CliIO, loaded: LoadedConfig) => Promise<number>) | undefined> = {
  sim: (v, io, loaded) => runPaperCommand(v, io, loaded),
  lighter: (v, io, loaded) => runLiveCommand(v, io, loaded),
};

async function runCommand(v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const opts = paperOptionsFrom(v);
  if (opts.config === undefined && opts.preset === undefined) throw new UsageError('grid-bot run needs --config FILE or --preset NAME');
  const loaded = loadConfig({
    ...(opts.config !== undefined ? { file: opts.config } : {}),
    ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
    flags: { ...(opts.market !== undefined ? { market: opts.market } : {}), ...(opts.store !== undefined ? { store: opts.store } : {}), ...(opts.slot !== undefined ? { slot: opts.slot } : {}) },
    env: io.env,
  });
  const start = VENUES[loaded.config.venue.kind];
  if (!start) {
    throw new VenueUnavailableError(`venue.kind ${loaded.config.venue.kind}: the Lighter adapter is not available yet in this build; use grid-bot paper (simulated venue) meanwhile`);
  }
  return start(v, io, loaded);
}

/** Store location, market and slot of `status` / `resume`. */
function botTarget(v: Record<string, string | boolean | undefined>): { market: string; slot: number; location: string } {
  return { market: str(v.market) ?? DEFAULT_MARKET, slot: str(v.slot) !== undefined ? parseSlot(str(v.slot)!) : 1, location: str(v.store) ?? DEFAULT_PAPER_STORE };
}

/** Exit code of a control-endpoint answer: 0 accepted, 3 refused by the bot; no bot → exit 2. */
function replyExitCode(client: ControlClient, reply: Awaited<ReturnType<ControlClient['resume']>>, io: CliIO): number {
  if (reply.status === 200) {
    io.out.line(reply.body.message);
    return 0;
  }
  if (reply.status === 409) {
    io.out.error(reply.body.message);
    return 3;
  }
  if (reply.status === 503) throw new NoRunningBotError(`no running bot found: ${reply.body.message}`);
  throw new Error(`control endpoint ${client.discovery.url} answered ${reply.status}: ${reply.body.message}`);
}

async function resumeCommand(v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const { market, slot, location } = botTarget(v);
  const client = ControlClient.find(controlFilePath(location, market, slot));
  const reply = await client.resume();
  return replyExitCode(client, reply, io);
}

/** The COMMANDS entry of an operator command (pause, flatten, cancel-all). */
function operatorEntry(name: OperatorCommand, summary: string): Command {
  return {
    summary,
    usage: `grid-bot ${name} [--yes] [--store LOCATION] [--market SYMBOL] [--slot N]
  asks "are you sure?" first unless --yes (-y); without a terminal --yes is required
  exit 0 accepted, 3 refused by the bot, 2 no running bot or no --yes without a terminal, 1 answered no`,
    options: { ...BOT_OPTIONS, yes: { type: 'boolean', short: 'y' } },
    run: (v, io) => operatorCommandCli(name, v, io),
  };
}

/** y / yes on the terminal; anything else is no. */
async function terminalConfirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function operatorCommandCli(name: OperatorCommand, v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const { market, slot, location } = botTarget(v);
  const client = ControlClient.find(controlFilePath(location, market, slot));
  if (v.yes !== true) {
    const confirm = io.confirm ?? (process.stdin.isTTY ? terminalConfirm : undefined);
    if (!confirm) throw new UsageError(`grid-bot ${name} needs --yes when no terminal can ask "are you sure?"`);
    if (!(await confirm(`${name} bot ${client.discovery.bot} (pid ${client.discovery.pid}): are you sure?`))) {
      io.out.error(`${name}: not confirmed; nothing sent`);
      return 1;
    }
  }
  const reply = await client.command(name);
  return replyExitCode(client, reply, io);
}

/** The live status of the running bot, or undefined when none answers (then the snapshot is shown). */
async function liveStatus(file: string, io: CliIO): Promise<{ client: ControlClient; status: ControlStatus } | undefined> {
  try {
    if (!readDiscovery(file)) return undefined;
    const client = ControlClient.find(file);
    const reply = await client.status();
    if (reply.status !== 200) return undefined;
    return { client, status: reply.body as ControlStatus };
  } catch (err) {
    if (err instanceof NoRunningBotError) return undefined;
    if (!(err instanceof Error)) throw err;
    io.out.error(`note: no live status (${err.message}); showing the persisted state`);
    return undefined;
  }
}

async function statusCommand(v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const { market, slot, location } = botTarget(v);
  const live = await liveStatus(controlFilePath(location, market, slot), io);
  if (live) {
    const s = live.status;
    io.out.line(`bot ${s.bot}, live (pid ${live.client.discovery.pid}, ${live.client.discovery.url}) at ${new Date(s.now).toISOString()} (${s.bot.startsWith('gridchart:sim:') ? 'simulated' : 'wall'} time)`);
    printStatus(io, s, market, s.now);
    io.out.line(`  risk: ${s.risk.phase}${s.risk.trigger ? ` (${s.risk.trigger}${s.risk.triggerMid ? ` at mid ${s.risk.triggerMid}` : ''})` : ''}; gate ${s.gate.open ? 'open' : `refusing: ${s.gateReasons.join(', ')}`}`);
    return 0;
  }
  const parsed = parseStoreLocation(location);
  if (parsed.kind === 'sqlite' && !existsSync(parsed.file)) {
    io.out.error(`error: no store at ${parsed.file}`);
    return 2;
  }
  const opened = await openKeyv(location, { onError: (e) => io.out.error(`store: ${e.message}`) });
  try {
    const store = new SnapshotStore(opened.keyv);
    // Any venue's bot: in-process paper, paper over loopback, grid-bot run (runtime/stored-bots.ts).
    const bots = await findStoredBots(opened.keyv, market, slot, [
      { venue: LOOPBACK_VENUE_LABEL, account: String(LOOPBACK_ACCOUNT_INDEX) },
      { venue: 'sim', account: PAPER_ACCOUNT },
    ]);
    if (bots.length === 0) {
      io.out.error(`no bot state for ${market} slot ${slot} in ${opened.describe}`);
      return 2;
    }
    for (const { key, identity, envelope: env } of bots) {
      const status = registeredVariant(identity.variant)!.variant.status(env.snapshot as { value: unknown; context: unknown });
      io.out.line(`bot ${key}, saved ${new Date(env.savedAt).toISOString()} (${identity.venue === 'sim' ? 'simulated' : 'wall'} time)`);
      printStatus(io, status, market, env.savedAt);
      const venueKey = identity.venue === 'sim' ? simKey(market) : identity.venue === LOOPBACK_VENUE_LABEL ? loopbackVenueKey(market) : undefined;
      const venue = venueKey === undefined ? undefined : await store.get<{ clockNow?: number }>(venueKey);
      if (venue?.clockNow !== undefined) {
        io.out.line(`${identity.venue === 'sim' ? 'simulated venue' : 'Lighter simulator'} saved at ${new Date(venue.clockNow).toISOString()} (${clockText(venue.clockNow)} UTC)`);
      }
    }
    return 0;
  } finally {
    await opened.close();
  }
}

function printStatus(io: CliIO, status: BotStatus, market: string, now: number): void {
  io.out.line(formatStatusLine(status, { now, market }));
  for (const p of status.positions) {
    const exit = p.exit ? `${p.exitName} ${p.exit.type} ${p.exit.size} @ ${p.exit.price} ${p.exit.status}` : 'no exit';
    io.out.line(`  ${p.name} ${p.state}: size ${p.size} remaining ${p.remaining} @ ${p.entryPrice}; ${exit}`);
  }
  io.out.line(`  next position number: grid-${status.nextN}`);
}

// ------------------------------------------------------------------ entry point

function positiveInt(v: string | boolean | undefined, flag: string, def: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`${flag} ${String(v)} must be an integer ≥ 1`);
  return n;
}

/** `grid-bot chaos`: loaded on demand (the bot's own start-up does not pay for it). */
async function chaosCommand(v: Record<string, string | boolean | undefined>, io: CliIO): Promise<number> {
  const runs = positiveInt(v.runs, '--runs', 20);
  const parallel = positiveInt(v.parallel, '--parallel', 2);
  const only = v.run === undefined ? undefined : positiveInt(v.run, '--run', 1);
  const seed = v.seed === undefined ? 1 : Number(v.seed);
  if (typeof v.seed === 'string' && !/^-?\d+$/.test(v.seed)) throw new UsageError(`--seed ${v.seed} must be an integer`);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed ${String(v.seed)} must be an integer`);
  const variant = v.variant === undefined ? 'dynamic-grid' : String(v.variant);
  if (variant !== 'dynamic-grid' && variant !== 'range-grid') throw new UsageError(`--variant ${variant} is not one the chaos harness runs; allowed dynamic-grid, range-grid`);
  const { runChaos } = await import('./chaos/batch.ts');
  const { formatReport } = await import('./chaos/report.ts');
  const { writeFileSync } = await import('node:fs');
  const report = await runChaos({
    seed,
    runs,
    parallel,
    variant,
    ...(only !== undefined ? { only } : {}),
    ...(v.keep === true ? { keepDirs: true } : {}),
    ...(v.trace === true ? { trace: (l: string) => io.out.line(l) } : {}),
    onRun: (r, done, total) => {
      const faults = Object.values(r.injected).reduce((a, b) => a + (b ?? 0), 0);
      io.out.line(`run ${r.run} (${done}/${total}): ${r.direction}, ${faults} faults, ${r.restarts} restarts, ${r.stats.fills} fills, ${(r.wallMs / 1000).toFixed(1)} s${r.violations.length ? ` — ${r.violations.length} VIOLATION(S): ${r.violations.map((x) => x.invariant).join(', ')}` : ''}`);
    },
  });
  if (typeof v.report === 'string') writeFileSync(v.report, `${JSON.stringify(report, null, 2)}\n`);
  io.out.line(formatReport(report));
  return report.ok ? 0 : 1;
}

function isDebug(argv: string[], env: NodeJS.ProcessEnv): boolean {
  return argv.includes('--debug') || env.DEBUG === '1' || env.DEBUG === 'true';
}

function expectedError(err: unknown): err is Error & { exitCode: number } {
  return (
    err instanceof ConfigError || err instanceof SnapshotRefusedError || err instanceof UsageError || err instanceof VenueUnavailableError || err instanceof NoRunningBotError
  );
}

function parseCommandArgs(name: string, command: Command, args: string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args, options: command.options, strict: true, allowPositionals: false }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    const e = err as Error & { code?: string };
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
      throw new UsageError(`unknown option ${unknown[1]} for grid-bot ${name}; see grid-bot help ${name}`);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      throw new UsageError(`grid-bot ${name} takes no positional arguments (${e.message.replace(/^Unexpected argument '([^']+)'.*$/s, "got '$1'")}); see grid-bot help ${name}`);
    }
    if (e.code?.startsWith('ERR_PARSE_ARGS')) throw new UsageError(`grid-bot ${name}: ${e.message}`);
    throw err;
  }
}

/** Runs one command line; returns the exit code (never throws). */
export async function main(argv: string[], io: CliIO): Promise<number> {
  const debug = isDebug(argv, io.env);
  try {
    const [first, ...rest] = argv;
    if (first === undefined || first === '--help' || first === '-h') {
      io.out.line(helpText());
      return first === undefined ? 2 : 0;
    }
    const command = COMMANDS[first];
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(first)}; commands: ${Object.keys(COMMANDS).join(', ')}`);
    if (first === 'help') {
      io.out.line(helpText(rest[0]));
      return 0;
    }
    const values = parseCommandArgs(first, command, optionalFlagValue(rest));
    if (values.help === true) {
      io.out.line(helpText(first));
      return 0;
    }
    return await command.run(values, io);
  } catch (err) {
    if (expectedError(err)) {
      io.out.error(`error: ${err.message}`);
      if (debug && err.stack) io.out.error(err.stack);
      return err.exitCode;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    io.out.error(`error: ${e.message}`);
    if (debug && e.stack) io.out.error(e.stack);
    else io.out.error('(run with --debug or DEBUG=1 for the stack trace)');
    return 1;
  }
}

function processIO(): CliIO {
  return {
    out: consoleOutput(),
    env: process.env,
    onStopSignal: (stop) => {
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      return () => {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      };
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2), processIO());
  // Every command has finished its work here; a straggler (e.g. a keep-alive socket of the
  // venue's HTTP client) must not keep the process alive. Unref'd: a clean exit is not delayed.
  setTimeout(() => process.exit(), 2_000).unref();
}
