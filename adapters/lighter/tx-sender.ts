/**
 * Sends one signed Lighter transaction: nonce from the NonceManager, WebSocket first, REST
 * while the socket is down (protocol notes §3.4, §5.3; VEN-01, VEN-02, VEN-09).
 *
 * Invariants:
 * - Signing happens inside the nonce manager's critical section, so transactions leave in
 *   nonce order; on 21104/21105 the manager refetches the nonce and `sign` is called again
 *   — the SAME transaction (same client index) re-signed with the fresh nonce.
 * - A signer refusal is a VenueError 'rejected' (nothing was sent, no nonce consumed).
 * - The 'tx' endpoint's rate-limit cool-off (shared by REST and WS sends) is waited out
 *   before signing and extended by every rate-limited answer.
 * - A WebSocket that is not open means "not sent": the transaction goes over REST instead.
 * - Nothing is awaited before signing unless a cool-off runs or the nonce is unknown/busy:
 *   in the steady state the transaction is signed and written in the caller's turn (the
 *   fill → exit path; `bench/latency.ts` measures it).
 */
import { isVenueError, VenueError } from '../types.ts';
import type { LighterLogger } from './common/logger.ts';
import { TX_ENDPOINT, type LighterHttpClient } from './http/client.ts';
import type { NonceManager } from './nonce.ts';
import type { SignedTx } from './signer/signer.ts';
import type { LighterWsClient } from './websocket/client.ts';

export interface TxSenderDeps {
  http: LighterHttpClient;
  nonces: NonceManager;
  ws: LighterWsClient | undefined;
  log: LighterLogger;
  submitVia: 'ws' | 'rest';
  sendTimeoutMs: number;
}

/** Signs with the next nonce and sends; resolves on the venue's acceptance. */
export async function submitTx(d: TxSenderDeps, what: string, sign: (nonce: number) => SignedTx): Promise<void> {
  if (d.http.coolingOff(TX_ENDPOINT)) await d.http.waitCooloff(TX_ENDPOINT);
  try {
    await d.nonces.run(async (nonce) => {
      let tx: SignedTx;
      try {
        tx = sign(nonce);
      } catch (err) {
        throw new VenueError('rejected', `${what}: ${(err as Error).message}`, { reason: 'signer-refused' });
      }
      await send(d, tx);
    });
  } catch (err) {
    if (isVenueError(err)) d.log.debug('lighter: transaction not accepted', { what, kind: err.kind, code: err.code });
    throw err;
  }
}

async function send(d: TxSenderDeps, tx: SignedTx): Promise<void> {
  const ws = d.ws;
  if (d.submitVia !== 'ws' || !ws?.isOpen) {
    await d.http.sendTx(tx.txType, tx.txInfo); // notes the outcome for the cool-off itself
    return;
  }
  try {
    await ws.sendTx(tx.txType, tx.txInfo, d.sendTimeoutMs);
    d.http.noteOutcome(TX_ENDPOINT, undefined);
  } catch (err) {
    if (isVenueError(err) && err.reason === 'ws-down') {
      await d.http.sendTx(tx.txType, tx.txInfo);
      return;
    }
    d.http.noteOutcome(TX_ENDPOINT, err);
    throw err;
  }
}
