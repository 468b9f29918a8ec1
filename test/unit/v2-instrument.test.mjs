// instrument() with SDK v2 classes (2.4.0, CommonJS, over the server package's in-memory transport): an SDK loaded
// before the instrumentation is not patched by the hooks; instrument(McpServer, Server, Client) patches it from its
// classes. Then: the CLIENT and SERVER spans of a call (legacy era), a span made in the tool nests under the SERVER
// span, and a logging message the server sends is a CLIENT span of `notifications/message` and a log record.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { context, logs, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ROOT } from '../helpers/processes.mjs';

// The v2 copy the end-to-end matrix installs (test/setup.mjs), loaded before any instrumentation exists.
const requireV2 = createRequire(join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0', 'package.json'));
const { McpServer, Server, InMemoryTransport } = requireV2('@modelcontextprotocol/server');
const { Client } = requireV2('@modelcontextprotocol/client');
const z = requireV2('zod');

const spans = new InMemorySpanExporter();
const records = new InMemoryLogRecordExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
const loggerProvider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: records })] });
logs.setGlobalLoggerProvider(loggerProvider);
const { McpInstrumentation } = await import('../../dist/index.js');
const instrumentation = new McpInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation], loggerProvider });
const appTracer = trace.getTracer('test-app');

const open = new Set();
after(async () => {
  for (const client of open) await client.close().catch(() => {});
});

async function callAdd() {
  const server = new McpServer({ name: 'v2-unit', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('add', { inputSchema: z.object({ a: z.number(), b: z.number() }) }, async ({ a, b }) => {
    appTracer.startSpan('inside add').end();
    await server.sendLoggingMessage({ level: 'info', data: 'adding' });
    return { content: [{ type: 'text', text: String(a + b) }] };
  });
  const client = new Client({ name: 'v2-unit-client', version: '1.0.0' });
  open.add(client);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  spans.reset();
  records.reset();
  const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(result.content, [{ type: 'text', text: '5' }]);
}

const mcpSpans = () => spans.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@x/mcp-otel');

test('a v2 SDK loaded before the instrumentation: no spans until instrument() is given its classes', async () => {
  await callAdd();
  assert.deepEqual(mcpSpans(), []);
});

test('instrument(McpServer, Server, Client) of v2: the spans of a call, a span in the tool under the SERVER span, and protocol logging as a span and a log record', async () => {
  instrumentation.instrument(McpServer, Server, Client);
  await callAdd();
  const found = mcpSpans();
  const byKey = (name, kind) => found.filter((s) => s.name === name && s.kind === kind);
  const [clientCall] = byKey('tools/call add', SpanKind.CLIENT);
  const [serverCall] = byKey('tools/call add', SpanKind.SERVER);
  assert.ok(clientCall && serverCall, `spans: ${found.map((s) => `${s.kind}:${s.name}`).join(', ')}`);
  assert.equal(serverCall.parentSpanContext?.spanId, clientCall.spanContext().spanId);
  assert.deepEqual(serverCall.attributes, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'add',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': '1',
    'mcp.protocol.version': '2025-11-25',
    'mcp.client.name': 'v2-unit-client',
    'mcp.client.version': '1.0.0',
  });
  const inside = spans.getFinishedSpans().find((s) => s.name === 'inside add');
  assert.equal(inside.parentSpanContext?.spanId, serverCall.spanContext().spanId);
  // The logging message: sent by the server inside the call (a CLIENT span there, a SERVER span in the client).
  const [sentLog] = byKey('notifications/message', SpanKind.CLIENT);
  assert.equal(sentLog.parentSpanContext?.spanId, serverCall.spanContext().spanId);
  assert.equal(byKey('notifications/message', SpanKind.SERVER).length, 1);
  const logged = records.getFinishedLogRecords();
  assert.deepEqual(logged.map((r) => [r.body, r.severityText, r.spanContext?.spanId]), [['adding', 'info', serverCall.spanContext().spanId]]);
});
