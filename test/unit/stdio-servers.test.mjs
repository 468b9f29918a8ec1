// Unit tests of what a preloaded client passes to the stdio servers it spawns (src/instrumentation/stdio-servers.ts),
// the switches that turn it on (environment and configuration file), and the patch of the SDK's StdioClientTransport
// (patch.ts) with real SDK copies, v1 (1.0.1 takes `env` whole, 1.32.2 merges it over its default list) and v2
// (2.0.0, 2.4.0): each spawns a tiny server that reports the environment it got.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/processes.mjs';

const require = createRequire(import.meta.url);
const { stdioServerEnv, serviceNameOf, withPreload, registerFileUrl, defaultEnvironment, packageName, scriptName } =
  require('../../dist/instrumentation/stdio-servers.js');
const { patchStdioClientTransport, unpatch } = require('../../dist/instrumentation/patch.js');
const { readConfig } = require('../../dist/distro/config.js');

const REGISTER = 'file:///opt/app/node_modules/@x/mcp-otel/register.mjs';
const DEFAULT = { HOME: '/home/me', PATH: '/usr/bin:/bin', USER: 'me' };
const PARENT = {
  HOME: '/home/me',
  PATH: '/usr/bin:/bin',
  USER: 'me',
  SECRET_TOKEN: 'not for servers',
  NODE_OPTIONS: '--import /elsewhere/agent-only.mjs',
  OTEL_SERVICE_NAME: 'my-agent',
  OTEL_RESOURCE_ATTRIBUTES: 'service.name=my-agent,deployment.environment=prod',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
  OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret1',
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=secret2',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-api-key=secret3',
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-api-key=secret4',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example:4318/v1/traces',
  OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
};
const options = (extra = {}) => ({
  parentEnv: PARENT,
  defaultEnv: () => ({ ...DEFAULT }),
  registerUrl: REGISTER,
  exporterHeaders: false,
  ...extra,
});
/** What every server gets from the parent when the app gives no env and the headers are withheld. */
const PASSED = {
  OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
  OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318',
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example:4318/v1/traces',
  OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
};
const HEADERS = {
  OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret1',
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-api-key=secret2',
  OTEL_EXPORTER_OTLP_METRICS_HEADERS: 'x-api-key=secret3',
  OTEL_EXPORTER_OTLP_LOGS_HEADERS: 'x-api-key=secret4',
};

test('no env from the app: the default list, the OTEL_* settings less the headers and the service name, the preload', () => {
  const env = stdioServerEnv({ command: 'npx', args: ['-y', '@acme/weather-mcp@1.2.3'] }, options());
  assert.deepEqual(env, {
    ...DEFAULT,
    ...PASSED,
    OTEL_SERVICE_NAME: '@acme/weather-mcp',
    NODE_OPTIONS: `--import ${REGISTER}`,
  });
  // Not the agent's own NODE_OPTIONS, variables or service name.
  assert.equal(env.SECRET_TOKEN, undefined);
  assert.doesNotMatch(JSON.stringify(env), /my-agent|agent-only|secret\d/);
});

test('the exporter headers pass under their own switch only', () => {
  const env = stdioServerEnv({ command: 'node', args: ['server.mjs'] }, options({ exporterHeaders: true }));
  assert.deepEqual(env, {
    ...DEFAULT,
    ...PASSED,
    ...HEADERS,
    OTEL_SERVICE_NAME: 'server',
    NODE_OPTIONS: `--import ${REGISTER}`,
  });
  const without = stdioServerEnv({ command: 'node', args: ['server.mjs'] }, options());
  for (const name of Object.keys(HEADERS)) assert.equal(without[name], undefined, name);
});

