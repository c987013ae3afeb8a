import { describe, expect, it } from 'vitest';
import { Dec } from '../../../src/domain/decimal.ts';
import { candidates, exitLevelOf, exitPrice, levelPrices, levelSize, planArming, roundTripProfit, spacingProblem } from './levels.ts';
import type { LevelSummary } from './types.ts';

const TICK = '0.01';
const arith = (lower: string, upper: string, gridCount: number) => ({ lowerPrice: lower, upperPrice: upper, gridCount, spacing: 'arithmetic' as const });
const geo = (lower: string, upper: string, gridCount: number) => ({ lowerPrice: lower, upperPrice: upper, gridCount, spacing: 'geometric' as const });

function summary(level: number, state: string, over: Partial<LevelSummary> = {}): LevelSummary {
  const entryStates = ['awaitingN', 'entryPlacing', 'entryResting', 'entryCancelling'];
  return { level, state, side: 'buy', n: level + 1, ns: [level + 1], entry: null, exit: null, held: '0', exitTarget: null, liveEntry: entryStates.includes(state), liveExit: false, entryNotional: '0', ...over };
}

describe('range-grid level prices', () => {
  it('VAR-02 (a) arithmetic 90..110, grid_count 10: 90, 92, …, 110 (11 prices)', () => {
    const lv = levelPrices(arith('90', '110', 10), TICK);
    expect(lv).toHaveLength(11);
    expect(lv.map((l) => l.buy)).toEqual(['90', '92', '94', '96', '98', '100', '102', '104', '106', '108', '110']);
    expect(lv.map((l) => l.sell)).toEqual(lv.map((l) => l.buy));
  });

  it('VAR-02 (b) geometric 100..121, grid_count 2: 100, 110, 121 — exact roots land on the tick', () => {
    const lv = levelPrices(geo('100', '121', 2), TICK);
    expect(lv.map((l) => [l.buy, l.sell])).toEqual([
      ['100', '100'],
      ['110', '110'],
      ['121', '121'],
    ]);
  });

  it('VAR-02 (c) geometric 100..200, grid_count 3: 125.99 buy / 126.00 sell, 158.74 / 158.75, rounded passive per side', () => {
    const lv = levelPrices(geo('100', '200', 3), TICK);
    expect(lv.map((l) => l.buy)).toEqual(['100', '125.99', '158.74', '200']);
    expect(lv.map((l) => l.sell)).toEqual(['100', '126', '158.75', '200']);
    // 40 significant digits of 100 × 2^(1/3) = 125.99210498948731647672106072782283505702514…
    // (the 40th digit is 0, trimmed in the plain-decimal form).
    expect(lv[1].exact).toBe('125.992104989487316476721060727822835057');
    expect(lv[2].exact).toBe('158.7401051968199474751705639272308260391');
  });

  it('VAR-02 arithmetic levels that do not terminate are rounded from the exact rational', () => {
    const lv = levelPrices(arith('100', '101', 3), TICK);
    expect(lv.map((l) => [l.buy, l.sell])).toEqual([
      ['100', '100'],
      ['100.33', '100.34'],
      ['100.66', '100.67'],
      ['101', '101'],
    ]);
  });

  it('VAR-02 geometric rounding is exact for all 500 levels (sell − buy is 0 or one tick, strictly increasing)', () => {
    const lv = levelPrices(geo('50', '150', 500), '0.0001');
    expect(lv).toHaveLength(501);
    for (let i = 0; i < lv.length; i++) {
      expect(['0', '0.0001']).toContain(new Dec(lv[i].sell).minus(lv[i].buy).toFixed());
      if (i > 0) expect(new Dec(lv[i].buy).gt(lv[i - 1].buy)).toBe(true);
    }
  });

  it('VAR-02 a spacing smaller than two ticks is refused naming grid_count and the allowed range', () => {
    expect(spacingProblem(arith('90', '110', 10), TICK)).toBeNull();
    expect(spacingProblem(arith('100', '100.2', 10), TICK)).toBeNull(); // exactly two ticks
    const p = spacingProblem(arith('100', '100.2', 11), TICK);
    expect(p?.key).toBe('grid_count');
    expect(p?.message).toMatch(/smaller than two ticks \(0\.02\); allowed 2\.\.10/);
    expect(spacingProblem(geo('100', '100.2', 10), TICK)?.key).toBe('grid_count');
    expect(spacingProblem(geo('100', '121', 2), TICK)).toBeNull();
    expect(spacingProblem(arith('0.001', '10', 2), TICK)?.key).toBe('lower_price');
  });
});

