// Logs: pino and winston lines written inside an MCP tool carry the ids of its SERVER span; the same records are
// exported once each over OTLP with the MCP attributes; MCP protocol log messages become log records. With SDK v1
// (ESM and CJS) and SDK v2 serving.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, run } from '../helpers/processes.mjs';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const OTLP_SERVER = 2;
const lines = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));

async function runLoggingPair(format, service, extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-logs-'));
  const [client, args] = {
    esm: ['mcp/client.mjs', ['stdio', 'mcp/logging-server.mjs']],
    cjs: ['mcp/client.cjs', ['mcp/logging-server.cjs']],
    // SDK v2 2.4.0 serving, the v1 client calling (the legacy era).
    v2: ['mcp/client.mjs', ['stdio', 'mcp/logging-server-v2.mjs']],
  }[format];
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: `${service}-client`,
    SERVER_SERVICE_NAME: service,
    OTEL_METRICS_EXPORTER: 'none',
    LOG_DIR: dir,
    ...extraEnv,
  };
  const result = await run(client, { args, env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor(() => receiver.spans.some((s) => s.resource['service.name'] === service && s.name === 'tools/call add'));
  const span = receiver.spans.find((s) => s.resource['service.name'] === service && s.name === 'tools/call add');
  assert.equal(span.kind, OTLP_SERVER);
  const read = { pino: lines(join(dir, 'pino.log')), winston: lines(join(dir, 'winston.log')) };
  rmSync(dir, { recursive: true, force: true });
  return { span, ...read };
}

function assertLinesCorrelated({ span, pino, winston }) {
  assert.deepEqual(pino.map((l) => l.msg), ['server starting', 'adding 2 and 3']);
  assert.deepEqual(winston.map((l) => l.message), ['server starting', 'adding 2 and 3']);
  for (const outside of [pino[0], winston[0]]) {
    assert.equal(outside.trace_id, undefined, 'a line outside any span is unchanged');
    assert.equal(outside.span_id, undefined);
  }
  for (const inside of [pino[1], winston[1]]) {
    assert.equal(inside.trace_id, span.traceId);
    assert.equal(inside.span_id, span.spanId);
    assert.equal(inside.trace_flags, '01');
  }
}

for (const format of ['esm', 'cjs', 'v2']) {
  test(`${format}: pino and winston lines inside a tool carry the SERVER span's ids; records exported once, with MCP attributes`, async () => {
    const service = `logs-${format}`;
    const read = await runLoggingPair(format, service);
    assertLinesCorrelated(read);
    await receiver.waitFor(() => receiver.logs.filter((l) => l.resource['service.name'] === service).length >= 5);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const records = receiver.logs.filter((l) => l.resource['service.name'] === service);
    const summary = records.map((r) => `${r.scope}: ${typeof r.body === 'string' ? r.body : JSON.stringify(r.body)}`).sort();
    assert.deepEqual(summary, [
      '@opentelemetry/instrumentation-pino: adding 2 and 3',
      '@opentelemetry/instrumentation-pino: server starting',
      '@opentelemetry/winston-transport: adding 2 and 3',
      '@opentelemetry/winston-transport: server starting',
      '@x/mcp-otel: {"note":"adding","a":2,"b":3}',
    ]);
    const { span } = read;
    for (const record of records.filter((r) => r.body === 'adding 2 and 3')) {
      assert.equal(record.traceId, span.traceId);
      assert.equal(record.spanId, span.spanId);
      assert.equal(record.severityNumber, 9);
      assert.equal(record.severityText, 'info');
      assert.equal(record.attributes['mcp.method.name'], 'tools/call');
      assert.equal(record.attributes['gen_ai.tool.name'], 'add');
    }
    for (const record of records.filter((r) => r.body === 'server starting')) {
      assert.equal(record.traceId, undefined);
      assert.equal(record.attributes['mcp.method.name'], undefined);
    }
    const protocol = records.find((r) => r.scope === '@x/mcp-otel');
    assert.deepEqual(
      { traceId: protocol.traceId, spanId: protocol.spanId, severityNumber: protocol.severityNumber, severityText: protocol.severityText, attributes: protocol.attributes },
      {
        traceId: span.traceId,
        spanId: span.spanId,
        severityNumber: 13,
        severityText: 'warning',
        attributes: { 'mcp.logging.logger': 'fixture-adder', 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' },
      },
    );
  });
}

test('OTEL_LOGS_EXPORTER=none: no log export, the lines are still correlated', async () => {
  const service = 'logs-off';
  const read = await runLoggingPair('cjs', service, { OTEL_LOGS_EXPORTER: 'none' });
  assertLinesCorrelated(read);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(receiver.logs.filter((l) => l.resource['service.name'] === service), []);
});

test('MCP logging levels map to OpenTelemetry severities', async () => {
  const { protocolLogRecord } = await import('../../dist/instrumentation/logs.js');
  const { ROOT_CONTEXT } = await import('@opentelemetry/api');
  const levels = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
  assert.deepEqual(
    levels.map((level) => protocolLogRecord({ level, data: 'x' }, ROOT_CONTEXT).severityNumber),
    [5, 9, 10, 13, 17, 18, 19, 21],
  );
  const record = protocolLogRecord({ level: 'info', data: { k: 1 } }, ROOT_CONTEXT);
  assert.deepEqual([record.severityText, record.body, record.attributes], ['info', { k: 1 }, undefined]);
});

test('pino 7 and winston 3.3, imported from ESM, are correlated too', async () => {
  const result = await run('log-in-span.mjs', {
    cwd: join(ROOT, '.test-work', 'loggers-old'),
    env: { OTEL_TRACES_EXPORTER: 'console', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
    timeoutMs: 20_000,
  });
  assert.equal(result.code, 0, result.stderr);
  const { traceId, spanId } = JSON.parse(result.stdout.toString());
  const logged = result.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const byText = Object.fromEntries(logged.map((l) => [l.msg ?? l.message, l]));
  for (const inside of ['pino inside', 'winston inside']) {
    assert.deepEqual([byText[inside].trace_id, byText[inside].span_id, byText[inside].trace_flags], [traceId, spanId, '01'], inside);
  }
  for (const outside of ['pino outside', 'winston outside']) assert.equal(byText[outside].trace_id, undefined, outside);
});
