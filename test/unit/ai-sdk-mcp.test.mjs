// The @ai-sdk/mcp adapter (src/instrumentation/ai-sdk-mcp.ts) on the real package (2.0.99, the copy test/setup.mjs
// installs into .test-work/ai-sdk), loaded without the ESM hook and handed to the adapter as the hook would: its
// client class found by the throwaway probe and patched once, what the probe leaves (no span, no message), and the
// outcomes of a request against a scripted peer of ours: a JSON-RPC error response, an aborted request, a closed
// connection, the `server/discover` probe refused as the negotiation expects, with the trace context of the CLIENT
// span in the request's `_meta`; the server's own requests to the client (ping, elicitation) as SERVER spans. A module of another shape is left
// alone; disable() puts the methods back.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ROOT } from '../helpers/processes.mjs';

const requireAiSdk = createRequire(join(ROOT, '.test-work', 'ai-sdk', 'package.json'));
const aiSdkMcp = await import(pathToFileURL(requireAiSdk.resolve('@ai-sdk/mcp')).href);
const spans = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
const { McpInstrumentation } = await import('../../dist/index.js');
const { aiSdkTransportFacts, instrumentAiSdkMcp } = await import('../../dist/instrumentation/ai-sdk-mcp.js');
const instrumentation = new McpInstrumentation();
registerInstrumentations({ instrumentations: [instrumentation] });
const ctl = instrumentation.ensureController();
const remembered = [];
const remember = (proto, patch) => {
  remembered.push(proto);
  instrumentation.remember(proto, patch);
};
const { createMCPClient, MCPClientError } = aiSdkMcp;

/** A peer of ours behind a custom transport: it records what the client sends and answers as scripted. */
function scriptedPeer() {
  const sent = [];
  const transport = {
    async start() {},
    async close() {
      this.onclose?.();
    },
    async send(message) {
      sent.push(message);
      if (message.id === undefined) return;
      const reply = (body) => setImmediate(() => transport.onmessage?.({ jsonrpc: '2.0', id: message.id, ...body }));
      if (message.method === 'server/discover') reply({ error: { code: -32601, message: 'Method not found' } });
      if (message.method === 'initialize')
        reply({ result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'peer', version: '1' } } });
      if (message.method === 'tools/call' && message.params.name === 'add') reply({ result: { content: [{ type: 'text', text: '5' }] } });
      if (message.method === 'tools/call' && message.params.name === 'missing')
        reply({ error: { code: -32602, message: 'Tool missing not found' } });
      // `slow` is never answered.
    },
  };
  return { transport, sent };
}

const mcpSpans = () => spans.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@x/mcp-otel');
const open = new Set();
after(async () => {
  for (const client of open) await client.close().catch(() => {});
});

before(() => {
  instrumentAiSdkMcp(aiSdkMcp, ctl, remember);
});

test('the client class is found by the probe and patched once; the probe leaves no span and the exports as they were', async () => {
  assert.equal(remembered.length, 1);
  const [proto] = remembered;
  for (const name of ['requestOnce', 'notification', 'onResponse', 'onRequestMessage', 'onClose']) assert.equal(typeof proto[name], 'function');
  assert.equal(Object.hasOwn(proto, Symbol.for('@x/mcp-otel.patched')), true);
  const patched = proto.requestOnce;
  instrumentAiSdkMcp(aiSdkMcp, ctl, remember);
  assert.equal(proto.requestOnce, patched, 'patched once');
  assert.equal(aiSdkMcp.createMCPClient, createMCPClient);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(mcpSpans(), []);
});

