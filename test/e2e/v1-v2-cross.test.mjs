// v1 and v2 of the MCP SDK talking to each other, end to end, each process under the preload
// (`node --import @x/mcp-otel/register`) and exporting to one OTLP receiver: a v1 client (SDK 1.32.2) with a v2 server
// (2.4.0, the legacy era: a v1 client only speaks 2025-11-25), and a v2 client (2.4.0) with a v1 server, over stdio
// and Streamable HTTP. The v2 client runs in the legacy era (a default Client) and with versionNegotiation `auto`,
// whose server/discover probe the v1 server does not know: the client falls back to initialize.
// Client and server are the matrix fixtures as installed by test/setup.mjs (.test-work/third-party/node_modules/
// sdk-1.32.2 and sdk-v2-2.4.0); the v1 client starts its stdio server as `<file> stdio`, so it starts the v2 server
// through fixtures/v2-third-party/v2-legacy-stdio-server.mjs, which adds the era argument.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, startListening } from '../helpers/processes.mjs';

const THIRD_PARTY = join(ROOT, '.test-work', 'third-party');
const V1 = join(THIRD_PARTY, 'node_modules', 'sdk-1.32.2');
const V2 = join(THIRD_PARTY, 'node_modules', 'sdk-v2-2.4.0');
const V2_LEGACY_STDIO_SERVER = join(THIRD_PARTY, 'v2-third-party', 'v2-legacy-stdio-server.mjs');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const ERROR = 2;
const PROTOCOL = '2025-11-25';
const MODERN = '2026-07-28';
const CALLS = ['tools/call add', 'tools/call fail', 'tools/call throws'];
const LEGACY_NAMES = ['initialize', 'notifications/initialized', ...CALLS];
const IDS = { initialize: '0', 'tools/call add': '1', 'tools/call fail': '2', 'tools/call throws': '3' };
const PROBE_ID = 'server-discover-probe-1';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

const otelEnv = (service, extra = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  ...extra,
});
const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');
const instanceOf = (span) => span.resource['service.instance.id'];

/**
 * Runs the client fixture against the server: over stdio the client spawns it (SERVER_SERVICE_NAME names it), over
 * HTTP the server listens first and is stopped with SIGTERM afterwards. Returns the client's output and the port.
 */
async function runPair({ services, transport, client, server }) {
  let result;
  let listening;
  if (transport === 'stdio') {
    result = await run('client.mjs', {
      cwd: client.cwd,
      args: ['stdio', server.file, ...client.args],
      env: otelEnv(services.client, { SERVER_SERVICE_NAME: services.server }),
      timeoutMs: 30_000,
    });
  } else {
    listening = await startListening(server.file, { cwd: server.cwd, args: ['http', ...server.args], env: otelEnv(services.server), timeoutMs: 30_000 });
    try {
      result = await run('client.mjs', { cwd: client.cwd, args: ['http', listening.url, ...client.args], env: otelEnv(services.client), timeoutMs: 30_000 });
    } finally {
      listening.child.kill('SIGTERM');
    }
    const stopped = await listening.child.result;
    assert.equal(stopped.signal, 'SIGTERM', stopped.stderr);
    assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
  }
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);
  return { out: JSON.parse(result.stdout.toString()), port: listening?.port };
}

function assertResults(out) {
  assert.equal(out.protocolVersion, PROTOCOL, 'negotiated protocol version');
  assert.deepEqual(out.add, { content: [{ type: 'text', text: '5' }] });
  assert.deepEqual(out.fail, { content: [{ type: 'text', text: 'fail: refused' }], isError: true });
  assert.deepEqual(out.throws, { result: { content: [{ type: 'text', text: 'boom from throws' }], isError: true } });
}

