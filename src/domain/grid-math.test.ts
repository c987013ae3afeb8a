import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { Dec, fmt, parseDec } from './decimal.ts';
import {
  closeRetryPrice,
  cooldownAllows,
  cooldownMs,
  effectiveDistancePct,
  entryPrice,
  entrySize,
  gridStepAllows,
  gridStepRatio,
  ladderPrices,
  marginCapAllows,
  marginRatio,
  marketWorstPrice,
  mid,
  requiredMargin,
  roundSizeDown,
  roundToTick,
  signedPnl,
  splitSize,
  stopLossFraction,
  stopLossLevel,
  stopLossTriggered,
  takeProfitFraction,
  takeProfitPrice,
  usedMargin,
} from './grid-math.ts';

// Base fixture market (acceptance-scenarios.md): tick 0.01, size step 0.001, min base 0.001,
// min quote 1.00; book 99.98 / 100.02; multiplier 2; r = 1/20.
const TICK = '0.01';
const sizing = { sizeStep: '0.001', minBaseSize: '0.001', minQuoteNotional: '1.00' };

describe('decimal helpers', () => {
  it('formats without exponent notation, trims zeros, never -0', () => {
    expect(fmt(new Dec('1e-30'))).toBe('0.000000000000000000000000000001');
    expect(fmt(new Dec('1.2300'))).toBe('1.23');
    expect(fmt(new Dec('-0'))).toBe('0');
    expect(fmt(new Dec('12345678901234567890123'))).toBe('12345678901234567890123');
  });

  it('rejects exponent notation, NaN and non-numbers, naming the parameter', () => {
    expect(() => parseDec('1e5', 'bid')).toThrow(/bid.*'100\.04'.*"1e5"/);
    expect(() => parseDec('NaN', 'ask')).toThrow(/ask/);
    expect(() => parseDec('', 'tick')).toThrow(/tick/);
    expect(() => mid('abc', '1')).toThrow(/bid/);
    expect(() => roundToTick('1', '0', 'up')).toThrow(/tick must be > 0/);
  });
});

describe('mid and rounding', () => {
  it('mid is (bid + ask) / 2 exactly', () => {
    expect(mid('99.98', '100.02')).toBe('100');
    expect(mid('99.97', '100.01')).toBe('99.99');
    expect(mid('99.79', '99.80')).toBe('99.795');
    expect(mid('0.1', '0.2')).toBe('0.15');
  });

  it('roundToTick floors or ceils to a tick multiple and keeps exact multiples', () => {
    expect(roundToTick('199.936', '0.01', 'down')).toBe('199.93');
    expect(roundToTick('199.936', '0.01', 'up')).toBe('199.94');
    expect(roundToTick('100.04', '0.01', 'up')).toBe('100.04');
    expect(roundToTick('100.04', '0.01', 'down')).toBe('100.04');
    expect(roundToTick('100.004', '0.1', 'up')).toBe('100.1');
    expect(roundToTick('99.996', '0.1', 'down')).toBe('99.9');
    expect(roundToTick('7', '0.5', 'up')).toBe('7');
    expect(roundToTick('7.1', '0.5', 'up')).toBe('7.5');
    expect(roundToTick('7.1', '0.25', 'down')).toBe('7');
    expect(roundToTick('0.004', '0.01', 'down')).toBe('0');
  });

  it('roundToTick result is always a tick multiple within one tick, on the chosen side', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('0.01', '0.1', '0.5', '0.0001', '5'), (cents, tick) => {
        const price = new Dec(cents).div(1000).toFixed();
        const down = new Dec(roundToTick(price, tick, 'down'));
        const up = new Dec(roundToTick(price, tick, 'up'));
        expect(down.mod(tick).isZero() && up.mod(tick).isZero()).toBe(true);
        expect(down.lte(price) && up.gte(price)).toBe(true);
        expect(new Dec(price).sub(down).lt(tick) && up.sub(price).lt(tick)).toBe(true);
      }),
    );
  });

  it('roundSizeDown floors to the step', () => {
    expect(roundSizeDown('1.00010001', '0.001')).toBe('1');
    expect(roundSizeDown('0.9999', '0.001')).toBe('0.999');
    expect(roundSizeDown('0.0009', '0.001')).toBe('0');
    expect(roundSizeDown('2.5', '0.5')).toBe('2.5');
  });
});

