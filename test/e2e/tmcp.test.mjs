// tmcp, an MCP server library with its own JSON-RPC (not the MCP SDK), under the preload: fixtures/tmcp (a stdio
// server with the zod adapter, and the SDK's Client), installed by test/setup.mjs into .test-work/tmcp.
// - A host's raw messages on stdin: the server answers byte for byte as bare, and exits when stdin ends.
// - The SDK's Client, preloaded, calling the tmcp server, preloaded: SERVER spans with the names, attributes, status
//   and error.type an SDK server's have, each a child of the client's CLIENT span (one trace), each once; a tool's own
//   HTTP call is a child of its SERVER span; the operation and session metrics.
// - The same over Streamable HTTP (@tmcp/transport-http behind node:http): the HTTP attributes (session id, peer),
//   and the HTTP SERVER span that carried each message as a link.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, startListening, stopWithSigterm } from '../helpers/processes.mjs';

const DIR = join(ROOT, '.test-work', 'tmcp');
const SERVER = 2;
const CLIENT = 3;
const ERROR = 2;
const UNSET = 0;
const OURS = '@x/mcp-otel';
const VERSION = '2025-11-25';
// The newest version tmcp 1.20 negotiates in initialize.
const NEGOTIATED = '2025-06-18';
const TIMEOUT_MS = 30_000;

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

const HOST_INPUT = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: VERSION, capabilities: {}, clientInfo: { name: 'test-host', version: '1.0.0' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } },
  { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'refuse', arguments: {} } },
  { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'explode', arguments: {} } },
  { jsonrpc: '2.0', id: 6, method: 'prompts/get', params: { name: 'greet' } },
  { jsonrpc: '2.0', id: 7, method: 'resources/read', params: { uri: 'fixture://readme' } },
  { jsonrpc: '2.0', id: 8, method: 'nope/unknown' },
]
  .map((m) => JSON.stringify(m) + '\n')
  .join('');

const CLIENT_NAMED = { 'mcp.client.name': 'tmcp-test-client', 'mcp.client.version': '1.0.0' };

describe('tmcp stdio server', () => {
  test('answers a host byte for byte as bare, says it is hooked at the debug level, and exits when stdin ends', async () => {
    const bare = await run('server.mjs', { cwd: DIR, nodeArgs: [], input: HOST_INPUT, timeoutMs: TIMEOUT_MS });
    const preloaded = await run('server.mjs', {
      cwd: DIR,
      input: HOST_INPUT,
      timeoutMs: TIMEOUT_MS,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'tmcp-raw', OTEL_LOG_LEVEL: 'debug' },
    });
    assert.equal(bare.code, 0, bare.stderr);
    assert.equal(preloaded.code, 0, preloaded.stderr);
    assert.equal(bare.stdout.toString().split('\n').filter(Boolean).length, 8, bare.stdout.toString());
    assert.ok(bare.stdout.equals(preloaded.stdout), `bare:\n${bare.stdout}\npreloaded:\n${preloaded.stdout}`);
    assert.deepEqual(
      diagLines(preloaded.stderr).filter((line) => line.includes('hooked by name')),
      ['@x/mcp-otel debug: MCP server hooked by name: tmcp 1.20.0'],
    );
    await receiver.waitFor(() => receiver.spans.filter((s) => s.resource['service.name'] === 'tmcp-raw').length >= 9);
    const spans = receiver.spans.filter((s) => s.resource['service.name'] === 'tmcp-raw' && s.scope === OURS);
    assert.deepEqual(spans.map((s) => s.name).sort(), [
      'initialize',
      'nope/unknown',
      'notifications/initialized',
      'prompts/get greet',
      'resources/read',
      'tools/call add',
      'tools/call explode',
      'tools/call refuse',
      'tools/list',
    ]);
    for (const span of spans) assert.equal(span.kind, SERVER, span.name);
    // Method not found is the caller's fault: the status code, no error.
    const unknown = spans.find((s) => s.name === 'nope/unknown');
    assert.deepEqual(unknown.attributes, {
      'mcp.method.name': 'nope/unknown',
      'jsonrpc.request.id': '8',
      'mcp.protocol.version': NEGOTIATED,
      'network.transport': 'pipe',
      'mcp.client.name': 'test-host',
      'mcp.client.version': '1.0.0',
      'rpc.response.status_code': '-32601',
    });
    assert.equal(unknown.status.code, UNSET);
  });
});

