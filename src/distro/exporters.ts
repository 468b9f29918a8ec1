/**
 * Exporters, loaded lazily by protocol: an app that exports http/protobuf never loads the JSON or gRPC exporters
 * (upstream's NodeSDK requires all of them, about 0.2 s of startup). The `console` exporters write to stderr, one line
 * per item, because stdout belongs to the app (upstream's write to stdout with console.dir).
 */
import { inspect } from 'node:util';
import { diag } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { LogRecordExporter, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { OtlpProtocol, OtlpSettings, Signal } from './config';
import { requireVia } from './resolve';

const SUCCESS: ExportResult = { code: 0 };

/** What the OTLP exporters of all three signals have in common, as this module uses them. */
interface OtlpExporter {
  export(items: unknown, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
type OtlpExporterClass = new (options: Record<string, unknown>) => OtlpExporter;

/** The exporter class a package exports under `name`. */
function exporterClass(exports: unknown, name: string): OtlpExporterClass {
  return (exports as Record<string, OtlpExporterClass>)[name]!;
}

const fromSdkNode = (id: string) => requireVia('@opentelemetry/sdk-node', id);

const OTLP_PACKAGES: Record<Signal, Record<OtlpProtocol, () => OtlpExporterClass>> = {
  traces: {
    'http/protobuf': () => exporterClass(require('@opentelemetry/exporter-trace-otlp-proto'), 'OTLPTraceExporter'),
    'http/json': () => exporterClass(fromSdkNode('@opentelemetry/exporter-trace-otlp-http'), 'OTLPTraceExporter'),
    grpc: () => exporterClass(fromSdkNode('@opentelemetry/exporter-trace-otlp-grpc'), 'OTLPTraceExporter'),
  },
  metrics: {
    'http/protobuf': () => exporterClass(require('@opentelemetry/exporter-metrics-otlp-proto'), 'OTLPMetricExporter'),
    'http/json': () => exporterClass(fromSdkNode('@opentelemetry/exporter-metrics-otlp-http'), 'OTLPMetricExporter'),
    grpc: () => exporterClass(fromSdkNode('@opentelemetry/exporter-metrics-otlp-grpc'), 'OTLPMetricExporter'),
  },
  logs: {
    'http/protobuf': () => exporterClass(require('@opentelemetry/exporter-logs-otlp-proto'), 'OTLPLogExporter'),
    'http/json': () => exporterClass(fromSdkNode('@opentelemetry/exporter-logs-otlp-http'), 'OTLPLogExporter'),
    grpc: () => exporterClass(fromSdkNode('@opentelemetry/exporter-logs-otlp-grpc'), 'OTLPLogExporter'),
  },
};

/** Builds the OTLP exporter of a signal with the validated settings (its own env parsing only fills gaps). */
function createOtlpExporterNow(config: OtlpSettings): OtlpExporter {
  const Exporter = OTLP_PACKAGES[config.signal][config.protocol]();
  const options: Record<string, unknown> = {
    timeoutMillis: config.timeoutMillis,
    compression: config.compression,
  };
  if (config.url !== undefined) options.url = config.url;
  if (config.protocol !== 'grpc') options.headers = config.headers;
  else if (Object.keys(config.headers).length > 0) {
    // gRPC takes its headers as metadata (to which it adds the environment's, unless the exporter is isolated).
    const { createEmptyMetadata } = fromSdkNode('@opentelemetry/otlp-grpc-exporter-base') as {
      createEmptyMetadata(): { set(name: string, value: string): void };
    };
    const metadata = createEmptyMetadata();
    for (const [name, value] of Object.entries(config.headers)) metadata.set(name, value);
    options.metadata = metadata;
  }
  return config.isolated ? withoutOtlpEnvironment(() => new Exporter(options)) : new Exporter(options);
}

/**
 * Runs `build` with the OTEL_EXPORTER_OTLP_* variables taken out of process.env, and puts them back. The exporters read
 * them in their constructors only, and this runs synchronously: no other code sees the environment without them.
 */
function withoutOtlpEnvironment<T>(build: () => T): T {
  const saved = Object.entries(process.env).filter(([name]) => name.startsWith('OTEL_EXPORTER_OTLP_'));
  for (const [name] of saved) delete process.env[name];
  try {
    return build();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/**
 * An OTLP exporter that loads its package later rather than at startup: the exporters and the protobuf encoding they
 * share cost about 45 ms of startup. It loads at the first export, or earlier when asked (load(): the span batch
 * processor asks after its first span, flush/pending.ts).
 */
class DeferredOtlpExporter {
  private real: OtlpExporter | undefined;

  constructor(private readonly config: OtlpSettings) {}

  /** Loads the exporter's package now, and the HTTP client its first request loads; a failure is said at export. */
  load(): void {
    try {
      this.exporter();
      // Upstream's HTTP transport requires node:http and node:https at its first request.
      if (this.config.protocol !== 'grpc') require('node:https');
    } catch {
      // export() reports it.
    }
  }

  private exporter(): OtlpExporter {
    this.real ??= createOtlpExporterNow(this.config);
    return this.real;
  }

  export(items: unknown, done: (result: ExportResult) => void): void {
    let exporter: OtlpExporter;
    try {
      exporter = this.exporter();
    } catch (err) {
      // A package that cannot load (a missing optional exporter) fails the export; it must not throw into the SDK.
      diag.error(`the ${this.config.protocol} ${this.config.signal} exporter could not be loaded:`, err);
      done({ code: 1, error: err as Error });
      return;
    }
    exporter.export(items, done);
  }

  forceFlush(): Promise<void> {
    return this.real?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.real?.shutdown() ?? Promise.resolve();
  }
}

export function createOtlpExporter(config: OtlpSettings): SpanExporter & LogRecordExporter {
  return new DeferredOtlpExporter(config) as unknown as SpanExporter & LogRecordExporter;
}

/** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the OTLP metric exporters read it. */
type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

/**
 * The metric exporter, deferred like the others. The metric reader asks its exporter for the temporality of each
 * instrument when it starts, so that one answer is given here, by the same rules as the OTLP metric exporters.
 */
export function createOtlpMetricExporter(config: OtlpSettings, preference: TemporalityPreference): PushMetricExporter {
  const { AggregationTemporality, InstrumentType } =
    require('@opentelemetry/sdk-metrics') as typeof import('@opentelemetry/sdk-metrics');
  const deltaFor: Record<TemporalityPreference, readonly string[]> = {
    cumulative: [],
    delta: [
      InstrumentType.COUNTER,
      InstrumentType.OBSERVABLE_COUNTER,
      InstrumentType.GAUGE,
      InstrumentType.HISTOGRAM,
      InstrumentType.OBSERVABLE_GAUGE,
    ],
    lowmemory: [InstrumentType.COUNTER, InstrumentType.HISTOGRAM],
  };
  const exporter = new DeferredOtlpExporter(config) as unknown as PushMetricExporter;
  exporter.selectAggregationTemporality = (type) =>
    deltaFor[preference].includes(type) ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
  return exporter;
}

function writeLine(kind: string, value: unknown): void {
  try {
    process.stderr.write(`${kind} ${inspect(value, { depth: 6, breakLength: Infinity, compact: true })}\n`);
  } catch {
    // stderr closed: nothing to do.
  }
}

function hrTimeToMicros(time: [number, number]): number {
  return time[0] * 1e6 + Math.round(time[1] / 1e3);
}

/** Writing is synchronous, so there is never anything to flush. */
abstract class StderrExporter {
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Writes each span as one line on stderr, synchronously (so nothing waits at exit). */
export class StderrSpanExporter extends StderrExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const ctx = span.spanContext();
      writeLine('span', {
        name: span.name,
        kind: span.kind,
        traceId: ctx.traceId,
        spanId: ctx.spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        timestamp: hrTimeToMicros(span.startTime),
        duration: hrTimeToMicros(span.duration),
        attributes: span.attributes,
        status: span.status,
        events: span.events,
        links: span.links,
        scope: span.instrumentationScope.name,
        service: span.resource.attributes['service.name'],
      });
    }
    done(SUCCESS);
  }
}

export class StderrMetricExporter extends StderrExporter implements PushMetricExporter {
  export(metrics: ResourceMetrics, done: (result: ExportResult) => void): void {
    for (const scope of metrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        writeLine('metric', {
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          type: metric.dataPointType,
          scope: scope.scope.name,
          dataPoints: metric.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
        });
      }
    }
    done(SUCCESS);
  }
}

export class StderrLogRecordExporter extends StderrExporter implements LogRecordExporter {
  export(records: ReadableLogRecord[], done: (result: ExportResult) => void): void {
    for (const record of records) {
      writeLine('log', {
        timestamp: hrTimeToMicros(record.hrTime),
        severityText: record.severityText,
        severityNumber: record.severityNumber,
        body: record.body,
        attributes: record.attributes,
        traceId: record.spanContext?.traceId,
        spanId: record.spanContext?.spanId,
        scope: record.instrumentationScope.name,
      });
    }
    done(SUCCESS);
  }
}
