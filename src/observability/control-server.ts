/**
 * The local control endpoint of a running bot (grid-strategy.md §5 "Operator commands"):
 * JSON over HTTP on 127.0.0.1, plus the discovery file that lets `grid-bot status` /
 * `grid-bot resume` find it, plus the client those commands use.
 *
 * Routes:
 * - `GET /health` → `{ ok: true }` (no token needed).
 * - `GET /status` → `ControlStatus` (BotStatus + bot key, market, risk phase, gate reasons).
 * - `POST /resume` → `{ ok, message }`: 200 when ok, 409 when refused (the message names mid
 *   and the stop price).
 * - `POST /pause`, `POST /flatten`, `POST /cancel-all` → `{ ok, message }`: the event
 *   `{ type: 'operator.pause' | 'operator.flatten' | 'operator.cancel-all', at }` is sent to the
 *   root machine when the machine accepts it in its current state (200, the message says what
 *   follows); otherwise nothing is sent and the answer is 409 naming the states.
 * - `GET /metrics` → Prometheus text (when a metrics source is given; no token needed, like
 *   /health, since Prometheus scrapes it; still 127.0.0.1 only and no secrets in it).
 * - 503 while no bot is attached (starting) or after it stopped; 404 / 405 otherwise.
 *
 * Invariants:
 * - Binds 127.0.0.1 only: any other host is refused when starting (there is no option for it).
 * - A request with an `Origin` header (a browser page) or a Host other than the loopback
 *   address is refused (403): no cross-site request or DNS rebinding reaches the bot.
 * - With a token (paper mode always sets one), every route but /health and /metrics needs
 *   `Authorization: Bearer <token>`; the token is only in the discovery file (mode 0600).
 * - The discovery file is written atomically (temp file + rename) and removed only by the
 *   process that wrote it (matched by token); a kill -9 leaves it behind, and the client
 *   reports such a file as "no running bot" (pid gone or endpoint unreachable).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GridContext, RefusalReason, RiskState } from '../../machines/grid/types.ts';
import { parseStoreLocation } from '../persistence/keyv-store.ts';
import type { BotStatus } from '../runtime/status.ts';

export const CONTROL_HOST = '127.0.0.1';
/** Largest request body read (the commands take no body). */
const MAX_BODY = 1024;

/** The operator commands sent to the root machine as events (grid-strategy.md §5). */
export type OperatorCommand = 'pause' | 'flatten' | 'cancel-all';
export type OperatorEvent = { type: 'operator.pause'; at: number } | { type: 'operator.flatten'; at: number } | { type: 'operator.cancel-all'; at: number };
export const OPERATOR_COMMANDS: readonly OperatorCommand[] = ['pause', 'flatten', 'cancel-all'];

/** What the endpoint drives: a `Bot` satisfies it. */
export interface ControlTarget {
  readonly key: string;
  readonly running: boolean;
  status(): BotStatus;
  context(): GridContext;
  resume(): { ok: boolean; message: string };
  /** Sends an operator event to the root machine. */
  send(ev: OperatorEvent): void;
  /** The live root snapshot: `can(ev)` tells whether the machine takes `ev` in its current state. */
  snapshot(): { can: (ev: OperatorEvent) => boolean };
}

/** What GET /metrics serves (observability/metrics.ts BotMetrics satisfies it). */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

export interface ControlStatus extends BotStatus {
  bot: string;
  market: string;
  risk: Pick<RiskState, 'phase' | 'trigger' | 'triggerMid' | 'coolOffUntil'>;
  gateReasons: string[];
  /** The operator pause latch (false while the machine has no such latch). */
  operatorPaused: boolean;
}

export interface CommandResult {
  ok: boolean;
  message: string;
}

