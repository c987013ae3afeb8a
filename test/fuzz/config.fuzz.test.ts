/**
 * Fuzzing the config loader (issue #6, "bad input"): generated files with values of the
 * wrong type, out of range, unknown keys (top level and nested), empty and whitespace
 * files, non-mapping documents, huge numbers, YAML alias bombs, deep nesting and binary
 * garbage. Each must end in a ConfigError whose message names the key and the value and
 * what is allowed (or says the file is empty / not YAML / too many aliases) — never another
 * exception type, never a stack trace. A few cases run end to end through the real CLI
 * process (exit code 2, one line on stderr, no stack).
 *
 * FUZZ_RUNS=1000 npx vitest run test/fuzz/config.fuzz.test.ts for a longer run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/index.ts';
import { FOREIGN_KEYS, isSecretKey } from '../../src/config/keys.ts';
import { MAX_ALIAS_COUNT } from '../../src/config/yaml-read.ts';
import { runCli } from '../cli-process.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const STACK = /\n\s+at |^\s+at /m;
const dir = mkdtempSync(join(tmpdir(), 'config-fuzz-'));
let seq = 0;

/** Loads `text` as a config file; returns the thrown error (or the loaded config). */
function load(text: string | Uint8Array): { error?: unknown; ok?: unknown } {
  const file = join(dir, `c${++seq % 50}.yaml`);
  writeFileSync(file, text);
  try {
    return { ok: loadConfig({ file, env: {} }) };
  } catch (error) {
    return { error };
  }
}

/** The error must be a ConfigError with a plain message (no stack), exit code 2. */
function configError(r: { error?: unknown; ok?: unknown }, what: string): ConfigError {
  if (!(r.error instanceof ConfigError)) {
    throw new Error(`${what}: expected a ConfigError, got ${r.error === undefined ? 'a loaded config' : String((r.error as Error)?.stack ?? r.error)}`);
  }
  expect(r.error.exitCode).toBe(2);
  expect(r.error.message).not.toMatch(STACK);
  expect(r.error.message).toMatch(/^config c\d+\.yaml: /);
  return r.error;
}

const VALID = { direction: 'buy', order_notional_usd: 100, target_leverage: 10, max_margin_usd: 500 };
const flat = (over: Record<string, string>): string =>
  Object.entries({ ...Object.fromEntries(Object.entries(VALID).map(([k, v]) => [k, String(v)])), ...over })
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n') + '\n';

/** Numeric strategy keys: their allowed range (exclusive/inclusive bounds as in the schema). */
const NUMERIC: Record<string, { min: number; minInclusive: boolean; max?: number; int?: boolean }> = {
  order_notional_usd: { min: 0, minInclusive: false },
  quantity: { min: 0, minInclusive: false },
  take_profit: { min: 0, minInclusive: false, max: 100 },
  target_leverage: { min: 1, minInclusive: true, int: true },
  grid_step: { min: 0, minInclusive: false },
  max_orders: { min: 1, minInclusive: true, max: 1000, int: true },
  wait_time: { min: 0, minInclusive: false },
  max_margin_usd: { min: 0, minInclusive: false },
  stop_loss_percentage: { min: 0.05, minInclusive: true, max: 10 },
  position_timeout_minutes: { min: 1, minInclusive: true, max: 1440 },
  post_only_tick_multiplier: { min: 1, minInclusive: true, max: 20, int: true },
  market_slippage_percent: { min: 0.05, minInclusive: true, max: 10 },
  stop_price: { min: 0, minInclusive: false },
  pause_price: { min: 0, minInclusive: false },
};
const ENUMS: Record<string, string[]> = {
  direction: ['buy', 'sell'],
  take_profit_basis: ['margin', 'price'],
  recovery_mode: ['aggressive', 'ladder', 'hedge', 'none'],
};
const BOOLS = ['stop_loss_enabled', 'boost_mode'];
const KNOWN = new Set([...Object.keys(NUMERIC), ...Object.keys(ENUMS), ...BOOLS, 'kind', 'venue', 'market', 'store', 'instance_slot', 'strategy', 'ticker', ...FOREIGN_KEYS]);

/** A word YAML reads as a string (never a number, bool or null). */
const word = fc.stringMatching(/^[a-z][a-z_]{0,11}$/).filter((w) => !['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n'].includes(w));

/** Is `x` inside the allowed range of `r`? */
function inRange(x: number, r: (typeof NUMERIC)[string]): boolean {
  if (!Number.isFinite(x)) return false;
  const lowOk = r.minInclusive ? x >= r.min : x > r.min;
  return lowOk && (r.max === undefined || x <= r.max) && (!r.int || Number.isInteger(x));
}

