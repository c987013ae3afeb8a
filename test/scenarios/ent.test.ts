/**
 * ENT scenarios (acceptance-scenarios.md): the entry cycle, on the simulated venue and the
 * simulated clock, through the real bot runtime. Orders are identified by decoding their
 * client indexes (never by string matching).
 */
import { describe, expect, it } from 'vitest';
import { VenueError, type Venue } from '../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { startHarness, type Harness } from '../harness.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s); // for readable assertions on decimal strings only
const entryIdx = (n: number, slot = 1) => encodeClientIndex(slot, n, role.entry());
const closeIdx = (n: number) => encodeClientIndex(1, n, role.close());

function entries(h: Harness) {
  return h.placed().filter((p) => p.role.kind === 'entry');
}

describe('ENT entry cycle', () => {
  it('ENT-01 long entry is a post-only bid at the ask minus the tick offset', async () => {
    const h = await startHarness();
    const placed = h.placed();
    expect(placed).toHaveLength(1);
    const p = placed[0];
    expect(p.n).toBe(1);
    expect(p.role.kind).toBe('entry');
    expect(p.at).toBeLessThanOrEqual(1000);
    expect(p.req).toMatchObject({ side: 'buy', type: 'limit', timeInForce: 'post-only', reduceOnly: false });
    expect(num(p.req.price)).toBe(100);
    expect(num(p.req.size)).toBe(1);
    expect(h.status().entryState).toBe('waitingForFill');
    expect(h.events('entry.placed')).toHaveLength(1);
    // The index was durable before the venue received the order: the store holds n = 1 in flight.
    const raw = JSON.parse((await h.bot.store.getRaw(h.bot.key))!);
    expect(JSON.stringify(raw)).toContain(String(entryIdx(1)));
  });

  it('ENT-01 with a one-tick spread the entry stays behind the best bid; never below one tick', async () => {
    const h = await startHarness({ noStart: true });
    h.control.setBook(M, '100.00', '100.01');
    await h.start();
    expect(num(entries(h)[0].req.price)).toBe(99.99);

    const h2 = await startHarness({ noStart: true, params: { quantity: '100' } });
    h2.control.setBook(M, '0.01', '0.02');
    await h2.start();
    expect(num(entries(h2)[0].req.price)).toBe(0.01);
  });

  it('ENT-02 short entry is a post-only offer at the bid plus the tick offset', async () => {
    const h = await startHarness({ params: { direction: 'sell' } });
    const p = entries(h)[0];
    expect(p.req).toMatchObject({ side: 'sell', type: 'limit', timeInForce: 'post-only', reduceOnly: false });
    expect(num(p.req.price)).toBe(100);
    const h5 = await startHarness({ params: { direction: 'sell', multiplier: 5 } });
    expect(num(entries(h5)[0].req.price)).toBe(100.03);
    expect(h5.liveOrders()).toHaveLength(1);
  });

  it('ENT-03 post-only cancel returns the cycle to ready', async () => {
    const h = await startHarness({ noStart: true });
    const remove = h.control.onOrderArrival((req, c) => {
      if (req.clientIndex === entryIdx(1)) c.setBook(M, '99.90', '99.95');
    });
    await h.start();
    remove();
    const cancelAt = h.clock.now();
    expect(h.events('entry.canceled-post-only')).toHaveLength(1);
    expect(h.status().positions).toHaveLength(0);
    expect(h.placed().filter((p) => p.role.kind !== 'entry')).toHaveLength(0);
    expect(['ready'].includes(h.status().entryState)).toBe(true);
    // Not before the 2.5 s cooldown after the cancel…
    await h.advance(2500);
    expect(entries(h)).toHaveLength(1);
    // …then promptly, as grid-2, priced from the current book.
    await h.advance(1000);
    const second = entries(h);
    expect(second).toHaveLength(2);
    expect(second[1].n).toBe(2);
    expect(num(second[1].req.price)).toBe(99.93);
    expect(second[1].at).toBeGreaterThan(cancelAt + 2500);
    expect(h.events('entry.canceled-post-only')).toHaveLength(1);
  });

  it('ENT-04 entry timeout sends a cancel and waits for its confirmation', async () => {
    const h = await startHarness({ params: { timeoutMs: 60_000 } });
    await h.advance(59_999);
    expect(h.control.sentLog().filter((s) => s.method === 'cancelOrder')).toHaveLength(0);
    h.control.holdCancelConfirmation(3000);
    await h.advance(1);
    const cancels = h.control.sentLog().filter((s) => s.method === 'cancelOrder');
    expect(cancels).toHaveLength(1);
    expect(cancels[0].clientIndex).toBe(entryIdx(1));
    expect(cancels[0].time).toBeLessThanOrEqual(61_000);
    expect(h.events('entry.timeout')).toHaveLength(1);
    await h.advance(2900);
    expect(h.status().entryState).toMatch(/^cancelling/);
    expect(entries(h)).toHaveLength(1);
    await h.advance(200);
    expect(h.status().positions).toHaveLength(0);
    expect(h.status().entryState === 'ready' || entries(h).length === 2).toBe(true);
    await h.advance(5000);
    const all = entries(h);
    expect(all).toHaveLength(2);
    expect(all[1].n).toBe(2);
  });

  it('ENT-05 a fill that races the timeout cancel is still tracked', async () => {
    for (const order of ['fill-then-cancel-answer', 'cancel-answer-then-fill'] as const) {
      const h = await startHarness({ params: { timeoutMs: 60_000 } });
      await h.advance(59_999);
      if (order === 'fill-then-cancel-answer') {
        h.control.holdCancelConfirmation(500);
        await h.advance(1);
        h.control.counterpartyTrade(M, 'sell', '1');
        await h.advance(1000);
      } else {
        // The fill report is delivered only after the cancel's answer.
        let held: (() => void) | undefined;
        const dropped: unknown[] = [];
        const undo = h.control.dropStreamEvents((ev) => {
          if (ev.type === 'order.filled' || ev.type === 'order.updated') {
            dropped.push(ev);
            return true;
          }
          return false;
        });
        held = undo;
        h.control.holdCancelConfirmation(500);
        await h.advance(1);
        h.control.counterpartyTrade(M, 'sell', '1');
        await h.advance(600);
        held();
        // Lost stream reports: the bot must confirm by asking the venue (cancel answered not-active).
        await h.advance(15_000);
      }
      const s = h.status();
      const p1 = s.positions.find((p) => p.n === 1);
      expect(p1, order).toBeDefined();
      expect(num(p1!.size)).toBe(1);
      expect(num(p1!.entryPrice)).toBe(100);
      const closes = h.placed().filter((p) => p.clientIndex === closeIdx(1));
      expect(closes).toHaveLength(1);
      expect(closes[0].req).toMatchObject({ side: 'sell', reduceOnly: true, timeInForce: 'post-only' });
      expect(num(closes[0].req.price)).toBe(100.04);
      expect(num(h.position().size)).toBe(1);
      // No second entry before grid-1:close was accepted.
      const second = entries(h).find((p) => p.n === 2);
      if (second) expect(second.at).toBeGreaterThanOrEqual(closes[0].at);
    }
  });

  it('ENT-06 partial entry fill, then timeout: a position for the filled amount', async () => {
    const h = await startHarness({ params: { timeoutMs: 60_000 } });
    await h.advance(10_000);
    h.control.counterpartyTrade(M, 'sell', '0.4');
    await h.advance(1);
    let s = h.status();
    expect(s.positions).toHaveLength(1);
    expect(num(s.positions[0].size)).toBe(0.4);
    // Resting exit never exceeds the filled size.
    const exitNow = h.liveOrders().filter((o) => o.reduceOnly);
    for (const o of exitNow) expect(num(o.size)).toBeLessThanOrEqual(0.4);
    await h.advance(50_000);
    s = h.status();
    expect(s.positions).toHaveLength(1);
    expect(s.positions[0].n).toBe(1);
    expect(num(s.positions[0].size)).toBe(0.4);
    const exit = h.liveOrders().find((o) => decodeClientIndex(o.clientIndex)?.n === 1 && o.reduceOnly)!;
    expect(exit).toBeDefined();
    expect(exit).toMatchObject({ side: 'sell', reduceOnly: true, timeInForce: 'post-only' });
    expect(num(exit.size)).toBe(0.4);
    expect(num(exit.price)).toBe(100.04);
    expect(num(h.position().size)).toBe(0.4);
    expect(num(s.trackedSize)).toBe(0.4);
    const entryOrder = h.control.allOrders(M).find((o) => o.clientIndex === entryIdx(1))!;
    expect(entryOrder.status).toBe('canceled');
    expect(num(entryOrder.filledSize)).toBe(0.4);
  });

  it('ENT-07 outcome unknown is resolved by asking the venue, never by guessing', async () => {
    // (a) the venue got it, the answer was lost: the order is open → waitingForFill for it.
    // (the stream is down too: nothing but the answer to a query can tell the bot)
    const a = await startHarness({ noStart: true });
    a.control.loseResponse('placeOrder');
    const undoA = a.control.dropStreamEvents((ev) => ev.type === 'order.updated');
    await a.start();
    undoA();
    expect(a.control.sentLog().some((s) => s.method === 'getOrder' && s.clientIndex === entryIdx(1))).toBe(true);
    expect(a.status().entryState).toBe('waitingForFill');
    expect(a.control.allOrders(M).filter((o) => o.clientIndex === entryIdx(1))).toHaveLength(1);

    // (b) it filled before the bot asked: grid-1 tracked, its exit placed.
    const b = await startHarness({ noStart: true });
    b.control.loseResponse('placeOrder');
    b.control.dropStreamEvents((ev) => ev.type === 'order.updated' || ev.type === 'order.filled');
    b.control.onOrderArrival((req, c) => {
      if (req.clientIndex === entryIdx(1)) queueMicrotask(() => c.counterpartyTrade(M, 'sell', '1'));
    });
    await b.start();
    await b.advance(100);
    expect(b.status().positions.map((p) => p.n)).toEqual([1]);
    expect(b.placed().some((p) => p.clientIndex === closeIdx(1))).toBe(true);

    // (c) the venue never had it: re-sent with the same index.
    const c = await startHarness({ noStart: true });
    c.control.failNext('placeOrder', new VenueError('outcome-unknown', 'socket closed before the send'));
    await c.start();
    const sends = c.placed().filter((p) => p.role.kind === 'entry');
    expect(sends.map((p) => p.clientIndex)).toEqual([entryIdx(1), entryIdx(1)]);
    expect(c.control.allOrders(M).filter((o) => o.clientIndex === entryIdx(1))).toHaveLength(1);
    expect(c.status().entryState).toBe('waitingForFill');
  });

  it('ENT-08 a duplicate client index means "already placed"', async () => {
    // The first send reaches the venue but its answer is a 5xx: the bot re-sends the same index.
    // (its stream reports are lost as well, so only the duplicate answer tells the bot)
    let undo: (() => void) | undefined;
    const wrap = (v: Venue): Venue => {
      let first = true;
      return Object.assign(Object.create(v) as Venue, {
        placeOrder: async (req: Parameters<Venue['placeOrder']>[0]) => {
          if (first && req.clientIndex === entryIdx(1)) {
            first = false;
            undo = (v as unknown as { control: Harness['control'] }).control.dropStreamEvents((ev) => ev.type === 'order.updated');
            await v.placeOrder(req);
            throw new VenueError('unavailable', 'HTTP 502 after processing');
          }
          undo?.();
          await v.placeOrder(req);
        },
      });
    };
    const h = await startHarness({ wrapVenue: wrap });
    await h.advance(2000);
    const sends = entries(h);
    expect(sends.length).toBe(2);
    expect(sends.every((p) => p.clientIndex === entryIdx(1))).toBe(true);
    expect(h.status().entryState).toBe('waitingForFill');
    expect(h.liveOrders().filter((o) => o.clientIndex === entryIdx(1))).toHaveLength(1);
    expect(h.journal.filter((j) => j.level === 'error')).toHaveLength(0);

    // And when the lookup shows it already cancelled post-only → ready, next is grid-2.
    const h2 = await startHarness({
      noStart: true,
      wrapVenue: wrap,
    });
    h2.control.onOrderArrival((req, c) => {
      if (req.clientIndex === entryIdx(1)) c.setBook(M, '99.90', '99.95');
    });
    await h2.start();
    h2.control.onOrderArrival(null);
    await h2.advance(5000);
    const e2 = entries(h2);
    expect(e2.filter((p) => p.n === 1).length).toBeGreaterThanOrEqual(1);
    expect(e2.some((p) => p.n === 2)).toBe(true);
    expect(h2.journal.filter((j) => j.level === 'error')).toHaveLength(0);
  });

  it('ENT-09 admission is separate from progress: a fill while paused gets its exit', async () => {
    const h = await startHarness({ params: { pausePrice: '100.50' } });
    h.control.setBook(M, '99.98', '101.10');
    await h.advance(10);
    expect(h.events('grid.paused')).toHaveLength(1);
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    const s = h.status();
    expect(s.positions.map((p) => p.n)).toEqual([1]);
    const close = h.placed().find((p) => p.clientIndex === closeIdx(1))!;
    expect(close).toBeDefined();
    expect(num(close.req.price)).toBe(100.04);
    expect(h.status().entryState).toBe('ready');
    await h.advance(60_000);
    expect(entries(h)).toHaveLength(1);
    h.control.setBook(M, '99.98', '100.02');
    await h.advance(1000);
    expect(h.events('grid.resumed')).toHaveLength(1);
    expect(h.status().gate.reasons).toEqual(['grid_step']);
    expect(entries(h)).toHaveLength(1);
  });

  it('ENT-10 entry size from notional: rounded down to the step, raised to the minimum', async () => {
    const cases: Array<[string, string, number]> = [
      ['99.98', '100.02', 1],
      ['99.97', '100.01', 1],
      ['99.99', '100.03', 0.999],
    ];
    for (const [bid, ask, size] of cases) {
      const h = await startHarness({ noStart: true, params: { quantity: undefined, notionalUsd: '100' } });
      h.control.setBook(M, bid, ask);
      await h.start();
      expect(num(entries(h)[0].req.size)).toBe(size);
    }
    const h = await startHarness({ params: { quantity: undefined, notionalUsd: '0.50' } });
    expect(num(entries(h)[0].req.size)).toBe(0.01);
    const warn = h.events('entry.size-raised');
    expect(warn).toHaveLength(1);
    expect(warn[0].message).toContain('0.01');
    h.control.setBook(M, '99.90', '99.95');
    await h.advance(60_000);
    expect(h.events('entry.size-raised')).toHaveLength(1);
  });
});
