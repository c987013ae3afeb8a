import { describe, expect, it } from 'vitest';
import { SimClock } from './clock.ts';
import { runSimulated, validateSpeed } from './clock-driver.ts';
import { IdleTracker } from './effects.ts';

/** A fake venue stream: events pushed now are delivered only by drain(). */
class FakeStream {
  queue: string[] = [];
  delivered: Array<{ ev: string; at: number }> = [];
  constructor(private readonly clock: SimClock) {}
  push(ev: string) {
    this.queue.push(ev);
  }
  async drain() {
    const q = this.queue;
    this.queue = [];
    for (const ev of q) this.delivered.push({ ev, at: this.clock.now() });
  }
}

const realDelay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('runSimulated at speed max', () => {
  it('moves time only when no effect is pending and every stream event was delivered', async () => {
    const clock = new SimClock(0);
    const idle = new IdleTracker();
    const stream = new FakeStream(clock);
    const effectDone: number[] = [];
    // t=1000: an effect that takes real time (like a store write), then a stream event.
    clock.setTimeout(() => {
      void idle.track(
        realDelay(30).then(() => {
          effectDone.push(clock.now());
          stream.push('after-effect');
        }),
      );
    }, 1000);
    clock.setTimeout(() => stream.push('at-2000'), 2000);
    clock.setTimeout(() => undefined, 5000);
    const res = await runSimulated({ clock, idle, drain: () => stream.drain(), speed: 'max', shouldStop: () => false });
    expect(effectDone).toEqual([1000]);
    expect(stream.delivered).toEqual([
      { ev: 'after-effect', at: 1000 },
      { ev: 'at-2000', at: 2000 },
    ]);
    expect(res).toEqual({ reason: 'no-timers', steps: 3, startedAt: 0, endedAt: 5000 });
  });

  it('stops exactly at `until`, firing timers due at or before it and none after', async () => {
    const clock = new SimClock(100);
    const idle = new IdleTracker();
    const fired: number[] = [];
    const every = () => {
      fired.push(clock.now());
      clock.setTimeout(every, 1000);
    };
    clock.setTimeout(every, 1000);
    const res = await runSimulated({ clock, idle, drain: async () => {}, speed: 'max', until: 5100, shouldStop: () => false });
    expect(fired).toEqual([1100, 2100, 3100, 4100, 5100]);
    expect(res.reason).toBe('until');
    expect(clock.now()).toBe(5100);
    expect(clock.nextDue()).toBe(6100);
  });

  it('stops when shouldStop() turns true, between steps', async () => {
    const clock = new SimClock(0);
    let ticks = 0;
    const tick = () => {
      ticks++;
      clock.setTimeout(tick, 10);
    };
    clock.setTimeout(tick, 10);
    const res = await runSimulated({ clock, idle: new IdleTracker(), drain: async () => {}, speed: 'max', shouldStop: () => ticks >= 7 });
    expect(res.reason).toBe('stopped');
    expect(ticks).toBe(7);
    expect(clock.now()).toBe(70);
  });

  it('advances to `until` when no timer is pending', async () => {
    const clock = new SimClock(0);
    const res = await runSimulated({ clock, idle: new IdleTracker(), drain: async () => {}, speed: 'max', until: 60_000, shouldStop: () => false });
    expect(res).toMatchObject({ reason: 'until', steps: 0, endedAt: 60_000 });
  });
});

describe('runSimulated at speed N', () => {
  it('paces simulated time at N × wall time and keeps the clock moving while it sleeps', async () => {
    const clock = new SimClock(0);
    let wall = 0;
    const sleeps: number[] = [];
    const seen: Array<{ sim: number; wall: number }> = [];
    clock.setTimeout(() => seen.push({ sim: clock.now(), wall }), 1000);
    clock.setTimeout(() => seen.push({ sim: clock.now(), wall }), 3000);
    const nowDuringSleep: number[] = [];
    const res = await runSimulated({
      clock,
      idle: new IdleTracker(),
      drain: async () => {},
      speed: 10,
      until: 4000,
      shouldStop: () => false,
      wallNow: () => wall,
      sleep: async (ms) => {
        sleeps.push(ms);
        wall += ms;
        nowDuringSleep.push(clock.now());
      },
      sliceMs: 50,
    });
    expect(res.reason).toBe('until');
    // 1000 simulated ms at 10× = 100 wall ms; 3000 → 300; until 4000 → 400.
    expect(seen).toEqual([
      { sim: 1000, wall: 100 },
      { sim: 3000, wall: 300 },
    ]);
    expect(wall).toBe(400);
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(50);
    // While sleeping toward the first timer the clock followed the wall (50 wall ms = 500 sim ms).
    expect(clock.now()).toBe(4000);
    expect(nowDuringSleep[0]).toBe(0);
    expect(nowDuringSleep[1]).toBe(500);
  });

  it('reacts to shouldStop() during a long sleep', async () => {
    const clock = new SimClock(0);
    clock.setTimeout(() => undefined, 3_600_000);
    let wall = 0;
    let stop = false;
    const res = await runSimulated({
      clock,
      idle: new IdleTracker(),
      drain: async () => {},
      speed: 1,
      shouldStop: () => stop,
      wallNow: () => wall,
      sleep: async (ms) => {
        wall += ms;
        if (wall >= 200) stop = true;
      },
    });
    expect(res.reason).toBe('stopped');
    expect(res.steps).toBe(0);
    expect(clock.now()).toBeGreaterThanOrEqual(150);
    expect(clock.now()).toBeLessThan(3_600_000);
  });

  it('rejects a speed that is not positive', () => {
    expect(() => validateSpeed(0)).toThrow(/positive number or 'max'/);
    expect(() => validateSpeed(-2)).toThrow(/-2/);
    expect(() => validateSpeed(Number.NaN)).toThrow(/NaN/);
    expect(() => validateSpeed(2.5)).not.toThrow();
  });
});

describe('settle', () => {
  it('fires a timer due now that a pending effect waits for (no deadlock), without moving time', async () => {
    const clock = new SimClock(0);
    const idle = new IdleTracker();
    let openGate!: () => void;
    const gate = new Promise<void>((r) => (openGate = r));
    const log: string[] = [];
    clock.setTimeout(() => {
      // Effect 1 waits for the gate (like a restored placement waiting for reconciliation).
      void idle.track(gate.then(() => log.push(`placed@${clock.now()}`)));
      // Effect 2 finishes after real I/O, then the machine arms a zero-delay timer that opens the gate.
      void idle.track(realDelay(10).then(() => clock.setTimeout(() => (log.push(`gate@${clock.now()}`), openGate()), 0)));
    }, 1000);
    clock.setTimeout(() => log.push(`next@${clock.now()}`), 2000);
    const res = await runSimulated({ clock, idle, drain: async () => {}, speed: 'max', shouldStop: () => false });
    expect(res.reason).toBe('no-timers');
    expect(log).toEqual(['gate@1000', 'placed@1000', 'next@2000']);
  });

  it('throws instead of hanging when an effect waits for a future simulated time', async () => {
    const clock = new SimClock(0);
    const idle = new IdleTracker();
    clock.setTimeout(() => {
      void idle.track(new Promise<void>((r) => clock.setTimeout(r, 5000)));
    }, 1000);
    await expect(runSimulated({ clock, idle, drain: async () => {}, speed: 'max', shouldStop: () => false, stallMs: 50 })).rejects.toThrow(
      /simulated clock stalled: effects have been pending .* at simulated 1970-01-01T00:00:01.000Z with no timer due/,
    );
  });
});
