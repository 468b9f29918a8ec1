// The Vercel AI SDK's own MCP client, @ai-sdk/mcp 2.0.99 (no MCP SDK inside), under the preload: an agent
// (fixtures/ai-sdk/agent.mjs, installed with test/ai-sdk's lockfile into .test-work/ai-sdk) lists the tools of an MCP
// SDK server and calls one, over stdio (the agent spawns the server, preloaded too) and over Streamable HTTP (a
// server on 127.0.0.1, port 0, with sessions; there the client asks `server/discover` first, which the server
// refuses, then sends initialize). Every process exports to one OTLP receiver. Asserted: its CLIENT spans and metrics
// are those of the MCP SDK's own client doing the same (run the same way, for comparison), the server's SERVER spans
// are their children in one trace, each span once, the answers are the same bare and preloaded. With `ai`'s
// generateText and a mock model calling the tool: @ai-sdk/otel's `execute_tool add` span takes the MCP attributes
// (no CLIENT span); its legacy `ai.toolCall` span is not a GenAI tool span, and the CLIENT span is its child.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { PRELOAD, ROOT, diagLines, run, startListening } from '../helpers/processes.mjs';

const DIR = join(ROOT, '.test-work', 'ai-sdk');
const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const UNSET = 0;
const ERROR = 2;
const OURS = '@x/mcp-otel';
const LEGACY = '2025-11-25';
const MODERN = '2026-07-28';
const ANSWER = { tools: ['add'], add: { content: [{ type: 'text', text: '5' }] } };
const METHODS = ['initialize', 'notifications/initialized', 'tools/list', 'tools/call add'];

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

const otelEnv = (service) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_METRIC_EXPORT_INTERVAL: '60000',
});
const spansOf = (service, scope = OURS) =>
  receiver.spans.filter((s) => s.resource['service.name'] === service && (scope === null || s.scope === scope));

/** Runs the agent bare and preloaded: both answer `expected`, in bound; returns the preloaded run's stderr. */
async function runAgent(service, args, expected) {
  const bare = await run('agent.mjs', { cwd: DIR, nodeArgs: [], args, env: {}, timeoutMs: 30_000 });
  assert.equal(bare.code, 0, bare.stderr);
  const preloaded = await run('agent.mjs', { cwd: DIR, args, env: { ...otelEnv(service), OTEL_LOG_LEVEL: 'debug' }, timeoutMs: 30_000 });
  assert.equal(preloaded.code, 0, preloaded.stderr);
  assert.deepEqual(JSON.parse(preloaded.stdout.toString()), JSON.parse(bare.stdout.toString()));
  assert.deepEqual(JSON.parse(preloaded.stdout.toString()), expected);
  return preloaded.stderr;
}

/** The CLIENT spans of a service by name, each exactly once. */
function clientSpans(service, names) {
  const spans = spansOf(service).filter((s) => s.kind === CLIENT);
  assert.deepEqual(spans.map((s) => s.name).sort(), [...names].sort(), `${service}: its CLIENT spans`);
  assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, `${service}: each span once`);
  return Object.fromEntries(spans.map((s) => [s.name, s]));
}

/** The attributes that differ between two clients of one server: the request ids and the session. */
const withoutIds = ({ 'jsonrpc.request.id': _, 'mcp.session.id': __, ...rest }) => rest;

/** The points of a histogram of a service (exported once, at exit), by the method (and tool) they are of. */
function points(service, name) {
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === name);
  assert.equal(metrics.length, 1, `${service}: ${name} exported once`);
  return metrics[0].dataPoints.map(({ attributes, count }) => ({ attributes, count }));
}
const byMethod = (list) =>
  Object.fromEntries(list.map((p) => [[p.attributes['mcp.method.name'], p.attributes['gen_ai.tool.name']].filter(Boolean).join(' '), p]));

/** Each CLIENT span has the server's SERVER span of the same message as its child, in its trace. */
function assertServerChildren(clients, serverService) {
  const servers = spansOf(serverService).filter((s) => s.kind === SERVER);
  for (const name of METHODS) {
    const children = servers.filter((s) => s.parentSpanId === clients[name].spanId);
    assert.equal(children.length, 1, `${name}: one SERVER child`);
    assert.equal(children[0].name, name);
    assert.equal(children[0].traceId, clients[name].traceId, `${name}: one trace`);
    // Both sides name the same session (none over stdio).
    assert.equal(children[0].attributes['mcp.session.id'], clients[name].attributes['mcp.session.id'], `${name}: session`);
  }
}

async function waitForAll(services) {
  await receiver.waitFor(() => services.every((service) => receiver.metrics.some((m) => m.resource['service.name'] === service)), 10_000);
  await receiver.waitFor(() => services.every((service) => spansOf(service).length > 0), 10_000);
}

