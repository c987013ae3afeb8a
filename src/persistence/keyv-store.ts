/**
 * Opens the Keyv store behind `--store <location>`:
 *   - a file path or `sqlite://<path>` → @keyv/sqlite on that file (the default),
 *   - `redis://…` / `rediss://…`       → @keyv/redis,
 *   - `postgres://…` / `postgresql://…` → @keyv/postgres (table `gridchart`).
 *
 * Invariants:
 * - Values are strings, stored verbatim: Keyv's own serializer is replaced by an identity
 *   codec, so every backend holds exactly the envelope's JSON text under exactly our key (no
 *   Keyv namespace prefix, no `{value, expires}` wrapper) and an operator can read it with
 *   `redis-cli GET`, `psql` or `sqlite3`.
 * - Errors are thrown, never swallowed (`throwOnErrors`): a failed read must not look like
 *   "no snapshot", and a failed write must not look durable.
 * - `open` fails fast: the store is probed with one read before it is handed out.
 * - `describe` never contains a password.
 *
 * SQLite durability: the file (and its -wal/-shm companions, which SQLite creates with the
 * file's mode) is owner-only 0600; journal_mode=WAL; busy_timeout 5 s; **synchronous=FULL**.
 * In WAL mode NORMAL is safe against a process crash but may lose the last commits on a
 * power cut or OS crash. We write ahead the position counter before an order carrying a new
 * `n` is sent; if that write were lost, a restart could hand the same client index to a
 * different order. FULL syncs the WAL on each commit, so a flushed write survives a power
 * cut. The cost (one fsync per commit) is bounded by the coalescing single writer, and only
 * a new `n` waits for it.
 *
 * Postgres: @keyv/postgres 2 keeps one module-global pool and ends whichever pool is current
 * on any `disconnect()`, so two stores in one process could close each other. We give each
 * store its own single-connection pool (single connection ⇒ writes apply in order), taking
 * `pg` from @keyv/postgres's own dependency. Redis: the offline queue is disabled so a write
 * during an outage fails (and is retried by the Persister) instead of hanging.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import KeyvRedis from '@keyv/redis';
import KeyvPostgres from '@keyv/postgres';

export type StoreKind = 'sqlite' | 'redis' | 'postgres';

export interface OpenedStore {
  keyv: Keyv<string>;
  kind: StoreKind;
  /** Human-readable location with any password masked. */
  describe: string;
  close(): Promise<void>;
}

export interface OpenKeyvOptions {
  /** SQL table (SQLite and Postgres). Default `gridchart`. */
  table?: string;
  /** Background store errors (reconnects, idle-connection failures). Default: stderr. */
  onError?: (err: Error) => void;
  /** Redis/Postgres connect timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
}

export const DEFAULT_TABLE = 'gridchart';
export const SQLITE_SYNCHRONOUS = 'FULL';
export const SQLITE_BUSY_TIMEOUT_MS = 5000;
const ALLOWED_FORMS =
  'a file path, sqlite://<path>, redis://…, rediss://…, postgres://… or postgresql://…';

type Parsed = { kind: 'sqlite'; file: string } | { kind: 'redis' | 'postgres'; url: string };

/** Classify a `--store` location (exported for tests and config validation). */
export function parseStoreLocation(location: string): Parsed {
  const loc = location.trim();
  if (loc === '') throw new Error(`store location is empty; allowed: ${ALLOWED_FORMS}`);
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(loc)?.[1]?.toLowerCase();
  if (scheme === undefined) return sqliteFile(loc, location);
  switch (scheme) {
    case 'sqlite':
      return sqliteFile(loc.slice('sqlite://'.length), location);
    case 'redis':
    case 'rediss':
      return { kind: 'redis', url: loc };
    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', url: loc };
    default:
      throw new Error(`unknown store scheme '${scheme}://' in ${maskCredentials(loc)}; allowed: ${ALLOWED_FORMS}`);
  }
}

function sqliteFile(file: string, original: string): Parsed {
  if (file === '' || file === ':memory:' || file.startsWith('file:')) {
    throw new Error(`store location ${JSON.stringify(original)} is not a durable SQLite file path; allowed: ${ALLOWED_FORMS}`);
  }
  return { kind: 'sqlite', file: path.resolve(file) };
}

/** Replace the password of a URL (if any) with `***`. */
export function maskCredentials(location: string): string {
  try {
    const u = new URL(location);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    // Not a parseable URL: mask anything between "//user:" and "@" by pattern instead.
    return location.replace(/(\/\/[^/:@]*:)[^@/]*@/, '$1***@');
  }
}

/** Identity codec: Keyv stores our strings verbatim (see header). */
const keyvCodec = {
  serialize: (data: { value?: unknown }): string => {
    if (typeof data.value !== 'string') {
      throw new TypeError(`gridchart stores only strings in Keyv, got ${typeof data.value}`);
    }
    return data.value;
  },
  deserialize: (raw: string) => ({ value: raw, expires: undefined }),
};

export async function openKeyv(location: string, opts: OpenKeyvOptions = {}): Promise<OpenedStore> {
  const parsed = parseStoreLocation(location);
  const table = opts.table ?? DEFAULT_TABLE;
  if (!/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/.test(table)) {
    throw new Error(`store table name ${JSON.stringify(table)} is invalid; use letters, digits and _ (max 63)`);
  }
  const onError = opts.onError ?? ((err: Error) => process.stderr.write(`gridchart store: ${err.message}\n`));
  const connectTimeout = opts.connectTimeoutMs ?? 5000;

  let adapter: KeyvSqlite | KeyvRedis<string> | KeyvPostgres;
  let describe: string;
  if (parsed.kind === 'sqlite') {
    prepareSqliteFile(parsed.file);
    adapter = new KeyvSqlite({ uri: `sqlite://${parsed.file}`, table, busyTimeout: SQLITE_BUSY_TIMEOUT_MS });
    describe = `sqlite:${parsed.file} (WAL, synchronous=${SQLITE_SYNCHRONOUS})`;
  } else if (parsed.kind === 'redis') {
    adapter = new KeyvRedis<string>(
      { url: parsed.url, disableOfflineQueue: true, socket: { connectTimeout, reconnectStrategy: redisBackoff } },
      { throwOnErrors: true, throwOnConnectError: true, connectionTimeout: connectTimeout },
    );
    describe = maskCredentials(parsed.url);
  } else {
    adapter = new OwnPoolPostgres({ uri: parsed.url, table, connectionTimeoutMillis: connectTimeout });
    describe = `${maskCredentials(parsed.url)} (table ${table})`;
  }

  const keyv = new Keyv<string>(adapter, {
    namespace: undefined,
    useKeyPrefix: false,
    throwOnErrors: true,
    serialize: keyvCodec.serialize as never,
    deserialize: keyvCodec.deserialize as never,
  });
  const openingErrors = new Set<string>(); // distinct causes seen while opening, for the message
  keyv.on('error', (err: unknown) => {
    const e = toError(err, describe);
    if (openingErrors.size < 3) openingErrors.add(e.cause instanceof Error ? e.cause.message : String(err));
    onError(e);
  });

  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await adapter.disconnect();
  };