describe('entry price', () => {
  const base = { bid: '99.98', ask: '100.02', tick: TICK, multiplier: 2 };

  it('ENT-01 long entry is the ask minus tick × multiplier, rounded down, at least one tick', () => {
    expect(entryPrice({ direction: 'buy', ...base })).toBe('100');
    expect(entryPrice({ direction: 'buy', ...base, bid: '100.00', ask: '100.01' })).toBe('99.99');
    expect(entryPrice({ direction: 'buy', ...base, bid: '0.01', ask: '0.02' })).toBe('0.01');
  });

  it('ENT-02 short entry is the bid plus the offset, rounded up', () => {
    expect(entryPrice({ direction: 'sell', ...base })).toBe('100');
    expect(entryPrice({ direction: 'sell', ...base, multiplier: 5 })).toBe('100.03');
  });

  it('ENT-03 the next entry after a post-only cancel is priced from the current book', () => {
    expect(entryPrice({ direction: 'buy', ...base, bid: '99.90', ask: '99.95' })).toBe('99.93');
  });

  it('rounds off-tick touches to the passive side', () => {
    expect(entryPrice({ direction: 'buy', ...base, ask: '100.025' })).toBe('100');
    expect(entryPrice({ direction: 'sell', ...base, bid: '99.975' })).toBe('100');
  });

  it('rejects a multiplier that is not a positive integer', () => {
    expect(() => entryPrice({ direction: 'buy', ...base, multiplier: 0 })).toThrow(/post_only_tick_multiplier/);
    expect(() => entryPrice({ direction: 'buy', ...base, multiplier: 1.5 })).toThrow(/post_only_tick_multiplier/);
  });
});

describe('entry size', () => {
  it('ENT-10 notional / mid rounded down to the step, never up', () => {
    expect(entrySize({ notionalUsd: '100', mid: '100.00', ...sizing })).toEqual({ size: '1', raised: false, requested: '1' });
    const b = entrySize({ notionalUsd: '100', mid: mid('99.97', '100.01'), ...sizing });
    expect(b.size).toBe('1');
    expect(b.raised).toBe(false);
    expect(b.requested.startsWith('1.00010001')).toBe(true);
    const c = entrySize({ notionalUsd: '100', mid: mid('99.99', '100.03'), ...sizing });
    expect(c.size).toBe('0.999');
    expect(c.raised).toBe(false);
  });

  it('ENT-10 0.50 USD at mid 100 is raised to 0.010 (both minimums)', () => {
    expect(entrySize({ notionalUsd: '0.50', mid: '100.00', ...sizing })).toEqual({
      size: '0.01',
      raised: true,
      requested: '0.005',
    });
    // The raised size is what the margin cap counts: 0.010 × 100 × 0.05.
    expect(requiredMargin({ size: '0.01', mid: '100', r: '0.05' })).toBe('0.05');
  });

  it('the notional wins over the quantity; the quantity is rounded down then raised', () => {
    expect(entrySize({ notionalUsd: '300', quantity: '7', mid: '100', ...sizing }).size).toBe('3');
    expect(entrySize({ quantity: '1', mid: '100', ...sizing })).toEqual({ size: '1', raised: false, requested: '1' });
    expect(entrySize({ quantity: '1.23456', mid: '100', ...sizing }).size).toBe('1.234');
    expect(entrySize({ quantity: '0.0001', mid: '100', ...sizing })).toEqual({ size: '0.01', raised: true, requested: '0.0001' });
  });

  it('raises to the base minimum (rounded up to the step) when it is the larger one', () => {
    expect(entrySize({ quantity: '0.001', mid: '100', sizeStep: '0.001', minBaseSize: '0.0025', minQuoteNotional: '0' }).size).toBe(
      '0.003',
    );
  });

  it('the quote minimum is met exactly at the boundary and by the smallest step multiple', () => {
    // 0.01 × 100 = 1.00 meets 1.00 exactly; one step less does not.
    expect(entrySize({ quantity: '0.001', mid: '100', ...sizing }).size).toBe('0.01');
    // mid 99.99: 0.01 × 99.99 = 0.9999 < 1 → 0.011 (1.09989).
    expect(entrySize({ quantity: '0.001', mid: '99.99', ...sizing }).size).toBe('0.011');
    // mid 3: 1 / 3 is non-terminating; smallest is 0.334 (1.002), 0.333 gives 0.999.
    expect(entrySize({ quantity: '0.001', mid: '3', ...sizing }).size).toBe('0.334');
  });

  it('fails clearly with neither notional nor quantity', () => {
    expect(() => entrySize({ mid: '100', ...sizing })).toThrow(/order_notional_usd or quantity/);
  });

  it('the size is always a step multiple meeting both minimums, and minimal when raised', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 10_000_000 }), (notionalCents, midCents) => {
        const notional = new Dec(notionalCents).div(100).toFixed();
        const m = new Dec(midCents).div(100).toFixed();
        const { size, raised } = entrySize({ notionalUsd: notional, mid: m, ...sizing });
        const s = new Dec(size);
        expect(s.mod('0.001').isZero()).toBe(true);
        expect(s.gte('0.001') && s.mul(m).gte(1)).toBe(true);
        if (raised) expect(s.sub('0.001').mul(m).lt(1) || s.sub('0.001').lt('0.001')).toBe(true);
        else expect(s.mul(m).lte(notional)).toBe(true);
      }),
    );
  });
});

