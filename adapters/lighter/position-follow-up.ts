/**
 * Position follow-up: after one of our fills, the venue's position stream must show the new
 * position. When no position frame arrived `waitMs` after the oldest fill it should answer
 * (the frame was lost: a dropped frame, a proxy hiccup), the position is read once over REST
 * and handed to the stream as if the frame had come (chaos seed 1 run 137).
 *
 * Invariants:
 * - Nothing is read while position frames follow fills (the steady state costs no REST call).
 * - One timer per market, armed by the first unanswered fill and cleared by any position frame.
 * - A REST answer is dropped if a position frame arrived while it was in flight (the frame
 *   is newer); a failed read is tried again after `waitMs` while the fill is still unanswered.
 */
import type { Clock, TimerId } from '../../src/runtime/clock.ts';
import type { VenuePosition } from '../types.ts';
import type { Activity } from './common/backoff.ts';
import type { LighterLogger } from './common/logger.ts';

export interface PositionFollowUpOptions {
  clock: Clock;
  /** How long a fill may stay without a position frame (default 2 000 ms). */
  waitMs?: number;
  read(market: string): Promise<VenuePosition>;
  /** Hands a position read over REST to the stream (de-duplicated there). */
  deliver(position: VenuePosition): void;
  log: LighterLogger;
  activity: Activity;
}

interface MarketWatch {
  timer: TimerId | undefined;
  /** Position frames seen so far (a REST answer older than a frame is dropped). */
  frames: number;
}

export class PositionFollowUp {
  private readonly markets = new Map<string, MarketWatch>();
  private closed = false;
  /** REST reads made because a position frame did not come. */
  reads = 0;

  constructor(private readonly o: PositionFollowUpOptions) {}

  private watch(market: string): MarketWatch {
    let w = this.markets.get(market);
    if (!w) this.markets.set(market, (w = { timer: undefined, frames: 0 }));
    return w;
  }

  /** One of our fills arrived on the stream. */
  fillSeen(market: string): void {
    const w = this.watch(market);
    if (w.timer === undefined && !this.closed) this.arm(market, w);
  }

  /** A position of `market` arrived (stream or catch-up). */
  positionSeen(market: string): void {
    const w = this.watch(market);
    w.frames++;
    if (w.timer !== undefined) this.o.clock.clearTimeout(w.timer);
    w.timer = undefined;
  }

  close(): void {
    this.closed = true;
    for (const w of this.markets.values()) if (w.timer !== undefined) this.o.clock.clearTimeout(w.timer);
    this.markets.clear();
  }

  private arm(market: string, w: MarketWatch): void {
    const waitMs = this.o.waitMs ?? 2_000;
    w.timer = this.o.clock.setTimeout(() => {
      w.timer = undefined;
      if (this.closed) return;
      const frames = w.frames;
      this.reads++;
      this.o.log.warn('lighter: no position update after a fill; reading the position', { market, waitedMs: waitMs });
      void this.o.activity.track(
        this.o.read(market).then(
          (p) => {
            if (this.closed || w.frames !== frames) return;
            this.o.deliver(p);
          },
          (err: unknown) => {
            this.o.log.warn('lighter: position read after a missing update failed; trying again', { market, error: (err as Error).message });
            if (!this.closed && w.frames === frames && w.timer === undefined) this.arm(market, w);
          },
        ),
      );
    }, waitMs);
  }
}
