// Operation (operation.ts): an operation recorded after the fact (its span given a start time, as a v2 entry's own answer
// is) ends on the same clock. The SDK's own end time would be Date.now(), up to a millisecond behind the performance
// clock the start was taken from: a short span would end before it began, and the SDK would warn on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { diag, DiagLogLevel, trace } from '@opentelemetry/api';
import { exporter, setUp } from '../helpers/in-memory-otel.mjs';

await setUp();
const { Operation } = await import(join(process.cwd(), 'dist', 'instrumentation', 'operation.js'));
const nanos = ([seconds, fraction]) => BigInt(seconds) * 1_000_000_000n + BigInt(fraction);

test('a span given its start time ends on the same clock: never before it began, nothing said', () => {
  const warnings = [];
  diag.setLogger({ warn: (...args) => warnings.push(args.join(' ')), error() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  exporter.reset();
  const tracer = trace.getTracer('operation-test');
  for (let i = 0; i < 200; i++) {
    const startedAt = performance.now();
    const span = tracer.startSpan('answered', { startTime: performance.timeOrigin + startedAt });
    const start = { side: 'server', kind: 'request', method: 'tools/call', name: 'answered', attributes: {}, startedAt };
    const settings = { histograms: undefined, metricKeys: { client: [], server: [] }, statusCodeKeys: [] };
    new Operation(start, { owner: 'ours', span }, settings).end();
  }
  diag.disable();
  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 200);
  assert.equal(spans.filter((s) => nanos(s.endTime) < nanos(s.startTime)).length, 0);
  assert.equal(warnings.length, 0, warnings[0]);
});