function network(transport, side, port) {
  if (transport === 'stdio') return { 'network.transport': 'pipe' };
  const common = { 'network.transport': 'tcp', 'network.protocol.name': 'http' };
  if (side === 'client') return { ...common, 'server.address': '127.0.0.1', 'server.port': port };
  return { ...common, 'network.protocol.version': '1.1', 'client.address': '127.0.0.1' };
}

function mcpAttributes(name, protocol = PROTOCOL) {
  const [method, tool] = name.split(' ');
  const attributes = { 'mcp.method.name': method, 'mcp.protocol.version': protocol };
  if (tool !== undefined) {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  if (IDS[name] !== undefined) attributes['jsonrpc.request.id'] = IDS[name];
  return attributes;
}

/** Asserts that a SERVER span received over HTTP links the HTTP SERVER span (POST) of its own process. */
function assertLinksPost(span, service, what) {
  assert.equal(span.links.length, 1, `${what}: one link`);
  const post = receiver.spans.find((s) => s.spanId === span.links[0].spanId);
  assert.equal(post?.name, 'POST', `${what}: the link is the HTTP server span`);
  assert.equal(post.kind, SERVER);
  assert.equal(post.resource['service.name'], service);
}

/**
 * The legacy exchange, on both sides: exactly one CLIENT span per message on the client and one SERVER span on the
 * server, the server's the child of the client's, in a trace per message, with the attributes and statuses of the
 * matrix (fail: an isError result; throws: McpServer's isError result of a thrown error, the exception on the server).
 */
function assertLegacyExchange({ services, transport, port, clientSpans, serverSpans, peers }) {
  const sessionIds = new Set();
  const traces = new Set();
  for (const name of LEGACY_NAMES) {
    const client = clientSpans.filter((s) => s.name === name);
    const server = serverSpans.filter((s) => s.name === name);
    assert.equal(client.length, 1, `${name}: one client span`);
    assert.equal(server.length, 1, `${name}: one server span`);
    const [c] = client;
    const [s] = server;
    assert.equal(c.kind, CLIENT, `${name}: client kind`);
    assert.equal(s.kind, SERVER, `${name}: server kind`);
    assert.equal(c.parentSpanId, undefined, `${name}: the client span is a root`);
    assert.equal(s.traceId, c.traceId, `${name}: same trace`);
    assert.equal(s.parentSpanId, c.spanId, `${name}: the server span is the client span's child`);
    traces.add(c.traceId);

    // Each side names its peer as the other reported itself: the server's spans the client, the client's the server.
    const expected = {
      client: { ...mcpAttributes(name), ...network(transport, 'client', port), 'mcp.server.name': peers.server.name, 'mcp.server.version': peers.server.version },
      server: { ...mcpAttributes(name), ...network(transport, 'server'), 'mcp.client.name': peers.client.name, 'mcp.client.version': peers.client.version },
    };
    let status = { client: { code: UNSET, message: undefined }, server: { code: UNSET, message: undefined } };
    let events = [];
    if (name !== 'tools/call add' && name.startsWith('tools/call')) {
      expected.client['error.type'] = expected.server['error.type'] = 'tool_error';
      status = { client: { code: ERROR, message: undefined }, server: { code: ERROR, message: name === 'tools/call throws' ? 'boom from throws' : undefined } };
      if (name === 'tools/call throws') events = ['exception'];
    }
    for (const [side, span] of [
      ['client', c],
      ['server', s],
    ]) {
      const { 'mcp.session.id': sessionId, 'client.port': clientPort, ...rest } = span.attributes;
      assert.deepEqual(rest, expected[side], `${name}: ${side} attributes`);
      assert.deepEqual(span.status, status[side], `${name}: ${side} status`);
      // Streamable HTTP: a session on both sides (both servers are stateful); none over stdio.
      assert.equal(typeof sessionId, transport === 'http' ? 'string' : 'undefined', `${name}: ${side} mcp.session.id`);
      if (sessionId !== undefined) sessionIds.add(sessionId);
      assert.equal(typeof clientPort, transport === 'http' && side === 'server' ? 'number' : 'undefined', `${name}: ${side} client.port`);
    }
    assert.deepEqual(c.events, [], `${name}: client events`);
    assert.deepEqual(s.events.map((e) => e.name), events, `${name}: server events`);
    if (transport === 'http') assertLinksPost(s, services.server, name);
    else assert.deepEqual(s.links, [], `${name}: no link over stdio`);
  }
  assert.equal(traces.size, LEGACY_NAMES.length, 'one trace per message');
  assert.equal(sessionIds.size, transport === 'http' ? 1 : 0, 'one session');
}

async function spansOfPair(services, counts) {
  await receiver.waitFor(() => spansOf(services.client).length >= counts.client && spansOf(services.server).length >= counts.server, 5000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { clientSpans: spansOf(services.client), serverSpans: spansOf(services.server) };
}

for (const transport of ['stdio', 'http']) {
  const label = transport === 'stdio' ? 'stdio' : 'Streamable HTTP';

  test(`v1 client (1.32.2) -> v2 server (2.4.0), ${label}: one trace per call, server span child of client span`, async () => {
    const services = { client: `cross-v1-v2-${transport}-client`, server: `cross-v1-v2-${transport}-server` };
    const server = transport === 'stdio' ? { file: V2_LEGACY_STDIO_SERVER } : { file: 'server.mjs', cwd: V2, args: ['legacy'] };
    const { out, port } = await runPair({ services, transport, client: { cwd: V1, args: [] }, server });
    assertResults(out);
    assert.equal(out.clientSdk, '1.32.2');
    assert.deepEqual(out.server, { name: 'sdk-v2-matrix-legacy-server', version: '2.4.0', description: 'server 2.4.0, core 2.4.0, node 2.1.2' });
    const { clientSpans, serverSpans } = await spansOfPair(services, { client: 5, server: 5 });
    assert.deepEqual(clientSpans.map((s) => s.name).sort(), LEGACY_NAMES);
    assert.deepEqual(serverSpans.map((s) => s.name).sort(), LEGACY_NAMES);
    const peers = { client: { name: 'sdk-matrix-client', version: '1.32.2' }, server: { name: 'sdk-v2-matrix-legacy-server', version: '2.4.0' } };
    assertLegacyExchange({ services, transport, port, clientSpans, serverSpans, peers });
  });

  for (const era of ['legacy', 'modern']) {
    const eraLabel = era === 'legacy' ? 'default Client' : "versionNegotiation 'auto'";
    test(`v2 client (2.4.0, ${eraLabel}) -> v1 server (1.32.2), ${label}: ${era === 'modern' ? 'the probe falls back to initialize, ' : ''}one trace per call`, async () => {
      const services = { client: `cross-v2-${era}-v1-${transport}-client`, server: `cross-v2-${era}-v1-${transport}-server` };
      const server = transport === 'stdio' ? { file: join(V1, 'server.mjs') } : { file: 'server.mjs', cwd: V1, args: [] };
      const { out, port } = await runPair({ services, transport, client: { cwd: V2, args: [era] }, server });
      assertResults(out);
      // A v1 server is not modern: the auto client falls back to the legacy era.
      assert.equal(out.era, 'legacy');
      assert.deepEqual(out.clientSdk, { client: '2.4.0', core: '2.4.0' });
      assert.deepEqual(out.server, { name: 'sdk-matrix-mcp-server', version: '1.32.2' });
      const probing = era === 'modern';
      // The v1 server over HTTP refuses the probe in its transport (no session yet), before its Server sees it.
      const serverProbe = probing && transport === 'stdio';
      const { clientSpans, serverSpans } = await spansOfPair(services, { client: probing ? 6 : 5, server: serverProbe ? 6 : 5 });
      const names = (spans) => spans.map((s) => s.name).sort();
      assert.deepEqual(names(clientSpans), probing ? [...LEGACY_NAMES.slice(0, 2), 'server/discover', ...CALLS] : LEGACY_NAMES);
      assert.deepEqual(names(serverSpans), serverProbe ? [...LEGACY_NAMES.slice(0, 2), 'server/discover', ...CALLS] : LEGACY_NAMES);
      assert.equal(new Set(clientSpans.map(instanceOf)).size, 1, 'one client process');
      const isProbe = (s) => s.name === 'server/discover';
      const peers = { client: { name: 'sdk-v2-matrix-client', version: '2.4.0' }, server: { name: 'sdk-matrix-mcp-server', version: '1.32.2' } };
      assertLegacyExchange({ services, transport, port, clientSpans: clientSpans.filter((s) => !isProbe(s)), serverSpans: serverSpans.filter((s) => !isProbe(s)), peers });
      if (!probing) return;

      // The probe: a CLIENT span of its own trace, before initialize. -32601 (method not found) is the answer of a
      // legacy server the negotiation expects: recorded as rpc.response.status_code, not as an error.
      const probe = clientSpans.find(isProbe);
      const initialize = clientSpans.find((s) => s.name === 'initialize');
      assert.equal(probe.kind, CLIENT);
      assert.equal(probe.parentSpanId, undefined, 'the probe is a root');
      assert.notEqual(probe.traceId, initialize.traceId, 'the probe has a trace of its own');
      const probeAttributes = { 'mcp.method.name': 'server/discover', 'jsonrpc.request.id': PROBE_ID, 'mcp.protocol.version': MODERN };
      if (transport === 'stdio') {
        assert.deepEqual(probe.attributes, { ...probeAttributes, ...network('stdio'), 'rpc.response.status_code': '-32601' }, 'probe attributes');
        assert.deepEqual(probe.status, { code: UNSET, message: undefined }, 'probe status');
        assert.deepEqual(probe.events, []);
        // Over stdio the SDK probes on a throwaway sibling of the server process: a v1 server answers -32601, the
        // caller's fault, so no error on its SERVER span either.
        const answered = serverSpans.find(isProbe);
        assert.equal(answered.kind, SERVER);
        assert.equal(answered.traceId, probe.traceId, 'server/discover: same trace');
        assert.equal(answered.parentSpanId, probe.spanId, "server/discover: the server span is the probe's child");
        // The probe's envelope names the client (its `_meta` clientInfo), also to a server of the earlier revision.
        const named = { 'mcp.client.name': 'sdk-v2-matrix-client', 'mcp.client.version': '2.4.0' };
        assert.deepEqual(answered.attributes, { ...probeAttributes, ...network('stdio'), ...named, 'rpc.response.status_code': '-32601' }, 'server/discover attributes');
        assert.deepEqual(answered.status, { code: UNSET, message: undefined });
        assert.deepEqual(answered.events, []);
        const sibling = instanceOf(answered);
        assert.deepEqual(serverSpans.filter((s) => instanceOf(s) === sibling).map((s) => s.name), ['server/discover'], 'the probe sibling served the probe alone');
        assert.notEqual(answered.resource['process.pid'], serverSpans.find((s) => s.name === 'initialize').resource['process.pid'], 'two server processes');
      } else {
        // Over HTTP the stateful v1 transport answers the session-less probe with HTTP 400 and the JSON-RPC error
        // -32000 "Bad Request: Server not initialized"; the SDK reads it as a legacy server's answer (a 4xx that is
        // not 401/403) and falls back, as for -32601: an expected answer, not an error.
        assert.deepEqual(
          probe.attributes,
          { ...probeAttributes, ...network('http', 'client', port), 'http.response.status_code': 400, 'rpc.response.status_code': '-32000' },
          'probe attributes',
        );
        assert.deepEqual(probe.status, { code: UNSET, message: undefined }, 'probe status');
        assert.deepEqual(probe.events, [], 'probe events');
      }
    });
  }
}
