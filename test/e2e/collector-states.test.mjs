// End to end: a first run without a collector, and collectors that misbehave. A preloaded stdio server and a preloaded
// agent, each beside the same app run bare: the exit comes within the bound (2 s by default) whatever the collector
// does, stdout is byte for byte the bare one, and stderr says what is wrong in a line or two.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { refusedUrl, startStubCollector } from '../helpers/stub-collector.mjs';
import { PRELOAD, STDIO_INPUT, diagLines, run, start } from '../helpers/processes.mjs';

/** The flush bound: OTEL_EXPORTER_OTLP_TIMEOUT (10 s by default) capped at 2 s. */
const BOUND_MS = 2000;
/** What a process may take beyond the bound to end (process teardown, a loaded CI machine). */
const SLACK_MS = 700;
/** Exports during the run (not only at exit), and a metric interval at the export timeout (the case that never ended). */
const BUSY_EXPORTS = { OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200', OTEL_METRIC_EXPORT_INTERVAL: '500' };
const SERVER = 'mcp/server-stdio.mjs';
const AGENT = 'mcp/agent-calls.mjs';
const RESPONSES = 3;

/**
 * Runs the stdio server as a host would: the handshake, a tools/list and a tools/call, then `holdMs` of serving, then
 * stdin closes. Returns the result and how long the process took to end after its stdin closed.
 */
async function serve({ nodeArgs = PRELOAD, env = {}, holdMs, holdUntil }) {
  const child = start(SERVER, { nodeArgs, env, timeoutMs: 30_000 });
  child.stdin.write(STDIO_INPUT);
  await new Promise((resolve, reject) => {
    let lines = 0;
    const timer = setTimeout(() => reject(new Error(`no answers: ${child.stderrText()}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      lines += chunk.toString().split('\n').length - 1;
      if (lines >= RESPONSES) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  // Or held until stderr says something (bounded: the assertions then say what was missing).
  for (const deadline = Date.now() + 10_000; holdUntil && !holdUntil.test(child.stderrText()) && Date.now() < deadline; ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const closed = performance.now();
  child.stdin.end();
  const result = await child.result;
  return { ...result, exitDelayMs: performance.now() - closed };
}

let bareServer;
let bareAgent;
before(async () => {
  bareServer = await serve({ nodeArgs: [], holdMs: 100 });
  assert.equal(bareServer.code, 0, bareServer.stderr);
  assert.equal(bareServer.stdout.toString().trim().split('\n').length, RESPONSES);
  bareAgent = await run(AGENT, { nodeArgs: [], env: { AGENT_WAIT_MS: '1500' } });
  assert.equal(bareAgent.code, 0, bareAgent.stderr);
  assert.equal(bareAgent.stdout.toString(), '20 calls, sum 210\n');
});

const stubs = [];
after(() => Promise.all(stubs.map((s) => s.close())));
async function stub(options) {
  const collector = await startStubCollector(options);
  stubs.push(collector);
  return collector;
}

/** Asserts that the preloaded run answered as the bare one, and ended within the bound after its stdin closed. */
function assertServedLikeBare(result, limitMs) {
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.equals(bareServer.stdout), 'stdout differs from the bare run');
  assert.ok(
    result.exitDelayMs < limitMs,
    `ended ${Math.round(result.exitDelayMs)} ms after stdin closed (limit ${limitMs} ms; bare: ${Math.round(bareServer.exitDelayMs)} ms)\n${result.stderr}`,
  );
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const COUNTS = String.raw`(\d+ spans?|\d+ metric exports?|\d+ log records?)(, | and )?`;

test('no collector at all (connection refused): one line when it fails, one at exit, and the exit does not wait', async () => {
  const url = await refusedUrl();
  const result = await serve({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, ...BUSY_EXPORTS }, holdMs: 1500 });
  // Tried and never accepted anything: nothing is waited for.
  assertServedLikeBare(result, SLACK_MS);
  const lines = diagLines(result.stderr);
  assert.equal(lines.length, 2, result.stderr);
  assert.equal(
    lines[0],
    `@x/mcp-otel warn: cannot send traces, metrics and logs to ${url}: connection refused ` +
      '(is an OTLP collector listening there?); dropping them until it answers, one line when it does',
  );
  assert.match(
    lines[1],
    new RegExp(`^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(url)}: connection refused; dropped before: \\d+ spans? and \\d+ metric exports?$`),
  );
});

test('the default endpoint with nothing listening, exporters at their defaults: exits at once; the first batch (500 ms in) says so, the exit says the rest', async () => {
  // OTEL_EXPORTER_OTLP_ENDPOINT unset: http://localhost:4318, where nothing listens on this machine (checked first).
  const probe = await fetch('http://127.0.0.1:4318/v1/traces', { method: 'POST' }).then(
    () => 'listening',
    (err) => err.cause?.code,
  );
  assert.equal(probe, 'ECONNREFUSED', 'this test needs nothing on port 4318');
  // With no endpoint set, spans go out every 500 ms (the local view's delay): held until the first batch has failed,
  // which leaves only the metrics for the exit.
  const result = await serve({ holdMs: 0, holdUntil: /cannot send traces/ });
  assertServedLikeBare(result, SLACK_MS);
  assert.deepEqual(diagLines(result.stderr), [
    '@x/mcp-otel warn: cannot send traces, metrics and logs to http://localhost:4318: connection refused ' +
      '(is an OTLP collector listening there?); dropping them until it answers, one line when it does',
    '@x/mcp-otel warn: at exit, 1 metric export could not be sent to http://localhost:4318: connection refused; ' +
      'dropped before: 4 spans',
  ]);
});

test('OTEL_TRACES_EXPORTER=console alone: spans on stderr, the metrics for localhost:4318 said in one line, no wait', async () => {
  const result = await serve({ env: { OTEL_TRACES_EXPORTER: 'console' }, holdMs: 500 });
  assertServedLikeBare(result, SLACK_MS);
  assert.equal(result.stderr.split('\n').filter((l) => l.startsWith("span { name: 'tools/call add'")).length, 1);
  assert.deepEqual(diagLines(result.stderr), [
    '@x/mcp-otel warn: at exit, 1 metric export could not be sent to http://localhost:4318: ' +
      'connection refused (is an OTLP collector listening there?)',
  ]);
});

const PATH_HINT = " (check the endpoint's path: /v1/traces, /v1/metrics, /v1/logs are appended to OTEL_EXPORTER_OTLP_ENDPOINT)";
for (const [name, options, cause, hint] of [
  ['answering 503', { mode: 'status', status: 503 }, 'HTTP 503 Service Unavailable', ''],
  ['answering 429 with Retry-After', { mode: 'status', status: 429, retryAfter: 1 }, 'HTTP 429 Too Many Requests', ''],
  ['answering 404 (a wrong path)', { mode: 'status', status: 404 }, 'HTTP 404 Not Found', PATH_HINT],
]) {
  test(`a collector ${name}: one line with the status, one at exit, no wait`, async () => {
    const collector = await stub(options);
    const result = await serve({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...BUSY_EXPORTS }, holdMs: 1500 });
    assertServedLikeBare(result, SLACK_MS);
    const lines = diagLines(result.stderr);
    assert.equal(lines.length, 2, result.stderr);
    assert.equal(
      lines[0],
      `@x/mcp-otel warn: cannot send traces, metrics and logs to ${collector.url}: ${cause}${hint}; dropping them until it answers, one line when it does`,
    );
    assert.match(
      lines[1],
      new RegExp(`^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(collector.url)}: ${cause}; dropped before: (${COUNTS})+$`),
    );
    assert.ok(collector.requests.length > 1, 'the collector was asked');
  });
}

test('a collector that accepts and never answers: the process ends without waiting for it, one line', async () => {
  const collector = await stub({ mode: 'silent' });
  const result = await serve({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...BUSY_EXPORTS }, holdMs: 2500 });
  assertServedLikeBare(result, SLACK_MS);
  const lines = diagLines(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0],
    new RegExp(`^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(collector.url)}: no answer to any request so far$`),
  );
  assert.ok(collector.requests.includes('/v1/traces') && collector.requests.includes('/v1/metrics'));
});

test('a slow collector that did answer before: the exit waits for it, at most the bound', async () => {
  const collector = await stub({ mode: 'slow', delayMs: 3000 });
  // The first metric export (at 500 ms) is answered at 3.5 s; stdin closes at 4.5 s, with later exports unanswered.
  const result = await serve({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...BUSY_EXPORTS }, holdMs: 4500 });
  assertServedLikeBare(result, BOUND_MS + SLACK_MS);
  assert.ok(result.exitDelayMs > BOUND_MS - 100, `waited ${Math.round(result.exitDelayMs)} ms: not the bound`);
  const lines = diagLines(result.stderr);
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0],
    new RegExp(`^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(collector.url)}: no answer within the exit bound of 2000 ms$`),
  );
});

test('a collector that goes away and comes back: one line each way, with the count dropped meanwhile; nothing lost after', async () => {
  const first = await startReceiver();
  const url = first.url;
  const port = Number(new URL(url).port);
  const child = start(SERVER, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, ...BUSY_EXPORTS }, timeoutMs: 30_000 });
  let second;
  try {
    child.stdin.write(STDIO_INPUT);
    await first.waitFor((r) => r.spans.some((s) => s.name === 'tools/call add'));
    await first.close();
    // Spans made while it is away: a tools/call, exported 200 ms later into a refused connection.
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 1 } } }) + '\n');
    await waitForLine(child, 'cannot send');
    second = await startReceiver({ port });
    await waitForLine(child, 'takes telemetry again');
    child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 2 } } }) + '\n');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = performance.now();
    child.stdin.end();
    const result = await child.result;
    assert.equal(result.code, 0, result.stderr);
    assert.ok(performance.now() - closed < BOUND_MS, 'a collector that answers is flushed quickly');
    const lines = diagLines(result.stderr);
    assert.equal(lines.length, 2, result.stderr);
    assert.match(lines[0], new RegExp(`^@x/mcp-otel warn: cannot send traces, metrics and logs to ${escape(url)}: connection refused, after \\d attempts; dropping them until it answers, one line when it does$`));
    assert.match(lines[1], new RegExp(`^@x/mcp-otel info: ${escape(url)} takes telemetry again; dropped while it did not: (${COUNTS})+$`));
    // The call made after its return arrives: nothing is dropped once it answers. The one made while it was away was
    // retried until it came back (it had taken telemetry before), or was given up and counted.
    const ids = second.spans.filter((s) => s.name === 'tools/call add').map((s) => s.attributes['jsonrpc.request.id']);
    assert.ok(ids.includes('5'), `ids after the return: ${ids}`);
    assert.ok(ids.includes('4') || /dropped while it did not: \d+ spans?/.test(lines[1]), `${ids}: ${lines[1]}`);
  } finally {
    child.kill('SIGKILL');
    await second?.close();
  }
});

/** Resolves when a line of ours containing `text` is on the child's stderr. */
function waitForLine(child, text, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (diagLines(child.stderrText()).some((l) => l.includes(text))) return resolve();
      if (Date.now() - started > timeoutMs) return reject(new Error(`no line with "${text}": ${child.stderrText()}`));
      setTimeout(check, 20);
    };
    check();
  });
}

for (const [name, collectorUrl, expectedLines] of [
  [
    'no collector',
    () => refusedUrl(),
    (url) => [
      `^@x/mcp-otel warn: cannot send traces, metrics and logs to ${escape(url)}: connection refused \\(is an OTLP collector listening there\\?\\); dropping them until it answers, one line when it does$`,
      `^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(url)}: connection refused; dropped before: (${COUNTS})+$`,
    ],
  ],
  [
    'a silent collector',
    async () => (await stub({ mode: 'silent' })).url,
    (url) => [`^@x/mcp-otel warn: at exit, (${COUNTS})+ could not be sent to ${escape(url)}: no answer to any request so far$`],
  ],
]) {
  test(`an agent that called 20 tools, with ${name}: ends as soon as the bare one does, give or take the bound`, async () => {
    const url = await collectorUrl();
    const result = await run(AGENT, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, AGENT_WAIT_MS: '1500', ...BUSY_EXPORTS } });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.equals(bareAgent.stdout));
    // The preload's own startup is in this difference too (about 150 ms).
    assert.ok(
      result.elapsedMs - bareAgent.elapsedMs < SLACK_MS + 300,
      `preloaded ${Math.round(result.elapsedMs)} ms, bare ${Math.round(bareAgent.elapsedMs)} ms\n${result.stderr}`,
    );
    const lines = diagLines(result.stderr);
    const expected = expectedLines(url);
    assert.equal(lines.length, expected.length, result.stderr);
    expected.forEach((pattern, i) => assert.match(lines[i], new RegExp(pattern)));
  });
}

test('process.exit() with no collector: the exit code is kept, one line, no wait', async () => {
  const url = await refusedUrl();
  const result = await run('exit-now.mjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: url, EXIT_CODE: '3' } });
  assert.equal(result.code, 3, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [
    `@x/mcp-otel warn: at exit, 1 span could not be sent to ${url}: connection refused (is an OTLP collector listening there?)`,
  ]);
  assert.ok(result.elapsedMs < 3000, `took ${Math.round(result.elapsedMs)} ms`);
});

test('process.exit() with a silent collector: waits the bound at most, and says so', async () => {
  const collector = await stub({ mode: 'silent' });
  const result = await run('exit-now.mjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, EXIT_CODE: '0' } });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [
    `@x/mcp-otel warn: at exit, 1 span could not be sent to ${collector.url}: no answer within the exit bound of 2000 ms`,
  ]);
  assert.ok(result.elapsedMs < BOUND_MS + 1500, `took ${Math.round(result.elapsedMs)} ms`);
});

test('SIGTERM with a silent collector that accepted before: ends by the signal within the bound', async () => {
  const collector = await stub({ mode: 'slow', delayMs: 1000 });
  const child = start(SERVER, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...BUSY_EXPORTS }, timeoutMs: 30_000 });
  child.stdin.write(STDIO_INPUT);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const sent = performance.now();
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.signal, 'SIGTERM', result.stderr);
  assert.ok(performance.now() - sent < BOUND_MS + SLACK_MS, `took ${Math.round(performance.now() - sent)} ms`);
});

test('OTEL_SDK_DISABLED with a value that is not true or false: one line, and telemetry stays on', async () => {
  for (const value of ['1', 'yes']) {
    const result = await run('span.mjs', { env: { OTEL_SDK_DISABLED: value, OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diagLines(result.stderr), [
      `@x/mcp-otel warn: OTEL_SDK_DISABLED: "${value}" is neither true nor false; telemetry stays on (OTEL_SDK_DISABLED=true turns it off)`,
    ]);
    assert.match(result.stderr, /^span \{ name: 'fixture-span'/m);
  }
  const off = await run('span.mjs', { env: { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'console' } });
  assert.equal(off.stderr, '');
});

test('a bad OTEL_EXPORTER_OTLP_ENDPOINT: our one line per variable, none of upstream’s about the same value', async () => {
  const result = await run('span.mjs', {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: '::bad', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nope', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [
    '@x/mcp-otel warn: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "nope" is not an http(s) URL; using the default endpoint',
    '@x/mcp-otel warn: OTEL_EXPORTER_OTLP_ENDPOINT: "::bad" is not an http(s) URL; using the default endpoint',
    '@x/mcp-otel warn: at exit, 1 span could not be sent to http://localhost:4318: connection refused (is an OTLP collector listening there?)',
  ]);
});

test('process.exit() while a batch is being delivered: each span arrives once (the written request is not sent again)', async () => {
  // The collector records each request at once and answers it 1.5 s later: at the exit, 300 ms after the first batch
  // was sent, its request is written out and waiting for the answer.
  const receiver = await startReceiver({ answerDelayMs: 1500 });
  try {
    const result = await run('exit-while-exporting.mjs', {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100', WAIT_MS: '400', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    });
    assert.equal(result.code, 0, result.stderr);
    await receiver.waitFor((r) => r.spans.some((s) => s.name === 'queued-at-exit'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      receiver.spans.map((s) => s.name).sort(),
      ['in-flight-0', 'in-flight-1', 'in-flight-2', 'queued-at-exit'],
    );
    assert.equal(receiver.requests.filter((r) => r.path === '/v1/traces').length, 2, 'the batch, then the exit flush');
    assert.deepEqual(diagLines(result.stderr), []);
  } finally {
    await receiver.close();
  }
});
