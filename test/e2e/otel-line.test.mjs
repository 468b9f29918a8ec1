// End to end: the OpenTelemetry JS line the packed package brings (API 1.10, core 3.x, Node 22.15+), apps on either
// API generation making spans of their own inside an MCP tool, and what the preload does on a Node it does not
// support (one stderr line, the app untouched).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { MINIMUM_NODE, nodeBin, UNSUPPORTED_NODE } from '../helpers/nodes.mjs';
import { APP_DIR, PRELOAD, ROOT, STDIO_INPUT, run } from '../helpers/processes.mjs';

const OTLP_SERVER = 2;
const OTLP_INTERNAL = 1;
const INSTALLED = join(APP_DIR, 'node_modules', '@x', 'mcp-otel');

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());
beforeEach(() => receiver.reset());

const exportEnv = (extra = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  ...extra,
});

/** The version of `name` as the installed @x/mcp-otel resolves it (found from its main file up to its package.json). */
function resolvedVersion(name) {
  let dir = dirname(createRequire(join(INSTALLED, 'dist', 'index.js')).resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (manifest.name === name) return manifest.version;
    } catch {
      // Not here: one directory up.
    }
    dir = dirname(dir);
  }
}

test('the packed install resolves @opentelemetry/api 1.10 and @opentelemetry/core 3.x, and asks for Node >= 22.15.0', () => {
  assert.match(resolvedVersion('@opentelemetry/api'), /^1\.10\.\d+$/);
  assert.match(resolvedVersion('@opentelemetry/core'), /^3\.\d+\.\d+$/);
  assert.match(resolvedVersion('@opentelemetry/sdk-trace'), /^3\.\d+\.\d+$/);
  assert.match(resolvedVersion('@opentelemetry/sdk-node'), /^0\.30\d\.\d+$/);
  const manifest = JSON.parse(readFileSync(join(INSTALLED, 'package.json'), 'utf8'));
  assert.equal(manifest.engines.node, `>=${MINIMUM_NODE}`);
  // register.mjs checks the same minimum itself, without loading anything.
  const register = readFileSync(join(ROOT, 'register.mjs'), 'utf8');
  assert.equal(/const MINIMUM_NODE = \[(\d+), (\d+), (\d+)\];/.exec(register)?.slice(1).join('.'), MINIMUM_NODE);
});

const CALL_WORK = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test-host', version: '1.0.0' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'work', arguments: {} } },
].map((m) => JSON.stringify(m) + '\n').join('');

for (const [apiVersion, cwd] of [
  ['1.10.0', APP_DIR],
  ['1.9.1', join(APP_DIR, '..', 'app-api-1.9')],
]) {
  test(`an app on @opentelemetry/api ${apiVersion}: its own span inside a tool is exported under the MCP SERVER span`, async () => {
    const file = apiVersion === '1.10.0' ? 'mcp/own-span-server.mjs' : 'own-span-server.mjs';
    const result = await run(file, { cwd, input: CALL_WORK, env: exportEnv({ OTEL_SERVICE_NAME: `api-${apiVersion}` }) });
    assert.equal(result.code, 0, result.stderr);
    const answer = result.stdout.toString().trim().split('\n').map((l) => JSON.parse(l)).find((m) => m.id === 2);
    assert.deepEqual(answer.result.content, [{ type: 'text', text: apiVersion }]);
    await receiver.waitFor((r) => r.spans.some((s) => s.name === 'app work') && r.spans.some((s) => s.name === 'tools/call work'));
    const server = receiver.spans.filter((s) => s.name === 'tools/call work');
    const own = receiver.spans.filter((s) => s.name === 'app work');
    assert.equal(server.length, 1);
    assert.equal(own.length, 1);
    assert.equal(server[0].kind, OTLP_SERVER);
    assert.equal(server[0].scope, '@x/mcp-otel');
    assert.equal(own[0].kind, OTLP_INTERNAL);
    assert.equal(own[0].scope, 'fixture-app');
    assert.equal(own[0].attributes['app.api.version'], apiVersion);
    assert.equal(own[0].traceId, server[0].traceId);
    assert.equal(own[0].parentSpanId, server[0].spanId);
    assert.equal(own[0].resource['service.name'], `api-${apiVersion}`);
  });
}

// dd-trace 6.21 pins import-in-the-middle 3.5.1; an app that has it (or any package pinning another copy) gets that
// copy hoisted next to @opentelemetry/instrumentation, which then registers every hook there, and ours nested. The
// ESM loader hook must be that same copy, on both of its paths.
const OTHER_IITM_APP = join(APP_DIR, '..', 'app-other-iitm');
for (const [label, command] of [
  [`on this Node (${process.version})`, process.execPath],
  [`on Node ${MINIMUM_NODE} (the loader thread)`, join(nodeBin(MINIMUM_NODE), 'node')],
]) {
  test(`${label}, an app that pins another import-in-the-middle: its ES module SDK is traced`, async () => {
    const versionIn = (dir) => JSON.parse(readFileSync(join(dir, 'node_modules', 'import-in-the-middle', 'package.json'), 'utf8')).version;
    // The layout this test is about: the app's copy at the top, ours nested under @x/mcp-otel.
    assert.equal(versionIn(OTHER_IITM_APP), '3.5.1');
    assert.equal(versionIn(join(OTHER_IITM_APP, 'node_modules', '@x', 'mcp-otel')), '3.6.0');
    const result = await run('own-span-server.mjs', { command, cwd: OTHER_IITM_APP, input: CALL_WORK, env: exportEnv({ OTEL_SERVICE_NAME: 'other-iitm' }) });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    await receiver.waitFor((r) => r.spans.some((s) => s.name === 'tools/call work') && r.spans.some((s) => s.name === 'app work'));
    const [server] = receiver.spans.filter((s) => s.name === 'tools/call work');
    const [own] = receiver.spans.filter((s) => s.name === 'app work');
    assert.equal(server.kind, OTLP_SERVER);
    assert.equal(server.scope, '@x/mcp-otel');
    assert.equal(server.resource['service.name'], 'other-iitm');
    assert.equal(own.parentSpanId, server.spanId);
  });
}

