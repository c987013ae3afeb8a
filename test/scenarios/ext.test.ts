/**
 * EXT scenarios (acceptance-scenarios.md): exits of tracked positions — take-profit placement,
 * boost mode, widening reposts and market fallback, partial TP fills, refresh before expiry,
 * transient placement errors.
 */
import { describe, expect, it } from 'vitest';
import { VenueError } from '../../adapters/types.ts';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { DAY, startHarness, type Harness } from '../harness.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s);
const idx = (n: number, r: ReturnType<(typeof role)[keyof typeof role]>) => encodeClientIndex(1, n, r);

function exitsOf(h: Harness, n: number) {
  return h.placed().filter((p) => p.n === n && p.role.kind !== 'entry');
}

/** Starts the base fixture and fills grid-1:entry (buy 1 at 100.00). */
async function filledOne(over: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(over);
  h.control.counterpartyTrade(M, over.params?.direction === 'sell' ? 'buy' : 'sell', '1');
  return h;
}

describe('EXT exits', () => {
  it('EXT-01 each fill gets a reduce-only post-only take-profit at the margin-basis price', async () => {
    const h = await startHarness();
    await h.advance(3000);
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1);
    expect(h.events('entry.filled')).toHaveLength(1);
    expect(h.events('position.tracked')).toHaveLength(1);
    const close = exitsOf(h, 1);
    expect(close).toHaveLength(1);
    expect(close[0].clientIndex).toBe(idx(1, role.close()));
    expect(close[0].req).toMatchObject({ side: 'sell', type: 'limit', timeInForce: 'post-only', reduceOnly: true });
    expect(num(close[0].req.price)).toBe(100.04);
    expect(num(close[0].req.size)).toBe(1);
    expect(close[0].req.expiresAt as number).toBeGreaterThan(h.clock.now() + 7 * DAY);
    expect(h.events('exit.placed')).toHaveLength(1);
    const s = h.status();
    expect(s.positions[0].state).toBe('exitResting');
    expect(s.entryState).toBe('ready');
    const readyAt = h.clock.now();
    // 1 resting exit: cooldown wait_time / 2 = 5 s, and then the grid step still refuses.
    await h.advance(4999);
    expect(h.status().gate.reasons).toContain('cooldown');
    await h.advance(2);
    expect(h.status().gate.reasons).not.toContain('cooldown');
    expect(h.status().gate.reasons).toContain('grid_step');
    expect(h.placed().filter((p) => p.role.kind === 'entry')).toHaveLength(1);
    expect(h.clock.now() - readyAt).toBeGreaterThan(5000);
  });

  it('EXT-03 boost mode exits with a reduce-only market order', async () => {
    for (const direction of ['buy', 'sell'] as const) {
      const h = await filledOne({ params: { boost: true, direction } });
      await h.advance(1000);
      const exits = exitsOf(h, 1);
      expect(exits).toHaveLength(1);
      expect(exits[0].clientIndex).toBe(idx(1, role.marketExit(1)));
      expect(exits[0].req).toMatchObject({ side: direction === 'buy' ? 'sell' : 'buy', type: 'market', timeInForce: 'ioc', reduceOnly: true });
      expect(num(exits[0].req.size)).toBe(1);
      const fill = h.control.accountFills(M).find((f) => f.clientIndex === idx(1, role.marketExit(1)))!;
      expect(num(fill.price)).toBe(direction === 'buy' ? 99.98 : 100.02);
      expect(num(h.position().size)).toBe(0);
      expect(h.status().positions).toHaveLength(0);
      expect(num(h.status().realizedPnl)).toBe(-0.02);
      expect(h.events('position.closed')).toHaveLength(1);
    }
  });

  async function crossingRepostRun(direction: 'buy' | 'sell') {
    const h = await startHarness({ noStart: true, params: { direction, gridStepPct: '0.05' } });
    // Every exit of grid-1 meets a book that has just moved 0.10 towards it.
    // The books of the scenario, one per exit that reaches the venue.
    const books =
      direction === 'buy'
        ? [['100.10', '100.14'], ['100.20', '100.24'], ['100.30', '100.34'], ['100.40', '100.44']]
        : [['99.88', '99.92'], ['99.78', '99.82'], ['99.68', '99.72'], ['99.58', '99.62']];
    let moves = 0;
    h.control.onOrderArrival((req, c) => {
      const d = decodeClientIndex(req.clientIndex);
      if (d && d.n === 1 && d.role.kind !== 'entry' && req.type === 'limit' && moves < books.length) {
        const [bid, ask] = books[moves++];
        c.setBook(M, bid, ask);
      }
    });
    await h.start();
    h.control.counterpartyTrade(M, direction === 'buy' ? 'sell' : 'buy', '1');
    await h.advance(5000);
    return h;
  }

  it('EXT-04 exit cancelled for crossing: widening reposts, then a market close of that position only', async () => {
    const h = await crossingRepostRun('buy');
    const exits = exitsOf(h, 1);
    expect(exits.map((e) => e.role)).toEqual([role.close(), role.closeRetry(1), role.closeRetry(2), role.closeRetry(3), role.marketExit(1)]);
    expect(exits.slice(0, 4).map((e) => num(e.req.price))).toEqual([100.04, 100.12, 100.24, 100.36]);
    for (const e of exits.slice(0, 4)) expect(e.req).toMatchObject({ side: 'sell', reduceOnly: true, timeInForce: 'post-only', size: expect.anything() });
    for (let i = 1; i < exits.length; i++) expect(exits[i].at - exits[i - 1].at).toBeGreaterThanOrEqual(250);
    expect(h.events('exit.reposted')).toHaveLength(3);
    expect(h.events('exit.retry-limit-exceeded')).toHaveLength(1);
    expect(h.events('exit.market-fallback')).toHaveLength(1);
    expect(exits[4].req).toMatchObject({ type: 'market', reduceOnly: true, side: 'sell' });
    const fill = h.control.accountFills(M).find((f) => f.clientIndex === idx(1, role.marketExit(1)))!;
    expect(num(fill.price)).toBe(100.4);
    expect(h.status().positions.find((p) => p.n === 1)).toBeUndefined();
    expect(h.events('position.closed')).toHaveLength(1);
  });

  it('EXT-04 other tracked exits stay untouched while one position falls back to market', async () => {
    // grid-1 tracked at 101.00 with its exit resting at 101.05; then grid-2 runs the repost ladder.
    const h = await startHarness({ noStart: true, params: { gridStepPct: '0.05' } });
    h.control.setBook(M, '100.98', '101.02');
    await h.start();
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(num(exitsOf(h, 1)[0].req.price)).toBe(101.05);
    h.control.setBook(M, '99.98', '100.02');
    const books = [['100.10', '100.14'], ['100.20', '100.24'], ['100.30', '100.34'], ['100.40', '100.44']];
    let moves = 0;
    h.control.onOrderArrival((req, c) => {
      const d = decodeClientIndex(req.clientIndex);
      if (d && d.n === 2 && d.role.kind !== 'entry' && req.type === 'limit' && moves < books.length) {
        const [bid, ask] = books[moves++];
        c.setBook(M, bid, ask);
      }
    });
    await h.advance(20_000);
    const g2entry = h.placed().find((p) => p.n === 2 && p.role.kind === 'entry')!;
    expect(num(g2entry.req.price)).toBe(100);
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(5000);
    const e2 = exitsOf(h, 2);
    expect(e2.map((e) => e.role.kind)).toEqual(['close', 'close-retry', 'close-retry', 'close-retry', 'market-exit']);
    expect(e2.slice(0, 4).map((e) => num(e.req.price))).toEqual([100.04, 100.12, 100.24, 100.36]);
    // grid-1:close was never cancelled or modified and grid-1 stays tracked.
    expect(h.control.sentLog().filter((s) => s.method === 'cancelOrder' && s.clientIndex === idx(1, role.close()))).toHaveLength(0);
    expect(h.liveOrders().some((o) => o.clientIndex === idx(1, role.close()))).toBe(true);
    expect(h.status().positions.map((p) => p.n)).toEqual([1]);
    expect(num(h.position().size)).toBe(1);
  });

  it('EXT-05 short-grid exit retries price below the ask', async () => {
    const h = await crossingRepostRun('sell');
    const exits = exitsOf(h, 1);
    expect(exits.map((e) => e.role.kind)).toEqual(['close', 'close-retry', 'close-retry', 'close-retry', 'market-exit']);
    expect(exits.slice(0, 4).map((e) => num(e.req.price))).toEqual([99.96, 99.9, 99.78, 99.66]);
    for (const e of exits) expect(e.req).toMatchObject({ side: 'buy', reduceOnly: true });
    const fill = h.control.accountFills(M).find((f) => f.clientIndex === idx(1, role.marketExit(1)))!;
    expect(num(fill.price)).toBe(99.62);
    expect(num(h.position().size)).toBe(0);
  });

  it('EXT-06 partial take-profit fills reduce the position', async () => {
    const h = await filledOne();
    await h.advance(1000);
    h.control.counterpartyFill(M, idx(1, role.close()), '0.3');
    await h.advance(10);
    let p = h.status().positions.find((x) => x.n === 1)!;
    expect(num(p.remaining)).toBe(0.7);
    expect(p.state).toBe('exitResting');
    expect(exitsOf(h, 1)).toHaveLength(1);
    expect(num(h.position().size)).toBe(0.7);
    h.control.counterpartyFill(M, idx(1, role.close()), '0.7');
    await h.advance(10);
    expect(h.status().positions.find((x) => x.n === 1)).toBeUndefined();
    expect(h.events('exit.filled')).toHaveLength(2);
    expect(h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex)?.n === 1)).toHaveLength(0);
    expect(num(h.status().realizedPnl)).toBe(0.04);
    expect(num(h.position().size)).toBe(0);
  });

  // (recovery_mode none: with a recovery mode, an exit resting past position_timeout — at most
  // 1 day — is recovered long before a 28-day expiry.)
  it('EXT-07 resting exits are refreshed before they expire', async () => {
    const L = 28 * DAY;
    const R = DAY;
    const h = await filledOne({ params: { gridStepPct: '50', exitLifetimeMs: L, exitRefreshLeadMs: R, recoveryMode: 'none', reconcileEveryMs: DAY } });
    await h.advance(1000);
    const placedAt = exitsOf(h, 1)[0].at;
    await h.advanceTo(placedAt + L - R - 1000);
    expect(exitsOf(h, 1)).toHaveLength(1);
    await h.advanceTo(placedAt + L - R + 1000);
    const exits = exitsOf(h, 1);
    expect(exits).toHaveLength(2);
    expect(exits[1].role).toEqual(role.refresh(1));
    expect(num(exits[1].req.price)).toBe(100.04);
    expect(num(exits[1].req.size)).toBe(1);
    expect(exits[1].req.expiresAt as number).toBeGreaterThan(placedAt + L);
    expect(h.events('exit.refreshed')).toHaveLength(1);
    const old = h.control.allOrders(M).find((o) => o.clientIndex === idx(1, role.close()))!;
    expect(old.status).toBe('canceled');
    expect(old.cancelReason).not.toBe('expired');
    // The retry count is unchanged: a crossing cancel of the refreshed exit leads to close-retry-1.
    const live = h.liveOrders().filter((o) => o.reduceOnly);
    expect(live).toHaveLength(1);
    h.control.cancelByUser(M, live[0].clientIndex);
    await h.advance(1000);
    expect(exitsOf(h, 1)[2].role).toEqual(role.closeRetry(1));
  });

  it('EXT-07 an exit that fills while being refreshed closes the position; an expired one is re-placed', async () => {
    const L = 28 * DAY;
    const R = DAY;
    const h = await filledOne({ params: { gridStepPct: '50', recoveryMode: 'none', reconcileEveryMs: DAY } });
    await h.advance(1000);
    const placedAt = exitsOf(h, 1)[0].at;
    h.control.holdCancelConfirmation(500);
    await h.advanceTo(placedAt + L - R + 1);
    h.control.counterpartyFill(M, idx(1, role.close()));
    await h.advance(2000);
    expect(h.status().positions).toHaveLength(0);
    expect(exitsOf(h, 1)).toHaveLength(1);

    // The bot is stopped past L: the exit expires on the venue; on restart it is re-placed.
    const h2 = await filledOne({ params: { gridStepPct: '50', recoveryMode: 'none', reconcileEveryMs: DAY } });
    await h2.advance(1000);
    const at2 = exitsOf(h2, 1)[0].at;
    h2.bot.kill();
    await h2.advanceTo(at2 + L + 1000);
    expect(h2.control.allOrders(M).find((o) => o.clientIndex === idx(1, role.close()))!.cancelReason).toBe('expired');
    await h2.start();
    await h2.advance(1000);
    const e = exitsOf(h2, 1);
    expect(e.length).toBe(2);
    expect(num(e[1].req.size)).toBe(1);
    expect(h2.liveOrders().filter((o) => o.reduceOnly)).toHaveLength(1);
  });

  it('EXT-08 an exit that cannot be placed is retried; the next level waits for it', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.0001' } });
    h.control.failNext('placeOrder', new VenueError('rate-limited', '429'), 1);
    h.control.failNext('placeOrder', new VenueError('unavailable', '503'), 1);
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(100);
    expect(h.status().positions[0].state).toMatch(/placingExit|placeBackoff/);
    expect(h.status().entryState).toBe('awaitingExit');
    await h.advance(10_000);
    const exits = exitsOf(h, 1);
    expect(exits).toHaveLength(3);
    expect(new Set(exits.map((e) => e.clientIndex)).size).toBe(1);
    for (const e of exits) expect(num(e.req.price)).toBe(100.04);
    expect(exits[1].at).toBeGreaterThan(exits[0].at);
    const acceptedAt = exits[2].at;
    const nextEntries = h.placed().filter((p) => p.role.kind === 'entry' && p.n === 2);
    for (const e of nextEntries) expect(e.at).toBeGreaterThanOrEqual(acceptedAt);
  });
});
