/**
 * Public surface of configuration: schemas and types, loading, presets, start-up
 * description. Import from here rather than from the individual modules.
 */
export { ConfigError, formatIssue, type ConfigIssue } from './errors.ts';
export {
  botConfigSchema,
  dynamicGridSchema,
  registerStrategySchema,
  strategyKinds,
  strategySchema,
  venueSchema,
  DIRECTIONS,
  DYNAMIC_GRID_KEYS,
  RECOVERY_MODES,
  TAKE_PROFIT_BASES,
  TOP_LEVEL_KEYS,
  VENUE_KINDS,
  type BotConfig,
  type DynamicGridConfig,
  type StrategyConfig,
  type StrategyConfigs,
  type VenueConfig,
} from './schema.ts';
export { mapping, decimalField, intField, durationField, enumField, boolField, textField } from './fields.ts';
export { loadConfig, type ConfigFlags, type LoadOptions, type LoadedConfig, type Secrets } from './load.ts';
export { listPresets, presetPath, PAPER_PRESET, PRESET_DIR, SEED_PRESETS } from './presets.ts';
export { describeDistances, type DistanceInputs } from './describe.ts';
export { FOREIGN_KEYS, LIGHTER_KEY_ENV } from './keys.ts';
export { readConfigFile, parseConfigText, MAX_CONFIG_BYTES, MAX_ALIAS_COUNT } from './yaml-read.ts';
