/**
 * Reads the OTEL_* environment once, validates every value, and turns it into a typed configuration: the only reader
 * of the environment in the distribution (through env.ts's readers, and the MCP settings' table of the instrumentation,
 * instrumentation/settings.ts, with the same warning format). A bad value gives one warning line that names
 * the variable, and the default is used instead: the app always runs on. Each set of accepted values is one table,
 * and its type is derived from it.
 */
import { choices, knownNames, list, oneOf, parseKeyValueList, positiveInteger, text } from './env';
import type { BadVariable } from './env';
import type { BatchOptions, LogLimitsPlan, McpPlan, SpanLimitsPlan } from './shapes';
import { settingsFromEnv } from '../instrumentation/settings';

export type { BadVariable } from './env';
export { parseKeyValueList, positiveInteger } from './env';

export const SIGNALS = ['traces', 'metrics', 'logs'] as const;
export type Signal = (typeof SIGNALS)[number];
export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];
const EXPORTERS = ['otlp', 'console'] as const;
export type ExporterName = (typeof EXPORTERS)[number];
const COMPRESSIONS = ['gzip', 'none'] as const;
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
const TEMPORALITIES = ['cumulative', 'delta', 'lowmemory'] as const;
export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
export const PROPAGATORS = ['tracecontext', 'baggage', 'b3', 'b3multi', 'none'] as const;
export const RESOURCE_DETECTORS = [
  'env',
  'host',
  'os',
  'process',
  'serviceinstance',
  'container',
  'alibaba',
  'aws',
  'azure',
  'gcp',
] as const;

/** Where and how one OTLP exporter sends. */
export interface OtlpSettings {
  signal: Signal;
  protocol: OtlpProtocol;
  /** Full URL for the HTTP protocols; for grpc, the endpoint given by the user, if any. */
  url: string | undefined;
  headers: Record<string, string>;
  timeoutMillis: number;
  compression: (typeof COMPRESSIONS)[number];
  /**
   * From a configuration file, which is the whole configuration: the exporter is built with the OTEL_EXPORTER_OTLP_*
   * variables out of sight (upstream's exporters would fill what the file leaves out from them).
   */
  isolated?: boolean;
}

/** A signal as the environment configures it: its exporters, and the settings its OTLP exporter has. */
export interface SignalConfig extends OtlpSettings {
  /** Empty when the signal is turned off (`none`). */
  exporters: ExporterName[];
}

export interface SamplerConfig {
  name: (typeof SAMPLERS)[number];
  ratio: number;
}

export interface DistroConfig {
  traces: SignalConfig;
  metrics: SignalConfig;
  logs: SignalConfig;
  metricExportIntervalMillis: number;
  metricExportTimeoutMillis: number;
  metricTemporality: (typeof TEMPORALITIES)[number];
  sampler: SamplerConfig;
  /** undefined: the default (tracecontext, baggage); empty: none. */
  propagators: string[] | undefined;
  resourceDetectors: string[];
  /** From OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME; the bad entries left out, the good ones kept. */
  resourceAttributes: Record<string, string>;
  enabledInstrumentations: string[] | undefined;
  disabledInstrumentations: string[];
  /** The bound on every flush at shutdown. */
  flushTimeoutMillis: number;
  /** OTEL_BSP_* and OTEL_BLRP_*: the span and log record batch processors. */
  spanBatch: BatchOptions;
  logBatch: BatchOptions;
  /** OTEL_SPAN_*_LIMIT, OTEL_LOGRECORD_*_LIMIT and OTEL_ATTRIBUTE_*_LIMIT. */
  spanLimits: SpanLimitsPlan;
  logLimits: LogLimitsPlan;
  /** OTEL_INSTRUMENTATION_MCP_*, as the MCP instrumentation reads them. */
  mcp: McpPlan;
}

export const DEFAULT_TIMEOUT_MILLIS = 10_000;
/**
 * A flush at exit never waits longer than this, whatever OTEL_EXPORTER_OTLP_TIMEOUT says: a desktop MCP host sends
 * SIGTERM 2 s after closing a stdio server's stdin, and a healthy collector answers in milliseconds.
 */
export const FLUSH_TIMEOUT_CAP_MILLIS = 2_000;
const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };
/** No cloud metadata probes by default: they cost startup time and print warnings off the cloud. */
export const DEFAULT_RESOURCE_DETECTORS = ['host', 'os', 'process', 'serviceinstance', 'env'];

