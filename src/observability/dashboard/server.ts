/**
 * The local dashboard's HTTP server (node:http): one self-contained page (page.ts), a live
 * Server-Sent-Events stream of the bot's view (view.ts) and of the events journal, and the
 * operator buttons (pause / resume / flatten / cancel-all) through the control endpoint's
 * own `controlAction` (control-server.ts) — the command logic is not duplicated here.
 *
 * Routes:
 * - `GET /` → the page. On a loopback host the run's token is embedded in it; on any other
 *   host the page holds no secret and reads the token from the URL fragment (`#token=…`).
 * - `GET /events?token=T` → `text/event-stream`: `charts` (the statechart outlines) once and
 *   whenever a new child machine shows up, `view` (the bot's view) when it changed (checked
 *   every VIEW_EVERY_MS and right after journal lines, at most every MIN_PUSH_MS), `journal` (each event line; the
 *   last JOURNAL_BACKLOG are replayed to a new page).
 * - `GET /view?token=T` → the current view as JSON (curl, tests).
 * - `POST /command/<action>` with header `X-Dashboard-Token: T` → `{ ok, message }` (200 done,
 *   409 refused by the bot, 503 no bot).
 *
 * Invariants:
 * - Every data and command route needs the per-run token (constant-time compare); a missing
 *   or wrong token is 401 and nothing is read or sent.
 * - On a loopback host the Host header must name the loopback address and port (no DNS
 *   rebinding can fetch the token-bearing page), and a command with an `Origin` header other
 *   than the page's own origin is refused (403): another website cannot press a button.
 * - On a non-loopback host the page never embeds the token: the operator gets it once, in
 *   the printed URL's fragment (`#token=…`, never sent to the server by browsers).
 * - No secret other than the token crosses this server, and the token is never in a view,
 *   a journal line or a log line.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CONTROL_ACTIONS, controlAction, type CommandResult, type ControlAction } from '../control-server.ts';
import type { JournalLine } from '../journal.ts';
import { dashboardPage } from './page.ts';
import { chartsOf, viewOf, type Charts, type DashboardTarget } from './view.ts';

export const DASHBOARD_LOOPBACK = '127.0.0.1';
/** The default `--dashboard` port (documented in the README and docs/operations.md). */
export const DEFAULT_DASHBOARD_PORT = 8780;
/** How often the view is recomputed and pushed when it changed (wall ms). */
export const VIEW_EVERY_MS = 250;
/** Shortest wall time between two view pushes (a burst of journal lines is one push). */
export const MIN_PUSH_MS = 50;
/** Journal lines replayed to a page that (re)connects. */
export const JOURNAL_BACKLOG = 200;

export interface DashboardServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = any free port; default DEFAULT_DASHBOARD_PORT. */
  port?: number;
  /** The run's token (default: a fresh random one). */
  token?: string;
}

