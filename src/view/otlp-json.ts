/**
 * OTLP export requests in the OTLP/JSON encoding (opentelemetry-proto docs/specification.md, "JSON Protobuf
 * Encoding"): the proto3 JSON mapping with lowerCamelCase keys, trace and span ids as hex (not base64), enums as
 * integers only, 64-bit integers as decimal strings or numbers, unknown keys ignored, null the same as absent.
 *
 * Every value is checked for its type where it is read: a wrong type is an OtlpDecodeError here, never a crash in
 * the store or the page later.
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
  cutString,
  fail,
  jsonCount,
  jsonDouble,
  jsonInt64,
  jsonNanosToMs,
  MAX_SPAN_NAME_LENGTH,
  MAX_STRING_LENGTH,
  MAX_VALUE_DEPTH,
  originOf,
  setAttribute,
  severityNumber,
  SPAN_ID_BYTES,
  spanKind,
  statusCode,
  TRACE_ID_BYTES,
} from './otlp-values';

type JsonObject = { [key: string]: unknown };

/** The keys of each signal's request, resource item and scope item. */
const SIGNAL_KEYS = {
  traces: { resourceItems: 'resourceSpans', scopeItems: 'scopeSpans', items: 'spans' },
  logs: { resourceItems: 'resourceLogs', scopeItems: 'scopeLogs', items: 'logRecords' },
  metrics: { resourceItems: 'resourceMetrics', scopeItems: 'scopeMetrics', items: 'metrics' },
} as const;

/** Types of metric data that are counted, not kept (`histogram` is read). */
const OTHER_METRIC_DATA = ['gauge', 'sum', 'exponentialHistogram', 'summary'] as const;

const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

export function decodeJson(signal: ExportBatch['signal'], body: Buffer): ExportBatch {
  let request: unknown;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch {
    fail('body is not JSON');
  }
  const keys = SIGNAL_KEYS[signal];
  const spans: SpanRecord[] = [];
  const logs: LogRecord[] = [];
  const points: HistogramPoint[] = [];
  const counted = { otherPoints: 0 };
  for (const resourceItems of arrayOf(objectOf(request, 'request'), keys.resourceItems)) {
    const resourceObject = objectOf(resourceItems, keys.resourceItems);
    const resource = optionalObject(resourceObject.resource, 'resource');
    const resourceAttributes = attributesOf(resource, 'resource');
    for (const scopeItems of arrayOf(resourceObject, keys.scopeItems)) {
      const scopeObject = objectOf(scopeItems, keys.scopeItems);
      const scope = optionalObject(scopeObject.scope, 'scope');
      const origin = originOf(resourceAttributes, stringOf(scope?.name, 'scope name'));
      for (const item of arrayOf(scopeObject, keys.items)) {
        if (signal === 'traces') spans.push(spanOf(objectOf(item, 'span'), origin));
        else if (signal === 'logs') logs.push(logOf(objectOf(item, 'log record'), origin));
        else readMetric(objectOf(item, 'metric'), origin, points, counted);
      }
    }
  }
  if (signal === 'traces') return { signal, spans };
  if (signal === 'logs') return { signal, logs };
  return { signal, points, otherPoints: counted.otherPoints };
}

function objectOf(value: unknown, what: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} is not an object`);
  return value as JsonObject;
}

function optionalObject(value: unknown, what: string): JsonObject | undefined {
  return value === undefined || value === null ? undefined : objectOf(value, what);
}

/** A repeated field of `owner`: absent or null is empty. */
function arrayOf(owner: JsonObject | undefined, key: string): unknown[] {
  const value = owner?.[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${key} is not an array`);
  return value;
}

/** A string field, cut to `max` UTF-16 units (cutString). */
function stringOf(value: unknown, what: string, max = MAX_STRING_LENGTH): string {
  return cutString(wholeStringOf(value, what), max);
}

/** A string field as sent: for ids and bytes, which are checked whole. */
function wholeStringOf(value: unknown, what: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') fail(`${what} is not a string`);
  return value;
}

