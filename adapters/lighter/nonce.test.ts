import { describe, expect, it } from 'vitest';
import { VenueError } from '../types.ts';
import { mapLighterError } from './errors.ts';
import { defaultNonceOutcome, NonceManager } from './nonce.ts';

/** A fake venue sequencer: accepts exactly its next nonce, like Lighter (21104 otherwise). */
function fakeVenue(start: number) {
  const state = { next: start, fetches: 0, accepted: [] as { nonce: number; what: string }[] };
  return {
    state,
    fetchNextNonce: async () => {
      state.fetches++;
      await Promise.resolve();
      return state.next;
    },
    send: async (nonce: number, what: string) => {
      await new Promise((r) => setTimeout(r, Math.random() * 3));
      if (nonce !== state.next) throw mapLighterError(21104, 'invalid nonce');
      state.next++;
      state.accepted.push({ nonce, what });
      return `hash-${nonce}`;
    },
  };
}

describe('NonceManager', () => {
  it('VEN-01 nonces start from nextNonce (41), are counted locally, and nextNonce is fetched exactly once', async () => {
    const venue = fakeVenue(41);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    for (const what of ['leverage', 'entry', 'exit', 'cancel', 'exit-2']) await nm.run((n) => venue.send(n, what));
    expect(venue.state.accepted.map((a) => a.nonce)).toEqual([41, 42, 43, 44, 45]);
    expect(venue.state.fetches).toBe(1);
    expect(nm.fetchCount).toBe(1);
    expect(nm.peek()).toBe(46);
  });

  it('VEN-01 concurrent callers are serialized: distinct consecutive nonces, sent in order', async () => {
    const venue = fakeVenue(7);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => nm.run((n) => venue.send(n, `tx${i}`))));
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => `hash-${7 + i}`));
    expect(venue.state.accepted.map((a) => a.what)).toEqual(Array.from({ length: 20 }, (_, i) => `tx${i}`));
    expect(venue.state.fetches).toBe(1);
    const reserved = await Promise.all([nm.next(), nm.next(), nm.next()]);
    expect(reserved).toEqual([27, 28, 29]);
  });

  it('VEN-02 after a sequencer rejection that did not consume its nonce, 21104 resyncs and re-signs the same tx once', async () => {
    const venue = fakeVenue(41);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    await nm.run((n) => venue.send(n, 'leverage')); // 41
    // The sequencer drops the next accepted tx without consuming nonce 42.
    await nm.run(async (n) => `accepted-by-api-${n}`); // local counter moves to 43, venue stays at 42
    const signed: number[] = [];
    const hash = await nm.run((n) => {
      signed.push(n); // "re-sign" with whatever nonce we are given
      return venue.send(n, 'grid-2:entry');
    });
    expect(signed).toEqual([43, 42]);
    expect(hash).toBe('hash-42');
    expect(venue.state.accepted.filter((a) => a.what === 'grid-2:entry')).toHaveLength(1);
    expect(venue.state.fetches).toBe(2);
    // Cancels and market orders go through the same path and keep counting from there.
    await nm.run((n) => venue.send(n, 'cancel'));
    await nm.run((n) => venue.send(n, 'market'));
    expect(venue.state.accepted.map((a) => a.nonce)).toEqual([41, 42, 43, 44]);
  });

  it('VEN-02 gives up after maxResyncs and leaves the counter stale for the next caller', async () => {
    let fetches = 0;
    const nm = new NonceManager({ fetchNextNonce: async () => (fetches++, 5), maxResyncs: 2 });
    const attempts: number[] = [];
    const err = await nm
      .run(async (n) => {
        attempts.push(n);
        throw mapLighterError(21104, 'invalid nonce');
      })
      .catch((e: unknown) => e);
    expect((err as VenueError).code).toBe(21104);
    expect(attempts).toEqual([5, 5, 5]);
    expect(nm.peek()).toBeUndefined();
    await nm.run(async (n) => n);
    expect(fetches).toBe(4);
  });

  it('an API refusal gives the nonce back; an unknown outcome forces a refetch', async () => {
    const venue = fakeVenue(10);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    await expect(nm.run(async () => Promise.reject(mapLighterError(21702, 'invalid price')))).rejects.toThrow(/21702/);
    expect(nm.peek()).toBe(10);
    await expect(nm.run(async () => Promise.reject(new VenueError('outcome-unknown', 'timeout')))).rejects.toThrow(/timeout/);
    expect(nm.peek()).toBeUndefined();
    await nm.run((n) => venue.send(n, 'after-timeout'));
    expect(venue.state.fetches).toBe(2);
    expect(defaultNonceOutcome(new Error('ECONNRESET'))).toBe('unknown');
    expect(defaultNonceOutcome(Object.assign(new Error('x'), { name: 'CodecError' }))).toBe('not-consumed');
  });

  it('a failing nextNonce fetch rejects the caller without blocking the queue', async () => {
    let fail = true;
    const nm = new NonceManager({
      fetchNextNonce: async () => {
        if (fail) throw new Error('HTTP 503');
        return 3;
      },
    });
    await expect(nm.next()).rejects.toThrow('HTTP 503');
    fail = false;
    await expect(nm.next()).resolves.toBe(3);
  });
});

describe('NonceManager turn of the first use', () => {
  it('an idle queue with a known counter runs the attempt in the caller turn; later uses still wait their turn', async () => {
    const venue = fakeVenue(3);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    await nm.run((n) => venue.send(n, 'seed')); // fetches 3, counter now 4
    const started: string[] = [];
    let releaseFirst!: () => void;
    const first = nm.run(async (n) => {
      started.push(`first:${n}`);
      await new Promise<void>((r) => (releaseFirst = r));
      return venue.send(n, 'first');
    });
    expect(started).toEqual(['first:4']); // no promise hop before the attempt
    const second = nm.run(async (n) => {
      started.push(`second:${n}`);
      return venue.send(n, 'second');
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(started).toEqual(['first:4']); // queued behind the running one
    releaseFirst();
    await expect(Promise.all([first, second])).resolves.toEqual(['hash-4', 'hash-5']);
    expect(started).toEqual(['first:4', 'second:5']);
  });

  it('a use queued from inside a running attempt waits for that attempt (no overlap, no duplicate nonce)', async () => {
    const venue = fakeVenue(20);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    await nm.run((n) => venue.send(n, 'seed'));
    let inner: Promise<string> | undefined;
    const outer = nm.run(async (n) => {
      inner = nm.run((m) => venue.send(m, 'inner'));
      return venue.send(n, 'outer');
    });
    await expect(outer).resolves.toBe('hash-21');
    await expect(inner!).resolves.toBe('hash-22');
    expect(venue.state.accepted.map((a) => a.what)).toEqual(['seed', 'outer', 'inner']);
  });

  it('an unknown counter is fetched before the first attempt, which then follows in order', async () => {
    const venue = fakeVenue(9);
    const nm = new NonceManager({ fetchNextNonce: venue.fetchNextNonce });
    const seen: number[] = [];
    const a = nm.run(async (n) => (seen.push(n), venue.send(n, 'a')));
    const b = nm.run(async (n) => (seen.push(n), venue.send(n, 'b')));
    expect(seen).toEqual([]); // the fetch comes first
    await Promise.all([a, b]);
    expect(seen).toEqual([9, 10]);
    expect(venue.state.fetches).toBe(1);
  });
});
