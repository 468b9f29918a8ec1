// Real third-party software on the MCP SDK v2, from npm, under the preload (`node --import @x/mcp-otel/register`),
// every process exporting to one OTLP receiver, each with a service name of its own:
// - mcp-proxy 6.7.19 (a v2 server and a v2 client in one process: it bridges a stdio server to Streamable HTTP),
//   started as its users start it, `mcp-proxy --host 127.0.0.1 --port <port> --server stream -- <command>`, in
//   front of server-everything (SDK v1) over stdio, itself preloaded. A v1 client (SDK 1.32.2), and a v2 client in
//   the 2026-07-28 era (versionNegotiation `auto`), call echo and get-sum through it: one trace per call across the
//   three processes.
// - mcp-handler 2.4.0 (Vercel's v2 server library, which traces itself with tracer `mcp-handler` through the global
//   OpenTelemetry API), in a node:http app of ours: by default one SERVER span per message (ours, with its
//   attributes merged in); with OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS=keep both its span and ours.
// The clients and the app are fixtures/v2-third-party, copied by test/setup.mjs into .test-work/third-party.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, start, startListening } from '../helpers/processes.mjs';

const THIRD_PARTY = join(ROOT, '.test-work', 'third-party');
const MODULES = join(THIRD_PARTY, 'node_modules');
const PROXY_BIN = join(MODULES, 'mcp-proxy', 'dist', 'bin', 'mcp-proxy.mjs'); // its package.json "bin"
const EVERYTHING = join(MODULES, '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const LEGACY = '2025-11-25';
const MODERN = '2026-07-28';
const OURS = '@x/mcp-otel';
const NO_STATUS = { code: UNSET, message: undefined };

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
const spansOf = (service, scope = OURS) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === scope);
const namesOf = (spans, kind) => spans.filter((s) => s.kind === kind).map((s) => s.name).sort();

/** The one span of `service` (our scope) with this kind and name. */
function one(service, kind, name) {
  const found = spansOf(service).filter((s) => s.kind === kind && s.name === name);
  assert.equal(found.length, 1, `${service}: ${found.length} ${kind === CLIENT ? 'CLIENT' : 'SERVER'} spans named ${name}`);
  return found[0];
}

function assertChild(child, parent, what) {
  assert.equal(child.traceId, parent.traceId, `${what}: same trace`);
  assert.equal(child.parentSpanId, parent.spanId, `${what}: parent`);
}

/** The attributes of an MCP message on both sides, before the transport's. */
/**
 * What a span says of its peer: `mcp.server.*` on the spans of a client (the serverInfo it was given), `mcp.client.*`
 * on those of a server (the clientInfo), and on a 2026-07-28 request's spans its result's `resultType`.
 */
const serverNamed = ({ name, version }) => ({ 'mcp.server.name': name, 'mcp.server.version': version });
const clientNamed = (name) => ({ 'mcp.client.name': name, 'mcp.client.version': '1.0.0' });
const EVERYTHING_NAMED = serverNamed({ name: 'mcp-servers/everything', version: '2.0.0' });
const PROXY_NAMED = clientNamed('mcp-proxy');

