// Unit tests of McpInstrumentation over the SDK's in-memory transport: exact span names, kinds, attributes, parents,
// links and statuses for requests and notifications in both directions and for every error path.
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { exporter, finishedSpans, setUp } from '../helpers/in-memory-otel.mjs';

const { instrumentation, Client, Server, McpServer, ResourceTemplate, InMemoryTransport, types, z } = await setUp({
  excludedMethods: ['notifications/progress'],
});
const { CallToolRequestSchema, CreateMessageRequestSchema, ListToolsRequestSchema, LoggingMessageNotificationSchema, McpError, ErrorCode } = types;
const { injectTraceContext, extractTraceContext, getTracer, McpInstrumentation } = await import('../../dist/index.js');
const appTracer = trace.getTracer('test-app');

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
const settle = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function demoServer() {
  const server = new McpServer({ name: 'unit-server', version: '1.0.0' }, { capabilities: { logging: {} } });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => {
    appTracer.startSpan('inside add').end();
    return { content: [{ type: 'text', text: String(a + b) }] };
  });
  server.registerTool('soft-fail', {}, async () => ({ content: [{ type: 'text', text: 'no luck' }], isError: true }));
  server.registerTool('throws', {}, async () => {
    throw new TypeError('boom');
  });
  server.registerTool('slow', {}, async (extra) => {
    await sleep(300);
    return { content: [{ type: 'text', text: extra.signal.aborted ? 'aborted' : 'done' }] };
  });
  server.registerTool('progress', {}, async (extra) => {
    await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: extra._meta.progressToken, progress: 1, total: 1 } });
    return { content: [{ type: 'text', text: 'ok' }] };
  });
  server.registerTool('meta', {}, async (extra) => ({ content: [{ type: 'text', text: JSON.stringify(extra._meta ?? null) }] }));
  server.registerTool('baggage', {}, async () => ({
    content: [{ type: 'text', text: propagation.getBaggage(context.active())?.getEntry('user.tier')?.value ?? 'none' }],
  }));
  server.registerTool('ask-client', {}, async () => {
    const reply = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi' } }], maxTokens: 5 });
    await server.server.elicitInput({ message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } });
    await server.server.listRoots();
    await server.server.ping();
    return { content: [{ type: 'text', text: reply.content.text }] };
  });
  server.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `hello ${who}` } }],
  }));
  server.registerResource('readme', 'file:///readme.md', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'read me' }] }));
  server.registerResource('broken', new ResourceTemplate('broken://{id}', { list: undefined }), {}, async () => {
    throw new Error('disk on fire');
  });
  return server;
}

async function connect(server = demoServer(), client = new Client({ name: 'unit-client', version: '1.0.0' })) {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  await settle();
  exporter.reset();
  return { client, server, serverTransport, clientTransport };
}

const open = new Set();
after(async () => {
  for (const client of open) await client.close().catch(() => {});
});
async function connected(...args) {
  const pair = await connect(...args);
  open.add(pair.client);
  return pair;
}

/** The one span with this name and kind; fails when there is none or more than one. */
function only(name, kind) {
  const matches = finishedSpans().filter((s) => s.name === name && s.kind === kind);
  assert.equal(matches.length, 1, `exactly one ${kind === SpanKind.CLIENT ? 'CLIENT' : 'SERVER'} span "${name}"; spans: ${finishedSpans().map((s) => `${s.kind}:${s.name}`).join(', ')}`);
  return matches[0];
}
const clientSpan = (name) => only(name, SpanKind.CLIENT);
const serverSpan = (name) => only(name, SpanKind.SERVER);

beforeEach(() => exporter.reset());

