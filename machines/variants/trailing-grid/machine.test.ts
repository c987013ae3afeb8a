/**
 * The trailing-grid root on the in-process simulated venue (TEST market: tick 0.01, book
 * 99.98 / 100.02) with the real effects and a simulated clock (sim-runner.ts). Parameters:
 * buy 1 at 0.1 % below the bid, re-peg after 0.05 %, take-profit 0.2 % above the fill.
 * Every assertion reads the simulator's own records (live orders, sent requests) or the
 * machine's journal and context.
 */
import { describe, expect, it } from 'vitest';
import { VenueError } from '../../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { startTrailRunner, TrailRunner, trailParams } from './sim-runner.ts';
import { trailingGridStatus } from './variant.ts';

const M = 'TEST';
const nOf = (clientIndex: number) => decodeClientIndex(clientIndex)!.n;
const placesOf = (r: TrailRunner, clientIndex: number) =>
  r.control.sentLog().filter((s) => s.method === 'placeOrder' && (s.request as { clientIndex: number }).clientIndex === clientIndex && !s.fault).length;

describe('trailing grid — the entry trails the touch', () => {
  it('places one post-only buy 0.1 % below the bid, with n = 1, after the n was made durable (write-ahead)', async () => {
    const r = await startTrailRunner();
    expect(r.state()).toBe('trading.entryResting');
    const [e] = r.live('entry');
    expect(r.live('entry')).toHaveLength(1);
    expect({ side: e.side, price: new Dec(e.price).toFixed(), size: new Dec(e.size).toFixed(), tif: e.timeInForce, reduceOnly: e.reduceOnly }).toEqual({ side: 'buy', price: '99.88', size: '1', tif: 'post-only', reduceOnly: false });
    expect(nOf(e.clientIndex)).toBe(1);
    expect(r.flushes[0].entry?.clientIndex).toBe(e.clientIndex);
    expect(r.flushes[0].nextN).toBe(2);
    expect(r.events('entry.placed')).toHaveLength(1);
  });

  it('follows the bid up once it ran away by the re-peg distance, with a fresh n; never follows it down', async () => {
    const r = await startTrailRunner();
    const first = r.live('entry')[0];
    // 100.00 × 0.999 = 99.90: only 0.02 above 99.88, below the 0.05 % re-peg distance.
    await r.setBook('100.00', '100.04');
    expect(r.live('entry').map((o) => o.clientIndex)).toEqual([first.clientIndex]);
    // 100.08 × 0.999 = 99.97992 → 99.97: 0.09 away → cancel, confirm, re-place.
    await r.setBook('100.08', '100.12');
    const second = r.live('entry');
    expect(second).toHaveLength(1);
    expect(new Dec(second[0].price).toFixed()).toBe('99.97');
    expect(nOf(second[0].clientIndex)).toBe(2);
    expect(r.control.allOrders(M).find((o) => o.clientIndex === first.clientIndex)?.status).toBe('canceled');
    // The bid comes back down toward the entry: it stays where it is, so it can fill.
    await r.setBook('100.02', '100.06');
    expect(r.live('entry').map((o) => o.clientIndex)).toEqual([second[0].clientIndex]);
    expect(r.ctx().nextN).toBe(3);
  });

  it('a venue rejection ends the round trip and the next entry waits a back-off (no hot loop)', async () => {
    const r = new TrailRunner(trailParams());
    r.control.failNext('placeOrder', new VenueError('rejected', 'margin'));
    await r.start();
    expect(r.events('entry.rejected')).toHaveLength(1);
    expect(r.state()).toBe('trading.rejectBackoff');
    expect(r.live('entry')).toHaveLength(0);
    await r.advance(499);
    expect(r.live('entry')).toHaveLength(0);
    await r.advance(1);
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([2]);
  });

  it('a transient error re-sends the same index after a back-off; a lost answer is resolved by asking the venue', async () => {
    const r = new TrailRunner(trailParams());
    r.control.failNext('placeOrder', new VenueError('unavailable', '503'));
    await r.start();
    expect(r.state()).toBe('trading.entryBackoff');
    await r.advance(500);
    const [e] = r.live('entry');
    expect(nOf(e.clientIndex)).toBe(1);
    expect(placesOf(r, e.clientIndex)).toBe(1);

    const lost = new TrailRunner(trailParams());
    lost.control.loseResponse('placeOrder');
    await lost.start();
    expect(lost.state()).toBe('trading.entryResting');
    expect(lost.live('entry').map((o) => nOf(o.clientIndex))).toEqual([1]);
    expect(lost.ctx().entry?.status).toBe('open');
  });

  it('an operator pause cancels the entry and places none until resume', async () => {
    const r = await startTrailRunner();
    r.actor.send({ type: 'operator.pause', at: r.clock.now() });
    await r.settle();
    expect(r.live('entry')).toHaveLength(0);
    expect(r.state()).toBe('trading.idle');
    await r.setBook('100.50', '100.54');
    expect(r.live('entry')).toHaveLength(0);
    r.actor.send({ type: 'operator.resume', at: r.clock.now() });
    await r.settle();
    expect(r.live('entry').map((o) => new Dec(o.price).toFixed())).toEqual(['100.39']);
  });
});

