// Unit tests of the per-method table (methods.ts) and the attribute builders (attributes.ts): span names, the
// attributes a span starts with for each kind of method, and what a transport's class and URL tell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { methodRule, spanName } = require('../../dist/instrumentation/methods.js');
const { peerAttributes, serverAttributes, startAttributes, transportFacts } = require('../../dist/instrumentation/attributes.js');

test('span names: the tool or prompt after the method; everything else by its method alone', () => {
  const table = [
    ['tools/call', { name: 'add' }, 'tools/call add'],
    ['prompts/get', { name: 'greeting' }, 'prompts/get greeting'],
    ['tools/call', {}, 'tools/call'],
    ['tools/call', { name: 42 }, 'tools/call'],
    ['resources/read', { uri: 'file:///a', name: 'x' }, 'resources/read'],
    ['initialize', undefined, 'initialize'],
    ['notifications/progress', { progressToken: 1 }, 'notifications/progress'],
    ['constructor', { name: 'x' }, 'constructor'],
  ];
  for (const [method, params, name] of table) assert.equal(spanName(method, params), name, `${method} ${JSON.stringify(params)}`);
});

test('start attributes per method, with the id, session, protocol version and transport facts', () => {
  const facts = { networkTransport: 'tcp', protocolName: 'http' };
  assert.deepEqual(startAttributes({ method: 'tools/call', params: { name: 'add' }, id: 7, sessionId: 's-1', protocolVersion: '2025-11-25' }, facts), {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'add',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': '7',
    'mcp.session.id': 's-1',
    'mcp.protocol.version': '2025-11-25',
    'network.transport': 'tcp',
    'network.protocol.name': 'http',
  });
  assert.deepEqual(startAttributes({ method: 'prompts/get', params: { name: 'greeting' } }, undefined), {
    'mcp.method.name': 'prompts/get',
    'gen_ai.prompt.name': 'greeting',
  });
  for (const method of ['resources/read', 'resources/subscribe', 'resources/unsubscribe', 'notifications/resources/updated']) {
    assert.deepEqual(startAttributes({ method, params: { uri: 'demo://a' } }, { networkTransport: 'pipe' }), {
      'mcp.method.name': method,
      'mcp.resource.uri': 'demo://a',
      'network.transport': 'pipe',
    });
  }
  assert.deepEqual(startAttributes({ method: 'ping', params: undefined, id: 'abc' }, undefined), { 'mcp.method.name': 'ping', 'jsonrpc.request.id': 'abc' });
});

test('result and special rules: tool_error from isError only on tools/call; initialize, cancel and logging marked', () => {
  assert.equal(methodRule('tools/call').resultError({ isError: true }), 'tool_error');
  assert.equal(methodRule('tools/call').resultError({ isError: false }), undefined);
  assert.equal(methodRule('tools/call').resultError(undefined), undefined);
  assert.equal(methodRule('prompts/get').resultError, undefined);
  assert.equal(methodRule('tools/call').runsToolCallback, true);
  assert.equal(methodRule('initialize').negotiates, true);
  assert.equal(methodRule('notifications/cancelled').cancels, true);
  assert.equal(methodRule('notifications/message').protocolLog, true);
  assert.deepEqual(methodRule('tools/list'), {});
  assert.deepEqual(methodRule('__proto__'), {});
});

test('transport facts from the SDK transport class names; server.address and port from a client URL', () => {
  const named = (name, fields = {}) => Object.assign(new ({ [name]: class {} })[name](), fields);
  assert.deepEqual(transportFacts(named('StdioServerTransport')), { networkTransport: 'pipe' });
  assert.deepEqual(transportFacts(named('StdioClientTransport')), { networkTransport: 'pipe' });
  assert.deepEqual(transportFacts(named('StreamableHTTPClientTransport', { _url: new URL('http://127.0.0.1:3000/mcp') })), {
    networkTransport: 'tcp',
    protocolName: 'http',
    serverAddress: '127.0.0.1',
    serverPort: 3000,
  });
  assert.deepEqual(transportFacts(named('SSEClientTransport', { _url: new URL('https://[::1]/sse') })), {
    networkTransport: 'tcp',
    protocolName: 'http',
    serverAddress: '::1',
    serverPort: 443,
  });
  assert.deepEqual(transportFacts(named('StreamableHTTPServerTransport')), { networkTransport: 'tcp', protocolName: 'http' });
  assert.deepEqual(transportFacts(named('WebSocketClientTransport', { _url: new URL('ws://example.test/') })), {
    networkTransport: 'tcp',
    protocolName: 'websocket',
    serverAddress: 'example.test',
    serverPort: 80,
  });
  assert.deepEqual(transportFacts(named('InMemoryTransport')), {});
  assert.deepEqual(transportFacts(named('MyOwnTransport', { _url: new URL('http://x/') })), {});
  // A bundle that mangled the names (bundled-source.ts): the SDK's stdio transports by their fields.
  assert.deepEqual(transportFacts(named('Xq', { _stdin: process.stdin, _stdout: process.stdout })), { networkTransport: 'pipe' });
  assert.deepEqual(transportFacts(named('Yr', { _serverParams: { command: 'node', args: [] } })), { networkTransport: 'pipe' });
  assert.deepEqual(transportFacts(named('Zs', { _stdin: {}, _stdout: {} })), {});
});

test('peer and server attributes', () => {
  const attributes = {};
  peerAttributes({ address: '127.0.0.1', port: 5000, httpVersion: '1.1' }, attributes);
  serverAttributes({ serverAddress: 'mcp.example', serverPort: 8443 }, attributes);
  assert.deepEqual(attributes, {
    'client.address': '127.0.0.1',
    'client.port': 5000,
    'network.protocol.version': '1.1',
    'server.address': 'mcp.example',
    'server.port': 8443,
  });
  const none = {};
  peerAttributes(undefined, none);
  serverAttributes({ networkTransport: 'pipe' }, none);
  assert.deepEqual(none, {});
});
