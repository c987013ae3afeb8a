/**
 * Signing benchmark: loads the pinned Go-WASM signer, signs 200 CreateOrder transactions
 * with a throwaway key and prints load time, median and p99 signing time. Not a test.
 * Run: npx tsx bench/sign.ts [count]
 */
import { performance } from 'node:perf_hooks';
import { createWasmSigner, generateApiKey } from '../adapters/lighter/signer/signer.ts';
import { loadSignerWasm } from '../adapters/lighter/signer/wasm-loader.ts';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 200);
  const t0 = performance.now();
  const wasm = await loadSignerWasm();
  const loadMs = performance.now() - t0;
  const key = await generateApiKey(wasm);
  const signer = await createWasmSigner({ privateKey: key.privateKey, chainId: 300, accountIndex: 12345, apiKeyIndex: 3, wasm });
  const expiry = Date.now() + 28 * 86_400_000;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    signer.createOrder({
      marketIndex: 0, clientOrderIndex: 2 ** 40 + 256 * (i + 1) + 1, baseAmount: 1000, price: 10000 + (i % 50), isAsk: i % 2 === 1,
      type: 'limit', timeInForce: 'post-only', reduceOnly: false, orderExpiry: expiry, nonce: i,
    });
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  const rss = process.memoryUsage().rss / 2 ** 20;
  console.log(`wasm load: ${loadMs.toFixed(0)} ms, rss ${rss.toFixed(0)} MiB`);
  console.log(`CreateOrder signatures: n=${count} median ${pct(50).toFixed(3)} ms, p99 ${pct(99).toFixed(3)} ms, max ${times[times.length - 1]!.toFixed(3)} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
