/**
 * One chaos run over real processes and sockets: the Lighter simulator server in this
 * process (faults injected through its control object, its records read as the truth), the
 * bot as a `grid-bot run` child on a fresh SQLite store, a seeded price path and the seeded
 * fault plan (plan.ts). Kills are SIGKILL followed by a restart on the same store.
 *
 * Variants: `dynamic-grid` (default; config as before, unchanged) or `range-grid` (config from
 * range-plan.ts; the same fault plan and price path for a given seed and run). The bot's view
 * is read through the variant registry (identity, machine version, `status()`; bot-view.ts).
 *
 * Sequence: start the simulator → spawn the bot and wait for "venue connected" → start the
 * path, the venue poller (checkVenue every POLL_MS) and the fault timers → after `activeMs`:
 * clear every fault, wait for the (last) bot to reconcile, let it trade on fault-free for
 * TRADE_ON_MS, freeze the price, wait for delayed answers to land and SETTLE_MS → SIGINT
 * (graceful stop, exit 0 expected) → check the venue's records against the persisted
 * snapshot (checkFinal) and the journal.
 *
 * Invariants:
 * - Every violation is kept with the seed and run that replay it; the run's directory (store,
 *   journal, config, child output, plan, the venue's orders and fills in venue.json) is kept
 *   when something was violated, removed otherwise.
 * - Nothing outlives `runOne`: the simulator is closed, timers are cleared and the child is
 *   SIGKILLed if it would not stop.
 * - The private key reaches the child through its environment only.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BTC, simMarket } from '../../adapters/sim/index.ts';
import { CHAIN_ID } from '../../adapters/lighter/constants.ts';
import { decodeClientIndex } from '../domain/client-index.ts';
import { Dec } from '../domain/decimal.ts';
import type { JournalLine } from '../observability/journal.ts';
import { botKey, type BotIdentity } from '../persistence/envelope.ts';
import { openKeyv } from '../persistence/keyv-store.ts';
import { SnapshotStore } from '../persistence/snapshot-store.ts';
import { SystemClock } from '../runtime/clock.ts';
import { startLighterSim } from '../venue-sim/index.ts';
import type { LighterSimServer } from '../venue-sim/types.ts';
import { registeredVariant } from '../variants/installed.ts';
import { BotProcess } from './bot-process.ts';
import { botViewOf, type PersistedSnapshot } from './bot-view.ts';
import { checkFinal, checkVenue, type BotView, type VenueRecords, type Violation } from './invariants.ts';
import { planRun, type FaultKind, type PlannedFault, type RunPlan } from './plan.ts';
import { PricePath } from './price-path.ts';
import { maxRangeExits, planRange, rangeStrategyYaml, type RangePlan } from './range-plan.ts';

export const CHAOS_MARKET = 'BTC';
export const CHAOS_ACCOUNT = 1;
export const CHAOS_API_KEY = 3;
export const CHAOS_SLOT = 1;
export const CHAOS_MAX_ORDERS = 4;
/** Strategy variants the harness runs (`--variant`); dynamic-grid is the default. */
export const CHAOS_VARIANTS = ['dynamic-grid', 'range-grid'] as const;
export type ChaosVariant = (typeof CHAOS_VARIANTS)[number];
const POLL_MS = 25;
const FAST_POLL_MS = 2;
/** Wall ms the bot gets to connect / reconcile (process start-up included) before it counts as stuck. */
const START_TIMEOUT_MS = 300_000;
/** Still market after the last fault (and the last delayed answer) before the graceful stop. */
const SETTLE_MS = 2_500;
const STOP_TIMEOUT_MS = 120_000;
/** Fault-free trading after the last start reconciled, before the market freezes. */
const TRADE_ON_MS = 3_000;

export interface ChaosKey {
  publicKey: string;
  privateKey: string;
}

export interface RunResult {
  seed: number;
  run: number;
  /** Absent in results of older builds = dynamic-grid. */
  variant?: ChaosVariant;
  /** Grid direction (neutral: range grid only). */
  direction: 'buy' | 'sell' | 'neutral';
  /** Faults actually injected, by kind (a pick with nothing to act on is not counted). */
  injected: Partial<Record<FaultKind, number>>;
  planned: number;
  restarts: number;
  /** Wall ms from each restart (spawn) to its first venue.reconciled. */
  reconcileMs: number[];
  /** Wall ms from each restart's venue connection (live.started) to that venue.reconciled. */
  reconcileAfterConnectMs: number[];
  violations: Violation[];
  stats: { fills: number; entryFills: number; postOnlyCancels: number; txs: number; priceMoves: number };
  wallMs: number;
  /** Kept for inspection when something was violated. */
  dir?: string;
}

