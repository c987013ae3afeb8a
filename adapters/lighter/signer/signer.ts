/**
 * The `LighterSigner`: signs the five transactions gridchart sends (CreateOrder,
 * CancelOrder, CancelAllOrders, ModifyOrder, UpdateLeverage) and auth tokens, offline,
 * with explicit nonces. `createWasmSigner` backs it with the official Go-WASM signer
 * (./wasm-loader.ts); another implementation (pure TS) could replace it behind the interface.
 *
 * Invariants:
 * - Inputs are venue integers (already scaled by ../codec.ts); each is checked to be a safe
 *   integer in its protocol range before the WASM sees it. A nonce is always explicit (the
 *   WASM would otherwise fetch one over HTTP).
 * - The private key lives only in this module's closure. It never appears in an error
 *   message, `toString`, `JSON.stringify` or `util.inspect` output of a signer, nor of a
 *   generated key pair. Messages coming back from the WASM are scrubbed of long hex runs.
 * - Signatures are randomized (Schnorr): never compare `Sig` values. `txHash` depends only
 *   on the transaction fields (including `ExpiredAt`, taken from the injected clock).
 * - Several signers may share one WASM instance; the WASM keeps one registered key per
 *   (account, api key), so a signer re-registers its key whenever another signer used the
 *   same pair since its last call.
 */
import { inspect } from 'node:util';
import {
  CANCEL_ALL_TIF,
  MARGIN_MODE,
  MARGIN_FRACTION_TICK,
  MAX_ACCOUNT_INDEX,
  MAX_API_KEY_INDEX,
  MAX_CLIENT_ORDER_INDEX,
  MAX_MARKET_INDEX,
  MAX_NONCE,
  MAX_WIRE_BASE_AMOUNT,
  MAX_WIRE_PRICE,
  ORDER_TYPE,
  TIME_IN_FORCE,
  type CancelAllMode,
  type MarginMode,
  type WireTimeInForce,
} from '../constants.ts';
import { loadSignerWasm, type LoadedSignerWasm, type WasmTxResult } from './wasm-loader.ts';

export interface SignedTx {
  txType: number;
  /** tx_info JSON with PascalCase keys, ready for `sendTx`. */
  txInfo: string;
  /** 80 lowercase hex characters (40 bytes), no 0x. */
  txHash: string;
}

export interface CreateOrderParams {
  marketIndex: number;
  /** Client order index, 1 … 2^48 − 1. */
  clientOrderIndex: number;
  /** Size in venue integer units (≥ 1; 0 only with reduceOnly = "whole position"). */
  baseAmount: number;
  /** Price in venue integer units (uint32, ≥ 1); for market orders the worst price. */
  price: number;
  isAsk: boolean;
  type: 'limit' | 'market';
  timeInForce: WireTimeInForce;
  reduceOnly: boolean;
  /** 0 = none (the only value gridchart uses). */
  triggerPrice?: number;
  /** Epoch ms; 0 for IOC/market orders, non-zero for GTT/post-only. */
  orderExpiry: number;
  nonce: number;
}

export interface CancelOrderParams {
  marketIndex: number;
  /** A client order index or a (safe-integer) server order index. */
  index: number;
  nonce: number;
}

export interface CancelAllParams {
  mode: CancelAllMode;
  /** Epoch ms for `scheduled`, 0 otherwise. */
  time: number;
  nonce: number;
}

export interface ModifyOrderParams {
  marketIndex: number;
  index: number;
  baseAmount: number;
  price: number;
  triggerPrice?: number;
  nonce: number;
}

export interface UpdateLeverageParams {
  marketIndex: number;
  /** 10000 / leverage (see ../codec.ts `leverageToInitialMarginFraction`). */
  initialMarginFraction: number;
  marginMode: MarginMode;
  nonce: number;
}

export interface LighterSigner {
  readonly chainId: number;
  readonly accountIndex: number;
  readonly apiKeyIndex: number;
  createOrder(p: CreateOrderParams): SignedTx;
  cancelOrder(p: CancelOrderParams): SignedTx;
  cancelAll(p: CancelAllParams): SignedTx;
  modifyOrder(p: ModifyOrderParams): SignedTx;
  updateLeverage(p: UpdateLeverageParams): SignedTx;
  /** `"{deadline}:{account}:{apiKey}:{160 hex}"`; deadline in unix seconds. */
  authToken(deadlineSec: number): string;
}

export interface WasmSignerOptions {
  /** 80 hex characters (40 bytes), with or without 0x. */
  privateKey: string;
  chainId: number;
  accountIndex: number;
  apiKeyIndex: number;
  /** Base URL the Go client is created with; never contacted (nonces are explicit). */
  url?: string;
  /** Wall clock (epoch ms) the WASM reads for `ExpiredAt`; defaults to Date.now. */
  now?: () => number;
  /** A preloaded WASM (tests, custom package dir); defaults to the shared pinned one. */
  wasm?: LoadedSignerWasm;
}

