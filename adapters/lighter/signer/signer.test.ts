/**
 * Golden tests of the WASM signer: tx types, the PascalCase tx_info field set and values,
 * signature and hash shapes, the injected clock, key hygiene, and the loader's integrity
 * check. Signatures are randomized, so they are checked for shape only; tx hashes depend
 * only on the fields, so they are pinned.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { leverageToInitialMarginFraction, toWirePrice, toWireSize } from '../codec.ts';
import { createWasmSigner, generateApiKey, LighterSignerError, normalizePrivateKey, type LighterSigner, type SignedTx } from './signer.ts';
import { loadSignerWasm, PINNED_SHA256, resolveSignerPackageDir, SignerIntegrityError, WASM_EXEC_FILE, WASM_FILE, type LoadedSignerWasm } from './wasm-loader.ts';

/** A throwaway key generated once by the signer for these tests (never registered anywhere). */
const TEST_KEY = 'a775626a086baf99ea4a65829b46668e6c22d107feb5a58a0c93a264a795cc169ff9f9cb1b481f0c';
const NOW = 1_795_480_000_000;
const ACCOUNT = 12345;
const API_KEY = 3;
const CHAIN = 300;
const EXPIRY = NOW + 28 * 86_400_000;
const COI_ENTRY = 2 ** 40 + 256 + 1; // grid-1:entry in the client-index scheme
const COI_CLOSE = 2 ** 40 + 256 + 2; // grid-1:close

let wasm: LoadedSignerWasm;
let signer: LighterSigner;

beforeAll(async () => {
  wasm = await loadSignerWasm();
  signer = await createWasmSigner({ privateKey: TEST_KEY, chainId: CHAIN, accountIndex: ACCOUNT, apiKeyIndex: API_KEY, now: () => NOW, wasm });
});

function info(tx: SignedTx): Record<string, unknown> {
  return JSON.parse(tx.txInfo) as Record<string, unknown>;
}

function expectSignedShape(tx: SignedTx, txType: number, keys: string[]): Record<string, unknown> {
  expect(tx.txType).toBe(txType);
  expect(tx.txHash).toMatch(/^[0-9a-f]{80}$/); // 40 bytes
  const i = info(tx);
  expect(Object.keys(i)).toEqual(keys);
  expect(Buffer.from(String(i.Sig), 'base64')).toHaveLength(80);
  expect(i.AccountIndex).toBe(ACCOUNT);
  expect(i.ApiKeyIndex).toBe(API_KEY);
  expect(i.ExpiredAt).toBe(NOW + 599_000); // now + 10 min − 1 s, from the injected clock
  return i;
}

const CREATE_KEYS = [
  'AccountIndex', 'ApiKeyIndex', 'MarketIndex', 'ClientOrderIndex', 'BaseAmount', 'Price', 'IsAsk', 'Type',
  'TimeInForce', 'ReduceOnly', 'TriggerPrice', 'OrderExpiry', 'ExpiredAt', 'Nonce', 'Sig',
];

