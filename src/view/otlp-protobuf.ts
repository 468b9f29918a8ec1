/**
 * OTLP export requests in the protobuf wire format, into the model's records. The field numbers are those of
 * opentelemetry-proto v1 (opentelemetry/proto/{collector,common,resource,trace,logs,metrics}/v1/*.proto), one table
 * per message, and only the fields the model keeps are read: every other field is skipped whatever its wire type.
 *
 * Fields may come in any order, so a resource or scope that follows its items is still theirs: a message whose items
 * need it is read twice, once for the resource (or scope), once for the items. The only recursion a body drives is
 * AnyValue within ArrayValue and KeyValueList, bounded by MAX_VALUE_DEPTH; the rest follows the schema's fixed depth.
 */
import type {
  Attributes,
  AttributeValue,
  ExportBatch,
  HistogramPoint,
  LogRecord,
  Origin,
  SpanEvent,
  SpanLink,
  SpanRecord,
} from './model';
import {
  checkBounds,
  fail,
  int64FromWords,
  MAX_VALUE_DEPTH,
  MAX_SPAN_NAME_LENGTH,
  nanosToMs,
  originOf,
  setAttribute,
  severityNumber,
  SPAN_ID_BYTES,
  spanKind,
  statusCode,
  TRACE_ID_BYTES,
} from './otlp-values';
import { FIXED64, LENGTH_DELIMITED, VARINT, WireReader } from './wire-reader';

/** Export{Trace,Metrics,Logs}ServiceRequest: resource_spans, resource_metrics, resource_logs. */
const enum ExportRequestField {
  resourceItems = 1,
}
/** ResourceSpans, ResourceMetrics, ResourceLogs: scope_spans, scope_metrics, scope_logs. */
const enum ResourceItemsField {
  resource = 1,
  scopeItems = 2,
}
/** ScopeSpans, ScopeMetrics, ScopeLogs: spans, metrics, log_records. */
const enum ScopeItemsField {
  scope = 1,
  items = 2,
}
const enum ResourceField {
  attributes = 1,
}
const enum InstrumentationScopeField {
  name = 1,
}
const enum KeyValueField {
  key = 1,
  value = 2,
}
const enum AnyValueField {
  string = 1,
  bool = 2,
  int = 3,
  double = 4,
  array = 5,
  kvlist = 6,
  bytes = 7,
}
/** ArrayValue and KeyValueList: values. */
const enum ValuesField {
  values = 1,
}
const enum SpanField {
  traceId = 1,
  spanId = 2,
  parentSpanId = 4,
  name = 5,
  kind = 6,
  startTime = 7,
  endTime = 8,
  attributes = 9,
  events = 11,
  links = 13,
  status = 15,
}
const enum EventField {
  time = 1,
  name = 2,
  attributes = 3,
}
const enum LinkField {
  traceId = 1,
  spanId = 2,
  attributes = 4,
}
const enum StatusField {
  message = 2,
  code = 3,
}
const enum LogRecordField {
  time = 1,
  severityNumber = 2,
  severityText = 3,
  body = 5,
  attributes = 6,
  traceId = 9,
  spanId = 10,
  observedTime = 11,
}
const enum MetricField {
  name = 1,
  unit = 3,
  gauge = 5,
  sum = 7,
  histogram = 9,
  exponentialHistogram = 10,
  summary = 11,
}
/** Gauge, Sum, Histogram, ExponentialHistogram, Summary: data_points (and aggregation_temporality where it exists). */
const enum DataPointsField {
  dataPoints = 1,
  temporality = 2,
}
const enum HistogramPointField {
  startTime = 2,
  time = 3,
  count = 4,
  sum = 5,
  bucketCounts = 6,
  explicitBounds = 7,
  attributes = 9,
}

const FIXED64_BYTES = 8;

/** What a decoder of one signal does with each item message within a scope. */
interface ItemDecoder {
  item(r: WireReader, end: number, origin: Origin): void;
}

export function decodeProtobuf(signal: ExportBatch['signal'], body: Buffer): ExportBatch {
  const r = new WireReader(body);
  if (signal === 'traces') {
    const spans: SpanRecord[] = [];
    readRequest(r, { item: (reader, end, origin) => spans.push(readSpan(reader, end, origin)) });
    return { signal, spans };
  }
  if (signal === 'logs') {
    const logs: LogRecord[] = [];
    readRequest(r, { item: (reader, end, origin) => logs.push(readLogRecord(reader, end, origin)) });
    return { signal, logs };
  }
  const metrics = new MetricsDecoder();
  readRequest(r, metrics);
  return { signal, points: metrics.points, otherPoints: metrics.otherPoints };
}

