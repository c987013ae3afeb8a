/**
 * REC scenarios (acceptance-scenarios.md): recovery of exits stuck longer than
 * position_timeout_minutes — aggressive, ladder (and its escalation), hedge on a netting
 * venue, none — and the spacing of failing market closes.
 */
import { describe, expect, it } from 'vitest';
import { VenueError } from '../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { startHarness, type Harness } from '../harness.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s);
const idx = (n: number, r: ReturnType<(typeof role)[keyof typeof role]>) => encodeClientIndex(1, n, r);
const MIN = 60_000;

function ordersOf(h: Harness, n: number) {
  return h.placed().filter((p) => p.n === n && p.role.kind !== 'entry');
}

/** grid-1 filled at 100.00 with its close accepted at t = 0. */
async function oneStuck(params: NonNullable<NonNullable<Parameters<typeof startHarness>[0]>['params']> = {}) {
  const h = await startHarness({ params: { timeoutMs: 5 * MIN, gridStepPct: '0.2', ...params } });
  h.control.counterpartyTrade(M, 'sell', '1');
  await h.advance(1);
  return h;
}

describe('REC recovery modes', () => {
  it('REC-01 aggressive recovery closes only the stuck position', async () => {
    const h = await oneStuck();
    // grid-2 filled at 99.78 with its close accepted at t = 3 min, then the book stays 99.70 / 99.74.
    h.control.setBook(M, '99.76', '99.80');
    await h.advanceTo(3 * MIN - 100);
    const e2 = h.placed().find((p) => p.n === 2 && p.role.kind === 'entry');
    expect(e2 && num(e2.req.price)).toBe(99.78);
    h.control.counterpartyFill(M, idx(2, role.entry()));
    await h.advanceTo(3 * MIN);
    h.control.setBook(M, '99.70', '99.74');
    await h.advanceTo(5 * MIN - 1000);
    expect(h.events('recovery.detected')).toHaveLength(0);
    expect(num(h.position().size)).toBe(2);
    await h.advanceTo(5 * MIN + 1000);
    const det = h.events('recovery.detected');
    expect(det).toHaveLength(1);
    expect(det[0].payload).toMatchObject({ position: 'grid-1', mode: 'aggressive' });
    expect(h.control.allOrders(M).find((o) => o.clientIndex === idx(1, role.close()))!.status).toBe('canceled');
    const mkt = ordersOf(h, 1).find((p) => p.role.kind === 'market-exit')!;
    expect(mkt.clientIndex).toBe(idx(1, role.marketExit(1)));
    expect(mkt.req).toMatchObject({ type: 'market', side: 'sell', reduceOnly: true });
    expect(num(mkt.req.size)).toBe(1);
    const fill = h.control.accountFills(M).find((f) => f.clientIndex === idx(1, role.marketExit(1)))!;
    expect(num(fill.price)).toBe(99.7);
    expect(h.status().positions.map((p) => p.n)).toEqual([2]);
    expect(h.events('recovery.started')).toHaveLength(1);
    expect(h.events('recovery.done')).toHaveLength(1);
    expect(num(h.position().size)).toBe(1);
    // grid-2 untouched until its own timeout at t = 8 min.
    expect(h.control.sentLog().filter((s) => s.clientIndex === idx(2, role.close()) && s.method !== 'placeOrder')).toHaveLength(0);
    await h.advanceTo(8 * MIN - 1000);
    expect(h.events('recovery.detected')).toHaveLength(1);
    await h.advanceTo(8 * MIN + 1000);
    expect(h.events('recovery.detected')).toHaveLength(2);
    expect(num(h.position().size)).toBe(0);
  });

  it('REC-02 recovery loses the race to a fill: no market close (and a partial race closes the rest)', async () => {
    for (const taken of ['1', '0.4']) {
      const h = await oneStuck();
      await h.advanceTo(5 * MIN - 1000);
      h.control.holdCancelConfirmation(500);
      await h.advanceTo(5 * MIN + 1);
      // The sweep lands before the venue processes the held cancel.
      h.control.counterpartyFill(M, idx(1, role.close()), taken);
      await h.advance(20_000);
      const mkts = ordersOf(h, 1).filter((p) => p.role.kind === 'market-exit');
      if (taken === '1') expect(mkts).toHaveLength(0);
      else {
        expect(mkts).toHaveLength(1);
        expect(num(mkts[0].req.size)).toBe(0.6);
        expect(mkts[0].req.reduceOnly).toBe(true);
      }
      expect(h.status().positions).toHaveLength(0);
      expect(num(h.position().size)).toBe(0);
    }
  });

  it('REC-03 ladder recovery: three reduce-only post-only legs at mid ± 1.5 / 3 / 4.5 %', async () => {
    for (const direction of ['buy', 'sell'] as const) {
      const h = await startHarness({ params: { direction, quantity: '0.9', timeoutMs: 5 * MIN, recoveryMode: 'ladder' } });
      h.control.counterpartyTrade(M, direction === 'buy' ? 'sell' : 'buy', '0.9');
      await h.advance(1);
      await h.advanceTo(5 * MIN - 1000);
      if (direction === 'buy') h.control.setBook(M, '99.49', '99.51');
      else h.control.setBook(M, '100.49', '100.51');
      await h.advanceTo(5 * MIN + 1000);
      const legs = ordersOf(h, 1).filter((p) => p.role.kind === 'ladder');
      expect(legs.map((l) => l.role.seq)).toEqual([1, 2, 3]);
      expect(legs.map((l) => num(l.req.price))).toEqual(direction === 'buy' ? [101, 102.49, 103.98] : [98.99, 97.48, 95.97]);
      for (const l of legs) {
        expect(l.req).toMatchObject({ side: direction === 'buy' ? 'sell' : 'buy', reduceOnly: true, timeInForce: 'post-only' });
        expect(num(l.req.size)).toBe(0.3);
      }
      expect(h.control.allOrders(M).find((o) => o.clientIndex === idx(1, role.close()))!.status).toBe('canceled');
      expect(h.events('recovery.started').some((e) => (e.payload as { mode: string }).mode === 'ladder')).toBe(true);
    }
    // A size of 1.000 splits into 0.333, 0.333, 0.334.
    const h = await startHarness({ params: { timeoutMs: 5 * MIN, recoveryMode: 'ladder' } });
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advanceTo(5 * MIN + 1000);
    expect(ordersOf(h, 1).filter((p) => p.role.kind === 'ladder').map((l) => num(l.req.size))).toEqual([0.333, 0.333, 0.334]);
  });

  it('REC-04 ladder escalates to aggressive after a further timeout', async () => {
    for (const allFill of [false, true]) {
      const h = await startHarness({ params: { quantity: '0.9', timeoutMs: 5 * MIN, recoveryMode: 'ladder' } });
      h.control.counterpartyTrade(M, 'sell', '0.9');
      await h.advance(1);
      await h.advanceTo(5 * MIN - 1000);
      h.control.setBook(M, '99.49', '99.51');
      await h.advanceTo(7 * MIN);
      h.control.counterpartyFill(M, idx(1, role.ladder(1)));
      if (allFill) {
        h.control.counterpartyFill(M, idx(1, role.ladder(2)));
        h.control.counterpartyFill(M, idx(1, role.ladder(3)));
      }
      await h.advanceTo(10 * MIN + 2000);
      const mkts = ordersOf(h, 1).filter((p) => p.role.kind === 'market-exit');
      if (allFill) {
        expect(mkts).toHaveLength(0);
      } else {
        expect(h.control.allOrders(M).filter((o) => [idx(1, role.ladder(2)), idx(1, role.ladder(3))].includes(o.clientIndex)).map((o) => o.status)).toEqual(['canceled', 'canceled']);
        expect(mkts).toHaveLength(1);
        expect(num(mkts[0].req.size)).toBe(0.6);
        expect(mkts[0].req.reduceOnly).toBe(true);
        expect(h.events('recovery.started').some((e) => /escalated/.test(String((e.payload as { mode: string }).mode)))).toBe(true);
        expect(h.events('recovery.done')).toHaveLength(1);
      }
      expect(h.status().positions).toHaveLength(0);
      expect(num(h.position().size)).toBe(0);
    }
  });

  it('REC-05 hedge mode on a netting venue acts as aggressive and says so', async () => {
    const h = await oneStuck({ recoveryMode: 'hedge' });
    const warn = h.events('recovery.hedge-unavailable');
    expect(warn).toHaveLength(1);
    expect(warn[0].level).toBe('warning');
    await h.advanceTo(5 * MIN + 1000);
    const mkts = ordersOf(h, 1).filter((p) => p.role.kind === 'market-exit');
    expect(mkts).toHaveLength(1);
    expect(mkts[0].req).toMatchObject({ reduceOnly: true, side: 'sell' });
    expect(h.placed().every((p) => p.role.kind === 'entry' || p.req.reduceOnly === true)).toBe(true);
    expect(num(h.position().size)).toBe(0);
  });

  it('REC-06 mode none leaves a stuck exit resting and only alerts', async () => {
    const h = await oneStuck({ recoveryMode: 'none' });
    await h.advanceTo(20 * MIN);
    const det = h.events('recovery.detected');
    expect(det).toHaveLength(1);
    expect(det[0].level).toBe('warning');
    expect(det[0].time).toBeGreaterThanOrEqual(5 * MIN);
    expect(det[0].time).toBeLessThanOrEqual(5 * MIN + 1000);
    expect(h.control.sentLog().filter((s) => s.method === 'cancelOrder')).toHaveLength(0);
    expect(ordersOf(h, 1).filter((p) => p.role.kind === 'market-exit')).toHaveLength(0);
    h.control.counterpartyFill(M, idx(1, role.close()));
    await h.advance(10_000);
    expect(h.status().positions).toHaveLength(0);
    const sells = ordersOf(h, 1).filter((p) => p.req.side === 'sell');
    expect(sells.reduce((t, p) => t + num(p.req.size), 0)).toBe(1);
    // Post-only cancels are still re-posted in this mode.
    const h2 = await oneStuck({ recoveryMode: 'none' });
    h2.control.cancelByUser(M, idx(1, role.close()));
    await h2.advance(1000);
    expect(ordersOf(h2, 1).map((p) => p.role.kind)).toEqual(['close', 'close-retry']);
  });

  it('REC-07 recovery attempts are spaced and a failing market close backs off', async () => {
    // The venue fails grid-1's market closes four times (two rejected for lack of liquidity,
    // two 5xx that create no order), then lets the fifth fill.
    const failures = [new VenueError('rejected', 'not enough liquidity'), new VenueError('unavailable', '503'), new VenueError('rejected', 'not enough liquidity'), new VenueError('unavailable', '503')];
    const tried: Array<{ at: number; clientIndex: number; reached: boolean }> = [];
    let h!: Harness;
    h = await startHarness({
      params: { timeoutMs: 5 * MIN },
      wrapVenue: (v) =>
        Object.assign(Object.create(v), {
          placeOrder: async (req: { clientIndex: number; type: string }) => {
            if (decodeClientIndex(req.clientIndex)?.role.kind === 'market-exit') {
              const f = failures.shift();
              tried.push({ at: h.clock.now(), clientIndex: req.clientIndex, reached: !f || f.kind === 'rejected' });
              if (f) throw f;
            }
            return v.placeOrder(req as never);
          },
        }),
    });
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1);
    await h.advanceTo(5 * MIN + 180_000);
    const attempts = tried;
    expect(attempts.length).toBe(5);
    for (let i = 1; i < attempts.length; i++) {
      const gap = attempts[i].at - attempts[i - 1].at;
      expect(gap).toBeGreaterThanOrEqual(5000);
      if (i > 1) expect(gap).toBeGreaterThanOrEqual(attempts[i - 1].at - attempts[i - 2].at);
    }
    for (const a of attempts) expect(attempts.filter((b) => b.at >= a.at && b.at < a.at + MIN).length).toBeLessThanOrEqual(12);
    const reached = attempts.filter((a) => a.reached);
    expect(new Set(reached.map((a) => a.clientIndex)).size).toBe(reached.length);
    expect(h.events('exit.market-failed')).toHaveLength(4);
    expect(h.status().positions).toHaveLength(0);
    expect(num(h.position().size)).toBe(0);
  });
});
