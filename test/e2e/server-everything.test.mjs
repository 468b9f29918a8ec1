// End to end with the reference server: an SDK client under the preload spawns @modelcontextprotocol/server-everything
// under the preload over stdio (fixtures/everything/client.mjs, run from .test-work/third-party/everything, where test/setup.mjs
// installed the third-party package and the packed tarball), and makes one call of each kind. Both processes export to one OTLP
// receiver; service.name tells them apart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run } from '../helpers/processes.mjs';

const EVERYTHING_DIR = join(ROOT, '.test-work', 'third-party', 'everything');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const ERROR = 2;
const CLIENT_SERVICE = 'everything-client';
const SERVER_SERVICE = 'everything-server';
const PROTOCOL = '2025-11-25';
const UNKNOWN_URI = 'demo://resource/static/document/no-such-doc.md';

let receiver;
let out;
let byService;
before(async () => {
  receiver = await startReceiver();
  const result = await run('client.mjs', {
    cwd: EVERYTHING_DIR,
    timeoutMs: 30_000,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: CLIENT_SERVICE,
      SERVER_SERVICE_NAME: SERVER_SERVICE,
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
  });
  assert.equal(result.code, 0, result.stderr);
  // The server inherits the client's stderr: it says it started, and neither preload said anything.
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);
  assert.equal(result.stderr, 'Starting default (STDIO) server...\n');
  out = JSON.parse(result.stdout.toString());
  // Both processes flushed before exiting; the wait only covers the receiver. 12 spans on each side (see below).
  const count = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service).length;
  await receiver.waitFor(() => count(CLIENT_SERVICE) >= 12 && count(SERVER_SERVICE) >= 12, 5000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  byService = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);
});
after(() => receiver?.close());

/** The one span of a service with this name and kind (and, optionally, an attribute match). */
function one(service, kind, name, where = () => true) {
  const found = byService(service).filter((s) => s.kind === kind && s.name === name && where(s));
  assert.equal(found.length, 1, `${service}: ${found.length} ${kind === CLIENT ? 'CLIENT' : 'SERVER'} spans named ${name}`);
  return found[0];
}

