// Bundled copies of the MCP SDK (issue 23, item 2), end to end: servers whose SDK a bundler compiled in (the fixtures
// of fixtures/bundled bundled by esbuild, rollup, webpack and ncc, ESM and CommonJS, minified; SDK v1 and v2) run
// under `node --import @x/mcp-otel/register` as an MCP host would start them, from .test-work/bundled, spawned over
// stdio by a preloaded SDK client, exporting into the OTLP test receiver. Each gives exactly the SERVER spans the same
// server gives unbundled (the SDK hooked by name), joined to the client's trace, with the same metrics, and says at
// the debug level where it found the SDK; bare and preloaded, its answers are byte for byte the same. A bundled v2
// client makes its CLIENT spans. The real servers that bundle the SDK (@playwright/mcp, chrome-devtools-mcp,
// @notionhq/notion-mcp-server) make their SERVER spans for initialize and tools/list (no browser, no network).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { PRELOAD, ROOT, STDIO_INPUT, run, start } from '../helpers/processes.mjs';

const DIR = join(ROOT, '.test-work', 'bundled');
const CLIENT = 'fixtures/client.mjs';
const INTERNAL = 1;
const SERVER = 2;
const CLIENT_KIND = 3;
const KIND = { [INTERNAL]: 'INTERNAL', [SERVER]: 'SERVER', [CLIENT_KIND]: 'CLIENT' };

let receiver;
let bundles;
before(async () => {
  receiver = await startReceiver();
  const { buildBundles } = await import(pathToFileURL(join(DIR, 'fixtures', 'build.mjs')).href);
  bundles = await buildBundles(join(DIR, 'out'));
});
after(() => receiver.close());

const of = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);

/**
 * The preloaded client spawns the preloaded server `serverFile` (a path under .test-work/bundled) and runs its session;
 * resolves with what the client printed, its stderr (the server's goes there too) and the spans of each side.
 */
async function session(tag, serverFile, { listOnly = false, serverArgs = [], env = {} } = {}) {
  receiver.reset();
  const names = { client: `bundled-client-${tag}`, server: `bundled-server-${tag}` };
  const result = await run(CLIENT, {
    cwd: DIR,
    args: [serverFile, ...(listOnly ? ['list-only'] : [])],
    timeoutMs: 60_000,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: names.client,
      SERVER_SERVICE_NAME: names.server,
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_LOG_LEVEL: 'debug',
      SERVER_ARGS: JSON.stringify(serverArgs),
      ...env,
    },
  });
  assert.equal(result.code, 0, result.stderr);
  const serverCount = listOnly ? 3 : 5;
  await receiver.waitFor(
    () =>
      of(names.client).some((s) => s.name === 'agent turn') &&
      of(names.server).filter((s) => s.kind === SERVER).length >= serverCount &&
      receiver.metrics.some((m) => m.resource['service.name'] === names.server && m.name === 'mcp.server.operation.duration'),
    20_000,
  );
  return { out: JSON.parse(result.stdout.toString()), stderr: result.stderr, names };
}

/**
 * What a server exported, without ids and times: each span's kind, name, attributes, status, events and the name of
 * its parent on the client side; and its MCP metrics with their data points' attributes and counts.
 */
