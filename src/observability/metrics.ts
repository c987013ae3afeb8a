/**
 * Prometheus metrics of one running bot (prom-client), served as text at GET /metrics by the
 * control endpoint. Fed from what the Bot already reports — no machine is touched:
 *
 * - journal records (`journal(rec)`): orders accepted / rejected by reason, cancels, fills,
 *   retries, market fallbacks, recoveries, WebSocket disconnects / reconnects, every event
 *   by level and type;
 * - `onRequest(kind, detail)` (`request`): orders sent by kind, REST calls (total and over the
 *   last minute of wall time);
 * - `onWrite(ms)` (`write`): persistence write latency;
 * - `inspect` (`inspect`): the reaction latency — wall time from a venue event that needs an
 *   answer (an entry fill → its exit; an exit cancelled → its repost) to the request that
 *   answers it, matched by position number;
 * - the bot's status, read at scrape time (`watch`): venue position, tracked size, exposure,
 *   realized / unrealized PnL, resting exits, gate refusal reasons, risk phase.
 *
 * Invariants:
 * - One Registry per instance (never prom-client's global one): two bots in one process or
 *   two tests never share counters.
 * - Label values come from fixed sets or are reduced to `[a-z0-9_.-]{1,40}`: no message text,
 *   no payload value other than a bounded reason / mode reaches a label; no secret is read.
 * - Gauges are floats by the format: decimal strings are converted for display only
 *   (Decimal.toNumber at this edge), never fed back into trading.
 */
import type { InspectionEvent } from 'xstate';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VenueFill, VenueOrder } from '../../adapters/types.ts';
import { decodeClientIndex, type RoleKind } from '../domain/client-index.ts';
import { Dec } from '../domain/decimal.ts';
import type { JournalRecord } from '../runtime/bot.ts';
import type { BotStatus } from '../runtime/status.ts';
import type { JournalLine } from './journal.ts';

export const METRICS_PREFIX = 'gridchart_';
/** Reaction windows still unanswered after this long (wall ms) are dropped unobserved. */
const REACTION_PENDING_MS = 60_000;
const MINUTE_MS = 60_000;

export type OrderKind = 'entry' | 'exit' | 'market' | 'close';
export type RequestKind = 'place' | 'cancel' | 'query' | 'reconcile';

/** What the scrape reads: the bot status plus the two context fields status lacks. */
export interface StatusSource {
  (): { status: BotStatus; riskPhase?: string; exposure?: string | undefined; operatorPaused?: boolean } | undefined;
}

export interface BotMetricsOptions {
  market: string;
  slot?: number;
  /** Add prom-client's process metrics (CPU, memory, event loop lag); default false. */
  processMetrics?: boolean;
  /** Wall clock in ms (tests); default performance.now. */
  now?: () => number;
}

export function orderKindOf(kind: RoleKind): OrderKind {
  switch (kind) {
    case 'entry':
      return 'entry';
    case 'close':
    case 'close-retry':
    case 'refresh':
    case 'ladder':
      return 'exit';
    case 'market-exit':
      return 'market';
    case 'flatten':
    case 'stop-loss-close':
    case 'stop-price-close':
      return 'close';
  }
}

/** A label value from free text: lower case, `[a-z0-9_.-]`, at most 40 characters. */
export function labelValue(text: unknown, fallback = 'unknown'): string {
  if (typeof text !== 'string') return fallback;
  const v = text.toLowerCase().split(/\s/)[0].replace(/[^a-z0-9_.-]/g, '').slice(0, 40);
  return v === '' ? fallback : v;
}

const toNumber = (s: string | undefined | null): number => {
  if (s === undefined || s === null || s === '') return 0;
  try {
    return new Dec(s).toNumber();
  } catch (err) {
    // Not a decimal: shown as NaN (the scrape still answers) rather than a wrong figure.
    if (err instanceof Error) return Number.NaN;
    throw err;
  }
};

export class BotMetrics {
  readonly registry = new Registry();
  private readonly now: () => number;
  private source: StatusSource | undefined;
  /** Wall times of REST calls in the last minute (oldest first). */
  private readonly calls: number[] = [];
  /** Position number → when an event needing an answer arrived. */
  private readonly pending = new Map<number, { at: number; trigger: 'fill' | 'exit-canceled' }>();