describe('the SDK client (preloaded) calling a tmcp server (preloaded)', () => {
  let clientRun;
  let bareRun;
  const services = { client: 'tmcp-sdk-client', server: 'tmcp-server' };
  const spansOf = (service, scope = OURS) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === scope);

  before(async () => {
    bareRun = await run('client.mjs', { cwd: DIR, nodeArgs: [], env: { BARE_SERVER: '1' }, timeoutMs: TIMEOUT_MS });
    const started = performance.now();
    clientRun = await run('client.mjs', {
      cwd: DIR,
      timeoutMs: TIMEOUT_MS,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: services.client,
        SERVER_SERVICE_NAME: services.server,
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
        OTEL_LOGS_EXPORTER: 'none',
        // The tool `add` makes a GET to the receiver (a 404): its own HTTP span.
        TOOL_FETCH_URL: `${receiver.url}/tool-call`,
      },
    });
    clientRun.elapsedMs = performance.now() - started;
    await receiver.waitFor(
      () =>
        [services.client, services.server].every((service) =>
          receiver.metrics.some((m) => m.resource['service.name'] === service && m.name.endsWith('session.duration')),
        ) &&
        spansOf(services.server).length === EXPECTED.length + 2 &&
        spansOf(services.client).length === EXPECTED.length + 2,
    );
  });

  test('the answers are the same as with both bare, and the client exits in bound', () => {
    assert.equal(bareRun.code, 0, bareRun.stderr);
    assert.equal(clientRun.code, 0, clientRun.stderr);
    assert.equal(clientRun.stdout.toString(), bareRun.stdout.toString());
    const answers = JSON.parse(clientRun.stdout.toString());
    assert.equal(answers.length, 8);
    assert.deepEqual(answers[3], { code: -32603, message: 'MCP error -32603: exploded' });
    assert.deepEqual(answers[4], { content: [{ type: 'text', text: 'sampled' }] });
    assert.deepEqual(answers[7], { logged: ['asking the client'] });
    assert.ok(clientRun.elapsedMs < TIMEOUT_MS, `took ${clientRun.elapsedMs} ms`);
  });

  const EXPECTED = [
    ['initialize', '0'],
    ['notifications/initialized', undefined],
    ['tools/list', '1'],
    ['tools/call add', '2'],
    ['tools/call refuse', '3'],
    ['tools/call explode', '4'],
    ['tools/call ask', '5'],
    ['prompts/get greet', '6'],
    ['resources/read', '7'],
  ];

  function attributesOf(name, id) {
    const [method, target] = name.split(' ');
    // The server's spans name the SDK client (its initialize clientInfo).
    const attributes = { 'mcp.method.name': method, 'mcp.protocol.version': NEGOTIATED, 'network.transport': 'pipe', ...CLIENT_NAMED };
    if (id !== undefined) attributes['jsonrpc.request.id'] = id;
    if (method === 'tools/call') Object.assign(attributes, { 'gen_ai.tool.name': target, 'gen_ai.operation.name': 'execute_tool' });
    if (method === 'prompts/get') attributes['gen_ai.prompt.name'] = target;
    if (method === 'resources/read') attributes['mcp.resource.uri'] = 'fixture://readme';
    return attributes;
  }

  test('one SERVER span per message, each once, a child of the client CLIENT span of the same message', () => {
    const server = spansOf(services.server).filter((s) => s.kind === SERVER);
    const client = spansOf(services.client).filter((s) => s.kind === CLIENT);
    assert.deepEqual(server.map((s) => s.name).sort(), EXPECTED.map(([name]) => name).sort());
    assert.deepEqual(client.map((s) => s.name).sort(), EXPECTED.map(([name]) => name).sort());
    for (const [name, id] of EXPECTED) {
      const [received] = server.filter((s) => s.name === name);
      const [sent] = client.filter((s) => s.name === name);
      assert.equal(received.kind, SERVER, name);
      assert.equal(sent.kind, CLIENT, name);
      assert.equal(received.traceId, sent.traceId, `${name}: one trace`);
      assert.equal(received.parentSpanId, sent.spanId, `${name}: the CLIENT span is the parent`);
      const expected = attributesOf(name, id);
      if (name === 'tools/call refuse') expected['error.type'] = 'tool_error';
      if (name === 'tools/call explode') Object.assign(expected, { 'error.type': '-32603', 'rpc.response.status_code': '-32603' });
      assert.deepEqual(received.attributes, expected, name);
      assert.deepEqual(received.links, [], name);
    }
  });

  test("what the server sends (a log message, a sampling request): CLIENT spans under the tool, the client's SERVER spans under them", () => {
    const ask = spansOf(services.server).find((s) => s.name === 'tools/call ask');
    const sent = spansOf(services.server).filter((s) => s.kind === CLIENT);
    assert.deepEqual(sent.map((s) => s.name).sort(), ['notifications/message', 'sampling/createMessage']);
    const common = { 'mcp.protocol.version': NEGOTIATED, 'network.transport': 'pipe', ...CLIENT_NAMED };
    for (const span of sent) {
      assert.equal(span.traceId, ask.traceId, span.name);
      assert.equal(span.parentSpanId, ask.spanId, `${span.name}: a child of the tool's SERVER span`);
      assert.deepEqual(span.status, { code: UNSET, message: undefined }, span.name);
      const expected = { 'mcp.method.name': span.name, ...common };
      if (span.name === 'sampling/createMessage') expected['jsonrpc.request.id'] = span.attributes['jsonrpc.request.id'];
      assert.deepEqual(span.attributes, expected, span.name);
      const [received, ...more] = spansOf(services.client).filter((s) => s.kind === SERVER && s.name === span.name);
      assert.equal(more.length, 0, `${span.name}: received once`);
      assert.equal(received.traceId, span.traceId, `${span.name}: one trace`);
      assert.equal(received.parentSpanId, span.spanId, `${span.name}: the client's SERVER span is its child`);
    }
    assert.match(sent.find((s) => s.name === 'sampling/createMessage').attributes['jsonrpc.request.id'], /^\d+$/);
  });

  test('status and exceptions: isError is a tool_error, a throwing tool a -32603 with its exception recorded', () => {
    const byName = Object.fromEntries(spansOf(services.server).filter((s) => s.kind === SERVER).map((s) => [s.name, s]));
    for (const [name] of EXPECTED) {
      if (name === 'tools/call refuse' || name === 'tools/call explode') continue;
      assert.deepEqual(byName[name].status, { code: UNSET, message: undefined }, name);
      assert.deepEqual(byName[name].events, [], name);
    }
    assert.equal(byName['tools/call refuse'].status.code, ERROR);
    assert.deepEqual(byName['tools/call refuse'].events, []);
    const explode = byName['tools/call explode'];
    assert.deepEqual(explode.status, { code: ERROR, message: 'exploded' });
    assert.equal(explode.events.length, 1);
    assert.equal(explode.events[0].name, 'exception');
    assert.equal(explode.events[0].attributes['exception.type'], 'TypeError');
    assert.equal(explode.events[0].attributes['exception.message'], 'exploded');
  });

  test("the tool's own HTTP call is a child of its SERVER span", () => {
    const add = spansOf(services.server).find((s) => s.name === 'tools/call add');
    const gets = receiver.spans.filter((s) => s.resource['service.name'] === services.server && s.kind === CLIENT && s.name === 'GET');
    assert.equal(gets.length, 1);
    assert.equal(gets[0].traceId, add.traceId);
    assert.equal(gets[0].parentSpanId, add.spanId);
  });

  test('metrics: mcp.server.operation.duration per operation and one session, with the SDK server attributes', () => {
    const metric = (name) => {
      const found = receiver.metrics.filter((m) => m.resource['service.name'] === services.server && m.name === name);
      assert.equal(found.length, 1, `${name} exported once`);
      assert.equal(found[0].scope, OURS);
      assert.equal(found[0].unit, 's');
      return found[0].dataPoints.map((p) => ({ attributes: p.attributes, count: p.count }));
    };
    const common = { 'mcp.protocol.version': NEGOTIATED, 'network.transport': 'pipe' };
    const operations = metric('mcp.server.operation.duration');
    const key = (p) => `${p.attributes['mcp.method.name']} ${p.attributes['gen_ai.tool.name'] ?? ''}`.trim();
    assert.deepEqual(operations.map(key).sort(), [
      'initialize',
      'notifications/initialized',
      'prompts/get',
      'resources/read',
      'tools/call add',
      'tools/call ask',
      'tools/call explode',
      'tools/call refuse',
      'tools/list',
    ]);
    for (const p of operations) assert.equal(p.count, 1, key(p));
    const refuse = operations.find((p) => key(p) === 'tools/call refuse');
    assert.deepEqual(refuse.attributes, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'refuse',
      'gen_ai.operation.name': 'execute_tool',
      'error.type': 'tool_error',
      ...common,
    });
    assert.deepEqual(metric('mcp.server.session.duration'), [{ attributes: common, count: 1 }]);
    // What the server sent: mcp.client.operation.duration, no client session.
    const sentPoints = receiver.metrics.filter((m) => m.resource['service.name'] === services.server && m.name.startsWith('mcp.client.'));
    assert.deepEqual(sentPoints.map((m) => m.name), ['mcp.client.operation.duration']);
    assert.deepEqual(
      sentPoints[0].dataPoints.map((p) => ({ attributes: p.attributes, count: p.count })).sort((a, b) => (a.attributes['mcp.method.name'] < b.attributes['mcp.method.name'] ? -1 : 1)),
      [
        { attributes: { 'mcp.method.name': 'notifications/message', ...common }, count: 1 },
        { attributes: { 'mcp.method.name': 'sampling/createMessage', ...common }, count: 1 },
      ],
    );
  });
});

