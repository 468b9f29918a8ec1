// End to end: fixture apps started as users start them, `node --import @x/mcp-otel/register app` from a directory where
// the package is installed from its `npm pack` tarball, exporting real OTLP/HTTP protobuf to a receiver on 127.0.0.1.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { APP_DIR, PRELOAD, STDIO_INPUT, childEnv, diagLines, run, start, waitForStderr } from '../helpers/processes.mjs';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());
beforeEach(() => receiver.reset());

/** The environment of a preloaded app exporting to the test receiver. */
const exportEnv = (extra = {}) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...extra });

/** Waits a moment longer than any flush could take, then returns the spans by name. */
async function settledSpanNames(ms = 300) {
  await new Promise((r) => setTimeout(r, ms));
  return receiver.spans.map((s) => s.name).sort();
}

for (const file of ['span.mjs', 'span.cjs']) {
  test(`${file}: a span made through @opentelemetry/api arrives with service.name and OTEL_RESOURCE_ATTRIBUTES`, async () => {
    const format = file.endsWith('.mjs') ? 'esm' : 'cjs';
    const result = await run(file, {
      env: exportEnv({ OTEL_SERVICE_NAME: `fixture-${format}`, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=mcp%20tools' }),
    });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), `${format} app done\n`);
    assert.deepEqual(diagLines(result.stderr), []);
    const [span] = await receiver.waitFor((r) => r.spans.length > 0 && r.spans);
    assert.equal(span.name, 'fixture-span');
    assert.equal(span.scope, 'fixture');
    assert.deepEqual(span.attributes, { 'fixture.format': format });
    assert.equal(span.resource['service.name'], `fixture-${format}`);
    assert.equal(span.resource['deployment.environment.name'], 'test');
    assert.equal(span.resource.team, 'mcp tools');
    assert.equal(span.resource['telemetry.sdk.language'], 'nodejs');
    assert.equal(span.resource['process.pid'] > 0, true);
    assert.equal(typeof span.resource['host.name'], 'string');
    assert.equal(typeof span.resource['service.instance.id'], 'string');
    assert.deepEqual(await settledSpanNames(), ['fixture-span']);
  });
}

test('a stdio MCP server writes byte-identical stdout with and without the preload, even at debug level with console exporters', async () => {
  const bare = await run('stdio-server.mjs', { nodeArgs: [], input: STDIO_INPUT });
  assert.equal(bare.code, 0, bare.stderr);
  const lines = bare.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.id), [1, 2, 3]);
  assert.deepEqual(lines[2].result.content, [{ type: 'text', text: '5' }]);

  const preloaded = await run('stdio-server.mjs', { input: STDIO_INPUT, env: exportEnv() });
  assert.equal(preloaded.code, 0, preloaded.stderr);
  assert.ok(preloaded.stdout.equals(bare.stdout), 'stdout differs under the preload');

  const noisy = await run('stdio-server.mjs', {
    input: STDIO_INPUT,
    env: { OTEL_LOG_LEVEL: 'debug', OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'console', OTEL_LOGS_EXPORTER: 'console', OTEL_METRIC_EXPORT_INTERVAL: '100' },
  });
  assert.equal(noisy.code, 0, noisy.stderr);
  assert.ok(noisy.stdout.equals(bare.stdout), 'stdout differs at debug level with console exporters');
  // The diagnostics went to stderr instead, one line each.
  assert.match(noisy.stderr, /^@x\/mcp-otel debug: @x\/mcp-otel \d+\.\d+\.\d+ started: traces=console metrics=console logs=console instrumentations=mcp,http,undici,pino,winston$/m);
  assert.ok(diagLines(noisy.stderr).length > 5);
  // Which MCP implementation was found, and how: one line per SDK file hooked, with its version.
  const hooked = diagLines(noisy.stderr).filter((l) => l.includes('MCP SDK hooked'));
  assert.deepEqual(hooked, [
    '@x/mcp-otel debug: MCP SDK hooked by name: @modelcontextprotocol/sdk/dist/esm/shared/protocol.js 1.32.2',
    '@x/mcp-otel debug: MCP SDK hooked by name: @modelcontextprotocol/sdk/dist/esm/server/mcp.js 1.32.2',
  ]);
});

