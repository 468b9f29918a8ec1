// The MCP SDK version matrix, end to end: for every SDK version x module format x transport, a client process under
// the preload talks to a server process under the preload (`node --import @x/mcp-otel/register`), calls a tool that
// succeeds, one that answers with an isError result and one that throws, and both export to one OTLP receiver.
// Client and server are fixtures/sdk-matrix, installed by test/setup.mjs from the lockfile of test/third-party as one copy per
// version (.test-work/third-party/node_modules/sdk-<version>), with npm `overrides` forcing the SDK under each copy.
// Where an SDK version lacks a module format or a transport, the combination is reported as skipped, with the reason.
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
 * The versions, with the protocol version each pair negotiates (its LATEST_PROTOCOL_VERSION, seen in the initialize
 * result) and the server API it is written with: the low-level Server before McpServer.registerTool (1.12.0).
 * 1.32.2 is the latest 1.x release.
 */
const SDK_VERSIONS = [
  { sdk: '1.0.1', protocol: '2024-11-05', server: 'lowlevel' },
  { sdk: '1.2.0', protocol: '2024-11-05', server: 'lowlevel' },
  { sdk: '1.10.2', protocol: '2024-11-05', server: 'lowlevel' },
  { sdk: '1.12.3', protocol: '2025-03-26', server: 'mcp' },
  { sdk: '1.17.5', protocol: '2025-06-18', server: 'mcp' },
  { sdk: '1.20.2', protocol: '2025-06-18', server: 'mcp' },
  { sdk: '1.24.3', protocol: '2025-11-25', server: 'mcp' },
  { sdk: '1.25.3', protocol: '2025-11-25', server: 'mcp' },
  { sdk: '1.32.2', protocol: '2025-11-25', server: 'mcp' },
];
const FORMATS = ['esm', 'cjs'];
const TRANSPORTS = ['stdio', 'http', 'sse'];

const older = (a, b) => a.split('.').map(Number).reduce((d, n, i) => d || n - b.split('.').map(Number)[i], 0) < 0;

/** Why an SDK version cannot run a combination, or undefined when it can. */
function unsupported(sdk, format, transport) {
  if (format === 'cjs' && older(sdk, '1.2.0')) return `SDK ${sdk} has no CommonJS build (the first is 1.2.0)`;
  if (transport === 'http' && older(sdk, '1.10.0')) return `SDK ${sdk} has no Streamable HTTP transport (the first is 1.10.0)`;
  return undefined;
}

test('the matrix covers every SDK version the third-party package installs', () => {
  const { overrides } = JSON.parse(readFileSync(join(ROOT, 'test', 'third-party', 'package.json'), 'utf8'));
  // The sdk-<1.x> aliases; the sdk-v2-<version> ones are sdk-v2-matrix.test.mjs's.
  const v1 = Object.entries(overrides).filter(([alias]) => /^sdk-1\./.test(alias));
  const installed = v1.map(([alias, forced]) => {
    assert.equal(alias, `sdk-${forced['@modelcontextprotocol/sdk']}`);
    return forced['@modelcontextprotocol/sdk'];
  });
  assert.deepEqual(installed, SDK_VERSIONS.map((v) => v.sdk));
});

const TRANSPORT_LABELS = { stdio: 'stdio', http: 'Streamable HTTP', sse: 'HTTP+SSE' };
const SPAN_NAMES = ['initialize', 'notifications/initialized', 'tools/call add', 'tools/call fail', 'tools/call throws'];

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');

