// The view's store (dist/view/store.js, node:sqlite): what it keeps of spans, logs and histograms, the MCP operations
// it derives, the filters, the caps (oldest dropped first, counted), a file kept across restarts, the per-tool figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Store, quantile } = require('../../dist/view/store.js');
const { operationOf, outcomeOf, sessionKeyOf } = require('../../dist/view/operations.js');

const TRACE = 'a'.repeat(32);
const RESOURCE = { 'service.name': 'weather-server', 'process.pid': 4242 };

/** A span as the decoder makes it. */
function span(overrides = {}) {
  return {
    service: 'weather-server',
    resource: RESOURCE,
    scope: '@x/mcp-otel',
    traceId: TRACE,
    spanId: '1'.repeat(16),
    name: 'tools/call forecast',
    kind: 2,
    startMs: 1_700_000_000_000.125,
    endMs: 1_700_000_000_012.625,
    attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'forecast', 'jsonrpc.request.id': '3' },
    events: [],
    links: [],
    status: { code: 0 },
    ...overrides,
  };
}

const spanId = (n) => n.toString(16).padStart(16, '0');

function histogram(overrides = {}) {
  return {
    service: 'weather-server',
    resource: RESOURCE,
    scope: '@x/mcp-otel',
    metric: 'mcp.server.operation.duration',
    unit: 's',
    temporality: 2,
    attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'forecast' },
    startMs: 1_700_000_000_000,
    timeMs: 1_700_000_001_000,
    count: 4,
    sum: 0.1,
    bounds: [0.01, 0.02, 0.05, 0.1],
    bucketCounts: [1, 2, 1, 0, 0],
    ...overrides,
  };
}

test('outcomes: tool error, caller fault on both sides, error, input required, ok', () => {
  const attrs = (extra) => ({ 'mcp.method.name': 'tools/call', ...extra });
  assert.equal(outcomeOf(span({ attributes: attrs({ 'error.type': 'tool_error' }), status: { code: 2 } })), 'tool_error');
  assert.equal(outcomeOf(span({ attributes: attrs({ 'rpc.response.status_code': '-32602' }) })), 'caller_fault');
  assert.equal(
    outcomeOf(span({ kind: 3, attributes: attrs({ 'error.type': '-32602', 'rpc.response.status_code': '-32602' }), status: { code: 2 } })),
    'caller_fault',
  );
  assert.equal(outcomeOf(span({ attributes: attrs({ 'error.type': '-32603', 'rpc.response.status_code': '-32603' }), status: { code: 2 } })), 'error');
  assert.equal(outcomeOf(span({ status: { code: 2, message: 'boom' } })), 'error');
  assert.equal(outcomeOf(span({ attributes: attrs({ 'mcp.result.type': 'input_required' }) })), 'input_required');
  assert.equal(outcomeOf(span()), 'ok');
});

test('sessions: mcp.session.id, else the process and side of a stdio connection', () => {
  assert.equal(sessionKeyOf(span({ attributes: { 'mcp.session.id': 'abc-123' } })), 'abc-123');
  assert.equal(sessionKeyOf(span()), 'weather-server 4242 server');
  assert.equal(sessionKeyOf(span({ kind: 3, resource: { 'service.instance.id': 'i-1' } })), 'weather-server i-1 client');
  assert.equal(operationOf(span({ attributes: {} }), 1), undefined);
  assert.deepEqual(operationOf(span({ status: { code: 0, message: '' } }), 7), {
    id: 7,
    traceId: TRACE,
    spanId: '1'.repeat(16),
    service: 'weather-server',
    kind: 2,
    method: 'tools/call',
    target: 'forecast',
    name: 'tools/call forecast',
    startMs: 1_700_000_000_000.125,
    durationMs: 12.5,
    outcome: 'ok',
    session: 'weather-server 4242 server',
  });
});