  try {
    if (adapter instanceof KeyvSqlite) await configureSqlite(adapter);
    await keyv.get('gridchart:__open-probe__');
  } catch (err) {
    await close().catch((closeErr: unknown) => onError(toError(closeErr, describe)));
    openingErrors.delete((err as Error).message);
    const because = openingErrors.size ? ` (store errors: ${[...openingErrors].join('; ')})` : '';
    throw new Error(`cannot open store ${describe}: ${(err as Error).message}${because}`, { cause: err });
  }
  return { keyv, kind: parsed.kind, describe, close };
}

function prepareSqliteFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  // Create (or open) with owner-only mode before SQLite touches it, then force 0600 in case
  // it pre-existed with a wider mode or the umask interfered.
  fs.closeSync(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600));
  fs.chmodSync(file, 0o600);
  for (const companion of [`${file}-wal`, `${file}-shm`]) {
    if (fs.existsSync(companion)) fs.chmodSync(companion, 0o600);
  }
}

async function configureSqlite(store: KeyvSqlite): Promise<void> {
  const [journal] = (await store.query('PRAGMA journal_mode=WAL')) as Array<{ journal_mode: string }>;
  if (journal?.journal_mode?.toLowerCase() !== 'wal') {
    throw new Error(`SQLite refused WAL journal mode (got ${JSON.stringify(journal)})`);
  }
  await store.query(`PRAGMA synchronous=${SQLITE_SYNCHRONOUS}`);
  await store.query(`PRAGMA busy_timeout=${SQLITE_BUSY_TIMEOUT_MS}`);
}

/** Read back the effective SQLite settings (for tests and `grid-bot doctor`-style checks). */
export async function sqliteSettings(
  store: OpenedStore,
): Promise<{ journalMode: string; synchronous: number; busyTimeout: number }> {
  const adapter = store.keyv.store as KeyvSqlite;
  if (store.kind !== 'sqlite') throw new Error(`sqliteSettings: store ${store.describe} is ${store.kind}`);
  const [j] = (await adapter.query('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
  const [s] = (await adapter.query('PRAGMA synchronous')) as Array<{ synchronous: number }>;
  const [b] = (await adapter.query('PRAGMA busy_timeout')) as Array<Record<string, number>>;
  return { journalMode: j.journal_mode, synchronous: s.synchronous, busyTimeout: Object.values(b)[0] };
}

function redisBackoff(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 2000);
}

function toError(err: unknown, where: string): Error {
  if (err instanceof Error) return new Error(`${where}: ${err.message}`, { cause: err });
  return new Error(`${where}: ${String(err)}`);
}

// --- Postgres with a pool per store -------------------------------------------------------

interface PgPool {
  query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
  on(event: 'error', fn: (err: Error) => void): void;
}
type PgPoolCtor = new (config: Record<string, unknown>) => PgPool;

let pgPoolCtor: PgPoolCtor | undefined;
function loadPgPool(): PgPoolCtor {
  if (!pgPoolCtor) {
    // Resolve `pg` from @keyv/postgres's location: the very driver that adapter was built for.
    const requireFromAdapter = createRequire(import.meta.resolve('@keyv/postgres'));
    pgPoolCtor = (requireFromAdapter('pg') as { Pool: PgPoolCtor }).Pool;
  }
  return pgPoolCtor;
}

const pools = new WeakMap<KeyvPostgres, PgPool>();

class OwnPoolPostgres extends KeyvPostgres {
  // Called from the base constructor; state lives in a WeakMap because subclass fields are
  // not initialised yet at that point.
  override async connect(): Promise<(sql: string, values?: unknown) => Promise<any[]>> {
    let pool = pools.get(this);
    if (!pool) {
      const Pool = loadPgPool();
      const { uri, connectionTimeoutMillis } = this.opts as { uri: string; connectionTimeoutMillis?: number };
      pool = new Pool({ connectionString: uri, max: 1, connectionTimeoutMillis });
      // An idle client's error would otherwise be an unhandled 'error' event (process exit).
      pool.on('error', (err) => this.emit('error', err));
      pools.set(this, pool);
    }
    const p = pool;
    return async (sql, values) => (await p.query(sql, values as unknown[] | undefined)).rows as any[];
  }

  override async disconnect(): Promise<void> {
    const pool = pools.get(this);
    pools.delete(this);
    await pool?.end();
  }
}