test('a request: its CLIENT span, the trace context in its _meta, the peer error response as error.type', async () => {
  spans.reset();
  const { transport, sent } = scriptedPeer();
  const client = await createMCPClient({ transport, protocolVersionDiscovery: false });
  open.add(client);
  const parentSpan = trace.getTracer('test-app').startSpan('agent');
  const result = await context.with(trace.setSpan(context.active(), parentSpan), () =>
    client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }),
  );
  assert.deepEqual(result.content, [{ type: 'text', text: '5' }]);
  const failure = await client.callTool({ name: 'missing', arguments: {} }).catch((err) => err);
  assert.equal(MCPClientError.isInstance(failure), true);
  assert.equal(failure.message, 'Tool missing not found');
  parentSpan.end();

  assert.deepEqual(
    mcpSpans().map((s) => [s.name, s.kind]),
    [
      ['initialize', SpanKind.CLIENT],
      ['notifications/initialized', SpanKind.CLIENT],
      ['tools/call add', SpanKind.CLIENT],
      ['tools/call missing', SpanKind.CLIENT],
    ],
  );
  const [, , add, missing] = mcpSpans();
  assert.equal(add.parentSpanContext?.spanId, parentSpan.spanContext().spanId);
  assert.deepEqual(add.attributes, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'add',
    'gen_ai.operation.name': 'execute_tool',
    'mcp.protocol.version': '2025-11-25',
    'mcp.server.name': 'peer',
    'mcp.server.version': '1',
    'jsonrpc.request.id': '1',
  });
  const addSent = sent.find((m) => m.params?.name === 'add');
  const { traceId, spanId } = add.spanContext();
  assert.deepEqual(addSent.params, { name: 'add', arguments: { a: 2, b: 3 }, _meta: { traceparent: `00-${traceId}-${spanId}-01` } });
  assert.equal(missing.attributes['rpc.response.status_code'], '-32602');
  assert.equal(missing.attributes['error.type'], '-32602');
  assert.deepEqual(missing.status, { code: SpanStatusCode.ERROR, message: 'Tool missing not found' });
});

test('server/discover answered -32601 (a server of an earlier revision): the status code, not an error; then initialize', async () => {
  spans.reset();
  const { transport, sent } = scriptedPeer();
  // A custom transport that says it can take the probe, as the AI SDK's stdio and HTTP transports do.
  transport.supportsProtocolVersionDiscovery = true;
  const client = await createMCPClient({ transport });
  open.add(client);
  assert.deepEqual(sent.map((m) => m.method), ['server/discover', 'initialize', 'notifications/initialized']);
  const [discover, initialize] = mcpSpans();
  assert.equal(discover.name, 'server/discover');
  assert.deepEqual(discover.attributes, {
    'mcp.method.name': 'server/discover',
    'mcp.protocol.version': '2026-07-28',
    'jsonrpc.request.id': '0',
    'rpc.response.status_code': '-32601',
  });
  assert.deepEqual(discover.status, { code: SpanStatusCode.UNSET });
  assert.equal(initialize.name, 'initialize');
  assert.equal(initialize.attributes['jsonrpc.request.id'], '1');
  assert.equal(initialize.attributes['mcp.protocol.version'], '2025-11-25');
  assert.equal(mcpSpans().length, 3);
});

test("the server's requests to the client: SERVER spans in the server's trace, ended by the client's answer", async () => {
  const { transport, sent } = scriptedPeer();
  const client = await createMCPClient({ transport, protocolVersionDiscovery: false });
  open.add(client);
  spans.reset();
  const serverTrace = '0af7651916cd43dd8448eb211c80319c';
  const serverSpan = 'b7ad6b7169203331';
  const answered = (id) => new Promise((resolve) => {
    const check = () => (sent.some((m) => m.id === id && m.method === undefined) ? resolve() : setImmediate(check));
    check();
  });
  transport.onmessage({ jsonrpc: '2.0', id: 'ping-1', method: 'ping', params: { _meta: { traceparent: `00-${serverTrace}-${serverSpan}-01` } } });
  transport.onmessage({ jsonrpc: '2.0', id: 7, method: 'elicitation/create', params: { message: 'Name?', requestedSchema: { type: 'object', properties: {} } } });
  await Promise.all([answered('ping-1'), answered(7)]);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(sent.filter((m) => m.method === undefined).map(({ id, result, error }) => ({ id, result, error: error?.code })), [
    { id: 'ping-1', result: {}, error: undefined },
    { id: 7, result: undefined, error: -32601 },
  ]);
  const [ping, elicitation] = mcpSpans();
  assert.equal(ping.name, 'ping');
  assert.equal(ping.kind, SpanKind.SERVER);
  assert.equal(ping.spanContext().traceId, serverTrace);
  assert.equal(ping.parentSpanContext?.spanId, serverSpan);
  // The client's spans name the server, whichever way the message went.
  assert.deepEqual(ping.attributes, { 'mcp.method.name': 'ping', 'jsonrpc.request.id': 'ping-1', 'mcp.protocol.version': '2025-11-25', 'mcp.server.name': 'peer', 'mcp.server.version': '1' });
  assert.deepEqual(ping.status, { code: SpanStatusCode.UNSET });
  // Method not found is the caller's fault: the status code, not an error of the side that answered.
  assert.equal(elicitation.name, 'elicitation/create');
  assert.equal(elicitation.kind, SpanKind.SERVER);
  assert.equal(elicitation.attributes['rpc.response.status_code'], '-32601');
  assert.equal(elicitation.attributes['error.type'], undefined);
  assert.equal(mcpSpans().length, 2);
});