describe('margin ratio and fractions', () => {
  it('uses the venue ratio when reserved margin and exposure are both non-zero', () => {
    expect(marginRatio({ reservedMargin: '75.00', exposure: '500.00', leverage: 20 })).toBe('0.15');
    expect(marginRatio({ reservedMargin: '10.00', exposure: '200.00', leverage: 20 })).toBe('0.05');
    expect(marginRatio({ reservedMargin: '10', exposure: '-200', leverage: 20 })).toBe('0.05');
  });

  it('falls back to 1 / leverage, then to 1', () => {
    expect(marginRatio({ reservedMargin: '0', exposure: '200', leverage: 20 })).toBe('0.05');
    expect(marginRatio({ reservedMargin: '10', exposure: '0', leverage: 25 })).toBe('0.04');
    expect(marginRatio({ leverage: 20 })).toBe('0.05');
    expect(marginRatio({ exposure: '100', leverage: 50 })).toBe('0.02');
    expect(marginRatio({})).toBe('1');
    expect(marginRatio({ leverage: 3 })).toBe('0.3333333333333333333333333333333333333333');
    expect(() => marginRatio({ leverage: 0.5 })).toThrow(/leverage must be ≥ 1/);
  });

  it('TP fraction: margin basis pct / 100 × r, price basis pct / 100', () => {
    expect(takeProfitFraction({ takeProfitPct: '0.8', basis: 'margin', r: '0.05' })).toBe('0.0004');
    expect(takeProfitFraction({ takeProfitPct: '0.8', basis: 'price', r: '0.05' })).toBe('0.008');
    expect(takeProfitFraction({ takeProfitPct: '0.8', basis: 'margin', r: '0.04' })).toBe('0.00032');
    expect(() => takeProfitFraction({ takeProfitPct: '0.8', basis: 'foo' as 'price', r: '1' })).toThrow(/basis/);
  });

  it('RSK-04 stop-loss fraction, margin basis: 2.0 / 100 × 0.05 = 0.001', () => {
    expect(stopLossFraction({ takeProfitPct: '2.0', basis: 'margin', r: '0.05' })).toBe('0.001');
  });

  it('RSK-05 stop-loss fraction, price basis: 0.02', () => {
    expect(stopLossFraction({ takeProfitPct: '2.0', basis: 'price', r: '0.05' })).toBe('0.02');
  });

  it('CFG-02 effective price distances of the presets at 20x', () => {
    const tp = ['0.15', '0.03', '0.1', '0.22'].map((pct) => effectiveDistancePct({ pct, basis: 'margin', leverage: 20 }));
    expect(tp).toEqual(['0.0075', '0.0015', '0.005', '0.011']);
    const sl = ['1.0', '0.12', '2.5', '1.8'].map((pct) => effectiveDistancePct({ pct, basis: 'margin', leverage: 20 }));
    expect(sl).toEqual(['0.05', '0.006', '0.125', '0.09']);
    expect(effectiveDistancePct({ pct: '0.8', basis: 'price', leverage: 20 })).toBe('0.8');
  });
});

