/**
 * The level child alone, driven with `.provide()` fakes inside a tiny test parent that records
 * what the child sends up (report, request-n, round-trip) and grants n on request.
 */
import { describe, expect, it } from 'vitest';
import { assign, createActor, fromCallback, fromPromise, setup, spawnChild, type AnyActorRef } from 'xstate';
import { VenueError, type VenueFill, type VenueOrder } from '../../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../../src/domain/client-index.ts';
import type { CancelOrderInput, PlaceOrderInput, PlaceOrderOutput, QueryOrderInput, QueryOrderOutput } from '../../shared/types.ts';
import { MAX_EXITS_PER_N, exitRole } from './level.logic.ts';
import { levelMachine } from './level.machine.ts';
import type { LevelInput, LevelToRoot } from './types.ts';

const tick = () => new Promise((r) => setTimeout(r, 0));

function harness(opts: { placeFails?: Array<VenueError | null>; query?: VenueOrder | null; input?: Partial<LevelInput> } = {}) {
  const placed: PlaceOrderInput[] = [];
  const cancels: number[] = [];
  const queries: number[] = [];
  const fromChild: LevelToRoot[] = [];
  const journal: string[] = [];
  const fails = [...(opts.placeFails ?? [])];
  let nextN = 7;
  const level = levelMachine.provide({
    actors: {
      placeOrder: fromPromise<PlaceOrderOutput, PlaceOrderInput>(async ({ input }) => {
        placed.push(input);
        const f = fails.shift();
        if (f) throw f;
        return { at: 1, clientIndex: input.order.clientIndex };
      }),
      cancelOrder: fromPromise<PlaceOrderOutput, CancelOrderInput>(async ({ input }) => {
        cancels.push(input.clientIndex);
        return { at: 1 };
      }),
      queryOrder: fromPromise<QueryOrderOutput, QueryOrderInput>(async ({ input }) => {
        queries.push(input.clientIndex);
        return { order: opts.query ?? null, fills: [], at: 1 };
      }),
      deadline: fromCallback(() => () => {}),
    },
    actions: { journal: (_: unknown, p: { type: string }) => void journal.push(p.type) },
  });
  const input: LevelInput = { level: 4, market: 'TEST', slot: 1, tick: '0.01', buy: '98', sell: '98', exitSell: '100', exitBuy: '96', reduceOnlyExits: true, now: 0, book: { bid: '100', ask: '100.02' }, ...opts.input };
  const parent = setup({ actors: { level }, types: { events: {} as LevelToRoot } }).createMachine({
    entry: spawnChild('level', { id: 'l', input }),
    on: {
      '*': {
        actions: [
          assign(({ event }) => {
            fromChild.push(event);
            return {};
          }),
          ({ event, self }) => {
            if (event.type === 'level.request-n') (self.getSnapshot().children.l as AnyActorRef).send({ type: 'level.grant-n', n: nextN++, at: 1 });
          },
        ],
      },
    },
  });
  const actor = createActor(parent).start();
  const child = () => actor.getSnapshot().children.l as AnyActorRef;
  const state = () => {
    const v = child().getSnapshot().value;
    return typeof v === 'string' ? v : Object.keys(v)[0];
  };
  const send = async (ev: object) => {
    child().send(ev);
    await tick();
  };
  return { placed, cancels, queries, fromChild, journal, child, state, send };
}

const order = (clientIndex: number, over: Partial<VenueOrder> = {}): VenueOrder => ({
  market: 'TEST', clientIndex, side: 'buy', type: 'limit', price: '98', size: '0.5', filledSize: '0', status: 'open', reduceOnly: false, timeInForce: 'post-only', createdAt: 1, updatedAt: 1, ...over,
});
const fill = (clientIndex: number, tradeId: string, price: string, size: string, side: 'buy' | 'sell' = 'buy'): VenueFill => ({ market: 'TEST', tradeId, clientIndex, side, price, size, fee: '0', liquidity: 'maker', time: 1 });

