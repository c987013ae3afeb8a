/**
 * Human views of a running bot for paper mode and `grid-bot status`:
 * - `formatStatusLine(status, …)`: one compact line from a BotStatus, e.g.
 *   `12:00:05 BTC entry waitingForFill grid-7:entry buy 0.00166 @ 60012.3 | positions 3
 *    (exits 3 resting) | pos +0.00498 avg 60020.1 | rPnL +0.42 uPnL -0.10 | gate: grid_step`
 * - `RunTally` + `formatSummary(…)`: the end-of-run summary, counted from the journal lines
 *   of this run (entries placed / filled, exit fills, positions closed, fills) plus the final
 *   status (positions open, position, PnL).
 *
 * Invariants: pure formatting; amounts are decimal strings from the status, rounded only
 * for display (PnL to cents) with decimal arithmetic; times are shown in UTC.
 */
import { decodeClientIndex } from '../domain/client-index.ts';
import { Dec } from '../domain/decimal.ts';
import type { BotStatus } from '../runtime/status.ts';
import type { JournalLine } from './journal.ts';

/** `HH:MM:SS` of an epoch ms, UTC. */
export function clockText(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A signed decimal: `+0.00498`, `-0.1`, `0`; with `places`, rounded half-up for display (`-0.001` → `0.00`). */
export function signed(value: string, places?: number): string {
  const d = new Dec(value);
  const shown = places === undefined ? d : d.toDecimalPlaces(places, Dec.ROUND_HALF_UP);
  const text = places === undefined ? shown.abs().toFixed() : shown.abs().toFixed(places);
  if (shown.isZero()) return text;
  return shown.isNegative() ? `-${text}` : `+${text}`;
}

/** `10m 0s`, `1h 2m 3s`, `45s`, `2d 0h 0m 0s`. */
export function durationText(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d > 0) return `${d}d ${h}h ${m}m ${s}s`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

export function formatStatusLine(status: BotStatus, opts: { now: number; market: string }): string {
  const parts: string[] = [];
  let head = `${clockText(opts.now)} ${opts.market}`;
  if (status.lifecycle !== 'trading') head += ` [${status.lifecycle}]`;
  if (status.paused) head += ' [paused]';
  head += ` entry ${status.entryState}`;
  if (status.entry) {
    head += ` ${status.entry.name} ${status.entry.side} ${status.entry.size} @ ${status.entry.price}`;
    if (!new Dec(status.entry.filled).isZero()) head += ` (filled ${status.entry.filled})`;
  }
  parts.push(head);
  parts.push(`positions ${status.positions.length} (exits ${status.restingExits} resting)`);
  const pos = new Dec(status.venuePosition);
  parts.push(pos.isZero() ? 'pos 0' : `pos ${signed(status.venuePosition)} avg ${status.avgEntry}`);
  parts.push(`rPnL ${signed(status.realizedPnl, 2)} uPnL ${signed(status.unrealizedPnl, 2)}`);
  parts.push(`gate: ${status.gate.open ? 'open' : status.gate.reasons.join(',') || 'closed'}`);
  return parts.join(' | ');
}

/** Counts of one run, fed with every journal line. */
export class RunTally {
  entriesPlaced = 0;
  /** Distinct positions whose entry filled (partly or fully). */
  entriesFilled = 0;
  exitFills = 0;
  entryFills = 0;
  positionsClosed = 0;
  realizedPnl = new Dec(0);
  warnings = 0;
  errors = 0;
  readonly byType = new Map<string, number>();
  private readonly filledPositions = new Set<string>();

  readonly add = (line: Pick<JournalLine, 'type' | 'level' | 'payload'>): void => {
    this.byType.set(line.type, (this.byType.get(line.type) ?? 0) + 1);
    if (line.level === 'warning') this.warnings++;
    if (line.level === 'error') this.errors++;
    switch (line.type) {
      case 'entry.placed':
        this.entriesPlaced++;
        break;
      case 'entry.filled': {
        this.entryFills++;
        const key = String(line.payload.position ?? line.payload.clientIndex ?? this.entryFills);
        if (!this.filledPositions.has(key)) {
          this.filledPositions.add(key);
          this.entriesFilled++;
        }
        break;
      }
      case 'exit.filled':
        this.exitFills++;
        break;
      case 'position.closed':
        this.positionsClosed++;
        if (typeof line.payload.realizedPnl === 'string') this.realizedPnl = this.realizedPnl.plus(line.payload.realizedPnl);
        break;
      // Range grid: a level's entry / exit fills and completed round trips.
      case 'level.entry-placed':
        this.entriesPlaced++;
        break;
      case 'level.filled': {
        const idx = typeof line.payload.clientIndex === 'number' ? decodeClientIndex(line.payload.clientIndex) : null;
        if (idx?.role.kind === 'entry') {
          this.entryFills++;
          const key = `level-${String(line.payload.level)}-${idx.n}`;
          if (!this.filledPositions.has(key)) {
            this.filledPositions.add(key);
            this.entriesFilled++;
          }
        } else this.exitFills++;
        break;
      }
      case 'level.round-trip':
        this.positionsClosed++;
        if (typeof line.payload.profit === 'string') this.realizedPnl = this.realizedPnl.plus(line.payload.profit);
        break;
    }
  };

  count(type: string): number {
    return this.byType.get(type) ?? 0;
  }
}

export interface SummaryInput {
  market: string;
  startedAt: number;
  endedAt: number;
  tally: RunTally;
  /** Final status of the bot (null if it never started). */
  status: BotStatus | null;
  reason: string;
}

export function formatSummary(s: SummaryInput): string[] {
  const t = s.tally;
  const lines = [
    `summary ${s.market}: ${durationText(s.endedAt - s.startedAt)} simulated (${new Date(s.startedAt).toISOString()} → ${new Date(s.endedAt).toISOString()}), stopped: ${s.reason}`,
    `  entries placed ${t.entriesPlaced}, filled ${t.entriesFilled} | exits filled ${t.exitFills} | positions closed ${t.positionsClosed}, open ${s.status?.positions.length ?? 0} | fills ${t.entryFills + t.exitFills}`,
  ];
  const total = s.status ? ` (bot total ${signed(s.status.realizedPnl, 2)})` : '';
  let third = `  realized PnL this run ${signed(t.realizedPnl.toFixed(), 2)}${total}`;
  if (s.status) {
    const pos = new Dec(s.status.venuePosition);
    third += pos.isZero() ? ' | position 0' : ` | position ${signed(s.status.venuePosition)} avg ${s.status.avgEntry}, uPnL ${signed(s.status.unrealizedPnl, 2)}`;
  }
  lines.push(third);
  if (t.warnings + t.errors > 0) lines.push(`  events: ${t.warnings} warning(s), ${t.errors} error(s)`);
  return lines;
}