  private readonly sent: Counter<'kind'>;
  private readonly accepted: Counter<'kind'>;
  private readonly rejected: Counter<'kind' | 'reason'>;
  private readonly canceled: Counter<'kind' | 'reason'>;
  private readonly fills: Counter<'kind'>;
  private readonly retries: Counter<'kind'>;
  private readonly fallbacks: Counter;
  private readonly recoveries: Counter<'stage' | 'mode'>;
  private readonly restCalls: Counter<'kind'>;
  private readonly wsReconnects: Counter;
  private readonly wsDisconnects: Counter;
  private readonly connected: Gauge;
  private readonly events: Counter<'level' | 'type'>;
  private readonly writeFailures: Counter;
  private readonly writeLatency: Histogram;
  private readonly reaction: Histogram<'trigger'>;

  constructor(readonly opts: BotMetricsOptions) {
    this.now = opts.now ?? (() => performance.now());
    const r = [this.registry];
    const p = METRICS_PREFIX;
    this.registry.setDefaultLabels({ market: opts.market, ...(opts.slot !== undefined ? { slot: String(opts.slot) } : {}) });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: p });

    this.sent = new Counter({ name: `${p}orders_sent_total`, help: 'Order placements sent to the venue, by kind (entry, exit, market = market exit, close = whole-bot close)', labelNames: ['kind'], registers: r });
    this.accepted = new Counter({ name: `${p}orders_accepted_total`, help: 'Orders the venue accepted (entry.placed, exit.placed / reposted / refreshed)', labelNames: ['kind'], registers: r });
    this.rejected = new Counter({ name: `${p}orders_rejected_total`, help: 'Orders refused: reason rejected (venue refusal), post-only (would cross), market-failed', labelNames: ['kind', 'reason'], registers: r });
    this.canceled = new Counter({ name: `${p}orders_canceled_total`, help: 'Orders that ended cancelled, by kind and venue cancel reason', labelNames: ['kind', 'reason'], registers: r });
    this.fills = new Counter({ name: `${p}fills_total`, help: 'Fills of our orders (each partial fill counts), by kind', labelNames: ['kind'], registers: r });
    this.retries = new Counter({ name: `${p}retries_total`, help: 'Further attempts after a failed one: exit reposts (close-retry-k), market exits, whole-bot closes', labelNames: ['kind'], registers: r });
    this.fallbacks = new Counter({ name: `${p}market_fallbacks_total`, help: 'Positions that fell back to a reduce-only market exit after the limit retries', registers: r });
    this.recoveries = new Counter({ name: `${p}recoveries_total`, help: 'Stuck-exit recovery steps, by stage (detected, started, market-close, done) and mode', labelNames: ['stage', 'mode'], registers: r });
    this.restCalls = new Counter({ name: `${p}rest_calls_total`, help: 'REST requests the bot sent, by kind (a reconcile counts once)', labelNames: ['kind'], registers: r });
    const calls = this.calls;
    const now = this.now;
    new Gauge({
      name: `${p}rest_calls_per_minute`,
      help: 'REST requests sent in the last 60 s of wall time',
      registers: r,
      collect() {
        pruneOlder(calls, now() - MINUTE_MS);
        this.set(calls.length);
      },
    });
    this.wsReconnects = new Counter({ name: `${p}ws_reconnects_total`, help: 'Venue stream reconnects (venue.reconnected)', registers: r });
    this.wsDisconnects = new Counter({ name: `${p}ws_disconnects_total`, help: 'Venue stream losses (venue.disconnected)', registers: r });
    this.connected = new Gauge({ name: `${p}venue_connected`, help: '1 while the venue stream is up (0 after venue.disconnected until venue.reconnected)', registers: r });
    this.connected.set(1);
    this.events = new Counter({ name: `${p}journal_events_total`, help: 'Journal events (grid-strategy.md §6), by level and type', labelNames: ['level', 'type'], registers: r });
    this.writeFailures = new Counter({ name: `${p}persistence_write_failures_total`, help: 'Snapshot writes that failed (store.write-failed)', registers: r });
    this.writeLatency = new Histogram({
      name: `${p}persistence_write_seconds`,
      help: 'Snapshot write latency (persister write, including the store round trip)',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    });
    this.reaction = new Histogram({
      name: `${p}reaction_latency_seconds`,
      help: 'Wall time from a venue event needing an answer to the request answering it: trigger fill (entry fill → exit placement) or exit-canceled (→ repost)',
      labelNames: ['trigger'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: r,
    });
    this.statusGauges();
  }

  /** Reads the bot's status at every scrape (undefined: the bot is not running; gauges keep their last value). */
  watch(source: StatusSource): void {
    this.source = source;
  }

  readonly journal = (rec: JournalRecord | JournalLine): void => {
    this.events.inc({ level: rec.level, type: labelValue(rec.type) });
    const payload = (rec.payload ?? {}) as Record<string, unknown>;
    switch (rec.type) {
      case 'entry.placed':
        return this.accepted.inc({ kind: 'entry' });
      case 'exit.placed':
      case 'exit.refreshed':
        return this.accepted.inc({ kind: 'exit' });
      case 'exit.reposted':
        this.accepted.inc({ kind: 'exit' });
        return this.retries.inc({ kind: 'exit' });
      case 'entry.rejected':
        return this.rejected.inc({ kind: 'entry', reason: 'rejected' });
      case 'entry.canceled-post-only':
        return this.rejected.inc({ kind: 'entry', reason: 'post-only' });
      case 'entry.canceled':
        return this.canceled.inc({ kind: 'entry', reason: 'canceled' });
      case 'entry.timeout':
        return this.canceled.inc({ kind: 'entry', reason: 'timeout' });
      case 'exit.rejected':
        return this.rejected.inc({ kind: 'exit', reason: 'rejected' });
      case 'exit.canceled': {
        const reason = labelValue(payload.reason);
        if (reason === 'post-only') this.rejected.inc({ kind: 'exit', reason: 'post-only' });
        return this.canceled.inc({ kind: 'exit', reason });
      }
      case 'exit.market-failed':
        this.rejected.inc({ kind: 'market', reason: 'market-failed' });
        return this.retries.inc({ kind: 'market' });
      case 'stop-loss.failed':
        this.rejected.inc({ kind: 'close', reason: 'rejected' });
        return this.retries.inc({ kind: 'close' });
      case 'entry.filled':
        return this.fills.inc({ kind: 'entry' });
      case 'exit.filled':
        return this.fills.inc({ kind: 'exit' });
      case 'exit.market-fallback':
        return this.fallbacks.inc();
      case 'recovery.detected':
      case 'recovery.started':
      case 'recovery.market-close':
      case 'recovery.done':
        return this.recoveries.inc({ stage: rec.type.slice('recovery.'.length), mode: labelValue(payload.mode) });
      case 'venue.disconnected':
        this.connected.set(0);
        return this.wsDisconnects.inc();
      case 'venue.reconnected':
        this.connected.set(1);
        return this.wsReconnects.inc();
      case 'store.write-failed':
        return this.writeFailures.inc();
      default:
        return;
    }
  };

  /** Usable as `BotOptions.onRequest`. */
  readonly request = (kind: RequestKind, detail: Record<string, unknown>): void => {
    const t = this.now();
    this.restCalls.inc({ kind });
    this.calls.push(t);
    if (this.calls.length > 4096) pruneOlder(this.calls, t - MINUTE_MS);
    const idx = typeof detail.clientIndex === 'number' ? decodeClientIndex(detail.clientIndex) : null;
    if (kind === 'place' && idx) this.sent.inc({ kind: orderKindOf(idx.role.kind) });
    if ((kind === 'place' || kind === 'cancel') && idx) {
      const p = this.pending.get(idx.n);
      if (p && idx.role.kind !== 'entry') {
        this.pending.delete(idx.n);
        if (t - p.at <= REACTION_PENDING_MS) this.reaction.observe({ trigger: p.trigger }, (t - p.at) / 1000);
      }
    }
  };

  /** Usable as `BotOptions.onWrite` (ms). */
  readonly write = (ms: number): void => {
    if (Number.isFinite(ms) && ms >= 0) this.writeLatency.observe(ms / 1000);
  };

  /** Usable as `BotOptions.inspect`: marks venue events that need an answer (reaction latency). */
  readonly inspect = (ev: InspectionEvent): void => {
    if (ev.type !== '@xstate.event' || ev.sourceRef !== undefined) return;
    const e = ev.event as { type: string; fill?: VenueFill; order?: VenueOrder };
    let index: number | undefined;
    let trigger: 'fill' | 'exit-canceled' | undefined;
    if (e.type === 'order.filled' && e.fill) {
      index = e.fill.clientIndex;
      trigger = 'fill';
    } else if (e.type === 'order.updated' && e.order && e.order.status === 'canceled') {
      index = e.order.clientIndex;
      trigger = 'exit-canceled';
    } else return;
    const idx = decodeClientIndex(index);
    if (!idx) return;
    // An entry fill is answered by its exit; a cancelled limit exit by its repost.
    const answers = trigger === 'fill' ? idx.role.kind === 'entry' : orderKindOf(idx.role.kind) === 'exit';
    if (!answers) return;
    const t = this.now();
    for (const [n, p] of this.pending) if (t - p.at > REACTION_PENDING_MS) this.pending.delete(n);
    if (!this.pending.has(idx.n)) this.pending.set(idx.n, { at: t, trigger });
  };

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  private statusGauges(): void {
    const p = METRICS_PREFIX;
    const r = [this.registry];
    const read = () => this.source?.();
    const seen = new Set<string>();
    const gauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<StatusSource>>) => number) =>
      new Gauge({
        name: `${p}${name}`,
        help,
        registers: r,
        collect() {
          const s = read();
          if (s) this.set(pick(s));
        },
      });
    gauge('position_size', 'Signed venue position (base units; > 0 long, < 0 short)', (s) => toNumber(s.status.venuePosition));
    gauge('tracked_size', 'Sum of the remaining sizes of the tracked positions (base units)', (s) => toNumber(s.status.trackedSize));
    gauge('avg_entry_price', 'Average entry price of the venue position (0 when flat)', (s) => toNumber(s.status.avgEntry));
    gauge('exposure_usd', 'Position exposure in quote units (venue-reported, else |size| × mid)', (s) => exposureOf(s));
    gauge('realized_pnl_usd', 'Realized PnL of the closed positions (quote units)', (s) => toNumber(s.status.realizedPnl));
    gauge('unrealized_pnl_usd', 'Unrealized PnL of the venue position at mid (quote units)', (s) => toNumber(s.status.unrealizedPnl));
    gauge('positions_tracked', 'Tracked positions (position children)', (s) => s.status.positions.length);
    gauge('exits_resting', 'Limit exits resting on the book', (s) => s.status.restingExits);
    gauge('entry_in_flight', '1 while an entry order is in flight', (s) => (s.status.entry ? 1 : 0));
    gauge('gate_open', '1 when a new entry would be admitted now', (s) => (s.status.gate.open ? 1 : 0));
    gauge('operator_paused', '1 while the operator pause latch is set', (s) => (s.operatorPaused ? 1 : 0));
    gauge('next_position_number', 'The durable position counter n', (s) => s.status.nextN);
    new Gauge({
      name: `${p}gate_refusal`,
      help: '1 for each admission refusal reason in effect (0 for reasons seen before and lifted)',
      labelNames: ['reason'],
      registers: r,
      collect() {
        const s = read();
        if (!s) return;
        const now = new Set(s.status.gate.reasons.map((x) => labelValue(x)));
        for (const reason of seen) if (!now.has(reason)) this.set({ reason }, 0);
        for (const reason of now) {
          seen.add(reason);
          this.set({ reason }, 1);
        }
      },
    });
    new Gauge({
      name: `${p}risk_phase`,
      help: '1 for the risk region phase in effect (armed, flattening, suspending, halted, coolingOff)',
      labelNames: ['phase'],
      registers: r,
      collect() {
        const s = read();
        if (!s || s.riskPhase === undefined) return;
        this.reset();
        this.set({ phase: labelValue(s.riskPhase) }, 1);
      },
    });
  }
}

function exposureOf(s: NonNullable<ReturnType<StatusSource>>): number {
  if (s.exposure !== undefined && s.exposure !== '') return toNumber(s.exposure);
  const size = new Dec(s.status.venuePosition || '0').abs();
  const book = s.status.book;
  if (size.isZero() || !book) return 0;
  return size.times(new Dec(book.bid).plus(book.ask).div(2)).toNumber();
}

function pruneOlder(times: number[], cutoff: number): void {
  let i = 0;
  while (i < times.length && times[i] < cutoff) i++;
  if (i > 0) times.splice(0, i);
}
