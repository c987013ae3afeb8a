/**
 * `tx_info` parsing and static validation, the way the venue's API front does it before a
 * transaction reaches the sequencer (protocol notes §4.2, §5.2, §5.3, §8.3.5).
 *
 * Invariants:
 * - tx_info is PascalCase JSON (a string, or an object over WS); a missing or null
 *   `L2TxAttributes` is the same as an empty one. JSON is parsed losslessly: an integer
 *   beyond 2^53 never silently rounds (it is kept as NaN here and fails its range check).
 * - Every refusal is a SimApiError with the venue's code (21501 shape, 21505 type,
 *   217xx order fields, 21120 signature, 21513/21514 batch shape), naming field and value.
 * - Signatures are NOT verified cryptographically (no Poseidon2/ECgFp5 verifier): `Sig`
 *   must be base64 of exactly 80 bytes.
 */
import { parseJsonLossless } from '../../adapters/lighter/json.ts';
import { MAX_CLIENT_ORDER_INDEX, MAX_NONCE, MAX_WIRE_BASE_AMOUNT, MAX_WIRE_PRICE, MAX_ORDER_EXPIRY_PERIOD_MS, MIN_ORDER_EXPIRY_PERIOD_MS, TX_TYPE } from '../../adapters/lighter/constants.ts';
import { SimApiError } from './types.ts';

export const MAX_BATCH = 50;
const MAX_SCHEDULED_CANCEL_ALL_MS = 15 * 24 * 3_600_000;

const COMMON = ['AccountIndex', 'ApiKeyIndex', 'ExpiredAt', 'Nonce'] as const;
export const TX_FIELDS: Readonly<Record<number, readonly string[]>> = {
  [TX_TYPE.createOrder]: ['MarketIndex', 'ClientOrderIndex', 'BaseAmount', 'Price', 'IsAsk', 'Type', 'TimeInForce', 'ReduceOnly', 'TriggerPrice', 'OrderExpiry'],
  [TX_TYPE.cancelOrder]: ['MarketIndex', 'Index'],
  [TX_TYPE.cancelAllOrders]: ['TimeInForce', 'Time'],
  [TX_TYPE.modifyOrder]: ['MarketIndex', 'Index', 'BaseAmount', 'Price', 'TriggerPrice'],
  [TX_TYPE.updateLeverage]: ['MarketIndex', 'InitialMarginFraction', 'MarginMode'],
};

export interface ParsedTx {
  txType: number;
  /** tx_info as a JSON string (as received, or re-serialised from a WS object). */
  raw: string;
  /** Integer fields by PascalCase name (NaN for an integer beyond 2^53). */
  f: Record<string, number>;
  sig: string;
  attributes: Record<string, unknown>;
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return Number.isSafeInteger(v) ? v : NaN;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : NaN;
  }
  return undefined;
}

/** Parses the tx type and tx_info; shape errors → 21505 / 21501. */
export function parseTx(txType: unknown, txInfo: unknown): ParsedTx {
  const type = toInt(txType);
  if (type === undefined || !Object.hasOwn(TX_FIELDS, type)) {
    throw new SimApiError(21505, `unsupported tx type ${JSON.stringify(txType)}; the simulator handles ${Object.keys(TX_FIELDS).join(', ')}`);
  }
  let raw: string;
  let obj: unknown;
  if (typeof txInfo === 'string') {
    raw = txInfo;
    try {
      obj = parseJsonLossless(txInfo);
    } catch {
      throw new SimApiError(21501, `invalid tx info: not JSON (${txInfo.slice(0, 60)})`);
    }
  } else {
    obj = txInfo;
    raw = JSON.stringify(txInfo) ?? '';
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new SimApiError(21501, 'invalid tx info: expected a JSON object');
  const o = obj as Record<string, unknown>;
  const f: Record<string, number> = {};
  for (const name of [...COMMON, ...TX_FIELDS[type]!]) {
    const n = toInt(o[name]);
    if (n === undefined) throw new SimApiError(21501, `invalid tx info: ${name} must be an integer, got ${JSON.stringify(o[name])}`);
    f[name] = n;
  }
  const attrs = o.L2TxAttributes;
  if (attrs !== undefined && attrs !== null && (typeof attrs !== 'object' || Array.isArray(attrs))) {
    throw new SimApiError(21501, 'invalid tx info: L2TxAttributes must be an object or null');
  }
  if (typeof o.Sig !== 'string') throw new SimApiError(21120, 'invalid signature: Sig is missing');
  return { txType: type, raw, f, sig: o.Sig, attributes: (attrs as Record<string, unknown> | null | undefined) ?? {} };
}

/** Sig must be base64 of exactly 80 bytes (s ‖ e, 40 bytes each). */
export function checkSignatureShape(sig: string): void {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(sig) || sig.length % 4 !== 0 || Buffer.from(sig, 'base64').length !== 80) {
    throw new SimApiError(21120, `invalid signature: Sig must be base64 of 80 bytes (got ${sig.length} characters)`);
  }
}

function inRange(f: Record<string, number>, name: string, min: number, max: number, code: number): void {
  const v = f[name]!;
  if (!(v >= min && v <= max)) throw new SimApiError(code, `${name} ${Number.isNaN(v) ? '(beyond 2^53)' : v} must be in [${min}, ${max}]`);
}

