/**
 * The range-grid root and its level children on the simulated venue, through the test-only
 * runner (sim-runner.ts): real effects, simulated clock, in-memory snapshots.
 */
import { describe, expect, it } from 'vitest';
import { VenueError } from '../../../adapters/types.ts';
import { decodeClientIndex } from '../../../src/domain/client-index.ts';
import { Dec, fmt } from '../../../src/domain/decimal.ts';
import { startRunner, type RangeGridRunner } from './sim-runner.ts';
import type { RangeGridParams } from './types.ts';

const TEST = 'TEST';
const norm = (d: string) => fmt(new Dec(d));

async function longGrid(over: Parameters<typeof startRunner>[0] = {}): Promise<RangeGridRunner> {
  return startRunner(over, (r) => r.control.setBook(TEST, '100.00', '100.02'));
}

describe('range grid: arming (VAR-03)', () => {
  it('VAR-03 long range grid arms post-only buys at 98, 96, 94 (nearest first) and nothing else', async () => {
    const r = await longGrid();
    expect(r.prices('entry')).toEqual(['98', '96', '94']);
    expect(r.prices('exit')).toEqual([]);
    const sent = r.placed().map((p) => p.req);
    expect(sent.map((s) => s.price)).toEqual(['98', '96', '94']);
    expect(sent.every((s) => s.side === 'buy' && s.timeInForce === 'post-only' && !s.reduceOnly)).toBe(true);
    // Every entry under its own fresh n.
    expect(new Set(sent.map((s) => decodeClientIndex(s.clientIndex)!.n)).size).toBe(3);
  });

  it('VAR-03 the price falls to 95 without fills: resting set becomes 94, 92, 90, never more than 3 at any moment', async () => {
    const r = await longGrid({ venueBbo: false });
    await r.quote('100.00', '100.02');
    expect(r.prices('entry')).toEqual(['98', '96', '94']);
    let most = 0;
    const stop = r.control.onOrderArrival(() => {
      most = Math.max(most, r.live('entry').length + 1);
    });
    await r.quote('95.00', '95.02');
    stop();
    expect(r.prices('entry')).toEqual(['94', '92', '90']);
    expect(most).toBeLessThanOrEqual(3);
    // The cancels were sent before the new entries.
    const log = r.control.sentLog().filter((s) => s.method === 'cancelOrder' || s.method === 'placeOrder');
    const lastCancel = log.map((s) => s.method).lastIndexOf('cancelOrder');
    const firstNewPlace = log.findIndex((s) => s.method === 'placeOrder' && (s.request as { price: string }).price === '92');
    expect(lastCancel).toBeLessThan(firstNewPlace);
    expect(r.control.accountFills(TEST)).toEqual([]);
  });
});

