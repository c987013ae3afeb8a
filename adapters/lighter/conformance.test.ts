/**
 * The shared venue conformance suite against the Lighter simulator server, over real
 * sockets on 127.0.0.1 with the wall clock: REST + WebSocket + the WASM signer, one `it`
 * per check. Each check gets a fresh server and a freshly connected LighterVenue.
 */
import { describe, it } from 'vitest';
import { BTC, simMarket, TEST, type SimMarketConfig } from '../sim/index.ts';
import { CONFORMANCE_CHECKS, runConformanceCheck, type ConformanceHarness } from '../conformance.ts';
import { startSimVenue } from './testing.ts';

function lighterHarness(cfg: SimMarketConfig): () => Promise<ConformanceHarness> {
  return async () => {
    const s = await startSimVenue({ markets: [cfg] });
    const market = cfg.info.symbol;
    return {
      venue: s.venue,
      market,
      clientIndexBase: 1,
      setBook: async (bid, ask) => s.server.control.setBook(market, bid, ask),
      counterpartyTrade: async (side, size) => {
        s.server.control.counterpartyTrade(market, side, size);
      },
      settle: s.settle,
      close: s.close,
    };
  };
}

const MARKETS: Array<[string, SimMarketConfig]> = [
  ['TEST', simMarket(TEST)],
  ['BTC (price 1 dp, size 5 dp, taker fee)', simMarket(BTC)],
];

for (const [label, cfg] of MARKETS) {
  describe(`venue conformance: LighterVenue over sockets, ${label}`, () => {
    for (const name of CONFORMANCE_CHECKS) {
      it(name, async () => {
        await runConformanceCheck(name, lighterHarness(cfg));
      }, 20_000);
    }
  });
}
