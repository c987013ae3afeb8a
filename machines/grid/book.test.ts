/**
 * book.ts and the gate update it relies on: the patch of a book update, its journal entries,
 * the one-slot memo, and the allocation-free "nothing changed" answer of `gateUpdate` checked
 * against the full computation on live contexts of the real bot.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { liveGridContext, type Harness } from '../../test/harness.ts';
import type { GridParams, JournalEntry } from '../shared/types.ts';
import { bookUpdate, storesBookOnly, type BboEvent } from './book.ts';
import { EPISODE_REASONS, evaluateGate, restingExitCount } from './gate.ts';
import { gateUpdate } from './setup.ts';
import type { GridContext, RefusalReason } from './types.ts';

const harnesses: Harness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) h.bot.kill();
});

const liveContext = (params: Partial<GridParams>): Promise<GridContext> => liveGridContext(params, harnesses);

const bbo = (bid: string, ask: string, at: number): BboEvent => ({ type: 'market.bbo', bbo: { market: 'TEST', bid, ask, time: at }, at });

/** gateUpdate as computed before the fast path (the full computation, kept as the reference). */
function referenceGateUpdate(context: GridContext, book: GridContext['book'], now: number) {
  const reasons = evaluateGate(context, book, now);
  const open = reasons.length === 0;
  const resting = restingExitCount(context);
  const same = open === context.gate.open && reasons.length === context.gate.reasons.length && reasons.every((r, i) => r === context.gate.reasons[i]);
  const journaled = context.journaled.filter((r) => reasons.includes(r));
  const fresh = reasons.filter((r) => EPISODE_REASONS.has(r) && !journaled.includes(r));
  journaled.push(...fresh);
  const journaledChanged = journaled.length !== context.journaled.length || fresh.length > 0;
  if (same && !journaledChanged && context.prevResting === resting) return { patch: null, freshReasons: [] as RefusalReason[] };
  return { patch: { gate: same ? context.gate : { open, reasons }, journaled: journaledChanged ? journaled : context.journaled, prevResting: resting }, freshReasons: fresh };
}

const reasonOf = (j: JournalEntry) => (j.payload as { reason?: RefusalReason } | undefined)?.reason;

describe('book update (book.ts)', () => {
  it('while an entry rests and no price control is set, an update only stores the book and the time', async () => {
    const ctx = await liveContext({});
    expect(ctx.entryIdle).toBe(false);
    expect(storesBookOnly(ctx)).toBe(true);
    expect(storesBookOnly({ ...ctx, params: { ...ctx.params, pausePrice: '120' } })).toBe(false);
    expect(storesBookOnly({ ...ctx, entryIdle: true })).toBe(false);
  });

  it('with the gate refusing for the same reasons, the patch is the book and the time only, with nothing to journal', async () => {
    const ctx = await liveContext({ maxMarginUsd: '1' });
    expect(ctx.entryIdle).toBe(true);
    expect(ctx.gate.reasons).toContain('margin_cap');
    const ev = bbo(ctx.book!.bid, ctx.book!.ask, ctx.now + 100);
    const u = bookUpdate(ctx, ev);
    expect(u.journal).toEqual([]);
    expect(u.patch).toEqual({ book: { bid: ctx.book!.bid, ask: ctx.book!.ask }, now: ctx.now + 100 });
    // An older event time never moves the context's time back.
    expect(bookUpdate(ctx, bbo(ctx.book!.bid, ctx.book!.ask, ctx.now - 5)).patch.now).toBe(ctx.now);
  });

  it('an episode that starts is journaled once and recorded as journaled', async () => {
    const ctx = await liveContext({ maxMarginUsd: '1' });
    const forgotten: GridContext = { ...ctx, journaled: [] };
    const u = bookUpdate(forgotten, bbo(ctx.book!.bid, ctx.book!.ask, ctx.now + 1));
    expect(u.journal.map((j) => j.type)).toEqual(['risk.margin-cap-hit']);
    expect(u.patch.journaled).toContain('margin_cap');
    // Applied, the same book journals nothing more.
    const next: GridContext = { ...forgotten, ...u.patch } as GridContext;
    expect(bookUpdate(next, bbo(ctx.book!.bid, ctx.book!.ask, ctx.now + 2)).journal).toEqual([]);
  });

  it('a pause-price breach journals grid.paused and sets the flag; back within, grid.resumed', async () => {
    const ctx = await liveContext({ maxMarginUsd: '1' });
    const withPause: GridContext = { ...ctx, params: { ...ctx.params, pausePrice: '99.50' } };
    const up = bookUpdate(withPause, bbo('99.90', '99.94', ctx.now + 1));
    expect(up.patch.paused).toBe(true);
    expect(up.journal[0]?.type).toBe('grid.paused');
    const paused: GridContext = { ...withPause, ...up.patch } as GridContext;
    const down = bookUpdate(paused, bbo('99.30', '99.34', ctx.now + 2));
    expect(down.patch.paused).toBe(false);
    expect(down.journal[0]?.type).toBe('grid.resumed');
  });

  it('the guard and the action of one transition share one evaluation; another context is evaluated afresh', async () => {
    const ctx = await liveContext({ maxMarginUsd: '1' });
    const ev = bbo('99.97', '100.01', ctx.now + 1);
    const a = bookUpdate(ctx, ev);
    expect(bookUpdate(ctx, ev)).toBe(a);
    const copy: GridContext = { ...ctx };
    const b = bookUpdate(copy, ev);
    expect(b).not.toBe(a);
    expect(b).toEqual(a);
  });
});

describe('gateUpdate: the "nothing changed" answer', () => {
  it('equals the full computation over books, journaled sets and resting counts on live contexts', async () => {
    const contexts = [await liveContext({ maxMarginUsd: '1' }), await liveContext({}), await liveContext({ gridStepPct: '5', maxMarginUsd: '1' })];
    const journaledVariants: RefusalReason[][] = [[], ['margin_cap'], ['grid_step'], ['margin_cap', 'grid_step'], ['max_orders'], ['cooldown']];
    const books = [
      { bid: '99.98', ask: '100.02' },
      { bid: '90.00', ask: '90.04' },
      { bid: '110.00', ask: '110.04' },
    ];
    let checked = 0;
    for (const base of contexts) {
      for (const journaled of journaledVariants) {
        for (const prevResting of [null, 0, 1]) {
          for (const book of books) {
            // The gate as it stands, and one that differs from the evaluation.
            const reasons = evaluateGate(base, book, base.now);
            for (const gate of [{ open: reasons.length === 0, reasons }, { open: false, reasons: ['not_trading'] as RefusalReason[] }]) {
              const ctx: GridContext = { ...base, journaled, prevResting, gate };
              const got = gateUpdate(ctx, book, ctx.now);
              const want = referenceGateUpdate(ctx, book, ctx.now);
              expect(got.patch).toEqual(want.patch);
              expect(got.journal.map(reasonOf)).toEqual(want.freshReasons);
              checked++;
            }
          }
        }
      }
    }
    expect(checked).toBe(contexts.length * journaledVariants.length * 3 * books.length * 2);
  });
});