describe('config loader fuzz: values', () => {
  it('a value of the wrong type for any strategy key: ConfigError naming the key, the value and what is expected', () => {
    const containers = fc.constantFrom(['null', 'null'], ['~', 'null'], ['[1, 2]', 'a list'], ['{a: 1}', 'a mapping'], ['[]', 'a list'], ['{}', 'a mapping']);
    const bools = fc.constantFrom(['true', 'true'], ['false', 'false']);
    const numbers = fc.integer({ min: -5, max: 5000 }).map((n) => [String(n), String(n)] as const);
    const words = word.map((w) => [w, `"${w}"`] as const);
    const cases = fc.oneof(
      fc.tuple(fc.constantFrom(...Object.keys(NUMERIC)), fc.oneof(words, bools, containers)),
      fc.tuple(fc.constantFrom(...BOOLS), fc.oneof(words, numbers, containers)),
      fc.tuple(fc.constantFrom(...Object.keys(ENUMS)), fc.oneof(numbers, bools, containers)),
    );
    fc.assert(
      fc.property(cases, ([key, [text, shown]]) => {
        const e = configError(load(flat({ [key]: text })), `${key}: ${text}`);
        expect(e.message).toContain(`${key}: `);
        if (shown === 'a list') expect(e.message).toMatch(/is a list/);
        else if (shown === 'a mapping') expect(e.message).toMatch(/is a mapping/);
        else expect(e.message).toContain(`${key}: ${shown} `);
        expect(e.message).toMatch(/expected|allowed/);
      }),
      { numRuns: RUNS },
    );
  });

  it('a number out of range (or not an integer where one is needed): ConfigError naming the key, the value and the allowed range', () => {
    const numbers = fc.oneof(
      fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }).map(String),
      fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)).map(String),
      fc.constantFrom('0', '-1', '1001', '1441', '21', '100.5', '10.0001', '0.01', '-0.5', '.inf', '-.inf', '.nan', '1e400', '-1e400'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(NUMERIC)), numbers, (key, text) => {
        const x = text === '.inf' ? Infinity : text === '-.inf' ? -Infinity : text === '.nan' ? NaN : Number(text);
        fc.pre(!inRange(x, NUMERIC[key]!));
        const over = key === 'quantity' ? { [key]: text, order_notional_usd: '' } : { [key]: text };
        const yaml = flat(over).replace(/^order_notional_usd: \n/m, '');
        const e = configError(load(yaml), `${key}: ${text}`);
        expect(e.message).toContain(`${key}: `);
        expect(e.message).toMatch(/redacted|[0-9.inf]/);
        const shownValue = e.message.includes(text) || e.message.includes('[redacted]');
        expect(shownValue, e.message).toBe(true);
        expect(e.message).toMatch(/allowed|expected/);
      }),
      { numRuns: RUNS },
    );
  });

  it('huge integers (beyond 2^53, up to 400 digits) are refused, never rounded', () => {
    fc.assert(
      fc.property(fc.constantFrom('target_leverage', 'max_orders', 'post_only_tick_multiplier'), fc.bigInt({ min: 2n ** 53n, max: 10n ** 400n }), (key, n) => {
        const e = configError(load(flat({ [key]: n.toString() })), `${key}: ${n}`);
        expect(e.message).toContain(`${key}: `);
        expect(e.message).toMatch(/out of range|too large to be exact|wrong type/);
      }),
      { numRuns: RUNS },
    );
    const e = configError(load(flat({ target_leverage: '9007199254740993' })), 'leverage 2^53+1');
    expect(e.message).toContain('too large to be exact');
  });

  it('enum keys: any other word is refused naming the allowed words', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(ENUMS)), word, (key, w) => {
        fc.pre(!ENUMS[key]!.includes(w));
        const e = configError(load(flat({ [key]: w })), `${key}: ${w}`);
        expect(e.message).toContain(`${key}: "${w}"`);
        expect(e.message).toContain(ENUMS[key]!.join(', '));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('config loader fuzz: keys and documents', () => {
  const unknownKey = word.filter((k) => !KNOWN.has(k) && !isSecretKey(k));

  it('unknown keys at the top level, in strategy and in venue are refused naming the key path and the allowed keys', () => {
    fc.assert(
      fc.property(unknownKey, fc.constantFrom('top', 'strategy', 'venue', 'flat'), fc.integer({ min: 0, max: 99 }), (key, where, v) => {
        const strategy = `{ kind: dynamic-grid, direction: buy, order_notional_usd: 100, target_leverage: 10, max_margin_usd: 500${where === 'strategy' ? `, ${key}: ${v}` : ''} }`;
        const text =
          where === 'flat'
            ? flat({ [key]: String(v) })
            : `venue: { kind: sim${where === 'venue' ? `, ${key}: ${v}` : ''} }\nstrategy: ${strategy}\n${where === 'top' ? `${key}: ${v}\n` : ''}`;
        const e = configError(load(text), `${where} ${key}`);
        const path = where === 'strategy' ? `strategy.${key}` : where === 'venue' ? `venue.${key}` : key;
        expect(e.message).toContain(`${path}: unknown key`);
        expect(e.message).toContain('allowed keys: ');
      }),
      { numRuns: RUNS },
    );
  });

  it('empty and whitespace-only files (and comment-only ones) say the file is empty', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' ', '\t', '\n', '\r\n', '# a comment\n', '   # x\n'), { maxLength: 30 }), (parts) => {
        const e = configError(load(parts.join('')), 'empty');
        expect(e.message).toMatch(/file is empty/);
      }),
      { numRuns: RUNS },
    );
  });

  it('documents that are not a mapping (a scalar, a list) say so', () => {
    const scalar = fc.oneof(word, fc.integer().map(String), fc.constantFrom('true', '"quoted"', "'single'", '3.14'));
    const list = fc.array(scalar, { minLength: 1, maxLength: 5 }).map((xs) => xs.map((x) => `- ${x}`).join('\n'));
    fc.assert(
      fc.property(fc.oneof(scalar, list), (text) => {
        const e = configError(load(`${text}\n`), text);
        expect(e.message).toMatch(/single value; expected a mapping|top level is a list; expected a YAML mapping/);
      }),
      { numRuns: RUNS },
    );
  });

  it('alias bombs (billion laughs, any fan-out and depth) are refused without being expanded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 12 }), fc.integer({ min: 3, max: 9 }), (fan, depth) => {
        fc.pre(fan ** (depth - 1) > MAX_ALIAS_COUNT);
        const lines = [`l0: &l0 [${Array(fan).fill('"lol"').join(', ')}]`];
        for (let d = 1; d < depth; d++) lines.push(`l${d}: &l${d} [${Array(fan).fill(`*l${d - 1}`).join(', ')}]`);
        const e = configError(load(`${lines.join('\n')}\n`), `bomb ${fan}^${depth}`);
        expect(e.message).toMatch(/too many YAML aliases \(limit 100\)/);
      }),
      { numRuns: Math.min(RUNS, 50) },
    );
  });

  it('deep nesting ([ ] / { } beyond 64 levels) is refused; deep indentation is handled', () => {
    fc.assert(
      fc.property(fc.integer({ min: 65, max: 20_000 }), fc.constantFrom('[', '{a: '), (depth, open) => {
        const close = open === '[' ? ']' : '}';
        const e = configError(load(`a: ${open.repeat(depth)}1${close.repeat(depth)}\n`), `depth ${depth}`);
        expect(e.message).toMatch(/nested more than 64 levels deep/);
      }),
      { numRuns: Math.min(RUNS, 30) },
    );
    const block = Array.from({ length: 600 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    expect(configError(load(block), 'deep block').message).toMatch(/a: unknown key/);
  });

  it('binary garbage and arbitrary text never throw anything but a ConfigError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 2_000 }), (bytes) => {
        const r = load(bytes);
        if (r.error === undefined) return; // random bytes that happen to be a valid config
        const e = configError(r, 'bytes');
        if (bytes.includes(0)) expect(e.message).toMatch(/binary data/);
      }),
      { numRuns: RUNS },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 500 }), (text) => {
        const r = load(text);
        if (r.error !== undefined) configError(r, 'text');
      }),
      { numRuns: RUNS },
    );
    // YAML-ish text built from the grammar's punctuation.
    const token = fc.constantFrom('a', ':', ' ', '\n', '- ', '[', ']', '{', '}', ',', '&x ', '*x', '!!str ', '!!binary ', '? ', '|', '>', '"', "'", '#', '---\n', '...\n', '%YAML 1.2\n', '<<: ', '1e400', '0x1F');
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (ts) => {
        const r = load(ts.join(''));
        if (r.error !== undefined) configError(r, JSON.stringify(ts.join('')));
      }),
      { numRuns: RUNS * 3 },
    );
  });
});



