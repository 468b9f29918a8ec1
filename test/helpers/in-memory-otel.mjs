// A tracer provider with an in-memory exporter, the W3C propagators and an AsyncLocalStorage context manager, plus
// the MCP SDK (CommonJS copy of the test app) loaded after McpInstrumentation is enabled: for unit tests only.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { APP_DIR } from './processes.mjs';

export const exporter = new InMemorySpanExporter();

/** A metric reader the tests collect from when they want (cumulative temporality). */
class CollectingReader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
export const metricReader = new CollectingReader();

/** The data points of every MCP histogram, flattened: { name, unit, attributes, count, sum, boundaries }. */
export async function histogramPoints() {
  const { resourceMetrics } = await metricReader.collect();
  const points = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      for (const point of metric.dataPoints) {
        points.push({
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          attributes: point.attributes,
          count: point.value.count,
          sum: point.value.sum,
          boundaries: point.value.buckets.boundaries,
        });
      }
    }
  }
  return points;
}
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

/** Starts the global providers and the instrumentation, then loads the SDK so that the require hook sees it. */
export async function setUp(instrumentationConfig = {}, { views = [] } = {}) {
  const meterProvider = new MeterProvider({ readers: [metricReader], views });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  trace.setGlobalTracerProvider(provider);
  const { McpInstrumentation } = await import(join(process.cwd(), 'dist', 'index.js'));
  const instrumentation = new McpInstrumentation(instrumentationConfig);
  registerInstrumentations({ instrumentations: [instrumentation], meterProvider });
  const requireSdk = createRequire(join(APP_DIR, 'package.json'));
  const sdk = (path) => requireSdk(`@modelcontextprotocol/sdk/${path}`);
  return {
    instrumentation,
    Client: sdk('client/index.js').Client,
    Server: sdk('server/index.js').Server,
    McpServer: sdk('server/mcp.js').McpServer,
    ResourceTemplate: sdk('server/mcp.js').ResourceTemplate,
    InMemoryTransport: sdk('inMemory.js').InMemoryTransport,
    StdioServerTransport: sdk('server/stdio.js').StdioServerTransport,
    types: sdk('types.js'),
    z: requireSdk('zod'),
  };
}

/** Finished spans, with hex ids and the parent id, as the assertions want them. */
export function finishedSpans() {
  return exporter.getFinishedSpans().map((s) => ({
    name: s.name,
    kind: s.kind,
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId,
    attributes: s.attributes,
    status: s.status,
    events: s.events,
    links: s.links,
    startTime: s.startTime,
    endTime: s.endTime,
  }));
}
