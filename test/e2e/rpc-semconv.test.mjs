// End to end: OTEL_SEMCONV_STABILITY_OPT_IN and its configuration-file form choose the name of the JSON-RPC error code
// on spans and on the operation metrics. A preloaded stdio client (SDK v1) asks a preloaded server for `prompts/list`,
// which it has not: -32601 on both sides (an error on the CLIENT span, a caller fault on the SERVER span). By default
// `rpc.response.status_code` (the MCP conventions' name); with `rpc` only `rpc.status_code` (the stable RPC
// conventions'); with `rpc/dup` both; the file's `instrumentation/development.general.rpc.semconv` wins over the
// variable.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { APP_DIR, diagLines, run } from '../helpers/processes.mjs';

const CLIENT = 3;
const SERVER = 2;
const ERROR = 2;
const UNSET = 0;
const DIR = join(APP_DIR, '..', `rpc-semconv-${process.pid}`);
const OLD = 'rpc.response.status_code';
const STABLE = 'rpc.status_code';

let receiver;
before(async () => {
  receiver = await startReceiver();
  mkdirSync(DIR, { recursive: true });
});
after(() => {
  rmSync(DIR, { recursive: true, force: true });
  return receiver?.close();
});

/** Runs the client (and its server) with `env`; both processes' spans and metrics are in the receiver once it returns. */
async function runPair(name, env) {
  const services = { client: `${name}-client`, server: `${name}-server` };
  const result = await run('mcp/rpc-error-client.mjs', {
    env: { OTEL_SERVICE_NAME: services.client, SERVER_SERVICE_NAME: services.server, ...env },
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '-32601\n');
  // No warning: tokens of other domains are other instrumentations'.
  assert.deepEqual(diagLines(result.stderr), []);
  await receiver.waitFor(() =>
    Object.values(services).every(
      (service) =>
        receiver.metrics.some((m) => m.resource['service.name'] === service) &&
        receiver.spans.some((s) => s.resource['service.name'] === service && s.name === 'prompts/list'),
    ),
  );
  return services;
}

const envOf = (extra) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_LOGS_EXPORTER: 'none', OTEL_METRIC_EXPORT_INTERVAL: '60000', ...extra });

/** The `prompts/list` span of `service`, and its point of the operation metric. */
function recorded(service, side) {
  const spans = receiver.spans.filter((s) => s.resource['service.name'] === service && s.name === 'prompts/list');
  assert.equal(spans.length, 1, `${service}: one prompts/list span`);
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === `mcp.${side}.operation.duration`);
  assert.equal(metrics.length, 1, `${service}: one export of the operation metric`);
  const points = metrics[0].dataPoints.filter((p) => p.attributes['mcp.method.name'] === 'prompts/list');
  assert.equal(points.length, 1, `${service}: one prompts/list point`);
  return { span: spans[0], point: points[0] };
}

/** Asserts both sides: `codes` is the status code attribute(s) they must carry, and nothing else of the kind. */
function assertCodes(services, codes) {
  const common = { 'mcp.method.name': 'prompts/list', 'mcp.protocol.version': '2025-11-25', 'network.transport': 'pipe' };
  const client = recorded(services.client, 'client');
  assert.equal(client.span.kind, CLIENT);
  assert.deepEqual(client.span.status, { code: ERROR, message: 'Method not found' });
  // Each side names its peer on its spans; the client's points name the server.
  const serverNamed = { 'mcp.server.name': 'e2e-server', 'mcp.server.version': '1.0.0' };
  const clientNamed = { 'mcp.client.name': 'rpc-error-client', 'mcp.client.version': '1.0.0' };
  assert.deepEqual(client.span.attributes, { ...common, ...serverNamed, 'jsonrpc.request.id': '1', 'error.type': '-32601', ...codes });
  assert.deepEqual(client.point.attributes, { ...common, ...serverNamed, 'error.type': '-32601', ...codes });
  assert.equal(client.point.count, 1);
  // The server answered as it should (a caller fault): the code, not an error.
  const server = recorded(services.server, 'server');
  assert.equal(server.span.kind, SERVER);
  assert.equal(server.span.status.code, UNSET);
  assert.deepEqual(server.span.attributes, { ...common, ...clientNamed, 'jsonrpc.request.id': '1', ...codes });
  assert.deepEqual(server.point.attributes, { ...common, ...codes });
}

test('by default: rpc.response.status_code, the MCP conventions\' name, on spans and points', async () => {
  assertCodes(await runPair('semconv-default', envOf({})), { [OLD]: '-32601' });
});

test('OTEL_SEMCONV_STABILITY_OPT_IN=http,rpc: rpc.status_code only (http is another instrumentation\'s)', async () => {
  assertCodes(await runPair('semconv-rpc', envOf({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,rpc' })), { [STABLE]: '-32601' });
});

test('OTEL_SEMCONV_STABILITY_OPT_IN=rpc, rpc/dup: both names (rpc/dup wins over rpc)', async () => {
  assertCodes(await runPair('semconv-dup', envOf({ OTEL_SEMCONV_STABILITY_OPT_IN: 'rpc, rpc/dup' })), { [OLD]: '-32601', [STABLE]: '-32601' });
});

test('a configuration file: general.rpc.semconv version 1 with dual_emit gives both names, over the variable', async () => {
  const file = join(DIR, 'dual-emit.yaml');
  writeFileSync(
    file,
    `file_format: "1.0"
resource:
  attributes:
    - name: service.name
      value: \${OTEL_SERVICE_NAME}
tracer_provider:
  processors:
    - batch:
        exporter:
          otlp_http:
            endpoint: ${receiver.url}/v1/traces
meter_provider:
  readers:
    - periodic:
        interval: 60000
        exporter:
          otlp_http:
            endpoint: ${receiver.url}/v1/metrics
instrumentation/development:
  general:
    rpc:
      semconv:
        version: 1
        dual_emit: true
`,
  );
  // The variable says `rpc` (the stable name only): the file wins.
  const services = await runPair('semconv-file', { OTEL_CONFIG_FILE: file, OTEL_SEMCONV_STABILITY_OPT_IN: 'rpc' });
  assertCodes(services, { [OLD]: '-32601', [STABLE]: '-32601' });
});