/** The attributes every span of `name` has on both sides over any transport. */
function baseAttributes(name, protocol) {
  const [method, tool] = name.split(' ');
  const attributes = { 'mcp.method.name': method, 'mcp.protocol.version': protocol };
  if (method === 'tools/call') {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  // The client numbers its requests from 0: initialize, then the three calls.
  const ids = { initialize: '0', 'tools/call add': '1', 'tools/call fail': '2', 'tools/call throws': '3' };
  if (ids[name] !== undefined) attributes['jsonrpc.request.id'] = ids[name];
  return attributes;
}

/**
 * The peer each side names (attributes.ts): the client's spans the server (its serverInfo: which server class, the SDK
 * version), the server's spans the client.
 */
function peerIdentity(entry, side) {
  if (side === 'client') return { 'mcp.server.name': `sdk-matrix-${entry.server}-server`, 'mcp.server.version': entry.sdk };
  return { 'mcp.client.name': 'sdk-matrix-client', 'mcp.client.version': entry.sdk };
}

/** The network attributes of each side; the HTTP ones that vary per run are checked apart. */
function networkAttributes(transport, side, port) {
  if (transport === 'stdio') return { 'network.transport': 'pipe' };
  const common = { 'network.transport': 'tcp', 'network.protocol.name': 'http' };
  if (side === 'client') return { ...common, 'server.address': '127.0.0.1', 'server.port': port };
  return { ...common, 'network.protocol.version': '1.1', 'client.address': '127.0.0.1' };
}

/** The one histogram `name` exported by `service` (cumulative, one export at shutdown), as points by operation. */
function histogram(service, name) {
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === name);
  assert.equal(metrics.length, 1, `${name} exported once by ${service}`);
  assert.equal(metrics[0].scope, '@x/mcp-otel');
  assert.equal(metrics[0].unit, 's');
  for (const p of metrics[0].dataPoints) assert.deepEqual(p.explicitBounds, BUCKETS);
  return metrics[0].dataPoints;
}

for (const entry of SDK_VERSIONS) {
  describe(`SDK ${entry.sdk}`, { concurrency: 3 }, () => {
    for (const format of FORMATS) {
      for (const transport of TRANSPORTS) {
        const name = `${format}, ${TRANSPORT_LABELS[transport]}: one trace per call across client and server, and the metrics of both`;
        test(name, { skip: unsupported(entry.sdk, format, transport) }, () => runPair(entry, format, transport));
      }
    }
  });
}