/** Signing failed (bad input, WASM refusal). The message never contains key material. */
export class LighterSignerError extends Error {
  constructor(
    readonly op: string,
    message: string,
  ) {
    super(`${op}: ${message}`);
    this.name = 'LighterSignerError';
  }
}

const KEY_PATTERN = /^(?:0x)?([0-9a-fA-F]{80})$/;

/**
 * Normalises an API private key to 80 lowercase hex characters without 0x. Anything else
 * throws a message that says what is expected and never echoes the value.
 */
export function normalizePrivateKey(raw: unknown, name = 'LIGHTER_API_PRIVATE_KEY'): string {
  if (typeof raw !== 'string') throw new LighterSignerError('private key', `${name} must be a string of 80 hex characters (optionally 0x-prefixed)`);
  const m = KEY_PATTERN.exec(raw.trim());
  if (!m) {
    const body = raw.trim().replace(/^0x/, '');
    const problem = /^[0-9a-fA-F]*$/.test(body) ? `it has ${body.length} hex characters` : 'it contains non-hex characters';
    throw new LighterSignerError('private key', `${name} must be 80 hex characters (40 bytes), optionally prefixed with 0x; ${problem} (value not shown)`);
  }
  return m[1]!.toLowerCase();
}

/** Removes anything that could be key material (long hex runs) from a WASM message. */
function scrub(message: string): string {
  return message.replace(/(?:0x)?[0-9a-fA-F]{16,}/g, '[redacted]');
}