export interface RunOneOptions {
  seed: number;
  run: number;
  key: ChaosKey;
  /** Strategy variant the bot runs (default dynamic-grid). */
  variant?: ChaosVariant;
  /** Keep the run directory even when nothing was violated. */
  keepDir?: boolean;
  /** Progress lines (debug). */
  trace?: (line: string) => void;
}

function botYaml(sim: LighterSimServer, plan: RunPlan, store: string, range: RangePlan | null): string {
  const strategy = range
    ? rangeStrategyYaml(range)
    : `{ kind: dynamic-grid, direction: ${plan.direction}, order_notional_usd: 100, target_leverage: 10, take_profit: 0.5, grid_step: 0.0003, max_orders: ${CHAOS_MAX_ORDERS}, wait_time: 1, max_margin_usd: 500 }`;
  return (
    `venue:\n  kind: lighter\n  rest_url: ${sim.restUrl}\n  ws_url: ${sim.wsUrl}\n  chain_id: ${sim.chainId}\n  account_index: ${CHAOS_ACCOUNT}\n  api_key_index: ${CHAOS_API_KEY}\n` +
    `market: ${CHAOS_MARKET}\nstore: ${store}\ninstance_slot: ${CHAOS_SLOT}\n` +
    `strategy: ${strategy}\n`
  );
}

/** The venue-side bounds of the checks: dynamic grid max_orders; range grid its levels and max_resting_orders. */
function venueBounds(plan: RunPlan, range: RangePlan | null): Pick<VenueRecords, 'direction' | 'maxOrders' | 'maxOrdersName' | 'exitsBy' | 'maxEntries'> {
  if (!range) return { direction: plan.direction, maxOrders: CHAOS_MAX_ORDERS };
  return {
    direction: range.direction === 'long' ? 'buy' : range.direction === 'short' ? 'sell' : 'neutral',
    maxOrders: maxRangeExits(range),
    maxOrdersName: range.direction === 'neutral' ? 'grid_count + 1' : 'grid_count',
    exitsBy: 'role',
    maxEntries: range.maxRestingOrders,
  };
}

