/**
 * `grid-bot` as a real child process for end-to-end tests: `node --import tsx src/cli.ts …`
 * from the repository root, with only PATH and HOME from this environment plus what the test
 * passes (so no key leaks in from the shell), stdout and stderr collected.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  /** Resolves when the process has exited and its output is complete. */
  done: Promise<CliExit>;
  kill(signal: NodeJS.Signals): boolean;
  /** stdout + stderr so far. */
  out(): string;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { done, kill: (s) => child.kill(s), out: () => stdout + stderr };
}

/** Runs `grid-bot <args>` to its end. */
export const runCli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliExit> => startCli(args, env).done;
