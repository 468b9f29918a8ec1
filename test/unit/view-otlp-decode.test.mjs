// The OTLP decoder of `mcp-otel view` (src/view/otlp-decode.ts): bodies made by the real serializers of
// @opentelemetry/otlp-transformer from real SDK spans, logs and metrics decode into exactly the model's records, in
// both encodings; hand-made bodies pin what the serializers never send (fields out of order, unknown fields, packed
// and unpacked repeats, int64 edges); every malformed body, truncated, mistyped, too deep or random, is an
// OtlpDecodeError raised by the decoder's own checks, never another exception.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { AggregationTemporality } from '@opentelemetry/sdk-metrics';
import {
  expectedLogs,
  expectedPoints,
  expectedSpan,
  makeLogs,
  makeMetrics,
  makeSpans,
  ms,
  RESOURCE,
} from '../helpers/sdk-telemetry.mjs';

const require = createRequire(import.meta.url);
const { decodeExport, OtlpDecodeError } = require(join(process.cwd(), 'dist/view/otlp-decode.js'));
const { nanosToMs } = require(join(process.cwd(), 'dist/view/otlp-values.js'));

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const SPAN_ID = 'b7ad6b7169203331';

// --- a small protobuf writer for hand-made bodies ---------------------------------------------------------------
function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}
const tag = (field, wireType) => varint((field << 3) | wireType);
const pbVarint = (field, value) => Buffer.concat([tag(field, 0), varint(value)]);
const pbBytes = (field, bytes) => Buffer.concat([tag(field, 2), varint(bytes.length), bytes]);
const pbString = (field, s) => pbBytes(field, Buffer.from(s, 'utf8'));
const pbMessage = (field, ...parts) => pbBytes(field, Buffer.concat(parts));
function pbFixed64(field, value) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return Buffer.concat([tag(field, 1), b]);
}
function pbDouble(field, value) {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(value);
  return Buffer.concat([tag(field, 1), b]);
}
const pbFixed32 = (field, value) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return Buffer.concat([tag(field, 5), b]);
};
const hexBytes = (field, hex) => pbBytes(field, Buffer.from(hex, 'hex'));
const keyValue = (field, key, ...anyValueParts) => pbMessage(field, pbString(1, key), pbMessage(2, ...anyValueParts));

/** Unknown fields of every wire type, as a newer sender could add them. */
const UNKNOWN_FIELDS = Buffer.concat([pbVarint(900, 7), pbFixed64(901, 1), pbString(902, 'x'), pbFixed32(903, 5)]);

/** An ExportTraceServiceRequest of one span; `spanParts` are the span's fields. */
function traceRequest(spanParts, { resourceParts = [], scopeParts = [pbString(1, 'scope')] } = {}) {
  return Buffer.concat([
    pbMessage(1, pbMessage(1, ...resourceParts), pbMessage(2, pbMessage(1, ...scopeParts), pbMessage(2, ...spanParts))),
  ]);
}
const minimalSpan = () => [hexBytes(1, TRACE_ID), hexBytes(2, SPAN_ID), pbString(5, 'op')];

/** The body nested `depth` AnyValues deep as attribute `deep`: arrays within arrays around a string. */
function nestedProtobuf(depth) {
  let value = pbString(1, 'leaf');
  for (let i = 1; i < depth; i++) value = pbMessage(5, pbMessage(1, value));
  return traceRequest([...minimalSpan(), keyValue(9, 'deep', value)]);
}
function nestedJson(depth) {
  let value = { stringValue: 'leaf' };
  for (let i = 1; i < depth; i++) value = { arrayValue: { values: [value] } };
  return jsonSpanBody({ attributes: [{ key: 'deep', value }] });
}
function jsonSpanBody(spanFields, { resource, scope = { name: 'scope' } } = {}) {
  const span = { traceId: TRACE_ID, spanId: SPAN_ID, name: 'op', ...spanFields };
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans: [span] }] }] }));
}

/** Decodes and expects an OtlpDecodeError raised by the decoder's own checks (not its catch-all). */
function assertRefused(signal, body, encoding, message) {
  let thrown;
  try {
    decodeExport(signal, body, encoding);
  } catch (error) {
    thrown = error;
  }
  assert.ok(thrown instanceof OtlpDecodeError, `expected an OtlpDecodeError, got ${thrown}`);
  assert.equal(thrown.name, 'OtlpDecodeError');
  assert.doesNotMatch(thrown.message, /^undecodable body/, 'caught by the catch-all, not by a check');
  if (message !== undefined) assert.equal(thrown.message, message);
}

const serialized = (serializer, request) => Buffer.from(serializer.serializeRequest(request));

