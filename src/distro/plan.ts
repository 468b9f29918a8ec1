/**
 * The telemetry plan: what the distribution builds (processors and their exporters, metric readers, sampler,
 * propagators, resource, limits, the MCP settings), whichever configuration it came from. Two readers produce it: the
 * environment (config.ts, the only reader of OTEL_* variables, through planFromEnv below) and a declarative
 * configuration file (config-file.ts). sdk.ts and resource.ts build from the plan alone.
 */
import type { Attributes } from '@opentelemetry/api';
import type { DistroConfig, OtlpSettings, SamplerConfig, SignalConfig } from './config';
import { FLUSH_TIMEOUT_CAP_MILLIS } from './config';
import type { BatchOptions, LogLimitsPlan, McpPlan, SpanLimitsPlan } from './shapes';

export type ExporterPlan = { kind: 'otlp'; otlp: OtlpSettings } | { kind: 'console' };

/** A span or log record processor: batching (with its options) or simple, and its exporter. */
export interface ProcessorPlan {
  type: 'batch' | 'simple';
  exporter: ExporterPlan;
  batch: BatchOptions;
}

export type MetricTemporality = 'cumulative' | 'delta' | 'lowmemory';

export interface MetricReaderPlan {
  exporter: ExporterPlan;
  intervalMillis: number;
  timeoutMillis: number;
  temporality: MetricTemporality;
}

export type SamplerPlan =
  | { type: 'always_on' }
  | { type: 'always_off' }
  | { type: 'trace_id_ratio_based'; ratio: number }
  | {
      type: 'parent_based';
      root: SamplerPlan;
      remoteParentSampled?: SamplerPlan;
      remoteParentNotSampled?: SamplerPlan;
      localParentSampled?: SamplerPlan;
      localParentNotSampled?: SamplerPlan;
    };

export interface ResourcePlan {
  /** Detector names of resource.ts, in order; later ones win. */
  detectors: string[];
  /** Applied after the detectors: they win. */
  attributes: Attributes;
  schemaUrl?: string;
}

export interface TelemetryPlan {
  /** undefined: no tracer provider (traces are off). */
  traces?: { processors: ProcessorPlan[]; sampler: SamplerPlan; limits: SpanLimitsPlan };
  metrics?: { readers: MetricReaderPlan[] };
  logs?: { processors: ProcessorPlan[]; limits: LogLimitsPlan };
  /** In order; empty: no propagator. */
  propagators: string[];
  resource: ResourcePlan;
  mcp: McpPlan;
  /** Upstream instrumentation names (OTEL_NODE_*_INSTRUMENTATIONS); `mcp` stays on unless disabled. */
  enabledInstrumentations: string[] | undefined;
  disabledInstrumentations: string[];
  /** The bound on every flush at shutdown. */
  flushTimeoutMillis: number;
}

export const DEFAULT_PROPAGATORS = ['tracecontext', 'baggage'];

/** The bound on a flush at exit: the longest export timeout, never more than the cap. */
export function flushTimeoutFor(plans: readonly OtlpSettings[], fallbackMillis: number): number {
  const longest = plans.length > 0 ? Math.max(...plans.map((p) => p.timeoutMillis)) : fallbackMillis;
  return Math.min(longest, FLUSH_TIMEOUT_CAP_MILLIS);
}

function samplerFromEnv({ name, ratio }: SamplerConfig): SamplerPlan {
  switch (name) {
    case 'always_on':
    case 'always_off':
      return { type: name };
    case 'traceidratio':
      return { type: 'trace_id_ratio_based', ratio };
    case 'parentbased_always_off':
      return { type: 'parent_based', root: { type: 'always_off' } };
    case 'parentbased_traceidratio':
      return { type: 'parent_based', root: { type: 'trace_id_ratio_based', ratio } };
    case 'parentbased_always_on':
      return { type: 'parent_based', root: { type: 'always_on' } };
  }
}

function exportersFromEnv(signal: SignalConfig): ExporterPlan[] {
  const { exporters, ...otlp } = signal;
  return exporters.map((name) => (name === 'console' ? { kind: 'console' } : { kind: 'otlp', otlp }));
}

/** Console exporters write synchronously: a simple processor, as upstream does for them. */
function processorsFromEnv(signal: SignalConfig, batch: BatchOptions): ProcessorPlan[] {
  return exportersFromEnv(signal).map((exporter) => ({
    type: exporter.kind === 'console' ? 'simple' : 'batch',
    exporter,
    batch,
  }));
}

/** The plan of an environment configuration (config.ts's readConfig, the only reader of the environment). */
export function planFromEnv(config: DistroConfig): TelemetryPlan {
  const plan: TelemetryPlan = {
    propagators: config.propagators ?? DEFAULT_PROPAGATORS,
    resource: { detectors: config.resourceDetectors, attributes: config.resourceAttributes },
    mcp: config.mcp,
    enabledInstrumentations: config.enabledInstrumentations,
    disabledInstrumentations: config.disabledInstrumentations,
    flushTimeoutMillis: config.flushTimeoutMillis,
  };
  if (config.traces.exporters.length > 0) {
    plan.traces = {
      processors: processorsFromEnv(config.traces, config.spanBatch),
      sampler: samplerFromEnv(config.sampler),
      limits: config.spanLimits,
    };
  }
  if (config.metrics.exporters.length > 0) {
    plan.metrics = {
      readers: exportersFromEnv(config.metrics).map((exporter) => ({
        exporter,
        intervalMillis: config.metricExportIntervalMillis,
        timeoutMillis: config.metricExportTimeoutMillis,
        temporality: config.metricTemporality,
      })),
    };
  }
  if (config.logs.exporters.length > 0) {
    plan.logs = { processors: processorsFromEnv(config.logs, config.logBatch), limits: config.logLimits };
  }
  return plan;
}
