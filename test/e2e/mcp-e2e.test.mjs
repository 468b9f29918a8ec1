// End to end: an SDK client and an SDK server, each a child process under `node --import @x/mcp-otel/register`,
// over stdio, Streamable HTTP (stateful and stateless) and HTTP+SSE, from ES modules and CommonJS, exporting real
// OTLP/HTTP protobuf to a receiver. The client's and the server's spans must form one trace.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { run, startListening, stopWithSigterm } from '../helpers/processes.mjs';

const OTLP_CLIENT = 3;
const OTLP_SERVER = 2;
const OTLP_INTERNAL = 1;
const PROTOCOL_VERSION = '2025-11-25';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const env = (service, extra = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  ...extra,
});

const of = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);
function one(service, name, kind) {
  const matches = of(service).filter((s) => s.name === name && s.kind === kind);
  assert.equal(matches.length, 1, `one ${name} (kind ${kind}) from ${service}; got ${of(service).map((s) => `${s.kind}:${s.name}`).join(', ')}`);
  return matches[0];
}

/** The assertions every transport shares: the agent span, the client span under it, the server span under that. */
function assertJoined(client, server, extraCommon) {
  const turn = one(client, 'agent turn', OTLP_INTERNAL);
  const callClient = one(client, 'tools/call add', OTLP_CLIENT);
  const callServer = one(server, 'tools/call add', OTLP_SERVER);
  assert.equal(callClient.parentSpanId, turn.spanId);
  assert.equal(callServer.parentSpanId, callClient.spanId);
  assert.equal(callServer.traceId, turn.traceId);
  const common = {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'add',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': '2',
    'mcp.protocol.version': PROTOCOL_VERSION,
    ...extraCommon,
  };
  for (const [key, value] of Object.entries(common)) {
    assert.equal(callClient.attributes[key], value, `client ${key}`);
    assert.equal(callServer.attributes[key], value, `server ${key}`);
  }
  const failClient = one(client, 'tools/call fail', OTLP_CLIENT);
  const failServer = one(server, 'tools/call fail', OTLP_SERVER);
  assert.equal(failServer.parentSpanId, failClient.spanId);
  for (const span of [failClient, failServer]) {
    assert.equal(span.attributes['error.type'], 'tool_error');
    assert.equal(span.status.code, 2);
  }
  assert.deepEqual(failServer.events.map((e) => [e.name, e.attributes['exception.message']]), [['exception', 'tool failed']]);
  const listServer = one(server, 'tools/list', OTLP_SERVER);
  assert.equal(listServer.parentSpanId, one(client, 'tools/list', OTLP_CLIENT).spanId);
  return { callClient, callServer };
}

describe('stdio', () => {
  for (const [client, server] of [
    ['mcp/client.mjs', 'mcp/server-stdio.mjs'],
    ['mcp/client.cjs', 'mcp/server-stdio.cjs'],
  ]) {
    test(`${client} -> ${server}: one trace, network.transport=pipe`, async () => {
      receiver.reset();
      const names = { client: `stdio-client-${client}`, server: `stdio-server-${server}` };
      const args = client.endsWith('.mjs') ? ['stdio', server] : [server];
      const result = await run(client, { args, env: env(names.client, { SERVER_SERVICE_NAME: names.server }), timeoutMs: 30_000 });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.toString(), '5 true\n');
      await receiver.waitFor(() => of(names.server).some((s) => s.name === 'tools/call fail') && of(names.client).some((s) => s.name === 'agent turn'));
      const { callServer } = assertJoined(names.client, names.server, { 'network.transport': 'pipe' });
      assert.equal(callServer.attributes['mcp.session.id'], undefined);
      assert.equal(callServer.attributes['network.protocol.name'], undefined);
      assert.deepEqual(callServer.links, []);
    });
  }
});

describe('HTTP', () => {
  for (const [file, mode] of [
    ['mcp/server-http.mjs', 'stateful'],
    ['mcp/server-http.cjs', 'stateful'],
    ['mcp/server-http.mjs', 'stateless'],
    ['mcp/server-http.cjs', 'sse'],
    ['mcp/server-http.mjs', 'sse'],
  ]) {
    test(`${file} ${mode}: one trace, HTTP attributes, a link to the HTTP server span`, async () => {
      receiver.reset();
      const names = { client: `http-client-${mode}`, server: `http-server-${mode}-${file}` };
      const server = await startListening(file, { args: [mode], env: env(names.server), timeoutMs: 60_000 });
      try {
        const result = await run('mcp/client.mjs', { args: [mode, server.url], env: env(names.client), timeoutMs: 30_000 });
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stdout.toString(), '5 true\n');
      } finally {
        await stopWithSigterm(server.child);
      }
      await receiver.waitFor(() => of(names.server).some((s) => s.name === 'tools/call fail') && of(names.client).some((s) => s.name === 'agent turn'));
      const { callClient, callServer } = assertJoined(names.client, names.server, { 'network.transport': 'tcp', 'network.protocol.name': 'http' });
      assert.equal(callClient.attributes['server.address'], '127.0.0.1');
      assert.equal(callClient.attributes['server.port'], server.port);
      assert.equal(callServer.attributes['client.address'], '127.0.0.1');
      assert.equal(typeof callServer.attributes['client.port'], 'number');
      assert.equal(callServer.attributes['network.protocol.version'], '1.1');
      assert.equal(callServer.attributes['server.address'], undefined);
      if (mode === 'stateless') {
        assert.equal(callServer.attributes['mcp.session.id'], undefined);
        assert.equal(callClient.attributes['mcp.session.id'], undefined);
      } else {
        assert.match(callServer.attributes['mcp.session.id'], /^[0-9a-f-]{36}$/);
        assert.equal(callClient.attributes['mcp.session.id'], mode === 'sse' ? undefined : callServer.attributes['mcp.session.id']);
      }
      // The MCP server span's parent is the MCP client span; the HTTP server span that carried the message is a link.
      assert.equal(callServer.links.length, 1);
      const [link] = callServer.links;
      const httpSpan = of(names.server).find((s) => s.spanId === link.spanId);
      assert.ok(httpSpan, 'the linked span was exported by the server');
      assert.equal(httpSpan.kind, OTLP_SERVER);
      assert.equal(httpSpan.name, 'POST');
      assert.equal(httpSpan.scope, '@opentelemetry/instrumentation-http');
      const httpClient = of(names.client).find((s) => s.spanId === httpSpan.parentSpanId);
      assert.equal(httpClient.parentSpanId, callClient.spanId, 'the HTTP request that carried the call nests under the MCP client span');
    });
  }
});