describe('requests', () => {
  test('initialize: CLIENT and SERVER spans with the negotiated protocol version', async () => {
    const server = demoServer();
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const client = new Client({ name: 'unit-client', version: '1.0.0' });
    open.add(client);
    await client.connect(ct);
    await settle();
    const version = types.LATEST_PROTOCOL_VERSION;
    const c = clientSpan('initialize');
    const s = serverSpan('initialize');
    // Each side's span names the peer: the server from the initialize result, the client from its params.
    const server_ = { 'mcp.server.name': 'unit-server', 'mcp.server.version': '1.0.0' };
    const client_ = { 'mcp.client.name': 'unit-client', 'mcp.client.version': '1.0.0' };
    assert.deepEqual(c.attributes, { 'mcp.method.name': 'initialize', 'jsonrpc.request.id': '0', 'mcp.protocol.version': version, ...server_ });
    assert.deepEqual(s.attributes, { 'mcp.method.name': 'initialize', 'jsonrpc.request.id': '0', 'mcp.protocol.version': version, ...client_ });
    assert.equal(s.parentSpanId, c.spanId);
    assert.equal(s.traceId, c.traceId);
    const ci = clientSpan('notifications/initialized');
    const si = serverSpan('notifications/initialized');
    assert.deepEqual(ci.attributes, { 'mcp.method.name': 'notifications/initialized', 'mcp.protocol.version': version, ...server_ });
    assert.deepEqual(si.attributes, { 'mcp.method.name': 'notifications/initialized', 'mcp.protocol.version': version, ...client_ });
    assert.equal(si.parentSpanId, ci.spanId);
    assert.notEqual(ci.traceId, c.traceId, 'no session span ties the two together');
  });

  test('tools/call: client span under the caller, server span under the client span, handler spans under the server span', async () => {
    const { client } = await connected();
    await appTracer.startActiveSpan('agent turn', async (turn) => {
      const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
      assert.equal(result.content[0].text, '5');
      turn.end();
    });
    await settle();
    const turn = only('agent turn', SpanKind.INTERNAL);
    const c = clientSpan('tools/call add');
    const s = serverSpan('tools/call add');
    const inner = only('inside add', SpanKind.INTERNAL);
    const expected = {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'add',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '1',
      'mcp.protocol.version': types.LATEST_PROTOCOL_VERSION,
    };
    assert.deepEqual(c.attributes, { ...expected, 'mcp.server.name': 'unit-server', 'mcp.server.version': '1.0.0' });
    assert.deepEqual(s.attributes, { ...expected, 'mcp.client.name': 'unit-client', 'mcp.client.version': '1.0.0' });
    assert.equal(c.parentSpanId, turn.spanId);
    assert.equal(s.parentSpanId, c.spanId);
    assert.equal(inner.parentSpanId, s.spanId);
    assert.equal(new Set([turn.traceId, c.traceId, s.traceId, inner.traceId]).size, 1);
    assert.deepEqual(s.links, [], 'the in-memory delivery runs inside the client span, which is already the parent');
    assert.equal(c.status.code, SpanStatusCode.UNSET);
    assert.equal(s.status.code, SpanStatusCode.UNSET);
  });

  test('tools/list, resources/read and prompts/get: names, targets and the resource URI', async () => {
    const { client } = await connected();
    await client.listTools();
    await client.readResource({ uri: 'file:///readme.md' });
    await client.getPrompt({ name: 'greet', arguments: { who: 'you' } });
    await settle();
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      assert.deepEqual(only('tools/list', kind).attributes['mcp.method.name'], 'tools/list');
      const read = only('resources/read', kind);
      assert.equal(read.attributes['mcp.resource.uri'], 'file:///readme.md');
      assert.equal(read.attributes['gen_ai.tool.name'], undefined);
      const prompt = only('prompts/get greet', kind);
      assert.equal(prompt.attributes['gen_ai.prompt.name'], 'greet');
      assert.equal(prompt.attributes['gen_ai.operation.name'], undefined);
    }
  });

  test('a tool result with isError: tool_error and ERROR on both sides, no exception', async () => {
    const { client } = await connected();
    await client.callTool({ name: 'soft-fail', arguments: {} });
    await settle();
    for (const span of [clientSpan('tools/call soft-fail'), serverSpan('tools/call soft-fail')]) {
      assert.equal(span.attributes['error.type'], 'tool_error');
      assert.equal(span.attributes['rpc.response.status_code'], undefined);
      assert.equal(span.status.code, SpanStatusCode.ERROR);
      assert.deepEqual(span.events, []);
    }
  });

  test('a tool that throws: the exception is recorded once on the SERVER span, McpServer turns it into tool_error', async () => {
    const { client } = await connected();
    const result = await client.callTool({ name: 'throws', arguments: {} });
    assert.equal(result.isError, true);
    await settle();
    const s = serverSpan('tools/call throws');
    assert.equal(s.attributes['error.type'], 'tool_error');
    assert.deepEqual(s.status, { code: SpanStatusCode.ERROR, message: 'boom' });
    assert.equal(s.events.length, 1);
    assert.equal(s.events[0].name, 'exception');
    assert.equal(s.events[0].attributes['exception.type'], 'TypeError');
    assert.equal(s.events[0].attributes['exception.message'], 'boom');
    const c = clientSpan('tools/call throws');
    assert.equal(c.attributes['error.type'], 'tool_error');
    assert.equal(c.status.code, SpanStatusCode.ERROR);
    assert.deepEqual(c.events, []);
  });

  test('an unknown tool comes back as an isError result (McpServer 1.2x+): tool_error for the client, the caller\'s fault for the server', async () => {
    const { client } = await connected();
    await client.callTool({ name: 'nope', arguments: {} });
    await settle();
    const c = clientSpan('tools/call nope');
    assert.equal(c.attributes['error.type'], 'tool_error');
    assert.equal(c.status.code, SpanStatusCode.ERROR);
    const s = serverSpan('tools/call nope');
    assert.equal(s.attributes['error.type'], undefined);
    assert.equal(s.attributes['rpc.response.status_code'], '-32602');
    assert.equal(s.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(s.events, []);
  });

  test('arguments that fail the tool\'s schema (an isError result, SDK 1.32): the caller\'s fault for the server, tool_error for the client', async () => {
    const { client } = await connected();
    const result = await client.callTool({ name: 'add', arguments: { a: 'two', b: 3 } });
    assert.equal(result.isError, true);
    assert.match(result.content[0].text, /^MCP error -32602: Input validation error/);
    await settle();
    const c = clientSpan('tools/call add');
    assert.equal(c.attributes['error.type'], 'tool_error');
    assert.equal(c.attributes['rpc.response.status_code'], undefined);
    assert.equal(c.status.code, SpanStatusCode.ERROR);
    const s = serverSpan('tools/call add');
    assert.equal(s.attributes['error.type'], undefined);
    assert.equal(s.attributes['rpc.response.status_code'], '-32602');
    assert.equal(s.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(s.events, [], 'a caller fault is an answer, not an exception');
    assert.deepEqual(finishedSpans().filter((span) => span.name === 'inside add'), [], 'the tool did not run');
  });

  test('an unknown prompt (-32602): an error on the CLIENT span, a caller fault on the SERVER span', async () => {
    const { client } = await connected();
    await assert.rejects(client.getPrompt({ name: 'missing' }), /-32602/);
    await settle();
    const c = clientSpan('prompts/get missing');
    assert.equal(c.attributes['rpc.response.status_code'], '-32602');
    assert.equal(c.attributes['error.type'], '-32602');
    assert.equal(c.status.code, SpanStatusCode.ERROR);
    assert.equal(c.status.message, 'MCP error -32602: Prompt missing not found', 'the message of the JSON-RPC error on the wire');
    const s = serverSpan('prompts/get missing');
    assert.equal(s.attributes['rpc.response.status_code'], '-32602');
    assert.equal(s.attributes['error.type'], undefined);
    assert.equal(s.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(s.events, [], 'a caller fault is not an exception of the server');
  });

  test('a resource callback that throws: -32603 on both sides and one exception event', async () => {
    const { client } = await connected();
    await assert.rejects(client.readResource({ uri: 'broken://1' }), /disk on fire/);
    await settle();
    const s = serverSpan('resources/read');
    assert.equal(s.attributes['mcp.resource.uri'], 'broken://1');
    assert.equal(s.attributes['rpc.response.status_code'], '-32603');
    assert.equal(s.attributes['error.type'], '-32603');
    assert.equal(s.status.code, SpanStatusCode.ERROR);
    assert.equal(s.events.filter((e) => e.name === 'exception').length, 1);
    assert.equal(s.events[0].attributes['exception.message'], 'disk on fire');
    const c = clientSpan('resources/read');
    assert.equal(c.attributes['error.type'], '-32603');
    assert.equal(c.attributes['rpc.response.status_code'], '-32603');
  });

  test('a method the server does not handle (-32601)', async () => {
    const server = new Server({ name: 'bare', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    const { client } = await connected(server);
    await assert.rejects(client.request({ method: 'prompts/list' }, types.ListPromptsResultSchema), /-32601/);
    await settle();
    const c = clientSpan('prompts/list');
    assert.deepEqual([c.attributes['rpc.response.status_code'], c.attributes['error.type'], c.status.code], ['-32601', '-32601', SpanStatusCode.ERROR]);
    const s = serverSpan('prompts/list');
    assert.deepEqual([s.attributes['rpc.response.status_code'], s.attributes['error.type'], s.status.code], ['-32601', undefined, SpanStatusCode.UNSET]);
  });

  test('a low-level handler that throws an McpError with a server-fault code', async () => {
    const server = new Server({ name: 'bare', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(CallToolRequestSchema, () => {
      throw new McpError(ErrorCode.InternalError, 'database unavailable');
    });
    const { client } = await connected(server);
    await assert.rejects(client.callTool({ name: 'x', arguments: {} }), /database unavailable/);
    await settle();
    const s = serverSpan('tools/call x');
    assert.equal(s.attributes['error.type'], '-32603');
    assert.deepEqual(s.status, { code: SpanStatusCode.ERROR, message: 'MCP error -32603: database unavailable' });
    assert.equal(s.events.length, 1);
    assert.equal(clientSpan('tools/call x').attributes['error.type'], '-32603');
  });

  test('a timeout ends the CLIENT span with -32001 and the cancellation notification nests under it', async () => {
    const { client } = await connected();
    await assert.rejects(client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 50 }), /timed out/);
    await settle();
    const c = clientSpan('tools/call slow');
    assert.equal(c.attributes['error.type'], '-32001');
    assert.equal(c.attributes['rpc.response.status_code'], undefined, 'no response carried the code');
    assert.deepEqual(c.status, { code: SpanStatusCode.ERROR, message: 'MCP error -32001: Request timed out' });
    const cancel = clientSpan('notifications/cancelled');
    assert.equal(cancel.parentSpanId, c.spanId);
    const received = serverSpan('notifications/cancelled');
    assert.equal(received.parentSpanId, cancel.spanId);
    const s = serverSpan('tools/call slow');
    assert.equal(s.status.code, SpanStatusCode.UNSET, 'the caller withdrew: not a server error');
    assert.equal(s.attributes['error.type'], undefined);
    assert.ok(s.endTime[0] * 1e3 + s.endTime[1] / 1e6 < c.endTime[0] * 1e3 + c.endTime[1] / 1e6 + 250, 'ended at the cancellation, not when the handler finished');
  });

  test('an AbortSignal cancellation ends the CLIENT span with error.type cancelled', async () => {
    const { client } = await connected();
    const controller = new AbortController();
    const call = client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('user gave up'), 20);
    await assert.rejects(call);
    await settle();
    const c = clientSpan('tools/call slow');
    assert.equal(c.attributes['error.type'], 'cancelled');
    assert.deepEqual(c.status, { code: SpanStatusCode.ERROR, message: 'user gave up' });
  });

  test('a closed connection ends the pending CLIENT span with -32000 and the SERVER span too', async () => {
    const { client } = await connected();
    const call = client.callTool({ name: 'slow', arguments: {} });
    await sleep(20);
    await client.close();
    await assert.rejects(call, /Connection closed/);
    await settle();
    assert.equal(clientSpan('tools/call slow').attributes['error.type'], '-32000');
    const s = serverSpan('tools/call slow');
    assert.equal(s.attributes['error.type'], '-32000');
    assert.equal(s.status.code, SpanStatusCode.ERROR);
  });
});

describe('what the app sees stays the same', () => {
  test('a second connect() the SDK refuses leaves the live connection traced', async () => {
    const { client, server } = await connected();
    const [, spare] = InMemoryTransport.createLinkedPair();
    await assert.rejects(server.connect(spare), /Already connected/);
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await settle();
    const s = serverSpan('tools/call add');
    assert.equal(s.status.code, SpanStatusCode.UNSET);
    assert.equal(s.parentSpanId, clientSpan('tools/call add').spanId);
  });

  test('a request refused before it has an id does not take the id of the next one', async () => {
    const { client } = await connected();
    const [refused, answered] = await Promise.allSettled([
      client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }, undefined, { signal: AbortSignal.abort('no') }),
      client.getPrompt({ name: 'missing' }),
    ]);
    assert.equal(refused.status, 'rejected');
    assert.equal(answered.status, 'rejected');
    await settle();
    const aborted = clientSpan('tools/call add');
    assert.equal(aborted.attributes['jsonrpc.request.id'], undefined);
    assert.equal(aborted.attributes['error.type'], 'cancelled');
    const prompt = clientSpan('prompts/get missing');
    assert.equal(prompt.attributes['jsonrpc.request.id'], '1');
    assert.equal(prompt.attributes['rpc.response.status_code'], '-32602', 'the error response is still matched to its span');
  });

  test('a fallback notification handler: the SERVER span lasts until it settles', async () => {
    const client = new Client({ name: 'unit-client', version: '1.0.0' });
    let finished;
    client.fallbackNotificationHandler = async () => {
      await sleep(40);
      finished = process.hrtime.bigint();
    };
    const { server } = await connected(demoServer(), client);
    await server.server.sendLoggingMessage({ level: 'info', data: 'to the fallback' });
    await sleep(80);
    const s = serverSpan('notifications/message');
    const endNanos = BigInt(s.endTime[0]) * 1_000_000_000n + BigInt(s.endTime[1]);
    const startNanos = BigInt(s.startTime[0]) * 1_000_000_000n + BigInt(s.startTime[1]);
    assert.ok(finished !== undefined);
    assert.ok(endNanos - startNanos >= 35_000_000n, `lasted ${(endNanos - startNanos) / 1_000_000n} ms`);
  });
});

describe('server-to-client requests and notifications', () => {
  test('sampling, elicitation, roots and ping sent by the server are CLIENT spans there, SERVER spans in the client', async () => {
    const client = new Client({ name: 'unit-client', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
    // The client's answer names a "server" in its _meta: a client must not name a server to the server's spans or metrics.
    const fake = { _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'made-up-server', version: '6.6.6' } } };
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ ...fake, role: 'assistant', model: 'm', content: { type: 'text', text: 'sampled' } }));
    client.setRequestHandler(types.ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'x' } }));
    client.setRequestHandler(types.ListRootsRequestSchema, async () => ({ roots: [] }));
    await connected(demoServer(), client);
    const result = await client.callTool({ name: 'ask-client', arguments: {} });
    assert.equal(result.content[0].text, 'sampled');
    await settle();
    const toolServer = serverSpan('tools/call ask-client');
    const samplingClient = clientSpan('sampling/createMessage');
    const samplingServer = serverSpan('sampling/createMessage');
    assert.equal(samplingClient.parentSpanId, toolServer.spanId);
    assert.equal(samplingServer.parentSpanId, samplingClient.spanId);
    assert.equal(samplingClient.attributes['jsonrpc.request.id'], '0', 'the server numbers its own requests');
    // The server's spans name its client, before and after the answer; nothing names the made-up server.
    assert.equal(samplingClient.attributes['mcp.client.name'], 'unit-client');
    assert.equal(samplingClient.attributes['mcp.server.name'], undefined);
    assert.equal(clientSpan('ping').attributes['mcp.client.name'], 'unit-client');
    assert.deepEqual(finishedSpans().filter((s) => s.attributes['mcp.server.name'] === 'made-up-server'), []);
    for (const method of ['elicitation/create', 'roots/list']) {
      const sent = clientSpan(method);
      assert.equal(sent.parentSpanId, toolServer.spanId);
      assert.equal(serverSpan(method).parentSpanId, sent.spanId);
    }
    const pingClient = clientSpan('ping');
    const pingServer = serverSpan('ping');
    assert.equal(pingClient.parentSpanId, toolServer.spanId);
    assert.equal(pingServer.parentSpanId, pingClient.spanId);
  });

  test('notifications both ways: logging messages from the server, list changes from the client', async () => {
    const client = new Client({ name: 'unit-client', version: '1.0.0' }, { capabilities: { roots: { listChanged: true } } });
    const seen = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => {
      await sleep(30);
      seen.push(trace.getActiveSpan()?.spanContext().spanId);
    });
    const { server } = await connected(demoServer(), client);
    await server.server.sendLoggingMessage({ level: 'info', data: 'hello' });
    await client.sendRootsListChanged();
    await sleep(60);
    const logClient = clientSpan('notifications/message');
    const logServer = serverSpan('notifications/message');
    assert.equal(logServer.parentSpanId, logClient.spanId);
    assert.deepEqual(seen, [logServer.spanId], 'the handler runs with the SERVER span active');
    const handlerMillis = (logServer.endTime[0] - logServer.startTime[0]) * 1e3 + (logServer.endTime[1] - logServer.startTime[1]) / 1e6;
    assert.ok(handlerMillis >= 25, `the SERVER span lasts until the handler settles (${handlerMillis} ms)`);
    // Sent by the server: its peer is the client.
    assert.deepEqual(logClient.attributes, { 'mcp.method.name': 'notifications/message', 'mcp.protocol.version': types.LATEST_PROTOCOL_VERSION, 'mcp.client.name': 'unit-client', 'mcp.client.version': '1.0.0' });
    const rootsClient = clientSpan('notifications/roots/list_changed');
    const rootsServer = serverSpan('notifications/roots/list_changed');
    assert.equal(rootsServer.parentSpanId, rootsClient.spanId);
    assert.equal(rootsServer.attributes['jsonrpc.request.id'], undefined);
  });

  test('notifications/resources/updated carries mcp.resource.uri', async () => {
    const server = new McpServer({ name: 'subscribing', version: '1' }, { capabilities: { resources: { subscribe: true } } });
    server.registerResource('readme', 'file:///readme.md', {}, async (uri) => ({ contents: [{ uri: uri.href, text: '' }] }));
    server.server.setRequestHandler(types.SubscribeRequestSchema, async () => ({}));
    const { client } = await connected(server);
    client.setNotificationHandler(types.ResourceUpdatedNotificationSchema, () => {});
    await client.subscribeResource({ uri: 'file:///readme.md' });
    await server.server.sendResourceUpdated({ uri: 'file:///readme.md' });
    await settle();
    for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
      assert.equal(only('resources/subscribe', kind).attributes['mcp.resource.uri'], 'file:///readme.md');
      assert.equal(only('notifications/resources/updated', kind).attributes['mcp.resource.uri'], 'file:///readme.md');
    }
  });

  test('a custom transport: spans and propagation, no network attributes', async () => {
    class LoopTransport {
      static pair() {
        const a = new LoopTransport();
        const b = new LoopTransport();
        a.peer = b;
        b.peer = a;
        return [a, b];
      }
      async start() {}
      async send(message) {
        const copy = JSON.parse(JSON.stringify(message));
        setImmediate(() => this.peer.onmessage?.(copy));
      }
      async close() {
        this.onclose?.();
      }
    }
    const [clientSide, serverSide] = LoopTransport.pair();
    const server = demoServer();
    await server.connect(serverSide);
    const client = new Client({ name: 'custom', version: '1' });
    await client.connect(clientSide);
    open.add(client);
    await settle();
    exporter.reset();
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await settle();
    const c = clientSpan('tools/call add');
    const s = serverSpan('tools/call add');
    assert.equal(s.parentSpanId, c.spanId);
    assert.equal(s.traceId, c.traceId);
    for (const span of [c, s]) {
      assert.equal(span.attributes['network.transport'], undefined);
      assert.equal(span.attributes['mcp.protocol.version'], types.LATEST_PROTOCOL_VERSION);
    }
  });

  test('an excluded method gets no span, but its trace context still travels', async () => {
    const { client } = await connected();
    const progressParents = [];
    await client.callTool({ name: 'progress', arguments: {} }, undefined, {
      onprogress: () => progressParents.push(trace.getActiveSpan()?.spanContext().spanId),
    });
    await settle();
    const s = serverSpan('tools/call progress');
    assert.deepEqual(finishedSpans().filter((x) => x.name === 'notifications/progress'), []);
    assert.deepEqual(progressParents, [s.spanId], 'the progress handler ran in the context sent in _meta');
  });
});

