// A StoreReader (src/view/model.ts) over plain arrays, for the page's tests and benchmark: known operations, traces,
// logs and per-tool figures, hostile values included, without OTLP or node:sqlite in between.

export const HOSTILE_TOOL = '<img src=x onerror="window.__pwned=1">';
export const HOSTILE_ARGUMENT = '</script><script>window.__pwned=2</script>';
export const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
export const FAILING_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
export const HOSTILE_TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const LOG_LINE = 'weather looked up for Paris';
export const TRUNCATED_TRACE_ID = '7c2d9e4f1a3b5c6d7e8f9a0b1c2d3e4f';
/** Captured content the preload cut at 8,192 characters: JSON no more. */
export const CUT_RESULT = `{"content":[{"type":"text","text":"${'rain '.repeat(2000)}`.slice(0, 8191) + '…';

const T0 = Date.UTC(2026, 11, 4, 9, 30, 0);
const hex = (n, width) => n.toString(16).padStart(width, '0');
const resource = (service) => ({ 'service.name': service, 'process.pid': 4242 });

function span(traceId, spanId, parentSpanId, service, name, kind, startMs, endMs, attributes = {}, extra = {}) {
  return {
    service,
    resource: resource(service),
    scope: '@x/mcp-otel',
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind,
    startMs,
    endMs,
    attributes,
    events: [],
    links: [],
    status: { code: 0 },
    ...extra,
  };
}

/** A client's tools/call and the server's, the server's HTTP call and a log line: one trace across two services. */
function weatherTrace() {
  const spans = [
    span(TRACE_ID, 'a000000000000001', undefined, 'agent', 'tools/call get_weather', 3, T0, T0 + 42, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'get_weather',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.session.id': 'session-1',
      'gen_ai.tool.call.arguments': '{"city":"Paris","units":"metric"}',
    }),
    span(
      TRACE_ID,
      'b000000000000002',
      'a000000000000001',
      'weather-server',
      'tools/call get_weather',
      2,
      T0 + 5,
      T0 + 38,
      {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'get_weather',
        'mcp.session.id': 'session-1',
        'gen_ai.tool.call.result': '{"content":[{"type":"text","text":"12 °C"}]}',
      },
    ),
    span(TRACE_ID, 'c000000000000003', 'b000000000000002', 'weather-server', 'GET', 3, T0 + 10, T0 + 30, {
      'http.request.method': 'GET',
      'url.full': 'https://api.example.com/weather?city=Paris',
      'http.response.status_code': 200,
    }),
  ];
  const logs = [
    {
      service: 'weather-server',
      resource: resource('weather-server'),
      scope: 'pino',
      timeMs: T0 + 31,
      traceId: TRACE_ID,
      spanId: 'b000000000000002',
      severityNumber: 9,
      severityText: 'info',
      body: LOG_LINE,
      attributes: { city: 'Paris' },
    },
  ];
  return { traceId: TRACE_ID, spans, logs };
}

/** A tool that fails (isError) and throws inside: a tool error with an exception event. */
function failingTrace() {
  const server = span(
    FAILING_TRACE_ID,
    'd000000000000004',
    'e000000000000005',
    'weather-server',
    'tools/call flaky',
    2,
    T0 + 1000,
    T0 + 1012,
    {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'flaky',
      'error.type': 'tool_error',
      'gen_ai.tool.call.result': CUT_RESULT,
    },
    {
      status: { code: 2, message: 'the upstream timed out' },
      events: [
        {
          name: 'exception',
          timeMs: T0 + 1011,
          attributes: {
            'exception.type': 'TimeoutError',
            'exception.message': 'the upstream timed out',
            'exception.stacktrace': 'TimeoutError: the upstream timed out\n    at flaky (server.js:12:9)',
          },
        },
      ],
    },
  );
  return { traceId: FAILING_TRACE_ID, spans: [server], logs: [] };
}

