import { describe, it, expect, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { maskCredentials, openKeyv, parseStoreLocation, sqliteSettings, type OpenedStore } from './keyv-store.ts';

const opened: OpenedStore[] = [];
const dirs: string[] = [];
function tmpDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'gridchart-kv-'));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const s of opened.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const mode = (file: string) => fs.statSync(file).mode & 0o777;

describe('parseStoreLocation', () => {
  it('maps paths and URLs to their backend', () => {
    expect(parseStoreLocation('./data/bot.sqlite')).toEqual({ kind: 'sqlite', file: path.resolve('data/bot.sqlite') });
    expect(parseStoreLocation('sqlite:///var/lib/g.db')).toEqual({ kind: 'sqlite', file: '/var/lib/g.db' });
    expect(parseStoreLocation('sqlite://rel/g.db')).toEqual({ kind: 'sqlite', file: path.resolve('rel/g.db') });
    expect(parseStoreLocation('redis://:pw@h:6379/2').kind).toBe('redis');
    expect(parseStoreLocation('rediss://h').kind).toBe('redis');
    expect(parseStoreLocation('postgres://u@h/db').kind).toBe('postgres');
    expect(parseStoreLocation('postgresql://u@h/db').kind).toBe('postgres');
  });

  it('refuses an unknown scheme naming it and the allowed forms, without the password', () => {
    let msg = '';
    try {
      parseStoreLocation('mongodb://admin:hunter2@h/db');
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain("unknown store scheme 'mongodb://'");
    expect(msg).toContain('sqlite://<path>, redis://…, rediss://…, postgres://… or postgresql://…');
    expect(msg).not.toContain('hunter2');
  });

  it('refuses locations that are not a durable file', () => {
    expect(() => parseStoreLocation('')).toThrow(/store location is empty/);
    expect(() => parseStoreLocation('sqlite://:memory:')).toThrow(/not a durable SQLite file path/);
    expect(() => parseStoreLocation(':memory:')).toThrow(/not a durable SQLite file path/);
  });

  it('masks URL passwords', () => {
    expect(maskCredentials('postgres://bot:s3cret@db.local:5432/g')).toBe('postgres://bot:***@db.local:5432/g');
    expect(maskCredentials('redis://:s3cret@127.0.0.1:6379')).toBe('redis://:***@127.0.0.1:6379');
    expect(maskCredentials('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });
});

describe('openKeyv on SQLite', () => {
  it('creates the parent directory and an owner-only 0600 file, WAL, synchronous FULL, busy timeout', async () => {
    const file = path.join(tmpDir(), 'nested', 'deeper', 'bot.sqlite');
    const store = await openKeyv(file);
    opened.push(store);
    expect(store.kind).toBe('sqlite');
    expect(store.describe).toBe(`sqlite:${file} (WAL, synchronous=FULL)`);
    expect(mode(file)).toBe(0o600);
    expect(await sqliteSettings(store)).toEqual({ journalMode: 'wal', synchronous: 2, busyTimeout: 5000 });
    await store.keyv.set('gridchart:x', 'value');
    // SQLite gives the WAL companions the database file's mode.
    expect(mode(`${file}-wal`)).toBe(0o600);
    expect(mode(`${file}-shm`)).toBe(0o600);
  });

  it('tightens an existing world-readable file to 0600 and keeps its data', async () => {
    const file = path.join(tmpDir(), 'bot.sqlite');
    const first = await openKeyv(`sqlite://${file}`);
    await first.keyv.set('gridchart:keep', 'me');
    await first.close();
    fs.chmodSync(file, 0o644);
    const again = await openKeyv(`sqlite://${file}`);
    opened.push(again);
    expect(mode(file)).toBe(0o600);
    expect(await again.keyv.get('gridchart:keep')).toBe('me');
  });

  it('stores strings verbatim under the exact key (no Keyv prefix or wrapper)', async () => {
    const file = path.join(tmpDir(), 'bot.sqlite');
    const store = await openKeyv(file);
    opened.push(store);
    await store.keyv.set('gridchart:raw', ':colon {"a":1}');
    const rows = (await (store.keyv.store as { query: (q: string) => Promise<unknown[]> }).query(
      'SELECT key, value FROM gridchart',
    )) as Array<{ key: string; value: string }>;
    expect(rows).toEqual([{ key: 'gridchart:raw', value: ':colon {"a":1}' }]);
    expect(await store.keyv.get('gridchart:raw')).toBe(':colon {"a":1}');
    await expect(store.keyv.set('gridchart:obj', { a: 1 } as unknown as string)).rejects.toThrow(/stores only strings/);
  });

  it('refuses a bad table name', async () => {
    await expect(openKeyv(path.join(tmpDir(), 'a.sqlite'), { table: 'x; drop' })).rejects.toThrow(/table name "x; drop" is invalid/);
  });
});

describe('openKeyv failures', () => {
  it('fails fast with the masked location when Postgres is unreachable', async () => {
    const errors: Error[] = [];
    const p = openKeyv('postgres://bot:hunter2@127.0.0.1:1/test', { connectTimeoutMs: 1000, onError: (e) => errors.push(e) });
    await expect(p).rejects.toThrow(/cannot open store postgres:\/\/bot:\*\*\*@127\.0\.0\.1:1\/test \(table gridchart\): .*ECONNREFUSED/);
    await p.catch((err: Error) => expect(err.message).not.toContain('hunter2'));
    expect(errors.every((e) => !e.message.includes('hunter2'))).toBe(true);
  });

  it('fails fast with the masked location when Redis is unreachable', async () => {
    const errors: Error[] = [];
    const p = openKeyv('redis://:hunter2@127.0.0.1:1', { connectTimeoutMs: 500, onError: (e) => errors.push(e) });
    await expect(p).rejects.toThrow(/cannot open store redis:\/\/:\*\*\*@127\.0\.0\.1:1.*store errors: .*ECONNREFUSED/);
    await p.catch((err: Error) => expect(err.message).not.toContain('hunter2'));
    expect(errors.length).toBeGreaterThan(0);
  });
});
