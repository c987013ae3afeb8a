import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import type KeyvRedis from '@keyv/redis';
import { openKeyv } from './keyv-store.ts';
import { checkPositionCounterSurvives, runSnapshotStoreConformance } from './store-conformance.ts';
import { probeService, REDIS_URL, requireService, runId } from './test-services.ts';

const redis = await probeService(REDIS_URL, 6379);
const account = `conf${runId()}`;
const factory = () => openKeyv(REDIS_URL);

describe.skipIf(redis.skip)(`Redis snapshot store (${REDIS_URL})`, () => {
  beforeAll(() => requireService(redis));
  afterAll(async () => {
    if (!redis.reachable) return;
    const store = await factory();
    try {
      const client = (store.keyv.store as KeyvRedis<string>).client as unknown as { keys(p: string): Promise<string[]> };
      const left = await client.keys(`gridchart:*${account}*`);
      expect(left, 'the suite must delete every key it wrote').toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('stores the text verbatim under the exact key (readable with redis-cli GET)', async () => {
    const store = await factory();
    const key = `gridchart:${account}:verbatim`;
    try {
      await store.keyv.set(key, ':{"a":1}');
      const client = (store.keyv.store as KeyvRedis<string>).client as unknown as { get(k: string): Promise<string | null> };
      expect(await client.get(key)).toBe(':{"a":1}');
    } finally {
      await store.keyv.delete(key);
      await store.close();
    }
  });

  it('passes the store conformance suite', async () => {
    expect(await runSnapshotStoreConformance(factory, { account })).toHaveLength(9);
  });

  it('RST-08 Redis: the position counter and tracked positions survive restarts; no n is reused', async () => {
    expect(await checkPositionCounterSurvives(factory, { account: `${account}x` })).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
