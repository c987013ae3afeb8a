/**
 * gate.ts: the memoized gate (`evaluateGate`, per-reason memos kept per bot) equals the
 * unmemoized evaluation (`evaluateGateDirect`) on live contexts of the real bot varied in
 * every input the book-dependent reasons read — venue position and reported margin, leverage,
 * the entry in flight, resting exits, pause price, direction, sizing — evaluated in an
 * interleaved order so that each memo is reused across contexts and must notice what changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Mulberry32 } from '../../adapters/sim/index.ts';
import { liveGridContext, type Harness } from '../../test/harness.ts';
import { Dec } from '../../src/domain/decimal.ts';
import type { GridParams, PositionSummary } from '../shared/types.ts';
import { evaluateGate, evaluateGateDirect } from './gate.ts';
import type { GridContext, VenuePositionView } from './types.ts';

const harnesses: Harness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.bot.kill();
});

const liveContext = (params: Partial<GridParams>): Promise<GridContext> => liveGridContext(params, harnesses);

describe('evaluateGate (memoized) equals evaluateGateDirect', () => {
  it('over books, venue views, leverage, entries and params, interleaved', async () => {
    const long = await liveContext({ maxMarginUsd: '500' });
    const short = await liveContext({ direction: 'sell', maxMarginUsd: '500' });
    const inFlight = long.entry ?? short.entry;
    expect(inFlight).not.toBeNull();

    // One params object per variant, reused by many contexts (the memo is kept per params).
    const paramsVariants: GridParams[] = [
      { ...long.params, maxMarginUsd: '30' },
      { ...long.params, maxMarginUsd: '31.5', pausePrice: '100.01' },
      { ...long.params, notionalUsd: undefined, quantity: '0.3', maxMarginUsd: '12' },
      { ...short.params, maxMarginUsd: '30', pausePrice: '99.99' },
      { ...short.params, basis: 'price', maxMarginUsd: '25' },
    ];
    const venues: VenuePositionView[] = [
      { size: '0', avgEntry: '0' },
      { size: '1.5', avgEntry: '99.9' },
      { size: '-1.5', avgEntry: '100.1' },
      // A reported reserved margin replaces |position| × mid × r; a reported 0 does not.
      // (Listed so that neighbours differ in the exposure alone, then in the reserved margin alone.)
      { size: '1.5', avgEntry: '99.9', reservedMargin: '16', exposure: '150' },
      { size: '1.5', avgEntry: '99.9', reservedMargin: '16', exposure: '40' },
      { size: '1.5', avgEntry: '99.9', reservedMargin: '0', exposure: '40' },
    ];
    const entries = [null, inFlight, { ...inFlight!, status: 'open' as const, size: '2', filled: '0.5' }, { ...inFlight!, status: 'filled' as const }];
    // Resting limit exits near the book on both sides (the grid step reads the nearest one).
    const resting = (n: number, price: string): PositionSummary => ({
      n,
      size: '1',
      remaining: '1',
      entryPrice: '100',
      exit: { clientIndex: 1000 + n, price, type: 'limit', status: 'open', size: '1' },
      state: 'exitResting',
      realizedPnl: '0',
      exitAccepted: true,
    });
    const positionsVariants: Array<Record<string, PositionSummary>> = [
      {},
      { '1': resting(1, '100.30'), '2': resting(2, '100.60') },
      { '3': resting(3, '99.70'), '4': resting(4, '99.40') },
    ];
    const books = ['99.80', '99.95', '99.98', '100.00', '100.03', '100.20'].flatMap((bid) => [
      { bid, ask: new Dec(bid).plus('0.01').toFixed(2) },
      { bid, ask: new Dec(bid).plus('0.04').toFixed(2) },
    ]);
    // Orders the bot did not place, on either side (those on the exit side count as resting exits).
    const foreignVariants: GridContext['foreign'][] = [{}, { '7': { side: 'sell', price: '100.12' }, '8': { side: 'buy', price: '99.88' } }];
    const markets = [long.market, { ...long.market, step: '0.01', minQuote: '200' }];
    const dims = { params: paramsVariants, market: markets, venue: venues, leverage: [10, 3], entry: entries, positions: positionsVariants, foreign: foreignVariants, book: books };
    type Dim = keyof typeof dims;
    const order = Object.keys(dims) as Dim[];
    const rng = new Mulberry32(5);
    const pickOf = () => Object.fromEntries(order.map((d) => [d, dims[d][Math.floor(rng.next() * dims[d].length)]])) as Record<Dim, unknown>;
    const seen = new Map<string, number>();
    let checked = 0;
    // Seeded random starting points; from each, one input runs through all its values while the
    // others stay: consecutive calls (which reuse the memo of one params object) then differ in
    // that input alone, and a memo that missed it would answer from a stale entry.
    const STARTS = 150;
    for (let i = 0; i < STARTS; i++) {
      for (const d of order) {
        const pick = pickOf();
        for (const value of dims[d]) {
          const p = { ...pick, [d]: value };
          const params = p.params as GridParams;
          const base = params.direction === 'sell' ? short : long;
          const ctx = { ...base, ...p, lastCycleAt: null } as GridContext;
          const memoized = evaluateGate(ctx);
          expect(memoized).toEqual(evaluateGateDirect(ctx));
          for (const r of memoized) seen.set(r, (seen.get(r) ?? 0) + 1);
          checked++;
        }
      }
    }
    expect(checked).toBe(STARTS * order.reduce((n, d) => n + dims[d].length, 0));
    // The variants make every book-dependent reason both refuse and admit somewhere.
    for (const r of ['margin_cap', 'grid_step', 'paused'] as const) {
      expect(seen.get(r) ?? 0).toBeGreaterThan(0);
      expect(seen.get(r) ?? 0).toBeLessThan(checked);
    }
  });
});
