import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig } from './load.ts';
import { MAX_CONFIG_BYTES, parseConfigText } from './yaml-read.ts';
import { YamlNumber } from './values.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridchart-cfg-yaml-'));
function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** Loads `path`, expecting a ConfigError within 1 s; returns it. */
function failsFast(path: string): ConfigError {
  const t0 = performance.now();
  let caught: unknown;
  try {
    loadConfig({ file: path });
  } catch (e) {
    caught = e;
  }
  const ms = performance.now() - t0;
  expect(caught).toBeInstanceOf(ConfigError);
  expect(ms).toBeLessThan(1000);
  const err = caught as ConfigError;
  expect(err.exitCode).toBe(2);
  return err;
}

function aliasBomb(levels: number): string {
  let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  let prev = 'a';
  for (let i = 0; i < levels; i++) {
    const name = `l${i}`;
    text += `${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]\n`;
    prev = name;
  }
  return text;
}

describe('CFG-07 malformed config files fail cleanly', () => {
  it('CFG-07 an empty file names the file and says it is empty', () => {
    expect(failsFast(file('empty.yaml', '')).message).toBe(
      'config empty.yaml: file is empty; expected a YAML mapping of config keys',
    );
    expect(failsFast(file('comments.yaml', '# nothing here\n\n')).message).toContain('comments.yaml: file is empty');
  });

  it('CFG-07 a file whose top level is a list names the file and the problem', () => {
    expect(failsFast(file('list.yaml', '- direction: buy\n- quantity: 1\n')).message).toBe(
      'config list.yaml: top level is a list; expected a YAML mapping of config keys',
    );
  });

  it('CFG-07 a file that is not YAML names the file, the position and the problem', () => {
    const broken = failsFast(file('broken.yaml', 'direction: buy\nquantity: [1, 2\n'));
    expect(broken.message).toMatch(/^config broken\.yaml: is not valid YAML at line \d+, column \d+: /);
    const json = failsFast(file('junk.yaml', '{{{ ::: ]]] \n'));
    expect(json.message).toMatch(/^config junk\.yaml: is not valid YAML/);
    const prose = failsFast(file('prose.yaml', 'this is just a sentence, not a config\n'));
    expect(prose.message).toContain('prose.yaml: is not a YAML mapping');
    const binary = failsFast(file('binary.yaml', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x00, 0x01, 0x02])));
    expect(binary.message).toBe('config binary.yaml: is not YAML: the file holds binary data');
    const dup = failsFast(file('dup.yaml', 'direction: buy\ndirection: sell\n'));
    expect(dup.message).toMatch(/^config dup\.yaml: duplicate key at line 2/);
  });

  it('CFG-07 a YAML alias bomb is refused without expanding it', () => {
    const err = failsFast(file('bomb.yaml', aliasBomb(9)));
    expect(err.message).toContain('bomb.yaml');
    expect(err.message).toContain('alias');
    // A big bomb is just as fast.
    expect(failsFast(file('bomb2.yaml', aliasBomb(30))).message).toContain('alias bomb');
  });

  it('CFG-07 missing, directory and oversized files are ConfigErrors too', () => {
    expect(failsFast(join(dir, 'nope.yaml')).message).toContain('nope.yaml: cannot read');
    expect(failsFast(join(dir, 'nope.yaml')).message).toContain('no such file');
    expect(failsFast(dir).message).toContain('is a directory');
    const big = failsFast(file('big.yaml', `# ${'x'.repeat(MAX_CONFIG_BYTES)}\ndirection: buy\n`));
    expect(big.message).toContain('big.yaml: file is too large');
  });
});

describe('parseConfigText', () => {
  it('keeps the source text of numbers and reads the rest as plain values', () => {
    const raw = parseConfigText('a: 0.10\nb: 1e-3\nc: "0.5"\nd: true\ne: ~\nf: [1, x]\n', 't.yaml') as Record<string, unknown>;
    expect(raw.a).toEqual(new YamlNumber(0.1, '0.10'));
    expect(raw.b).toEqual(new YamlNumber(0.001, '1e-3'));
    expect(raw.c).toBe('0.5');
    expect(raw.d).toBe(true);
    expect(raw.e).toBe(null);
    expect(raw.f).toEqual([new YamlNumber(1, '1'), 'x']);
  });

  it('allows a few ordinary aliases', () => {
    const raw = parseConfigText('base: &b 5\nmax_orders: *b\n', 'a.yaml') as Record<string, unknown>;
    expect(raw.max_orders).toEqual(new YamlNumber(5, '5'));
  });

  it('a __proto__ key is an ordinary (unknown) key, not a prototype change', () => {
    const raw = parseConfigText('__proto__: 5\n', 'p.yaml') as Record<string, unknown>;
    expect(Object.getPrototypeOf(raw)).toBe(Object.prototype);
    expect(Object.keys(raw)).toEqual(['__proto__']);
  });
});
