import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../src/runtime/clock.ts';
import { isVenueError } from '../../types.ts';
import { LighterHttpClient } from './client.ts';

type Answer = { status: number; body: string } | 'hang' | 'refused';

/** A fetch that answers from a script and records the URLs; 'hang' never answers (until aborted). */
function fakeFetch(script: Answer[], seen: URL[]): typeof fetch {
  return (async (input: URL | string, init?: RequestInit) => {
    seen.push(new URL(String(input)));
    const a = script.shift() ?? { status: 200, body: '{"code":200}' };
    if (a === 'refused') throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    if (a === 'hang') {
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }
    return new Response(a.body, { status: a.status });
  }) as typeof fetch;
}

async function kindOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return isVenueError(err) ? `${err.kind}:${String(err.code ?? '')}` : `raw:${String(err)}`;
  }
}

/** Runs `p` while stepping the clock through its timers (back-offs, timeouts). */
async function drive<T>(clock: SimClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 200 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    if (!done && clock.nextDue() !== undefined) clock.step();
  }
  return p;
}

describe('LighterHttpClient', () => {
  it('maps the {code, message} envelope through the error table and counts every request', async () => {
    const seen: URL[] = [];
    const clock = new SimClock(1_000_000);
    const http = new LighterHttpClient({ baseUrl: 'http://127.0.0.1:9', clock, fetch: fakeFetch([{ status: 400, body: '{"code":21728,"message":"client order index already exists "}' }, { status: 200, body: '{"code":200,"nonce":7}' }], seen) });
    expect(await kindOf(http.sendTx(14, '{}'))).toBe('duplicate-client-index:21728');
    expect(await http.get('nextNonce', { account_index: 1, api_key_index: 3 })).toContain('"nonce":7');
    expect(seen[1]!.pathname).toBe('/api/v1/nextNonce');
    expect(seen[1]!.searchParams.get('api_key_index')).toBe('3');
    expect(http.restCallsPerMinute()).toBe(2);
    clock.advanceBy(60_001);
    expect(http.restCallsPerMinute()).toBe(0);
    expect(http.calls.total).toBe(2);
  });

  it('VEN-09 after 429s the endpoint is cooled off ≥ 1 s with growing, capped, jittered waits; reads are retried', async () => {
    const seen: URL[] = [];
    const at: number[] = [];
    const clock = new SimClock(0);
    const busy = { status: 429, body: '{"code":23000,"message":"Too Many Requests!"}' };
    const f = fakeFetch([busy, busy, busy, { status: 200, body: '{"code":200}' }], seen);
    const http = new LighterHttpClient({ baseUrl: 'http://127.0.0.1:9', clock, random: () => 1, readAttempts: 5, fetch: ((u: URL, i?: RequestInit) => (at.push(clock.now()), f(u, i))) as typeof fetch });
    await drive(clock, http.get('account', { by: 'index', value: 1 }));
    expect(at).toEqual([0, 1250, 1250 + 2500, 1250 + 2500 + 5000]);
  });

  it('a read without an answer is unavailable (after its retries); a sendTx without an answer is outcome-unknown', async () => {
    const clock = new SimClock(0);
    const http = new LighterHttpClient({ baseUrl: 'http://127.0.0.1:9', clock, timeoutMs: 500, readAttempts: 2, fetch: fakeFetch(['hang', 'hang', 'hang', 'refused'], []) });
    expect(await kindOf(drive(clock, http.get('account')))).toBe('unavailable:');
    expect(await kindOf(drive(clock, http.sendTx(14, '{}')))).toBe('outcome-unknown:');
    expect(await kindOf(drive(clock, http.sendTx(14, '{}')))).toBe('unavailable:');
  });

  it('private reads carry the auth token; a refused token is replaced once (never logged)', async () => {
    const seen: URL[] = [];
    const logs: string[] = [];
    const log = (m: string, f?: object) => logs.push(`${m} ${JSON.stringify(f ?? {})}`);
    const clock = new SimClock(0);
    const tokens: string[] = [];
    const http = new LighterHttpClient({
      baseUrl: 'http://127.0.0.1:9',
      clock,
      logger: { debug: log, info: log, warn: log, error: log },
      fetch: fakeFetch([{ status: 400, body: '{"code":20001,"message":"invalid auth: token expired"}' }, { status: 200, body: '{"code":200,"orders":[]}' }], seen),
    });
    let n = 0;
    await http.get('accountActiveOrders', { account_index: 1 }, { auth: (o) => (tokens.push(`${++n}:${JSON.stringify(o ?? {})}`), `99:1:3:${'ab'.repeat(80)}-${n}`) });
    expect(seen.map((u) => u.searchParams.get('auth')?.slice(-2))).toEqual(['-1', '-2']);
    expect(tokens[1]).toContain('refused');
    expect(logs.join('\n')).not.toContain('abab');
  });

  it('a non-JSON answer (an HTML error page) is a transport failure, not a venue answer', async () => {
    const clock = new SimClock(0);
    const http = new LighterHttpClient({ baseUrl: 'http://127.0.0.1:9', clock, readAttempts: 1, fetch: fakeFetch([{ status: 403, body: '<html>blocked</html>' }], []) });
    expect(await kindOf(http.get('orderBooks'))).toBe('unavailable:http-403');
  });
});
