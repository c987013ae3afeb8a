import { describe, it, expect } from 'vitest';
import { SimClock } from '../../src/runtime/clock.ts';
import { CONFORMANCE_CHECKS, runConformanceCheck, runVenueConformance, type ConformanceHarness } from '../conformance.ts';
import { SimVenue } from './sim-venue.ts';
import { simMarket, type SimMarketConfig } from './markets.ts';
import type { Venue } from '../types.ts';

function simHarness(cfg: SimMarketConfig): () => Promise<ConformanceHarness> {
  return async () => {
    const clock = new SimClock(1_000_000);
    const venue = new SimVenue({ clock, markets: [cfg] });
    const market = cfg.info.symbol;
    const settle = async () => {
      clock.advanceBy(10);
      await new Promise<void>((r) => setImmediate(r));
    };
    return {
      venue,
      market,
      clientIndexBase: 1,
      setBook: async (bid, ask) => venue.control.setBook(market, bid, ask),
      counterpartyTrade: async (side, size) => {
        venue.control.counterpartyTrade(market, side, size);
      },
      settle,
      close: () => venue.close(),
    };
  };
}

const MARKETS: Array<[string, SimMarketConfig]> = [
  ['TEST', simMarket('TEST')],
  ['BTC', simMarket('BTC')],
  ['ETH with a maker fee', simMarket('ETH', { info: { makerFee: '0.0001' } })],
];

for (const [label, cfg] of MARKETS) {
  describe(`venue conformance: SimVenue ${label}`, () => {
    for (const name of CONFORMANCE_CHECKS) {
      it(name, async () => {
        await runConformanceCheck(name, simHarness(cfg));
      });
    }
  });
}

describe('venue conformance suite itself', () => {
  it('runVenueConformance reports every check passing on the simulator', async () => {
    const r = await runVenueConformance(simHarness(simMarket('TEST')));
    expect(r.failed).toEqual([]);
    expect(r.passed).toEqual([...CONFORMANCE_CHECKS]);
    expect(r.ok).toBe(true);
  });

  it('catches a venue that fills post-only orders that cross (the suite can fail)', async () => {
    const base = simHarness(simMarket('TEST'));
    const broken = async (): Promise<ConformanceHarness> => {
      const h = await base();
      const inner = h.venue as SimVenue;
      const venue: Venue = Object.create(inner);
      venue.placeOrder = (req) => inner.placeOrder(req.timeInForce === 'post-only' ? { ...req, timeInForce: 'gtc' } : req);
      return { ...h, venue };
    };
    const r = await runVenueConformance(broken, { only: ['post-only-cross-canceled'] });
    expect(r.ok).toBe(false);
    expect(r.failed[0].error.message).toMatch(/\[post-only-cross-canceled\] post-only buy at the ask 100.02 must end canceled post-only; got filled/);
  });

  it('catches a venue whose cancel leaves the order open', async () => {
    const base = simHarness(simMarket('TEST'));
    const broken = async (): Promise<ConformanceHarness> => {
      const h = await base();
      const inner = h.venue as SimVenue;
      const venue: Venue = Object.create(inner);
      venue.cancelOrder = async () => undefined;
      return { ...h, venue };
    };
    const r = await runVenueConformance(broken, { only: ['cancel-by-client-index'] });
    expect(r.failed[0]?.error.message).toMatch(/timed out waiting for order.updated of 1 canceled/);
  });

  it('an unknown check name is refused with the known names', async () => {
    await expect(runConformanceCheck('nope' as never, simHarness(simMarket('TEST')))).rejects.toThrow(/unknown conformance check "nope"; known: market-info/);
  });
});