describe('level child', () => {
  it('VAR-04 an arm asks the root for a fresh n; the entry is sent write-ahead under it, post-only', async () => {
    const h = harness();
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    expect(h.fromChild.filter((e) => e.type === 'level.request-n')).toEqual([{ type: 'level.request-n', level: 4, purpose: 'entry' }]);
    expect(h.placed).toHaveLength(1);
    expect(h.placed[0].writeAhead).toBe(true);
    expect(h.placed[0].order).toMatchObject({ clientIndex: encodeClientIndex(1, 7, role.entry()), side: 'buy', price: '98', size: '0.5', postOnly: true, reduceOnly: false });
    expect(h.state()).toBe('entryResting');
  });

  it('VAR-04 a partial fill cancels the rest first; the exit is sized to what filled; repeated fills count once; profit reported', async () => {
    const h = harness();
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '98', '0.2'), at: 2, book: null });
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '98', '0.2'), at: 2, book: null }); // the same trade again
    expect(h.state()).toBe('entryCancelling');
    expect(h.cancels).toEqual([idx]);
    await h.send({ type: 'level.order-updated', order: order(idx, { filledSize: '0.2', status: 'canceled', cancelReason: 'by-user' }), at: 3, book: null });
    expect(h.state()).toBe('exitResting');
    const exit = h.placed[1];
    expect(exit.writeAhead).toBe(false);
    expect(exit.order).toMatchObject({ side: 'sell', price: '100', size: '0.2', reduceOnly: true, postOnly: true });
    expect(decodeClientIndex(exit.order.clientIndex)).toMatchObject({ n: 7, role: { kind: 'close' } });
    await h.send({ type: 'level.fill', fill: fill(exit.order.clientIndex, 't2', '100', '0.2', 'sell'), at: 4, book: null });
    expect(h.state()).toBe('idle');
    const trip = h.fromChild.find((e) => e.type === 'level.round-trip');
    expect(trip).toMatchObject({ report: { level: 4, n: 7, side: 'buy', size: '0.2', entryPrice: '98', exitPrice: '100', profit: '0.4' } });
    expect(h.journal).toContain('level.round-trip');
  });

  it('range-grid chaos seed 1 run 20: a fill delivered twice (stream duplicate, replay after a restart) is journaled once; a fill of no order of the level is not journaled', async () => {
    const h = harness();
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '98', '0.2'), at: 2, book: null });
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '98', '0.2'), at: 3, book: null });
    await h.send({ type: 'level.fill', fill: fill(encodeClientIndex(1, 3, role.close()), 't0', '100', '0.5', 'sell'), at: 3, book: null });
    expect(h.journal.filter((t) => t === 'level.filled')).toHaveLength(1);
    await h.send({ type: 'level.fill', fill: fill(idx, 't2', '98', '0.3'), at: 4, book: null });
    expect(h.journal.filter((t) => t === 'level.filled')).toHaveLength(2);
    expect(h.child().getSnapshot().context.entry.filled).toBe('0.5');
  });

  /** Seed 3 run 10 shape: neutral BTC-like level, a sell entry at 60061.3 exits with a buy at 60043.7; min 0.0001 BTC / 10 USD. */
  const dust = { level: 15, market: 'BTC', tick: '0.1', buy: '60061.2', sell: '60061.3', exitSell: '60078.9', exitBuy: '60043.7', reduceOnlyExits: false, minBase: '0.0001', minQuote: '10', book: { bid: '60050', ask: '60050.1' } };

  it('range-grid chaos seed 3 run 10: a partial fill below the exit minimum keeps the entry resting; it exits once enough has filled', async () => {
    const h = harness({ input: dust });
    await h.send({ type: 'level.arm', side: 'sell', price: '60061.3', size: '0.0005', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    // 0.00016 × 60043.7 = 9.607 USD < 10: an exit of it alone would be refused, so nothing is cancelled.
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '60061.3', '0.00016', 'sell'), at: 2, book: null });
    expect(h.state()).toBe('entryResting');
    expect(h.cancels).toEqual([]);
    expect(h.placed).toHaveLength(1);
    // 0.0002 × 60043.7 = 12.009 USD: enough; the rest is cancelled, then what filled is exited.
    await h.send({ type: 'level.fill', fill: fill(idx, 't2', '60061.3', '0.00004', 'sell'), at: 3, book: null });
    expect(h.state()).toBe('entryCancelling');
    expect(h.cancels).toEqual([idx]);
    await h.send({ type: 'level.order-updated', order: order(idx, { side: 'sell', price: '60061.3', size: '0.0005', filledSize: '0.0002', status: 'canceled', cancelReason: 'by-user' }), at: 4, book: null });
    expect(h.state()).toBe('exitResting');
    expect(h.placed[1].order).toMatchObject({ side: 'buy', price: '60043.7', size: '0.0002', reduceOnly: false, postOnly: true });
  });

  it('range-grid chaos seed 3 run 10: a partial fill below the exit minimum that then fills fully goes straight to its exit (no cancel)', async () => {
    const h = harness({ input: dust });
    await h.send({ type: 'level.arm', side: 'sell', price: '60061.3', size: '0.0005', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '60061.3', '0.00016', 'sell'), at: 2, book: null });
    await h.send({ type: 'level.order-updated', order: order(idx, { side: 'sell', price: '60061.3', size: '0.0005', filledSize: '0.0005', status: 'filled' }), at: 3, book: null });
    expect(h.cancels).toEqual([]);
    expect(h.state()).toBe('exitResting');
    expect(h.placed[1].order).toMatchObject({ side: 'buy', price: '60043.7', size: '0.0005' });
  });

  it('range-grid chaos seed 3 run 10: disarmed with a sub-minimum partial: the rest is cancelled, the refused exit parks the leg; level.resume sends it back to holding', async () => {
    const rejected = new VenueError('rejected', 'invalid order base or quote amount (21706)');
    const h = harness({ input: dust, placeFails: [null, rejected] });
    await h.send({ type: 'level.arm', side: 'sell', price: '60061.3', size: '0.0005', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.fill', fill: fill(idx, 't1', '60061.3', '0.00016', 'sell'), at: 2, book: null });
    expect(h.state()).toBe('entryResting');
    await h.send({ type: 'level.disarm', at: 3 });
    expect(h.cancels).toEqual([idx]);
    await h.send({ type: 'level.order-updated', order: order(idx, { side: 'sell', price: '60061.3', size: '0.0005', filledSize: '0.00016', status: 'canceled', cancelReason: 'by-user' }), at: 4, book: null });
    expect(h.placed[1].order).toMatchObject({ side: 'buy', price: '60043.7', size: '0.00016', reduceOnly: false });
    expect(h.state()).toBe('parked');
    expect(h.journal).toContain('level.exit-rejected');
    await h.send({ type: 'level.resume', at: 5, book: null });
    expect(h.placed).toHaveLength(3);
    expect(decodeClientIndex(h.placed[2].order.clientIndex)).toMatchObject({ role: { kind: 'close-retry', seq: 1 } });
    expect(h.state()).toBe('exitResting');
  });

  it('outcome unknown: asks the venue and re-sends the SAME index only when the venue never had it', async () => {
    const h = harness({ placeFails: [new VenueError('outcome-unknown', 'socket closed')], query: null });
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    await h.send({ type: 'noop' });
    expect(h.queries).toEqual([h.placed[0].order.clientIndex]);
    expect(h.placed.map((p) => p.order.clientIndex)).toEqual([h.placed[0].order.clientIndex, h.placed[0].order.clientIndex]);
    expect(h.state()).toBe('entryResting');
  });

  it('a disarm cancels the entry; nothing filled → idle (the root may stop the child)', async () => {
    const h = harness();
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.disarm', at: 2 });
    expect(h.cancels).toEqual([idx]);
    await h.send({ type: 'level.order-updated', order: order(idx, { status: 'canceled', cancelReason: 'by-user' }), at: 3, book: null });
    expect(h.state()).toBe('idle');
    const last = h.fromChild.filter((e) => e.type === 'level.report').at(-1);
    expect(last).toMatchObject({ summary: { state: 'idle', held: '0', liveEntry: false, ns: [] } });
  });

  it('every exit takes a new role (close, close-retry-1..3, refresh-1..64), then a fresh n from the root', async () => {
    expect([0, 1, 3, 4, 67].map((k) => exitRole(k))).toEqual([role.close(), role.closeRetry(1), role.closeRetry(3), role.refresh(1), role.refresh(64)]);
    const h = harness();
    await h.send({ type: 'level.arm', side: 'buy', price: '98', size: '0.5', at: 1, book: null });
    const idx = h.placed[0].order.clientIndex;
    await h.send({ type: 'level.order-updated', order: order(idx, { filledSize: '0.5', status: 'filled' }), at: 2, book: null });
    for (let k = 0; k < MAX_EXITS_PER_N; k++) {
      const x = h.placed.at(-1)!.order;
      await h.send({ type: 'level.order-updated', order: order(x.clientIndex, { side: 'sell', price: x.price, status: 'canceled', cancelReason: 'post-only' }), at: 3 + k, book: { bid: '100', ask: '100.02' } });
    }
    const exits = h.placed.slice(1);
    const indexes = exits.map((p) => p.order.clientIndex);
    expect(new Set(indexes).size).toBe(indexes.length);
    expect(h.fromChild.filter((e) => e.type === 'level.request-n').map((e) => (e as { purpose: string }).purpose)).toEqual(['entry', 'exit']);
    const fresh = exits.at(-1)!;
    expect(decodeClientIndex(fresh.order.clientIndex)).toMatchObject({ n: 8, role: { kind: 'close' } });
    expect(fresh.writeAhead).toBe(true);
    // A crossed target is re-placed passive: bid 100 → 100.01, never below the level's 100.
    expect(exits[1].order.price).toBe('100.01');
  });
});
