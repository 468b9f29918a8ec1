// Unit tests of the configuration read from OTEL_* variables: defaults, precedence, and one clear warning per bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { readConfig, parseKeyValueList } = require('../../dist/distro/config.js');

const KNOWN = ['http', 'undici', 'pino', 'winston', 'express', 'fs'];

function read(env) {
  const warnings = [];
  const config = readConfig(env, KNOWN, (name, message) => warnings.push({ name, message }));
  return { config, warnings };
}

test('defaults: OTLP http/protobuf to localhost:4318 for every signal, parent-based always-on sampling', () => {
  const { config, warnings } = read({});
  assert.deepEqual(warnings, []);
  for (const [signal, path] of [['traces', 'v1/traces'], ['metrics', 'v1/metrics'], ['logs', 'v1/logs']]) {
    assert.deepEqual(config[signal], {
      signal,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      url: `http://localhost:4318/${path}`,
      headers: {},
      timeoutMillis: 10000,
      compression: 'none',
    });
  }
  assert.deepEqual(config.sampler, { name: 'parentbased_always_on', ratio: 1 });
  assert.equal(config.propagators, undefined);
  assert.deepEqual(config.resourceDetectors, ['host', 'os', 'process', 'serviceinstance', 'env']);
  assert.equal(config.enabledInstrumentations, undefined);
  assert.deepEqual(config.disabledInstrumentations, []);
  assert.equal(config.metricExportIntervalMillis, 60000);
  assert.equal(config.metricExportTimeoutMillis, 30000);
  assert.equal(config.flushTimeoutMillis, 2000);
});

