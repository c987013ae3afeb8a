/**
 * Test helper: where the real Redis/Postgres servers are, and whether a test may skip.
 *
 * Policy: with `CI` set, an unreachable server is a FAILURE (the suite must never pass by
 * silently skipping); outside CI the suite is skipped with a printed reason.
 * Override the locations with GRIDCHART_TEST_REDIS_URL / GRIDCHART_TEST_POSTGRES_URL.
 */
import net from 'node:net';

export const REDIS_URL = process.env.GRIDCHART_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env.GRIDCHART_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ServiceAvailability {
  url: string;
  reachable: boolean;
  reason: string;
  /** Skip the suite (only outside CI). */
  skip: boolean;
}

/** TCP-probe the server behind `url` and apply the CI policy. */
export async function probeService(url: string, defaultPort: number): Promise<ServiceAvailability> {
  const u = new URL(url);
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || defaultPort);
  const reason = await new Promise<string>((resolve) => {
    const socket = net.connect({ host, port });
    const done = (why: string) => {
      socket.destroy();
      resolve(why);
    };
    socket.setTimeout(1500, () => done(`no answer from ${host}:${port} within 1.5 s`));
    socket.once('connect', () => done(''));
    socket.once('error', (err) => done(`${host}:${port}: ${err.message}`));
  });
  const reachable = reason === '';
  const inCi = Boolean(process.env.CI);
  if (!reachable && !inCi) {
    process.stderr.write(`SKIPPING tests against ${url}: ${reason} (set CI to make this a failure)\n`);
  }
  return { url, reachable, reason, skip: !reachable && !inCi };
}

/** Throw (fail the test) when a required server is unreachable. */
export function requireService(s: ServiceAvailability): void {
  if (!s.reachable) throw new Error(`CI is set and ${s.url} is unreachable (${s.reason}); these tests must not be skipped in CI`);
}

export function runId(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}
