// The tasks extension's client, @modelcontextprotocol/ext-tasks 0.2.2, on an SDK v2 Client (preloaded), calling tools
// as tasks on an SDK v2 server (preloaded) over stdio: fixtures/ext-tasks, installed by test/setup.mjs into
// .test-work/ext-tasks. In each era, the task-augmented `tools/call`, every `tasks/*` request and the task status
// notifications are traced on both sides: one CLIENT span in the client and one SERVER span in the server per request,
// the SERVER span the child of its CLIENT span (the trace context in `_meta`), the ids on the wire, the operation
// metrics. In 2026-07-28 ext-tasks sends tools/call and tasks/* through the host's raw dispatch, outside the SDK's
// Client: without ext-tasks.ts these have no CLIENT span and their SERVER spans start traces of their own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run } from '../helpers/processes.mjs';

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
    ],
    status: 'notifications/tasks',
    answers: {
      protocolVersion: '2026-07-28',
      report: { resultType: 'complete', content: [{ type: 'text', text: 'report on q3' }] },
      slow: 'cancelled',
    },
  },
};

/** The attributes of a request's span or metric point on either side (the id on spans only). */
function requestAttributes(era, name, id) {
  const [method, tool] = name.split(' ');
  return {
    'mcp.method.name': method,
    ...(tool ? { 'gen_ai.tool.name': tool, 'gen_ai.operation.name': 'execute_tool' } : {}),
    ...(id === undefined ? {} : { 'jsonrpc.request.id': id }),
    'mcp.protocol.version': ERAS[era].version,
    'network.transport': 'pipe',
  };
}

