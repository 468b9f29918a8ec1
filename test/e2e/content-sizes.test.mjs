// Content sizes end to end (fixtures/app/mcp/sizes*.{cjs,mjs}): a preloaded SDK v1 client (1.32.2) spawns a preloaded
// stdio server, SDK v1 (1.32.2) or v2 (@modelcontextprotocol/server 2.4.0), calls three tools (one answers with an
// `isError` result, one with 1 MB of text) and reads a resource; both processes export to the OTLP receiver. The same
// with a v2 client and server (2.4.0) in the 2026-07-28 era (fixtures/v2-third-party/sizes-v2-*.mjs, run from
// .test-work/third-party), whose results carry the server's identity in `_meta`, counted on both sides.
// - OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES=true: the exact byte sizes, those of JSON.stringify in UTF-8 of the
//   values the fixture sends, on the CLIENT and the SERVER spans: mcp.tool.call.arguments.size and
//   mcp.tool.call.result.size on tools/call, mcp.resource.contents.size on resources/read; no content; not on metrics;
// - by default, and with a bad value (one warning line per process): none of the three attributes;
// - with content capture on too: both the sizes and the content.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run } from '../helpers/processes.mjs';

const SIZES_FILE = join(ROOT, 'fixtures', 'app', 'mcp', 'sizes.cjs');
const { ARGS, RESULTS, CONTENTS } = createRequire(import.meta.url)(SIZES_FILE);
const V2_DIR = join(ROOT, '.test-work', 'third-party', 'v2-third-party');
const SERVER = 2;
const CLIENT = 3;
const SIZE_KEYS = ['mcp.tool.call.arguments.size', 'mcp.tool.call.result.size', 'mcp.resource.contents.size'];
const wire = (value) => Buffer.byteLength(JSON.stringify(value), 'utf8');
/**
 * The sizes on each side. In the 2026-07-28 era the server's SDK adds `resultType` and `_meta` with its identity to a
 * result: they are on the wire, and counted on both sides (the v2 client's parsing takes `resultType` away; the size is
 * of the result as it came).
 */
function expectedSizes(modern) {
  const serverInfo = { 'io.modelcontextprotocol/serverInfo': { name: 'sizes-server', version: '1.0.0' } };
  const sent = (result) => (modern ? { ...result, resultType: 'complete', _meta: serverInfo } : result);
  return {
    'tools/call lookup': { 'mcp.tool.call.arguments.size': wire(ARGS.lookup), 'mcp.tool.call.result.size': wire(sent(RESULTS.lookup)) },
    'tools/call fails': { 'mcp.tool.call.arguments.size': 2, 'mcp.tool.call.result.size': wire(sent(RESULTS.fails)) },
    'tools/call big': { 'mcp.tool.call.arguments.size': 2, 'mcp.tool.call.result.size': wire(sent(RESULTS.big)) },
    'resources/read': { 'mcp.resource.contents.size': wire(CONTENTS) },
  };
}

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

let runs = 0;
/**
 * Runs the v1 client and its stdio server (`server`: a file, or `modern` for the v2 client and server in the 2026-07-28
 * era) with `env`; returns the stderr and the spans of each side.
 */
async function runSizes(server, env = {}) {
  const id = `sizes-${++runs}`;
  const services = { client: `${id}-client`, server: `${id}-server` };
  const modern = server === 'modern';
  const result = await run(modern ? 'sizes-v2-client.mjs' : 'mcp/sizes-client.mjs', {
    args: [modern ? SIZES_FILE : server],
    ...(modern ? { cwd: V2_DIR } : {}),
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_SERVICE_NAME: services.client,
      SERVER_SERVICE_NAME: services.server,
      ...env,
    },
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  const received = JSON.parse(result.stdout.toString());
  if (modern) {
    assert.equal(received.protocolVersion, '2026-07-28');
  } else {
    // What the client app received: the values the server sent, in the same sizes (the SDK's server parses what its
    // tools return as its client does: a field either does not know is dropped before the wire).
    assert.deepEqual(received, { lookup: wire(RESULTS.lookup), fails: wire(RESULTS.fails), big: wire(RESULTS.big), doc: wire(CONTENTS) });
  }
  const mine = (service, kind) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.kind === kind);
  const done = () => Object.values(services).every((service, i) => mine(service, i === 0 ? CLIENT : SERVER).length >= 5);
  await receiver.waitFor(done, 10_000);
  await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === services.client), 10_000);
  return { stderr: result.stderr, services, modern, client: mine(services.client, CLIENT), server: mine(services.server, SERVER) };
}

