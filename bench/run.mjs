// `npm run bench`: what the instrumentation costs, against the uninstrumented app, the zero-code peer (dd-trace) and
// the upstream register.
//   0. peer: a Client calling the read_graph tool of the real stdio server @modelcontextprotocol/server-memory, both
//      processes bare, under @x/mcp-otel, or under dd-trace 6.21, alternating, from .test-work/bench-peer (bench/peer,
//      installed with npm ci, and the tarball); the stand-in receiver counts each tracer's spans, and a run whose
//      spans did not all arrive fails;
//   1. per request: tools/call round trips over the in-memory transport (one process) and over stdio (two processes),
//      bare, preloaded (100% sampling, OTLP/HTTP export to a local receiver), and preloaded with OTEL_SDK_DISABLED=true,
//      the variants alternating round by round; in-memory also with no exporter, spans only and metrics only, to split
//      the overhead into the instrumentation, the spans and the metrics;
//   2. startup: from spawn until a stdio MCP server answers `initialize`, bare, ours, and the upstream register (with
//      and without its ESM hook), alternating, median of STARTUP_RUNS (default 15);
//   3. memory: RSS and heap after 10k and 50k calls in one session, and after 200 and 1000 Streamable HTTP sessions
//      opened and closed, bare and preloaded;
//   4. toggle: in one process, the instrumentation switched off and on between batches of in-memory calls, with the
//      SDK recording and exporting, and with the API's no-ops only (bench/apps/toggle.mjs);
//   5. bundled: startup (spawn until `initialize` is answered) of the real servers that bundle the MCP SDK
//      (@playwright/mcp, chrome-devtools-mcp, @notionhq/notion-mcp-server, installed by test/setup.mjs from
//      test/bundled into .test-work/bundled), bare, preloaded with the @x/mcp-otel of BASELINE_REF (default: 4efe9ca, the
//      last main before bundled copies were found; built from `git archive` into .test-work/bench-baseline), and preloaded with this tree's packed tarball,
//      alternating, median of STARTUP_RUNS: what finding and handing over the bundled SDK adds; and the same for the
//      by-name stdio server of bench/apps, as a control (what the cheap test on every module costs).
// Prints tables and writes bench/results.json. The apps (bench/apps) run from .test-work/app, where test/setup.mjs
// installed the packed tarball, exactly as a user's app would: `node --import @x/mcp-otel/register app.mjs`.
// Environment: ROUNDS (default 5), INMEMORY_CALLS (5000), STDIO_CALLS (2000), STARTUP_RUNS (15), MEMORY_CALLS
// ("10000,50000"), HTTP_SESSIONS ("200,1000"), TOGGLE_PAIRS (16), TOGGLE_CALLS (5000), BASELINE_REF, SECTIONS
// (default "peer,requests,startup,memory,toggle,bundled").
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORK = join(HERE, '..', '.test-work');
const APP_DIR = join(WORK, 'app');
const APPS = join(APP_DIR, 'bench');
const env = (name, fallback) => process.env[name] ?? fallback;
const ROUNDS = Number(env('ROUNDS', 5));
const INMEMORY_CALLS = Number(env('INMEMORY_CALLS', 5000));
const STDIO_CALLS = Number(env('STDIO_CALLS', 2000));
const STARTUP_RUNS = Number(env('STARTUP_RUNS', 15));
const MEMORY_CALLS = env('MEMORY_CALLS', '10000,50000');
const TOGGLE_PAIRS = Number(env('TOGGLE_PAIRS', 16));
const TOGGLE_CALLS = Number(env('TOGGLE_CALLS', 5000));
const HTTP_SESSIONS = env('HTTP_SESSIONS', '200,1000');
const SECTIONS = env('SECTIONS', 'peer,requests,startup,memory,toggle,bundled').split(',');
/**
 * What the bundled section compares with: by default 4efe9ca, the last main before bundled SDK copies were found
 * (issue 23), i.e. "the same server preloaded" before that work; BASELINE_REF=<commit> for another.
 */
const BASELINE_REF = env('BASELINE_REF', '4efe9ca');
const PRELOAD = ['--import', '@x/mcp-otel/register'];

