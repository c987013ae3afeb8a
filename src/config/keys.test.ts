import { describe, expect, it } from 'vitest';
import { redact } from './errors.ts';
import { editDistance, isSecretKey, suggestKey, unknownKeyMessage } from './keys.ts';
import { DYNAMIC_GRID_KEYS } from './schema.ts';

describe('key hints', () => {
  it('suggests the closest known key for typos, nothing for unrelated words', () => {
    expect(editDistance('grid_stpe', 'grid_step')).toBe(1);
    expect(suggestKey('grid_stpe', DYNAMIC_GRID_KEYS)).toBe('grid_step');
    expect(suggestKey('takeprofit', DYNAMIC_GRID_KEYS)).toBe('take_profit');
    expect(suggestKey('Max_Orders', DYNAMIC_GRID_KEYS)).toBe('max_orders');
    expect(suggestKey('notional', DYNAMIC_GRID_KEYS)).toBe('order_notional_usd');
    expect(suggestKey('zzzzzzzz', DYNAMIC_GRID_KEYS)).toBeUndefined();
  });

  it('an unknown key always lists the allowed keys, with the hint first when one is close (fuzz seed 911735674: venue.in)', () => {
    const venueKeys = ['kind', 'market', 'url'];
    expect(unknownKeyMessage('in', venueKeys)).toBe('unknown key; did you mean kind? allowed keys: kind, market, url');
    expect(unknownKeyMessage('zzzzzzzz', venueKeys)).toBe('unknown key; allowed keys: kind, market, url');
  });

  it('recognises secret-looking key names', () => {
    for (const k of ['api_private_key', 'private_key', 'privateKey', 'api_secret', 'API-SECRET', 'secret', 'eth_private_key']) {
      expect(isSecretKey(k)).toBe(true);
    }
    for (const k of ['api_key_index', 'account_index', 'stop_price', 'secrets_file_mode']) expect(isSecretKey(k)).toBe(false);
  });

  it('redacts long hex runs and known secrets, also truncated copies', () => {
    const key = '0x' + '0123456789abcdef'.repeat(5);
    expect(redact(`value ${key} here`)).toBe('value [redacted] here');
    expect(redact('short 0xabc1 stays')).toBe('short 0xabc1 stays');
    expect(redact('pw hunter2hunter2xyz', ['hunter2hunter2xyz'])).toBe('pw [redacted]');
    expect(redact('"hunter2hunter2x..."', ['hunter2hunter2xyzzy'])).toBe('"[redacted]');
  });
});
