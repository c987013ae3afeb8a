import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JournalWriter, formatAlert, readJournal, toJournalLine, type JournalLine } from './journal.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 5);

describe('JournalWriter', () => {
  it('writes one JSON line per event with time, market, level, type, message, payload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const file = join(dir, 'nested', 'events.jsonl');
    const w = new JournalWriter({ file, alert: null });
    w.write({ time: T0, market: 'BTC', type: 'entry.placed', level: 'info', message: 'grid-1:entry placed', payload: { position: 'grid-1', price: '60000.1' } });
    w.write({ time: T0 + 1000, market: 'BTC', type: 'venue.reconciled', level: 'info', message: 'ok' });
    w.close();
    const text = readFileSync(file, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    expect(text.trim().split('\n')).toHaveLength(2);
    expect(readJournal(file)).toEqual([
      { time: '2024-05-01T12:00:05.000Z', market: 'BTC', level: 'info', type: 'entry.placed', message: 'grid-1:entry placed', payload: { position: 'grid-1', price: '60000.1' } },
      { time: '2024-05-01T12:00:06.000Z', market: 'BTC', level: 'info', type: 'venue.reconciled', message: 'ok', payload: {} },
    ]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('appends to an existing journal (a resumed run continues the file)', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'journal-')), 'e.jsonl');
    for (const type of ['a.one', 'b.two']) {
      const w = new JournalWriter({ file, alert: null });
      w.write({ time: T0, market: 'ETH', type, level: 'info', message: type });
      w.close();
    }
    expect(readJournal(file).map((l) => l.type)).toEqual(['a.one', 'b.two']);
  });

  it('prints WARNING and ERROR events in a readable form, not INFO or DEBUG', () => {
    const alerts: string[] = [];
    const lines: JournalLine[] = [];
    const w = new JournalWriter({ alert: (t) => alerts.push(t), onLine: (l) => lines.push(l) });
    for (const level of ['debug', 'info', 'warning', 'error'] as const) {
      w.write({ time: T0, market: 'BTC', type: `x.${level}`, level, message: `m ${level}` });
    }
    expect(lines.map((l) => l.level)).toEqual(['debug', 'info', 'warning', 'error']);
    expect(alerts).toEqual(['WARNING 2024-05-01T12:00:05.000Z BTC x.warning: m warning', 'ERROR 2024-05-01T12:00:05.000Z BTC x.error: m error']);
  });

  it('reports a corrupted journal line by number', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'journal-')), 'e.jsonl');
    const w = new JournalWriter({ file, alert: null });
    w.write({ time: T0, market: 'BTC', type: 'a.b', level: 'info', message: '' });
    w.close();
    appendFileSync(file, '{not json\n');
    expect(() => readJournal(file)).toThrow(/line 2 is not JSON/);
  });

  it('formats alerts from lines', () => {
    const line = toJournalLine({ time: T0, market: 'BTC', type: 'exit.retry-limit-exceeded', level: 'warning', message: 'grid-3 market close' });
    expect(formatAlert(line)).toBe('WARNING 2024-05-01T12:00:05.000Z BTC exit.retry-limit-exceeded: grid-3 market close');
  });
});
