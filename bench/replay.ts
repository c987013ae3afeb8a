/**
 * bench/replay.ts — market events processed per second by the whole bot at `--speed max`,
 * next to the raw XState dispatch rate of a trivial machine measured in the same process,
 * as a ratio; plus peak RSS.
 *
 *   npm run bench:replay -- [--updates 1000000] [--seed 7] [--rounds 3] [--batch 1000]
 *   npm run bench:replay -- --variant range-grid [--levels 500] [...]
 *
 * `--variant range-grid` runs the range grid (`--levels` intervals, neutral, 20 resting
 * entries, levels spread 2 USD apart around the start price) AND the dynamic grid on the same
 * seeded price path, each in its own child process (so each has its own peak RSS), and prints
 * both side by side.
 *
 * The bot run: the in-process simulated venue (BTC, seeded random walk, pulled as fast as the
 * bot absorbs it), the real machines and runtime, an in-memory store, the simulated clock
 * moving 100 ms per book update. Each round runs the baseline, then the bot; the medians are
 * reported. Rates are given per wall second and per second of this process's CPU time
 * (user + system, `process.cpuUsage`): on a shared, loaded machine the CPU-time figures are
 * the stable ones (other processes stretch wall time, not our CPU time). Figures are
 * printed, never asserted.
 */
import { parseArgs } from 'node:util';
import Keyv from 'keyv';
import { assign, createActor, setup } from 'xstate';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SimVenue, simMarket } from '../adapters/sim/index.ts';
import type { GridParams } from '../machines/shared/types.ts';
import type { RangeGridParams } from '../machines/variants/range-grid/types.ts';
import { rangeGridVariant } from '../machines/variants/range-grid/variant.ts';
import { Bot } from '../src/runtime/bot.ts';
import { SimClock } from '../src/runtime/clock.ts';
import { Dec } from '../src/domain/decimal.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
    variant: { type: 'string', default: 'dynamic-grid' },
    levels: { type: 'string', default: '500' },
    /** Internal: run one variant and print its result as JSON (used by --variant range-grid). */
    child: { type: 'string' },
  },
});
const VARIANTS = ['dynamic-grid', 'range-grid'] as const;
type VariantKind = (typeof VARIANTS)[number];
for (const [k, v] of [['variant', values.variant], ['child', values.child]] as const) {
  if (v !== undefined && !(VARIANTS as readonly string[]).includes(v)) {
    console.error(`--${k} ${JSON.stringify(v)} is not allowed; use ${VARIANTS.join(' or ')}`);
    process.exit(2);
  }
}
const LEVELS = Number(values.levels);
if (!(Number.isInteger(LEVELS) && LEVELS >= 2 && LEVELS <= 500)) {
  console.error(`--levels ${JSON.stringify(values.levels)} is not allowed; use an integer 2..500`);
  process.exit(2);
}
const UPDATES = Number(values.updates);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Wall and CPU time of this process since `start()`, in seconds. */
function stopwatch(): { wall: () => number; cpu: () => number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  return {
    wall: () => (performance.now() - t0) / 1000,
    cpu: () => {
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / 1e6;
    },
  };
}

interface Rate {
  wall: number;
  cpu: number;
}

