/**
 * `--inspect`: the Stately inspector (`@statelyai/inspect`, XState v5) on the live actor
 * system, through a local WebSocket relay.
 *
 * The relay is the package's own design (`@statelyai/inspect/server` createInspectorServer:
 * a `ws` server that replays its last RELAY_BUFFER messages to a new client — here also every
 * actor announcement, so a late page knows the root — and forwards each message to every
 * other client, plus a bridge page that embeds https://stately.ai/inspect
 * and posts the events into it) rebuilt here because that server listens on every interface:
 * this one binds 127.0.0.1 only. The bot side is the package's `createWebSocketInspector`
 * pointed at the relay; its `inspect` observer receives the bot's InspectionEvents.
 *
 * Open the inspector: browse to the printed http://127.0.0.1:<port>/ (the bridge page; the
 * Stately inspector UI itself loads from stately.ai, so that tab needs the internet).
 *
 * Invariants:
 * - Binds 127.0.0.1 only (any other host is refused when starting).
 * - A WebSocket upgrade with an Origin other than the bridge page's own (a browser tab of
 *   another website) is refused: no website can read the actor system's snapshots.
 * - Off unless asked for (serializing every snapshot costs throughput); `close()` stops the
 *   inspector client, the relay and every connection.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebSocketInspector } from '@statelyai/inspect';
import { WebSocket, WebSocketServer } from 'ws';
import type { InspectionEvent } from 'xstate';

export const INSPECT_HOST = '127.0.0.1';
/** The default `--inspect-port` (documented in the README and docs/operations.md). */
export const DEFAULT_INSPECT_PORT = 8781;
/** Messages replayed to a client that connects late (as the package's relay). */
export const RELAY_BUFFER = 200;
/** Actor announcements kept for late clients (oldest dropped first). */
export const RELAY_ACTORS = 1000;
export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

export interface InspectorOptions {
  /** 0 = any free port; default DEFAULT_INSPECT_PORT. */
  port?: number;
  /** Only 127.0.0.1 is accepted. */
  host?: string;
}

export interface RunningInspector {
  /** The bridge page to open in a browser. */
  readonly url: string;
  /** The relay's WebSocket address (the bot's inspector and any other client connect here). */
  readonly wsUrl: string;
  readonly port: number;
  /** Usable as `BotOptions.inspect`. */
  inspect(ev: InspectionEvent): void;
  close(): Promise<void>;
}

/** The session id of an `@xstate.actor` message, else undefined. */
function actorSession(msg: string): string | undefined {
  if (!msg.includes('"@xstate.actor"')) return undefined;
  try {
    const m = JSON.parse(msg) as { type?: unknown; sessionId?: unknown };
    return m.type === '@xstate.actor' && typeof m.sessionId === 'string' ? m.sessionId : undefined;
  } catch (err) {
    // Not JSON: relayed as an ordinary message.
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function bridgePage(wsUrl: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>gridchart — Stately inspector</title>
<style>*{margin:0;padding:0}html,body{height:100%}iframe{width:100%;height:100%;border:none}</style></head>
<body><iframe id="inspector" src="${STATELY_INSPECTOR_URL}"></iframe>
<script>
const iframe = document.getElementById('inspector');
const buffer = [];
let connected = false;
window.addEventListener('message', (e) => {
  if (e.data && e.data.type === '@statelyai.connected') {
    connected = true;
    for (const ev of buffer) iframe.contentWindow.postMessage(ev, '*');
    buffer.length = 0;
  }
});
const ws = new WebSocket(${JSON.stringify(wsUrl)});
ws.onmessage = (event) => {
  const data = JSON.parse(event.data);
  if (connected) iframe.contentWindow.postMessage(data, '*');
  else buffer.push(data);
};
</script></body></html>`;
}

export async function startInspector(opts: InspectorOptions = {}): Promise<RunningInspector> {
  const host = opts.host ?? INSPECT_HOST;
  if (host !== INSPECT_HOST) throw new Error(`inspector relay host ${JSON.stringify(host)} is refused: it binds ${INSPECT_HOST} only`);
  const port = opts.port ?? DEFAULT_INSPECT_PORT;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new RangeError(`inspector port must be an integer 0..65535 (0 = any free port), got ${port}`);
  let page = '';
  const http: Server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(page) }).end(page);
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Error(`inspector relay cannot listen on ${INSPECT_HOST}:${port}: ${err.code === 'EADDRINUSE' ? 'the port is in use; use --inspect-port 0 for any free port' : err.message}`));
    http.once('error', onError);
    http.listen(port, INSPECT_HOST, () => {
      http.off('error', onError);
      resolve();
    });
  });
  const bound = (http.address() as AddressInfo).port;
  const wsUrl = `ws://${INSPECT_HOST}:${bound}`;
  page = bridgePage(wsUrl);
  const ownOrigins = new Set([`http://${INSPECT_HOST}:${bound}`, `http://localhost:${bound}`]);
  const wss = new WebSocketServer({
    server: http,
    verifyClient: (info: { origin?: string }) => info.origin === undefined || info.origin === '' || ownOrigins.has(info.origin),
  });
  const buffer: string[] = [];
  // Actor announcements (with their machine definitions) are kept apart, so that a late page
  // still learns every live actor even after RELAY_BUFFER later events.
  const actors = new Map<string, string>();
  wss.on('connection', (ws) => {
    for (const msg of actors.values()) ws.send(msg);
    for (const msg of buffer) ws.send(msg);
    ws.on('message', (data) => {
      const msg = data.toString();
      const actor = actorSession(msg);
      if (actor) {
        actors.set(actor, msg);
        if (actors.size > RELAY_ACTORS) actors.delete(actors.keys().next().value!);
      } else {
        buffer.push(msg);
        if (buffer.length > RELAY_BUFFER) buffer.shift();
      }
      for (const client of wss.clients) if (client !== ws && client.readyState === WebSocket.OPEN) client.send(msg);
    });
    ws.on('error', () => ws.terminate());
  });
  const inspector = createWebSocketInspector({ url: wsUrl });
  return {
    url: `http://${INSPECT_HOST}:${bound}/`,
    wsUrl,
    port: bound,
    inspect: (ev) => inspector.inspect.next?.(ev),
    close: async () => {
      inspector.stop();
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}