test('console exporters write one line per span to stderr', async () => {
  const result = await run('span.mjs', { env: { OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), 'esm app done\n');
  const spanLines = result.stderr.split('\n').filter((l) => l.startsWith('span '));
  assert.equal(spanLines.length, 1);
  assert.match(spanLines[0], /name: 'fixture-span'/);
  assert.match(spanLines[0], /attributes: \{ 'fixture\.format': 'esm' \}/);
});

test('OTEL_SDK_DISABLED=true: nothing loaded, nothing patched, nothing exported', async () => {
  // The same probe with the SDK on shows that each check can see the preload's work.
  const on = await run('probe.mjs', { env: exportEnv() });
  assert.match(on.stderr, /probe \{"apiGlobal":true,"httpPatched":true,"recording":true,"loaded":\d+\}/);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'probe-span'));
  receiver.reset();

  const off = await run('probe.mjs', { env: exportEnv({ OTEL_SDK_DISABLED: 'true' }) });
  assert.equal(off.code, 0);
  assert.equal(off.stderr, 'probe {"apiGlobal":false,"httpPatched":false,"recording":false,"loaded":0}\n');
  assert.deepEqual(await settledSpanNames(500), []);
  assert.equal(receiver.requests.length, 0);
});

test('the span exporter loads right after the first span, not at startup nor inside a later call; metrics and logs exporters at their first export', async () => {
  // No export in either run: the batch delay is longer than the app lives, and the app ends before a metric export.
  const env = exportEnv({ OTEL_BSP_SCHEDULE_DELAY: '60000' });
  const none = await run('exporters-loaded.mjs', { args: ['none'], env });
  assert.equal(none.code, 0, none.stderr);
  assert.match(none.stderr, /^exporters \{"traces":false,"metrics":false,"logs":false\}$/m);
  const span = await run('exporters-loaded.mjs', { args: ['span'], env });
  assert.equal(span.code, 0, span.stderr);
  assert.match(span.stderr, /^exporters \{"traces":true,"metrics":false,"logs":false\}$/m);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'first-span'));
});

test('given twice (two installed copies, --import and NODE_OPTIONS): one SDK, each span exported once', async () => {
  const secondCopy = join(APP_DIR, 'node_modules', '@x', 'mcp-otel', 'register.mjs');
  // A second copy of the package at another path, as a second installation would be.
  const { cpSync, rmSync } = await import('node:fs');
  const copyDir = join(APP_DIR, '..', 'second-copy');
  rmSync(copyDir, { recursive: true, force: true });
  cpSync(join(APP_DIR, 'node_modules', '@x', 'mcp-otel'), join(copyDir, 'node_modules', '@x', 'mcp-otel'), { recursive: true, dereference: true });
  const result = await run('span.mjs', {
    nodeArgs: [...PRELOAD, '--import', join(copyDir, 'node_modules', '@x', 'mcp-otel', 'register.mjs')],
    env: exportEnv({ OTEL_LOG_LEVEL: 'debug', NODE_OPTIONS: `--import ${secondCopy}` }),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr.match(/ started: /g)?.length, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /duplicate registration/i);
  await receiver.waitFor((r) => r.spans.length > 0);
  assert.deepEqual(await settledSpanNames(), ['fixture-span']);
});

test('a worker thread starts no second SDK: only the main thread exports', async () => {
  const result = await run('worker.mjs', { env: exportEnv({ OTEL_LOG_LEVEL: 'debug' }) });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stderr.match(/ started: /g)?.length, 1);
  await receiver.waitFor((r) => r.spans.length > 0);
  assert.deepEqual(await settledSpanNames(), ['main-thread-span']);
});

