/**
 * Registers the trailing grid (`strategy.kind: trailing-grid`): config → TrailingGridParams
 * (src/config/trailing-grid.ts), target_leverage, the start banner, and the market check
 * (order_size a multiple of the size step and at least the venue's minimum).
 */
import { Dec } from '../domain/decimal.ts';
import type { TrailingGridParams } from '../../machines/variants/trailing-grid/types.ts';
import { trailingGridVariant } from '../../machines/variants/trailing-grid/variant.ts';
import { TRAILING_GRID_KEY_TABLE, trailingGridParamsFrom, type TrailingGridConfig } from '../config/trailing-grid.ts';
import { registerVariant } from './registry.ts';

registerVariant<TrailingGridConfig, TrailingGridParams>({
  variant: trailingGridVariant,
  keys: TRAILING_GRID_KEY_TABLE,
  setup: (s) => ({
    params: trailingGridParamsFrom(s),
    targetLeverage: s.target_leverage,
    label: `trailing ${s.direction} entry ${s.trail_percent} % from the touch`,
    details: [
      `order_size ${s.order_size}, take-profit ${s.take_profit_percent} %, re-peg after ${s.repeg_percent} %; one round trip at a time`,
    ],
  }),
  checkMarket: (p, market) => {
    const size = new Dec(p.orderSize);
    if (!size.mod(market.step).isZero()) return { key: 'order_size', message: `${p.orderSize} is not a multiple of the size step ${market.step} of ${market.symbol}` };
    if (size.lt(market.minBase)) return { key: 'order_size', message: `${p.orderSize} is below the minimum size ${market.minBase} of ${market.symbol}` };
    return null;
  },
});
