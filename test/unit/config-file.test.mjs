// Unit tests of OTEL_CONFIG_FILE: a declarative configuration file read by upstream's @opentelemetry/configuration
// and turned into the distribution's telemetry plan; what cannot be used gives a reason, what is left out a warning.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.mjs';

const require = createRequire(import.meta.url);
const { readConfigFile } = require('../../dist/distro/config-file.js');
const { DiagLogLevel } = require('@opentelemetry/api');

const DIR = join(ROOT, '.test-work', `config-files-${process.pid}`);
mkdirSync(DIR, { recursive: true });
after(() => rmSync(DIR, { recursive: true, force: true }));

const NAMES = { enabled: undefined, disabled: [] };
let count = 0;

/** Writes `text` to a file, reads it as OTEL_CONFIG_FILE with `vars` set, and gives the result and the warnings. */
function read(text, vars = {}) {
  const file = join(DIR, `config-${++count}.yaml`);
  writeFileSync(file, text);
  const saved = { ...process.env };
  Object.assign(process.env, { OTEL_CONFIG_FILE: file }, vars);
  const warnings = [];
  try {
    const source = { path: file, serviceName: process.env.OTEL_SERVICE_NAME };
    return { file, result: readConfigFile(source, (m) => warnings.push(m), NAMES), warnings };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const otlp = (signal, extra = {}) => ({
  signal,
  protocol: 'http/protobuf',
  url: `http://localhost:4318/v1/${signal}`,
  headers: {},
  timeoutMillis: 10000,
  compression: 'none',
  isolated: true,
  ...extra,
});
const NO_BATCH = { maxQueueSize: undefined, maxExportBatchSize: undefined, scheduledDelayMillis: undefined, exportTimeoutMillis: undefined };

test('a full file: every section becomes the plan, with ${VAR} and ${VAR:-default} substituted', () => {
  const { result, warnings } = read(
    `file_format: "1.0"
log_level: debug
attribute_limits:
  attribute_value_length_limit: 4096
  attribute_count_limit: 64
resource:
  schema_url: https://opentelemetry.io/schemas/1.37.0
  attributes_list: team=mcp%20tools,service.name=from-the-list
  attributes:
    - name: service.name
      value: \${SERVICE:-fallback-service}
    - name: deployment.replicas
      value: 3
      type: int
    - name: regions
      value: [eu, us]
      type: string_array
  detection/development:
    detectors:
      - host:
      - process:
propagator:
  composite:
    - tracecontext:
    - b3multi:
  composite_list: baggage,tracecontext
tracer_provider:
  sampler:
    parent_based:
      root:
        trace_id_ratio_based:
          ratio: 0.25
      remote_parent_not_sampled:
        always_off:
  limits:
    attribute_count_limit: 32
    event_count_limit: 10
    link_count_limit: 5
  processors:
    - batch:
        schedule_delay: 200
        max_queue_size: 100
        max_export_batch_size: 50
        export_timeout: 3000
        exporter:
          otlp_http:
            endpoint: \${COLLECTOR}/v1/traces
            encoding: json
            compression: gzip
            timeout: 500
            headers_list: x-team=blue,x-both=from-list
            headers:
              - name: x-both
                value: from-headers
    - simple:
        exporter:
          console:
meter_provider:
  readers:
    - periodic:
        interval: 1000
        timeout: 500
        exporter:
          otlp_grpc:
            endpoint: http://127.0.0.1:4317
            temporality_preference: delta
logger_provider:
  limits:
    attribute_count_limit: 16
  processors:
    - batch:
        exporter:
          otlp_http: {}
instrumentation/development:
  js:
    mcp:
      excluded_methods: [ping, notifications/progress]
      metrics_resource_uri: true
      self_traced_servers: keep
      capture_enduser: false
      capture_peer_identity: false
      enrich_tool_spans: false
      capture_message_content: SPAN_AND_EVENT
      content_max_length: 100
      trace_stdio_servers: true
      stdio_servers_exporter_headers: true
      capture_content_sizes: true
`,
    { COLLECTOR: 'http://127.0.0.1:9999' },
  );
  assert.deepEqual(warnings, []);
  assert.equal(result.kind, 'plan');
  assert.equal(result.logLevel, DiagLogLevel.DEBUG);
  assert.deepEqual(result.plan, {
    propagators: ['tracecontext', 'b3multi', 'baggage'],
    resource: {
      detectors: ['host', 'os', 'process'],
      // attributes win over attributes_list
      attributes: { team: 'mcp tools', 'service.name': 'fallback-service', 'deployment.replicas': 3, regions: ['eu', 'us'] },
      schemaUrl: 'https://opentelemetry.io/schemas/1.37.0',
    },
    mcp: {
      excludedMethods: ['ping', 'notifications/progress'],
      metricsResourceUri: true,
      selfTracedServers: 'keep',
      captureEndUser: false,
      capturePeerIdentity: false,
      enrichToolSpans: false,
      captureMessageContent: true,
      contentMaxLength: 100,
      traceStdioServers: true,
      stdioServersExporterHeaders: true,
      captureContentSizes: true,
      semconvStabilityOptIn: '',
    },
    enabledInstrumentations: undefined,
    disabledInstrumentations: [],
    flushTimeoutMillis: 2000,
    traces: {
      processors: [
        {
          type: 'batch',
          exporter: {
            kind: 'otlp',
            otlp: otlp('traces', {
              protocol: 'http/json',
              url: 'http://127.0.0.1:9999/v1/traces',
              headers: { 'x-team': 'blue', 'x-both': 'from-headers' },
              timeoutMillis: 500,
              compression: 'gzip',
            }),
          },
          batch: { maxQueueSize: 100, maxExportBatchSize: 50, scheduledDelayMillis: 200, exportTimeoutMillis: 3000 },
        },
        { type: 'simple', exporter: { kind: 'console' }, batch: NO_BATCH },
      ],
      sampler: {
        type: 'parent_based',
        root: { type: 'trace_id_ratio_based', ratio: 0.25 },
        remoteParentSampled: undefined,
        remoteParentNotSampled: { type: 'always_off' },
        localParentSampled: undefined,
        localParentNotSampled: undefined,
      },
      limits: {
        attributeValueLengthLimit: 4096,
        attributeCountLimit: 32,
        eventCountLimit: 10,
        linkCountLimit: 5,
        attributePerEventCountLimit: undefined,
        attributePerLinkCountLimit: undefined,
      },
    },
    metrics: {
      readers: [
        {
          exporter: { kind: 'otlp', otlp: otlp('metrics', { protocol: 'grpc', url: 'http://127.0.0.1:4317' }) },
          intervalMillis: 1000,
          timeoutMillis: 500,
          temporality: 'delta',
        },
      ],
    },
    logs: {
      processors: [{ type: 'batch', exporter: { kind: 'otlp', otlp: otlp('logs') }, batch: NO_BATCH }],
      limits: { attributeValueLengthLimit: 4096, attributeCountLimit: 16 },
    },
  });
});

test('a set variable wins over the default; $$ is a literal dollar; file_format 1.1 is read like 1.0', () => {
  const { result } = read(
    `file_format: "1.1"
resource:
  attributes:
    - name: service.name
      value: \${SERVICE:-fallback-service}
    - name: price
      value: $$5
`,
    { SERVICE: 'from-the-environment' },
  );
  assert.equal(result.kind, 'plan');
  assert.deepEqual(result.plan.resource.attributes, { 'service.name': 'from-the-environment', price: '$5' });
});

test('a file with only file_format: no providers, no propagator, the SDK resource, info level, MCP defaults', () => {
  const { result, warnings } = read('file_format: "1.0"\n');
  assert.deepEqual(warnings, []);
  assert.equal(result.kind, 'plan');
  assert.equal(result.logLevel, DiagLogLevel.INFO);
  assert.deepEqual(result.plan, {
    propagators: [],
    resource: { detectors: [], attributes: {} },
    mcp: { excludedMethods: [], metricsResourceUri: false, selfTracedServers: 'merge', captureEndUser: true, capturePeerIdentity: true, enrichToolSpans: true, captureMessageContent: false, contentMaxLength: 8192, traceStdioServers: false, stdioServersExporterHeaders: false, captureContentSizes: false, semconvStabilityOptIn: '' },
    enabledInstrumentations: undefined,
    disabledInstrumentations: [],
    flushTimeoutMillis: 2000,
  });
});

test('log_level: the severity names map to diag levels', () => {
  for (const [name, level] of [
    ['trace', DiagLogLevel.ALL],
    ['trace2', DiagLogLevel.VERBOSE],
    ['debug', DiagLogLevel.DEBUG],
    ['info3', DiagLogLevel.INFO],
    ['warn', DiagLogLevel.WARN],
    ['error', DiagLogLevel.ERROR],
    ['fatal', DiagLogLevel.NONE],
  ]) {
    assert.equal(read(`file_format: "1.0"\nlog_level: ${name}\n`).result.logLevel, level, name);
  }
});

test('disabled: true is no telemetry', () => {
  assert.deepEqual(read('file_format: "1.0"\ndisabled: true\ntracer_provider:\n  processors:\n    - simple:\n        exporter:\n          console:\n').result, {
    kind: 'disabled',
  });
});

test('files that cannot be used: missing, not YAML, not a configuration, invalid against the schema, a newer major format', () => {
  const unusable = (text, vars) => {
    const { file, result } = read(text, vars);
    assert.equal(result.kind, 'unusable', JSON.stringify(result));
    assert.doesNotMatch(result.reason, /\n/);
    return { file, reason: result.reason };
  };
  const missing = join(DIR, 'nowhere.yaml');
  {
    const saved = process.env.OTEL_CONFIG_FILE;
    process.env.OTEL_CONFIG_FILE = missing;
    try {
      const source = { path: missing, serviceName: undefined };
      assert.deepEqual(readConfigFile(source, () => {}, NAMES), { kind: 'unusable', reason: `${missing} does not exist` });
    } finally {
      if (saved === undefined) delete process.env.OTEL_CONFIG_FILE;
      else process.env.OTEL_CONFIG_FILE = saved;
    }
  }
  const notYaml = unusable('file_format: "1.0"\ntracer_provider:\n  processors: [\n');
  assert.match(notYaml.reason, new RegExp(`^${notYaml.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid YAML: `));
  const text = unusable('just some words\n');
  assert.match(text.reason, /Unsupported file_format: "undefined"/);
  const invalid = unusable('file_format: "1.0"\ntracer_provider:\n  processors: []\n');
  assert.match(invalid.reason, /Invalid OpenTelemetry config file: .*\/tracer_provider\/processors must NOT have fewer than 1 items/);
  const wrongType = unusable('file_format: "1.0"\ndisabled: "sometimes"\n');
  assert.match(wrongType.reason, /\/disabled must be boolean/);
  const major = unusable('file_format: "2.0"\n');
  assert.match(major.reason, /Unsupported file_format: "2.0"\. This SDK supports schema version 1\.x\./);
});

test('what this distribution cannot do is left out with one warning each; the rest of the file applies', () => {
  const { result, warnings } = read(`file_format: "1.0"
propagator:
  composite_list: tracecontext,xray
tracer_provider:
  sampler:
    jaeger_remote:
      endpoint: http://127.0.0.1:14250
  processors:
    - batch:
        exporter:
          zipkin:
            endpoint: http://127.0.0.1:9411/api/v2/spans
    - batch:
        exporter:
          otlp_http:
            endpoint: http://127.0.0.1:4318/v1/traces
            tls:
              ca_file: /etc/ca.pem
meter_provider:
  views:
    - selector:
        instrument_name: mcp.client.operation.duration
      stream:
        aggregation:
          drop:
  readers:
    - pull:
        exporter:
          prometheus/development:
            port: 9464
resource:
  detection/development:
    detectors:
      - container:
      - service:
instrumentation/development:
  js:
    mcp:
      excluded_methods: ping
      metrics_resource_uri: "yes"
      self_traced_servers: both
      capture_enduser: "no"
      capture_message_content: maybe
      content_max_length: -1
`);
  assert.equal(result.kind, 'plan');
  assert.deepEqual(warnings, [
    'propagator: "xray" is not supported by @x/mcp-otel (tracecontext, baggage, b3, b3multi are); left out',
    'instrumentation/development.js.mcp.excluded_methods: not a list of method names; no method is excluded',
    'instrumentation/development.js.mcp.metrics_resource_uri: not true or false; using false',
    'instrumentation/development.js.mcp.capture_enduser: not true or false; using true',
    'instrumentation/development.js.mcp.capture_message_content: not true, false or one of NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT; no content is recorded',
    'instrumentation/development.js.mcp.content_max_length: not a positive whole number; using 8192',
    'instrumentation/development.js.mcp.self_traced_servers: not one of merge, keep; using merge',
    'tracer_provider.processors[0].batch.exporter: the "zipkin" exporter is not supported by @x/mcp-otel (otlp_http, otlp_grpc and console are); left out',
    "tracer_provider.processors[1].batch.exporter.otlp_http.tls: TLS files are not supported in a configuration file yet; the exporter uses the system's CAs",
    'tracer_provider.sampler: the "jaeger_remote" sampler is not supported by @x/mcp-otel; using parent_based with an always_on root',
    'meter_provider: "views" is not supported by @x/mcp-otel; left out',
    'meter_provider.readers[0]: the "pull" metric reader is not supported by @x/mcp-otel (periodic is); left out',
  ]);
  assert.deepEqual(result.plan.propagators, ['tracecontext']);
  assert.deepEqual(result.plan.resource.detectors, ['container', 'serviceinstance']);
  assert.deepEqual(result.plan.traces.processors.map((p) => p.exporter.otlp.url), ['http://127.0.0.1:4318/v1/traces']);
  assert.deepEqual(result.plan.traces.sampler, { type: 'parent_based', root: { type: 'always_on' } });
  assert.deepEqual(result.plan.metrics.readers, []);
  assert.deepEqual(result.plan.mcp, { excludedMethods: [], metricsResourceUri: false, selfTracedServers: 'merge', captureEndUser: true, capturePeerIdentity: true, enrichToolSpans: true, captureMessageContent: false, contentMaxLength: 8192, traceStdioServers: false, stdioServersExporterHeaders: false, captureContentSizes: false, semconvStabilityOptIn: '' });
});

test('the service detector takes service.name from OTEL_SERVICE_NAME; the file\'s own attribute wins over it', () => {
  const detectOnly = 'file_format: "1.0"\nresource:\n  detection/development:\n    detectors:\n      - service:\n';
  assert.deepEqual(read(detectOnly, { OTEL_SERVICE_NAME: 'from-env' }).result.plan.resource.attributes, { 'service.name': 'from-env' });
  const withOwn = `${detectOnly}  attributes:\n    - name: service.name\n      value: from-file\n`;
  assert.deepEqual(read(withOwn, { OTEL_SERVICE_NAME: 'from-env' }).result.plan.resource.attributes, { 'service.name': 'from-file' });
});

test('settings the distribution does not apply are named, each object once; values it replaces are said with the value used', () => {
  const { result, warnings } = read(`file_format: "1.0"
distribution:
  acme:
    x: 1
resource:
  detection/development:
    attributes:
      excluded: [process.command_args]
tracer_provider:
  id_generator:
    random:
  processors:
    - batch:
        export_timeout: 0
        exporter:
          otlp_grpc:
            timeout: 0
meter_provider:
  exemplar_filter: always_on
  readers:
    - periodic:
        interval: 1000
        timeout: 5000
        cardinality_limits:
          default: 100
        exporter:
          otlp_http:
            default_histogram_aggregation: base2_exponential_bucket_histogram
instrumentation/development:
  general:
    http:
      client:
        request_captured_headers: [x-a]
  js:
    http:
      enabled: false
    mcp:
      capture_everything: true
  python:
    flask: {}
`);
  assert.equal(result.kind, 'plan');
  assert.deepEqual(warnings, [
    'the file: "distribution" is not supported by @x/mcp-otel; left out',
    'resource.detection/development: "attributes" is not supported by @x/mcp-otel; left out',
    'instrumentation/development.general: "http" is not supported by @x/mcp-otel; left out',
    'instrumentation/development.js.http: only the "mcp" section is read by @x/mcp-otel; left out',
    'instrumentation/development.js.mcp: "capture_everything" is not supported by @x/mcp-otel; left out',
    'tracer_provider: "id_generator" is not supported by @x/mcp-otel; left out',
    'tracer_provider.processors[0].batch.exporter.otlp_grpc.timeout: 0 (no limit) is not supported by @x/mcp-otel; using 10000',
    'tracer_provider.processors[0].batch.export_timeout: 0 (no limit) is not supported by @x/mcp-otel; using 30000',
    'meter_provider: "exemplar_filter" is not supported by @x/mcp-otel; left out',
    'meter_provider.readers[0].periodic: "cardinality_limits" is not supported by @x/mcp-otel; left out',
    'meter_provider.readers[0].periodic.exporter.otlp_http: "default_histogram_aggregation" is not supported by @x/mcp-otel; left out',
    'meter_provider.readers[0].periodic.timeout: 5000 is longer than the interval; using the interval, 1000',
  ]);
  const [processor] = result.plan.traces.processors;
  // gRPC without an endpoint: the schema's default, given to the exporter so that it does not look in the environment.
  assert.deepEqual(processor.exporter.otlp, otlp('traces', { protocol: 'grpc', url: 'http://localhost:4317' }));
  assert.equal(processor.batch.exportTimeoutMillis, 30000);
  assert.deepEqual(result.plan.metrics.readers.map((r) => [r.intervalMillis, r.timeoutMillis]), [[1000, 1000]]);
});

test("the README's example file is read as it says: no warning, MCP settings taken, spans joined by tracecontext", async () => {
  const { readFileSync } = await import('node:fs');
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = /```yaml\n([\s\S]*?)```/.exec(readme)[1];
  const { result, warnings } = read(example, { COLLECTOR: 'http://127.0.0.1:4318' });
  assert.deepEqual(warnings, []);
  assert.equal(result.kind, 'plan');
  assert.equal(result.logLevel, DiagLogLevel.WARN);
  assert.deepEqual(result.plan.propagators, ['tracecontext', 'baggage']);
  assert.deepEqual(result.plan.mcp, { excludedMethods: ['ping', 'notifications/progress'], metricsResourceUri: false, selfTracedServers: 'merge', captureEndUser: true, capturePeerIdentity: true, enrichToolSpans: true, captureMessageContent: false, contentMaxLength: 8192, traceStdioServers: false, stdioServersExporterHeaders: false, captureContentSizes: false, semconvStabilityOptIn: '' });
  assert.deepEqual(
    [result.plan.traces, result.plan.logs].map((p) => p.processors[0].exporter.otlp.url).concat(result.plan.metrics.readers[0].exporter.otlp.url),
    ['http://127.0.0.1:4318/v1/traces', 'http://127.0.0.1:4318/v1/logs', 'http://127.0.0.1:4318/v1/metrics'],
  );
});

test('instrumentation/development.js.mcp.capture_content_sizes: off by default, a boolean, anything else warned about once', () => {
  const file = (value) => `file_format: "1.0"\ninstrumentation/development:\n  js:\n    mcp:\n      capture_content_sizes: ${value}\n`;
  assert.equal(read('file_format: "1.0"\n').result.plan.mcp.captureContentSizes, false);
  assert.equal(read(file('true')).result.plan.mcp.captureContentSizes, true);
  const { result, warnings } = read(file('"yes"'));
  assert.equal(result.plan.mcp.captureContentSizes, false);
  assert.deepEqual(warnings, ['instrumentation/development.js.mcp.capture_content_sizes: not true or false; using false']);
});