/** The server the agents call, as its initialize result names it: on every span of theirs after it, and their points. */
const NAMED = { 'mcp.server.name': 'ai-sdk-fixture', 'mcp.server.version': '1.0.0' };

describe('@ai-sdk/mcp under the preload', () => {
  test('over stdio: the CLIENT spans and metrics of the MCP SDK client, trace context to the server, answers unchanged', async () => {
    const stderr = await runAgent('ai-stdio', ['stdio', 'server.mjs', 'ai-sdk'], { ...ANSWER, add: { ...ANSWER.add, isError: false } });
    assert.ok(diagLines(stderr).includes('@x/mcp-otel debug: MCP client hooked by name: @ai-sdk/mcp 2.0.99'), stderr);
    await runAgent('sdk-stdio', ['stdio', 'server.mjs', 'sdk'], ANSWER);
    await waitForAll(['ai-stdio', 'sdk-stdio', 'ai-stdio-server', 'sdk-stdio-server']);
    await receiver.waitFor(() => spansOf('ai-stdio-server').length >= 4 && spansOf('ai-stdio').length >= 4);

    // The agent asks for initialize over stdio (fixtures/ai-sdk/agent.mjs says why): the same messages as the SDK client.
    const ai = clientSpans('ai-stdio', METHODS);
    const sdk = clientSpans('sdk-stdio', METHODS);
    for (const name of METHODS) {
      assert.deepEqual(ai[name].attributes, sdk[name].attributes, `${name}: as the SDK client's`);
      assert.equal(ai[name].status.code, UNSET, name);
      assert.equal(ai[name].parentSpanId, undefined, `${name}: a root span`);
    }
    assert.deepEqual(ai['tools/call add'].attributes, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'add',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '2',
      'mcp.protocol.version': LEGACY,
      'network.transport': 'pipe',
      ...NAMED,
    });
    assert.deepEqual(
      METHODS.map((name) => ai[name].attributes['jsonrpc.request.id']),
      ['0', undefined, '1', '2'],
    );
    assertServerChildren(ai, 'ai-stdio-server');

    const aiOps = byMethod(points('ai-stdio', 'mcp.client.operation.duration'));
    const sdkOps = byMethod(points('sdk-stdio', 'mcp.client.operation.duration'));
    assert.deepEqual(aiOps, sdkOps);
    assert.deepEqual(Object.keys(aiOps).sort(), [...METHODS].sort());
    assert.deepEqual(points('ai-stdio', 'mcp.client.session.duration'), points('sdk-stdio', 'mcp.client.session.duration'));
    assert.deepEqual(points('ai-stdio', 'mcp.client.session.duration'), [
      { attributes: { 'mcp.protocol.version': LEGACY, 'network.transport': 'pipe', ...NAMED }, count: 1 },
    ]);
  });

  test('over Streamable HTTP: server.address and server.port as the SDK client has them, one trace with the server', async () => {
    const server = await startListening('server.mjs', { cwd: DIR, args: ['http'], env: otelEnv('http-server'), timeoutMs: 60_000 });
    try {
      const url = `${server.url}/mcp`;
      await runAgent('ai-http', ['http', url, 'ai-sdk'], { ...ANSWER, add: { ...ANSWER.add, isError: false } });
      await runAgent('sdk-http', ['http', url, 'sdk'], ANSWER);
      await waitForAll(['ai-http', 'sdk-http']);
      const ai = clientSpans('ai-http', ['server/discover', ...METHODS]);
      const sdk = clientSpans('sdk-http', METHODS);
      const network = { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': server.port };
      for (const name of METHODS) {
        assert.deepEqual(withoutIds(ai[name].attributes), withoutIds(sdk[name].attributes), `${name}: as the SDK client's`);
        assert.equal(ai[name].status.code, UNSET, name);
      }
      assert.deepEqual(
        METHODS.map((name) => ai[name].attributes['jsonrpc.request.id']),
        ['1', undefined, '2', '3'],
      );
      assert.deepEqual(withoutIds(sdk['tools/list'].attributes), {
        'mcp.method.name': 'tools/list',
        'mcp.protocol.version': LEGACY,
        ...network,
        ...NAMED,
      });
      // The session the server gave each client (mcp-session-id), on every span after initialize's answer.
      for (const spans of [ai, sdk]) {
        const ids = METHODS.map((name) => spans[name].attributes['mcp.session.id']);
        assert.match(ids[0], /^[0-9a-f-]{36}$/);
        assert.deepEqual(ids, [ids[0], ids[0], ids[0], ids[0]]);
      }
      assert.notEqual(ai.initialize.attributes['mcp.session.id'], sdk.initialize.attributes['mcp.session.id']);
      // The server refuses a request without a session with HTTP 400 before MCP sees it: the client's request failed
      // at the HTTP layer (the AI SDK's exception has the status), and error.type is the status code (then the client
      // falls back to initialize).
      const discover = ai['server/discover'];
      assert.deepEqual(discover.attributes, {
        'mcp.method.name': 'server/discover',
        'jsonrpc.request.id': '0',
        'mcp.protocol.version': MODERN,
        'error.type': '400',
        'http.response.status_code': 400,
        ...network,
      });
      assert.equal(discover.status.code, ERROR);
      assert.match(discover.status.message, /HTTP 400/);
      // The HTTP request that carries each message is a child of its CLIENT span.
      const posts = spansOf('ai-http', '@opentelemetry/instrumentation-undici').filter((s) => s.name === 'POST');
      for (const name of METHODS) assert.equal(posts.filter((s) => s.parentSpanId === ai[name].spanId).length, 1, `${name}: its POST`);
      await receiver.waitFor(() => spansOf('http-server').filter((s) => s.kind === SERVER && METHODS.includes(s.name)).length >= 8, 10_000);
      assertServerChildren(ai, 'http-server');

      const aiOps = byMethod(points('ai-http', 'mcp.client.operation.duration'));
      const sdkOps = byMethod(points('sdk-http', 'mcp.client.operation.duration'));
      for (const name of METHODS) assert.deepEqual(aiOps[name], sdkOps[name], `${name}: the metric point`);
      assert.deepEqual(points('ai-http', 'mcp.client.session.duration'), points('sdk-http', 'mcp.client.session.duration'));
    } finally {
      server.child.stdin.end();
      await server.child.result;
    }
  });

  test("generateText with @ai-sdk/otel: its execute_tool span takes the MCP attributes, and the server's span is its child", async () => {
    const expected = { text: 'The sum is 5.', toolResults: [{ toolName: 'add', output: { ...ANSWER.add, isError: false } }] };
    await runAgent('ai-otel', ['stdio', 'server.mjs', 'ai', 'otel'], expected);
    await waitForAll(['ai-otel', 'ai-otel-server']);
    await receiver.waitFor(() => spansOf('ai-otel', null).some((s) => s.name === 'execute_tool add'));
    const tools = spansOf('ai-otel', null).filter((s) => s.name === 'execute_tool add');
    assert.equal(tools.length, 1);
    const [tool] = tools;
    assert.equal(tool.kind, INTERNAL);
    assert.notEqual(tool.scope, OURS);
    assert.deepEqual(
      Object.fromEntries(Object.entries(tool.attributes).filter(([key]) => /^(mcp|jsonrpc|network|gen_ai\.(tool\.name|operation))/.test(key))),
      { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add', 'mcp.method.name': 'tools/call', 'jsonrpc.request.id': '2', 'mcp.protocol.version': LEGACY, 'network.transport': 'pipe', ...NAMED },
    );
    // No CLIENT span of ours for the call: the agent's tool span is the operation's.
    clientSpans('ai-otel', ['initialize', 'notifications/initialized', 'tools/list']);
    await receiver.waitFor(() => spansOf('ai-otel-server').some((s) => s.name === 'tools/call add'));
    const served = spansOf('ai-otel-server').filter((s) => s.kind === SERVER && s.name === 'tools/call add');
    assert.equal(served.length, 1);
    assert.equal(served[0].parentSpanId, tool.spanId);
    assert.equal(served[0].traceId, tool.traceId);
    assert.equal(byMethod(points('ai-otel', 'mcp.client.operation.duration'))['tools/call add'].count, 1);
  });

  test('generateText with the legacy integration: the CLIENT span is a child of its ai.toolCall span, the server span of it', async () => {
    const expected = { text: 'The sum is 5.', toolResults: [{ toolName: 'add', output: { ...ANSWER.add, isError: false } }] };
    await runAgent('ai-legacy', ['stdio', 'server.mjs', 'ai', 'legacy'], expected);
    await waitForAll(['ai-legacy', 'ai-legacy-server']);
    await receiver.waitFor(() => spansOf('ai-legacy', null).some((s) => s.name === 'ai.toolCall'));
    const toolCalls = spansOf('ai-legacy', null).filter((s) => s.name === 'ai.toolCall');
    assert.equal(toolCalls.length, 1);
    const call = clientSpans('ai-legacy', METHODS)['tools/call add'];
    assert.equal(call.parentSpanId, toolCalls[0].spanId);
    assert.equal(call.traceId, toolCalls[0].traceId);
    await receiver.waitFor(() => spansOf('ai-legacy-server').some((s) => s.name === 'tools/call add'));
    const served = spansOf('ai-legacy-server').filter((s) => s.kind === SERVER && s.name === 'tools/call add');
    assert.equal(served.length, 1);
    assert.equal(served[0].parentSpanId, call.spanId);
  });
});
