/**
 * `grid-bot sim` as a real process: prints its URLs once ready, serves the Lighter REST API on
 * 127.0.0.1 (never the private key), and stops cleanly on SIGINT.
 */
import { describe, expect, it } from 'vitest';
import { startCli } from './cli-process.ts';

describe('grid-bot sim', () => {
  it('prints its REST and WS URLs, serves orderBookDetails, stops on SIGINT with exit 0', async () => {
    const child = startCli(['sim', '--port', '0', '--seed', '5']);
    await child.waitFor(/WS ws:\/\/127\.0\.0\.1:\d+\/stream/, { what: 'the WS URL' });
    const [, rest] = await child.waitFor(/REST (http:\/\/127\.0\.0\.1:\d+)/, { what: 'the REST URL' });
    const res = await fetch(`${rest}/api/v1/orderBookDetails`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { code: number; order_book_details: Array<{ symbol: string }> };
    expect(body.code).toBe(200);
    expect(body.order_book_details.map((d) => d.symbol)).toEqual(expect.arrayContaining(['TEST', 'BTC']));
    expect(child.stdout()).not.toMatch(/[0-9a-f]{80}/i);
    child.kill('SIGINT');
    const { code } = await child.done;
    expect(code).toBe(0);
  }, 30_000);
});
