/**
 * The supervisor of a bot's root actor: what happens when an unexpected error (a thrown
 * action or guard, an invoked actor's unhandled error reaching the root) stops the actor.
 *
 * The error is journaled (level error, secrets masked) and the bot restarts its actor from
 * the last persisted snapshot — the same restore + reconcile path as a process restart
 * (`Bot.restartFromStore`) — after an exponential back-off on the bot's clock. The restart
 * budget is bounded (default: at most 3 restarts within 10 minutes); one crash more and the
 * supervisor gives up: the bot is marked crashed, the run stops, and the CLI exits 1 so the
 * service manager (systemd `Restart=`, Docker `restart:`) restarts the process.
 *
 * Invariants:
 * - Every crash is journaled once; every restart and the give-up are journaled.
 * - Restarts within `windowMs` never exceed `maxRestarts`; the k-th restart of a window waits
 *   `baseDelayMs · 2^(k−1)` (capped at `maxDelayMs`) of clock time.
 * - A restart that fails (the store unreadable, the snapshot refused) gives up at once.
 * - No message carries secret material: error texts are masked (known secrets and any long
 *   hex run) before they are journaled.
 * - Pure policy + scheduling: the bot does the restart itself; this module keeps no actor.
 */
import type { JournalEntry } from '../../machines/shared/types.ts';
import { redact } from '../config/errors.ts';
import type { Clock, TimerId } from './clock.ts';

export interface RestartPolicy {
  /** Restarts allowed within `windowMs` (default 3). */
  maxRestarts: number;
  /** Sliding window of the budget, clock ms (default 10 minutes). */
  windowMs: number;
  /** Back-off before the first restart of a window (default 1 s); doubles per restart. */
  baseDelayMs: number;
  /** Longest back-off (default 60 s). */
  maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: Readonly<RestartPolicy> = { maxRestarts: 3, windowMs: 10 * 60_000, baseDelayMs: 1_000, maxDelayMs: 60_000 };

export type RestartDecision = { restart: true; attempt: number; delayMs: number } | { restart: false; crashes: number };

/** The sliding-window restart budget with exponential back-off (no I/O). */
export class RestartBudget {
  private restarts: number[] = [];
  constructor(readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY) {
    const p = policy;
    if (!(Number.isInteger(p.maxRestarts) && p.maxRestarts >= 0)) throw new RangeError(`maxRestarts ${p.maxRestarts} must be an integer ≥ 0`);
    for (const k of ['windowMs', 'baseDelayMs', 'maxDelayMs'] as const) {
      if (!(Number.isFinite(p[k]) && p[k] >= 0)) throw new RangeError(`${k} ${p[k]} must be a number ≥ 0`);
    }
  }

  /** Decides about a crash at `now`: restart (recorded against the budget) or give up. */
  onCrash(now: number): RestartDecision {
    this.restarts = this.restarts.filter((t) => t > now - this.policy.windowMs);
    if (this.restarts.length >= this.policy.maxRestarts) return { restart: false, crashes: this.restarts.length + 1 };
    const attempt = this.restarts.length + 1;
    this.restarts.push(now);
    const delayMs = Math.min(this.policy.maxDelayMs, this.policy.baseDelayMs * 2 ** (attempt - 1));
    return { restart: true, attempt, delayMs };
  }
}

/** What the supervisor needs from a bot. */
export interface SupervisedBot {
  /** Drops the failed actor (no final write, no further request) and starts again from the store. */
  restartFromStore(): Promise<void>;
  /** Stops for good: the run ends and the process exits non-zero. */
  giveUp(err: Error): void;
  /** False once the bot was stopped or killed (a pending restart is then dropped). */
  readonly running: boolean;
}

export interface SupervisorOptions {
  clock: Clock;
  policy?: Partial<RestartPolicy>;
  /** Secret values to mask in journaled error texts (hex runs are masked anyway). */
  secrets?: readonly string[];
}

export class Supervisor {
  readonly budget: RestartBudget;
  private pending: TimerId | undefined;
  crashes = 0;
  restarts = 0;

  constructor(private readonly opts: SupervisorOptions) {
    this.budget = new RestartBudget({ ...DEFAULT_RESTART_POLICY, ...opts.policy });
  }

  /** The error as one line, secrets and key-like hex runs masked. */
  safeText(err: unknown): string {
    const text = err instanceof Error ? `${err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}` : String(err);
    return redact(text, this.opts.secrets ?? []).replace(/\s*\n\s*/g, ' ').slice(0, 500);
  }

  /**
   * The root actor of `bot` stopped on `err`: journal it, then schedule a restart from the
   * store or give up when the budget is spent. `record` is the bot's journal.
   */
  onCrash(err: unknown, bot: SupervisedBot, record: (e: JournalEntry) => void): void {
    this.crashes++;
    const clock = this.opts.clock;
    const why = this.safeText(err);
    const decision = this.budget.onCrash(clock.now());
    const { maxRestarts, windowMs } = this.budget.policy;
    if (!decision.restart) {
      const message =
        `root actor stopped on an error: ${why}; restart budget spent (${decision.crashes} crashes, at most ${maxRestarts} restarts within ${minutes(windowMs)}): ` +
        'giving up; the process exits with code 1 so its service manager restarts it';
      record({ type: 'bot.crashed', level: 'error', message, payload: { error: why, restart: false, crashes: decision.crashes, maxRestarts, windowMs } });
      bot.giveUp(new Error(message));
      return;
    }
    record({
      type: 'bot.crashed',
      level: 'error',
      message: `root actor stopped on an error: ${why}; restarting from the last persisted snapshot in ${decision.delayMs} ms (restart ${decision.attempt} of ${maxRestarts} within ${minutes(windowMs)})`,
      payload: { error: why, restart: true, attempt: decision.attempt, delayMs: decision.delayMs, maxRestarts, windowMs },
    });
    if (this.pending !== undefined) clock.clearTimeout(this.pending);
    this.pending = clock.setTimeout(() => {
      this.pending = undefined;
      if (!bot.running) return;
      void bot.restartFromStore().then(
        () => {
          this.restarts++;
          record({ type: 'bot.restarted', level: 'warning', message: `root actor restarted from the store (restart ${decision.attempt}); reconciling with the venue before any new entry`, payload: { attempt: decision.attempt } });
        },
        (restartErr: unknown) => {
          const message = `restart ${decision.attempt} failed: ${this.safeText(restartErr)}; giving up; the process exits with code 1 so its service manager restarts it`;
          record({ type: 'bot.restart-failed', level: 'error', message, payload: { attempt: decision.attempt } });
          bot.giveUp(new Error(message));
        },
      );
    }, decision.delayMs);
  }
}

function minutes(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}