function signalVar(signal: Signal, suffix: string): string {
  return `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${suffix}`;
}

function readExporters(env: NodeJS.ProcessEnv, signal: Signal, bad: BadVariable): ExporterName[] {
  const name = `OTEL_${signal.toUpperCase()}_EXPORTER`;
  const values = list(env, name);
  if (values === undefined) return ['otlp'];
  const chosen: ExporterName[] = [];
  let none = false;
  for (const v of values) {
    if ((EXPORTERS as readonly string[]).includes(v)) chosen.push(v as ExporterName);
    else if (v === 'none') none = true;
    else bad(name, `unknown exporter "${v}" ignored (expected ${choices([...EXPORTERS, 'none'])})`);
  }
  if (none) {
    if (chosen.length > 0) bad(name, `"none" is combined with other exporters; ${signal} are turned off`);
    return [];
  }
  // Only unknown names: fall back to the default rather than silently dropping the signal.
  return chosen.length > 0 ? chosen : ['otlp'];
}

/** The signal's own OTEL_EXPORTER_OTLP_{SIGNAL}_{SUFFIX}, then the general OTEL_EXPORTER_OTLP_{SUFFIX}. */
function signalThenGeneral(signal: Signal, suffix: string): string[] {
  return [signalVar(signal, suffix), `OTEL_EXPORTER_OTLP_${suffix}`];
}

function validUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function readUrl(env: NodeJS.ProcessEnv, signal: Signal, protocol: OtlpProtocol, bad: BadVariable): string | undefined {
  const specificName = signalVar(signal, 'ENDPOINT');
  const specific = text(env, specificName);
  if (specific !== undefined) {
    // A signal-specific endpoint is used as given.
    if (validUrl(specific)) return specific;
    bad(specificName, `"${specific}" is not an http(s) URL; using the default endpoint`);
  }
  const generic = text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  let base: string | undefined;
  if (generic !== undefined) {
    if (validUrl(generic)) base = generic;
    else bad('OTEL_EXPORTER_OTLP_ENDPOINT', `"${generic}" is not an http(s) URL; using the default endpoint`);
  }
  if (protocol === 'grpc') return base;
  base ??= 'http://localhost:4318/';
  // The generic endpoint gets the signal path appended.
  return (base.endsWith('/') ? base : base + '/') + SIGNAL_PATHS[signal];
}

const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function readHeaders(env: NodeJS.ProcessEnv, name: string, bad: BadVariable): Record<string, string> {
  return parseKeyValueList(text(env, name), name, bad, (key) => HTTP_TOKEN.test(key));
}

/** The general OTEL_EXPORTER_OTLP_* values, read once and shared by the three signals. */
interface GeneralExportValues {
  headers: Record<string, string>;
  timeoutMillis: number | undefined;
}

function readSignal(
  env: NodeJS.ProcessEnv,
  signal: Signal,
  general: GeneralExportValues,
  bad: BadVariable,
): SignalConfig {
  const protocol = oneOf(env, signalThenGeneral(signal, 'PROTOCOL'), PROTOCOLS, 'http/protobuf', 'protocol', bad);
  const headerName = signalVar(signal, 'HEADERS');
  return {
    signal,
    exporters: readExporters(env, signal, bad),
    protocol,
    url: readUrl(env, signal, protocol, bad),
    headers: { ...general.headers, ...readHeaders(env, headerName, bad) },
    timeoutMillis:
      positiveInteger(env, signalVar(signal, 'TIMEOUT'), bad) ?? general.timeoutMillis ?? DEFAULT_TIMEOUT_MILLIS,
    compression: oneOf(env, signalThenGeneral(signal, 'COMPRESSION'), COMPRESSIONS, 'none', 'compression', bad),
  };
}

function readSampler(env: NodeJS.ProcessEnv, bad: BadVariable): SamplerConfig {
  const name = oneOf(env, ['OTEL_TRACES_SAMPLER'], SAMPLERS, 'parentbased_always_on', 'sampler', bad);
  let ratio = 1;
  const rawArg = text(env, 'OTEL_TRACES_SAMPLER_ARG');
  if (rawArg !== undefined) {
    const n = Number(rawArg);
    if (!Number.isFinite(n) || n < 0 || n > 1)
      bad('OTEL_TRACES_SAMPLER_ARG', `"${rawArg}" is not a number from 0 to 1; using 1`);
    else ratio = n;
  }
  return { name, ratio };
}

