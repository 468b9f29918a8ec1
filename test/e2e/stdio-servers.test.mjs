// Stdio servers an agent spawns (issue 22): a preloaded agent (fixtures/everything/spawned.mjs, run from
// .test-work/third-party/everything) spawns the real npm server @modelcontextprotocol/server-everything through the
// SDK's StdioClientTransport without passing `env`, as most apps do, so the SDK gives the server only its default
// list of variables. With OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS=true the agent passes the preload and its
// OTEL_* settings: the server's SERVER spans join the agent's trace, under its CLIENT spans, with a service name
// taken from the server's command; the exporter headers reach the server only under
// OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS=true. v1 and v2 clients, node and npx launches; and the
// switch off, today's behaviour: CLIENT spans only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delimiter, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run } from '../helpers/processes.mjs';

const EVERYTHING_DIR = join(ROOT, '.test-work', 'third-party', 'everything');
const REGISTER_URL = pathToFileURL(join(ROOT, '.test-work', 'third-party', 'node_modules', '@x', 'mcp-otel', 'register.mjs')).href;
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const AGENT = 'spawning-agent';
const HEADER = 'x-test-api-key';
const SECRET = 'secret-value-123';

/** Runs the agent with the preload; resolves with the receiver (closed), its output and the spans by service. */
async function agent(sdk, launcher, extraEnv = {}, { expectServerSpans = true } = {}) {
  const receiver = await startReceiver();
  try {
    const result = await run('spawned.mjs', {
      cwd: EVERYTHING_DIR,
      args: [sdk, launcher],
      timeoutMs: 40_000,
      env: {
        // npx, and the node its bin runs with, are the ones of this node.
        PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}`,
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_EXPORTER_OTLP_HEADERS: `${HEADER}=${SECRET}`,
        OTEL_SERVICE_NAME: AGENT,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        ...extraEnv,
      },
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diagLines(result.stderr), [], result.stderr);
    const out = JSON.parse(result.stdout.toString());
    assert.deepEqual(out.echo, { content: [{ type: 'text', text: 'Echo: hello' }] });
    // The agent flushed at its exit, after the server's exit: wait only for the receiver to have parsed both.
    const count = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service).length;
    await receiver.waitFor(() => count(AGENT) >= 6, 5000);
    if (expectServerSpans) await receiver.waitFor(() => receiver.spans.length >= 11, 5000);
    else await new Promise((resolve) => setTimeout(resolve, 500));
    return { out, receiver, stderr: result.stderr };
  } finally {
    await receiver.close();
  }
}

const sorted = (spans) =>
  spans.map((s) => `${s.kind === INTERNAL ? 'INTERNAL' : s.kind === SERVER ? 'SERVER' : 'CLIENT'} ${s.name}`).sort();

const AGENT_SPANS = [
  'CLIENT initialize',
  'CLIENT notifications/initialized',
  'CLIENT tools/call echo',
  'CLIENT tools/call get-env',
  'INTERNAL agent turn',
  // server-everything registers more tools after `initialized` and says so.
  'SERVER notifications/tools/list_changed',
];
const SERVER_SPANS = [
  'CLIENT notifications/tools/list_changed',
  'SERVER initialize',
  'SERVER notifications/initialized',
  'SERVER tools/call echo',
  'SERVER tools/call get-env',
];

/** One trace: the agent's turn, its CLIENT spans under it, each SERVER span of the server under its CLIENT span. */
function assertOneTrace(receiver, serverService) {
  const spans = receiver.spans;
  const of = (service) => spans.filter((s) => s.resource['service.name'] === service);
  assert.deepEqual(sorted(of(AGENT)), AGENT_SPANS);
  assert.deepEqual(sorted(of(serverService)), SERVER_SPANS);
  assert.equal(spans.length, AGENT_SPANS.length + SERVER_SPANS.length, `no other spans: ${sorted(spans)}`);
  const [turn] = of(AGENT).filter((s) => s.name === 'agent turn');
  assert.equal(turn.parentSpanId, undefined);
  for (const name of ['initialize', 'notifications/initialized', 'tools/call echo', 'tools/call get-env']) {
    const [client] = of(AGENT).filter((s) => s.kind === CLIENT && s.name === name);
    const [server] = of(serverService).filter((s) => s.kind === SERVER && s.name === name);
    assert.equal(client.traceId, turn.traceId, `${name}: the agent's trace`);
    assert.equal(client.parentSpanId, turn.spanId, `${name}: under the agent's turn`);
    assert.equal(server.traceId, turn.traceId, `${name}: the server's span is in the agent's trace`);
    assert.equal(server.parentSpanId, client.spanId, `${name}: the server's span is a child of the CLIENT span`);
    assert.equal(server.attributes['mcp.method.name'], name.split(' ')[0]);
    assert.equal(server.attributes['network.transport'], 'pipe');
  }
  // The server's own notification and the agent's receipt of it: one pair, the agent's span under the server's.
  const [sent] = of(serverService).filter((s) => s.kind === CLIENT);
  const [received] = of(AGENT).filter((s) => s.kind === SERVER);
  assert.equal(received.traceId, sent.traceId);
  assert.equal(received.parentSpanId, sent.spanId);
}

/** The receiver's requests by sender: each one carried one service's data. */
function requestsOf(receiver, service) {
  const requests = receiver.requests.filter((r) => r.services.includes(service));
  for (const r of requests) assert.deepEqual(r.services, [service]);
  return requests;
}

test('v1 client, node server: one trace, the service name from the script, no exporter headers for the server', async () => {
  const { out, receiver } = await agent('v1', 'node', { OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true' });
  const service = '@modelcontextprotocol/server-everything';
  assertOneTrace(receiver, service);
  // What the server got: the SDK's default list, our additions, nothing of the agent's own.
  const env = out.serverEnv;
  assert.equal(env.NODE_OPTIONS, `--import ${REGISTER_URL}`);
  assert.equal(env.OTEL_SERVICE_NAME, service);
  assert.equal(env.OTEL_EXPORTER_OTLP_HEADERS, undefined);
  assert.equal(env.OTEL_EXPORTER_OTLP_ENDPOINT, receiver.url);
  assert.deepEqual(
    Object.keys(env).filter((k) => !['HOME', 'LOGNAME', 'PATH', 'SHELL', 'TERM', 'USER'].includes(k)).sort(),
    [
      'NODE_OPTIONS',
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS',
      'OTEL_LOGS_EXPORTER',
      'OTEL_METRICS_EXPORTER',
      'OTEL_SERVICE_NAME',
    ],
  );
  // The agent's exports carry the header, the server's do not.
  const agentRequests = requestsOf(receiver, AGENT);
  const serverRequests = requestsOf(receiver, service);
  assert.ok(agentRequests.length >= 1 && serverRequests.length >= 1);
  for (const r of agentRequests) assert.equal(r.headers[HEADER], SECRET);
  for (const r of serverRequests) assert.equal(r.headers[HEADER], undefined);
});

test('v2 client, node server: one trace; with the second switch the server exports with the headers too', async () => {
  const { out, receiver } = await agent('v2', 'node', {
    OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
    OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS: 'true',
  });
  const service = '@modelcontextprotocol/server-everything';
  assertOneTrace(receiver, service);
  assert.equal(out.serverEnv.OTEL_EXPORTER_OTLP_HEADERS, `${HEADER}=${SECRET}`);
  assert.equal(out.serverEnv.NODE_OPTIONS, `--import ${REGISTER_URL}`);
  const serverRequests = requestsOf(receiver, service);
  assert.ok(serverRequests.length >= 1);
  for (const r of [...requestsOf(receiver, AGENT), ...serverRequests]) assert.equal(r.headers[HEADER], SECRET);
});

test('v1 client, server launched by npx: NODE_OPTIONS reaches it through npx; the service name is the package bin', async () => {
  const { out, receiver } = await agent('v1', 'npx', { OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true' });
  assert.deepEqual(out.params, { command: 'npx', args: ['--no-install', 'mcp-server-everything', 'stdio'], cwd: EVERYTHING_DIR });
  const service = 'mcp-server-everything';
  // npx itself ran with the preload too (it makes no spans); the server's spans are all there is of that name.
  assertOneTrace(receiver, service);
  assert.equal(out.serverEnv.OTEL_SERVICE_NAME, service);
  assert.equal(out.serverEnv.NODE_OPTIONS, `--import ${REGISTER_URL}`);
  assert.equal(out.serverEnv.OTEL_EXPORTER_OTLP_HEADERS, undefined);
  for (const r of requestsOf(receiver, service)) assert.equal(r.headers[HEADER], undefined);
});

test('switch off (the default): the server gets no preload and no OTEL_* settings, so only the agent exports', async () => {
  const { out, receiver } = await agent('v2', 'node', {}, { expectServerSpans: false });
  const env = out.serverEnv;
  assert.deepEqual(
    Object.keys(env).filter((k) => k === 'NODE_OPTIONS' || k.startsWith('OTEL_')),
    [],
  );
  assert.deepEqual(sorted(receiver.spans), AGENT_SPANS);
  assert.deepEqual([...new Set(receiver.requests.flatMap((r) => r.services))], [AGENT]);
});

test('CommonJS agents, v1 and v2: the same environment reaches the server; none with the switch off', async () => {
  const env = {
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_SERVICE_NAME: AGENT,
  };
  const on = await run('spawned-env.cjs', {
    cwd: EVERYTHING_DIR,
    timeoutMs: 40_000,
    env: { ...env, OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true' },
  });
  assert.equal(on.code, 0, on.stderr);
  const passed = {
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
    OTEL_SERVICE_NAME: '@modelcontextprotocol/server-everything',
    NODE_OPTIONS: `--import ${REGISTER_URL}`,
  };
  assert.deepEqual(JSON.parse(on.stdout.toString()), { v1: passed, v2: passed });
  const off = await run('spawned-env.cjs', { cwd: EVERYTHING_DIR, timeoutMs: 40_000, env });
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(JSON.parse(off.stdout.toString()), { v1: {}, v2: {} });
});
