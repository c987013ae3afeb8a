/**
 * Seeded, deterministic drivers of a market's background book, on the injected clock.
 *
 * Modes:
 * - `random-walk`: each update moves the best bid by a uniform integer in [-step, +step]
 *   ticks; ask = bid + spread.
 * - `mean-reverting`: the move is round(-reversion × (bid − center) + noise), noise uniform
 *   in [-step, +step]; it drifts back toward `center`.
 * - `csv`: replays `timestamp,bid,ask` lines (optional header, blank and `#` lines skipped);
 *   `timing: 'relative'` (default) replays the first row at start() and the rest at their
 *   offsets from it, `'absolute'` at their timestamps (rows already due fire at once).
 *
 * Invariants:
 * - Same seed and same starting book → same path (mulberry32 PRNG, state is one uint32 and
 *   is serialized). Random numbers only choose integer tick moves; prices stay integers.
 * - `next()` (pull mode) applies exactly one update without timers: cheap integer work plus
 *   the engine's book move, for benchmarks.
 * - The bid never goes below 1 tick; the spread is at least 1 tick.
 */
import type { Clock, TimerId } from '../../src/runtime/clock.ts';
import { isVenueError } from '../types.ts';
import type { Scale } from './units.ts';

export interface DriverTarget {
  setBookTicks(market: string, bid: number, ask: number): void;
  book(market: string): { bgBid: number; bgAsk: number; price: Scale };
}

interface RandomBase {
  market: string;
  /** PRNG seed: a uint32 or any string (hashed). */
  seed: number | string;
  /** Largest move per update in ticks (default 1). */
  stepTicks?: number;
  /** Spread in ticks (default: the book's spread when the driver is created). */
  spreadTicks?: number;
  /** Timer mode: ms between updates (default 1000). */
  intervalMs?: number;
}

export type PriceDriverConfig =
  | (RandomBase & { mode: 'random-walk' })
  | (RandomBase & { mode: 'mean-reverting'; /** Bid price it reverts to (default: the bid at creation). */ center?: string; /** Pull per update, 0..1 (default 0.02). */ reversion?: number })
  | { mode: 'csv'; market: string; csv: string; timing?: 'relative' | 'absolute' };

export interface PriceDriverState {
  config: PriceDriverConfig;
  rng: number;
  spread: number;
  center: number;
  cursor: number;
  startedAt: number | null;
  running: boolean;
}

export interface BookRow {
  t: number;
  bid: number;
  ask: number;
}

/** mulberry32: tiny, fast, good enough for price paths; state is a single uint32. */
export class Mulberry32 {
  constructor(public state: number) {
    this.state = state >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

export function seedToUint32(seed: number | string): number {
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed)) throw new Error(`driver seed ${seed} must be an integer or a string`);
    return seed >>> 0;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Parses `timestamp,bid,ask` CSV into integer rows; a bad line throws naming its number. */
export function parseBookCsv(text: string, price: Scale): BookRow[] {
  const rows: BookRow[] = [];
  const lines = text.split(/\r?\n/);
  let seenData = false;
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!seenData && /^timestamp\s*,\s*bid\s*,\s*ask$/i.test(line)) {
      seenData = true;
      continue;
    }
    seenData = true;
    const f = line.split(',').map((x) => x.trim());
    if (f.length !== 3) throw new Error(`CSV line ${n}: expected 3 fields timestamp,bid,ask, got ${f.length}: "${line}"`);
    if (!/^\d+$/.test(f[0]) || !Number.isSafeInteger(Number(f[0]))) throw new Error(`CSV line ${n}: timestamp "${f[0]}" is not an integer (epoch ms)`);
    const t = Number(f[0]);
    let bid: number;
    let ask: number;
    try {
      bid = price.toUnits(f[1], 'bid');
      ask = price.toUnits(f[2], 'ask');
    } catch (err) {
      throw new Error(`CSV line ${n}: ${isVenueError(err) ? err.message : String(err)}`);
    }
    if (!(bid > 0 && bid < ask)) throw new Error(`CSV line ${n}: bid ${f[1]} must be > 0 and below ask ${f[2]}`);
    const prev = rows[rows.length - 1];
    if (prev && t < prev.t) throw new Error(`CSV line ${n}: timestamp ${t} goes back in time (previous ${prev.t})`);
    rows.push({ t, bid, ask });
  }
  if (rows.length === 0) throw new Error('CSV has no data lines (expected timestamp,bid,ask)');
  return rows;
}