test("the app's env wins: its variables, its service name, its headers; only NODE_OPTIONS gets the preload added", () => {
  const appEnv = {
    PATH: '/app/bin',
    API_KEY: 'for the server',
    OTEL_SERVICE_NAME: 'weather',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
    OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=app-given',
    NODE_OPTIONS: '--max-old-space-size=512',
  };
  const env = stdioServerEnv({ command: 'node', args: ['server.mjs'], env: appEnv }, options());
  // The app's env is the base, not the default list (a newer SDK adds the default list under it by itself).
  assert.deepEqual(env, {
    ...appEnv,
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://collector.example:4318/v1/traces',
    OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'true',
    NODE_OPTIONS: `--max-old-space-size=512 --import ${REGISTER}`,
  });
  assert.equal(appEnv.NODE_OPTIONS, '--max-old-space-size=512', "the app's object is not changed");
  // A service.name in the app's OTEL_RESOURCE_ATTRIBUTES names the service too; that variable is the app's whole.
  const named = stdioServerEnv(
    { command: 'node', args: ['server.mjs'], env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-app' } },
    options(),
  );
  assert.equal(named.OTEL_SERVICE_NAME, undefined);
  assert.equal(named.OTEL_RESOURCE_ATTRIBUTES, 'service.name=from-app');
  // An empty value the app gave is the app's too.
  assert.equal(stdioServerEnv({ command: 'x', env: { OTEL_SERVICE_NAME: '' } }, options()).OTEL_SERVICE_NAME, '');
});

test('a parent whose only resource attribute is service.name passes none; no register.mjs leaves NODE_OPTIONS alone', () => {
  const parentEnv = { OTEL_RESOURCE_ATTRIBUTES: 'service.name=my-agent' };
  const env = stdioServerEnv({ command: 'srv' }, options({ parentEnv, registerUrl: undefined }));
  assert.deepEqual(env, { ...DEFAULT, OTEL_SERVICE_NAME: 'srv' });
  const kept = stdioServerEnv({ command: 'srv', env: { NODE_OPTIONS: '--no-warnings' } }, options({ parentEnv, registerUrl: undefined }));
  assert.deepEqual(kept, { NODE_OPTIONS: '--no-warnings', OTEL_SERVICE_NAME: 'srv' });
});

test('NODE_OPTIONS: the preload is added once', () => {
  const path = '/opt/app/node_modules/@x/mcp-otel/register.mjs';
  assert.equal(withPreload(undefined, REGISTER), `--import ${REGISTER}`);
  assert.equal(withPreload('  ', REGISTER), `--import ${REGISTER}`);
  assert.equal(withPreload('--trace-warnings', REGISTER), `--trace-warnings --import ${REGISTER}`);
  for (const already of [
    `--import ${REGISTER}`,
    `--import=${REGISTER}`,
    `--import "${REGISTER}"`,
    `--import ${path}`,
    '--import @x/mcp-otel/register',
    '--no-warnings --import=@x/mcp-otel/register.mjs --trace-warnings',
  ])
    assert.equal(withPreload(already, REGISTER), already.trim(), already);
  // Another file's --import is not ours.
  assert.equal(withPreload('--import ./tracing.mjs', REGISTER), `--import ./tracing.mjs --import ${REGISTER}`);
});

test('service names from commands', () => {
  const cases = [
    ['npx', ['-y', '@modelcontextprotocol/server-everything@2026.8.31', 'stdio'], '@modelcontextprotocol/server-everything'],
    ['npx', ['@acme/weather-mcp'], '@acme/weather-mcp'],
    ['npx', ['--yes', 'mcp-server-fetch@latest'], 'mcp-server-fetch'],
    ['npx', ['--no-install', 'mcp-server-everything'], 'mcp-server-everything'],
    ['/usr/local/bin/npx', ['-y', '--registry', 'https://r.example', 'weather-mcp@1'], 'weather-mcp'],
    ['npx', ['-p', '@acme/tools@2', 'acme-tools-server'], '@acme/tools'],
    ['npx', ['--package=@acme/tools', '--', 'acme-tools-server'], '@acme/tools'],
    ['npx.cmd', ['-y', 'github:acme/weather-mcp'], 'weather-mcp'],
    ['npx', [], 'npx'],
    ['npm', ['exec', '--yes', '--', '@acme/weather-mcp@1.0.0'], '@acme/weather-mcp'],
    ['node', ['path/to/server.mjs'], 'server'],
    ['node', ['--import', '@x/mcp-otel/register', '/srv/weather/dist/index.js', 'stdio'], 'weather'],
    ['/usr/bin/node', ['--enable-source-maps', '-r', 'dotenv/config', 'build/weather-server.js'], 'weather-server'],
    ['node', ['/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js'], '@modelcontextprotocol/server-everything'],
    ['node', ['node_modules/mcp-server-fetch/lib/main.cjs'], 'mcp-server-fetch'],
    ['node', ['/repo/packages/github/src/index.ts'], 'github'],
    ['node', ['index.js'], 'index'],
    ['node', ['-e', 'require("./server")'], 'node'],
    ['node.exe', ['C:\\servers\\weather\\dist\\index.js'], 'weather'],
    ['tsx', ['src/server.ts'], 'server'],
    ['/opt/servers/weather-server', ['--stdio'], 'weather-server'],
    ['./bin/mcp-weather.js', [], 'mcp-weather'],
    ['uvx', ['mcp-server-time'], 'uvx'],
    ['python3', ['-m', 'weather'], 'python3'],
    ['docker', ['run', '-i', 'acme/weather'], 'docker'],
  ];
  for (const [command, args, name] of cases) assert.equal(serviceNameOf(command, args), name, `${command} ${args.join(' ')}`);
  assert.equal(packageName('@scope/pkg@1.2'), '@scope/pkg');
  assert.equal(scriptName('./dist/index.js'), 'index');
});

test('the switches: off by default, from the environment', () => {
  const fromEnv = (env) => readConfig(env, [], () => {}).mcp;
  assert.equal(fromEnv({}).traceStdioServers, false);
  assert.equal(fromEnv({}).stdioServersExporterHeaders, false);
  const on = fromEnv({
    OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'TRUE',
    OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS: 'true',
  });
  assert.equal(on.traceStdioServers, true);
  assert.equal(on.stdioServersExporterHeaders, true);
  const warnings = [];
  readConfig({ OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS: 'yes' }, [], (name) => warnings.push(name));
  assert.deepEqual(warnings, ['OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS']);

  // The configuration file's trace_stdio_servers and stdio_servers_exporter_headers: config-file.test.mjs.
});

test("register.mjs is found next to the built package, as this repository's file URL", () => {
  assert.equal(registerFileUrl(), pathToFileURL(join(ROOT, 'register.mjs')).href);
  assert.deepEqual(
    Object.keys(defaultEnvironment({ HOME: '/h', PATH: '/p', FOO: 'x', SHELL: '() { evil; }' })).sort(),
    ['HOME', 'PATH'],
  );
});

// ---------------------------------------------------------------------------------------------------------------
// The patch, with the real StdioClientTransport of four SDK copies.

const THIRD_PARTY = join(ROOT, '.test-work', 'third-party', 'node_modules');
const work = mkdtempSync(join(tmpdir(), 'stdio-servers-'));
after(() => rmSync(work, { recursive: true, force: true }));
// A server that reports its environment as one JSON-RPC notification and exits.
const SERVER = join(work, 'env-report.mjs');
writeFileSync(
  SERVER,
  "process.stdout.write(JSON.stringify({ jsonrpc: '2.0', method: 'env', params: { ...process.env } }) + '\\n');\n",
);

/** The module of each copy that defines StdioClientTransport. */
const COPIES = {
  '1.0.1': join(THIRD_PARTY, 'sdk-1.0.1', 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'client', 'stdio.js'),
  '1.32.2': join(THIRD_PARTY, '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'client', 'stdio.js'),
  '2.0.0': join(THIRD_PARTY, 'sdk-v2-2.0.0', 'node_modules', '@modelcontextprotocol', 'client', 'dist', 'stdio.mjs'),
  '2.4.0': join(THIRD_PARTY, '@modelcontextprotocol', 'client', 'dist', 'stdio.mjs'),
};

/** Starts the report server through the transport and resolves with the environment it saw. */
async function spawnedEnv(StdioClientTransport, params) {
  const transport = new StdioClientTransport(params);
  const seen = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not report within 10 s')), 10_000);
    transport.onmessage = (message) => {
      clearTimeout(timer);
      resolve(message.params);
    };
  });
  await transport.start();
  try {
    return await seen;
  } finally {
    await transport.close();
  }
}

