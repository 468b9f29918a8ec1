// The peer's identity (attributes.ts), the result type and the caller-fault rule for isError results, as pure functions;
// and capturePeerIdentity: false, which leaves the identity off the spans and the metrics of both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { finishedSpans, histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';

const { Client, McpServer, InMemoryTransport, z } = await setUp({ capturePeerIdentity: false });
const dist = (file) => import(join(process.cwd(), 'dist', 'instrumentation', file));
const { receivedPeerIdentity, resultPeerIdentity, sentPeerIdentity } = await dist('attributes.js');
const { resultTypeOf } = await dist('attributes.js');
const { methodRule } = await dist('methods.js');

const connectionOf = (protocol = {}, role) => ({ protocol, role, pendingServer: new Map(), pendingClient: new Map() });
const operationOf = (method) => {
  const attributes = {};
  return { method, attributes, setAttribute: (key, value) => (attributes[key] = value) };
};

test('a received initialize names the client for the connection; a 2026-07-28 request names it in its _meta, and wins', () => {
  const connection = connectionOf({}, 'server');
  const initialize = {};
  receivedPeerIdentity(connection, 'initialize', { clientInfo: { name: 'host', version: '1.2.3', title: 'Host' } }, initialize);
  assert.deepEqual(initialize, { 'mcp.client.name': 'host', 'mcp.client.version': '1.2.3' });
  const later = {};
  receivedPeerIdentity(connection, 'notifications/initialized', undefined, later);
  assert.deepEqual(later, { 'mcp.client.name': 'host', 'mcp.client.version': '1.2.3' });
  // What the server sends on the connection names the client too.
  const sent = {};
  sentPeerIdentity(connection, 'notifications/message', sent);
  assert.deepEqual(sent, { 'mcp.client.name': 'host', 'mcp.client.version': '1.2.3' });
  const modern = {};
  receivedPeerIdentity(connection, 'tools/call', { _meta: { 'io.modelcontextprotocol/clientInfo': { name: 'agent', version: '9' } } }, modern);
  assert.deepEqual(modern, { 'mcp.client.name': 'agent', 'mcp.client.version': '9' });
  // A clientInfo outside initialize's params is not the client's identity.
  const other = {};
  receivedPeerIdentity(connectionOf(), 'tools/call', { clientInfo: { name: 'not-me' } }, other);
  assert.deepEqual(other, {});
});

test("what a peer says is bounded: no name, no identity; a version that is not a string is left out; 20,000 characters are cut", () => {
  const none = {};
  receivedPeerIdentity(connectionOf(), 'initialize', { clientInfo: { version: '1' } }, none);
  assert.deepEqual(none, {});
  const odd = {};
  receivedPeerIdentity(connectionOf(), 'initialize', { clientInfo: { name: 'x', version: 7 } }, odd);
  assert.deepEqual(odd, { 'mcp.client.name': 'x' });
  const long = {};
  receivedPeerIdentity(connectionOf(), 'initialize', { clientInfo: { name: 'n'.repeat(20_000), version: '1' } }, long);
  assert.equal(long['mcp.client.name'].length, 8192);
  assert.ok(long['mcp.client.name'].endsWith('…'));
});

test("the server's identity: from the initialize result, from a 2026-07-28 result's _meta, else from the SDK client's own record", () => {
  const connection = connectionOf({}, 'client');
  const initialize = operationOf('initialize');
  resultPeerIdentity(connection, initialize, { protocolVersion: '2025-11-25', serverInfo: { name: 'srv', version: '2' } });
  assert.deepEqual(initialize.attributes, { 'mcp.server.name': 'srv', 'mcp.server.version': '2' });
  const call = operationOf('tools/call');
  resultPeerIdentity(connection, call, { content: [], _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'srv', version: '3' } } });
  assert.deepEqual(call.attributes, { 'mcp.server.name': 'srv', 'mcp.server.version': '3' });
  // A serverInfo field in another result is not read.
  const other = operationOf('tools/call');
  resultPeerIdentity(connectionOf(), other, { serverInfo: { name: 'fake' } });
  assert.deepEqual(other.attributes, {});
  // A client connection that skipped initialize (a resumed session, a v2 client after its probe): the Client's
  // _serverVersion; not for an initialize of its own (a v1 Client reused for another server keeps the old one).
  const resumed = {};
  sentPeerIdentity(connectionOf({ _serverVersion: { name: 'kept', version: '4' } }, 'client'), 'tools/call', resumed);
  assert.deepEqual(resumed, { 'mcp.server.name': 'kept', 'mcp.server.version': '4' });
  const reused = {};
  sentPeerIdentity(connectionOf({ _serverVersion: { name: 'previous', version: '1' } }, 'client'), 'initialize', reused);
  assert.deepEqual(reused, {});
});

