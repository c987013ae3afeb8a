import { describe, expect, it } from 'vitest';
import type { BotStatus } from '../runtime/status.ts';
import { RunTally, durationText, formatStatusLine, formatSummary, signed } from './status-line.ts';

const T = Date.UTC(2024, 4, 1, 12, 0, 5);

function status(over: Partial<BotStatus> = {}): BotStatus {
  const exit = { clientIndex: 1, price: '60100', type: 'limit' as const, status: 'open' as const, size: '0.00166' };
  const pos = (n: number) => ({ n, size: '0.00166', remaining: '0.00166', entryPrice: '60020.1', exit, state: 'exitResting', realizedPnl: '0', exitAccepted: true, name: `grid-${n}`, exitName: `grid-${n}:close` });
  return {
    now: T,
    lifecycle: 'trading',
    entryState: 'waitingForFill',
    gate: { open: false, reasons: ['grid_step'] },
    paused: false,
    entry: { name: 'grid-7:entry', side: 'buy', price: '60012.3', size: '0.00166', filled: '0', status: 'open' },
    positions: [pos(4), pos(5), pos(6)],
    restingExits: 3,
    trackedSize: '0.00498',
    venuePosition: '0.00498',
    avgEntry: '60020.1',
    realizedPnl: '0.4213',
    unrealizedPnl: '-0.0996',
    nextN: 8,
    book: { bid: '60000', ask: '60000.2' },
    ...over,
  };
}

describe('formatStatusLine', () => {
  it('shows entry cycle, positions, resting exits, position, PnL and gate in one line', () => {
    expect(formatStatusLine(status(), { now: T, market: 'BTC' })).toBe(
      '12:00:05 BTC entry waitingForFill grid-7:entry buy 0.00166 @ 60012.3 | positions 3 (exits 3 resting) | pos +0.00498 avg 60020.1 | rPnL +0.42 uPnL -0.10 | gate: grid_step',
    );
  });

  it('marks a lifecycle other than trading, a partial entry fill, a flat position and an open gate', () => {
    const line = formatStatusLine(
      status({
        lifecycle: 'reconciling',
        paused: true,
        entry: { name: 'grid-9:entry', side: 'sell', price: '3000.01', size: '0.1', filled: '0.04', status: 'open' },
        positions: [],
        restingExits: 0,
        venuePosition: '0',
        realizedPnl: '0',
        unrealizedPnl: '0',
        gate: { open: true, reasons: [] },
      }),
      { now: T, market: 'ETH' },
    );
    expect(line).toBe(
      '12:00:05 ETH [reconciling] [paused] entry waitingForFill grid-9:entry sell 0.1 @ 3000.01 (filled 0.04) | positions 0 (exits 0 resting) | pos 0 | rPnL 0.00 uPnL 0.00 | gate: open',
    );
    expect(formatStatusLine(status({ entry: null, entryState: 'ready', gate: { open: false, reasons: ['cooldown', 'max_orders'] } }), { now: T, market: 'BTC' })).toMatch(
      /^12:00:05 BTC entry ready \| .* \| gate: cooldown,max_orders$/,
    );
  });

  it('signs and rounds for display only', () => {
    expect(signed('0.00498')).toBe('+0.00498');
    expect(signed('-0.1')).toBe('-0.1');
    expect(signed('0')).toBe('0');
    expect(signed('0.005', 2)).toBe('+0.01');
    expect(signed('-0.0996', 2)).toBe('-0.10');
    expect(signed('-0', 2)).toBe('0.00');
    expect(signed('-0.001', 2)).toBe('0.00');
  });

  it('writes durations compactly', () => {
    expect(durationText(600_000)).toBe('10m 0s');
    expect(durationText(45_000)).toBe('45s');
    expect(durationText(3_723_000)).toBe('1h 2m 3s');
    expect(durationText(86_400_000)).toBe('1d 0h 0m 0s');
  });
});

describe('RunTally and formatSummary', () => {
  it('counts the run from journal lines: entries placed / filled (distinct positions), exit fills, closes, PnL', () => {
    const tally = new RunTally();
    const lines = [
      { type: 'entry.placed', level: 'info', payload: { position: 'grid-1' } },
      { type: 'entry.filled', level: 'info', payload: { position: 'grid-1', filled: '0.001' } },
      { type: 'entry.filled', level: 'info', payload: { position: 'grid-1', filled: '0.002' } },
      { type: 'entry.placed', level: 'info', payload: { position: 'grid-2' } },
      { type: 'exit.filled', level: 'info', payload: { position: 'grid-1' } },
      { type: 'position.closed', level: 'info', payload: { position: 'grid-1', realizedPnl: '0.0498' } },
      { type: 'risk.margin-cap-hit', level: 'warning', payload: {} },
    ] as const;
    for (const l of lines) tally.add({ ...l, payload: { ...l.payload } });
    expect([tally.entriesPlaced, tally.entriesFilled, tally.entryFills, tally.exitFills, tally.positionsClosed, tally.warnings, tally.errors]).toEqual([2, 1, 2, 1, 1, 1, 0]);
    expect(tally.realizedPnl.toFixed()).toBe('0.0498');
    expect(tally.count('entry.placed')).toBe(2);

    const summary = formatSummary({ market: 'BTC', startedAt: T, endedAt: T + 600_000, tally, status: status({ positions: [], venuePosition: '0', realizedPnl: '1.2' }), reason: 'duration reached' });
    expect(summary).toEqual([
      'summary BTC: 10m 0s simulated (2024-05-01T12:00:05.000Z → 2024-05-01T12:10:05.000Z), stopped: duration reached',
      '  entries placed 2, filled 1 | exits filled 1 | positions closed 1, open 0 | fills 3',
      '  realized PnL this run +0.05 (bot total +1.20) | position 0',
      '  events: 1 warning(s), 0 error(s)',
    ]);
  });
});