const one = (spans, name) => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one span ${name}; got ${found.length}`);
  return found[0];
};
const sizesOf = (span) => Object.fromEntries(Object.entries(span.attributes).filter(([key]) => SIZE_KEYS.includes(key)));
const contentKeys = (span) => Object.keys(span.attributes).filter((k) => k.startsWith('gen_ai.tool.call.'));

/** The exact sizes on the spans of both sides; no size on any other span, nor on any metric point. */
function assertSizes({ client, server, services, modern }) {
  const expected = expectedSizes(modern);
  for (const [side, spans] of Object.entries({ client, server })) {
    for (const [name, sizes] of Object.entries(expected)) assert.deepEqual(sizesOf(one(spans, name)), sizes, `${side} ${name}`);
    const others = spans.filter((s) => !(s.name in expected));
    assert.deepEqual(others.map((s) => s.name).sort(), modern ? ['server/discover'] : ['initialize', 'notifications/initialized'], side);
    for (const span of others) assert.deepEqual(sizesOf(span), {}, `${side} ${span.name}`);
  }
  // The isError call is a tool_error, and still has its size.
  assert.equal(one(server, 'tools/call fails').attributes['error.type'], 'tool_error');
  const points = receiver.metrics.filter((m) => Object.values(services).includes(m.resource['service.name'])).flatMap((m) => m.dataPoints);
  assert.ok(points.length > 0, 'metrics exported');
  for (const point of points) assert.deepEqual(SIZE_KEYS.filter((k) => k in point.attributes), [], 'no size on a metric point');
}

describe('content sizes', { concurrency: 3 }, () => {
  const servers = [['v1 server', 'mcp/sizes-server.mjs'], ['v2 server', 'mcp/sizes-server-v2.mjs'], ['v2 client and server, 2026-07-28', 'modern']];
  for (const [label, server] of servers) {
    test(`${label}: switched on, the exact sizes on the CLIENT and SERVER spans, and no content`, async () => {
      const spans = await runSizes(server, { OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'true' });
      assert.deepEqual(diagLines(spans.stderr), [], spans.stderr);
      assertSizes(spans);
      assert.deepEqual([...spans.client, ...spans.server].flatMap(contentKeys), [], 'no content');
    });
  }

  test('v1 server: by default none of the sizes; a bad value is one warning line per process and no sizes', async () => {
    const off = await runSizes('mcp/sizes-server.mjs');
    assert.deepEqual(diagLines(off.stderr), [], off.stderr);
    const bad = await runSizes('mcp/sizes-server.mjs', { OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'yes' });
    const warning =
      '@x/mcp-otel warn: OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: unknown value "yes"; using false (expected true or false)';
    assert.deepEqual(diagLines(bad.stderr), [warning, warning], bad.stderr);
    for (const { client, server } of [off, bad]) {
      assert.equal(client.length, 6);
      assert.equal(server.length, 6);
      for (const span of [...client, ...server]) assert.deepEqual(sizesOf(span), {}, span.name);
    }
  });

  test('v1 server: sizes and content capture both on: both recorded', async () => {
    const spans = await runSizes('mcp/sizes-server.mjs', {
      OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES: 'TRUE',
      OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
    });
    assert.deepEqual(diagLines(spans.stderr), [], spans.stderr);
    assertSizes(spans);
    for (const side of [spans.client, spans.server]) {
      const lookup = one(side, 'tools/call lookup').attributes;
      assert.equal(lookup['gen_ai.tool.call.arguments'], JSON.stringify(ARGS.lookup));
      assert.equal(lookup['gen_ai.tool.call.result'], JSON.stringify(RESULTS.lookup));
      // The content is cut at 8,192 characters; the size is the whole result's.
      assert.equal(one(side, 'tools/call big').attributes['gen_ai.tool.call.result'].length, 8192);
    }
  });
});
