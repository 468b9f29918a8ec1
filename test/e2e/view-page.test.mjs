// The view's page in a real browser: Debian's Chromium (/usr/bin/chromium) driven by playwright-core, nothing
// downloaded. Stage A: the page against a fake store served by createWebHandler. Stage B: the installed
// `mcp-otel view`, fed by a preloaded MCP client and server. Both check that hostile names and arguments show as text
// and run nothing, with no console error and no CSP violation. Screenshots go to .test-work/artifacts/view/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from '../helpers/processes.mjs';
import {
  createFakeStore,
  FAILING_TRACE_ID,
  HOSTILE_ARGUMENT,
  HOSTILE_TOOL,
  HOSTILE_TRACE_ID,
  LOG_LINE,
  TRACE_ID,
} from '../helpers/view-fake-store.mjs';

const require = createRequire(import.meta.url);
const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = join(ROOT, '.test-work', 'artifacts', 'view');
const WAIT = { timeout: 10_000 };
const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `no Chromium at ${CHROMIUM} (apt-get install chromium); CI installs it and runs this test`
    : false;

let browser;
let profile;
before(async () => {
  if (skip) return;
  const { chromium } = require('playwright-core');
  profile = mkdtempSync(join(tmpdir(), 'mcp-otel-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    timeout: 30_000,
    viewport: { width: 1400, height: 900 },
  });
});
after(async () => {
  if (browser) await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000).unref())]);
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/**
 * A page of the browser that records console errors, uncaught errors and CSP violations (Chromium reports each
 * violation as a console error and as a securitypolicyviolation event).
 */
async function openPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__violations = [...(window.__violations ?? []), `${event.violatedDirective} ${event.blockedURI}`];
    });
  });
  page.setDefaultTimeout(WAIT.timeout);
  return { page, problems };
}

async function assertClean(page, problems) {
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'nothing from data ran');
  assert.deepEqual(await page.evaluate(() => window.__violations ?? []), [], 'no CSP violation');
  assert.deepEqual(problems, [], 'no console error');
}

async function screenshot(t, page, name) {
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  t.diagnostic(`screenshot: ${path}`);
}

/** The texts of the elements a selector matches, trimmed. */
function texts(page, selector) {
  return page.locator(selector).evaluateAll((nodes) => nodes.map((node) => node.textContent.trim()));
}