function readTemporality(env: NodeJS.ProcessEnv, bad: BadVariable): DistroConfig['metricTemporality'] {
  const names = ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'];
  return oneOf(env, names, TEMPORALITIES, 'cumulative', 'preference', bad, (value) => value.toLowerCase());
}

function readPropagators(env: NodeJS.ProcessEnv, bad: BadVariable): string[] | undefined {
  const name = 'OTEL_PROPAGATORS';
  // Upstream's 3.x line dropped the deprecated jaeger propagator: say so rather than "unknown".
  if (list(env, name)?.includes('jaeger'))
    bad(name, '"jaeger" is no longer in OpenTelemetry JS (deprecated upstream) and is ignored');
  const names = knownNames(env, name, PROPAGATORS, bad, ['jaeger']);
  return names?.includes('none') ? [] : names;
}

/**
 * OTEL_LOG_LEVEL, any case; read first and alone, since the diag logger's level decides which of the other warnings
 * are shown.
 */
export function readLogLevel(env: NodeJS.ProcessEnv, bad: BadVariable): LogLevelName {
  return oneOf(env, ['OTEL_LOG_LEVEL'], LOG_LEVELS, 'warn', 'level', bad, (value) => value.toLowerCase());
}

/** What a configuration file needs of the environment: its path, as given, and OTEL_SERVICE_NAME for its detector. */
export interface ConfigFileSource {
  path: string;
  serviceName: string | undefined;
}

/** OTEL_CONFIG_FILE: when set, the file is the whole configuration (config-file.ts). */
export function readConfigFileSource(env: NodeJS.ProcessEnv): ConfigFileSource | undefined {
  // As given, untrimmed: upstream's reader opens that name, so the messages name the same file.
  if (text(env, 'OTEL_CONFIG_FILE') === undefined) return undefined;
  return { path: env.OTEL_CONFIG_FILE!, serviceName: text(env, 'OTEL_SERVICE_NAME') };
}

/** OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS, by the names in `known`. */
export function readInstrumentationNames(
  env: NodeJS.ProcessEnv,
  known: readonly string[],
  bad: BadVariable,
): Pick<DistroConfig, 'enabledInstrumentations' | 'disabledInstrumentations'> {
  return {
    enabledInstrumentations: knownNames(env, 'OTEL_NODE_ENABLED_INSTRUMENTATIONS', known, bad),
    disabledInstrumentations: knownNames(env, 'OTEL_NODE_DISABLED_INSTRUMENTATIONS', known, bad) ?? [],
  };
}

function readResourceDetectors(env: NodeJS.ProcessEnv, bad: BadVariable): string[] {
  const values = knownNames(env, 'OTEL_NODE_RESOURCE_DETECTORS', [...RESOURCE_DETECTORS, 'all', 'none'], bad);
  if (values === undefined) return DEFAULT_RESOURCE_DETECTORS;
  let detectors: string[];
  if (values.includes('all')) detectors = [...RESOURCE_DETECTORS];
  else if (values.includes('none')) detectors = [];
  else detectors = values;
  // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are always honoured, and win over detected values.
  return [...detectors.filter((d) => d !== 'env'), 'env'];
}

/**
 * Reads OTEL_RESOURCE_ATTRIBUTES leniently: a malformed entry is reported and left out, and the others are kept
 * (upstream's env detector drops them all). OTEL_SERVICE_NAME wins over a service.name given there.
 */
function readResourceAttributes(env: NodeJS.ProcessEnv, bad: BadVariable): Record<string, string> {
  const attributes = parseKeyValueList(text(env, 'OTEL_RESOURCE_ATTRIBUTES'), 'OTEL_RESOURCE_ATTRIBUTES', bad);
  const serviceName = text(env, 'OTEL_SERVICE_NAME');
  if (serviceName !== undefined) attributes['service.name'] = serviceName;
  return attributes;
}

/**
 * With no endpoint set, spans go to this machine's port 4318: a collector beside the app or `mcp-otel view`. There a
 * batch every half second costs little, and an operation shows in the view within a second of ending, where the
 * specification's 5 s would leave a new user looking at an empty page. An OTEL_BSP_SCHEDULE_DELAY still wins.
 */
const LOCAL_SPAN_DELAY_MILLIS = 500;