/** Checks shared by every transaction: nonce range and ExpiredAt in the future. */
export function checkCommon(tx: ParsedTx, now: number): void {
  inRange(tx.f, 'Nonce', 0, MAX_NONCE, 21501);
  const exp = tx.f.ExpiredAt!;
  if (!(exp > now) || exp > MAX_NONCE) throw new SimApiError(21501, `invalid tx info: ExpiredAt ${exp} must be after now (${now}) and below 2^48`);
}

/** CreateOrder field rules (create_order.go, limit and market orders only). */
export function checkCreateOrder(f: Record<string, number>, now: number): void {
  inRange(f, 'ClientOrderIndex', 0, MAX_CLIENT_ORDER_INDEX, 21727);
  inRange(f, 'BaseAmount', 1, MAX_WIRE_BASE_AMOUNT, 21701);
  inRange(f, 'Price', 1, MAX_WIRE_PRICE, 21702);
  inRange(f, 'IsAsk', 0, 1, 21703);
  inRange(f, 'Type', 0, 6, 21704);
  if (f.Type! > 1) throw new SimApiError(21704, `order Type ${f.Type} (conditional/TWAP) is not supported by the simulator; use 0 limit or 1 market`);
  inRange(f, 'TimeInForce', 0, 2, 21705);
  inRange(f, 'ReduceOnly', 0, 1, 21501);
  if (f.TriggerPrice !== 0) throw new SimApiError(21729, `TriggerPrice ${f.TriggerPrice} must be 0 for limit and market orders`);
  const expiry = f.OrderExpiry!;
  const ioc = f.TimeInForce === 0;
  if (f.Type === 1 && !ioc) throw new SimApiError(21705, `a market order needs TimeInForce 0 (immediate-or-cancel), got ${f.TimeInForce}`);
  if (ioc) {
    if (expiry !== 0) throw new SimApiError(21711, `OrderExpiry must be 0 for an immediate-or-cancel order, got ${expiry}`);
    return;
  }
  const min = now + MIN_ORDER_EXPIRY_PERIOD_MS;
  const max = now + MAX_ORDER_EXPIRY_PERIOD_MS;
  if (!(expiry >= min && expiry <= max)) throw new SimApiError(21711, `OrderExpiry ${expiry} must be within [now + 5 min, now + 30 days] = [${min}, ${max}]`);
}

export function checkModifyOrder(f: Record<string, number>): void {
  inRange(f, 'Index', 1, Number.MAX_SAFE_INTEGER, 21700);
  inRange(f, 'BaseAmount', 1, MAX_WIRE_BASE_AMOUNT, 21701);
  inRange(f, 'Price', 1, MAX_WIRE_PRICE, 21702);
  if (f.TriggerPrice !== 0) throw new SimApiError(21729, `TriggerPrice ${f.TriggerPrice} must be 0 when modifying a limit order`);
}

export function checkCancelAll(f: Record<string, number>, now: number): void {
  inRange(f, 'TimeInForce', 0, 2, 21713);
  const t = f.Time!;
  if (f.TimeInForce === 1) {
    if (!(t >= now + MIN_ORDER_EXPIRY_PERIOD_MS && t <= now + MAX_SCHEDULED_CANCEL_ALL_MS)) {
      throw new SimApiError(21714, `scheduled cancel-all Time ${t} must be within [now + 5 min, now + 15 days]`);
    }
  } else if (t !== 0) throw new SimApiError(21714, `cancel-all Time must be 0 for TimeInForce ${f.TimeInForce}, got ${t}`);
}

export function checkUpdateLeverage(f: Record<string, number>, minFraction: number): void {
  inRange(f, 'InitialMarginFraction', minFraction, 10_000, 21501);
  inRange(f, 'MarginMode', 0, 1, 21613);
  if (f.MarginMode === 1) throw new SimApiError(21613, 'isolated margin (MarginMode 1) is not simulated; use 0 (cross)');
}

/** Decodes `tx_types` / `tx_infos` of a batch (JSON strings or arrays); shape rules 21501/21513/21514. */
export function parseBatchFields(txTypes: unknown, txInfos: unknown): { types: unknown[]; infos: unknown[] } {
  const decode = (v: unknown, name: string): unknown[] => {
    let x = v;
    if (typeof v === 'string') {
      try {
        x = parseJsonLossless(v);
      } catch {
        throw new SimApiError(21501, `invalid param: ${name} is not a JSON array`);
      }
    }
    if (!Array.isArray(x)) throw new SimApiError(21501, `invalid param: ${name} must be a JSON array`);
    return x;
  };
  const types = decode(txTypes, 'tx_types');
  const infos = decode(txInfos, 'tx_infos');
  if (types.length !== infos.length) throw new SimApiError(21513, `TxInfos/TxTypes length mismatch: ${infos.length} infos, ${types.length} types`);
  if (types.length === 0) throw new SimApiError(21501, 'invalid param: empty batch');
  if (types.length > MAX_BATCH) throw new SimApiError(21514, `maximum ${MAX_BATCH} transactions allowed per batch, got ${types.length}`);
  return { types, infos };
}