describe('trailing grid — round trips through the shared position child', () => {
  it('a fill becomes a position with a reduce-only take-profit; the exit fill closes the round trip and the next entry has n + 1', async () => {
    const r = await startTrailRunner();
    const entry = r.live('entry')[0];
    r.control.counterpartyFill(M, entry.clientIndex);
    await r.settle();
    expect(r.state()).toBe('trading.holding');
    const [exit] = r.live('exit');
    expect({ side: exit.side, price: new Dec(exit.price).toFixed(), size: new Dec(exit.size).toFixed(), reduceOnly: exit.reduceOnly, role: decodeClientIndex(exit.clientIndex)!.role.kind, n: nOf(exit.clientIndex) }).toEqual({
      side: 'sell',
      price: '100.08', // 99.88 × 1.002 = 100.07976, rounded up to the tick
      size: '1',
      reduceOnly: true,
      role: 'close',
      n: 1,
    });
    expect(r.live('entry')).toHaveLength(0);
    // The shared status view (status line, grid-bot status, /status, dashboard) reads the root only.
    const st = trailingGridStatus(r.actor.getSnapshot());
    expect({ variant: st.variant, lifecycle: st.lifecycle, entryState: st.entryState, gate: st.gate, restingExits: st.restingExits, trackedSize: st.trackedSize }).toEqual({
      variant: 'trailing-grid',
      lifecycle: 'trading',
      entryState: 'holding',
      gate: { open: false, reasons: ['holding'] },
      restingExits: 1,
      trackedSize: '1',
    });
    expect(st.positions.map((p) => [p.name, p.exitName])).toEqual([['grid-1', 'grid-1:close']]);
    r.control.counterpartyFill(M, exit.clientIndex);
    await r.settle();
    const [trip] = r.events('trail.round-trip');
    expect(trip.payload).toMatchObject({ position: 'grid-1', reason: 'closed', profit: '0.2', roundTrips: 1 });
    expect(r.ctx().realizedPnl).toBe('0.2');
    expect(r.ctx().position).toBeNull();
    expect(new Dec(r.control.positionOf(M).size).isZero()).toBe(true);
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([2]);
  });

  it('a partly filled entry is cancelled and the exit is sized to what filled', async () => {
    const r = await startTrailRunner();
    const entry = r.live('entry')[0];
    r.control.counterpartyFill(M, entry.clientIndex, '0.4');
    await r.settle();
    expect(r.control.allOrders(M).find((o) => o.clientIndex === entry.clientIndex)?.status).toBe('canceled');
    expect(r.live('entry')).toHaveLength(0);
    expect(r.live('exit').map((o) => new Dec(o.size).toFixed())).toEqual(['0.4']);
    expect(r.state()).toBe('trading.holding');
  });
});

