/**
 * The two simulator hooks the chaos harness added (src/venue-sim): `faults.onBeforeAck`
 * runs once per transaction answer after the transaction was processed and before the
 * answer is written; `expireOrder` ends a resting bot order as expired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPIRY, sendTx, startFixture, type Fixture } from '../venue-sim/test-support.ts';

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.close();
});

const order = (coi: number, nonce: number) =>
  fx.signer.createOrder({ marketIndex: 0, clientOrderIndex: coi, baseAmount: 1000, price: 9900, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: EXPIRY, nonce });

describe('simulator hooks for the chaos harness', () => {
  it('onBeforeAck sees each answer after the order rests and before the client has it; null removes it', async () => {
    const seen: Array<{ live: number }> = [];
    fx.server.control.faults.onBeforeAck(() => seen.push({ live: fx.server.control.liveOrders(0).filter((o) => o.clientIndex === 7001).length }));
    const tx = await order(7001, 1);
    const answer = await sendTx(fx.server, tx.txType, tx.txInfo);
    expect(answer.json.code).toBe(200);
    expect(seen).toEqual([{ live: 1 }]);
    fx.server.control.faults.onBeforeAck(null);
    const again = await order(7002, 2);
    expect((await sendTx(fx.server, again.txType, again.txInfo)).json.code).toBe(200);
    expect(seen).toHaveLength(1);
  });

  it('expireOrder ends a resting order as expired', async () => {
    const w = fx.server.control.expireOrder(0, 7002);
    expect(w.status).toBe('canceled-expired');
    const o = fx.server.control.allOrders(0).find((x) => x.clientIndex === 7002)!;
    expect(o.status).toBe('canceled');
    expect(o.cancelReason).toBe('expired');
    expect(fx.server.control.liveOrders(0).some((x) => x.clientIndex === 7002)).toBe(false);
  });
});
