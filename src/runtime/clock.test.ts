import { describe, expect, it } from 'vitest';
import { SimClock, SystemClock } from './clock.ts';

describe('SimClock', () => {
  it('fires timers in (time, insertion) order, never early, and only once', () => {
    const c = new SimClock(0);
    const seen: string[] = [];
    c.setTimeout(() => seen.push('b@10'), 10);
    c.setTimeout(() => seen.push('a@5'), 5);
    c.setTimeout(() => seen.push('c@10'), 10);
    const x = c.setTimeout(() => seen.push('x'), 7);
    c.clearTimeout(x);
    c.advanceTo(9);
    expect(seen).toEqual(['a@5']);
    c.advanceTo(10);
    expect(seen).toEqual(['a@5', 'b@10', 'c@10']);
    c.advanceTo(100);
    expect(seen).toHaveLength(3);
    expect(c.now()).toBe(100);
    expect(c.pendingTimers()).toBe(0);
  });

  it('runs timers set by timers within the same advance', () => {
    const c = new SimClock(0);
    const seen: number[] = [];
    c.setTimeout(() => {
      seen.push(c.now());
      c.setTimeout(() => seen.push(c.now()), 5);
    }, 5);
    c.advanceTo(20);
    expect(seen).toEqual([5, 10]);
  });
});

describe('SystemClock', () => {
  it('does not fire a delay beyond 2^31 − 1 ms early (Node would fire it after 1 ms)', async () => {
    const c = new SystemClock();
    let fired = false;
    c.setTimeout(() => (fired = true), 28 * 24 * 60 * 60 * 1000);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(false);
    c.clearAll();
  });

  it('fires short delays and honours clearTimeout', async () => {
    const c = new SystemClock();
    let a = 0;
    let b = 0;
    c.setTimeout(() => a++, 5);
    const id = c.setTimeout(() => b++, 5);
    c.clearTimeout(id);
    await new Promise((r) => setTimeout(r, 40));
    expect([a, b]).toEqual([1, 0]);
  });
});
