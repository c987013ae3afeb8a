import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.ts';
import { loadConfig, type LoadOptions } from './load.ts';

const dir = mkdtempSync(join(tmpdir(), 'gridchart-cfg-load-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
function loadError(opts: LoadOptions): ConfigError {
  try {
    loadConfig(opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const FLAT = 'direction: buy\nquantity: 1\ntarget_leverage: 20\nmax_margin_usd: 40\n';
const KEY = '0x' + 'a1b2c3d4e5f60718'.repeat(5); // 80 hex digits, Lighter-key shaped
const LIGHTER_VENUE = 'venue:\n  kind: lighter\n  rest_url: http://127.0.0.1:8080\n  chain_id: 300\n  account_index: 12\n  api_key_index: 3\n';
const NESTED_STRATEGY = 'strategy:\n  direction: buy\n  quantity: 1\n  target_leverage: 20\n  max_margin_usd: 40\n';

describe('CFG-04 unknown keys and foreign keys', () => {
  it('CFG-04 an unknown key fails with exit code 2, naming it and suggesting the right key', () => {
    const err = loadError({ file: file('typo.yaml', FLAT + 'grid_stpe: 0.002\n') });
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('grid_stpe');
    expect(err.message).toContain('did you mean grid_step?');
    expect(err.message).toContain('typo.yaml');
  });

  it('CFG-04 known foreign keys load with exactly one warning naming each ignored key', () => {
    const { config, warnings } = loadConfig({
      file: file('old.yaml', FLAT + 'max_oi_usd: 1000\nscan_exchanges: [lighter]\n'),
    });
    expect(config.strategy.quantity).toBe('1');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('max_oi_usd');
    expect(warnings[0]).toContain('scan_exchanges');
    expect(warnings[0]).toContain('old.yaml');
  });

  it('CFG-04 every foreign key of older grid files is ignored, in flat and nested files', () => {
    const foreign = 'max_oi_usd: 1\nscan_exchanges: [a]\norder_margin_usd: 5\nexchange: lighter\ncontract_id: 7\ntick_size: 0.1\n';
    const flat = loadConfig({ file: file('f1.yaml', FLAT + foreign) });
    expect(flat.warnings).toHaveLength(1);
    for (const k of ['max_oi_usd', 'scan_exchanges', 'order_margin_usd', 'exchange', 'contract_id', 'tick_size']) {
      expect(flat.warnings[0]).toContain(k);
    }
    const nested = loadConfig({
      file: file('f2.yaml', 'exchange: lighter\n' + NESTED_STRATEGY + '  tick_size: 0.1\n'),
    });
    expect(nested.warnings).toEqual(['config f2.yaml: ignored keys that do not apply to this bot: exchange, strategy.tick_size']);
  });

  it('CFG-04 unknown keys are never dropped: at top level, in venue and in strategy', () => {
    const err = loadError({
      file: file('many.yaml', 'markt: BTC\nvenue:\n  knd: sim\n' + NESTED_STRATEGY + '  wait_tme: 5\n  zzzzzzzzzz: 1\n'),
    });
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i.message]));
    expect(byPath['markt']).toContain('did you mean market?');
    expect(byPath['venue.knd']).toContain('did you mean kind?');
    expect(byPath['strategy.wait_tme']).toContain('did you mean wait_time?');
    expect(byPath['strategy.zzzzzzzzzz']).toContain('unknown key');
  });

  it('ticker is read as market when no market is given', () => {
    expect(loadConfig({ file: file('t1.yaml', FLAT + 'ticker: ETH\n') }).config.market).toBe('ETH');
    const both = loadConfig({ file: file('t2.yaml', 'market: SOL\nticker: ETH\n' + NESTED_STRATEGY) });
    expect(both.config.market).toBe('SOL');
    expect(both.warnings).toHaveLength(1);
    expect(both.warnings[0]).toContain('ticker');
    const err = loadError({ file: file('t3.yaml', FLAT + 'ticker: [1]\n') });
    expect(err.message).toContain('config t3.yaml: ticker: is a list');
  });
});

describe('CFG-05 the private key comes only from the environment', () => {
  it('CFG-05 (a) venue.kind lighter without LIGHTER_API_PRIVATE_KEY exits 2 naming the variable', () => {
    const err = loadError({ file: file('lighter.yaml', LIGHTER_VENUE + NESTED_STRATEGY), env: {} });
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('LIGHTER_API_PRIVATE_KEY');
    const blank = loadError({ file: file('lighter.yaml', LIGHTER_VENUE + NESTED_STRATEGY), env: { LIGHTER_API_PRIVATE_KEY: '  ' } });
    expect(blank.message).toContain('LIGHTER_API_PRIVATE_KEY');
  });

  it('CFG-05 (b) an api_private_key entry in the file exits 2 saying env only, without the key material', () => {
    for (const [name, text] of [
      ['pk1.yaml', LIGHTER_VENUE + `  api_private_key: ${KEY}\n` + NESTED_STRATEGY],
      ['pk2.yaml', FLAT + `api_private_key: "${KEY}"\n`],
      ['pk3.yaml', FLAT + `private_key: ${KEY.slice(2)}\n`],
      ['pk4.yaml', LIGHTER_VENUE + NESTED_STRATEGY + `  extras:\n    - api_secret: ${KEY}\n`],
    ] as const) {
      const err = loadError({ file: file(name, text), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
      expect(err.exitCode).toBe(2);
      expect(err.message).toContain('LIGHTER_API_PRIVATE_KEY');
      expect(err.message).toContain('environment');
      expect(err.message).not.toContain(KEY.slice(2, 14));
      expect(JSON.stringify(err.issues)).not.toContain(KEY.slice(2, 14));
    }
  });

  it('CFG-05 with the variable set, the key is returned in secrets only — never in config, JSON or inspect output', () => {
    const { config, secrets, venueExplicit } = loadConfig({
      file: file('lighter-ok.yaml', LIGHTER_VENUE + NESTED_STRATEGY),
      env: { LIGHTER_API_PRIVATE_KEY: ` ${KEY}\n` },
    });
    expect(config.venue).toEqual({ kind: 'lighter', rest_url: 'http://127.0.0.1:8080', chain_id: 300, account_index: 12, api_key_index: 3 });
    expect(secrets.lighterApiPrivateKey).toBe(KEY);
    expect(venueExplicit).toBe(true);
    expect(JSON.stringify(config)).not.toContain(KEY.slice(2, 14));
    expect(JSON.stringify(secrets)).not.toContain(KEY.slice(2, 14));
    expect(inspect(secrets)).not.toContain(KEY.slice(2, 14));
  });

  it('error messages never carry the key from the environment, even when a value is echoed', () => {
    // A YAML syntax error on the line holding the key: the parser's excerpt is not quoted.
    const err = loadError({ file: file('echo.yaml', FLAT + `direction: ${KEY}: x\n`), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
    expect(err.message).toContain('line 5');
    expect(err.message).not.toContain(KEY.slice(2, 14));
    const err2 = loadError({ file: file('echo2.yaml', FLAT.replace('buy', `"${KEY}"`)), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
    expect(err2.message).toContain('direction: ');
    expect(err2.message).toContain('[redacted]');
    expect(err2.message).not.toContain(KEY.slice(2, 14));
  });

  it('a lighter venue must name its endpoint and account; sim takes no lighter keys', () => {
    const err = loadError({ file: file('lv.yaml', 'venue:\n  kind: lighter\n' + NESTED_STRATEGY), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
    expect(err.issues.map((i) => i.path).sort()).toEqual(['venue.account_index', 'venue.api_key_index', 'venue.chain_id', 'venue.rest_url']);
    const sim = loadError({ file: file('sv.yaml', 'venue:\n  kind: sim\n  chain_id: 300\n' + NESTED_STRATEGY) });
    expect(sim.message).toContain('venue.chain_id: applies to venue.kind lighter only');
    const url = loadError({ file: file('uv.yaml', LIGHTER_VENUE.replace('http://127.0.0.1:8080', 'ftp://x') + NESTED_STRATEGY), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
    expect(url.message).toContain('venue.rest_url: "ftp://x" is not allowed; expected an http(s) URL');
    const idx = loadError({ file: file('iv.yaml', LIGHTER_VENUE.replace('api_key_index: 3', 'api_key_index: 255') + NESTED_STRATEGY), env: { LIGHTER_API_PRIVATE_KEY: KEY } });
    expect(idx.message).toContain('venue.api_key_index: 255 is out of range; allowed 0..254');
  });
});

describe('precedence: flags over file over preset over defaults', () => {
  it('file keys override the preset key by key; flags override both', () => {
    const { config, sources } = loadConfig({
      preset: 'grid_hft',
      file: file('over.yaml', 'take_profit: 0.1\nmax_orders: 7\n'),
      flags: { market: 'ETH', slot: 9, store: 'redis://127.0.0.1:6379' },
    });
    expect(sources).toEqual(['preset grid_hft', 'over.yaml', 'command line']);
    expect(config.market).toBe('ETH');
    expect(config.instance_slot).toBe(9);
    expect(config.store).toBe('redis://127.0.0.1:6379');
    expect(config.strategy).toMatchObject({
      take_profit: '0.1', // file
      max_orders: 7, // file
      grid_step: '0.0005', // preset
      order_notional_usd: '300', // preset
      market_slippage_percent: '2', // default
    });
  });

  it('sizing keys move together: a file quantity replaces a preset notional', () => {
    const { config, warnings } = loadConfig({ preset: 'grid_hft', file: file('qty.yaml', 'quantity: 0.01\n') });
    expect(config.strategy.quantity).toBe('0.01');
    expect(config.strategy.order_notional_usd).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('errors name the source that supplied the bad value', () => {
    const flagErr = loadError({ file: file('ok.yaml', FLAT), flags: { slot: 0 } });
    expect(flagErr.message).toBe('config command line: --slot: 0 is out of range; allowed 1..255');
    const fileErr = loadError({ preset: 'grid_hft', file: file('bad.yaml', 'max_orders: 0\n') });
    expect(fileErr.message).toBe('config bad.yaml: max_orders: 0 is out of range; allowed 1..1000');
    const nested = loadError({ file: file('bot.yaml', 'instance_slot: 1\nstrategy:\n  direction: buy\n  quantity: 1\n  target_leverage: 20\n  max_margin_usd: 40\n  max_orders: 0\n') });
    expect(nested.message).toBe('config bot.yaml: strategy.max_orders: 0 is out of range; allowed 1..1000');
  });

  it('fallbackPreset applies only when neither file nor preset is given; nothing at all is an error', () => {
    expect(loadConfig({ fallbackPreset: 'paper' }).sources).toEqual(['preset paper']);
    expect(loadConfig({ fallbackPreset: 'paper', file: file('fb.yaml', FLAT) }).sources).toEqual(['fb.yaml']);
    expect(loadError({}).message).toContain('--config FILE or --preset NAME');
  });

  it('a file with another strategy kind replaces the preset strategy wholesale', () => {
    const err = loadError({ preset: 'grid_hft', file: file('kind.yaml', 'strategy:\n  kind: other\n') });
    expect(err.message).toBe('config kind.yaml: strategy.kind: "other" is not a known strategy kind; allowed ' + err.message.split('allowed ')[1]);
    expect(err.issues).toHaveLength(1);
  });
});
