/**
 * POST /pause, /flatten, /cancel-all of the control endpoint against a running bot (the real
 * machines on the simulated venue and clock), and the refusal path (nothing sent).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness } from '../../test/harness.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import { ControlClient, ControlServer, operatorCommand, type ControlStatus, type ControlTarget, type OperatorEvent } from './control-server.ts';

const M = 'TEST';
const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(target: ControlTarget, now: () => number): Promise<{ s: ControlServer; c: ControlClient }> {
  const s = await ControlServer.start({ token: 'tok', target, now });
  servers.push(s);
  return { s, c: new ControlClient({ url: s.url, pid: process.pid, token: 'tok', bot: 'test' }) };
}

describe('operator commands over the control endpoint', () => {
  it('pause latches new entries (status shows operator_pause), resume lifts it; wrong token 401, GET 405', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    const { s, c } = await serve(h.bot, () => h.clock.now());
    const p = await c.command('pause');
    expect(p.status).toBe(200);
    expect(p.body.message).toMatch(/^paused: new entries are refused/);
    await h.advance(100);
    const st = (await c.status()).body as ControlStatus;
    expect(st.operatorPaused).toBe(true);
    expect(st.gateReasons).toContain('operator_pause');
    expect(h.events('operator.paused')).toHaveLength(1);
    expect((await c.resume()).body.message).toMatch(/pause lifted/);
    await h.advance(100);
    expect(((await c.status()).body as ControlStatus).operatorPaused).toBe(false);

    const bad = new ControlClient({ url: s.url, pid: process.pid, token: 'wrong', bot: 'test' });
    expect((await bad.command('flatten')).status).toBe(401);
    expect((await c.call('GET', '/cancel-all')).status).toBe(405);
    expect(h.events('operator.flatten')).toHaveLength(0);
    h.bot.kill();
  });

  it('flatten closes the venue position reduce-only and ends halted; resume re-arms', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    const { c } = await serve(h.bot, () => h.clock.now());
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(Number(h.position().size)).toBe(1);
    const r = await c.command('flatten');
    expect(r.status).toBe(200);
    expect(r.body.message).toMatch(/^flatten started/);
    await h.advance(5000);
    expect(Number(h.position().size)).toBe(0);
    const st = (await c.status()).body as ControlStatus;
    expect(st.risk.phase).toBe('halted');
    expect(st.gateReasons).toContain('halted');
    const closes = h.placed().filter((o) => o.role.kind === 'flatten');
    expect(closes).toHaveLength(1);
    expect(closes[0].req.reduceOnly).toBe(true);
    expect((await c.resume()).status).toBe(200);
    await h.advance(100);
    expect(((await c.status()).body as ControlStatus).risk.phase).toBe('armed');
    h.bot.kill();
  });

  it('cancel-all cancels the entry and every exit, keeps the position tracked, halted; resume places the exit again', async () => {
    const h = await startHarness({ params: { gridStepPct: '0.05' } });
    const { c } = await serve(h.bot, () => h.clock.now());
    h.control.counterpartyTrade(M, 'sell', '1');
    await h.advance(1000);
    expect(h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex)?.role.kind === 'close')).toHaveLength(1);
    const r = await c.command('cancel-all');
    expect(r.status).toBe(200);
    await h.advance(5000);
    expect(h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex))).toEqual([]);
    const st = (await c.status()).body as ControlStatus;
    expect(st.risk.phase).toBe('halted');
    expect(st.positions).toHaveLength(1);
    expect(Number(h.position().size)).toBe(1);
    expect((await c.resume()).status).toBe(200);
    await h.advance(1000);
    const exits = h.liveOrders().filter((o) => decodeClientIndex(o.clientIndex)?.n === 1 && decodeClientIndex(o.clientIndex)?.role.kind !== 'entry');
    expect(exits).toHaveLength(1);
    h.bot.kill();
  });

  it('a command the machine does not take is refused naming the states, and nothing is sent', () => {
    const sent: OperatorEvent[] = [];
    const fake = {
      key: 'k',
      running: true,
      status: () => ({ lifecycle: 'trading', entryState: 'ready' }),
      context: () => ({ now: 5, risk: { phase: 'flattening', trigger: 'stop-loss' } }),
      resume: () => ({ ok: true, message: '' }),
      send: (ev: OperatorEvent) => sent.push(ev),
      snapshot: () => ({ can: () => false }),
    } as unknown as ControlTarget;
    expect(operatorCommand(fake, 'cancel-all', 5)).toEqual({
      ok: false,
      message: 'cancel-all refused: not accepted in the current state (lifecycle trading, entry ready, risk flattening after stop-loss)',
    });
    expect(sent).toEqual([]);
  });
});
