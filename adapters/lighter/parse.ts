/**
 * Parsers for Lighter REST bodies and WebSocket frames: raw text in, typed result out.
 *
 * Invariants:
 * - Never throws: every failure (non-JSON, wrong shape, price as a number, missing field,
 *   off-grid or out-of-range value, unknown status) comes back as
 *   `{ ok: false, error: LighterParseError }` with a short excerpt, so a caller can log it
 *   and carry on (VEN-06). A frame is accepted or rejected whole: no partial state change.
 * - JSON is parsed losslessly (ids up to 2^60 − 1 stay exact).
 * - Frames of kinds we do not use (height, market_stats, …) are `{ kind: 'ignored' }`, not
 *   errors. Objects in markets we do not trade, and other accounts' trades, are skipped.
 * - REST: a body is an error when the HTTP status is not 2xx or it carries `code` ≠ 200;
 *   such errors become VenueErrors through the ./errors.ts table; a non-JSON body is a
 *   transport failure ('unavailable').
 */
import type { z } from 'zod';
import type { Bbo, MarketInfo, VenueError, VenueFill, VenuePosition } from '../types.ts';
import { mapLighterError } from './errors.ts';
import { parseJsonLossless } from './json.ts';
import { checkBookLevel, MapError, mapOrder, mapPosition, mapTrade, toEpochMs, toMarketInfo, toMarketSpec, type LighterOrderView, type MarketSpec, type ParseContext } from './map.ts';
import {
  accountAllFrameSchema,
  accountOrdersFrameSchema,
  accountResponseSchema,
  accountTradesFrameSchema,
  errorBodySchema,
  errorFrameSchema,
  nextNonceResponseSchema,
  orderBookDetailsResponseSchema,
  orderBookFrameSchema,
  ordersResponseSchema,
  sendTxAckSchema,
  sendTxResponseSchema,
  tickerFrameSchema,
  tradesResponseSchema,
  type ParsedWireTrade,
} from './types.ts';

export interface LighterParseError {
  kind: 'parse';
  /** What was wrong, e.g. "orders: expected record, received undefined". */
  message: string;
  /** The first 160 characters of the input. */
  excerpt: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: LighterParseError };

const EXCERPT = 160;

function fail(text: string, message: string): { ok: false; error: LighterParseError } {
  const excerpt = text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
  return { ok: false, error: { kind: 'parse', message, excerpt } };
}

