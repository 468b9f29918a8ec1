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
import type { ConfigFileSource, OtlpProtocol, OtlpSettings, Signal } from './config';
import { flushTimeoutFor } from './plan';
import type {
  ExporterPlan,
  MetricReaderPlan,
  MetricTemporality,
  ProcessorPlan,
  SamplerPlan,
  TelemetryPlan,
} from './plan';
import { requireVia } from './resolve';
import { FILE_KEYS, settingsFromFile } from '../instrumentation/settings';

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
  'instrumentation/development'?: ({ js?: ({ mcp?: Entry | null } & Entry) | null } & Entry) | null;
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

/** Upstream's helpers for the `*_list` forms, so that their meaning is exactly upstream's. */
interface ConfigurationHelpers {
  mergeHeadersConfig(headers: unknown, list: unknown): Record<string, string> | undefined;
  mergeResourceAttributesConfig(attributes: unknown, list: unknown): { name: string; value: unknown }[] | undefined;
  mergePropagatorCompositeConfig(composite: unknown, list: unknown): Entry[] | undefined;
}

const SIGNAL_PATHS: Record<Signal, string> = { traces: 'v1/traces', metrics: 'v1/metrics', logs: 'v1/logs' };
/** The schema's default gRPC endpoint (given explicitly: the exporter would otherwise look in the environment). */
const GRPC_DEFAULT_ENDPOINT = 'http://localhost:4317';

/** The settings each object of the schema may have that this distribution applies; any other is warned about. */
const APPLIED = {
  top: [
    'disabled',
    'log_level',
    'attribute_limits',
    'tracer_provider',
    'meter_provider',
    'logger_provider',
    'propagator',
    'resource',
    'instrumentation/development',
  ],
  tracer: ['processors', 'limits', 'sampler'],
  meter: ['readers'],
  logger: ['processors', 'limits'],
  batch: ['exporter', 'schedule_delay', 'export_timeout', 'max_queue_size', 'max_export_batch_size'],
  simple: ['exporter'],
  periodic: ['exporter', 'interval', 'timeout'],
  otlp: ['endpoint', 'headers', 'headers_list', 'compression', 'timeout', 'encoding'],
  otlpMetrics: ['endpoint', 'headers', 'headers_list', 'compression', 'timeout', 'encoding', 'temporality_preference'],
  console: [],
  resource: ['attributes', 'attributes_list', 'schema_url', 'detection/development'],
  detection: ['detectors'],
  mcp: FILE_KEYS,
  general: ['rpc', 'stability_opt_in_list'],
} as const;

class PlanReader {
  constructor(
    private readonly warn: FileWarning,
    private readonly helpers: ConfigurationHelpers,
  ) {}

  /** One warning for the settings of `properties` this distribution does not apply. */
  applied(where: string, properties: Entry | null | undefined, applied: readonly string[]): void {
    const ignored = Object.keys(properties ?? {}).filter(
      (key) => !applied.includes(key) && properties?.[key] !== undefined,
    );
    if (ignored.length === 0) return;
    const names = ignored.map((k) => `"${k}"`).join(', ');
    this.warn(`${where}: ${names} ${ignored.length === 1 ? 'is' : 'are'} not supported by @x/mcp-otel; left out`);
  }