test(`on Node ${UNSUPPORTED_NODE}: one stderr line naming both versions, stdout and exit code as bare, nothing loaded or sent`, async () => {
  const command = join(nodeBin(UNSUPPORTED_NODE), 'node');
  const line = `@x/mcp-otel warn: telemetry is off: Node.js v${UNSUPPORTED_NODE} is older than ${MINIMUM_NODE}, the oldest this version supports\n`;

  const bare = await run('stdio-server.mjs', { command, nodeArgs: [], input: STDIO_INPUT });
  const preloaded = await run('stdio-server.mjs', { command, input: STDIO_INPUT, env: exportEnv({ OTEL_LOG_LEVEL: 'debug' }) });
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(bare.stdout.toString().trim().split('\n').length, 3);
  assert.equal(preloaded.code, 0, preloaded.stderr);
  assert.ok(preloaded.stdout.equals(bare.stdout), 'stdout differs under the preload');
  assert.equal(preloaded.stderr, bare.stderr + line);

  for (const code of ['0', '3']) {
    const bareExit = await run('exit-now.mjs', { command, nodeArgs: [], env: { EXIT_CODE: code } });
    const preloadedExit = await run('exit-now.mjs', { command, env: exportEnv({ EXIT_CODE: code }) });
    assert.equal(bareExit.code, Number(code));
    assert.equal(preloadedExit.code, Number(code));
    assert.ok(preloadedExit.stdout.equals(bareExit.stdout));
    assert.equal(preloadedExit.stderr, line);
  }

  // Nothing registered, nothing patched, no module of ours or OpenTelemetry's loaded (the probe sees each on a
  // supported Node: preload.test.mjs).
  const probe = await run('probe.mjs', { command, env: exportEnv() });
  assert.equal(probe.code, 0);
  assert.equal(probe.stderr, `${line}probe {"apiGlobal":false,"httpPatched":false,"recording":false,"loaded":0}\n`);

  // Given twice (--import and NODE_OPTIONS): still one line.
  const twice = await run('exit-now.mjs', { command, env: exportEnv({ NODE_OPTIONS: `${PRELOAD.join(' ')}` }) });
  assert.equal(twice.stderr, line);

  await new Promise((r) => setTimeout(r, 300));
  assert.equal(receiver.requests.length, 0);
});

test(`on Node ${MINIMUM_NODE}, the oldest supported: it starts, and ES modules are hooked through module.register()`, async () => {
  // 22.15.0 has no synchronous loader hooks that import-in-the-middle can run: the loader-thread path is taken here.
  const command = join(nodeBin(MINIMUM_NODE), 'node');
  const quiet = await run('stdio-server.mjs', { command, input: STDIO_INPUT, env: exportEnv() });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
  receiver.reset();
  const result = await run('stdio-server.mjs', { command, input: STDIO_INPUT, env: exportEnv({ OTEL_SERVICE_NAME: 'oldest-node', OTEL_LOG_LEVEL: 'debug' }) });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^@x\/mcp-otel debug: ESM loader hook: import-in-the-middle on the loader thread \(module\.register\)$/m);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'tools/call add'));
  const [call] = receiver.spans.filter((s) => s.name === 'tools/call add');
  assert.equal(call.kind, OTLP_SERVER);
  assert.equal(call.resource['service.name'], 'oldest-node');
  assert.equal(call.resource['process.runtime.version'], MINIMUM_NODE);
  assert.equal(call.attributes['gen_ai.tool.name'], 'add');
});

test(`on Node ${MINIMUM_NODE}, SDK v2 ES modules (a 2026-07-28 client and server over stdio) are hooked through the loader thread too`, async () => {
  const command = join(nodeBin(MINIMUM_NODE), 'node');
  const cwd = join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0');
  const env = exportEnv({ OTEL_SERVICE_NAME: 'oldest-node-v2-client', SERVER_SERVICE_NAME: 'oldest-node-v2-server' });
  const result = await run('client.mjs', { command, cwd, args: ['stdio', 'server.mjs', 'modern'], env, timeoutMs: 30_000 });
  assert.equal(result.code, 0, result.stderr);
  await receiver.waitFor((r) => ['oldest-node-v2-client', 'oldest-node-v2-server'].every((service) => r.spans.some((s) => s.resource['service.name'] === service && s.name === 'tools/call add')));
  for (const [service, kind] of [['oldest-node-v2-client', 3], ['oldest-node-v2-server', OTLP_SERVER]]) {
    const call = receiver.spans.find((s) => s.resource['service.name'] === service && s.name === 'tools/call add');
    assert.equal(call.kind, kind, service);
    assert.equal(call.attributes['mcp.protocol.version'], '2026-07-28');
    assert.equal(call.resource['process.runtime.version'], MINIMUM_NODE);
  }
});

test(`on this Node (${process.version}), the ESM hook runs on the app thread, and nothing warns of it`, async () => {
  const result = await run('stdio-server.mjs', { input: STDIO_INPUT, env: exportEnv({ OTEL_LOG_LEVEL: 'debug' }) });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^@x\/mcp-otel debug: ESM loader hook: import-in-the-middle on the app thread \(module\.registerHooks\)$/m);
  assert.doesNotMatch(result.stderr, /Warning/);
  await receiver.waitFor((r) => r.spans.some((s) => s.name === 'tools/call add'));
});
