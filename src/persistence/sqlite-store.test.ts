import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { botKey, SnapshotRefusedError, type BotIdentity } from './envelope.ts';
import { openKeyv } from './keyv-store.ts';
import { SnapshotStore } from './snapshot-store.ts';
import { checkPositionCounterSurvives, refusalCases, runSnapshotStoreConformance } from './store-conformance.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gridchart-sqlite-'));
const file = path.join(dir, 'data', 'bot.sqlite');
const factory = () => openKeyv(file);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const bot: BotIdentity = { venue: 'sim', account: 'rst07', market: 'ETH', slot: 1, variant: 'grid' };
const expected = { machineVersion: [1], bot };

/** Store `raw`, try to load it, and prove (also through a new connection) it is untouched. */
async function refuseAndKeep(caseName: string): Promise<SnapshotRefusedError> {
  const bad = refusalCases(bot).find((c) => c.name === caseName);
  if (!bad) throw new Error(`no refusal case ${caseName}`);
  const key = botKey(bot);
  const first = await factory();
  let refused: unknown;
  try {
    await first.keyv.set(key, bad.raw);
    await new SnapshotStore(first.keyv).load(key, expected).catch((err: unknown) => { refused = err; });
  } finally {
    await first.close();
  }
  const second = await factory();
  try {
    expect(await new SnapshotStore(second.keyv).getRaw(key)).toBe(bad.raw);
    await second.keyv.delete(key);
  } finally {
    await second.close();
  }
  expect(refused).toBeInstanceOf(SnapshotRefusedError);
  return refused as SnapshotRefusedError;
}

describe('SQLite snapshot store', () => {
  it('passes the store conformance suite on a real file, which stays 0600', async () => {
    const passed = await runSnapshotStoreConformance(factory);
    expect(passed).toHaveLength(9);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('keeps the position counter and tracked positions across restarts; no n is reused', async () => {
    expect(await checkPositionCounterSurvives(factory)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('RST-07 an envelope declaring version 999 is refused naming found and supported versions; the store is unchanged', async () => {
    const fv = await refuseAndKeep('formatVersion 999');
    expect(fv.message).toContain('unknown formatVersion: found 999, supported 1');
    expect(fv.exitCode).toBe(2);
    const mv = await refuseAndKeep('machineVersion 999');
    expect(mv.message).toContain('unknown machineVersion: found 999, supported 1');
  });

  it('RST-07 a corrupted envelope is refused saying what is wrong; the store is unchanged', async () => {
    expect((await refuseAndKeep('truncated JSON')).message).toMatch(/corrupted envelope: not JSON/);
    expect((await refuseAndKeep('schema error')).message).toMatch(/corrupted envelope: bot\.slot: /);
  });

  it('RST-07 a snapshot of another market is refused naming found and expected; the store is unchanged', async () => {
    const e = await refuseAndKeep('another market');
    expect(e.reason).toBe('identity');
    expect(e.message).toContain('market: found "BTC", expected "ETH"');
  });
});
