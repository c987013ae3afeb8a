/**
 * `startLighterSim`: the protocol-faithful Lighter simulator — REST under /api/v1/ and a
 * WebSocket at /stream on 127.0.0.1, over the in-process matching engine — plus its test
 * control and fault hooks (protocol notes §8.3).
 *
 * Invariants:
 * - Binds 127.0.0.1 only; port 0 picks a free port. Prints nothing.
 * - All time (tx expiry, order expiry, book batches, idle close, drivers, fault windows,
 *   delayed acks) runs on the injected clock.
 * - Engine events reach WebSocket subscribers in processing order, batched per microtask;
 *   order-book/ticker frames are batched every `bookBatchMs` on the clock.
 * - `close()` stops drivers, cancels every timer the simulator armed on the clock (order
 *   expiry, book batches, drivers, idle closes, delayed acks, scheduled cancel-all) and
 *   closes every socket; it is idempotent. Timers of others on a shared clock are untouched.
 * - `snapshot()` captures the whole exchange (snapshot.ts) without side effects;
 *   `startLighterSim({ restore })` continues from one: same books, orders, positions,
 *   nonces, trades, and the drivers' price paths from their saved generator positions.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PriceDriver } from '../../adapters/sim/index.ts';
import { CHAIN_ID } from '../../adapters/lighter/constants.ts';
import { SystemClock } from '../runtime/clock.ts';
import { SimAccounts } from './accounts.ts';
import { BookFeed } from './book-feed.ts';
import { SimExchange } from './exchange.ts';
import { FaultState } from './faults.ts';
import { RestFront } from './rest.ts';
import { TxProcessor } from './tx.ts';
import { checkSnapshot, SNAPSHOT_FORMAT, SNAPSHOT_VERSION, type LighterSimSnapshot } from './snapshot.ts';
import { TrackedClock } from './timers.ts';
import type { LighterSimControl, LighterSimOptions, LighterSimRestoreOptions, LighterSimServer, MarketRef } from './types.ts';
import { WsHub } from './ws.ts';
import { wireOrder } from './wire.ts';

export const DEFAULT_BACKGROUND_ACCOUNT = 281_474_976_710_000;

export async function startLighterSim(opts: LighterSimOptions | LighterSimRestoreOptions): Promise<LighterSimServer> {
  const restored = 'restore' in opts ? checkSnapshot(opts.restore) : undefined;
  const fresh = 'restore' in opts ? undefined : opts;
  // Every timer of the simulator goes through this view: close() cancels exactly those.
  const clock = new TrackedClock(opts.clock ?? new SystemClock());
  const seed = restored?.seed ?? fresh?.seed ?? 1;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed ${seed} must be an integer`);
  const host = opts.host ?? '127.0.0.1';
  if (host !== '127.0.0.1') throw new Error(`host ${String(host)} is not allowed: the simulator binds 127.0.0.1 only`);
  const chainId = restored?.chainId ?? fresh?.chainId ?? CHAIN_ID.testnet;
  const accounts = restored ? SimAccounts.restore(restored.accounts, clock) : new SimAccounts(fresh!.accounts, clock, fresh!.authTokenMaxLifetimeSec);
  if (opts.authTokenMaxLifetimeSec !== undefined) accounts.maxLifetimeSec = opts.authTokenMaxLifetimeSec;
  const botAccount = restored?.botAccount ?? fresh!.botAccount ?? fresh!.accounts[0]!.accountIndex;
  const x = new SimExchange({
    clock,
    markets: restored ? restored.exchange.engine.markets.map((m) => m.config) : fresh!.markets,
    accounts,
    botAccount,
    seed,
    backgroundAccountIndex: restored?.backgroundAccount ?? fresh!.backgroundAccountIndex ?? DEFAULT_BACKGROUND_ACCOUNT,
    ...(restored ? { restored: restored.exchange } : {}),
  });
  const faults = new FaultState(clock);
  const tx = new TxProcessor(x, faults);
  const botRec = accounts.require(botAccount);
  if (botRec.cancelAllTime > 0) tx.scheduleCancelAll(botRec.cancelAllTime);
  let hub: WsHub | undefined;
  const feed = new BookFeed(x, clock, seed, opts.bookBatchMs ?? 50, (u) => hub?.onBook(u), restored?.feed);
  hub = new WsHub({ x, tx, feed, faults, clock, idleMs: opts.wsIdleTimeoutMs ?? 120_000 });
  const wsHub = hub;
  x.onEvents = (events) => wsHub.onEvents(events);
  x.onBookDirty = (m) => feed.markDirty(m);
  const rest = new RestFront({ x, tx, feed, faults, clock, chainId });

  const drivers: PriceDriver[] = [];
  if (restored) {
    for (const st of restored.drivers) {
      const d = new PriceDriver(x.engine, clock, st.config, st);
      drivers.push(d);
      if (st.running) d.start();
    }
  } else {
    const driverConfigs = fresh!.driver === undefined || fresh!.driver === false ? [] : Array.isArray(fresh!.driver) ? fresh!.driver : [fresh!.driver];
    for (const cfg of driverConfigs) {
      const d = new PriceDriver(x.engine, clock, cfg);
      drivers.push(d);
      d.start();
    }
  }

  const server: Server = createServer(rest.handle);
  server.on('upgrade', wsHub.upgrade);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const mi = (ref: MarketRef) => x.markets.get(ref);
  const engineCi = (ref: MarketRef, coi: number): number => {
    const lo = x.lookup(coi);
    if (!lo || lo.market.marketIndex !== mi(ref).marketIndex) throw new Error(`no bot order with client order index ${coi} in market ${String(ref)}`);
    return lo.engineCi;
  };
  const control: LighterSimControl = {
    botAccount,
    markets: () => x.markets.summaries(),
    marketIndexOf: (ref) => mi(ref).marketIndex,
    setBook: (ref, bid, ask, depth) => x.engine.setBook(mi(ref).symbol, bid, ask, depth),
    counterpartyTrade: (ref, side, size, limit) => x.engine.counterpartyTrade(mi(ref).symbol, side, size, limit),
    counterpartyFill: (ref, coi, size) => x.engine.counterpartyFill(mi(ref).symbol, engineCi(ref, coi), size),
    cancelByUser: (ref, coi) => {
      const lo = x.lookup(coi)!;
      const v = x.engine.cancel(mi(ref).symbol, engineCi(ref, coi), 'by-user');
      return wireOrder(lo, v, clock.now());
    },
    expireOrder: (ref, coi) => {
      const lo = x.lookup(coi)!;
      const v = x.engine.cancel(mi(ref).symbol, engineCi(ref, coi), 'expired');
      return wireOrder(lo, v, clock.now());
    },
    placeForeignOrder: (req) => {
      const m = mi(req.market);
      let coi = req.clientIndex;
      if (coi === undefined) {
        coi = x.engine.nextForeignIndex();
        while (x.hasCoi(coi)) coi = x.engine.nextForeignIndex();
      }
      if (x.hasCoi(coi)) throw new Error(`client order index ${coi} already exists on the bot account`);
      const lo = x.register(m, coi, { nonce: 0, orderExpiry: req.expiresAt ?? 0, txHash: x.newTxHash(`foreign:${coi}`) });
      try {
        x.engine.place({ type: 'limit', timeInForce: 'gtc', reduceOnly: false, ...req, market: m.symbol, clientIndex: lo.engineCi }, { foreign: true });
      } catch (err) {
        x.unregister(lo);
        throw err;
      }
      if (lo.orderExpiry === 0) lo.orderExpiry = x.engineOrder(lo)?.expiresAt ?? 0;
      return coi;
    },
    accountMarketTrade: (ref, side, size) => x.engine.accountMarketTrade(mi(ref).symbol, side, size),
    setReportedMargin: (ref, reserved, exposure) => x.engine.setReportedMargin(mi(ref).symbol, reserved, exposure),
    liveOrders: (ref) => x.engine.openOrders(mi(ref).symbol).map((v) => ({ ...v, clientIndex: x.byEngine(v.clientIndex)?.coi ?? v.clientIndex })),
    allOrders: (ref) => x.engine.allOrders(mi(ref).symbol).map((v) => ({ ...v, clientIndex: x.byEngine(v.clientIndex)?.coi ?? v.clientIndex })),
    wireOrders: () => x.orders.map((lo) => x.wireOrderOf(lo)).filter((o) => o !== null),
    accountFills: (ref) => x.engine.fills(mi(ref).symbol, -Infinity).map((f) => ({ ...f, clientIndex: x.byEngine(f.clientIndex)?.coi ?? f.clientIndex })),
    wireTrades: () => x.trades.map((t) => ({ ...t })),
    positionOf: (ref) => x.engine.position(mi(ref).symbol),
    nextNonce: (a, k) => accounts.nextNonce(a, k),
    rotateApiKey: (a, k, publicKey) => accounts.rotateKey(a, k, publicKey),
    setDriversRunning: (running) => {
      for (const d of drivers) {
        if (running) d.start();
        else d.stop();
      }
    },
    setNextNonce: (a, k, n) => accounts.setNextNonce(a, k, n),
    txLog: () => tx.received(),
    restLog: () => rest.log.map((e) => ({ ...e, query: { ...e.query } })),
    connections: () => wsHub.connections(),
    flush: async () => {
      await new Promise<void>((r) => setImmediate(r));
      feed.flush();
      await new Promise<void>((r) => setImmediate(r));
    },
    faults: {
      dropConnections: (o) => wsHub.dropConnections(o),
      refuseConnections: (ms) => {
        faults.refuseUntil = clock.now() + ms;
      },
      dropFrames: (ch, n = 1) => faults.addFrameRule('drop', ch, n),
      duplicateFrames: (ch, n = 1) => faults.addFrameRule('duplicate', ch, n),
      reorderFrames: (ch, n = 2) => faults.addFrameRule('reorder', ch, n),
      injectFrame: (frame, o) => wsHub.inject(frame, o?.channel),
      delayAcks: (ms, n = 1) => faults.addAckDelay(ms, n),
      onBeforeAck: (hook) => {
        faults.beforeAck = hook ?? undefined;
      },
      rejectNextTx: (code, o) => faults.addTxReject(code, o?.message ?? `simulated rejection ${code}`, o?.count ?? 1),
      failInSequencer: (o) => faults.addSequencerFail(o?.code ?? 21739, o?.message ?? 'simulated sequencer failure', o?.count ?? 1),
      failRest: (o) => faults.addRest(o),
      forceBookGap: (ref) => feed.forceGap(mi(ref).marketIndex),
      expireAuthTokens: (o) => {
        accounts.expireTokens();
        if (o?.closeSubscriptions) wsHub.closeRevoked();
      },
      setAuthTokenMaxLifetime: (sec) => {
        if (!Number.isInteger(sec) || sec < 1) throw new Error(`auth token lifetime ${sec} s must be an integer ≥ 1`);
        accounts.maxLifetimeSec = sec;
      },
      clear: () => {
        for (const release of faults.clear()) release();
      },
    },
  };

  const snapshot = (): LighterSimSnapshot => ({
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    clockNow: clock.now(),
    seed,
    chainId,
    botAccount,
    backgroundAccount: x.backgroundAccount,
    accounts: accounts.toJSON(),
    exchange: x.toJSON(),
    feed: feed.toJSON(),
    drivers: drivers.map((d) => d.toJSON()),
  });

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      for (const d of drivers) d.stop();
      feed.dispose();
      tx.dispose();
      x.disarmEngine();
      await wsHub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // Whatever is still armed (idle closes, delayed acks, fault windows) goes too.
      clock.clearAll();
    })());

  return {
    restUrl: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}/stream`,
    port,
    chainId,
    control,
    snapshot,
    pendingTimers: () => clock.pending(),
    close,
  };
}