describe('range grid: a level round trip (VAR-04)', () => {
  it('VAR-04 buy at 98 fills, reduce-only post-only sell of 0.5 at 100 under the same n, profit 1 journaled, 98 re-arms', async () => {
    const r = await longGrid();
    const entry98 = r.entryAt('98');
    const n = decodeClientIndex(entry98.clientIndex)!.n;
    await r.setBook('97.50', '97.52'); // trades through 98: filled as maker at 98
    expect(r.control.accountFills(TEST).map((f) => [norm(f.price), norm(f.size)])).toEqual([['98', '0.5']]);
    const exit = r.live('exit');
    expect(exit).toHaveLength(1);
    expect(exit[0]).toMatchObject({ side: 'sell', price: '100', size: '0.5', reduceOnly: true, timeInForce: 'post-only' });
    expect(decodeClientIndex(exit[0].clientIndex)).toMatchObject({ n, role: { kind: 'close' } });
    expect(r.levelStates()['4']).toBe('exitResting');
    // 98 holds, 100 is its exit target: entries now 96, 94, 92.
    expect(r.prices('entry')).toEqual(['96', '94', '92']);

    await r.setBook('100.50', '100.52'); // the exit fills at 100
    const trip = r.events('level.round-trip');
    expect(trip).toHaveLength(1);
    expect(trip[0].payload).toMatchObject({ level: 4, n, side: 'buy', entryPrice: '98', exitPrice: '100', size: '0.5', gross: '1', fees: '0', profit: '1' });
    expect(r.ctx().levelProfit['4']).toEqual({ roundTrips: 1, profit: '1' });
    expect(r.ctx().realizedPnl).toBe('1');
    // Level 98 is idle and re-armed (98 is again among the nearest three below the bid) under a fresh n.
    expect(r.prices('entry')).toEqual(['100', '98', '96']);
    const again = r.entryAt('98');
    expect(decodeClientIndex(again.clientIndex)!.n).toBeGreaterThan(n);
    expect(norm(r.control.positionOf(TEST).size)).toBe('0');
  });

  it('VAR-04 profit is reported less fees (maker fee charged on both fills)', async () => {
    const r = await startRunner({ market: { info: { makerFee: '0.0002' } } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    await r.setBook('97.50', '97.52');
    await r.setBook('100.50', '100.52');
    const trip = r.events('level.round-trip')[0];
    // fees: 98 × 0.5 × 0.0002 + 100 × 0.5 × 0.0002 = 0.0098 + 0.01
    expect(trip.payload).toMatchObject({ gross: '1', fees: '0.0198', profit: '0.9802' });
  });

  it('VAR-04 an exit that would cross is re-placed passive (never below its level), under a new role', async () => {
    const r = await longGrid({ venueBbo: false });
    await r.quote('100.00', '100.02');
    const entry = r.entryAt('98');
    // The book jumps above 100, then a counterparty takes the 98 buy: the exit at 100 would cross.
    r.control.setBook(TEST, '100.50', '100.52');
    await r.quote('100.50', '100.52');
    r.control.counterpartyFill(TEST, entry.clientIndex);
    await r.settle();
    const exits = r.placed().filter((p) => p.req.side === 'sell');
    expect(exits[0].req.price).toBe('100');
    expect(r.live('exit').map((o) => o.price)).toEqual(['100.51']);
    expect(decodeClientIndex(r.live('exit')[0].clientIndex)!.role).toEqual({ kind: 'close-retry', seq: 1 });
  });
});

/** VAR-06 fixture: long 90..110, two levels holding (bought 96 and 94, exits at 98 and 96), entries 92 and 90. */
async function twoHolding(onExitRange: 'hold' | 'halt' | 'close', over: Partial<RangeGridParams> = {}): Promise<RangeGridRunner> {
  const r = await startRunner({ params: { onExitRange, ...over } }, (x) => x.control.setBook(TEST, '97.00', '97.02'));
  expect(r.prices('entry')).toEqual(['96', '94', '92']);
  await r.setBook('95.00', '95.02'); // 96 fills
  await r.setBook('93.00', '93.02'); // 94 fills
  expect(r.prices('exit')).toEqual(['98', '96']);
  expect(r.prices('entry')).toEqual(['92', '90']);
  expect(norm(r.control.positionOf(TEST).size)).toBe('1');
  // From here the machine sees quotes the simulator does not trade through.
  r.venueBbo = false;
  return r;
}

describe('range grid: leaving the range (VAR-06)', () => {
  it('VAR-06 (a) hold: no new entry while mid < 90, exits keep resting, entries re-arm when mid is back inside', async () => {
    const r = await twoHolding('hold');
    await r.quote('88.99', '89.01');
    expect(r.events('range.exited')).toHaveLength(1);
    // The venue cancels the 92 entry: a slot is free, but nothing is placed while outside.
    const sentBefore = r.placed().length;
    r.control.cancelByUser(TEST, r.entryAt('92').clientIndex);
    await r.settle();
    await r.quote('88.50', '88.52');
    expect(r.placed().length).toBe(sentBefore);
    expect(r.prices('exit')).toEqual(['98', '96']);
    expect(r.riskState()).toBe('armed');
    await r.quote('93.00', '93.02');
    expect(r.events('range.entered')).toHaveLength(1);
    expect(r.prices('entry')).toEqual(['92', '90']);
    expect(r.placed().length).toBe(sentBefore + 1);
  });

  it('VAR-06 (b) halt: entries cancelled (confirmed), exits keep resting, halted until the operator resumes', async () => {
    const r = await twoHolding('halt');
    await r.quote('88.99', '89.01');
    expect(r.prices('entry')).toEqual([]);
    expect(r.prices('exit')).toEqual(['98', '96']);
    expect(r.riskState()).toBe('halted');
    expect(r.control.allOrders(TEST).filter((o) => ['92.00', '90.00'].includes(o.price)).map((o) => o.status)).toEqual(['canceled', 'canceled']);
    // Latched: back inside, still nothing until resume; resume is refused while mid is outside.
    await r.quote('88.50', '88.52');
    r.actor.send({ type: 'operator.resume', at: r.clock.now() });
    await r.settle();
    expect(r.events('operator.resume-refused')).toHaveLength(1);
    await r.quote('93.00', '93.02');
    expect(r.prices('entry')).toEqual([]);
    r.actor.send({ type: 'operator.resume', at: r.clock.now() });
    await r.settle();
    expect(r.riskState()).toBe('armed');
    expect(r.prices('entry')).toEqual(['92', '90']);
    expect(r.prices('exit')).toEqual(['98', '96']);
  });

  it('VAR-06 (c) close: entries and exits cancelled, reduce-only market close sized from the venue position, halted', async () => {
    const r = await twoHolding('close');
    await r.quote('88.99', '89.01');
    expect(r.liveOrders()).toEqual([]);
    const close = r.placed().filter((p) => p.req.type === 'market');
    expect(close).toHaveLength(1);
    expect(close[0].req).toMatchObject({ side: 'sell', size: '1', reduceOnly: true, timeInForce: 'ioc' });
    expect(decodeClientIndex(close[0].req.clientIndex)!.role.kind).toBe('flatten');
    expect(norm(r.control.positionOf(TEST).size)).toBe('0');
    expect(r.riskState()).toBe('halted');
    expect(r.events('level.released')).toHaveLength(2);
    expect(r.levelStates()).toEqual({});
    // Every exit was cancelled before the market close was sent.
    const log = r.control.sentLog().map((s) => s.method);
    expect(log.lastIndexOf('cancelOrder')).toBeLessThan(log.lastIndexOf('placeOrder'));
  });
});

describe('range grid: short and neutral (VAR-07)', () => {
  it('VAR-07 (a) short: sells rest at 102, 104, 106 above the ask; a sell filled at 104 gets a reduce-only buy at 102', async () => {
    const r = await startRunner({ params: { direction: 'short' } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    expect(r.prices('entry')).toEqual(['106', '104', '102']);
    expect(r.live('entry').every((o) => o.side === 'sell' && o.timeInForce === 'post-only')).toBe(true);
    const e104 = r.entryAt('104');
    await r.setBook('104.50', '104.52'); // 102 and 104 fill
    const exit104 = r.live('exit').find((o) => decodeClientIndex(o.clientIndex)!.n === decodeClientIndex(e104.clientIndex)!.n)!;
    expect(exit104).toMatchObject({ side: 'buy', price: '102', size: '0.5', reduceOnly: true, timeInForce: 'post-only' });
    expect(r.prices('exit')).toEqual(['102', '100']);
    await r.setBook('99.00', '99.02'); // both exits fill
    expect(r.events('level.round-trip').map((e) => [e.payload!.entryPrice, e.payload!.exitPrice, e.payload!.profit])).toEqual([
      ['104', '102', '1'],
      ['102', '100', '1'],
    ]);
    expect(norm(r.control.positionOf(TEST).size)).toBe('0');
  });

  it('VAR-07 (b) neutral: buys below the bid, sells above the ask; 98 → sell at 100, 102 → buy at 100; ledger = venue position', async () => {
    const r = await startRunner({ params: { direction: 'neutral', maxRestingOrders: 4 } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    const ledgerOk = () => {
      const ledger = Object.values(r.ctx().levels).reduce((a, s) => a.plus(s.held), new Dec(0));
      expect(fmt(ledger)).toBe(norm(r.control.positionOf(TEST).size));
    };
    expect(r.live('entry').map((o) => [o.price, o.side])).toEqual(expect.arrayContaining([['98', 'buy'], ['96', 'buy'], ['102', 'sell'], ['104', 'sell']]));
    expect(r.live('entry')).toHaveLength(4);
    ledgerOk();
    const n98 = decodeClientIndex(r.entryAt('98').clientIndex)!.n;
    const n102 = decodeClientIndex(r.entryAt('102').clientIndex)!.n;
    await r.setBook('97.50', '97.52'); // buy 98 fills
    ledgerOk();
    const sell100 = r.live('exit').find((o) => decodeClientIndex(o.clientIndex)!.n === n98)!;
    expect(sell100).toMatchObject({ side: 'sell', price: '100', size: '0.5', reduceOnly: false, timeInForce: 'post-only' });
    await r.setBook('102.50', '102.52'); // the sell at 100 (exit) and the sell at 102 (entry) fill
    ledgerOk();
    const buy100 = r.live('exit').find((o) => decodeClientIndex(o.clientIndex)!.n === n102)!;
    expect(buy100).toMatchObject({ side: 'buy', price: '100', size: '0.5', reduceOnly: false });
    expect(r.events('level.round-trip').map((e) => [e.payload!.level, e.payload!.profit])).toEqual([[4, '1']]);
    await r.setBook('99.50', '99.52'); // the buy at 100 fills
    ledgerOk();
    expect(r.events('level.round-trip').map((e) => [e.payload!.level, e.payload!.profit])).toEqual([
      [4, '1'],
      [6, '1'],
    ]);
    // No exit was refused as reduce-only.
    expect(r.control.allOrders(TEST).filter((o) => o.cancelReason === 'reduce-only')).toEqual([]);
    expect(r.events('level.leg-lost')).toEqual([]);
  });
});

describe('range grid: stop price, stop-loss, operator flatten (same controls as the dynamic grid)', () => {
  const closed = (r: RangeGridRunner, kind: string) => {
    const close = r.placed().filter((p) => p.req.type === 'market');
    expect(close).toHaveLength(1);
    expect(close[0].req).toMatchObject({ side: 'sell', size: '1', reduceOnly: true });
    expect(decodeClientIndex(close[0].req.clientIndex)!.role.kind).toBe(kind);
    expect(norm(r.control.positionOf(TEST).size)).toBe('0');
    expect(r.liveOrders()).toEqual([]);
    expect(r.riskState()).toBe('halted');
  };

  it('stop price below the range: mid ≤ stop closes everything (stop-price-close) and halts, even with on_exit_range hold', async () => {
    const r = await twoHolding('hold', { stopPrice: '85' });
    await r.quote('88.00', '88.02');
    expect(r.riskState()).toBe('armed');
    await r.quote('84.99', '85.01');
    closed(r, 'stop-price-close');
    r.actor.send({ type: 'operator.resume', at: r.clock.now() });
    await r.settle();
    expect(r.events('operator.resume-refused')[0].message).toContain('beyond the stop price 85');
  });

  it('stop-loss: mid ≤ average entry × (1 − 5 %) closes everything (stop-loss-close) and halts', async () => {
    const r = await twoHolding('hold', { stopLossEnabled: true, stopLossPct: '5' });
    // Average entry 95 → level 90.25; mid 90.30 is above it, mid 90.24 below.
    await r.quote('90.29', '90.31');
    expect(r.riskState()).toBe('armed');
    await r.quote('90.23', '90.25');
    closed(r, 'stop-loss-close');
  });

  it('operator flatten: the close procedure, then halted', async () => {
    const r = await twoHolding('hold');
    r.actor.send({ type: 'operator.flatten', at: r.clock.now() });
    await r.settle();
    closed(r, 'flatten');
  });
});

describe('range grid: partial fills below the venue minimum, parked legs (chaos seed 3 run 10)', () => {
  const neutral = (over: Parameters<typeof startRunner>[0] = {}) =>
    startRunner({ params: { direction: 'neutral', maxRestingOrders: 4 }, ...over }, (x) => x.control.setBook(TEST, '100.00', '100.02'));

  it('range-grid chaos seed 3 run 10: on the simulated venue a partial sell fill below the exit minimum keeps resting; the full fill gets its exit', async () => {
    // Minimum 30 USD: the sell entry of 0.5 at 102 is 51 USD; 0.2 filled would exit as a buy at 100 = 20 USD (refused).
    const r = await neutral({ market: { info: { minQuoteNotional: '30' } } });
    const e102 = r.entryAt('102');
    r.control.counterpartyFill(TEST, e102.clientIndex, '0.2');
    await r.settle();
    expect(r.levelStates()['6']).toBe('entryResting');
    expect(r.entryAt('102')).toMatchObject({ clientIndex: e102.clientIndex, filledSize: '0.2', size: '0.5' });
    expect(r.live('exit')).toEqual([]);
    r.control.counterpartyFill(TEST, e102.clientIndex);
    await r.settle();
    expect(r.live('exit')).toEqual([expect.objectContaining({ side: 'buy', price: '100', size: '0.5', reduceOnly: false })]);
    expect(r.events('level.exit-rejected')).toEqual([]);
    expect(r.control.allOrders(TEST).find((o) => o.clientIndex === e102.clientIndex)!.status).toBe('filled');
  });

  it('range-grid chaos seed 3 run 10: the price moves away from a sell entry holding a sub-minimum partial fill: it is not disarmed (no stranded leg), it keeps its slot', async () => {
    // Short 90..110, max 3: sells at 102, 104, 106; minimum 30 USD (0.2 filled exits as 20 USD).
    const r = await startRunner({ params: { direction: 'short' }, market: { info: { minQuoteNotional: '30' } } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    const e102 = r.entryAt('102');
    r.control.counterpartyFill(TEST, e102.clientIndex, '0.2');
    await r.settle();
    await r.setBook('93.00', '93.02'); // nearest sells now 94, 96, 98: 104 and 106 are disarmed, 102 is not
    expect(r.levelStates()['6']).toBe('entryResting');
    expect(r.entryAt('102')).toMatchObject({ clientIndex: e102.clientIndex, filledSize: '0.2' });
    expect(r.prices('entry')).toEqual(['102', '96', '94']);
    expect(r.live('exit')).toEqual([]);
    r.control.counterpartyFill(TEST, e102.clientIndex);
    await r.settle();
    // The book is below the target: the exit rests passive at ask − tick (never above 100).
    expect(r.live('exit')).toEqual([expect.objectContaining({ side: 'buy', price: '93.01', size: '0.5', reduceOnly: true })]);
    expect(r.events('level.exit-rejected')).toEqual([]);
  });

  it('range-grid chaos seed 3 run 10: operator resume on an armed grid (not paused) sends a parked leg back to holding; its exit rests and completes the round trip', async () => {
    const r = await neutral();
    const e102 = r.entryAt('102');
    const n = decodeClientIndex(e102.clientIndex)!.n;
    // The venue refuses the exit once (the first order after this fill is the level's exit).
    r.control.failNext('placeOrder', new VenueError('rejected', 'invalid order base or quote amount (21706)'));
    r.control.counterpartyFill(TEST, e102.clientIndex);
    await r.settle();
    expect(r.events('level.exit-rejected').map((e) => e.payload!.level)).toEqual([6]);
    expect(r.levelStates()['6']).toBe('parked');
    expect(r.riskState()).toBe('armed');
    expect(r.ctx().operatorPaused).toBe(false);
    r.actor.send({ type: 'operator.resume', at: r.clock.now() });
    await r.settle();
    expect(r.events('operator.resumed')).toHaveLength(1);
    expect(r.levelStates()['6']).toBe('exitResting');
    const exit = r.live('exit').find((o) => decodeClientIndex(o.clientIndex)!.n === n)!;
    expect(exit).toMatchObject({ side: 'buy', price: '100', size: '0.5', reduceOnly: false });
    expect(decodeClientIndex(exit.clientIndex)!.role).toEqual({ kind: 'close-retry', seq: 1 });
    await r.setBook('99.50', '99.52'); // the buy at 100 fills
    expect(r.events('level.round-trip').map((e) => [e.payload!.level, e.payload!.profit])).toEqual([[6, '1']]);
  });
});
