// Unit tests of the MCP duration histograms over the in-memory transport: names, units, buckets, counts and exact
// attribute sets, on both sides, for requests, notifications, errors and sessions.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';

const { Client, McpServer, InMemoryTransport, StdioServerTransport, types, z } = await setUp();
const VERSION = types.LATEST_PROTOCOL_VERSION;
const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const settle = () => new Promise((resolve) => setImmediate(resolve));

function server() {
  const s = new McpServer({ name: 'metrics-server', version: '1.0.0' });
  s.registerTool('sum', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  s.registerTool('soft-fail', {}, async () => ({ content: [{ type: 'text', text: 'no' }], isError: true }));
  s.registerTool('wait', {}, async () => {
    await sleep(200);
    return { content: [] };
  });
  s.registerResource('readme', 'file:///readme.md', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'x' }] }));
  return s;
}

async function connect() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server().connect(serverSide);
  const client = new Client({ name: 'metrics-client', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** The one point of `name` whose attributes equal `attributes` exactly. */
async function point(name, attributes) {
  const matches = (await histogramPoints()).filter((p) => p.name === name && JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)));
  assert.equal(matches.length, 1, `one ${name} point with ${JSON.stringify(attributes)}; have ${JSON.stringify((await histogramPoints()).filter((p) => p.name === name).map((p) => p.attributes))}`);
  return matches[0];
}
/** The client's points name the server it called (mcp.server.*); the server's points do not name the client. */
const SERVER_ID = { 'mcp.server.name': 'metrics-server', 'mcp.server.version': '1.0.0' };
const onSide = (name, attributes) => (name.startsWith('mcp.client.') ? { ...attributes, ...SERVER_ID } : attributes);
const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
const count = async (name, attributes) => (await histogramPoints()).filter((p) => p.name === name && JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes))).reduce((n, p) => n + p.count, 0);

describe('operation durations', () => {
  test('a tool call: one measurement on each side, seconds, the conventions buckets, the operation attribute set', async () => {
    const client = await connect();
    await client.callTool({ name: 'sum', arguments: { a: 1, b: 2 } });
    await client.callTool({ name: 'sum', arguments: { a: 3, b: 4 } });
    await settle();
    const attributes = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'sum', 'gen_ai.operation.name': 'execute_tool', 'mcp.protocol.version': VERSION };
    for (const name of ['mcp.client.operation.duration', 'mcp.server.operation.duration']) {
      const p = await point(name, onSide(name, attributes));
      assert.equal(p.count, 2);
      assert.equal(p.unit, 's');
      assert.deepEqual(p.boundaries, BUCKETS);
      assert.ok(p.sum > 0 && p.sum < 1, `seconds, not milliseconds: ${p.sum}`);
    }
    await client.close();
  });

  test('notifications are measured on both sides, without a request id', async () => {
    const attributes = { 'mcp.method.name': 'notifications/initialized', 'mcp.protocol.version': VERSION };
    const names = ['mcp.client.operation.duration', 'mcp.server.operation.duration'];
    const before = await Promise.all(names.map((name) => count(name, onSide(name, attributes))));
    const client = await connect();
    await settle();
    for (const [i, name] of names.entries()) assert.equal(await count(name, onSide(name, attributes)), before[i] + 1, name);
    await client.close();
  });

  test('a tool error and a JSON-RPC error: error.type, and the caller-fault rule on the server side', async () => {
    const client = await connect();
    await client.callTool({ name: 'soft-fail', arguments: {} });
    await assert.rejects(client.getPrompt({ name: 'missing' }));
    await client.callTool({ name: 'sum', arguments: { a: 'one', b: 2 } });
    await settle();
    // Arguments that fail the tool's schema: a tool_error for the client, the caller's fault (-32602) for the server.
    const invalid = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'sum', 'gen_ai.operation.name': 'execute_tool', 'mcp.protocol.version': VERSION };
    assert.equal((await point('mcp.client.operation.duration', { ...invalid, ...SERVER_ID, 'error.type': 'tool_error' })).count, 1);
    assert.equal((await point('mcp.server.operation.duration', { ...invalid, 'rpc.response.status_code': '-32602' })).count, 1);
    const tool = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'soft-fail', 'gen_ai.operation.name': 'execute_tool', 'mcp.protocol.version': VERSION, 'error.type': 'tool_error' };
    assert.equal((await point('mcp.client.operation.duration', { ...tool, ...SERVER_ID })).count, 1);
    assert.equal((await point('mcp.server.operation.duration', tool)).count, 1);
    const prompt = { 'mcp.method.name': 'prompts/get', 'gen_ai.prompt.name': 'missing', 'mcp.protocol.version': VERSION, 'rpc.response.status_code': '-32601' };
    assert.equal((await point('mcp.client.operation.duration', { ...prompt, ...SERVER_ID, 'error.type': '-32601' })).count, 1);
    assert.equal((await point('mcp.server.operation.duration', prompt)).count, 1);
    await client.close();
  });

  test('mcp.resource.uri stays off the metrics unless opted in', async () => {
    const client = await connect();
    await client.readResource({ uri: 'file:///readme.md' });
    await settle();
    const attributes = { 'mcp.method.name': 'resources/read', 'mcp.protocol.version': VERSION };
    assert.equal((await point('mcp.client.operation.duration', { ...attributes, ...SERVER_ID })).count, 1);
    assert.equal((await point('mcp.server.operation.duration', attributes)).count, 1);
    await client.close();
  });
});

