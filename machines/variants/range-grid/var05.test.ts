/**
 * VAR-05 on the simulated venue: 500 levels, max_resting_orders 20, a seeded random walk of
 * 24 simulated hours, a crash and restore at 12 h (test-only runner, in-memory snapshots).
 */
import { describe, expect, it } from 'vitest';
import { decodeClientIndex } from '../../../src/domain/client-index.ts';
import { Dec } from '../../../src/domain/decimal.ts';
import { startRunner, type RangeGridRunner } from './sim-runner.ts';

const HOUR = 60 * 60_000;

/** Every holding level has exactly one exit live on the venue; every live order of ours belongs to a live level. */
function checkExits(r: RangeGridRunner): void {
  const ctx = r.ctx();
  const live = r.liveOrders().filter((o) => decodeClientIndex(o.clientIndex)?.slot === 1);
  for (const s of Object.values(ctx.levels)) {
    if (new Dec(s.held).isZero()) continue;
    const exits = live.filter((o) => s.ns.includes(decodeClientIndex(o.clientIndex)!.n) && decodeClientIndex(o.clientIndex)!.role.kind !== 'entry');
    expect(exits, `level ${s.level} (${s.state}) holds ${s.held}`).toHaveLength(1);
  }
  for (const o of live) expect(ctx.owners[String(decodeClientIndex(o.clientIndex)!.n)], `order ${o.clientIndex} has no level`).toBeDefined();
}

describe('range grid: five hundred levels (VAR-05)', () => {
  it('VAR-05 500 levels, 24 h random walk: never more than 20 resting entries, one exit per holding level, no index reused, restart keeps level states', async () => {
    const r = await startRunner(
      { params: { lowerPrice: '50', upperPrice: '150', gridCount: 500, maxRestingOrders: 20, orderSize: '0.1' } },
      (x) => x.control.setBook('TEST', '100.00', '100.02'),
    );
    expect(r.live('entry')).toHaveLength(20);
    let most = 0;
    r.control.onOrderArrival((req) => {
      const d = decodeClientIndex(req.clientIndex);
      if (d?.role.kind === 'entry') most = Math.max(most, r.live('entry').length + 1);
    });
    let crossings = 0;
    let lastLevel: number | null = null;
    r.venue.subscribe('TEST', (ev) => {
      if (ev.type !== 'market.bbo') return;
      const lv = new Dec(ev.bbo.bid).div('0.2').floor().toNumber(); // level index of the bid (step 0.2)
      if (lastLevel !== null) crossings += Math.abs(lv - lastLevel);
      lastLevel = lv;
    });
    r.venue.addDriver({ mode: 'random-walk', market: 'TEST', seed: 'VAR-05', stepTicks: 40, intervalMs: 30_000 }, { start: true });

    for (let h = 1; h <= 24; h++) {
      await r.advance(HOUR);
      checkExits(r);
      if (h === 12) {
        const before = r.levelStates();
        const beforeSummaries = Object.keys(r.ctx().levels).sort();
        await r.restart();
        expect(r.levelStates()).toEqual(before);
        expect(Object.keys(r.ctx().levels).sort()).toEqual(beforeSummaries);
        expect(r.events('venue.reconciled').length).toBeGreaterThanOrEqual(2);
        checkExits(r);
      }
    }

    expect(crossings).toBeGreaterThanOrEqual(100);
    expect(most).toBeLessThanOrEqual(20);
    expect(r.events('level.round-trip').length).toBeGreaterThan(0);
    const indexes = r.placed().map((p) => p.req.clientIndex);
    // No client index is reused (no faults here, so no order is ever re-sent either).
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(r.events('reconcile.ledger-mismatch')).toEqual([]);
  }, 120_000);
});
