// Arguments that fail a tool's input schema, end to end: SDK 1.32 and v2 answer them with an `isError` result (the
// 2025-11-25 revision asks for one, so that the model can correct itself). On the SERVER span and the server's duration
// point that is the caller's fault, like the -32602 error it used to be: `rpc.response.status_code` -32602, no
// `error.type`, status unset, no exception; a tool that throws is still the server's `tool_error`. The client's
// identity is on the SERVER span: from `initialize` (2025) or from each request's `_meta` (2026-07-28).
// Each server is a preloaded stdio child fed raw JSON-RPC, with a trace context in `_meta`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, start } from '../helpers/processes.mjs';

const SERVER = 2;
const UNSET = 0;
const ERROR = 2;
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const V2_DIR = join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0');

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const traceparent = `00-${TRACE_ID}-${PARENT}-01`;
const CLIENT_INFO = { name: 'raw-client', version: '9.9.0' };

/** The messages of one exchange: a 2025-era handshake first, or the 2026-07-28 envelope on each request. */
function exchange(era, calls) {
  const envelope =
    era === 'modern'
      ? {
          'io.modelcontextprotocol/protocolVersion': '2026-07-28',
          'io.modelcontextprotocol/clientCapabilities': {},
          'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
        }
      : {};
  const opening =
    era === 'modern'
      ? []
      : [
          { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: CLIENT_INFO } },
          { jsonrpc: '2.0', method: 'notifications/initialized' },
        ];
  const requests = calls.map(([name, args], i) => ({
    jsonrpc: '2.0',
    id: i + 1,
    method: 'tools/call',
    params: { name, arguments: args, _meta: { traceparent, ...envelope } },
  }));
  return [...opening, ...requests];
}

/** Runs a preloaded stdio server, writes the messages one by one as answers come, and returns the answers by id. */
async function serve(file, { cwd, args, era, calls, service }) {
  const child = start(file, {
    cwd,
    args,
    timeoutMs: 20_000,
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: service, OTEL_LOGS_EXPORTER: 'none' },
  });
  const answers = new Map();
  let buffer = '';
  let waiting;
  child.stdout.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const message = JSON.parse(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
      if (message.id !== undefined) answers.set(message.id, message);
      waiting?.();
    }
  });
  for (const message of exchange(era, calls)) {
    child.stdin.write(`${JSON.stringify(message)}\n`);
    if (message.id === undefined) continue;
    while (!answers.has(message.id)) await new Promise((resolve) => (waiting = resolve));
  }
  child.stdin.end();
  const result = await child.result;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);
  return answers;
}

const ours = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');
const points = (service) =>
  receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === 'mcp.server.operation.duration').flatMap((m) => m.dataPoints);

const SERVERS = [
  { label: 'SDK 1.32 (McpServer, stdio)', file: 'mcp/server-stdio.mjs', era: 'legacy', throws: 'fail' },
  { label: 'SDK v2 2.4.0 (McpServer, stdio, 2025 era)', file: 'server.mjs', cwd: V2_DIR, args: ['stdio', 'legacy'], era: 'legacy', throws: 'throws' },
  { label: 'SDK v2 2.4.0 (serveStdio, 2026-07-28)', file: 'server.mjs', cwd: V2_DIR, args: ['stdio', 'modern'], era: 'modern', throws: 'throws' },
];

describe('input validation results on the server side', { concurrency: 3 }, () => {
  for (const server of SERVERS) {
    test(`${server.label}: invalid arguments are the caller's fault, a throwing tool the server's`, async () => {
      const service = `input-validation-${server.file.replace(/\W/g, '-')}-${server.era}`;
      const answers = await serve(server.file, { ...server, calls: [['add', { a: 'two', b: 3 }], [server.throws, {}]], service });
      const invalid = answers.get(1).result;
      assert.equal(invalid.isError, true);
      assert.match(invalid.content[0].text, /Input validation error/);
      assert.equal(answers.get(2).result.isError, true);
      await receiver.waitFor(() => ours(service).filter((s) => s.name.startsWith('tools/call')).length === 2, 5000);

      const version = server.era === 'modern' ? '2026-07-28' : '2025-11-25';
      const modern = server.era === 'modern' ? { 'mcp.result.type': 'complete' } : {};
      const [add] = ours(service).filter((s) => s.name === 'tools/call add');
      assert.equal(add.kind, SERVER);
      assert.equal(add.traceId, TRACE_ID);
      assert.equal(add.parentSpanId, PARENT);
      assert.deepEqual(add.attributes, {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'add',
        'gen_ai.operation.name': 'execute_tool',
        'jsonrpc.request.id': '1',
        'mcp.protocol.version': version,
        'network.transport': 'pipe',
        'mcp.client.name': 'raw-client',
        'mcp.client.version': '9.9.0',
        'rpc.response.status_code': '-32602',
        ...modern,
      });
      assert.deepEqual(add.status, { code: UNSET, message: undefined });
      assert.deepEqual(add.events, [], 'an answer to the caller, not an exception');

      const [thrown] = ours(service).filter((s) => s.name === `tools/call ${server.throws}`);
      assert.equal(thrown.attributes['error.type'], 'tool_error');
      assert.equal(thrown.attributes['rpc.response.status_code'], undefined);
      assert.equal(thrown.status.code, ERROR);
      assert.deepEqual(thrown.events.map((e) => e.name), ['exception']);

      // The server's duration points: the caller fault has its code and no error.type; the client is not named there.
      await receiver.waitFor(() => points(service).some((p) => p.attributes['gen_ai.tool.name'] === server.throws), 5000);
      const byTool = (tool) => points(service).filter((p) => p.attributes['gen_ai.tool.name'] === tool);
      assert.deepEqual(
        byTool('add').map((p) => [p.count, p.attributes['rpc.response.status_code'], p.attributes['error.type'], p.attributes['mcp.client.name']]),
        [[1, '-32602', undefined, undefined]],
      );
      assert.deepEqual(byTool(server.throws).map((p) => [p.count, p.attributes['error.type']]), [[1, 'tool_error']]);
    });
  }
});