function mcpAttributes(name, protocol, id) {
  const [method, tool] = name.split(' ');
  const attributes = { 'mcp.method.name': method, 'mcp.protocol.version': protocol };
  if (tool !== undefined) {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  if (id !== undefined) attributes['jsonrpc.request.id'] = id;
  return attributes;
}

/** Asserts that a SERVER span received over HTTP links the HTTP SERVER span (POST) of its own process. */
function assertLinksPost(span, service, what) {
  assert.equal(span.links.length, 1, `${what}: one link`);
  const [link] = span.links;
  const post = receiver.spans.find((s) => s.spanId === link.spanId);
  assert.equal(post?.name, 'POST', `${what}: the link is the HTTP server span`);
  assert.equal(post.kind, SERVER, `${what}: link kind`);
  assert.equal(post.resource['service.name'], service, `${what}: link process`);
  assert.equal(post.attributes['client.address'], '127.0.0.1', `${what}: the POST's peer`);
  assert.equal(link.traceId, post.traceId);
}

/** A free TCP port on 127.0.0.1 (mcp-proxy does not take port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Waits until the child printed `text` on stdout or stderr; rejects when it exits first or after timeoutMs. */
function waitForOutput(child, text, timeoutMs = 20_000) {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`never said ${JSON.stringify(text)}; stdout: ${out}; stderr: ${child.stderrText()}`)), timeoutMs);
    const check = () => {
      if (out.includes(text) || child.stderrText().includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', (chunk) => {
      out += chunk;
      check();
    });
    child.stderr.on('data', check);
    child.result.then((r) => {
      clearTimeout(timer);
      reject(new Error(`exited (${r.code ?? r.signal}) before it said ${JSON.stringify(text)}: ${r.stderr}`));
    });
  });
}