test("each side takes only the other's identity: a client's answer cannot name a server to a server, nor a server's message a client to a client", () => {
  const server = connectionOf({}, 'server');
  receivedPeerIdentity(server, 'initialize', { clientInfo: { name: 'host', version: '1' } }, {});
  const sampling = operationOf('sampling/createMessage');
  resultPeerIdentity(server, sampling, { _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'made-up' } } });
  assert.deepEqual(sampling.attributes, {});
  assert.deepEqual(server.peer, { 'mcp.client.name': 'host', 'mcp.client.version': '1' });
  const client = connectionOf({}, 'client');
  resultPeerIdentity(client, operationOf('initialize'), { serverInfo: { name: 'srv', version: '2' } });
  const ping = {};
  receivedPeerIdentity(client, 'ping', { _meta: { 'io.modelcontextprotocol/clientInfo': { name: 'made-up' } } }, ping);
  assert.deepEqual(ping, { 'mcp.server.name': 'srv', 'mcp.server.version': '2' });
  // A peer's getter that throws: nothing recorded, nothing thrown.
  const hostile = {};
  Object.defineProperty(hostile, 'clientInfo', { get() { throw new Error('no'); }, enumerable: true });
  const attributes = {};
  receivedPeerIdentity(connectionOf({}, 'server'), 'initialize', hostile, attributes);
  assert.deepEqual(attributes, {});
});

test('mcp.result.type: the 2026-07-28 resultType, a kind not known _OTHER', () => {
  assert.equal(resultTypeOf({ resultType: 'complete' }), 'complete');
  assert.equal(resultTypeOf({ resultType: 'input_required' }), 'input_required');
  assert.equal(resultTypeOf({ resultType: 'task' }), 'task');
  assert.equal(resultTypeOf({ resultType: 'paused' }), '_OTHER', 'a kind not known: the peer chooses it, and it goes to the metrics');
  assert.equal(resultTypeOf({ resultType: 'Input Required!' }), '_OTHER');
  assert.equal(resultTypeOf({ resultType: 'x'.repeat(33) }), '_OTHER');
  assert.equal(resultTypeOf({ content: [] }), undefined);
  assert.equal(resultTypeOf(undefined), undefined);
});

test("an isError result that is the caller's fault: SDK v1's McpError text with a caller-fault code, not an output validation error", () => {
  const fault = methodRule('tools/call').resultCallerFault;
  const text = (t) => ({ isError: true, content: [{ type: 'text', text: t }] });
  assert.equal(fault(text('MCP error -32602: Input validation error: Invalid arguments for tool add: ...')), -32602);
  assert.equal(fault(text('MCP error -32602: Tool nope not found')), -32602);
  assert.equal(fault(text('MCP error -32602: Output validation error: Invalid structured content for tool add')), undefined);
  assert.equal(fault(text('MCP error -32603: boom')), undefined);
  assert.equal(fault(text('Input validation error: Invalid arguments for tool add')), undefined, "v2's text has no code: seen as it throws");
  assert.equal(fault({ isError: true, content: [{ type: 'image', data: '', mimeType: 'image/png' }] }), undefined);
  assert.equal(methodRule('prompts/get').resultCallerFault, undefined);
});

test('capturePeerIdentity: false: no mcp.client.* or mcp.server.* on the spans or the points of either side', async () => {
  const server = new McpServer({ name: 'quiet-server', version: '1' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'quiet-client', version: '1' });
  await client.connect(clientSide);
  await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  await client.close();
  await new Promise((resolve) => setImmediate(resolve));
  const spans = finishedSpans();
  assert.deepEqual(spans.map((s) => s.name).sort(), ['initialize', 'initialize', 'notifications/initialized', 'notifications/initialized', 'tools/call add', 'tools/call add']);
  const points = await histogramPoints();
  assert.ok(points.length >= 6);
  const named = (attributes) => Object.keys(attributes).filter((key) => /^mcp\.(client|server)\.(name|version)$/.test(key));
  assert.deepEqual(spans.flatMap((s) => named(s.attributes)), []);
  assert.deepEqual(points.flatMap((p) => named(p.attributes)), []);
});
