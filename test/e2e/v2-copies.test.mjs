// Several copies of the MCP SDK in one process, under the preload (`node --import @x/mcp-otel/register`): v1 1.32.2,
// v2 2.0.0 and v2 2.4.0, the server and the client package of each, loaded by fixtures/v2-third-party/copies.mjs
// (their ESM builds) and, in a second process, copies.cjs (their CommonJS builds) from the alias directories test/setup.mjs
// installed (.test-work/third-party/node_modules/sdk-1.32.2, sdk-v2-2.0.0, sdk-v2-2.4.0), as each of those packages
// resolves them. Each copy links a client and a server in memory and calls its own tool (add_v1, add_v2_0, add_v2_4):
// every copy must be instrumented, so each call has its CLIENT and its SERVER span, the server's the client's child.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run } from '../helpers/processes.mjs';

const THIRD_PARTY = join(ROOT, '.test-work', 'third-party');
const MODULES = join(THIRD_PARTY, 'node_modules');
const SERVER = 2;
const CLIENT = 3;
const PROTOCOL = '2025-11-25';
const COPIES = [
  { copy: 'v1 1.32.2', tool: 'add_v1', version: '1.32.2' },
  { copy: 'v2 2.0.0', tool: 'add_v2_0', version: '2.0.0' },
  { copy: 'v2 2.4.0', tool: 'add_v2_4', version: '2.4.0' },
];
/** Where each copy's packages are installed (npm hoisted 1.32.2 and 2.4.0; 2.0.0 is nested under its alias). */
const PACKAGE_DIRS = {
  'v1 1.32.2': { server: join(MODULES, '@modelcontextprotocol', 'sdk'), client: join(MODULES, '@modelcontextprotocol', 'sdk') },
  'v2 2.0.0': {
    server: join(MODULES, 'sdk-v2-2.0.0', 'node_modules', '@modelcontextprotocol', 'server'),
    client: join(MODULES, 'sdk-v2-2.0.0', 'node_modules', '@modelcontextprotocol', 'client'),
  },
  'v2 2.4.0': { server: join(MODULES, '@modelcontextprotocol', 'server'), client: join(MODULES, '@modelcontextprotocol', 'client') },
};

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);

for (const format of ['esm', 'cjs']) {
  test(`${format === 'esm' ? 'ESM' : 'CommonJS'}: v1 1.32.2, v2 2.0.0 and v2 2.4.0 in one process, every copy traced`, async () => {
    const service = `copies-${format}`;
    const result = await run(`v2-third-party/copies.${format === 'esm' ? 'mjs' : 'cjs'}`, {
      cwd: THIRD_PARTY,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: service, OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' },
      timeoutMs: 30_000,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(diagLines(result.stderr), [], result.stderr);
    assert.equal(result.stderr, '');
    const out = JSON.parse(result.stdout.toString());

    // The process loaded three distinct copies, each of the build of its module system.
    assert.deepEqual(out.map((c) => [c.copy, c.tool]), COPIES.map((c) => [c.copy, c.tool]));
    const ext = format === 'esm' ? /\.(mjs|js)$/ : /\.(cjs|js)$/;
    for (const [i, copy] of out.entries()) {
      assert.deepEqual(copy.result, { content: [{ type: 'text', text: '5' }] }, `${copy.copy}: result`);
      assert.equal(copy.versions.server, COPIES[i].version, `${copy.copy}: server package version`);
      assert.equal(copy.versions.client, COPIES[i].version, `${copy.copy}: client package version`);
      for (const side of ['server', 'client']) {
        const file = copy.files[side];
        assert.ok(file.startsWith(PACKAGE_DIRS[copy.copy][side] + '/'), `${copy.copy}: ${side} from ${file}`);
        assert.match(file, ext);
        if (i === 0) assert.match(file, new RegExp(`/dist/${format}/`), `${copy.copy}: the ${format} build`);
        else assert.match(file, format === 'esm' ? /\/dist\/index\.mjs$/ : /\/dist\/index\.cjs$/, `${copy.copy}: the ${format} build`);
      }
    }
    for (const side of ['server', 'client']) {
      const files = out.map((c) => c.files[side]);
      assert.equal(new Set(files).size, 3, `three distinct ${side} files: ${files.join(', ')}`);
    }

    // Each copy: initialize, initialized and its tools/call, on both sides: 18 spans, all ours.
    await receiver.waitFor(() => spansOf(service).length >= 18, 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const spans = spansOf(service);
    assert.deepEqual([...new Set(spans.map((s) => s.scope))], ['@x/mcp-otel']);
    const names = (kind) => spans.filter((s) => s.kind === kind).map((s) => s.name).sort();
    const expected = ['initialize', 'initialize', 'initialize', 'notifications/initialized', 'notifications/initialized', 'notifications/initialized'];
    expected.push(...COPIES.map((c) => `tools/call ${c.tool}`));
    assert.deepEqual(names(CLIENT), expected.sort());
    assert.deepEqual(names(SERVER), expected.sort());
    assert.equal(spans.length, 18);
    for (const { copy, tool } of COPIES) {
      const name = `tools/call ${tool}`;
      const client = spans.filter((s) => s.kind === CLIENT && s.name === name);
      const server = spans.filter((s) => s.kind === SERVER && s.name === name);
      assert.equal(client.length, 1, `${copy}: one CLIENT span`);
      assert.equal(server.length, 1, `${copy}: one SERVER span`);
      assert.equal(client[0].parentSpanId, undefined, `${copy}: the client span is a root`);
      assert.equal(server[0].traceId, client[0].traceId, `${copy}: same trace`);
      assert.equal(server[0].parentSpanId, client[0].spanId, `${copy}: the server span is the client span's child`);
      const attributes = { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': tool, 'gen_ai.operation.name': 'execute_tool', 'mcp.protocol.version': PROTOCOL, 'jsonrpc.request.id': '1' };
      // Each copy's spans name the peer of that copy: one client and one server per copy.
      const serverNamed = { 'mcp.server.name': `copies-${tool}`, 'mcp.server.version': '1.0.0' };
      const clientNamed = { 'mcp.client.name': `copies-client-${tool}`, 'mcp.client.version': '1.0.0' };
      assert.deepEqual(client[0].attributes, { ...attributes, ...serverNamed }, `${copy}: client attributes`);
      assert.deepEqual(server[0].attributes, { ...attributes, ...clientNamed }, `${copy}: server attributes`);
      for (const span of [client[0], server[0]]) assert.deepEqual(span.status, { code: 0, message: undefined }, `${copy}: status`);
    }
    // Every initialize of a copy has its SERVER span as the child of its CLIENT span (each in a trace of its own).
    const clientInits = spans.filter((s) => s.kind === CLIENT && s.name === 'initialize');
    for (const init of clientInits) {
      const served = spans.filter((s) => s.kind === SERVER && s.name === 'initialize' && s.parentSpanId === init.spanId);
      assert.equal(served.length, 1, 'initialize: one SERVER span under each CLIENT span');
      assert.equal(served[0].traceId, init.traceId);
    }
    assert.equal(new Set(clientInits.map((s) => s.traceId)).size, 3);
  });
}
