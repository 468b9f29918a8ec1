// `npm run demo`: the agent (client.mjs) and the MCP server it starts (server.mjs) run under the preload, export their
// spans over OTLP/HTTP JSON to the receiver of `mcp-otel view` and `tail`, run in this process, and the trace they make
// is printed on stderr as `tail`'s tree. No collector needed. Exits 0 when the spans of both services arrived and every
// tools/call SERVER span is a child of a CLIENT span of the agent; otherwise says why and exits 1. Nothing is written
// to stdout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const REGISTER = pathToFileURL(join(ROOT, 'register.mjs')).href;
const CLIENT_SERVICE = 'mcp-demo-client';
const SERVER_SERVICE = 'mcp-demo-server';
/** How long the agent may run, and how long spans may take to arrive after it exits. */
const CLIENT_TIMEOUT_MS = 30_000;
const ARRIVAL_TIMEOUT_MS = 15_000;
/** Spans are taken as all there when both services have sent some and nothing more came for this long. */
const QUIET_MS = 300;

const out = (line = '') => process.stderr.write(`${line}\n`);

// ---------------------------------------------------------------------------------------------------------------------
// The receiver: `mcp-otel view`'s and `tail`'s OTLP/HTTP handler (dist/view/receiver.js), and the "weather service" the
// server's fetch-weather tool calls.

const spans = [];
let lastArrival = 0;
let receiver;

function startReceiver(createOtlpHandler) {
  const otlp = createOtlpHandler(
    (batch) => {
      if (batch.signal !== 'traces') return;
      spans.push(...batch.spans);
      lastArrival = Date.now();
    },
    { onRejected: ({ status, message }) => out(`demo: the receiver refused an export request (${status}): ${message}`) },
  );
  receiver = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/weather') return otlp(req, res);
    const city = url.searchParams.get('city') ?? 'nowhere';
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ city, temperatureC: 21, conditions: 'sunny' }));
    }, 15);
  });
  return new Promise((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(0, '127.0.0.1', resolve);
  });
}

function closeReceiver() {
  if (!receiver) return Promise.resolve();
  receiver.closeAllConnections();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 2_000);
    receiver.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// The agent, under the preload. Its stderr (and the server's, which the SDK passes through to it) is shown as it comes.

function runClient(endpoint) {
  // Our own OTEL_* and NODE_OPTIONS stay out (OTEL_LOG_LEVEL excepted, for debugging): the demo sets what it needs.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => (!k.startsWith('OTEL_') || k === 'OTEL_LOG_LEVEL') && k !== 'NODE_OPTIONS'),
  );
  const env = {
    ...inherited,
    OTEL_SERVICE_NAME: CLIENT_SERVICE,
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
    MCP_DEMO_WEATHER_URL: `${endpoint}/weather`,
  };
  const child = spawn(process.execPath, ['--import', REGISTER, join(HERE, 'client.mjs')], {
    cwd: HERE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(process.stderr, { end: false });
  child.stderr.pipe(process.stderr, { end: false });
  const timer = setTimeout(() => {
    out(`demo: the agent did not finish within ${CLIENT_TIMEOUT_MS / 1000} s; stopping it`);
    child.kill('SIGKILL');
  }, CLIENT_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, error: err });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

async function waitForSpans() {
  const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
  const services = () => new Set(spans.map((s) => s.service));
  while (Date.now() < deadline) {
    const seen = services();
    if (seen.has(CLIENT_SERVICE) && seen.has(SERVER_SERVICE) && Date.now() - lastArrival >= QUIET_MS) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

// ---------------------------------------------------------------------------------------------------------------------
// The tree: `mcp-otel tail`'s (dist/view/tree.js), printed on stderr.

const KIND_SERVER = 2;
const KIND_CLIENT = 3;
const KIND_NAMES = { [KIND_SERVER]: 'SERVER', [KIND_CLIENT]: 'CLIENT' };
const kindName = (span) => KIND_NAMES[span.kind] ?? `kind ${span.kind}`;

/** Why the demo failed, or undefined when all is as it should be. */
function problems() {
  const found = [];
  const services = new Set(spans.map((s) => s.service));
  for (const service of [CLIENT_SERVICE, SERVER_SERVICE]) {
    if (!services.has(service)) found.push(`no spans arrived from ${service}`);
  }
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const toolServerSpans = spans.filter((s) => s.service === SERVER_SERVICE && s.kind === KIND_SERVER && s.attributes['mcp.method.name'] === 'tools/call');
  if (services.has(SERVER_SERVICE) && toolServerSpans.length === 0) found.push(`${SERVER_SERVICE} sent no tools/call SERVER spans`);
  for (const span of toolServerSpans) {
    const parent = span.parentSpanId ? byId.get(`${span.traceId}/${span.parentSpanId}`) : undefined;
    if (!parent) {
      found.push(`SERVER span "${span.name}" has ${span.parentSpanId ? 'a parent that was not received' : 'no parent'}`);
    } else if (parent.kind !== KIND_CLIENT || parent.service !== CLIENT_SERVICE) {
      found.push(`SERVER span "${span.name}" is a child of ${kindName(parent)} span "${parent.name}" of ${parent.service}, not of a CLIENT span of ${CLIENT_SERVICE}`);
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------------

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'distro', 'start.js'))) {
    out('demo: dist/ is missing; run `npm run build` first (`npm run demo` does)');
    return 1;
  }
  // dist/ is CommonJS: its modules are loaded once it is known to be there.
  const { createOtlpHandler } = await import(pathToFileURL(join(ROOT, 'dist', 'view', 'receiver.js')).href);
  const { treeLines } = await import(pathToFileURL(join(ROOT, 'dist', 'view', 'tree.js')).href);
  await startReceiver(createOtlpHandler);
  const endpoint = `http://127.0.0.1:${receiver.address().port}`;
  out(`demo: OTLP/HTTP JSON receiver on ${endpoint}; starting the agent, which starts the MCP server (both under the preload)`);
  const started = Date.now();
  try {
    const exit = await runClient(endpoint);
    out(`demo: the agent exited (${exit.error ? exit.error.message : exit.signal ?? `code ${exit.code}`}); waiting for the spans of both processes`);
    const complete = await waitForSpans();
    if (spans.length > 0) {
      out();
      for (const line of treeLines(spans)) out(line);
    }
    out();
    const found = problems();
    if (exit.error || exit.code !== 0) found.unshift(`the agent failed (${exit.error ? exit.error.message : exit.signal ?? `exit code ${exit.code}`})`);
    if (!complete && found.length === 0) found.push(`spans were still arriving after ${ARRIVAL_TIMEOUT_MS / 1000} s`);
    if (found.length > 0) {
      for (const problem of found) out(`demo: FAILED: ${problem}`);
      return 1;
    }
    const traceCount = new Set(spans.map((s) => s.traceId)).size;
    out(
      `demo: OK in ${((Date.now() - started) / 1000).toFixed(1)} s: ${spans.length} spans in ${traceCount} trace${traceCount === 1 ? '' : 's'} ` +
        `from ${CLIENT_SERVICE} and ${SERVER_SERVICE}; every tools/call SERVER span is a child of the agent's CLIENT span`,
    );
    return 0;
  } finally {
    await closeReceiver();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    out(`demo: FAILED: ${err?.stack ?? err}`);
    process.exitCode = 1;
    void closeReceiver();
  },
);
