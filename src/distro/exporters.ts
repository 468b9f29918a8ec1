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
import { collectorFor, errorFailure, isExiting } from './collectors';
import type { Collector } from './collectors';
import { deliveringBatch, useUnrefTransport } from './otlp-transport';
import type { Delivery } from './otlp-transport';

/** Where upstream's gRPC exporters send when no endpoint is given. */
const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';

const SUCCESS: ExportResult = { code: 0 };

/** What upstream's OTLP exporters of all three signals have in common, as this module uses them. */
interface UpstreamOtlpExporter {
  export(items: unknown, done: (result: ExportResult) => void): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}
type OtlpExporterClass = new (options: Record<string, unknown>) => UpstreamOtlpExporter;

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
function createOtlpExporterNow(config: OtlpSettings): UpstreamOtlpExporter {
  const Exporter = OTLP_PACKAGES[config.signal][config.protocol]();
  const options: Record<string, unknown> = {
    timeoutMillis: config.timeoutMillis,
    compression: config.compression,
  };
  if (config.url !== undefined) options.url = config.url;
  if (config.protocol !== 'grpc') options.headers = config.headers;
  else if (Object.keys(config.headers).length > 0) {
    // gRPC takes its headers as metadata.
    const { createEmptyMetadata } = fromSdkNode('@opentelemetry/otlp-grpc-exporter-base') as {
      createEmptyMetadata(): { set(name: string, value: string): void };
    };
    const metadata = createEmptyMetadata();
    for (const [name, value] of Object.entries(config.headers)) metadata.set(name, value);
    options.metadata = metadata;
  }
  return withoutOtlpEnvironment(config.isolated === true, () => new Exporter(options));
}

/** What upstream's exporters still read themselves from the environment: TLS files and gRPC's insecure switch. */
const UPSTREAM_READS = /_(CERTIFICATE|CLIENT_CERTIFICATE|CLIENT_KEY|INSECURE)$/;

/**
 * Runs `build` with OTEL_EXPORTER_OTLP_* variables taken out of process.env, and puts them back: all of them for an
 * isolated exporter (a configuration file is the whole configuration), else those config.ts has read already (the
 * endpoint, headers, timeout, compression, protocol), so that upstream does not read them a second time and report
 * the same bad value again in its own words. The exporters read them in their constructors only, and this runs
 * synchronously: no other code sees the environment without them.
 */
