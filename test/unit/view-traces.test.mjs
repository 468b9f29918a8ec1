// Unit tests of src/view/traces.ts: when `mcp-otel tail` takes a trace as finished, with the clock passed in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { TraceCollector } = require('../../dist/view/traces.js');

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);
const T3 = '3'.repeat(32);
function span(traceId, spanId, parent, start = 0) {
  const record = { service: 's', resource: {}, scope: '', traceId, spanId, name: spanId, kind: 1, startMs: start, endMs: start + 1, attributes: {}, events: [], links: [], status: { code: 0 } };
  if (parent) record.parentSpanId = parent;
  return record;
}
/** What due() and flushAll() say, in short: [trace id, span ids, note, continued]. */
const brief = (traces) => traces.map((t) => [t.traceId, t.spans.map((s) => s.spanId), t.note, t.continued]);
const OPTIONS = { quietMs: 100, waitMs: 1_000, maxAgeMs: 5_000 };

test('complete (a root, every parent present): printed once nothing came for quietMs, not before, and only once', () => {
  const traces = new TraceCollector(OPTIONS);
  assert.deepEqual(traces.add([span(T1, 'c', 'r')], 0), []);
  assert.deepEqual(traces.due(99), [], 'a span whose parent has not come: not complete');
  assert.deepEqual(traces.add([span(T1, 'r')], 50), []);
  assert.deepEqual(traces.due(149), [], 'complete, but not quiet for 100 ms');
  assert.deepEqual(traces.pending, { traces: 1, spans: 2 });
  assert.deepEqual(brief(traces.due(150)), [[T1, ['c', 'r'], undefined, false]]);
  assert.deepEqual(traces.due(10_000), []);
  assert.deepEqual(traces.pending, { traces: 0, spans: 0 });
});

test("not complete: printed after waitMs of quiet, marked with what is missing", () => {
  const traces = new TraceCollector(OPTIONS);
  traces.add([span(T1, 'a', 'gone'), span(T1, 'b', 'also-gone'), span(T1, 'c', 'a')], 0);
  traces.add([span(T2, 'x', 'gone')], 0);
  traces.add([span(T3, 'y', 'z'), span(T3, 'z', 'y')], 0);
  assert.deepEqual(traces.due(999), []);
  assert.deepEqual(brief(traces.due(1_000)), [
    [T1, ['a', 'b', 'c'], "incomplete: 2 spans' parents not received", false],
    [T2, ['x'], "incomplete: 1 span's parent not received", false],
    [T3, ['y', 'z'], 'incomplete: no root span received', false],
  ]);
});

test('a trace still growing after maxAgeMs is printed, marked; what comes later is its continuation', () => {
  const traces = new TraceCollector(OPTIONS);
  traces.add([span(T1, 'r')], 0);
  for (let now = 50; now < 5_000; now += 50) {
    traces.add([span(T1, `c${now}`, 'r', now)], now);
    assert.deepEqual(traces.due(now), []);
  }
  const [printed] = traces.due(5_000);
  assert.deepEqual([printed.spans.length, printed.note, printed.continued], [100, 'still open after 5 s: what comes later prints as its continuation', false]);
  traces.add([span(T1, 'late', 'r', 6_000)], 6_000);
  // Its parent was printed before: not waited for.
  assert.deepEqual(brief(traces.due(6_100)), [[T1, ['late'], undefined, true]]);
});

test('caps: past maxTraces or maxSpans the trace that came first is printed first, marked', () => {
  const traces = new TraceCollector({ ...OPTIONS, maxTraces: 2, maxSpans: 4 });
  assert.deepEqual(traces.add([span(T1, 'a')], 0), []);
  assert.deepEqual(traces.add([span(T2, 'b')], 1), []);
  assert.deepEqual(brief(traces.add([span(T3, 'c')], 2)), [[T1, ['a'], 'printed early: too many open traces or spans', false]]);
  assert.deepEqual(brief(traces.add([span(T3, 'd', 'c'), span(T3, 'e', 'c'), span(T3, 'f', 'c')], 3)), [[T2, ['b'], 'printed early: too many open traces or spans', false]]);
  assert.deepEqual(traces.pending, { traces: 1, spans: 4 });
  const [big] = traces.add([span(T3, 'g', 'c')], 4);
  assert.deepEqual([big.traceId, big.spans.length], [T3, 5]);
  assert.deepEqual(traces.pending, { traces: 0, spans: 0 });
});

test('flushAll (at exit): every open trace, by start time, the incomplete ones marked', () => {
  const traces = new TraceCollector(OPTIONS);
  traces.add([span(T2, 'b', undefined, 10), span(T1, 'a', 'gone', 5)], 0);
  assert.deepEqual(brief(traces.flushAll()), [
    [T1, ['a'], "incomplete: 1 span's parent not received", false],
    [T2, ['b'], undefined, false],
  ]);
  assert.deepEqual(traces.flushAll(), []);
});

test('printed trace ids are remembered up to rememberedTraces, oldest forgotten first', () => {
  const traces = new TraceCollector({ ...OPTIONS, rememberedTraces: 1 });
  traces.add([span(T1, 'a')], 0);
  traces.due(100);
  traces.add([span(T2, 'b')], 100);
  traces.due(200);
  traces.add([span(T2, 'b2')], 200);
  assert.deepEqual(brief(traces.due(300)), [[T2, ['b2'], undefined, true]]);
  traces.add([span(T1, 'a2')], 300);
  assert.deepEqual(brief(traces.due(400)), [[T1, ['a2'], undefined, false]], 'T1 was forgotten when T2 was printed');
});
