/**
 * OTEL_CONFIG_FILE: a declarative configuration file (the OpenTelemetry configuration schema, `file_format` 1.0 and
 * 1.1) is then the whole configuration, as upstream's sdk-node takes it. Upstream's @opentelemetry/configuration
 * reads it (YAML, `${VAR}` / `${VAR:-default}` substitution, the file_format check, validation against the schema);
 * this module turns the model it gives into a telemetry plan, under our rules: console exporters write to stderr,
 * exporters load at their first export, batches are flushed at exit. What the file asks and this distribution cannot
 * do is one warning line each and is left out; a file that cannot be used at all is one error line and no telemetry.
 */
import { readFileSync } from 'node:fs';
import { DiagLogLevel } from '@opentelemetry/api';
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { DEFAULT_TIMEOUT_MILLIS } from './config';
import type { OtlpProtocol, OtlpSettings, Signal } from './config';
import { flushTimeoutFor } from './plan';
import type { ExporterPlan, MetricReaderPlan, MetricTemporality, ProcessorPlan, SamplerPlan, TelemetryPlan } from './plan';
import { requireVia } from './resolve';

/** The parts of @opentelemetry/configuration's model this module reads (the package's own types are wider). */
type Entry = Record<string, unknown>;
interface ConfigModel {
  disabled?: boolean | null;
  log_level?: string | null;
  attribute_limits?: Limits | null;
  tracer_provider?: { processors: Entry[]; limits?: Limits | null; sampler?: Entry | null } & Entry;
  meter_provider?: { readers: Entry[] } & Entry;
  logger_provider?: { processors: Entry[]; limits?: Limits | null } & Entry;
  propagator?: { composite?: Entry[] | null; composite_list?: string | null } | null;
  resource?: {
    attributes?: { name: string; value: unknown }[] | null;
    attributes_list?: string | null;
    schema_url?: string | null;
    'detection/development'?: { detectors?: Entry[] | null } | null;
  } | null;
  'instrumentation/development'?: { js?: { mcp?: Entry | null } | null } | null;
}
interface Limits {
  attribute_value_length_limit?: number | null;
  attribute_count_limit?: number | null;
  event_count_limit?: number | null;
  link_count_limit?: number | null;
  event_attribute_count_limit?: number | null;
  link_attribute_count_limit?: number | null;
}

export type ConfigFileResult =
  | { kind: 'plan'; plan: TelemetryPlan; logLevel: DiagLogLevel }
  | { kind: 'disabled' }
  | { kind: 'unusable'; reason: string };

/** Receives one message per setting of the file that is left out. */
export type FileWarning = (message: string) => void;

/** `log_level` takes the Logs API's severity names; declarative configuration's default is info. */
function diagLevel(name: string | null | undefined): DiagLogLevel {
  if (name === undefined || name === null) return DiagLogLevel.INFO;
  if (name === 'trace') return DiagLogLevel.ALL;
  const family = name.replace(/[234]$/, '');
  const levels: Record<string, DiagLogLevel> = {
    trace: DiagLogLevel.VERBOSE,
    debug: DiagLogLevel.DEBUG,
    info: DiagLogLevel.INFO,
    warn: DiagLogLevel.WARN,
    error: DiagLogLevel.ERROR,
    fatal: DiagLogLevel.NONE,
  };
  return levels[family] ?? DiagLogLevel.INFO;
}

/** The single `name: properties` pair of a schema object such as `{ batch: {...} }` (the schema allows exactly one). */
function only(entry: Entry): [string, Entry] {
  const [name, properties] = Object.entries(entry).find(([, v]) => v !== undefined) ?? ['', undefined];
  return [name, (properties ?? {}) as Entry];
}

const defined = <T>(value: T | null | undefined): T | undefined => (value === null ? undefined : value);

/** `headers` (name/value pairs) over `headers_list` (`a=b,c=d`, percent-encoded), as the schema says. */
function headersOf(properties: Entry): Record<string, string> {
  const headers: Record<string, string> = {};
  const list = properties.headers_list;
  if (typeof list === 'string') {
    for (const pair of list.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      try {
        headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
      } catch {
        // A badly encoded pair is left out, as upstream does.
      }
    }
  }
  for (const { name, value } of (properties.headers as { name: string; value: string | null }[] | undefined) ?? []) {
    if (value !== null) headers[name] = value;
  }
  return headers;
}

