// The tmcp adapter (src/instrumentation/tmcp.ts) in process, on the real tmcp 1.20 and @tmcp/transport-stdio 0.5 that
// test/setup.mjs installs into .test-work/tmcp, with a controller over an in-memory tracer: what it patches (once, and
// back), what it leaves alone, the transport Proxy (name, statics, instanceof, subclasses), and the spans of messages
// handed to receive() directly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ROOT } from '../helpers/processes.mjs';

const spans = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }).getTracer('test');
const { instrumentTmcpModule, patchTmcpServer } = await import('../../dist/instrumentation/tmcp.js');
const { unpatch } = await import('../../dist/instrumentation/patch.js');

const MODULES = join(ROOT, '.test-work', 'tmcp', 'node_modules');
const load = async (path) => ({ ...(await import(pathToFileURL(join(MODULES, path)).href)) });
const tmcp = await load('tmcp/src/index.js');
const stdio = await load('@tmcp/transport-stdio/src/index.js');
const OriginalMcpServer = tmcp.McpServer;
const OriginalStdioTransport = stdio.StdioTransport;
const originalReceive = OriginalMcpServer.prototype.receive;

const ctl = {
  enabled: true,
  captureEndUser: true,
  content: undefined,
  excluded: new Set(['ping']),
  tracer,
  histograms: undefined,
  metricKeys: { client: [], server: [] },
  statusCodeKeys: ['rpc.response.status_code'],
  recordSession() {},
  emitLog() {},
};

test('a module that is not the shape expected is left alone', () => {
  const exports = { McpServer: class McpServer {} };
  assert.equal(instrumentTmcpModule(exports, 'tmcp', ctl), undefined);
  const transport = { StdioTransport: 'not a class' };
  assert.equal(instrumentTmcpModule(transport, '@tmcp/transport-stdio', ctl), undefined);
  assert.equal(transport.StdioTransport, 'not a class');
  const other = { Something: class {} };
  assert.equal(instrumentTmcpModule(other, '@tmcp/other', ctl), undefined);
});

test("McpServer's prototype is patched once, and unpatch() puts the originals back", () => {
  const found = instrumentTmcpModule(tmcp, 'tmcp', ctl);
  assert.equal(found.proto, OriginalMcpServer.prototype);
  assert.equal(found.patch(found.proto), true);
  assert.notEqual(OriginalMcpServer.prototype.receive, originalReceive);
  assert.equal(patchTmcpServer(found.proto, ctl), false, 'a second patch (another copy of us) does nothing');
  unpatch(found.proto);
  assert.equal(OriginalMcpServer.prototype.receive, originalReceive);
  assert.equal(found.patch(found.proto), true);
});

test('the transport class is exported through a Proxy: same name, prototype, instanceof and subclassing', () => {
  const exports = { ...stdio };
  assert.equal(instrumentTmcpModule(exports, '@tmcp/transport-stdio', ctl), undefined);
  const Tracked = exports.StdioTransport;
  assert.notEqual(Tracked, OriginalStdioTransport);
  assert.equal(Tracked.name, 'StdioTransport');
  assert.equal(Tracked.prototype, OriginalStdioTransport.prototype);
  const server = new OriginalMcpServer({ name: 's', version: '1.0.0', description: 'd' }, { capabilities: {} });
  const instance = new Tracked(server);
  assert.ok(instance instanceof OriginalStdioTransport);
  assert.ok(instance instanceof Tracked);
  class Mine extends Tracked {}
  assert.ok(new Mine(server) instanceof OriginalStdioTransport);
  // Handed the same module again (another copy of us): the Proxy is not wrapped twice.
  const again = { StdioTransport: Tracked };
  instrumentTmcpModule(again, '@tmcp/transport-stdio', ctl);
  assert.equal(again.StdioTransport, Tracked);
});

test('receive(): a SERVER span per request and notification, inside which the handler runs; the answer unchanged', async () => {
  spans.reset();
  const server = new OriginalMcpServer({ name: 's', version: '1.0.0', description: 'd' }, { capabilities: { tools: {} } });
  let active;
  server.tool({ name: 'boom', description: 'throws' }, () => {
    active = trace.getActiveSpan();
    throw new RangeError('out of range');
  });
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const answer = await server.receive({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'boom', arguments: {}, _meta: { traceparent } } });
  assert.deepEqual(answer, { jsonrpc: '2.0', id: 'a', error: { code: -32603, message: 'out of range' } });
  assert.equal(await server.receive({ jsonrpc: '2.0', method: 'notifications/initialized' }), null);
  assert.deepEqual(await server.receive({ jsonrpc: '2.0', id: 1, method: 'ping' }), { jsonrpc: '2.0', id: 1, result: {} });

  const [call, notification, ...rest] = spans.getFinishedSpans();
  assert.equal(rest.length, 0, 'an excluded method (ping) gets no span');
  assert.equal(call.name, 'tools/call boom');
  assert.equal(call.kind, SpanKind.SERVER);
  assert.equal(call.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(call.parentSpanContext.spanId, 'b7ad6b7169203331');
  assert.equal(active.spanContext().spanId, call.spanContext().spanId, 'the tool ran inside the SERVER span');
  assert.deepEqual(call.attributes, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'boom',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': 'a',
    'rpc.response.status_code': '-32603',
    'error.type': '-32603',
  });
  assert.deepEqual(call.status, { code: SpanStatusCode.ERROR, message: 'out of range' });
  assert.deepEqual(
    call.events.map((e) => [e.name, e.attributes['exception.type'], e.attributes['exception.message']]),
    [['exception', 'RangeError', 'out of range']],
  );
  assert.equal(notification.name, 'notifications/initialized');
  assert.deepEqual(notification.attributes, { 'mcp.method.name': 'notifications/initialized' });
});

test('receive() with the instrumentation disabled: no span, the same answer', async () => {
  spans.reset();
  const server = new OriginalMcpServer({ name: 's', version: '1.0.0', description: 'd' }, { capabilities: {} });
  ctl.enabled = false;
  try {
    assert.deepEqual(await server.receive({ jsonrpc: '2.0', id: 2, method: 'nope' }), {
      jsonrpc: '2.0',
      id: 2,
      error: { code: -32601, message: 'MCP error -32601: Method nope not found' },
    });
  } finally {
    ctl.enabled = true;
  }
  assert.equal(spans.getFinishedSpans().length, 0);
});

test('receive() with content sizes on: the sizes of the arguments and of the result the server answers with', async () => {
  spans.reset();
  const server = new OriginalMcpServer({ name: 's', version: '1.0.0', description: 'd' }, { capabilities: { tools: {} } });
  server.tool({ name: 'echo', description: 'echoes' }, () => ({ content: [{ type: 'text', text: 'héllo "😀"\n' }] }));
  const args = { text: 'naïve', n: 1 };
  ctl.captureContentSizes = true;
  let answer;
  try {
    answer = await server.receive({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: args } });
  } finally {
    delete ctl.captureContentSizes;
  }
  const wire = (value) => Buffer.byteLength(JSON.stringify(value), 'utf8');
  assert.ok(answer.result.content, JSON.stringify(answer));
  const [call] = spans.getFinishedSpans();
  assert.equal(call.attributes['mcp.tool.call.arguments.size'], wire(args));
  assert.equal(call.attributes['mcp.tool.call.result.size'], wire(answer.result));
});
