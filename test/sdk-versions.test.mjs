// End to end across MCP SDK versions: a client process under the preload spawns a server under the preload over
// stdio (both `node --import @x/mcp-otel/register`), calls a tool that succeeds, one that answers with an isError
// result and one that throws, and exits. Each SDK is installed with the packed tarball in .test-work/sdk-<version>
// (test/setup.mjs); 1.32.2 is the one of .test-work/app. Both processes export to one OTLP receiver and are told apart
// by service.name.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from './helpers/otlp-receiver.mjs';
import { APP_DIR, ROOT, diagLines, run } from './helpers/processes.mjs';

const WORK = join(ROOT, '.test-work');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const ERROR = 2;

/**
 * The matrix. `protocol` is the version each pair negotiates (the SDK's LATEST_PROTOCOL_VERSION, as observed in the
 * initialize result); `throws` is how the throwing tool is answered: the low-level Server sends a JSON-RPC error
 * (-32603), McpServer an isError result with the message.
 */
const MATRIX = [
  { sdk: '1.0.1', cwd: join(WORK, 'sdk-1.0.1'), client: 'client.mjs', server: 'server-lowlevel.mjs', protocol: '2024-11-05', throws: 'jsonrpc' },
  { sdk: '1.2.0', cwd: join(WORK, 'sdk-1.2.0'), client: 'client.mjs', server: 'server-lowlevel.mjs', protocol: '2024-11-05', throws: 'jsonrpc' },
  { sdk: '1.2.0', cwd: join(WORK, 'sdk-1.2.0'), client: 'client.cjs', server: 'server-lowlevel.cjs', protocol: '2024-11-05', throws: 'jsonrpc' },
  { sdk: '1.12.3', cwd: join(WORK, 'sdk-1.12.3'), client: 'client.mjs', server: 'server-mcp.mjs', protocol: '2025-03-26', throws: 'tool' },
  { sdk: '1.12.3', cwd: join(WORK, 'sdk-1.12.3'), client: 'client.cjs', server: 'server-mcp.cjs', protocol: '2025-03-26', throws: 'tool' },
  { sdk: '1.24.3', cwd: join(WORK, 'sdk-1.24.3'), client: 'client.mjs', server: 'server-mcp.mjs', protocol: '2025-11-25', throws: 'tool' },
  { sdk: '1.32.2', cwd: APP_DIR, client: join('sdk-versions', 'client.mjs'), server: 'server-mcp.mjs', protocol: '2025-11-25', throws: 'tool' },
];

const SPAN_NAMES = ['initialize', 'notifications/initialized', 'tools/call add', 'tools/call fail', 'tools/call throws'];

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);

/** The attributes both sides record for a message, before any error attributes. */
function baseAttributes(name, protocol) {
  const [method, tool] = name.split(' ');
  const attributes = { 'mcp.method.name': method, 'network.transport': 'pipe', 'mcp.protocol.version': protocol };
  if (method === 'tools/call') {
    attributes['gen_ai.tool.name'] = tool;
    attributes['gen_ai.operation.name'] = 'execute_tool';
  }
  // The client numbers its requests from 0: initialize, then the three calls.
  const ids = { initialize: '0', 'tools/call add': '1', 'tools/call fail': '2', 'tools/call throws': '3' };
  if (ids[name] !== undefined) attributes['jsonrpc.request.id'] = ids[name];
  return attributes;
}

