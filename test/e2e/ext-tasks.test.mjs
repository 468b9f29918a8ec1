// The tasks extension's client, @modelcontextprotocol/ext-tasks 0.2.2, on an SDK v2 Client (preloaded), calling tools
// as tasks on an SDK v2 server (preloaded) over stdio in both eras, over Streamable HTTP in 2026-07-28 (a Server per
// request, createMcpHandler), and on an SDK v1 server with its experimental tasks (2025-11-25): fixtures/ext-tasks,
// installed by test/setup.mjs into .test-work/ext-tasks. In each, the task-augmented `tools/call`, every `tasks/*` request and the task status
// notifications are traced on both sides: one CLIENT span in the client and one SERVER span in the server per request,
// the SERVER span the child of its CLIENT span (the trace context in `_meta`), the ids on the wire, the operation
// metrics. In 2026-07-28 ext-tasks sends tools/call and tasks/* through the host's raw dispatch, outside the SDK's
// Client: without ext-tasks.ts these have no CLIENT span and their SERVER spans start traces of their own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, startListening, stopWithSigterm } from '../helpers/processes.mjs';

const DIR = join(ROOT, '.test-work', 'ext-tasks');
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const OURS = '@x/mcp-otel';
const TIMEOUT_MS = 30_000;

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

/**
 * Per era: the protocol version, the requests of the task traffic in the order sent (span name, id on the wire), the
 * other requests (the opening and the SDK's own), the task status notifications the server sends (after tasks/get
 * completed the report, and after tasks/cancel), and what the client prints.
 */
const ERAS = {
  legacy: {
    version: '2025-11-25',
    opening: [
      ['initialize', '0'],
      ['tools/list', '1'],
    ],
    openingNotifications: ['notifications/initialized'],
    tasks: [
      ['tools/call report', '2'],
      ['tasks/get', '3'],
      ['tasks/result', '4'],
      ['tools/call slow', '5'],
      ['tasks/cancel', '6'],
      ['tasks/list', '7'],
    ],
    status: 'notifications/tasks/status',
    answers: {
      protocolVersion: '2025-11-25',
      report: {
        content: [{ type: 'text', text: 'report on q3' }],
        _meta: { 'io.modelcontextprotocol/related-task': { taskId: 'task-1' } },
      },
      slow: 'cancelled',
      listed: 2,
    },
  },
  modern: {
    version: '2026-07-28',
    opening: [
      ['server/discover', 'server-discover-probe-1'],
      ['tools/list', '0'],
    ],
    openingNotifications: [],
    // The host's request coordinator numbers its requests `host-<n>` (fixtures/ext-tasks/client.mjs).
    tasks: [
      ['tools/call report', 'host-1'],
      ['tasks/get', 'host-2'],
      ['tools/call slow', 'host-3'],
      ['tasks/cancel', 'host-4'],
      // The task of `ask` needs the user's confirmation: input_required at the first tasks/get, then tasks/update.
      ['tools/call ask', 'host-5'],
      ['tasks/get', 'host-6'],
      ['tasks/update', 'host-7'],
      ['tasks/get', 'host-8'],
    ],
    status: 'notifications/tasks',
    answers: {
      protocolVersion: '2026-07-28',
      report: { resultType: 'complete', content: [{ type: 'text', text: 'report on q3' }] },
      slow: 'cancelled',
      ask: { resultType: 'complete', content: [{ type: 'text', text: 'confirmed: accept' }] },
    },
  },
};

/**
 * The attributes of a request's or notification's span (with its id on the wire, for a request) or metric point (no
 * id, no peer port), on the client's or the server's side of `transport`. Over HTTP: the server's address on the
 * client's side, the client's on the server's side (its port is the connection's: `peer.clientPort`).
 */
