/**
 * Structured logs (pino): one JSON object per line, or a readable pretty form on a TTY
 * (pino-pretty, formatted in-process and synchronously — no worker thread). The events
 * journal (grid-strategy.md §6) is mapped onto log lines: journal level → log level
 * (warning → warn), `type`, `market`, the event time `at` and `payload` as fields, the
 * journal message as `msg`.
 *
 *   {"level":"warn","time":"…","pid":1,"market":"BTC","type":"exit.retry-limit-exceeded",
 *    "at":"2024-05-01T12:00:05.000Z","payload":{…},"msg":"grid-3:close-retry-3 …"}
 *
 * Invariants:
 * - Secrets never reach the output: fields named like a secret are censored (pino redact),
 *   and every line is scrubbed of the known secret values just before it is written (the
 *   environment's `*KEY*`, `*SECRET*`, `*TOKEN*`, `*PASSWORD*`, `*WEBHOOK*` values, with and
 *   without `0x`, plus any given explicitly) — whatever path they took into a message.
 * - Writing is synchronous (a line written survives a crash right after it).
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { JournalLevel } from '../../machines/shared/types.ts';
import type { JournalRecord } from '../runtime/bot.ts';
import type { JournalLine } from './journal.ts';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_LEVEL_ENV = 'LOG_LEVEL';

/** `--log-level` / LOG_LEVEL value → pino level (`warning` is accepted for `warn`). */
export function parseLogLevel(text: string, source = '--log-level'): LogLevel {
  const v = text.trim().toLowerCase();
  const level = v === 'warning' ? 'warn' : v;
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new RangeError(`${source} ${JSON.stringify(text)} is not a log level; allowed: ${LOG_LEVELS.join(', ')} (warning = warn)`);
}

const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD|PASSPHRASE|PRIVATE|WEBHOOK/i;
/** Shorter values are not treated as secrets (they would scrub ordinary words and numbers). */
const MIN_SECRET_LENGTH = 8;

/** The secret values of an environment (and their `0x`-less / `0x`-prefixed forms). */
export function secretsFromEnv(env: NodeJS.ProcessEnv, extra: Array<string | undefined> = []): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined) => {
    if (v === undefined) return;
    const t = v.trim();
    if (t.length < MIN_SECRET_LENGTH) return;
    out.add(t);
    if (/^0x/i.test(t)) out.add(t.slice(2));
    else if (/^[0-9a-f]+$/i.test(t)) out.add(`0x${t}`);
  };
  for (const [name, value] of Object.entries(env)) if (SECRET_NAME.test(name)) add(value);
  for (const v of extra) add(v);
  // Longest first, so a value containing another is replaced whole.
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret (case-insensitively for hex keys) with `[redacted]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let s = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    if (/^(0x)?[0-9a-f]+$/i.test(secret)) {
      const lower = s.toLowerCase();
      const needle = secret.toLowerCase();
      if (!lower.includes(needle)) continue;
      let out = '';
      let from = 0;
      for (let i = lower.indexOf(needle); i !== -1; i = lower.indexOf(needle, from)) {
        out += `${s.slice(from, i)}[redacted]`;
        from = i + needle.length;
      }
      s = out + s.slice(from);
    } else if (s.includes(secret)) s = s.split(secret).join('[redacted]');
  }
  return s;
}

/** Field names censored wherever they appear (top level and one or two levels down). */
const REDACT_KEYS = ['privateKey', 'private_key', 'apiKey', 'api_key', 'secret', 'token', 'authorization', 'password', 'webhookUrl'];
const REDACT_PATHS = REDACT_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LoggerOptions {
  level: LogLevel;
  /** Pretty (human) lines instead of JSON; default: whether stderr is a TTY. */
  pretty?: boolean;
  /** Colours in pretty mode; default: same as `pretty`. */
  colorize?: boolean;
  /** Where a finished line (with its newline) goes; default process.stderr. */
  write?: (line: string) => void;
  /** Secret values to scrub (see secretsFromEnv). */
  secrets?: readonly string[];
  /** Fields on every line (e.g. { bot }). */
  base?: Record<string, unknown>;
}

export function createLogger(opts: LoggerOptions): Logger {
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const secrets = opts.secrets ?? [];
  let dest: DestinationStream;
  if (pretty) {
    const prettify = prettyFactory({
      colorize: opts.colorize ?? pretty,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,type',
      singleLine: true,
      messageFormat: '{if type}{type}: {end}{msg}',
    });
    dest = { write: (json: string) => write(prettify(json)) };
  } else {
    dest = { write };
  }
  return pino(
    {
      level: opts.level,
      base: { pid: process.pid, ...(opts.base ?? {}) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: { streamWrite: (s) => scrub(s, secrets) },
    },
    dest,
  );
}

const LEVEL: Record<JournalLevel, 'debug' | 'info' | 'warn' | 'error'> = { debug: 'debug', info: 'info', warning: 'warn', error: 'error' };

export function journalLogLevel(level: JournalLevel): 'debug' | 'info' | 'warn' | 'error' {
  return LEVEL[level] ?? 'info';
}

export interface JournalLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: { market: string; type: string; at: string; payload: Record<string, unknown> };
  msg: string;
}

/** The log line of one journal record (a record from the Bot or a line read back from the file). */
export function journalLogEntry(rec: JournalRecord | JournalLine): JournalLogEntry {
  const at = typeof rec.time === 'number' ? new Date(rec.time).toISOString() : rec.time;
  return {
    level: journalLogLevel(rec.level),
    fields: { market: rec.market, type: rec.type, at, payload: (rec.payload ?? {}) as Record<string, unknown> },
    msg: rec.message,
  };
}

export function logJournal(logger: Logger, rec: JournalRecord | JournalLine): void {
  const e = journalLogEntry(rec);
  logger[e.level](e.fields, e.msg);
}
