// `mcp-otel tail`, run through the installed wrapper: a preloaded client and the stdio server it starts export to it
// (OTLP/HTTP on 127.0.0.1, port 0); what it prints on stdout is compared whole, durations, ids and process ids masked.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { join } from 'node:path';
import { APP_DIR, run, start, waitForStderr } from '../helpers/processes.mjs';

const WRAPPER = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
const HEADER =
  'attributes: error=error.type tool=gen_ai.tool.name uri=mcp.resource.uri id=jsonrpc.request.id mcp=mcp.protocol.version';
const PROTOCOL = 'mcp=2025-11-25';

/** Whether this machine has ::1 (tail, like view, listens on both loopback addresses when it can). */
let hasIpv6Loopback;
before(async () => {
  const probe = createServer();
  hasIpv6Loopback = await new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
});

/** Starts `mcp-otel tail --otlp-port 0 [args]`; resolves once it said where it listens. */
async function startTail(args = []) {
  const child = start('tail', { command: WRAPPER, nodeArgs: [], args: ['--otlp-port', '0', ...args], timeoutMs: 40_000 });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stdoutText = () => stdout;
  await waitForStderr(child, '\n');
  const match = /^otlp: (http:\/\/127\.0\.0\.1:(\d+))\n/.exec(child.stderrText());
  assert.ok(match, `tail's stderr: ${child.stderrText()}`);
  child.endpoint = match[1];
  // One line per address: 127.0.0.1, then ::1 on the same port.
  child.listeningLines = `otlp: ${match[1]}\n${hasIpv6Loopback ? `otlp: http://[::1]:${match[2]}\n` : ''}`;
  return child;
}

/** Resolves when tail's stdout holds `count` lines that pass `isItem` (bounded: the helper kills tail at 40 s). */
function waitForStdout(child, isItem, count) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (child.stdoutText().split('\n').filter(isItem).length >= count) {
        child.stdout.off('data', check);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.result.then(() => reject(new Error(`tail exited before printing ${count} items: ${child.stdoutText()}`)));
    check();
  });
}

/** SIGTERM (or SIGINT): tail prints what it still holds and exits 0. */
async function stopTail(child, signal = 'SIGTERM') {
  child.kill(signal);
  const result = await child.result;
  assert.deepEqual([result.code, result.signal], [0, null], result.stderr);
  return result;
}

/**
 * The fixture client (an `agent turn` with tools/list, add and a failing tool) and its server, both preloaded, exporting
 * with the default protocol (http/protobuf).
 */
async function runExchange(endpoint) {
  const result = await run('mcp/client.mjs', {
    args: ['stdio', 'mcp/server-stdio.mjs'],
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_SERVICE_NAME: 'tail-client',
      SERVER_SERVICE_NAME: 'tail-server',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
    },
    timeoutMs: 30_000,
  });
  assert.deepEqual([result.code, result.stdout.toString()], [0, '5 true\n'], result.stderr);
}

/** Trace ids masked in order of appearance, durations masked (their column's padding with them). */
function masked(stdout) {
  const traces = new Map();
  return stdout
    .replace(/\b[0-9a-f]{32}\b/g, (id) => {
      if (!traces.has(id)) traces.set(id, `<trace ${traces.size + 1}>`);
      return traces.get(id);
    })
    .replace(/ +\d+\.\d ms/g, ' <ms>')
    .split('\n');
}

const isTraceLine = (line) => line.startsWith('trace ');

/** The block of the trace the client's `agent turn` makes, masked, with its empty line. */
const agentTurn = (trace) => [
  `span                   kind      service        duration  ${HEADER}`,
  `trace ${trace}: 7 spans`,
  'agent turn             INTERNAL  tail-client <ms>',
  `├─ tools/list          CLIENT    tail-client <ms>  id=1 ${PROTOCOL}`,
  `│  └─ tools/list       SERVER    tail-server <ms>  id=1 ${PROTOCOL}`,
  `├─ tools/call add      CLIENT    tail-client <ms>  tool=add id=2 ${PROTOCOL}`,
  `│  └─ tools/call add   SERVER    tail-server <ms>  tool=add id=2 ${PROTOCOL}`,
  `└─ tools/call fail     CLIENT    tail-client <ms>  error=tool_error tool=fail id=3 ${PROTOCOL}`,
  `   └─ tools/call fail  SERVER    tail-server <ms>  error=tool_error ("tool failed") tool=fail id=3 ${PROTOCOL}`,
  '',
];

