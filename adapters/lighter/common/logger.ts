/**
 * The logger the Lighter adapter writes to (injected; default: silent).
 *
 * Invariants: the adapter never passes key material or auth tokens to a logger — fields
 * are ids, codes, paths (without query strings) and short frame excerpts only; `redact`
 * removes any token-shaped or key-shaped run from a text before it is logged.
 */

export interface LighterLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: LighterLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Removes auth tokens ("deadline:account:key:hex") and long hex runs (keys, signatures). */
export function redact(text: string): string {
  return text.replace(/\d+:\d+:\d+:[0-9a-fA-F]{16,}/g, '[token]').replace(/(?:0x)?[0-9a-fA-F]{40,}/g, '[hex]');
}
