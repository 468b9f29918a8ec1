// End to end: preloaded clients that an HTTP server refuses before any JSON-RPC answer (401, 404, 405), on SDK v1
// 1.32.2 (Streamable HTTP and SSE) and SDK v2 2.4.0 (Streamable HTTP, both eras). The CLIENT span of the refused
// message and its `mcp.client.operation.duration` point carry the HTTP status code as `error.type`, the span also as
// `http.response.status_code`, and neither has `rpc.response.status_code` (there is no JSON-RPC code).
// The server is a node:http server of this test on 127.0.0.1: it answers `initialize` and accepts notifications, and
// refuses the one method its URL names (`/<status>/<method>`) with that status. The clients are
// fixtures/v2-third-party/http-refused-client.mjs, run from .test-work/third-party (both SDKs are installed there).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, run } from '../helpers/processes.mjs';

const CLIENT_DIR = join(ROOT, '.test-work', 'third-party', 'v2-third-party');
const CLIENT = 3;
const ERROR = 2;
const VERSION = '2025-11-25';

/** What a refusing server sends with each status: as the SDK's bearer middleware, session check and method check do. */
const REFUSALS = {
  401: { headers: { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }, body: '{"error":"invalid_token","error_description":"Missing Authorization header"}' },
  404: { headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","error":{"code":-32001,"message":"Session not found"},"id":null}' },
  405: { headers: { 'content-type': 'text/plain', allow: 'GET' }, body: 'Method Not Allowed' },
};

let receiver;
let server;
let port;
/** The open SSE streams of the SSE route, by stream id: where the answers to its POSTs go. */
const streams = new Map();

function answer(message) {
  if (message.method !== 'initialize') return undefined;
  const result = { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'refusing', version: '1.0.0' } };
  return JSON.stringify({ jsonrpc: '2.0', id: message.id, result });
}

function handle(req, res, body) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const [, route, status, ...method] = url.pathname.split('/');
  // The SSE transport: GET opens the stream and names the endpoint to POST to; answers are events on the stream.
  if (route === 'sse' && req.method === 'GET') {
    const id = String(streams.size);
    streams.set(id, res);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`event: endpoint\ndata: /post/${status}/${method.join('/')}?stream=${id}\n\n`);
    return;
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const message = JSON.parse(body);
  if (message.method === method.join('/')) {
    const refusal = REFUSALS[status];
    res.writeHead(Number(status), refusal.headers).end(refusal.body);
    return;
  }
  const reply = answer(message);
  if (route === 'post') {
    if (reply !== undefined) streams.get(url.searchParams.get('stream'))?.write(`event: message\ndata: ${reply}\n\n`);
    res.writeHead(202).end();
  } else if (reply !== undefined) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(reply);
  } else {
    res.writeHead(202).end();
  }
}

before(async () => {
  receiver = await startReceiver();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => handle(req, res, body));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
});
after(async () => {
  for (const stream of streams.values()) stream.end();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve());
  await receiver?.close();
});

/** Runs one preloaded client against `path` and returns what it printed; its telemetry is in the receiver. */
async function refusedClient(sdk, path, service) {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: service,
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
  };
  const result = await run('http-refused-client.mjs', { cwd: CLIENT_DIR, args: [sdk, `http://127.0.0.1:${port}${path}`], env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === service));
  return JSON.parse(result.stdout.toString());
}

const oursOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');

/** The one CLIENT span of ours named `name` in `service`. */
function span(service, name) {
  const found = oursOf(service).filter((s) => s.name === name);
  assert.equal(found.length, 1, `${service}: ${found.length} spans named ${name}`);
  assert.equal(found[0].kind, CLIENT);
  return found[0];
}

/** The points of mcp.client.operation.duration of `service`, by method (and tool). */
function points(service) {
  const metrics = receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === 'mcp.client.operation.duration');
  assert.equal(metrics.length, 1, `${service}: one export of the operation metric`);
  return Object.fromEntries(
    metrics[0].dataPoints.map((p) => [`${p.attributes['mcp.method.name']} ${p.attributes['gen_ai.tool.name'] ?? ''}`.trim(), { attributes: p.attributes, count: p.count }]),
  );
}

