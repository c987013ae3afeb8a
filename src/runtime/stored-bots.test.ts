/**
 * findStoredBots on a real SQLite store: finds the bots of one market and slot whatever
 * venue ran them (in-process paper, loopback, grid-bot run), ignores other markets, slots
 * and the venues' own records, and refuses a damaged snapshot instead of half-reading it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MACHINE_VERSION } from '../../machines/grid/types.ts';
import { botKey, encodeEnvelope, makeEnvelope, SnapshotRefusedError, type BotIdentity } from '../persistence/envelope.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { findStoredBots } from './stored-bots.ts';

const bot = (venue: string, account: string, market = 'BTC', slot = 1): BotIdentity => ({ venue, account, market, slot, variant: 'dynamic-grid' });

describe('findStoredBots', () => {
  it('lists the bots of a market and slot from every venue, validated; ignores the rest; refuses a damaged one', async () => {
    const opened = await openKeyv(join(mkdtempSync(join(tmpdir(), 'stored-bots-')), 's.sqlite'));
    try {
      const put = (id: BotIdentity, savedAt: number) => opened.keyv.set(botKey(id), encodeEnvelope(makeEnvelope({ machineVersion: MACHINE_VERSION, bot: id, savedAt, snapshot: { value: {}, context: {} } })));
      await put(bot('sim', 'paper'), 1);
      await put(bot('lighter-sim', '1'), 2);
      await put(bot('lighter', '281474976710654'), 3);
      await put(bot('sim', 'paper', 'ETH'), 4);
      await put(bot('sim', 'paper', 'BTC', 2), 5);
      await opened.keyv.set('gridchart:sim:BTC', '{"version":1}');
      await opened.keyv.set('gridchart:sim:lighter-sim.BTC', '{"format":"gridchart.lighter-sim"}');

      const found = await findStoredBots(opened.keyv, 'BTC', 1, []);
      expect(found.map((b) => [b.key, b.envelope.savedAt])).toEqual([
        ['gridchart:lighter-sim:1:BTC:1', 2],
        ['gridchart:lighter:281474976710654:BTC:1', 3],
        ['gridchart:sim:paper:BTC:1', 1],
      ]);
      expect(found[1]!.identity).toEqual(bot('lighter', '281474976710654'));

      await opened.keyv.set('gridchart:lighter-sim:1:BTC:1', '{"format":"gridchart.snapshot", "truncated');
      await expect(findStoredBots(opened.keyv, 'BTC', 1, [])).rejects.toBeInstanceOf(SnapshotRefusedError);
    } finally {
      await opened.close();
    }
  });
});
