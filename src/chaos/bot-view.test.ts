/**
 * The chaos view of a persisted range-grid snapshot (bot-view.ts) against the venue's records:
 * the real range-grid root and level children on the simulated venue (test-only runner), their
 * persisted snapshot read the way the harness reads the store.
 */
import { describe, expect, it } from 'vitest';
import { Dec } from '../domain/decimal.ts';
import { rangeGridStatus } from '../../machines/variants/range-grid/variant.ts';
import { startRunner, type RangeGridRunner } from '../../machines/variants/range-grid/sim-runner.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import { botViewOf, type PersistedSnapshot } from './bot-view.ts';
import { checkFinal, checkVenue, type VenueRecords } from './invariants.ts';

const TEST = 'TEST';

function persisted(r: RangeGridRunner): PersistedSnapshot {
  return JSON.parse(JSON.stringify(r.actor.getPersistedSnapshot())) as PersistedSnapshot;
}

function records(r: RangeGridRunner, direction: VenueRecords['direction']): VenueRecords {
  return { direction, slot: 1, maxOrders: 10, maxOrdersName: 'grid_count', exitsBy: 'role', maxEntries: 3, position: r.control.positionOf(TEST).size, liveOrders: r.liveOrders(), fills: r.control.accountFills(TEST) };
}

const view = (r: RangeGridRunner) => botViewOf('range-grid', persisted(r), rangeGridStatus);

describe('chaos view of the range grid', () => {
  it('owns every live entry (one per armed level) and each holding level as a position with its exit; the venue agrees', async () => {
    const r = await startRunner({}, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    let v = view(r);
    const entries = r.live('entry').map((o) => o.clientIndex);
    expect(entries).toHaveLength(3);
    expect([...v.entryClientIndexes].sort()).toEqual([...entries].sort());
    expect(v.positions).toEqual([]);
    expect(checkFinal(records(r, 'buy'), v)).toEqual([]);

    await r.setBook('95.50', '95.52'); // 98 and 96 fill: two holding levels, their exits rest at 100 and 98
    v = view(r);
    const exits = r.live('exit');
    expect(exits).toHaveLength(2);
    expect(v.positions.map((p) => p.exitClientIndex).sort()).toEqual(exits.map((o) => o.clientIndex).sort());
    for (const p of v.positions) {
      expect(p.remaining).toBe('0.5');
      expect(p.ns).toEqual([p.n]);
      expect(decodeClientIndex(p.exitClientIndex!)!.n).toBe(p.n);
    }
    expect([...v.entryClientIndexes].sort()).toEqual(r.live('entry').map((o) => o.clientIndex).sort());
    expect(v.trackedSize).toBe('1');
    expect(v.trackedSigned).toBe(true);
    expect(checkVenue(records(r, 'buy'))).toEqual([]);
    expect(checkFinal(records(r, 'buy'), v)).toEqual([]);

    // A live entry the view did not own would be an orphan: the check is not vacuous.
    const lost = { ...v, entryClientIndexes: v.entryClientIndexes.slice(1) };
    expect(checkFinal(records(r, 'buy'), lost).map((x) => x.invariant)).toEqual(['orphan-order']);
  });

  it('short grid: the signed ledger equals the (negative) venue position', async () => {
    const r = await startRunner({ params: { direction: 'short' } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    await r.setBook('104.50', '104.52'); // 102 and 104 fill
    const v = view(r);
    expect(v.trackedSize).toBe('-1');
    expect(r.control.positionOf(TEST).size).toMatch(/^-1(\.0+)?$/);
    expect(v.positions).toHaveLength(2);
    expect(checkFinal(records(r, 'sell'), v)).toEqual([]);
  });

  it('range-grid chaos seed 1 run 13: neutral legs netting to zero, released by the range-exit close without a market order, break nothing', async () => {
    const r = await startRunner({ params: { direction: 'neutral', maxRestingOrders: 4, onExitRange: 'close' } }, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    r.control.counterpartyFill(TEST, r.entryAt('96').clientIndex); // long leg at 96
    r.control.counterpartyFill(TEST, r.entryAt('104').clientIndex); // short leg at 104: the venue is flat
    await r.settle();
    expect(new Dec(r.control.positionOf(TEST).size).toFixed()).toBe('0');
    expect(view(r).positions).toHaveLength(2);
    await r.quote('111.00', '111.02'); // the machine sees mid leave the range (the venue's book does not trade through)
    await r.advance(1000);
    expect(r.events('risk.closed')).toHaveLength(1);
    expect(r.events('level.released')).toHaveLength(2);
    expect(r.control.accountFills(TEST).filter((f) => decodeClientIndex(f.clientIndex)!.role.kind !== 'entry')).toEqual([]); // no market order, no exit filled
    const v = view(r);
    expect(v.closedFlat).toBe(true);
    expect(v.positions).toEqual([]);
    expect(checkFinal(records(r, 'neutral'), v)).toEqual([]);
    // Read as an open grid, the two released legs would be lost fills.
    const { closedFlat: _c, ...open } = v;
    expect(checkFinal(records(r, 'neutral'), open).map((x) => x.invariant)).toEqual(['entry-fill-not-covered', 'entry-fill-not-covered']);
  });

  it('a round trip closed by its exit leaves nothing tracked and nothing uncovered', async () => {
    const r = await startRunner({}, (x) => x.control.setBook(TEST, '100.00', '100.02'));
    await r.setBook('97.50', '97.52'); // 98 fills
    await r.setBook('100.50', '100.52'); // its exit at 100 fills
    expect(r.events('level.round-trip')).toHaveLength(1);
    const v = view(r);
    expect(v.positions).toEqual([]);
    expect(checkFinal(records(r, 'buy'), v)).toEqual([]);
  });
});