describe('mcp-proxy (v2) in front of server-everything (v1) over stdio', () => {
  const CALLS = [
    { name: 'echo', arguments: { message: 'hi' } },
    { name: 'get-sum', arguments: { a: 2, b: 3 } },
  ];
  const SERVER_INFO = { name: 'mcp-servers/everything', title: 'Everything Reference Server', version: '2.0.0' };

  /**
   * Starts mcp-proxy under the preload, its stdio child (server-everything) under the preload too with a service
   * name of its own (mcp-proxy passes its environment on; `env` sets the child's name), runs `client` against its
   * /mcp, then stops the proxy with SIGTERM: it closes its upstream client, whose stdin EOF ends server-everything,
   * and exits. Returns the client's output and the port.
   */
  async function throughProxy(label, client, clientArgs) {
    const services = { client: `proxy-${label}-client`, proxy: `proxy-${label}-proxy`, everything: `proxy-${label}-everything` };
    const port = await freePort();
    const upstream = ['/usr/bin/env', `OTEL_SERVICE_NAME=${services.everything}`, process.execPath, '--import', '@x/mcp-otel/register', EVERYTHING, 'stdio'];
    const proxy = start(PROXY_BIN, {
      cwd: THIRD_PARTY,
      args: ['--host', '127.0.0.1', '--port', String(port), '--server', 'stream', '--', ...upstream],
      env: otelEnv(services.proxy),
      timeoutMs: 40_000,
    });
    let result;
    try {
      await waitForOutput(proxy, `starting server on port ${port}`);
      result = await run(client, { cwd: THIRD_PARTY, args: [`http://127.0.0.1:${port}/mcp`, ...clientArgs], env: otelEnv(services.client), timeoutMs: 20_000 });
    } finally {
      proxy.kill('SIGTERM');
    }
    const stopped = await proxy.result;
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diagLines(result.stderr), [], result.stderr);
    return { out: JSON.parse(result.stdout.toString()), port, services };
  }

  /** Waits until the three processes' spans are in (each flushed before it exited), then a little more. */
  async function settle(services, counts) {
    await receiver.waitFor(() => Object.entries(counts).every(([side, n]) => spansOf(services[side]).length >= n), 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  /** The proxy's upstream leg: its own legacy session with server-everything, opened at start-up. */
  function assertUpstreamStartup(services) {
    const proxyInit = one(services.proxy, CLIENT, 'initialize');
    const everythingInit = one(services.everything, SERVER, 'initialize');
    assert.equal(proxyInit.parentSpanId, undefined, 'the proxy connects upstream at start-up: a root');
    assertChild(everythingInit, proxyInit, 'upstream initialize');
    assert.deepEqual(proxyInit.attributes, { ...mcpAttributes('initialize', LEGACY, '0'), 'network.transport': 'pipe', ...EVERYTHING_NAMED });
    assert.deepEqual(everythingInit.attributes, { ...mcpAttributes('initialize', LEGACY, '0'), 'network.transport': 'pipe', ...PROXY_NAMED });
    const proxyInitialized = one(services.proxy, CLIENT, 'notifications/initialized');
    assertChild(one(services.everything, SERVER, 'notifications/initialized'), proxyInitialized, 'upstream initialized');
  }

  /**
   * One trace per call across the three processes: client CLIENT -> proxy SERVER -> proxy CLIENT -> everything
   * SERVER, each the child of the one before. `downstream` is the client<->proxy hop's version, the upstream hop is
   * legacy (mcp-proxy's default --upstreamProtocol).
   */
  function assertCallChains({ services, port }, downstream, clientIds, sessionId, clientName) {
    const result = downstream === MODERN ? { 'mcp.result.type': 'complete' } : {};
    const traces = new Set();
    CALLS.forEach((call, i) => {
      const name = `tools/call ${call.name}`;
      const client = one(services.client, CLIENT, name);
      const proxyServer = one(services.proxy, SERVER, name);
      const proxyClient = one(services.proxy, CLIENT, name);
      const everything = one(services.everything, SERVER, name);
      assert.equal(client.parentSpanId, undefined, `${name}: the client span is a root`);
      assertChild(proxyServer, client, `${name}: proxy SERVER`);
      assertChild(proxyClient, proxyServer, `${name}: proxy CLIENT`);
      assertChild(everything, proxyClient, `${name}: server-everything SERVER`);
      traces.add(client.traceId);

      const session = sessionId === undefined ? {} : { 'mcp.session.id': sessionId };
      assert.deepEqual(
        client.attributes,
        { ...mcpAttributes(name, downstream, clientIds[i]), ...session, 'network.transport': 'tcp', 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': port, ...EVERYTHING_NAMED, ...result },
        `${name}: client attributes`,
      );
      const { 'client.port': clientPort, ...proxyServerAttributes } = proxyServer.attributes;
      assert.equal(typeof clientPort, 'number', `${name}: proxy SERVER client.port`);
      assert.deepEqual(
        proxyServerAttributes,
        {
          ...mcpAttributes(name, downstream, clientIds[i]),
          ...session,
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
          'network.protocol.version': '1.1',
          'client.address': '127.0.0.1',
          ...clientNamed(clientName),
          ...result,
        },
        `${name}: proxy SERVER attributes`,
      );
      assertLinksPost(proxyServer, services.proxy, `${name}: proxy SERVER`);
      // The proxy's upstream client numbers its own requests: initialize 0, then the calls.
      const upstream = { ...mcpAttributes(name, LEGACY, String(i + 1)), 'network.transport': 'pipe' };
      assert.deepEqual(proxyClient.attributes, { ...upstream, ...EVERYTHING_NAMED }, `${name}: proxy CLIENT attributes`);
      assert.deepEqual(everything.attributes, { ...upstream, ...PROXY_NAMED }, `${name}: server-everything attributes`);
      for (const span of [client, proxyServer, proxyClient, everything]) {
        assert.deepEqual(span.status, NO_STATUS, `${name}: status`);
        assert.deepEqual(span.events, [], `${name}: events`);
      }
      assert.deepEqual(proxyClient.links, []);
      assert.deepEqual(everything.links, []);
    });
    assert.equal(traces.size, CALLS.length, 'one trace per call');
  }

  test('a v1 client (SDK 1.32.2), legacy era: one trace per call across client, proxy and server-everything', async () => {
    const proxied = await throughProxy('v1', 'v2-third-party/v1-http-client.mjs', [JSON.stringify(CALLS)]);
    const { out, services } = proxied;
    assert.equal(out.protocolVersion, LEGACY);
    assert.deepEqual(out.server, SERVER_INFO);
    assert.deepEqual(out.results, [{ content: [{ type: 'text', text: 'Echo: hi' }] }, { content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }] }]);
    assert.equal(out.terminateError, undefined);
    await settle(services, { client: 4, proxy: 9, everything: 5 });

    const messages = ['initialize', 'notifications/initialized', 'tools/call echo', 'tools/call get-sum'];
    const client = spansOf(services.client);
    const proxy = spansOf(services.proxy);
    const everything = spansOf(services.everything);
    assert.deepEqual(namesOf(client, CLIENT), messages);
    assert.deepEqual(namesOf(client, SERVER), []);
    assert.deepEqual(namesOf(proxy, SERVER), [...messages.slice(0, 2), 'notifications/tools/list_changed', ...messages.slice(2)]);
    assert.deepEqual(namesOf(proxy, CLIENT), messages);
    assert.deepEqual(namesOf(everything, SERVER), messages);
    assert.deepEqual(namesOf(everything, CLIENT), ['notifications/tools/list_changed']);
    assert.equal(client.length + proxy.length + everything.length, 4 + 9 + 5);

    assertUpstreamStartup(services);
    // The downstream session: the client's initialize and initialized reach the proxy's server side.
    const sessionId = one(services.client, CLIENT, 'initialize').attributes['mcp.session.id'];
    assert.equal(typeof sessionId, 'string');
    for (const name of ['initialize', 'notifications/initialized']) {
      const proxyServer = one(services.proxy, SERVER, name);
      assertChild(proxyServer, one(services.client, CLIENT, name), `downstream ${name}`);
      assert.equal(proxyServer.attributes['mcp.protocol.version'], LEGACY);
      assert.equal(proxyServer.attributes['mcp.session.id'], sessionId);
      assert.equal(proxyServer.attributes['client.address'], '127.0.0.1');
      assertLinksPost(proxyServer, services.proxy, `downstream ${name}`);
    }
    assertCallChains(proxied, LEGACY, ['1', '2'], sessionId, 'v2-third-party-v1-client');
  });

  test('a v2 client in the 2026-07-28 era (versionNegotiation auto): the probe and one trace per call', async () => {
    const proxied = await throughProxy('v2-modern', 'v2-third-party/v2-http-client.mjs', ['modern', JSON.stringify(CALLS)]);
    const { out, services, port } = proxied;
    // mcp-proxy serves 2026-07-28 on its stream endpoint by default (--no-modern turns it off).
    assert.equal(out.protocolVersion, MODERN);
    assert.equal(out.era, 'modern');
    assert.deepEqual(out.server, SERVER_INFO);
    const meta = { _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO } };
    assert.deepEqual(out.results, [
      { ...meta, content: [{ type: 'text', text: 'Echo: hi' }] },
      { ...meta, content: [{ type: 'text', text: 'The sum of 2 and 3 is 5.' }] },
    ]);
    await settle(services, { client: 3, proxy: 8, everything: 5 });

    const calls = ['tools/call echo', 'tools/call get-sum'];
    const client = spansOf(services.client);
    const proxy = spansOf(services.proxy);
    const everything = spansOf(services.everything);
    assert.deepEqual(namesOf(client, CLIENT), ['server/discover', ...calls]);
    assert.deepEqual(namesOf(client, SERVER), []);
    assert.deepEqual(namesOf(proxy, SERVER), ['notifications/tools/list_changed', 'server/discover', ...calls]);
    assert.deepEqual(namesOf(proxy, CLIENT), ['initialize', 'notifications/initialized', ...calls]);
    assert.deepEqual(namesOf(everything, SERVER), ['initialize', 'notifications/initialized', ...calls]);
    assert.deepEqual(namesOf(everything, CLIENT), ['notifications/tools/list_changed']);
    assert.equal(client.length + proxy.length + everything.length, 3 + 8 + 5);
    // No session in the 2026-07-28 era, on either side of the downstream hop.
    for (const span of [...client, ...proxy.filter((s) => s.attributes['network.transport'] === 'tcp')]) {
      assert.equal(span.attributes['mcp.session.id'], undefined, `${span.name}: no mcp.session.id`);
    }

    // The probe: the client's CLIENT span and the proxy's SERVER span, which answered it (modern: no error code).
    const probe = one(services.client, CLIENT, 'server/discover');
    const answered = one(services.proxy, SERVER, 'server/discover');
    assert.equal(probe.parentSpanId, undefined);
    assertChild(answered, probe, 'server/discover');
    assert.deepEqual(probe.attributes, {
      ...mcpAttributes('server/discover', MODERN, 'server-discover-probe-1'),
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'server.address': '127.0.0.1',
      'server.port': port,
      ...EVERYTHING_NAMED,
      'mcp.result.type': 'complete',
    });
    const { 'client.port': probePort, ...answeredAttributes } = answered.attributes;
    assert.equal(typeof probePort, 'number', 'server/discover: proxy SERVER client.port');
    assert.deepEqual(answeredAttributes, {
      ...mcpAttributes('server/discover', MODERN, 'server-discover-probe-1'),
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      ...clientNamed('v2-third-party-v2-client'),
      'mcp.result.type': 'complete',
    });
    assert.deepEqual(probe.status, NO_STATUS);
    assert.deepEqual(answered.status, NO_STATUS);
    assertLinksPost(answered, services.proxy, 'server/discover');

    assertUpstreamStartup(services);
    // The modern client numbers its calls from 0 (the probe has an id of its own).
    assertCallChains(proxied, MODERN, ['0', '1'], undefined, 'v2-third-party-v2-client');
  });
});

