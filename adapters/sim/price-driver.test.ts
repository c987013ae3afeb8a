import { describe, it, expect } from 'vitest';
import { SimClock } from '../../src/runtime/clock.ts';
import { MatchingEngine } from './matching-engine.ts';
import { simMarket } from './markets.ts';
import { PriceDriver, Mulberry32, parseBookCsv, seedToUint32, type PriceDriverConfig } from './price-driver.ts';
import { makeScale } from './units.ts';

function engine(clock = new SimClock(0)) {
  return new MatchingEngine({ clock, markets: [simMarket('TEST')] });
}

function path(config: PriceDriverConfig, n: number): string[] {
  const clock = new SimClock(0);
  const e = engine(clock);
  const d = new PriceDriver(e, clock, config);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    d.next();
    const b = e.bbo('TEST');
    out.push(`${b.bid}/${b.ask}`);
  }
  return out;
}

describe('Mulberry32', () => {
  it('is deterministic and in [0, 1)', () => {
    const a = new Mulberry32(7);
    const b = new Mulberry32(7);
    for (let i = 0; i < 1000; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x >= 0 && x < 1).toBe(true);
    }
    expect(seedToUint32('abc')).toBe(seedToUint32('abc'));
    expect(seedToUint32('abc')).not.toBe(seedToUint32('abd'));
  });
});

describe('PriceDriver random modes', () => {
  it('same seed → same path; another seed → another path', () => {
    const cfg: PriceDriverConfig = { mode: 'random-walk', market: 'TEST', seed: 123, stepTicks: 2 };
    const a = path(cfg, 500);
    expect(path(cfg, 500)).toEqual(a);
    expect(path({ ...cfg, seed: 124 }, 500)).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(10);
    for (const s of a) {
      const [bid, ask] = s.split('/');
      expect(makeScale('0.01', 't').toUnits(ask, 'a') - makeScale('0.01', 't').toUnits(bid, 'b')).toBe(4); // spread kept
    }
  });

  it('mean-reverting drifts back to its center', () => {
    const clock = new SimClock(0);
    const e = engine(clock);
    e.setBook('TEST', '105.00', '105.04');
    const d = new PriceDriver(e, clock, { mode: 'mean-reverting', market: 'TEST', seed: 5, center: '100.00', reversion: 0.1, stepTicks: 1 });
    for (let i = 0; i < 2000; i++) d.next();
    const bid = makeScale('0.01', 't').toUnits(e.bbo('TEST').bid, 'b');
    expect(Math.abs(bid - 10000)).toBeLessThan(30);
  });

  it('runs on the clock every intervalMs and stops', () => {
    const clock = new SimClock(0);
    const e = engine(clock);
    const d = new PriceDriver(e, clock, { mode: 'random-walk', market: 'TEST', seed: 1, intervalMs: 250, stepTicks: 5 });
    d.start();
    const seen: string[] = [];
    for (let t = 250; t <= 2500; t += 250) {
      clock.advanceTo(t);
      seen.push(e.bbo('TEST').bid);
    }
    expect(seen).toEqual(path({ mode: 'random-walk', market: 'TEST', seed: 1, stepTicks: 5 }, 10).map((s) => s.split('/')[0]));
    d.stop();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('state restore continues the same path', () => {
    const cfg: PriceDriverConfig = { mode: 'random-walk', market: 'TEST', seed: 99 };
    const full = path(cfg, 20);
    const clock = new SimClock(0);
    const e = engine(clock);
    const d = new PriceDriver(e, clock, cfg);
    for (let i = 0; i < 10; i++) d.next();
    const st = JSON.parse(JSON.stringify(d.toJSON()));
    const d2 = new PriceDriver(e, clock, st.config, st);
    const rest: string[] = [];
    for (let i = 0; i < 10; i++) {
      d2.next();
      const b = e.bbo('TEST');
      rest.push(`${b.bid}/${b.ask}`);
    }
    expect(rest).toEqual(full.slice(10));
  });

  it('rejects bad parameters with the value named', () => {
    const clock = new SimClock(0);
    expect(() => new PriceDriver(engine(clock), clock, { mode: 'random-walk', market: 'TEST', seed: 1, stepTicks: 1.5 })).toThrow(/stepTicks 1.5/);
    expect(() => new PriceDriver(engine(clock), clock, { mode: 'mean-reverting', market: 'TEST', seed: 1, reversion: 2 })).toThrow(/reversion 2/);
  });
});

describe('CSV replay', () => {
  const csv = 'timestamp,bid,ask\n1000,99.98,100.02\n\n# comment\n1500,99.99,100.03\n3000,100.10,100.12\n';

  it('parses rows and rejects a bad line naming its number', () => {
    const price = makeScale('0.01', 'tick');
    expect(parseBookCsv(csv, price)).toEqual([
      { t: 1000, bid: 9998, ask: 10002 },
      { t: 1500, bid: 9999, ask: 10003 },
      { t: 3000, bid: 10010, ask: 10012 },
    ]);
    expect(() => parseBookCsv('1,99.98,100.02\n2,99.985,100.02', price)).toThrow(/CSV line 2: bid 99.985 is not a multiple of tick 0.01/);
    expect(() => parseBookCsv('1,99.98,100.02\n2,100.02,99.98', price)).toThrow(/CSV line 2: bid 100.02 must be > 0 and below ask/);
    expect(() => parseBookCsv('1,99.98\n', price)).toThrow(/CSV line 1: expected 3 fields/);
    expect(() => parseBookCsv('x,99.98,100.02', price)).toThrow(/CSV line 1: timestamp "x"/);
    expect(() => parseBookCsv('5,99.98,100.02\n4,99.98,100.02', price)).toThrow(/CSV line 2: timestamp 4 goes back/);
    expect(() => parseBookCsv('timestamp,bid,ask\n', price)).toThrow(/no data lines/);
  });

  it('replays on the clock relative to start()', () => {
    const clock = new SimClock(10_000);
    const e = engine(clock);
    const d = new PriceDriver(e, clock, { mode: 'csv', market: 'TEST', csv });
    d.start();
    clock.advanceTo(10_000);
    expect(e.bbo('TEST').bid).toBe('99.98');
    clock.advanceTo(10_499);
    expect(e.bbo('TEST').bid).toBe('99.98');
    clock.advanceTo(10_500);
    expect(e.bbo('TEST').bid).toBe('99.99');
    clock.advanceTo(12_000);
    expect(e.bbo('TEST')).toMatchObject({ bid: '100.10', ask: '100.12' });
    expect(d.remaining()).toBe(0);
    expect(d.running).toBe(false);
  });

  it('absolute timing and pull mode', () => {
    const clock = new SimClock(0);
    const e = engine(clock);
    const d = new PriceDriver(e, clock, { mode: 'csv', market: 'TEST', csv, timing: 'absolute' });
    d.start();
    clock.advanceTo(1499);
    expect(e.bbo('TEST').bid).toBe('99.98');
    clock.advanceTo(1500);
    expect(e.bbo('TEST').bid).toBe('99.99');
    const p = new PriceDriver(e, clock, { mode: 'csv', market: 'TEST', csv });
    expect([p.next(), p.next(), p.next(), p.next()]).toEqual([true, true, true, false]);
  });
});
