/**
 * Metrics: the journal → counter mapping (unit), and GET /metrics of a running bot (the real
 * machines on the simulated venue and clock, fed through the Bot's onRequest / onWrite /
 * inspect / journal callbacks, served by the control endpoint).
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../test/harness.ts';
import { baseParams } from '../../test/harness.ts';
import { encodeClientIndex, role } from '../domain/client-index.ts';
import { Bot } from '../runtime/bot.ts';
import { ControlServer } from './control-server.ts';
import { BotMetrics, labelValue } from './metrics.ts';

const M = 'TEST';
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample line `name{labels} value` (labels matched as a subset). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** A bot on the harness's venue, clock and store, with the metrics callbacks wired in. */
async function meteredBot(h: Harness, metrics: BotMetrics): Promise<Bot> {
  const bot = new Bot({
    params: baseParams({ gridStepPct: '0.05' }),
    market: M,
    slot: 1,
    targetLeverage: 20,
    venue: h.venue,
    clock: h.clock,
    kv: h.kv,
    identity: { venue: 'sim', account: 'paper', market: M, slot: 1, variant: 'dynamic-grid' },
    journal: (r) => {
      h.journal.push(r);
      metrics.journal(r);
    },
    onRequest: metrics.request,
    onWrite: metrics.write,
    inspect: metrics.inspect,
  });
  h.bot = bot;
  await bot.start();
  await h.settle();
  metrics.watch(() => {
    if (!bot.running) return undefined;
    const ctx = bot.context();
    return { status: bot.status(), riskPhase: ctx.risk.phase, exposure: ctx.venue.exposure, operatorPaused: ctx.operatorPaused === true };
  });
  return bot;
}