describe('session durations', () => {
  test('one session per connection on each side, from initialize until close', async () => {
    const attributes = { 'mcp.protocol.version': VERSION };
    const clientAttributes = { ...attributes, ...SERVER_ID };
    const before = {
      client: await count('mcp.client.session.duration', clientAttributes),
      server: await count('mcp.server.session.duration', attributes),
    };
    const client = await connect();
    await sleep(30);
    assert.equal(await count('mcp.client.session.duration', clientAttributes), before.client, 'nothing while the session is open');
    await client.close();
    await settle();
    assert.equal(await count('mcp.client.session.duration', clientAttributes), before.client + 1);
    assert.equal(await count('mcp.server.session.duration', attributes), before.server + 1);
    const p = await point('mcp.client.session.duration', clientAttributes);
    assert.equal(p.unit, 's');
    assert.deepEqual(p.boundaries, BUCKETS);
  });

  test('a session closed with a request in flight ends with error.type -32000', async () => {
    const client = await connect();
    const call = client.callTool({ name: 'wait', arguments: {} });
    await sleep(20);
    await client.close();
    await assert.rejects(call);
    await settle();
    const attributes = { 'mcp.protocol.version': VERSION, 'error.type': '-32000' };
    assert.equal((await point('mcp.client.session.duration', { ...attributes, ...SERVER_ID })).count, 1);
    assert.equal((await point('mcp.server.session.duration', attributes)).count, 1);
  });
});

describe('where sessions begin and end', () => {
  test('a stdio server: the session ends with stdin; connecting and closing again leaves no listener behind', async () => {
    const { PassThrough } = await import('node:stream');
    const attributes = { 'mcp.protocol.version': VERSION, 'network.transport': 'pipe' };
    const before = await count('mcp.server.session.duration', attributes);
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    for (let i = 0; i < 12; i++) {
      const transport = new StdioServerTransport(stdin, stdout);
      await server().connect(transport);
      await transport.close();
    }
    assert.equal(stdin.listenerCount('end'), 0);
    // A fresh stdin: the SDK's close() paused the old one for good.
    const input = new PassThrough();
    const transport = new StdioServerTransport(input, stdout);
    await server().connect(transport);
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'c', version: '1' } } };
    input.write(JSON.stringify(initialize) + '\n');
    await sleep(20);
    input.end();
    stdout.resume();
    await sleep(20);
    assert.equal(await count('mcp.server.session.duration', attributes), before + 1, 'ended by stdin');
    await transport.close();
    assert.equal(await count('mcp.server.session.duration', attributes), before + 1, 'and only once');
    assert.equal(input.listenerCount('end'), 0);
  });

  test('stateless Streamable HTTP (no session id): no session is recorded', async () => {
    // Named like the SDK's class: the transport facts come from the class name.
    class StreamableHTTPServerTransport {
      async start() {}
      async send() {}
      async close() {
        this.onclose?.();
      }
    }
    const before = (await histogramPoints()).filter((p) => p.name === 'mcp.server.session.duration').reduce((n, p) => n + p.count, 0);
    const transport = new StreamableHTTPServerTransport();
    await server().connect(transport);
    transport.onmessage({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
    await sleep(20);
    await transport.close();
    const after = (await histogramPoints()).filter((p) => p.name === 'mcp.server.session.duration').reduce((n, p) => n + p.count, 0);
    assert.equal(after, before);
    assert.equal(await count('mcp.server.operation.duration', { 'mcp.method.name': 'initialize', 'mcp.protocol.version': VERSION, 'network.transport': 'tcp', 'network.protocol.name': 'http' }), 1, 'the initialize itself is measured');
  });
});