test('the tree of each finished trace on stdout, nothing else there; SIGTERM exits 0', async () => {
  const tail = await startTail();
  await runExchange(tail.endpoint);
  await waitForStdout(tail, isTraceLine, 3);
  const { stdout, stderr } = await stopTail(tail);
  assert.equal(stderr, tail.listeningLines);
  assert.deepEqual(masked(stdout.toString()), [
    `span           kind      service        duration  ${HEADER}`,
    'trace <trace 1>: 2 spans',
    `initialize     CLIENT    tail-client <ms>  id=0 ${PROTOCOL}`,
    `└─ initialize  SERVER    tail-server <ms>  id=0 ${PROTOCOL}`,
    '',
    `span                          kind      service        duration  ${HEADER}`,
    'trace <trace 2>: 2 spans',
    `notifications/initialized     CLIENT    tail-client <ms>  ${PROTOCOL}`,
    `└─ notifications/initialized  SERVER    tail-server <ms>  ${PROTOCOL}`,
    '',
    ...agentTurn('<trace 3>'),
    '',
  ]);
});

test('--json: one object per MCP operation per line, in tree order, with ids and attributes', async () => {
  const tail = await startTail(['--json']);
  await runExchange(tail.endpoint);
  await waitForStdout(tail, (line) => line.startsWith('{'), 10);
  const { stdout } = await stopTail(tail);
  const lines = stdout.toString().split('\n');
  assert.equal(lines.pop(), '');
  const operations = lines.map((line) => JSON.parse(line));
  // Span ids as <span N> in order of appearance; parents must name spans printed before them.
  const spans = new Map();
  const traces = new Map();
  const label = (map, prefix, id) => {
    if (!map.has(id)) map.set(id, `<${prefix} ${map.size + 1}>`);
    return map.get(id);
  };
  const brief = operations.map((op) => {
    assert.equal(typeof op.startMs, 'number');
    assert.ok(op.durationMs >= 0 && Number(op.durationMs.toFixed(3)) === op.durationMs, `${op.durationMs}`);
    assert.match(op.session, /^tail-(client [0-9a-f-]{36} client e2e-server|server [0-9a-f-]{36} server)$/);
    const out = { ...op, traceId: label(traces, 'trace', op.traceId), spanId: label(spans, 'span', op.spanId) };
    if (op.parentSpanId) out.parentSpanId = spans.get(op.parentSpanId) ?? 'not printed';
    out.session = op.session.replace(/ [0-9a-f-]{36} /, ' <instance> ');
    delete out.startMs;
    delete out.durationMs;
    return out;
  });
  const common = (side, service) => ({ service, session: `${service} <instance> ${side === 'client' ? 'client e2e-server' : side}`, kind: side === 'client' ? 3 : 2 });
  const clientAttributes = { 'mcp.protocol.version': '2025-11-25', 'network.transport': 'pipe', 'mcp.server.name': 'e2e-server', 'mcp.server.version': '1.0.0' };
  const serverAttributes = { 'mcp.protocol.version': '2025-11-25', 'network.transport': 'pipe', 'mcp.client.name': 'e2e-client', 'mcp.client.version': '1.0.0' };
  const pair = (id, trace, clientSpan, parent, method, name, fields, attributes, serverFields = fields, serverExtra = {}) => [
    { id, traceId: trace, spanId: `<span ${clientSpan}>`, ...common('client', 'tail-client'), method, name, outcome: fields.outcome ?? 'ok', ...fields.rest, ...(parent ? { parentSpanId: parent } : {}), attributes: { 'mcp.method.name': method, ...attributes, ...clientAttributes } },
    { id: id + 1, traceId: trace, spanId: `<span ${clientSpan + 1}>`, ...common('server', 'tail-server'), method, name, outcome: serverFields.outcome ?? 'ok', ...serverFields.rest, ...serverExtra, parentSpanId: `<span ${clientSpan}>`, attributes: { 'mcp.method.name': method, ...attributes, ...serverAttributes } },
  ];
  assert.deepEqual(brief, [
    ...pair(1, '<trace 1>', 1, undefined, 'initialize', 'initialize', {}, { 'jsonrpc.request.id': '0' }),
    ...pair(3, '<trace 2>', 3, undefined, 'notifications/initialized', 'notifications/initialized', {}, {}),
    ...pair(5, '<trace 3>', 5, 'not printed', 'tools/list', 'tools/list', {}, { 'jsonrpc.request.id': '1' }),
    ...pair(7, '<trace 3>', 7, 'not printed', 'tools/call', 'tools/call add', { rest: { target: 'add' } }, { 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool', 'jsonrpc.request.id': '2' }),
    ...pair(
      9,
      '<trace 3>',
      9,
      'not printed',
      'tools/call',
      'tools/call fail',
      { outcome: 'tool_error', rest: { target: 'fail', errorType: 'tool_error' } },
      { 'gen_ai.tool.name': 'fail', 'gen_ai.operation.name': 'execute_tool', 'jsonrpc.request.id': '3', 'error.type': 'tool_error' },
      { outcome: 'tool_error', rest: { target: 'fail', errorType: 'tool_error' } },
      { statusMessage: 'tool failed' },
    ),
  ]);
});

test('--filter: the traces with a matching operation; with --json the matching operations; all filters must hold', async () => {
  const trees = await startTail(['--filter', 'tool=fail']);
  await runExchange(trees.endpoint);
  // Only the `agent turn` trace has a tools/call fail; the two others finish at the same time and are not printed.
  await waitForStdout(trees, isTraceLine, 1);
  assert.deepEqual(masked((await stopTail(trees)).stdout.toString()), [...agentTurn('<trace 1>'), '']);

  const json = await startTail(['--json', '--filter', 'outcome!=ok', '--filter=side=server']);
  await runExchange(json.endpoint);
  await waitForStdout(json, (line) => line.startsWith('{'), 1);
  const lines = (await stopTail(json)).stdout.toString().split('\n');
  assert.deepEqual(
    lines.map((line) => (line === '' ? '' : (({ id, service, name, outcome }) => ({ id, service, name, outcome }))(JSON.parse(line)))),
    [{ id: 10, service: 'tail-server', name: 'tools/call fail', outcome: 'tool_error' }, ''],
  );
});

/** POSTs an OTLP/HTTP JSON export request; resolves with the status code. */
function post(endpoint, body, contentType = 'application/json', headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.setTimeout(5_000, () => req.destroy(new Error(`no answer from ${endpoint} within 5 s`)));
    req.end(JSON.stringify(body));
  });
}

