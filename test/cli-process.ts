/**
 * `grid-bot` as a real child process for end-to-end tests: `node --import tsx src/cli.ts …`
 * from the repository root, with only PATH and HOME from this environment plus what the test
 * passes (so no key leaks in from the shell), stdout and stderr collected, the wall time to
 * its exit measured; `waitFor` waits (wall time) for a pattern in its stdout.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from the spawn to the exit, ms. */
  ms: number;
}

export interface WaitOptions {
  /** Wall-time bound, ms (default 20 000). */
  ms?: number;
  /** What is awaited, for the error message (default: the pattern). */
  what?: string;
}

export interface CliProcess {
  /** Resolves when the process has exited and its output is complete. */
  done: Promise<CliExit>;
  kill(signal: NodeJS.Signals): boolean;
  /** stdout + stderr so far. */
  out(): string;
  /** stdout so far. */
  stdout(): string;
  /**
   * Resolves with the match once stdout matches `pattern` (no g flag); rejects after `ms`,
   * or as soon as the process exits without a match, showing the output so far.
   */
  waitFor(pattern: RegExp, opts?: WaitOptions): Promise<RegExpMatchArray>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let exited: CliExit | undefined;
  /** Called on every stdout chunk and at the exit. */
  const watchers = new Set<() => void>();
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    for (const w of watchers) w();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = { code, signal, stdout, stderr, ms: performance.now() - t0 };
      resolve(exited);
      for (const w of watchers) w();
    });
  });

  const waitFor = (pattern: RegExp, { ms = 20_000, what = String(pattern) }: WaitOptions = {}) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const stop = () => {
        clearTimeout(timer);
        watchers.delete(check);
      };
      const fail = (why: string) => {
        stop();
        reject(new Error(`${why} waiting for ${what}; stdout so far:\n${stdout}${stderr ? `\nstderr so far:\n${stderr}` : ''}`));
      };
      const check = () => {
        const m = stdout.match(pattern);
        if (m) {
          stop();
          resolve(m);
        } else if (exited) fail(`exited (code ${exited.code}, signal ${exited.signal})`);
      };
      const timer = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
      watchers.add(check);
      check();
    });

  return { done, kill: (s) => child.kill(s), out: () => stdout + stderr, stdout: () => stdout, waitFor };
}

/** Runs `grid-bot <args>` to its end. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliExit> => startCli(args, env).done;
