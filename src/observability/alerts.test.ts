/**
 * Alerts against a local HTTP receiver on 127.0.0.1 standing in for the webhook and the
 * Telegram Bot API: level filter, rate limit per type (with the held-back count sent when the
 * window ends), de-duplication, never blocking, failures reported without secrets, and the
 * environment parsing.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ALERT_ENV, AlertConfigError, Alerter, alertTargetsFromEnv, type AlertMessage } from './alerts.ts';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

async function receiver(status = 200, delayMs = 0): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      got.push({ path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown> });
      setTimeout(() => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

const rec = (type: string, message: string, level: 'info' | 'warning' | 'error' = 'warning') => ({ time: Date.UTC(2024, 4, 1), market: 'BTC', level, type, message, payload: { position: 'grid-3' } });
const TG_TOKEN = '123456789:AAH-abcdefghijklmnopqrstuvwxyz_012345';

describe('alerts to a webhook and Telegram', () => {
  it('sends WARNING+ only, in the webhook JSON and as a Telegram sendMessage', async () => {
    const hook = await receiver();
    const tg = await receiver();
    const a = new Alerter({ webhookUrl: `${hook.url}/hook`, telegram: { token: TG_TOKEN, chatId: '-1001', apiUrl: tg.url } });
    a.handle(rec('entry.placed', 'buy 1 at 100', 'info'));
    a.handle(rec('exit.retry-limit-exceeded', 'grid-3 gave up on limits'));
    a.handle(rec('bot.crashed', 'root actor stopped', 'error'));
    await a.flush();
    expect(hook.got.map((g) => g.path)).toEqual(['/hook', '/hook']);
    const first = hook.got[0].body as unknown as AlertMessage;
    expect(first).toMatchObject({ level: 'warning', type: 'exit.retry-limit-exceeded', market: 'BTC', message: 'grid-3 gave up on limits', suppressed: 0, payload: { position: 'grid-3' } });
    expect(first.text).toBe('WARNING BTC exit.retry-limit-exceeded: grid-3 gave up on limits');
    expect(first.time).toBe('2024-05-01T00:00:00.000Z');
    expect(tg.got.map((g) => g.path)).toEqual([`/bot${TG_TOKEN}/sendMessage`, `/bot${TG_TOKEN}/sendMessage`]);
    expect(tg.got[1].body).toEqual({ chat_id: '-1001', text: 'ERROR BTC bot.crashed: root actor stopped', disable_web_page_preview: true });
    expect(a.stats()).toMatchObject({ sent: 4, failed: 0 });
  });

  it('rate-limits to one per type per window, then sends the latest held-back one with the count', async () => {
    const hook = await receiver();
    const a = new Alerter({ webhookUrl: hook.url, perTypeMs: 300 });
    for (let i = 1; i <= 5; i++) a.handle(rec('exit.market-failed', `attempt ${i} failed`));
    a.handle(rec('venue.disconnected', 'stream down'));
    await a.flush();
    expect(hook.got.map((g) => g.body.message)).toEqual(['attempt 1 failed', 'stream down']);
    // The held-back one goes out when the 300 ms window ends (real timers: wait for it, liveness only).
    for (let t0 = Date.now(); hook.got.length < 3 && Date.now() - t0 < 10_000; ) {
      await new Promise((r) => setTimeout(r, 50));
      await a.flush();
    }
    expect(hook.got).toHaveLength(3);
    expect(hook.got[2].body).toMatchObject({ message: 'attempt 5 failed', suppressed: 3 });
    expect(hook.got[2].body.text).toBe('WARNING BTC exit.market-failed: attempt 5 failed (+3 more exit.market-failed in the last 300 ms)');
    expect(a.stats()).toMatchObject({ sent: 3, rateLimited: 4 });
    await a.close();
  });

  it('de-duplicates the same type and message within the de-dup window, even after the rate window', async () => {
    const hook = await receiver();
    let now = 0;
    const a = new Alerter({ webhookUrl: hook.url, perTypeMs: 1000, dedupMs: 60_000, now: () => now });
    a.handle(rec('venue.disconnected', 'stream down: timeout'));
    now = 5_000;
    a.handle(rec('venue.disconnected', 'stream down: timeout'));
    now = 10_000;
    a.handle(rec('venue.disconnected', 'stream down: reset'));
    now = 70_000;
    a.handle(rec('venue.disconnected', 'stream down: timeout'));
    await a.flush();
    expect(hook.got.map((g) => g.body.message)).toEqual(['stream down: timeout', 'stream down: reset', 'stream down: timeout']);
    expect(a.stats()).toMatchObject({ sent: 3, duplicates: 1, rateLimited: 0 });
    await a.close();
  });

  it('never blocks the caller: handle() returns before a slow receiver answers', async () => {
    const hook = await receiver(200, 300);
    const a = new Alerter({ webhookUrl: hook.url });
    const t0 = performance.now();
    a.handle(rec('exit.rejected', 'rejected'));
    expect(performance.now() - t0).toBeLessThan(50);
    expect(a.stats().sent).toBe(0);
    await a.flush();
    expect(a.stats().sent).toBe(1);
  });

  it('reports a failed send (HTTP 500, nothing listening) without the token or the webhook path', async () => {
    const hook = await receiver(500);
    const errors: string[] = [];
    const a = new Alerter({
      webhookUrl: `${hook.url}/T000/B000/secretpath`,
      telegram: { token: TG_TOKEN, chatId: '1', apiUrl: 'http://127.0.0.1:1' },
      onError: (e) => errors.push(e.message),
    });
    a.handle(rec('exit.rejected', 'rejected'));
    await a.flush();
    expect(errors).toHaveLength(2);
    expect(errors.some((e) => e === `alert to webhook ${hook.url} failed: webhook ${hook.url} answered HTTP 500`)).toBe(true);
    expect(errors.some((e) => /^alert to telegram failed: fetch failed/.test(e))).toBe(true);
    for (const e of errors) {
      expect(e).not.toContain(TG_TOKEN);
      expect(e).not.toContain('secretpath');
    }
    expect(a.stats()).toMatchObject({ sent: 0, failed: 2 });
  });
});

describe('alert targets from the environment', () => {
  it('reads the webhook and Telegram variables; none set → undefined', () => {
    expect(alertTargetsFromEnv({})).toBeUndefined();
    expect(alertTargetsFromEnv({ [ALERT_ENV.webhook]: 'https://hooks.example/x' })).toEqual({ webhookUrl: 'https://hooks.example/x' });
    expect(alertTargetsFromEnv({ [ALERT_ENV.telegramToken]: TG_TOKEN, [ALERT_ENV.telegramChat]: '-1001234' })).toEqual({ telegram: { token: TG_TOKEN, chatId: '-1001234' } });
  });

  it('refuses half a Telegram setup, a bad token (not shown), a bad chat id and a non-http webhook', () => {
    const err = (env: NodeJS.ProcessEnv) => {
      try {
        alertTargetsFromEnv(env);
      } catch (e) {
        expect(e).toBeInstanceOf(AlertConfigError);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(err({ [ALERT_ENV.telegramToken]: TG_TOKEN })).toBe(`config environment: ${ALERT_ENV.telegramChat}: not set while ${ALERT_ENV.telegramToken} is; set both for Telegram alerts`);
    expect(err({ [ALERT_ENV.telegramChat]: '1' })).toContain(`${ALERT_ENV.telegramToken}: not set while`);
    const bad = err({ [ALERT_ENV.telegramToken]: 'not-a-token-but-secret', [ALERT_ENV.telegramChat]: '1' });
    expect(bad).toContain('GRIDCHART_TELEGRAM_BOT_TOKEN: not a Telegram bot token');
    expect(bad).not.toContain('not-a-token-but-secret');
    expect(err({ [ALERT_ENV.telegramToken]: TG_TOKEN, [ALERT_ENV.telegramChat]: 'chat' })).toContain('allowed: an integer');
    expect(err({ [ALERT_ENV.webhook]: 'ftp://x' })).toContain('allowed http:, https:');
  });
});
