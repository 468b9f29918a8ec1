// `mcp-otel tail`'s own work, after the receiver (dist/view/tree.js, traces.js, dist/cli/tail.js): the time to lay out
// and print one trace as a tree, and how many spans a second the trace collector takes with its caps pushing traces out.
//   npm run build && node bench/tail.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { treeLines } = require('../dist/view/tree.js');
const { TraceCollector } = require('../dist/view/traces.js');
const { TracePrinter } = require('../dist/cli/tail.js');

const hex = (n, width) => n.toString(16).padStart(width, '0');
const span = (traceId, i, parent) => ({
  service: 'svc', resource: {}, scope: '', traceId, spanId: hex(i, 16), parentSpanId: parent, name: `tools/call tool-${i % 10}`,
  kind: 2, startMs: 1e12 + i, endMs: 1e12 + i + 1.5, events: [], links: [], status: { code: 0 },
  attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': `tool-${i % 10}`, 'jsonrpc.request.id': i },
});
/** A trace of n spans, each span the child of the one n/4 before it (a fan-out of 4). */
function trace(traceId, n) {
  const spans = [span(traceId, 0)];
  for (let i = 1; i < n; i++) spans.push(span(traceId, i, hex(Math.floor((i - 1) / 4), 16)));
  return spans;
}

for (const n of [1_000, 100_000]) {
  const spans = trace('a'.repeat(32), n);
  let started = performance.now();
  treeLines(spans);
  const laidOut = performance.now() - started;
  started = performance.now();
  new TracePrinter(false, undefined).render({ traceId: 'a'.repeat(32), spans, continued: false });
  const rendered = performance.now() - started;
  console.log(`${n} spans: tree ${laidOut.toFixed(1)} ms; printed with its operations ${rendered.toFixed(1)} ms`);
}

const collector = new TraceCollector();
let spans = 0;
let traces = 0;
const started = performance.now();
for (let batch = 0; batch < 400; batch++) {
  const received = [];
  for (let k = 0; k < 25; k++) received.push(...trace(hex(batch * 25 + k, 32), 20));
  traces += collector.add(received, batch * 10).length;
  spans += received.length;
  if (batch % 10 === 0) traces += collector.due(batch * 10).length;
}
const elapsed = performance.now() - started;
console.log(
  `collector: ${spans} spans in ${elapsed.toFixed(0)} ms (${Math.round((spans / elapsed) * 1000)} spans/s); ` +
    `${traces} traces out, ${collector.pending.traces} open at the end`,
);
