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
import { APP_DIR, ROOT, run, start } from '../helpers/processes.mjs';
import {
  createFakeStore,
  FAILING_TRACE_ID,
  HOSTILE_ARGUMENT,
  HOSTILE_TOOL,
  HOSTILE_TRACE_ID,
  LOG_LINE,
  TRACE_ID,
  TRUNCATED_TRACE_ID,
  CUT_RESULT,
} from '../helpers/view-fake-store.mjs';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium.mjs';

const require = createRequire(import.meta.url);
const ARTIFACTS = join(ROOT, '.test-work', 'artifacts', 'view');
const MCP_OTEL = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
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
  assert.deepEqual(await texts(page, '#counts span'), ['6 spans', '1 log', '4 metric points']);
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
  // The whole list again before the search: else the one row of the outcome filter would pass for the search's.
  await page.waitForFunction(() => document.querySelectorAll('tr.operation').length === 5);
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

  // The open trace is fetched again only when the store received spans or logs: a change that stored neither (here a
  // refused request) does not refetch it; a new span does, and shows.
  const traceFetches = () => store.calls.filter(([what, id]) => what === 'trace' && id === TRACE_ID).length;
  const fetchesBefore = traceFetches();
  store.statusValue.rejectedRequests = 2;
  store.changed();
  await page.waitForFunction(() => document.getElementById('dropped').textContent.includes('refused'));
  assert.equal(
    await page.locator('#dropped').textContent(),
    'Dropped, oldest first, at the caps: 5 spans (keeps 100,000). ' +
      '2 requests refused (malformed, too large or of another type).',
  );
  store.addSpan(TRACE_ID, 'c000000000000007', 'c000000000000003', 'POST /cache');
  await page.locator('.span-row').nth(3).waitFor();
  assert.deepEqual(await texts(page, '.span-row .span-name'), [
    'tools/call get_weather',
    'tools/call get_weather',
    'GET',
    'POST /cache',
  ]);
  assert.equal(traceFetches(), fetchesBefore + 1, 'one refetch: for the new span, none for the refused request');

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
  // Its result was cut by the preload: no longer JSON, shown as it is with a note.
  const result = page.locator('#details table.attributes tr', { hasText: 'gen_ai.tool.call.result' });
  assert.equal(await result.locator('pre').textContent(), CUT_RESULT);
  assert.equal(await result.locator('.cut-note').textContent(), '(cut by the preload at 8,192 characters)');
  await screenshot(t, page, 'stage-a-exception');

  // A trace larger than one answer says that it shows its first spans and logs.
  await page.goto(`${url}#/trace/${TRUNCATED_TRACE_ID}`);
  await page.locator('.trace-truncated').waitFor();
  assert.equal(
    await page.locator('.trace-truncated').textContent(),
    'Showing the first 2 of 12,000 spans and the first 1 of 3 log records, by time.',
  );
  assert.equal(await page.locator('.span-row').count(), 2);

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
  const serviceRows = await page
    .locator('table.stats')
    .nth(1)
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [...row.cells].slice(0, 7).map((cell) => cell.textContent)));
  assert.deepEqual(serviceRows, [['weather-server', 'server', '14', '12.5 ms', '40.2 ms', '48.9 ms', '21.4%']]);
  await screenshot(t, page, 'stage-a-stats');

  // A histogram of 200,000 buckets (a sender's own boundaries) is drawn as 1,000 bars of 200 buckets each.
  const stats = store.stats.bind(store);
  store.stats = () => {
    const answer = stats();
    const bounds = Array.from({ length: 199_999 }, (_, i) => i + 1);
    const counts = Array.from({ length: 200_000 }, (_, i) => (i === 500 ? 7 : 0));
    answer.tools.push({ ...answer.tools[0], tool: 'many_buckets', count: 7, boundsMs: bounds, bucketCounts: counts });
    return answer;
  };
  store.changed();
  await page.waitForFunction(() => document.querySelector('table.stats').tBodies[0].rows.length === 4);
  const chart = page.locator('table.stats').first().locator('tbody tr').nth(3).locator('svg.chart');
  assert.equal(await chart.locator('rect').count(), 1000);
  assert.equal(await chart.locator('rect.bucket:not(.empty)').count(), 1);
  assert.equal(await chart.locator('rect.bucket:not(.empty) title').textContent(), '7 calls 400 ms to 600 ms');

  // 200,000 tool names (a peer can send them): the filter lists them all, and the page goes on.
  const facets = store.facets.bind(store);
  store.facets = () => ({ ...facets(), tools: Array.from({ length: 200_000 }, (_, i) => `tool_${i}`) });
  await page.locator('#tabs a[data-view=operations]').click();
  await page.waitForFunction(() => document.querySelectorAll('select[name=tool] option').length === 200_001);
  assert.equal(await page.locator('select[name=tool] option').last().textContent(), 'tool_199999');
  store.facets = facets;

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

