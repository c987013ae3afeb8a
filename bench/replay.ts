/**
 * bench/replay.ts — market events processed per second by the whole bot at `--speed max`,
 * next to the raw XState dispatch rate of a trivial machine measured in the same process,
 * as a ratio; plus peak RSS.
 *
 *   npm run bench:replay -- [--updates 1000000] [--seed 7] [--rounds 3] [--batch 1000]
 *
 * The bot run: the in-process simulated venue (BTC, seeded random walk, pulled as fast as the
 * bot absorbs it), the real machines and runtime, an in-memory store, the simulated clock
 * moving 100 ms per book update. Each round runs the baseline, then the bot; the medians are
 * reported. Figures are printed, never asserted.
 */
import { parseArgs } from 'node:util';
import Keyv from 'keyv';
import { assign, createActor, setup } from 'xstate';
import { SimVenue, simMarket } from '../adapters/sim/index.ts';
import type { GridParams } from '../machines/shared/types.ts';
import { Bot } from '../src/runtime/bot.ts';
import { SimClock } from '../src/runtime/clock.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';

const { values } = parseArgs({
  options: {
    updates: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '7' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '1000' },
  },
});
const UPDATES = Number(values.updates);
const ROUNDS = Number(values.rounds);
const BATCH = Number(values.batch);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Raw dispatch: a trivial machine counting events. */
function rawDispatchRate(n: number): number {
  const m = setup({ types: { context: {} as { n: number }, events: {} as { type: 'tick' } } }).createMachine({
    context: { n: 0 },
    on: { tick: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
  });
  const a = createActor(m).start();
  const ev = { type: 'tick' as const };
  const t0 = performance.now();
  for (let i = 0; i < n; i++) a.send(ev);
  const dt = performance.now() - t0;
  if (a.getSnapshot().context.n !== n) throw new Error('baseline lost events');
  a.stop();
  return n / (dt / 1000);
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
  rate: number;
  bboEvents: number;
  orders: number;
  fills: number;
  simulatedHours: number;
}

async function botRate(n: number, seed: number): Promise<BotRun> {
  const clock = new SimClock(0);
  const venue = new SimVenue({ clock, markets: [simMarket('BTC')] });
  const driver = venue.addDriver({ mode: 'random-walk', market: 'BTC', seed, stepTicks: 3, intervalMs: 100 });
  let bboEvents = 0;
  const bot = new Bot({
    params,
    market: 'BTC',
    slot: 1,
    targetLeverage: 10,
    venue,
    clock,
    kv: new Keyv<string>() as unknown as StringKeyValue,
    identity: { venue: 'sim', account: 'bench', market: 'BTC', slot: 1, variant: 'dynamic-grid' },
    journal: () => {},
  });
  venue.subscribe('BTC', (e) => {
    if (e.type === 'market.bbo') bboEvents++;
  });
  await bot.start();
  await venue.control.drain();
  await bot.idle.whenIdle();
  const t0 = performance.now();
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
  const dt = performance.now() - t0;
  const sent = venue.control.sentLog().filter((s) => s.method === 'placeOrder').length;
  const fills = venue.control.accountFills('BTC').length;
  await bot.stop();
  return { rate: bboEvents / (dt / 1000), bboEvents, orders: sent, fills, simulatedHours: (n * 100) / 3_600_000 };
}

async function main(): Promise<void> {
  const raw: number[] = [];
  const bot: BotRun[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    raw.push(rawDispatchRate(Math.min(UPDATES, 1_000_000)));
    bot.push(await botRate(UPDATES, Number(values.seed)));
    const b = bot[bot.length - 1];
    console.log(`round ${r + 1}: raw ${Math.round(raw[r]).toLocaleString()} ev/s, bot ${Math.round(b.rate).toLocaleString()} book events/s`);
  }
  const rawMed = median(raw);
  const botMed = median(bot.map((b) => b.rate));
  const last = bot[bot.length - 1];
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log('');
  console.log(`book updates driven          ${UPDATES.toLocaleString()} (${last.simulatedHours.toFixed(1)} simulated hours, seed ${values.seed})`);
  console.log(`market events to the bot     ${last.bboEvents.toLocaleString()} (top-of-book changes)`);
  console.log(`orders sent / fills          ${last.orders} / ${last.fills}`);
  console.log(`raw XState dispatch (median) ${Math.round(rawMed).toLocaleString()} events/s`);
  console.log(`whole bot (median)           ${Math.round(botMed).toLocaleString()} market events/s`);
  console.log(`ratio bot / raw              ${((botMed / rawMed) * 100).toFixed(1)} %`);
  console.log(`peak RSS                     ${rss.toFixed(0)} MiB`);
}

await main();
