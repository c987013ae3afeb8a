/**
 * The operator views a runner (paper, run, paper over loopback) may switch on, in one
 * helper so that each runner wires them in a few lines:
 *
 *   const views = await startOperatorViews(opts.views, out);  // undefined when none is on
 *   journal sink:  views?.journal(line)
 *   Bot options:   ...views?.botOptions(obs.botOptions.inspect)
 *   after start:   views?.attach(bot, now)        at the end: await views?.close()
 *
 * - `--dashboard [port]` (dashboard/server.ts): the local dashboard, 127.0.0.1 by default
 *   (port DEFAULT_DASHBOARD_PORT; 0 = any free port); `--dashboard-host H` binds elsewhere,
 *   then the page needs the run's token, printed once in the URL.
 * - `--inspect` / `--inspect-port N` (observability/inspect.ts): the Stately inspector relay.
 *
 * Invariants: neither is on unless asked for; their modules (ws, @statelyai/inspect) are
 * loaded only then; bad flag values are ConfigErrors naming the flag (exit 2); `close()`
 * closes everything started, also after a failed start of the other.
 */
import type { InspectionEvent } from 'xstate';
import { ConfigError } from '../../config/errors.ts';
import type { JournalLine } from '../journal.ts';
import type { DashboardTarget } from './view.ts';

export interface OperatorViewOptions {
  /** Dashboard port (0 = any free port; 'default' = DEFAULT_DASHBOARD_PORT); undefined: no dashboard. */
  dashboard?: number | 'default';
  /** Dashboard bind address (default 127.0.0.1). */
  dashboardHost?: string;
  /** Stately inspector relay on 127.0.0.1. */
  inspect?: boolean;
  /** Relay port (0 = any free port; default DEFAULT_INSPECT_PORT). */
  inspectPort?: number;
}

export interface OperatorViews {
  readonly dashboardUrl: string | undefined;
  readonly inspectUrl: string | undefined;
  /** `{ inspect }` for the Bot options (teed with `base`), or `{}` without the inspector. */
  botOptions(base?: (ev: InspectionEvent) => void): { inspect?: (ev: InspectionEvent) => void };
  journal(line: JournalLine): void;
  attach(target: DashboardTarget, now?: () => number): void;
  detach(): void;
  close(): Promise<void>;
}

/** The value `--dashboard` takes when given without a port (cli: optionalFlagValue). */
export const DASHBOARD_DEFAULT_VALUE = 'default';

/**
 * `--dashboard` may stand alone: the argument after it is its port only when it does not
 * look like an option. Returns the arguments with `--dashboard=default` where it stood alone.
 */
export function optionalFlagValue(args: readonly string[], flag = '--dashboard', fallback = DASHBOARD_DEFAULT_VALUE): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const next = args[i + 1];
    if (a === flag && (next === undefined || next.startsWith('-'))) out.push(`${flag}=${fallback}`);
    else out.push(a);
  }
  return out;
}

function portOf(flag: string, text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw ConfigError.of('command line', flag, `${JSON.stringify(text)} is not a port; allowed 0..65535 (0 = any free port)`);
  return Number(text);
}

/** The views asked for by the command-line values (`dashboard`, `dashboard-host`, `inspect`, `inspect-port`). */
export function operatorViewOptionsFrom(v: Record<string, string | boolean | undefined>): OperatorViewOptions | undefined {
  const o: OperatorViewOptions = {};
  const dash = typeof v.dashboard === 'string' ? v.dashboard : undefined;
  const host = typeof v['dashboard-host'] === 'string' ? v['dashboard-host'] : undefined;
  if (dash !== undefined) o.dashboard = dash === DASHBOARD_DEFAULT_VALUE ? 'default' : portOf('--dashboard', dash);
  if (host !== undefined) {
    if (dash === undefined) throw ConfigError.of('command line', '--dashboard-host', 'needs --dashboard');
    if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw ConfigError.of('command line', '--dashboard-host', `${JSON.stringify(host)} is not a host name or address`);
    o.dashboardHost = host;
  }
  if (v.inspect === true) o.inspect = true;
  if (typeof v['inspect-port'] === 'string') {
    if (v.inspect !== true) throw ConfigError.of('command line', '--inspect-port', 'needs --inspect');
    o.inspectPort = portOf('--inspect-port', v['inspect-port']);
  }
  return o.dashboard !== undefined || o.inspect ? o : undefined;
}

export async function startOperatorViews(opts: OperatorViewOptions | undefined, out: { line(text: string): void }): Promise<OperatorViews | undefined> {
  if (!opts || (opts.dashboard === undefined && !opts.inspect)) return undefined;
  const closers: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  try {
    let dash: import('./server.ts').DashboardServer | undefined;
    let inspector: import('../inspect.ts').RunningInspector | undefined;
    if (opts.dashboard !== undefined) {
      const { DashboardServer, DEFAULT_DASHBOARD_PORT } = await import('./server.ts');
      const server = await DashboardServer.start({ port: opts.dashboard === 'default' ? DEFAULT_DASHBOARD_PORT : opts.dashboard, ...(opts.dashboardHost ? { host: opts.dashboardHost } : {}) });
      dash = server;
      closers.push(() => server.close());
      out.line(
        server.loopback
          ? `dashboard: ${server.url} (live state, statecharts, book, events; pause / resume / flatten / cancel-all)`
          : `dashboard: ${server.url} (bound to ${server.host}: the token after #token= is needed and shown only here)`,
      );
    }
    if (opts.inspect) {
      const { startInspector } = await import('../inspect.ts');
      const running = await startInspector({ ...(opts.inspectPort !== undefined ? { port: opts.inspectPort } : {}) });
      inspector = running;
      closers.push(() => running.close());
      out.line(`inspect: open ${running.url} for the Stately inspector (relay ${running.wsUrl}; the inspector UI loads from stately.ai)`);
    }
    return {
      dashboardUrl: dash?.url,
      inspectUrl: inspector?.url,
      botOptions: (base) => {
        if (!inspector) return {};
        const tee = inspector.inspect;
        return { inspect: base ? (ev) => (base(ev), tee(ev)) : tee };
      },
      journal: (line) => dash?.journal(line),
      attach: (target, now) => dash?.attach(target, now),
      detach: () => dash?.detach(),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