// --- real serializers, real SDK objects --------------------------------------------------------------------------
for (const [encoding, serializer] of [
  ['protobuf', ProtobufTraceSerializer],
  ['json', JsonTraceSerializer],
]) {
  test(`traces (${encoding}): the SDK's spans decode into exactly the model's records`, () => {
    const spans = makeSpans();
    const batch = decodeExport('traces', serialized(serializer, spans), encoding);
    assert.equal(batch.signal, 'traces');
    assert.deepStrictEqual(batch.spans, spans.map(expectedSpan));
    // What expectedSpan derives, spelled out once: kinds in OTLP's numbering, the parent, the times' microseconds.
    const byName = Object.fromEntries(batch.spans.map((s) => [s.name, s]));
    const root = byName['tools/call get_weather'];
    const child = byName['GET api.weather.example'];
    assert.deepStrictEqual(
      batch.spans.map((s) => [s.name, s.kind, s.scope]),
      [
        ['linked', 1, '@x/mcp-otel'],
        ['GET api.weather.example', 3, '@x/mcp-otel'],
        ['tools/call get_weather', 2, '@x/mcp-otel'],
        ['internal work', 5, 'other-scope'],
      ],
    );
    assert.equal(root.parentSpanId, undefined);
    assert.equal('parentSpanId' in root, false);
    assert.equal(child.parentSpanId, root.spanId);
    assert.equal(child.traceId, root.traceId);
    assert.match(root.traceId, /^[0-9a-f]{32}$/);
    assert.match(root.spanId, /^[0-9a-f]{16}$/);
    assert.equal(root.startMs, 1796349813879.395);
    assert.equal(Math.round(root.startMs * 1000), 1796349813879395);
    assert.equal(Math.round(root.endMs * 1000), 1796349813879395 + 1234);
    assert.equal(Math.round(child.events[0].timeMs * 1000), 1796349813879395 + 250);
    assert.equal(root.attributes['big.int'], '1152921504606846976');
    assert.equal(root.attributes['negative.int'], -42);
    assert.deepStrictEqual(root.attributes['string.array'], ['a', 'é', '']);
    assert.deepStrictEqual(root.status, { code: 1 });
    assert.deepStrictEqual(child.status, { code: 2, message: 'upstream answered 503' });
    assert.deepStrictEqual(child.links, [
      {
        traceId: byName.linked.traceId,
        spanId: byName.linked.spanId,
        attributes: { 'link.reason': 'retry of', 'link.attempt': 2 },
      },
    ]);
    assert.equal(root.service, 'weather-server');
    assert.deepStrictEqual(root.resource, RESOURCE);
  });
}

for (const [encoding, serializer] of [
  ['protobuf', ProtobufLogsSerializer],
  ['json', JsonLogsSerializer],
]) {
  test(`logs (${encoding}): bodies of every AnyValue type, severities, trace and span ids`, () => {
    const logs = makeLogs();
    const batch = decodeExport('logs', serialized(serializer, logs), encoding);
    assert.equal(batch.signal, 'logs');
    assert.deepStrictEqual(batch.logs, expectedLogs(logs));
  });
}

for (const [encoding, serializer] of [
  ['protobuf', ProtobufMetricsSerializer],
  ['json', JsonMetricsSerializer],
]) {
  for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
    test(`metrics (${encoding}, temporality ${temporality}): histogram points kept, sums and gauges counted`, async () => {
      const resourceMetrics = await makeMetrics(temporality);
      const batch = decodeExport('metrics', serialized(serializer, resourceMetrics), encoding);
      assert.equal(batch.signal, 'metrics');
      const expected = expectedPoints(resourceMetrics);
      assert.equal(expected.length, 3);
      assert.deepStrictEqual(batch.points, expected);
      // Two points of the counter (two attribute sets) and one of the gauge.
      assert.equal(batch.otherPoints, 3);
      const weather = batch.points.find((p) => p.attributes['gen_ai.tool.name'] === 'get_weather');
      assert.deepStrictEqual(
        [weather.metric, weather.unit, weather.temporality, weather.count, weather.sum],
        ['mcp.server.operation.duration', 's', temporality === AggregationTemporality.DELTA ? 1 : 2, 3, 2.555],
      );
      assert.deepStrictEqual(weather.bounds, [0.01, 0.1, 1, 10]);
      assert.deepStrictEqual(weather.bucketCounts, [1, 1, 0, 1, 0]);
    });
  }
}

test('empty requests are empty batches: a zero-length protobuf body, {} in JSON', () => {
  assert.deepStrictEqual(decodeExport('traces', Buffer.alloc(0), 'protobuf'), { signal: 'traces', spans: [] });
  assert.deepStrictEqual(decodeExport('logs', Buffer.from('{}'), 'json'), { signal: 'logs', logs: [] });
  assert.deepStrictEqual(decodeExport('metrics', Buffer.from('{"resourceMetrics":null}'), 'json'), {
    signal: 'metrics',
    points: [],
    otherPoints: 0,
  });
});

