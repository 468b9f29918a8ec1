// The MCP SDK v2 matrix, end to end: for every SDK v2 version x module format x transport x protocol era, a client
// process under the preload talks to a server process under the preload (`node --import @x/mcp-otel/register`), calls
// a tool that succeeds, one that answers with an isError result and one that throws, and both export to one OTLP
// receiver. Client and server are fixtures/sdk-v2-matrix, installed by test/setup.mjs from the lockfile of
// test/third-party as one copy per version (.test-work/third-party/node_modules/sdk-v2-<version>), with npm `overrides`
// forcing @modelcontextprotocol/server, /client and /node under each copy (core follows: server and client depend on
// exactly their own version of it).
// The eras:
// - legacy (2025-11-25): a default Client; a hand-built McpServer on StdioServerTransport, or over HTTP the stateful
//   NodeStreamableHTTPServerTransport (sessions). Asserted as the v1 matrix asserts its latest version.
// - modern (2026-07-28): a Client with versionNegotiation `auto`; serveStdio(factory), or over HTTP
//   createMcpHandler(factory) behind toNodeHandler. No initialize, no session: the client probes with server/discover
//   (over stdio on a throwaway sibling of the server process, spawned by the SDK from the same command), then calls.
// Every combination runs on every version (toNodeHandler and serveStdio exist from 2.0.0 on): none is skipped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, startListening } from '../helpers/processes.mjs';

const MODULES = join(ROOT, '.test-work', 'third-party', 'node_modules');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const ERROR = 2;
const BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/**
 * The versions, with the @modelcontextprotocol/node version forced next to each: node has no 2.4.0 release, and 2.1.2
 * (its latest) is the one whose peer range (`@modelcontextprotocol/server` ^2.4.0) fits 2.4.0.
 */
const SDK_V2_VERSIONS = [
  { sdk: '2.0.0', node: '2.0.0' },
  { sdk: '2.4.0', node: '2.1.2' },
];
const FORMATS = ['esm', 'cjs'];
const TRANSPORTS = ['stdio', 'http'];
const ERAS = ['legacy', 'modern'];
const PROTOCOLS = { legacy: '2025-11-25', modern: '2026-07-28' };

test('the v2 matrix covers every SDK v2 version the third-party package installs', () => {
  const { dependencies, overrides } = JSON.parse(readFileSync(join(ROOT, 'test', 'third-party', 'package.json'), 'utf8'));
  const installed = Object.entries(overrides)
    .filter(([alias]) => alias.startsWith('sdk-v2-'))
    .map(([alias, forced]) => {
      assert.equal(alias, `sdk-v2-${forced['@modelcontextprotocol/server']}`);
      assert.equal(dependencies[alias], 'file:../../fixtures/sdk-v2-matrix');
      return forced;
    });
  assert.deepEqual(
    installed,
    SDK_V2_VERSIONS.map((v) => ({ '@modelcontextprotocol/server': v.sdk, '@modelcontextprotocol/client': v.sdk, '@modelcontextprotocol/node': v.node })),
  );
});

const TRANSPORT_LABELS = { stdio: 'stdio', http: 'Streamable HTTP' };
const CALLS = ['tools/call add', 'tools/call fail', 'tools/call throws'];
/** The MCP spans of each era, on the client and on the server (all server processes together). */
const SPAN_NAMES = {
  legacy: ['initialize', 'notifications/initialized', ...CALLS],
  modern: ['server/discover', ...CALLS],
};
/**
 * The request ids: the legacy client numbers its requests from 0, initialize first; the modern client's probe has its
 * own id and the calls are numbered from 0.
 */
const REQUEST_IDS = {
  legacy: { initialize: '0', 'tools/call add': '1', 'tools/call fail': '2', 'tools/call throws': '3' },
  modern: { 'server/discover': 'server-discover-probe-1', 'tools/call add': '0', 'tools/call fail': '1', 'tools/call throws': '2' },
};

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');
const instanceOf = (item) => item.resource['service.instance.id'];