/** An enum or a small integer: a JSON number only (OTLP/JSON forbids enum names). */
function integerOf(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(`${what} is not an integer`);
  return value;
}

function idOf(value: unknown, bytes: number, what: string, optional: boolean): string {
  const id = wholeStringOf(value, what);
  if (id === '' && optional) return '';
  if (id.length !== bytes * 2 || !HEX.test(id)) fail(`${what} is not ${bytes} bytes of hex`);
  return id.toLowerCase();
}

function attributesOf(owner: JsonObject | undefined, what: string, key = 'attributes'): Attributes {
  const attributes: Attributes = {};
  for (const entry of arrayOf(owner, key)) readKeyValue(objectOf(entry, `${what} attribute`), attributes, 1);
  return attributes;
}

/** Reads one KeyValue into `target`; `depth` is that of its value. */
function readKeyValue(entry: JsonObject, target: Attributes, depth: number): void {
  const key = stringOf(entry.key, 'attribute key');
  setAttribute(target, key, anyValueOf(entry.value, depth));
}

/** An AnyValue; absent, null or empty is null. */
function anyValueOf(value: unknown, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) fail(`values nested deeper than ${MAX_VALUE_DEPTH}`);
  if (value === undefined || value === null) return null;
  const any = objectOf(value, 'value');
  if (any.stringValue !== undefined && any.stringValue !== null) return stringOf(any.stringValue, 'stringValue');
  if (any.boolValue !== undefined && any.boolValue !== null) {
    if (typeof any.boolValue !== 'boolean') fail('boolValue is not a boolean');
    return any.boolValue;
  }
  if (any.intValue !== undefined && any.intValue !== null) return jsonInt64(any.intValue, 'intValue');
  if (any.doubleValue !== undefined && any.doubleValue !== null) return jsonDouble(any.doubleValue, 'doubleValue');
  if (any.arrayValue !== undefined && any.arrayValue !== null) {
    const array = objectOf(any.arrayValue, 'arrayValue');
    return arrayOf(array, 'values').map((element) => anyValueOf(element, depth + 1));
  }
  if (any.kvlistValue !== undefined && any.kvlistValue !== null) {
    const entries: Attributes = {};
    for (const entry of arrayOf(objectOf(any.kvlistValue, 'kvlistValue'), 'values')) {
      readKeyValue(objectOf(entry, 'kvlistValue entry'), entries, depth + 1);
    }
    return entries;
  }
  if (any.bytesValue !== undefined && any.bytesValue !== null) {
    const bytes = wholeStringOf(any.bytesValue, 'bytesValue');
    if (!BASE64.test(bytes)) fail('bytesValue is not base64');
    return cutString(Buffer.from(bytes, 'base64').toString('base64'));
  }
  return null;
}

function spanOf(span: JsonObject, origin: Origin): SpanRecord {
  const status = optionalObject(span.status, 'status');
  const statusMessage = stringOf(status?.message, 'status message');
  const record: SpanRecord = {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    traceId: idOf(span.traceId, TRACE_ID_BYTES, 'span traceId', false),
    spanId: idOf(span.spanId, SPAN_ID_BYTES, 'span spanId', false),
    name: stringOf(span.name, 'span name', MAX_SPAN_NAME_LENGTH),
    kind: spanKind(integerOf(span.kind, 'span kind')),
    startMs: jsonNanosToMs(span.startTimeUnixNano, 'startTimeUnixNano'),
    endMs: jsonNanosToMs(span.endTimeUnixNano, 'endTimeUnixNano'),
    attributes: attributesOf(span, 'span'),
    events: arrayOf(span, 'events').map(eventOf),
    links: arrayOf(span, 'links').map(linkOf),
    status: {
      code: statusCode(integerOf(status?.code, 'status code')),
      ...(statusMessage === '' ? {} : { message: statusMessage }),
    },
  };
  const parentSpanId = idOf(span.parentSpanId, SPAN_ID_BYTES, 'parentSpanId', true);
  if (parentSpanId !== '') record.parentSpanId = parentSpanId;
  return record;
}