describe('mcp-handler (v2, traces itself) in a node:http app', () => {
  const VERCEL = {
    'vercel.rpc.route': 'mcp',
    'vercel.rpc.client.name': 'http-library',
    'vercel.rpc.auth.outcome': 'anonymous',
    'vercel.rpc.outcome': 'success',
  };
  const MESSAGES = {
    legacy: { 'initialize': '0', 'notifications/initialized': undefined, 'tools/call add': '1' },
    modern: { 'server/discover': 'server-discover-probe-1', 'tools/call add': '0' },
  };
  const PROTOCOLS = { legacy: LEGACY, modern: MODERN };

  /** Starts the app preloaded, runs the v2 client in `era`, stops the app with SIGTERM; returns the services. */
  async function againstApp(era, mode) {
    const services = { app: `mcp-handler-${era}-${mode}-app`, client: `mcp-handler-${era}-${mode}-client` };
    const extra = mode === 'keep' ? { OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS: 'keep' } : {};
    const app = await startListening('v2-third-party/mcp-handler-app.mjs', { cwd: THIRD_PARTY, env: otelEnv(services.app, extra), timeoutMs: 30_000 });
    let result;
    try {
      const calls = JSON.stringify([{ name: 'add', arguments: { a: 2, b: 3 } }]);
      result = await run('v2-third-party/v2-http-client.mjs', { cwd: THIRD_PARTY, args: [`${app.url}/mcp`, era, calls], env: otelEnv(services.client), timeoutMs: 20_000 });
    } finally {
      app.child.kill('SIGTERM');
    }
    const stopped = await app.child.result;
    assert.equal(stopped.signal, 'SIGTERM', stopped.stderr);
    assert.equal(stopped.stderr, '', 'the app said nothing on stderr');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diagLines(result.stderr), [], result.stderr);
    const out = JSON.parse(result.stdout.toString());
    assert.equal(out.protocolVersion, PROTOCOLS[era]);
    assert.equal(out.era, era);
    assert.deepEqual(out.server, { name: 'mcp-handler-app', version: '1.0.0' });
    const meta = era === 'modern' ? { _meta: { 'io.modelcontextprotocol/serverInfo': out.server } } : {};
    assert.deepEqual(out.results, [{ ...meta, content: [{ type: 'text', text: '5' }] }]);
    const names = Object.keys(MESSAGES[era]);
    const perMessage = mode === 'keep' ? 2 : 1;
    const appSpans = () => receiver.spans.filter((s) => s.resource['service.name'] === services.app && s.kind === SERVER && s.scope !== '@opentelemetry/instrumentation-http');
    await receiver.waitFor(() => spansOf(services.client).length >= names.length && appSpans().length >= names.length * perMessage, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { services, names };
  }

  /**
   * The client, as each message names it: every 2026-07-28 request (its `_meta`, with its result's `resultType`);
   * in the legacy era only `initialize`, as mcp-handler serves each request with a new Server (stateless).
   */
  function handlerPeer(era, name) {
    if (era === 'legacy') return name === 'initialize' ? clientNamed('v2-third-party-v2-client') : {};
    return { ...clientNamed('v2-third-party-v2-client'), 'mcp.result.type': 'complete' };
  }

  /** Our SERVER span of each message: the child of the client's CLIENT span, linking the POST that carried it. */
  function assertOurs(services, era, name, extraAttributes) {
    const client = one(services.client, CLIENT, name);
    const ours = one(services.app, SERVER, name);
    assert.equal(client.parentSpanId, undefined, `${name}: the client span is a root`);
    assertChild(ours, client, `${name}: our SERVER span`);
    assertLinksPost(ours, services.app, name);
    // The app hands mcp-handler a web Request made from the Node.js one: the peer comes from the Node.js request.
    const { 'client.port': peerPort, ...attributes } = ours.attributes;
    assert.equal(typeof peerPort, 'number', `${name}: client.port`);
    assert.deepEqual(
      attributes,
      {
        ...mcpAttributes(name, PROTOCOLS[era], MESSAGES[era][name]),
        'network.transport': 'tcp',
        'network.protocol.name': 'http',
        'network.protocol.version': '1.1',
        'client.address': '127.0.0.1',
        ...handlerPeer(era, name),
        ...extraAttributes,
      },
      `${name}: our attributes`,
    );
    assert.deepEqual(ours.status, NO_STATUS, `${name}: status`);
    assert.deepEqual(ours.events, [], `${name}: events`);
    return ours;
  }

  for (const era of ['legacy', 'modern']) {
    const label = era === 'legacy' ? 'a legacy v2 client (2025-11-25)' : 'a v2 client in the 2026-07-28 era (auto)';
    test(`default: ${label} gets exactly one SERVER span per message, ours, with mcp-handler's attributes`, async () => {
      const { services, names } = await againstApp(era, 'merge');
      const app = receiver.spans.filter((s) => s.resource['service.name'] === services.app);
      assert.deepEqual(app.filter((s) => s.scope === 'mcp-handler'), [], 'no span of mcp-handler');
      assert.deepEqual(namesOf(spansOf(services.app), SERVER), [...names].sort(), 'one SERVER span per message');
      assert.deepEqual(namesOf(spansOf(services.app), CLIENT), []);
      assert.deepEqual(namesOf(spansOf(services.client), CLIENT), [...names].sort());
      // Every MCP span of the app is ours: only the HTTP instrumentation's spans besides.
      assert.deepEqual([...new Set(app.map((s) => s.scope))].sort(), ['@opentelemetry/instrumentation-http', OURS]);
      for (const name of names) assertOurs(services, era, name, VERCEL);
    });

    test(`SELF_TRACED_SERVERS=keep: ${label} gets mcp-handler's SERVER span and ours for each message`, async () => {
      const { services, names } = await againstApp(era, 'keep');
      const theirs = receiver.spans.filter((s) => s.resource['service.name'] === services.app && s.scope === 'mcp-handler');
      assert.deepEqual(namesOf(theirs, SERVER), [...names].sort(), "one SERVER span of mcp-handler's per message");
      assert.equal(theirs.length, names.length);
      assert.deepEqual(namesOf(spansOf(services.app), SERVER), [...names].sort(), 'one SERVER span of ours per message');
      assert.deepEqual(namesOf(spansOf(services.app), CLIENT), []);
      for (const name of names) {
        const ours = assertOurs(services, era, name, {});
        const their = theirs.find((s) => s.name === name);
        assert.equal(their.attributes['vercel.rpc.outcome'], 'success', `${name}: mcp-handler's own span`);
        assert.equal(their.attributes['mcp.method.name'], name.split(' ')[0]);
        assert.equal(their.traceId, ours.traceId, `${name}: mcp-handler's span is in the same trace`);
        assert.notEqual(their.spanId, ours.spanId);
      }
    });
  }
});
