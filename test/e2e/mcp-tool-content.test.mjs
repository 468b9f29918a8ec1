// What a tool call carries, end to end (fixtures/app/mcp/content*.{cjs,mjs}, SDK 1.32.2), over stdio, Streamable HTTP, SSE
// and in memory, every process under the preload exporting to the OTLP receiver:
// - content capture: off by default (no content attribute on any span); on, the exact JSON of arguments and results on
//   both sides, prompt variables, a result cut at the size limit, an image replaced by a placeholder;
// - the caller's identity: enduser.id and enduser.scope on the SERVER spans over HTTP (the auth info the app's bearer
//   middleware set), absent when switched off; the token in no export, in any setting;
// - the agent's own `execute_tool echo` span: the MCP attributes go onto it, no CLIENT span is made, the SERVER span is
//   its child, the client metric is still recorded; switched off, a CLIENT span nests as before;
// - bounds: a 20,000-character tool name and a 100 KB URI become a 1,024-character span name and 8,192-character
//   attributes (or the user's attribute limit), cut with an ellipsis.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { diagLines, run, startListening } from '../helpers/processes.mjs';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;
const TOKEN = 'tok-SECRET-123';
const PNG_PLACEHOLDER = '[image/png, 70 bytes]';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

let runs = 0;
/** Runs the client (and the server) over `transport` with `env`; returns the spans of each side and the client's output. */
async function runContent(transport, env = {}) {
  const id = `content-${transport}-${++runs}`;
  const services = { client: `${id}-client`, server: transport === 'memory' ? `${id}-client` : `${id}-server` };
  const base = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_METRIC_EXPORT_INTERVAL: '60000', ...env };
  let result;
  if (transport === 'http' || transport === 'sse') {
    const server = await startListening('mcp/content-server.mjs', { args: [transport], env: { ...base, OTEL_SERVICE_NAME: services.server } });
    try {
      result = await run('mcp/content-client.mjs', { args: [transport, server.url], env: { ...base, OTEL_SERVICE_NAME: services.client }, timeoutMs: 30_000 });
    } finally {
      server.child.kill('SIGTERM');
    }
    await server.child.result;
  } else {
    const args = transport === 'stdio' ? ['stdio', 'mcp/content-server.mjs'] : ['memory'];
    result = await run('mcp/content-client.mjs', { args, env: { ...base, OTEL_SERVICE_NAME: services.client, SERVER_SERVICE_NAME: services.server }, timeoutMs: 30_000 });
  }
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);
  const out = JSON.parse(result.stdout.toString());
  assert.deepEqual(out.echo.content, [{ type: 'text', text: 'hello 1' }]);
  const mine = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);
  await receiver.waitFor(
    () => mine(services.server).filter((s) => s.kind === SERVER && s.name.startsWith('resources/read')).length === 1 && mine(services.client).some((s) => s.name === 'execute_tool echo'),
    10_000,
  );
  await receiver.waitFor(() => receiver.metrics.some((m) => m.resource['service.name'] === services.client), 10_000);
  const client = mine(services.client).filter((s) => s.kind !== SERVER || transport !== 'memory');
  const server = mine(services.server).filter((s) => s.kind === SERVER);
  return { out, services, client, server, all: [...mine(services.client), ...mine(services.server)] };
}

const one = (spans, kind, name) => {
  const found = spans.filter((s) => s.kind === kind && s.name === name);
  assert.equal(found.length, 1, `one ${kind} span ${name}; got ${found.length}`);
  return found[0];
};
const contentKeys = (span) => Object.keys(span.attributes).filter((k) => k.startsWith('gen_ai.tool.call.') || k.startsWith('gen_ai.prompt.variable.'));

/** The token must appear nowhere the process exported: spans, metrics, logs. */
function assertNoToken(services) {
  const exported = JSON.stringify(
    [receiver.spans, receiver.metrics, receiver.logs].map((list) => list.filter((x) => Object.values(services).includes(x.resource['service.name']))),
    (_key, value) => (typeof value === 'bigint' ? String(value) : value),
  );
  assert.equal(exported.includes(TOKEN), false, 'the token is never exported');
  assert.ok(exported.length > 1000, 'something was exported');
}

