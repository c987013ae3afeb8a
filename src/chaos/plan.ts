/**
 * The seeded plan of one chaos run: grid direction, price path parameters and the faults to
 * inject, each at a wall-time offset from the moment the bot first connected.
 *
 * Invariants:
 * - Pure and deterministic: `planRun(seed, run)` depends on nothing but its arguments
 *   (mulberry32 seeded from both), so a run is replayed with the same `--seed S --run K`.
 * - Faults are sorted by `at`; every `at` lies in [FIRST_FAULT_MS, activeMs − LAST_FAULT_GAP_MS];
 *   nothing is injected during the settle window after `activeMs`.
 * - Every kind in FAULT_KINDS is reachable; kills stay a minority so the bot also trades.
 */
import { Mulberry32, seedToUint32 } from '../../adapters/sim/index.ts';

export const FAULT_KINDS = [
  'kill-random',
  'kill-on-tx',
  'kill-on-fill',
  'kill-on-store-write',
  'ws-drop',
  'ws-refuse',
  'frame-drop',
  'frame-duplicate',
  'frame-reorder',
  'ack-delay',
  'ack-timeout',
  'rest-5xx',
  'rest-429',
  'tx-reject',
  'sequencer-reject',
  'post-only-storm',
  'partial-fill',
  'order-expiry',
  'book-gap',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const KILL_KINDS: ReadonlySet<FaultKind> = new Set(['kill-random', 'kill-on-tx', 'kill-on-fill', 'kill-on-store-write']);

/** WebSocket channels of the adapter (adapters/lighter/websocket/dispatch.ts), by prefix. */
export const FRAME_CHANNELS = ['account_all_orders', 'account_all_trades', 'account_all/', 'order_book/'] as const;

export interface PlannedFault {
  /** Wall ms after the bot first connected. */
  at: number;
  kind: FaultKind;
  /** Kind-specific: counts, durations, channels, HTTP status, delays, pick fractions. */
  p: Record<string, number | string>;
}

export interface RunPlan {
  seed: number;
  run: number;
  /** The run's own PRNG seed (derived from seed and run). */
  runSeed: number;
  direction: 'buy' | 'sell';
  /** Wall ms of price movement and faults. */
  activeMs: number;
  /** Price path: one move every tickMs, uniform in ±stepTicks, pulled back to the start by reversion. */
  tickMs: number;
  stepTicks: number;
  reversion: number;
  pathSeed: number;
  faults: PlannedFault[];
}

export const FIRST_FAULT_MS = 600;
export const LAST_FAULT_GAP_MS = 400;
/** The adapter's default transaction answer timeout (adapters/lighter/options.ts). */
export const ADAPTER_SEND_TIMEOUT_MS = 10_000;

/** The run's PRNG seed: both numbers hashed, so neighbouring runs are unrelated. */
export function runSeedOf(seed: number, run: number): number {
  return seedToUint32(`chaos:${seed}:${run}`);
}

export function planRun(seed: number, run: number): RunPlan {
  if (!Number.isSafeInteger(seed)) throw new Error(`chaos seed ${seed} must be an integer`);
  if (!Number.isSafeInteger(run) || run < 1) throw new Error(`chaos run ${run} must be an integer ≥ 1`);
  const runSeed = runSeedOf(seed, run);
  const rng = new Mulberry32(runSeed);
  const u = () => rng.next();
  const int = (lo: number, hi: number) => lo + Math.floor(u() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(u() * xs.length)]!;

  const direction = u() < 0.5 ? 'buy' : 'sell';
  const activeMs = int(5_000, 8_000);
  const count = int(4, 9);
  const faults: PlannedFault[] = [];
  let kills = 0;
  let timeout = false;
  for (let i = 0; i < count; i++) {
    let kind = pick(FAULT_KINDS);
    // At most two kills and one send timeout per run: the bot must also get to trade.
    if ((KILL_KINDS.has(kind) && kills >= 2) || (kind === 'ack-timeout' && timeout)) kind = pick(['ws-drop', 'partial-fill', 'post-only-storm', 'ack-delay'] as const);
    if (KILL_KINDS.has(kind)) kills++;
    if (kind === 'ack-timeout') timeout = true;
    faults.push({ at: 0, kind, p: params(kind, u, int, pick) });
  }
  for (const f of faults) f.at = int(FIRST_FAULT_MS, activeMs - LAST_FAULT_GAP_MS);
  faults.sort((a, b) => a.at - b.at);
  return { seed, run, runSeed, direction, activeMs, tickMs: int(60, 120), stepTicks: int(40, 120), reversion: 0.003 + u() * 0.007, pathSeed: int(1, 2 ** 31), faults };
}

function params(kind: FaultKind, u: () => number, int: (lo: number, hi: number) => number, pick: <T>(xs: readonly T[]) => T): PlannedFault['p'] {
  switch (kind) {
    case 'kill-random':
      return { restartAfterMs: int(0, 300) };
    case 'kill-on-tx':
      // Killed when the nth transaction answer after arming is about to be written.
      return { nth: int(1, 3), restartAfterMs: int(0, 300), armForMs: 3_000 };
    case 'kill-on-fill':
      return { delayMs: int(0, 20), restartAfterMs: int(0, 300), armForMs: 3_000 };
    case 'kill-on-store-write':
      return { delayMs: int(0, 3), restartAfterMs: int(0, 300), armForMs: 3_000 };
    case 'ws-drop':
      return { mode: pick(['terminate', 'close'] as const) };
    case 'ws-refuse':
      return { ms: int(200, 1_500) };
    case 'frame-drop':
    case 'frame-duplicate':
      return { channel: pick(FRAME_CHANNELS), count: int(1, 3) };
    case 'frame-reorder':
      return { channel: pick(FRAME_CHANNELS), count: int(2, 3) };
    case 'ack-delay':
      return { ms: int(100, 2_500), count: int(1, 3) };
    case 'ack-timeout':
      return { ms: ADAPTER_SEND_TIMEOUT_MS + int(200, 800) };
    case 'rest-5xx':
      return u() < 0.5 ? { status: pick([500, 502, 503] as const), count: int(1, 4) } : { status: pick([500, 502, 503] as const), forMs: int(200, 1_500) };
    case 'rest-429':
      return u() < 0.5 ? { status: 429, count: int(1, 4) } : { status: 429, forMs: int(200, 1_500) };
    case 'tx-reject':
      // 21104 invalid nonce, 29500 internal error, 23000 too many requests: refused, no nonce consumed.
      return { code: pick([21104, 29500, 23000] as const), count: int(1, 2) };
    case 'sequencer-reject':
      return { count: int(1, 2) };
    case 'post-only-storm':
      // Jumps of ±jumpTicks around the path, one every stepMs, for steps steps.
      return { jumpTicks: int(200, 600), steps: int(4, 10), stepMs: int(40, 150) };
    case 'partial-fill':
      return { pick: u(), fraction: 0.2 + u() * 0.6 };
    case 'order-expiry':
      return { pick: u() };
    case 'book-gap':
      return {};
  }
}
