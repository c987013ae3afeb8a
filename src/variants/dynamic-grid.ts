/**
 * Registers the dynamic grid (the default `strategy.kind`): config → GridParams
 * (src/runtime/params.ts), target_leverage, and the start-up banner with the TP and
 * stop-loss price distances.
 */
import { dynamicGridVariant } from '../../machines/grid/variant.ts';
import { describeDistances } from '../config/describe.ts';
import type { DynamicGridConfig } from '../config/schema.ts';
import { gridParamsFrom } from '../runtime/params.ts';
import { registerVariant, type KeyRow } from './registry.ts';

export const DYNAMIC_GRID_KEY_TABLE: readonly KeyRow[] = [
  { key: 'direction', default: 'required', range: 'buy, sell' },
  { key: 'order_notional_usd', default: '— (or quantity)', range: '> 0' },
  { key: 'quantity', default: '— (or order_notional_usd)', range: '> 0' },
  { key: 'take_profit', default: '0.08', range: '(0, 100]' },
  { key: 'take_profit_basis', default: 'margin', range: 'margin, price' },
  { key: 'target_leverage', default: 'required', range: 'integer ≥ 1' },
  { key: 'grid_step', default: '0.002', range: '> 0' },
  { key: 'max_orders', default: '25', range: '1..1000' },
  { key: 'wait_time', default: '10', range: '> 0 (seconds)' },
  { key: 'max_margin_usd', default: 'required', range: '> 0' },
  { key: 'stop_loss_enabled', default: 'true', range: 'true, false' },
  { key: 'stop_loss_percentage', default: '2.0', range: '0.05..10' },
  { key: 'position_timeout_minutes', default: '60', range: '1..1440' },
  { key: 'recovery_mode', default: 'aggressive', range: 'aggressive, ladder, hedge, none' },
  { key: 'post_only_tick_multiplier', default: '2', range: '1..20' },
  { key: 'boost_mode', default: 'false', range: 'true, false' },
  { key: 'market_slippage_percent', default: '2.0', range: '0.05..10' },
  { key: 'stop_price', default: '—', range: '> 0' },
  { key: 'pause_price', default: '—', range: '> 0' },
];


registerVariant<DynamicGridConfig, ReturnType<typeof gridParamsFrom>>({
  variant: dynamicGridVariant,
  keys: DYNAMIC_GRID_KEY_TABLE,
  setup: (s) => ({
    params: gridParamsFrom(s),
    targetLeverage: s.target_leverage,
    label: `${s.direction === 'buy' ? 'long' : 'short'} grid`,
    details: describeDistances(s),
  }),
});