function readRequest(r: WireReader, items: ItemDecoder): void {
  const end = r.buf.length;
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ExportRequestField.resourceItems) readResourceItems(r, r.lengthDelimited(end), items);
    else r.skip(end);
  }
}

function readResourceItems(r: WireReader, end: number, items: ItemDecoder): void {
  const start = r.pos;
  let resource: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ResourceItemsField.resource) resource = readResource(r, r.lengthDelimited(end));
    else r.skip(end);
  }
  r.pos = start;
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ResourceItemsField.scopeItems) readScopeItems(r, r.lengthDelimited(end), resource, items);
    else r.skip(end);
  }
}

function readResource(r: WireReader, end: number): Attributes {
  const attributes: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ResourceField.attributes) readKeyValue(r, r.lengthDelimited(end), attributes, 1);
    else r.skip(end);
  }
  return attributes;
}

function readScopeItems(r: WireReader, end: number, resource: Attributes, items: ItemDecoder): void {
  const start = r.pos;
  let scope = '';
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ScopeItemsField.scope) scope = readScopeName(r, r.lengthDelimited(end));
    else r.skip(end);
  }
  const origin = originOf(resource, scope);
  r.pos = start;
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ScopeItemsField.items) {
      const stop = r.lengthDelimited(end);
      items.item(r, stop, origin);
      r.ended(stop);
    } else r.skip(end);
  }
}

function readScopeName(r: WireReader, end: number): string {
  let name = '';
  while (r.pos < end) {
    r.tag(end);
    if (r.field === InstrumentationScopeField.name) name = r.string(end);
    else r.skip(end);
  }
  return name;
}

/** Reads one KeyValue into `target`; `depth` is that of its value. */
function readKeyValue(r: WireReader, end: number, target: Attributes, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  while (r.pos < end) {
    r.tag(end);
    if (r.field === KeyValueField.key) key = r.string(end);
    else if (r.field === KeyValueField.value) value = readAnyValue(r, r.lengthDelimited(end), depth);
    else r.skip(end);
  }
  setAttribute(target, key, value);
}

/** An AnyValue; one that sets none of its fields is null. */
function readAnyValue(r: WireReader, end: number, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) fail(`values nested deeper than ${MAX_VALUE_DEPTH}`);
  let value: AttributeValue = null;
  while (r.pos < end) {
    r.tag(end);
    switch (r.field) {
      case AnyValueField.string:
        value = r.string(end);
        break;
      case AnyValueField.bool:
        value = r.bool(end);
        break;
      case AnyValueField.int:
        r.expect(VARINT);
        r.varint(end);
        value = int64FromWords(r.low, r.high);
        break;
      case AnyValueField.double:
        value = r.double(end);
        break;
      case AnyValueField.array:
        value = readArrayValue(r, r.lengthDelimited(end), depth);
        break;
      case AnyValueField.kvlist:
        value = readKeyValueList(r, r.lengthDelimited(end), depth);
        break;
      case AnyValueField.bytes:
        value = r.base64(end);
        break;
      default:
        r.skip(end);
    }
  }
  return value;
}

/** The values of an ArrayValue that is at `depth`. */
function readArrayValue(r: WireReader, end: number, depth: number): AttributeValue[] {
  const values: AttributeValue[] = [];
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ValuesField.values) values.push(readAnyValue(r, r.lengthDelimited(end), depth + 1));
    else r.skip(end);
  }
  return values;
}

/** The entries of a KeyValueList that is at `depth`. */
function readKeyValueList(r: WireReader, end: number, depth: number): Attributes {
  const entries: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    if (r.field === ValuesField.values) readKeyValue(r, r.lengthDelimited(end), entries, depth + 1);
    else r.skip(end);
  }
  return entries;
}

function readId(r: WireReader, end: number, bytes: number, what: string): string {
  const id = r.hex(end);
  if (id.length !== bytes * 2) fail(`${what} is ${id.length / 2} bytes, not ${bytes}`);
  return id;
}

/** An id that may be absent (empty). */
function readOptionalId(r: WireReader, end: number, bytes: number, what: string): string {
  const id = r.hex(end);
  if (id.length !== 0 && id.length !== bytes * 2) fail(`${what} is ${id.length / 2} bytes, not ${bytes}`);
  return id;
}

function readTime(r: WireReader, end: number): number {
  r.fixed64(end);
  return nanosToMs(r.low, r.high);
}

