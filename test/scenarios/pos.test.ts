/**
 * POS scenarios (acceptance-scenarios.md): tracked positions — routing by client index,
 * closing only on venue-confirmed fills, independence, foreign orders, adoption, duplicates,
 * reconciliation of a smaller venue position.
 */
import { describe, expect, it } from 'vitest';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { startHarness, type Harness } from '../harness.ts';
import { TOTALS_CONFIRM_MS } from '../../machines/grid/reconcile.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s);
const idx = (n: number, r: ReturnType<(typeof role)[keyof typeof role]>) => encodeClientIndex(1, n, r);

function exitsOf(h: Harness, n: number) {
  return h.placed().filter((p) => p.n === n && p.role.kind !== 'entry');
}
function tracked(h: Harness) {
  return h.status().positions.reduce((s, p) => s + num(p.remaining), 0);
}

/** Drives the bot to: grid-1 (1 at 101.00, close 101.05), grid-2 (1 at 100.00, close resting). */
async function twoPositions(over: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness({ noStart: true, ...over, params: { gridStepPct: '0.05', ...over.params } });
  h.control.setBook(M, '100.98', '101.02');
  await h.start();
  h.control.counterpartyTrade(M, 'sell', '1');
  await h.advance(1000);
  h.control.setBook(M, '99.98', '100.02');
  await h.advance(10_000);
  const e2 = h.placed().find((p) => p.n === 2 && p.role.kind === 'entry');
  if (!e2 || num(e2.req.price) !== 100) throw new Error(`grid-2 entry not placed at 100: ${JSON.stringify(e2)}`);
  h.control.counterpartyTrade(M, 'sell', '1');
  await h.advance(1000);
  return h;
}

