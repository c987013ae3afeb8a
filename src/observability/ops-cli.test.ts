/**
 * Operator experience end to end, against a running paper bot in a child process
 * (`node --import tsx src/cli.ts paper …`): GET /metrics, `grid-bot pause|flatten|cancel-all`
 * (confirmation rules), JSON logs, alerts to a local webhook / Telegram stand-in, and CFG-06:
 * neither the private key nor the Telegram token nor the control token shows anywhere.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { controlFilePath, readDiscovery } from './control-server.ts';
import { ALERT_ENV } from './alerts.ts';
import { runCli, startCli } from '../../test/cli-process.ts';

const KEY = `0x${'5a'.repeat(40)}`;
const TG = '987654321:AAF-zyxwvutsrqponmlkjihgfedcba_98765';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function receiver(): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(`${req.url} ${text}`);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const value = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);

describe('operator experience against a running paper bot (child process)', () => {
  it('CFG-06 /metrics, operator commands, JSON logs and alerts of a live run; no secret in metrics, logs, journal, alerts or command output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-'));
    const store = join(dir, 'p.sqlite');
    const hook = await receiver();
    const env = {
      LIGHTER_API_PRIVATE_KEY: KEY,
      [ALERT_ENV.webhook]: `${hook.url}/hook`,
      [ALERT_ENV.telegramToken]: TG,
      [ALERT_ENV.telegramChat]: '-100123',
      [ALERT_ENV.telegramApi]: hook.url,
    };
    const bot = startCli(['paper', '--venue', 'sim', '--speed', '5', '--status-every', '10s', '--log-level', 'debug', '--store', store, '--events', join(dir, 'p.jsonl')], env);
    await bot.waitFor(/control: http/, { what: 'the control line' });

    // Metrics, token-free: the first entry was sent and the snapshot written.
    const d = readDiscovery(controlFilePath(store, 'BTC', 1))!;
    let metrics = '';
    const until = performance.now() + 20_000;
    while (!(/gridchart_orders_sent_total\{[^}]*kind="entry"[^}]*\} [1-9]/.test(metrics) && /gridchart_persistence_write_seconds_count\{[^}]*\} [1-9]/.test(metrics))) {
      if (performance.now() > until) throw new Error(`no entry / write in /metrics:\n${metrics}`);
      await new Promise((r) => setTimeout(r, 100));
      metrics = (await get(`${d.url}/metrics`)).text;
    }
    expect(metrics).toMatch(/gridchart_position_size\{market="BTC",slot="1"\} /);
    expect(metrics).toMatch(/gridchart_risk_phase\{[^}]*phase="armed"[^}]*\} 1/);
    expect(metrics).toMatch(/gridchart_process_resident_memory_bytes/);

    // Operator commands: --yes is required without a terminal; pause is accepted and shown.
    const noYes = await runCli(['pause', '--store', store]);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toContain('grid-bot pause needs --yes when no terminal can ask "are you sure?"');
    const pause = await runCli(['pause', '--yes', '--store', store]);
    expect(pause.code, pause.stderr).toBe(0);
    expect(pause.stdout).toMatch(/^paused: new entries are refused/);
    const status = await runCli(['status', '--store', store]);
    expect(status.stdout).toMatch(/gate refusing: .*operator_pause/);
    metrics = (await get(`${d.url}/metrics`)).text;
    expect(value(metrics, /gridchart_operator_paused\{[^}]*\} (\d+)/)).toBe(1);
    const flatten = await runCli(['flatten', '-y', '--store', store]);
    expect(flatten.code, flatten.stderr).toBe(0);
    const haltUntil = performance.now() + 20_000;
    while (!/gridchart_risk_phase\{[^}]*phase="halted"[^}]*\} 1/.test(metrics)) {
      if (performance.now() > haltUntil) throw new Error(`not halted after flatten:\n${metrics}`);
      await new Promise((r) => setTimeout(r, 100));
      metrics = (await get(`${d.url}/metrics`)).text;
    }
    expect(value(metrics, /gridchart_position_size\{[^}]*\} (\S+)/)).toBe(0);

    // Alerts: the WARNING events (operator.paused, operator.flatten, …) reached both targets.
    const alertUntil = performance.now() + 10_000;
    while (!(hook.bodies.some((b) => b.startsWith('/hook ') && b.includes('operator.paused')) && hook.bodies.some((b) => b.includes('/sendMessage')))) {
      if (performance.now() > alertUntil) throw new Error(`alerts missing: ${hook.bodies.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    bot.kill('SIGTERM');
    const end = await bot.done;
    await hook.close();
    expect(end.code, end.stderr).toBe(0);

    // Logs: JSON lines on stderr (not a TTY), journal events among them.
    const logs = end.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.some((l) => l.type === 'operator.paused' && l.level === 'warn' && l.market === 'BTC')).toBe(true);
    expect(logs.some((l) => l.type === 'entry.placed' && l.level === 'info')).toBe(true);

    // CFG-06: no secret anywhere the run wrote or answered.
    const everything = [metrics, end.stdout, end.stderr, readFileSync(join(dir, 'p.jsonl'), 'utf8'), hook.bodies.filter((b) => !b.includes('/sendMessage')).join('\n'), pause.stdout, status.stdout, flatten.stdout].join('\n');
    for (const secret of [KEY.slice(2), TG]) expect(everything.toLowerCase()).not.toContain(secret.toLowerCase());
    expect(end.stderr).not.toContain(d.token);
    expect(metrics).not.toContain(d.token);
  }, 90_000);
});