export class PriceDriver {
  private readonly target: DriverTarget;
  private readonly clock: Clock;
  private readonly state: PriceDriverState;
  private readonly rng: Mulberry32;
  private readonly rows: BookRow[] | null;
  private readonly step: number;
  private readonly interval: number;
  private readonly reversion: number;
  private timer: TimerId | undefined;

  constructor(target: DriverTarget, clock: Clock, config: PriceDriverConfig, restored?: PriceDriverState) {
    this.target = target;
    this.clock = clock;
    const book = target.book(config.market);
    if (config.mode === 'csv') {
      this.rows = parseBookCsv(config.csv, book.price);
      this.step = 0;
      this.interval = 0;
      this.reversion = 0;
    } else {
      this.rows = null;
      this.step = config.stepTicks ?? 1;
      this.interval = config.intervalMs ?? 1000;
      this.reversion = config.mode === 'mean-reverting' ? (config.reversion ?? 0.02) : 0;
      if (!Number.isInteger(this.step) || this.step < 0) throw new Error(`driver stepTicks ${this.step} must be an integer ≥ 0`);
      if (!(this.interval > 0)) throw new Error(`driver intervalMs ${this.interval} must be > 0`);
      if (!(this.reversion >= 0 && this.reversion <= 1)) throw new Error(`driver reversion ${this.reversion} must be within 0..1`);
    }
    if (restored) {
      this.state = structuredClone(restored);
    } else {
      const spread = config.mode === 'csv' ? 1 : (config.spreadTicks ?? book.bgAsk - book.bgBid);
      if (!Number.isInteger(spread) || spread < 1) throw new Error(`driver spreadTicks ${spread} must be an integer ≥ 1`);
      const center = config.mode === 'mean-reverting' && config.center !== undefined ? book.price.toUnits(config.center, 'center') : book.bgBid;
      this.state = {
        config: structuredClone(config),
        rng: config.mode === 'csv' ? 0 : seedToUint32(config.seed),
        spread,
        center,
        cursor: 0,
        startedAt: null,
        running: false,
      };
    }
    this.rng = new Mulberry32(this.state.rng);
  }

  get market(): string {
    return this.state.config.market;
  }

  get running(): boolean {
    return this.state.running;
  }

  /** CSV: rows not yet applied; random modes: Infinity. */
  remaining(): number {
    return this.rows ? this.rows.length - this.state.cursor : Infinity;
  }

  /** Applies one update now. Returns false when a CSV replay is exhausted. */
  next(): boolean {
    const market = this.state.config.market;
    if (this.rows) {
      const row = this.rows[this.state.cursor];
      if (!row) return false;
      this.state.cursor++;
      this.target.setBookTicks(market, row.bid, row.ask);
      return true;
    }
    const bid0 = this.target.book(market).bgBid;
    const u = this.rng.next();
    let d: number;
    if (this.reversion === 0) d = Math.floor(u * (2 * this.step + 1)) - this.step;
    else d = Math.round(-this.reversion * (bid0 - this.state.center) + (2 * u - 1) * this.step);
    const bid = Math.max(1, bid0 + d);
    this.target.setBookTicks(market, bid, bid + this.state.spread);
    return true;
  }

  /** Starts timer-driven updates on the clock (no-op when running). */
  start(): void {
    if (this.timer !== undefined) return;
    this.state.running = true;
    if (this.state.startedAt === null) this.state.startedAt = this.clock.now();
    this.schedule();
  }

  stop(): void {
    this.state.running = false;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  toJSON(): PriceDriverState {
    return { ...structuredClone(this.state), rng: this.rng.state };
  }

  private schedule(): void {
    let delay = this.interval;
    if (this.rows) {
      const row = this.rows[this.state.cursor];
      if (!row) {
        this.state.running = false;
        this.timer = undefined;
        return;
      }
      const cfg = this.state.config as Extract<PriceDriverConfig, { mode: 'csv' }>;
      const due = cfg.timing === 'absolute' ? row.t : (this.state.startedAt ?? 0) + (row.t - this.rows[0].t);
      delay = Math.max(0, due - this.clock.now());
    }
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.state.running) return;
      this.next();
      this.schedule();
    }, delay);
  }
}
