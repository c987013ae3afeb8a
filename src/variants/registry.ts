/**
 * The runnable variants: for each `strategy.kind`, the variant (machines, status view — see
 * machines/variants/contract.ts) plus how a validated strategy config becomes its machine
 * parameters, its leverage, its start-up banner and its market check. paper, run and status
 * select a variant here, so a new variant runs without any change to the engine.
 *
 * Registering: a variant module calls `registerVariant(...)` on import and is imported once
 * by src/variants/installed.ts (its config schema registers itself with
 * `registerStrategySchema` from src/config/schema.ts, which gives `grid-bot variants` and the
 * config loader its keys).
 *
 * Invariants: one registration per kind (a second one throws); a kind without a registration
 * is a ConfigError naming the kinds that can run.
 */
import type { StrategyVariant } from '../../machines/variants/contract.ts';
import type { MarketParams } from '../../machines/shared/types.ts';
import { ConfigError } from '../config/errors.ts';
import type { LoadedConfig } from '../config/index.ts';

export interface KeyRow {
  key: string;
  default: string;
  range: string;
}

export interface VariantSetup<P> {
  params: P;
  targetLeverage: number;
  /** One phrase for the start banner, e.g. "long grid" or "range 90..110 (10 levels), long". */
  label: string;
  /** Extra banner lines (price distances, level spacing). */
  details: string[];
}

export interface VariantRegistration<C = any, P = any> {
  variant: StrategyVariant<P>;
  /** Config keys with default and range, for `grid-bot variants`. */
  keys: readonly KeyRow[];
  /** Validated strategy config (already defaulted by its schema) → machine parameters. */
  setup(strategy: C): VariantSetup<P>;
  /** A check that needs the market (tick, size step): a problem names the strategy key. */
  checkMarket?(params: P, market: MarketParams): { key: string; message: string } | null;
}

const registry = new Map<string, VariantRegistration>();

export function registerVariant<C, P>(reg: VariantRegistration<C, P>): void {
  if (registry.has(reg.variant.kind)) throw new Error(`variant ${reg.variant.kind} is registered twice`);
  registry.set(reg.variant.kind, reg as VariantRegistration);
}

export function registeredVariant(kind: string): VariantRegistration | undefined {
  return registry.get(kind);
}

export function registeredKinds(): string[] {
  return [...registry.keys()];
}

export interface RunnableStrategy<P = unknown> extends VariantSetup<P> {
  kind: string;
  variant: StrategyVariant<P>;
  checkMarket(market: MarketParams): void;
}

/** The variant a loaded config selects, with its parameters; a ConfigError when it cannot run. */
export function runnableStrategy(loaded: LoadedConfig): RunnableStrategy {
  const source = loaded.sources.at(-1) ?? 'config';
  const strategy = loaded.config.strategy as { kind: string };
  const reg = registry.get(strategy.kind);
  if (!reg) throw ConfigError.of(source, 'strategy.kind', `${JSON.stringify(strategy.kind)} has no runtime registered; allowed ${registeredKinds().join(', ')}`);
  const setup = reg.setup(strategy);
  return {
    kind: reg.variant.kind,
    variant: reg.variant,
    ...setup,
    checkMarket(market) {
      const p = reg.checkMarket?.(setup.params, market);
      if (p) throw ConfigError.of(source, `strategy.${p.key}`, p.message);
    },
  };
}