/** Journal lines; a line cut short by a kill is skipped. */
function journalLines(file: string): JournalLine[] {
  if (!existsSync(file)) return [];
  const out: JournalLine[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw.trim() === '') continue;
    try {
      out.push(JSON.parse(raw) as JournalLine);
    } catch {
      // torn by SIGKILL
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runOne(opts: RunOneOptions): Promise<RunResult> {
  const t0 = Date.now();
  const plan = planRun(opts.seed, opts.run);
  const variant: ChaosVariant = opts.variant ?? 'dynamic-grid';
  const range = variant === 'range-grid' ? planRange(plan) : null;
  const bounds = venueBounds(plan, range);
  /** Journal types that end a reconciliation for this variant. */
  const ends = reconcileEnds(variant);
  const trace = opts.trace ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), `chaos-${opts.seed}-${opts.run}-`));
  const store = join(dir, 'bot.sqlite');
  const events = join(dir, 'events.jsonl');
  const config = join(dir, 'bot.yaml');
  const violations: Violation[] = [];
  const seenInvariants = new Set<string>();
  const violate = (v: Violation) => {
    const key = `${v.invariant}`;
    if (seenInvariants.has(key)) return;
    seenInvariants.add(key);
    violations.push(v);
    trace(`VIOLATION ${v.invariant}: ${v.detail}`);
  };
  const injected: Partial<Record<FaultKind, number>> = {};
  const count = (k: FaultKind) => (injected[k] = (injected[k] ?? 0) + 1);
  const starts: number[] = [];
  const outputs: string[] = [];
  const timers: NodeJS.Timeout[] = [];
  let poller: NodeJS.Timeout | undefined;
  let fastPoller: NodeJS.Timeout | undefined;

  const serverClock = new SystemClock();
  const sim = await startLighterSim({
    port: 0,
    clock: serverClock,
    seed: plan.runSeed % 2 ** 31,
    markets: [simMarket(BTC)],
    driver: false,
    chainId: CHAIN_ID.testnet,
    accounts: [{ accountIndex: CHAOS_ACCOUNT, apiKeys: [{ apiKeyIndex: CHAOS_API_KEY, publicKey: opts.key.publicKey }] }],
  });
  const c = sim.control;
  const path = new PricePath(c, { market: CHAOS_MARKET, bid: BTC.book.bid, ask: BTC.book.ask, tickSize: BTC.info.tickSize, seed: plan.pathSeed, tickMs: plan.tickMs, stepTicks: plan.stepTicks, reversion: plan.reversion });
  writeFileSync(config, botYaml(sim, plan, store, range));
  const args = ['run', '--config', config, '--events', events, '--status-every', '1h'];
  const env = { LIGHTER_API_PRIVATE_KEY: opts.key.privateKey };

  let bot = new BotProcess(args, env);
  starts.push(bot.startedAt);
  let restarting: Promise<void> | undefined;
  /** Answer delays queued in the simulator, in the order answers will take them (mirrors FaultState). */
  let delayQueue: number[] = [];
  /** When the last delayed answer taken so far will have been written. */
  let ackUntil = 0;
  const records = (): VenueRecords => ({
    ...bounds,
    slot: CHAOS_SLOT,
    position: c.positionOf(CHAOS_MARKET).size,
    liveOrders: c.liveOrders(CHAOS_MARKET),
    fills: c.accountFills(CHAOS_MARKET),
    now: serverClock.now(),
  });

  /** Venue-clock times of every kill -9 (the venue clock is the system clock, as the journal's). */
  const kills: number[] = [];
  /** From each kill to its restart's reconciliation (read from the journal; open-ended if not yet). */
  const botDown = (): Array<{ from: number; until?: number }> => {
    const lines = journalLines(events);
    return kills.map((from) => {
      const restart = starts.find((s) => s > from);
      const hit = restart === undefined ? undefined : lines.find((l) => ends.includes(l.type) && Date.parse(l.time) >= restart);
      return hit ? { from, until: Date.parse(hit.time) } : { from };
    });
  };
  /** Venue checks; a reduce-only excess is looked at again with the bot's downtime (read only then: it reads the journal). */
  const checkLive = (): Violation[] => {
    const sample = records();
    const found = checkVenue(sample);
    if (kills.length === 0 || !found.some((v) => v.invariant === 'reduce-only-exceeds-position')) return found;
    return checkVenue({ ...sample, botDown: botDown() });
  };

  /** SIGKILL the bot (if up) and start it again on the same store after `after` ms. */
  const killAndRestart = (kind: FaultKind, after: number): boolean => {
    if (restarting || !bot.kill9()) return false;
    kills.push(serverClock.now());
    count(kind);
    trace(`${Date.now() - t0} ms: ${kind} (restart after ${after} ms)`);
    const dead = bot;
    restarting = (async () => {
      await dead.done;
      outputs.push(`--- start ${starts.length} (killed: ${kind})\n${dead.stdout}\n${dead.stderr}`);
      await sleep(after);
      bot = new BotProcess(args, env);
      starts.push(bot.startedAt);
      restarting = undefined;
    })();
    return true;
  };

  // Armed kills, checked by the fast poller (fills, store writes) or the answer hook (txs).
  let txArm: { left: number; until: number; restartAfterMs: number } | undefined;
  let fillArm: { fills: number; until: number; delayMs: number; restartAfterMs: number } | undefined;
  let writeArm: { stamp: string; until: number; delayMs: number; restartAfterMs: number } | undefined;
  const storeStamp = () =>
    ['', '-journal', '-wal']
      .map((s) => {
        try {
          const st = statSync(store + s);
          return `${st.mtimeMs}:${st.size}`;
        } catch {
          return '-';
        }
      })
      .join('|');
  c.faults.onBeforeAck(() => {
    const d = delayQueue.shift();
    if (d !== undefined) ackUntil = Math.max(ackUntil, Date.now() + d);
    if (!txArm) return;
    if (Date.now() > txArm.until) {
      txArm = undefined;
      return;
    }
    if (--txArm.left > 0) return;
    const after = txArm.restartAfterMs;
    txArm = undefined;
    killAndRestart('kill-on-tx', after);
  });
  const fastPoll = () => {
    const now = Date.now();
    if (fillArm) {
      if (now > fillArm.until) fillArm = undefined;
      else if (c.accountFills(CHAOS_MARKET).length > fillArm.fills) {
        const a = fillArm;
        fillArm = undefined;
        timers.push(setTimeout(() => killAndRestart('kill-on-fill', a.restartAfterMs), a.delayMs));
      }
    }
    if (writeArm) {
      if (now > writeArm.until) writeArm = undefined;
      else if (storeStamp() !== writeArm.stamp) {
        const a = writeArm;
        writeArm = undefined;
        timers.push(setTimeout(() => killAndRestart('kill-on-store-write', a.restartAfterMs), a.delayMs));
      }
    }
  };

  const pickLive = (x: number) => {
    const live = c.liveOrders(CHAOS_MARKET).filter((o) => o.status === 'open');
    return live.length === 0 ? undefined : live[Math.min(live.length - 1, Math.floor(x * live.length))];
  };

  const inject = (f: PlannedFault): void => {
    const p = f.p;
    const n = (k: string) => Number(p[k]);
    switch (f.kind) {
      case 'kill-random':
        killAndRestart(f.kind, n('restartAfterMs'));
        return;
      case 'kill-on-tx':
        txArm = { left: n('nth'), until: Date.now() + n('armForMs'), restartAfterMs: n('restartAfterMs') };
        return;
      case 'kill-on-fill':
        fillArm = { fills: c.accountFills(CHAOS_MARKET).length, until: Date.now() + n('armForMs'), delayMs: n('delayMs'), restartAfterMs: n('restartAfterMs') };
        return;
      case 'kill-on-store-write':
        writeArm = { stamp: storeStamp(), until: Date.now() + n('armForMs'), delayMs: n('delayMs'), restartAfterMs: n('restartAfterMs') };
        return;
      case 'ws-drop':
        c.faults.dropConnections({ account: CHAOS_ACCOUNT, mode: p.mode as 'terminate' | 'close' });
        break;
      case 'ws-refuse':
        c.faults.refuseConnections(n('ms'));
        c.faults.dropConnections({ account: CHAOS_ACCOUNT });
        break;
      case 'frame-drop':
        c.faults.dropFrames(String(p.channel), n('count'));
        break;
      case 'frame-duplicate':
        c.faults.duplicateFrames(String(p.channel), n('count'));
        break;
      case 'frame-reorder':
        c.faults.reorderFrames(String(p.channel), n('count'));
        break;
      case 'ack-delay':
      case 'ack-timeout':
        c.faults.delayAcks(n('ms'), p.count === undefined ? 1 : n('count'));
        for (let i = 0; i < (p.count === undefined ? 1 : n('count')); i++) delayQueue.push(n('ms'));
        break;
      case 'rest-5xx':
      case 'rest-429':
        c.faults.failRest(p.forMs !== undefined ? { status: n('status'), forMs: n('forMs') } : { status: n('status'), count: n('count') });
        break;
      case 'tx-reject':
        c.faults.rejectNextTx(n('code'), { count: n('count') });
        break;
      case 'sequencer-reject':
        c.faults.failInSequencer({ count: n('count') });
        break;
      case 'post-only-storm':
        path.storm(n('jumpTicks'), n('steps'), n('stepMs'));
        break;
      case 'partial-fill': {
        const o = pickLive(n('pick'));
        if (!o) return;
        const step = new Dec(BTC.info.sizeStep);
        const size = new Dec(o.size).minus(o.filledSize).times(n('fraction')).div(step).floor().times(step);
        if (size.lte(0)) return;
        c.counterpartyFill(CHAOS_MARKET, o.clientIndex, size.toFixed());
        break;
      }
      case 'order-expiry': {
        const o = pickLive(n('pick'));
        if (!o) return;
        c.expireOrder(CHAOS_MARKET, o.clientIndex);
        break;
      }
      case 'book-gap':
        c.faults.forceBookGap(CHAOS_MARKET);
        break;
    }
    count(f.kind);
    trace(`${Date.now() - t0} ms: ${f.kind} ${JSON.stringify(p)}`);
  };

  let stats: RunResult['stats'] = { fills: 0, entryFills: 0, postOnlyCancels: 0, txs: 0, priceMoves: 0 };
  try {
    if (!(await bot.waitFor(() => bot.connected, START_TIMEOUT_MS))) {
      violate({ invariant: 'not-reconciled', detail: `the first start did not connect within ${START_TIMEOUT_MS} ms (running: ${bot.running}):\n${bot.stdout.slice(-1000)}\n${bot.stderr.slice(-1000)}` });
      throw new Abort();
    }
    const origin = Date.now();
    trace(`${origin - t0} ms: the bot connected; price path and faults start`);
    path.start();
    poller = setInterval(() => {
      for (const v of checkLive()) violate(v);
    }, POLL_MS);
    fastPoller = setInterval(fastPoll, FAST_POLL_MS);
    for (const f of plan.faults) timers.push(setTimeout(() => inject(f), Math.max(0, origin + f.at - Date.now())));
    await sleep(plan.activeMs);

    // The last fault is behind us: a still, fault-free venue from here on.
    for (const t of timers) clearTimeout(t);
    txArm = fillArm = writeArm = undefined;
    c.faults.clear();
    delayQueue = [];
    c.faults.onBeforeAck(null);
    clearInterval(fastPoller);
    while (restarting) await restarting;
    const last = bot;
    const lastStart = starts.at(-1)!;
    const reconciled = () => journalLines(events).some((l) => ends.includes(l.type) && Date.parse(l.time) >= lastStart);
    if (!(await last.waitFor(reconciled, START_TIMEOUT_MS))) {
      violate({ invariant: 'not-reconciled', detail: `the bot started at +${lastStart - t0} ms did not reconcile within ${START_TIMEOUT_MS} ms (running: ${last.running})` });
    }
    // The bot trades on after the last restart (fault-free), then the market stands still.
    trace(`${Date.now() - t0} ms: the last start reconciled; trading on for ${TRADE_ON_MS} ms`);
    await sleep(TRADE_ON_MS);
    path.freeze();
    await sleep(Math.max(SETTLE_MS, ackUntil - Date.now() + SETTLE_MS));
    clearInterval(poller);
    const { now: _sampledAt, ...atStop } = records(); // the final check grants no flatten grace
    for (const v of checkVenue(atStop)) violate(v);

    trace(`${Date.now() - t0} ms: SIGINT`);
    last.interrupt();
    const exit = await Promise.race([last.done, sleep(STOP_TIMEOUT_MS).then(() => null)]);
    outputs.push(`--- start ${starts.length} (graceful stop)\n${last.stdout}\n${last.stderr}`);
    if (exit === null) {
      last.kill9();
      await last.done;
      violate({ invariant: 'bot-exit', detail: `the bot did not stop within ${STOP_TIMEOUT_MS} ms of SIGINT` });
    } else if (exit.code !== 0) {
      violate({ invariant: 'bot-exit', detail: `graceful stop ended with code ${exit.code} signal ${exit.signal}: ${last.stderr.slice(-1500)}` });
    }

    trace(`${Date.now() - t0} ms: the bot stopped (${JSON.stringify(exit)})`);
    // Final: the venue's records against the persisted snapshot.
    const rec = records();
    const view = await loadBotView(store, variant, violate);
    if (view) for (const v of checkFinal(rec, view)) violate(v);
    const journal = journalLines(events);
    for (const l of journal.filter((x) => x.level === 'error')) violate({ invariant: 'bot-error', detail: `${l.time} ${l.type}: ${l.message}` });
    const fills = rec.fills;
    const times = reconcileTimes(journal, starts, ends);
    stats = {
      fills: fills.length,
      // dynamic grid: entry.filled; range grid: level.filled of an entry order.
      entryFills: journal.filter((l) => l.type === 'entry.filled' || (l.type === 'level.filled' && decodeClientIndex(Number(l.payload?.clientIndex))?.role.kind === 'entry')).length,
      postOnlyCancels: c.allOrders(CHAOS_MARKET).filter((o) => o.cancelReason === 'post-only').length,
      txs: c.txLog().length,
      priceMoves: path.moves,
    };
    return {
      seed: opts.seed,
      run: opts.run,
      variant,
      direction: bounds.direction,
      injected,
      planned: plan.faults.length,
      restarts: starts.length - 1,
      reconcileMs: times.fromStart,
      reconcileAfterConnectMs: times.fromConnect,
      violations,
      stats,
      wallMs: Date.now() - t0,
      ...(violations.length > 0 || opts.keepDir ? { dir } : {}),
    };
  } catch (err) {
    if (!(err instanceof Abort)) violate({ invariant: 'bot-exit', detail: `runner error: ${(err as Error).stack ?? String(err)}` });
    return { seed: opts.seed, run: opts.run, variant, direction: bounds.direction, injected, planned: plan.faults.length, restarts: starts.length - 1, reconcileMs: [], reconcileAfterConnectMs: [], violations, stats, wallMs: Date.now() - t0, dir };
  } finally {
    for (const t of timers) clearTimeout(t);
    if (poller) clearInterval(poller);
    if (fastPoller) clearInterval(fastPoller);
    path.freeze();
    while (restarting) await restarting;
    if (bot.kill9()) {
      await bot.done;
      outputs.push(`--- start ${starts.length} (killed at the end of the run)\n${bot.stdout}\n${bot.stderr}`);
    }
    // The venue's side of a kept run (for diagnosis): position, every order and fill of the account.
    const venueDump = violations.length > 0 || opts.keepDir ? { position: c.positionOf(CHAOS_MARKET), orders: c.allOrders(CHAOS_MARKET), fills: c.accountFills(CHAOS_MARKET) } : null;
    await sim.close();
    serverClock.clearAll();
    if (venueDump) {
      writeFileSync(join(dir, 'output.txt'), outputs.join('\n'));
      writeFileSync(join(dir, 'venue.json'), JSON.stringify(venueDump, null, 2));
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(range ? { ...plan, variant, range } : plan, null, 2));
    } else rmSync(dir, { recursive: true, force: true });
  }
}