function zodMessage(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

/** JSON → schema → mapper, with every failure turned into a result. */
function run<S extends z.ZodType, T>(text: string, schema: S, map: (v: z.output<S>) => T, json?: unknown): ParseResult<T> {
  let raw: unknown = json;
  if (raw === undefined) {
    try {
      raw = parseJsonLossless(text);
    } catch (err) {
      return fail(text, `not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return fail(text, zodMessage(parsed.error));
  try {
    return { ok: true, value: map(parsed.data) };
  } catch (err) {
    if (err instanceof MapError) return fail(text, err.message);
    return fail(text, `unexpected: ${String(err)}`);
  }
}

// ---------------------------------------------------------------------------- REST

/** Parsed REST envelope: the JSON body, or the VenueError it stands for. */
export type RestEnvelope = { ok: true; body: unknown } | { ok: false; error: VenueError };

/** Applies the envelope rules to an HTTP answer (status + raw body text). */
export function parseRestEnvelope(httpStatus: number, text: string): RestEnvelope {
  let body: unknown;
  try {
    body = parseJsonLossless(text);
  } catch {
    // A non-JSON answer (e.g. a Cloudflare HTML page) is a transport failure, not a venue reply.
    const status = httpStatus >= 500 || httpStatus === 403 ? httpStatus : 502;
    return { ok: false, error: mapLighterError(undefined, `non-JSON body (HTTP ${httpStatus}): ${text.slice(0, 80)}`, status) };
  }
  const err = errorBodySchema.safeParse(body);
  const code = err.success ? err.data.code : undefined;
  const failed = httpStatus < 200 || httpStatus >= 300 || (code !== undefined && code !== 200);
  if (!failed) return { ok: true, body };
  return { ok: false, error: mapLighterError(code, err.success ? (err.data.message ?? '') : '', httpStatus) };
}

export interface MarketDetails {
  spec: MarketSpec;
  info: MarketInfo;
  /** "active" | "inactive". */
  status: string;
}

export function parseOrderBookDetails(text: string): ParseResult<MarketDetails[]> {
  return run(text, orderBookDetailsResponseSchema, (b) =>
    b.order_book_details.map((d) => ({ spec: toMarketSpec(d), info: toMarketInfo(d), status: d.status })),
  );
}

export function parseNextNonce(text: string): ParseResult<number> {
  return run(text, nextNonceResponseSchema, (b) => b.nonce);
}

/** accountActiveOrders / accountInactiveOrders / accountOrders. */
export function parseOrders(text: string, ctx: ParseContext): ParseResult<{ orders: LighterOrderView[]; nextCursor?: string }> {
  return run(text, ordersResponseSchema, (b) => ({
    orders: b.orders.map((o) => mapOrder(o, ctx)).filter((o): o is LighterOrderView => o !== null),
    ...(b.next_cursor ? { nextCursor: b.next_cursor } : {}),
  }));
}

/** trades / recentTrades: our fills, oldest first. */
export function parseTrades(text: string, ctx: ParseContext): ParseResult<{ fills: VenueFill[]; nextCursor?: string }> {
  return run(text, tradesResponseSchema, (b) => ({
    fills: fillsOf(b.trades, ctx),
    ...(b.next_cursor ? { nextCursor: b.next_cursor } : {}),
  }));
}

/** account?by=index: our signed positions and balance. */
export function parseAccount(text: string, ctx: ParseContext): ParseResult<{ positions: VenuePosition[]; availableBalance?: string; collateral?: string }> {
  return run(text, accountResponseSchema, (b) => {
    const acct = b.accounts.find((a) => (a.account_index ?? a.index) === ctx.accountIndex) ?? b.accounts[0];
    if (!acct) throw new MapError(`account ${ctx.accountIndex} not in response`);
    return {
      positions: acct.positions.map((p) => mapPosition(p, ctx)).filter((p): p is VenuePosition => p !== null),
      ...(acct.available_balance !== undefined ? { availableBalance: acct.available_balance } : {}),
      ...(acct.collateral !== undefined ? { collateral: acct.collateral } : {}),
    };
  });
}

export function parseSendTxResponse(text: string): ParseResult<{ txHash: string; predictedExecutionMs?: number }> {
  return run(text, sendTxResponseSchema, (b) => ({
    txHash: b.tx_hash,
    ...(b.predicted_execution_time_ms !== undefined ? { predictedExecutionMs: b.predicted_execution_time_ms } : {}),
  }));
}

function fillsOf(trades: readonly ParsedWireTrade[], ctx: ParseContext): VenueFill[] {
  return trades.flatMap((t) => mapTrade(t, ctx)).sort((a, b) => a.time - b.time);
}

// ---------------------------------------------------------------------------- WebSocket

export interface BookLevel {
  price: string;
  size: string;
}

export type Phase = 'snapshot' | 'update';

export type LighterWsFrame =
  | { kind: 'connected'; sessionId?: string }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'error'; code: number; message: string; id?: string; error: VenueError }
  | { kind: 'sendtx-ack'; id?: string; txHash: string | string[]; batch: boolean }
  | {
      kind: 'order-book';
      phase: Phase;
      marketIndex: number;
      market?: string;
      /** Exact digit strings; continuity: update.beginNonce === previous nonce. */
      nonce: string;
      beginNonce?: string;
      offset?: number;
      asks: BookLevel[];
      bids: BookLevel[];
      time?: number;
    }
  | { kind: 'ticker'; phase: Phase; marketIndex: number; bbo: Bbo }
  | { kind: 'account-orders'; phase: Phase; channel: string; orders: LighterOrderView[] }
  | { kind: 'account-trades'; phase: Phase; fills: VenueFill[] }
  | { kind: 'account-all'; phase: Phase; account: number; positions: VenuePosition[]; fills: VenueFill[] }
  | { kind: 'ignored'; type: string };

/** "order_book:0" → 0 (the trailing numeric segment of a channel). */
export function channelIndex(channel: string): number | undefined {
  const m = /[:/](\d+)$/.exec(channel);
  return m ? Number(m[1]) : undefined;
}

const phaseOf = (type: string): Phase => (type.startsWith('subscribed/') ? 'snapshot' : 'update');

function levels(list: readonly BookLevel[], spec: MarketSpec | undefined): BookLevel[] {
  // Levels come padded to the market decimals; off-grid or out-of-range ones reject the frame.
  return list.map((l) => (spec ? checkBookLevel(l, spec) : { price: l.price, size: l.size }));
}

/** WS frame dispatch: by `type`, then by the error shape. */
const WS_PARSERS: Readonly<Record<string, (text: string, json: unknown, ctx: ParseContext) => ParseResult<LighterWsFrame>>> = {
  'subscribed/order_book': parseBookFrame,
  'update/order_book': parseBookFrame,
  'subscribed/ticker': parseTickerFrame,
  'update/ticker': parseTickerFrame,
  'subscribed/account_orders': parseAccountOrdersFrame,
  'update/account_orders': parseAccountOrdersFrame,
  'subscribed/account_all_orders': parseAccountOrdersFrame,
  'update/account_all_orders': parseAccountOrdersFrame,
  'subscribed/account_all_trades': parseAccountTradesFrame,
  'update/account_all_trades': parseAccountTradesFrame,
  'subscribed/account_all': parseAccountAllFrame,
  'update/account_all': parseAccountAllFrame,
  'jsonapi/sendtx': parseAckFrame,
  'jsonapi/sendtxbatch': parseAckFrame,
  error: parseErrorFrame,
  connected: (_t, json) => ({ ok: true, value: { kind: 'connected', ...sessionOf(json) } }),
  ping: () => ({ ok: true, value: { kind: 'ping' } }),
  pong: () => ({ ok: true, value: { kind: 'pong' } }),
};

function sessionOf(json: unknown): { sessionId?: string } {
  const id = (json as { session_id?: unknown }).session_id;
  return typeof id === 'string' ? { sessionId: id } : {};
}

/** Parses one WebSocket text frame. Never throws. */
export function parseWsFrame(text: string, ctx: ParseContext): ParseResult<LighterWsFrame> {
  let json: unknown;
  try {
    json = parseJsonLossless(text);
  } catch (err) {
    return fail(text, `not JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail(text, 'frame is not a JSON object');
  const type = (json as { type?: unknown }).type;
  if ('error' in json) return parseErrorFrame(text, json, ctx);
  if (typeof type !== 'string') return fail(text, 'frame has no string "type"');
  const parser = Object.hasOwn(WS_PARSERS, type) ? WS_PARSERS[type] : undefined;
  if (!parser) return { ok: true, value: { kind: 'ignored', type } };
  try {
    return parser(text, json, ctx);
  } catch (err) {
    return fail(text, `unexpected: ${String(err)}`);
  }
}

function parseBookFrame(text: string, json: unknown, ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    orderBookFrameSchema,
    (f) => {
      const marketIndex = channelIndex(f.channel);
      if (marketIndex === undefined) throw new MapError(`channel ${f.channel} names no market`);
      const spec = ctx.markets.get(marketIndex);
      const ob = f.order_book;
      return {
        kind: 'order-book',
        phase: phaseOf(f.type),
        marketIndex,
        ...(spec ? { market: spec.symbol } : {}),
        nonce: ob.nonce,
        ...(ob.begin_nonce !== undefined ? { beginNonce: ob.begin_nonce } : {}),
        ...(ob.offset ?? f.offset) !== undefined ? { offset: (ob.offset ?? f.offset)! } : {},
        asks: levels(ob.asks, spec),
        bids: levels(ob.bids, spec),
        ...(f.timestamp !== undefined ? { time: f.timestamp } : {}),
      };
    },
    json,
  );
}

function parseTickerFrame(text: string, json: unknown, ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    tickerFrameSchema,
    (f) => {
      const marketIndex = channelIndex(f.channel);
      const spec = marketIndex === undefined ? undefined : ctx.markets.get(marketIndex);
      if (marketIndex === undefined || !spec) throw new MapError(`ticker for unknown market (${f.channel})`);
      levels([f.ticker.a, f.ticker.b], spec);
      const time = f.timestamp ?? toEpochMs(f.ticker.last_updated_at) ?? ctx.now?.() ?? 0;
      const bbo: Bbo = { market: spec.symbol, bid: f.ticker.b.price, ask: f.ticker.a.price, bidSize: f.ticker.b.size, askSize: f.ticker.a.size, time };
      return { kind: 'ticker', phase: phaseOf(f.type), marketIndex, bbo };
    },
    json,
  );
}

function parseAccountOrdersFrame(text: string, json: unknown, ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    accountOrdersFrameSchema,
    (f) => ({
      kind: 'account-orders',
      phase: phaseOf(f.type),
      channel: f.channel,
      orders: Object.values(f.orders)
        .flat()
        .map((o) => mapOrder(o, ctx))
        .filter((o): o is LighterOrderView => o !== null),
    }),
    json,
  );
}

function tradesIn(trades: Record<string, ParsedWireTrade[]> | ParsedWireTrade[] | undefined): ParsedWireTrade[] {
  if (!trades) return [];
  return Array.isArray(trades) ? trades : Object.values(trades).flat();
}

function parseAccountTradesFrame(text: string, json: unknown, ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(text, accountTradesFrameSchema, (f) => ({ kind: 'account-trades', phase: phaseOf(f.type), fills: fillsOf(tradesIn(f.trades), ctx) }), json);
}

function parseAccountAllFrame(text: string, json: unknown, ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    accountAllFrameSchema,
    (f) => ({
      kind: 'account-all',
      phase: phaseOf(f.type),
      account: f.account,
      positions: Object.values(f.positions ?? {})
        .map((p) => mapPosition(p, ctx))
        .filter((p): p is VenuePosition => p !== null),
      fills: f.account === ctx.accountIndex ? fillsOf(tradesIn(f.trades), ctx) : [],
    }),
    json,
  );
}

function parseAckFrame(text: string, json: unknown, _ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    sendTxAckSchema,
    (f): LighterWsFrame => {
      if (f.code !== undefined && f.code !== 200) {
        const id = f.id === undefined ? undefined : String(f.id);
        return { kind: 'error', code: f.code, message: f.message ?? '', ...(id ? { id } : {}), error: mapLighterError(f.code, f.message ?? '') };
      }
      return { kind: 'sendtx-ack', ...(f.id !== undefined ? { id: String(f.id) } : {}), txHash: f.tx_hash, batch: f.type === 'jsonapi/sendtxbatch' };
    },
    json,
  );
}

function parseErrorFrame(text: string, json: unknown, _ctx: ParseContext): ParseResult<LighterWsFrame> {
  return run(
    text,
    errorFrameSchema,
    (f) => {
      const body = ('error' in f ? f.error : f) as { code: number; message?: string | null };
      const message = body.message ?? '';
      return {
        kind: 'error',
        code: body.code,
        message,
        ...(f.id !== undefined ? { id: String(f.id) } : {}),
        error: mapLighterError(body.code, message),
      };
    },
    json,
  );
}