describe('take-profit price', () => {
  const tp = (direction: 'buy' | 'sell', fillPrice: string, pct: string, basis: 'margin' | 'price', r: string, tick = TICK) =>
    takeProfitPrice({ direction, fillPrice, tick, f: takeProfitFraction({ takeProfitPct: pct, basis, r }) });

  it('EXT-01 base fixture: long fill 100.00 → 100.04; short → 99.96', () => {
    expect(tp('buy', '100.00', '0.8', 'margin', '0.05')).toBe('100.04');
    expect(tp('sell', '100.00', '0.8', 'margin', '0.05')).toBe('99.96');
  });

  it('EXT-02 a long, price basis → sell 100.80', () => {
    expect(tp('buy', '100.00', '0.8', 'price', '0.05')).toBe('100.8');
  });

  it('EXT-02 b short, price basis → buy 99.20', () => {
    expect(tp('sell', '100.00', '0.8', 'price', '0.05')).toBe('99.2');
  });

  it('EXT-02 c short, margin basis, leverage 25 → 199.936 → buy 199.93', () => {
    const r = marginRatio({ leverage: 25 });
    expect(r).toBe('0.04');
    const f = takeProfitFraction({ takeProfitPct: '0.8', basis: 'margin', r });
    expect(new Dec(200).mul(new Dec(1).sub(f)).toFixed()).toBe('199.936');
    expect(tp('sell', '200.00', '0.8', 'margin', r)).toBe('199.93');
  });

  it('EXT-02 d long, margin basis, venue ratio 75 / 500 → sell 100.12 (not 1 / leverage)', () => {
    const r = marginRatio({ reservedMargin: '75.00', exposure: '500.00', leverage: 20 });
    expect(tp('buy', '100.00', '0.8', 'margin', r)).toBe('100.12');
  });

  it('EXT-02 e long, tick 0.1 → 100.004 → sell 100.1 (one tick from the fill)', () => {
    expect(tp('buy', '100.0', '0.08', 'margin', '0.05', '0.1')).toBe('100.1');
  });

  it('EXT-02 f short, tick 0.1 → 99.996 → buy 99.9 (one tick from the fill)', () => {
    expect(tp('sell', '100.0', '0.08', 'margin', '0.05', '0.1')).toBe('99.9');
  });

  it('EXT-04 grid-1 filled at 101.00 rests at 101.05 (101.0404 rounded up)', () => {
    expect(tp('buy', '101.00', '0.8', 'margin', '0.05')).toBe('101.05');
  });

  it('RSK-11 clamped leverage 50: long fill 100.00 → 100.02 (100.016 up); unclamped 100 → 100.01', () => {
    expect(tp('buy', '100.00', '0.8', 'margin', marginRatio({ leverage: 50 }))).toBe('100.02');
    expect(tp('buy', '100.00', '0.8', 'margin', marginRatio({ leverage: 100 }))).toBe('100.01');
  });

  it('is never at the fill, even with f = 0, and a short TP stays at least one tick', () => {
    expect(takeProfitPrice({ direction: 'buy', fillPrice: '100', f: '0', tick: TICK })).toBe('100.01');
    expect(takeProfitPrice({ direction: 'sell', fillPrice: '100', f: '0', tick: TICK })).toBe('99.99');
    expect(takeProfitPrice({ direction: 'sell', fillPrice: '0.02', f: '0.9', tick: TICK })).toBe('0.01');
  });

  it('is always on the tick, on the profitable side, at least one tick away (both directions)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 10_000_000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.constantFrom('0.01', '0.1', '0.5'),
        (fillUnits, fUnits, tick) => {
          const fill = new Dec(fillUnits).mul(tick).toFixed();
          const f = new Dec(fUnits).div(100_000).toFixed();
          const long = new Dec(takeProfitPrice({ direction: 'buy', fillPrice: fill, f, tick }));
          const short = new Dec(takeProfitPrice({ direction: 'sell', fillPrice: fill, f, tick }));
          expect(long.mod(tick).isZero() && short.mod(tick).isZero()).toBe(true);
          expect(long.gte(new Dec(fill).mul(new Dec(f).add(1)))).toBe(true);
          expect(long.gte(new Dec(fill).add(tick))).toBe(true);
          expect(short.lte(new Dec(fill).mul(new Dec(1).sub(f)))).toBe(true);
          expect(short.lte(new Dec(fill).sub(tick)) && short.gte(tick)).toBe(true);
        },
      ),
    );
  });
});