/**
 * The stand-in receivers on 127.0.0.1, one port: an OTLP/HTTP endpoint (/v1/*) and a Datadog agent (every other path:
 * /v0.4/traces, /info, telemetry, remote configuration), which accept and drop everything, counting requests and bytes
 * per path. For the peer section they also count spans: in each trace request body, the occurrences of the span
 * names and resources in SPAN_NEEDLES (a protobuf or msgpack string is stored as its bytes, once per span).
 */
const SPAN_NEEDLES = ['tools/call read_graph', 'client_tool_call', 'server_tool_call'].map((s) => [s, Buffer.from(s)]);

async function startSink() {
  const received = {};
  const spanCounts = {};
  const server = createServer((req, res) => {
    let bytes = 0;
    const chunks = [];
    const traces = req.url === '/v1/traces' || req.url.startsWith('/v0.4/traces') || req.url.startsWith('/v0.5/traces');
    req.on('data', (chunk) => {
      bytes += chunk.length;
      if (traces) chunks.push(chunk);
    });
    req.on('end', () => {
      const entry = (received[req.url] ??= { requests: 0, bytes: 0 });
      entry.requests++;
      entry.bytes += bytes;
      if (traces) {
        const body = Buffer.concat(chunks);
        for (const [name, needle] of SPAN_NEEDLES) {
          let n = 0;
          for (let at = body.indexOf(needle); at !== -1; at = body.indexOf(needle, at + needle.length)) n++;
          if (n > 0) spanCounts[`${req.url} ${name}`] = (spanCounts[`${req.url} ${name}`] ?? 0) + n;
        }
      }
      if (req.url.startsWith('/v1/')) res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end(req.url.includes('/traces') ? '{"rate_by_service":{}}' : '{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, received, spanCounts, checked: {}, close: () => new Promise((r) => server.close(r)) };
}

function baseEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS'));
}

/** Runs `node <args>` in the app directory and resolves with its stdout; rejects on a non-zero exit. */
function node(args, extraEnv, { input, timeoutMs = 300_000, cwd = APPS } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...baseEnv(), ...extraEnv }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${args.join(' ')} ended with ${code ?? signal}: ${err}`));
    });
    child.stdin.end(input);
  });
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fixed = (x, digits = 1) => x.toFixed(digits);

/**
 * The variants of the per-request benchmark. With `breakdown`, three more tell what the overhead is made of: the
 * instrumentation alone (no exporter, so no SDK provider is registered and the OpenTelemetry API calls are no-ops),
 * then spans alone and metrics alone, each with the SDK recording and exporting.
 */
function requestVariants(sink, breakdown) {
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'bench' };
  const variants = {
    bare: { args: [], env: {} },
    preloaded: { args: PRELOAD, env: exporting },
    'preloaded, OTEL_SDK_DISABLED': { args: PRELOAD, env: { ...exporting, OTEL_SDK_DISABLED: 'true' } },
  };
  if (!breakdown) return variants;
  const none = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  return {
    ...variants,
    'preloaded, no exporter': { args: PRELOAD, env: { ...exporting, ...none } },
    'preloaded, spans only': { args: PRELOAD, env: { ...exporting, ...none, OTEL_TRACES_EXPORTER: 'otlp' } },
    'preloaded, metrics only': { args: PRELOAD, env: { ...exporting, ...none, OTEL_METRICS_EXPORTER: 'otlp' } },
  };
}

/**
 * Alternates the variants round by round (rotating which goes first) and pools each variant's latencies. `afterRun`,
 * if given, is called after each run with the variant's name and the app's report (the peer section checks there
 * that each tracer's spans arrived).
 */
async function perRequest(sink, app, calls, warmup, breakdown = false, { variants = requestVariants(sink, breakdown), cwd, afterRun } = {}) {
  const names = Object.keys(variants);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const cpu = Object.fromEntries(names.map((n) => [n, { client: [], server: [] }]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(round + i) % names.length];
      const report = JSON.parse(await node([...variants[name].args, app, String(calls), String(warmup)], variants[name].env, { cwd }));
      samples[name].push(...report.samplesUs);
      if (report.clientCpuUs !== undefined) {
        cpu[name].client.push(report.clientCpuUs);
        cpu[name].server.push(report.serverCpuUs);
      }
      await afterRun?.(name, report);
    }
  }
  const rows = {};
  for (const name of names) {
    const sorted = Float64Array.from(samples[name]).sort();
    const total = samples[name].reduce((sum, x) => sum + x, 0);
    rows[name] = { calls: sorted.length, throughputPerS: sorted.length / (total / 1e6), meanUs: total / sorted.length, p50Us: quantile(sorted, 0.5), p99Us: quantile(sorted, 0.99) };
    if (cpu[name].client.length > 0) {
      rows[name].clientCpuUsPerCall = median(cpu[name].client);
      rows[name].serverCpuUsPerCall = median(cpu[name].server);
    }
  }
  for (const name of names) {
    rows[name].throughputRatio = rows[name].throughputPerS / rows.bare.throughputPerS;
    rows[name].p50Ratio = rows[name].p50Us / rows.bare.p50Us;
    rows[name].p99Ratio = rows[name].p99Us / rows.bare.p99Us;
    rows[name].addedMeanUs = rows[name].meanUs - rows.bare.meanUs;
  }
  return rows;
}

function printRequests(title, rows) {
  console.log(`\n${title}`);
  console.log('  variant                        calls/s   ratio   p50 µs   ratio   p99 µs   ratio   added mean µs');
  for (const [name, r] of Object.entries(rows)) {
    console.log(
      `  ${name.padEnd(30)} ${fixed(r.throughputPerS, 0).padStart(7)}   ${fixed(r.throughputRatio, 2).padStart(5)}  ${fixed(r.p50Us).padStart(7)}   ${fixed(r.p50Ratio, 2).padStart(5)}  ${fixed(r.p99Us).padStart(7)}   ${fixed(r.p99Ratio, 2).padStart(5)}   ${fixed(r.addedMeanUs).padStart(8)}`,
    );
  }
}

/** Spawn to the answer of `initialize` on stdout, in ms. */
function timeStartup(args, extraEnv) {
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } } };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, 'stdio-server.mjs'], { cwd: APPS, env: { ...baseEnv(), ...extraEnv }, stdio: ['pipe', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n')) return;
      const ms = performance.now() - started;
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (!out.startsWith('{"result":{"protocolVersion"')) reject(new Error(`not an initialize result: ${out}`));
      else resolve(ms);
    });
    child.on('error', reject);
    child.stdin.write(JSON.stringify(initialize) + '\n');
  });
}

async function startup(sink) {
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'bench-startup' };
  const variants = {
    bare: [],
    '@x/mcp-otel/register': PRELOAD,
    'upstream register (--require, no ESM hook)': ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    // Upstream's documented recipe for ESM apps (opentelemetry-js doc/esm-support.md): the hook wraps every module.
    'upstream register + ESM hook': ['--experimental-loader=@opentelemetry/instrumentation/hook.mjs', '--require', '@opentelemetry/auto-instrumentations-node/register'],
  };
  const samples = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
  for (let run = 0; run < STARTUP_RUNS; run++) {
    for (const [name, args] of Object.entries(variants)) samples[name].push(await timeStartup(args, name === 'bare' ? {} : exporting));
  }
  const bare = median(samples.bare);
  const rows = Object.fromEntries(Object.entries(samples).map(([name, xs]) => [name, { runs: xs.length, medianMs: median(xs), addedMs: median(xs) - bare }]));
  console.log(`\nstartup: spawn until a stdio McpServer answers initialize, median of ${STARTUP_RUNS} alternating runs`);
  for (const [name, r] of Object.entries(rows)) console.log(`  ${name.padEnd(44)} ${fixed(r.medianMs, 0).padStart(5)} ms   added ${fixed(r.addedMs, 0).padStart(5)} ms`);
  const ours = rows['@x/mcp-otel/register'].addedMs;
  const upstream = rows['upstream register + ESM hook'].addedMs;
  console.log(`  ours adds ${fixed((100 * ours) / upstream, 0)}% of what the upstream register with its ESM hook adds`);
  return rows;
}

// The bundled section: real servers whose MCP SDK is compiled into their own files (bundled-source.ts).
const BUNDLED_DIR = join(WORK, 'bundled');
const BUNDLED_SERVERS = {
  // The control: a server on the SDK by name (its SDK files are hooked by name and skipped here): what the cheap test
  // on every module costs an app with no bundled SDK.
  'by-name stdio server (control)': { dir: APPS, file: 'stdio-server.mjs', args: [], env: {} },
  '@playwright/mcp': { file: 'node_modules/@playwright/mcp/cli.js', args: [], env: {} },
  'chrome-devtools-mcp': {
    file: 'node_modules/chrome-devtools-mcp/build/src/bin/chrome-devtools-mcp.js',
    args: ['--no-usage-statistics', '--no-performance-crux'],
    env: { CHROME_DEVTOOLS_MCP_NO_UPDATE_CHECKS: '1' },
  },
  '@notionhq/notion-mcp-server': { file: 'node_modules/@notionhq/notion-mcp-server/bin/cli.mjs', args: [], env: { NOTION_TOKEN: 'ntn_bench_dummy' } },
};

/**
 * The register.mjs of @x/mcp-otel at BASELINE_REF: its files from `git archive`, compiled with this tree's
 * TypeScript, its dependencies this tree's node_modules (the same versions while package.json is the same). Once per
 * commit.
 */
function baselineRegister() {
  const sha = execFileSync('git', ['rev-parse', BASELINE_REF], { cwd: join(HERE, '..'), encoding: 'utf8' }).trim();
  const dir = join(WORK, 'bench-baseline', sha);
  if (!existsSync(join(dir, 'dist', 'distro', 'start.js'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    execFileSync('sh', ['-c', `git archive ${sha} | tar -x -C "${dir}"`], { cwd: join(HERE, '..') });
    symlinkSync(join(HERE, '..', 'node_modules'), join(dir, 'node_modules'));
    execFileSync(process.execPath, [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.json')]);
  }
  return { sha, url: pathToFileURL(join(dir, 'register.mjs')).href };
}

/** The CPU time a running process has used so far, in ms (Linux: /proc; undefined elsewhere). */
function cpuMsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (100 a second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Spawn of a bundled server until its answer to `initialize`: { ms, cpuMs } (cpuMs, less noisy on a busy machine). */
function timeBundledStartup(server, preload, extraEnv) {
  const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1.0.0' } } };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const dir = server.dir ?? BUNDLED_DIR;
    const args = [...preload, join(dir, server.file), ...server.args];
    const child = spawn(process.execPath, args, { cwd: dir, env: { ...baseEnv(), ...server.env, ...extraEnv }, stdio: ['pipe', 'pipe', 'ignore'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!out.includes('\n')) return;
      const ms = performance.now() - started;
      const cpuMs = cpuMsOf(child.pid);
      clearTimeout(timer);
      child.kill('SIGKILL');
      if (!out.startsWith('{"result":{"protocolVersion"')) reject(new Error(`${server.file}: not an initialize result: ${out}`));
      else resolve({ ms, cpuMs });
    });
    child.on('error', reject);
    child.stdin.write(JSON.stringify(initialize) + '\n');
  });
}

async function bundledStartup(sink) {
  const baseline = baselineRegister();
  const exporting = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'bench-bundled' };
  const variants = { bare: [], [`preloaded, baseline ${baseline.sha.slice(0, 7)}`]: ['--import', baseline.url], 'preloaded, this tree': PRELOAD };
  const rows = {};
  console.log(`\nbundled SDK: spawn until a real server that bundles the SDK answers initialize, median of ${STARTUP_RUNS} alternating runs`);
  for (const [name, server] of Object.entries(BUNDLED_SERVERS)) {
    const samples = Object.fromEntries(Object.keys(variants).map((n) => [n, []]));
    for (let run = 0; run < STARTUP_RUNS; run++) {
      for (const [variant, preload] of Object.entries(variants)) samples[variant].push(await timeBundledStartup(server, preload, variant === 'bare' ? {} : exporting));
    }
    const medians = Object.fromEntries(Object.entries(samples).map(([variant, xs]) => [variant, median(xs.map((x) => x.ms))]));
    const cpu = Object.fromEntries(Object.entries(samples).map(([variant, xs]) => [variant, median(xs.map((x) => x.cpuMs ?? NaN))]));
    const [bare, before, after] = Object.values(medians);
    const [cpuBare, cpuBefore, cpuAfter] = Object.values(cpu);
    rows[name] = { runs: STARTUP_RUNS, medianMs: medians, medianCpuMs: cpu, addedOverBaselineMs: after - before, addedCpuOverBaselineMs: cpuAfter - cpuBefore };
    console.log(`  ${name}`);
    for (const variant of Object.keys(medians)) {
      const wall = `${fixed(medians[variant], 0).padStart(5)} ms (added ${fixed(medians[variant] - bare, 0).padStart(4)})`;
      console.log(`    ${variant.padEnd(30)} ${wall}   CPU ${fixed(cpu[variant], 0).padStart(5)} ms (added ${fixed(cpu[variant] - cpuBare, 0).padStart(4)})`);
    }
    console.log(`    this tree over the baseline: ${fixed(after - before, 0)} ms, CPU ${fixed(cpuAfter - cpuBefore, 0)} ms`);
  }
  return rows;
}

// The side-by-side section: a real third-party stdio server, bare, under @x/mcp-otel and under dd-trace, in one run.
const PEER_SOURCE = join(HERE, 'peer');
const PEER_DIR = join(WORK, 'bench-peer');
/** The knowledge graph read_graph returns: small, as an agent's memory starts. */
const GRAPH_ENTITIES = 6;

/**
 * Installs bench/peer (npm ci from its lockfile) and the packed tarball into .test-work/bench-peer, once per tarball
 * and lockfile, then copies the apps and writes the graph. Installed where npm puts dd-trace's own pinned
 * import-in-the-middle next to @opentelemetry/instrumentation, as in a user's app that has both.
 */
function installPeer() {
  const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const tarball = readdirSync(WORK).find((f) => /^x-mcp-otel-.*\.tgz$/.test(f));
  if (tarball === undefined) throw new Error('no packed tarball in .test-work: run node test/setup.mjs first');
  const hash = createHash('sha256').update(readFileSync(join(WORK, tarball)));
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(PEER_SOURCE, file)));
  const stamp = hash.digest('hex');
  const stampFile = join(PEER_DIR, '.installed');
  if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
    rmSync(PEER_DIR, { recursive: true, force: true });
    mkdirSync(PEER_DIR, { recursive: true });
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(PEER_SOURCE, file), join(PEER_DIR, file));
    npm(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], PEER_DIR);
    npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', join(WORK, tarball)], PEER_DIR);
    writeFileSync(stampFile, stamp);
  }
  cpSync(join(HERE, 'apps'), join(PEER_DIR, 'bench'), { recursive: true });
  const people = ['Ada', 'Grace', 'Linus', 'Barbara', 'Ken', 'Margaret'].slice(0, GRAPH_ENTITIES);
  const lines = [
    ...people.map((name, i) => ({ type: 'entity', name, entityType: 'person', observations: [`works on project ${i}`, 'prefers email'] })),
    ...people.slice(1).map((name, i) => ({ type: 'relation', from: people[i], to: name, relationType: 'works_with' })),
  ];
  const graph = join(PEER_DIR, 'graph.jsonl');
  writeFileSync(graph, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return graph;
}

/** What the stand-in receivers were sent: the count of `needle` in each request body of the paths it matches. */
function spansReceived(sink, path, needle) {
  return sink.spanCounts[`${path} ${needle}`] ?? 0;
}

async function peer(sink) {
  const graph = installPeer();
  const common = { MEMORY_FILE_PATH: graph, BENCH_GRAPH_ENTITIES: String(GRAPH_ENTITIES) };
  const variants = {
    bare: { args: [], env: common },
    // The full default distribution: traces (100% sampled), metrics and logs, OTLP/HTTP protobuf.
    '@x/mcp-otel/register': { args: PRELOAD, env: { ...common, OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'bench-peer-client' } },
    // Datadog's documented zero-code start for ES module apps, every trace kept, to the stand-in agent.
    'dd-trace 6.21 (--import dd-trace/initialize.mjs)': {
      args: ['--import', 'dd-trace/initialize.mjs'],
      env: { ...common, DD_TRACE_AGENT_URL: sink.url, DD_TRACE_SAMPLE_RATE: '1', DD_SERVICE: 'bench-peer-client', DD_TRACE_STARTUP_LOGS: 'false' },
    },
  };
  // Each run must have delivered one client and one server span per call (warm-up included), or the run measured a
  // tracer that did not trace: what the receivers count after the run says.
  const expected = {
    '@x/mcp-otel/register': [['/v1/traces', 'tools/call read_graph', 2]],
    'dd-trace 6.21 (--import dd-trace/initialize.mjs)': [
      ['/v0.4/traces', 'client_tool_call', 1],
      ['/v0.4/traces', 'server_tool_call', 1],
    ],
  };
  const perCall = STDIO_CALLS + 200;
  const afterRun = async (name) => {
    for (const [path, needle, perCallSpans] of expected[name] ?? []) {
      const before = sink.checked[`${path} ${needle}`] ?? 0;
      const want = before + perCallSpans * perCall;
      for (let waited = 0; spansReceived(sink, path, needle) < want && waited < 10_000; waited += 100) await sleep(100);
      const got = spansReceived(sink, path, needle) - before;
      if (got !== perCallSpans * perCall) throw new Error(`${name}: ${got} "${needle}" spans reached ${path}, not ${perCallSpans * perCall}`);
      sink.checked[`${path} ${needle}`] = before + got;
    }
  };
  const rows = await perRequest(sink, join('bench', 'peer-client.mjs'), STDIO_CALLS, 200, false, { variants, cwd: PEER_DIR, afterRun });
  rows.spansReceived = {
    '@x/mcp-otel/register': spansReceived(sink, '/v1/traces', 'tools/call read_graph'),
    'dd-trace client_tool_call': spansReceived(sink, '/v0.4/traces', 'client_tool_call'),
    'dd-trace server_tool_call': spansReceived(sink, '/v0.4/traces', 'server_tool_call'),
  };
  return rows;
}

function printPeer(rows) {
  console.log(`\nside by side, stdio: a Client calling @modelcontextprotocol/server-memory's read_graph, both processes under the same tracer (${ROUNDS} rounds x ${STDIO_CALLS} calls per variant, alternating)`);
  console.log('  variant                                            calls/s   ratio   p50 µs   p99 µs   CPU µs/call: client  server');
  for (const [name, r] of Object.entries(rows)) {
    if (name === 'spansReceived') continue;
    console.log(
      `  ${name.padEnd(50)} ${fixed(r.throughputPerS, 0).padStart(7)}   ${fixed(r.throughputRatio, 2).padStart(5)}  ${fixed(r.p50Us).padStart(7)}  ${fixed(r.p99Us).padStart(7)}               ${fixed(r.clientCpuUsPerCall, 0).padStart(6)}  ${fixed(r.serverCpuUsPerCall, 0).padStart(6)}`,
    );
  }
  console.log(`  spans the stand-in receivers counted: ${Object.entries(rows.spansReceived).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

async function memory(sink) {
  const variants = {
    bare: { args: ['--expose-gc'], env: {} },
    // The batch processor's delay is shortened so that each checkpoint sees what was recorded already exported.
    preloaded: { args: ['--expose-gc', ...PRELOAD], env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_TRACES_SAMPLER: 'always_on', OTEL_SERVICE_NAME: 'bench-memory', OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BLRP_SCHEDULE_DELAY: '200' } },
  };
  const rows = {};
  for (const [name, v] of Object.entries(variants)) {
    const readings = JSON.parse(await node([...v.args, 'memory.mjs', MEMORY_CALLS], v.env, { timeoutMs: 900_000 }));
    const [first, last] = [readings[0], readings.at(-1)];
    rows[name] = { readings, heapGrowthBytes: last.heapUsedBytes - first.heapUsedBytes, rssGrowthBytes: last.rssBytes - first.rssBytes };
  }
  const sessions = {};
  for (const [name, v] of Object.entries(variants)) {
    const readings = JSON.parse(await node([...v.args, 'http-sessions.mjs', HTTP_SESSIONS], v.env, { timeoutMs: 900_000 }));
    const [first, last] = [readings[0], readings.at(-1)];
    sessions[name] = { readings, heapGrowthBytes: last.heapUsedBytes - first.heapUsedBytes, rssGrowthBytes: last.rssBytes - first.rssBytes };
  }
  const mb = (b) => fixed(b / 2 ** 20, 1);
  console.log(`\nmemory after garbage collection, one session over the in-memory transport (MB)`);
  for (const [name, r] of Object.entries(rows)) {
    const points = r.readings.map((p) => `${p.calls} calls: rss ${mb(p.rssBytes)} heap ${mb(p.heapUsedBytes)}`).join('   ');
    console.log(`  ${name.padEnd(10)} ${points}   growth: heap ${mb(r.heapGrowthBytes)} rss ${mb(r.rssGrowthBytes)}`);
  }
  console.log(`\nmemory after garbage collection, Streamable HTTP sessions opened, used once and closed, one process (MB)`);
  for (const [name, r] of Object.entries(sessions)) {
    const points = r.readings.map((p) => `${p.sessions} sessions: rss ${mb(p.rssBytes)} heap ${mb(p.heapUsedBytes)}`).join('   ');
    console.log(`  ${name.padEnd(10)} ${points}   growth: heap ${mb(r.heapGrowthBytes)} rss ${mb(r.rssGrowthBytes)}`);
  }
  return { calls: rows, httpSessions: sessions };
}

/** The instrumentation off and on in one process: the median of each side and of the pairs' differences. */
async function toggle(sink) {
  const rows = {};
  for (const mode of ['full', 'api']) {
    const out = JSON.parse(await node(['toggle.mjs', mode, String(TOGGLE_PAIRS), String(TOGGLE_CALLS)], { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url }));
    const added = out.onUs.map((on, i) => on - out.offUs[i]);
    rows[mode] = { clock: out.clock, offMedianUs: median(out.offUs), onMedianUs: median(out.onUs), addedMedianUs: median(added), addedUs: added };
  }
  console.log(`\nin one process, instrumentation off and on, ${TOGGLE_PAIRS} pairs of ${TOGGLE_CALLS} in-memory calls (${rows.full.clock} per call, medians)`);
  const labels = { full: 'SDK recording and exporting', api: 'API no-ops (instrumentation alone)' };
  for (const [mode, r] of Object.entries(rows)) {
    console.log(`  ${labels[mode].padEnd(36)} off ${fixed(r.offMedianUs).padStart(6)} µs   on ${fixed(r.onMedianUs).padStart(6)} µs   added ${fixed(r.addedMedianUs).padStart(5)} µs`);
  }
  return rows;
}

cpSync(join(HERE, 'apps'), APPS, { recursive: true });
const sink = await startSink();
const results = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: availableParallelism(), cpuModel: cpus()[0]?.model, memoryBytes: totalmem() },
  settings: { ROUNDS, INMEMORY_CALLS, STDIO_CALLS, STARTUP_RUNS, MEMORY_CALLS, HTTP_SESSIONS, TOGGLE_PAIRS, TOGGLE_CALLS },
};
console.log(`node ${process.version}, ${results.machine.cpus} CPUs (${results.machine.cpuModel})`);
try {
  if (SECTIONS.includes('peer')) {
    results.peer = await peer(sink);
    printPeer(results.peer);
  }
  if (SECTIONS.includes('requests')) {
    results.inMemory = await perRequest(sink, 'in-memory.mjs', INMEMORY_CALLS, 1000, true);
    printRequests(`per request, in-memory transport, one process (${ROUNDS} rounds x ${INMEMORY_CALLS} calls per variant, alternating)`, results.inMemory);
    results.stdio = await perRequest(sink, 'stdio-client.mjs', STDIO_CALLS, 200);
    printRequests(`per request, stdio, client and server processes (${ROUNDS} rounds x ${STDIO_CALLS} calls per variant, alternating)`, results.stdio);
  }
  if (SECTIONS.includes('startup')) results.startup = await startup(sink);
  if (SECTIONS.includes('memory')) results.memory = await memory(sink);
  if (SECTIONS.includes('toggle')) results.toggle = await toggle(sink);
  if (SECTIONS.includes('bundled')) results.bundled = await bundledStartup(sink);
  results.exported = sink.received;
  console.log(`\nthe local OTLP endpoint received: ${Object.entries(sink.received).map(([path, r]) => `${path} ${r.requests} requests, ${fixed(r.bytes / 1024, 0)} KiB`).join('; ')}`);
} finally {
  await sink.close();
}
writeFileSync(join(HERE, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log('\nwritten: bench/results.json');
