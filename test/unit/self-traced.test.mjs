// Unit tests of servers that trace themselves (self-traced.ts), with SDK 1.32.2 over the in-memory transport and the
// default `merge`: a foreign MCP SERVER span of the same message is folded into ours (made next to ours, or inside it),
// or, when it is already active at receipt, ours is not made and the operation adds to it; an unrelated foreign span
// is left alone. The span processors are wrapped in SelfTracedSpanProcessor, as the distribution wraps them.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { APP_DIR } from '../helpers/processes.mjs';

const { McpInstrumentation, SelfTracedSpanProcessor } = await import('../../dist/index.js');
const exporter = new InMemorySpanExporter();
class CollectingReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
const reader = new CollectingReader();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SelfTracedSpanProcessor([new SimpleSpanProcessor({ exporter })])] }));
registerInstrumentations({ instrumentations: [new McpInstrumentation()], meterProvider: new MeterProvider({ readers: [reader] }) });
const requireSdk = createRequire(join(APP_DIR, 'package.json'));
const { Client } = requireSdk('@modelcontextprotocol/sdk/client/index.js');
const { McpServer } = requireSdk('@modelcontextprotocol/sdk/server/mcp.js');
const { InMemoryTransport } = requireSdk('@modelcontextprotocol/sdk/inMemory.js');
const z = requireSdk('zod');
/** The server's own tracer, as mcp-handler has one. */
const selfTracer = trace.getTracer('self-tracer');

const spans = () => exporter.getFinishedSpans();
const serverSpans = (name) => spans().filter((s) => s.name === name && s.kind === SpanKind.SERVER);

/** A server whose `add` tool may make spans of its own; `wrap(transport)` may wrap the server transport after connect. */
async function callAdd({ inTool, wrap } = {}) {
  const server = new McpServer({ name: 'self-traced', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
    inTool?.();
    return { content: [{ type: 'text', text: String(a + b) }] };
  });
  const client = new Client({ name: 'c', version: '1.0.0' });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  wrap?.(serverTransport);
  await client.connect(clientTransport);
  await new Promise((resolve) => setImmediate(resolve));
  exporter.reset();
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  await new Promise((resolve) => setImmediate(resolve));
  await client.close();
}

beforeEach(() => exporter.reset());

test('merge: a span the server makes next to ours when it answers (like mcp-handler) is folded into ours', async () => {
  await callAdd({
    wrap(transport) {
      // As mcp-handler does: note the request and the client's trace at receipt; write its span as the answer leaves,
      // with the client's trace as a link.
      const received = new Map();
      const onmessage = transport.onmessage;
      transport.onmessage = (message, extra) => {
        if (message.method === 'tools/call') received.set(message.id, propagation.extract(context.active(), message.params._meta));
        return onmessage(message, extra);
      };
      const send = transport.send.bind(transport);
      transport.send = async (message, options) => {
        const clientTrace = received.get(message.id);
        if (clientTrace) {
          const attributes = { 'mcp.method.name': 'tools/call', 'jsonrpc.request.id': String(message.id), 'vendor.outcome': 'success' };
          selfTracer.startSpan('tools/call add', { kind: SpanKind.SERVER, attributes, links: [{ context: trace.getSpanContext(clientTrace) }] }).end();
        }
        return send(message, options);
      };
    },
  });
  const [only, ...more] = serverSpans('tools/call add');
  assert.deepEqual(more, [], 'one SERVER span');
  assert.equal(only.instrumentationScope.name, '@x/mcp-otel');
  assert.equal(only.attributes['vendor.outcome'], 'success', "the server's own attribute is added to ours");
  assert.equal(only.attributes['gen_ai.tool.name'], 'add');
  const clientSpan = spans().find((s) => s.name === 'tools/call add' && s.kind === SpanKind.CLIENT);
  assert.equal(only.parentSpanContext?.spanId, clientSpan.spanContext().spanId, 'ours keeps the trace joined');
});

test('merge: a SERVER span the tool makes inside ours, for the same method, is folded into ours', async () => {
  await callAdd({
    inTool: () => selfTracer.startSpan('tools/call add', { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call', 'vendor.inside': true } }).end(),
  });
  const found = serverSpans('tools/call add');
  assert.deepEqual(found.map((s) => [s.instrumentationScope.name, s.attributes['vendor.inside']]), [['@x/mcp-otel', true]]);
});

/** How many `tools/call add` operations the server has recorded so far (the reader is cumulative). */
async function addOperations() {
  const { resourceMetrics } = await reader.collect();
  const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).filter((m) => m.descriptor.name === 'mcp.server.operation.duration').flatMap((m) => m.dataPoints);
  return points.filter((p) => p.attributes['mcp.method.name'] === 'tools/call' && p.attributes['gen_ai.tool.name'] === 'add').reduce((n, p) => n + p.value.count, 0);
}

test('merge: a foreign SERVER span active when the message arrives gets our attributes, and no span of ours is made', async () => {
  const before = await addOperations();
  await callAdd({
    wrap(transport) {
      const onmessage = transport.onmessage;
      const open = new Map();
      transport.onmessage = (message, extra) => {
        if (message.method !== 'tools/call') return onmessage(message, extra);
        return selfTracer.startActiveSpan('tools/call add', { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call' } }, (span) => {
          open.set(message.id, span);
          return onmessage(message, extra);
        });
      };
      const send = transport.send.bind(transport);
      transport.send = async (message, options) => {
        const result = await send(message, options);
        open.get(message.id)?.end();
        return result;
      };
    },
  });
  const found = serverSpans('tools/call add');
  assert.deepEqual(found.map((s) => s.instrumentationScope.name), ['self-tracer'], 'theirs only');
  const [theirs] = found;
  assert.equal(theirs.attributes['gen_ai.tool.name'], 'add');
  assert.equal(theirs.attributes['gen_ai.operation.name'], 'execute_tool');
  assert.equal(theirs.attributes['jsonrpc.request.id'], '1');
  assert.equal(theirs.attributes['mcp.protocol.version'], '2025-11-25');
  // Our operation metric is recorded all the same.
  assert.equal((await addOperations()) - before, 1);
});

test('an unrelated foreign MCP SERVER span (no shared parent or link) is exported as it is', async () => {
  // A root span: neither its parent nor a link is our span, its parent or its link.
  await callAdd({ inTool: () => selfTracer.startSpan('tools/call add', { kind: SpanKind.SERVER, attributes: { 'mcp.method.name': 'tools/call' } }, trace.deleteSpan(context.active())).end() });
  const found = serverSpans('tools/call add');
  assert.deepEqual(found.map((s) => s.instrumentationScope.name).sort(), ['@x/mcp-otel', 'self-tracer']);
});