/** Attributes both sides record for a message of the client's. */
function attributesOf(method, { id, tool, prompt, uri } = {}) {
  const attributes = { 'mcp.method.name': method, 'network.transport': 'pipe', 'mcp.protocol.version': PROTOCOL };
  if (tool !== undefined) {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  if (prompt !== undefined) attributes['gen_ai.prompt.name'] = prompt;
  if (uri !== undefined) attributes['mcp.resource.uri'] = uri;
  if (id !== undefined) attributes['jsonrpc.request.id'] = id;
  return attributes;
}

/** Asserts that `child` continues the trace of `parent` as its direct child. */
function assertChild(child, parent, what) {
  assert.equal(child.traceId, parent.traceId, `${what}: same trace`);
  assert.equal(child.parentSpanId, parent.spanId, `${what}: parent`);
}

test('the client saw what server-everything answers', () => {
  assert.equal(out.protocolVersion, PROTOCOL);
  assert.match(out.resourceUri, /^demo:\/\/resource\/static\/document\/[^/]+\.md$/);
  assert.deepEqual(out.echo, { content: [{ type: 'text', text: 'Echo: hello otel' }] });
  assert.equal(out.read.contents.length, 1);
  assert.equal(out.read.contents[0].uri, out.resourceUri);
  assert.equal(out.read.contents[0].mimeType, 'text/markdown');
  assert.deepEqual(out.prompt, { messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt without arguments.' } }] });
  assert.deepEqual(out.longRunning, { content: [{ type: 'text', text: 'Long running operation completed. Duration: 0.2 seconds, Steps: 2.' }] });
  assert.deepEqual(
    out.progress.map(({ progressToken, progress, total }) => ({ progressToken, progress, total })),
    [
      { progressToken: 'long-running', progress: 1, total: 2 },
      { progressToken: 'long-running', progress: 2, total: 2 },
    ],
  );
  assert.deepEqual(out.unknownTool, { content: [{ type: 'text', text: 'MCP error -32602: Tool no-such-tool not found' }], isError: true });
  assert.equal(out.unknownResource.error.code, -32602);
});

test('exactly the expected spans on each side', () => {
  const names = (service, kind) => byService(service).filter((s) => s.kind === kind).map((s) => s.name).sort();
  const clientRequests = [
    'initialize',
    'notifications/initialized',
    'prompts/get simple-prompt',
    'resources/list',
    'resources/read',
    'resources/read',
    'tools/call echo',
    'tools/call no-such-tool',
    'tools/call trigger-long-running-operation',
  ];
  // What server-everything sends: a tools/list_changed after the initialized notification (it registers more tools
  // then), and the two progress notifications.
  const serverNotifications = ['notifications/progress', 'notifications/progress', 'notifications/tools/list_changed'];
  assert.deepEqual(names(CLIENT_SERVICE, CLIENT), clientRequests);
  assert.deepEqual(names(SERVER_SERVICE, SERVER), clientRequests);
  assert.deepEqual(names(SERVER_SERVICE, CLIENT), serverNotifications);
  assert.deepEqual(names(CLIENT_SERVICE, SERVER), serverNotifications);
  assert.equal(byService(CLIENT_SERVICE).length, 12);
  assert.equal(byService(SERVER_SERVICE).length, 12);
  for (const span of receiver.spans) assert.equal(span.scope, '@x/mcp-otel');
  assert.equal(receiver.spans.length, 24);
});

// Each process names its peer: the client's spans the server (its serverInfo), the server's spans the client.
const SERVER_NAMED = { 'mcp.server.name': 'mcp-servers/everything', 'mcp.server.version': '2.0.0' };
const CLIENT_NAMED = { 'mcp.client.name': 'everything-test-client', 'mcp.client.version': '1.0.0' };

test('each client request has the matching server span as its child, with the same attributes and the peer named', () => {
  const cases = [
    ['initialize', { id: '0' }],
    ['notifications/initialized', {}],
    ['resources/list', { id: '1' }],
    ['tools/call echo', { id: '2', tool: 'echo' }],
    ['resources/read', { id: '3', uri: out.resourceUri }],
    ['prompts/get simple-prompt', { id: '4', prompt: 'simple-prompt' }],
    ['tools/call trigger-long-running-operation', { id: '5', tool: 'trigger-long-running-operation' }],
  ];
  const traces = new Set();
  for (const [name, facts] of cases) {
    const where = (s) => facts.uri === undefined || s.attributes['mcp.resource.uri'] === facts.uri;
    const client = one(CLIENT_SERVICE, CLIENT, name, where);
    const server = one(SERVER_SERVICE, SERVER, name, where);
    const method = name.split(' ')[0];
    assert.equal(client.parentSpanId, undefined, `${name}: client span is a root`);
    assertChild(server, client, name);
    assert.deepEqual(client.attributes, { ...attributesOf(method, facts), ...SERVER_NAMED }, `${name}: client attributes`);
    assert.deepEqual(server.attributes, { ...attributesOf(method, facts), ...CLIENT_NAMED }, `${name}: server attributes`);
    assert.deepEqual(client.status, { code: UNSET, message: undefined }, `${name}: client status`);
    assert.deepEqual(server.status, { code: UNSET, message: undefined }, `${name}: server status`);
    assert.deepEqual(client.events, []);
    assert.deepEqual(server.events, []);
    traces.add(client.traceId);
  }
  assert.equal(traces.size, cases.length);
});

test('tools/list_changed, sent while the server handles notifications/initialized, continues that trace', () => {
  const initializedServer = one(SERVER_SERVICE, SERVER, 'notifications/initialized');
  const sent = one(SERVER_SERVICE, CLIENT, 'notifications/tools/list_changed');
  const received = one(CLIENT_SERVICE, SERVER, 'notifications/tools/list_changed');
  assertChild(sent, initializedServer, 'list_changed sent');
  assertChild(received, sent, 'list_changed received');
  const attributes = attributesOf('notifications/tools/list_changed');
  assert.deepEqual(sent.attributes, { ...attributes, ...CLIENT_NAMED });
  assert.deepEqual(received.attributes, { ...attributes, ...SERVER_NAMED });
});

test('progress notifications: CLIENT spans of the server under its tools/call span, SERVER spans of the client under those', () => {
  const call = one(SERVER_SERVICE, SERVER, 'tools/call trigger-long-running-operation');
  const sent = byService(SERVER_SERVICE).filter((s) => s.name === 'notifications/progress');
  const received = byService(CLIENT_SERVICE).filter((s) => s.name === 'notifications/progress');
  assert.equal(sent.length, 2);
  assert.equal(received.length, 2);
  const attributes = attributesOf('notifications/progress');
  for (const notification of sent) {
    assert.equal(notification.kind, CLIENT);
    assertChild(notification, call, 'progress sent');
    assert.deepEqual(notification.attributes, { ...attributes, ...CLIENT_NAMED });
    assert.deepEqual(notification.status, { code: UNSET, message: undefined });
    const match = received.filter((s) => s.parentSpanId === notification.spanId);
    assert.equal(match.length, 1, 'one SERVER span on the client side per progress notification');
    assert.equal(match[0].kind, SERVER);
    assertChild(match[0], notification, 'progress received');
    assert.deepEqual(match[0].attributes, { ...attributes, ...SERVER_NAMED });
    assert.deepEqual(match[0].status, { code: UNSET, message: undefined });
  }
  // The traceparent the client's progress handler saw in _meta is the one of each notification's span.
  assert.deepEqual(
    out.progress.map((p) => p._meta?.traceparent).sort(),
    sent.map((s) => `00-${s.traceId}-${s.spanId}-01`).sort(),
  );
});

test('unknown tool: an isError result ("MCP error -32602: ..."), tool_error for the client, the caller\'s fault for the server', () => {
  const client = one(CLIENT_SERVICE, CLIENT, 'tools/call no-such-tool');
  const server = one(SERVER_SERVICE, SERVER, 'tools/call no-such-tool');
  assertChild(server, client, 'unknown tool');
  const base = attributesOf('tools/call', { id: '6', tool: 'no-such-tool' });
  assert.deepEqual(client.attributes, { ...base, ...SERVER_NAMED, 'error.type': 'tool_error' });
  assert.deepEqual(server.attributes, { ...base, ...CLIENT_NAMED, 'rpc.response.status_code': '-32602' });
  assert.deepEqual(client.status, { code: ERROR, message: undefined });
  assert.deepEqual(server.status, { code: UNSET, message: undefined });
  // McpServer answered the unknown name itself: no callback threw.
  assert.deepEqual(server.events, []);
});

test('unknown resource: -32602 is an error for the client and a caller fault for the server', () => {
  const unknown = (s) => s.attributes['mcp.resource.uri'] === UNKNOWN_URI;
  const client = one(CLIENT_SERVICE, CLIENT, 'resources/read', unknown);
  const server = one(SERVER_SERVICE, SERVER, 'resources/read', unknown);
  assertChild(server, client, 'unknown resource');
  const base = attributesOf('resources/read', { id: '7', uri: UNKNOWN_URI });
  assert.deepEqual(client.attributes, { ...base, ...SERVER_NAMED, 'rpc.response.status_code': '-32602', 'error.type': '-32602' });
  assert.deepEqual(client.status, { code: ERROR, message: `MCP error -32602: Resource ${UNKNOWN_URI} not found` });
  assert.deepEqual(server.attributes, { ...base, ...CLIENT_NAMED, 'rpc.response.status_code': '-32602' });
  assert.deepEqual(server.status, { code: UNSET, message: undefined });
  assert.deepEqual(server.events, []);
  assert.deepEqual(client.events, []);
});

test('the two services are two processes', () => {
  const [client] = byService(CLIENT_SERVICE);
  const [server] = byService(SERVER_SERVICE);
  assert.notEqual(client.resource['process.pid'], server.resource['process.pid']);
  assert.equal(client.resource['telemetry.sdk.language'], 'nodejs');
  assert.equal(server.resource['telemetry.sdk.language'], 'nodejs');
});