// --- hand-made protobuf ------------------------------------------------------------------------------------------
test('protobuf: the resource and scope may follow their items; unknown fields of every wire type are skipped', () => {
  const span = [
    UNKNOWN_FIELDS,
    hexBytes(1, TRACE_ID),
    hexBytes(2, SPAN_ID),
    pbString(5, 'op'),
    pbMessage(11, pbFixed64(1, 1_700_000_000_123_456_789n), UNKNOWN_FIELDS, pbString(2, 'ev')),
    pbMessage(15, UNKNOWN_FIELDS, pbVarint(3, 2)),
    pbFixed32(16, 0x101), // flags: known to OTLP, not read
  ];
  const body = Buffer.concat([
    UNKNOWN_FIELDS,
    pbMessage(
      1,
      pbMessage(2, pbMessage(2, ...span), UNKNOWN_FIELDS, pbMessage(1, pbString(2, '9.9'), pbString(1, 'late-scope'))),
      pbMessage(1, keyValue(1, 'service.name', pbString(1, 'late-service')), UNKNOWN_FIELDS),
    ),
  ]);
  assert.deepStrictEqual(decodeExport('traces', body, 'protobuf').spans, [
    {
      service: 'late-service',
      resource: { 'service.name': 'late-service' },
      scope: 'late-scope',
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      name: 'op',
      kind: 0,
      startMs: 0,
      endMs: 0,
      attributes: {},
      events: [{ name: 'ev', timeMs: 1_700_000_000_123.456789, attributes: {} }],
      links: [],
      status: { code: 2 },
    },
  ]);
});

test('a resource without service.name is unknown_service, a scope without a name is ""', () => {
  const body = traceRequest(minimalSpan(), { resourceParts: [keyValue(1, 'service.name', pbVarint(3, 5))], scopeParts: [] });
  const [span] = decodeExport('traces', body, 'protobuf').spans;
  assert.deepStrictEqual([span.service, span.resource, span.scope], ['unknown_service', { 'service.name': 5 }, '']);
  const [jsonSpan] = decodeExport('traces', jsonSpanBody({}, { scope: null }), 'json').spans;
  assert.deepStrictEqual([jsonSpan.service, jsonSpan.resource, jsonSpan.scope], ['unknown_service', {}, '']);
});

test('int64 values: exact numbers while safe, decimal strings past 2^53, both signs, in both encodings', () => {
  const cases = [
    [0n, 0],
    [-1n, -1],
    [2n ** 31n, 2 ** 31],
    [2n ** 32n + 5n, 2 ** 32 + 5],
    [2n ** 53n - 1n, Number.MAX_SAFE_INTEGER],
    [2n ** 53n, '9007199254740992'],
    [-(2n ** 53n) + 1n, Number.MIN_SAFE_INTEGER],
    [-(2n ** 53n) - 1n, '-9007199254740993'],
    [2n ** 63n - 1n, '9223372036854775807'],
    [-(2n ** 63n), '-9223372036854775808'],
    [-(2n ** 31n), -(2 ** 31)],
  ];
  const proto = traceRequest([...minimalSpan(), ...cases.map(([v], i) => keyValue(9, `k${i}`, pbVarint(3, v)))]);
  const json = jsonSpanBody({ attributes: cases.map(([v], i) => ({ key: `k${i}`, value: { intValue: v.toString() } })) });
  const expected = Object.fromEntries(cases.map(([, model], i) => [`k${i}`, model]));
  assert.deepStrictEqual(decodeExport('traces', proto, 'protobuf').spans[0].attributes, expected);
  assert.deepStrictEqual(decodeExport('traces', json, 'json').spans[0].attributes, expected);
  const numbers = jsonSpanBody({ attributes: [{ key: 'n', value: { intValue: 12 } }, { key: 'm', value: { intValue: -3 } }] });
  assert.deepStrictEqual(decodeExport('traces', numbers, 'json').spans[0].attributes, { n: 12, m: -3 });
});

test('AnyValue in protobuf: doubles, bytes as base64, kvlists, an empty value as null, __proto__ kept as a key', () => {
  const body = traceRequest([
    ...minimalSpan(),
    keyValue(9, 'd', pbDouble(4, -0.5)),
    keyValue(9, 'bytes', pbBytes(7, Buffer.from([0xde, 0xad, 0xbe, 0xef]))),
    keyValue(9, 'kv', pbMessage(6, pbMessage(1, pbString(1, 'a'), pbMessage(2, pbVarint(2, 1))))),
    keyValue(9, 'empty'),
    keyValue(9, '__proto__', pbMessage(6, pbMessage(1, pbString(1, 'polluted'), pbMessage(2, pbVarint(2, 1))))),
  ]);
  const { attributes } = decodeExport('traces', body, 'protobuf').spans[0];
  assert.deepStrictEqual(Object.keys(attributes), ['d', 'bytes', 'kv', 'empty', '__proto__']);
  assert.equal(attributes.d, -0.5);
  assert.equal(attributes.bytes, '3q2+7w==');
  assert.deepStrictEqual(attributes.kv, { a: true });
  assert.equal(attributes.empty, null);
  assert.deepStrictEqual(Object.getOwnPropertyDescriptor(attributes, '__proto__').value, { polluted: true });
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  assert.equal({}.polluted, undefined);
});