const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };

class PlanReader {
  constructor(private readonly warn: FileWarning) {}

  /** The exporter of a processor or reader, or undefined (with a warning) when this distribution has none like it. */
  exporter(signal: Signal, entry: Entry | undefined, where: string): ExporterPlan | undefined {
    const [name, properties] = only(entry ?? {});
    if (name === 'console') return { kind: 'console' };
    if (name !== 'otlp_http' && name !== 'otlp_grpc') {
      this.warn(`${where}: the "${name}" exporter is not supported by @x/mcp-otel (otlp_http, otlp_grpc and console are); left out`);
      return undefined;
    }
    if (properties.tls !== undefined && properties.tls !== null) {
      this.warn(`${where}.${name}.tls: TLS files are not supported in a configuration file yet; the exporter uses the system's CAs`);
    }
    let protocol: OtlpProtocol = 'grpc';
    if (name === 'otlp_http') protocol = properties.encoding === 'json' ? 'http/json' : 'http/protobuf';
    const endpoint = defined(properties.endpoint as string | null | undefined);
    const otlp: OtlpSettings = {
      signal,
      protocol,
      // The schema's defaults: the full signal URL over HTTP, the exporter's own for gRPC.
      url: endpoint ?? (protocol === 'grpc' ? undefined : `http://localhost:4318/${SIGNAL_PATHS[signal]}`),
      headers: headersOf(properties),
      timeoutMillis: defined(properties.timeout as number | null | undefined) || DEFAULT_TIMEOUT_MILLIS,
      compression: properties.compression === 'gzip' ? 'gzip' : 'none',
    };
    return { kind: 'otlp', otlp };
  }

  processors(signal: 'traces' | 'logs', entries: Entry[], where: string): ProcessorPlan[] {
    const plans: ProcessorPlan[] = [];
    entries.forEach((entry, index) => {
      const [type, properties] = only(entry);
      const at = `${where}[${index}]`;
      if (type !== 'batch' && type !== 'simple') {
        this.warn(`${at}: the "${type}" processor is not supported by @x/mcp-otel (batch and simple are); left out`);
        return;
      }
      const exporter = this.exporter(signal, properties.exporter as Entry | undefined, `${at}.${type}.exporter`);
      if (exporter === undefined) return;
      const number = (key: string) => defined(properties[key] as number | null | undefined);
      plans.push({
        // A console exporter writes synchronously: there is nothing to batch.
        type: exporter.kind === 'console' ? 'simple' : type,
        exporter,
        batch: {
          maxQueueSize: number('max_queue_size'),
          maxExportBatchSize: number('max_export_batch_size'),
          scheduledDelayMillis: number('schedule_delay'),
          exportTimeoutMillis: number('export_timeout') || undefined,
        },
      });
    });
    return plans;
  }

  readers(entries: Entry[], where: string): MetricReaderPlan[] {
    const plans: MetricReaderPlan[] = [];
    entries.forEach((entry, index) => {
      const [type, properties] = only(entry);
      const at = `${where}[${index}]`;
      if (type !== 'periodic') {
        this.warn(`${at}: the "${type}" metric reader is not supported by @x/mcp-otel (periodic is); left out`);
        return;
      }
      const exporterEntry = (properties.exporter ?? {}) as Entry;
      const exporter = this.exporter('metrics', exporterEntry, `${at}.periodic.exporter`);
      if (exporter === undefined) return;
      const [, exporterProperties] = only(exporterEntry);
      const preference = exporterProperties.temporality_preference;
      const temporality: MetricTemporality = preference === 'delta' ? 'delta' : preference === 'low_memory' ? 'lowmemory' : 'cumulative';
      const intervalMillis = defined(properties.interval as number | null | undefined) || 60_000;
      const timeoutMillis = defined(properties.timeout as number | null | undefined) || 30_000;
      plans.push({ exporter, intervalMillis, timeoutMillis: Math.min(timeoutMillis, intervalMillis), temporality });
    });
    return plans;
  }