export function isLoopbackHost(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

export function newDashboardToken(): string {
  return randomBytes(18).toString('base64url');
}

export class DashboardServer {
  private target: DashboardTarget | undefined;
  private now: (() => number) | undefined;
  private readonly clients = new Set<ServerResponse>();
  private readonly backlog: string[] = [];
  private lastView = '';
  private lastCharts = '';
  private charts: Charts | undefined;
  private pushScheduled = false;
  private lastPushAt = 0;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
    readonly token: string,
  ) {
    this.timer = setInterval(() => this.pushView(), VIEW_EVERY_MS);
    this.timer.unref();
  }

  get loopback(): boolean {
    return isLoopbackHost(this.host);
  }

  /** The page's address (on a non-loopback host with the token in the fragment, which browsers never send). */
  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `http://${h}:${this.port}/${this.loopback ? '' : `#token=${this.token}`}`;
  }

  static async start(opts: DashboardServerOptions = {}): Promise<DashboardServer> {
    const host = opts.host ?? DASHBOARD_LOOPBACK;
    const port = opts.port ?? DEFAULT_DASHBOARD_PORT;
    if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new RangeError(`dashboard port must be an integer 0..65535 (0 = any free port), got ${port}`);
    let self: DashboardServer | undefined;
    const server = createServer((req, res) => {
      if (!self) return json(res, 503, { ok: false, message: 'dashboard starting' });
      try {
        self.handle(req, res);
      } catch (err) {
        json(res, 500, { ok: false, message: `dashboard error: ${(err as Error).message}` });
      }
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) =>
        reject(new Error(`dashboard cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use; give another port (--dashboard 0 = any free port)' : err.message}`));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    self = new DashboardServer(server, host, (server.address() as AddressInfo).port, opts.token ?? newDashboardToken());
    return self;
  }

  /** Shows `target`; `now` is its clock (the `at` of operator events). */
  attach(target: DashboardTarget, now?: () => number): void {
    this.target = target;
    this.now = now;
    this.schedulePush();
  }

  /** The bot is stopping: the page shows "not running", the buttons answer 503. */
  detach(): void {
    this.target = undefined;
    this.schedulePush();
  }

  /** One events-journal line: kept for new pages, streamed to open ones, then the view follows. */
  journal(line: JournalLine): void {
    const data = JSON.stringify(line);
    this.backlog.push(data);
    if (this.backlog.length > JOURNAL_BACKLOG) this.backlog.shift();
    this.broadcast('journal', data);
    this.schedulePush();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.target = undefined;
    for (const c of this.clients) c.end();
    this.clients.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private schedulePush(): void {
    if (this.pushScheduled || this.clients.size === 0) return;
    this.pushScheduled = true;
    const run = () => {
      this.pushScheduled = false;
      this.pushView();
    };
    const wait = this.lastPushAt + MIN_PUSH_MS - Date.now();
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait).unref();
  }

  private currentCharts(): Charts | undefined {
    const t = this.target;
    if (!t || !t.running) return this.charts;
    const next = chartsOf(t.snapshot());
    const text = JSON.stringify(next);
    if (text !== this.lastCharts) {
      this.lastCharts = text;
      this.charts = next;
      this.broadcast('charts', text);
    }
    return this.charts;
  }

  private pushView(): void {
    if (this.clients.size === 0) return;
    this.lastPushAt = Date.now();
    this.currentCharts();
    const text = JSON.stringify(viewOf(this.target));
    if (text === this.lastView) return;
    this.lastView = text;
    this.broadcast('view', text);
  }

  private broadcast(event: string, data: string): void {
    for (const c of this.clients) c.write(`event: ${event}\ndata: ${data}\n\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (this.loopback) {
      const host = req.headers.host ?? '';
      const allowed = [`127.0.0.1:${this.port}`, `localhost:${this.port}`, `[::1]:${this.port}`];
      if (!allowed.includes(host)) return json(res, 403, { ok: false, message: `Host ${JSON.stringify(host)} is refused; open http://127.0.0.1:${this.port}/` });
    }
    if (url.pathname === '/') {
      if (req.method !== 'GET') return json(res, 405, { ok: false, message: '/ takes GET' }, { allow: 'GET' });
      const html = dashboardPage({ token: this.loopback ? this.token : null });
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-length': Buffer.byteLength(html),
      });
      res.end(html);
      return;
    }
    if (url.pathname === '/health') return json(res, 200, { ok: true });
    const routes: Record<string, string> = { '/events': 'GET', '/view': 'GET' };
    const isCommand = url.pathname.startsWith('/command/');
    const method = isCommand ? 'POST' : routes[url.pathname];
    if (!method) return json(res, 404, { ok: false, message: `unknown path ${url.pathname}; paths: /, /events, /view, /command/{${CONTROL_ACTIONS.join(',')}}` });
    if (req.method !== method) return json(res, 405, { ok: false, message: `${url.pathname} takes ${method}` }, { allow: method });
    const given = isCommand ? header(req, 'x-dashboard-token') : (url.searchParams.get('token') ?? undefined);
    if (!tokenMatches(given, this.token)) return json(res, 401, { ok: false, message: 'missing or wrong dashboard token' });
    if (isCommand) {
      const origin = req.headers.origin;
      const own = [`http://${req.headers.host ?? ''}`];
      if (origin !== undefined && !own.includes(origin)) return json(res, 403, { ok: false, message: `requests from ${origin} are refused (only the dashboard page itself)` });
      const action = url.pathname.slice('/command/'.length) as ControlAction;
      if (!CONTROL_ACTIONS.includes(action)) return json(res, 404, { ok: false, message: `unknown command ${JSON.stringify(action)}; commands: ${CONTROL_ACTIONS.join(', ')}` });
      req.resume();
      return this.command(action, res);
    }
    if (url.pathname === '/view') return json(res, 200, viewOf(this.target));
    this.openStream(req, res);
  }

  private command(action: ControlAction, res: ServerResponse): void {
    const target = this.target;
    if (!target || !target.running) return json(res, 503, { ok: false, message: target ? 'the bot is stopping' : 'the bot is not running' });
    const result: CommandResult = controlAction(target, action, this.now?.() ?? target.context().now);
    json(res, result.ok ? 200 : 409, result);
    this.schedulePush();
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 1000\n\n');
    const charts = this.currentCharts();
    if (charts) res.write(`event: charts\ndata: ${JSON.stringify(charts)}\n\n`);
    for (const line of this.backlog) res.write(`event: journal\ndata: ${line}\n\n`);
    res.write(`event: view\ndata: ${JSON.stringify(viewOf(this.target))}\n\n`);
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function json(res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