describe('trailing grid — restart: kill, restore from the saved snapshot, reconcile', () => {
  it('killed while the exit rests: the position is restored with its exit (not sent twice) and its fill closes the round trip', async () => {
    const r = await startTrailRunner();
    r.control.counterpartyFill(M, r.live('entry')[0].clientIndex);
    await r.settle();
    const exit = r.live('exit')[0];
    await r.restart();
    expect(r.events('venue.reconciled').length).toBe(2);
    expect(r.state()).toBe('trading.holding');
    expect(r.live('exit').map((o) => o.clientIndex)).toEqual([exit.clientIndex]);
    expect(placesOf(r, exit.clientIndex)).toBe(1);
    expect(r.live('entry')).toHaveLength(0);
    // The shared status view (status line, grid-bot status, /status, dashboard) reads the root only.
    const st = trailingGridStatus(r.actor.getSnapshot());
    expect({ variant: st.variant, lifecycle: st.lifecycle, entryState: st.entryState, gate: st.gate, restingExits: st.restingExits, trackedSize: st.trackedSize }).toEqual({
      variant: 'trailing-grid',
      lifecycle: 'trading',
      entryState: 'holding',
      gate: { open: false, reasons: ['holding'] },
      restingExits: 1,
      trackedSize: '1',
    });
    expect(st.positions.map((p) => [p.name, p.exitName])).toEqual([['grid-1', 'grid-1:close']]);
    r.control.counterpartyFill(M, exit.clientIndex);
    await r.settle();
    expect(r.events('trail.round-trip')).toHaveLength(1);
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([2]);
  });

  it('the entry fills while the bot is down: the reconciliation tracks the fill and places the exit before any new entry', async () => {
    const r = await startTrailRunner();
    const entry = r.live('entry')[0];
    r.kill();
    r.control.counterpartyFill(M, entry.clientIndex);
    await r.start();
    expect(r.ctx().position).toMatchObject({ n: 1, size: '1' });
    expect(r.live('exit').map((o) => ({ n: nOf(o.clientIndex), price: new Dec(o.price).toFixed(), size: new Dec(o.size).toFixed() }))).toEqual([{ n: 1, price: '100.08', size: '1' }]);
    expect(r.live('entry')).toHaveLength(0);
    expect(r.state()).toBe('trading.holding');
  });

  it('killed after the write-ahead flush but before the send: the restored bot sends that same index once, n is not reused', async () => {
    const r = new TrailRunner(trailParams());
    r.killOnFlush = true;
    await r.start();
    expect(r.live('entry')).toHaveLength(0);
    const durable = r.flushes[0].entry!;
    r.killOnFlush = false;
    await r.restart();
    expect(r.live('entry').map((o) => o.clientIndex)).toEqual([durable.clientIndex]);
    expect(placesOf(r, durable.clientIndex)).toBe(1);
    expect(r.ctx().nextN).toBe(2);
  });

  it('killed after a partial fill, before the remainder was cancelled: the restored bot cancels it and keeps exiting what filled', async () => {
    const r = await startTrailRunner();
    const entry = r.live('entry')[0];
    r.kill(); // the last saved snapshot has the entry resting, nothing filled
    r.control.counterpartyFill(M, entry.clientIndex, '0.3');
    await r.start();
    expect(r.control.allOrders(M).find((o) => o.clientIndex === entry.clientIndex)?.status).toBe('canceled');
    expect(r.live('exit').map((o) => [nOf(o.clientIndex), new Dec(o.size).toFixed()])).toEqual([[1, '0.3']]);
    expect(r.state()).toBe('trading.holding');
    r.control.counterpartyFill(M, r.live('exit')[0].clientIndex);
    await r.settle();
    expect(r.events('trail.round-trip')[0].payload).toMatchObject({ position: 'grid-1', reason: 'closed' });
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([2]);
  });

  it('the store lost its writes: indexes of this bot at or above nextN move nextN past them, so no index is reused', async () => {
    const r = await startTrailRunner();
    const old = r.live('entry')[0];
    r.kill();
    r.saved = null; // a fresh start on an account that has this bot's n = 1 live
    await r.start();
    expect(r.control.allOrders(M).find((o) => o.clientIndex === old.clientIndex)?.status).toBe('canceled');
    expect(placesOf(r, old.clientIndex)).toBe(1);
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([2]);
    expect(r.ctx().nextN).toBe(3);
  });

  it('a live order of this bot that no round trip owns is cancelled by the reconciliation before trading', async () => {
    const r = await startTrailRunner();
    const stray = encodeClientIndex(1, 40, role.entry());
    r.control.placeForeignOrder({ market: M, clientIndex: stray, side: 'buy', price: '90', size: '1', timeInForce: 'post-only' });
    await r.restart();
    expect(r.control.allOrders(M).find((o) => o.clientIndex === stray)?.status).toBe('canceled');
    expect(r.events('restart.orphans-canceled')[0].payload).toEqual({ clientIndexes: [stray] });
    expect(r.live('entry').map((o) => nOf(o.clientIndex))).toEqual([1]);
  });
});
