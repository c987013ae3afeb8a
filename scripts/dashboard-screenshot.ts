/**
 * Writes docs/img/dashboard.png: a paper run (the paper preset, seed 1, simulated clock at
 * 10× real time) with the dashboard on, photographed in headless Chromium (Debian
 * `chromium`, playwright-core) once a few positions are open.
 *
 *   npx tsx scripts/dashboard-screenshot.ts [out.png] [--positions N]
 *
 * The run uses a throwaway store and journal in the temp dir and stops when the picture is
 * taken; nothing else is written.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { runPaper } from '../src/runtime/paper.ts';

const CHROMIUM = '/usr/bin/chromium';
const args = process.argv.slice(2);
const posFlag = args.indexOf('--positions');
const wantPositions = posFlag >= 0 ? Number(args[posFlag + 1]) : 4;
const out = resolve(args.find((a, i) => !a.startsWith('--') && i !== posFlag + 1) ?? 'docs/img/dashboard.png');
if (!existsSync(CHROMIUM)) {
  console.error(`error: ${CHROMIUM} is not installed (apt-get install chromium)`);
  process.exit(2);
}
if (!(Number.isInteger(wantPositions) && wantPositions >= 1 && wantPositions <= 10)) {
  console.error(`error: --positions must be an integer 1..10, got ${args[posFlag + 1]}`);
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'dashboard-shot-'));
const stop = new AbortController();
let urlSeen: (u: string) => void = () => undefined;
const url = new Promise<string>((r) => (urlSeen = r));
const run = runPaper({
  store: join(dir, 'p.sqlite'),
  events: join(dir, 'e.jsonl'),
  speed: 10,
  seed: 1,
  env: {},
  controlPort: false,
  signal: stop.signal,
  views: { dashboard: 0 },
  output: {
    line: (t) => {
      const m = /^dashboard: (\S+)/.exec(t);
      if (m) urlSeen(m[1]);
    },
    status: () => undefined,
    error: (t) => console.error(t),
  },
});

try {
  const page = await url;
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const tab = await browser.newPage({ viewport: { width: 1500, height: 1050 }, deviceScaleFactor: 1 });
    await tab.goto(page);
    await tab.locator('[data-region="lifecycle"] b', { hasText: 'trading' }).waitFor({ timeout: 30_000 });
    // Wait (at most a minute) for the positions asked for: each is a live child statechart on the page.
    await tab.locator('[data-child^="position:"]').nth(wantPositions - 1).waitFor({ timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    mkdirSync(dirname(out), { recursive: true });
    await tab.screenshot({ path: out });
    console.log(`wrote ${out} (${await tab.locator('[data-child^="position:"]').count()} open positions)`);
  } finally {
    await browser.close();
  }
} finally {
  stop.abort();
  await run;
}