test('spans: a trace comes back whole, with its resource and logs; operations newest first, filtered', (t) => {
  const store = new Store();
  t.after(() => store.close());
  let changes = 0;
  store.onChange(() => changes++);
  const root = span({ spanId: spanId(1), name: 'agent turn', kind: 1, attributes: { 'app.step': 1 }, startMs: 10, endMs: 100 });
  const call = span({ spanId: spanId(2), parentSpanId: spanId(1), startMs: 20, endMs: 50 });
  const failing = span({
    spanId: spanId(3),
    parentSpanId: spanId(1),
    name: 'tools/call divide',
    startMs: 60,
    endMs: 70,
    attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'divide', 'error.type': 'tool_error' },
    status: { code: 2, message: 'division by zero' },
    events: [{ name: 'exception', timeMs: 65, attributes: { 'exception.message': 'division by zero' } }],
  });
  const list = span({ traceId: 'b'.repeat(32), spanId: spanId(4), name: 'tools/list', attributes: { 'mcp.method.name': 'tools/list' } });
  store.add({ signal: 'traces', spans: [root, call, failing, list] });
  store.add({
    signal: 'logs',
    logs: [
      { service: 'weather-server', resource: RESOURCE, scope: 'pino', timeMs: 66, traceId: TRACE, spanId: spanId(3), severityNumber: 17, severityText: 'error', body: 'dividing by 0', attributes: {} },
      { service: 'weather-server', resource: RESOURCE, scope: 'pino', timeMs: 1, severityNumber: 9, body: 'no trace', attributes: {} },
    ],
  });
  assert.equal(changes, 2);

  const trace = store.trace(TRACE);
  assert.deepEqual(trace.spans, [root, call, failing]);
  assert.deepEqual(trace.logs.map((l) => [l.body, l.spanId, l.resource]), [['dividing by 0', spanId(3), RESOURCE]]);
  assert.equal(store.trace('c'.repeat(32)), undefined);

  const all = store.operations({});
  assert.deepEqual(all.map((o) => [o.id, o.name, o.outcome]), [
    [4, 'tools/list', 'ok'],
    [3, 'tools/call divide', 'tool_error'],
    [2, 'tools/call forecast', 'ok'],
  ]);
  assert.deepEqual(store.operations({ tool: 'divide' }).map((o) => o.id), [3]);
  assert.deepEqual(store.operations({ outcome: 'ok', method: 'tools/call' }).map((o) => o.id), [2]);
  assert.deepEqual(store.operations({ text: 'ZERO' }).map((o) => o.id), [3]);
  assert.deepEqual(store.operations({ text: '100%_' }).map((o) => o.id), []);
  assert.deepEqual(store.operations({ afterId: 2 }).map((o) => o.id), [4, 3]);
  assert.deepEqual(store.operations({ beforeId: 4, limit: 1 }).map((o) => o.id), [3]);
  assert.deepEqual(store.sessionOperations('weather-server 4242 server').map((o) => o.id), [2, 3, 4]);
  assert.deepEqual(store.facets(), {
    services: ['weather-server'],
    methods: ['tools/call', 'tools/list'],
    tools: ['divide', 'forecast'],
    outcomes: ['ok', 'tool_error'],
  });
  assert.deepEqual(store.status(), {
    kept: { spans: 4, logs: 2, points: 0 },
    dropped: { spans: 0, logs: 0, points: 0 },
    caps: { spans: 100_000, logs: 100_000, points: 10_000 },
    rejectedRequests: 0,
    otherPoints: 0,
  });
});

test('caps: the oldest spans, logs and series go first and are counted', (t) => {
  const store = new Store({ caps: { spans: 3, logs: 2, points: 2 } });
  t.after(() => store.close());
  for (let n = 1; n <= 5; n++) {
    store.add({ signal: 'traces', spans: [span({ traceId: n.toString(16).padStart(32, '0'), spanId: spanId(n) })] });
  }
  assert.deepEqual(store.operations({}).map((o) => o.id), [5, 4, 3]);
  assert.equal(store.trace('1'.padStart(32, '0')), undefined);
  assert.equal(store.trace('3'.padStart(32, '0')).spans.length, 1);
  store.add({
    signal: 'logs',
    logs: [1, 2, 3].map((n) => ({ service: 's', resource: {}, scope: '', timeMs: n, traceId: TRACE, severityNumber: 9, body: `line ${n}`, attributes: {} })),
  });
  for (const tool of ['a', 'b', 'c']) {
    store.add({ signal: 'metrics', points: [histogram({ attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool } })], otherPoints: 1 });
  }
  const status = store.status();
  assert.deepEqual(status.kept, { spans: 3, logs: 2, points: 2 });
  assert.deepEqual(status.dropped, { spans: 2, logs: 1, points: 1 });
  assert.equal(status.otherPoints, 3);
  assert.deepEqual(store.stats().tools.map((r) => r.tool), ['b', 'c']);
});

test('--db: what was kept, dropped and refused is there after a restart', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'view-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'view.db');
  const first = new Store({ file, caps: { spans: 2 } });
  first.add({ signal: 'traces', spans: [1, 2, 3].map((n) => span({ spanId: spanId(n) })) });
  first.add({ signal: 'metrics', points: [histogram()], otherPoints: 0 });
  first.noteRejected();
  first.close();

  const second = new Store({ file, caps: { spans: 2 } });
  t.after(() => second.close());
  assert.deepEqual(second.status().kept, { spans: 2, logs: 0, points: 1 });
  assert.deepEqual(second.status().dropped, { spans: 1, logs: 0, points: 0 });
  assert.equal(second.status().rejectedRequests, 1);
  assert.deepEqual(second.trace(TRACE).spans.map((s) => s.spanId), [spanId(2), spanId(3)]);
  // New rows carry on after the old ones, and the cap still holds.
  second.add({ signal: 'traces', spans: [span({ spanId: spanId(4) })] });
  assert.deepEqual(second.operations({}).map((o) => o.id), [4, 3]);
  assert.equal(second.stats().tools[0].count, 4);
});

