// ext-tasks.ts on its own: the two factories of @modelcontextprotocol/ext-tasks/client, as stand-ins, wrapped in a
// module's exports; the host's raw dispatch they are given is traced. One dispatch is one CLIENT span (and metric
// point) with the trace context in the request's `_meta`; ext-tasks' error answer, a rejection and a synchronous throw
// end it as the SDK client's would; the host's function gets the request and returns its answer as they are; options
// without a raw dispatch and a disabled instrumentation leave everything alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { exporter, histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';

const { instrumentation } = await setUp();
const { instrumentExtTasks, isExtTasksClientModule } = await import('../../dist/instrumentation/ext-tasks.js');
// The controller the hooks are given (the module hook calls the same).
const ctl = instrumentation.ensureController();

/** A module's exports with the factories: each returns what it was given, so that the test sees the options. */
function extTasksModule() {
  return {
    createTaskSessionFromClient: (client, options) => ({ client, options }),
    createSessionPortFromClient: (client, endpointId, options) => ({ client, endpointId, options }),
    withTasks: () => 'left alone',
  };
}

/** A client that never connected: the spans have what the request says (no connection: no version, no transport). */
const client = {};
const REQUEST = {
  method: 'tools/call',
  params: { name: 'report', arguments: { topic: 'q3' }, _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } },
};
const spans = () => exporter.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@x/mcp-otel');

test('the module is the client entry; its two factories are wrapped once, and nothing else', () => {
  assert.equal(isExtTasksClientModule('@modelcontextprotocol/ext-tasks/dist/client/index.js'), true);
  assert.equal(isExtTasksClientModule('@modelcontextprotocol/ext-tasks/dist/core/index.js'), false);
  const exports = extTasksModule();
  const { withTasks } = exports;
  assert.equal(instrumentExtTasks(exports, ctl), true);
  const wrapped = exports.createTaskSessionFromClient;
  assert.equal(instrumentExtTasks(exports, ctl), true);
  assert.equal(exports.createTaskSessionFromClient, wrapped);
  assert.equal(exports.withTasks, withTasks);
  assert.equal(instrumentExtTasks({ something: () => {} }, ctl), false);
});

test('options without a raw dispatch are handed on as they are', () => {
  const exports = extTasksModule();
  instrumentExtTasks(exports, ctl);
  const options = { endpointId: 'e' };
  assert.equal(exports.createTaskSessionFromClient(client, options).options, options);
  assert.equal(exports.createSessionPortFromClient(client, 'e', undefined).options, undefined);
});

test("a raw dispatch: one CLIENT span until its answer, the trace context in _meta, the host's answer as it is", async () => {
  exporter.reset();
  const exports = extTasksModule();
  instrumentExtTasks(exports, ctl);
  const sent = [];
  const answer = { kind: 'result', result: { resultType: 'task', taskId: 't-1', status: 'working' } };
  const rawDispatch = async (request, options) => {
    sent.push({ request, options });
    return answer;
  };
  const { options } = exports.createTaskSessionFromClient(client, { endpointId: 'e', rawDispatch, other: 1 });
  assert.notEqual(options.rawDispatch, rawDispatch);
  assert.equal(options.other, 1);
  // Handed on again (a session's port): not traced twice.
  assert.equal(exports.createSessionPortFromClient(client, 'e', options).options, options);
  const dispatchOptions = { signal: new AbortController().signal };
  assert.equal(await options.rawDispatch(REQUEST, dispatchOptions), answer);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].options, dispatchOptions);
  const [span] = spans();
  assert.equal(spans().length, 1);
  assert.equal(span.name, 'tools/call report');
  assert.equal(span.kind, SpanKind.CLIENT);
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  assert.deepEqual(span.attributes, {
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'report',
    'gen_ai.operation.name': 'execute_tool',
    // A task handed back, not a completed call: kept apart on the span and its point.
    'mcp.result.type': 'task',
  });
  const { _meta: meta, ...params } = sent[0].request.params;
  assert.deepEqual(params, { name: 'report', arguments: { topic: 'q3' } });
  assert.equal(meta.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  assert.equal(meta['io.modelcontextprotocol/protocolVersion'], '2026-07-28');
  // The caller's request is left as it was.
  assert.deepEqual(Object.keys(REQUEST.params._meta), ['io.modelcontextprotocol/protocolVersion']);
  const points = (await histogramPoints()).filter(
    (p) => p.name === 'mcp.client.operation.duration' && p.attributes['gen_ai.tool.name'] === 'report',
  );
  assert.equal(points.length, 1);
  assert.equal(points[0].count, 1);
  assert.equal(points[0].attributes['mcp.result.type'], 'task');
});

test("ext-tasks' error answer, a rejection and a throw end the span as the SDK client's would", async () => {
  exporter.reset();
  const exports = extTasksModule();
  instrumentExtTasks(exports, ctl);
  const get = { method: 'tasks/get', params: { taskId: 't-1' } };
  const dispatchOf = (rawDispatch) => exports.createSessionPortFromClient(client, 'e', { rawDispatch }).options.rawDispatch;
  const refused = { kind: 'error', error: { code: -32602, message: 'no task t-1' } };
  assert.equal(await dispatchOf(async () => refused)(get), refused);
  class DispatchError extends Error {}
  await assert.rejects(dispatchOf(async () => Promise.reject(new DispatchError('closed')))(get), DispatchError);
  assert.throws(
    () =>
      dispatchOf(() => {
        throw new TypeError('not connected');
      })(get),
    TypeError,
  );
  const ended = spans();
  assert.deepEqual(
    ended.map((s) => [s.name, s.attributes['rpc.response.status_code'], s.attributes['error.type'], s.status.message]),
    [
      ['tasks/get', '-32602', '-32602', 'no task t-1'],
      ['tasks/get', undefined, 'DispatchError', 'closed'],
      ['tasks/get', undefined, 'TypeError', 'not connected'],
    ],
  );
  for (const span of ended) assert.equal(span.status.code, SpanStatusCode.ERROR);
});

test('disabled: the host gets the request as it is, and nothing is recorded', async () => {
  exporter.reset();
  const exports = extTasksModule();
  instrumentExtTasks(exports, ctl);
  const sent = [];
  const { options } = exports.createTaskSessionFromClient(client, {
    rawDispatch: async (request) => sent.push(request),
  });
  instrumentation.disable();
  try {
    await options.rawDispatch(REQUEST);
  } finally {
    instrumentation.enable();
  }
  assert.equal(sent[0], REQUEST);
  assert.deepEqual(spans(), []);
});
