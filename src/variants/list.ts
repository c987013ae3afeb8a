/**
 * `grid-bot variants`: every installed variant with its one-line description and each config
 * key with its default and range, read from the registrations (src/variants/registry.ts).
 * The default kind is listed first.
 */
import { DEFAULT_STRATEGY_KIND } from '../config/schema.ts';
import { registeredKinds, registeredVariant, type KeyRow } from './installed.ts';

export interface VariantInfo {
  kind: string;
  description: string;
  isDefault: boolean;
  keys: readonly KeyRow[];
}

export function listVariants(): VariantInfo[] {
  const kinds = registeredKinds().sort((a, b) => (a === DEFAULT_STRATEGY_KIND ? -1 : b === DEFAULT_STRATEGY_KIND ? 1 : a.localeCompare(b)));
  return kinds.map((kind) => {
    const reg = registeredVariant(kind)!;
    return { kind, isDefault: kind === DEFAULT_STRATEGY_KIND, description: reg.variant.description, keys: reg.keys };
  });
}