/** Raw dispatch: a trivial machine counting events. */
function rawDispatchRate(n: number): Rate {
  const m = setup({ types: { context: {} as { n: number }, events: {} as { type: 'tick' } } }).createMachine({
    context: { n: 0 },
    on: { tick: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
  });
  const a = createActor(m).start();
  const ev = { type: 'tick' as const };
  const sw = stopwatch();
  for (let i = 0; i < n; i++) a.send(ev);
  const rate = { wall: n / sw.wall(), cpu: n / sw.cpu() };
  if (a.getSnapshot().context.n !== n) throw new Error('baseline lost events');
  a.stop();
  return rate;
}

const params: GridParams = {
  direction: 'buy',
  notionalUsd: '100',
  takeProfitPct: '0.5',
  basis: 'margin',
  gridStepPct: '0.002',
  maxOrders: 10,
  waitTimeSec: '5',
  maxMarginUsd: '500',
  stopLossEnabled: false,
  stopLossPct: '5',
  timeoutMs: 60 * 60_000,
  recoveryMode: 'aggressive',
  multiplier: 2,
  boost: false,
  slippagePct: '2',
  exitLifetimeMs: 28 * 86_400_000,
  exitRefreshLeadMs: 86_400_000,
  retrySpacingMs: 250,
  reconcileEveryMs: 5 * 60_000,
};

interface BotRun {
  rate: Rate;
  bboEvents: number;
  orders: number;
  fills: number;
  simulatedHours: number;
}

/** The range grid of `--levels` intervals, 2 USD apart, centred on the simulator's BTC start price. */
function rangeParams(mid: string, levels: number): RangeGridParams {
  // levels × 2 USD wide, around an integer USD centre: every level price is a multiple of the tick.
  const centre = new Dec(mid).round();
  return {
    lowerPrice: centre.minus(levels).toFixed(),
    upperPrice: centre.plus(levels).toFixed(),
    gridCount: levels,
    spacing: 'arithmetic',
    orderSize: '0.001',
    direction: 'neutral',
    onExitRange: 'hold',
    maxRestingOrders: 20,
    maxMarginUsd: '1000000',
    stopLossEnabled: false,
    stopLossPct: '5',
    slippagePct: '2',
    reconcileEveryMs: 5 * 60_000,
  };
}

async function botRate(n: number, seed: number, variant: VariantKind): Promise<BotRun> {
  const clock = new SimClock(0);
  const venue = new SimVenue({ clock, markets: [simMarket('BTC')] });
  const driver = venue.addDriver({ mode: 'random-walk', market: 'BTC', seed, stepTicks: 3, intervalMs: 100 });
  let bboEvents = 0;
  const top = await venue.bbo('BTC');
  const mid = new Dec(top.bid).plus(top.ask).div(2).toFixed(1);
  const bot = new Bot({
    ...(variant === 'range-grid' ? { variant: rangeGridVariant, params: rangeParams(mid, LEVELS) } : { params }),
    market: 'BTC',
    slot: 1,
    targetLeverage: 10,
    venue,
    clock,
    kv: new Keyv<string>() as unknown as StringKeyValue,
    identity: { venue: 'sim', account: 'bench', market: 'BTC', slot: 1, variant },
    journal: () => {},
  });
  venue.subscribe('BTC', (e) => {
    if (e.type === 'market.bbo') bboEvents++;
  });
  await bot.start();
  await venue.control.drain();
  await bot.idle.whenIdle();
  const sw = stopwatch();
  for (let done = 0; done < n; ) {
    const k = Math.min(BATCH, n - done);
    for (let i = 0; i < k; i++) {
      driver.next();
      clock.advanceBy(100);
    }
    done += k;
    await venue.control.drain();
    await new Promise((r) => setImmediate(r));
    await bot.idle.whenIdle();
  }
  const rate = { wall: bboEvents / sw.wall(), cpu: bboEvents / sw.cpu() };
  const sent = venue.control.sentLog().filter((s) => s.method === 'placeOrder').length;
  const fills = venue.control.accountFills('BTC').length;
  await bot.stop();
  return { rate, bboEvents, orders: sent, fills, simulatedHours: (n * 100) / 3_600_000 };
}

const fmt = (x: number) => Math.round(x).toLocaleString();

interface VariantResult {
  variant: VariantKind;
  raw: Rate[];
  bot: BotRun[];
  rssMiB: number;
}

async function runRounds(variant: VariantKind, log: boolean): Promise<VariantResult> {
  const raw: Rate[] = [];
  const bot: BotRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(rawDispatchRate(Math.min(UPDATES, 1_000_000)));
    bot.push(await botRate(UPDATES, Number(values.seed), variant));
    const b = bot[bot.length - 1].rate;
    if (log) {
      console.log(
        `round ${r + 1}: raw ${fmt(raw[r].wall)} ev/s (cpu ${fmt(raw[r].cpu)}), bot ${fmt(b.wall)} book events/s (cpu ${fmt(b.cpu)}), ratio ${((b.wall / raw[r].wall) * 100).toFixed(1)} % (cpu ${((b.cpu / raw[r].cpu) * 100).toFixed(1)} %)`,
      );
    }
  }
  return { variant, raw, bot, rssMiB: process.resourceUsage().maxRSS / 1024 };
}