test('histogram points: packed and unpacked repeats, a point without buckets, an unspecified temporality', () => {
  const point = (...extra) =>
    pbMessage(1, pbFixed64(2, 1_000_000n), pbFixed64(3, 2_000_500n), pbFixed64(4, 3), pbDouble(5, 1.5), ...extra);
  const packedCounts = Buffer.alloc(16);
  packedCounts.writeBigUInt64LE(1n, 0);
  packedCounts.writeBigUInt64LE(2n, 8);
  const packedBounds = Buffer.alloc(8);
  packedBounds.writeDoubleLE(0.25);
  const metric = (name, temporality, ...points) =>
    pbMessage(2, pbString(1, name), pbString(3, 'ms'), pbMessage(9, ...points, pbVarint(2, temporality)));
  const body = pbMessage(
    1,
    pbMessage(
      2,
      metric('packed', 1, point(pbBytes(6, packedCounts), pbBytes(7, packedBounds), keyValue(9, 'a', pbString(1, 'b')))),
      metric('unpacked', 2, point(pbFixed64(6, 1), pbDouble(7, 0.25), pbFixed64(6, 2))),
      metric('no buckets', 2, point()),
      metric('unspecified', 0, point(), point()),
      pbMessage(2, pbString(1, 'gauge'), pbMessage(5, pbMessage(1), pbMessage(1), UNKNOWN_FIELDS)),
    ),
  );
  const batch = decodeExport('metrics', body, 'protobuf');
  const common = { service: 'unknown_service', resource: {}, scope: '', unit: 'ms', startMs: 1, timeMs: 2.0005 };
  assert.deepStrictEqual(batch, {
    signal: 'metrics',
    points: [
      { ...common, metric: 'packed', temporality: 1, attributes: { a: 'b' }, count: 3, sum: 1.5, bounds: [0.25], bucketCounts: [1, 2] },
      { ...common, metric: 'unpacked', temporality: 2, attributes: {}, count: 3, sum: 1.5, bounds: [0.25], bucketCounts: [1, 2] },
      { ...common, metric: 'no buckets', temporality: 2, attributes: {}, count: 3, sum: 1.5, bounds: [], bucketCounts: [3] },
    ],
    otherPoints: 4,
  });
});

test('logs: a record without a time of its own takes its observed time; no ids, no severity text', () => {
  const record = pbMessage(2, pbFixed64(11, 1_700_000_000_000_000_001n), pbVarint(2, 13), pbMessage(5, pbString(1, 'hi')));
  const body = pbMessage(1, pbMessage(2, record));
  assert.deepStrictEqual(decodeExport('logs', body, 'protobuf').logs, [
    { service: 'unknown_service', resource: {}, scope: '', timeMs: 1_700_000_000_000.000001, severityNumber: 13, body: 'hi', attributes: {} },
  ]);
  const json = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ observedTimeUnixNano: '1700000000000000001', severityNumber: 13 }] }] }] };
  assert.deepStrictEqual(decodeExport('logs', Buffer.from(JSON.stringify(json)), 'json').logs, [
    { service: 'unknown_service', resource: {}, scope: '', timeMs: 1_700_000_000_000.000001, severityNumber: 13, body: null, attributes: {} },
  ]);
});

test('nanoseconds to milliseconds loses nothing before dividing, up to 2^64 - 1', () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const words = [
    [0, 0],
    [0xffffffff, 0xffffffff],
    [999_999, 0],
    [1_000_000, 0],
    ...Array.from({ length: 1000 }, () => [next(), next()]),
  ];
  for (const [low, high] of words) {
    const ns = (BigInt(high) << 32n) | BigInt(low);
    const expected = Number(ns / 1_000_000n) + Number(ns % 1_000_000n) / 1e6;
    assert.equal(nanosToMs(low, high), expected, `${ns}`);
  }
  assert.equal(nanosToMs(0xffffffff, 0xffffffff), 18_446_744_073_709.551615);
  assert.equal(ms([1796349813, 879395123]), 1796349813879.395123);
});

// --- hand-made JSON ---------------------------------------------------------------------------------------------
test('JSON: hex ids in either case become lowercase; numbers for times and counts; unknown keys ignored', () => {
  const body = jsonSpanBody({
    traceId: TRACE_ID.toUpperCase(),
    parentSpanId: '',
    startTimeUnixNano: 1.7e18,
    endTimeUnixNano: '1700000000000250000',
    kind: 5,
    unknownKey: { anything: [1, 2] },
    status: { code: 0, message: null },
    attributes: [{ key: 'nan', value: { doubleValue: 'NaN' } }, { key: 'inf', value: { doubleValue: '-Infinity' } }, { key: 'b', value: { bytesValue: '3q2-7w' } }],
  });
  const [span] = decodeExport('traces', body, 'json').spans;
  assert.equal(span.traceId, TRACE_ID);
  assert.equal('parentSpanId' in span, false);
  assert.deepStrictEqual([span.startMs, span.endMs, span.kind, span.status], [1_700_000_000_000, 1_700_000_000_000.25, 5, { code: 0 }]);
  assert.deepStrictEqual(span.attributes, { nan: NaN, inf: -Infinity, b: '3q2+7w==' });
});

// --- malformed -----------------------------------------------------------------------------------------------------
test('protobuf truncated at every byte of a valid body, of each signal: always OtlpDecodeError', async () => {
  const bodies = [
    ['traces', serialized(ProtobufTraceSerializer, makeSpans().slice(0, 2))],
    ['logs', serialized(ProtobufLogsSerializer, makeLogs())],
    ['metrics', serialized(ProtobufMetricsSerializer, await makeMetrics())],
  ];
  for (const [signal, body] of bodies) {
    // One resource: every cut within it leaves a field longer than what is left.
    decodeExport(signal, body, 'protobuf');
    for (let cut = 1; cut < body.length; cut++) assertRefused(signal, body.subarray(0, cut), 'protobuf');
  }
});

