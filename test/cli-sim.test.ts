/**
 * `grid-bot sim` as a real process: prints its URLs once ready, serves the Lighter REST API on
 * 127.0.0.1 (never the private key), and stops cleanly on SIGINT.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('grid-bot sim', () => {
  it('prints its REST and WS URLs, serves orderBookDetails, stops on SIGINT with exit 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'sim', '--port', '0', '--seed', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const rest = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /REST (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m && /WS ws:\/\/127\.0\.0\.1:\d+\/stream/.test(out)) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    const res = await fetch(`${rest}/api/v1/orderBookDetails`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { code: number; order_book_details: Array<{ symbol: string }> };
    expect(body.code).toBe(200);
    expect(body.order_book_details.map((d) => d.symbol)).toEqual(expect.arrayContaining(['TEST', 'BTC']));
    expect(out).not.toMatch(/[0-9a-f]{80}/i);
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  }, 30_000);
});