function withoutOtlpEnvironment<T>(all: boolean, build: () => T): T {
  const saved = Object.entries(process.env).filter(
    ([name]) => name.startsWith('OTEL_EXPORTER_OTLP_') && (all || !UPSTREAM_READS.test(name)),
  );
  for (const [name] of saved) delete process.env[name];
  try {
    return build();
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/**
 * How many items an export carries: spans and log records one each. A metric export counts as one: with cumulative
 * temporality, the next export carries the same points again.
 */
export function countItems(signal: Signal, items: unknown): number {
  if (signal !== 'metrics') return Array.isArray(items) ? items.length : 0;
  return ((items as ResourceMetrics | undefined)?.scopeMetrics.length ?? 0) > 0 ? 1 : 0;
}

/**
 * The OTLP exporter of one signal, as the SDK's processors and readers see it.
 *
 * - It loads its package later rather than at startup: the exporters and the protobuf encoding they share cost about
 *   45 ms of startup. It loads at the first export, or earlier when asked (load(): the span batch processor asks
 *   after its first span, flush/pending.ts).
 * - An export is handed over: the processor's export completes at once, and delivery goes on in the background, on
 *   sockets and timers that never keep the process alive (otlp-transport.ts). The SDK's processors and the metric
 *   reader each hold a timer of their own, not unref'd, until their exporter answers: answering at once is what lets
 *   an app exit on time when the collector is silent or slow. What was not delivered is counted and reported by the
 *   collector (collectors.ts), never thrown back into the SDK, so upstream prints nothing per failed export.
 * - It knows the batches being delivered, and whether each one's request is written out: the exit flush sends those
 *   that are not when the process exits before they are delivered (flush/pending.ts), and the flush at exit waits for
 *   them all (settled()).
 */
export class OtlpExporter {
  private real: UpstreamOtlpExporter | undefined;
  readonly collector: Collector;
  /** The batches handed over whose delivery has not finished, with whether their request is written out. */
  private readonly batches = new Map<unknown, Delivery>();
  private waiters: (() => void)[] = [];
  /** Items ever handed over: 'beforeExit' compares it to tell whether anything new was recorded. */
  handedOver = 0;
  /** Told of every delivered batch (the metrics pending at exit compare with the last one). */
  onDelivered: ((items: unknown) => void) | undefined;

  constructor(private readonly config: OtlpSettings) {
    this.collector = collectorFor(config.url ?? DEFAULT_GRPC_ENDPOINT, config.signal);
  }

  /** Loads the exporter's package now, and the HTTP client its first request loads; a failure is said at export. */
  load(): void {
    try {
      this.exporter();
      if (this.config.protocol !== 'grpc') require(this.config.url?.startsWith('https:') ? 'node:https' : 'node:http');
    } catch {
      // export() reports it.
    }
  }

  private exporter(): UpstreamOtlpExporter {
    if (this.real === undefined) {
      this.real = createOtlpExporterNow(this.config);
      if (this.config.protocol !== 'grpc' && !useUnrefTransport(this.real, this.collector))
        diag.debug(`the ${this.config.signal} exporter keeps upstream's transport: its shape is not the one expected`);
    }
    return this.real;
  }

  export(items: unknown, done: (result: ExportResult) => void): void {
    const { signal } = this.config;
    const count = countItems(signal, items);
    this.handedOver += count;
    // A collector that was tried and never took anything is not waited for once the process is ending.
    if (isExiting() && this.collector.neverAccepted) {
      this.collector.skippedAtExit(signal, count);
      done(SUCCESS);
      return;
    }
    let exporter: UpstreamOtlpExporter;
    try {
      exporter = this.exporter();
    } catch (err) {
      // A package that cannot load (a missing optional exporter) fails the export; it must not throw into the SDK.
      diag.error(`the ${this.config.protocol} ${signal} exporter could not be loaded:`, err);
      done({ code: 1, error: err as Error });
      return;
    }
    const delivery: Delivery = { written: false };
    this.batches.set(items, delivery);
    try {
      // Upstream's export serializes and calls the transport's send() synchronously: the transport takes the delivery.
      deliveringBatch(delivery, () => exporter.export(items, (result) => this.settle(items, count, result)));
    } catch (err) {
      this.settle(items, count, { code: 1, error: err as Error });
    }
    done(SUCCESS);
  }

  private settle(items: unknown, count: number, result: ExportResult): void {
    if (!this.batches.delete(items)) return;
    if (result.code === SUCCESS.code) {
      this.collector.accepted();
      this.onDelivered?.(items);
    } else this.collector.failed(this.config.signal, errorFailure(result.error), count);
    if (this.batches.size === 0) this.resolveWaiters();
  }

  private resolveWaiters(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** The batches handed over and not yet delivered (or failed). */
  get inFlight(): readonly unknown[] {
    return [...this.batches.keys()];
  }

  /**
   * For the flush at process.exit(): takes the batches in flight whose request is not written out (still being
   * written, or waiting for a retry), for the exit flush to send. One whose request is written out is left to its
   * connection: the system still delivers what was written when the process ends, so sending it again would make
   * each of its items arrive twice.
   */
  takeUnsent(): unknown[] {
    const unsent: unknown[] = [];
    for (const [items, delivery] of this.batches) {
      if (delivery.written) continue;
      unsent.push(items);
      this.batches.delete(items);
    }
    return unsent;
  }

  /** Items of the batches in flight. */
  inFlightCount(): number {
    let n = 0;
    for (const items of this.batches.keys()) n += countItems(this.config.signal, items);
    return n;
  }

  /** Resolves once every batch handed over so far is delivered or has failed. */
  settled(): Promise<void> {
    return this.batches.size === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * For an exit: waits for the batches in flight, unless the collector never accepted anything (collectors.ts):
   * then they are counted as not sent, and not waited for.
   */
  settledForExit(): Promise<void> {
    if (this.batches.size === 0 || !this.collector.neverAccepted) return this.settled();
    this.collector.skippedAtExit(this.config.signal, this.inFlightCount());
    this.batches.clear();
    this.resolveWaiters();
    return Promise.resolve();
  }

  /** The metric reader's flush asks this too: during an exit, only what is worth waiting for is waited for. */
  forceFlush(): Promise<void> {
    return isExiting() ? this.settledForExit() : this.settled();
  }

  shutdown(): Promise<void> {
    return this.real?.shutdown() ?? Promise.resolve();
  }
}

export function createOtlpExporter(config: OtlpSettings): OtlpExporter & SpanExporter & LogRecordExporter {
  return new OtlpExporter(config) as OtlpExporter & SpanExporter & LogRecordExporter;
}

/** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, as the OTLP metric exporters read it. */
type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';

/**
 * The metric exporter, deferred like the others. The metric reader asks its exporter for the temporality of each
 * instrument when it starts, so that one answer is given here, by the same rules as the OTLP metric exporters.
 */
export function createOtlpMetricExporter(
  config: OtlpSettings,
  preference: TemporalityPreference,
): OtlpExporter & PushMetricExporter {
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
  const exporter = new OtlpExporter(config) as OtlpExporter & PushMetricExporter;
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
