import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type KeyvPostgres from '@keyv/postgres';
import { openKeyv } from './keyv-store.ts';
import { checkPositionCounterSurvives, runSnapshotStoreConformance } from './store-conformance.ts';
import { POSTGRES_URL, probeService, requireService, runId } from './test-services.ts';

const pg = await probeService(POSTGRES_URL, 5432);
const table = `gridchart_test_${runId()}`;
const factory = () => openKeyv(POSTGRES_URL, { table });

describe.skipIf(pg.skip)(`Postgres snapshot store (${POSTGRES_URL})`, () => {
  beforeAll(() => requireService(pg));
  afterAll(async () => {
    if (!pg.reachable) return;
    const store = await factory();
    try {
      const query = (store.keyv.store as KeyvPostgres).query;
      const left = await query(`SELECT key FROM ${table}`);
      await query(`DROP TABLE ${table}`);
      expect(left, 'the suite must delete every row it wrote').toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('stores the text verbatim under the exact key (readable with psql)', async () => {
    const store = await factory();
    try {
      await store.keyv.set('gridchart:verbatim', ':{"a":1}');
      const rows = await (store.keyv.store as KeyvPostgres).query(`SELECT key, value FROM ${table} WHERE key LIKE 'gridchart:verbatim%'`);
      expect(rows).toEqual([{ key: 'gridchart:verbatim', value: ':{"a":1}' }]);
    } finally {
      await store.keyv.delete('gridchart:verbatim');
      await store.close();
    }
  });

  it('passes the store conformance suite', async () => {
    expect(await runSnapshotStoreConformance(factory)).toHaveLength(9);
  });

  it('RST-08 Postgres: the position counter and tracked positions survive restarts; no n is reused', async () => {
    expect(await checkPositionCounterSurvives(factory)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('two stores open at once on the same server do not close each other', async () => {
    const a = await factory();
    const b = await factory();
    await b.close();
    try {
      await a.keyv.set('gridchart:pool-check', 'still open');
      expect(await a.keyv.get('gridchart:pool-check')).toBe('still open');
      await a.keyv.delete('gridchart:pool-check');
    } finally {
      await a.close();
    }
  });
});
