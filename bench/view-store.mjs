// The view's store alone (dist/view/store.js, node:sqlite): how many spans a second it stores, in memory and in a file
// (--db), and the process's memory as 1,000,000 spans go through it with the default caps.
// Spans are like the preload's MCP spans: 15 attributes, a resource of 20, in batches of 512 (the SDK's batch size).
//   node bench/view-store.mjs [--spans N] [--file]
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { Store } = require('../dist/view/store.js');

const args = process.argv.slice(2);
const total = Number(args[args.indexOf('--spans') + 1] || 1_000_000);
const inFile = args.includes('--file');
const BATCH = 512;

const resource = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`resource.key.${i}`, `value ${i} of the resource`]));
resource['service.name'] = 'bench-server';
resource['service.instance.id'] = '6c1f3f0e-8d7e-4f7b-9c55-4d7d4e0f8a11';

const hex = (n, width) => n.toString(16).padStart(width, '0');
function makeSpan(n) {
  const start = 1_750_000_000_000 + n * 0.25;
  return {
    service: 'bench-server',
    resource,
    scope: '@x/mcp-otel',
    traceId: hex(Math.floor(n / 4), 32),
    spanId: hex(n + 1, 16),
    parentSpanId: n % 4 === 0 ? undefined : hex(n, 16),
    name: n % 3 === 0 ? 'tools/call forecast' : 'GET',
    kind: n % 3 === 0 ? 2 : 3,
    startMs: start,
    endMs: start + 3.5,
    attributes: {
      'mcp.method.name': n % 3 === 0 ? 'tools/call' : undefined,
      'gen_ai.tool.name': 'forecast',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': String(n),
      'mcp.protocol.version': '2025-11-25',
      'mcp.session.id': `session-${n % 50}`,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'server.address': '127.0.0.1',
      'server.port': 3000,
      'client.address': '127.0.0.1',
      'mcp.client.name': 'bench-agent',
      'mcp.client.version': '1.0.0',
      'url.full': 'http://127.0.0.1:3000/mcp',
    },
    events: [],
    links: [],
    status: { code: 0 },
  };
}
for (const span of [makeSpan(0), makeSpan(1)]) {
  for (const [k, v] of Object.entries(span.attributes)) if (v === undefined) delete span.attributes[k];
}

const dir = inFile ? mkdtempSync(join(tmpdir(), 'view-bench-')) : undefined;
const store = new Store(dir ? { file: join(dir, 'view.db') } : {});
const mb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const batches = [];
for (let b = 0; b < 8; b++) {
  batches.push(
    Array.from({ length: BATCH }, (_, i) => {
      const span = makeSpan(b * BATCH + i);
      for (const [k, v] of Object.entries(span.attributes)) if (v === undefined) delete span.attributes[k];
      return span;
    }),
  );
}

console.log(`store: ${inFile ? 'file' : 'memory'}, caps ${JSON.stringify(store.status().caps)}, ${total} spans in batches of ${BATCH}`);
console.log(`rss at start: ${mb()} MB`);
let stored = 0;
let windowStart = performance.now();
let windowSpans = 0;
const rates = [];
const started = performance.now();
while (stored < total) {
  const batch = batches[(stored / BATCH) % batches.length];
  store.add({ signal: 'traces', spans: batch });
  stored += batch.length;
  windowSpans += batch.length;
  if (stored % 100_352 < BATCH) {
    const now = performance.now();
    const rate = Math.round(windowSpans / ((now - windowStart) / 1000));
    rates.push(rate);
    console.log(`${String(stored).padStart(8)} spans: ${String(rate).padStart(7)} spans/s, rss ${mb()} MB, heap ${Math.round(process.memoryUsage().heapUsed / 1048576)} MB, kept ${store.status().kept.spans}, dropped ${store.status().dropped.spans}`);
    windowStart = now;
    windowSpans = 0;
  }
}
const seconds = (performance.now() - started) / 1000;
console.log(`overall: ${Math.round(stored / seconds)} spans/s over ${seconds.toFixed(1)} s; rss at end ${mb()} MB`);
store.close();
if (dir) rmSync(dir, { recursive: true, force: true });
