/**
 * Queued one-shot faults of the Lighter simulator, consulted by the REST front, the WS
 * hub and the transaction path. Pure state: the consumers decide what a fault does.
 *
 * Invariants:
 * - Each queued fault is consumed by exactly one matching call/frame (`count` queues it
 *   that many times); time-boxed REST faults (`forMs`) apply until the clock passes them.
 * - Frame rules match a subscription key by prefix ("order_book/0", "account_orders").
 */
import type { Clock } from '../runtime/clock.ts';

export interface RestFault {
  status: number;
  code: number;
  message: string;
  left: number;
  until?: number;
  path?: string;
}

export interface FrameRule {
  kind: 'drop' | 'duplicate' | 'reorder';
  channel: string;
  left: number;
  /** reorder: frames held so far (sent reversed when `left` reaches 0). */
  held: Array<() => void>;
}

interface Counted<T> {
  value: T;
  left: number;
}

function take<T>(list: Counted<T>[]): T | undefined {
  const first = list[0];
  if (!first) return undefined;
  first.left -= 1;
  if (first.left <= 0) list.shift();
  return first.value;
}

function checkCount(count: number, what: string): number {
  if (!Number.isInteger(count) || count < 1) throw new Error(`${what} count ${count} must be an integer ≥ 1`);
  return count;
}

export class FaultState {
  private rest: RestFault[] = [];
  private txRejects: Counted<{ code: number; message: string }>[] = [];
  private sequencer: Counted<{ code: number; message: string }>[] = [];
  private acks: Counted<number>[] = [];
  frameRules: FrameRule[] = [];
  refuseUntil = -Infinity;
  /** Observer run once per transaction answer (REST or WS), after processing and before the answer is written (chaos: kill at that point). */
  beforeAck: (() => void) | undefined;
  readonly bookGaps = new Set<number>();

  constructor(private readonly clock: Clock) {}

  addRest(f: { status: number; code?: number; message?: string; count?: number; forMs?: number; path?: string }): void {
    if (!Number.isInteger(f.status) || f.status < 400 || f.status > 599) throw new Error(`failRest status ${f.status} must be an HTTP error status (400..599)`);
    const code = f.code ?? (f.status === 429 ? 23000 : f.status >= 500 ? 29500 : 20001);
    const message = f.message ?? (f.status === 429 ? 'Too Many Requests!' : f.status >= 500 ? 'internal server error' : 'invalid param');
    const rule: RestFault = { status: f.status, code, message, left: f.forMs !== undefined ? Infinity : checkCount(f.count ?? 1, 'failRest') };
    if (f.forMs !== undefined) rule.until = this.clock.now() + f.forMs;
    if (f.path !== undefined) rule.path = f.path;
    this.rest.push(rule);
  }

  /** The REST fault answering a call to `path`, if any (consumes one use). */
  takeRest(path: string): RestFault | undefined {
    const now = this.clock.now();
    this.rest = this.rest.filter((r) => r.left > 0 && (r.until === undefined || r.until > now));
    const r = this.rest.find((x) => x.path === undefined || path.includes(x.path));
    if (!r) return undefined;
    if (r.until === undefined) r.left -= 1;
    return r;
  }

  addTxReject(code: number, message: string, count = 1): void {
    this.txRejects.push({ value: { code, message }, left: checkCount(count, 'rejectNextTx') });
  }
  takeTxReject(): { code: number; message: string } | undefined {
    return take(this.txRejects);
  }

  addSequencerFail(code: number, message: string, count = 1): void {
    this.sequencer.push({ value: { code, message }, left: checkCount(count, 'failInSequencer') });
  }
  takeSequencerFail(): { code: number; message: string } | undefined {
    return take(this.sequencer);
  }

  addAckDelay(ms: number, count = 1): void {
    if (!(ms >= 0)) throw new Error(`delayAcks ms ${ms} must be ≥ 0`);
    this.acks.push({ value: ms, left: checkCount(count, 'delayAcks') });
  }
  /** Consulted exactly once per transaction answer, after processing and before the answer is written. */
  takeAckDelay(): number | undefined {
    this.beforeAck?.();
    return take(this.acks);
  }

  addFrameRule(kind: FrameRule['kind'], channel: string, count: number): void {
    if (kind === 'reorder' && count < 2) throw new Error(`reorderFrames count ${count} must be ≥ 2`);
    this.frameRules.push({ kind, channel, left: checkCount(count, `${kind}Frames`), held: [] });
  }

  /** The frame rule for a subscription key, if any (not consumed: the hub applies it). */
  frameRule(key: string): FrameRule | undefined {
    return this.frameRules.find((r) => r.left > 0 && key.startsWith(r.channel));
  }

  clear(): Array<() => void> {
    const held = this.frameRules.flatMap((r) => r.held);
    this.rest = [];
    this.txRejects = [];
    this.sequencer = [];
    this.acks = [];
    this.frameRules = [];
    this.refuseUntil = -Infinity;
    this.bookGaps.clear();
    return held;
  }
}