function checkInt(op: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new LighterSignerError(op, `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
  return value;
}

function unwrap(op: string, r: WasmTxResult): SignedTx {
  if (r.error !== undefined && r.error !== '') throw new LighterSignerError(op, `signer refused: ${scrub(String(r.error))}`);
  if (typeof r.txType !== 'number' || typeof r.txInfo !== 'string' || typeof r.txHash !== 'string') {
    throw new LighterSignerError(op, 'signer returned an incomplete result');
  }
  return { txType: r.txType, txInfo: r.txInfo, txHash: r.txHash };
}

/** Which signer last registered its key for a (account, api key) pair, per WASM instance. */
const registrations = new WeakMap<LoadedSignerWasm, Map<string, symbol>>();

/** Builds a signer over the pinned Go-WASM; the key is validated and registered first. */
export async function createWasmSigner(opts: WasmSignerOptions): Promise<LighterSigner> {
  const key = normalizePrivateKey(opts.privateKey);
  const chainId = checkInt('createWasmSigner', 'chainId', opts.chainId, 1, 2 ** 32 - 1);
  const accountIndex = checkInt('createWasmSigner', 'accountIndex', opts.accountIndex, 1, MAX_ACCOUNT_INDEX);
  const apiKeyIndex = checkInt('createWasmSigner', 'apiKeyIndex', opts.apiKeyIndex, 0, MAX_API_KEY_INDEX);
  const url = opts.url ?? 'http://127.0.0.1:9';
  const now = opts.now;
  const wasm = opts.wasm ?? (await loadSignerWasm());
  const { fns } = wasm;
  const me = Symbol('signer');
  const pair = `${accountIndex}:${apiKeyIndex}`;
  let owners = registrations.get(wasm);
  if (!owners) registrations.set(wasm, (owners = new Map()));
  const ownerMap = owners;

  const register = (): void => {
    const r = fns.CreateClient(url, key, chainId, apiKeyIndex, accountIndex);
    if (r && r.error) throw new LighterSignerError('createWasmSigner', `the signer rejected the key or indexes: ${scrub(String(r.error))}`);
    ownerMap.set(pair, me);
  };
  /** Runs a WASM call with our key registered and our clock in force. */
  const call = <T>(fn: () => T): T => {
    if (ownerMap.get(pair) !== me) register();
    return wasm.withClock(now, fn);
  };
  const nonceOf = (op: string, n: unknown) => checkInt(op, 'nonce', n, 0, MAX_NONCE);
  const market = (op: string, m: unknown) => checkInt(op, 'marketIndex', m, 0, MAX_MARKET_INDEX);

  register();

  const summary = () => ({ type: 'LighterSigner', chainId, accountIndex, apiKeyIndex, privateKey: '[redacted]' });
  const signer: LighterSigner & { toJSON(): object; toString(): string } = {
    chainId,
    accountIndex,
    apiKeyIndex,
    createOrder(p) {
      const op = 'SignCreateOrder';
      const args = [
        market(op, p.marketIndex),
        checkInt(op, 'clientOrderIndex', p.clientOrderIndex, 0, MAX_CLIENT_ORDER_INDEX),
        checkInt(op, 'baseAmount', p.baseAmount, 0, MAX_WIRE_BASE_AMOUNT),
        checkInt(op, 'price', p.price, 1, MAX_WIRE_PRICE),
        p.isAsk ? 1 : 0,
        enumValue(op, 'type', ORDER_TYPE, p.type),
        enumValue(op, 'timeInForce', TIME_IN_FORCE, p.timeInForce),
        p.reduceOnly ? 1 : 0,
        checkInt(op, 'triggerPrice', p.triggerPrice ?? 0, 0, MAX_WIRE_PRICE),
        checkInt(op, 'orderExpiry', p.orderExpiry, 0, MAX_NONCE),
        nonceOf(op, p.nonce),
      ] as const;
      return unwrap(op, call(() => fns.SignCreateOrder(...args, apiKeyIndex, accountIndex)));
    },
    cancelOrder(p) {
      const op = 'SignCancelOrder';
      const m = market(op, p.marketIndex);
      const index = checkInt(op, 'index', p.index, 1, Number.MAX_SAFE_INTEGER);
      const n = nonceOf(op, p.nonce);
      return unwrap(op, call(() => fns.SignCancelOrder(m, index, n, apiKeyIndex, accountIndex)));
    },
    cancelAll(p) {
      const op = 'SignCancelAllOrders';
      const tif = enumValue(op, 'mode', CANCEL_ALL_TIF, p.mode);
      const time = checkInt(op, 'time', p.time, 0, MAX_NONCE);
      const n = nonceOf(op, p.nonce);
      return unwrap(op, call(() => fns.SignCancelAllOrders(tif, time, n, apiKeyIndex, accountIndex)));
    },
    modifyOrder(p) {
      const op = 'SignModifyOrder';
      const args = [
        market(op, p.marketIndex),
        checkInt(op, 'index', p.index, 1, Number.MAX_SAFE_INTEGER),
        checkInt(op, 'baseAmount', p.baseAmount, 0, MAX_WIRE_BASE_AMOUNT),
        checkInt(op, 'price', p.price, 1, MAX_WIRE_PRICE),
        checkInt(op, 'triggerPrice', p.triggerPrice ?? 0, 0, MAX_WIRE_PRICE),
        nonceOf(op, p.nonce),
      ] as const;
      return unwrap(op, call(() => fns.SignModifyOrder(...args, apiKeyIndex, accountIndex)));
    },
    updateLeverage(p) {
      const op = 'SignUpdateLeverage';
      const m = market(op, p.marketIndex);
      const imf = checkInt(op, 'initialMarginFraction', p.initialMarginFraction, 1, MARGIN_FRACTION_TICK);
      const mode = enumValue(op, 'marginMode', MARGIN_MODE, p.marginMode);
      const n = nonceOf(op, p.nonce);
      return unwrap(op, call(() => fns.SignUpdateLeverage(m, imf, mode, n, apiKeyIndex, accountIndex)));
    },
    authToken(deadlineSec) {
      const op = 'CreateAuthToken';
      const d = checkInt(op, 'deadlineSec', deadlineSec, 1, 2 ** 40);
      const r = call(() => fns.CreateAuthToken(d, apiKeyIndex, accountIndex));
      if (r.error) throw new LighterSignerError(op, `signer refused: ${scrub(String(r.error))}`);
      if (typeof r.authToken !== 'string') throw new LighterSignerError(op, 'signer returned no token');
      return r.authToken;
    },
    toJSON: summary,
    toString: () => `LighterSigner(chain=${chainId}, account=${accountIndex}, apiKey=${apiKeyIndex})`,
  };
  Object.defineProperty(signer, inspect.custom, { value: () => signer.toString(), enumerable: false });
  return Object.freeze(signer);
}

function enumValue(op: string, name: string, table: Readonly<Record<string, number>>, value: unknown): number {
  if (typeof value === 'string' && Object.hasOwn(table, value)) return table[value]!;
  throw new LighterSignerError(op, `${name} must be one of ${Object.keys(table).join(', ')}, got ${String(value)}`);
}

/** A generated API key pair; the private key is not enumerable, serialised or inspected. */
export class ApiKeyPair {
  readonly #privateKey: string;
  /** 80 lowercase hex characters, no 0x (the form `/api/v1/apikeys` serves). */
  readonly publicKey: string;
  constructor(privateKey: string, publicKey: string) {
    this.#privateKey = normalizePrivateKey(privateKey, 'generated private key');
    this.publicKey = publicKey.replace(/^0x/, '').toLowerCase();
  }
  /** 80 lowercase hex characters, no 0x. Handle with care: this is the secret. */
  get privateKey(): string {
    return this.#privateKey;
  }
  toJSON(): object {
    return { publicKey: this.publicKey, privateKey: '[redacted]' };
  }
  toString(): string {
    return `ApiKeyPair(publicKey=${this.publicKey})`;
  }
  [inspect.custom](): string {
    return this.toString();
  }
}

/** A fresh random API key pair (paper mode's throwaway key). */
export async function generateApiKey(wasm?: LoadedSignerWasm): Promise<ApiKeyPair> {
  const w = wasm ?? (await loadSignerWasm());
  const r = w.fns.GenerateAPIKey();
  if (r.error || typeof r.privateKey !== 'string' || typeof r.publicKey !== 'string') {
    throw new LighterSignerError('GenerateAPIKey', `signer failed: ${scrub(String(r.error ?? 'no key returned'))}`);
  }
  return new ApiKeyPair(r.privateKey, r.publicKey);
}