/** A tool whose name and arguments are hostile: they must show as text. */
function hostileTrace() {
  const client = span(
    HOSTILE_TRACE_ID,
    'f000000000000006',
    undefined,
    'agent',
    `tools/call ${HOSTILE_TOOL}`,
    3,
    T0 + 2000,
    T0 + 2005,
    {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': HOSTILE_TOOL,
      'gen_ai.tool.call.arguments': JSON.stringify({ note: HOSTILE_ARGUMENT }),
      'error.message': HOSTILE_ARGUMENT,
    },
  );
  return { traceId: HOSTILE_TRACE_ID, spans: [client], logs: [] };
}

/** A trace larger than one answer: the store sent its first 2 spans of 12,000 and its first log of 3. */
function truncatedTrace() {
  const root = span(
    TRUNCATED_TRACE_ID,
    'a100000000000001',
    undefined,
    'big-server',
    'tools/call crawl',
    2,
    T0 + 3000,
    T0 + 3900,
  );
  const child = span(
    TRUNCATED_TRACE_ID,
    'a100000000000002',
    'a100000000000001',
    'big-server',
    'GET',
    3,
    T0 + 3001,
    T0 + 3010,
  );
  const log = {
    ...weatherTrace().logs[0],
    traceId: TRUNCATED_TRACE_ID,
    spanId: 'a100000000000002',
    service: 'big-server',
  };
  return { traceId: TRUNCATED_TRACE_ID, spans: [root, child], logs: [log], truncated: { spans: 12000, logs: 3 } };
}

function operation(id, span, outcome, session, extra = {}) {
  return {
    id,
    traceId: span.traceId,
    spanId: span.spanId,
    service: span.service,
    kind: span.kind,
    method: span.attributes['mcp.method.name'],
    target: span.attributes['gen_ai.tool.name'],
    name: span.name,
    startMs: span.startMs,
    durationMs: span.endMs - span.startMs,
    outcome,
    session,
    ...extra,
  };
}

/** A trace of `count` spans: a server span with nested tool spans, for the waterfall's drawing time. */
export function bigTrace(traceId, count) {
  const spans = [
    span(traceId, hex(1, 16), undefined, 'big-server', 'tools/call crawl', 2, T0, T0 + count * 2, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'crawl',
    }),
  ];
  for (let i = 2; i <= count; i++) {
    const parent = i % 10 === 2 ? hex(1, 16) : hex(i - 1, 16);
    const service = i % 3 === 0 ? 'big-fetcher' : 'big-server';
    spans.push(
      span(traceId, hex(i, 16), parent, service, `GET /page/${i}`, 3, T0 + i, T0 + i + 5 + (i % 7), {
        'http.request.method': 'GET',
        'url.path': `/page/${i}`,
      }),
    );
  }
  return { traceId, spans, logs: [] };
}

