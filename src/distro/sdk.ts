/**
 * Builds the tracer, meter and logger providers (and the context manager and propagator) from the telemetry plan
 * (from the environment or a configuration file), then registers them: what NodeSDK does, as upstream's start.ts
 * orders it, but loading only the exporters and propagators that the plan names.
 */
import { context, diag, logs, metrics, propagation, trace } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  setGlobalErrorHandler,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import type {
  LoggerProvider as SdkLoggerProvider,
  LogRecordExporter,
  LogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import {
  createOtlpExporter,
  createOtlpMetricExporter,
  StderrLogRecordExporter,
  StderrMetricExporter,
  StderrSpanExporter,
} from './exporters';
import { inFlightPending, PendingAwareSpanProcessor } from './flush/pending';
import { PendingMetrics } from './flush/pending-metrics';
import type { BatchOptions } from './shapes';
import type { OtlpExporter } from './exporters';
import { requireVia } from './resolve';
import type { ExitPending, SyncFlushSource } from './flush/exit-flush';
import type { ProcessorPlan, SamplerPlan, TelemetryPlan } from './plan';
import { McpLogRecordProcessor } from '../instrumentation/logs';
import { SelfTracedSpanProcessor } from '../instrumentation/self-traced';

export interface RunningTelemetry {
  tracerProvider?: TracerProvider;
  meterProvider?: SdkMeterProvider;
  loggerProvider?: SdkLoggerProvider;
  /** The pipelines that can be flushed synchronously at process exit. */
  syncFlushSources: SyncFlushSource[];
  /** Flushes for an exit: what the processors hold is handed over, then delivered (or given up, exporters.ts). */
  forceFlush(): Promise<void>;
}

function buildSampler(plan: SamplerPlan): Sampler {
  switch (plan.type) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'trace_id_ratio_based':
      return new TraceIdRatioBasedSampler(plan.ratio);
    case 'parent_based': {
      const optional = (sampler: SamplerPlan | undefined) =>
        sampler === undefined ? undefined : buildSampler(sampler);
      return new ParentBasedSampler({
        root: buildSampler(plan.root),
        remoteParentSampled: optional(plan.remoteParentSampled),
        remoteParentNotSampled: optional(plan.remoteParentNotSampled),
        localParentSampled: optional(plan.localParentSampled),
        localParentNotSampled: optional(plan.localParentNotSampled),
      });
    }
  }
}

function buildPropagator(names: readonly string[]): TextMapPropagator | undefined {
  if (names.length === 0) return undefined;
  const propagators = names.map((name): TextMapPropagator => {
    switch (name) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      default: {
        // b3 or b3multi: the package comes with sdk-node, loaded only when named.
        const { B3Propagator, B3InjectEncoding } = requireVia(
          '@opentelemetry/sdk-node',
          '@opentelemetry/propagator-b3',
        ) as {
          B3Propagator: new (options: { injectEncoding?: unknown }) => TextMapPropagator;
          B3InjectEncoding: { MULTI_HEADER: unknown };
        };
        return new B3Propagator(name === 'b3multi' ? { injectEncoding: B3InjectEncoding.MULTI_HEADER } : {});
      }
    }
  });
  return propagators.length === 1 ? propagators[0] : new CompositePropagator({ propagators });
}

/**
 * True when something registered a global provider of this signal before us (the app's own setup, for instance).
 * Read from the API's global registry itself: the API hides a registered provider behind its proxy.
 */
function alreadyRegistered(api: 'trace' | 'metrics' | 'logs' | 'context' | 'propagation'): boolean {
  const g = globalThis as Record<symbol, Record<string, unknown> | undefined>;
  // Logs: also a provider registered through the separate @opentelemetry/api-logs package (API 1.9 and earlier).
  if (api === 'logs' && g[Symbol.for(LEGACY_LOGS_API_KEY)] !== undefined) return true;
  return g[Symbol.for('opentelemetry.js.api.1')]?.[api] !== undefined;
}