function readSpan(r: WireReader, end: number, origin: Origin): SpanRecord {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let startMs = 0;
  let endMs = 0;
  const attributes: Attributes = {};
  const events: SpanEvent[] = [];
  const links: SpanLink[] = [];
  let status: SpanRecord['status'] = { code: 0 };
  while (r.pos < end) {
    r.tag(end);
    switch (r.field) {
      case SpanField.traceId:
        traceId = readId(r, end, TRACE_ID_BYTES, 'span trace id');
        break;
      case SpanField.spanId:
        spanId = readId(r, end, SPAN_ID_BYTES, 'span id');
        break;
      case SpanField.parentSpanId:
        parentSpanId = readOptionalId(r, end, SPAN_ID_BYTES, 'parent span id');
        break;
      case SpanField.name:
        name = r.string(end, MAX_SPAN_NAME_LENGTH);
        break;
      case SpanField.kind:
        kind = r.uint32(end);
        break;
      case SpanField.startTime:
        startMs = readTime(r, end);
        break;
      case SpanField.endTime:
        endMs = readTime(r, end);
        break;
      case SpanField.attributes:
        readKeyValue(r, r.lengthDelimited(end), attributes, 1);
        break;
      case SpanField.events:
        events.push(readEvent(r, r.lengthDelimited(end)));
        break;
      case SpanField.links:
        links.push(readLink(r, r.lengthDelimited(end)));
        break;
      case SpanField.status:
        status = readStatus(r, r.lengthDelimited(end));
        break;
      default:
        r.skip(end);
    }
  }
  if (traceId === '') fail('span without a trace id');
  if (spanId === '') fail('span without a span id');
  const span: SpanRecord = {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    traceId,
    spanId,
    name,
    kind: spanKind(kind),
    startMs,
    endMs,
    attributes,
    events,
    links,
    status,
  };
  if (parentSpanId !== '') span.parentSpanId = parentSpanId;
  return span;
}

function readEvent(r: WireReader, end: number): SpanEvent {
  let name = '';
  let timeMs = 0;
  const attributes: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    if (r.field === EventField.time) timeMs = readTime(r, end);
    else if (r.field === EventField.name) name = r.string(end);
    else if (r.field === EventField.attributes) readKeyValue(r, r.lengthDelimited(end), attributes, 1);
    else r.skip(end);
  }
  return { name, timeMs, attributes };
}

function readLink(r: WireReader, end: number): SpanLink {
  let traceId = '';
  let spanId = '';
  const attributes: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    if (r.field === LinkField.traceId) traceId = readId(r, end, TRACE_ID_BYTES, 'link trace id');
    else if (r.field === LinkField.spanId) spanId = readId(r, end, SPAN_ID_BYTES, 'link span id');
    else if (r.field === LinkField.attributes) readKeyValue(r, r.lengthDelimited(end), attributes, 1);
    else r.skip(end);
  }
  if (traceId === '' || spanId === '') fail('link without a trace id or span id');
  return { traceId, spanId, attributes };
}

function readStatus(r: WireReader, end: number): SpanRecord['status'] {
  let code = 0;
  let message = '';
  while (r.pos < end) {
    r.tag(end);
    if (r.field === StatusField.code) code = r.uint32(end);
    else if (r.field === StatusField.message) message = r.string(end);
    else r.skip(end);
  }
  return message === '' ? { code: statusCode(code) } : { code: statusCode(code), message };
}

function readLogRecord(r: WireReader, end: number, origin: Origin): LogRecord {
  let timeMs = 0;
  let observedMs = 0;
  let traceId = '';
  let spanId = '';
  let severity = 0;
  let severityText = '';
  let body: AttributeValue = null;
  const attributes: Attributes = {};
  while (r.pos < end) {
    r.tag(end);
    switch (r.field) {
      case LogRecordField.time:
        timeMs = readTime(r, end);
        break;
      case LogRecordField.observedTime:
        observedMs = readTime(r, end);
        break;
      case LogRecordField.severityNumber:
        severity = r.uint32(end);
        break;
      case LogRecordField.severityText:
        severityText = r.string(end);
        break;
      case LogRecordField.body:
        body = readAnyValue(r, r.lengthDelimited(end), 1);
        break;
      case LogRecordField.attributes:
        readKeyValue(r, r.lengthDelimited(end), attributes, 1);
        break;
      case LogRecordField.traceId:
        traceId = readOptionalId(r, end, TRACE_ID_BYTES, 'log trace id');
        break;
      case LogRecordField.spanId:
        spanId = readOptionalId(r, end, SPAN_ID_BYTES, 'log span id');
        break;
      default:
        r.skip(end);
    }
  }
  const log: LogRecord = {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    // A record with no time of its own is placed at the time the SDK observed it.
    timeMs: timeMs === 0 ? observedMs : timeMs,
    severityNumber: severityNumber(severity),
    body,
    attributes,
  };
  if (traceId !== '') log.traceId = traceId;
  if (spanId !== '') log.spanId = spanId;
  if (severityText !== '') log.severityText = severityText;
  return log;
}

/** Metrics: explicit-bucket histogram points are kept; the points of every other type are only counted. */
class MetricsDecoder implements ItemDecoder {
  readonly points: HistogramPoint[] = [];
  otherPoints = 0;

