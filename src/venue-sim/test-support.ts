/**
 * Test support for the simulator's socket tests (not a test file): a base-fixture server
 * on a simulated clock, a WASM signer with a generated key registered on it, a small
 * WebSocket client that records frames, and REST helpers.
 *
 * Invariants: only 127.0.0.1 sockets; the clock is a SimClock shared by server and signer
 * (it moves only when a test advances it); the private key never leaves the process.
 */
import WebSocket from 'ws';
import { simMarket, TEST, BTC } from '../../adapters/sim/index.ts';
import { createWasmSigner, generateApiKey, type LighterSigner } from '../../adapters/lighter/signer/signer.ts';
import { parseJsonLossless } from '../../adapters/lighter/json.ts';
import { marketMap, type ParseContext } from '../../adapters/lighter/map.ts';
import { SimClock } from '../runtime/clock.ts';
import { startLighterSim } from './server.ts';
import type { LighterSimOptions, LighterSimServer } from './types.ts';

export const T0 = 1_795_480_000_000;
export const ACCOUNT = 1;
export const API_KEY = 3;
export const CHAIN = 300;
export const EXPIRY = T0 + 28 * 86_400_000;

export interface Fixture {
  server: LighterSimServer;
  clock: SimClock;
  signer: LighterSigner;
  ctx: ParseContext;
  close(): Promise<void>;
}

export async function startFixture(over: Partial<LighterSimOptions> = {}, firstNonce = 1): Promise<Fixture> {
  const clock = new SimClock(T0);
  const key = await generateApiKey();
  const server = await startLighterSim({
    clock,
    seed: 7,
    markets: [simMarket(TEST), simMarket(BTC)],
    accounts: [
      { accountIndex: ACCOUNT, apiKeys: [{ apiKeyIndex: API_KEY, publicKey: key.publicKey, nonce: firstNonce }] },
      { accountIndex: 2, apiKeys: [{ apiKeyIndex: 4, publicKey: '0x' + 'ab'.repeat(40) }] },
    ],
    ...over,
  });
  const signer = await createWasmSigner({ privateKey: key.privateKey, chainId: CHAIN, accountIndex: ACCOUNT, apiKeyIndex: API_KEY, now: () => clock.now() });
  const ctx: ParseContext = {
    markets: marketMap([
      { marketIndex: 0, symbol: 'TEST', priceDecimals: 2, sizeDecimals: 3 },
      { marketIndex: 1, symbol: 'BTC', priceDecimals: 1, sizeDecimals: 5 },
    ]),
    accountIndex: ACCOUNT,
    now: () => clock.now(),
  };
  return { server, clock, signer, ctx, close: () => server.close() };
}

export interface HttpAnswer {
  status: number;
  text: string;
  json: Record<string, unknown>;
}

export async function get(server: LighterSimServer, path: string, params: Record<string, string | number> = {}, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const url = new URL(path, server.restUrl);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = parseJsonLossless(text) as Record<string, unknown>;
  } catch {
    // non-JSON answers (404 pages) keep `json` empty; tests look at `text`
  }
  return { status: res.status, text, json };
}

export async function post(server: LighterSimServer, path: string, body: FormData | URLSearchParams | string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  const res = await fetch(new URL(path, server.restUrl), { method: 'POST', body, headers });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

/** sendTx as a multipart form (what the official TS client does). */
export function sendTx(server: LighterSimServer, txType: number, txInfo: string): Promise<HttpAnswer> {
  const form = new FormData();
  form.set('tx_type', String(txType));
  form.set('tx_info', txInfo);
  return post(server, '/api/v1/sendTx', form);
}

type Frame = Record<string, unknown>;

/** A WebSocket client that records every frame (parsed JSON, or `{raw}` for non-JSON). */
export class WsClient {
  readonly frames: Frame[] = [];
  readonly texts: string[] = [];
  closedWith: { code: number; reason: string } | null = null;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.texts.push(text);
      let f: Frame;
      try {
        f = parseJsonLossless(text) as Frame;
      } catch {
        f = { raw: text };
      }
      this.frames.push(f);
      this.wake();
    });
    ws.on('close', (code, reason) => {
      this.closedWith = { code, reason: reason.toString() };
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async open(url: string): Promise<WsClient> {
    const ws = new WebSocket(url);
    const c = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    await c.waitFor((f) => f.type === 'connected');
    return c;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  subscribe(channel: string, auth?: string): void {
    this.send({ type: 'subscribe', channel, ...(auth ? { auth } : {}) });
  }

  /** The first recorded frame (from index `from`) matching `pred`; waits up to `ms`. */
  async waitFor(pred: (f: Frame) => boolean, opts: { from?: number; ms?: number } = {}): Promise<Frame> {
    const deadline = Date.now() + (opts.ms ?? 3000);
    for (;;) {
      const hit = this.frames.slice(opts.from ?? 0).find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching frame within ${opts.ms ?? 3000} ms; got ${this.texts.map((t) => t.slice(0, 120)).join('\n')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  async waitClosed(ms = 3000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + ms;
    while (!this.closedWith) {
      if (Date.now() > deadline) throw new Error('socket did not close');
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return this.closedWith;
  }

  /** Lets in-flight frames arrive (a few event-loop turns). */
  async settle(ms = 60): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  close(): void {
    this.ws.close();
  }
}

export function ofType(type: string, channel?: string): (f: Frame) => boolean {
  return (f) => f.type === type && (channel === undefined || f.channel === channel);
}
