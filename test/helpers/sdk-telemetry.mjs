// Real SDK objects (spans, log records, metrics) made by @opentelemetry/sdk-trace, sdk-logs and sdk-metrics, and the
// records the view's model should make of them, written out from the SDK objects' own fields: the OTLP decoder's
// tests and the receiver's compare what comes out of the wire against these.
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

export const RESOURCE = { 'service.name': 'weather-server', 'service.version': '1.2.3', 'process.pid': 4242 };
/** The time the made spans and logs start at, [seconds, nanoseconds]. */
export const T0 = [1796349813, 879395123];
const at = (microseconds) => {
  const ns = T0[1] + microseconds * 1000;
  return [T0[0] + Math.floor(ns / 1e9), ns % 1e9];
};
/** An HrTime in milliseconds as the model defines it: whole milliseconds plus the nanoseconds left, each exact. */
export const ms = ([s, ns]) => {
  const total = BigInt(s) * 1_000_000_000n + BigInt(ns);
  return Number(total / 1_000_000n) + Number(total % 1_000_000n) / 1e6;
};

/** Spans of every shape the model keeps: a server root with every attribute type, a child with an event, a link and
 *  an error status, and a span of an extra scope. */
export function makeSpans() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes(RESOURCE),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@x/mcp-otel', '0.1.0');
  const root = tracer.startSpan(
    'tools/call get_weather',
    {
      kind: 1, // SERVER in the API's numbering, 2 in OTLP's
      startTime: at(0),
      attributes: {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'get_weather',
        'jsonrpc.request.id': '7',
        'mcp.session.id': 'sess-1',
        'network.transport': 'pipe',
        'rpc.response.status_code': 0,
        'server.port': 4318,
        'negative.int': -42,
        'big.int': 2 ** 60,
        'double.value': 0.125,
        'bool.value': true,
        'false.value': false,
        'string.array': ['a', 'é', ''],
        'number.array': [1, 2.5, -3],
        'bool.array': [true, false],
        'empty.string': '',
      },
    },
    context.active(),
  );
  const rootContext = trace.setSpan(context.active(), root);
  const other = tracer.startSpan('linked', { startTime: at(5), kind: 0 }, context.active());
  other.end(at(6));
  const child = tracer.startSpan(
    'GET api.weather.example',
    {
      kind: 2, // CLIENT, 3 in OTLP
      startTime: at(10),
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 503 },
      links: [{ context: other.spanContext(), attributes: { 'link.reason': 'retry of', 'link.attempt': 2 } }],
    },
    rootContext,
  );
  child.addEvent('exception', { 'exception.type': 'FetchError', 'exception.message': 'upstream <b>503</b>' }, at(250));
  child.setStatus({ code: 2, message: 'upstream answered 503' });
  child.end(at(300));
  root.setStatus({ code: 1 });
  root.end(at(1234));
  const extra = provider.getTracer('other-scope').startSpan('internal work', { startTime: at(2000), kind: 4 });
  extra.end(at(2001));
  return exporter.getFinishedSpans();
}

/** The model's SpanRecord of an SDK span. */
export function expectedSpan(span) {
  const record = {
    service: RESOURCE['service.name'],
    resource: exactAttributes(span.resource.attributes),
    scope: span.instrumentationScope.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    name: span.name,
    kind: span.kind + 1,
    startMs: ms(span.startTime),
    endMs: ms(span.endTime),
    attributes: exactAttributes(span.attributes),
    events: span.events.map((e) => ({ name: e.name, timeMs: ms(e.time), attributes: exactAttributes(e.attributes) })),
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      attributes: exactAttributes(l.attributes),
    })),
    status: span.status.message ? { code: span.status.code, message: span.status.message } : { code: span.status.code },
  };
  if (span.parentSpanContext) record.parentSpanId = span.parentSpanContext.spanId;
  return record;
}

/** Attribute values as the model keeps them: an integer past 2^53 as its decimal string. */
function exactAttributes(attributes) {
  return Object.fromEntries(
    Object.entries(attributes).map(([k, v]) => [k, Number.isInteger(v) && !Number.isSafeInteger(v) ? BigInt(v).toString() : v]),
  );
}