/** The attributes every span of `name` has on both sides over any transport. */
function baseAttributes(name, era) {
  const [method, tool] = name.split(' ');
  const attributes = { 'mcp.method.name': method, 'mcp.protocol.version': PROTOCOLS[era] };
  if (method === 'tools/call') {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  if (REQUEST_IDS[era][name] !== undefined) attributes['jsonrpc.request.id'] = REQUEST_IDS[era][name];
  return attributes;
}

/**
 * What each side's spans say of the peer (attributes.ts): the client's name the server (its serverInfo: from the
 * initialize result, or in the modern era from each result's `_meta`), the server's the client (from initialize, or
 * from each request's `_meta`); and in the modern era every result's `resultType`.
 */
function peerAttributes(name, era, side, entry) {
  const identity =
    side === 'client'
      ? { 'mcp.server.name': `sdk-v2-matrix-${era}-server`, 'mcp.server.version': entry.sdk }
      : { 'mcp.client.name': 'sdk-v2-matrix-client', 'mcp.client.version': entry.sdk };
  const isRequest = !name.startsWith('notifications/');
  return era === 'modern' && isRequest ? { ...identity, 'mcp.result.type': 'complete' } : identity;
}

/** The network attributes of each side; the HTTP ones that vary per run are checked apart. */
function networkAttributes(transport, side, port) {
  if (transport === 'stdio') return { 'network.transport': 'pipe' };
  const common = { 'network.transport': 'tcp', 'network.protocol.name': 'http' };
  if (side === 'client') return { ...common, 'server.address': '127.0.0.1', 'server.port': port };
  return { ...common, 'network.protocol.version': '1.1', 'client.address': '127.0.0.1' };
}

/** The one histogram `name` exported by one process (cumulative, one export at shutdown), as its points. */
function histogram(service, instance, name) {
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && instanceOf(m) === instance && m.name === name);
  assert.equal(metrics.length, 1, `${name} exported once by ${service} (${instance})`);
  assert.equal(metrics[0].scope, '@x/mcp-otel');
  assert.equal(metrics[0].unit, 's');
  for (const p of metrics[0].dataPoints) assert.deepEqual(p.explicitBounds, BUCKETS);
  return metrics[0].dataPoints;
}

const byJson = (a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b));

for (const entry of SDK_V2_VERSIONS) {
  describe(`SDK v2 ${entry.sdk}`, { concurrency: 4 }, () => {
    for (const era of ERAS) {
      for (const format of FORMATS) {
        for (const transport of TRANSPORTS) {
          const name = `${era} era (${PROTOCOLS[era]}), ${format}, ${TRANSPORT_LABELS[transport]}: one trace per call across client and server, and the metrics of both`;
          test(name, () => runPair(entry, era, format, transport));
        }
      }
    }
  });
}

