/**
 * Latency benchmark over loopback sockets (prints figures; asserts nothing):
 *
 * 1. Fill → exit: the real Bot wired to a LighterVenue against startLighterSim. For each
 *    entry fill, the wall time from the FIRST `update/account_all_trades` frame naming that
 *    entry arriving at the adapter's socket to the `jsonapi/sendtx` of its position's
 *    take-profit (role close, same position number) being written to the socket. Every
 *    position is measured on its own (no "last frame seen" shortcut).
 * 2. Signing alone: CreateOrder signatures with the same WASM signer in a tight loop, run
 *    right after each fill round, so both see the same machine load.
 * 3. REST budget: requests per minute over the first simulated hour. Bot, adapter and server
 *    share ONE SimClock (a simulated hour over real sockets in seconds of wall time); the
 *    clock jumps only when no request is in flight (adapters/lighter/testing.ts `advanceSimClock`).
 *
 * The run is split into `rounds` rounds of ≥ `cycles` fills each (the machine is shared and
 * noisy): every round prints p50/p99/max of both measures and their ratios, then the medians
 * of the rounds are printed. With LATENCY_TRACE=1 each measured fill is also split into
 * stages (frame → fill event → placeOrder → signing → written), by wrapping the venue's
 * methods from here (nothing in the adapter is changed for it).
 *
 * Run: npx tsx bench/latency.ts [cycles=1000] [rounds=3]
 */
import Keyv from 'keyv';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { advanceSimClock, SimClock, startSimVenue, type DriveOptions } from '../adapters/lighter/testing.ts';
import { createWasmSigner, type LighterSigner } from '../adapters/lighter/signer/signer.ts';
import { decodeClientIndex } from '../src/domain/client-index.ts';
import { Bot } from '../src/runtime/bot.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';
import type { PlaceOrderRequest, VenueStreamEvent } from '../adapters/types.ts';
import { baseParams } from '../test/harness.ts';

const M = 'TEST';
const T0 = 1_795_480_000_000;
const HOUR = 3_600_000;
const TRACE = process.env.LATENCY_TRACE === '1';

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
const sortNum = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
const median = (xs: readonly number[]) => pct(sortNum(xs), 50);
const f3 = (x: number) => x.toFixed(3);

interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}
function summary(xs: readonly number[]): Summary {
  const s = sortNum(xs);
  return { n: s.length, p50: pct(s, 50), p99: pct(s, 99), max: s.at(-1) ?? NaN };
}

/** Stage marks of one position's fill → exit path (trace mode). */
interface Marks {
  frame: number;
  fillEvent?: number;
  place?: number;
  signStart?: number;
  signEnd?: number;
  sent?: number;
}

const CLIENT_ID = /"(?:ask|bid)_client_id":(\d+)/g;

