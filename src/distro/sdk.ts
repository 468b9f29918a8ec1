/**
 * Builds and registers the tracer, meter and logger providers from the validated configuration: what NodeSDK does,
 * but loading only the exporters and propagators that the configuration names.
 */
import { context, diag, metrics, propagation, trace } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, SimpleSpanProcessor, TraceIdRatioBasedSampler, TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { Sampler, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { MeterProvider as SdkMeterProvider } from '@opentelemetry/sdk-metrics';
import type { LoggerProvider as SdkLoggerProvider, LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { positiveInteger } from './config';
import type { BadVariable, DistroConfig, SamplerConfig } from './config';
import { createOtlpExporter, createOtlpMetricExporter, StderrLogRecordExporter, StderrMetricExporter, StderrSpanExporter } from './exporters';
import { PendingAwareSpanProcessor } from './pending';
import { requireVia } from './resolve';
import type { BatchOptions } from './pending';
import type { SyncFlushSource } from './exit-flush';
import { McpLogRecordProcessor } from '../instrumentation/logs';

export interface RunningTelemetry {
  tracerProvider?: TracerProvider;
  meterProvider?: SdkMeterProvider;
  loggerProvider?: SdkLoggerProvider;
  /** The pipelines that can be flushed synchronously at process exit. */
  syncFlushSources: SyncFlushSource[];
  forceFlush(): Promise<void>;
}

function buildSampler({ name, ratio }: SamplerConfig): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function buildPropagator(names: string[] | undefined): TextMapPropagator | undefined {
  const list = names ?? ['tracecontext', 'baggage'];
  if (list.length === 0) return undefined;
  const propagators = list.map((name): TextMapPropagator => {
    switch (name) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      case 'b3':
      case 'b3multi': {
        const { B3Propagator, B3InjectEncoding } = requireVia('@opentelemetry/sdk-node', '@opentelemetry/propagator-b3');
        return new B3Propagator(name === 'b3multi' ? { injectEncoding: B3InjectEncoding.MULTI_HEADER } : {});
      }
      default: {
        const { JaegerPropagator } = requireVia('@opentelemetry/sdk-node', '@opentelemetry/propagator-jaeger');
        return new JaegerPropagator();
      }
    }
  });
  return propagators.length === 1 ? propagators[0] : new CompositePropagator({ propagators });
}

function batchOptions(env: NodeJS.ProcessEnv, prefix: 'OTEL_BSP' | 'OTEL_BLRP', bad: BadVariable): BatchOptions {
  return {
    maxQueueSize: positiveInteger(env, `${prefix}_MAX_QUEUE_SIZE`, bad),
    maxExportBatchSize: positiveInteger(env, `${prefix}_MAX_EXPORT_BATCH_SIZE`, bad),
    scheduledDelayMillis: positiveInteger(env, `${prefix}_SCHEDULE_DELAY`, bad),
    exportTimeoutMillis: positiveInteger(env, `${prefix}_EXPORT_TIMEOUT`, bad),
  };
}

function spanLimits(env: NodeJS.ProcessEnv, bad: BadVariable) {
  const n = (name: string) => positiveInteger(env, name, bad);
  return {
    attributeCountLimit: n('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: n('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? n('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: n('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: n('OTEL_SPAN_LINK_COUNT_LIMIT'),
  };
}

/**
 * True when something registered a global provider of this signal before us (the app's own setup, for instance).
 * Read from the API's global registry itself: the API hides a registered provider behind its proxy.
 */
function alreadyRegistered(api: 'trace' | 'metrics' | 'logs' | 'context' | 'propagation'): boolean {
  const g = globalThis as Record<symbol, Record<string, unknown> | undefined>;
  if (api === 'logs') return g[Symbol.for('io.opentelemetry.js.api.logs')] !== undefined;
  return g[Symbol.for('opentelemetry.js.api.1')]?.[api] !== undefined;
}

function skipIfRegistered(signal: 'traces' | 'metrics' | 'logs', enabled: boolean): boolean {
  if (!enabled) return true;
  if (!alreadyRegistered(signal === 'traces' ? 'trace' : signal)) return false;
  diag.warn(`a global ${signal} provider is already registered; @x/mcp-otel keeps it and does not register its own`);
  return true;
}

export function startTelemetry(
  config: DistroConfig,
  resource: Resource,
  instrumentations: Instrumentation[],
  env: NodeJS.ProcessEnv,
  bad: BadVariable,
): RunningTelemetry {
  const syncFlushSources: SyncFlushSource[] = [];
  const running: RunningTelemetry = {
    syncFlushSources,
    async forceFlush() {
      await Promise.all([
        running.tracerProvider?.forceFlush(),
        running.meterProvider?.forceFlush(),
        running.loggerProvider?.forceFlush(),
      ]);
    },
  };

  // An OpenTelemetry setup of the app's own that ran first keeps its context manager and propagator too.
  if (!alreadyRegistered('context')) {
    const contextManager = new AsyncLocalStorageContextManager();
    contextManager.enable();
    context.setGlobalContextManager(contextManager);
  }
  const propagator = alreadyRegistered('propagation') ? undefined : buildPropagator(config.propagators);
  if (propagator !== undefined) propagation.setGlobalPropagator(propagator);

  // Metrics first: instrumentations take their meters when they are registered.
  if (!skipIfRegistered('metrics', config.metrics.exporters.length > 0)) {
    const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
    const readers = config.metrics.exporters.map(
      (name) =>
        new PeriodicExportingMetricReader({
          exporter: name === 'console' ? new StderrMetricExporter() : createOtlpMetricExporter(config.metrics, config.metricTemporality),
          exportIntervalMillis: config.metricExportIntervalMillis,
          exportTimeoutMillis: config.metricExportTimeoutMillis,
        }),
    );
    running.meterProvider = new MeterProvider({ resource, readers });
    metrics.setGlobalMeterProvider(running.meterProvider);
  }

  if (!skipIfRegistered('traces', config.traces.exporters.length > 0)) {
    const spanProcessors: SpanProcessor[] = config.traces.exporters.map((name) => {
      if (name === 'console') return new SimpleSpanProcessor({ exporter: new StderrSpanExporter() });
      const processor = new PendingAwareSpanProcessor(createOtlpExporter(config.traces), batchOptions(env, 'OTEL_BSP', bad));
      syncFlushSources.push({ config: config.traces, pending: processor.pending });
      return processor;
    });
    running.tracerProvider = new TracerProvider({
      resource,
      sampler: buildSampler(config.sampler),
      spanLimits: spanLimits(env, bad),
      spanProcessors,
    });
    trace.setGlobalTracerProvider(running.tracerProvider);
  }

  if (!skipIfRegistered('logs', config.logs.exporters.length > 0)) {
    const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs') as typeof import('@opentelemetry/sdk-logs');
    const processors: LogRecordProcessor[] = config.logs.exporters.map((name) => {
      if (name === 'console') return new SimpleLogRecordProcessor({ exporter: new StderrLogRecordExporter() });
      const { PendingAwareLogRecordProcessor } = require('./pending-logs') as typeof import('./pending-logs');
      const processor = new PendingAwareLogRecordProcessor(createOtlpExporter(config.logs), batchOptions(env, 'OTEL_BLRP', bad));
      syncFlushSources.push({ config: config.logs, pending: processor.pending });
      return processor;
    });
    // First, so that the exporting processors see the MCP attributes it adds.
    processors.unshift(new McpLogRecordProcessor());
    running.loggerProvider = new LoggerProvider({ resource, processors });
    logs.setGlobalLoggerProvider(running.loggerProvider);
  }

  registerInstrumentations({ instrumentations });
  return running;
}
