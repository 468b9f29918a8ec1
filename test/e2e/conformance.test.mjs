// The MCP conformance suite (@modelcontextprotocol/conformance@0.1.13, server mode) against the reference
// server-everything over Streamable HTTP, twice: once bare and once under `node --import @x/mcp-otel/register`. The
// instrumentation must change no protocol behaviour, so both runs must give the same result, check by check; the
// preloaded run must export the MCP server spans of what the suite did. Both packages come from the lockfile of
// test/third-party (.test-work/third-party); test/third-party/conformance-baseline.yml lists the scenarios server-everything fails either way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { PRELOAD, ROOT, diagLines, run, startListening } from '../helpers/processes.mjs';

const E2E = join(ROOT, '.test-work', 'third-party');
const EVERYTHING = join(E2E, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const CONFORMANCE = join(E2E, 'node_modules', '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const BASELINE = join(ROOT, 'test', 'third-party', 'conformance-baseline.yml');
const LISTEN_LOCAL = join(E2E, 'everything', 'listen-local.mjs');
const SERVICE = 'conformance-everything';
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;

let receiver;
let outputs;
before(async () => {
  receiver = await startReceiver();
  outputs = mkdtempSync(join(tmpdir(), 'mcp-otel-conformance-'));
});
after(async () => {
  await receiver.close();
  rmSync(outputs, { recursive: true, force: true });
});

/** Starts server-everything over Streamable HTTP, bare or preloaded, runs the suite against it, and stops it. */
async function conformanceRun(variant) {
  const nodeArgs = ['--import', pathToFileURL(LISTEN_LOCAL).href, ...(variant === 'preloaded' ? PRELOAD : [])];
  const env = variant === 'preloaded' ? { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: SERVICE, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' } : {};
  const server = await startListening(EVERYTHING, { cwd: E2E, nodeArgs, args: ['streamableHttp'], env, timeoutMs: 120_000 });
  let suite;
  try {
    suite = await run(CONFORMANCE, {
      cwd: E2E,
      nodeArgs: [],
      args: ['server', '--url', `${server.url}/mcp`, '--expected-failures', BASELINE, '-o', join(outputs, variant)],
      timeoutMs: 90_000,
    });
  } finally {
    // server-everything ends itself on SIGINT with process.exit(0); the preload must flush before that exit.
    server.child.kill('SIGINT');
  }
  const stopped = await server.child.result;
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
  return { suite, checks: readChecks(join(outputs, variant), server.port) };
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** The checks of every scenario, by scenario, without what differs between two runs: times, the port, and random ids
 * (the SSE event ids of the server's event store). */
function readChecks(dir, port) {
  const byScenario = {};
  for (const entry of readdirSync(dir)) {
    const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d\d-\d\dT[\d-]+Z$/, '');
    const text = readFileSync(join(dir, entry, 'checks.json'), 'utf8').replaceAll(`127.0.0.1:${port}`, '127.0.0.1:PORT').replace(UUID, 'UUID');
    byScenario[scenario] = JSON.parse(text).map(({ timestamp, ...check }) => check);
  }
  return byScenario;
}

test('conformance: bare and preloaded server-everything give the same result, check by check', async () => {
  const bare = await conformanceRun('bare');
  const preloaded = await conformanceRun('preloaded');
  for (const { suite } of [bare, preloaded]) {
    // Exit 0: exactly the scenarios of the baseline failed, no other.
    assert.equal(suite.code, 0, suite.stdout.toString() + suite.stderr);
    assert.match(suite.stdout.toString(), /^Total: 13 passed, 19 failed$/m);
  }
  assert.equal(Object.keys(bare.checks).length, 30);
  assert.deepEqual(preloaded.checks, bare.checks);
  const summary = (run) => run.suite.stdout.toString().split('=== SUMMARY ===')[1];
  assert.deepEqual(summary(preloaded), summary(bare));

  // The preloaded run exported a span for every MCP message the suite exchanged with the server: a SERVER span for
  // each request and notification it received, a CLIENT span for each notification it sent.
  await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'tools/call test_simple_text'), 10_000);
  const mcpSpans = receiver.spans.filter((s) => s.scope === '@x/mcp-otel');
  assert.deepEqual(new Set(mcpSpans.map((s) => s.resource['service.name'])), new Set([SERVICE]));
  // The server's own notifications (log messages, list changes) depend on timing; their kind and names do not.
  assert.deepEqual([...new Set(mcpSpans.filter((s) => s.kind === CLIENT).map((s) => s.name))].sort(), ['notifications/message', 'notifications/tools/list_changed']);
  assert.equal(mcpSpans.filter((s) => s.kind !== CLIENT && s.kind !== SERVER).length, 0);
  const serverSpans = mcpSpans.filter((s) => s.kind === SERVER);
  const tally = {};
  for (const span of serverSpans) tally[span.name] = (tally[span.name] ?? 0) + 1;
  // One per request and notification the suite sent (it is deterministic): 31 sessions, 29 of which send initialized.
  assert.deepEqual(tally, {
    initialize: 31,
    'notifications/initialized': 29,
    'logging/setLevel': 2,
    ping: 1,
    'completion/complete': 1,
    'tools/list': 4,
    'tools/call test_simple_text': 1,
    'tools/call test_image_content': 1,
    'tools/call test_audio_content': 1,
    'tools/call test_embedded_resource': 1,
    'tools/call test_multiple_content_types': 1,
    'tools/call test_tool_with_logging': 1,
    'tools/call test_error_handling': 1,
    'tools/call test_tool_with_progress': 1,
    'tools/call test_sampling': 1,
    'tools/call test_elicitation': 1,
    'tools/call test_elicitation_sep1034_defaults': 1,
    'tools/call test_elicitation_sep1330_enums': 1,
    'resources/list': 1,
    'resources/read': 3,
    'resources/subscribe': 2,
    'resources/unsubscribe': 1,
    'prompts/list': 1,
    'prompts/get test_simple_prompt': 1,
    'prompts/get test_prompt_with_arguments': 1,
    'prompts/get test_prompt_with_embedded_resource': 1,
    'prompts/get test_prompt_with_image': 1,
  });
  // The suite is not instrumented: no _meta trace context, so each SERVER span is the child of the HTTP server span of
  // the POST that carried it.
  for (const span of serverSpans) {
    const post = receiver.spans.find((s) => s.spanId === span.parentSpanId);
    assert.equal(post?.name, 'POST', `${span.name}: parent`);
    assert.equal(post.kind, SERVER);
    assert.equal(post.traceId, span.traceId);
    assert.deepEqual(span.links, []);
    assert.equal(typeof span.attributes['mcp.session.id'], 'string', `${span.name}: mcp.session.id`);
  }
  const only = (name) => {
    const matches = serverSpans.filter((s) => s.name === name);
    assert.equal(matches.length, 1, name);
    const { 'mcp.session.id': session, 'client.port': port, ...attributes } = matches[0].attributes;
    assert.equal(typeof port, 'number');
    return { attributes, status: matches[0].status };
  };
  const http = {
    'mcp.protocol.version': '2025-11-25',
    'network.transport': 'tcp',
    'network.protocol.name': 'http',
    'network.protocol.version': '1.1',
    'client.address': '127.0.0.1',
    // The suite's client, as its initialize named it on each session.
    'mcp.client.name': 'conformance-test-client',
    'mcp.client.version': '1.0.0',
  };
  assert.deepEqual(only('ping'), { attributes: { 'mcp.method.name': 'ping', 'jsonrpc.request.id': '1', ...http }, status: { code: UNSET, message: undefined } });
  // An unknown tool: McpServer (SDK 1.x) answers "MCP error -32602: Tool ... not found" in an isError result, the
  // caller's fault: the code, and no error on the SERVER span.
  assert.deepEqual(only('tools/call test_simple_text'), {
    attributes: {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'test_simple_text',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '1',
      'rpc.response.status_code': '-32602',
      ...http,
    },
    status: { code: UNSET, message: undefined },
  });
  // An unknown prompt is the caller's fault (-32602): the status code, and no error on the SERVER span.
  assert.deepEqual(only('prompts/get test_simple_prompt'), {
    attributes: {
      'mcp.method.name': 'prompts/get',
      'gen_ai.prompt.name': 'test_simple_prompt',
      'jsonrpc.request.id': '1',
      'rpc.response.status_code': '-32602',
      ...http,
    },
    status: { code: UNSET, message: undefined },
  });
});