/** Serves the fake store's page on 127.0.0.1:0; stopped after the test, within a bound. */
async function serveFake(t, store) {
  const { createWebHandler } = require(join(ROOT, 'dist', 'view', 'web.js'));
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const handler = createWebHandler(store, { allowedHosts: [`127.0.0.1:${port}`], otlpUrl: 'http://127.0.0.1:4318' });
  server.on('request', handler);
  t.after(async () => {
    handler.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${port}/`;
}

test('stage A: the page shows operations, a trace, logs, sessions and stats of a fake store', { skip }, async (t) => {
  const store = createFakeStore();
  const url = await serveFake(t, store);
  const { page, problems } = await openPage();
  t.after(() => page.close());

  // Operations, newest first, each with its outcome as a word.
  await page.goto(url);
  await page.locator('tr.operation').nth(3).waitFor();
  assert.equal(await page.locator('#endpoint').textContent(), 'http://127.0.0.1:4318');
  assert.deepEqual(await texts(page, 'tr.operation td.what .target'), [
    HOSTILE_TOOL,
    'flaky',
    'get_weather',
    'get_weather',
  ]);
  assert.deepEqual(await texts(page, 'tr.operation .outcome'), ['caller fault', 'tool error', 'ok', 'ok']);
  assert.deepEqual(await texts(page, 'tr.operation td.service'), [
    'agent',
    'weather-server',
    'weather-server',
    'agent',
  ]);
  assert.deepEqual(await texts(page, 'tr.operation td:nth-child(4)'), ['client', 'server', 'server', 'client']);
  assert.deepEqual(await texts(page, 'tr.operation td.duration'), ['5.0 ms', '12.0 ms', '33.0 ms', '42.0 ms']);
  // The hostile name and message are text: no element was made of them.
  assert.equal(await page.locator('main img, main script').count(), 0);
  assert.equal(await page.locator('tr.operation .detail').first().textContent(), HOSTILE_ARGUMENT);
  assert.deepEqual(await texts(page, '#counts span'), ['6 spans', '1 logs', '4 metric points']);
  assert.equal(await page.locator('#dropped').isHidden(), true);
  await screenshot(t, page, 'stage-a-operations');

  // Live: a new operation and the dropped counts show without a reload.
  store.statusValue.dropped.spans = 5;
  store.addOperation({ target: 'live_tool' });
  await page.locator('tr.operation').nth(4).waitFor();
  assert.equal(await page.locator('tr.operation .target').first().textContent(), 'live_tool');
  await page.locator('#dropped').waitFor();
  assert.equal(
    await page.locator('#dropped').textContent(),
    'Dropped, oldest first, at the caps: 5 spans (keeps 100,000).',
  );

  // Filters from the facets, and the text search.
  assert.deepEqual(await texts(page, 'select[name=outcome] option'), [
    'All outcomes',
    'caller fault',
    'ok',
    'tool error',
  ]);
  await page.selectOption('select[name=outcome]', 'tool_error');
  await page.waitForFunction(() => document.querySelectorAll('tr.operation').length === 1);
  assert.deepEqual(await texts(page, 'tr.operation .target'), ['flaky']);
  await page.selectOption('select[name=outcome]', '');
  await page.fill('input[type=search]', 'onerror');
  await page.waitForFunction(() => document.querySelectorAll('tr.operation').length === 1);
  assert.deepEqual(await texts(page, 'tr.operation .target'), [HOSTILE_TOOL]);
  await page.fill('input[type=search]', '');
  await page.waitForFunction(() => document.querySelectorAll('tr.operation').length === 5);

  // A click opens the trace: the waterfall across both services, indented by parent, a colour each with a legend.
  await page.locator('tr.operation', { hasText: 'agent' }).last().click();
  await page.locator('.span-row').nth(2).waitFor();
  assert.equal(new URL(page.url()).hash, `#/trace/${TRACE_ID}/a000000000000001`);
  assert.deepEqual(await texts(page, '.span-row .span-name'), [
    'tools/call get_weather',
    'tools/call get_weather',
    'GET',
  ]);
  assert.deepEqual(await texts(page, '.span-row .span-service'), ['agent', 'weather-server', 'weather-server']);
  assert.deepEqual(
    await page.locator('.span-row').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-level'))),
    ['1', '2', '3'],
  );
  assert.deepEqual(await texts(page, '.legend li'), ['agent', 'weather-server']);
  const colours = await page
    .locator('.span-row .bar')
    .evaluateAll((bars) => bars.map((bar) => getComputedStyle(bar).backgroundColor));
  assert.equal(colours[1], colours[2]);
  assert.notEqual(colours[0], colours[1]);
  // The client's captured arguments, pretty-printed as text.
  assert.equal(
    await page
      .locator('#details table.attributes tr', { hasText: 'gen_ai.tool.call.arguments' })
      .locator('pre')
      .textContent(),
    '{\n  "city": "Paris",\n  "units": "metric"\n}',
  );

  // The server's span: its attributes and the pino line logged inside it.
  await page.locator('.span-row', { hasText: 'weather-server' }).first().click();
  await page.waitForFunction(() => location.hash.endsWith('/b000000000000002'));
  assert.equal(await page.locator('#details .span-title').textContent(), 'tools/call get_weather');
  assert.deepEqual(await texts(page, '#details .log .log-body'), [LOG_LINE]);
  assert.deepEqual(await texts(page, '#details .log .severity'), ['info']);
  assert.equal(
    await page.locator('#details table.attributes tr', { hasText: 'mcp.session.id' }).locator('td').textContent(),
    'session-1',
  );
  await screenshot(t, page, 'stage-a-trace');

  // The session of the trace, oldest first.
  await page.locator('.trace-summary a.session-link').click();
  await page.waitForFunction(() => location.hash === '#/session/session-1');
  await page.locator('.view-session tr.operation').nth(3).waitFor();
  assert.deepEqual(await texts(page, '.view-session tr.operation .target'), [
    'get_weather',
    'get_weather',
    'flaky',
    'live_tool',
  ]);
  await screenshot(t, page, 'stage-a-session');

  // The failing tool: a tool error, its exception's stack as preformatted text, a parent that was not received.
  await page.goto(`${url}#/trace/${FAILING_TRACE_ID}`);
  await page.locator('#details .exception pre').waitFor();
  assert.equal(await page.locator('.span-row .outcome').textContent(), 'tool error');
  assert.equal(await page.locator('.span-row .orphan').textContent(), 'parent not received');
  assert.equal(await page.locator('#details .exception p').textContent(), 'TimeoutError: the upstream timed out');
  assert.equal(
    await page.locator('#details .exception pre').textContent(),
    'TimeoutError: the upstream timed out\n    at flaky (server.js:12:9)',
  );
  assert.equal(await page.locator('#details .status-message').textContent(), 'the upstream timed out');
  await screenshot(t, page, 'stage-a-exception');

  // The hostile tool's trace: its name and its arguments (with </script>) are text.
  await page.goto(`${url}#/trace/${HOSTILE_TRACE_ID}`);
  await page.locator('#details .span-title').waitFor();
  assert.equal(await page.locator('#details .span-title').textContent(), `tools/call ${HOSTILE_TOOL}`);
  assert.equal(
    await page
      .locator('#details table.attributes tr', { hasText: 'gen_ai.tool.call.arguments' })
      .locator('pre')
      .textContent(),
    JSON.stringify({ note: HOSTILE_ARGUMENT }, null, 2),
  );
  assert.equal(
    await page.locator('#details table.attributes tr', { hasText: 'error.message' }).locator('td').textContent(),
    HOSTILE_ARGUMENT,
  );
  assert.equal(await page.locator('main img, main script').count(), 0);
  await screenshot(t, page, 'stage-a-hostile');

  // Per tool and per server: count, percentiles, error rate, a chart of the buckets.
  await page.locator('#tabs a[data-view=stats]').click();
  await page.locator('table.stats').nth(1).waitFor();
  const toolRows = await page
    .locator('table.stats')
    .first()
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [...row.cells].slice(0, 8).map((cell) => cell.textContent)));
  assert.deepEqual(toolRows, [
    ['get_weather', 'weather-server', 'server', '10', '12.5 ms', '40.2 ms', '48.9 ms', '0.0%'],
    ['flaky', 'weather-server', 'server', '4', '12.5 ms', '40.2 ms', '48.9 ms', '75.0%'],
    [HOSTILE_TOOL, 'agent', 'client', '1', '12.5 ms', '40.2 ms', '48.9 ms', '100.0%'],
  ]);
  assert.deepEqual(
    await page
      .locator('table.stats')
      .first()
      .locator('svg.chart')
      .evaluateAll((charts) => charts.map((c) => c.querySelectorAll('rect').length)),
    [12, 12, 12],
  );
  assert.deepEqual(await texts(page, 'table.stats >> nth=1 >> tbody td.what'), ['tools/call']);
  await screenshot(t, page, 'stage-a-stats');

  // Unknown trace: said so, no error.
  await page.goto(`${url}#/trace/${'e'.repeat(32)}`);
  await page.locator('main .empty').waitFor();
  assert.equal(await page.locator('main .empty').textContent(), 'No span of this trace is stored.');
  // The 404 answer is logged by Chromium as a failed resource load; it is the one expected console error.
  const expected = problems.filter((line) => /404 \(Not Found\)/.test(line));
  assert.equal(expected.length, 1, problems.join('\n'));
  await assertClean(
    page,
    problems.filter((line) => !expected.includes(line)),
  );
});