describe('range-grid arming', () => {
  const lv = levelPrices(arith('90', '110', 10), TICK);
  const book = (bid: string, ask: string) => ({ bid, ask });

  it('VAR-03 long: the three levels strictly below the bid, nearest first, nothing at or above 100', () => {
    const plan = planArming({ levels: lv, direction: 'long', book: book('100', '100.02'), maxResting: 3, summaries: {} });
    expect(plan.arm.map((c) => [c.price, c.side])).toEqual([
      ['98', 'buy'],
      ['96', 'buy'],
      ['94', 'buy'],
    ]);
    expect(plan.disarm).toEqual([]);
  });

  it('VAR-03 price falls to 95: 98 and 96 are disarmed, 94 stays, new arms wait for the cancels (never more than 3)', () => {
    const summaries = { '4': summary(4, 'entryResting'), '3': summary(3, 'entryResting'), '2': summary(2, 'entryResting') };
    const plan = planArming({ levels: lv, direction: 'long', book: book('95', '95.02'), maxResting: 3, summaries });
    expect(plan.want.map((c) => c.price)).toEqual(['94', '92', '90']);
    expect(plan.disarm).toEqual([3, 4]);
    expect(plan.arm).toEqual([]);
    // Cancels confirmed (those levels are idle again): 92 and 90 are armed.
    const after = { '2': summary(2, 'entryResting'), '3': summary(3, 'idle'), '4': summary(4, 'idle') };
    const next = planArming({ levels: lv, direction: 'long', book: book('95', '95.02'), maxResting: 3, summaries: after });
    expect(next.arm.map((c) => c.price)).toEqual(['92', '90']);
  });

  it('range-grid chaos seed 3 run 10: a price move never disarms an entry that holds a partial fill (kept below the exit minimum); it keeps its slot', () => {
    // 98 (4) rests with 0.2 of 0.5 filled; the price falls to 95: 96 (3) is disarmed, 98 is not.
    const summaries = { '4': summary(4, 'entryResting', { held: '0.2', exitTarget: 5 }), '3': summary(3, 'entryResting'), '2': summary(2, 'entryResting') };
    const plan = planArming({ levels: lv, direction: 'long', book: book('95', '95.02'), maxResting: 3, summaries });
    expect(plan.disarm).toEqual([3]);
    expect(plan.arm).toEqual([]);
    const after = { ...summaries, '3': summary(3, 'idle') };
    expect(planArming({ levels: lv, direction: 'long', book: book('95', '95.02'), maxResting: 3, summaries: after }).arm.map((c) => c.price)).toEqual(['92']);
  });

  it('VAR-03 a level being cancelled still counts toward max_resting_orders', () => {
    const summaries = { '4': summary(4, 'entryCancelling'), '3': summary(3, 'entryResting') };
    const plan = planArming({ levels: lv, direction: 'long', book: book('100', '100.02'), maxResting: 3, summaries });
    expect(plan.arm.map((c) => c.price)).toEqual(['94']);
  });

  it('VAR-04 a holding level and its exit target are not armed (one order per level price)', () => {
    // Level 4 (98) holds, its exit sells at level 5 (100); price back at 99.
    const summaries = { '4': summary(4, 'exitResting', { liveEntry: false, liveExit: true, held: '0.5', exitTarget: 5 }) };
    const plan = planArming({ levels: lv, direction: 'long', book: book('99', '99.02'), maxResting: 3, summaries });
    expect(plan.arm.map((c) => c.price)).toEqual(['96', '94', '92']);
  });

  it('VAR-05 five hundred levels: at most max_resting_orders armed, nearest first, O(limit) candidates', () => {
    const big = levelPrices(arith('50', '150', 500), TICK);
    expect(big[1].buy).toBe('50.2');
    const plan = planArming({ levels: big, direction: 'long', book: book('100.01', '100.03'), maxResting: 20, summaries: {} });
    expect(plan.arm).toHaveLength(20);
    expect(plan.arm[0].price).toBe('100');
    expect(plan.arm[19].price).toBe('96.2');
    expect(candidates(big, 'long', book('100.01', '100.03'), new Set(), 20)).toHaveLength(20);
  });

  it('VAR-07 short: sells strictly above the ask; neutral: buys below the bid and sells above the ask', () => {
    const short = planArming({ levels: lv, direction: 'short', book: book('100', '100.02'), maxResting: 3, summaries: {} });
    expect(short.arm.map((c) => [c.price, c.side])).toEqual([
      ['102', 'sell'],
      ['104', 'sell'],
      ['106', 'sell'],
    ]);
    const neutral = planArming({ levels: lv, direction: 'neutral', book: book('100', '100.02'), maxResting: 4, summaries: {} });
    // 102 − 100.02 = 1.98 is nearer than 100 − 98 = 2.
    expect(neutral.arm.map((c) => [c.price, c.side])).toEqual([
      ['102', 'sell'],
      ['98', 'buy'],
      ['104', 'sell'],
      ['96', 'buy'],
    ]);
  });

  it('VAR-07 edges: a long grid never enters at the upper price, a short grid never at the lower', () => {
    const long = planArming({ levels: lv, direction: 'long', book: book('111', '111.02'), maxResting: 2, summaries: {} });
    expect(long.arm.map((c) => c.price)).toEqual(['108', '106']);
    const short = planArming({ levels: lv, direction: 'short', book: book('89', '89.02'), maxResting: 2, summaries: {} });
    expect(short.arm.map((c) => c.price)).toEqual(['92', '94']);
  });
});