describe('by default', { concurrency: 4 }, () => {
  for (const transport of ['stdio', 'http', 'sse', 'memory']) {
    test(`${transport}: no content anywhere; the agent's execute_tool span takes the MCP attributes; bounded names${transport === 'http' || transport === 'sse' ? '; the caller identity' : ''}`, async () => {
      const { client, server, all, services } = await runContent(transport);
      assert.deepEqual(all.flatMap(contentKeys), [], 'no content attribute on any span');
      assertNoToken(services);

      // The agent's span is the operation: no CLIENT span of its own, the SERVER span its child.
      assert.equal(client.filter((s) => s.kind === CLIENT && s.name === 'tools/call echo').length, 0, 'no CLIENT span for the call');
      const agent = one(client, INTERNAL, 'execute_tool echo');
      assert.deepEqual(client.filter((s) => s.traceId === agent.traceId && s.kind === CLIENT && s.scope === '@x/mcp-otel'), [], 'no MCP CLIENT span in that trace');
      assert.equal(agent.scope, 'agent-framework');
      assert.equal(agent.attributes['mcp.method.name'], 'tools/call');
      assert.equal(agent.attributes['gen_ai.tool.name'], 'echo');
      assert.equal(agent.attributes['jsonrpc.request.id'], '1');
      assert.equal(agent.attributes['mcp.protocol.version'], '2025-11-25');
      const echo = one(server, SERVER, 'tools/call echo');
      assert.equal(echo.traceId, agent.traceId);
      assert.equal(echo.parentSpanId, agent.spanId);
      const clientPoints = receiver.metrics
        .filter((m) => m.resource['service.name'] === services.client && m.name === 'mcp.client.operation.duration')
        .flatMap((m) => m.dataPoints)
        .filter((p) => p.attributes['gen_ai.tool.name'] === 'echo');
      assert.equal(clientPoints.reduce((n, p) => n + Number(p.count), 0), 1, 'the client metric of the enriched call');
      // Other calls: CLIENT spans as always.
      one(client, CLIENT, 'tools/call image');

      // Bounds: 1,024 characters of span name, 8,192 of attribute, an ellipsis at the end.
      const longName = server.find((s) => s.name.startsWith('tools/call ttt'));
      assert.equal(longName.name.length, 1024);
      assert.equal(longName.name, `tools/call ${'t'.repeat(1024 - 'tools/call '.length - 1)}…`);
      assert.equal(longName.attributes['gen_ai.tool.name'], `${'t'.repeat(8191)}…`);
      const longUri = one(server, SERVER, 'resources/read');
      assert.equal(longUri.attributes['mcp.resource.uri'], `file:///${'u'.repeat(8192 - 'file:///'.length - 1)}…`);
      const clientLongName = client.find((s) => s.kind === CLIENT && s.name.startsWith('tools/call ttt'));
      assert.equal(clientLongName.name.length, 1024);

      if (transport === 'http' || transport === 'sse') {
        // SDK v1 hands the auth info to requests only (v2 to notifications too).
        const requests = server.filter((span) => span.attributes['jsonrpc.request.id'] !== undefined);
        assert.ok(requests.length >= 7);
        for (const span of requests) {
          assert.equal(span.attributes['enduser.id'], 'client-42', `${span.name}: enduser.id`);
          assert.equal(span.attributes['enduser.scope'], 'tools:read tools:call', `${span.name}: enduser.scope`);
        }
        assert.equal(client.some((s) => 'enduser.id' in s.attributes), false, 'identity is on SERVER spans only');
      } else {
        assert.equal(all.some((s) => 'enduser.id' in s.attributes), false, 'no auth info, no identity');
      }
    });
  }
});

describe('switched', { concurrency: 3 }, () => {
  for (const transport of ['stdio', 'http', 'memory']) {
    test(`${transport}: content on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true): exact JSON on both sides, the cut, the placeholder`, async () => {
      const { client, server, services } = await runContent(transport, { OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true', OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH: '300' });
      assertNoToken(services);
      const sides = { client: (name) => (name === 'tools/call echo' ? one(client, INTERNAL, 'execute_tool echo') : one(client, CLIENT, name)), server: (name) => one(server, SERVER, name) };
      for (const [side, span] of Object.entries(sides)) {
        const echo = span('tools/call echo');
        assert.equal(echo.attributes['gen_ai.tool.call.arguments'], '{"text":"hello","n":1}', `${side} arguments`);
        assert.equal(echo.attributes['gen_ai.tool.call.result'], '{"content":[{"type":"text","text":"hello 1"}]}', `${side} result`);
        const image = span('tools/call image');
        assert.equal(image.attributes['gen_ai.tool.call.arguments'], '{}');
        assert.equal(image.attributes['gen_ai.tool.call.result'], `{"content":[{"type":"image","data":"${PNG_PLACEHOLDER}","mimeType":"image/png"}]}`, `${side} image`);
        const big = span('tools/call big').attributes['gen_ai.tool.call.result'];
        assert.equal(big.length, 300, `${side} cut at the limit`);
        assert.equal(big, `{"content":[{"type":"text","text":"${'x'.repeat(300 - '{"content":[{"type":"text","text":"'.length - 1)}…`);
        const greet = span('prompts/get greet');
        assert.equal(greet.attributes['gen_ai.prompt.variable.who'], 'Ada', `${side} prompt variable`);
        assert.deepEqual(contentKeys(span('resources/read')), []);
      }
    });
  }

  test('http: identity off (OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER=false), content on: no enduser.*, and still no token', async () => {
    const { server, all, services } = await runContent('http', { OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER: 'false', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'SPAN_AND_EVENT' });
    assert.ok(server.length >= 8);
    assert.equal(all.some((s) => 'enduser.id' in s.attributes || 'enduser.scope' in s.attributes), false);
    assertNoToken(services);
  });

  test('stdio: enrichment off (OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS=false): a CLIENT span under the agent span; EVENT_ONLY records no content', async () => {
    const { client, server, all, services } = await runContent('stdio', { OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS: 'false', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'EVENT_ONLY' });
    assertNoToken(services);
    const agent = one(client, INTERNAL, 'execute_tool echo');
    assert.equal(agent.attributes['mcp.method.name'], undefined);
    const echo = one(client, CLIENT, 'tools/call echo');
    assert.equal(echo.parentSpanId, agent.spanId);
    assert.equal(one(server, SERVER, 'tools/call echo').parentSpanId, echo.spanId);
    assert.deepEqual(all.flatMap(contentKeys), []);
  });

  test("memory: the user's attribute limit (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT=100) bounds what the peer sends, and content, with the mark", async () => {
    const { server, services } = await runContent('memory', { OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '100', OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' });
    assertNoToken(services);
    const longName = server.find((s) => s.name.startsWith('tools/call ttt'));
    assert.equal(longName.name.length, 1024, 'span names are not attributes: 1,024');
    assert.equal(longName.attributes['gen_ai.tool.name'], `${'t'.repeat(99)}…`);
    const big = one(server, SERVER, 'tools/call big').attributes['gen_ai.tool.call.result'];
    assert.equal(big.length, 100);
    assert.ok(big.endsWith('…'));
  });
});