const network = () => ({ 'network.transport': 'tcp', 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': port });
const TOOL = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'gen_ai.operation.name': 'execute_tool' };
/** The server, as its initialize result named it: on the spans and points after it (not on the refused probe's). */
const NAMED = { 'mcp.server.name': 'refusing', 'mcp.server.version': '1.0.0' };

/** The refused message's span and point; the other messages' spans are not errors. */
function assertRefused(service, { name, status, message, spanAttributes, pointAttributes, others }) {
  const refused = span(service, name);
  assert.deepEqual(refused.status, { code: ERROR, message }, `${service}: ${name} status`);
  assert.deepEqual(refused.attributes, { ...spanAttributes, 'http.response.status_code': status, 'error.type': String(status) }, `${service}: ${name}`);
  assert.equal(refused.events.filter((e) => e.name === 'exception').length, 1, `${service}: the exception is recorded`);
  const byMethod = points(service);
  assert.deepEqual(byMethod[name], { attributes: { ...pointAttributes, 'error.type': String(status) }, count: 1 }, `${service}: ${name} point`);
  for (const other of others) {
    assert.equal(span(service, other).status.code, 0, `${service}: ${other} is not an error`);
    assert.equal(byMethod[other].attributes['error.type'], undefined, `${service}: ${other} point`);
  }
  assert.deepEqual(oursOf(service).map((s) => s.name).sort(), [name, ...others].sort(), `${service}: no other span`);
}

/** What each SDK throws when its POST is refused with `status` (the classification reads it). */
const THROWN = {
  v1: (status) => ({ name: 'StreamableHTTPError', message: `Streamable HTTP error: Error POSTing to endpoint: ${REFUSALS[status].body}`, code: status }),
  v2: (status) => ({ name: 'SdkHttpError', message: `Error POSTing to endpoint: ${REFUSALS[status].body}`, code: 'CLIENT_HTTP_NOT_IMPLEMENTED', status }),
};

for (const sdk of ['v1', 'v2']) {
  for (const status of [401, 404]) {
    test(`SDK ${sdk}: tools/call refused with ${status}: error.type "${status}" on the CLIENT span and its point`, async () => {
      const service = `refused-${sdk}-tools-${status}`;
      const out = await refusedClient(sdk, `/mcp/${status}/tools/call`, service);
      assert.deepEqual(out.failed, THROWN[sdk](status));
      const { message } = out.failed;
      const common = { 'mcp.protocol.version': VERSION, ...network(), ...NAMED };
      assertRefused(service, {
        name: 'tools/call echo',
        status,
        message,
        spanAttributes: { ...TOOL, ...common, 'jsonrpc.request.id': '1' },
        pointAttributes: { ...TOOL, ...common },
        others: ['initialize', 'notifications/initialized'],
      });
    });
  }

  test(`SDK ${sdk}: notifications/initialized refused with 405: its send fails, error.type "405"`, async () => {
    const service = `refused-${sdk}-initialized-405`;
    const out = await refusedClient(sdk, '/mcp/405/notifications/initialized', service);
    assert.deepEqual(out.failed, THROWN[sdk](405));
    const { message } = out.failed;
    const attributes = { 'mcp.method.name': 'notifications/initialized', 'mcp.protocol.version': VERSION, ...network(), ...NAMED };
    assertRefused(service, { name: 'notifications/initialized', status: 405, message, spanAttributes: attributes, pointAttributes: attributes, others: ['initialize'] });
  });
}

test('SDK v1 over SSE: a POST refused with 404 (a plain Error that names the status): error.type "404"', async () => {
  const service = 'refused-v1-sse-tools-404';
  const out = await refusedClient('v1-sse', '/sse/404/tools/call', service);
  assert.deepEqual(out.failed, { name: 'Error', message: `Error POSTing to endpoint (HTTP 404): ${REFUSALS[404].body}` });
  const common = { 'mcp.protocol.version': VERSION, ...network(), ...NAMED };
  assertRefused(service, {
    name: 'tools/call echo',
    status: 404,
    message: out.failed.message,
    spanAttributes: { ...TOOL, ...common, 'jsonrpc.request.id': '1' },
    pointAttributes: { ...TOOL, ...common },
    others: ['initialize', 'notifications/initialized'],
  });
});

test('SDK v2 in the 2026-07-28 era: the server/discover probe refused with 401 fails the connect: error.type "401"', async () => {
  const service = 'refused-v2-modern-discover-401';
  const out = await refusedClient('v2-modern', '/mcp/401/server/discover', service);
  // connect() fails with the SDK's own negotiation error; the probe's span has the transport's refusal.
  assert.deepEqual(out.failed, {
    name: 'SdkHttpError',
    message: 'Version negotiation failed: the server requires authorization (HTTP 401)',
    code: 'CLIENT_HTTP_AUTHENTICATION',
    status: 401,
  });
  const probe = { 'mcp.method.name': 'server/discover', 'mcp.protocol.version': '2026-07-28', ...network() };
  assertRefused(service, {
    name: 'server/discover',
    status: 401,
    message: `Error POSTing to endpoint: ${REFUSALS[401].body}`,
    spanAttributes: { ...probe, 'jsonrpc.request.id': 'server-discover-probe-1' },
    pointAttributes: probe,
    others: [],
  });
});
