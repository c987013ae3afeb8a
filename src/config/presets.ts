/**
 * Shipped presets: the four seed grid presets of grid-strategy.md §3 (flat, older-grid
 * style files, loaded unchanged) and `paper`, the built-in config of paper mode when no
 * config is given. Files live in `<repo>/presets/NAME.yaml`.
 *
 * Invariant: a preset name is a plain word; anything else, or a name with no file, is a
 * ConfigError listing the available presets.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './errors.ts';
import { suggestKey } from './keys.ts';

/** Directory of the shipped preset files. */
export const PRESET_DIR = fileURLToPath(new URL('../../presets/', import.meta.url));

/** The seed presets carried over from the older grid bot (all BTC long, notional 300, 20x). */
export const SEED_PRESETS = ['grid_ev_positive', 'grid_hft', 'grid_original', 'grid_set_and_forget'] as const;

/** Preset used by paper mode when neither `--config` nor `--preset` is given. */
export const PAPER_PRESET = 'paper';

/** Names of all shipped presets, sorted. */
export function listPresets(): string[] {
  return readdirSync(PRESET_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -'.yaml'.length))
    .sort();
}

/** Path of a shipped preset's file; unknown name → ConfigError naming the available ones. */
export function presetPath(name: string): string {
  const available = listPresets();
  const file = join(PRESET_DIR, `${name}.yaml`);
  if (/^[A-Za-z0-9_-]+$/.test(name) && available.includes(name) && existsSync(file)) return file;
  const hint = suggestKey(name, available);
  const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 37)}...` : name);
  throw ConfigError.of(
    'command line',
    '--preset',
    `${shown} is not a known preset;${hint ? ` did you mean ${hint}?` : ''} available: ${available.join(', ')}`,
  );
}