test('SIGINT prints what is pending, marked incomplete, with a peer\'s control characters escaped; exits 0; a refused request named on stderr', async () => {
  const tail = await startTail();
  assert.equal(await post(tail.endpoint, {}, 'text/plain'), 415);
  const span = {
    traceId: 'ab'.repeat(16),
    spanId: 'cd'.repeat(8),
    parentSpanId: 'ef'.repeat(8),
    name: 'tools/call \u001b[2Jwipe',
    kind: 2,
    startTimeUnixNano: '1700000000000000000',
    endTimeUnixNano: '1700000000002500000',
    attributes: [
      { key: 'mcp.method.name', value: { stringValue: 'tools/call' } },
      { key: 'gen_ai.tool.name', value: { stringValue: 'wipe\u0007' } },
    ],
    status: {},
  };
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'hand-made' } }] };
  assert.equal(await post(tail.endpoint, { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 't' }, spans: [span] }] }] }), 200);
  const { stdout, stderr } = await stopTail(tail, 'SIGINT');
  assert.equal(
    stderr,
    `${tail.listeningLines}mcp-otel tail: refused a request (415): Content-Type text/plain; OTLP/HTTP is application/x-protobuf or application/json\n`,
  );
  assert.deepEqual(stdout.toString().split('\n'), [
    `span                      kind      service      duration  ${HEADER}`,
    `trace ${'ab'.repeat(16)}: 1 span (incomplete: 1 span's parent not received)`,
    'tools/call \\u001b[2Jwipe  SERVER    hand-made      2.5 ms  tool=wipe\\u0007 (its parent was not received)',
    '',
    '',
  ]);
});

test('on loopback, a Host other than loopback\'s names is 421 (DNS rebinding) and an Origin 403; localhost is served', async () => {
  const tail = await startTail();
  const port = new URL(tail.endpoint).port;
  assert.equal(await post(tail.endpoint, {}, 'application/json', { host: `rebound.example:${port}` }), 421);
  assert.equal(await post(tail.endpoint, {}, 'application/json', { origin: 'http://rebound.example' }), 403);
  assert.equal(await post(tail.endpoint, {}, 'application/json', { host: `localhost:${port}` }), 200);
  const { stdout, stderr } = await stopTail(tail);
  assert.equal(
    stderr,
    `${tail.listeningLines}mcp-otel tail: refused a request (421): this receiver does not answer to host rebound.example:${port}\n` +
      'mcp-otel tail: refused a request (403): requests from web pages (with an Origin) are refused; send from an exporter\n',
  );
  assert.equal(stdout.length, 0);
});

test('a bad argument or filter, a port in use: one line on stderr, nothing on stdout, exit 2 or 1', async () => {
  const badFilter = await run('tail', { command: WRAPPER, nodeArgs: [], args: ['--filter', 'colour=red'] });
  assert.deepEqual(
    [badFilter.code, badFilter.stdout.length, badFilter.stderr],
    [2, 0, 'mcp-otel tail: --filter colour=red: unknown key colour (keys: service, method, target, tool, outcome, side, session, trace, error)\n'],
  );
  const badArgument = await run('tail', { command: WRAPPER, nodeArgs: [], args: ['--port', '1'] });
  assert.deepEqual(
    [badArgument.code, badArgument.stdout.length, badArgument.stderr],
    [2, 0, 'mcp-otel tail: unknown argument "--port" (mcp-otel tail --help lists the options)\n'],
  );
  const first = await startTail();
  const port = new URL(first.endpoint).port;
  const second = await run('tail', { command: WRAPPER, nodeArgs: [], args: ['--otlp-port', port] });
  assert.deepEqual(
    [second.code, second.stdout.length, second.stderr],
    [1, 0, `mcp-otel tail: cannot listen on 127.0.0.1:${port}: the port is in use (is mcp-otel view or a collector running? --otlp-port 0 picks a free port)\n`],
  );
  assert.equal((await stopTail(first)).stdout.length, 0);
});
