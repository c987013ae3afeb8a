/**
 * LighterVenue over sockets (wall clock): secrets stay inside (CFG-06), the stream events of
 * a reconnect, REST fallback for transactions while the WebSocket is down.
 */
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { isVenueError, type VenueStreamEvent } from '../types.ts';
import type { LighterLogger } from './common/logger.ts';
import { startSimVenue, TEST_ACCOUNT, testKey, type SimVenueSetup } from './testing.ts';
import { createLighterVenue, wsUrlFor } from './venue.ts';

const open: SimVenueSetup[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

const TOKEN = /\d+:\d+:\d+:[0-9a-f]{160}/;

function capture(lines: string[]): LighterLogger {
  const at = (level: string) => (m: string, f?: Record<string, unknown>) => lines.push(`${level} ${m} ${f ? JSON.stringify(f) : ''}`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

async function waitFor(what: string, pred: () => boolean, s: SimVenueSetup, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await s.settle();
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('LighterVenue', () => {
  it('CFG-06 the key and auth tokens never appear in logs, errors, events, toJSON or inspect output', async () => {
    const lines: string[] = [];
    const s = await startSimVenue({ venue: { logger: capture(lines), reconnect: { baseMs: 20, maxMs: 100 } } });
    open.push(s);
    const key = s.key.privateKey;
    const events: VenueStreamEvent[] = [];
    s.venue.subscribe('TEST', (e) => events.push(e));
    const errors: string[] = [];
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 7, side: 'buy', type: 'limit', price: '99.90', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    s.server.control.faults.rejectNextTx(21739, { message: 'not enough margin' });
    for (const p of [
      () => s.venue.placeOrder({ market: 'TEST', clientIndex: 8, side: 'buy', type: 'limit', price: '99.80', size: '1.000', timeInForce: 'post-only', reduceOnly: false }),
      () => s.venue.placeOrder({ market: 'TEST', clientIndex: 9, side: 'buy', type: 'limit', price: '99.805', size: '1.000', timeInForce: 'post-only', reduceOnly: false }),
      () => s.venue.cancelOrder('TEST', 12345),
    ]) {
      try {
        await p();
      } catch (err) {
        errors.push(`${String(err)} ${JSON.stringify(err)} ${(err as Error).stack ?? ''}`);
      }
    }
    expect(errors).toHaveLength(3);
    s.server.control.counterpartyFill('TEST', 7);
    s.server.control.faults.dropConnections();
    await waitFor('the catch-up', () => events.some((e) => e.type === 'venue.caught-up'), s);
    const text = [lines.join('\n'), errors.join('\n'), JSON.stringify(events), JSON.stringify(s.venue), inspect(s.venue, { depth: 10 }), String(s.venue), JSON.stringify(s.venue.stats())].join('\n');
    expect(lines.some((l) => l.startsWith('debug'))).toBe(true);
    expect(text).not.toContain(key);
    expect(text).not.toContain(key.toUpperCase());
    expect(text).not.toMatch(TOKEN);
    expect(Object.values(s.venue as unknown as Record<string, unknown>).map((v) => (typeof v === 'string' ? v : '')).join()).not.toContain(key);
    expect(JSON.stringify(s.venue)).toContain('"privateKey":"[redacted]"');
  });

  it('CFG-05 a malformed key is refused at construction without echoing it', async () => {
    const k = (await testKey()).privateKey;
    const bad = k.slice(0, 70) + 'zz';
    const make = (privateKey: string) => createLighterVenue({ restUrl: 'http://127.0.0.1:9', wsUrl: 'ws://127.0.0.1:9/stream', chainId: 300, accountIndex: 1, apiKeyIndex: 3, privateKey });
    expect(() => make(bad)).toThrow(/80 hex characters/);
    try {
      make(bad);
    } catch (err) {
      expect(String(err)).not.toContain(bad.slice(0, 20));
    }
    expect(() => make(`0x${k}`)).not.toThrow();
    expect(() => make(k)).not.toThrow();
  });

  it('VEN-04 a drop emits venue.down, venue.up and one venue.caught-up; transactions go over REST while the socket is down', async () => {
    const s = await startSimVenue({ venue: { reconnect: { baseMs: 300, maxMs: 300, jitter: 0 } } });
    open.push(s);
    const events: VenueStreamEvent[] = [];
    s.venue.subscribe('TEST', (e) => events.push(e));
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 21, side: 'buy', type: 'limit', price: '99.90', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    s.server.control.faults.dropConnections();
    await waitFor('venue.down', () => events.some((e) => e.type === 'venue.down'), s);
    expect(s.venue.wsOpen).toBe(false);
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 22, side: 'buy', type: 'limit', price: '99.80', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    s.server.control.counterpartyFill('TEST', 21);
    await waitFor('the catch-up', () => events.some((e) => e.type === 'venue.caught-up'), s);
    const v = events.filter((e) => e.type.startsWith('venue.')).map((e) => e.type);
    expect(v).toEqual(['venue.down', 'venue.up', 'venue.caught-up']);
    const creates = s.server.control.txLog().filter((t) => t.txType === 14);
    expect(creates.map((t) => t.via)).toEqual(['ws', 'rest']);
    const report = events.find((e): e is Extract<VenueStreamEvent, { type: 'venue.caught-up' }> => e.type === 'venue.caught-up')!.report;
    expect(report.orders.map((o) => [o.clientIndex, o.status])).toEqual(expect.arrayContaining([[21, 'filled'], [22, 'open']]));
    expect(report.fills.map((f) => f.clientIndex)).toEqual([21]);
    expect(Number(report.position.size)).toBe(1);
    // The fill was seen once: from the snapshot after the reconnect, not again from the report.
    expect(events.filter((e) => e.type === 'order.filled')).toHaveLength(1);
  });

  it('RST-11 chaos seed 1 run 13: a lost first frame of a channel (at start or after a reconnect) is asked for again instead of waited for forever', async () => {
    const lines: string[] = [];
    const s = await startSimVenue({ noConnect: true, venue: { logger: capture(lines), snapshotTimeoutMs: 200, reconnect: { baseMs: 50, maxMs: 50, jitter: 0 } } });
    open.push(s);
    const trades = `account_all_trades/${TEST_ACCOUNT}`;
    // The subscription's snapshot is the channel's first frame: it is lost.
    s.server.control.faults.dropFrames(trades, 1);
    const started = Date.now();
    await s.venue.connect();
    expect(Date.now() - started).toBeLessThan(4_000); // liveness only (the watchdog is 200 ms)
    expect(lines.filter((l) => l.includes('no snapshot for a subscription') && l.includes(trades))).toHaveLength(1);
    // After a reconnect the same: the catch-up still comes.
    const events: VenueStreamEvent[] = [];
    s.venue.subscribe('TEST', (e) => events.push(e));
    s.server.control.faults.dropFrames(trades, 1);
    s.server.control.faults.dropConnections();
    await waitFor('the catch-up', () => events.some((e) => e.type === 'venue.caught-up'), s);
    expect(lines.filter((l) => l.includes('no snapshot for a subscription') && l.includes(trades))).toHaveLength(2);
  });

  it('RST-11 chaos seed 1 run 137: a fill whose position update is lost gets one REST position read; fills followed by their update cost none', async () => {
    const lines: string[] = [];
    const s = await startSimVenue({ venue: { logger: capture(lines), positionFollowUpMs: 200 } });
    open.push(s);
    const events: VenueStreamEvent[] = [];
    s.venue.subscribe('TEST', (e) => events.push(e));
    const positions = () => events.filter((e): e is Extract<VenueStreamEvent, { type: 'position.updated' }> => e.type === 'position.updated').map((e) => e.position.size);
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 31, side: 'buy', type: 'limit', price: '99.90', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 32, side: 'buy', type: 'limit', price: '99.80', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    s.server.control.counterpartyFill('TEST', 31);
    await waitFor('the first position update', () => positions().length === 1, s);
    await new Promise((r) => setTimeout(r, 400));
    expect(s.venue.stats().positionFollowUps).toBe(0);
    // The position frame that follows the next fill is lost.
    s.server.control.faults.dropFrames(`account_all/${TEST_ACCOUNT}`, 1);
    s.server.control.counterpartyFill('TEST', 32);
    await waitFor('the fill', () => events.filter((e) => e.type === 'order.filled').length === 2, s);
    expect(positions().map(Number)).toEqual([1]);
    await waitFor('the position read over REST', () => positions().length === 2, s, 5_000);
    expect(positions().map(Number)).toEqual([1, 2]);
    expect(s.venue.stats().positionFollowUps).toBe(1);
    expect(lines.filter((l) => l.includes('no position update after a fill'))).toHaveLength(1);
  });

  it('getOrder finds active and ended orders by client index; unknown indexes are null; an unknown market is rejected', async () => {
    const s = await startSimVenue();
    open.push(s);
    await s.venue.placeOrder({ market: 'TEST', clientIndex: 31, side: 'buy', type: 'limit', price: '99.90', size: '1.000', timeInForce: 'post-only', reduceOnly: false });
    await s.settle();
    expect(await s.venue.getOrder('TEST', 31)).toMatchObject({ status: 'open', clientIndex: 31 });
    await s.venue.cancelOrder('TEST', 31);
    await s.settle();
    expect(await s.venue.getOrder('TEST', 31)).toMatchObject({ status: 'canceled', cancelReason: 'by-user' });
    expect(await s.venue.getOrder('TEST', 32)).toBeNull();
    try {
      await s.venue.bbo('NOPE');
      throw new Error('resolved');
    } catch (err) {
      expect(isVenueError(err) && err.kind === 'rejected' && /unknown market "NOPE"/.test(err.message)).toBe(true);
    }
  });

  it('derives the WebSocket URL from the REST URL when ws_url is absent', () => {
    expect(wsUrlFor('https://mainnet.zklighter.elliot.ai')).toBe('wss://mainnet.zklighter.elliot.ai/stream');
    expect(wsUrlFor('http://127.0.0.1:8123/')).toBe('ws://127.0.0.1:8123/stream');
    expect(() => wsUrlFor('ftp://x')).toThrow(/http\(s\)/);
  });
});