  /** A positive number of milliseconds, or the default (0, "no limit" in the schema, included, with a warning). */
  millis(where: string, value: unknown, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'number' && value > 0) return value;
    this.warn(`${where}: ${String(value)} (no limit) is not supported by @x/mcp-otel; using ${fallback}`);
    return fallback;
  }

  /** The exporter of a processor or reader, or undefined (with a warning) when this distribution has none like it. */
  exporter(signal: Signal, entry: Entry | undefined, where: string): ExporterPlan | undefined {
    const [name, properties] = only(entry ?? {});
    const at = `${where}.${name}`;
    if (name === 'console') {
      this.applied(at, properties, APPLIED.console);
      return { kind: 'console' };
    }
    if (name !== 'otlp_http' && name !== 'otlp_grpc') {
      this.warn(
        `${where}: the "${name}" exporter is not supported by @x/mcp-otel ` +
          '(otlp_http, otlp_grpc and console are); left out',
      );
      return undefined;
    }
    if (properties.tls !== undefined && properties.tls !== null) {
      this.warn(
        `${at}.tls: TLS files are not supported in a configuration file yet; the exporter uses the system's CAs`,
      );
    }
    this.applied(at, properties, [...(signal === 'metrics' ? APPLIED.otlpMetrics : APPLIED.otlp), 'tls']);
    let protocol: OtlpProtocol = 'grpc';
    if (name === 'otlp_http') protocol = properties.encoding === 'json' ? 'http/json' : 'http/protobuf';
    const endpoint = defined(properties.endpoint as string | null | undefined);
    const otlp: OtlpSettings = {
      signal,
      protocol,
      // The schema's defaults: the full signal URL over HTTP, localhost:4317 for gRPC.
      url: endpoint ?? (protocol === 'grpc' ? GRPC_DEFAULT_ENDPOINT : `http://localhost:4318/${SIGNAL_PATHS[signal]}`),
      headers: this.helpers.mergeHeadersConfig(properties.headers, properties.headers_list) ?? {},
      timeoutMillis: this.millis(`${at}.timeout`, properties.timeout, DEFAULT_TIMEOUT_MILLIS),
      compression: properties.compression === 'gzip' ? 'gzip' : 'none',
      // The file is the whole configuration: the exporter must not fill gaps from OTEL_EXPORTER_OTLP_*.
      isolated: true,
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
      this.applied(`${at}.${type}`, properties, APPLIED[type]);
      const exporter = this.exporter(signal, properties.exporter as Entry | undefined, `${at}.${type}.exporter`);
      if (exporter === undefined) return;
      const number = (key: string) => defined(properties[key] as number | null | undefined);
      const exportTimeout = properties.export_timeout;
      plans.push({
        // A console exporter writes synchronously: there is nothing to batch.
        type: exporter.kind === 'console' ? 'simple' : type,
        exporter,
        batch: {
          maxQueueSize: number('max_queue_size'),
          maxExportBatchSize: number('max_export_batch_size'),
          scheduledDelayMillis: number('schedule_delay'),
          exportTimeoutMillis:
            exportTimeout === undefined || exportTimeout === null
              ? undefined
              : this.millis(`${at}.${type}.export_timeout`, exportTimeout, 30_000),
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
      this.applied(`${at}.periodic`, properties, APPLIED.periodic);
      const exporterEntry = (properties.exporter ?? {}) as Entry;
      const exporter = this.exporter('metrics', exporterEntry, `${at}.periodic.exporter`);
      if (exporter === undefined) return;
      const [, exporterProperties] = only(exporterEntry);
      const preference = exporterProperties.temporality_preference;
      const temporality: MetricTemporality =
        preference === 'delta' ? 'delta' : preference === 'low_memory' ? 'lowmemory' : 'cumulative';
      const intervalMillis = this.millis(`${at}.periodic.interval`, properties.interval, 60_000);
      let timeoutMillis = this.millis(`${at}.periodic.timeout`, properties.timeout, 30_000);
      if (timeoutMillis > intervalMillis) {
        if (properties.timeout !== undefined && properties.timeout !== null) {
          this.warn(
            `${at}.periodic.timeout: ${timeoutMillis} is longer than the interval; ` +
              `using the interval, ${intervalMillis}`,
          );
        }
        timeoutMillis = intervalMillis;
      }
      plans.push({ exporter, intervalMillis, timeoutMillis, temporality });
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
        const child = (key: string) =>
          this.sampler(properties[key] as Entry | undefined, `${where}.parent_based.${key}`);
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
        this.warn(
          `${where}: the "${name}" sampler is not supported by @x/mcp-otel; using parent_based with an always_on root`,
        );
        return { type: 'parent_based', root: { type: 'always_on' } };
    }
  }

  propagators(model: ConfigModel['propagator']): string[] {
    if (model === undefined || model === null) return [];
    const entries = this.helpers.mergePropagatorCompositeConfig(model.composite, model.composite_list) ?? [];
    const unique = [...new Set(entries.map((entry) => only(entry)[0]))];
    if (unique.includes('none')) return [];
    return unique.filter((name) => {
      if (['tracecontext', 'baggage', 'b3', 'b3multi'].includes(name)) return true;
      this.warn(
        `propagator: "${name}" is not supported by @x/mcp-otel (tracecontext, baggage, b3, b3multi are); left out`,
      );
      return false;
    });
  }

  resource(model: ConfigModel['resource'], serviceName: string | undefined): TelemetryPlan['resource'] {
    this.applied('resource', model, APPLIED.resource);
    const attributes: Attributes = {};
    const detectors: string[] = [];
    const detection = model?.['detection/development'];
    this.applied('resource.detection/development', detection, APPLIED.detection);
    (detection?.detectors ?? []).forEach((entry, index) => {
      const [name] = only(entry);
      // The schema's detector names, in the detectors of resource.ts.
      const ours: Record<string, string[]> = {
        container: ['container'],
        host: ['host', 'os'],
        process: ['process'],
        service: ['serviceinstance'],
      };
      if (ours[name] === undefined) {
        this.warn(
          `resource.detection/development.detectors[${index}]: ` +
            `the "${name}" detector is not supported by @x/mcp-otel; left out`,
        );
        return;
      }
      detectors.push(...ours[name]);
      // The service detector also takes service.name from OTEL_SERVICE_NAME; the file's own attributes win over it.
      if (name === 'service' && serviceName) attributes['service.name'] = serviceName;
    });
    // attributes over attributes_list; upstream drops the whole list (with its own warning) when an entry is malformed.
    for (const { name, value } of this.helpers.mergeResourceAttributesConfig(
      model?.attributes,
      model?.attributes_list,
    ) ?? []) {
      if (value !== null) attributes[name] = value as AttributeValue;
    }
    const schemaUrl = defined(model?.schema_url);
    return { detectors, attributes, ...(schemaUrl === undefined ? {} : { schemaUrl }) };
  }

  /** Our own section, `instrumentation/development` → `js` → `mcp`; other instrumentations' settings are not read. */
  mcp(model: ConfigModel['instrumentation/development']): TelemetryPlan['mcp'] {
    for (const [language, settings] of Object.entries(model ?? {})) {
      if (language === 'general')
        this.applied('instrumentation/development.general', settings as Entry, APPLIED.general);
      if (language !== 'js') continue;
      for (const name of Object.keys((settings as Entry | null) ?? {})) {
        if (name !== 'mcp')
          this.warn(`instrumentation/development.js.${name}: only the "mcp" section is read by @x/mcp-otel; left out`);
      }
    }
    const mcp = model?.js?.mcp;
    this.applied('instrumentation/development.js.mcp', mcp, APPLIED.mcp);
    // The MCP settings, by their table (instrumentation/settings.ts); the file is the whole configuration.
    const where = 'instrumentation/development.js.mcp';
    return {
      ...settingsFromFile(mcp, (key, message) => this.warn(`${where}.${key}: ${message}`)),
      semconvStabilityOptIn: semconvStabilityOptInOfFile(model?.general),
    };
  }
}

/** Where YAML itself is wrong, the first error, in one line (upstream's reader goes on with what it could parse). */
function yamlError(path: string): string | undefined {
  const yaml = requireVia('@opentelemetry/sdk-node', '@opentelemetry/configuration', 'yaml') as {
    parseDocument(text: string, options: object): { errors: { message: string }[] };
  };
  const [first] = yaml.parseDocument(readFileSync(path, 'utf8'), { version: '1.2' }).errors;
  return first === undefined
    ? undefined
    : `${path} is not valid YAML: ${first.message.split('\n')[0]!.replace(/:$/, '')}`;
}

/**
 * Reads the file named by OTEL_CONFIG_FILE into a plan. Never throws: a file it cannot use is `unusable`. `source` is
 * what config.ts read of process.env, which upstream's reader reads too (the file name, the substituted values).
 */
export function readConfigFile(
  source: ConfigFileSource,
  warn: FileWarning,
  instrumentationNames: { enabled: string[] | undefined; disabled: string[] },
): ConfigFileResult {
  const { path } = source;
  let model: ConfigModel;
  let configuration: ConfigurationHelpers & { createConfigFactory(): { getConfigModel(): ConfigModel } };
  try {
    const notYaml = yamlError(path);
    if (notYaml !== undefined) return { kind: 'unusable', reason: notYaml };
    configuration = requireVia('@opentelemetry/sdk-node', '@opentelemetry/configuration') as typeof configuration;
    model = configuration.createConfigFactory().getConfigModel();
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    const reason = error.code === 'ENOENT' ? `${path} does not exist` : error.message;
    return { kind: 'unusable', reason: String(reason).replace(/\s*\n\s*/g, '; ') };
  }
  if (model.disabled === true) return { kind: 'disabled' };

  const read = new PlanReader(warn, configuration);
  read.applied('the file', model as Entry, APPLIED.top);
  const limits = (own: Limits | null | undefined) => {
    const general = model.attribute_limits ?? {};
    const pick = (key: keyof Limits) => defined(own?.[key]) ?? defined(general[key]);
    return {
      attributeValueLengthLimit: pick('attribute_value_length_limit'),
      attributeCountLimit: pick('attribute_count_limit'),
    };
  };
  const plan: TelemetryPlan = {
    propagators: read.propagators(model.propagator),
    resource: read.resource(model.resource, source.serviceName),
    mcp: read.mcp(model['instrumentation/development']),
    enabledInstrumentations: instrumentationNames.enabled,
    disabledInstrumentations: instrumentationNames.disabled,
    flushTimeoutMillis: 0,
  };
  const tracer = model.tracer_provider;
  if (tracer !== undefined && tracer !== null) {
    read.applied('tracer_provider', tracer, APPLIED.tracer);
    const own = tracer.limits;
    plan.traces = {
      processors: read.processors('traces', tracer.processors, 'tracer_provider.processors'),
      // The schema's default when no sampler is given.
      sampler: read.sampler(tracer.sampler, 'tracer_provider.sampler') ?? {
        type: 'parent_based',
        root: { type: 'always_on' },
      },
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
    read.applied('meter_provider', meter, APPLIED.meter);
    plan.metrics = { readers: read.readers(meter.readers, 'meter_provider.readers') };
  }
  const logger = model.logger_provider;
  if (logger !== undefined && logger !== null) {
    read.applied('logger_provider', logger, APPLIED.logger);
    plan.logs = {
      processors: read.processors('logs', logger.processors, 'logger_provider.processors'),
      limits: limits(logger.limits),
    };
  }
  const otlp = [...(plan.traces?.processors ?? []), ...(plan.logs?.processors ?? []), ...(plan.metrics?.readers ?? [])]
    .map((p) => p.exporter)
    .flatMap((e) => (e.kind === 'otlp' ? [e.otlp] : []));
  plan.flushTimeoutMillis = flushTimeoutFor(otlp, DEFAULT_TIMEOUT_MILLIS);
  return { kind: 'plan', plan, logLevel: diagLevel(model.log_level) };
}

/**
 * A configuration file's `instrumentation/development.general`, in the variable's syntax. `rpc.semconv` (semantic-
 * conventions `docs/configuration/version-selection.md`) wins over `stability_opt_in_list`; in it, `version` 1 is
 * the stable conventions (`rpc`), and with `dual_emit` the MCP name too (`rpc/dup`); a version above 1 falls back to 1,
 * and an omitted one is the latest stable (1), as the schema says; 0 or anything unsupported is the default, without
 * a warning (the block is shared with other instrumentations). `experimental` changes nothing: version 1 is stable.
 */
function semconvStabilityOptInOfFile(general: unknown): string {
  const section = isEntry(general) ? general : {};
  const semconv = isEntry(section.rpc) ? section.rpc.semconv : undefined;
  if (isEntry(semconv)) {
    const { version, dual_emit: dualEmit } = semconv;
    const stable = version === undefined || version === null || (Number.isSafeInteger(version) && Number(version) >= 1);
    if (!stable) return '';
    return dualEmit === true ? 'rpc/dup' : 'rpc';
  }
  const list = section.stability_opt_in_list;
  return typeof list === 'string' ? list : '';
}

function isEntry(value: unknown): value is Entry {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
