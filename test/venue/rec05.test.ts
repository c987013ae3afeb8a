/**
 * REC-05 over sockets: hedge mode against the Lighter simulator (a netting venue) acts as
 * aggressive and says so at start-up; the stuck position is closed with a reduce-only market
 * order; nothing that could open an opposite leg is sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TX_TYPE } from '../../adapters/lighter/constants.ts';
import { encodeClientIndex, role } from '../../src/domain/client-index.ts';
import { botWorld, M, txs, until, type BotWorld } from './support.ts';

const open: BotWorld[] = [];
afterEach(async () => {
  while (open.length) {
    const w = open.pop()!;
    w.bot.kill();
    await w.close();
  }
});

describe('REC-05 over sockets', () => {
  it('REC-05 hedge mode on the Lighter simulator (netting) acts as aggressive and says so', async () => {
    const w = await botWorld({ params: { recoveryMode: 'hedge', timeoutMs: 5 * 60_000 } });
    open.push(w);
    const warn = w.journal.filter((j) => j.type === 'recovery.hedge-unavailable');
    expect(warn).toHaveLength(1);
    expect(warn[0].level).toBe('warning');
    const entry1 = encodeClientIndex(1, 1, role.entry());
    await until(w, 'grid-1:entry', () => txs(w, TX_TYPE.createOrder).find((t) => t.f.ClientOrderIndex === entry1));
    w.server.control.counterpartyFill(M, entry1);
    await until(w, 'grid-1:close', () => txs(w, TX_TYPE.createOrder).find((t) => t.role?.kind === 'close'));
    const market1 = encodeClientIndex(1, 1, role.marketExit(1));
    const mkt = await until(w, 'grid-1:market-exit-1', () => txs(w, TX_TYPE.createOrder).find((t) => t.f.ClientOrderIndex === market1), 7 * 60_000, 1000);
    expect(mkt.f).toMatchObject({ ReduceOnly: 1, IsAsk: 1, BaseAmount: 1000 });
    await until(w, 'grid-1 closed', () => w.journal.some((j) => j.type === 'position.closed'), 60_000, 500);
    expect(Number((await w.venue.position(M)).size)).toBe(0);
    // Every order the bot sent is an entry or reduce-only: no opposite leg.
    for (const t of txs(w, TX_TYPE.createOrder)) if (t.role?.kind !== 'entry') expect(t.f.ReduceOnly).toBe(1);
  }, 60_000);
});
