/**
 * Logs: journal record → log line mapping, levels, JSON vs pretty output, and secrets kept
 * out of every line (CFG-06).
 */
import { describe, expect, it } from 'vitest';
import { createLogger, journalLogEntry, logJournal, parseLogLevel, scrub, secretsFromEnv } from './log.ts';

const KEY = `0x${'3f'.repeat(40)}`;
const TG = '123456789:AAH-abcdefghijklmnopqrstuvwxyz_012345';

function capture(level: Parameters<typeof createLogger>[0]['level'], pretty = false, secrets: string[] = []) {
  const lines: string[] = [];
  const logger = createLogger({ level, pretty, colorize: false, write: (l) => lines.push(l), secrets });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const rec = (level: 'debug' | 'info' | 'warning' | 'error', type = 'exit.retry-limit-exceeded') => ({
  time: Date.UTC(2024, 4, 1, 12, 0, 5),
  market: 'BTC',
  level,
  type,
  message: 'grid-3:close-retry-3 canceled; falling back to market',
  payload: { position: 'grid-3', failures: 4 },
});

describe('journal → log lines', () => {
  it('maps level (warning → warn), type, market, event time and payload; the message is msg', () => {
    expect(journalLogEntry(rec('warning'))).toEqual({
      level: 'warn',
      fields: { market: 'BTC', type: 'exit.retry-limit-exceeded', at: '2024-05-01T12:00:05.000Z', payload: { position: 'grid-3', failures: 4 } },
      msg: 'grid-3:close-retry-3 canceled; falling back to market',
    });
    expect(journalLogEntry({ ...rec('debug'), time: '2024-05-01T12:00:05.000Z' } as never).level).toBe('debug');
    expect(journalLogEntry(rec('error')).level).toBe('error');
  });

  it('writes one JSON object per line with level names and ISO times; lines below the level are dropped', () => {
    const c = capture('info');
    logJournal(c.logger, rec('debug', 'position.close-path'));
    logJournal(c.logger, rec('info', 'entry.placed'));
    logJournal(c.logger, rec('warning'));
    expect(c.lines.every((l) => l.endsWith('\n'))).toBe(true);
    const out = c.json();
    expect(out.map((o) => [o.level, o.type])).toEqual([
      ['info', 'entry.placed'],
      ['warn', 'exit.retry-limit-exceeded'],
    ]);
    expect(out[1]).toMatchObject({ market: 'BTC', at: '2024-05-01T12:00:05.000Z', payload: { position: 'grid-3' }, msg: 'grid-3:close-retry-3 canceled; falling back to market' });
    expect(typeof out[1].time).toBe('string');
    expect(Number.isNaN(Date.parse(out[1].time as string))).toBe(false);
  });

  it('pretty mode prints a readable line: time, level, type: message, then the fields', () => {
    const c = capture('debug', true);
    logJournal(c.logger, rec('warning'));
    expect(c.lines).toHaveLength(1);
    expect(c.lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: exit\.retry-limit-exceeded: grid-3:close-retry-3 canceled; falling back to market \{.*"market":"BTC"/);
    expect(c.lines[0]).not.toContain('"pid"');
  });

  it('parses --log-level values and refuses others naming the allowed ones', () => {
    expect(parseLogLevel('warning')).toBe('warn');
    expect(parseLogLevel(' DEBUG ')).toBe('debug');
    expect(() => parseLogLevel('loud')).toThrow('--log-level "loud" is not a log level; allowed: trace, debug, info, warn, error, fatal, silent (warning = warn)');
  });
});

describe('CFG-06 secrets never reach a log line', () => {
  it('CFG-06 the private key (with or without 0x, any case) and the Telegram token are scrubbed from messages and fields; secret-named fields are censored', () => {
    const secrets = secretsFromEnv({ LIGHTER_API_PRIVATE_KEY: KEY, GRIDCHART_TELEGRAM_BOT_TOKEN: TG, PATH: '/usr/bin:/bin', HOME: '/root' });
    expect(secrets).toContain(KEY);
    expect(secrets).toContain(KEY.slice(2));
    expect(secrets).not.toContain('/usr/bin:/bin');
    for (const pretty of [false, true]) {
      const c = capture('trace', pretty, secrets);
      c.logger.error({ err: { message: `signer refused key ${KEY.slice(2).toUpperCase()}` } }, `bad key ${KEY}`);
      c.logger.warn({ url: `https://api.telegram.org/bot${TG}/sendMessage` }, 'telegram');
      c.logger.info({ privateKey: 'abc', venue: { apiKey: 'def', nested: { token: 'ghi' } } }, 'fields');
      logJournal(c.logger, { ...rec('warning'), message: `key ${KEY}`, payload: { k: KEY.slice(2) } });
      const all = c.lines.join('');
      expect(all.toLowerCase()).not.toContain(KEY.slice(2).toLowerCase());
      expect(all).not.toContain(TG);
      expect(all).not.toMatch(/"(abc|def|ghi)"/);
      expect(all).toContain('[redacted]');
    }
  });

  it('scrub replaces every occurrence and leaves other text alone', () => {
    expect(scrub('a SECRETVALUE1 b SECRETVALUE1', ['SECRETVALUE1'])).toBe('a [redacted] b [redacted]');
    expect(scrub('nothing here', ['SECRETVALUE1'])).toBe('nothing here');
  });
});
