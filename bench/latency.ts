/**
 * Latency benchmark over loopback sockets (prints figures; asserts nothing):
 *
 * 1. Fill → exit: the real Bot wired to a LighterVenue against startLighterSim. For each of
 *    ≥ `cycles` entry fills, the wall time from the fill frame (`update/account_all_trades`)
 *    arriving at the adapter's socket to the exit's `jsonapi/sendtx` leaving it; p50/p99.
 * 2. Signing alone: CreateOrder signatures with the same WASM signer; p50/p99; the ratio.
 * 3. REST budget: requests per minute over the steady run. Bot, adapter and server share
 *    ONE SimClock (a simulated hour over real sockets in seconds of wall time); the clock
 *    jumps only when no request is in flight (adapters/lighter/testing.ts `advanceSimClock`).
 *
 * Run: npx tsx bench/latency.ts [cycles=1000]
 */
import Keyv from 'keyv';
import { performance } from 'node:perf_hooks';
import { advanceSimClock, SimClock, startSimVenue, type DriveOptions } from '../adapters/lighter/testing.ts';
import { createWasmSigner } from '../adapters/lighter/signer/signer.ts';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { Bot } from '../src/runtime/bot.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';
import { baseParams } from '../test/harness.ts';

const M = 'TEST';
const T0 = 1_795_480_000_000;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 1000);
  const clock = new SimClock(T0);
  let lastFillFrameAt: number | undefined;
  const latencies: number[] = [];
  const s = await startSimVenue({
    clock,
    noConnect: true,
    venue: {
      wsProbe: {
        received: (text) => {
          if (text.startsWith('{"type":"update/account_all_trades"')) lastFillFrameAt = performance.now();
        },
        sent: (text) => {
          if (lastFillFrameAt === undefined || !text.startsWith('{"type":"jsonapi/sendtx"')) return;
          const m = /"ClientOrderIndex":(\d+)/.exec(text);
          const d = m ? decodeClientIndex(Number(m[1])) : null;
          if (d && d.role.kind === 'close') {
            latencies.push(performance.now() - lastFillFrameAt);
            lastFillFrameAt = undefined;
          }
        },
      },
    },
  });
  const drive: DriveOptions = { clock, venue: s.venue, server: s.server };
  const connecting = s.venue.connect();
  while (!s.venue.wsOpen) await advanceSimClock(drive, 10);
  await connecting;
  const bot = new Bot({
    params: baseParams(),
    market: M,
    slot: 1,
    targetLeverage: 20,
    venue: s.venue,
    clock,
    kv: new Keyv<string>() as unknown as StringKeyValue,
    identity: { venue: 'lighter', account: '1', market: M, slot: 1, variant: 'dynamic-grid' },
    journal: () => undefined,
  });
  drive.effects = bot.idle;
  const started = bot.start();
  await advanceSimClock(drive, 100);
  await started;

  const c = s.server.control;
  const runStart = clock.now();
  const wallStart = performance.now();
  let entryFills = 0;
  let exitFills = 0;
  let restAtHour: number | undefined;
  const restStart = c.restLog().length;
  while (entryFills < cycles || clock.now() - runStart < 3_600_000) {
    for (const o of c.liveOrders(M)) {
      const d = decodeClientIndex(o.clientIndex);
      if (!d) continue;
      c.counterpartyFill(M, o.clientIndex);
      if (d.role.kind === 'entry') entryFills++;
      else exitFills++;
    }
    await advanceSimClock(drive, 1_000);
    if (restAtHour === undefined && clock.now() - runStart >= 3_600_000) restAtHour = c.restLog().length - restStart;
  }
  const wallMs = performance.now() - wallStart;
  const simMin = (clock.now() - runStart) / 60_000;
  const restTotal = c.restLog().length - restStart;
  const stats = s.venue.stats();
  bot.kill();
  await s.close();

  // Signing alone, same WASM (already loaded).
  const signer = await createWasmSigner({ privateKey: s.key.privateKey, chainId: 300, accountIndex: 1, apiKeyIndex: 3 });
  const signTimes: number[] = [];
  const expiry = Date.now() + 28 * 86_400_000;
  for (let i = 0; i < Math.max(1000, cycles); i++) {
    const t = performance.now();
    signer.createOrder({ marketIndex: 0, clientOrderIndex: 2 ** 40 + 256 * (i + 1) + 1, baseAmount: 1000, price: 10004, isAsk: true, type: 'limit', timeInForce: 'post-only', reduceOnly: true, orderExpiry: expiry, nonce: i });
    signTimes.push(performance.now() - t);
  }

  latencies.sort((a, b) => a - b);
  signTimes.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(3);
  console.log(`fill frame → exit sendtx (wall, loopback): n=${latencies.length} p50 ${f(pct(latencies, 50))} ms, p99 ${f(pct(latencies, 99))} ms, max ${f(latencies.at(-1) ?? NaN)} ms`);
  console.log(`CreateOrder signing alone:                 n=${signTimes.length} p50 ${f(pct(signTimes, 50))} ms, p99 ${f(pct(signTimes, 99))} ms`);
  console.log(`ratio (fill→exit / signing):               p50 ${(pct(latencies, 50) / pct(signTimes, 50)).toFixed(2)}×, p99 ${(pct(latencies, 99) / pct(signTimes, 99)).toFixed(2)}×`);
  console.log(`steady run on a shared SimClock: ${simMin.toFixed(1)} simulated min in ${(wallMs / 1000).toFixed(1)} s wall; entry fills ${entryFills}, exit fills ${exitFills}`);
  console.log(`REST requests: first simulated hour ${restAtHour ?? restTotal} (= ${((restAtHour ?? restTotal) / 60).toFixed(2)}/min, target ≤ 5/min); whole run ${restTotal} (= ${(restTotal / simMin).toFixed(2)}/min); busiest rolling minute (adapter, last hour) ${stats.restCallsMaxPerMinute}`);
  console.log(`adapter: ${JSON.stringify(stats)}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