  sampler(entry: Entry | null | undefined, where: string): SamplerPlan | undefined {
    if (entry === undefined || entry === null) return undefined;
    const [name, properties] = only(entry);
    switch (name) {
      case 'always_on':
      case 'always_off':
        return { type: name };
      case 'trace_id_ratio_based':
        return { type: name, ratio: defined(properties.ratio as number | null | undefined) ?? 1 };
      case 'parent_based': {
        const child = (key: string) => this.sampler(properties[key] as Entry | undefined, `${where}.parent_based.${key}`);
        return {
          type: name,
          root: child('root') ?? { type: 'always_on' },
          remoteParentSampled: child('remote_parent_sampled'),
          remoteParentNotSampled: child('remote_parent_not_sampled'),
          localParentSampled: child('local_parent_sampled'),
          localParentNotSampled: child('local_parent_not_sampled'),
        };
      }
      default:
        this.warn(`${where}: the "${name}" sampler is not supported by @x/mcp-otel; using parent_based with an always_on root`);
        return { type: 'parent_based', root: { type: 'always_on' } };
    }
  }

  propagators(model: ConfigModel['propagator']): string[] {
    if (model === undefined || model === null) return [];
    const names: string[] = [];
    for (const entry of model.composite ?? []) names.push(only(entry)[0]);
    for (const name of (model.composite_list ?? '').split(',')) if (name.trim() !== '') names.push(name.trim());
    const unique = [...new Set(names)];
    if (unique.includes('none')) return [];
    return unique.filter((name) => {
      if (['tracecontext', 'baggage', 'b3', 'b3multi'].includes(name)) return true;
      this.warn(`propagator: "${name}" is not supported by @x/mcp-otel (tracecontext, baggage, b3, b3multi are); left out`);
      return false;
    });
  }

  resource(model: ConfigModel['resource'], env: NodeJS.ProcessEnv): TelemetryPlan['resource'] {
    const attributes: Attributes = {};
    const detectors: string[] = [];
    (model?.['detection/development']?.detectors ?? []).forEach((entry, index) => {
      const [name] = only(entry);
      // The schema's detector names, in the detectors of resource.ts.
      const ours: Record<string, string[]> = { container: ['container'], host: ['host', 'os'], process: ['process'], service: ['serviceinstance'] };
      if (ours[name] === undefined) {
        this.warn(`resource.detection/development.detectors[${index}]: the "${name}" detector is not supported by @x/mcp-otel; left out`);
        return;
      }
      detectors.push(...ours[name]);
      // The service detector also takes service.name from OTEL_SERVICE_NAME; the file's own attributes win over it.
      const serviceName = env.OTEL_SERVICE_NAME?.trim();
      if (name === 'service' && serviceName) attributes['service.name'] = serviceName;
    });
    // attributes_list is weaker than attributes; upstream drops the whole list when one entry is malformed.
    const list = model?.attributes_list ?? '';
    const pairs = list.split(',').filter((p) => p.trim() !== '');
    const listed: Attributes = {};
    let listOk = true;
    for (const pair of pairs) {
      const parts = pair.split('=');
      try {
        if (parts.length !== 2 || parts[0]!.trim() === '') throw new Error('malformed');
        listed[decodeURIComponent(parts[0]!.trim())] = decodeURIComponent(parts[1]!.trim());
      } catch {
        this.warn(`resource.attributes_list: an entry is not key=value (percent-encoded); the whole list is left out`);
        listOk = false;
        break;
      }
    }
    if (listOk) Object.assign(attributes, listed);
    for (const { name, value } of model?.attributes ?? []) if (value !== null) attributes[name] = value as AttributeValue;
    const schemaUrl = defined(model?.schema_url);
    return { detectors, attributes, ...(schemaUrl === undefined ? {} : { schemaUrl }) };
  }

  mcp(model: Entry | null | undefined): TelemetryPlan['mcp'] {
    const excluded = model?.excluded_methods;
    let excludedMethods: string[] = [];
    if (Array.isArray(excluded) && excluded.every((m) => typeof m === 'string')) excludedMethods = excluded;
    else if (excluded !== undefined && excluded !== null) {
      this.warn('instrumentation/development.js.mcp.excluded_methods: not a list of method names; no method is excluded');
    }
    const uri = model?.metrics_resource_uri;
    if (uri !== undefined && uri !== null && typeof uri !== 'boolean') {
      this.warn('instrumentation/development.js.mcp.metrics_resource_uri: not true or false; using false');
    }
    return { excludedMethods, metricsResourceUri: uri === true };
  }
}

