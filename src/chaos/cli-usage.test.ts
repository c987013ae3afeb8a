/** `grid-bot chaos` usage errors exit 2 with a message naming the flag (in-process, no run is started). */
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../cli.ts';

function io(): { io: CliIO; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { env: {}, out: { line: (s: string) => out.push(s), error: (s: string) => err.push(s), status: (s: string) => out.push(s) } as CliIO['out'] }, out, err };
}

describe('grid-bot chaos usage', () => {
  it.each([
    [['--runs', '0'], 'error: --runs 0 must be an integer ≥ 1'],
    [['--parallel', '1.5'], 'error: --parallel 1.5 must be an integer ≥ 1'],
    [['--run', '0'], 'error: --run 0 must be an integer ≥ 1'],
    [['--seed', 'abc'], 'error: --seed abc must be an integer'],
    [['--bogus'], 'error: unknown option --bogus for grid-bot chaos; see grid-bot help chaos'],
    [['--variant', 'trailing-grid'], 'error: --variant trailing-grid is not one the chaos harness runs; allowed dynamic-grid, range-grid'],
  ])('%j exits 2: %s', async (args, message) => {
    const t = io();
    expect(await main(['chaos', ...args], t.io)).toBe(2);
    expect(t.err).toEqual([message]);
  });

  it('help chaos names every option and the replay flag', async () => {
    const t = io();
    expect(await main(['help', 'chaos'], t.io)).toBe(0);
    for (const flag of ['--variant V', '--runs N', '--seed S', '--run K', '--parallel P', '--report FILE']) expect(t.out.join('\n')).toContain(flag);
  });
});