async function runPair(entry, era, format, transport) {
  const cwd = join(MODULES, `sdk-v2-${entry.sdk}`);
  const ext = format === 'cjs' ? 'cjs' : 'mjs';
  const clientService = `matrix-v2-${entry.sdk}-${era}-${format}-${transport}-client`;
  const serverService = `matrix-v2-${entry.sdk}-${era}-${format}-${transport}-server`;
  const otelEnv = (service) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: service, OTEL_LOGS_EXPORTER: 'none' });
  // Over stdio in the modern era the SDK probes on a throwaway sibling of the server: two server processes.
  const sibling = transport === 'stdio' && era === 'modern';

  let result;
  let server;
  if (transport === 'stdio') {
    const env = { ...otelEnv(clientService), SERVER_SERVICE_NAME: serverService };
    result = await run(`client.${ext}`, { cwd, args: ['stdio', `server.${ext}`, era], timeoutMs: 30_000, env });
  } else {
    server = await startListening(`server.${ext}`, { cwd, args: ['http', era], timeoutMs: 60_000, env: otelEnv(serverService) });
    try {
      result = await run(`client.${ext}`, { cwd, args: ['http', server.url, era], timeoutMs: 30_000, env: otelEnv(clientService) });
    } finally {
      server.child.kill('SIGTERM'); // the preload flushes, then the signal ends the process
    }
    const stopped = await server.child.result;
    assert.equal(stopped.signal, 'SIGTERM', stopped.stderr);
    assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
  }
  assert.equal(result.code, 0, result.stderr);
  // stderr is the client's (and over stdio the server's too; the SDK discards the probe sibling's): no diagnostics.
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);

  // What the client saw: both sides ran the forced SDK versions, in the era asked for.
  const out = JSON.parse(result.stdout.toString());
  assert.deepEqual(out.clientSdk, { client: entry.sdk, core: entry.sdk });
  const serverInfo = { name: `sdk-v2-matrix-${era}-server`, version: entry.sdk, description: `server ${entry.sdk}, core ${entry.sdk}, node ${entry.node}` };
  assert.deepEqual(out.server, serverInfo);
  assert.equal(out.protocolVersion, PROTOCOLS[era]);
  assert.equal(out.era, era);
  // Modern results carry the serverInfo in _meta; McpServer turns a thrown error into an isError result.
  const meta = era === 'modern' ? { _meta: { 'io.modelcontextprotocol/serverInfo': serverInfo } } : {};
  assert.deepEqual(out.add, { ...meta, content: [{ type: 'text', text: '5' }] });
  assert.deepEqual(out.fail, { ...meta, content: [{ type: 'text', text: 'fail: refused' }], isError: true });
  assert.deepEqual(out.throws, { result: { ...meta, content: [{ type: 'text', text: 'boom from throws' }], isError: true } });

  // Every process flushed before it exited: what they exported is all there.
  const names = SPAN_NAMES[era];
  const serverProcesses = sibling ? 2 : 1;
  const exported = (service) => new Set(receiver.metrics.filter((m) => m.resource['service.name'] === service).map(instanceOf)).size;
  const done = () =>
    spansOf(clientService).length >= names.length &&
    spansOf(serverService).length >= names.length &&
    exported(clientService) >= 1 &&
    exported(serverService) >= serverProcesses;
  await receiver.waitFor(done, 5000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more may arrive
  const clientSpans = spansOf(clientService);
  const serverSpans = spansOf(serverService);
  assert.deepEqual(clientSpans.map((s) => s.name).sort(), names);
  assert.deepEqual(serverSpans.map((s) => s.name).sort(), names);
  assert.equal(new Set(clientSpans.map(instanceOf)).size, 1, 'one client process');
  // The server processes: over stdio in the modern era, the probe sibling served server/discover alone and the session
  // server the calls; otherwise one process served everything.
  const serverInstances = [...new Set(serverSpans.map(instanceOf))];
  assert.equal(serverInstances.length, serverProcesses, 'server processes');
  if (sibling) {
    const probe = serverSpans.find((s) => s.name === 'server/discover');
    assert.deepEqual(serverSpans.filter((s) => instanceOf(s) === instanceOf(probe)).map((s) => s.name), ['server/discover'], 'the probe sibling');
    assert.notEqual(probe.resource['process.pid'], serverSpans.find((s) => s.name === CALLS[0]).resource['process.pid']);
  }

  const port = server?.port;
  const sessionIds = new Set();
  const traces = new Set();
  for (const name of names) {
    const client = clientSpans.find((s) => s.name === name);
    const serverSpan = serverSpans.find((s) => s.name === name);
    assert.equal(client.kind, CLIENT, `${name}: client kind`);
    assert.equal(serverSpan.kind, SERVER, `${name}: server kind`);
    // Each request of the client starts a trace of its own, which the server continues through params._meta.
    assert.equal(client.parentSpanId, undefined, `${name}: client span is a root`);
    assert.equal(serverSpan.traceId, client.traceId, `${name}: same trace`);
    assert.equal(serverSpan.parentSpanId, client.spanId, `${name}: server span is the client span's child`);
    traces.add(client.traceId);
    if (transport === 'stdio') {
      assert.deepEqual(serverSpan.links, [], `${name}: no link over stdio`);
    } else {
      // Over HTTP the server span links to the HTTP server span of the POST that carried the message.
      assert.equal(serverSpan.links.length, 1, `${name}: one link`);
      const [link] = serverSpan.links;
      const post = receiver.spans.find((s) => s.spanId === link.spanId);
      assert.equal(post?.name, 'POST', `${name}: the link is the HTTP server span`);
      assert.equal(post.kind, SERVER);
      assert.equal(post.resource['service.name'], serverService);
      assert.equal(link.traceId, post.traceId);
    }

    const expected = { client: { ...baseAttributes(name, era), ...networkAttributes(transport, 'client', port), ...peerAttributes(name, era, 'client', entry) } };
    expected.server = { ...baseAttributes(name, era), ...networkAttributes(transport, 'server'), ...peerAttributes(name, era, 'server', entry) };
    let status = { client: { code: UNSET, message: undefined }, server: { code: UNSET, message: undefined } };
    let serverEvents = [];
    if (name === 'tools/call fail') {
      expected.client['error.type'] = expected.server['error.type'] = 'tool_error';
      status = { client: { code: ERROR, message: undefined }, server: { code: ERROR, message: undefined } };
    }
    if (name === 'tools/call throws') {
      serverEvents = ['exception'];
      expected.client['error.type'] = expected.server['error.type'] = 'tool_error';
      status = { client: { code: ERROR, message: undefined }, server: { code: ERROR, message: 'boom from throws' } };
    }
    for (const [side, span] of [
      ['client', client],
      ['server', serverSpan],
    ]) {
      const { 'mcp.session.id': sessionId, 'client.port': clientPort, ...rest } = span.attributes;
      assert.deepEqual(rest, expected[side], `${name}: ${side} attributes`);
      assert.deepEqual(span.status, status[side], `${name}: ${side} status`);
      // The session id: Streamable HTTP's in the legacy era, on both sides; the modern era has no sessions.
      const hasSession = transport === 'http' && era === 'legacy';
      assert.equal(typeof sessionId, hasSession ? 'string' : 'undefined', `${name}: ${side} mcp.session.id`);
      if (hasSession) sessionIds.add(sessionId);
      assert.equal(typeof clientPort, transport !== 'stdio' && side === 'server' ? 'number' : 'undefined', `${name}: ${side} client.port`);
    }
    assert.deepEqual(client.events, [], `${name}: client events`);
    assert.deepEqual(serverSpan.events.map((e) => e.name), serverEvents, `${name}: server events`);
    if (name === 'tools/call throws') {
      const [event] = serverSpan.events;
      assert.equal(event.attributes['exception.type'], 'Error');
      assert.equal(event.attributes['exception.message'], 'boom from throws');
      const stack = event.attributes['exception.stacktrace'];
      assert.match(stack, /^Error: boom from throws\n\s+at .*[\\/]servers\.cjs:\d+:\d+/);
      // The build the server loaded: the CommonJS one under require(), the ESM one under import.
      assert.match(stack, new RegExp(`@modelcontextprotocol[\\\\/]server[\\\\/]dist[\\\\/][^:\\n]+\\.${ext}:\\d+`), stack);
    }
  }
  assert.equal(traces.size, names.length);
  assert.equal(sessionIds.size, transport === 'http' && era === 'legacy' ? 1 : 0, 'one session id for all spans');

  // Metrics: every operation once in the process that served or sent it, with the span's attributes minus those of one
  // request or one peer; one session each in the legacy era, and no session at all in the modern one.
  const processes = [['client', clientService, instanceOf(clientSpans[0])], ...serverInstances.map((instance) => ['server', serverService, instance])];
  for (const [side, service, instance] of processes) {
    const operations = histogram(service, instance, `mcp.${side}.operation.duration`);
    assert.deepEqual(
      operations.map((p) => [p.attributes, p.count]).sort(byJson),
      (side === 'client' ? clientSpans : serverSpans)
        .filter((s) => instanceOf(s) === instance)
        .map((s) => {
          const { 'jsonrpc.request.id': id, 'mcp.session.id': sid, 'client.address': address, 'client.port': peerPort, 'mcp.client.name': clientName, 'mcp.client.version': clientVersion, ...attributes } = s.attributes;
          return [attributes, 1];
        })
        .sort(byJson),
      `${side} operation points`,
    );
    if (era === 'legacy') {
      const { 'network.protocol.version': version, 'client.address': address, ...sessionAttributes } = networkAttributes(transport, side, port);
      assert.deepEqual(
        histogram(service, instance, `mcp.${side}.session.duration`).map((p) => [p.attributes, p.count]),
        [[{ 'mcp.protocol.version': PROTOCOLS[era], ...sessionAttributes, ...(side === 'client' ? peerAttributes('initialize', era, side, entry) : {}) }, 1]],
        `${side} session`,
      );
    }
  }
  if (era === 'modern') {
    const sessions = receiver.metrics.filter((m) => [clientService, serverService].includes(m.resource['service.name']) && /^mcp\.(client|server)\.session\./.test(m.name));
    assert.deepEqual(sessions.flatMap((m) => m.dataPoints.map((p) => [m.name, p.attributes])), [], 'no session points in the modern era');
  }
}