test('the generic endpoint gets the signal path; a signal endpoint is used as given and wins', () => {
  const { config } = read({
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/base',
    OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://logs.example/custom',
  });
  assert.equal(config.traces.url, 'https://collector.example:4318/base/v1/traces');
  assert.equal(config.metrics.url, 'https://collector.example:4318/base/v1/metrics');
  assert.equal(config.logs.url, 'http://logs.example/custom');
  assert.equal(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/' }).config.traces.url, 'http://c:4318/v1/traces');
});

test('grpc: no URL unless one is given; the per-signal protocol wins over the general one', () => {
  const { config } = read({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' });
  assert.equal(config.metrics.protocol, 'grpc');
  assert.equal(config.metrics.url, undefined);
  assert.equal(config.traces.protocol, 'http/json');
  assert.equal(config.traces.url, 'http://localhost:4318/v1/traces');
});

test('headers: percent-decoded, signal-specific keys win, malformed entries reported without their value', () => {
  const { config, warnings } = read({
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20secret-token,x-team=mcp,bogus-secret,=nokey',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces',
  });
  assert.deepEqual(config.traces.headers, { authorization: 'Bearer secret-token', 'x-team': 'traces' });
  assert.deepEqual(config.metrics.headers, { authorization: 'Bearer secret-token', 'x-team': 'mcp' });
  assert.deepEqual(warnings, [
    { name: 'OTEL_EXPORTER_OTLP_HEADERS', message: 'entry 3 is malformed and ignored (expected key=value pairs separated by commas)' },
    { name: 'OTEL_EXPORTER_OTLP_HEADERS', message: 'entry 4 is malformed and ignored (expected key=value pairs separated by commas)' },
  ]);
  assert.ok(warnings.every((w) => !w.message.includes('secret')));
});

test('parseKeyValueList reports bad percent-encoding and keeps the rest', () => {
  const warnings = [];
  const result = parseKeyValueList('a=1,b=%zz,c=x%2Cy', 'OTEL_RESOURCE_ATTRIBUTES', (name, message) => warnings.push(`${name}: ${message}`));
  assert.deepEqual(result, { a: '1', c: 'x,y' });
  assert.deepEqual(warnings, ['OTEL_RESOURCE_ATTRIBUTES: the value of entry 2 ("b") is not valid percent-encoding and is ignored']);
});

test('exporter lists: none turns a signal off, unknown names are reported, only unknown names fall back to otlp', () => {
  const { config, warnings } = read({
    OTEL_TRACES_EXPORTER: 'console,otlp',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'bogus',
  });
  assert.deepEqual(config.traces.exporters, ['console', 'otlp']);
  assert.deepEqual(config.metrics.exporters, []);
  assert.deepEqual(config.logs.exporters, ['otlp']);
  assert.deepEqual(warnings, [{ name: 'OTEL_LOGS_EXPORTER', message: 'unknown exporter "bogus" ignored (expected otlp, console or none)' }]);
  const mixed = read({ OTEL_TRACES_EXPORTER: 'none,otlp' });
  assert.deepEqual(mixed.config.traces.exporters, []);
  assert.equal(mixed.warnings[0].name, 'OTEL_TRACES_EXPORTER');
});

test('every bad value falls back to its default with one warning that names the variable', () => {
  const { config, warnings } = read({
    OTEL_TRACES_SAMPLER: 'sometimes',
    OTEL_TRACES_SAMPLER_ARG: 'abc',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url',
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'ftp://nope',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'carrier-pigeon',
    OTEL_EXPORTER_OTLP_TIMEOUT: '-5',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'zip',
    OTEL_METRIC_EXPORT_INTERVAL: 'soon',
    OTEL_PROPAGATORS: 'tracecontext,xray',
    OTEL_NODE_RESOURCE_DETECTORS: 'host,moon',
    OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,telepathy',
  });
  assert.deepEqual(config.sampler, { name: 'parentbased_always_on', ratio: 1 });
  assert.equal(config.traces.url, 'http://localhost:4318/v1/traces');
  assert.equal(config.metrics.url, 'http://localhost:4318/v1/metrics');
  assert.equal(config.traces.protocol, 'http/protobuf');
  assert.equal(config.traces.timeoutMillis, 10000);
  assert.equal(config.traces.compression, 'none');
  assert.equal(config.metricExportIntervalMillis, 60000);
  assert.deepEqual(config.propagators, ['tracecontext']);
  assert.deepEqual(config.resourceDetectors, ['host', 'env']);
  assert.deepEqual(config.enabledInstrumentations, ['http']);
  const named = [...new Set(warnings.map((w) => w.name))].sort();
  assert.deepEqual(named, [
    'OTEL_EXPORTER_OTLP_COMPRESSION',
    'OTEL_EXPORTER_OTLP_ENDPOINT',
    'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TIMEOUT',
    'OTEL_METRIC_EXPORT_INTERVAL',
    'OTEL_NODE_ENABLED_INSTRUMENTATIONS',
    'OTEL_NODE_RESOURCE_DETECTORS',
    'OTEL_PROPAGATORS',
    'OTEL_TRACES_SAMPLER',
    'OTEL_TRACES_SAMPLER_ARG',
  ]);
});

test('sampler ratio and the flush bound: the timeout, capped at 2 s', () => {
  const { config } = read({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', OTEL_EXPORTER_OTLP_TIMEOUT: '500' });
  assert.deepEqual(config.sampler, { name: 'parentbased_traceidratio', ratio: 0.25 });
  assert.equal(config.flushTimeoutMillis, 500);
  assert.equal(read({ OTEL_EXPORTER_OTLP_TIMEOUT: '30000' }).config.flushTimeoutMillis, 2000);
});

test('resource: detectors none/all, env always last; OTEL_SERVICE_NAME wins over a service.name attribute', () => {
  assert.deepEqual(read({ OTEL_NODE_RESOURCE_DETECTORS: 'none' }).config.resourceDetectors, ['env']);
  assert.deepEqual(read({ OTEL_NODE_RESOURCE_DETECTORS: 'env,os' }).config.resourceDetectors, ['os', 'env']);
  assert.deepEqual(read({ OTEL_NODE_RESOURCE_DETECTORS: 'all' }).config.resourceDetectors, [
    'host', 'os', 'process', 'serviceinstance', 'container', 'alibaba', 'aws', 'azure', 'gcp', 'env',
  ]);
  const { config, warnings } = read({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs,team=mcp,broken', OTEL_SERVICE_NAME: 'svc' });
  assert.deepEqual(config.resourceAttributes, { 'service.name': 'svc', team: 'mcp' });
  assert.deepEqual(warnings.map((w) => w.name), ['OTEL_RESOURCE_ATTRIBUTES']);
});

test('metric export timeout is clamped to the interval', () => {
  const { config } = read({ OTEL_METRIC_EXPORT_INTERVAL: '1000' });
  assert.equal(config.metricExportTimeoutMillis, 1000);
});

test('metric temporality preference: cumulative by default, delta and lowmemory accepted, anything else reported', () => {
  assert.equal(read({}).config.metricTemporality, 'cumulative');
  assert.equal(read({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta' }).config.metricTemporality, 'delta');
  assert.equal(read({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory' }).config.metricTemporality, 'lowmemory');
  const { config, warnings } = read({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' });
  assert.equal(config.metricTemporality, 'cumulative');
  assert.deepEqual(warnings.map((w) => w.name), ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE']);
});

const { planFromEnv } = require('../../dist/distro/plan.js');

function plan(env) {
  const warnings = [];
  const bad = (name, message) => warnings.push({ name, message });
  return { plan: planFromEnv(readConfig(env, KNOWN, bad)), warnings };
}

test('the plan of the environment: one batch processor per OTLP exporter, console ones simple, the sampler as a tree', () => {
  const { plan: p, warnings } = plan({
    OTEL_TRACES_EXPORTER: 'otlp,console',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'console',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.5',
    OTEL_BSP_SCHEDULE_DELAY: '250',
    OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100',
    OTEL_SPAN_EVENT_COUNT_LIMIT: '7',
    OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT: '3',
    OTEL_PROPAGATORS: 'b3',
  });
  assert.deepEqual(warnings, []);
  const otlp = { signal: 'traces', protocol: 'http/protobuf', url: 'http://localhost:4318/v1/traces', headers: {}, timeoutMillis: 10000, compression: 'none' };
  const batch = { maxQueueSize: undefined, maxExportBatchSize: undefined, scheduledDelayMillis: 250, exportTimeoutMillis: undefined };
  assert.deepEqual(p.traces, {
    processors: [
      { type: 'batch', exporter: { kind: 'otlp', otlp }, batch },
      { type: 'simple', exporter: { kind: 'console' }, batch },
    ],
    sampler: { type: 'parent_based', root: { type: 'trace_id_ratio_based', ratio: 0.5 } },
    limits: {
      attributeCountLimit: undefined,
      attributeValueLengthLimit: 100,
      eventCountLimit: 7,
      linkCountLimit: undefined,
      attributePerEventCountLimit: undefined,
      attributePerLinkCountLimit: 3,
    },
  });
  assert.equal(p.metrics, undefined);
  assert.deepEqual(p.logs.processors.map((x) => [x.type, x.exporter.kind]), [['simple', 'console']]);
  assert.deepEqual(p.logs.limits, { attributeCountLimit: undefined, attributeValueLengthLimit: 100 });
  assert.deepEqual(p.propagators, ['b3']);
  assert.deepEqual(p.resource, { detectors: ['host', 'os', 'process', 'serviceinstance', 'env'], attributes: {} });
});

test('the plan of the environment: the MCP settings are read with the rest (OTEL_INSTRUMENTATION_MCP_*)', () => {
  assert.deepEqual(plan({}).plan.mcp, { excludedMethods: [], metricsResourceUri: false, selfTracedServers: 'merge', captureEndUser: true, capturePeerIdentity: true, enrichToolSpans: true, captureMessageContent: false, contentMaxLength: 8192, traceStdioServers: false, stdioServersExporterHeaders: false, captureContentSizes: false, semconvStabilityOptIn: '' });
  const { plan: p } = plan({
    OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS: 'ping, notifications/progress',
    OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI: 'TRUE',
    OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS: ' Keep',
    OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER: 'FALSE',
    OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY: 'false',
    OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS: 'false',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'span_only',
    OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH: '500',
    OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
    OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS: 'TRUE',
    OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'True',
    OTEL_SEMCONV_STABILITY_OPT_IN: 'http, rpc/dup',
  });
  assert.deepEqual(p.mcp, {
    excludedMethods: ['ping', 'notifications/progress'],
    metricsResourceUri: true,
    selfTracedServers: 'keep',
    captureEndUser: false,
    capturePeerIdentity: false,
    enrichToolSpans: false,
    captureMessageContent: true,
    contentMaxLength: 500,
    traceStdioServers: true,
    stdioServersExporterHeaders: true,
    captureContentSizes: true,
    semconvStabilityOptIn: 'http, rpc/dup',
  });
  // The GenAI switch: true/false in any case, and the modes: only those with spans record content here.
  const modes = { true: true, TRUE: true, false: false, NO_CONTENT: false, SPAN_ONLY: true, EVENT_ONLY: false, SPAN_AND_EVENT: true };
  for (const [value, on] of Object.entries(modes)) assert.equal(plan({ OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: value }).plan.mcp.captureMessageContent, on, value);
  const { plan: q, warnings } = plan({
    OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS: 'both',
    OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER: 'nope',
    OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY: 'maybe',
    OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'everything',
    OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH: '0',
  });
  assert.equal(q.mcp.selfTracedServers, 'merge');
  assert.equal(q.mcp.captureEndUser, true);
  assert.equal(q.mcp.capturePeerIdentity, true);
  assert.equal(q.mcp.captureMessageContent, false);
  assert.equal(q.mcp.contentMaxLength, 8192);
  assert.deepEqual(warnings, [
    { name: 'OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS', message: 'unknown mode "both"; using merge (expected merge or keep)' },
    { name: 'OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER', message: 'unknown value "nope"; using true (expected true or false)' },
    { name: 'OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY', message: 'unknown value "maybe"; using true (expected true or false)' },
    { name: 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT', message: 'unknown value "everything"; no content is recorded (expected true, false, NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT)' },
    { name: 'OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH', message: '"0" is not a positive whole number; using the default' },
  ]);
});

test('the plan of the environment: default propagators; jaeger, gone from OpenTelemetry JS 3.x, is reported and ignored', () => {
  assert.deepEqual(plan({}).plan.propagators, ['tracecontext', 'baggage']);
  const { plan: p, warnings } = plan({ OTEL_PROPAGATORS: 'tracecontext,jaeger' });
  assert.deepEqual(p.propagators, ['tracecontext']);
  assert.deepEqual(warnings, [{ name: 'OTEL_PROPAGATORS', message: '"jaeger" is no longer in OpenTelemetry JS (deprecated upstream) and is ignored' }]);
});

test('the batch and limit variables of a signal that is off are not read, nor warned about', () => {
  const off = read({ OTEL_TRACES_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_BSP_SCHEDULE_DELAY: 'soon', OTEL_BLRP_MAX_QUEUE_SIZE: 'x' });
  assert.deepEqual(off.warnings, []);
  assert.deepEqual([off.config.spanBatch, off.config.logBatch, off.config.spanLimits, off.config.logLimits], [{}, {}, {}, {}]);
  const on = read({ OTEL_BSP_SCHEDULE_DELAY: 'soon' });
  assert.deepEqual(on.warnings, [{ name: 'OTEL_BSP_SCHEDULE_DELAY', message: '"soon" is not a positive whole number; using the default' }]);
  // The general limit is read only where no specific one is set.
  const specific = read({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '5', OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '6', OTEL_ATTRIBUTE_COUNT_LIMIT: 'lots' });
  assert.deepEqual(specific.warnings, []);
  assert.deepEqual([specific.config.spanLimits.attributeCountLimit, specific.config.logLimits.attributeCountLimit], [5, 6]);
});

test('OTEL_LOG_LEVEL: any case; a bad value is echoed as given', () => {
  const { readLogLevel } = require('../../dist/distro/config.js');
  const said = [];
  assert.equal(readLogLevel({ OTEL_LOG_LEVEL: 'DEBUG' }, () => {}), 'debug');
  assert.equal(readLogLevel({ OTEL_LOG_LEVEL: 'Loud' }, (name, message) => said.push(`${name}: ${message}`)), 'warn');
  assert.deepEqual(said, ['OTEL_LOG_LEVEL: unknown level "Loud"; using warn (expected none, error, warn, info, debug, verbose or all)']);
});

test('OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: off by default, true/false in any case, a bad value warned about once', () => {
  assert.equal(plan({}).plan.mcp.captureContentSizes, false);
  assert.equal(plan({ OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'TRUE' }).plan.mcp.captureContentSizes, true);
  assert.equal(plan({ OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'false' }).plan.mcp.captureContentSizes, false);
  const { plan: p, warnings } = plan({ OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'sizes' });
  assert.equal(p.mcp.captureContentSizes, false);
  assert.deepEqual(warnings, [
    { name: 'OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES', message: 'unknown value "sizes"; using false (expected true or false)' },
  ]);
  // Independent of content capture.
  const both = plan({ OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'true', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'false' }).plan.mcp;
  assert.deepEqual([both.captureContentSizes, both.captureMessageContent], [true, false]);
});

test('with no endpoint set, spans are batched every 500 ms (the local view or collector); any endpoint or delay set keeps the rest', () => {
  const delay = (env) => read(env).config.spanBatch.scheduledDelayMillis;
  assert.equal(delay({}), 500);
  assert.equal(delay({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), undefined);
  assert.equal(delay({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), undefined);
  assert.equal(delay({ OTEL_BSP_SCHEDULE_DELAY: '2000' }), 2000);
  assert.equal(delay({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), undefined);
  assert.equal(delay({ OTEL_TRACES_EXPORTER: 'console' }), undefined);
  assert.deepEqual(read({ OTEL_TRACES_EXPORTER: 'none' }).config.spanBatch, {});
});
