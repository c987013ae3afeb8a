/**
 * The REST reads the Lighter adapter needs, parsed into port types (protocol notes §2.2,
 * §4.7): market details, next nonce, our active / inactive / looked-up orders, our trades,
 * our account's positions.
 *
 * Invariants:
 * - Private reads carry the auth token (`auth` query parameter), minted per attempt.
 * - Only our account's orders and fills are returned, in the asked market; fills oldest
 *   first; lists follow `next_cursor` for at most `MAX_PAGES` pages.
 * - A body that does not parse is an 'unavailable' VenueError (a transport-level problem),
 *   never a partial answer.
 */
import { VenueError, type VenueFill, type VenuePosition } from '../../types.ts';
import type { LighterOrderView, MarketSpec, ParseContext } from '../map.ts';
import { parseAccount, parseNextNonce, parseOrderBookDetails, parseOrders, parseTrades, type MarketDetails, type ParseResult } from '../parse.ts';
import type { LighterHttpClient } from './client.ts';

export const PAGE_LIMIT = 100;
export const MAX_PAGES = 5;

function unwrap<T>(what: string, r: ParseResult<T>): T {
  if (r.ok) return r.value;
  throw new VenueError('unavailable', `Lighter ${what}: unreadable answer (${r.error.message})`, { reason: 'unparseable' });
}

export class LighterReads {
  constructor(
    private readonly http: LighterHttpClient,
    private readonly ctx: ParseContext,
    private readonly auth: (o?: { fresh?: boolean; refused?: boolean }) => string,
  ) {}

  private get account(): number {
    return this.ctx.accountIndex;
  }

  /** orderBookDetails (all markets); `attempts` Infinity at start-up. */
  async marketDetails(attempts?: number): Promise<MarketDetails[]> {
    const text = await this.http.get('orderBookDetails', { filter: 'perp' }, attempts !== undefined ? { attempts } : {});
    return unwrap('orderBookDetails', parseOrderBookDetails(text));
  }

  async nextNonce(apiKeyIndex: number): Promise<number> {
    const text = await this.http.get('nextNonce', { account_index: this.account, api_key_index: apiKeyIndex });
    return unwrap('nextNonce', parseNextNonce(text));
  }

  async activeOrders(spec: MarketSpec): Promise<LighterOrderView[]> {
    const text = await this.http.get('accountActiveOrders', { account_index: this.account, market_id: spec.marketIndex }, { auth: this.auth });
    return this.mine(unwrap('accountActiveOrders', parseOrders(text, this.ctx)).orders, spec);
  }

  /** Ended orders updated at or after `since`, newest first. */
  async inactiveOrders(spec: MarketSpec, since: number): Promise<LighterOrderView[]> {
    const out: LighterOrderView[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const text = await this.http.get(
        'accountInactiveOrders',
        { account_index: this.account, market_id: spec.marketIndex, limit: PAGE_LIMIT, ...(cursor ? { cursor } : {}) },
        { auth: this.auth },
      );
      const r = unwrap('accountInactiveOrders', parseOrders(text, this.ctx));
      const mine = this.mine(r.orders, spec);
      out.push(...mine.filter((v) => v.order.updatedAt >= since));
      const oldest = mine.reduce((t, v) => Math.min(t, v.order.updatedAt), Infinity);
      if (!r.nextCursor || r.orders.length < PAGE_LIMIT || oldest < since) break;
      cursor = r.nextCursor;
    }
    return out;
  }

  /** accountOrders by client order index (active or ended). */
  async ordersByClientIndex(spec: MarketSpec, clientIndex: number): Promise<LighterOrderView[]> {
    const text = await this.http.get('accountOrders', { account_index: this.account, client_order_indexes: clientIndex }, { auth: this.auth });
    return this.mine(unwrap('accountOrders', parseOrders(text, this.ctx)).orders, spec).filter((v) => v.order.clientIndex === clientIndex);
  }

  /** Our fills at or after `since`, oldest first. */
  async fills(spec: MarketSpec, since: number): Promise<VenueFill[]> {
    const out = new Map<string, VenueFill>();
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const text = await this.http.get(
        'trades',
        { sort_by: 'timestamp', sort_dir: 'desc', limit: PAGE_LIMIT, market_id: spec.marketIndex, account_index: this.account, ...(cursor ? { cursor } : {}) },
        { auth: this.auth },
      );
      const r = unwrap('trades', parseTrades(text, this.ctx));
      for (const f of r.fills) if (f.market === spec.symbol && f.time >= since) out.set(f.tradeId, f);
      const oldest = r.fills.reduce((t, f) => Math.min(t, f.time), Infinity);
      if (!r.nextCursor || r.fills.length === 0 || oldest < since) break;
      cursor = r.nextCursor;
    }
    return [...out.values()].sort((a, b) => a.time - b.time);
  }

  /** Our signed position in one market (flat when the venue lists none). */
  async position(spec: MarketSpec): Promise<VenuePosition> {
    const text = await this.http.get('account', { by: 'index', value: this.account });
    const r = unwrap('account', parseAccount(text, this.ctx));
    return r.positions.find((p) => p.market === spec.symbol) ?? { market: spec.symbol, size: '0', avgEntryPrice: '0', realizedPnl: '0' };
  }

  private mine(views: LighterOrderView[], spec: MarketSpec): LighterOrderView[] {
    return views.filter((v) => v.marketIndex === spec.marketIndex && v.accountIndex === this.account);
  }
}
