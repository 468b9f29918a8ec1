// End to end: OTEL_CONFIG_FILE as the whole configuration of preloaded apps (no other OTEL_* variable set): MCP spans
// exported where the file says, the file's resource and MCP settings, console output on stderr, the flush at
// process.exit() and at SIGTERM, and a file that cannot be used (one error line, the app untouched).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { APP_DIR, STDIO_INPUT, diagLines, run, start, waitForStderr } from '../helpers/processes.mjs';

const OTLP_CLIENT = 3;
const OTLP_SERVER = 2;
const DIR = join(APP_DIR, '..', `config-files-e2e-${process.pid}`);

let receiver;
before(async () => {
  receiver = await startReceiver();
  mkdirSync(DIR, { recursive: true });
});
after(() => {
  rmSync(DIR, { recursive: true, force: true });
  return receiver.close();
});
beforeEach(() => receiver.reset());

let count = 0;
function configFile(text) {
  const file = join(DIR, `otel-${++count}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** A file that exports traces to the test receiver; the service name comes from the environment by substitution. */
const tracesTo = (extra = '', processor = 'batch') => `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: \${OTEL_SERVICE_NAME:-unnamed}
    - name: deployment.environment.name
      value: config-file-test
propagator:
  composite:
    - tracecontext:
    - baggage:
tracer_provider:
  processors:
    - ${processor}:
        exporter:
          otlp_http:
            endpoint: ${receiver.url}/v1/traces
${extra}`;

test('a config file alone: an MCP client and server export one trace where the file says, with its resource and MCP settings', async () => {
  const file = configFile(
    tracesTo(`instrumentation/development:
  js:
    mcp:
      excluded_methods: [tools/list]
`),
  );
  const result = await run('mcp/client.mjs', {
    args: ['stdio', 'mcp/server-stdio.mjs'],
    env: { OTEL_CONFIG_FILE: file, OTEL_SERVICE_NAME: 'file-client', SERVER_SERVICE_NAME: 'file-server' },
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '5 true\n');
  assert.deepEqual(diagLines(result.stderr), []);
  const of = (service, name, kind) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.name === name && s.kind === kind);
  await receiver.waitFor(() => of('file-server', 'tools/call add', OTLP_SERVER).length > 0 && of('file-client', 'agent turn', 1).length > 0);
  const [client] = of('file-client', 'tools/call add', OTLP_CLIENT);
  const [server] = of('file-server', 'tools/call add', OTLP_SERVER);
  assert.equal(server.parentSpanId, client.spanId);
  assert.equal(server.traceId, client.traceId);
  assert.equal(client.parentSpanId, of('file-client', 'agent turn', 1)[0].spanId);
  for (const span of [client, server]) {
    assert.equal(span.resource['deployment.environment.name'], 'config-file-test');
    assert.equal(span.attributes['gen_ai.tool.name'], 'add');
  }
  // Excluded by the file's MCP section; without it, both sides would have a tools/list span.
  assert.deepEqual(receiver.spans.filter((s) => s.name === 'tools/list'), []);
  assert.equal(of('file-server', 'initialize', OTLP_SERVER).length, 1);
});

test('a config file with console exporters and log_level debug: stdout byte-identical, spans and diagnostics on stderr', async () => {
  const bare = await run('stdio-server.mjs', { nodeArgs: [], input: STDIO_INPUT });
  const file = configFile(`file_format: "1.0"
log_level: debug
tracer_provider:
  processors:
    - simple:
        exporter:
          console:
`);
  const preloaded = await run('stdio-server.mjs', { input: STDIO_INPUT, env: { OTEL_CONFIG_FILE: file } });
  assert.equal(preloaded.code, 0, preloaded.stderr);
  assert.ok(preloaded.stdout.equals(bare.stdout), 'stdout differs under the preload');
  assert.match(
    preloaded.stderr,
    new RegExp(`^@x/mcp-otel debug: @x/mcp-otel \\d+\\.\\d+\\.\\d+ started: traces=console metrics=none logs=none instrumentations=mcp,http,undici,pino,winston config=${file}$`, 'm'),
  );
  const spanLines = preloaded.stderr.split('\n').filter((l) => l.startsWith('span '));
  // In the order they ended: the initialize response may go out after notifications/initialized was handled.
  assert.deepEqual(spanLines.map((l) => /name: '([^']+)'/.exec(l)[1]).sort(), ['initialize', 'notifications/initialized', 'tools/call add', 'tools/list']);
  assert.equal(receiver.requests.length, 0);
});

test('a config file: what was recorded before process.exit() is sent, whatever the batch delay', async () => {
  const file = configFile(tracesTo('', 'batch').replace('    - batch:\n', '    - batch:\n        schedule_delay: 60000\n'));
  const result = await run('exit-now.mjs', { env: { OTEL_CONFIG_FILE: file, EXIT_CODE: '4' } });
  assert.equal(result.code, 4);
  assert.deepEqual(diagLines(result.stderr), []);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'before-exit-call'));
  assert.deepEqual(receiver.spans.map((s) => s.name), ['before-exit-call']);
});

test('a config file: SIGTERM flushes, then the process ends by the signal as it would have', async () => {
  const file = configFile(tracesTo('', 'batch').replace('    - batch:\n', '    - batch:\n        schedule_delay: 60000\n'));
  const child = start('long-running.mjs', { env: { OTEL_CONFIG_FILE: file } });
  await waitForStderr(child, 'fixture ready');
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.signal, 'SIGTERM');
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'while-running'));
  assert.deepEqual([...new Set(receiver.spans.map((s) => s.name))], ['while-running']);
});

for (const [what, text, reason] of [
  ['missing', undefined, /does not exist/],
  ['not YAML', 'file_format: "1.0"\ntracer_provider: [\n', /is not valid YAML: /],
  ['invalid against the schema', 'file_format: "1.0"\ntracer_provider:\n  processors: []\n', /\/tracer_provider\/processors must NOT have fewer than 1 items/],
]) {
  test(`a config file that is ${what}: one error line with the reason, no telemetry, the app exactly as bare`, async () => {
    const file = text === undefined ? join(DIR, 'nowhere.yaml') : configFile(text);
    const bare = await run('stdio-server.mjs', { nodeArgs: [], input: STDIO_INPUT });
    const preloaded = await run('stdio-server.mjs', { input: STDIO_INPUT, env: { OTEL_CONFIG_FILE: file, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    assert.equal(preloaded.code, bare.code);
    assert.ok(preloaded.stdout.equals(bare.stdout), 'stdout differs under the preload');
    const lines = diagLines(preloaded.stderr);
    assert.equal(lines.length, 1, preloaded.stderr);
    assert.match(lines[0], /^@x\/mcp-otel error: OTEL_CONFIG_FILE: .+; telemetry is off$/);
    assert.match(lines[0], reason);
    assert.equal(preloaded.stderr, `${lines[0]}\n`);
    // Nothing was patched or recorded either.
    const probe = await run('probe.mjs', { env: { OTEL_CONFIG_FILE: file } });
    assert.match(probe.stderr, /probe \{"apiGlobal":true,"httpPatched":false,"recording":false,"loaded":\d+\}/);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(receiver.requests.length, 0);
  });
}

test('a config file that says disabled: nothing patched, nothing sent, nothing said', async () => {
  const file = configFile(`${tracesTo()}disabled: true\n`);
  const probe = await run('probe.mjs', { env: { OTEL_CONFIG_FILE: file } });
  assert.equal(probe.code, 0);
  assert.match(probe.stderr, /^probe \{"apiGlobal":true,"httpPatched":false,"recording":false,"loaded":\d+\}\n$/);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receiver.requests.length, 0);
});

test("a config file's attribute limits apply to the MCP spans", async () => {
  const file = configFile(`${tracesTo()}attribute_limits:\n  attribute_value_length_limit: 2\n`);
  const result = await run('stdio-server.mjs', { input: STDIO_INPUT, env: { OTEL_CONFIG_FILE: file } });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'tools/call add'));
  const [call] = receiver.spans.filter((s) => s.name === 'tools/call add');
  // Cut to two characters, the ellipsis included (the limit reaches the MCP instrumentation, which cuts visibly below
  // it): the method, the tool, the request id; the span name is not an attribute.
  assert.equal(call.attributes['mcp.method.name'], 't…');
  assert.equal(call.attributes['gen_ai.tool.name'], 'a…');
  assert.equal(call.attributes['jsonrpc.request.id'], '3');
  assert.equal(call.name, 'tools/call add');
});

test('a config file with a simple processor: what was exported in flight at process.exit() is still sent', async () => {
  const file = configFile(tracesTo('', 'simple'));
  const result = await run('exit-now.mjs', { env: { OTEL_CONFIG_FILE: file, EXIT_CODE: '5' } });
  assert.equal(result.code, 5);
  assert.deepEqual(diagLines(result.stderr), []);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'before-exit-call'));
  assert.deepEqual([...new Set(receiver.spans.map((s) => s.name))], ['before-exit-call']);
});

test('a config file is the whole configuration: OTEL_EXPORTER_OTLP_* neither redirect nor add headers, also at exit', async () => {
  const file = configFile(tracesTo('', 'batch').replace('    - batch:\n', '    - batch:\n        schedule_delay: 60000\n'));
  const leaky = { OTEL_EXPORTER_OTLP_HEADERS: 'x-leak=env', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:9/v1/traces' };
  const normal = await run('span.mjs', { env: { OTEL_CONFIG_FILE: file, ...leaky } });
  assert.equal(normal.code, 0, normal.stderr);
  const exited = await run('exit-now.mjs', { env: { OTEL_CONFIG_FILE: file, ...leaky } });
  assert.equal(exited.code, 0, exited.stderr);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'fixture-span') && r.spans.some((s) => s.name === 'before-exit-call'));
  assert.ok(receiver.requests.length >= 2);
  for (const request of receiver.requests) {
    assert.equal(request.path, '/v1/traces');
    assert.equal(request.headers['x-leak'], undefined);
  }
});

test('a config file that cannot be used is said even with OTEL_LOG_LEVEL=none (the file replaces that variable)', async () => {
  const result = await run('span.mjs', { env: { OTEL_CONFIG_FILE: join(DIR, 'nowhere.yaml'), OTEL_LOG_LEVEL: 'none' } });
  assert.equal(result.code, 0);
  assert.equal(result.stdout.toString(), 'esm app done\n');
  assert.deepEqual(diagLines(result.stderr), [`@x/mcp-otel error: OTEL_CONFIG_FILE: ${join(DIR, 'nowhere.yaml')} does not exist; telemetry is off`]);
});

test('a config file with otlp_http encoding json, gzip and headers: the spans arrive as gzipped OTLP/JSON with them', async () => {
  const file = configFile(
    tracesTo().replace(
      `            endpoint: ${receiver.url}/v1/traces\n`,
      `            endpoint: ${receiver.url}/v1/traces\n            encoding: json\n            compression: gzip\n` +
        `            headers_list: x-tenant=acme%20co\n            headers:\n              - name: x-team\n                value: blue\n`,
    ),
  );
  const result = await run('span.mjs', { env: { OTEL_CONFIG_FILE: file } });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'fixture-span'));
  const [request] = receiver.requests;
  assert.equal(request.headers['content-type'], 'application/json');
  assert.equal(request.headers['content-encoding'], 'gzip');
  assert.equal(request.headers['x-tenant'], 'acme co');
  assert.equal(request.headers['x-team'], 'blue');
  assert.deepEqual(receiver.spans.map((s) => [s.name, s.resource['deployment.environment.name']]), [['fixture-span', 'config-file-test']]);
});

test('a config file with otlp_grpc: the exporter opens an HTTP/2 connection to the endpoint the file names', async () => {
  const { createServer } = await import('node:net');
  let first = Buffer.alloc(0);
  const sockets = new Set();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => (first = Buffer.concat([first, chunk])));
    socket.on('error', () => {});
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const file = configFile(`file_format: "1.0"
tracer_provider:
  processors:
    - simple:
        exporter:
          otlp_grpc:
            endpoint: http://127.0.0.1:${server.address().port}
            timeout: 500
`);
    const result = await run('span.mjs', { env: { OTEL_CONFIG_FILE: file, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } });
    assert.equal(result.code, 0, result.stderr);
    for (let waited = 0; first.length < 24 && waited < 2000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    // The client connection preface of HTTP/2, which gRPC speaks; and nothing went to the environment's endpoint.
    assert.equal(first.subarray(0, 24).toString('latin1'), 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
    assert.equal(receiver.requests.length, 0);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});
