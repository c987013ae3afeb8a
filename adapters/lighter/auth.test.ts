import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../src/runtime/clock.ts';
import { AuthTokens } from './auth.ts';
import type { LighterSigner } from './signer/signer.ts';

const fakeSigner = { authToken: (d: number) => `${d}:1:3:${'ab'.repeat(80)}` } as unknown as LighterSigner;

describe('AuthTokens', () => {
  it('VEN-07 a token is replaced before its deadline, never used at or after it', () => {
    const clock = new SimClock(1_795_480_000_000);
    const t = new AuthTokens(() => fakeSigner, clock, { lifetimeSec: 600 });
    const first = t.token();
    const deadline = Number(first.split(':')[0]);
    clock.advanceBy(479_000);
    expect(t.token()).toBe(first);
    clock.advanceBy(1_000); // 2 minutes before the deadline
    const second = t.token();
    expect(second).not.toBe(first);
    expect(Number(second.split(':')[0])).toBe(deadline + 480);
    for (let i = 0; i < 100; i++) {
      clock.advanceBy(37_000);
      const tok = t.token();
      expect(Number(tok.split(':')[0]) * 1000).toBeGreaterThan(clock.now());
    }
  });

  it('a refused token shortens the lifetime; fresh forces a new one; the token is never shown', () => {
    const clock = new SimClock(1_795_480_000_000);
    const t = new AuthTokens(() => fakeSigner, clock, { lifetimeSec: 3600 });
    const a = t.token();
    const b = t.token({ refused: true });
    expect(Number(b.split(':')[0]) - Math.floor(clock.now() / 1000)).toBe(1800);
    expect(t.token({ fresh: true })).not.toBe(a);
    expect(t.minted).toBe(3);
    expect(JSON.stringify(t)).not.toContain('abab');
    expect(inspect(t)).not.toContain('abab');
  });
});
