/**
 * `--inspect` over real sockets: a short paper run with the Stately inspector relay on an
 * ephemeral 127.0.0.1 port; a WebSocket client connected to the relay (as the bridge page
 * would be) receives the actor system's inspection events — `@xstate.actor` and
 * `@xstate.snapshot` for the root `grid` and for a spawned position child. The relay's bridge
 * page points at the relay, and a WebSocket from another website's origin is refused.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { runPaper, type PaperOutput } from '../runtime/paper.ts';
import { startInspector } from './inspect.ts';

interface Msg {
  type: string;
  name?: string;
  sessionId: string;
  snapshot?: { value?: unknown; status?: string };
}

describe('Stately inspector relay (--inspect)', () => {
  it('relays the inspection events of the root and of a position child to a connected WebSocket client during a paper run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'inspect-'));
    const messages: Msg[] = [];
    let client: WebSocket | undefined;
    let opened: Promise<void> | undefined;
    const lines: string[] = [];
    const output: PaperOutput = {
      line: (t) => {
        lines.push(t);
        const m = /^inspect: open (http:\/\/127\.0\.0\.1:(\d+)\/) for the Stately inspector \(relay (ws:\/\/127\.0\.0\.1:\d+)/.exec(t);
        if (m && !client) {
          client = new WebSocket(m[3]);
          client.on('message', (data) => messages.push(JSON.parse(data.toString()) as Msg));
          opened = new Promise((resolve, reject) => {
            client!.once('open', () => resolve());
            client!.once('error', reject);
          });
        }
      },
      status: () => undefined,
      error: (t) => lines.push(t),
    };
    const result = await runPaper({
      store: join(dir, 'p.sqlite'),
      events: join(dir, 'e.jsonl'),
      speed: 'max',
      durationMs: 90_000,
      seed: 1,
      output,
      env: {},
      controlPort: false,
      views: { inspect: true, inspectPort: 0 },
    });
    expect(result.reason).toBe('until');
    expect(client, lines.join('\n')).toBeDefined();
    await opened;
    // The relay replays what it buffered and forwards the rest; let the last frames arrive.
    await new Promise((r) => setTimeout(r, 300));
    client!.close();

    const actors = messages.filter((m) => m.type === '@xstate.actor');
    const root = actors.find((m) => m.name === 'grid');
    expect(root, `actors seen: ${actors.map((a) => a.name).join(', ')}`).toBeDefined();
    const child = actors.find((m) => /^position:grid-\d+$/.test(m.name ?? ''));
    expect(child, `actors seen: ${actors.map((a) => a.name).join(', ')}`).toBeDefined();
    const snapshots = messages.filter((m) => m.type === '@xstate.snapshot');
    const rootSnap = snapshots.find((m) => m.sessionId === root!.sessionId);
    expect(rootSnap?.snapshot?.value).toMatchObject({ lifecycle: expect.any(String), entry: expect.anything(), risk: expect.anything() });
    expect(snapshots.some((m) => m.sessionId === child!.sessionId && m.snapshot?.value !== undefined)).toBe(true);
  }, 60_000);

  it('binds 127.0.0.1 only, serves the bridge page pointing at itself, and refuses a WebSocket from another origin', async () => {
    await expect(startInspector({ host: '0.0.0.0', port: 0 })).rejects.toThrow(/binds 127\.0\.0\.1 only/);
    const relay = await startInspector({ port: 0 });
    try {
      expect(relay.url).toBe(`http://127.0.0.1:${relay.port}/`);
      const page = await (await fetch(relay.url)).text();
      expect(page).toContain(JSON.stringify(relay.wsUrl));
      expect(page).toContain('https://stately.ai/inspect');
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(relay.wsUrl, { origin: 'https://evil.example' });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
      expect(refused).toBe(401);
      const own = new WebSocket(relay.wsUrl, { origin: `http://127.0.0.1:${relay.port}` });
      await new Promise<void>((resolve, reject) => {
        own.once('open', () => resolve());
        own.once('error', reject);
      });
      own.close();
    } finally {
      await relay.close();
    }
  });
});
