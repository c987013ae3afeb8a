/**
 * One bundle of a running bot's operator outputs — metrics, logs, alerts — built from the run
 * options and the environment, so that a runner (paper, live) wires them in a few lines:
 *
 *   const obs = createObservability({ market, slot, env, logLevel });   // before opening anything
 *   journal sink:  (line) => obs.journal(line)
 *   Bot options:   ...obs.botOptions                                   // onRequest, onWrite, inspect
 *   after start:   obs.watch(bot); control server: { metrics: obs.metrics }
 *   at the end:    await obs.close()
 *
 * Invariants:
 * - Configuration problems (a bad LOG_LEVEL / --log-level, bad alert variables) throw a
 *   ConfigError here, before the caller opens a store or a venue.
 * - Logs are off unless a level is given (`--log-level` or LOG_LEVEL): the console output of
 *   an interactive run stays as it is. With logs on, a WARNING+ journal event is a log line.
 * - Alerts are on only when their environment variables are set; their send failures are
 *   logged (or printed), never journaled or alerted again.
 * - Every log line is scrubbed of the environment's secret values and the extra secrets
 *   given (the control token).
 */
import type { InspectionEvent } from 'xstate';
import { ConfigError } from '../config/errors.ts';
import type { JournalRecord } from '../runtime/bot.ts';
import type { BotStatus } from '../runtime/status.ts';
import type { GridContext } from '../../machines/grid/types.ts';
import { Alerter, alertTargetsFromEnv } from './alerts.ts';
import type { JournalLine } from './journal.ts';
import { LOG_LEVEL_ENV, createLogger, logJournal, parseLogLevel, secretsFromEnv, type Logger, type LogLevel } from './log.ts';
import { BotMetrics, type RequestKind } from './metrics.ts';

export interface ObservabilityOptions {
  market: string;
  slot: number;
  env: NodeJS.ProcessEnv;
  /** `--log-level`; default the LOG_LEVEL variable; neither: no logs. */
  logLevel?: string;
  /** Pretty log lines (default: stderr is a TTY). */
  pretty?: boolean;
  /** Where log lines go (default stderr). */
  logWrite?: (line: string) => void;
  /** Secrets to scrub besides the environment's (e.g. the control token). */
  secrets?: Array<string | undefined>;
  /** Printed when there is no logger (an alert send failed). */
  printError?: (text: string) => void;
  /** Process metrics (CPU, memory, event loop) in /metrics; default true. */
  processMetrics?: boolean;
}

/** What `watch` reads: a Bot satisfies it. */
export interface WatchedBot {
  readonly running: boolean;
  status(): BotStatus;
  context(): GridContext;
}

export interface Observability {
  readonly metrics: BotMetrics;
  readonly logger: Logger | undefined;
  readonly alerter: Alerter | undefined;
  /** The journal sink: metrics, log line, alert. */
  journal(rec: JournalRecord | JournalLine): void;
  readonly botOptions: {
    onRequest: (kind: RequestKind, detail: Record<string, unknown>) => void;
    onWrite: (ms: number) => void;
    inspect: (ev: InspectionEvent) => void;
  };
  /** The scrape reads this bot's status. */
  watch(bot: WatchedBot): void;
  /** Waits (bounded by the send timeout) for alerts in flight, then stops. */
  close(): Promise<void>;
}

export function resolveLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv): LogLevel | undefined {
  if (flag !== undefined) {
    try {
      return parseLogLevel(flag, '--log-level');
    } catch (err) {
      throw ConfigError.of('command line', '--log-level', (err as Error).message.replace(/^--log-level /, ''));
    }
  }
  const fromEnv = env[LOG_LEVEL_ENV]?.trim();
  if (!fromEnv) return undefined;
  try {
    return parseLogLevel(fromEnv, LOG_LEVEL_ENV);
  } catch (err) {
    throw ConfigError.of('environment', LOG_LEVEL_ENV, (err as Error).message.replace(new RegExp(`^${LOG_LEVEL_ENV} `), ''));
  }
}

export function createObservability(opts: ObservabilityOptions): Observability {
  const level = resolveLogLevel(opts.logLevel, opts.env);
  const targets = alertTargetsFromEnv(opts.env);
  const logger = level
    ? createLogger({
        level,
        ...(opts.pretty !== undefined ? { pretty: opts.pretty } : {}),
        ...(opts.logWrite ? { write: opts.logWrite } : {}),
        secrets: secretsFromEnv(opts.env, opts.secrets ?? []),
        base: { market: opts.market, slot: opts.slot },
      })
    : undefined;
  const metrics = new BotMetrics({ market: opts.market, slot: opts.slot, processMetrics: opts.processMetrics ?? true });
  const alerter = targets
    ? new Alerter({
        ...targets,
        onError: (err) => {
          if (logger) logger.warn({ component: 'alerts' }, err.message);
          else opts.printError?.(`warning: ${err.message}`);
        },
      })
    : undefined;
  return {
    metrics,
    logger,
    alerter,
    journal: (rec) => {
      metrics.journal(rec);
      if (logger) logJournal(logger, rec);
      alerter?.handle(rec);
    },
    botOptions: { onRequest: metrics.request, onWrite: metrics.write, inspect: metrics.inspect },
    watch: (bot) =>
      metrics.watch(() => {
        if (!bot.running) return undefined;
        const ctx = bot.context();
        return { status: bot.status(), riskPhase: ctx.risk.phase, exposure: ctx.venue.exposure, operatorPaused: ctx.operatorPaused === true };
      }),
    close: async () => {
      await alerter?.close();
      logger?.flush();
    },
  };
}