test('an aborted request is cancelled; one still open when the client closes ends with the exception', async () => {
  const { transport } = scriptedPeer();
  const client = await createMCPClient({ transport, protocolVersionDiscovery: false });
  spans.reset();
  const abort = new AbortController();
  const aborted = client.callTool({ name: 'slow', arguments: {}, options: { signal: abort.signal } }).catch((err) => err);
  abort.abort('user gave up');
  assert.equal((await aborted).message, 'Request was aborted');
  const closed = client.callTool({ name: 'slow', arguments: {} }).catch((err) => err);
  await new Promise((resolve) => setImmediate(resolve));
  await client.close();
  assert.equal((await closed).message, 'Connection closed');
  const [cancelled, unanswered] = mcpSpans();
  assert.equal(cancelled.attributes['error.type'], 'cancelled');
  assert.deepEqual(cancelled.status, { code: SpanStatusCode.ERROR, message: 'user gave up' });
  assert.equal(unanswered.attributes['error.type'], 'MCPClientError');
  assert.deepEqual(unanswered.status, { code: SpanStatusCode.ERROR, message: 'Connection closed' });
  assert.equal(mcpSpans().length, 2);
});

test("the network attributes of the AI SDK's transports, by class name; an app's own transport has none", () => {
  const named = (name, fields = {}) => Object.assign(new ({ [name]: class {} })[name](), fields);
  assert.deepEqual(aiSdkTransportFacts(named('StdioMCPTransport')), { networkTransport: 'pipe' });
  assert.deepEqual(aiSdkTransportFacts(named('HttpMCPTransport', { url: new URL('http://[::1]:8080/mcp') })), {
    networkTransport: 'tcp',
    protocolName: 'http',
    serverAddress: '::1',
    serverPort: 8080,
  });
  assert.deepEqual(aiSdkTransportFacts(named('SseMCPTransport', { url: new URL('https://mcp.example.com/sse') })), {
    networkTransport: 'tcp',
    protocolName: 'http',
    serverAddress: 'mcp.example.com',
    serverPort: 443,
  });
  assert.deepEqual(aiSdkTransportFacts(named('MyTransport', { url: new URL('http://127.0.0.1:1/') })), {});
  assert.deepEqual(aiSdkTransportFacts(Object.create(null)), {});
});

test('a module of another shape is left alone', () => {
  const before = remembered.length;
  instrumentAiSdkMcp({}, ctl, remember);
  instrumentAiSdkMcp({ createMCPClient: async () => ({}) }, ctl, remember);
  instrumentAiSdkMcp({ createMCPClient: () => { throw new Error('not this one'); } }, ctl, remember);
  assert.equal(remembered.length, before);
});

test('disable() puts the methods back, enable() patches them again', () => {
  const [proto] = remembered;
  const patched = proto.requestOnce;
  instrumentation.disable();
  assert.notEqual(proto.requestOnce, patched);
  assert.equal(Object.hasOwn(proto, Symbol.for('@x/mcp-otel.patched')), false);
  instrumentation.enable();
  assert.equal(Object.hasOwn(proto, Symbol.for('@x/mcp-otel.patched')), true);
});