export interface ControlServerOptions {
  /** 0 (default) = an ephemeral port. */
  port?: number;
  /** Only `127.0.0.1` is accepted (the option exists so a wrong value fails loudly). */
  host?: string;
  /** Bearer token required on every route but /health (none: no token check). */
  token?: string;
  /** The bot; may be attached later with `attach()` (until then: 503). */
  target?: ControlTarget;
  /** Served at GET /metrics (none: 404). */
  metrics?: MetricsSource;
  /** The bot's clock (the `at` of operator events); default: the machine's last event time. */
  now?: () => number;
}

export function newControlToken(): string {
  return randomBytes(24).toString('hex');
}

export class ControlServer {
  private target: ControlTarget | undefined;
  private now: (() => number) | undefined;
  private metrics: MetricsSource | undefined;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly token: string | undefined,
    opts: ControlServerOptions,
  ) {
    this.target = opts.target;
    this.now = opts.now;
    this.metrics = opts.metrics;
  }

  get url(): string {
    return `http://${CONTROL_HOST}:${this.port}`;
  }

  /** Starts listening on 127.0.0.1; refuses any other host and a bad port. */
  static async start(opts: ControlServerOptions = {}): Promise<ControlServer> {
    const host = opts.host ?? CONTROL_HOST;
    if (host !== CONTROL_HOST) {
      throw new Error(`control endpoint host ${JSON.stringify(host)} is refused: it binds ${CONTROL_HOST} only (operator commands are local)`);
    }
    const port = opts.port ?? 0;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new RangeError(`control port must be an integer 0..65535 (0 = any free port), got ${port}`);
    let self: ControlServer | undefined;
    const server = createServer((req, res) => {
      if (!self) return send(res, 503, { ok: false, message: 'control endpoint starting' });
      self.handle(req, res).catch((err: Error) => send(res, 500, { ok: false, message: `control endpoint error: ${err.message}` }));
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(new Error(`control endpoint cannot listen on ${CONTROL_HOST}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}; use --control-port 0 for any free port`));
      };
      server.once('error', onError);
      server.listen(port, CONTROL_HOST, () => {
        server.off('error', onError);
        resolve();
      });
    });
    self = new ControlServer(server, (server.address() as AddressInfo).port, opts.token, opts);
    return self;
  }

  /** Serves `target`; `now` is its clock (the `at` of operator events). */
  attach(target: ControlTarget, now?: () => number): void {
    this.target = target;
    if (now) this.now = now;
  }

  /** Serves GET /metrics from `metrics` from now on. */
  setMetrics(metrics: MetricsSource): void {
    this.metrics = metrics;
  }

  /** Stops answering commands (503) while the bot shuts down. */
  detach(): void {
    this.target = undefined;
  }

  async close(): Promise<void> {
    this.target = undefined;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.origin !== undefined) return send(res, 403, { ok: false, message: 'requests from a browser page (Origin header) are refused' });
    const host = req.headers.host ?? '';
    if (host !== `${CONTROL_HOST}:${this.port}` && host !== `localhost:${this.port}`) {
      return send(res, 403, { ok: false, message: `Host ${JSON.stringify(host)} is refused; use ${CONTROL_HOST}:${this.port}` });
    }
    const body = await readBody(req);
    if (body === null) return send(res, 413, { ok: false, message: `request body over ${MAX_BODY} bytes` });
    const path = (req.url ?? '/').split('?')[0];
    const routes: Record<string, string> = { '/health': 'GET', '/metrics': 'GET', '/status': 'GET', '/resume': 'POST', '/pause': 'POST', '/flatten': 'POST', '/cancel-all': 'POST' };
    const method = routes[path];
    if (!method) return send(res, 404, { ok: false, message: `unknown path ${path}; paths: ${Object.keys(routes).join(', ')}` });
    if (req.method !== method) return send(res, 405, { ok: false, message: `${path} takes ${method}` }, { allow: method });
    if (path === '/health') return send(res, 200, { ok: true });
    if (path === '/metrics') {
      if (!this.metrics) return send(res, 404, { ok: false, message: 'metrics are not enabled on this endpoint' });
      const text = await this.metrics.text();
      res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    if (this.token !== undefined && !bearerMatches(req.headers.authorization, this.token)) {
      return send(res, 401, { ok: false, message: 'missing or wrong bearer token (see the control file beside the store)' });
    }
    const target = this.target;
    if (!target || !target.running) return send(res, 503, { ok: false, message: target ? 'the bot is stopping' : 'the bot is not running yet' });
    if (path === '/status') return send(res, 200, controlStatus(target));
    const result = controlAction(target, path.slice(1) as ControlAction, this.now?.() ?? target.context().now);
    return send(res, result.ok ? 200 : 409, result);
  }
}