function attributesOf(era, transport, side, name, { id, serverPort, clientPort, point = false, serverSdk, named = true } = {}) {
  const [method, tool] = name.split(' ');
  // Each process names its peer on its spans; of the points, only the client's name the server.
  const peer = !named ? {} : side === 'client' ? SERVER_NAMED[serverSdk] : point ? {} : CLIENT_NAMED;
  // In 2026-07-28 every result has its resultType: a task handle for a task-augmented tools/call.
  const resultType =
    era !== 'modern' || method.startsWith('notifications/') ? {} : { 'mcp.result.type': method === 'tools/call' ? 'task' : 'complete' };
  const http =
    transport !== 'http'
      ? {}
      : side === 'client'
        ? { 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': serverPort }
        : {
            'network.protocol.name': 'http',
            'network.protocol.version': '1.1',
            ...(point ? {} : { 'client.address': '127.0.0.1', 'client.port': clientPort }),
          };
  return {
    'mcp.method.name': method,
    ...(tool ? { 'gen_ai.tool.name': tool, 'gen_ai.operation.name': 'execute_tool' } : {}),
    ...(id === undefined ? {} : { 'jsonrpc.request.id': id }),
    'mcp.protocol.version': ERAS[era].version,
    'network.transport': transport === 'http' ? 'tcp' : 'pipe',
    ...http,
    ...peer,
    ...resultType,
  };
}

const SERVER_NAMED = {
  v1: { 'mcp.server.name': 'ext-tasks-v1-server', 'mcp.server.version': '1.0.0' },
  v2: { 'mcp.server.name': 'ext-tasks-server', 'mcp.server.version': '1.0.0' },
};
const CLIENT_NAMED = { 'mcp.client.name': 'ext-tasks-client', 'mcp.client.version': '1.0.0' };

/** The task of the SDK v1 server gets an id of 32 hex digits: the answers are compared without it. */
const withoutRandomTaskIds = (answers) => JSON.parse(JSON.stringify(answers).replace(/"[0-9a-f]{32}"/g, '"<task id>"'));

const CASES = [
  { era: 'legacy', transport: 'stdio', server: 'v2', ...ERAS.legacy },
  { era: 'modern', transport: 'stdio', server: 'v2', ...ERAS.modern },
  // No status notifications: a Server per HTTP request has no stream left to send them on once it answered.
  { era: 'modern', transport: 'http', server: 'v2', ...ERAS.modern, status: undefined },
  // The SDK v1 server's own tasks (server-v1.mjs): the report's result is stored, and its status notification sent,
  // while the call is handled (in the work's span), so the client knows it completed before it polls: no tasks/get.
  {
    era: 'legacy',
    transport: 'stdio',
    server: 'v1',
    ...ERAS.legacy,
    tasks: [
      ['tools/call report', '2'],
      ['tasks/result', '3'],
      ['tools/call slow', '4'],
      ['tasks/cancel', '5'],
      ['tasks/list', '6'],
    ],
    statusCount: 1,
    answers: { ...ERAS.legacy.answers, report: { ...ERAS.legacy.answers.report, _meta: { 'io.modelcontextprotocol/related-task': { taskId: '<task id>' } } } },
  },
];

for (const { era, transport, server: serverSdk, version, opening, openingNotifications, tasks, status, statusCount = 2, answers } of CASES) {
  const services = { client: `ext-tasks-client-${era}-${transport}-${serverSdk}`, server: `ext-tasks-server-${era}-${transport}-${serverSdk}` };
  const serverScript = serverSdk === 'v1' ? './server-v1.mjs' : './server.mjs';
  const spansOf = (service, scope = OURS) =>
    receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === scope);
  /** The one span of `kind` and `name` (of the request `id`, when given). */
  const one = (service, kind, name, id) => {
    const found = spansOf(service).filter(
      (s) => s.kind === kind && s.name === name && (id === undefined || s.attributes['jsonrpc.request.id'] === id),
    );
    assert.equal(found.length, 1, `${service}: one ${kind === CLIENT ? 'CLIENT' : 'SERVER'} span ${name} ${id ?? ''}`);
    return found[0];
  };
  const requests = [...opening, ...tasks];
  // Each side: a span per request, per opening notification and per status notification.
  const statusSpans = status ? statusCount : 0;
  const spanCount = requests.length + openingNotifications.length + statusSpans;

  describe(`ext-tasks, ${version} over ${transport}: an SDK v2 client (preloaded) calling tools as tasks on an SDK ${serverSdk} server (preloaded)`, () => {
    let bare;
    let preloaded;
    let serverPort;
    before(async () => {
      const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_LOGS_EXPORTER: 'none' };
      const clientEnv = { ...env, OTEL_SERVICE_NAME: services.client, SERVER_SERVICE_NAME: services.server, OTEL_LOG_LEVEL: 'debug', SERVER_SCRIPT: serverScript };
      if (transport === 'stdio') {
        bare = await run('client.mjs', { cwd: DIR, nodeArgs: [], args: [era], env: { BARE_SERVER: '1', SERVER_SCRIPT: serverScript }, timeoutMs: TIMEOUT_MS });
        preloaded = await run('client.mjs', { cwd: DIR, args: [era], env: clientEnv, timeoutMs: TIMEOUT_MS });
      } else {
        const bareServer = await startListening('server-http.mjs', { cwd: DIR, nodeArgs: [], timeoutMs: TIMEOUT_MS });
        try {
          bare = await run('client.mjs', { cwd: DIR, nodeArgs: [], args: [era, `${bareServer.url}/mcp`], timeoutMs: TIMEOUT_MS });
        } finally {
          await stopWithSigterm(bareServer.child);
        }
        const server = await startListening('server-http.mjs', {
          cwd: DIR,
          env: { ...env, OTEL_SERVICE_NAME: services.server },
          timeoutMs: TIMEOUT_MS,
        });
        serverPort = server.port;
        try {
          preloaded = await run('client.mjs', { cwd: DIR, args: [era, `${server.url}/mcp`], env: clientEnv, timeoutMs: TIMEOUT_MS });
        } finally {
          await stopWithSigterm(server.child);
        }
      }
      await receiver.waitFor(
        () =>
          [services.client, services.server].every((service) =>
            receiver.metrics.some((m) => m.resource['service.name'] === service && m.name.endsWith('operation.duration')),
          ) &&
          spansOf(services.client).length >= spanCount &&
          spansOf(services.server).length >= spanCount,
      );
    });

    test('the answers are those of a bare client and server; the client says it hooked ext-tasks', () => {
      assert.equal(bare.code, 0, bare.stderr);
      assert.equal(preloaded.code, 0, preloaded.stderr);
      assert.deepEqual(withoutRandomTaskIds(JSON.parse(bare.stdout.toString())), answers);
      assert.deepEqual(withoutRandomTaskIds(JSON.parse(preloaded.stdout.toString())), answers);
      assert.deepEqual(
        diagLines(preloaded.stderr).filter((line) => line.includes('@modelcontextprotocol/ext-tasks')),
        ['@x/mcp-otel debug: MCP client hooked by name: @modelcontextprotocol/ext-tasks 0.2.2'],
      );
    });

    test('every request: one CLIENT span and one SERVER span, its child, with the id on the wire and the same attributes', () => {
      assert.equal(spansOf(services.client).length, spanCount);
      assert.equal(spansOf(services.server).length, spanCount);
      for (const [name, id] of requests) {
        const sent = one(services.client, CLIENT, name, id);
        const received = one(services.server, SERVER, name, id);
        assert.equal(received.traceId, sent.traceId, name);
        assert.equal(received.parentSpanId, sent.spanId, name);
        assert.equal(sent.parentSpanId, undefined, `${name}: the client's spans are roots`);
        const clientPort = received.attributes['client.port'];
        if (transport === 'http') assert.equal(typeof clientPort, 'number', name);
        assert.deepEqual(sent.attributes, attributesOf(era, transport, 'client', name, { id, serverPort, serverSdk }), name);
        assert.deepEqual(received.attributes, attributesOf(era, transport, 'server', name, { id, clientPort, serverSdk }), name);
        assert.equal(sent.status.code, UNSET, name);
        assert.equal(received.status.code, UNSET, name);
      }
      // The task traffic is not one trace: a tasks/* request is sent on its own, as the client polls or cancels.
      const traces = new Set(tasks.map(([name, id]) => one(services.client, CLIENT, name, id).traceId));
      assert.equal(traces.size, tasks.length);
    });

    if (transport === 'http') {
      test("the HTTP request that carries each of the host's raw requests is a child of its CLIENT span", () => {
        const posts = receiver.spans.filter((s) => s.resource['service.name'] === services.client && s.kind === CLIENT && s.name === 'POST');
        for (const [name, id] of tasks) {
          const carried = posts.filter((s) => s.parentSpanId === one(services.client, CLIENT, name, id).spanId);
          assert.equal(carried.length, 1, `${name} ${id}`);
        }
      });
    } else {
      test("the task status notifications: the server's CLIENT span, in the request that changed the task, and the client's SERVER span", () => {
        const sent = spansOf(services.server).filter((s) => s.kind === CLIENT && s.name === status);
        const received = spansOf(services.client).filter((s) => s.kind === SERVER && s.name === status);
        assert.equal(sent.length, statusCount);
        assert.equal(received.length, statusCount);
        // Sent by the server (its spans name the client), received by the client (its spans name the server).
        const attributes = attributesOf(era, transport, 'server', status, { serverSdk });
        const receivedAttributes = attributesOf(era, transport, 'client', status, { serverSdk });
        // v2 server: after the first tasks/get (it completed the report) and after tasks/cancel; v1 server: in the work.
        const work = () => receiver.spans.filter((s) => s.resource['service.name'] === services.server && s.name === 'report work');
        const changedBy =
          serverSdk === 'v1'
            ? [['report work', work()[0]?.spanId]]
            : tasks
                .filter(([name]) => name === 'tasks/get')
                .slice(0, 1)
                .concat(tasks.filter(([name]) => name === 'tasks/cancel'))
                .map(([name, id]) => [name, one(services.server, SERVER, name, id).spanId]);
        for (const [span, [after, parentSpanId]] of sent.map((s, i) => [s, changedBy[i]])) {
          assert.equal(span.parentSpanId, parentSpanId, `${status} after ${after}`);
          assert.deepEqual(span.attributes, attributes);
          const child = received.filter((s) => s.parentSpanId === span.spanId);
          assert.equal(child.length, 1, `the client received ${status} after ${after}`);
          assert.equal(child[0].traceId, span.traceId);
          assert.deepEqual(child[0].attributes, receivedAttributes);
        }
      });
    }

    test("the task's work runs in the context of the tools/call that made it: a child of its SERVER span", () => {
      const work = receiver.spans.filter((s) => s.resource['service.name'] === services.server && s.name === 'report work');
      assert.equal(work.length, 1);
      assert.equal(work[0].kind, INTERNAL);
      assert.equal(work[0].parentSpanId, one(services.server, SERVER, 'tools/call report').spanId);
    });

    test('metrics: a point per request on each side, and the status notifications', () => {
      // In 2026-07-28 over stdio the SDK's client probes the server (server/discover) on a throwaway sibling of the
      // server process, which exports its own points.
      const points = (service, name) =>
        receiver.metrics
          .filter((m) => m.resource['service.name'] === service && m.name === name)
          .flatMap((m) => m.dataPoints.map((p) => ({ attributes: p.attributes, count: p.count })));
      const byName = (a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes));
      const expected = (side) => {
        const counts = new Map();
        for (const name of [...requests.map(([name]) => name), ...openingNotifications]) counts.set(name, (counts.get(name) ?? 0) + 1);
        return [...counts]
          .map(([name, count]) => ({ attributes: attributesOf(era, transport, side, name, { serverPort, point: true, serverSdk }), count }))
          .sort(byName);
      };
      assert.deepEqual(points(services.client, 'mcp.client.operation.duration').sort(byName), expected('client'));
      assert.deepEqual(points(services.server, 'mcp.server.operation.duration').sort(byName), expected('server'));
      // Neither point of a status notification names the peer: the server's client points name a server, the client's server points no one.
      const notified = status ? [{ attributes: attributesOf(era, transport, 'client', status, { named: false }), count: statusCount }] : [];
      assert.deepEqual(points(services.server, 'mcp.client.operation.duration'), notified);
      assert.deepEqual(points(services.client, 'mcp.server.operation.duration'), notified);
    });
  });
}
