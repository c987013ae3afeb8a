/**
 * Bot.resume(): the answer `grid-bot resume` and POST /resume print. Besides lifting a pause
 * or a halt, a range grid's resume sends its parked legs fresh exits — the answer says so
 * instead of "nothing to resume".
 */
import { describe, expect, it } from 'vitest';
import { VenueError } from '../../adapters/types.ts';
import { rangeParams } from '../../machines/variants/range-grid/sim-runner.ts';
import { rangeGridVariant } from '../../machines/variants/range-grid/variant.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import { Dec } from '../domain/decimal.ts';
import { startHarness } from '../../test/harness.ts';
import { Bot } from './bot.ts';

describe('Bot.resume', () => {
  it('a range grid with a parked leg (its exit was refused) answers with the legs that got a fresh exit; asked again, nothing to resume', async () => {
    const h = await startHarness({ noStart: true });
    h.control.setBook(h.market, '100.00', '100.02');
    h.bot = new Bot({
      variant: rangeGridVariant,
      params: rangeParams({ direction: 'neutral', maxRestingOrders: 4 }),
      market: h.market,
      slot: 1,
      targetLeverage: 20,
      venue: h.venue,
      clock: h.clock,
      kv: h.kv,
      identity: { venue: 'sim', account: 'paper', market: h.market, slot: 1, variant: 'range-grid' },
      journal: (r) => h.journal.push(r),
    });
    await h.bot.start();
    await h.settle();
    const e102 = h.liveOrders().find((o) => new Dec(o.price).eq(102) && decodeClientIndex(o.clientIndex)?.role.kind === 'entry')!;
    expect(e102).toBeDefined();
    h.control.failNext('placeOrder', new VenueError('rejected', 'invalid order base or quote amount (21706)'));
    h.control.counterpartyFill(h.market, e102.clientIndex);
    await h.settle();
    expect(h.events('level.exit-rejected').map((e) => e.payload!.level)).toEqual([6]);

    expect(h.bot.resume()).toEqual({ ok: true, message: 'resumed: 1 parked leg(s) get a fresh exit (level 6)' });
    await h.settle();
    expect(h.liveOrders().filter((o) => o.side === 'buy' && new Dec(o.price).eq(100) && decodeClientIndex(o.clientIndex)?.role.kind !== 'entry')).toHaveLength(1);
    expect(h.bot.resume()).toEqual({ ok: true, message: 'nothing to resume' });
    await h.bot.stop();
  });
});
