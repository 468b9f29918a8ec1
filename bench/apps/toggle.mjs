// The instrumentation's cost in one process, switched off and on between batches of calls through its public API
// (McpInstrumentation.disable() / enable()), over one Client/McpServer pair joined by the in-memory transport. The
// other benchmarks compare separate processes, whose differences the machine's noise blurs; here both sides of each
// pair run in the same warm process, one after the other.
//   `node toggle.mjs full <pairs> <calls>`: the OpenTelemetry SDK records and exports (OTLP/HTTP protobuf to
//     OTEL_EXPORTER_OTLP_ENDPOINT): the instrumentation plus what the SDK does with its spans and points;
//   `node toggle.mjs api <pairs> <calls>`: no SDK provider, the API's no-ops: the instrumentation alone.
// Each batch is timed in main-thread CPU time where Node has process.threadCpuUsage (23.9 and later), which leaves out
// the time the machine gives to others; else in wall time. Prints one JSON line: the clock and each batch's µs per call.
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { McpInstrumentation } from '@x/mcp-otel';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { callAdd } from './calls-common.mjs';
import { connectInMemory } from './in-memory-pair.mjs';

const [mode, pairs, calls] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const providers = [];
if (mode === 'full') {
  const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const { TracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
  const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const { OTLPMetricExporter } = await import('@opentelemetry/exporter-metrics-otlp-proto');
  const tracerProvider = new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${endpoint}/v1/traces` }) })] });
  const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: `${endpoint}/v1/metrics` }), exportIntervalMillis: 5000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  providers.push(tracerProvider, meterProvider);
} else if (mode !== 'api') {
  throw new Error(`mode is full or api, not ${mode}`);
}

const instrumentation = new McpInstrumentation();
instrumentation.instrument(Client, McpServer);
const client = await connectInMemory();

const threadCpu = typeof process.threadCpuUsage === 'function';
const clockUs = threadCpu
  ? () => {
      const { user, system } = process.threadCpuUsage();
      return user + system;
    }
  : () => performance.now() * 1000;

/** One batch of calls with the instrumentation on or off; µs per call. */
async function batch(on) {
  if (on) instrumentation.enable();
  else instrumentation.disable();
  const started = clockUs();
  for (let i = 0; i < calls; i++) await callAdd(client, i);
  return (clockUs() - started) / calls;
}

// Warm-up, then pairs whose order alternates so that neither side always runs first.
for (let i = 0; i < 2; i++) {
  await batch(true);
  await batch(false);
}
const offUs = [];
const onUs = [];
for (let i = 0; i < pairs; i++) {
  if (i % 2 === 0) {
    onUs.push(await batch(true));
    offUs.push(await batch(false));
  } else {
    offUs.push(await batch(false));
    onUs.push(await batch(true));
  }
}
await client.close();
for (const provider of providers) await provider.shutdown();
process.stdout.write(JSON.stringify({ clock: threadCpu ? 'main-thread CPU' : 'wall', offUs, onUs }) + '\n');