for (const era of Object.keys(ERAS)) {
  const { version, opening, openingNotifications, tasks, status, answers } = ERAS[era];
  const services = { client: `ext-tasks-client-${era}`, server: `ext-tasks-server-${era}` };
  const spansOf = (service, scope = OURS) =>
    receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === scope);
  const one = (service, kind, name) => {
    const found = spansOf(service).filter((s) => s.kind === kind && s.name === name);
    assert.equal(found.length, 1, `${service}: one ${kind === CLIENT ? 'CLIENT' : 'SERVER'} span ${name}`);
    return found[0];
  };
  const requests = [...opening, ...tasks];
  // Each side: a span per request, per opening notification and per status notification (2).
  const spanCount = requests.length + openingNotifications.length + 2;

  describe(`ext-tasks, ${version}: an SDK v2 client (preloaded) calling tools as tasks on an SDK v2 server (preloaded)`, () => {
    let bare;
    let preloaded;
    before(async () => {
      bare = await run('client.mjs', { cwd: DIR, nodeArgs: [], args: [era], env: { BARE_SERVER: '1' }, timeoutMs: TIMEOUT_MS });
      preloaded = await run('client.mjs', {
        cwd: DIR,
        args: [era],
        timeoutMs: TIMEOUT_MS,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: services.client,
          SERVER_SERVICE_NAME: services.server,
          OTEL_METRIC_EXPORT_INTERVAL: '60000',
          OTEL_LOGS_EXPORTER: 'none',
          OTEL_LOG_LEVEL: 'debug',
        },
      });
      await receiver.waitFor(
        () =>
          [services.client, services.server].every((service) =>
            receiver.metrics.some((m) => m.resource['service.name'] === service && m.name === 'mcp.client.operation.duration'),
          ) &&
          spansOf(services.client).length >= spanCount &&
          spansOf(services.server).length >= spanCount,
      );
    });

    test('the answers are those of a bare client and server; the client says it hooked ext-tasks', () => {
      assert.equal(bare.code, 0, bare.stderr);
      assert.equal(preloaded.code, 0, preloaded.stderr);
      assert.deepEqual(JSON.parse(bare.stdout.toString()), answers);
      assert.deepEqual(JSON.parse(preloaded.stdout.toString()), answers);
      assert.deepEqual(
        diagLines(preloaded.stderr).filter((line) => line.includes('@modelcontextprotocol/ext-tasks')),
        ['@x/mcp-otel debug: MCP client hooked by name: @modelcontextprotocol/ext-tasks 0.2.2'],
      );
    });

    test('every request: one CLIENT span and one SERVER span, its child, with the id on the wire and the same attributes', () => {
      assert.equal(spansOf(services.client).length, spanCount);
      assert.equal(spansOf(services.server).length, spanCount);
      for (const [name, id] of requests) {
        const sent = one(services.client, CLIENT, name);
        const received = one(services.server, SERVER, name);
        assert.equal(received.traceId, sent.traceId, name);
        assert.equal(received.parentSpanId, sent.spanId, name);
        assert.equal(sent.parentSpanId, undefined, `${name}: the client's spans are roots`);
        assert.deepEqual(sent.attributes, requestAttributes(era, name, id), name);
        assert.deepEqual(received.attributes, requestAttributes(era, name, id), name);
        assert.equal(sent.status.code, UNSET, name);
        assert.equal(received.status.code, UNSET, name);
      }
      // The task traffic is not one trace: a tasks/* request is sent on its own, as the client polls or cancels.
      const traces = new Set(tasks.map(([name]) => one(services.client, CLIENT, name).traceId));
      assert.equal(traces.size, tasks.length);
    });

    test("the task status notifications: the server's CLIENT span, in the request that changed the task, and the client's SERVER span", () => {
      const sent = spansOf(services.server).filter((s) => s.kind === CLIENT && s.name === status);
      const received = spansOf(services.client).filter((s) => s.kind === SERVER && s.name === status);
      assert.equal(sent.length, 2);
      assert.equal(received.length, 2);
      const attributes = { 'mcp.method.name': status, 'mcp.protocol.version': version, 'network.transport': 'pipe' };
      for (const [span, after] of sent.map((s, i) => [s, ['tasks/get', 'tasks/cancel'][i]])) {
        assert.equal(span.parentSpanId, one(services.server, SERVER, after).spanId, `${status} after ${after}`);
        assert.deepEqual(span.attributes, attributes);
        const child = received.filter((s) => s.parentSpanId === span.spanId);
        assert.equal(child.length, 1, `the client received ${status} after ${after}`);
        assert.equal(child[0].traceId, span.traceId);
        assert.deepEqual(child[0].attributes, attributes);
      }
    });

    test("the task's work runs in the context of the tools/call that made it: a child of its SERVER span", () => {
      const work = receiver.spans.filter((s) => s.resource['service.name'] === services.server && s.name === 'report work');
      assert.equal(work.length, 1);
      assert.equal(work[0].kind, INTERNAL);
      assert.equal(work[0].parentSpanId, one(services.server, SERVER, 'tools/call report').spanId);
    });

    test('metrics: a point per request on each side, and the status notifications', () => {
      // In 2026-07-28 the SDK's client probes the server (server/discover) on a throwaway sibling of the server process,
      // which exports its own points.
      const points = (service, name) =>
        receiver.metrics
          .filter((m) => m.resource['service.name'] === service && m.name === name)
          .flatMap((m) => m.dataPoints.map((p) => ({ attributes: p.attributes, count: p.count })));
      const byName = (a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes));
      const expected = [
        ...requests.map(([name]) => ({ attributes: requestAttributes(era, name), count: 1 })),
        ...openingNotifications.map((method) => ({ attributes: requestAttributes(era, method), count: 1 })),
      ].sort(byName);
      assert.deepEqual(points(services.client, 'mcp.client.operation.duration').sort(byName), expected);
      assert.deepEqual(points(services.server, 'mcp.server.operation.duration').sort(byName), expected);
      const notified = [{ attributes: requestAttributes(era, status), count: 2 }];
      assert.deepEqual(points(services.server, 'mcp.client.operation.duration'), notified);
      assert.deepEqual(points(services.client, 'mcp.server.operation.duration'), notified);
    });
  });
}
