/**
 * ConfigError: the one error type of configuration loading. The CLI exits with its
 * `exitCode` (2) before connecting to any venue.
 *
 * Invariants: every message names where the problem is (file, preset or flag), the key
 * path, the offending value and what is allowed; no message ever carries secret material —
 * values of unknown or secret-looking keys are never echoed, and long hex runs (key-like
 * material) plus any value passed to `redactKnown` are masked as a last line of defence.
 */

/** One problem found in a configuration source. */
export interface ConfigIssue {
  /** Where: a file name (`bot.yaml`), `preset grid_hft`, or `command line`. */
  readonly source: string;
  /** Key path as the user wrote it (`strategy.max_orders`, `max_orders`, `--slot`); '' for the whole source. */
  readonly path: string;
  /** What is wrong and what is allowed, e.g. `0 is out of range; allowed 1..1000`. */
  readonly message: string;
}

const HEX_RUN = /(0x)?[0-9a-fA-F]{24,}/g;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Masks key-like material: runs of 24+ hex digits, and each of `known` (also a truncated
 * copy: any run starting with its first 12 characters, with or without `0x`).
 */
export function redact(text: string, known: readonly string[] = []): string {
  let out = text;
  for (const k of known) {
    if (k.length < 8) continue;
    out = out.split(k).join('[redacted]');
    const bare = k.replace(/^0x/i, '');
    if (bare.length >= 12) out = out.replace(new RegExp(`(0x)?${escapeRegExp(bare.slice(0, 12))}\\S*`, 'g'), '[redacted]');
  }
  return out.replace(HEX_RUN, '[redacted]');
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.path ? `${issue.path}: ` : '';
  return `config ${issue.source}: ${where}${issue.message}`;
}

export class ConfigError extends Error {
  /** Process exit code for configuration problems (CFG-03, CFG-07). */
  readonly exitCode = 2;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], known: readonly string[] = []) {
    const safe = issues.map((i) => ({
      source: redact(i.source, known),
      path: redact(i.path, known),
      message: redact(i.message, known),
    }));
    super(safe.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = safe;
  }

  /** Shorthand for a single-issue error. */
  static of(source: string, path: string, message: string): ConfigError {
    return new ConfigError([{ source, path, message }]);
  }
}
