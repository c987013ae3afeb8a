/**
 * The control endpoint against a real bot (test harness: simulated venue and clock), its
 * refusals (loopback only, token, Origin / Host), the discovery file and the client.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from '../../test/harness.ts';
import {
  ControlClient,
  ControlServer,
  controlFilePath,
  NoRunningBotError,
  readDiscovery,
  removeDiscovery,
  writeDiscovery,
  type CommandResult,
  type ControlStatus,
} from './control-server.ts';

const M = 'TEST';
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(opts: Parameters<typeof ControlServer.start>[0] = {}): Promise<ControlServer> {
  const s = await ControlServer.start({ token: 'secret-token', ...opts });
  servers.push(s);
  return s;
}

const clientOf = (s: ControlServer, token = s.token ?? '') => new ControlClient({ url: s.url, pid: process.pid, token, bot: 'test' });

/** A raw request with chosen headers (the client always sends the right ones). */
function raw(s: ControlServer, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: CommandResult }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as CommandResult }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('control endpoint on a running bot', () => {
  it('answers GET /health, GET /status (status + risk phase + gate reasons) and POST /resume', async () => {
    const h = await startHarness();
    const s = await serve({ target: h.bot });
    const c = clientOf(s);
    expect(await c.health()).toEqual({ status: 200, body: { ok: true } });
    const st = await c.status();
    expect(st.status).toBe(200);
    const body = st.body as ControlStatus;
    expect(body.bot).toBe(h.bot.key);
    expect(body.market).toBe(M);
    expect(body.lifecycle).toBe(h.status().lifecycle);
    expect(body.nextN).toBe(h.status().nextN);
    expect(body.risk.phase).toBe('armed');
    expect(body.gateReasons).toEqual(h.status().gate.reasons);
    expect(await c.resume()).toEqual({ status: 200, body: { ok: true, message: 'nothing to resume' } });
    h.bot.kill();
  });

  it('RSK-02 operator resume over the control endpoint is refused (409) naming mid and stop price while beyond it, then lifts halted', async () => {
    const h = await startHarness({ params: { stopPrice: '95.00', gridStepPct: '0.05' } });
    const s = await serve({ target: h.bot });
    const c = clientOf(s);
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(Number(h.position().size)).toBe(1);
    h.control.setBook(M, '94.88', '94.92');
    await h.advance(5000);
    expect(h.events('stop-price.triggered')).toHaveLength(1);
    expect(Number(h.position().size)).toBe(0);

    const halted = (await c.status()).body as ControlStatus;
    expect(halted.risk.phase).toBe('halted');
    expect(halted.risk.trigger).toBe('stop-price');
    expect(halted.gateReasons).toContain('halted');

    const refused = await c.resume();
    expect(refused.status).toBe(409);
    expect(refused.body.ok).toBe(false);
    expect(refused.body.message).toContain('mid 94.9');
    expect(refused.body.message).toContain('stop_price 95.00');
    await h.advance(1000);
    expect(h.events('operator.resume-refused')).toHaveLength(1);
    expect(((await c.status()).body as ControlStatus).risk.phase).toBe('halted');

    const before = h.placed().length;
    h.control.setBook(M, '99.98', '100.02');
    await h.advance(1000);
    expect(h.placed().length).toBe(before);
    const ok = await c.resume();
    expect(ok).toEqual({ status: 200, body: { ok: true, message: 'resumed: halted lifted' } });
    await h.advance(5000);
    expect(h.events('grid.resumed').length).toBeGreaterThanOrEqual(1);
    expect(((await c.status()).body as ControlStatus).risk.phase).toBe('armed');
    expect(h.placed().length).toBeGreaterThan(before);
    h.bot.kill();
  });

  it('answers 503 until a bot is attached and after it is detached or stopped', async () => {
    const s = await serve();
    const c = clientOf(s);
    expect((await c.status()).status).toBe(503);
    expect((await c.resume()).body.message).toBe('the bot is not running yet');
    const h = await startHarness();
    s.attach(h.bot);
    expect((await c.status()).status).toBe(200);
    h.bot.kill();
    expect(await c.resume()).toEqual({ status: 503, body: { ok: false, message: 'the bot is stopping' } });
    s.detach();
    expect((await c.status()).status).toBe(503);
  });
});