describe('the SDK client (preloaded) calling a tmcp Streamable HTTP server (preloaded)', () => {
  const services = { client: 'tmcp-http-client', server: 'tmcp-http-server' };
  const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === OURS);
  const EXPECTED = ['initialize', 'notifications/initialized', 'tools/list', 'tools/call add', 'tools/call refuse', 'tools/call explode', 'tools/call ask', 'prompts/get greet', 'resources/read'];
  let bareAnswers;
  let answers;

  /** Starts http-server.mjs (preloaded unless bare), runs the client against it, stops the server with SIGTERM. */
  async function session({ bare }) {
    const env = bare
      ? {}
      : { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: services.server, OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_LOGS_EXPORTER: 'none' };
    const server = await startListening('http-server.mjs', { cwd: DIR, nodeArgs: bare ? [] : undefined, env, timeoutMs: TIMEOUT_MS });
    try {
      const clientEnv = bare
        ? {}
        : { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: services.client, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
      const result = await run('client.mjs', { cwd: DIR, nodeArgs: bare ? [] : undefined, args: [`${server.url}/mcp`], env: clientEnv, timeoutMs: TIMEOUT_MS });
      assert.equal(result.code, 0, result.stderr);
      return result.stdout.toString();
    } finally {
      await stopWithSigterm(server.child);
    }
  }

  before(async () => {
    bareAnswers = await session({ bare: true });
    answers = await session({ bare: false });
    // Each process: a span per message it received and per message it sent (the server's two sent: log, sampling).
    await receiver.waitFor(
      () =>
        spansOf(services.server).length === EXPECTED.length + 2 &&
        spansOf(services.client).length === EXPECTED.length + 2 &&
        receiver.metrics.some((m) => m.resource['service.name'] === services.server && m.name === 'mcp.server.session.duration'),
    );
  });

  test('the answers are the same as bare', () => {
    assert.equal(answers, bareAnswers);
    assert.equal(JSON.parse(answers).length, 8);
  });

  test('one SERVER span per message, each once, a child of its CLIENT span, with the HTTP attributes and a link to the POST', () => {
    const server = spansOf(services.server).filter((s) => s.kind === SERVER);
    const client = spansOf(services.client).filter((s) => s.kind === CLIENT);
    assert.deepEqual(server.map((s) => s.name).sort(), [...EXPECTED].sort());
    const session = server.find((s) => s.name === 'initialize').attributes['mcp.session.id'];
    assert.match(session, /^[0-9a-f-]{36}$/);
    for (const name of EXPECTED) {
      const [received] = server.filter((s) => s.name === name);
      const [sent] = client.filter((s) => s.name === name);
      assert.equal(received.kind, SERVER, name);
      assert.equal(received.traceId, sent.traceId, `${name}: one trace`);
      assert.equal(received.parentSpanId, sent.spanId, `${name}: the CLIENT span is the parent`);
      const { 'client.port': port, 'jsonrpc.request.id': id, ...attributes } = received.attributes;
      assert.equal(typeof port, 'number', name);
      assert.equal(id, sent.attributes['jsonrpc.request.id'], name);
      const [method, target] = name.split(' ');
      const expected = {
        'mcp.method.name': method,
        'mcp.session.id': session,
        'mcp.protocol.version': NEGOTIATED,
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
        'network.protocol.version': '1.1',
        'client.address': '127.0.0.1',
        ...CLIENT_NAMED,
      };
      if (method === 'tools/call') Object.assign(expected, { 'gen_ai.tool.name': target, 'gen_ai.operation.name': 'execute_tool' });
      if (method === 'prompts/get') expected['gen_ai.prompt.name'] = target;
      if (method === 'resources/read') expected['mcp.resource.uri'] = 'fixture://readme';
      if (name === 'tools/call refuse') expected['error.type'] = 'tool_error';
      if (name === 'tools/call explode') Object.assign(expected, { 'error.type': '-32603', 'rpc.response.status_code': '-32603' });
      assert.deepEqual(attributes, expected, name);
      assert.equal(received.links.length, 1, `${name}: one link`);
      const post = receiver.spans.find((s) => s.spanId === received.links[0].spanId);
      assert.equal(post?.name, 'POST', `${name}: the link is the HTTP server span`);
      assert.equal(post.kind, SERVER);
      assert.equal(post.resource['service.name'], services.server);
    }
  });

  test('metrics: an operation per message, and the session from its initialize to the DELETE the client sent', () => {
    const metric = (name) => receiver.metrics.filter((m) => m.resource['service.name'] === services.server && m.name === name);
    const [operations, ...moreOperations] = metric('mcp.server.operation.duration');
    assert.equal(moreOperations.length, 0);
    assert.equal(operations.dataPoints.reduce((sum, p) => sum + p.count, 0), EXPECTED.length);
    const [session, ...moreSessions] = metric('mcp.server.session.duration');
    assert.equal(moreSessions.length, 0);
    assert.deepEqual(
      session.dataPoints.map((p) => ({ attributes: p.attributes, count: p.count })),
      [{ attributes: { 'mcp.protocol.version': NEGOTIATED, 'network.transport': 'tcp', 'network.protocol.name': 'http' }, count: 1 }],
    );
  });

  test("what the server sends over HTTP: CLIENT spans under the tool, with its session, the client's SERVER spans under them", () => {
    const ask = spansOf(services.server).find((s) => s.name === 'tools/call ask');
    const sent = spansOf(services.server).filter((s) => s.kind === CLIENT);
    assert.deepEqual(sent.map((s) => s.name).sort(), ['notifications/message', 'sampling/createMessage']);
    for (const span of sent) {
      assert.equal(span.parentSpanId, ask.spanId, `${span.name}: a child of the tool's SERVER span`);
      const { 'jsonrpc.request.id': id, ...attributes } = span.attributes;
      assert.equal(typeof id, span.name === 'sampling/createMessage' ? 'string' : 'undefined', span.name);
      assert.deepEqual(attributes, {
        'mcp.method.name': span.name,
        'mcp.session.id': ask.attributes['mcp.session.id'],
        'mcp.protocol.version': NEGOTIATED,
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
      });
      const received = spansOf(services.client).filter((s) => s.kind === SERVER && s.name === span.name);
      assert.equal(received.length, 1, `${span.name}: received once`);
      assert.equal(received[0].parentSpanId, span.spanId, `${span.name}: the client's SERVER span is its child`);
    }
  });
});
