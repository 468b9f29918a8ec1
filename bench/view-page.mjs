// The page's time to show a 1,000-span trace (issue 26: under 300 ms), in Debian's Chromium driven by playwright-core.
// The view's real store (node:sqlite, in memory) holds one MCP server span with 999 nested spans of two services; the
// page's web handler serves it on 127.0.0.1. Each run starts on the operations list, changes the route to the trace
// and measures, inside the page:
//   - in DOM: from the route change until the waterfall's last row is in the document (the answer fetched, parsed,
//     rows built and inserted; a MutationObserver sees the insertion);
//   - painted: until the frame after that has been drawn (requestAnimationFrame, then a task after it).
// After `npm run build`:
//
//   node bench/view-page.mjs            (ROUNDS=15 SPANS=1000 by default)
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { bigTrace } from '../test/helpers/view-fake-store.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium.mjs';

const require = createRequire(import.meta.url);
const { chromium } = require('playwright-core');
const { Store } = require('../dist/view/store.js');
const { createWebHandler } = require('../dist/view/web.js');

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const SPANS = Number(process.env.SPANS ?? 1000);
const TRACE_ID = '1'.repeat(32);

const store = new Store();
store.add({ signal: 'traces', spans: bigTrace(TRACE_ID, SPANS).spans });
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address();
const handler = createWebHandler(store, { allowedHosts: [`127.0.0.1:${port}`] });
server.on('request', handler);

const profile = mkdtempSync(join(tmpdir(), 'mcp-otel-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  args: CHROMIUM_ARGS,
  headless: true,
  viewport: { width: 1400, height: 900 },
});
try {
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.locator('tr.operation').first().waitFor();
  const inDom = [];
  const painted = [];
  for (let round = 0; round <= ROUNDS; round++) {
    await page.evaluate(() => (location.hash = '#/'));
    await page.locator('tr.operation').first().waitFor();
    const [dom, paint] = await page.evaluate(
      ({ traceId, spans }) =>
        new Promise((resolve) => {
          const main = document.getElementById('main');
          let started;
          const observer = new MutationObserver(() => {
            const rows = main.querySelector('.waterfall .rows');
            if (!rows || rows.childElementCount !== spans) return;
            observer.disconnect();
            const inDom = performance.now() - started;
            requestAnimationFrame(() => setTimeout(() => resolve([inDom, performance.now() - started]), 0));
          });
          observer.observe(main, { childList: true, subtree: true });
          started = performance.now();
          location.hash = `#/trace/${traceId}`;
        }),
      { traceId: TRACE_ID, spans: SPANS },
    );
    // The first round warms up (the page's code compiled, the store's statements prepared).
    if (round > 0) {
      inDom.push(dom);
      painted.push(paint);
    }
  }
  const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const range = (list) => `${Math.min(...list).toFixed(0)}-${Math.max(...list).toFixed(0)}`;
  console.log(`Chromium ${context.browser()?.version() ?? ''}, ${SPANS}-span trace, median of ${ROUNDS} runs:`);
  console.log(`  route change to the last row in the DOM: ${median(inDom).toFixed(0)} ms (${range(inDom)} ms)`);
  console.log(`  route change to the next frame drawn:    ${median(painted).toFixed(0)} ms (${range(painted)} ms)`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  handler.close();
  server.close();
  store.close();
}
