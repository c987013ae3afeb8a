/**
 * One `grid-bot run` child process of a chaos run: spawned with `node --import tsx
 * src/cli.ts run …`, the API key in its environment only, stdout/stderr captured (a bounded
 * tail), killed with SIGKILL (a crash) or stopped with SIGINT (graceful).
 *
 * Invariants:
 * - The child's environment is PATH, HOME and LIGHTER_API_PRIVATE_KEY only.
 * - `kill9()` is synchronous: once it returns the signal has been sent (the kernel ends the
 *   process before it runs another instruction of ours).
 * - `done` always resolves (exit code or signal), never rejects on a child failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TAIL_CHARS = 20_000;

export interface BotExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class BotProcess {
  readonly startedAt: number;
  readonly done: Promise<BotExit>;
  private readonly child: ChildProcess;
  private out = '';
  private err = '';
  private exited: BotExit | undefined;

  constructor(args: string[], env: Record<string, string>) {
    this.startedAt = Date.now();
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (d: Buffer) => (this.out = (this.out + d.toString()).slice(-TAIL_CHARS)));
    this.child.stderr!.on('data', (d: Buffer) => (this.err = (this.err + d.toString()).slice(-TAIL_CHARS)));
    this.done = new Promise<BotExit>((resolve) => {
      this.child.on('error', (e) => {
        this.err += `\nspawn error: ${e.message}`;
        resolve((this.exited = { code: null, signal: null }));
      });
      this.child.on('close', (code, signal) => resolve((this.exited = { code, signal })));
    });
  }

  get running(): boolean {
    return this.exited === undefined;
  }
  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }

  /** Whether the bot said it connected and started (fresh or restored). */
  get connected(): boolean {
    return this.out.includes('venue connected; bot ');
  }

  kill9(): boolean {
    if (!this.running || this.child.pid === undefined) return false;
    try {
      process.kill(this.child.pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  interrupt(): void {
    if (this.running) this.child.kill('SIGINT');
  }

  /** Resolves true once `cond()` holds, false when the process ended or `ms` passed first. */
  async waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!cond()) {
      if (!this.running || Date.now() > until) return cond();
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }
}