function eventOf(value: unknown): SpanEvent {
  const event = objectOf(value, 'event');
  return {
    name: stringOf(event.name, 'event name'),
    timeMs: jsonNanosToMs(event.timeUnixNano, 'event timeUnixNano'),
    attributes: attributesOf(event, 'event'),
  };
}

function linkOf(value: unknown): SpanLink {
  const link = objectOf(value, 'link');
  return {
    traceId: idOf(link.traceId, TRACE_ID_BYTES, 'link traceId', false),
    spanId: idOf(link.spanId, SPAN_ID_BYTES, 'link spanId', false),
    attributes: attributesOf(link, 'link'),
  };
}

function logOf(log: JsonObject, origin: Origin): LogRecord {
  const timeMs = jsonNanosToMs(log.timeUnixNano, 'timeUnixNano');
  const observedMs = jsonNanosToMs(log.observedTimeUnixNano, 'observedTimeUnixNano');
  const record: LogRecord = {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    // A record with no time of its own is placed at the time the SDK observed it.
    timeMs: timeMs === 0 ? observedMs : timeMs,
    severityNumber: severityNumber(integerOf(log.severityNumber, 'severityNumber')),
    body: anyValueOf(log.body, 1),
    attributes: attributesOf(log, 'log'),
  };
  const traceId = idOf(log.traceId, TRACE_ID_BYTES, 'log traceId', true);
  const spanId = idOf(log.spanId, SPAN_ID_BYTES, 'log spanId', true);
  const severityText = stringOf(log.severityText, 'severityText');
  if (traceId !== '') record.traceId = traceId;
  if (spanId !== '') record.spanId = spanId;
  if (severityText !== '') record.severityText = severityText;
  return record;
}

function readMetric(metric: JsonObject, origin: Origin, points: HistogramPoint[], counted: { otherPoints: number }) {
  const name = stringOf(metric.name, 'metric name');
  const unit = stringOf(metric.unit, 'metric unit');
  for (const type of OTHER_METRIC_DATA) {
    const data = optionalObject(metric[type], type);
    if (data !== undefined) counted.otherPoints += arrayOf(data, 'dataPoints').length;
  }
  const histogram = optionalObject(metric.histogram, 'histogram');
  if (histogram === undefined) return;
  const temporality = integerOf(histogram.aggregationTemporality, 'aggregationTemporality');
  for (const value of arrayOf(histogram, 'dataPoints')) {
    const point = objectOf(value, 'histogram data point');
    // Without a delta or cumulative temporality a point cannot be merged with others: counted, not kept.
    if (temporality !== 1 && temporality !== 2) counted.otherPoints++;
    else points.push(histogramPointOf(point, origin, name, unit, temporality));
  }
}

function histogramPointOf(point: JsonObject, origin: Origin, metric: string, unit: string, temporality: 1 | 2) {
  const count = jsonCount(point.count, 'count');
  let bounds = arrayOf(point, 'explicitBounds').map((bound) => jsonDouble(bound, 'explicitBounds'));
  checkBounds(bounds.length);
  const bucketCounts = arrayOf(point, 'bucketCounts').map((bucket) => jsonCount(bucket, 'bucketCounts'));
  if (bucketCounts.length === 0) {
    // A point with no buckets still has a count: one bucket holding everything.
    bounds = [];
    bucketCounts.push(count);
  } else if (bucketCounts.length !== bounds.length + 1) {
    fail(`histogram point with ${bucketCounts.length} bucket counts for ${bounds.length} bounds`);
  }
  const histogramPoint: HistogramPoint = {
    service: origin.service,
    resource: origin.resource,
    scope: origin.scope,
    metric,
    unit,
    temporality,
    attributes: attributesOf(point, 'data point'),
    startMs: jsonNanosToMs(point.startTimeUnixNano, 'startTimeUnixNano'),
    timeMs: jsonNanosToMs(point.timeUnixNano, 'timeUnixNano'),
    count,
    sum: jsonDouble(point.sum, 'sum'),
    bounds,
    bucketCounts,
  };
  return histogramPoint;
}