class Abort extends Error {}

/**
 * Journal types that end a reconciliation (the bot opened its gate and trades): venue.reconciled;
 * for the range grid also reconcile.ledger-mismatch, which it journals INSTEAD when the level
 * ledger differs from the venue position (it trades on; a lasting mismatch fails tracked-total).
 */
export function reconcileEnds(variant: ChaosVariant): string[] {
  return variant === 'range-grid' ? ['venue.reconciled', 'reconcile.ledger-mismatch'] : ['venue.reconciled'];
}

/**
 * Reconcile times of every restart, wall ms: `fromStart` = spawn → its first venue.reconciled
 * (Node and module start-up included); `fromConnect` = its live.started (venue connected) →
 * that venue.reconciled. A start killed before it reconciled has no entry.
 */
export function reconcileTimes(journal: JournalLine[], starts: number[], ends: string[] = ['venue.reconciled']): { fromStart: number[]; fromConnect: number[] } {
  const fromStart: number[] = [];
  const fromConnect: number[] = [];
  for (let i = 1; i < starts.length; i++) {
    const from = starts[i]!;
    const to = starts[i + 1] ?? Infinity;
    const mine = journal.filter((l) => Date.parse(l.time) >= from && Date.parse(l.time) < to);
    const hit = mine.find((l) => ends.includes(l.type));
    if (!hit) continue;
    fromStart.push(Date.parse(hit.time) - from);
    const started = mine.find((l) => l.type === 'live.started');
    if (started) fromConnect.push(Date.parse(hit.time) - Date.parse(started.time));
  }
  return { fromStart, fromConnect };
}