async function runPair(entry, format, transport) {
  const cwd = join(MODULES, `sdk-${entry.sdk}`);
  const ext = format === 'cjs' ? 'cjs' : 'mjs';
  const clientService = `matrix-${entry.sdk}-${format}-${transport}-client`;
  const serverService = `matrix-${entry.sdk}-${format}-${transport}-server`;
  const otelEnv = (service) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: service, OTEL_LOGS_EXPORTER: 'none' });

  let result;
  let server;
  if (transport === 'stdio') {
    result = await run(`client.${ext}`, { cwd, args: ['stdio', `server.${ext}`], timeoutMs: 30_000, env: { ...otelEnv(clientService), SERVER_SERVICE_NAME: serverService } });
  } else {
    server = await startListening(`server.${ext}`, { cwd, args: [transport], timeoutMs: 60_000, env: otelEnv(serverService) });
    try {
      result = await run(`client.${ext}`, { cwd, args: [transport, server.url], timeoutMs: 30_000, env: otelEnv(clientService) });
    } finally {
      server.child.kill('SIGTERM'); // the preload flushes, then the signal ends the process
    }
    const stopped = await server.child.result;
    assert.equal(stopped.signal, 'SIGTERM', stopped.stderr);
    assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
  }
  assert.equal(result.code, 0, result.stderr);
  // stderr is the client's (and over stdio the server's too): no diagnostics from either preload.
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);

  // What the client saw: both sides ran the forced SDK version, and the calls behaved as that version does.
  const out = JSON.parse(result.stdout.toString());
  assert.equal(out.clientSdk, entry.sdk);
  assert.deepEqual(out.server, { name: `sdk-matrix-${entry.server}-server`, version: entry.sdk });
  assert.equal(out.protocolVersion, entry.protocol);
  assert.deepEqual(out.add, { content: [{ type: 'text', text: '5' }] });
  assert.deepEqual(out.fail, { content: [{ type: 'text', text: 'fail: refused' }], isError: true });
  if (entry.server === 'lowlevel') {
    assert.deepEqual(out.throws, { error: { code: -32603, message: 'MCP error -32603: boom from throws' } });
  } else {
    assert.deepEqual(out.throws, { result: { content: [{ type: 'text', text: 'boom from throws' }], isError: true } });
  }

  // Both processes flushed before they exited: what they exported is all there.
  const done = () =>
    spansOf(clientService).length >= SPAN_NAMES.length &&
    spansOf(serverService).length >= SPAN_NAMES.length &&
    [clientService, serverService].every((s) => receiver.metrics.some((m) => m.resource['service.name'] === s));
  await receiver.waitFor(done, 5000);
  await new Promise((resolve) => setTimeout(resolve, 200)); // nothing more may arrive
  const clientSpans = spansOf(clientService);
  const serverSpans = spansOf(serverService);
  assert.deepEqual(clientSpans.map((s) => s.name).sort(), SPAN_NAMES);
  assert.deepEqual(serverSpans.map((s) => s.name).sort(), SPAN_NAMES);

  const port = server?.port;
  const sessionIds = new Set();
  const traces = new Set();
  for (const name of SPAN_NAMES) {
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

    const expected = { client: { ...baseAttributes(name, entry.protocol), ...networkAttributes(transport, 'client', port), ...peerIdentity(entry, 'client') } };
    expected.server = { ...baseAttributes(name, entry.protocol), ...networkAttributes(transport, 'server'), ...peerIdentity(entry, 'server') };
    let status = { client: { code: UNSET, message: undefined }, server: { code: UNSET, message: undefined } };
    let serverEvents = [];
    if (name === 'tools/call fail') {
      expected.client['error.type'] = expected.server['error.type'] = 'tool_error';
      status = { client: { code: ERROR, message: undefined }, server: { code: ERROR, message: undefined } };
    }
    if (name === 'tools/call throws') {
      serverEvents = ['exception'];
      if (entry.server === 'lowlevel') {
        // -32603 is the server's fault: an error on both sides, with the message of the error response.
        expected.client['rpc.response.status_code'] = expected.server['rpc.response.status_code'] = '-32603';
        expected.client['error.type'] = expected.server['error.type'] = '-32603';
        status = { client: { code: ERROR, message: 'boom from throws' }, server: { code: ERROR, message: 'boom from throws' } };
      } else {
        expected.client['error.type'] = expected.server['error.type'] = 'tool_error';
        status = { client: { code: ERROR, message: undefined }, server: { code: ERROR, message: 'boom from throws' } };
      }
    }
    for (const [side, span] of [
      ['client', client],
      ['server', serverSpan],
    ]) {
      const { 'mcp.session.id': sessionId, 'client.port': clientPort, ...rest } = span.attributes;
      assert.deepEqual(rest, expected[side], `${name}: ${side} attributes`);
      assert.deepEqual(span.status, status[side], `${name}: ${side} status`);
      // The session id: Streamable HTTP's on both sides, the SSE transport's only where it is known, on the server.
      const hasSession = transport === 'http' || (transport === 'sse' && side === 'server');
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
      // The build the server loaded: the CommonJS one under require(), the ESM one (or 1.0.x's only one) otherwise.
      const build = entry.sdk === '1.0.1' ? 'dist/' : format === 'cjs' ? 'dist/cjs/' : 'dist/esm/';
      assert.ok(stack.includes(`@modelcontextprotocol/sdk/${build}`), stack);
    }
  }
  assert.equal(traces.size, SPAN_NAMES.length);
  assert.equal(sessionIds.size, transport === 'stdio' ? 0 : 1, 'one session id for all spans');

  // Metrics: every operation once on each side, with the span's attributes minus those of one request or one peer
  // (the client names the server it called; the server does not name its clients).
  for (const [side, service, spans] of [
    ['client', clientService, clientSpans],
    ['server', serverService, serverSpans],
  ]) {
    const operations = histogram(service, `mcp.${side}.operation.duration`);
    assert.deepEqual(
      operations.map((p) => [p.attributes, p.count]).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      spans
        .map((s) => {
          const { 'jsonrpc.request.id': id, 'mcp.session.id': sid, 'client.address': address, 'client.port': peerPort, 'mcp.client.name': clientName, 'mcp.client.version': clientVersion, ...attributes } = s.attributes;
          return [attributes, 1];
        })
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
      `${side} operation points`,
    );
    const { 'network.protocol.version': version, 'client.address': address, ...sessionAttributes } = networkAttributes(transport, side, port);
    assert.deepEqual(
      histogram(service, `mcp.${side}.session.duration`).map((p) => [p.attributes, p.count]),
      [[{ 'mcp.protocol.version': entry.protocol, ...sessionAttributes, ...(side === 'client' ? peerIdentity(entry, 'client') : {}) }, 1]],
      `${side} session`,
    );
  }
}