/** What each command does once accepted (the message of a 200). */
const ACCEPTED: Record<OperatorCommand, string> = {
  pause: 'paused: new entries are refused (reason operator_pause); exits, retries and recovery go on; grid-bot resume lifts it',
  flatten: 'flatten started: cancel the entry, reduce-only market close of the venue position, retire every position, then halted until grid-bot resume',
  'cancel-all': 'cancel-all started: cancel the entry and every exit, positions stay tracked, then halted; grid-bot resume places the exits again',
};

/** What an operator can ask of a running bot (this endpoint's POST routes, the dashboard's buttons). */
export type ControlAction = 'resume' | OperatorCommand;
export const CONTROL_ACTIONS: readonly ControlAction[] = ['resume', ...OPERATOR_COMMANDS];

/** Runs one operator action on `target` (resume: the bot's own resume; others: operatorCommand). */
export function controlAction(target: ControlTarget, action: ControlAction, at: number): CommandResult {
  if (action === 'resume') {
    const r = target.resume();
    return { ok: r.ok, message: r.message };
  }
  return operatorCommand(target, action, at);
}

/**
 * Sends `operator.<command>` when the root machine takes it in its current state (XState
 * `snapshot.can`), else refuses naming the states. Nothing is sent on a refusal.
 */
export function operatorCommand(target: ControlTarget, command: OperatorCommand, at: number): CommandResult {
  const ev = { type: `operator.${command}`, at } as OperatorEvent;
  if (!target.snapshot().can(ev)) {
    const ctx = target.context();
    const paused = isOperatorPaused(ctx);
    if (command === 'pause' && paused) return { ok: true, message: 'already paused (nothing changed)' };
    const st = target.status();
    const where = `lifecycle ${st.lifecycle}, entry ${st.entryState}, risk ${ctx.risk.phase}${ctx.risk.trigger ? ` after ${ctx.risk.trigger}` : ''}${paused ? ', paused' : ''}`;
    return { ok: false, message: `${command} refused: not accepted in the current state (${where})` };
  }
  target.send(ev);
  return { ok: true, message: ACCEPTED[command] };
}

/** The operator pause latch, read loosely (absent while the machine has none). */
function isOperatorPaused(ctx: GridContext): boolean {
  return (ctx as GridContext & { operatorPaused?: boolean }).operatorPaused === true;
}

