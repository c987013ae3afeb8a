/**
 * The events journal (grid-strategy.md §6): one JSON line per event,
 *   {"time":"<ISO>","market":"BTC","level":"info","type":"entry.placed","message":"…","payload":{…}}
 * appended to a file and/or handed to a callback; WARNING and ERROR events are also printed
 * to stderr in a readable form.
 *
 * Invariants:
 * - The file is opened in append mode and created owner-only (0600); each line is written
 *   synchronously in one `write`, so a line the process wrote survives a kill -9 of it.
 * - A line carries only what the machines put in the event (no config, no secrets).
 * - After `close()`, records are still counted and passed to the callback, not written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { JournalRecord } from '../runtime/bot.ts';
import type { JournalLevel } from '../../machines/shared/types.ts';

export interface JournalLine {
  time: string;
  market: string;
  level: JournalLevel;
  type: string;
  message: string;
  payload: Record<string, unknown>;
}

export interface JournalWriterOptions {
  /** JSON-lines file to append to (created 0600, parent directories 0700). */
  file?: string;
  /** Called with every line (tests, status views, summaries). */
  onLine?: (line: JournalLine) => void;
  /** Readable output of WARNING+ events; default process.stderr; null = off. */
  alert?: ((text: string) => void) | null;
}

const RANK: Record<JournalLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export function toJournalLine(rec: JournalRecord): JournalLine {
  return {
    time: new Date(rec.time).toISOString(),
    market: rec.market,
    level: rec.level,
    type: rec.type,
    message: rec.message,
    payload: rec.payload ?? {},
  };
}

/** `WARNING 2024-05-01T12:00:05.000Z BTC exit.retry-limit-exceeded: …` */
export function formatAlert(line: JournalLine): string {
  return `${line.level.toUpperCase()} ${line.time} ${line.market} ${line.type}: ${line.message}`;
}

export function isAlertLevel(level: JournalLevel): boolean {
  return RANK[level] >= RANK.warning;
}

export class JournalWriter {
  private fd: number | undefined;
  readonly file: string | undefined;
  private readonly onLine: ((line: JournalLine) => void) | undefined;
  private readonly alert: ((text: string) => void) | null;

  constructor(opts: JournalWriterOptions = {}) {
    this.file = opts.file;
    this.onLine = opts.onLine;
    this.alert = opts.alert === undefined ? (text) => process.stderr.write(`${text}\n`) : opts.alert;
    if (opts.file !== undefined) this.fd = openAppend(opts.file);
  }

  /** Usable directly as `BotOptions.journal`. */
  readonly write = (rec: JournalRecord): void => {
    const line = toJournalLine(rec);
    if (this.fd !== undefined) fs.writeSync(this.fd, `${JSON.stringify(line)}\n`);
    this.onLine?.(line);
    if (this.alert && isAlertLevel(line.level)) this.alert(formatAlert(line));
  };

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }
}

function openAppend(file: string): number {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  const existed = fs.existsSync(file);
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
  if (!existed) fs.fchmodSync(fd, 0o600); // the umask may have narrowed it; never widened
  return fd;
}

/** Reads a journal file back (tests, `status`, summaries). A bad line throws naming its number. */
export function readJournal(file: string): JournalLine[] {
  const text = fs.readFileSync(file, 'utf8');
  const out: JournalLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      out.push(JSON.parse(raw) as JournalLine);
    } catch (err) {
      throw new Error(`journal ${file} line ${i + 1} is not JSON: ${(err as Error).message}`);
    }
  });
  return out;
}