test('quantiles interpolate within buckets; the overflow bucket answers its lower bound', () => {
  assert.equal(quantile(0.5, [1, 2, 4], [0, 0, 0, 0]), undefined);
  assert.equal(quantile(0.5, [1, 2, 4], [2, 2, 0, 0]), 1);
  assert.equal(quantile(0.75, [1, 2, 4], [2, 2, 0, 0]), 1.5);
  assert.equal(quantile(0.5, [1, 2, 4], [0, 0, 4, 0]), 3);
  assert.equal(quantile(0.99, [1, 2, 4], [0, 0, 0, 5]), 4);
});

test('stats: cumulative points replace, delta points add; per tool and per server, errors by error.type', (t) => {
  const store = new Store();
  t.after(() => store.close());
  store.add({ signal: 'metrics', points: [histogram({ count: 2, bucketCounts: [1, 1, 0, 0, 0] })], otherPoints: 0 });
  store.add({ signal: 'metrics', points: [histogram()], otherPoints: 0 });
  // An older cumulative point arriving late changes nothing.
  store.add({ signal: 'metrics', points: [histogram({ timeMs: 1, count: 100, bucketCounts: [100, 0, 0, 0, 0] })], otherPoints: 0 });
  const failing = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'forecast', 'error.type': 'tool_error' };
  store.add({ signal: 'metrics', points: [histogram({ temporality: 1, attributes: failing, count: 1, bucketCounts: [0, 0, 0, 1, 0] })], otherPoints: 0 });
  store.add({ signal: 'metrics', points: [histogram({ temporality: 1, attributes: failing, count: 1, bucketCounts: [0, 0, 0, 1, 0] })], otherPoints: 0 });
  const list = { 'mcp.method.name': 'tools/list' };
  store.add({ signal: 'metrics', points: [histogram({ attributes: list, count: 2, bucketCounts: [2, 0, 0, 0, 0] })], otherPoints: 0 });
  store.add({ signal: 'metrics', points: [histogram({ metric: 'http.server.request.duration' })], otherPoints: 0 });

  const { tools, servers } = store.stats();
  assert.equal(tools.length, 1);
  const [forecast] = tools;
  assert.deepEqual(
    { ...forecast, p50: forecast.p50.toFixed(3), p95: forecast.p95.toFixed(3), p99: forecast.p99.toFixed(3) },
    {
      service: 'weather-server',
      side: 'server',
      method: 'tools/call',
      tool: 'forecast',
      count: 6,
      errors: 2,
      errorRate: 2 / 6,
      // 6 calls: 1 under 10 ms, 2 under 20, 1 under 50, 2 under 100 (ms).
      p50: (20).toFixed(3),
      p95: (50 + 50 * ((0.95 * 6 - 4) / 2)).toFixed(3),
      p99: (50 + 50 * ((0.99 * 6 - 4) / 2)).toFixed(3),
      boundsMs: [10, 20, 50, 100],
      bucketCounts: [1, 2, 1, 2, 0],
    },
  );
  assert.deepEqual(
    servers.map((r) => [r.service, r.side, r.method, r.count, r.errors]),
    [['weather-server', 'server', '', 8, 2]],
  );
});

test('outcomes: the stable rpc.status_code counts too; a CLIENT span with a caller fault code and no error.type was expected (ok)', () => {
  assert.equal(outcomeOf(span({ attributes: { 'mcp.method.name': 'tools/call', 'rpc.status_code': '-32602' } })), 'caller_fault');
  assert.equal(outcomeOf(span({ kind: 3, attributes: { 'mcp.method.name': 'server/discover', 'rpc.response.status_code': '-32601' } })), 'ok');
  assert.equal(outcomeOf(span({ kind: 3, attributes: { 'mcp.method.name': 'server/discover', 'rpc.response.status_code': '-32022' } })), 'ok');
});

test('sessions: a client\'s connection is per server it calls (mcp.server.name, else server.address:port)', () => {
  const client = (attributes) => sessionKeyOf(span({ kind: 3, resource: { 'service.instance.id': 'i-1' }, attributes }));
  assert.equal(client({ 'mcp.server.name': 'weather' }), 'weather-server i-1 client weather');
  assert.equal(client({ 'server.address': '127.0.0.1', 'server.port': 3000 }), 'weather-server i-1 client 127.0.0.1:3000');
  assert.equal(client({}), 'weather-server i-1 client');
});