describe('range-grid pairing, sizes and profit', () => {
  it('VAR-04 pairing i → i+1 for a buy, i → i−1 for a sell', () => {
    expect(exitLevelOf('buy', 4)).toBe(5);
    expect(exitLevelOf('sell', 6)).toBe(5);
  });

  it('VAR-04 exit price is the target, made passive when the book already crossed it', () => {
    expect(exitPrice({ side: 'sell', target: '100', book: { bid: '98', ask: '98.02' }, tick: TICK })).toBe('100');
    expect(exitPrice({ side: 'sell', target: '100', book: { bid: '100.5', ask: '100.52' }, tick: TICK })).toBe('100.51');
    expect(exitPrice({ side: 'buy', target: '102', book: { bid: '101', ask: '101.02' }, tick: TICK })).toBe('101.01');
  });

  it('VAR-04 profit per round trip: (100 − 98) × 0.5 = 1 less fees; short legs the other way', () => {
    expect(roundTripProfit({ side: 'buy', entryNotional: '49', exitNotional: '50', fees: '0' })).toEqual({ gross: '1', profit: '1' });
    expect(roundTripProfit({ side: 'buy', entryNotional: '49', exitNotional: '50', fees: '0.0198' }).profit).toBe('0.9802');
    expect(roundTripProfit({ side: 'sell', entryNotional: '52', exitNotional: '51', fees: '0' }).profit).toBe('1');
  });

  it('sizes: order_size as given; total_notional_usd spread over grid_count at each level price, rounded down to the step', () => {
    const market = { symbol: 'TEST', tick: TICK, step: '0.001', minBase: '0.001', minQuote: '1', maxLeverage: 50, maxLifetimeMs: 1 };
    expect(levelSize({ orderSize: '0.5', gridCount: 10 }, market, '98')).toBe('0.5');
    expect(levelSize({ totalNotionalUsd: '1000', gridCount: 10 }, market, '98')).toBe('1.02'); // 100 / 98 = 1.0204…
    expect(levelSize({ totalNotionalUsd: '5', gridCount: 10 }, market, '98')).toBe('0.011'); // raised to min quote 1
    // A sell entry at 98 whose buy exit rests at 90: raised so that the exit meets min quote 1 too.
    expect(levelSize({ totalNotionalUsd: '5', gridCount: 10 }, market, '98', '90')).toBe('0.012');
    expect(levelSize({ orderSize: '0.5', gridCount: 10 }, market, '98', '90')).toBe('0.5');
  });
});