test('JSON truncated at every byte of a valid body: always OtlpDecodeError', () => {
  const body = serialized(JsonTraceSerializer, makeSpans().slice(0, 1));
  for (let cut = 0; cut < body.length; cut++) assertRefused('traces', body.subarray(0, cut), 'json', 'body is not JSON');
});

test('protobuf: wire-type mismatches, lengths past the end, groups, bad varints, bad ids and enums are refused', () => {
  const cases = [
    [traceRequest([hexBytes(1, TRACE_ID), hexBytes(2, SPAN_ID), pbVarint(5, 1)]), 'field 5 is varint, expected length-delimited'],
    [traceRequest([pbFixed32(1, 1), hexBytes(2, SPAN_ID)]), 'field 1 is fixed32, expected length-delimited'],
    [traceRequest([...minimalSpan(), pbVarint(7, 1)]), 'field 7 is varint, expected fixed64'],
    [traceRequest([...minimalSpan(), pbString(6, 'x')]), 'field 6 is length-delimited, expected varint'],
    [traceRequest([...minimalSpan(), keyValue(9, 'k', pbFixed64(2, 1))]), 'field 2 is fixed64, expected varint'],
    [pbVarint(1, 3), 'field 1 is varint, expected length-delimited'],
    [Buffer.concat([tag(1, 2), varint(100), Buffer.from([1, 2, 3])]), 'field 1 is longer than its message'],
    // A nested length past its parent's end, though within the body.
    [Buffer.concat([pbBytes(1, Buffer.concat([tag(2, 2), varint(10)])), Buffer.alloc(20)]), 'field 2 is longer than its message'],
    [Buffer.concat([tag(1, 3), tag(1, 4)]), 'groups are not supported (field 1)'],
    [traceRequest([...minimalSpan(), tag(50, 4)]), 'groups are not supported (field 50)'],
    [Buffer.from([(1 << 3) | 6]), 'wire type 6 does not exist (field 1)'],
    [Buffer.from([(1 << 3) | 7]), 'wire type 7 does not exist (field 1)'],
    [Buffer.from([0x00, 0x00]), 'field number 0'],
    [Buffer.concat([tag(9, 0), Buffer.alloc(10, 0xff), Buffer.from([0x01])]), 'varint longer than 10 bytes'],
    [Buffer.concat([tag(9, 0), Buffer.from([0x80])]), 'truncated varint'],
    [Buffer.concat([tag(9, 1), Buffer.alloc(7)]), 'truncated fixed64'],
    [Buffer.concat([tag(9, 5), Buffer.alloc(3)]), 'truncated fixed32'],
    [Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'field tag out of range'],
    [traceRequest([hexBytes(1, 'abcd'), hexBytes(2, SPAN_ID)]), 'span trace id is 2 bytes, not 16'],
    [traceRequest([hexBytes(2, SPAN_ID)]), 'span without a trace id'],
    [traceRequest([hexBytes(1, TRACE_ID)]), 'span without a span id'],
    [traceRequest([...minimalSpan(), hexBytes(4, 'ab')]), 'parent span id is 1 bytes, not 8'],
    [traceRequest([...minimalSpan(), pbMessage(13, hexBytes(1, TRACE_ID))]), 'link without a trace id or span id'],
    [traceRequest([...minimalSpan(), pbVarint(6, 6)]), 'span kind 6 is not 0..5'],
    [traceRequest([...minimalSpan(), pbVarint(6, -1)]), 'span kind 4294967295 is not 0..5'],
    [traceRequest([...minimalSpan(), pbMessage(15, pbVarint(3, 3))]), 'status code 3 is not 0, 1 or 2'],
  ];
  for (const [body, message] of cases) assertRefused('traces', body, 'protobuf', message);
  const logRecord = (...parts) => pbMessage(1, pbMessage(2, pbMessage(2, ...parts)));
  assertRefused('logs', logRecord(pbVarint(2, 25)), 'protobuf', 'severity number 25 is not 0..24');
  assertRefused('logs', logRecord(hexBytes(9, 'abcdef')), 'protobuf', 'log trace id is 3 bytes, not 16');
  const histogram = (...pointParts) =>
    pbMessage(1, pbMessage(2, pbMessage(2, pbString(1, 'h'), pbMessage(9, pbVarint(2, 2), pbMessage(1, ...pointParts)))));
  assertRefused('metrics', histogram(pbFixed64(6, 1), pbFixed64(6, 1)), 'protobuf', 'histogram point with 2 bucket counts for 0 bounds');
  assertRefused('metrics', histogram(pbBytes(6, Buffer.alloc(12))), 'protobuf', 'packed field 6 is not a whole number of 8-byte values');
  assertRefused('metrics', histogram(pbFixed32(7, 1)), 'protobuf', 'field 7 is fixed32, expected length-delimited');
});

