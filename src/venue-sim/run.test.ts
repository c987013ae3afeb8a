/**
 * `runSimServer` (the `grid-bot sim` core): prints REST/WS/account lines and never the
 * private key, registers the generated key so the returned key signs accepted
 * transactions, and stops on SIGTERM.
 */
import { describe, expect, it } from 'vitest';
import { createWasmSigner } from '../../adapters/lighter/signer/signer.ts';
import { parseNextNonce, parseOrderBookDetails } from '../../adapters/lighter/parse.ts';
import { runSimServer, SIM_ACCOUNT_INDEX, SIM_API_KEY_INDEX } from './run.ts';
import { get, sendTx } from './test-support.ts';

describe('runSimServer', () => {
  it('prints where it listens, never the key; the returned key trades; SIGTERM stops it', async () => {
    const lines: string[] = [];
    const sim = await runSimServer({ port: 0, seed: 3, out: (l) => lines.push(l) });
    try {
      expect(lines).toEqual([`REST ${sim.restUrl}`, `WS ${sim.wsUrl}`, `ACCOUNT ${SIM_ACCOUNT_INDEX} API_KEY ${SIM_API_KEY_INDEX} CHAIN 300`]);
      expect(sim.restUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.wsUrl).toBe(`${sim.restUrl.replace('http', 'ws')}/stream`);
      expect(sim.privateKey).toMatch(/^[0-9a-f]{80}$/);
      expect(lines.join('\n')).not.toContain(sim.privateKey);
      expect(lines.join('\n').toLowerCase()).not.toContain(sim.privateKey.slice(0, 16));

      const details = parseOrderBookDetails((await get(sim.server, '/api/v1/orderBookDetails')).text);
      expect(details.ok && details.value.map((d) => [d.spec.marketIndex, d.spec.symbol])).toEqual([
        [0, 'TEST'],
        [1, 'BTC'],
        [2, 'ETH'],
      ]);
      const nonce = parseNextNonce((await get(sim.server, '/api/v1/nextNonce', { account_index: sim.accountIndex, api_key_index: sim.apiKeyIndex })).text);
      expect(nonce.ok).toBe(true);
      const signer = await createWasmSigner({ privateKey: sim.privateKey, chainId: sim.chainId, accountIndex: sim.accountIndex, apiKeyIndex: sim.apiKeyIndex });
      const tx = signer.createOrder({ marketIndex: 0, clientOrderIndex: 77, baseAmount: 1000, price: 9000, isAsk: false, type: 'limit', timeInForce: 'gtt', reduceOnly: false, orderExpiry: Date.now() + 86_400_000, nonce: nonce.ok ? nonce.value : -1 });
      expect((await sendTx(sim.server, tx.txType, tx.txInfo)).json.code).toBe(200);
      expect(sim.server.control.liveOrders('TEST').map((o) => o.clientIndex)).toEqual([77]);
    } finally {
      // The test worker has no SIGTERM listener of its own: only the simulator's runs.
      expect(process.listenerCount('SIGTERM')).toBe(1);
      process.emit('SIGTERM');
    }
    await sim.stopped;
    expect(process.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(sim.restUrl)).rejects.toThrow();
  });

  it('refuses a bad port or seed with a message naming the value', async () => {
    await expect(runSimServer({ port: 70000, out: () => undefined, handleSignals: false })).rejects.toThrow(/--port 70000/);
    await expect(runSimServer({ seed: 1.5, out: () => undefined, handleSignals: false })).rejects.toThrow(/--seed 1.5/);
  });
});
