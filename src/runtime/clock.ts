/**
 * The one injected clock. Machines never read time; the runtime, venue and deadline actors
 * use a Clock. `SystemClock` is wall time; `SimClock` is a heap-based simulated clock whose
 * time moves only when told (advance/runUntil), firing due timers in (time, insertion) order.
 *
 * Invariants:
 * - A timer fires at most once, never before its due time, and timers due at the same time
 *   fire in the order they were set.
 * - Compatible with XState's `clock` option (setTimeout/clearTimeout with opaque ids).
 */

export type TimerId = number;

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class SystemClock implements Clock {
  private readonly handles = new Map<number, NodeJS.Timeout>();
  private seq = 0;
  now(): number {
    return Date.now();
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = ++this.seq;
    this.arm(id, fn, Date.now() + Math.max(0, ms));
    return id;
  }
  /** Node fires delays above 2^31−1 ms after 1 ms: long delays are armed in chunks. */
  private arm(id: number, fn: () => void, at: number): void {
    const left = at - Date.now();
    const h = setTimeout(
      () => {
        if (!this.handles.has(id)) return;
        if (Date.now() < at) {
          this.arm(id, fn, at);
          return;
        }
        this.handles.delete(id);
        fn();
      },
      Math.min(Math.max(0, left), MAX_TIMER_MS),
    );
    this.handles.set(id, h);
  }
  clearTimeout(id: TimerId): void {
    const h = this.handles.get(id);
    if (h) clearTimeout(h);
    this.handles.delete(id);
  }
  /** Cancels every pending timer (shutdown). */
  clearAll(): void {
    for (const h of this.handles.values()) clearTimeout(h);
    this.handles.clear();
  }
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** Binary min-heap on (at, id). */
class TimerHeap {
  private readonly items: Timer[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Timer | undefined {
    return this.items[0];
  }
  push(t: Timer): void {
    const a = this.items;
    a.push(t);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  pop(): Timer | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l], a[m])) m = l;
        if (r < a.length && less(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

function less(x: Timer, y: Timer): boolean {
  return x.at < y.at || (x.at === y.at && x.id < y.id);
}

export class SimClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly heap = new TimerHeap();
  private readonly cancelled = new Set<number>();
  private readonly live = new Set<number>();

  constructor(start = 0) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerId {
    const id = ++this.seq;
    this.heap.push({ id, at: this.t + Math.max(0, ms), fn });
    this.live.add(id);
    return id;
  }
  clearTimeout(id: TimerId): void {
    if (this.live.delete(id)) this.cancelled.add(id);
  }
  /** Due time of the next live timer, or undefined. */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.at;
  }
  /** Fires the next due timer (moving time to it). Returns false when none is pending. */
  step(): boolean {
    this.dropCancelled();
    const next = this.heap.pop();
    if (!next) return false;
    this.live.delete(next.id);
    if (next.at > this.t) this.t = next.at;
    next.fn();
    return true;
  }
  /** Moves time forward to `target`, firing every timer due on the way (also ones they set). */
  advanceTo(target: number): void {
    for (;;) {
      const due = this.nextDue();
      if (due === undefined || due > target) break;
      this.step();
    }
    if (target > this.t) this.t = target;
  }
  advanceBy(ms: number): void {
    this.advanceTo(this.t + ms);
  }
  pendingTimers(): number {
    this.dropCancelled();
    return this.live.size;
  }
  private dropCancelled(): void {
    for (;;) {
      const top = this.heap.peek();
      if (!top || !this.cancelled.has(top.id)) return;
      this.heap.pop();
      this.cancelled.delete(top.id);
    }
  }
}