/** Where YAML itself is wrong, the first error, in one line (upstream's reader goes on with what it could parse). */
function yamlError(path: string): string | undefined {
  const yaml = requireVia('@opentelemetry/sdk-node', '@opentelemetry/configuration', 'yaml') as {
    parseDocument(text: string, options: object): { errors: { message: string }[] };
  };
  const [first] = yaml.parseDocument(readFileSync(path, 'utf8'), { version: '1.2' }).errors;
  return first === undefined ? undefined : `${path} is not valid YAML: ${first.message.split('\n')[0]}`;
}

/**
 * Reads the file named by OTEL_CONFIG_FILE into a plan. Never throws: a file it cannot use is `unusable`. `env` is
 * process.env: upstream's reader takes the file name and the substituted values from there.
 */
export function readConfigFile(
  env: NodeJS.ProcessEnv,
  warn: FileWarning,
  instrumentationNames: { enabled: string[] | undefined; disabled: string[] },
): ConfigFileResult {
  const path = env.OTEL_CONFIG_FILE?.trim() ?? '';
  let model: ConfigModel;
  try {
    const notYaml = yamlError(path);
    if (notYaml !== undefined) return { kind: 'unusable', reason: notYaml };
    const { createConfigFactory } = requireVia('@opentelemetry/sdk-node', '@opentelemetry/configuration') as {
      createConfigFactory(): { getConfigModel(): ConfigModel };
    };
    model = createConfigFactory().getConfigModel();
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    const reason = error.code === 'ENOENT' ? `${path} does not exist` : error.message;
    return { kind: 'unusable', reason: String(reason).replace(/\s*\n\s*/g, '; ') };
  }
  if (model.disabled === true) return { kind: 'disabled' };

  const read = new PlanReader(warn);
  const limits = (own: Limits | null | undefined) => {
    const general = model.attribute_limits ?? {};
    const pick = (key: keyof Limits) => defined(own?.[key]) ?? defined(general[key]);
    return { attributeValueLengthLimit: pick('attribute_value_length_limit'), attributeCountLimit: pick('attribute_count_limit') };
  };
  const plan: TelemetryPlan = {
    propagators: read.propagators(model.propagator),
    resource: read.resource(model.resource, env),
    mcp: read.mcp(model['instrumentation/development']?.js?.mcp),
    enabledInstrumentations: instrumentationNames.enabled,
    disabledInstrumentations: instrumentationNames.disabled,
    flushTimeoutMillis: 0,
  };
  const tracer = model.tracer_provider;
  if (tracer !== undefined && tracer !== null) {
    const own = tracer.limits;
    plan.traces = {
      processors: read.processors('traces', tracer.processors, 'tracer_provider.processors'),
      // The schema's default when no sampler is given.
      sampler: read.sampler(tracer.sampler, 'tracer_provider.sampler') ?? { type: 'parent_based', root: { type: 'always_on' } },
      limits: {
        ...limits(own),
        eventCountLimit: defined(own?.event_count_limit),
        linkCountLimit: defined(own?.link_count_limit),
        attributePerEventCountLimit: defined(own?.event_attribute_count_limit),
        attributePerLinkCountLimit: defined(own?.link_attribute_count_limit),
      },
    };
  }
  const meter = model.meter_provider;
  if (meter !== undefined && meter !== null) {
    if (Array.isArray(meter.views) && meter.views.length > 0) warn('meter_provider.views: views are not supported by @x/mcp-otel; left out');
    plan.metrics = { readers: read.readers(meter.readers, 'meter_provider.readers') };
  }
  const logger = model.logger_provider;
  if (logger !== undefined && logger !== null) {
    plan.logs = { processors: read.processors('logs', logger.processors, 'logger_provider.processors'), limits: limits(logger.limits) };
  }
  const otlp = [...(plan.traces?.processors ?? []), ...(plan.logs?.processors ?? []), ...(plan.metrics?.readers ?? [])]
    .map((p) => p.exporter)
    .flatMap((e) => (e.kind === 'otlp' ? [e.otlp] : []));
  plan.flushTimeoutMillis = flushTimeoutFor(otlp, DEFAULT_TIMEOUT_MILLIS);
  return { kind: 'plan', plan, logLevel: diagLevel(model.log_level) };
}
