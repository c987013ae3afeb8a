/**
 * Transaction processing of the Lighter simulator: sendTx / sendTxBatch semantics over
 * the exchange state (protocol notes §2.4, §5.3, §8.3.5–9).
 *
 * Order of checks for one transaction: tx type and tx_info shape (21505/21501) → account,
 * api key, signature shape, ExpiredAt (21100/21109/21120/21501) → injected rejection →
 * nonce (21104) → type rules and state lookups (217xx, 21728 …) → injected sequencer
 * failure → execution.
 *
 * Invariants:
 * - A refused transaction consumes no nonce; an accepted one consumes exactly one.
 * - A transaction failed "in the sequencer" (fault) is acknowledged with a hash, recorded
 *   with status 0, not executed, and consumes no nonce.
 * - Batches: ≤ 50 (21514), one account + api key (21121), consecutive nonces (21105), the
 *   first equal to the next nonce (21104). They execute in order; a state refusal of the
 *   FIRST transaction answers the batch (nothing consumed); a later one is recorded as a
 *   failed transaction (status 0, its nonce consumed) and the batch goes on.
 */
import { isVenueError, type VenueError } from '../../adapters/types.ts';
import { initialMarginFractionToLeverage } from '../../adapters/lighter/codec.ts';
import { MIN_ORDER_INDEX, TX_TYPE } from '../../adapters/lighter/constants.ts';
import type { SimExchange } from './exchange.ts';
import type { FaultState } from './faults.ts';
import { checkCancelAll, checkCommon, checkCreateOrder, checkModifyOrder, checkSignatureShape, checkUpdateLeverage, parseBatchFields, parseTx, type ParsedTx } from './txinfo.ts';
import { SimApiError, type ReceivedTx } from './types.ts';
import { priceStr, sizeStr, STATUS_NUMBER, unitsOf, wireStatus, type WireTx } from './wire.ts';

const ENGINE_REASON_CODE: Readonly<Record<string, number>> = {
  'duplicate-client-index': 21728,
  'invalid-client-index': 21727,
  'below-minimum': 21706,
  'invalid-expiry': 21711,
  'off-grid': 21702,
  'invalid-price': 21702,
  'invalid-size': 21701,
  'not-active': 21715,
  'unknown-market': 21602,
};

function fromEngine(err: unknown): SimApiError {
  if (err instanceof SimApiError) return err;
  if (isVenueError(err)) {
    const reason = (err as VenueError).reason ?? '';
    return new SimApiError(Object.hasOwn(ENGINE_REASON_CODE, reason) ? ENGINE_REASON_CODE[reason]! : 21501, err.message);
  }
  throw err;
}

type Exec = () => void;

export interface TxResult {
  txHash: string;
  predictedExecutionMs: number;
}

export class TxProcessor {
  private readonly log: ReceivedTx[] = [];
  private scheduledCancelAll: number | undefined;

  constructor(
    private readonly x: SimExchange,
    private readonly faults: FaultState,
  ) {}

  received(): ReceivedTx[] {
    return this.log.map((e) => ({ ...e, info: e.info ? { ...e.info } : null }));
  }

  /** One transaction (REST sendTx or WS jsonapi/sendtx). Throws SimApiError when refused. */
  submit(txType: unknown, txInfo: unknown, via: 'rest' | 'ws'): TxResult {
    const entry = this.entry(txType, txInfo, via, false);
    try {
      const tx = parseTx(txType, txInfo);
      entry.info = { ...tx.f };
      this.checkAuthority(tx);
      this.takeReject();
      this.x.accounts.checkNonce(tx.f.AccountIndex!, tx.f.ApiKeyIndex!, tx.f.Nonce!);
      const hash = this.x.newTxHash(`${tx.txType}:${tx.f.AccountIndex}:${tx.f.ApiKeyIndex}:${tx.f.Nonce}`);
      const exec = this.prepare(tx, hash);
      const seqFail = this.faults.takeSequencerFail();
      if (seqFail) {
        this.record(tx, hash, 0, { ae: `${seqFail.code} ${seqFail.message}` });
        entry.sequencerFailed = true;
      } else this.execute(tx, hash, exec);
      entry.txHash = hash;
      return { txHash: hash, predictedExecutionMs: this.x.clock.now() + 1 };
    } catch (err) {
      const e = fromEngine(err);
      entry.code = e.code;
      entry.message = e.message;
      throw e;
    }
  }