test('JSON: wrong types are refused where they are read', () => {
  const cases = [
    [Buffer.from('[]'), 'request is not an object'],
    [Buffer.from('null'), 'request is not an object'],
    [Buffer.from('{"resourceSpans":{}}'), 'resourceSpans is not an array'],
    [Buffer.from('{"resourceSpans":[1]}'), 'resourceSpans is not an object'],
    [Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":["x"]}]}]}'), 'span is not an object'],
    [jsonSpanBody({ traceId: 12 }), 'span traceId is not a string'],
    [jsonSpanBody({ traceId: Buffer.from(TRACE_ID, 'hex').toString('base64') }), 'span traceId is not 16 bytes of hex'],
    [jsonSpanBody({ spanId: 'zz'.repeat(8) }), 'span spanId is not 8 bytes of hex'],
    [jsonSpanBody({ parentSpanId: 'abc' }), 'parentSpanId is not 8 bytes of hex'],
    [jsonSpanBody({ name: ['op'] }), 'span name is not a string'],
    [jsonSpanBody({ kind: 'SPAN_KIND_SERVER' }), 'span kind is not an integer'],
    [jsonSpanBody({ kind: 1.5 }), 'span kind is not an integer'],
    [jsonSpanBody({ kind: 9 }), 'span kind 9 is not 0..5'],
    [jsonSpanBody({ startTimeUnixNano: '12ab' }), 'startTimeUnixNano is not a time in nanoseconds'],
    [jsonSpanBody({ startTimeUnixNano: -1 }), 'startTimeUnixNano is not a time in nanoseconds'],
    [jsonSpanBody({ endTimeUnixNano: '18446744073709551616' }), 'endTimeUnixNano is not a time in nanoseconds'],
    [jsonSpanBody({ attributes: {} }), 'attributes is not an array'],
    [jsonSpanBody({ attributes: [null] }), 'span attribute is not an object'],
    [jsonSpanBody({ attributes: [{ key: 1 }] }), 'attribute key is not a string'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: 'v' }] }), 'value is not an object'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { stringValue: 1 } }] }), 'stringValue is not a string'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { boolValue: 'true' } }] }), 'boolValue is not a boolean'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { intValue: '1.5' } }] }), 'intValue is not an integer'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { intValue: 0.5 } }] }), 'intValue is not an integer'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { intValue: '9223372036854775808' } }] }), 'intValue does not fit 64 bits'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { doubleValue: 'x' } }] }), 'doubleValue is not a number'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { doubleValue: true } }] }), 'doubleValue is not a number'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { arrayValue: [] } }] }), 'arrayValue is not an object'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { kvlistValue: { values: [3] } } }] }), 'kvlistValue entry is not an object'],
    [jsonSpanBody({ attributes: [{ key: 'k', value: { bytesValue: 'not base64!' } }] }), 'bytesValue is not base64'],
    [jsonSpanBody({ events: [{ timeUnixNano: {} }] }), 'event timeUnixNano is not a time in nanoseconds'],
    [jsonSpanBody({ links: [{ traceId: TRACE_ID }] }), 'link spanId is not 8 bytes of hex'],
    [jsonSpanBody({ status: 2 }), 'status is not an object'],
    [jsonSpanBody({ status: { code: 7 } }), 'status code 7 is not 0, 1 or 2'],
    [jsonSpanBody({}, { resource: [] }), 'resource is not an object'],
    [jsonSpanBody({}, { scope: { name: 5 } }), 'scope name is not a string'],
    [Buffer.from([0x7b, 0xff, 0x7d]), 'body is not JSON'],
  ];
  for (const [body, message] of cases) assertRefused('traces', body, 'json', message);
  const logs = (record) => Buffer.from(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] }));
  assertRefused('logs', logs({ severityNumber: 'SEVERITY_NUMBER_INFO' }), 'json', 'severityNumber is not an integer');
  assertRefused('logs', logs({ traceId: 'x' }), 'json', 'log traceId is not 16 bytes of hex');
  const metrics = (metric) => Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] }));
  const point = (fields) => metrics({ name: 'h', histogram: { aggregationTemporality: 2, dataPoints: [fields] } });
  assertRefused('metrics', point({ count: 'three' }), 'json', 'count is not a count');
  assertRefused('metrics', point({ bucketCounts: ['1', '2'], explicitBounds: [] }), 'json', 'histogram point with 2 bucket counts for 0 bounds');
  assertRefused('metrics', point({ sum: 'x' }), 'json', 'sum is not a number');
  assertRefused('metrics', metrics({ name: 'g', gauge: { dataPoints: 3 } }), 'json', 'dataPoints is not an array');
  assertRefused('metrics', metrics({ name: 'h', histogram: { aggregationTemporality: 'AGGREGATION_TEMPORALITY_DELTA' } }), 'json', 'aggregationTemporality is not an integer');
});

