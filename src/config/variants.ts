/**
 * The installed strategy variants, for `grid-bot variants`: kind, one-line description, and
 * every config key with its default and range. Importing this module registers every shipped
 * variant's schema (range-grid registers itself on import).
 */
import { RANGE_GRID_DESCRIPTION, RANGE_GRID_KEY_TABLE, RANGE_GRID_KIND } from './range-grid.ts';
import { DEFAULT_STRATEGY_KIND, strategyKinds } from './schema.ts';

export interface VariantInfo {
  kind: string;
  description: string;
  isDefault: boolean;
  keys: ReadonlyArray<{ key: string; default: string; range: string }>;
}

const DYNAMIC_GRID_KEY_TABLE: ReadonlyArray<{ key: string; default: string; range: string }> = [
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

const DESCRIPTIONS: Record<string, { description: string; keys: VariantInfo['keys'] }> = {
  [DEFAULT_STRATEGY_KIND]: {
    description: 'one post-only entry at a time near the touch; every fill becomes a tracked position with its own reduce-only take-profit',
    keys: DYNAMIC_GRID_KEY_TABLE,
  },
  [RANGE_GRID_KIND]: { description: RANGE_GRID_DESCRIPTION, keys: RANGE_GRID_KEY_TABLE },
};

export function listVariants(): VariantInfo[] {
  return strategyKinds().map((kind) => ({
    kind,
    isDefault: kind === DEFAULT_STRATEGY_KIND,
    description: DESCRIPTIONS[kind]?.description ?? '(no description)',
    keys: DESCRIPTIONS[kind]?.keys ?? [],
  }));
}
