/**
 * Alerts: WARNING and ERROR journal events (grid-strategy.md §6) sent to a webhook and/or a
 * Telegram bot, when configured — from the ENVIRONMENT only (never a file):
 *
 *   GRIDCHART_ALERT_WEBHOOK_URL    http(s) URL; receives POST JSON
 *                                  { text, level, type, market, time, message, payload, suppressed }
 *   GRIDCHART_TELEGRAM_BOT_TOKEN   with GRIDCHART_TELEGRAM_CHAT_ID: Bot API sendMessage
 *   GRIDCHART_TELEGRAM_CHAT_ID
 *   GRIDCHART_TELEGRAM_API_URL     optional, default https://api.telegram.org
 *
 * Invariants:
 * - Never blocks the bot: `handle()` returns at once; sends run in the background with a
 *   timeout, at most MAX_IN_FLIGHT at a time (beyond: dropped and counted).
 * - Rate limit: at most one alert per event type per `perTypeMs` (default 60 s). What is held
 *   back meanwhile is counted; when the window ends the latest held-back event of that type is
 *   sent with the count (`(+N more …)`), so nothing goes unreported.
 * - De-duplication: an event with the same type and message as one sent within `dedupMs`
 *   (default 1 h) is dropped (counted), e.g. a venue outage repeating the same text.
 * - A failed send is reported to `onError` (logged by the caller), never retried in a loop and
 *   never fed back into the journal; its message names the target without the token or URL
 *   path (both may be secrets).
 */
import type { JournalLevel } from '../../machines/shared/types.ts';
import { ConfigError } from '../config/errors.ts';
import type { JournalRecord } from '../runtime/bot.ts';
import { isAlertLevel, type JournalLine } from './journal.ts';

export const ALERT_ENV = {
  webhook: 'GRIDCHART_ALERT_WEBHOOK_URL',
  telegramToken: 'GRIDCHART_TELEGRAM_BOT_TOKEN',
  telegramChat: 'GRIDCHART_TELEGRAM_CHAT_ID',
  telegramApi: 'GRIDCHART_TELEGRAM_API_URL',
} as const;

export const DEFAULT_PER_TYPE_MS = 60_000;
export const DEFAULT_DEDUP_MS = 60 * 60_000;
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;
const MAX_IN_FLIGHT = 16;
const TELEGRAM_MAX_TEXT = 4000;

export interface AlertTargets {
  webhookUrl?: string;
  telegram?: { token: string; chatId: string; apiUrl?: string };
}

export interface AlerterOptions extends AlertTargets {
  perTypeMs?: number;
  dedupMs?: number;
  timeoutMs?: number;
  /** Wall clock (ms). */
  now?: () => number;
  /** A send failed (the caller logs it). */
  onError?: (err: Error, target: string) => void;
}

export interface AlertMessage {
  text: string;
  level: JournalLevel;
  type: string;
  market: string;
  time: string;
  message: string;
  payload: Record<string, unknown>;
  /** Events of this type held back by the rate limit since the previous alert of the type. */
  suppressed: number;
}

export interface AlerterStats {
  sent: number;
  rateLimited: number;
  duplicates: number;
  failed: number;
  dropped: number;
}

/** A problem with the alert variables (a ConfigError: exit 2; names the variable, never shows a token). */
export class AlertConfigError extends ConfigError {
  constructor(variable: string, message: string) {
    super([{ source: 'environment', path: variable, message }]);
    this.name = 'AlertConfigError';
  }
}