  item(r: WireReader, end: number, origin: Origin): void {
    let metric = '';
    let unit = '';
    let histogramStart = -1;
    let histogramEnd = -1;
    while (r.pos < end) {
      r.tag(end);
      switch (r.field) {
        case MetricField.name:
          metric = r.string(end);
          break;
        case MetricField.unit:
          unit = r.string(end);
          break;
        case MetricField.histogram:
          // Read once the name and unit are known, wherever they come.
          histogramEnd = r.lengthDelimited(end);
          histogramStart = r.pos;
          r.pos = histogramEnd;
          break;
        case MetricField.gauge:
        case MetricField.sum:
        case MetricField.exponentialHistogram:
        case MetricField.summary:
          this.otherPoints += countDataPoints(r, r.lengthDelimited(end));
          break;
        default:
          r.skip(end);
      }
    }
    if (histogramStart < 0) return;
    r.pos = histogramStart;
    this.readHistogram(r, histogramEnd, origin, metric, unit);
    r.pos = end;
  }

  private readHistogram(r: WireReader, end: number, origin: Origin, metric: string, unit: string): void {
    const start = r.pos;
    let temporality = 0;
    while (r.pos < end) {
      r.tag(end);
      if (r.field === DataPointsField.temporality) temporality = r.uint32(end);
      else r.skip(end);
    }
    r.pos = start;
    while (r.pos < end) {
      r.tag(end);
      if (r.field !== DataPointsField.dataPoints) r.skip(end);
      // Without a delta or cumulative temporality a point cannot be merged with others: counted, not kept.
      else if (temporality !== 1 && temporality !== 2) {
        r.pos = r.lengthDelimited(end);
        this.otherPoints++;
      } else this.points.push(readHistogramPoint(r, r.lengthDelimited(end), origin, metric, unit, temporality));
    }
  }
}

function countDataPoints(r: WireReader, end: number): number {
  let count = 0;
  while (r.pos < end) {
    r.tag(end);
    if (r.field === DataPointsField.dataPoints && r.wireType === LENGTH_DELIMITED) count++;
    r.skip(end);
  }
  return count;
}

function readHistogramPoint(
  r: WireReader,
  end: number,
  origin: Origin,
  metric: string,
  unit: string,
  temporality: 1 | 2,
): HistogramPoint {
  const attributes: Attributes = {};
  let startMs = 0;
  let timeMs = 0;
  let count = 0;
  let sum = 0;
  const bounds: number[] = [];
  const bucketCounts: number[] = [];
  while (r.pos < end) {
    r.tag(end);
    switch (r.field) {
      case HistogramPointField.attributes:
        readKeyValue(r, r.lengthDelimited(end), attributes, 1);
        break;
      case HistogramPointField.startTime:
        startMs = readTime(r, end);
        break;
      case HistogramPointField.time:
        timeMs = readTime(r, end);
        break;
      case HistogramPointField.count:
        r.fixed64(end);
        count = r.high * 0x100000000 + r.low;
        break;
      case HistogramPointField.sum:
        sum = r.double(end);
        break;
      case HistogramPointField.bucketCounts:
        readRepeatedFixed64(r, end, bucketCounts, false);
        break;
      case HistogramPointField.explicitBounds:
        readRepeatedFixed64(r, end, bounds, true);
        break;
      default:
        r.skip(end);
    }
  }
  checkBounds(bounds.length);
  if (bucketCounts.length === 0) {
    // A point with no buckets still has a count: one bucket holding everything.
    bounds.length = 0;
    bucketCounts.push(count);
  } else if (bucketCounts.length !== bounds.length + 1) {
    fail(`histogram point with ${bucketCounts.length} bucket counts for ${bounds.length} bounds`);
  }
  return {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    metric,
    unit,
    temporality,
    attributes,
    startMs,
    timeMs,
    count,
    sum,
    bounds,
    bucketCounts,
  };
}

/** A repeated fixed64 or double field, packed (the proto3 default) or one element per tag; both are valid. */
function readRepeatedFixed64(r: WireReader, end: number, into: number[], doubles: boolean): void {
  if (r.wireType === FIXED64) {
    if (doubles) into.push(r.doubleValue(end));
    else {
      r.fixed64Words(end);
      into.push(r.high * 0x100000000 + r.low);
    }
    return;
  }
  const stop = r.lengthDelimited(end);
  if ((stop - r.pos) % FIXED64_BYTES !== 0) fail(`packed field ${r.field} is not a whole number of 8-byte values`);
  while (r.pos < stop) {
    if (doubles) into.push(r.doubleValue(stop));
    else {
      r.fixed64Words(stop);
      into.push(r.high * 0x100000000 + r.low);
    }
  }
}