test('OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS drops spans of the named methods and keeps the trace joined', async () => {
  receiver.reset();
  const names = { client: 'excluding-client', server: 'excluding-server' };
  const excluded = { OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS: 'tools/list, notifications/initialized' };
  const result = await run('mcp/client.mjs', {
    args: ['stdio', 'mcp/server-stdio.mjs'],
    env: env(names.client, { ...excluded, SERVER_SERVICE_NAME: names.server }),
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor(() => of(names.server).some((s) => s.name === 'tools/call fail') && of(names.client).some((s) => s.name === 'agent turn'));
  const all = receiver.spans.map((s) => s.name);
  assert.equal(all.includes('tools/list'), false);
  assert.equal(all.includes('notifications/initialized'), false);
  assert.equal(one(names.server, 'tools/call add', OTLP_SERVER).parentSpanId, one(names.client, 'tools/call add', OTLP_CLIENT).spanId);
});

test('three copies of the SDK in one process (ESM 1.32.2, CJS 1.32.2, a nested 1.12.3): each instrumented once', async () => {
  receiver.reset();
  const result = await run('mcp/two-copies.mjs', { env: env('two-copies'), timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '3 42\n');
  await receiver.waitFor(() => of('two-copies').filter((s) => s.name.startsWith('tools/call')).length >= 4);
  for (const name of ['tools/call add', 'tools/call double']) {
    const client = one('two-copies', name, OTLP_CLIENT);
    const server = one('two-copies', name, OTLP_SERVER);
    assert.equal(server.parentSpanId, client.spanId);
  }
  assert.equal(of('two-copies').filter((s) => s.name === 'initialize').length, 4, 'two connections, a CLIENT and a SERVER span each');
});

test('OTEL_NODE_DISABLED_INSTRUMENTATIONS=mcp: no MCP spans, the app and its own spans unchanged', async () => {
  receiver.reset();
  const off = { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'mcp', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,mcp' };
  const result = await run('mcp/client.mjs', {
    args: ['stdio', 'mcp/server-stdio.mjs'],
    env: env('mcp-off-client', { ...off, SERVER_SERVICE_NAME: 'mcp-off-server' }),
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '5 true\n');
  assert.doesNotMatch(result.stderr, /@x\/mcp-otel warn/, 'mcp is a known instrumentation name');
  await receiver.waitFor(() => of('mcp-off-client').some((s) => s.name === 'agent turn'));
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(receiver.spans.filter((s) => s.scope === '@x/mcp-otel'), []);
});

test("McpInstrumentation in a user's own setup (no preload; upstream's ESM hook that wraps every module)", async () => {
  const result = await run('mcp/in-memory.mjs', { nodeArgs: ['--import', './mcp/own-setup.mjs'], timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '42\n');
  const spans = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  const client = spans.filter((s) => s.name === 'tools/call add' && s.kind === 2);
  const server = spans.filter((s) => s.name === 'tools/call add' && s.kind === 1);
  assert.equal(client.length, 1, result.stderr);
  assert.equal(server.length, 1, result.stderr);
  assert.equal(server[0].parentSpanId, client[0].spanId);
});

test('a failed request nobody awaits crashes the app as it would without the preload', async () => {
  const bare = await run('mcp/unhandled.mjs', { nodeArgs: [], timeoutMs: 20_000 });
  const preloaded = await run('mcp/unhandled.mjs', { env: env('unhandled'), timeoutMs: 20_000 });
  assert.equal(bare.code, 1, bare.stderr);
  assert.match(bare.stderr, /McpError: MCP error -32601: Method not found/);
  assert.equal(preloaded.code, bare.code, preloaded.stderr);
  assert.match(preloaded.stderr, /McpError: MCP error -32601: Method not found/);
  assert.equal(preloaded.stdout.toString(), bare.stdout.toString());
});
