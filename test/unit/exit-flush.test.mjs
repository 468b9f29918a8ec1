// Unit tests of what the flush at process exit relies on: the bounded set of undelivered items, the exporter wrappers
// that keep it, and the serialization of what is pending into OTLP requests (decoded back here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

const require = createRequire(import.meta.url);
const { PendingAwareSpanProcessor } = require('../../dist/distro/flush/pending.js');
const { collectExitRequests } = require('../../dist/distro/flush/exit-flush.js');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const root = require('otlp-proto-root/build/src/generated/root.js');
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

/** Finished spans, as a batch processor would hold them. */
function spans(...names) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  const tracer = provider.getTracer('exit-flush-test');
  for (const name of names) tracer.startSpan(name, { attributes: { 'test.name': name } }).end();
  const finished = memory.getFinishedSpans();
  assert.equal(finished.length, names.length);
  return finished;
}

const settings = (extra = {}) => ({
  signal: 'traces',
  protocol: 'http/protobuf',
  url: 'http://127.0.0.1:4318/v1/traces',
  headers: { authorization: 'Bearer t' },
  timeoutMillis: 1000,
  compression: 'none',
  ...extra,
});

/** What is pending at exit, as a processor offers it to the exit flush: a list taken once. */
class PendingList {
  constructor() {
    this.items = [];
  }
  add(item) {
    this.items.push(item);
  }
  get size() {
    return this.items.length;
  }
  get added() {
    return this.items.length;
  }
  drain() {
    return this.items.splice(0);
  }
}

test('collectExitRequests: one OTLP protobuf request per source with its headers, gzipped when asked; JSON too', () => {
  const pending = new PendingList();
  for (const span of spans('first', 'second')) pending.add(span);
  const [plain] = collectExitRequests([{ config: settings(), pending }]);
  assert.equal(plain.url, 'http://127.0.0.1:4318/v1/traces');
  assert.equal(plain.count, 2);
  assert.deepEqual(plain.headers, { authorization: 'Bearer t', 'content-type': 'application/x-protobuf' });
  const decoded = TraceRequest.toObject(TraceRequest.decode(plain.body), { longs: String });
  const names = decoded.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
  assert.deepEqual(names, ['first', 'second']);
  assert.equal(pending.size, 0);

  const zipped = new PendingList();
  for (const span of spans('third')) zipped.add(span);
  const json = new PendingList();
  for (const span of spans('fourth')) json.add(span);
  const [gzip, asJson] = collectExitRequests([
    { config: settings({ compression: 'gzip' }), pending: zipped },
    { config: settings({ protocol: 'http/json', headers: {} }), pending: json },
  ]);
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  const unzipped = TraceRequest.decode(gunzipSync(gzip.body));
  assert.equal(unzipped.resourceSpans[0].scopeSpans[0].spans[0].name, 'third');
  assert.deepEqual(asJson.headers, { 'content-type': 'application/json' });
  assert.equal(JSON.parse(Buffer.from(asJson.body).toString('utf8')).resourceSpans[0].scopeSpans[0].spans[0].name, 'fourth');
});

test('collectExitRequests: nothing pending, no URL, or gRPC (no synchronous path): no request', () => {
  const empty = new PendingList();
  const grpc = new PendingList();
  for (const span of spans('lost')) grpc.add(span);
  const noUrl = new PendingList();
  for (const span of spans('nowhere')) noUrl.add(span);
  assert.equal(grpc.size + noUrl.size, 2);
  assert.deepEqual(
    collectExitRequests([
      { config: settings(), pending: empty },
      { config: settings({ protocol: 'grpc' }), pending: grpc },
      { config: settings({ url: undefined }), pending: noUrl },
    ]),
    [],
  );
  assert.equal(grpc.size, 1, 'not even collected: there is no synchronous path for gRPC');
});

test('the batch span processor: at exit, the SDK queue and the batches in flight not written out, nothing kept per span', async () => {
  const exports = [];
  // The exporter's side, as exporters.ts's OtlpExporter offers it: each export is handed over at once, and the
  // exporter knows which batches are still being delivered, and whether each one's request is written out.
  const batches = new Map();
  const exporter = {
    export: (batch, done) => {
      batches.set(batch, { written: false });
      exports.push({ batch, written: () => (batches.get(batch).written = true), delivered: () => batches.delete(batch) });
      done({ code: 0 });
    },
    get inFlight() {
      return [...batches.keys()];
    },
    inFlightCount: () => [...batches.keys()].flat().length,
    takeUnsent: () => {
      const unsent = [...batches].filter(([, d]) => !d.written).map(([b]) => b);
      for (const b of unsent) batches.delete(b);
      return unsent;
    },
    load: () => {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const processor = new PendingAwareSpanProcessor(exporter, { maxExportBatchSize: 2, scheduledDelayMillis: 60_000 });
  const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('exit-flush-test');
  for (const name of ['a', 'b', 'c']) tracer.startSpan(name).end();
  // The SDK exports a full batch at once: a and b are in flight, c waits in its queue.
  assert.deepEqual(exports.map((e) => e.batch.map((s) => s.name)), [['a', 'b']]);
  assert.equal(processor.pending.size, 3);
  assert.equal(processor.pending.added, 3);
  exports[0].delivered();
  assert.equal(processor.pending.size, 1, 'a delivered batch is no longer pending');
  // The SDK processor takes the next batch once its export promise has settled.
  await new Promise(setImmediate);
  tracer.startSpan('d').end();
  assert.deepEqual(exports.map((e) => e.batch.map((s) => s.name)), [['a', 'b'], ['c', 'd']]);
  tracer.startSpan('e').end();
  tracer.startSpan('f').end();
  await new Promise(setImmediate);
  tracer.startSpan('g').end();
  assert.deepEqual(exports.map((e) => e.batch.map((s) => s.name)), [['a', 'b'], ['c', 'd'], ['e', 'f']]);
  // The request of [e, f] is written out: the system delivers it even as the process ends, so the exit flush does not
  // send it again. [c, d] is not: it is sent.
  exports[2].written();
  assert.deepEqual(processor.pending.drain().map((s) => s.name), ['c', 'd', 'g'], 'not written out first, then the queue');
  assert.equal(processor.pending.added, 7);
  assert.deepEqual(exporter.inFlight.map((b) => b.map((s) => s.name)), [['e', 'f']]);
});