describe('grid step', () => {
  // RSK-10: tick 0.1, book 100.0 / 101.0, price basis 0.8 (f 0.008), grid_step 0.2.
  const rsk10 = { bid: '100.0', ask: '101.0', f: '0.008', gridStepPct: '0.2' };
  const long = (exits: string[]) => ({ direction: 'buy' as const, restingExitPrices: exits, ...rsk10 });
  const short = (exits: string[]) => ({ direction: 'sell' as const, restingExitPrices: exits, ...rsk10 });

  it('RSK-10 long: none allowed; 110.0 allowed (1.08047); 101.5 refused (0.99697); lowest exit decides', () => {
    expect(gridStepAllows(long([]))).toBe(true);
    expect(gridStepRatio(long([]))).toBeNull();
    expect(gridStepAllows(long(['110.0']))).toBe(true);
    expect(gridStepRatio({ ...long(['110.0']), decimals: 5 })).toBe('1.08047');
    expect(gridStepAllows(long(['101.5']))).toBe(false);
    expect(gridStepRatio({ ...long(['101.5']), decimals: 5 })).toBe('0.99697');
    expect(gridStepAllows(long(['110.0', '101.5']))).toBe(false);
    expect(gridStepRatio({ ...long(['110.0', '101.5']), decimals: 5 })).toBe('0.99697');
  });

  it('RSK-10 short: none allowed; 90.0 allowed (1.10222); 99.2 refused (1.00000); highest exit decides', () => {
    expect(gridStepAllows(short([]))).toBe(true);
    expect(gridStepAllows(short(['90.0']))).toBe(true);
    expect(gridStepRatio({ ...short(['90.0']), decimals: 5 })).toBe('1.10222');
    expect(gridStepAllows(short(['99.2']))).toBe(false);
    expect(gridStepRatio({ ...short(['99.2']), decimals: 5 })).toBe('1.00000');
    expect(gridStepAllows(short(['90.0', '99.2']))).toBe(false);
    expect(gridStepRatio({ ...short(['90.0', '99.2']), decimals: 5 })).toBe('1.00000');
  });

  it('RSK-10 exact boundary: ratio exactly 1.002 (exit 101.0016) is refused, 101.0017 allowed', () => {
    const p = { direction: 'buy' as const, bid: '99.9', ask: '100', f: '0.008', gridStepPct: '0.2' };
    expect(gridStepRatio({ ...p, restingExitPrices: ['101.0016'] })).toBe('1.002');
    expect(gridStepAllows({ ...p, restingExitPrices: ['101.0016'] })).toBe(false);
    expect(gridStepAllows({ ...p, restingExitPrices: ['101.0017'] })).toBe(true);
  });

  it('RSK-10 exact boundary, short mirror: candidate / next exactly 1.002 is refused', () => {
    // bid 100.2 × 0.992 = 99.3984 = 1.002 × 99.2
    const p = { direction: 'sell' as const, bid: '100.2', ask: '100.3', f: '0.008', gridStepPct: '0.2' };
    expect(gridStepAllows({ ...p, restingExitPrices: ['99.2'] })).toBe(false);
    expect(gridStepAllows({ ...p, restingExitPrices: ['99.1999'] })).toBe(true);
  });

  it('EXT-01 / ENT-09 with the book unchanged the grid step refuses: 100.04 / (100.02 × 1.0004) = 0.99980', () => {
    const p = { direction: 'buy' as const, restingExitPrices: ['100.04'], bid: '99.98', ask: '100.02', f: '0.0004', gridStepPct: '0.2' };
    expect(gridStepAllows(p)).toBe(false);
    expect(gridStepRatio({ ...p, decimals: 5 })).toBe('0.99980');
  });

  it('RSK-09 grid_step 0.05: 99.82 / (99.64 × 1.0004) = 1.00141 allowed; then 100.04 / (99.84 × 1.0004) = 1.00160', () => {
    const p = { direction: 'buy' as const, bid: '99.60', ask: '99.64', f: '0.0004', gridStepPct: '0.05' };
    expect(gridStepAllows({ ...p, restingExitPrices: ['100.04', '99.82'] })).toBe(true);
    expect(gridStepRatio({ ...p, restingExitPrices: ['100.04', '99.82'], decimals: 5 })).toBe('1.00141');
    const q = { ...p, bid: '99.80', ask: '99.84', restingExitPrices: ['100.04'] };
    expect(gridStepAllows(q)).toBe(true);
    expect(gridStepRatio({ ...q, decimals: 5 })).toBe('1.00160');
  });

  it('RSK-06 admitted at ask 99.90: 100.04 / (99.90 × 1.0004) = 1.00100 > 1.0005', () => {
    const p = { direction: 'buy' as const, restingExitPrices: ['100.04'], bid: '99.88', ask: '99.90', f: '0.0004', gridStepPct: '0.05' };
    expect(gridStepAllows(p)).toBe(true);
    expect(gridStepRatio({ ...p, decimals: 5 })).toBe('1.00100');
  });

  it('RSK-12 price basis: 100.80 / (100.02 × 1.008) = 0.99980 refused', () => {
    const p = { direction: 'buy' as const, restingExitPrices: ['100.80'], bid: '99.98', ask: '100.02', f: '0.008', gridStepPct: '0.2' };
    expect(gridStepAllows(p)).toBe(false);
    expect(gridStepRatio({ ...p, decimals: 5 })).toBe('0.99980');
  });

  it('grid step example of §4 (book 100 / 101, f 0.008): long 110 allowed, 101.5 refused; short 90 allowed, 99.2 refused', () => {
    const p = { bid: '100', ask: '101', f: '0.008', gridStepPct: '0.2' };
    expect(gridStepAllows({ direction: 'buy', restingExitPrices: ['110'], ...p })).toBe(true);
    expect(gridStepAllows({ direction: 'buy', restingExitPrices: ['101.5'], ...p })).toBe(false);
    expect(gridStepAllows({ direction: 'sell', restingExitPrices: ['90'], ...p })).toBe(true);
    expect(gridStepAllows({ direction: 'sell', restingExitPrices: ['99.2'], ...p })).toBe(false);
  });
});