test('AnyValue nesting: 32 levels decode, 33 are refused, in both encodings; far deeper costs no stack', () => {
  const deepest = (value) => {
    let depth = 1;
    while (Array.isArray(value)) {
      value = value[0];
      depth++;
    }
    assert.equal(value, 'leaf');
    return depth;
  };
  assert.equal(deepest(decodeExport('traces', nestedProtobuf(32), 'protobuf').spans[0].attributes.deep), 32);
  assert.equal(deepest(decodeExport('traces', nestedJson(32), 'json').spans[0].attributes.deep), 32);
  assertRefused('traces', nestedProtobuf(33), 'protobuf', 'values nested deeper than 32');
  assertRefused('traces', nestedJson(33), 'json', 'values nested deeper than 32');
  assertRefused('traces', nestedProtobuf(5000), 'protobuf', 'values nested deeper than 32');
  // kvlists count as levels too.
  let kv = pbString(1, 'leaf');
  for (let i = 1; i < 33; i++) kv = pbMessage(6, pbMessage(1, pbString(1, 'k'), pbMessage(2, kv)));
  assertRefused('traces', traceRequest([...minimalSpan(), keyValue(9, 'deep', kv)]), 'protobuf', 'values nested deeper than 32');
  // A log body is a value of its own.
  let body = pbString(1, 'leaf');
  for (let i = 1; i < 33; i++) body = pbMessage(5, pbMessage(1, body));
  assertRefused('logs', pbMessage(1, pbMessage(2, pbMessage(2, pbMessage(5, body)))), 'protobuf', 'values nested deeper than 32');
});

test('random bytes and randomly damaged bodies (a seeded loop): decoded or OtlpDecodeError, nothing else', () => {
  let seed = 0x2545f491;
  const random = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x100000000;
  };
  const valid = serialized(ProtobufTraceSerializer, makeSpans());
  const validJson = serialized(JsonTraceSerializer, makeSpans().slice(0, 1));
  let refused = 0;
  let decoded = 0;
  const attempt = (signal, body, encoding) => {
    try {
      decodeExport(signal, body, encoding);
      decoded++;
    } catch (error) {
      assert.ok(error instanceof OtlpDecodeError, `${error?.stack}`);
      assert.doesNotMatch(error.message, /^undecodable body/);
      refused++;
    }
  };
  for (let i = 0; i < 3000; i++) {
    const signal = ['traces', 'logs', 'metrics'][i % 3];
    const length = Math.floor(random() * 300);
    const bytes = Buffer.alloc(length);
    for (let j = 0; j < length; j++) bytes[j] = Math.floor(random() * 256);
    attempt(signal, bytes, 'protobuf');
    const damaged = Buffer.from(valid);
    for (let k = 0; k < 1 + Math.floor(random() * 4); k++) damaged[Math.floor(random() * damaged.length)] = Math.floor(random() * 256);
    attempt('traces', damaged, 'protobuf');
    const damagedJson = Buffer.from(validJson);
    damagedJson[Math.floor(random() * damagedJson.length)] = Math.floor(random() * 128);
    attempt('traces', damagedJson, 'json');
  }
  assert.equal(refused + decoded, 9000);
  assert.ok(refused > 4000, `only ${refused} refused`);
});

// --- the bounds on values (otlp-values.ts): a peer's long value is copied into every row and answer that shows it ---
const MAX = 16 * 1024;
const cutTo = (text, keep) => `${text.slice(0, keep)}…`;
/** Values at, and just past, each bound, with what the decoder keeps of them. */
const BOUNDED_VALUES = [
  ['at the bound', 'a'.repeat(MAX), 'a'.repeat(MAX)],
  ['one past', 'a'.repeat(MAX + 1), cutTo('a'.repeat(MAX), MAX - 1)],
  ['a megabyte', 'x'.repeat(1 << 20), cutTo('x'.repeat(MAX), MAX - 1)],
  // The unit before the … would be the first half of a pair: the pair goes whole.
  ['a pair at the cut', `${'a'.repeat(MAX - 2)}😀b`, cutTo('a'.repeat(MAX), MAX - 2)],
  ['pairs only', '😀'.repeat(MAX / 2 + 1), cutTo('😀'.repeat(MAX / 2), MAX - 2)],
  ['2-byte UTF-8', 'é'.repeat(MAX * 2), cutTo('é'.repeat(MAX), MAX - 1)],
  ['3-byte UTF-8 at the bound', '€'.repeat(MAX), '€'.repeat(MAX)],
  ['3-byte UTF-8 past it', '€'.repeat(MAX * 3), cutTo('€'.repeat(MAX), MAX - 1)],
];
const cutCount = BOUNDED_VALUES.filter(([, sent, kept]) => sent !== kept).length;

function boundedSpanBodies() {
  const attributes = BOUNDED_VALUES.map(([key, value]) => [key, value]);
  const longName = 'n'.repeat(1025);
  const longKey = 'k'.repeat(MAX + 1);
  const protobuf = traceRequest(
    [
      hexBytes(1, TRACE_ID),
      hexBytes(2, SPAN_ID),
      pbString(5, longName),
      ...attributes.map(([key, value]) => keyValue(9, key, pbString(1, value))),
      keyValue(9, longKey, pbString(1, 'v')),
      keyValue(9, 'bytes', pbBytes(7, Buffer.alloc(MAX, 0xff))),
      pbMessage(11, pbFixed64(1, 1), pbString(2, 'e'.repeat(MAX + 1))),
      pbMessage(15, pbString(2, 'm'.repeat(MAX + 1)), pbVarint(3, 2)),
    ],
    { resourceParts: [keyValue(1, 'service.name', pbString(1, 's'.repeat(MAX + 1)))] },
  );
  const json = jsonSpanBody(
    {
      name: longName,
      attributes: [
        ...attributes.map(([key, value]) => ({ key, value: { stringValue: value } })),
        { key: longKey, value: { stringValue: 'v' } },
        { key: 'bytes', value: { bytesValue: Buffer.alloc(MAX, 0xff).toString('base64') } },
      ],
      events: [{ timeUnixNano: '1', name: 'e'.repeat(MAX + 1) }],
      status: { code: 2, message: 'm'.repeat(MAX + 1) },
    },
    { resource: { attributes: [{ key: 'service.name', value: { stringValue: 's'.repeat(MAX + 1) } }] } },
  );
  return { protobuf, json };
}

