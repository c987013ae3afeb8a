/**
 * The installed strategy variants: importing this module registers each of them (runtime
 * registration in src/variants/registry.ts; config schema with src/config/schema.ts).
 * Adding a variant = one import line here (see docs/authoring-variants.md).
 */
import './dynamic-grid.ts';
import './range-grid.ts';
import './trailing-grid.ts';

export { registeredKinds, registeredVariant, runnableStrategy, type KeyRow, type RunnableStrategy } from './registry.ts';
