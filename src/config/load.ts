/**
 * loadConfig: builds the effective bot configuration from defaults, a preset, a file and
 * command-line flags (precedence: flags > file > preset > defaults), validates it, and
 * reads secrets from the environment.
 *
 * Invariants:
 * - Any problem → ConfigError (exit code 2) naming the source, the key as the user wrote
 *   it, the value and what is allowed; nothing is dropped silently. Keys older grid files
 *   carry but that do not apply (keys.ts FOREIGN_KEYS) are ignored with ONE warning per
 *   source naming each; `ticker` is read as `market` when no market is given.
 * - Secret-looking keys in a file are refused without echoing their value; the Lighter
 *   private key comes only from LIGHTER_API_PRIVATE_KEY and is returned in `secrets`
 *   (non-enumerable, so it does not serialise or print), never inside `config`.
 * - Merging is per key inside `venue` and `strategy`; the sizing keys
 *   (`order_notional_usd`, `quantity`) move together: a layer that sets either replaces
 *   both from lower layers. A layer with another `strategy.kind` or `venue.kind` replaces
 *   that whole section.
 */
import { basename } from 'node:path';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { FOREIGN_KEYS, LIGHTER_KEY_ENV, isSecretKey } from './keys.ts';
import { presetPath } from './presets.ts';
import { botConfigSchema, DEFAULT_STRATEGY_KIND, TOP_LEVEL_KEYS, type BotConfig } from './schema.ts';
import { isPlainObject } from './values.ts';
import { readConfigFile } from './yaml-read.ts';

/** Command-line overrides. */
export interface ConfigFlags {
  market: string;
  store: string;
  slot: number;
}

export interface LoadOptions {
  /** `--config FILE`. */
  file?: string;
  /** `--preset NAME`. */
  preset?: string;
  /** Preset used only when neither `file` nor `preset` is given (paper mode passes 'paper'). */
  fallbackPreset?: string;
  flags?: Partial<ConfigFlags>;
  /** Environment for secrets (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

/** Secrets read from the environment. Properties are non-enumerable: JSON and console output omit them. */
export interface Secrets {
  readonly lighterApiPrivateKey?: string;
}

export interface LoadedConfig {
  config: BotConfig;
  /** One line per notice, e.g. ignored foreign keys. */
  warnings: string[];
  secrets: Secrets;
  /** The sources applied, lowest precedence first, e.g. ['preset grid_hft', 'bot.yaml']. */
  sources: string[];
  /**
   * Whether any source set `venue`. `config.venue` defaults to `{ kind: 'sim' }`; paper mode
   * may choose its own venue (e.g. the Lighter simulator over loopback) when this is false.
   */
  venueExplicit: boolean;
}

interface Layer {
  readonly label: string;
  readonly kind: 'file' | 'flags';
  /** Flat strategy file: its keys are the strategy's. */
  readonly flat: boolean;
  readonly top: Record<string, unknown>;
  /** The strategy section as written (undefined when the layer has none). */
  readonly strategy: unknown;
  readonly ignored: string[];
  /** How this layer spells the market key: 'market', or 'ticker' / 'strategy.ticker' when read from ticker. */
  readonly marketKey: string;
}

const FLAG_NAMES: Record<string, string> = { market: '--market', store: '--store', instance_slot: '--slot' };
const SIZING_KEYS = ['order_notional_usd', 'quantity'];

export function loadConfig(opts: LoadOptions = {}): LoadedConfig {
  const env = opts.env ?? process.env;
  const known = [env[LIGHTER_KEY_ENV] ?? ''].map((k) => k.trim()).filter((k) => k !== '');
  try {
    return load(opts, env);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(e.issues, known);
    throw e;
  }
}

function load(opts: LoadOptions, env: NodeJS.ProcessEnv): LoadedConfig {
  const layers: Layer[] = [];
  const preset = opts.preset ?? (opts.file === undefined ? opts.fallbackPreset : undefined);
  if (preset !== undefined) {
    const label = `preset ${preset}`;
    layers.push(fileLayer(readConfigFile(presetPath(preset), label), label));
  }
  if (opts.file !== undefined) {
    const label = basename(opts.file);
    layers.push(fileLayer(readConfigFile(opts.file, label), label));
  }
  if (layers.length === 0) {
    throw ConfigError.of('command line', '', 'no configuration given; pass --config FILE or --preset NAME');
  }
  const flagLayer = flagsLayer(opts.flags ?? {});
  if (flagLayer) layers.push(flagLayer);

  const { merged, origins } = mergeLayers(layers);
  const primary = [...layers].reverse().find((l) => l.kind === 'file')!;
  const where = (path: (string | number | symbol)[]): { label: string; path: string } =>
    locate(path.map(String), origins, primary);

  const parsed = botConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((i) => {
      const at = where(i.path as (string | number)[]);
      return { source: at.label, path: at.path, message: i.message };
    });
    throw new ConfigError(issues);
  }
  const config = parsed.data;

  const warnings: string[] = [];
  for (const l of layers) {
    if (l.ignored.length > 0) {
      warnings.push(`config ${l.label}: ignored keys that do not apply to this bot: ${l.ignored.join(', ')}`);
    }
  }
  const mergedStrategy = merged.strategy;
  if (isPlainObject(mergedStrategy) && mergedStrategy.order_notional_usd !== undefined && mergedStrategy.quantity !== undefined) {
    const at = where(['strategy', 'quantity']);
    warnings.push(`config ${at.label}: ${at.path} is ignored because order_notional_usd is set (the notional wins)`);
  }