for (const [version, file] of Object.entries(COPIES)) {
  test(`SDK ${version}: the spawned server gets exactly the built environment; the app's params are left as they were`, async () => {
    const sdk = await import(pathToFileURL(file).href);
    const { StdioClientTransport } = sdk;
    const ctl = { enabled: true };
    const saved = { ...process.env };
    // The report server starts the real preload from NODE_OPTIONS: OTEL_SDK_DISABLED keeps it from exporting.
    Object.assign(process.env, {
      OTEL_SDK_DISABLED: 'true',
      OTEL_SERVICE_NAME: 'unit-agent',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret',
    });
    const before = await spawnedEnv(StdioClientTransport, { command: process.execPath, args: [SERVER] });
    assert.ok(patchStdioClientTransport(StdioClientTransport.prototype, ctl, { exporterHeaders: false, defaultEnv: sdk.getDefaultEnvironment }));
    try {
      const otel = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('OTEL_')));
      const passed = { ...otel };
      delete passed.OTEL_SERVICE_NAME;
      delete passed.OTEL_EXPORTER_OTLP_HEADERS;
      const register = `--import ${pathToFileURL(join(ROOT, 'register.mjs')).href}`;

      // Without the switch (today's behaviour): the default list only.
      assert.deepEqual(before, sdk.getDefaultEnvironment());

      // No env from the app.
      const params = Object.freeze({ command: process.execPath, args: Object.freeze([SERVER]) });
      const noEnv = await spawnedEnv(StdioClientTransport, params);
      assert.deepEqual(noEnv, { ...sdk.getDefaultEnvironment(), ...passed, OTEL_SERVICE_NAME: 'env-report', NODE_OPTIONS: register });

      // An env from the app: 1.0.1 takes it whole, the others add the default list under it.
      const appEnv = { APP_VAR: 'mine', OTEL_SERVICE_NAME: 'app-named', NODE_OPTIONS: '--no-warnings' };
      const withEnv = await spawnedEnv(StdioClientTransport, { command: process.execPath, args: [SERVER], env: appEnv });
      const base = version === '1.0.1' ? {} : sdk.getDefaultEnvironment();
      assert.deepEqual(withEnv, { ...base, ...passed, ...appEnv, NODE_OPTIONS: `--no-warnings ${register}` });
      assert.deepEqual(appEnv, { APP_VAR: 'mine', OTEL_SERVICE_NAME: 'app-named', NODE_OPTIONS: '--no-warnings' });

      // The transport keeps the app's own params object.
      const transport = new StdioClientTransport(params);
      await transport.start();
      assert.equal(transport._serverParams, params);
      await transport.close();

      // Switched off (instrumentation disabled): as the SDK does it.
      ctl.enabled = false;
      assert.deepEqual(await spawnedEnv(StdioClientTransport, params), sdk.getDefaultEnvironment());
      ctl.enabled = true;

      // Bookkeeping that fails does not reach the app: the server starts as the app asked.
      const hostile = { command: process.execPath, args: [SERVER], get env() { throw new Error('boom'); } };
      const transport2 = new StdioClientTransport({ command: process.execPath, args: [SERVER] });
      transport2._serverParams = hostile;
      await assert.rejects(() => transport2.start(), /boom/, "the SDK's own read of env throws, as it would without us");
    } finally {
      unpatch(StdioClientTransport.prototype);
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });
}