describe('propagation', () => {
  test('_meta: the caller keys are kept, the caller objects are not changed, and traceparent is added', async () => {
    const { client } = await connected();
    const meta = { 'app/key': 'v', progressToken: 'mine' };
    const params = { name: 'meta', arguments: {}, _meta: meta };
    const result = await client.callTool(params);
    const received = JSON.parse(result.content[0].text);
    assert.equal(received['app/key'], 'v');
    assert.equal(received.progressToken, 'mine');
    assert.match(received.traceparent, TRACEPARENT);
    assert.deepEqual(meta, { 'app/key': 'v', progressToken: 'mine' });
    assert.deepEqual(Object.keys(params), ['name', 'arguments', '_meta']);
    await settle();
    assert.equal(received.traceparent.split('-')[2], clientSpan('tools/call meta').spanId);
  });

  test("a traceparent in the caller's _meta (a proxy forwarding what it received) is replaced by the CLIENT span's", async () => {
    const { client } = await connected();
    const upstream = { traceparent: '00-11111111111111111111111111111111-2222222222222222-01', tracestate: 'up=1', baggage: 'tenant=a', 'app/key': 'v' };
    const result = await client.callTool({ name: 'meta', arguments: {}, _meta: upstream });
    const received = JSON.parse(result.content[0].text);
    await settle();
    const sent = clientSpan('tools/call meta');
    assert.equal(received.traceparent, `00-${sent.traceId}-${sent.spanId}-01`);
    assert.equal(received.tracestate, undefined, "the upstream tracestate does not travel with our traceparent");
    assert.equal(received['app/key'], 'v');
    assert.equal(received.baggage, 'tenant=a', "the caller's baggage stays: the context has none to replace it");
    assert.equal(upstream.traceparent, '00-11111111111111111111111111111111-2222222222222222-01', "the caller's object is not changed");
    const s = serverSpan('tools/call meta');
    assert.equal(s.traceId, sent.traceId);
    assert.equal(s.parentSpanId, sent.spanId);
  });

  test('baggage travels to the handler', async () => {
    const { client } = await connected();
    const bag = propagation.createBaggage({ 'user.tier': { value: 'gold' } });
    const result = await context.with(propagation.setBaggage(context.active(), bag), () => client.callTool({ name: 'baggage', arguments: {} }));
    assert.equal(result.content[0].text, 'gold');
  });

  test('an HTTP server transport: the request span is a link when _meta gives the parent, the parent without _meta', async () => {
    class FakeHttpServerTransport {
      async start() {}
      async send() {}
      async close() {
        this.onclose?.();
      }
      /** Like the SDK's HTTP server transports: handed the Node.js request, it delivers the message it carries. */
      async handleRequest(req, message) {
        await Promise.resolve();
        this.onmessage?.(message, { requestInfo: { headers: {} } });
      }
    }
    const transport = new FakeHttpServerTransport();
    await demoServer().connect(transport);
    const req = { socket: { remoteAddress: '10.0.0.7', remotePort: 5555 }, httpVersion: '2.0' };
    const remote = { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb' };
    let ambient;
    await appTracer.startActiveSpan('http server', async (span) => {
      ambient = span.spanContext();
      const traceparent = `00-${remote.traceId}-${remote.spanId}-01`;
      await transport.handleRequest(req, { jsonrpc: '2.0', id: 900, method: 'tools/list', params: { _meta: { traceparent } } });
      await transport.handleRequest(req, { jsonrpc: '2.0', id: 901, method: 'prompts/list' });
      span.end();
    });
    await settle();
    const linked = serverSpan('tools/list');
    assert.equal(linked.traceId, remote.traceId);
    assert.equal(linked.parentSpanId, remote.spanId);
    assert.deepEqual(linked.links.map((l) => [l.context.traceId, l.context.spanId]), [[ambient.traceId, ambient.spanId]]);
    assert.equal(linked.attributes['client.address'], '10.0.0.7');
    assert.equal(linked.attributes['client.port'], 5555);
    assert.equal(linked.attributes['network.protocol.version'], '2.0');
    const plain = serverSpan('prompts/list');
    assert.equal(plain.parentSpanId, ambient.spanId);
    assert.deepEqual(plain.links, []);
    await transport.close();
  });

  test('other transports: the span active where their stream was opened is neither parent nor link', async () => {
    const { serverTransport } = await connected();
    appTracer.startActiveSpan('long over', (span) => {
      serverTransport.onmessage({ jsonrpc: '2.0', id: 902, method: 'tools/list' });
      serverTransport.onmessage({ jsonrpc: '2.0', method: 'notifications/roots/list_changed' });
      span.end();
    });
    await settle();
    for (const span of [serverSpan('tools/list'), serverSpan('notifications/roots/list_changed')]) {
      assert.equal(span.parentSpanId, undefined, span.name);
      assert.deepEqual(span.links, [], span.name);
    }
  });

  test('injectTraceContext, extractTraceContext and getTracer for users', () => {
    const span = getTracer().startSpan('mine');
    const ctx = trace.setSpan(context.active(), span);
    const mine = { keep: 1, tracestate: 'x=1' };
    const meta = injectTraceContext(mine, ctx);
    assert.notEqual(meta, mine);
    assert.deepEqual(mine, { keep: 1, tracestate: 'x=1' });
    assert.equal(meta.keep, 1);
    assert.equal(meta.tracestate, 'x=1');
    assert.match(meta.traceparent, TRACEPARENT);
    const extracted = trace.getSpanContext(extractTraceContext(meta));
    assert.equal(extracted.spanId, span.spanContext().spanId);
    assert.equal(extracted.isRemote, true);
    assert.equal(trace.getSpanContext(extractTraceContext({ traceparent: 42 })), undefined, 'non-string values are ignored');
    assert.equal(injectTraceContext(undefined, context.active()), undefined, 'nothing to add: nothing changes');
    span.end();
    assert.equal(finishedSpans().find((s) => s.name === 'mine').kind, SpanKind.INTERNAL);
  });
});

describe('the instrumentation', () => {
  test('instrument() on classes already patched, and a second instance, add no second span', async () => {
    instrumentation.instrument(Client, Server, McpServer);
    const second = new McpInstrumentation();
    second.instrument(Client, Server, McpServer);
    const { client } = await connected();
    await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await settle();
    clientSpan('tools/call add');
    serverSpan('tools/call add');
    second.disable();
  });

  test('disable() stops the spans and enable() brings them back', async () => {
    const { client } = await connected();
    instrumentation.disable();
    try {
      await client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
      await settle();
      assert.deepEqual(finishedSpans().map((s) => s.name), ['inside add'], 'only the app\'s own span');
    } finally {
      instrumentation.enable();
    }
    const again = await connected();
    await again.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await settle();
    clientSpan('tools/call add');
    serverSpan('tools/call add');
  });
});