describe('wasm loader', () => {
  it('registers the official lighter-go globals in its own context, not ours', () => {
    expect(wasm.registered).toEqual(
      expect.arrayContaining(['GenerateAPIKey', 'CreateClient', 'CreateAuthToken', 'SignCreateOrder', 'SignCancelOrder', 'SignCancelAllOrders', 'SignModifyOrder', 'SignUpdateLeverage']),
    );
    expect((globalThis as Record<string, unknown>).SignCreateOrder).toBeUndefined();
    expect((globalThis as Record<string, unknown>).Go).toBeUndefined();
  });

  it('refuses a wasm whose sha256 differs, naming the file and both hashes, before running it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lighter-wasm-'));
    try {
      const src = resolveSignerPackageDir();
      await mkdir(path.join(dir, 'wasm'));
      await copyFile(path.join(src, WASM_EXEC_FILE), path.join(dir, WASM_EXEC_FILE));
      const bytes = await readFile(path.join(src, WASM_FILE));
      bytes[bytes.length - 1] ^= 0xff; // one changed byte
      await writeFile(path.join(dir, WASM_FILE), bytes);
      const err = await loadSignerWasm({ packageDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SignerIntegrityError);
      const msg = (err as Error).message;
      expect(msg).toContain(path.join(dir, WASM_FILE));
      expect(msg).toContain(`expected sha256 ${PINNED_SHA256.wasm}`);
      expect(msg).toMatch(/found [0-9a-f]{64}/);
      expect(msg).not.toContain(`found ${PINNED_SHA256.wasm}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a tampered wasm_exec.js before evaluating it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'lighter-wasm-'));
    try {
      const src = resolveSignerPackageDir();
      await mkdir(path.join(dir, 'wasm'));
      await copyFile(path.join(src, WASM_FILE), path.join(dir, WASM_FILE));
      // Would set a global if it were ever evaluated.
      await writeFile(path.join(dir, WASM_EXEC_FILE), 'globalThis.__tampered = true;');
      const err = await loadSignerWasm({ packageDir: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SignerIntegrityError);
      expect((err as SignerIntegrityError).file).toBe(path.join(dir, WASM_EXEC_FILE));
      expect((err as SignerIntegrityError).expected).toBe(PINNED_SHA256.wasmExec);
      expect((globalThis as Record<string, unknown>).__tampered).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('golden transactions', () => {
  it('VEN-11 CreateOrder limit post-only entry: tx type 14 with the exact field set and values', () => {
    const tx = signer.createOrder({
      marketIndex: 0,
      clientOrderIndex: COI_ENTRY,
      baseAmount: toWireSize('1.000', 3),
      price: toWirePrice('100.00', 2),
      isAsk: false,
      type: 'limit',
      timeInForce: 'post-only',
      reduceOnly: false,
      orderExpiry: EXPIRY,
      nonce: 41,
    });
    const i = expectSignedShape(tx, 14, CREATE_KEYS);
    expect(i).toMatchObject({
      MarketIndex: 0, ClientOrderIndex: COI_ENTRY, BaseAmount: 1000, Price: 10000, IsAsk: 0, Type: 0,
      TimeInForce: 2, ReduceOnly: 0, TriggerPrice: 0, OrderExpiry: EXPIRY, Nonce: 41,
    });
    // The hash covers chain, type, nonce, ExpiredAt, account, key index and the fields: pinned.
    expect(tx.txHash).toBe('4453b0eded394b62587a22c970fd81c29f874babac48085feac87f7fb621e55385c5d4d49dbdf578');
  });

  it('VEN-11 CreateOrder reduce-only post-only exit: IsAsk 1, ReduceOnly 1, Price 10004', () => {
    const tx = signer.createOrder({
      marketIndex: 0, clientOrderIndex: COI_CLOSE, baseAmount: 1000, price: toWirePrice('100.04', 2), isAsk: true,
      type: 'limit', timeInForce: 'post-only', reduceOnly: true, orderExpiry: EXPIRY, nonce: 42,
    });
    expect(expectSignedShape(tx, 14, CREATE_KEYS)).toMatchObject({ IsAsk: 1, ReduceOnly: 1, TimeInForce: 2, Price: 10004, Nonce: 42 });
  });

  it('VEN-11 CreateOrder market IOC reduce-only: Type 1, TimeInForce 0, OrderExpiry 0', () => {
    const tx = signer.createOrder({
      marketIndex: 0, clientOrderIndex: 2 ** 40 + 256 + 16, baseAmount: 1000, price: toWirePrice('90.00', 2), isAsk: true,
      type: 'market', timeInForce: 'ioc', reduceOnly: true, orderExpiry: 0, nonce: 43,
    });
    expect(expectSignedShape(tx, 14, CREATE_KEYS)).toMatchObject({ Type: 1, TimeInForce: 0, OrderExpiry: 0, ReduceOnly: 1, IsAsk: 1, Price: 9000 });
  });

  it('VEN-11 CancelOrder by client index: tx type 15 with Index = the client index', () => {
    const tx = signer.cancelOrder({ marketIndex: 0, index: COI_CLOSE, nonce: 44 });
    expect(expectSignedShape(tx, 15, ['AccountIndex', 'ApiKeyIndex', 'MarketIndex', 'Index', 'ExpiredAt', 'Nonce', 'Sig'])).toMatchObject({
      MarketIndex: 0, Index: COI_CLOSE, Nonce: 44,
    });
  });

  it('CancelAllOrders immediate: tx type 16, TimeInForce 0, Time 0', () => {
    const tx = signer.cancelAll({ mode: 'immediate', time: 0, nonce: 45 });
    expect(expectSignedShape(tx, 16, ['AccountIndex', 'ApiKeyIndex', 'TimeInForce', 'Time', 'ExpiredAt', 'Nonce', 'Sig'])).toMatchObject({
      TimeInForce: 0, Time: 0, Nonce: 45,
    });
  });

  it('ModifyOrder: tx type 17 with Index, BaseAmount, Price, TriggerPrice', () => {
    const tx = signer.modifyOrder({ marketIndex: 0, index: COI_CLOSE, baseAmount: 500, price: 10010, nonce: 46 });
    const keys = ['AccountIndex', 'ApiKeyIndex', 'MarketIndex', 'Index', 'BaseAmount', 'Price', 'TriggerPrice', 'ExpiredAt', 'Nonce', 'Sig'];
    expect(expectSignedShape(tx, 17, keys)).toMatchObject({ Index: COI_CLOSE, BaseAmount: 500, Price: 10010, TriggerPrice: 0, Nonce: 46 });
  });

  it('RSK-11 UpdateLeverage 20x: tx type 20 with InitialMarginFraction 500 (and 50x → 200)', () => {
    const tx = signer.updateLeverage({ marketIndex: 0, initialMarginFraction: leverageToInitialMarginFraction(20), marginMode: 'cross', nonce: 47 });
    const keys = ['AccountIndex', 'ApiKeyIndex', 'MarketIndex', 'InitialMarginFraction', 'MarginMode', 'ExpiredAt', 'Nonce', 'Sig'];
    expect(expectSignedShape(tx, 20, keys)).toMatchObject({ MarketIndex: 0, InitialMarginFraction: 500, MarginMode: 0, Nonce: 47 });
    const tx50 = signer.updateLeverage({ marketIndex: 0, initialMarginFraction: leverageToInitialMarginFraction(50), marginMode: 'cross', nonce: 48 });
    expect(info(tx50).InitialMarginFraction).toBe(200);
  });

  it('signatures are randomized but the hash depends only on the fields (same for another key)', async () => {
    const p = { marketIndex: 0, index: COI_CLOSE, nonce: 44 };
    const a = signer.cancelOrder(p);
    const b = signer.cancelOrder(p);
    expect(info(a).Sig).not.toBe(info(b).Sig);
    expect(a.txHash).toBe(b.txHash);
    const other = await generateApiKey(wasm);
    const s2 = await createWasmSigner({ privateKey: other.privateKey, chainId: CHAIN, accountIndex: ACCOUNT, apiKeyIndex: API_KEY, now: () => NOW, wasm });
    expect(s2.cancelOrder(p).txHash).toBe(a.txHash);
    // The first signer re-registers its own key transparently after s2 used the same pair.
    expect(signer.cancelOrder({ ...p, nonce: 45 }).txHash).not.toBe(a.txHash);
    // A different chain id changes the hash.
    const s3 = await createWasmSigner({ privateKey: TEST_KEY, chainId: 304, accountIndex: ACCOUNT, apiKeyIndex: API_KEY, now: () => NOW, wasm });
    expect(s3.cancelOrder(p).txHash).not.toBe(a.txHash);
  });

  it('auth token is "deadline:account:apiKey:" + 160 hex chars (80-byte signature)', () => {
    const token = signer.authToken(1_795_480_600);
    expect(token).toMatch(/^1795480600:12345:3:[0-9a-f]{160}$/);
  });

  it('refuses out-of-range or missing inputs before the WASM sees them', () => {
    const base = {
      marketIndex: 0, clientOrderIndex: COI_ENTRY, baseAmount: 1000, price: 10000, isAsk: false, type: 'limit' as const,
      timeInForce: 'post-only' as const, reduceOnly: false, orderExpiry: EXPIRY, nonce: 41,
    };
    expect(() => signer.createOrder({ ...base, nonce: -1 })).toThrow(/nonce must be an integer in \[0, /);
    expect(() => signer.createOrder({ ...base, clientOrderIndex: 2 ** 48 })).toThrow(/clientOrderIndex/);
    expect(() => signer.createOrder({ ...base, price: 2 ** 32 })).toThrow(/price/);
    expect(() => signer.createOrder({ ...base, baseAmount: 1.5 })).toThrow(/baseAmount/);
    expect(() => signer.createOrder({ ...base, timeInForce: 'fok' as never })).toThrow(/timeInForce must be one of ioc, gtt, post-only/);
    expect(() => signer.cancelOrder({ marketIndex: 0, index: 2 ** 60, nonce: 1 })).toThrow(/index/);
    // The WASM's own validation surfaces as a LighterSignerError (post-only needs an expiry).
    expect(() => signer.createOrder({ ...base, orderExpiry: 0 })).toThrow(LighterSignerError);
  });
});

describe('key hygiene (CFG-05, CFG-06)', () => {
  const keyForms = [TEST_KEY, `0x${TEST_KEY}`, TEST_KEY.toUpperCase()];

  it('CFG-05 accepts 80 hex chars with or without 0x and rejects anything else without showing it', () => {
    for (const k of keyForms) expect(normalizePrivateKey(k)).toBe(TEST_KEY);
    const bad = [TEST_KEY.slice(0, 79), `${TEST_KEY}00`, `${TEST_KEY.slice(0, 79)}z`, `0x${TEST_KEY.slice(2)}`, ''];
    for (const b of bad) {
      let msg = '';
      try {
        normalizePrivateKey(b);
      } catch (e) {
        msg = (e as Error).message;
      }
      expect(msg).toMatch(/LIGHTER_API_PRIVATE_KEY must be 80 hex characters/);
      // No run of 8+ characters of the key appears in the message.
      for (let i = 0; i + 8 <= TEST_KEY.length; i += 4) expect(msg.toLowerCase()).not.toContain(TEST_KEY.slice(i, i + 8));
    }
  });

  it('CFG-06 the key never shows in JSON, inspect or string forms of a signer or a key pair', async () => {
    const pair = await generateApiKey(wasm);
    const renderings = [
      JSON.stringify(signer), inspect(signer, { showHidden: true, depth: 5 }), String(signer), JSON.stringify({ signer }),
      JSON.stringify(pair), inspect(pair, { showHidden: true }), String(pair),
    ];
    for (const r of renderings) {
      expect(r).not.toContain(TEST_KEY.slice(0, 16));
      expect(r).not.toContain(pair.privateKey.slice(0, 16));
    }
    expect(Object.keys(pair)).toEqual(['publicKey']);
    expect(pair.privateKey).toMatch(/^[0-9a-f]{80}$/);
    expect(pair.publicKey).toMatch(/^[0-9a-f]{80}$/);
  });

  it('CFG-06 a signer error message carries no key material', async () => {
    const err = await createWasmSigner({ privateKey: `${TEST_KEY}ff`, chainId: CHAIN, accountIndex: ACCOUNT, apiKeyIndex: API_KEY, wasm }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LighterSignerError);
    expect((err as Error).message).not.toContain(TEST_KEY.slice(0, 8));
    expect((err as Error).stack ?? '').not.toContain(TEST_KEY.slice(0, 8));
  });
});