describe('metrics of a running bot over GET /metrics', () => {
  it('shows orders sent, fills, position, reaction latency and persistence write latency after a fill; no token needed, loopback rules kept', async () => {
    const h = await startHarness({ noStart: true });
    const metrics = new BotMetrics({ market: M, slot: 1 });
    const bot = await meteredBot(h, metrics);
    const s = await ControlServer.start({ token: 'secret-token', target: bot, metrics, now: () => h.clock.now() });
    servers.push(s);

    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(Number(h.position().size)).toBe(1);
    expect(h.placed().some((p) => p.clientIndex === encodeClientIndex(1, 1, role.close()))).toBe(true);
    await h.quiesce();

    const r = await get(s.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain/);
    const t = r.text;
    const L = { market: M, slot: '1' };
    expect(sample(t, 'gridchart_orders_sent_total', { ...L, kind: 'entry' })).toBe(1);
    expect(sample(t, 'gridchart_orders_sent_total', { ...L, kind: 'exit' })).toBe(1);
    expect(sample(t, 'gridchart_orders_accepted_total', { ...L, kind: 'entry' })).toBe(1);
    expect(sample(t, 'gridchart_orders_accepted_total', { ...L, kind: 'exit' })).toBe(1);
    expect(sample(t, 'gridchart_fills_total', { ...L, kind: 'entry' })).toBe(1);
    expect(sample(t, 'gridchart_position_size', L)).toBe(1);
    expect(sample(t, 'gridchart_tracked_size', L)).toBe(1);
    expect(sample(t, 'gridchart_exits_resting', L)).toBe(1);
    expect(sample(t, 'gridchart_exposure_usd', L)).toBeGreaterThan(90);
    expect(sample(t, 'gridchart_risk_phase', { ...L, phase: 'armed' })).toBe(1);
    expect(sample(t, 'gridchart_persistence_write_seconds_count', L)).toBeGreaterThan(0);
    expect(sample(t, 'gridchart_reaction_latency_seconds_count', { ...L, trigger: 'fill' })).toBe(1);
    expect(sample(t, 'gridchart_rest_calls_total', { ...L, kind: 'place' })).toBe(2);
    expect(sample(t, 'gridchart_rest_calls_per_minute', L)).toBeGreaterThanOrEqual(2);
    expect(sample(t, 'gridchart_journal_events_total', { ...L, level: 'info', type: 'entry.filled' })).toBe(1);

    // Token-free like /health, while /status still needs the token; browser pages are refused.
    expect((await get(s.port, '/status')).status).toBe(401);
    expect((await get(s.port, '/metrics', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(s.port, '/metrics', { host: `evil.example:${s.port}` })).status).toBe(403);
    bot.kill();
  });

  it('answers 404 when the endpoint has no metrics', async () => {
    const s = await ControlServer.start({ token: 't' });
    servers.push(s);
    const r = await get(s.port, '/metrics');
    expect(r.status).toBe(404);
    expect(r.text).toContain('metrics are not enabled');
  });
});

describe('journal → metrics mapping', () => {
  const rec = (type: string, level: 'info' | 'warning' = 'info', payload: Record<string, unknown> = {}) => ({ time: 0, market: M, type, level, message: 'm', payload });

  it('counts rejections by reason, retries, fallbacks, recoveries and reconnects', async () => {
    const m = new BotMetrics({ market: M });
    for (const r of [
      rec('entry.canceled-post-only'),
      rec('entry.rejected', 'warning'),
      rec('exit.canceled', 'info', { reason: 'post-only' }),
      rec('exit.canceled', 'info', { reason: 'expired' }),
      rec('exit.reposted'),
      rec('exit.market-fallback', 'warning'),
      rec('exit.market-failed', 'warning'),
      rec('recovery.started', 'warning', { mode: 'aggressive (hedge on a netting venue)' }),
      rec('venue.disconnected', 'warning'),
      rec('venue.reconnected'),
      rec('store.write-failed', 'warning'),
    ])
      m.journal(r);
    const t = await m.text();
    expect(sample(t, 'gridchart_orders_rejected_total', { kind: 'entry', reason: 'post-only' })).toBe(1);
    expect(sample(t, 'gridchart_orders_rejected_total', { kind: 'entry', reason: 'rejected' })).toBe(1);
    expect(sample(t, 'gridchart_orders_rejected_total', { kind: 'exit', reason: 'post-only' })).toBe(1);
    expect(sample(t, 'gridchart_orders_rejected_total', { kind: 'market', reason: 'market-failed' })).toBe(1);
    expect(sample(t, 'gridchart_orders_canceled_total', { kind: 'exit', reason: 'expired' })).toBe(1);
    expect(sample(t, 'gridchart_retries_total', { kind: 'exit' })).toBe(1);
    expect(sample(t, 'gridchart_retries_total', { kind: 'market' })).toBe(1);
    expect(sample(t, 'gridchart_market_fallbacks_total')).toBe(1);
    expect(sample(t, 'gridchart_recoveries_total', { stage: 'started', mode: 'aggressive' })).toBe(1);
    expect(sample(t, 'gridchart_ws_disconnects_total')).toBe(1);
    expect(sample(t, 'gridchart_ws_reconnects_total')).toBe(1);
    expect(sample(t, 'gridchart_venue_connected')).toBe(1);
    expect(sample(t, 'gridchart_persistence_write_failures_total')).toBe(1);
  });

  it('REST calls per minute count only the last 60 s; label values are bounded', async () => {
    let now = 0;
    const m = new BotMetrics({ market: M, now: () => now });
    for (let i = 0; i < 5; i++) m.request('query', {});
    now = 30_000;
    for (let i = 0; i < 3; i++) m.request('cancel', {});
    expect(sample(await m.text(), 'gridchart_rest_calls_per_minute')).toBe(8);
    now = 61_000;
    expect(sample(await m.text(), 'gridchart_rest_calls_per_minute')).toBe(3);
    expect(sample(await m.text(), 'gridchart_rest_calls_total', { kind: 'query' })).toBe(5);
    expect(labelValue('Aggressive (escalated from ladder)')).toBe('aggressive');
    expect(labelValue('x'.repeat(100))).toHaveLength(40);
    expect(labelValue(undefined)).toBe('unknown');
    expect(labelValue('"}\n')).toBe('unknown');
  });

  it('two instances never share counters (one registry each)', async () => {
    const a = new BotMetrics({ market: M });
    const b = new BotMetrics({ market: M });
    a.journal(rec('entry.placed'));
    expect(sample(await a.text(), 'gridchart_orders_accepted_total', { kind: 'entry' })).toBe(1);
    expect(sample(await b.text(), 'gridchart_orders_accepted_total', { kind: 'entry' })).toBeUndefined();
  });
});