describe('cooldown', () => {
  it('RSK-08 max 6, wait 10: n = 0..5 → 2.5, 5, 10, 10, 20, 20 s; n = 6 waits', () => {
    const got = [0, 1, 2, 3, 4, 5, 6].map((n) => cooldownMs({ restingCount: n, maxOrders: 6, waitTimeSec: '10' }));
    expect(got).toEqual([2500, 5000, 10_000, 10_000, 20_000, 20_000, null]);
  });

  it('base fixture max 5: 0 / 1 / 2–3 / 4 → 2.5 / 5 / 10 / 20 s; 5 → wait', () => {
    const got = [0, 1, 2, 3, 4, 5, 7].map((n) => cooldownMs({ restingCount: n, maxOrders: 5, waitTimeSec: '10' }));
    expect(got).toEqual([2500, 5000, 10_000, 10_000, 20_000, null, null]);
  });

  it('ENT-03 / EXT-01 0 resting exits → 2.5 s, 1 resting exit → 5 s (max 5, wait 10)', () => {
    expect(cooldownMs({ restingCount: 0, maxOrders: 5, waitTimeSec: '10' })).toBe(2500);
    expect(cooldownMs({ restingCount: 1, maxOrders: 5, waitTimeSec: '10' })).toBe(5000);
  });

  it('fractional wait times are exact and rounded up to whole ms', () => {
    expect(cooldownMs({ restingCount: 0, maxOrders: 5, waitTimeSec: '2.5' })).toBe(625);
    expect(cooldownMs({ restingCount: 0, maxOrders: 5, waitTimeSec: '0.0001' })).toBe(1);
    expect(cooldownMs({ restingCount: 4, maxOrders: 5, waitTimeSec: '0.3' })).toBe(600);
  });

  it('density boundaries are exact for a large max_orders (no float slip at 1/3, 1/6, 2/3)', () => {
    // max 999: 3n ≥ 999 at n = 333 exactly; 6n ≥ 999 at n = 167; 3n ≥ 1998 at n = 666.
    const c = (n: number) => cooldownMs({ restingCount: n, maxOrders: 999, waitTimeSec: '10' });
    expect([c(166), c(167), c(332), c(333), c(665), c(666)]).toEqual([2500, 5000, 5000, 10_000, 10_000, 20_000]);
  });

  it('RSK-08 at exactly T + 5 s with n = 1 it is not admitted; 1 ms later it is', () => {
    const p = { restingCount: 1, previousRestingCount: 1, maxOrders: 6, waitTimeSec: '10', lastCycleAt: 1_000_000 };
    expect(cooldownAllows({ ...p, now: 1_005_000 })).toBe(false);
    expect(cooldownAllows({ ...p, now: 1_005_001 })).toBe(true);
  });

  it('RSK-08 each count is admitted only after more than its cooldown, never at n = max', () => {
    const expected = [2500, 5000, 10_000, 10_000, 20_000, 20_000];
    expected.forEach((ms, n) => {
      const p = { restingCount: n, previousRestingCount: n, maxOrders: 6, waitTimeSec: '10', lastCycleAt: 0 };
      expect(cooldownAllows({ ...p, now: ms })).toBe(false);
      expect(cooldownAllows({ ...p, now: ms + 1 })).toBe(true);
    });
    expect(cooldownAllows({ restingCount: 6, previousRestingCount: 6, maxOrders: 6, waitTimeSec: '10', lastCycleAt: 0, now: 10 ** 9 })).toBe(false);
  });

  it('RSK-08 a drop in n skips the cooldown; a start with 3 exits waits 10 s', () => {
    expect(cooldownAllows({ restingCount: 2, previousRestingCount: 3, maxOrders: 6, waitTimeSec: '10', lastCycleAt: 0, now: 1 })).toBe(true);
    const start = { restingCount: 3, previousRestingCount: null, maxOrders: 6, waitTimeSec: '10', lastCycleAt: 0 };
    expect(cooldownAllows({ ...start, now: 10_000 })).toBe(false);
    expect(cooldownAllows({ ...start, now: 10_001 })).toBe(true);
  });

  it('RSK-09 a drop from the limit below it admits at once; a drop that stays at/above max does not', () => {
    expect(cooldownAllows({ restingCount: 1, previousRestingCount: 2, maxOrders: 2, waitTimeSec: '10', lastCycleAt: 0, now: 0 })).toBe(true);
    expect(cooldownAllows({ restingCount: 2, previousRestingCount: 3, maxOrders: 2, waitTimeSec: '10', lastCycleAt: 0, now: 10 ** 9 })).toBe(false);
    // No drop: n unchanged or risen uses the cooldown.
    expect(cooldownAllows({ restingCount: 1, previousRestingCount: 0, maxOrders: 2, waitTimeSec: '10', lastCycleAt: 0, now: 1 })).toBe(false);
  });

  it('rejects invalid counts', () => {
    expect(() => cooldownMs({ restingCount: -1, maxOrders: 5, waitTimeSec: '10' })).toThrow(/restingCount/);
    expect(() => cooldownMs({ restingCount: 0, maxOrders: 0, waitTimeSec: '10' })).toThrow(/max_orders/);
    expect(() => cooldownMs({ restingCount: 0, maxOrders: 5, waitTimeSec: '0' })).toThrow(/wait_time/);
  });
});