  const secrets: Secrets = {};
  if (config.venue.kind === 'lighter') {
    const key = env[LIGHTER_KEY_ENV]?.trim();
    if (!key) {
      const at = where(['venue', 'kind']);
      throw ConfigError.of(
        at.label,
        at.path,
        `venue kind lighter needs the API private key in the environment variable ${LIGHTER_KEY_ENV}, which is not set (the key is never read from a file)`,
      );
    }
    Object.defineProperty(secrets, 'lighterApiPrivateKey', { value: key, enumerable: false });
  }
  return { config, warnings, secrets, sources: layers.map((l) => l.label), venueExplicit: merged.venue !== undefined };
}

/** Turns one parsed file into a layer: secret check, flat detection, foreign keys, ticker. */
function fileLayer(raw: unknown, label: string): Layer {
  const secretPaths: string[] = [];
  findSecretKeys(raw, '', secretPaths);
  if (secretPaths.length > 0) {
    throw new ConfigError(
      secretPaths.map((p) => ({
        source: label,
        path: p,
        message: `private keys are read from the environment variable ${LIGHTER_KEY_ENV} only, never from a file; remove this key (its value is not shown)`,
      })),
    );
  }
  const obj = raw as Record<string, unknown>; // readConfigFile guarantees a mapping
  const flat = !TOP_LEVEL_KEYS.some((k) => k in obj);
  const top: Record<string, unknown> = flat ? {} : { ...obj };
  let strategy: unknown = flat ? { ...obj } : obj.strategy;
  delete top.strategy;
  if (isPlainObject(strategy)) strategy = { ...strategy };
  const ignored: string[] = [];
  const prefix = flat ? '' : 'strategy.';

  let ticker: unknown;
  let tickerPath = '';
  for (const [section, pre] of [
    [top, ''],
    [isPlainObject(strategy) ? strategy : {}, prefix],
  ] as const) {
    for (const k of FOREIGN_KEYS) {
      if (k in section) {
        ignored.push(pre + k);
        delete section[k];
      }
    }
    if ('ticker' in section) {
      if (ticker === undefined && top.market === undefined) {
        ticker = section.ticker;
        tickerPath = pre + 'ticker';
      } else {
        ignored.push(`${pre}ticker (market is given)`);
      }
      delete section.ticker;
    }
  }
  if (ticker !== undefined) top.market = ticker;
  return { label, kind: 'file', flat, top, strategy, ignored, marketKey: ticker !== undefined ? tickerPath : 'market' };
}

function findSecretKeys(v: unknown, path: string, out: string[]): void {
  if (Array.isArray(v)) {
    v.forEach((item, i) => findSecretKeys(item, `${path}[${i}]`, out));
  } else if (isPlainObject(v)) {
    for (const k of Object.keys(v)) {
      const p = path ? `${path}.${k}` : k;
      if (isSecretKey(k)) out.push(p);
      else findSecretKeys(v[k], p, out);
    }
  }
}

function flagsLayer(flags: Partial<ConfigFlags>): Layer | undefined {
  const top: Record<string, unknown> = {};
  if (flags.market !== undefined) top.market = flags.market;
  if (flags.store !== undefined) top.store = flags.store;
  if (flags.slot !== undefined) top.instance_slot = flags.slot;
  if (Object.keys(top).length === 0) return undefined;
  return { label: 'command line', kind: 'flags', flat: false, top, strategy: undefined, ignored: [], marketKey: 'market' };
}

type Origins = Map<string, Layer>;

function kindOf(section: unknown, fallback: string): unknown {
  return isPlainObject(section) && section.kind !== undefined ? section.kind : fallback;
}

/** Merges layers (low → high) key by key; records which layer supplied each key path. */
function mergeLayers(layers: Layer[]): { merged: Record<string, unknown>; origins: Origins } {
  const merged: Record<string, unknown> = {};
  const origins: Origins = new Map();
  const mergeSection = (name: string, incoming: unknown, layer: Layer, defaultKind: string, groups: string[][]) => {
    const current = merged[name];
    if (isPlainObject(current) && isPlainObject(incoming) && kindOf(current, defaultKind) === kindOf(incoming, defaultKind)) {
      const next: Record<string, unknown> = { ...current };
      for (const group of groups) {
        if (group.some((k) => k in incoming)) for (const k of group) delete next[k];
      }
      for (const [k, v] of Object.entries(incoming)) {
        next[k] = v;
        origins.set(`${name}.${k}`, layer);
      }
      merged[name] = next;
    } else {
      for (const key of [...origins.keys()]) if (key.startsWith(`${name}.`)) origins.delete(key);
      merged[name] = incoming;
      if (isPlainObject(incoming)) for (const k of Object.keys(incoming)) origins.set(`${name}.${k}`, layer);
    }
    origins.set(name, layer);
  };
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer.top)) {
      if (k === 'venue') mergeSection('venue', v, layer, 'sim', []);
      else {
        merged[k] = v;
        origins.set(k, layer);
      }
    }
    if (layer.strategy !== undefined) mergeSection('strategy', layer.strategy, layer, DEFAULT_STRATEGY_KIND, [SIZING_KEYS]);
  }
  return { merged, origins };
}

/** Which source an issue at `path` belongs to, and the key as that source spells it. */
function locate(path: string[], origins: Origins, primary: Layer): { label: string; path: string } {
  let layer: Layer | undefined;
  for (let n = path.length; n > 0 && !layer; n--) layer = origins.get(path.slice(0, n).join('.'));
  layer ??= primary;
  if (layer.kind === 'flags' && path.length > 0 && FLAG_NAMES[path[0]]) {
    return { label: layer.label, path: FLAG_NAMES[path[0]] };
  }
  if (path[0] === 'market') return { label: layer.label, path: layer.marketKey };
  const shown = layer.flat && path[0] === 'strategy' ? path.slice(1) : path;
  return { label: layer.label, path: shown.join('.') };
}