function exported({ names }) {
  const client = new Map(of(names.client).map((s) => [s.spanId, s]));
  const spans = of(names.server)
    .filter((s) => s.scope === '@x/mcp-otel')
    .map((s) => ({
      span: `${KIND[s.kind]} ${s.name}`,
      parent: client.has(s.parentSpanId) ? `${KIND[client.get(s.parentSpanId).kind]} ${client.get(s.parentSpanId).name}` : s.parentSpanId,
      attributes: s.attributes,
      status: s.status.code,
      events: s.events.map((e) => [e.name, e.attributes['exception.message']]),
    }))
    .sort((a, b) => a.span.localeCompare(b.span));
  const metrics = receiver.metrics
    .filter((m) => m.resource['service.name'] === names.server && m.scope === '@x/mcp-otel')
    .map((m) => ({ name: m.name, points: m.dataPoints.map((p) => [JSON.stringify(p.attributes), p.count]).sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { spans, metrics };
}

/** Every SERVER span of the server is the child of the client's CLIENT span of the same operation, in its trace. */
function assertJoined({ names }, operations) {
  const turn = of(names.client).find((s) => s.name === 'agent turn');
  const serverSpans = of(names.server).filter((s) => s.kind === SERVER);
  assert.deepEqual(serverSpans.map((s) => s.name).sort(), [...operations].sort());
  for (const span of serverSpans) {
    const parent = of(names.client).find((s) => s.spanId === span.parentSpanId);
    assert.equal(parent?.kind, CLIENT_KIND, `${span.name}: its parent is a CLIENT span of the client`);
    assert.equal(parent.name, span.name);
    assert.equal(span.traceId, parent.traceId);
  }
  for (const name of operations.filter((n) => n.startsWith('tools/'))) {
    assert.equal(serverSpans.find((s) => s.name === name).traceId, turn.traceId, `${name} is in the agent's trace`);
  }
}

/**
 * The messages of STDIO_INPUT sent one at a time, each request after the answer to the one before, as a host does (it
 * waits for the answer to `initialize`); then stdin ends and the server exits. Resolves with run()'s result.
 */
async function converse(file, nodeArgs) {
  const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const child = start(file, { cwd: DIR, nodeArgs, env, timeoutMs: 30_000 });
  let answers = 0;
  let wanted = 0;
  let answered;
  child.stdout.on('data', (chunk) => {
    answers += chunk.toString().split('\n').length - 1;
    if (answers >= wanted) answered?.();
  });
  for (const line of STDIO_INPUT.split('\n').filter((l) => l !== '')) {
    child.stdin.write(`${line}\n`);
    if (JSON.parse(line).id === undefined) continue;
    wanted++;
    if (answers < wanted) await new Promise((resolve) => (answered = resolve));
  }
  child.stdin.end();
  return child.result;
}

const TOOL_SESSION = ['initialize', 'notifications/initialized', 'tools/list', 'tools/call add', 'tools/call fail'];

for (const [sdk, byName, names] of [
  ['v1', 'fixtures/server-v1.mjs', ['v1-esbuild-esm-min.mjs', 'v1-esbuild-cjs-min.cjs', 'v1-rollup-esm.mjs', 'v1-rollup-cjs-terser.cjs', 'v1-webpack-cjs-min.cjs', 'v1-ncc-esm.mjs']],
  ['v2', 'fixtures/server-v2.mjs', ['v2-esbuild-esm-min.mjs', 'v2-esbuild-cjs-min.cjs']],
]) {
  describe(`SDK ${sdk} bundled into the server`, () => {
    let reference;
    before(async () => {
      reference = await session(`${sdk}-by-name`, byName);
      assertJoined(reference, TOOL_SESSION);
      assert.match(reference.stderr, /MCP SDK hooked by name: @modelcontextprotocol\//);
      assert.doesNotMatch(reference.stderr, /found bundled/);
      reference.exported = exported(reference);
    });

    for (const name of names) {
      test(`${name}: the spans and metrics of the by-name server, in the client's trace; a debug line per class`, async () => {
        const file = bundles[name];
        const result = await session(`${sdk}-${name}`, file);
        assert.deepEqual(result.out, reference.out);
        assertJoined(result, TOOL_SESSION);
        const { spans, metrics } = exported(result);
        assert.deepEqual(spans, reference.exported.spans);
        assert.deepEqual(metrics, reference.exported.metrics);
        assert.ok(metrics.length > 0);
        const add = of(result.names.server).find((s) => s.name === 'tools/call add');
        assert.equal(add.attributes['gen_ai.tool.name'], 'add');
        assert.equal(add.attributes['network.transport'], 'pipe');
        const lines = result.stderr.split('\n').filter((l) => l.includes('found bundled'));
        assert.deepEqual(lines, [
          `@x/mcp-otel debug: MCP SDK found bundled in ${file}: Protocol`,
          `@x/mcp-otel debug: MCP SDK found bundled in ${file}: McpServer`,
        ]);
        assert.doesNotMatch(result.stderr, /hooked by name: @modelcontextprotocol\/(?:server|sdk\/dist\/(?:esm|cjs)\/server)/);
      });

      test(`${name}: bare and preloaded, the same answers byte for byte`, async () => {
        const file = bundles[name];
        const bare = await converse(file, []);
        const preloaded = await converse(file, PRELOAD);
        assert.equal(bare.code, 0, bare.stderr);
        assert.equal(preloaded.code, 0, preloaded.stderr);
        assert.equal(bare.stdout.toString().split('\n').length, 4, bare.stdout.toString());
        assert.equal(preloaded.stdout.toString(), bare.stdout.toString());
        assert.equal(preloaded.stderr, bare.stderr);
      });
    }
  });
}

test('a bundled v2 client: its CLIENT spans, joined to the SERVER spans of a bundled v2 server', async () => {
  receiver.reset();
  const names = { client: 'bundled-v2-client', server: 'bundled-v2-server-for-client' };
  const result = await run(bundles['v2-client-esbuild-esm-min.mjs'], {
    cwd: DIR,
    args: [bundles['v2-esbuild-esm-min.mjs']],
    timeoutMs: 60_000,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: names.client, SERVER_SERVICE_NAME: names.server, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_LOG_LEVEL: 'debug' },
  });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout.toString()).tools, ['add', 'fail']);
  assert.match(result.stderr, new RegExp(`MCP SDK found bundled in ${bundles['v2-client-esbuild-esm-min.mjs']}: Client\n`));
  await receiver.waitFor(() => of(names.server).filter((s) => s.kind === SERVER).length >= 5 && of(names.client).some((s) => s.name === 'agent turn'), 20_000);
  const clientSpans = of(names.client).filter((s) => s.kind === CLIENT_KIND).map((s) => s.name).sort();
  assert.deepEqual(clientSpans, [...TOOL_SESSION].sort());
  assertJoined({ names }, TOOL_SESSION);
});

describe('real servers that bundle the SDK', () => {
  // Dummy credentials, and every call home switched off: the servers start offline.
  for (const [name, file, expected, serverArgs, env] of [
    ['@notionhq/notion-mcp-server 2.5.2', 'node_modules/@notionhq/notion-mcp-server/bin/cli.mjs', ['Protocol'], [], { NOTION_TOKEN: 'ntn_dummy_token_for_tests' }],
    [
      'chrome-devtools-mcp 1.11.0',
      'node_modules/chrome-devtools-mcp/build/src/bin/chrome-devtools-mcp.js',
      ['Protocol', 'McpServer'],
      ['--no-usage-statistics', '--no-performance-crux'],
      { CHROME_DEVTOOLS_MCP_NO_UPDATE_CHECKS: '1' },
    ],
    ['@playwright/mcp 0.0.83', 'node_modules/@playwright/mcp/cli.js', ['Protocol'], [], {}],
  ]) {
    test(`${name}: SERVER spans for initialize and tools/list, in the client's trace`, async () => {
      const result = await session(name.replace(/\W+/g, '-'), join(DIR, file), { listOnly: true, serverArgs, env });
      assert.ok(result.out.tools.length > 0);
      assertJoined(result, ['initialize', 'notifications/initialized', 'tools/list']);
      const kinds = [...result.stderr.matchAll(/MCP SDK found bundled in [^\n]*: (\w+)\n/g)].map((m) => m[1]);
      assert.deepEqual(kinds, expected);
      const list = of(result.names.server).find((s) => s.name === 'tools/list');
      assert.equal(list.attributes['mcp.method.name'], 'tools/list');
      assert.equal(list.attributes['network.transport'], 'pipe');
    });
  }
});
