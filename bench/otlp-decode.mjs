// What `mcp-otel view` spends decoding OTLP (src/view/otlp-decode.ts): export requests of 512 spans (the SDK's
// BatchSpanProcessor batch) like the preload's MCP spans (client and server pairs, 15 attributes each: method, tool,
// session, ids, transport, peer, sizes, a captured argument), made by the real SDK and serialized by
// @opentelemetry/otlp-transformer in protobuf and in JSON, decoded over and over. After `npm run build`:
//
//   node bench/otlp-decode.mjs
//
// Prints spans/s per encoding: the median of ROUNDS (default 15) rounds of REPEATS (default 20) decodes each, after a
// warm-up; the two encodings alternate. Each round also checks that the batch holds 512 spans.
import { createRequire } from 'node:module';
import { context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';

const require = createRequire(import.meta.url);
const { decodeExport } = require('../dist/view/otlp-decode.js');

const BATCH = 512;
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const REPEATS = Number(process.env.REPEATS ?? 20);

function makeBatch() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'weather-server',
      'service.version': '1.4.0',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.version': '3.0.0',
      'process.pid': 31337,
      'host.name': 'laptop',
    }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('@x/mcp-otel', '0.1.0');
  const attributesOf = (i) => ({
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'get_weather',
    'gen_ai.operation.name': 'execute_tool',
    'jsonrpc.request.id': String(i),
    'jsonrpc.protocol.version': '2.0',
    'mcp.session.id': 'a3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    'mcp.protocol.version': '2025-06-18',
    'network.transport': 'tcp',
    'network.protocol.name': 'http',
    'server.address': 'localhost',
    'server.port': 3000,
    'client.port': 50000 + (i % 1000),
    'rpc.response.status_code': 0,
    'mcp.request.size': 180 + (i % 50),
    'gen_ai.tool.call.arguments': `{"city":"Paris","days":${i % 7}}`,
  });
  // Client and server span pairs, the server's the child, as one traced call makes them.
  for (let i = 0; i < BATCH / 2; i++) {
    const client = tracer.startSpan('tools/call get_weather', { kind: 2, attributes: attributesOf(i) });
    const server = tracer.startSpan(
      'tools/call get_weather',
      { kind: 1, attributes: attributesOf(i) },
      trace.setSpan(context.active(), client),
    );
    server.end();
    client.end();
  }
  return exporter.getFinishedSpans().slice(0, BATCH);
}

const spans = makeBatch();
const bodies = {
  protobuf: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)),
  json: Buffer.from(JsonTraceSerializer.serializeRequest(spans)),
};

function round(encoding) {
  const body = bodies[encoding];
  const started = performance.now();
  let count = 0;
  for (let i = 0; i < REPEATS; i++) count += decodeExport('traces', body, encoding).spans.length;
  const elapsed = performance.now() - started;
  if (count !== BATCH * REPEATS) throw new Error(`${encoding}: decoded ${count} spans, not ${BATCH * REPEATS}`);
  return (count / elapsed) * 1000;
}

for (const encoding of Object.keys(bodies)) round(encoding); // warm-up
const rates = { protobuf: [], json: [] };
for (let i = 0; i < ROUNDS; i++) for (const encoding of Object.keys(bodies)) rates[encoding].push(round(encoding));
const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`node ${process.version}, batches of ${BATCH} spans, median of ${ROUNDS} rounds of ${REPEATS} batches`);
for (const encoding of Object.keys(bodies)) {
  const kib = (bodies[encoding].length / 1024).toFixed(0);
  const perBatch = (BATCH / median(rates[encoding])) * 1000;
  console.log(
    `${encoding.padEnd(8)} ${kib.padStart(5)} KiB a batch  ${Math.round(median(rates[encoding])).toLocaleString('en')} spans/s` +
      `  (${perBatch.toFixed(2)} ms a batch)`,
  );
}
