// `npm run demo`: the agent (client.mjs) and the MCP server it starts (server.mjs) run under the preload, export their
// spans over OTLP/HTTP JSON to a small receiver in this process, and the trace they make is printed on stderr as a
// tree. No collector needed. Exits 0 when the spans of both services arrived and every tools/call SERVER span is a
// child of a CLIENT span of the agent; otherwise says why and exits 1. Nothing is written to stdout.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

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
// The receiver: OTLP/HTTP JSON on /v1/traces (metrics and logs are off, but are answered too), and the "weather
// service" the server's fetch-weather tool calls.

const spans = [];
let lastArrival = 0;

function anyValue(v) {
  if (v == null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue?.values ?? []).map(anyValue);
  return undefined;
}
const attributesOf = (list = []) => Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));

function receiveTraces(request) {
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          service: String(resource['service.name'] ?? '?'),
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          name: s.name,
          kind: s.kind,
          start: BigInt(s.startTimeUnixNano ?? 0),
          end: BigInt(s.endTimeUnixNano ?? 0),
          attributes: attributesOf(s.attributes),
          status: s.status ?? {},
        });
      }
    }
  }
  lastArrival = Date.now();
}

const receiver = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (req.method === 'GET' && url.pathname === '/weather') {
    const city = url.searchParams.get('city') ?? 'nowhere';
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ city, temperatureC: 21, conditions: 'sunny' }));
    }, 15);
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (req.method === 'POST' && url.pathname === '/v1/traces') receiveTraces(JSON.parse(body.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    } catch (err) {
      out(`demo: the receiver could not read an export request to ${url.pathname}: ${err.message}`);
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{}');
    }
  });
});

function closeReceiver() {
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
// The tree.

const KINDS = { 0: 'UNSET', 1: 'INTERNAL', 2: 'SERVER', 3: 'CLIENT', 4: 'PRODUCER', 5: 'CONSUMER' };
const kindOf = (span) => KINDS[span.kind] ?? String(span.kind).replace(/^SPAN_KIND_/, '');
const STATUS_ERROR = 2;

/** The attributes shown, as `label=value`; the header line says which attribute each label stands for. */
const SHOWN = [
  ['error', 'error.type'],
  ['tool', 'gen_ai.tool.name'],
  ['uri', 'mcp.resource.uri'],
  ['id', 'jsonrpc.request.id'],
  ['mcp', 'mcp.protocol.version'],
];

function details(span) {
  const parts = [];
  for (const [label, key] of SHOWN) {
    const value = span.attributes[key];
    if (value === undefined) continue;
    let part = `${label}=${value}`;
    if (key === 'error.type' && span.status.message) part += ` (${JSON.stringify(span.status.message.slice(0, 60))})`;
    parts.push(part);
  }
  if (span.attributes['error.type'] === undefined && (span.status.code === STATUS_ERROR || span.status.code === 'STATUS_CODE_ERROR')) {
    parts.unshift(`status=ERROR${span.status.message ? ` (${JSON.stringify(span.status.message.slice(0, 60))})` : ''}`);
  }
  return parts.join(' ');
}

const durationMs = (span) => Number(span.end - span.start) / 1e6;
/** Start times have millisecond precision (the SDK takes them from Date.now()): the end time breaks ties. */
const byStart = (a, b) => (a.start !== b.start ? (a.start < b.start ? -1 : 1) : a.end < b.end ? -1 : a.end > b.end ? 1 : 0);

/** The tree rows of every trace, the oldest trace first. */
function treeRows() {
  const ids = new Set(spans.map((s) => `${s.traceId}/${s.spanId}`));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    const parentKey = span.parentSpanId ? `${span.traceId}/${span.parentSpanId}` : undefined;
    if (parentKey && ids.has(parentKey)) {
      if (!children.has(parentKey)) children.set(parentKey, []);
      children.get(parentKey).push(span);
    } else {
      roots.push(span);
    }
  }
  const traces = new Map();
  for (const root of roots.sort(byStart)) {
    if (!traces.has(root.traceId)) traces.set(root.traceId, []);
    traces.get(root.traceId).push(root);
  }
  const result = [];
  for (const [traceId, traceRoots] of traces) {
    const rows = [];
    const walk = (span, lead, branch) => {
      const orphan = span.parentSpanId && !ids.has(`${span.traceId}/${span.parentSpanId}`) ? ' (its parent was not received)' : '';
      rows.push({ span, label: `${lead}${branch}${span.name}`, note: orphan });
      const kids = (children.get(`${span.traceId}/${span.spanId}`) ?? []).sort(byStart);
      const nextLead = lead + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
      kids.forEach((kid, i) => walk(kid, nextLead, i === kids.length - 1 ? '└─ ' : '├─ '));
    };
    for (const root of traceRoots) walk(root, '', '');
    result.push({ traceId, rows });
  }
  return result;
}