/** Starts the installed `mcp-otel view` on free ports; resolves with its two URLs once it printed them on stderr. */
async function startView(t) {
  const view = start('view', {
    command: MCP_OTEL,
    nodeArgs: [],
    args: ['--port', '0', '--otlp-port', '0'],
    timeoutMs: 120_000,
  });
  t.after(async () => {
    view.kill('SIGTERM');
    const bound = setTimeout(() => view.kill('SIGKILL'), 5000);
    await view.result;
    clearTimeout(bound);
  });
  // One line per address (127.0.0.1 and ::1); the test uses the IPv4 ones.
  const urls = await new Promise((resolve, reject) => {
    const bound = setTimeout(() => reject(new Error(`mcp-otel view printed no URLs: ${view.stderrText()}`)), 15_000);
    const read = () => {
      const viewUrl = /^view: (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m.exec(view.stderrText())?.[1];
      const otlpUrl = /^otlp: (http:\/\/127\.0\.0\.1:[0-9]+)$/m.exec(view.stderrText())?.[1];
      if (viewUrl && otlpUrl) {
        clearTimeout(bound);
        resolve({ viewUrl, otlpUrl });
      }
    };
    view.stderr.on('data', read);
    view.on('close', () => reject(new Error(`mcp-otel view exited: ${view.stderrText()}`)));
    read();
  });
  return { view, ...urls };
}

/** The operation's row of that service and target. */
function operationRow(page, service, target) {
  return page
    .locator('tr.operation')
    .filter({ has: page.locator('td.service', { hasText: service }) })
    .filter({ has: page.locator('.target').getByText(target, { exact: true }) });
}

/** The waterfall's row of that service and span name. */
function spanRow(page, service, name) {
  return page
    .locator('.span-row')
    .filter({ has: page.locator('.span-service', { hasText: service }) })
    .filter({ has: page.locator('.span-name').getByText(name, { exact: true }) });
}

/** The rows of the operations list as [service, kind, method, target, outcome]. */
function operationRows(page) {
  return page
    .locator('tr.operation')
    .evaluateAll((rows) =>
      rows.map((row) => [
        row.cells[2].textContent,
        row.cells[3].textContent,
        row.querySelector('.method').textContent,
        row.querySelector('.target')?.textContent,
        row.querySelector('.outcome').textContent,
      ]),
    );
}

test('stage B: `mcp-otel view` shows what a preloaded client and server send it', { skip }, async (t) => {
  const { viewUrl, otlpUrl } = await startView(t);
  const { page, problems } = await openPage();
  t.after(() => page.close());
  await page.goto(viewUrl);
  await page.locator('.view-operations .empty').waitFor();
  // The page names the endpoint as localhost, which reaches the view whichever loopback address the exporter picks.
  assert.equal(await page.locator('#endpoint').textContent(), `http://localhost:${new URL(otlpUrl).port}`);

  // The page is open before anything is sent: what comes in shows without a reload.
  const logDir = mkdtempSync(join(tmpdir(), 'mcp-otel-view-logs-'));
  t.after(() => rmSync(logDir, { recursive: true, force: true }));
  const client = await run('mcp/view-client.mjs', {
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      OTEL_SERVICE_NAME: 'view-agent',
      SERVER_SERVICE_NAME: 'view-server',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
      LOG_DIR: logDir,
    },
    timeoutMs: 60_000,
  });
  assert.equal(client.code, 0, client.stderr);
  assert.equal(client.stdout.toString(), '5 true noted 42 characters\n');

  // Both sides of each call; the failing tool a tool error on both.
  await page.waitForFunction(() => document.querySelectorAll('tr.operation .target').length >= 6, null, WAIT);
  const rows = await operationRows(page);
  const calls = rows.filter(([, , method]) => method === 'tools/call');
  assert.deepEqual(
    calls.map(([service, kind, , target, outcome]) => [service, kind, target, outcome]).sort(),
    [
      ['view-agent', 'client', HOSTILE_TOOL, 'ok'],
      ['view-agent', 'client', 'add', 'ok'],
      ['view-agent', 'client', 'fail', 'tool error'],
      ['view-server', 'server', HOSTILE_TOOL, 'ok'],
      ['view-server', 'server', 'add', 'ok'],
      ['view-server', 'server', 'fail', 'tool error'],
    ].sort(),
  );
  assert.equal(await page.locator('main img, main script').count(), 0);
  await screenshot(t, page, 'stage-b-operations');

  // The client's `add`: its trace's waterfall holds the agent's span, the client's and the server's, two services.
  await operationRow(page, 'view-agent', 'add').click();
  // Each process exports on its own: the open trace is redrawn as its spans come in.
  await page.waitForFunction(() => document.querySelectorAll('.span-row').length === 7, null, WAIT);
  assert.deepEqual(await texts(page, '.legend li'), ['view-agent', 'view-server']);
  const spans = await page
    .locator('.span-row')
    .evaluateAll((rows) =>
      rows.map((row) => [
        row.getAttribute('aria-level'),
        row.querySelector('.span-service').textContent,
        row.querySelector('.span-name').textContent,
      ]),
    );
  // The agent's span, the client's call under it, the server's under that; in the order they started.
  assert.deepEqual(spans, [
    ['1', 'view-agent', 'agent turn'],
    ['2', 'view-agent', 'tools/call add'],
    ['3', 'view-server', 'tools/call add'],
    ['2', 'view-agent', 'tools/call fail'],
    ['3', 'view-server', 'tools/call fail'],
    ['2', 'view-agent', `tools/call ${HOSTILE_TOOL}`],
    ['3', 'view-server', `tools/call ${HOSTILE_TOOL}`],
  ]);

  // The server's `add` span: the pino line written inside it, correlated.
  await spanRow(page, 'view-server', 'tools/call add').click();
  await page.locator('#details .log .log-body').first().waitFor();
  assert.deepEqual(await texts(page, '#details .log .log-body'), ['adding 2 and 3']);
  await screenshot(t, page, 'stage-b-trace');

  // The failing tool's server span says tool error; the hostile tool's captured arguments are text.
  await spanRow(page, 'view-server', 'tools/call fail').click();
  await page.waitForFunction(() => document.querySelector('#details .span-title')?.textContent === 'tools/call fail');
  assert.equal(await page.locator('#details dd .outcome').textContent(), 'tool error');
  await spanRow(page, 'view-agent', `tools/call ${HOSTILE_TOOL}`).click();
  await page.waitForFunction(
    (name) => document.querySelector('#details .span-title')?.textContent === name,
    `tools/call ${HOSTILE_TOOL}`,
  );
  assert.equal(
    await page
      .locator('#details table.attributes tr', { hasText: 'gen_ai.tool.call.arguments' })
      .locator('pre')
      .textContent(),
    JSON.stringify({ note: HOSTILE_ARGUMENT }, null, 2),
  );
  await screenshot(t, page, 'stage-b-hostile');

  // The client's session (its stdio connection), oldest first.
  await page.locator('.trace-summary a.session-link', { hasText: 'view-agent' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.view-session tr.operation').length === 5, null, WAIT);
  assert.deepEqual(
    await page
      .locator('.view-session tr.operation')
      .evaluateAll((rows) =>
        rows.map((row) => [
          row.cells[2].textContent,
          row.querySelector('.method').textContent,
          row.querySelector('.target')?.textContent ?? null,
        ]),
      ),
    [
      ['view-agent', 'initialize', null],
      ['view-agent', 'notifications/initialized', null],
      ['view-agent', 'tools/call', 'add'],
      ['view-agent', 'tools/call', 'fail'],
      ['view-agent', 'tools/call', HOSTILE_TOOL],
    ],
  );
  await screenshot(t, page, 'stage-b-session');

  // Per tool: one call of each on each side, from the duration histograms the two processes flushed at exit.
  await page.locator('#tabs a[data-view=stats]').click();
  await page.waitForFunction(
    () => document.querySelectorAll('.view-stats table.stats')[0]?.tBodies[0].rows.length === 6,
    null,
    WAIT,
  );
  const toolRows = await page
    .locator('table.stats')
    .first()
    .locator('tbody tr')
    .evaluateAll((rows) => rows.map((row) => [0, 1, 2, 3, 7].map((i) => row.cells[i].textContent)));
  assert.deepEqual(
    toolRows.sort(),
    [
      [HOSTILE_TOOL, 'view-agent', 'client of view-server', '1', '0.0%'],
      [HOSTILE_TOOL, 'view-server', 'server', '1', '0.0%'],
      ['add', 'view-agent', 'client of view-server', '1', '0.0%'],
      ['add', 'view-server', 'server', '1', '0.0%'],
      ['fail', 'view-agent', 'client of view-server', '1', '100.0%'],
      ['fail', 'view-server', 'server', '1', '100.0%'],
    ].sort(),
  );
  await screenshot(t, page, 'stage-b-stats');
  await assertClean(page, problems);
});