export function createFakeStore({ extraTraces = [] } = {}) {
  const traces = new Map();
  for (const trace of [weatherTrace(), failingTrace(), hostileTrace(), truncatedTrace(), ...extraTraces])
    traces.set(trace.traceId, trace);
  const [client, server] = traces.get(TRACE_ID).spans;
  const [flaky] = traces.get(FAILING_TRACE_ID).spans;
  const [hostile] = traces.get(HOSTILE_TRACE_ID).spans;
  const operations = [
    operation(1, client, 'ok', 'session-1'),
    operation(2, server, 'ok', 'session-1'),
    operation(3, flaky, 'tool_error', 'session-1', {
      errorType: 'tool_error',
      statusMessage: 'the upstream timed out',
    }),
    operation(4, hostile, 'caller_fault', 'session/2 ?#', { errorType: '-32602', statusMessage: HOSTILE_ARGUMENT }),
  ];
  for (const trace of extraTraces)
    operations.push(operation(operations.length + 1, trace.spans[0], 'ok', 'session-big'));
  const status = {
    kept: { spans: 6, logs: 1, points: 4 },
    dropped: { spans: 0, logs: 0, points: 0 },
    caps: { spans: 100000, logs: 100000, points: 20000 },
    rejectedRequests: 0,
    otherPoints: 0,
  };
  const listeners = new Set();
  const emptied = [];
  const calls = [];

  const store = {
    calls,
    operationsList: operations,
    statusValue: status,
    status() {
      return status;
    },
    operations(filter) {
      calls.push(['operations', filter]);
      const text = filter.text?.toLowerCase();
      const chosen = operations.filter(
        (op) =>
          (filter.service === undefined || op.service === filter.service) &&
          (filter.method === undefined || op.method === filter.method) &&
          (filter.tool === undefined || op.target === filter.tool) &&
          (filter.outcome === undefined || op.outcome === filter.outcome) &&
          (filter.session === undefined || op.session === filter.session) &&
          (filter.traceId === undefined || op.traceId === filter.traceId) &&
          (filter.beforeId === undefined || op.id < filter.beforeId) &&
          (filter.afterId === undefined || op.id > filter.afterId) &&
          (text === undefined ||
            [op.method, op.target, op.name, op.service, op.errorType, op.statusMessage].some((v) =>
              v?.toLowerCase().includes(text),
            )),
      );
      return chosen.sort((a, b) => b.id - a.id).slice(0, filter.limit ?? 200);
    },
    sessionOperations(session, limit = 200) {
      calls.push(['sessionOperations', session, limit]);
      return operations
        .filter((op) => op.session === session)
        .sort((a, b) => a.id - b.id)
        .slice(0, limit);
    },
    facets() {
      const distinct = (values) => [...new Set(values.filter((v) => v !== undefined))].sort();
      return {
        services: distinct(operations.map((op) => op.service)),
        methods: distinct(operations.map((op) => op.method)),
        tools: distinct(operations.map((op) => op.target)),
        outcomes: distinct(operations.map((op) => op.outcome)),
      };
    },
    trace(traceId) {
      calls.push(['trace', traceId]);
      return traces.get(traceId);
    },
    stats() {
      const bounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000];
      const row = (service, side, method, tool, count, errors, counts) => ({
        service,
        side,
        method,
        ...(tool === undefined ? {} : { tool }),
        count,
        errors,
        errorRate: count ? errors / count : 0,
        p50: 12.5,
        p95: 40.2,
        p99: 48.9,
        boundsMs: bounds,
        bucketCounts: counts,
      });
      return {
        tools: [
          row('weather-server', 'server', 'tools/call', 'get_weather', 10, 0, [0, 1, 2, 4, 2, 1, 0, 0, 0, 0, 0, 0]),
          row('weather-server', 'server', 'tools/call', 'flaky', 4, 3, [0, 0, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0]),
          row('agent', 'client', 'tools/call', HOSTILE_TOOL, 1, 1, [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        ],
        servers: [
          row('weather-server', 'server', 'tools/call', undefined, 14, 3, [0, 1, 3, 7, 2, 1, 0, 0, 0, 0, 0, 0]),
        ],
      };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) for (const resolve of emptied.splice(0)) resolve();
      };
    },
    /** Resolves once no listener is subscribed any more. */
    whenNoListeners() {
      return listeners.size === 0 ? Promise.resolve() : new Promise((resolve) => emptied.push(resolve));
    },
    /** How many listeners are subscribed (the event streams share one). */
    listenerCount() {
      return listeners.size;
    },
    /** Adds an operation (a new span of the weather trace's session) and tells the listeners. */
    addOperation(extra = {}) {
      const id = operations.length + 1;
      const base = traces.get(TRACE_ID).spans[0];
      operations.push(
        operation(
          id,
          { ...base, startMs: base.startMs + id * 1000, endMs: base.endMs + id * 1000 },
          'ok',
          'session-1',
          extra,
        ),
      );
      status.kept.spans++;
      store.changed();
      return id;
    },
    /** Adds a span (not an MCP operation) to a trace and tells the listeners. */
    addSpan(traceId, spanId, parentSpanId, name) {
      const trace = traces.get(traceId);
      const last = trace.spans.at(-1);
      trace.spans.push(span(traceId, spanId, parentSpanId, last.service, name, 3, last.startMs + 1, last.endMs - 1));
      status.kept.spans++;
      store.changed();
    },
    changed() {
      for (const listener of [...listeners]) listener();
    },
  };
  return store;
}