describe('config fuzz cases through the real CLI process', () => {
  it('a wrong type, an alias bomb, deep nesting, binary garbage and a huge integer exit 2 with one line on stderr and no stack trace', async () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['wrong-type.yaml', flat({ order_notional_usd: 'lots' }), /order_notional_usd: "lots" has the wrong type \(a string\); expected a decimal number > 0/],
      ['bomb.yaml', 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n', /too many YAML aliases/],
      ['deep.yaml', `a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /nested more than 64 levels deep/],
      ['garbage.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0xff, 0xfe, 0x00, 0x10]), /is not YAML: the file holds binary data/],
      ['huge.yaml', flat({ max_orders: '1' + '0'.repeat(30) }), /max_orders: .* is out of range; allowed 1\.\.1000/],
    ];
    const d = mkdtempSync(join(tmpdir(), 'config-fuzz-cli-'));
    const runs = await Promise.all(
      cases.map(([name, text]) => {
        writeFileSync(join(d, name), text);
        return runCli(['paper', '--venue', 'sim', '--config', join(d, name), '--duration', '1m', '--speed', 'max', '--store', join(d, `${name}.sqlite`), '--events', join(d, `${name}.jsonl`)]);
      }),
    );
    runs.forEach((run, i) => {
      const [name, , pattern] = cases[i]!;
      expect(run.code, `${name}: ${run.stderr}`).toBe(2);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^error: config ${name.replace('.', '\\.')}: `));
      expect(lines[0]).toMatch(pattern);
      expect(run.stderr).not.toContain('    at ');
      expect(run.stdout).toBe('');
    });
  }, 60_000);
});