/**
 * The bot's persisted view, loaded as the bot itself would: identity and machine version of
 * `variant` from the registry, the status from the variant's `status()` (bot-view.ts).
 */
async function loadBotView(store: string, variant: ChaosVariant, violate: (v: Violation) => void): Promise<BotView | null> {
  const reg = registeredVariant(variant);
  if (!reg) throw new Error(`variant ${variant} is not registered`);
  const identity: BotIdentity = { venue: 'lighter', account: String(CHAOS_ACCOUNT), market: CHAOS_MARKET, slot: CHAOS_SLOT, variant };
  let opened;
  try {
    opened = await openKeyv(store);
  } catch (err) {
    violate({ invariant: 'snapshot-loads', detail: `the store ${store} does not open: ${(err as Error).message}` });
    return null;
  }
  try {
    const env = await new SnapshotStore(opened.keyv).load(botKey(identity), { machineVersion: reg.variant.machineVersion, bot: identity });
    if (!env) {
      violate({ invariant: 'snapshot-loads', detail: `no snapshot for ${botKey(identity)} in ${store}` });
      return null;
    }
    const snap = env.snapshot as PersistedSnapshot;
    if (snap.status !== 'active') violate({ invariant: 'snapshot-loads', detail: `the stored snapshot has status ${snap.status}` });
    return botViewOf(variant, snap, (s) => reg.variant.status(s));
  } catch (err) {
    violate({ invariant: 'snapshot-loads', detail: `the stored snapshot does not load: ${(err as Error).message}` });
    return null;
  } finally {
    await opened.close();
  }
}
