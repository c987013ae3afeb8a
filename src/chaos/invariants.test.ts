/**
 * The chaos invariants catch what they claim to: each test feeds records that break exactly
 * one invariant (and a consistent set that breaks none).
 */
import { describe, expect, it } from 'vitest';
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import { encodeClientIndex, role } from '../domain/client-index.ts';
import { checkFinal, checkVenue, type BotView, type VenueRecords } from './invariants.ts';

const SLOT = 1;
const entryCi = (n: number) => encodeClientIndex(SLOT, n, role.entry());
const closeCi = (n: number) => encodeClientIndex(SLOT, n, role.close());

function order(clientIndex: number, o: Partial<VenueOrder> = {}): VenueOrder {
  return { market: 'BTC', clientIndex, side: 'sell', type: 'limit', price: '60030.0', size: '0.00166', filledSize: '0', status: 'open', reduceOnly: true, timeInForce: 'post-only', createdAt: 1, updatedAt: 1, ...o };
}
function fill(clientIndex: number, size: string, time: number, side: 'buy' | 'sell' = 'buy'): VenueFill {
  return { market: 'BTC', tradeId: `t${clientIndex}-${time}`, clientIndex, side, price: '60000.0', size, fee: '0', liquidity: 'maker', time };
}

/** Two entries filled, grid-1 partly exited; grid-2's exit rests; the entry of grid-3 rests. */
function consistent(): { v: VenueRecords; bot: BotView } {
  const v: VenueRecords = {
    direction: 'buy',
    slot: SLOT,
    maxOrders: 4,
    position: '0.00266',
    liveOrders: [order(closeCi(1), { size: '0.001' }), order(closeCi(2), { size: '0.00166' }), order(entryCi(3), { side: 'buy', reduceOnly: false, price: '59990.0' })],
    fills: [fill(entryCi(1), '0.00166', 10), fill(entryCi(2), '0.00166', 20), fill(closeCi(1), '0.00066', 30, 'sell')],
  };
  const bot: BotView = {
    venuePosition: '0.00266',
    trackedSize: '0.00266',
    entryClientIndex: entryCi(3),
    positions: [
      { n: 1, size: '0.00166', remaining: '0.001', exitClientIndex: closeCi(1) },
      { n: 2, size: '0.00166', remaining: '0.00166', exitClientIndex: closeCi(2) },
    ],
  };
  return { v, bot };
}

const names = (xs: { invariant: string }[]) => xs.map((x) => x.invariant);

describe('chaos invariants', () => {
  it('a consistent venue and bot view break nothing', () => {
    const { v, bot } = consistent();
    expect(checkVenue(v)).toEqual([]);
    expect(checkFinal(v, bot)).toEqual([]);
  });

  it('a position against the grid direction is caught (long and short grids)', () => {
    const { v } = consistent();
    expect(names(checkVenue({ ...v, position: '-0.001', liveOrders: [] }))).toEqual(['position-sign']);
    expect(names(checkVenue({ ...v, direction: 'sell', position: '0.001', liveOrders: [] }))).toEqual(['position-sign']);
    expect(checkVenue({ ...v, direction: 'sell', position: '-0.001', liveOrders: [] })).toEqual([]);
  });

  it('resting reduce-only size above the position (a double exit) is caught', () => {
    const { v } = consistent();
    const dup = { ...v, liveOrders: [...v.liveOrders, order(encodeClientIndex(SLOT, 2, role.closeRetry(1)), { size: '0.00166' })] };
    const found = checkVenue(dup);
    expect(names(found)).toEqual(['reduce-only-exceeds-position']);
    expect(found[0]!.detail).toBe('resting reduce-only size 0.00432 > |venue position| 0.00266');
  });

  it('more resting exits than max_orders is caught', () => {
    const exits = [1, 2, 3, 4, 5].map((n) => order(closeCi(n), { size: '0.001' }));
    expect(names(checkVenue({ direction: 'buy', slot: SLOT, maxOrders: 4, position: '0.005', liveOrders: exits, fills: [] }))).toEqual(['resting-exits-exceed-max-orders']);
  });

  it('two live orders with one client index are caught', () => {
    const { v } = consistent();
    expect(names(checkVenue({ ...v, liveOrders: [...v.liveOrders, order(entryCi(3), { side: 'buy', reduceOnly: false })] }))).toEqual(['duplicate-live-client-index']);
  });

  it('an entry fill the bot lost is caught (and the tracked total with it)', () => {
    const { v, bot } = consistent();
    const lost = { ...bot, trackedSize: '0.001', positions: bot.positions.filter((p) => p.n !== 2) };
    const found = checkFinal({ ...v, liveOrders: v.liveOrders.filter((o) => o.clientIndex !== closeCi(2)) }, lost);
    expect(names(found).sort()).toEqual(['entry-fill-not-covered', 'tracked-total']);
    expect(found.find((x) => x.invariant === 'entry-fill-not-covered')!.detail).toBe('grid-2: 0.00166 of its entry fills (0.00166) is neither tracked nor closed');
  });

  it('a whole-bot close after the entry fill closes it', () => {
    const { v, bot } = consistent();
    const closed: VenueRecords = { ...v, position: '0', liveOrders: [], fills: [...v.fills, fill(encodeClientIndex(SLOT, 9, role.stopLossClose()), '0.00266', 40, 'sell')] };
    expect(checkFinal(closed, { ...bot, venuePosition: '0', trackedSize: '0', entryClientIndex: null, positions: [] })).toEqual([]);
  });

  it('a tracked remaining that disagrees with the fills is caught', () => {
    const { v, bot } = consistent();
    const wrong = { ...bot, positions: bot.positions.map((p) => (p.n === 1 ? { ...p, remaining: '0.00166' } : p)), trackedSize: '0.00332' };
    const found = checkFinal(v, wrong);
    expect(names(found).sort()).toEqual(['entry-fill-not-covered', 'tracked-total']);
    expect(found.find((x) => x.invariant === 'entry-fill-not-covered')!.detail).toBe('grid-1: entry fills 0.00166 − exit fills 0.00066 = 0.001, tracked remaining 0.00166');
  });

  it('a position tracked without an entry fill is caught', () => {
    const { v, bot } = consistent();
    const ghost = { ...bot, positions: [...bot.positions, { n: 7, size: '0.001', remaining: '0.001', exitClientIndex: null }], trackedSize: '0.00366' };
    expect(names(checkFinal(v, ghost))).toContain('tracked-without-fill');
  });

  it('a live order no tracked position or entry owns is an orphan', () => {
    const { v, bot } = consistent();
    const found = checkFinal({ ...v, liveOrders: [...v.liveOrders, order(encodeClientIndex(SLOT, 1, role.closeRetry(1)), { size: '0.0001' })] }, bot);
    expect(names(found)).toEqual(['orphan-order']);
    expect(found[0]!.detail).toContain('grid-1 close-retry');
    // Another slot's orders are not ours to own.
    expect(checkFinal({ ...v, liveOrders: [...v.liveOrders, order(encodeClientIndex(2, 1, role.close()))] }, bot)).toEqual([]);
  });

  it('the bot seeing another position than the venue is caught', () => {
    const { v, bot } = consistent();
    expect(names(checkFinal(v, { ...bot, venuePosition: '0.00166' }))).toEqual(['position-view']);
  });
});
