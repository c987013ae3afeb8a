/**
 * The seeded price path of a chaos run, driven from the runner through the simulator's
 * `setBook` (resting bot orders the book trades through fill as maker).
 *
 * Invariants:
 * - Integer ticks only: the bid moves by a seeded integer in [−step, +step] plus an integer
 *   pull toward the start; the ask is bid + spread; prices are formatted exactly.
 * - `storm()` adds a temporary offset (± jumps) on top of the path; `freeze()` stops every
 *   move for good (the settle window before the final check needs a still market).
 */
import { Mulberry32 } from '../../adapters/sim/index.ts';
import { Dec, type DecValue } from '../domain/decimal.ts';

export interface PathTarget {
  setBook(market: string, bid: string, ask: string): void;
}

export interface PathOptions {
  market: string;
  /** Starting bid and ask (decimal strings) and the market's tick size. */
  bid: string;
  ask: string;
  tickSize: string;
  seed: number;
  tickMs: number;
  stepTicks: number;
  reversion: number;
}

export class PricePath {
  private readonly rng: Mulberry32;
  private readonly tick: DecValue;
  private readonly decimals: number;
  private readonly center: number;
  private readonly spread: number;
  private bid: number;
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;
  private stormTimers: NodeJS.Timeout[] = [];
  private frozen = false;
  moves = 0;

  constructor(
    private readonly target: PathTarget,
    private readonly o: PathOptions,
  ) {
    this.rng = new Mulberry32(o.seed);
    this.tick = new Dec(o.tickSize);
    this.decimals = this.tick.decimalPlaces();
    this.bid = new Dec(o.bid).div(this.tick).toNumber();
    this.center = this.bid;
    this.spread = Math.max(1, new Dec(o.ask).div(this.tick).toNumber() - this.bid);
  }

  start(): void {
    this.timer = setInterval(() => this.step(), this.o.tickMs);
  }

  step(): void {
    if (this.frozen) return;
    const noise = Math.floor(this.rng.next() * (2 * this.o.stepTicks + 1)) - this.o.stepTicks;
    this.bid += noise + Math.round(-this.o.reversion * (this.bid - this.center));
    this.apply();
  }

  /** `steps` jumps of ±jumpTicks (alternating, seeded sign first), one every stepMs, then back to the path. */
  storm(jumpTicks: number, steps: number, stepMs: number): void {
    const sign = this.rng.next() < 0.5 ? 1 : -1;
    for (let i = 0; i <= steps; i++) {
      this.stormTimers.push(
        setTimeout(() => {
          if (this.frozen) return;
          this.offset = i === steps ? 0 : (i % 2 === 0 ? sign : -sign) * jumpTicks;
          this.apply();
        }, i * stepMs),
      );
    }
  }

  freeze(): void {
    this.frozen = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.stormTimers) clearTimeout(t);
    this.stormTimers = [];
  }

  private apply(): void {
    const bid = Math.max(1, this.bid + this.offset);
    const fmt = (ticks: number) => this.tick.times(ticks).toFixed(this.decimals);
    this.target.setBook(this.o.market, fmt(bid), fmt(bid + this.spread));
    this.moves++;
  }
}