/** The global of @opentelemetry/api-logs 0.2xx, which kept the logs API apart before API 1.10 took it in. */
const LEGACY_LOGS_API_KEY = 'io.opentelemetry.js.api.logs';

/**
 * Registers the logger provider with @opentelemetry/api-logs too: @opentelemetry/winston-transport 0.34 (the newest),
 * which instrumentation-winston loads to send winston records, still takes its provider from there. The copy that
 * winston-transport itself resolves is the one that counts.
 */
function registerWithLegacyLogsApi(provider: SdkLoggerProvider): void {
  try {
    const legacy = requireVia('@opentelemetry/winston-transport', '@opentelemetry/api-logs') as {
      logs: { setGlobalLoggerProvider(provider: unknown): unknown };
    };
    legacy.logs.setGlobalLoggerProvider(provider);
  } catch (err) {
    diag.debug(
      '@opentelemetry/api-logs not found; winston records are sent only through the logs API of @opentelemetry/api:',
      err,
    );
  }
}

function skipIfRegistered(signal: 'traces' | 'metrics' | 'logs'): boolean {
  if (!alreadyRegistered(signal === 'traces' ? 'trace' : signal)) return false;
  diag.warn(`a global ${signal} provider is already registered; @x/mcp-otel keeps it and does not register its own`);
  return true;
}

/** How spans or log records are processed: the SDK's classes of one signal. */
interface ProcessorKinds<P, E> {
  simple(exporter: E): P;
  /** A batch processor that remembers what it has not delivered yet, for the flush at exit. */
  batching(exporter: OtlpExporter & E, options: BatchOptions): P & { pending: ExitPending };
  console(): E;
}

/** The processors of a plan; each OTLP one is also a source of the synchronous flush at exit. */
function buildProcessors<P, E>(
  plans: readonly ProcessorPlan[],
  syncFlushSources: SyncFlushSource[],
  kinds: ProcessorKinds<P, E>,
): P[] {
  return plans.map((processor) => {
    if (processor.exporter.kind === 'console') return kinds.simple(kinds.console());
    const { otlp } = processor.exporter;
    const exporter = createOtlpExporter(otlp);
    if (processor.type === 'simple') {
      syncFlushSources.push({ config: otlp, pending: inFlightPending(exporter), exporter });
      return kinds.simple(exporter as unknown as E);
    }
    const batching = kinds.batching(exporter as OtlpExporter & E, processor.batch);
    syncFlushSources.push({ config: otlp, pending: batching.pending, exporter });
    return batching;
  });
}

/** What the distribution registers: built first, all of it, then registered in one go (registerGlobals). */
export interface Components {
  contextManager?: AsyncLocalStorageContextManager;
  propagator?: TextMapPropagator;
  tracerProvider?: TracerProvider;
  meterProvider?: SdkMeterProvider;
  loggerProvider?: SdkLoggerProvider;
  syncFlushSources: SyncFlushSource[];
}

/**
 * Builds the components of a plan. What something registered before us (an OpenTelemetry setup of the app's own) is
 * kept: it is not built, and for a provider stderr says so.
 */
