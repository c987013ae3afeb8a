import { describe, it, expect } from 'vitest';
import { checkPositionCounterSurvives, runSnapshotStoreConformance, type StoreFactory } from './store-conformance.ts';

/** An in-memory store; `shared` decides whether a new connection sees earlier writes. */
function memoryFactory(opts: { shared: boolean; mangle?: (v: string) => string }): StoreFactory {
  const server = new Map<string, string>();
  return async () => {
    const data = opts.shared ? server : new Map<string, string>();
    return {
      keyv: {
        get: async (k) => data.get(k),
        set: async (k, v) => (data.set(k, opts.mangle ? opts.mangle(v) : v), true),
        delete: async (k) => data.delete(k),
      },
      close: async () => undefined,
    };
  };
}

describe('store conformance suite', () => {
  it('passes a correct store', async () => {
    const log: string[] = [];
    const passed = await runSnapshotStoreConformance(memoryFactory({ shared: true }), { log: (l) => log.push(l) });
    expect(passed).toEqual(log.map((l) => l.replace(/^ok - /, '')));
    expect(passed).toHaveLength(9);
    expect(await checkPositionCounterSurvives(memoryFactory({ shared: true }))).toHaveLength(12);
  });

  it('catches a store that loses data when reconnecting', async () => {
    await expect(runSnapshotStoreConformance(memoryFactory({ shared: false }))).rejects.toThrow(
      /store conformance \[flush durability\]: after flush \+ reconnect the store holds undefined/,
    );
    await expect(checkPositionCounterSurvives(memoryFactory({ shared: false }))).rejects.toThrow(/\[RST-08\]: run 1: envelope missing/);
  });

  it("catches a store that alters values (like Keyv's colon escaping)", async () => {
    const mangle = (v: string) => v.replace(/":/g, '"::');
    await expect(runSnapshotStoreConformance(memoryFactory({ shared: true, mangle }))).rejects.toThrow(
      /store conformance \[round trip\]: stored text differs/,
    );
  });
});