describe('margin', () => {
  it('RSK-07 required 1 × 100.00 × 0.05 = 5.00; 10 + 0 + 5 > 12 refused; 5 + 5 ≤ 12 admitted', () => {
    const required = requiredMargin({ size: '1', mid: '100.00', r: '0.05' });
    expect(required).toBe('5');
    const used = usedMargin({ positionSize: '2', mid: '100', r: '0.05', reservedMargin: '10.00' });
    expect(used).toBe('10');
    expect(marginCapAllows({ used, pending: '0', required, maxMarginUsd: '12' })).toBe(false);
    expect(marginCapAllows({ used: '5.00', pending: '0', required, maxMarginUsd: '12' })).toBe(true);
  });

  it('RSK-07 used 30 + pending 5 + required 5: allowed at 40, refused at 39.99', () => {
    expect(marginCapAllows({ used: '30.00', pending: '5.00', required: '5.00', maxMarginUsd: '40' })).toBe(true);
    expect(marginCapAllows({ used: '30.00', pending: '5.00', required: '5.00', maxMarginUsd: '39.99' })).toBe(false);
  });

  it('RSK-07 a reported reserved margin of 0 (cross margin) falls back to |size| × mid × r = 10.00', () => {
    const r = marginRatio({ reservedMargin: '0', exposure: '200', leverage: 20 });
    expect(usedMargin({ positionSize: '2.000', mid: '100.00', r, reservedMargin: '0' })).toBe('10');
    expect(usedMargin({ positionSize: '-2.000', mid: '100.00', r })).toBe('10');
    expect(marginCapAllows({ used: '10', pending: '0', required: '5', maxMarginUsd: '12' })).toBe(false);
  });

  it('RSK-11 r = 1 / 50: margin required per entry is 2.00', () => {
    expect(requiredMargin({ size: '1', mid: '100.00', r: marginRatio({ leverage: 50 }) })).toBe('2');
  });
});

describe('stop-loss', () => {
  it('RSK-04 (a) long 1 @ 100, f 0.001: level 99.90; mid 99.80 triggers', () => {
    const level = stopLossLevel({ direction: 'buy', avgEntry: '100.00', f: '0.001' });
    expect(level).toBe('99.9');
    expect(stopLossTriggered({ direction: 'buy', mid: '99.80', level })).toBe(true);
    expect(stopLossTriggered({ direction: 'buy', mid: '99.91', level })).toBe(false);
    expect(stopLossTriggered({ direction: 'buy', mid: '99.90', level })).toBe(true);
  });

  it('RSK-04 (b) avg 99.89: level 99.79011; mid 99.795 nothing, 99.79 triggers', () => {
    const f = stopLossFraction({ takeProfitPct: '2.0', basis: 'margin', r: '0.05' });
    const level = stopLossLevel({ direction: 'buy', avgEntry: '99.89', f });
    expect(level).toBe('99.79011');
    expect(stopLossTriggered({ direction: 'buy', mid: '99.795', level })).toBe(false);
    expect(stopLossTriggered({ direction: 'buy', mid: '99.79', level })).toBe(true);
  });

  it('RSK-05 short, price basis: level 102.00; 101.995 nothing, 102.00 triggers', () => {
    const f = stopLossFraction({ takeProfitPct: '2.0', basis: 'price', r: '0.05' });
    const level = stopLossLevel({ direction: 'sell', avgEntry: '100.00', f });
    expect(level).toBe('102');
    expect(stopLossTriggered({ direction: 'sell', mid: '101.995', level })).toBe(false);
    expect(stopLossTriggered({ direction: 'sell', mid: '102.00', level })).toBe(true);
    expect(stopLossTriggered({ direction: 'sell', mid: '105.10', level })).toBe(true);
  });

  it('RSK-06 mid 99.89 ≤ 99.90 triggers the base-fixture stop-loss', () => {
    expect(stopLossTriggered({ direction: 'buy', mid: mid('99.88', '99.90'), level: '99.9' })).toBe(true);
  });

  it('RSK-11 r = 1 / 50, SL 2.0 at avg 100.00 → level 99.96', () => {
    const f = stopLossFraction({ takeProfitPct: '2.0', basis: 'margin', r: marginRatio({ leverage: 50 }) });
    expect(stopLossLevel({ direction: 'buy', avgEntry: '100.00', f })).toBe('99.96');
  });
});

