/**
 * bench/machine-dispatch.ts — book updates per second through the root machine alone (no
 * venue, no clock), in the two hot states: an entry resting (waitingForFill) and the entry
 * cycle idle with the gate refusing (ready). Next to a trivial machine's raw dispatch rate.
 * Rates are per second of this process's CPU time (user + system): on a shared, loaded
 * machine wall time mostly measures the other processes.
 *
 *   npx tsx bench/machine-dispatch.ts [--events 200000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import Keyv from 'keyv';
import { assign, createActor, setup } from 'xstate';
import { SimVenue, simMarket } from '../adapters/sim/index.ts';
import { Bot } from '../src/runtime/bot.ts';
import { SimClock } from '../src/runtime/clock.ts';
import type { StringKeyValue } from '../src/persistence/snapshot-store.ts';
import { baseParams } from '../test/harness.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const N = Number(values.events);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Events per CPU second of `n` calls of `body`. */
function cpuRate(n: number, body: (i: number) => void): number {
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) body(i);
  const c = process.cpuUsage(c0);
  return n / ((c.user + c.system) / 1e6);
}

function raw(): number {
  const m = setup({ types: { context: {} as { n: number }, events: {} as { type: 'tick' } } }).createMachine({
    context: { n: 0 },
    on: { tick: { actions: assign(({ context }) => ({ n: context.n + 1 })) } },
  });
  const a = createActor(m).start();
  const rate = cpuRate(N, () => a.send({ type: 'tick' }));
  a.stop();
  return rate;
}

async function root(idle: boolean): Promise<number> {
  const clock = new SimClock(0);
  const venue = new SimVenue({ clock, markets: [simMarket('TEST')] });
  const bot = new Bot({
    params: baseParams(idle ? { maxMarginUsd: '1' } : {}),
    market: 'TEST',
    slot: 1,
    targetLeverage: 20,
    venue,
    clock,
    kv: new Keyv<string>() as unknown as StringKeyValue,
    identity: { venue: 'sim', account: 'bench', market: 'TEST', slot: 1, variant: 'dynamic-grid' },
    journal: () => {},
  });
  await bot.start();
  for (let i = 0; i < 5; i++) {
    await venue.control.drain();
    await new Promise((r) => setImmediate(r));
    clock.advanceBy(1);
  }
  const expected = idle ? 'ready' : 'waitingForFill';
  if (bot.status().entryState !== expected) throw new Error(`bench setup: entry is ${bot.status().entryState}, expected ${expected}`);
  const bids = ['99.97', '99.98', '99.99'];
  const rate = cpuRate(N, (i) => bot.send({ type: 'market.bbo', bbo: { market: 'TEST', bid: bids[i % 3], ask: '100.05', time: i }, at: i }));
  bot.kill();
  return rate;
}

const r: number[] = [];
const w: number[] = [];
const i: number[] = [];
for (let k = 0; k < Number(values.rounds); k++) {
  r.push(raw());
  w.push(await root(false));
  i.push(await root(true));
}
console.log(`raw trivial machine        ${Math.round(median(r)).toLocaleString()} events/s (per CPU second)`);
console.log(`root, entry resting        ${Math.round(median(w)).toLocaleString()} book updates/s (${((median(w) / median(r)) * 100).toFixed(1)} % of raw)`);
console.log(`root, idle, gate refusing  ${Math.round(median(i)).toLocaleString()} book updates/s (${((median(i) / median(r)) * 100).toFixed(1)} % of raw)`);
