/**
 * The dashboard server over real sockets, serving a real paper run (simulated clock at real
 * pace): the page is self-contained (no external asset) and carries the run's token on
 * loopback only; the stream and the view need the token; a foreign Host (DNS rebinding) or a
 * command from another website's origin is refused; a command with the token reaches the bot
 * through the control endpoint's logic (pause latches, resume lifts); unknown commands are
 * named. On a non-loopback host the page embeds no token and the URL carries it.
 */
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalLine } from '../journal.ts';
import { runPaper, type PaperResult } from '../../runtime/paper.ts';
import { DashboardServer } from './server.ts';
import type { DashboardView } from './view.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function http(url: string, opts: { method?: string; headers?: Record<string, string>; readMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.on('end', done);
      if (opts.readMs) {
        setTimeout(() => {
          done();
          req.destroy();
        }, opts.readMs);
      }
    });
    req.on('error', (e) => (opts.readMs ? undefined : reject(e)));
    req.end();
  });
}

describe('dashboard server (127.0.0.1, a real paper run)', () => {
  const stop = new AbortController();
  const journal: JournalLine[] = [];
  let run: Promise<PaperResult>;
  let base = '';
  let token = '';

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dash-srv-'));
    let seen: (u: string) => void = () => undefined;
    const url = new Promise<string>((r) => (seen = r));
    run = runPaper({
      store: join(dir, 'p.sqlite'),
      events: join(dir, 'e.jsonl'),
      speed: 1,
      seed: 1,
      env: {},
      controlPort: false,
      signal: stop.signal,
      onJournal: (l) => journal.push(l),
      views: { dashboard: 0 },
      output: { line: (t) => /^dashboard: (\S+)/.exec(t) && seen(/^dashboard: (\S+)/.exec(t)![1]), status: () => undefined, error: () => undefined },
    });
    base = await url;
    const page = await http(base);
    token = /<meta name="dashboard-token" content="([^"]+)">/.exec(page.body)?.[1] ?? '';
    // Wait until the bot is attached and trading.
    for (let i = 0; i < 200; i++) {
      const v = await http(`${base}view?token=${token}`);
      if (v.status === 200 && (JSON.parse(v.body) as DashboardView).regions.lifecycle === 'trading') break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    stop.abort();
    await run;
  });

  it('serves one self-contained page with the run token embedded and a strict content policy', async () => {
    const page = await http(base);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // No external asset: no src/href to another origin, no @import, no url() to the network.
    expect(page.body).not.toMatch(/(src|href)=["']?(https?:)?\/\//i);
    expect(page.body).not.toMatch(/@import|url\(\s*['"]?https?:/i);
  });

  it('needs the token for the stream and the view, and streams charts, view and journal with it', async () => {
    expect((await http(`${base}view`)).status).toBe(401);
    expect((await http(`${base}view?token=wrong${token}`)).status).toBe(401);
    expect((await http(`${base}events`)).status).toBe(401);
    const view = JSON.parse((await http(`${base}view?token=${token}`)).body) as DashboardView;
    expect(view.running).toBe(true);
    expect(view.status?.market).toBe('BTC');
    expect(Object.keys(view.regions).sort()).toEqual(['entry', 'lifecycle', 'risk']);
    expect(view.rootActive).toContain(`grid.entry.${view.regions.entry.split('.')[0]}`);
    const stream = await http(`${base}events?token=${token}`, { readMs: 800 });
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.body).toMatch(/^event: charts\ndata: \{"root":"grid"/m);
    expect(stream.body).toMatch(/^event: view\ndata: \{"running":true/m);
    expect(stream.body).toContain('event: journal\ndata: {"time":');
    expect(stream.body).toContain('"type":"paper.started"');
  });

  it('refuses a foreign Host (DNS rebinding) and a command from another origin; a wrong token sends nothing', async () => {
    const port = new URL(base).port;
    expect((await http(base, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    const evil = await http(`${base}command/pause`, { method: 'POST', headers: { 'x-dashboard-token': token, origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    const noToken = await http(`${base}command/pause`, { method: 'POST', headers: { origin: base.replace(/\/$/, '') } });
    expect(noToken.status).toBe(401);
    expect(journal.some((l) => l.type === 'operator.paused')).toBe(false);
    const unknown = await http(`${base}command/explode`, { method: 'POST', headers: { 'x-dashboard-token': token } });
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body).message).toContain('resume, pause, flatten, cancel-all');
    expect((await http(`${base}command/pause`, { headers: { 'x-dashboard-token': token } })).status).toBe(405);
  });

  it('pause and resume from the page origin with the token reach the bot', async () => {
    const origin = base.replace(/\/$/, '');
    const pause = await http(`${base}command/pause`, { method: 'POST', headers: { 'x-dashboard-token': token, origin } });
    expect(pause.status).toBe(200);
    expect(JSON.parse(pause.body).message).toMatch(/^paused: new entries are refused/);
    const paused = JSON.parse((await http(`${base}view?token=${token}`)).body) as DashboardView;
    expect(paused.status?.operatorPaused).toBe(true);
    expect(paused.status?.gateReasons).toContain('operator_pause');
    expect(journal.some((l) => l.type === 'operator.paused')).toBe(true);
    const resume = await http(`${base}command/resume`, { method: 'POST', headers: { 'x-dashboard-token': token, origin } });
    expect(resume.status).toBe(200);
    expect(JSON.parse(resume.body).message).toBe('resumed: pause lifted');
    expect((JSON.parse((await http(`${base}view?token=${token}`)).body) as DashboardView).status?.operatorPaused).toBe(false);
  });
});

describe('dashboard server on a non-loopback host', () => {
  it('embeds no token in the page, puts it in the URL fragment, and still needs it', async () => {
    const server = await DashboardServer.start({ host: '0.0.0.0', port: 0 });
    try {
      expect(server.loopback).toBe(false);
      expect(server.url).toBe(`http://0.0.0.0:${server.port}/#token=${server.token}`);
      const local = `http://127.0.0.1:${server.port}/`;
      const page = await http(local, { headers: { host: `bot.lan:${server.port}` } });
      expect(page.status).toBe(200);
      expect(page.body).not.toContain(server.token);
      expect(page.body).not.toContain('<meta name="dashboard-token"');
      expect((await http(`${local}view`)).status).toBe(401);
      const view = JSON.parse((await http(`${local}view?token=${server.token}`)).body) as DashboardView;
      expect(view.running).toBe(false);
      const cmd = await http(`${local}command/pause`, { method: 'POST', headers: { 'x-dashboard-token': server.token } });
      expect(cmd.status).toBe(503);
    } finally {
      await server.close();
    }
  });

  it('refuses a port in use with a message naming the way out', async () => {
    const first = await DashboardServer.start({ port: 0 });
    try {
      await expect(DashboardServer.start({ port: first.port })).rejects.toThrow(/port is in use; give another port \(--dashboard 0 = any free port\)/);
    } finally {
      await first.close();
    }
  });
});
