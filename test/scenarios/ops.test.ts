/**
 * Operator commands (grid-strategy.md §5): pause (a persisted latch on new entries only),
 * resume, flatten (the stop-price procedure, then halted) and cancel-all (entry and exits
 * cancelled, positions kept, halted; exits placed again on resume).
 */
import { describe, expect, it } from 'vitest';
import { decodeClientIndex, encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { startHarness, type Harness } from '../harness.ts';

const M = 'TEST';
const num = (s: unknown) => Number(s);
const idx = (n: number, r: ReturnType<(typeof role)[keyof typeof role]>) => encodeClientIndex(1, n, r);
const entries = (h: Harness) => h.placed().filter((p) => p.role.kind === 'entry');
const ours = (h: Harness) => h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex));

describe('operator commands', () => {
  it('pause latches new entries only, survives a restart, and resume lifts it', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    h.bot.send({ type: 'operator.pause', at: h.clock.now() });
    await h.advance(100);
    expect(h.status().gate.reasons).toContain('operator_pause');
    expect(h.events('operator.paused')).toHaveLength(1);
    // The resting entry still fills and gets its exit while paused.
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(h.placed().some((p) => p.clientIndex === idx(1, role.close()))).toBe(true);
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(60_000);
    expect(entries(h)).toHaveLength(1);
    await h.bot.flush();
    await h.restart();
    await h.advance(60_000);
    expect(entries(h)).toHaveLength(1);
    expect(h.status().gate.reasons).toContain('operator_pause');
    expect(h.bot.resume().message).toMatch(/pause lifted/);
    await h.advance(5000);
    expect(entries(h).length).toBe(2);
    expect(h.events('operator.resumed')).toHaveLength(1);
  });

  it('flatten closes everything reduce-only, retires positions and latches halted until resume', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    expect(ours(h).length).toBe(2); // grid-1:close and grid-2:entry
    h.bot.send({ type: 'operator.flatten', at: h.clock.now() });
    await h.advance(5000);
    const closes = h.placed().filter((p) => p.role.kind === 'flatten');
    expect(closes).toHaveLength(1);
    expect(closes[0].req).toMatchObject({ type: 'market', side: 'sell', reduceOnly: true });
    expect(num(closes[0].req.size)).toBe(1);
    expect(num(h.position().size)).toBe(0);
    expect(ours(h)).toHaveLength(0);
    expect(h.status().positions).toHaveLength(0);
    expect(h.status().gate.reasons).toContain('halted');
    expect(h.events('flatten.executed')).toHaveLength(1);
    const before = entries(h).length;
    await h.advance(60_000);
    expect(entries(h).length).toBe(before);
    expect(h.bot.resume().ok).toBe(true);
    await h.advance(5000);
    expect(entries(h).length).toBeGreaterThan(before);
  });

  it('cancel-all cancels the entry and every exit, keeps positions tracked, and resume re-places the exits', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    h.control.setBook(M, '99.76', '99.80');
    await h.advance(20_000);
    h.bot.send({ type: 'operator.cancel-all', at: h.clock.now() });
    await h.advance(5000);
    expect(ours(h)).toHaveLength(0);
    const s = h.status();
    expect(s.positions.map((p) => [p.n, p.state])).toEqual([[1, 'suspended']]);
    expect(num(h.position().size)).toBe(1);
    expect(s.gate.reasons).toContain('halted');
    await h.advance(60_000);
    expect(ours(h)).toHaveLength(0);
    expect(h.bot.resume().ok).toBe(true);
    await h.advance(2000);
    const exits = ours(h).filter((o) => o.reduceOnly);
    expect(exits).toHaveLength(1);
    expect(decodeClientIndex(exits[0].clientIndex)!.role.kind).toBe('refresh');
    expect(num(exits[0].price)).toBe(100.04);
    expect(num(exits[0].size)).toBe(1);
  });
});