function printTree() {
  const traces = treeRows();
  const all = traces.flatMap((t) => t.rows);
  const nameWidth = Math.max(4, ...all.map((r) => r.label.length)) + 2;
  const serviceWidth = Math.max(7, ...all.map((r) => r.span.service.length)) + 2;
  const legend = SHOWN.map(([label, key]) => `${label}=${key}`).join(' ');
  out();
  out(`${'span'.padEnd(nameWidth)}${'kind'.padEnd(10)}${'service'.padEnd(serviceWidth)}${'duration'.padStart(10)}  attributes: ${legend}`);
  for (const { traceId, rows } of traces) {
    out(`trace ${traceId}: ${rows.length} spans`);
    for (const { span, label, note } of rows) {
      const duration = `${durationMs(span).toFixed(1)} ms`.padStart(10);
      const line = `${label.padEnd(nameWidth)}${kindOf(span).padEnd(10)}${span.service.padEnd(serviceWidth)}${duration}  ${details(span)}${note}`;
      out(line.trimEnd());
    }
  }
}

/** Why the demo failed, or undefined when all is as it should be. */
function problems() {
  const found = [];
  const services = new Set(spans.map((s) => s.service));
  for (const service of [CLIENT_SERVICE, SERVER_SERVICE]) {
    if (!services.has(service)) found.push(`no spans arrived from ${service}`);
  }
  const byId = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const toolServerSpans = spans.filter((s) => s.service === SERVER_SERVICE && kindOf(s) === 'SERVER' && s.attributes['mcp.method.name'] === 'tools/call');
  if (services.has(SERVER_SERVICE) && toolServerSpans.length === 0) found.push(`${SERVER_SERVICE} sent no tools/call SERVER spans`);
  for (const span of toolServerSpans) {
    const parent = span.parentSpanId ? byId.get(`${span.traceId}/${span.parentSpanId}`) : undefined;
    if (!parent) {
      found.push(`SERVER span "${span.name}" has ${span.parentSpanId ? 'a parent that was not received' : 'no parent'}`);
    } else if (kindOf(parent) !== 'CLIENT' || parent.service !== CLIENT_SERVICE) {
      found.push(`SERVER span "${span.name}" is a child of ${kindOf(parent)} span "${parent.name}" of ${parent.service}, not of a CLIENT span of ${CLIENT_SERVICE}`);
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
  await new Promise((resolve, reject) => {
    receiver.once('error', reject);
    receiver.listen(0, '127.0.0.1', resolve);
  });
  const endpoint = `http://127.0.0.1:${receiver.address().port}`;
  out(`demo: OTLP/HTTP JSON receiver on ${endpoint}; starting the agent, which starts the MCP server (both under the preload)`);
  const started = Date.now();
  try {
    const exit = await runClient(endpoint);
    out(`demo: the agent exited (${exit.error ? exit.error.message : exit.signal ?? `code ${exit.code}`}); waiting for the spans of both processes`);
    const complete = await waitForSpans();
    if (spans.length > 0) printTree();
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
    receiver.closeAllConnections();
    receiver.close();
  },
);