for (const entry of MATRIX) {
  const format = entry.client.endsWith('.cjs') ? 'cjs' : 'esm';
  test(`SDK ${entry.sdk} (${format}, ${entry.server}): client and server spans over stdio, linked by _meta.traceparent`, async () => {
    const clientService = `sdk-${entry.sdk}-${format}-client`;
    const serverService = `sdk-${entry.sdk}-${format}-server`;
    const result = await run(entry.client, {
      cwd: entry.cwd,
      args: [entry.server],
      timeoutMs: 25_000,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: clientService,
        SERVER_SERVICE_NAME: serverService,
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      },
    });
    assert.equal(result.code, 0, result.stderr);
    // stderr is the client's and the server's (the SDK lets the server inherit it): no diagnostics from either preload.
    assert.deepEqual(diagLines(result.stderr), [], result.stderr);
    const out = JSON.parse(result.stdout.toString());
    assert.equal(out.protocolVersion, entry.protocol);
    assert.deepEqual(out.add, { content: [{ type: 'text', text: '5' }] });
    assert.deepEqual(out.fail, { content: [{ type: 'text', text: 'fail: refused' }], isError: true });
    if (entry.throws === 'jsonrpc') {
      assert.deepEqual(out.throws, { error: { code: -32603, message: 'MCP error -32603: boom from throws' } });
    } else {
      assert.deepEqual(out.throws, { result: { content: [{ type: 'text', text: 'boom from throws' }], isError: true } });
    }

    // Both processes flushed before they exited; the wait only covers the receiver's side.
    await receiver.waitFor(() => spansOf(clientService).length >= SPAN_NAMES.length && spansOf(serverService).length >= SPAN_NAMES.length, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const clientSpans = spansOf(clientService);
    const serverSpans = spansOf(serverService);
    assert.deepEqual(clientSpans.map((s) => s.name).sort(), SPAN_NAMES);
    assert.deepEqual(serverSpans.map((s) => s.name).sort(), SPAN_NAMES);

    const traces = new Set();
    for (const name of SPAN_NAMES) {
      const client = clientSpans.find((s) => s.name === name);
      const server = serverSpans.find((s) => s.name === name);
      assert.equal(client.kind, CLIENT, `${name}: client kind`);
      assert.equal(server.kind, SERVER, `${name}: server kind`);
      assert.equal(client.scope, '@x/mcp-otel');
      assert.equal(server.scope, '@x/mcp-otel');
      // Each request of the client starts a trace of its own, which the server continues.
      assert.equal(client.parentSpanId, undefined, `${name}: client span is a root`);
      assert.equal(server.traceId, client.traceId, `${name}: same trace`);
      assert.equal(server.parentSpanId, client.spanId, `${name}: server span is the client span's child`);
      assert.deepEqual(server.links, []);
      traces.add(client.traceId);

      const expectedClient = baseAttributes(name, entry.protocol);
      const expectedServer = baseAttributes(name, entry.protocol);
      let clientStatus = { code: UNSET, message: undefined };
      let serverStatus = { code: UNSET, message: undefined };
      let serverEvents = [];
      if (name === 'tools/call fail') {
        expectedClient['error.type'] = expectedServer['error.type'] = 'tool_error';
        clientStatus = serverStatus = { code: ERROR, message: undefined };
      }
      if (name === 'tools/call throws') {
        serverEvents = ['exception'];
        if (entry.throws === 'jsonrpc') {
          // -32603 is the server's fault: an error on both sides, with the message of the error response.
          expectedClient['rpc.response.status_code'] = expectedServer['rpc.response.status_code'] = '-32603';
          expectedClient['error.type'] = expectedServer['error.type'] = '-32603';
          clientStatus = serverStatus = { code: ERROR, message: 'boom from throws' };
        } else {
          expectedClient['error.type'] = expectedServer['error.type'] = 'tool_error';
          clientStatus = { code: ERROR, message: undefined };
          serverStatus = { code: ERROR, message: 'boom from throws' };
        }
      }
      assert.deepEqual(client.attributes, expectedClient, `${name}: client attributes`);
      assert.deepEqual(server.attributes, expectedServer, `${name}: server attributes`);
      assert.deepEqual(client.status, clientStatus, `${name}: client status`);
      assert.deepEqual(server.status, serverStatus, `${name}: server status`);
      assert.deepEqual(client.events, [], `${name}: client events`);
      assert.deepEqual(server.events.map((e) => e.name), serverEvents, `${name}: server events`);
      if (name === 'tools/call throws') {
        const [event] = server.events;
        assert.equal(event.attributes['exception.type'], 'Error');
        assert.equal(event.attributes['exception.message'], 'boom from throws');
        const stack = event.attributes['exception.stacktrace'];
        assert.match(stack, /^Error: boom from throws\n\s+at .*[\\/]servers\.cjs:\d+:\d+/);
        // The build the process loaded: the CommonJS one under require(), the ESM one (or 1.0.x's only one) otherwise.
        const build = entry.sdk === '1.0.1' ? 'dist/' : format === 'cjs' ? 'dist/cjs/' : 'dist/esm/';
        assert.ok(stack.includes(`@modelcontextprotocol/sdk/${build}shared/protocol.js:`) || stack.includes(`@modelcontextprotocol/sdk/${build}server/`), stack);
      }
    }
    assert.equal(traces.size, SPAN_NAMES.length);
    for (const span of clientSpans) assert.equal(span.resource['telemetry.sdk.language'], 'nodejs');
    assert.notEqual(clientSpans[0].resource['process.pid'], serverSpans[0].resource['process.pid']);
  });
}