for (const encoding of ['protobuf', 'json']) {
  test(`bounds (${encoding}): strings past 16 KiB end in … and keep whole pairs, span names past 1 KiB`, () => {
    const batch = decodeExport('traces', boundedSpanBodies()[encoding], encoding);
    const [span] = batch.spans;
    for (const [key, , kept] of BOUNDED_VALUES) assert.equal(span.attributes[key], kept, key);
    assert.equal(span.name, cutTo('n'.repeat(1024), 1023));
    assert.equal(span.name.length, 1024);
    assert.equal(span.attributes[cutTo('k'.repeat(MAX), MAX - 1)], 'v');
    // Base64 of 16 KiB is longer than the bound: cut like any string.
    assert.equal(span.attributes.bytes, cutTo('/'.repeat(MAX), MAX - 1));
    assert.equal(span.events[0].name, cutTo('e'.repeat(MAX), MAX - 1));
    assert.deepStrictEqual(span.status, { code: 2, message: cutTo('m'.repeat(MAX), MAX - 1) });
    assert.equal(span.service, cutTo('s'.repeat(MAX), MAX - 1));
    assert.equal(span.resource['service.name'], span.service);
    for (const value of Object.values(span.attributes)) assert.ok(value.length <= MAX);
    // The values cut, the span name, the key, the bytes, the event name, the status message and the service.name.
    assert.equal(batch.truncatedValues, cutCount + 6);
  });

  test(`bounds (${encoding}): an attribute list keeps its first 256 keys; a repeated key still replaces`, () => {
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const body =
      encoding === 'protobuf'
        ? traceRequest([
            ...minimalSpan(),
            ...keys.map((key, i) => keyValue(9, key, pbVarint(3, i))),
            keyValue(9, 'k0', pbString(1, 'again')),
          ])
        : jsonSpanBody({
            attributes: [
              ...keys.map((key, i) => ({ key, value: { intValue: i } })),
              { key: 'k0', value: { stringValue: 'again' } },
            ],
          });
    const batch = decodeExport('traces', body, encoding);
    const { attributes } = batch.spans[0];
    assert.deepStrictEqual(Object.keys(attributes), keys.slice(0, 256));
    assert.equal(attributes.k0, 'again');
    assert.equal(attributes.k255, 255);
    assert.equal(batch.truncatedValues, 44);
    // A batch with nothing cut says nothing.
    const plain = decodeExport(
      'traces',
      encoding === 'protobuf' ? traceRequest(minimalSpan()) : jsonSpanBody({}),
      encoding,
    );
    assert.equal('truncatedValues' in plain, false);
  });

  test(`bounds (${encoding}): a log body past 16 KiB is cut`, () => {
    const text = 'b'.repeat(MAX + 1);
    const body =
      encoding === 'protobuf'
        ? pbMessage(1, pbMessage(2, pbMessage(2, pbMessage(5, pbString(1, text)))))
        : Buffer.from(
            JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: text } }] }] }] }),
          );
    const batch = decodeExport('logs', body, encoding);
    assert.equal(batch.logs[0].body, cutTo(text, MAX - 1));
    assert.equal(batch.truncatedValues, 1);
  });

  test(`bounds (${encoding}): a histogram point with 1,000 explicit bounds is kept, 1,001 is refused`, () => {
    const pointBody = (count) => {
      const bounds = Array.from({ length: count }, (_, i) => i);
      if (encoding === 'json') {
        const point = { count: '0', bucketCounts: Array(count + 1).fill('0'), explicitBounds: bounds };
        const metric = { name: 'h', histogram: { dataPoints: [point], aggregationTemporality: 2 } };
        return Buffer.from(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] }));
      }
      const packedBounds = Buffer.alloc(count * 8);
      bounds.forEach((bound, i) => packedBounds.writeDoubleLE(bound, i * 8));
      const point = pbMessage(1, pbBytes(6, Buffer.alloc((count + 1) * 8)), pbBytes(7, packedBounds));
      return pbMessage(1, pbMessage(2, pbMessage(2, pbString(1, 'h'), pbMessage(9, point, pbVarint(2, 2)))));
    };
    assert.equal(decodeExport('metrics', pointBody(1000), encoding).points[0].bounds.length, 1000);
    assertRefused('metrics', pointBody(1001), encoding, 'histogram point with 1001 explicit bounds; at most 1000');
  });
}