function summary(r: VariantResult) {
  const perRound = (k: keyof Rate) => median(r.bot.map((b, i) => b.rate[k] / r.raw[i][k])) * 100;
  return {
    rawWall: median(r.raw.map((x) => x.wall)),
    rawCpu: median(r.raw.map((x) => x.cpu)),
    botWall: median(r.bot.map((b) => b.rate.wall)),
    botCpu: median(r.bot.map((b) => b.rate.cpu)),
    perRoundWall: perRound('wall'),
    perRoundCpu: perRound('cpu'),
    last: r.bot[r.bot.length - 1],
  };
}

function printOne(r: VariantResult): void {
  const s = summary(r);
  console.log('');
  console.log(`book updates driven          ${UPDATES.toLocaleString()} (${s.last.simulatedHours.toFixed(1)} simulated hours, seed ${values.seed})`);
  console.log(`market events to the bot     ${s.last.bboEvents.toLocaleString()} (top-of-book changes)`);
  console.log(`orders sent / fills          ${s.last.orders} / ${s.last.fills}`);
  console.log(`                             per wall second      per CPU second`);
  console.log(`raw XState dispatch (median) ${fmt(s.rawWall).padStart(9)} events/s   ${fmt(s.rawCpu).padStart(9)} events/s`);
  console.log(`whole bot (median)           ${fmt(s.botWall).padStart(9)} events/s   ${fmt(s.botCpu).padStart(9)} events/s  (market events)`);
  console.log(`ratio bot / raw              ${((s.botWall / s.rawWall) * 100).toFixed(1).padStart(9)} %          ${((s.botCpu / s.rawCpu) * 100).toFixed(1).padStart(9)} %`);
  // Each round's raw and bot runs are adjacent in time: their ratio is the least load-sensitive figure.
  console.log(`  median of per-round ratios ${s.perRoundWall.toFixed(1).padStart(9)} %          ${s.perRoundCpu.toFixed(1).padStart(9)} %`);
  console.log(`peak RSS                     ${r.rssMiB.toFixed(0)} MiB`);
}

/** Runs one variant in a child process (its own heap, its own peak RSS). */
function inChild(variant: VariantKind): VariantResult {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', variant, '--updates', String(UPDATES), '--seed', String(values.seed), '--rounds', String(ROUNDS), '--batch', String(BATCH), '--levels', String(LEVELS)];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${variant} run failed (exit ${r.status}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(line) as VariantResult;
}

async function main(): Promise<void> {
  if (values.child) {
    console.log(JSON.stringify(await runRounds(values.child as VariantKind, false)));
    return;
  }
  if (values.variant === 'dynamic-grid') {
    printOne(await runRounds('dynamic-grid', true));
    return;
  }
  const dyn = inChild('dynamic-grid');
  const rng = inChild(values.variant as VariantKind);
  const a = summary(dyn);
  const b = summary(rng);
  console.log(`same price path: ${UPDATES.toLocaleString()} book updates (${a.last.simulatedHours.toFixed(1)} simulated hours, seed ${values.seed}), ${ROUNDS} rounds each, medians`);
  console.log(`                               ${'dynamic-grid'.padStart(16)} ${`range-grid (${LEVELS} levels)`.padStart(26)}`);
  const row = (label: string, x: string, y: string) => console.log(`${label.padEnd(30)} ${x.padStart(16)} ${y.padStart(26)}`);
  row('market events to the bot', a.last.bboEvents.toLocaleString(), b.last.bboEvents.toLocaleString());
  row('orders sent / fills', `${a.last.orders} / ${a.last.fills}`, `${b.last.orders} / ${b.last.fills}`);
  row('bot events/s (wall)', fmt(a.botWall), fmt(b.botWall));
  row('bot events/s (CPU)', fmt(a.botCpu), fmt(b.botCpu));
  row('raw XState events/s (CPU)', fmt(a.rawCpu), fmt(b.rawCpu));
  row('bot / raw, per-round (CPU)', `${a.perRoundCpu.toFixed(1)} %`, `${b.perRoundCpu.toFixed(1)} %`);
  row('peak RSS', `${dyn.rssMiB.toFixed(0)} MiB`, `${rng.rssMiB.toFixed(0)} MiB`);
}

await main();