describe('POS tracked positions', () => {
  it('POS-01 every fill is routed to its position by client index', async () => {
    const h = await twoPositions();
    // grid-2's exit is cancelled by hand twice: close-retry-2 rests.
    h.control.cancelByUser(M, idx(2, role.close()));
    await h.advance(1000);
    h.control.cancelByUser(M, idx(2, role.closeRetry(1)));
    await h.advance(1000);
    expect(h.liveOrders().some((o) => o.clientIndex === idx(2, role.closeRetry(2)))).toBe(true);
    // grid-3:entry rests at 99.78.
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    const e3 = h.placed().find((p) => p.n === 3 && p.role.kind === 'entry')!;
    expect(num(e3.req.price)).toBe(99.78);
    h.control.counterpartyFill(M, idx(2, role.closeRetry(2)), '0.5');
    await h.advance(1);
    h.control.counterpartyFill(M, idx(3, role.entry()), '1');
    await h.advance(1000);
    const s = h.status();
    const g2 = s.positions.find((p) => p.n === 2)!;
    expect(num(g2.remaining)).toBe(0.5);
    expect(g2.exit!.clientIndex).toBe(idx(2, role.closeRetry(2)));
    const g3 = s.positions.find((p) => p.n === 3)!;
    expect(num(g3.size)).toBe(1);
    const c3 = exitsOf(h, 3);
    expect(c3).toHaveLength(1);
    expect(c3[0].clientIndex).toBe(idx(3, role.close()));
    expect(num(c3[0].req.price)).toBe(99.82);
    // The close-retry fill created no position and no exit of its own.
    expect(s.positions.map((p) => p.n)).toEqual([1, 2, 3]);
    expect(exitsOf(h, 2)).toHaveLength(3);
    // A new process that never saw these orders routes by decoding the index alone.
    await h.restart();
    h.control.counterpartyFill(M, idx(2, role.closeRetry(2)), '0.5');
    await h.advance(1000);
    expect(h.status().positions.map((p) => p.n)).toEqual([1, 3]);
    expect(exitsOf(h, 2)).toHaveLength(3);
  });

  it('POS-02 a position closes only when the venue says nothing remains', async () => {
    // (a) cancelled by hand with nothing filled: stays tracked, reposts as close-retry-1.
    const a = await startHarness();
    a.control.counterpartyTrade(M, 'sell', '1');
    await a.advance(1000);
    a.control.cancelByUser(M, idx(1, role.close()));
    await a.advance(1000);
    expect(a.status().positions.map((p) => p.n)).toEqual([1]);
    const ea = exitsOf(a, 1);
    expect(ea.map((e) => e.clientIndex)).toEqual([idx(1, role.close()), idx(1, role.closeRetry(1))]);
    expect(num(ea[1].req.price)).toBe(100.04);

    // (b) the order disappears and its stream reports are lost; the venue's trades decide.
    const b = await startHarness();
    b.control.counterpartyTrade(M, 'sell', '1');
    await b.advance(1000);
    const undo = b.control.dropStreamEvents((ev) => ev.type === 'order.updated' || ev.type === 'order.filled');
    b.control.counterpartyFill(M, idx(1, role.close()));
    await b.advance(1000);
    undo();
    expect(b.status().positions.map((p) => p.n)).toEqual([1]); // not inferred from absence
    await b.advance(6 * 60_000); // one periodic reconciliation
    expect(b.status().positions).toHaveLength(0);
    expect(exitsOf(b, 1)).toHaveLength(1); // no double exit
    expect(num(b.position().size)).toBe(0);
  });

  it('POS-03 several positions at once stay independent and sum to the venue position', async () => {
    const h = await twoPositions();
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    h.control.counterpartyFill(M, idx(3, role.entry()), '1');
    await h.advance(1000);
    expect(tracked(h)).toBe(3);
    expect(num(h.position().size)).toBe(3);
    const before = h.liveOrders().filter((o) => o.reduceOnly).map((o) => o.clientIndex).sort();
    h.control.counterpartyFill(M, idx(3, role.close()));
    await h.advance(1000);
    const s = h.status();
    expect(s.positions.map((p) => p.n)).toEqual([1, 2]);
    expect(tracked(h)).toBe(2);
    expect(num(h.position().size)).toBe(2);
    const after = h.liveOrders().filter((o) => o.reduceOnly).map((o) => o.clientIndex).sort();
    expect(after).toEqual(before.filter((i) => decodeClientIndex(i)!.n !== 3));
    const resting = h.liveOrders().filter((o) => o.reduceOnly).reduce((t, o) => t + num(o.size) - num(o.filledSize), 0);
    expect(resting).toBeLessThanOrEqual(num(h.position().size));
    expect(h.control.sentLog().filter((r) => r.method === 'cancelOrder')).toHaveLength(0);
  });

  it('POS-04 an exit the bot did not place counts for grid-step spacing and is left alone', async () => {
    const h = await startHarness({ noStart: true });
    const hand = h.control.placeForeignOrder({ market: M, side: 'sell', price: '100.10', size: '0.5' });
    await h.start();
    expect(h.placed().filter((p) => p.role.kind === 'entry')).toHaveLength(0);
    expect(h.status().gate.reasons).toContain('grid_step');
    const refused = h.events('admission.refused');
    expect(refused).toHaveLength(1);
    expect(refused[0].payload).toMatchObject({ reason: 'grid_step' });
    // Moved by hand to 100.30: admitted.
    h.control.cancelByUser(M, hand);
    const moved = h.control.placeForeignOrder({ market: M, side: 'sell', price: '100.30', size: '0.5' });
    await h.advance(1000);
    expect(h.placed().filter((p) => p.role.kind === 'entry')).toHaveLength(1);
    await h.restart();
    await h.advance(10_000);
    const touched = h.control.sentLog().filter((r) => r.clientIndex === hand || r.clientIndex === moved);
    expect(touched.filter((r) => r.method !== 'placeOrder')).toHaveLength(0);
    expect(h.status().positions).toHaveLength(0);
    expect(h.liveOrders().some((o) => o.clientIndex === moved)).toBe(true);
  });

  it('POS-05 an untracked venue position is reported and adopted with a take-profit', async () => {
    const h = await startHarness({ noStart: true, initialN: 7, params: { gridStepPct: '0.05' } });
    // A trade made by hand while the bot was stopped: +2.000 at 100.00.
    h.control.setBook(M, '99.96', '100.00');
    h.control.accountMarketTrade(M, 'buy', '2');
    h.control.setBook(M, '99.98', '100.02');
    await h.start();
    // One report is not enough to adopt (it could race a fill): the venue is asked again.
    expect(h.events('venue.totals-unconfirmed')).toHaveLength(1);
    expect(h.events('position.untracked')).toHaveLength(0);
    expect(h.placed()).toHaveLength(0);
    await h.advance(TOTALS_CONFIRM_MS);
    const warn = h.events('position.untracked');
    expect(warn).toHaveLength(1);
    expect(warn[0].level).toBe('warning');
    expect(warn[0].message).toContain('2');
    const s = h.status();
    expect(s.positions.map((p) => [p.n, num(p.size)])).toEqual([[7, 2]]);
    const c = exitsOf(h, 7);
    expect(c[0].clientIndex).toBe(idx(7, role.close()));
    expect(c[0].req).toMatchObject({ side: 'sell', reduceOnly: true, timeInForce: 'post-only' });
    expect(num(c[0].req.price)).toBe(100.04);
    expect(num(c[0].req.size)).toBe(2);
    const entries = h.placed().filter((p) => p.role.kind === 'entry');
    for (const e of entries) expect(e.at).toBeGreaterThanOrEqual(c[0].at);
    await h.advance(30_000);
    const firstEntry = h.placed().find((p) => p.role.kind === 'entry');
    if (firstEntry) expect(firstEntry.n).toBe(8);
    expect(tracked(h)).toBe(num(h.position().size));
  });

  it('POS-06 a fill reported twice is counted once', async () => {
    const h = await startHarness();
    h.control.duplicateNextFillReport();
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    const s = h.status();
    expect(s.positions).toHaveLength(1);
    expect(num(s.positions[0].size)).toBe(1);
    const exits = exitsOf(h, 1);
    expect(exits).toHaveLength(1);
    expect(num(exits[0].req.size)).toBe(1);
    expect(h.events('entry.filled')).toHaveLength(1);
  });

  it('POS-07 a venue position smaller than the tracked total is reconciled down', async () => {
    const h = await twoPositions();
    expect(tracked(h)).toBe(2);
    h.control.accountMarketTrade(M, 'sell', '1');
    await h.advance(6 * 60_000);
    const warn = h.events('position.mismatch');
    expect(warn).toHaveLength(1);
    expect(warn[0].level).toBe('warning');
    expect(warn[0].message).toMatch(/tracked 2.*venue holds 1/);
    const s = h.status();
    expect(s.positions.map((p) => p.n)).toEqual([1]);
    expect(h.control.allOrders(M).find((o) => o.clientIndex === idx(2, role.close()))!.status).toBe('canceled');
    const resting = h.liveOrders().filter((o) => o.reduceOnly).reduce((t, o) => t + num(o.size) - num(o.filledSize), 0);
    expect(resting).toBeLessThanOrEqual(1);
    await h.advance(60_000);
    expect(exitsOf(h, 2)).toHaveLength(1);
  });
});