test('a batch that fails leaves nothing behind: no resource id, count or facet the database does not have', (t) => {
  const store = new Store();
  t.after(() => store.close());
  const a = { 'service.name': 'a', who: 'resource-a' };
  const b = { 'service.name': 'b', who: 'resource-b' };
  store.add({ signal: 'traces', spans: [span({ spanId: spanId(1), resource: a, service: 'a' })] });
  // NaN has no place in a REAL NOT NULL column: the batch fails after resource b got an id.
  assert.throws(() => store.add({ signal: 'traces', spans: [span({ traceId: 'b'.repeat(32), spanId: spanId(2), resource: b, service: 'b', startMs: NaN })] }));
  assert.deepEqual(store.status().kept, { spans: 1, logs: 0, points: 0 });
  // A new resource takes the id the failed batch gave b; b must then get one of its own.
  const c = { 'service.name': 'c', who: 'resource-c' };
  store.add({ signal: 'traces', spans: [span({ traceId: 'c'.repeat(32), spanId: spanId(3), resource: c, service: 'c' })] });
  store.add({ signal: 'traces', spans: [span({ traceId: 'd'.repeat(32), spanId: spanId(4), resource: { ...b }, service: 'b' })] });
  assert.deepEqual(store.trace('c'.repeat(32)).spans[0].resource, c);
  assert.deepEqual(store.trace('d'.repeat(32)).spans[0].resource, b);
  assert.deepEqual(store.operations({}).map((o) => [o.id, o.service]), [[3, 'b'], [2, 'c'], [1, 'a']]);
  // A NaN sum (valid OTLP) is kept as 0, not refused.
  store.add({ signal: 'metrics', points: [histogram({ sum: NaN })], otherPoints: 0 });
  assert.equal(store.stats().tools[0].count, 4);
});

test('resources of dropped rows go: 10,001 processes through a cap of one span leave one resource', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'view-store-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'view.db');
  const store = new Store({ file, caps: { spans: 1 } });
  for (let n = 1; n <= 10_001; n++) {
    store.add({ signal: 'traces', spans: [span({ spanId: spanId(n), resource: { 'service.name': 's', 'service.instance.id': `run-${n}` } })] });
  }
  const { DatabaseSync } = require('node:sqlite');
  const db = new DatabaseSync(file, { readOnly: true });
  t.after(() => db.close());
  // The prune runs once 10,000 rows were dropped: what is left is the resources of the last row and those since.
  assert.deepEqual(db.prepare('SELECT json FROM resources').all().map((r) => JSON.parse(r.json)['service.instance.id']), ['run-10001']);
  assert.deepEqual(store.trace(TRACE).spans[0].resource, { 'service.name': 's', 'service.instance.id': 'run-10001' });
  store.close();
});

test('facets offer at most 200 values each, the most recent; a trace answer stops at 10,000 spans and says how many there are', (t) => {
  const store = new Store({ caps: { spans: 20_000 } });
  t.after(() => store.close());
  const tools = Array.from({ length: 250 }, (_, n) =>
    span({ traceId: (n + 1).toString(16).padStart(32, '0'), spanId: spanId(n + 1), attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': `tool-${n}` } }),
  );
  store.facets();
  store.add({ signal: 'traces', spans: tools });
  const offered = store.facets().tools;
  assert.equal(offered.length, 200);
  assert.ok(offered.includes('tool-249') && !offered.includes('tool-0'), offered.slice(0, 5).join());

  const big = Array.from({ length: 10_001 }, (_, n) => span({ spanId: spanId(100_000 + n), startMs: n }));
  store.add({ signal: 'traces', spans: big });
  const answer = store.trace(TRACE);
  assert.equal(answer.spans.length, 10_000);
  assert.equal(answer.spans.at(-1).startMs, 9_999);
  assert.deepEqual(answer.truncated, { spans: 10_001, logs: 0 });
});

test('stats: a client\'s rows are per server it called', (t) => {
  const store = new Store();
  t.after(() => store.close());
  const client = (server, tool) =>
    histogram({ service: 'agent', resource: { 'service.name': 'agent' }, metric: 'mcp.client.operation.duration', attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool, 'mcp.server.name': server } });
  store.add({ signal: 'metrics', points: [client('weather', 'forecast'), client('maps', 'forecast'), client('maps', 'route')], otherPoints: 0 });
  const { tools, servers } = store.stats();
  assert.deepEqual(tools.map((r) => [r.service, r.side, r.server, r.tool, r.count]), [
    ['agent', 'client', 'maps', 'forecast', 4],
    ['agent', 'client', 'maps', 'route', 4],
    ['agent', 'client', 'weather', 'forecast', 4],
  ]);
  assert.deepEqual(servers.map((r) => [r.service, r.side, r.server, r.count]), [
    ['agent', 'client', 'maps', 8],
    ['agent', 'client', 'weather', 4],
  ]);
});
