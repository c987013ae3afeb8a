/**
 * The transaction send path of LighterVenue over real sockets: in the steady state (book
 * synced, nonce known, no cool-off, socket open) `placeOrder` signs and writes the
 * transaction before it returns — nothing is awaited on the way (the fill → exit latency
 * depends on it) — and a placement sends nothing but the transaction itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeClientIndex } from '../../src/domain/client-index.ts';
import { startSimVenue, type SimVenueSetup } from './testing.ts';

const open: SimVenueSetup[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const order = (clientIndex: number, price: string) =>
  ({ market: 'TEST', clientIndex, side: 'buy', type: 'limit', price, size: '1.000', timeInForce: 'post-only', reduceOnly: false }) as const;

describe('LighterVenue send path', () => {
  it('a placement in the steady state writes its signed sendtx frame before placeOrder returns, and nothing else', async () => {
    const sent: string[] = [];
    const s = await startSimVenue({ venue: { wsProbe: { sent: (t) => sent.push(t) } } });
    open.push(s);
    await s.venue.placeOrder(order(2 ** 40 + 256 + 1, '99.90')); // the first one fetches the nonce
    await s.settle();
    sent.length = 0;
    const placing = s.venue.placeOrder(order(2 ** 40 + 512 + 1, '99.80'));
    // Synchronously after the call: the frame is already on the socket.
    expect(sent).toHaveLength(1);
    const frame = JSON.parse(sent[0]!) as { type: string; data: { id: string; tx_type: number; tx_info: { ClientOrderIndex: number; Nonce: number; Sig: string } } };
    expect(frame.type).toBe('jsonapi/sendtx');
    expect(frame.data.tx_type).toBe(14);
    expect(decodeClientIndex(frame.data.tx_info.ClientOrderIndex)).toMatchObject({ slot: 1, n: 2, role: { kind: 'entry' } });
    expect(frame.data.tx_info.Sig.length).toBeGreaterThan(0);
    await placing;
    await s.venue.placeOrder(order(2 ** 40 + 768 + 1, '99.70'));
    await s.settle();
    // Three placements' worth of frames: transactions and keepalive only — no re-subscription.
    expect(sent.filter((t) => t.includes('"subscribe"'))).toEqual([]);
    expect(sent.filter((t) => t.startsWith('{"type":"jsonapi/sendtx"'))).toHaveLength(2);
    const live = s.server.control.liveOrders('TEST').map((o) => o.clientIndex);
    expect(live).toEqual(expect.arrayContaining([2 ** 40 + 256 + 1, 2 ** 40 + 512 + 1, 2 ** 40 + 768 + 1]));
    // All three went over the WebSocket, were accepted, and carry consecutive nonces.
    const txs = s.server.control.txLog().slice(-3);
    expect(txs.map((t) => [t.via, t.code])).toEqual([['ws', 200], ['ws', 200], ['ws', 200]]);
    const nonces = txs.map((t) => t.info!.Nonce as number);
    expect(nonces).toEqual([nonces[0], nonces[0]! + 1, nonces[0]! + 2]);
  });
});