test('bad values: the app runs, stderr names each bad variable once, the good settings still apply', async () => {
  const result = await run('span.mjs', {
    env: {
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 'abc',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-tenant=acme,this-one-is-broken',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
      OTEL_METRICS_EXPORTER: 'prometheus-ish',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_LOG_LEVEL: 'chatty',
    },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), 'esm app done\n');
  const warnings = diagLines(result.stderr);
  for (const name of ['OTEL_TRACES_SAMPLER_ARG', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_PROTOCOL', 'OTEL_METRICS_EXPORTER', 'OTEL_LOG_LEVEL']) {
    assert.equal(warnings.filter((l) => l.startsWith(`@x/mcp-otel warn: ${name}: `)).length, 1, `${name} in:\n${warnings.join('\n')}`);
  }
  assert.equal(warnings.length, 6, warnings.join('\n'));
  // Ratio 1 (the fallback) samples the span; the valid header entry is sent.
  const [span] = await receiver.waitFor((r) => r.spans.length > 0 && r.spans);
  assert.equal(span.name, 'fixture-span');
  const traceRequest = receiver.requests.find((r) => r.path === '/v1/traces');
  assert.equal(traceRequest.headers['x-tenant'], 'acme');
  assert.equal(traceRequest.headers['content-type'], 'application/x-protobuf');
});

test('collector unreachable: the app is unaffected and exits within the flush bound', async () => {
  // Port 9 on 127.0.0.1: connection refused, which the exporter retries for up to OTEL_EXPORTER_OTLP_TIMEOUT (10 s).
  const result = await run('span.mjs', { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' } });
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'esm app done\n');
  assert.deepEqual(diagLines(result.stderr), [
    '@x/mcp-otel warn: at exit, 1 span could not be sent to http://127.0.0.1:9: connection refused (is an OTLP collector listening there?)',
  ]);
  assert.ok(result.elapsedMs < 3000, `took ${result.elapsedMs} ms`);
});

test('process.exit(0) right after a span ends: the span still arrives, and the exit code is kept', async () => {
  const result = await run('exit-now.mjs', { env: exportEnv({ EXIT_CODE: '3' }) });
  assert.equal(result.code, 3, result.stderr);
  assert.deepEqual(diagLines(result.stderr), []);
  await receiver.waitFor((r) => r.spans.length > 0);
  assert.deepEqual(await settledSpanNames(), ['before-exit-call']);
  // The resource is complete although the process never got to run its event loop again.
  const [span] = receiver.spans;
  assert.match(span.resource['service.name'], /^unknown_service:/);
  assert.equal(typeof span.resource['host.name'], 'string');
  assert.equal(span.resource['process.pid'] > 0, true);
});

test('SIGTERM with no handler of the app: telemetry flushed, then the process ends by the signal (exit status 143)', async () => {
  // Through a shell, as a container runtime or an MCP host would see it. Every loop here is bounded.
  const errFile = join(APP_DIR, 'sigterm-stderr.txt');
  const script =
    `node ${PRELOAD.join(' ')} long-running.mjs 2>"$ERR" & pid=$!; ` +
    `for i in $(seq 1 200); do grep -q 'fixture ready' "$ERR" 2>/dev/null && break; sleep 0.05; done; ` +
    `kill -TERM $pid; wait $pid; echo "status=$?"`;
  const child = spawn('bash', ['-c', script], {
    cwd: APP_DIR,
    env: childEnv(exportEnv({ ERR: errFile })),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const timer = setTimeout(() => process.kill(-child.pid, 'SIGKILL'), 20_000);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  assert.equal(out.trim(), 'status=143');
  assert.deepEqual(await settledSpanNames(), ['while-running']);
});

test('SIGTERM when the app has its own handler: the app decides how to exit, telemetry is flushed', async () => {
  const child = start('long-running.mjs', { env: exportEnv({ OWN_HANDLER: '1' }) });
  await waitForStderr(child, 'fixture ready');
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, 7);
  assert.equal(result.signal, null);
  await receiver.waitFor((r) => r.spans.length >= 2);
  await settledSpanNames();
  // The app exits 50 ms after the signal, maybe while the signal's flush is still being written: the exit flush then
  // sends that batch (a request not written out cannot have arrived). Counted by id, so that the test says what
  // arrived, not how often; collector-states.test.mjs checks that a written-out batch is not sent twice.
  const unique = new Map(receiver.spans.map((s) => [s.spanId, s.name]));
  assert.deepEqual([...unique.values()].sort(), ['in-app-sigterm-handler', 'while-running']);
});

test('SIGTERM with no handler, seen directly: the child is ended by SIGTERM itself, as without the preload', async () => {
  const child = start('long-running.mjs', { env: exportEnv() });
  await waitForStderr(child, 'fixture ready');
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.code, null);
  assert.equal(result.signal, 'SIGTERM');
  assert.deepEqual(await settledSpanNames(), ['while-running']);
});

test('an app that registered its own global TracerProvider keeps it; stderr says so', async () => {
  const result = await run('span.mjs', { nodeArgs: ['--require', './own-provider.cjs', ...PRELOAD], env: exportEnv() });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^@x\/mcp-otel warn: a global traces provider is already registered; @x\/mcp-otel keeps it and does not register its own$/m);
  assert.match(result.stderr, /^own provider recorded: fixture-span$/m);
  // Its context manager and propagator are kept too: no duplicate registration is attempted.
  assert.doesNotMatch(result.stderr, /duplicate registration/i);
  assert.deepEqual(diagLines(result.stderr).length, 1, result.stderr);
  assert.deepEqual(await settledSpanNames(500), []);
});

test('an app that sets up OpenTelemetry itself after the preload: one line that says whose setup is in charge, no stack', async () => {
  const result = await run('own-sdk-after-preload.mjs', {
    env: exportEnv({ OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' }),
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), 'own provider registered: false\n');
  assert.deepEqual(diagLines(result.stderr), [
    "@x/mcp-otel warn: the app set up OpenTelemetry itself after the preload: the globals the preload registered stay in charge (its providers, context manager and propagator); the app's are not registered. Keep one of the two setups",
  ]);
  assert.doesNotMatch(result.stderr, /duplicate registration|\bat /);
  // The span goes through the preload's provider: its console exporter prints it.
  assert.match(result.stderr, /^span \{ name: 'after-own-setup'/m);
});

test('ESM app: pino, imported with `import`, is instrumented through the loader hook (trace ids on the line, log exported)', async () => {
  const result = await run('pino-esm.mjs', { env: exportEnv() });
  assert.equal(result.code, 0, result.stderr);
  const ids = JSON.parse(result.stdout.toString());
  const lines = result.stderr.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 2);
  assert.equal(lines[0].msg, 'inside the span');
  assert.equal(lines[0].trace_id, ids.traceId);
  assert.equal(lines[0].span_id, ids.spanId);
  assert.equal(lines[0].trace_flags, '01');
  assert.equal(lines[1].msg, 'outside any span');
  assert.equal(lines[1].trace_id, undefined);
  const logs = await receiver.waitFor((r) => r.logs.length >= 2 && r.logs);
  const inside = logs.find((l) => l.body === 'inside the span');
  assert.equal(inside.traceId, ids.traceId);
  assert.equal(inside.spanId, ids.spanId);
  assert.equal(inside.severityText, 'info');
  assert.equal(logs.length, 2);
});

for (const file of ['public-api.cjs', 'public-api.mjs']) {
  test(`the main entry works from ${file.endsWith('.cjs') ? 'require()' : 'import'}`, async () => {
    const result = await run(file, { nodeArgs: [] });
    assert.equal(result.code, 0, result.stderr);
    const { version } = JSON.parse(await (await import('node:fs/promises')).readFile(join(APP_DIR, 'node_modules/@x/mcp-otel/package.json'), 'utf8'));
    assert.deepEqual(JSON.parse(result.stdout.toString()), { name: '@x/mcp-otel', version });
  });
}

for (const [preference, temporality] of [[undefined, 2], ['delta', 1]]) {
  test(`a metric recorded just before a normal exit is exported (temporality preference ${preference ?? 'default'})`, async () => {
    const env = exportEnv(preference ? { OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: preference } : {});
    const result = await run('metric.mjs', { env });
    assert.equal(result.code, 0, result.stderr);
    const [metric] = await receiver.waitFor((r) => r.metrics.filter((m) => m.name === 'fixture.requests').length > 0 && r.metrics);
    assert.equal(metric.unit, '{request}');
    assert.equal(metric.type, 'sum');
    assert.equal(metric.temporality, temporality);
    assert.equal(metric.dataPoints.length, 1);
    assert.deepEqual(metric.dataPoints[0].attributes, { route: '/a' });
    assert.equal(Number(metric.dataPoints[0].asInt ?? metric.dataPoints[0].asDouble), 3);
  });
}