describe('close retries and market prices', () => {
  const retry = (direction: 'buy' | 'sell', tpPrice: string, bid: string, ask: string, k: number) =>
    closeRetryPrice({ direction, tpPrice, bid, ask, tick: TICK, multiplier: 2, k });

  it('EXT-04 long retries widen above the bid: 100.12, 100.24, 100.36', () => {
    expect(retry('buy', '100.04', '100.10', '100.14', 1)).toBe('100.12');
    expect(retry('buy', '100.04', '100.20', '100.24', 2)).toBe('100.24');
    expect(retry('buy', '100.04', '100.30', '100.34', 3)).toBe('100.36');
  });

  it('EXT-05 short retries price below the ask: 99.90, 99.78, 99.66', () => {
    expect(retry('sell', '99.96', '99.88', '99.92', 1)).toBe('99.9');
    expect(retry('sell', '99.96', '99.78', '99.82', 2)).toBe('99.78');
    expect(retry('sell', '99.96', '99.68', '99.72', 3)).toBe('99.66');
  });

  it('POS-02 retry 1 after a manual cancel keeps the TP: max(100.04, 99.98 + 0.02) = 100.04', () => {
    expect(retry('buy', '100.04', '99.98', '100.02', 1)).toBe('100.04');
    expect(retry('sell', '99.96', '99.98', '100.02', 1)).toBe('99.96');
  });

  it('a short retry is at least one tick', () => {
    expect(retry('sell', '0.05', '0.01', '0.02', 3)).toBe('0.01');
  });

  it('market worst price: best opposite × (1 ± s/100), rounded away from the touch', () => {
    expect(marketWorstPrice({ side: 'buy', bid: '99.98', ask: '100.02', slippagePct: '2.0', tick: TICK })).toBe('102.03');
    expect(marketWorstPrice({ side: 'sell', bid: '99.98', ask: '100.02', slippagePct: '2.0', tick: TICK })).toBe('97.98');
    expect(marketWorstPrice({ side: 'buy', bid: '99', ask: '100', slippagePct: '2', tick: TICK })).toBe('102');
    expect(marketWorstPrice({ side: 'sell', bid: '100', ask: '101', slippagePct: '2', tick: TICK })).toBe('98');
    expect(marketWorstPrice({ side: 'sell', bid: '0.01', ask: '0.02', slippagePct: '10', tick: TICK })).toBe('0.01');
  });
});

describe('ladder and split', () => {
  it('REC-03 long ladder at mid 99.50: 101.00, 102.49, 103.98 (rounded up)', () => {
    expect(ladderPrices({ direction: 'buy', mid: mid('99.49', '99.51'), tick: TICK })).toEqual(['101', '102.49', '103.98']);
  });

  it('REC-03 short ladder at mid 100.50: 98.99, 97.48, 95.97 (rounded down)', () => {
    expect(ladderPrices({ direction: 'sell', mid: '100.50', tick: TICK })).toEqual(['98.99', '97.48', '95.97']);
  });

  it('REC-03 0.900 splits into 0.300 × 3; 1.000 into 0.333, 0.333, 0.334', () => {
    expect(splitSize('0.900', 3, '0.001')).toEqual(['0.3', '0.3', '0.3']);
    expect(splitSize('1.000', 3, '0.001')).toEqual(['0.333', '0.333', '0.334']);
  });

  it('splits too small a size with zero parts first, and rejects off-step sizes', () => {
    expect(splitSize('0.002', 3, '0.001')).toEqual(['0', '0', '0.002']);
    expect(splitSize('5', 1, '0.5')).toEqual(['5']);
    expect(() => splitSize('1.0005', 3, '0.001')).toThrow(/not a multiple of the size step/);
    expect(() => splitSize('1', 0, '0.001')).toThrow(/parts/);
  });

  it('split parts are step multiples summing exactly to the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 10 }), (units, parts) => {
        const size = new Dec(units).mul('0.001').toFixed();
        const out = splitSize(size, parts, '0.001');
        expect(out).toHaveLength(parts);
        const sum = out.reduce((acc, s) => acc.add(s), new Dec(0));
        expect(sum.eq(size)).toBe(true);
        expect(out.every((s) => new Dec(s).mod('0.001').isZero() && new Dec(s).gte(0))).toBe(true);
      }),
    );
  });
});

describe('realized PnL', () => {
  it('EXT-06 long 1.000 at 100.00 closed at 100.04 → +0.04 (also in two partial fills)', () => {
    expect(signedPnl({ direction: 'buy', entryPrice: '100.00', exitPrice: '100.04', size: '1.000' })).toBe('0.04');
    const a = signedPnl({ direction: 'buy', entryPrice: '100.00', exitPrice: '100.04', size: '0.300' });
    const b = signedPnl({ direction: 'buy', entryPrice: '100.00', exitPrice: '100.04', size: '0.700' });
    expect(fmt(new Dec(a).add(b))).toBe('0.04');
  });

  it('EXT-03 boost exit at the best bid 99.98 → −0.02; short at the ask 100.02 → −0.02', () => {
    expect(signedPnl({ direction: 'buy', entryPrice: '100.00', exitPrice: '99.98', size: '1' })).toBe('-0.02');
    expect(signedPnl({ direction: 'sell', entryPrice: '100.00', exitPrice: '100.02', size: '1' })).toBe('-0.02');
  });

  it('short profits when the exit is below the entry; flat is 0', () => {
    expect(signedPnl({ direction: 'sell', entryPrice: '100.00', exitPrice: '99.96', size: '2' })).toBe('0.08');
    expect(signedPnl({ direction: 'sell', entryPrice: '100', exitPrice: '100', size: '2' })).toBe('0');
  });
});
