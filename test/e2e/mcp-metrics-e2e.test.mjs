// End to end: a preloaded client and a preloaded stdio server that exit after a few calls. The metrics are exported
// only at shutdown (the export interval is a minute), so nothing of the last interval may be lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { run } from '../helpers/processes.mjs';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const VERSION = '2025-11-25';

/** The data points of metric `name` exported by `service`: one export per process, cumulative. */
function points(service, name) {
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === name);
  assert.equal(metrics.length, 1, `${name} exported once by ${service}`);
  assert.equal(metrics[0].type, 'histogram');
  assert.equal(metrics[0].unit, 's');
  assert.equal(metrics[0].scope, '@x/mcp-otel');
  for (const p of metrics[0].dataPoints) assert.deepEqual(p.explicitBounds, BUCKETS);
  return metrics[0].dataPoints.map((p) => ({ attributes: p.attributes, count: p.count }));
}
const byMethod = (list) => Object.fromEntries(list.map((p) => [`${p.attributes['mcp.method.name']} ${p.attributes['gen_ai.tool.name'] ?? ''}`.trim(), p]));

test('a stdio client and server that exit: all four metrics, from the right processes, counts equal to the calls', async () => {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'metrics-client',
    SERVER_SERVICE_NAME: 'metrics-server',
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
  };
  const result = await run('mcp/client.mjs', { args: ['stdio', 'mcp/server-stdio.mjs'], env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor(() => ['metrics-client', 'metrics-server'].every((s) => receiver.metrics.some((m) => m.resource['service.name'] === s)));

  // The client's points name the server it called (its serverInfo); the server's do not name the client.
  const named = { 'mcp.server.name': 'e2e-server', 'mcp.server.version': '1.0.0' };
  for (const [service, side] of [
    ['metrics-client', 'client'],
    ['metrics-server', 'server'],
  ]) {
    const common = { 'mcp.protocol.version': VERSION, 'network.transport': 'pipe', ...(side === 'client' ? named : {}) };
    const operations = byMethod(points(service, `mcp.${side}.operation.duration`));
    assert.deepEqual(Object.keys(operations).sort(), ['initialize', 'notifications/initialized', 'tools/call add', 'tools/call fail', 'tools/list']);
    for (const p of Object.values(operations)) assert.equal(p.count, 1, JSON.stringify(p));
    assert.deepEqual(operations['tools/call add'].attributes, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool', ...common });
    assert.deepEqual(operations['tools/call fail'].attributes, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'fail',
      'gen_ai.operation.name': 'execute_tool',
      'error.type': 'tool_error',
      ...common,
    });
    assert.deepEqual(points(service, `mcp.${side}.session.duration`), [{ attributes: common, count: 1 }]);
    const other = side === 'client' ? 'server' : 'client';
    assert.equal(receiver.metrics.some((m) => m.resource['service.name'] === service && m.name.startsWith(`mcp.${other}.`)), false);
  }
});

test('process.exit() right after a call: the operation and session points recorded since the last export reach the collector', async () => {
  const service = 'metrics-exit';
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: service,
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
    EXIT_CODE: '3',
  };
  const result = await run('mcp/exit-after-call.mjs', { env, timeoutMs: 30_000 });
  assert.equal(result.code, 3, result.stderr);
  assert.equal(result.stdout.toString(), '3\n');
  await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === service));
  // In-memory: no network attributes; both sides in this one process; the client's points name the server.
  const named = { 'mcp.server.name': 'e2e-server', 'mcp.server.version': '1.0.0' };
  for (const side of ['client', 'server']) {
    const common = { 'mcp.protocol.version': VERSION, ...(side === 'client' ? named : {}) };
    const operations = byMethod(points(service, `mcp.${side}.operation.duration`));
    assert.deepEqual(Object.keys(operations).sort(), ['initialize', 'notifications/initialized', 'tools/call add']);
    assert.deepEqual(operations['tools/call add'], {
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool', ...common },
      count: 1,
    });
  }
  assert.deepEqual(points(service, 'mcp.client.session.duration'), [{ attributes: { 'mcp.protocol.version': VERSION, ...named }, count: 1 }]);
});

test('a normal exit after the flush at beforeExit sends the metrics once, not again at exit', async () => {
  const service = 'metrics-no-exit-resend';
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: service, OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_METRIC_EXPORT_INTERVAL: '60000' };
  const result = await run('mcp/in-memory.mjs', { env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === service));
  await new Promise((resolve) => setTimeout(resolve, 300));
  // points() asserts one export of each metric.
  assert.equal(byMethod(points(service, 'mcp.client.operation.duration'))['tools/call add'].count, 1);
});

for (const temporality of ['cumulative', 'delta']) {
  test(`${temporality}, OTLP/JSON: a periodic export, one more call, then process.exit(): the later point reaches the collector too`, async () => {
    const service = `metrics-exit-after-export-${temporality}`;
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: temporality,
      OTEL_SERVICE_NAME: service,
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
      WAIT_MS: '700',
    };
    const result = await run('mcp/exit-after-call.mjs', { env, timeoutMs: 30_000 });
    assert.equal(result.code, 0, result.stderr);
    const counts = () =>
      receiver.metrics
        .filter((m) => m.resource['service.name'] === service && m.name === 'mcp.client.operation.duration')
        .map((m) => m.dataPoints.filter((p) => p.attributes['gen_ai.tool.name'] === 'add').reduce((n, p) => n + Number(p.count), 0));
    await receiver.waitFor(() => counts().length >= 2, 5000);
    const exported = counts();
    // Cumulative: the last export counts both calls; delta: the exports add up to both.
    if (temporality === 'cumulative') assert.equal(exported.at(-1), 2, JSON.stringify(exported));
    else assert.equal(exported.reduce((a, b) => a + b, 0), 2, JSON.stringify(exported));
  });
}