async function main(): Promise<void> {
  const cycles = Number(process.argv[2] ?? 1000);
  const rounds = Number(process.argv[3] ?? 3);
  if (!Number.isSafeInteger(cycles) || cycles < 1 || !Number.isSafeInteger(rounds) || rounds < 1) {
    console.error(`usage: npx tsx bench/latency.ts [cycles ≥ 1 (default 1000)] [rounds ≥ 1 (default 3)]; got ${process.argv.slice(2).join(' ')}`);
    process.exitCode = 2;
    return;
  }
  const clock = new SimClock(T0);
  /** Position number → marks, from its entry's first fill frame until its exit was written. */
  const open = new Map<number, Marks>();
  const measured: Marks[] = [];
  const s = await startSimVenue({
    clock,
    noConnect: true,
    venue: {
      wsProbe: {
        received: (text) => {
          if (!text.startsWith('{"type":"update/account_all_trades"')) return;
          const at = performance.now();
          for (const m of text.matchAll(CLIENT_ID)) {
            const d = decodeClientIndex(Number(m[1]));
            if (d && d.slot === 1 && d.role.kind === 'entry' && !open.has(d.n)) open.set(d.n, { frame: at });
          }
        },
        sent: (text) => {
          if (!text.startsWith('{"type":"jsonapi/sendtx"')) return;
          const at = performance.now();
          const m = /"ClientOrderIndex":(\d+)/.exec(text);
          const d = m ? decodeClientIndex(Number(m[1])) : null;
          if (!d || d.role.kind !== 'close') return;
          const marks = open.get(d.n);
          if (!marks || marks.sent !== undefined) return;
          marks.sent = at;
          measured.push(marks);
        },
      },
    },
  });
  const drive: DriveOptions = { clock, venue: s.venue, server: s.server };
  const connecting = s.venue.connect();
  while (!s.venue.wsOpen) await advanceSimClock(drive, 10);
  await connecting;
  if (TRACE) instrument(s.venue, open);
  const gcPauses: Array<{ start: number; end: number }> = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcPauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  if (TRACE) gcObserver.observe({ entryTypes: ['gc'] });
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

  // Signing alone, same WASM (already loaded by the venue), its own key registration.
  const signer = await createWasmSigner({ privateKey: s.key.privateKey, chainId: 300, accountIndex: 1, apiKeyIndex: 3 });
  const signCount = Math.max(1000, cycles);
  let signNonce = 0;
  const signRound = (): number[] => {
    const times: number[] = [];
    const expiry = Date.now() + 28 * 86_400_000;
    for (let i = 0; i < signCount; i++) {
      const t = performance.now();
      signer.createOrder({ marketIndex: 0, clientOrderIndex: 2 ** 40 + 256 * (i + 1) + 1, baseAmount: 1000, price: 10004, isAsk: true, type: 'limit', timeInForce: 'post-only', reduceOnly: true, orderExpiry: expiry, nonce: signNonce++ });
      times.push(performance.now() - t);
    }
    return times;
  };

  const c = s.server.control;
  const runStart = clock.now();
  const wallStart = performance.now();
  let entryFills = 0;
  let exitFills = 0;
  let restAtHour: number | undefined;
  const restStart = c.restLog().length;
  const fillRounds: number[][] = [];
  const signRounds: number[][] = [];
  const traceRounds: Marks[][] = [];
  let roundFrom = 0;
  while (fillRounds.length < rounds || clock.now() - runStart < HOUR) {
    for (const o of c.liveOrders(M)) {
      const d = decodeClientIndex(o.clientIndex);
      if (!d) continue;
      c.counterpartyFill(M, o.clientIndex);
      if (d.role.kind === 'entry') entryFills++;
      else exitFills++;
    }
    await advanceSimClock(drive, 1_000);
    if (restAtHour === undefined && clock.now() - runStart >= HOUR) restAtHour = c.restLog().length - restStart;
    if (fillRounds.length < rounds && measured.length - roundFrom >= cycles) {
      const batch = measured.slice(roundFrom);
      roundFrom = measured.length;
      fillRounds.push(batch.map((m) => m.sent! - m.frame));
      traceRounds.push(batch);
      signRounds.push(signRound());
    }
  }
  const wallMs = performance.now() - wallStart;
  const simMin = (clock.now() - runStart) / 60_000;
  const restTotal = c.restLog().length - restStart;
  const stats = s.venue.stats();
  bot.kill();
  await s.close();

  console.log(`fill frame → exit sendtx written (wall, loopback) vs CreateOrder signing alone, ${rounds} round(s) of ≥ ${cycles} fills / ${signCount} signatures (ms):`);
  const rows: Array<{ fill: Summary; sign: Summary; r50: number; r99: number }> = [];
  fillRounds.forEach((lat, i) => {
    const fill = summary(lat);
    const sign = summary(signRounds[i]!);
    const row = { fill, sign, r50: fill.p50 / sign.p50, r99: fill.p99 / sign.p99 };
    rows.push(row);
    console.log(
      `  round ${i + 1}: fill→exit n=${fill.n} p50 ${f3(fill.p50)} p99 ${f3(fill.p99)} max ${f3(fill.max)} | signing n=${sign.n} p50 ${f3(sign.p50)} p99 ${f3(sign.p99)} max ${f3(sign.max)} | ratio p50 ${row.r50.toFixed(2)}× p99 ${row.r99.toFixed(2)}×`,
    );
  });
  const med = (pick: (r: (typeof rows)[number]) => number) => median(rows.map(pick));
  console.log(
    `  median of rounds: fill→exit p50 ${f3(med((r) => r.fill.p50))} p99 ${f3(med((r) => r.fill.p99))} max ${f3(med((r) => r.fill.max))} | signing p50 ${f3(med((r) => r.sign.p50))} p99 ${f3(med((r) => r.sign.p99))} max ${f3(med((r) => r.sign.max))} | ratio p50 ${med((r) => r.r50).toFixed(2)}× p99 ${med((r) => r.r99).toFixed(2)}× (target p99 ≤ 1.5×)`,
  );
  if (TRACE) {
    await new Promise((r) => setImmediate(r)); // let the last GC entries arrive
    gcObserver.disconnect();
    printTrace(traceRounds.flat(), gcPauses);
  }
  console.log(`steady run on a shared SimClock: ${simMin.toFixed(1)} simulated min in ${(wallMs / 1000).toFixed(1)} s wall; entry fills ${entryFills}, exit fills ${exitFills}, measured ${measured.length}`);
  console.log(`REST requests: first simulated hour ${restAtHour ?? restTotal} (= ${((restAtHour ?? restTotal) / 60).toFixed(2)}/min, target ≤ 5/min); whole run ${restTotal} (= ${(restTotal / simMin).toFixed(2)}/min); busiest rolling minute (adapter, last hour) ${stats.restCallsMaxPerMinute}`);
  console.log(`adapter: ${JSON.stringify(stats)}`);
}

