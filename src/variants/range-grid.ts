/**
 * Registers the range grid (`strategy.kind: range-grid`): config → RangeGridParams
 * (src/config/range-grid.ts), target_leverage, the banner (range, levels, spacing) and the
 * market check (levels at least 2 ticks apart, lower_price ≥ one tick).
 */
import { levelPrices, spacingProblem } from '../../machines/variants/range-grid/levels.ts';
import type { RangeGridParams } from '../../machines/variants/range-grid/types.ts';
import { rangeGridVariant } from '../../machines/variants/range-grid/variant.ts';
import { RANGE_GRID_KEY_TABLE, rangeGridParamsFrom, type RangeGridConfig } from '../config/range-grid.ts';
import { registerVariant } from './registry.ts';

registerVariant<RangeGridConfig, RangeGridParams>({
  variant: rangeGridVariant,
  keys: RANGE_GRID_KEY_TABLE,
  setup: (s) => ({
    params: rangeGridParamsFrom(s),
    targetLeverage: s.target_leverage,
    label: `range grid ${s.lower_price}..${s.upper_price}, ${s.grid_count} intervals (${s.spacing}), ${s.direction}`,
    details: [
      `levels: ${s.grid_count + 1} prices, at most ${s.max_resting_orders} entries resting; ${s.order_size !== undefined ? `order_size ${s.order_size}` : `total_notional_usd ${s.total_notional_usd}`}`,
      `leaving the range: ${s.on_exit_range}${s.stop_price !== undefined ? ` | stop_price ${s.stop_price}` : ''}${s.stop_loss_enabled ? ` | stop-loss ${s.stop_loss_percentage} % from the average entry` : ''}`,
    ],
  }),
  checkMarket: (p, market) => {
    const spec = { lowerPrice: p.lowerPrice, upperPrice: p.upperPrice, gridCount: p.gridCount, spacing: p.spacing };
    const problem = spacingProblem(spec, market.tick);
    if (problem) return problem;
    levelPrices(spec, market.tick); // computes (and caches) the levels once at start-up
    return null;
  },
});