  /** sendTxBatch / jsonapi/sendtxbatch. Throws SimApiError when the batch is refused. */
  submitBatch(txTypes: unknown, txInfos: unknown, via: 'rest' | 'ws'): { txHashes: string[]; predictedExecutionMs: number } {
    const { types, infos } = parseBatchFields(txTypes, txInfos);
    const entries = types.map((t, i) => this.entry(t, infos[i], via, true));
    const fail = (e: SimApiError): never => {
      for (const en of entries) {
        en.code = e.code;
        en.message = e.message;
      }
      throw e;
    };
    let txs: ParsedTx[];
    try {
      txs = types.map((t, i) => parseTx(t, infos[i]));
      txs.forEach((tx, i) => (entries[i]!.info = { ...tx.f }));
      for (const tx of txs) this.checkAuthority(tx);
      const first = txs[0]!;
      for (let i = 1; i < txs.length; i++) {
        const tx = txs[i]!;
        if (tx.f.AccountIndex !== first.f.AccountIndex || tx.f.ApiKeyIndex !== first.f.ApiKeyIndex) {
          throw new SimApiError(21121, `batch txs must share account and api key: tx ${i} is ${tx.f.AccountIndex}/${tx.f.ApiKeyIndex}, tx 0 is ${first.f.AccountIndex}/${first.f.ApiKeyIndex}`);
        }
        if (tx.f.Nonce !== txs[i - 1]!.f.Nonce! + 1) throw new SimApiError(21105, `batch transaction nonce is not increasing: tx ${i} has ${tx.f.Nonce} after ${txs[i - 1]!.f.Nonce}`);
      }
      this.takeReject();
      this.x.accounts.checkNonce(first.f.AccountIndex!, first.f.ApiKeyIndex!, first.f.Nonce!);
    } catch (err) {
      return fail(fromEngine(err));
    }
    const hashes: string[] = [];
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i]!;
      const hash = this.x.newTxHash(`${tx.txType}:${tx.f.AccountIndex}:${tx.f.ApiKeyIndex}:${tx.f.Nonce}`);
      try {
        const exec = this.prepare(tx, hash);
        const seqFail = this.faults.takeSequencerFail();
        if (seqFail) {
          // Not executed, nonce not consumed: the later nonces of the batch fail as well.
          for (let j = i; j < txs.length; j++) {
            const t = txs[j]!;
            const h = j === i ? hash : this.x.newTxHash(`${t.txType}:${t.f.AccountIndex}:${t.f.ApiKeyIndex}:${t.f.Nonce}`);
            this.record(t, h, 0, { ae: j === i ? `${seqFail.code} ${seqFail.message}` : '21104 invalid nonce' });
            entries[j]!.sequencerFailed = true;
            entries[j]!.txHash = h;
            hashes.push(h);
          }
          break;
        }
        this.execute(tx, hash, exec);
      } catch (err) {
        const e = fromEngine(err);
        if (i === 0) return fail(e);
        this.x.accounts.consume(tx.f.AccountIndex!, tx.f.ApiKeyIndex!);
        this.record(tx, hash, 0, { ae: `${e.code} ${e.message}` });
        entries[i]!.code = e.code;
        entries[i]!.message = e.message;
      }
      entries[i]!.txHash = hash;
      hashes.push(hash);
    }
    return { txHashes: hashes, predictedExecutionMs: this.x.clock.now() + 1 };
  }

  // ------------------------------------------------------------------ steps

  private entry(txType: unknown, txInfo: unknown, via: 'rest' | 'ws', batch: boolean): ReceivedTx {
    const e: ReceivedTx = {
      seq: this.log.length + 1,
      time: this.x.clock.now(),
      via,
      batch,
      txType: typeof txType === 'number' ? txType : Number(txType),
      txInfo: typeof txInfo === 'string' ? txInfo : (JSON.stringify(txInfo) ?? ''),
      info: null,
      code: 200,
    };
    this.log.push(e);
    return e;
  }

  private checkAuthority(tx: ParsedTx): void {
    this.x.accounts.requireKey(tx.f.AccountIndex!, tx.f.ApiKeyIndex!);
    checkSignatureShape(tx.sig);
    checkCommon(tx, this.x.clock.now());
  }

  private takeReject(): void {
    const r = this.faults.takeTxReject();
    if (r) throw new SimApiError(r.code, r.message);
  }

  private execute(tx: ParsedTx, hash: string, exec: Exec): void {
    this.x.currentTxHash = hash;
    try {
      exec();
    } finally {
      this.x.currentTxHash = null;
    }
    this.x.accounts.consume(tx.f.AccountIndex!, tx.f.ApiKeyIndex!);
    this.record(tx, hash, 2, this.eventInfo(tx));
    this.x.bumpHeight();
  }

  private eventInfo(tx: ParsedTx): Record<string, unknown> {
    if (tx.txType !== TX_TYPE.createOrder && tx.txType !== TX_TYPE.cancelOrder && tx.txType !== TX_TYPE.modifyOrder) return { ae: '' };
    const lo = tx.txType === TX_TYPE.createOrder ? this.x.orders[this.x.orders.length - 1] : this.x.lookup(tx.f.Index!);
    const v = lo ? this.x.engineOrder(lo) : null;
    if (!lo || !v) return { ae: '' };
    const m = lo.market;
    const o = {
      i: lo.orderIndex,
      u: lo.coi,
      a: lo.account,
      is: unitsOf(v.size, m.sizeDecimals) + lo.filledBefore,
      rs: unitsOf(v.size, m.sizeDecimals) - unitsOf(v.filledSize, m.sizeDecimals),
      p: unitsOf(v.price, m.priceDecimals),
      ia: v.side === 'sell' ? 1 : 0,
      ot: v.type === 'market' ? 1 : 0,
      f: v.timeInForce === 'ioc' ? 0 : v.timeInForce === 'gtc' ? 1 : 2,
      ro: v.reduceOnly ? 1 : 0,
      tp: 0,
      e: lo.orderExpiry,
      st: STATUS_NUMBER[wireStatus(v)] ?? 4,
      ts: 0,
    };
    return tx.txType === TX_TYPE.modifyOrder ? { m: m.marketIndex, no: o, ae: '' } : { m: m.marketIndex, o, ae: '' };
  }

  private record(tx: ParsedTx, hash: string, status: number, eventInfo: Record<string, unknown>): void {
    const now = this.x.clock.now();
    const acct = this.x.accounts.get(tx.f.AccountIndex!);
    const w: WireTx = {
      hash,
      type: tx.txType,
      info: tx.raw,
      event_info: JSON.stringify(eventInfo),
      status,
      transaction_index: this.x.txs.length,
      l1_address: acct?.l1Address ?? '',
      account_index: tx.f.AccountIndex!,
      nonce: tx.f.Nonce!,
      expire_at: tx.f.ExpiredAt!,
      block_height: this.x.height,
      queued_at: now,
      executed_at: now,
      sequence_index: this.x.txs.length + 1,
      parent_hash: '',
      api_key_index: tx.f.ApiKeyIndex!,
      transaction_time: now * 1000,
      committed_at: now,
      verified_at: now,
    };
    this.x.recordTx(w);
  }

  /** Type rules and state lookups; returns the execution step (throws SimApiError on refusal). */
  private prepare(tx: ParsedTx, hash: string): Exec {
    const x = this.x;
    const f = tx.f;
    const now = x.clock.now();
    const tradesHere = (): void => {
      if (f.AccountIndex !== x.bot) throw new SimApiError(21100, `account ${f.AccountIndex} does not trade in the simulator (only the bot account ${x.bot} does)`);
    };
    switch (tx.txType) {
      case TX_TYPE.createOrder: {
        const m = x.markets.byIndex(f.MarketIndex);
        checkCreateOrder(f, now);
        tradesHere();
        const coi = f.ClientOrderIndex!;
        if (coi > 0 && x.hasCoi(coi)) throw new SimApiError(21728, `client order index already exists: ${coi}`);
        return () => {
          const lo = x.register(m, coi, { nonce: f.Nonce!, orderExpiry: f.OrderExpiry!, txHash: hash });
          const tif = f.TimeInForce === 0 ? 'ioc' : f.TimeInForce === 1 ? 'gtc' : 'post-only';
          try {
            x.engine.place({
              market: m.symbol,
              clientIndex: lo.engineCi,
              side: f.IsAsk === 1 ? 'sell' : 'buy',
              type: f.Type === 1 ? 'market' : 'limit',
              price: priceStr(m, f.Price!),
              size: sizeStr(m, f.BaseAmount!),
              timeInForce: tif,
              reduceOnly: f.ReduceOnly === 1,
              ...(tif === 'ioc' ? {} : { expiresAt: f.OrderExpiry! }),
            });
          } catch (err) {
            x.unregister(lo);
            throw fromEngine(err);
          }
        };
      }
      case TX_TYPE.cancelOrder: {
        x.markets.byIndex(f.MarketIndex);
        tradesHere();
        const lo = this.activeOrder(f.MarketIndex!, f.Index!);
        return () => x.engine.cancel(lo.market.symbol, lo.engineCi, 'by-user');
      }
      case TX_TYPE.modifyOrder: {
        const m = x.markets.byIndex(f.MarketIndex);
        checkModifyOrder(f);
        tradesHere();
        const lo = this.activeOrder(f.MarketIndex!, f.Index!);
        const old = x.engineOrder(lo)!;
        const info = m.config.info;
        const price = priceStr(m, f.Price!);
        const size = sizeStr(m, f.BaseAmount!);
        if (!old.reduceOnly && (f.BaseAmount! < unitsOf(info.minBaseSize, m.sizeDecimals) || BigInt(f.BaseAmount!) * BigInt(f.Price!) < BigInt(unitsOf(info.minQuoteNotional, m.sizeDecimals + m.priceDecimals)))) {
          throw new SimApiError(21706, `invalid order base or quote amount: ${size} at ${price} is below the minimum ${info.minBaseSize} / ${info.minQuoteNotional}`);
        }
        return () => {
          const filled = unitsOf(old.filledSize, m.sizeDecimals);
          x.engine.cancel(m.symbol, lo.engineCi, 'by-user');
          x.reincarnate(lo, filled);
          x.engine.place({ market: m.symbol, clientIndex: lo.engineCi, side: old.side, type: old.type, price, size, timeInForce: old.timeInForce, reduceOnly: old.reduceOnly, ...(old.expiresAt !== undefined ? { expiresAt: old.expiresAt } : {}) });
        };
      }
      case TX_TYPE.cancelAllOrders: {
        checkCancelAll(f, now);
        tradesHere();
        const acct = x.accounts.require(x.bot);
        return () => {
          if (this.scheduledCancelAll !== undefined) x.clock.clearTimeout(this.scheduledCancelAll);
          this.scheduledCancelAll = undefined;
          acct.cancelAllTime = 0;
          if (f.TimeInForce === 0) this.cancelAll();
          else if (f.TimeInForce === 1) this.scheduleCancelAll(f.Time!);
        };
      }
      case TX_TYPE.updateLeverage: {
        const m = x.markets.byIndex(f.MarketIndex);
        checkUpdateLeverage(f, m.minInitialMarginFraction);
        tradesHere();
        return () => {
          x.engine.setLeverage(m.symbol, initialMarginFractionToLeverage(f.InitialMarginFraction!));
        };
      }
      default:
        throw new SimApiError(21505, `unsupported tx type ${tx.txType}`);
    }
  }

  /** The live order a Cancel/Modify `Index` names (21715 unknown, 21709 inactive). */
  private activeOrder(marketIndex: number, index: number): ReturnType<SimExchange['lookup']> & object {
    const lo = this.x.lookup(index);
    if (!lo || lo.market.marketIndex !== marketIndex) {
      const kind = index < Number(MIN_ORDER_INDEX) ? 'client order index' : 'order index';
      throw new SimApiError(21715, `given order is not an active order: no order with ${kind} ${index} in market ${marketIndex}`);
    }
    const v = this.x.engineOrder(lo);
    if (!v || v.status !== 'open') throw new SimApiError(21709, `order is inactive: ${index} is ${v ? wireStatus(v) : 'unknown'}`);
    return lo;
  }

  /** Cancels every open bot order in every market (immediate cancel-all). */
  cancelAll(): void {
    for (const m of this.x.markets.list) {
      for (const v of this.x.engine.openOrders(m.symbol)) this.x.engine.cancel(m.symbol, v.clientIndex, 'by-user');
    }
  }

  /** Arms the bot account's cancel-all at `time` (ms); also re-arms a restored schedule. */
  scheduleCancelAll(time: number): void {
    const acct = this.x.accounts.require(this.x.bot);
    acct.cancelAllTime = time;
    this.scheduledCancelAll = this.x.clock.setTimeout(
      () => {
        this.scheduledCancelAll = undefined;
        acct.cancelAllTime = 0;
        this.cancelAll();
      },
      Math.max(0, time - this.x.clock.now()),
    );
  }

  dispose(): void {
    if (this.scheduledCancelAll !== undefined) this.x.clock.clearTimeout(this.scheduledCancelAll);
  }
}