/** Trace mode: wraps the venue's fill emission, placeOrder and signer to time each stage. */
function instrument(venue: object, open: Map<number, Marks>): void {
  const v = venue as {
    emit(market: string, ev: VenueStreamEvent): void;
    placeOrder(req: PlaceOrderRequest): Promise<void>;
    signer: LighterSigner;
  };
  const emit = v.emit.bind(v);
  v.emit = (market, ev) => {
    if (ev.type === 'order.filled') {
      const d = decodeClientIndex(ev.fill.clientIndex);
      const m = d && d.role.kind === 'entry' ? open.get(d.n) : undefined;
      if (m && m.fillEvent === undefined) m.fillEvent = performance.now();
    }
    emit(market, ev);
  };
  const place = v.placeOrder.bind(v);
  v.placeOrder = (req) => {
    const d = decodeClientIndex(req.clientIndex);
    const m = d && d.role.kind === 'close' ? open.get(d.n) : undefined;
    if (m && m.place === undefined) m.place = performance.now();
    return place(req);
  };
  const signer = v.signer;
  v.signer = {
    ...signer,
    createOrder(p) {
      const d = decodeClientIndex(p.clientOrderIndex);
      const m = d && d.role.kind === 'close' ? open.get(d.n) : undefined;
      const t = performance.now();
      const r = signer.createOrder(p);
      if (m && m.signStart === undefined) {
        m.signStart = t;
        m.signEnd = performance.now();
      }
      return r;
    },
    cancelOrder: (p) => signer.cancelOrder(p),
    cancelAll: (p) => signer.cancelAll(p),
    modifyOrder: (p) => signer.modifyOrder(p),
    updateLeverage: (p) => signer.updateLeverage(p),
    authToken: (d) => signer.authToken(d),
  };
}

function printTrace(all: readonly Marks[], gc: ReadonlyArray<{ start: number; end: number }>): void {
  const gcIn = (m: Marks) => gc.reduce((sum, p) => sum + Math.max(0, Math.min(p.end, m.sent!) - Math.max(p.start, m.frame)), 0);
  const stages: Array<[string, (m: Marks) => number | undefined]> = [
    ['frame → fill event (parse, map, dispatch)', (m) => (m.fillEvent !== undefined ? m.fillEvent - m.frame : undefined)],
    ['fill event → placeOrder (bot, machines, effects)', (m) => (m.place !== undefined && m.fillEvent !== undefined ? m.place - m.fillEvent : undefined)],
    ['placeOrder → sign start (codec, nonce queue)', (m) => (m.signStart !== undefined && m.place !== undefined ? m.signStart - m.place : undefined)],
    ['signing', (m) => (m.signEnd !== undefined && m.signStart !== undefined ? m.signEnd - m.signStart : undefined)],
    ['sign end → written', (m) => (m.signEnd !== undefined ? m.sent! - m.signEnd : undefined)],
    ['total', (m) => m.sent! - m.frame],
  ];
  console.log(`stages (all rounds, n=${all.length}) — p50 / p99 / max ms:`);
  for (const [name, fn] of stages) {
    const xs = all.map(fn).filter((x): x is number => x !== undefined);
    const s = summary(xs);
    console.log(`  ${name.padEnd(50)} n=${s.n} ${f3(s.p50)} / ${f3(s.p99)} / ${f3(s.max)}`);
  }
  // Where the slowest 1 % spend their time.
  const worst = [...all].sort((a, b) => b.sent! - b.frame - (a.sent! - a.frame)).slice(0, Math.max(1, Math.ceil(all.length / 100)));
  console.log(`  slowest 1 % (n=${worst.length}), mean per stage:`);
  for (const [name, fn] of stages) {
    const xs = worst.map(fn).filter((x): x is number => x !== undefined);
    console.log(`    ${name.padEnd(48)} ${f3(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length))}`);
  }
  const hit = (ms: readonly Marks[]) => ms.filter((m) => gcIn(m) > 0).length;
  console.log(`  GC pauses inside the window: ${hit(all)} of ${all.length} fills (${((100 * hit(all)) / Math.max(1, all.length)).toFixed(1)} %); slowest 1 %: ${hit(worst)} of ${worst.length}, mean ${f3(worst.reduce((a, m) => a + gcIn(m), 0) / worst.length)} ms of GC each`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