export function createComponents(plan: TelemetryPlan, resource: Resource): Components {
  const components: Components = { syncFlushSources: [] };
  const { syncFlushSources } = components;
  if (!alreadyRegistered('context')) components.contextManager = new AsyncLocalStorageContextManager();
  if (!alreadyRegistered('propagation')) components.propagator = buildPropagator(plan.propagators);

  if (plan.metrics !== undefined && !skipIfRegistered('metrics')) {
    const { MeterProvider, PeriodicExportingMetricReader } =
      require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const readers = plan.metrics.readers.map((reader) => {
      const options = { exportIntervalMillis: reader.intervalMillis, exportTimeoutMillis: reader.timeoutMillis };
      if (reader.exporter.kind === 'console')
        return new PeriodicExportingMetricReader({ ...options, exporter: new StderrMetricExporter() });
      // An OTLP reader is also a source of the synchronous flush at exit (pending-metrics.ts).
      const pending = new PendingMetrics();
      const exporter = pending.tracking(createOtlpMetricExporter(reader.exporter.otlp, reader.temporality));
      const periodic = new PeriodicExportingMetricReader({ ...options, exporter });
      pending.bind(periodic);
      syncFlushSources.push({ config: reader.exporter.otlp, pending, exporter });
      return periodic;
    });
    components.meterProvider = new MeterProvider({ resource, readers });
  }

  if (plan.traces !== undefined && !skipIfRegistered('traces')) {
    const spanProcessors = buildProcessors<SpanProcessor, SpanExporter>(plan.traces.processors, syncFlushSources, {
      simple: (exporter) => new SimpleSpanProcessor({ exporter }),
      batching: (exporter, options) => new PendingAwareSpanProcessor(exporter, options),
      console: () => new StderrSpanExporter(),
    });
    // One SERVER span per message where a server traces itself too (self-traced.ts): in front of every exporter.
    const merge = plan.mcp.selfTracedServers !== 'keep' && !plan.disabledInstrumentations.includes('mcp');
    components.tracerProvider = new TracerProvider({
      resource,
      sampler: buildSampler(plan.traces.sampler),
      spanLimits: plan.traces.limits,
      spanProcessors: merge ? [new SelfTracedSpanProcessor(spanProcessors) as SpanProcessor] : spanProcessors,
    });
  }

  if (plan.logs !== undefined && !skipIfRegistered('logs')) {
    const { LoggerProvider, SimpleLogRecordProcessor } =
      require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
    const processors = buildProcessors<LogRecordProcessor, LogRecordExporter>(plan.logs.processors, syncFlushSources, {
      simple: (exporter) => new SimpleLogRecordProcessor({ exporter }),
      batching: (exporter, options) => {
        const { PendingAwareLogRecordProcessor } =
          require('./flush/pending-logs') as typeof import('./flush/pending-logs');
        return new PendingAwareLogRecordProcessor(exporter, options);
      },
      console: () => new StderrLogRecordExporter(),
    });
    // First, so that the exporting processors see the MCP attributes it adds.
    processors.unshift(new McpLogRecordProcessor());
    components.loggerProvider = new LoggerProvider({ resource, processors, logRecordLimits: plan.logs.limits });
  }
  return components;
}

/** Registers the components as the API's globals, then the instrumentations, which take their providers from them. */
export function registerGlobals(components: Components, instrumentations: Instrumentation[]): RunningTelemetry {
  const { contextManager, propagator, tracerProvider, meterProvider, loggerProvider } = components;
  // Upstream's default handler writes an error as JSON, stack included; its message is enough. (Failed exports do not
  // come here: collectors.ts reports them, one line per change of a collector's state.)
  setGlobalErrorHandler((err) => diag.error('OpenTelemetry SDK:', err));
  if (contextManager !== undefined) context.setGlobalContextManager(contextManager.enable());
  if (propagator !== undefined) propagation.setGlobalPropagator(propagator);
  if (meterProvider !== undefined) metrics.setGlobalMeterProvider(meterProvider);
  if (tracerProvider !== undefined) trace.setGlobalTracerProvider(tracerProvider);
  if (loggerProvider !== undefined) {
    logs.setGlobalLoggerProvider(loggerProvider);
    registerWithLegacyLogsApi(loggerProvider);
  }
  registerInstrumentations({ instrumentations });
  return {
    tracerProvider,
    meterProvider,
    loggerProvider,
    syncFlushSources: components.syncFlushSources,
    async forceFlush() {
      await Promise.all([tracerProvider?.forceFlush(), meterProvider?.forceFlush(), loggerProvider?.forceFlush()]);
      // The processors have handed everything over; delivery is the exporters' (exporters.ts). Only the flushes for an
      // exit come here (flush/process-hooks.ts).
      await Promise.all(components.syncFlushSources.map((source) => source.exporter.settledForExit()));
    },
  };
}