function sendsToLocalDefault(env: NodeJS.ProcessEnv, signal: SignalConfig): boolean {
  return (
    signal.exporters.includes('otlp') &&
    signal.protocol !== 'grpc' &&
    text(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') === undefined &&
    text(env, signalVar(signal.signal, 'ENDPOINT')) === undefined
  );
}

/** The OTEL_BSP_* / OTEL_BLRP_* batch settings. */
function readBatch(env: NodeJS.ProcessEnv, prefix: 'OTEL_BSP' | 'OTEL_BLRP', bad: BadVariable): BatchOptions {
  return {
    maxQueueSize: positiveInteger(env, `${prefix}_MAX_QUEUE_SIZE`, bad),
    maxExportBatchSize: positiveInteger(env, `${prefix}_MAX_EXPORT_BATCH_SIZE`, bad),
    scheduledDelayMillis: positiveInteger(env, `${prefix}_SCHEDULE_DELAY`, bad),
    exportTimeoutMillis: positiveInteger(env, `${prefix}_EXPORT_TIMEOUT`, bad),
  };
}

function readSpanBatch(env: NodeJS.ProcessEnv, traces: SignalConfig, bad: BadVariable): BatchOptions {
  const batch = readBatch(env, 'OTEL_BSP', bad);
  if (sendsToLocalDefault(env, traces)) batch.scheduledDelayMillis ??= LOCAL_SPAN_DELAY_MILLIS;
  return batch;
}

/** OTEL_SPAN_*_LIMIT over OTEL_ATTRIBUTE_*_LIMIT (the general one is read only where no specific one is set). */
function readSpanLimits(env: NodeJS.ProcessEnv, bad: BadVariable): SpanLimitsPlan {
  const n = (name: string) => positiveInteger(env, name, bad);
  return {
    attributeCountLimit: n('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: n('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? n('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: n('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: n('OTEL_SPAN_LINK_COUNT_LIMIT'),
    // The SDK read these two itself up to 2.x; 3.x leaves the environment to its caller.
    attributePerEventCountLimit: n('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: n('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
}

/** OTEL_LOGRECORD_*_LIMIT over OTEL_ATTRIBUTE_*_LIMIT. */
function readLogLimits(env: NodeJS.ProcessEnv, bad: BadVariable): LogLimitsPlan {
  const n = (name: string) => positiveInteger(env, name, bad);
  return {
    attributeCountLimit: n('OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit:
      n('OTEL_LOGRECORD_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? n('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
  };
}

/** Reads the whole configuration. `knownInstrumentations` are the names OTEL_NODE_*_INSTRUMENTATIONS accept. */
export function readConfig(
  env: NodeJS.ProcessEnv,
  knownInstrumentations: readonly string[],
  bad: BadVariable,
): DistroConfig {
  const general: GeneralExportValues = {
    headers: readHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS', bad),
    timeoutMillis: positiveInteger(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', bad),
  };
  const metricExportIntervalMillis = positiveInteger(env, 'OTEL_METRIC_EXPORT_INTERVAL', bad) ?? 60_000;
  const metricExportTimeoutMillis = Math.min(
    positiveInteger(env, 'OTEL_METRIC_EXPORT_TIMEOUT', bad) ?? 30_000,
    metricExportIntervalMillis,
  );
  const traces = readSignal(env, 'traces', general, bad);
  const metrics = readSignal(env, 'metrics', general, bad);
  const logs = readSignal(env, 'logs', general, bad);
  // A signal that is off has no processor: its batch and limit variables are not read (nor warned about).
  const tracesOn = traces.exporters.length > 0;
  const logsOn = logs.exporters.length > 0;
  return {
    traces,
    metrics,
    logs,
    metricExportIntervalMillis,
    metricExportTimeoutMillis,
    metricTemporality: readTemporality(env, bad),
    sampler: readSampler(env, bad),
    propagators: readPropagators(env, bad),
    resourceDetectors: readResourceDetectors(env, bad),
    resourceAttributes: readResourceAttributes(env, bad),
    ...readInstrumentationNames(env, knownInstrumentations, bad),
    flushTimeoutMillis: Math.min(general.timeoutMillis ?? DEFAULT_TIMEOUT_MILLIS, FLUSH_TIMEOUT_CAP_MILLIS),
    spanBatch: tracesOn ? readSpanBatch(env, traces, bad) : {},
    logBatch: logsOn ? readBatch(env, 'OTEL_BLRP', bad) : {},
    spanLimits: tracesOn ? readSpanLimits(env, bad) : {},
    logLimits: logsOn ? readLogLimits(env, bad) : {},
    // The MCP settings, by their table (instrumentation/settings.ts), with the same warnings.
    mcp: settingsFromEnv(env, bad),
  };
}