export function controlStatus(target: ControlTarget): ControlStatus {
  const status = target.status();
  const ctx = target.context();
  const { phase, trigger, triggerMid, coolOffUntil } = ctx.risk;
  return {
    ...status,
    bot: target.key,
    market: ctx.market.symbol,
    risk: { phase, trigger, triggerMid, coolOffUntil },
    gateReasons: [...status.gate.reasons],
    operatorPaused: isOperatorPaused(ctx),
  };
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (\S+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

// ------------------------------------------------------------------ discovery file

export interface ControlDiscovery {
  url: string;
  pid: number;
  token: string;
  /** The bot key the endpoint serves. */
  bot: string;
}

/**
 * Where the bot on `storeLocation` (market, slot) publishes its endpoint: beside a SQLite
 * store (`<file>.<MARKET>-<slot>.control.json`); for Redis / Postgres in a per-user
 * directory under the temp dir, named by a hash of the location.
 */
export function controlFilePath(storeLocation: string, market: string, slot: number): string {
  const parsed = parseStoreLocation(storeLocation);
  const name = `${market.replace(/[^A-Za-z0-9_-]/g, '_')}-${slot}.control.json`;
  if (parsed.kind === 'sqlite') return `${parsed.file}.${name}`;
  const uid = typeof process.getuid === 'function' ? String(process.getuid()) : 'user';
  const hash = createHash('sha256').update(parsed.url).digest('hex').slice(0, 16);
  return join(tmpdir(), `gridchart-control-${uid}`, `${hash}.${name}`);
}

/** Writes the discovery file (mode 0600, atomically). */
export function writeDiscovery(file: string, d: ControlDiscovery): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(d)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** The discovery file, or undefined when absent; throws naming the file when unreadable. */
export function readDiscovery(file: string): ControlDiscovery | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read the control file ${file}: ${(err as Error).message}`);
  }
  let d: Partial<ControlDiscovery>;
  try {
    d = JSON.parse(text) as Partial<ControlDiscovery>;
  } catch (err) {
    throw new Error(`the control file ${file} is not JSON (${(err as Error).message}); delete it if no bot is running`);
  }
  if (typeof d.url !== 'string' || typeof d.pid !== 'number' || typeof d.token !== 'string' || typeof d.bot !== 'string') {
    throw new Error(`the control file ${file} lacks url, pid, token or bot; delete it if no bot is running`);
  }
  return d as ControlDiscovery;
}

/** Removes the discovery file if it is still the one with `token` (another run may have replaced it). */
export function removeDiscovery(file: string, token: string): boolean {
  let d: ControlDiscovery | undefined;
  try {
    d = readDiscovery(file);
  } catch (err) {
    // Unreadable or foreign content: not ours to delete.
    if (err instanceof Error) return false;
    throw err;
  }
  if (!d || d.token !== token) return false;
  rmSync(file, { force: true });
  return true;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// ------------------------------------------------------------------ client

export interface ControlReply<T> {
  status: number;
  body: T;
}

/** Thrown when no running bot answers (exit code 2 in the CLI). */
export class NoRunningBotError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'NoRunningBotError';
  }
}

export class ControlClient {
  constructor(readonly discovery: ControlDiscovery) {}

  /** The client of the bot published at `file`; NoRunningBotError when there is none. */
  static find(file: string): ControlClient {
    const d = readDiscovery(file);
    if (!d) throw new NoRunningBotError(`no running bot found: no control file at ${file} (is grid-bot paper running on this store, market and slot?)`);
    if (!pidAlive(d.pid)) throw new NoRunningBotError(`no running bot found: the control file ${file} names pid ${d.pid}, which is not running (left by a killed run)`);
    return new ControlClient(d);
  }

  health(): Promise<ControlReply<{ ok: boolean }>> {
    return this.call('GET', '/health');
  }

  status(): Promise<ControlReply<ControlStatus | CommandResult>> {
    return this.call('GET', '/status');
  }

  resume(): Promise<ControlReply<CommandResult>> {
    return this.call('POST', '/resume');
  }

  /** POST /pause, /flatten or /cancel-all. */
  command(command: OperatorCommand): Promise<ControlReply<CommandResult>> {
    return this.call('POST', `/${command}`);
  }

  call<T>(method: 'GET' | 'POST', path: string, timeoutMs = 5000): Promise<ControlReply<T>> {
    const url = new URL(path, this.discovery.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest(url, { method, headers: { authorization: `Bearer ${this.discovery.token}`, 'content-length': 0 }, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as T });
          } catch (err) {
            reject(new Error(`control endpoint ${url.href} answered ${res.statusCode} with non-JSON: ${(err as Error).message}`));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`control endpoint ${url.href} did not answer within ${timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET') {
          reject(new NoRunningBotError(`no running bot found: nothing answers at ${this.discovery.url} (pid ${this.discovery.pid}); the run may have just stopped`));
        } else reject(err);
      });
      req.end();
    });
  }
}