/** The alert targets of the environment, or undefined when none is configured. */
export function alertTargetsFromEnv(env: NodeJS.ProcessEnv): AlertTargets | undefined {
  const targets: AlertTargets = {};
  const webhook = env[ALERT_ENV.webhook]?.trim();
  if (webhook) {
    let url: URL;
    try {
      url = new URL(webhook);
    } catch (err) {
      throw new AlertConfigError(ALERT_ENV.webhook, `not a URL (${(err as Error).name}); use an http:// or https:// URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new AlertConfigError(ALERT_ENV.webhook, `protocol ${url.protocol} is not allowed; allowed http:, https:`);
    }
    targets.webhookUrl = webhook;
  }
  const token = env[ALERT_ENV.telegramToken]?.trim();
  const chat = env[ALERT_ENV.telegramChat]?.trim();
  if (token || chat) {
    if (!token) throw new AlertConfigError(ALERT_ENV.telegramToken, `not set while ${ALERT_ENV.telegramChat} is; set both for Telegram alerts`);
    if (!chat) throw new AlertConfigError(ALERT_ENV.telegramChat, `not set while ${ALERT_ENV.telegramToken} is; set both for Telegram alerts`);
    if (!/^\d+:[A-Za-z0-9_-]{20,}$/.test(token)) {
      throw new AlertConfigError(ALERT_ENV.telegramToken, 'not a Telegram bot token (expected <digits>:<35 characters> as given by @BotFather; value not shown)');
    }
    if (!/^-?\d+$|^@[A-Za-z0-9_]{5,}$/.test(chat)) {
      throw new AlertConfigError(ALERT_ENV.telegramChat, `${JSON.stringify(chat)} is not a chat id; allowed: an integer (e.g. -1001234567890) or @channelname`);
    }
    const api = env[ALERT_ENV.telegramApi]?.trim();
    targets.telegram = { token, chatId: chat, ...(api ? { apiUrl: api } : {}) };
  }
  return targets.webhookUrl || targets.telegram ? targets : undefined;
}

/** `WARNING BTC exit.retry-limit-exceeded: … (+3 more exit.retry-limit-exceeded in the last 60 s)` */
export function alertText(line: Pick<JournalLine, 'level' | 'market' | 'type' | 'message'>, suppressed = 0, windowMs = DEFAULT_PER_TYPE_MS): string {
  const window = windowMs >= 1000 ? `${Math.round(windowMs / 1000)} s` : `${windowMs} ms`;
  const more = suppressed > 0 ? ` (+${suppressed} more ${line.type} in the last ${window})` : '';
  return `${line.level.toUpperCase()} ${line.market} ${line.type}: ${line.message}${more}`;
}

interface TypeState {
  /** When the current rate window of the type ends. */
  until: number;
  held: number;
  latest: AlertMessage | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export class Alerter {
  private readonly perTypeMs: number;
  private readonly dedupMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly types = new Map<string, TypeState>();
  /** `type|message` → when last sent. */
  private readonly recent = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly counts: AlerterStats = { sent: 0, rateLimited: 0, duplicates: 0, failed: 0, dropped: 0 };

  constructor(private readonly opts: AlerterOptions) {
    if (!opts.webhookUrl && !opts.telegram) throw new RangeError('an Alerter needs a webhook URL or a Telegram token and chat id');
    this.perTypeMs = opts.perTypeMs ?? DEFAULT_PER_TYPE_MS;
    this.dedupMs = opts.dedupMs ?? DEFAULT_DEDUP_MS;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
    this.now = opts.now ?? Date.now;
  }

  /** Usable as a journal sink: WARNING+ records are alerted, the rest ignored. Never throws, never waits. */
  readonly handle = (rec: JournalRecord | JournalLine): void => {
    if (this.closed || !isAlertLevel(rec.level)) return;
    const msg: AlertMessage = {
      text: '',
      level: rec.level,
      type: rec.type,
      market: rec.market,
      time: typeof rec.time === 'number' ? new Date(rec.time).toISOString() : rec.time,
      message: rec.message,
      payload: (rec.payload ?? {}) as Record<string, unknown>,
      suppressed: 0,
    };
    const t = this.now();
    const key = `${rec.type}|${rec.message}`;
    const last = this.recent.get(key);
    if (last !== undefined && t - last < this.dedupMs) {
      this.counts.duplicates++;
      return;
    }
    const st = this.types.get(rec.type);
    if (st && t < st.until) {
      this.counts.rateLimited++;
      st.held++;
      st.latest = msg;
      if (!st.timer) {
        st.timer = setTimeout(() => this.windowEnd(rec.type), Math.max(0, st.until - t));
        st.timer.unref?.();
      }
      return;
    }
    this.send(msg, 0);
  };

  stats(): AlerterStats {
    return { ...this.counts };
  }

  /** Resolves when every send started so far has ended (sent, failed or timed out). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops the window timers (held-back events are not sent) and waits for the sends in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const st of this.types.values()) if (st.timer) clearTimeout(st.timer);
    await this.flush();
  }

  private windowEnd(type: string): void {
    const st = this.types.get(type);
    if (!st) return;
    st.timer = undefined;
    if (this.closed || st.held === 0 || !st.latest) return;
    const latest = st.latest;
    const held = st.held;
    // The held-back count includes `latest` itself; the rest are "more".
    this.send(latest, held - 1);
  }

  private send(msg: AlertMessage, more: number): void {
    const t = this.now();
    this.types.set(msg.type, { until: t + this.perTypeMs, held: 0, latest: undefined, timer: this.types.get(msg.type)?.timer });
    this.recent.set(`${msg.type}|${msg.message}`, t);
    if (this.recent.size > 1000) for (const [k, at] of this.recent) if (t - at >= this.dedupMs) this.recent.delete(k);
    const full: AlertMessage = { ...msg, suppressed: more, text: alertText(msg, more, this.perTypeMs) };
    if (this.opts.webhookUrl) this.start(() => this.postJson(this.opts.webhookUrl!, full, webhookLabel(this.opts.webhookUrl!)));
    const tg = this.opts.telegram;
    if (tg) {
      const base = (tg.apiUrl ?? 'https://api.telegram.org').replace(/\/+$/, '');
      const body = { chat_id: tg.chatId, text: full.text.slice(0, TELEGRAM_MAX_TEXT), disable_web_page_preview: true };
      this.start(() => this.postJson(`${base}/bot${tg.token}/sendMessage`, body, 'telegram'));
    }
  }

  private start(fn: () => Promise<void>): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.counts.dropped++;
      this.opts.onError?.(new Error(`alert dropped: ${MAX_IN_FLIGHT} sends already in flight`), 'alerts');
      return;
    }
    const p = fn().finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** An error text without the Telegram token or the webhook URL (a URL parse error quotes it). */
  private hideSecrets(text: string): string {
    let t = text;
    if (this.opts.webhookUrl) t = t.split(this.opts.webhookUrl).join(webhookLabel(this.opts.webhookUrl));
    if (this.opts.telegram) t = t.split(this.opts.telegram.token).join('[token]');
    return t;
  }

  private async postJson(url: string, body: unknown, label: string): Promise<void> {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Drain the body so the connection is released.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) throw new Error(`${label} answered HTTP ${res.status}`);
      this.counts.sent++;
    } catch (err) {
      this.counts.failed++;
      const e = err as Error;
      const why = e.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : e.message.startsWith(label) ? e.message : `${e.message}${causeOf(e)}`;
      this.opts.onError?.(new Error(`alert to ${label} failed: ${this.hideSecrets(why)}`), label);
    }
  }
}

/** `webhook http://127.0.0.1:8080` — the origin only: a webhook path often carries a secret. */
function webhookLabel(url: string): string {
  try {
    return `webhook ${new URL(url).origin}`;
  } catch (err) {
    if (err instanceof Error) return 'webhook';
    throw err;
  }
}

function causeOf(e: Error): string {
  const c = (e as { cause?: { code?: string; message?: string } }).cause;
  if (!c) return '';
  return ` (${c.code ?? c.message ?? 'unknown cause'})`;
}
