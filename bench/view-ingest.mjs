// What `mcp-otel view` sustains: OTLP/HTTP protobuf export requests of 512 spans (the SDK's batch) made by the real
// serializer from real SDK spans, posted by 4 senders at once, while the page is open in Chromium on the live list (with
// --page; playwright-core and /usr/bin/chromium). Prints spans/s per 100,000 spans and the view's RSS (from /proc), so
// that memory can be seen flat once the caps are reached.
//   node bench/view-ingest.mjs [--spans 1000000] [--page] [--db]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const args = process.argv.slice(2);
const total = Number(args[args.indexOf('--spans') + 1] || 1_000_000);
const withPage = args.includes('--page');
const withDb = args.includes('--db');
const BATCH = 512;
const SENDERS = 4;
const BODIES = 40;

// Real spans: an MCP tools/call SERVER span with the preload's attributes and two children, per trace.
const exporter = new InMemorySpanExporter();
const resourceAttributes = { 'service.name': 'bench-server', 'service.instance.id': 'b5c1e2f0-6a7d-4c1e-9e55-0d3f2a1b4c5d' };
for (let i = 0; i < 16; i++) resourceAttributes[`host.attribute.${i}`] = `value of the host attribute ${i}`;
const provider = new TracerProvider({
  resource: resourceFromAttributes(resourceAttributes),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer('@x/mcp-otel', '0.1.0');
const { context, trace } = require('@opentelemetry/api');
for (let n = 0; n < BATCH * BODIES; n += 3) {
  const server = tracer.startSpan(`tools/call forecast`, {
    kind: 1,
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'forecast',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': String(n),
      'mcp.protocol.version': '2025-11-25',
      'mcp.session.id': `session-${n % 50}`,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      'client.port': 50_000 + (n % 1000),
      'mcp.client.name': 'bench-agent',
      'mcp.client.version': '1.0.0',
      'rpc.response.status_code': n % 10 === 0 ? '-32602' : undefined,
      'error.type': n % 7 === 0 ? 'tool_error' : undefined,
    },
  });
  const inside = trace.setSpan(context.active(), server);
  tracer.startSpan('weather lookup', {}, inside).end();
  tracer.startSpan('GET', { kind: 2, attributes: { 'http.request.method': 'GET', 'url.full': 'http://127.0.0.1/w' } }, inside).end();
  server.end();
}
const finished = exporter.getFinishedSpans();
const bodies = [];
for (let b = 0; b < BODIES; b++) bodies.push(Buffer.from(ProtobufTraceSerializer.serializeRequest(finished.slice(b * BATCH, (b + 1) * BATCH))));

const dir = mkdtempSync(join(tmpdir(), 'view-ingest-'));
const viewArgs = [join(ROOT, 'dist', 'cli', 'view.js'), '--port', '0', '--otlp-port', '0'];
if (withDb) viewArgs.push('--db', join(dir, 'view.db'));
const view = spawn(process.execPath, viewArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
const addresses = await new Promise((resolve, reject) => {
  let err = '';
  const timer = setTimeout(() => reject(new Error(`the view did not start: ${err}`)), 15_000);
  view.stderr.on('data', (c) => {
    err += c;
    const page = /^view: (\S+)$/m.exec(err);
    const otlp = /^otlp: (\S+)$/m.exec(err);
    if (page && otlp) {
      clearTimeout(timer);
      resolve({ page: page[1], otlp: otlp[1] });
    }
  });
});
const rssMb = () => {
  const status = readFileSync(`/proc/${view.pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024);
};

let browser;
if (withPage) {
  const { chromium } = require('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const page = await browser.newPage();
  await page.goto(addresses.page);
}

const url = new URL('/v1/traces', addresses.otlp);
const agent = new Agent({ keepAlive: true, maxSockets: SENDERS });
function post(body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

console.log(`view-ingest: ${total} spans in requests of ${BATCH}, ${SENDERS} senders, ${withDb ? 'a --db file' : 'in memory'}, page ${withPage ? 'open in Chromium' : 'closed'}`);
console.log(`view rss at start: ${rssMb()} MB`);
let sent = 0;
let next = 0;
let windowStart = performance.now();
let windowSent = 0;
const started = performance.now();
const rates = [];
async function sender() {
  while (sent < total) {
    const body = bodies[next++ % bodies.length];
    sent += BATCH;
    await post(body);
    windowSent += BATCH;
    if (windowSent >= 100_000) {
      const now = performance.now();
      const rate = Math.round(windowSent / ((now - windowStart) / 1000));
      rates.push(rate);
      console.log(`${String(sent).padStart(8)} spans: ${String(rate).padStart(7)} spans/s, view rss ${rssMb()} MB`);
      windowStart = now;
      windowSent = 0;
    }
  }
}
await Promise.all(Array.from({ length: SENDERS }, sender));
const seconds = (performance.now() - started) / 1000;
const status = await (await fetch(new URL('/api/status', addresses.page))).json();
console.log(`overall: ${Math.round(sent / seconds)} spans/s over ${seconds.toFixed(1)} s; view rss at end ${rssMb()} MB`);
console.log(`store: ${JSON.stringify(status)}`);
await browser?.close();
agent.destroy();
view.kill('SIGTERM');
await new Promise((resolve) => view.on('close', resolve));
rmSync(dir, { recursive: true, force: true });