export const LOG_TRACE_ID = '5b8efff798038103d269b633813fc60c';
export const LOG_SPAN_ID = 'eee19b7ec3c1b174';

/** Log records: one with a body of every AnyValue type (kvlist, array, bytes, nested) in a span's context, one with
 *  no context and no attribute. */
export function makeLogs() {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('pino', '9.0.0');
  const spanContext = { traceId: LOG_TRACE_ID, spanId: LOG_SPAN_ID, traceFlags: TraceFlags.SAMPLED, isRemote: false };
  logger.emit({
    timestamp: at(40),
    observedTimestamp: at(41),
    severityNumber: 17,
    severityText: 'error',
    body: {
      msg: 'fetch failed',
      attempt: 3,
      ratio: 0.5,
      ok: false,
      nothing: null,
      tags: ['x', 1, true, ['nested', { deep: 'yes' }]],
      raw: new Uint8Array([0, 1, 2, 250, 255]),
    },
    attributes: { 'log.attr': 'v', 'log.count': 12, 'log.map': { inner: { leaf: 1.5 } }, 'log.list': [1, 'two'] },
    context: trace.setSpanContext(context.active(), spanContext),
  });
  logger.emit({ severityNumber: 9, body: 'plain text line' });
  return exporter.getFinishedLogRecords();
}

export function expectedLogs(records) {
  const origin = { service: RESOURCE['service.name'], resource: RESOURCE, scope: 'pino' };
  return [
    {
      ...origin,
      timeMs: ms(at(40)),
      severityNumber: 17,
      body: {
        msg: 'fetch failed',
        attempt: 3,
        ratio: 0.5,
        ok: false,
        nothing: null,
        tags: ['x', 1, true, ['nested', { deep: 'yes' }]],
        raw: Buffer.from([0, 1, 2, 250, 255]).toString('base64'),
      },
      attributes: { 'log.attr': 'v', 'log.count': 12, 'log.map': { inner: { leaf: 1.5 } }, 'log.list': [1, 'two'] },
      traceId: LOG_TRACE_ID,
      spanId: LOG_SPAN_ID,
      severityText: 'error',
    },
    { ...origin, timeMs: ms(records[1].hrTime), severityNumber: 9, body: 'plain text line', attributes: {} },
  ];
}

class CollectingReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/** ResourceMetrics with two explicit-bucket histograms (points of two attribute sets), a counter and a gauge. */
export async function makeMetrics(temporality = AggregationTemporality.CUMULATIVE) {
  const reader = new CollectingReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [reader] });
  const meter = provider.getMeter('@x/mcp-otel', '0.1.0');
  const duration = meter.createHistogram('mcp.server.operation.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });
  duration.record(0.005, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' });
  duration.record(0.05, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' });
  duration.record(2.5, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'get_weather' });
  duration.record(0.2, { 'mcp.method.name': 'initialize', 'error.type': 'timeout' });
  meter.createHistogram('http.client.request.duration', { unit: 'ms' }).record(12);
  meter.createCounter('calls').add(3, { a: 'b' });
  meter.createCounter('calls').add(1, { a: 'c' });
  meter.createGauge('queue.depth').record(7);
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

export function expectedPoints(resourceMetrics) {
  const points = [];
  for (const scopeMetrics of resourceMetrics.scopeMetrics) {
    for (const metric of scopeMetrics.metrics) {
      if (metric.dataPointType !== 0) continue; // HISTOGRAM
      for (const point of metric.dataPoints) {
        points.push({
          service: RESOURCE['service.name'],
          resource: RESOURCE,
          scope: scopeMetrics.scope.name,
          metric: metric.descriptor.name,
          unit: metric.descriptor.unit,
          temporality: metric.aggregationTemporality === AggregationTemporality.DELTA ? 1 : 2,
          attributes: point.attributes,
          startMs: ms(point.startTime),
          timeMs: ms(point.endTime),
          count: point.value.count,
          sum: point.value.sum,
          bounds: point.value.buckets.boundaries,
          bucketCounts: point.value.buckets.counts,
        });
      }
    }
  }
  return points;
}