describe('control endpoint refusals', () => {
  it('binds 127.0.0.1 only: any other host is refused', async () => {
    for (const host of ['0.0.0.0', '::', 'localhost', '::1', '192.168.1.10']) {
      await expect(ControlServer.start({ host }), host).rejects.toThrow(`control endpoint host ${JSON.stringify(host)} is refused: it binds 127.0.0.1 only`);
    }
    const s = await serve();
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.port).toBeGreaterThan(0);
  });

  it('refuses a bad port and reports a port in use', async () => {
    await expect(ControlServer.start({ port: 70_000 })).rejects.toThrow('control port must be an integer 0..65535');
    const s = await serve();
    await expect(ControlServer.start({ port: s.port })).rejects.toThrow(`control endpoint cannot listen on 127.0.0.1:${s.port}: the port is in use`);
  });

  it('needs the bearer token (except /health), refuses browser origins and foreign Host headers, and names unknown routes', async () => {
    const h = await startHarness();
    const s = await serve({ target: h.bot });
    const host = `127.0.0.1:${s.port}`;
    expect((await clientOf(s, 'wrong').resume()).status).toBe(401);
    expect((await raw(s, 'POST', '/resume', { host })).status).toBe(401);
    expect((await raw(s, 'GET', '/health', { host })).status).toBe(200);
    const auth = { authorization: 'Bearer secret-token' };
    expect((await raw(s, 'POST', '/resume', { host, ...auth, origin: 'https://evil.example' })).status).toBe(403);
    expect((await raw(s, 'POST', '/resume', { host: `evil.example:${s.port}`, ...auth })).status).toBe(403);
    expect((await raw(s, 'GET', '/status', { host: `localhost:${s.port}`, ...auth })).status).toBe(200);
    const wrongMethod = await raw(s, 'GET', '/resume', { host, ...auth });
    expect(wrongMethod).toEqual({ status: 405, body: { ok: false, message: '/resume takes POST' } });
    const unknown = await raw(s, 'POST', '/explode', { host, ...auth });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toBe('unknown path /explode; paths: /health, /metrics, /status, /resume, /pause, /flatten, /cancel-all');
    expect(h.events('operator.resume-refused')).toHaveLength(0);
    h.bot.kill();
  });
});

describe('discovery file and client', () => {
  it('places the file beside a SQLite store (per market and slot), elsewhere for Redis / Postgres', () => {
    expect(controlFilePath('/data/p.sqlite', 'BTC', 1)).toBe('/data/p.sqlite.BTC-1.control.json');
    expect(controlFilePath('sqlite:///data/p.sqlite', 'ETH', 7)).toBe('/data/p.sqlite.ETH-7.control.json');
    const redis = controlFilePath('redis://:pw@localhost:6379', 'BTC', 1);
    expect(redis.startsWith(tmpdir())).toBe(true);
    expect(redis).toMatch(/gridchart-control-[^/]+\/[0-9a-f]{16}\.BTC-1\.control\.json$/);
    expect(redis).not.toContain('pw');
    expect(controlFilePath('redis://localhost:6380', 'BTC', 1)).not.toBe(redis);
  });

  it('writes it with mode 0600, reads it back, and removes it only with the writer\'s token', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ctl-')), 'p.sqlite.BTC-1.control.json');
    const d = { url: 'http://127.0.0.1:1', pid: process.pid, token: 'abc', bot: 'k' };
    writeDiscovery(file, d);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readDiscovery(file)).toEqual(d);
    expect(removeDiscovery(file, 'other')).toBe(false);
    expect(readDiscovery(file)).toEqual(d);
    expect(removeDiscovery(file, 'abc')).toBe(true);
    expect(readDiscovery(file)).toBeUndefined();
    writeFileSync(file, '{"url":1}');
    expect(() => readDiscovery(file)).toThrow(`the control file ${file} lacks url, pid, token or bot`);
  });

  it('reports no running bot: no file, a dead pid (a killed run), nothing listening', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctl-'));
    const file = join(dir, 'p.sqlite.BTC-1.control.json');
    expect(() => ControlClient.find(file)).toThrow(NoRunningBotError);
    expect(() => ControlClient.find(file)).toThrow(`no running bot found: no control file at ${file}`);
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeDiscovery(file, { url: 'http://127.0.0.1:1', pid: dead, token: 't', bot: 'k' });
    expect(() => ControlClient.find(file)).toThrow(`names pid ${dead}, which is not running (left by a killed run)`);
    const s = await serve();
    const port = s.port;
    await s.close();
    servers.length = 0;
    writeDiscovery(file, { url: `http://127.0.0.1:${port}`, pid: process.pid, token: 't', bot: 'k' });
    const client = ControlClient.find(file);
    await expect(client.resume()).rejects.toThrow(NoRunningBotError);
    await expect(client.resume()).rejects.toThrow(`nothing answers at http://127.0.0.1:${port}`);
  });
});
