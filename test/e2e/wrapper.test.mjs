// The mcp-otel wrapper, installed from the packed tarball (node_modules/.bin/mcp-otel), run as an MCP host config or a
// Docker ENTRYPOINT runs it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { APP_DIR, ROOT, STDIO_INPUT, run, start, waitForStderr } from '../helpers/processes.mjs';

const WRAPPER = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
const REGISTER = join(APP_DIR, 'node_modules', '@x', 'mcp-otel', 'register.mjs');
const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const wrapped = (file, { args = [], ...options } = {}) => run(file, { command: WRAPPER, nodeArgs: ['node'], args, ...options });

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());
const exportEnv = (service, extra = {}) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
  ...extra,
});
const spansOf = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service);

test('a stdio MCP server through the wrapper: byte-identical stdout, its spans exported, stdin EOF ends it', async () => {
  const bare = await run('stdio-server.mjs', { nodeArgs: [], input: STDIO_INPUT });
  const through = await wrapped('stdio-server.mjs', { input: STDIO_INPUT, env: exportEnv('wrapped-stdio') });
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(through.code, 0, through.stderr);
  assert.ok(bare.stdout.length > 0);
  assert.ok(through.stdout.equals(bare.stdout), `stdout differs:\n${through.stdout}\n---\n${bare.stdout}`);
  await receiver.waitFor(() => spansOf('wrapped-stdio').some((s) => s.name === 'tools/call add'));
  assert.equal(spansOf('wrapped-stdio').find((s) => s.name === 'tools/call add').kind, 2);
});

test('an SDK client starting its server through the wrapper: one trace', async () => {
  const result = await run('mcp/client.mjs', {
    args: ['stdio', 'mcp/server-stdio.mjs'],
    env: exportEnv('wrapper-client', { SERVER_SERVICE_NAME: 'wrapper-server', SERVER_WRAPPER: WRAPPER }),
    timeoutMs: 30_000,
  });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.toString(), '5 true\n');
  await receiver.waitFor(() => spansOf('wrapper-server').some((s) => s.name === 'tools/call add'));
  const client = spansOf('wrapper-client').find((s) => s.name === 'tools/call add' && s.kind === 3);
  const server = spansOf('wrapper-server').find((s) => s.name === 'tools/call add' && s.kind === 2);
  assert.equal(server.parentSpanId, client.spanId);
});

test('exit codes pass through: 0 and 3', async () => {
  assert.equal((await wrapped('span.mjs', { env: { OTEL_SDK_DISABLED: 'true' } })).code, 0);
  const three = await run('process.exit(3)', { command: WRAPPER, nodeArgs: ['node', '-e'], env: { OTEL_SDK_DISABLED: 'true' } });
  assert.equal(three.code, 3, three.stderr);
});

test('SIGTERM: the program dies by the signal (143 in a shell or Docker) after its telemetry is flushed', async () => {
  const child = start('long-running.mjs', { command: WRAPPER, nodeArgs: ['node'], env: exportEnv('wrapped-sigterm') });
  await waitForStderr(child, 'fixture ready');
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.signal, 'SIGTERM', result.stderr);
  assert.equal(result.stdout.length, 0);
  await receiver.waitFor(() => spansOf('wrapped-sigterm').some((s) => s.name === 'while-running'));
});

test('from another directory, through a second symlink (a global bin directory), with a script path alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-global-'));
  try {
    mkdirSync(join(dir, 'bin'));
    symlinkSync(WRAPPER, join(dir, 'bin', 'mcp-otel'));
    const result = await run(join(APP_DIR, 'span.mjs'), { command: join(dir, 'bin', 'mcp-otel'), nodeArgs: [], cwd: dir, env: exportEnv('wrapped-elsewhere') });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), 'esm app done\n');
    await receiver.waitFor(() => spansOf('wrapped-elsewhere').some((s) => s.name === 'fixture-span'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NODE_OPTIONS already set: kept; the preload reaches node children only when asked', async () => {
  const env = { NODE_OPTIONS: '--max-old-space-size=200', OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
  const own = await wrapped('probe-children.mjs', { env });
  assert.equal(own.code, 0, own.stderr);
  assert.deepEqual(JSON.parse(own.stdout.toString()), { self: true, child: false, nodeOptions: '--max-old-space-size=200' });
  const all = await run('probe-children.mjs', { command: WRAPPER, nodeArgs: ['--all-node-processes', 'node'], env });
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(JSON.parse(all.stdout.toString()), { self: true, child: true, nodeOptions: `--max-old-space-size=200 --import ${pathToFileURL(REGISTER).href}` });
  const viaShell = await run('-c', { command: WRAPPER, nodeArgs: ['sh'], args: ['node probe-children.mjs'], env });
  assert.equal(viaShell.code, 0, viaShell.stderr);
  assert.deepEqual(JSON.parse(viaShell.stdout.toString()), JSON.parse(all.stdout.toString()), 'another program: NODE_OPTIONS');
});

test('--version, --help, and a clear error for a missing program', async () => {
  const version = await run('--version', { command: WRAPPER, nodeArgs: [] });
  assert.deepEqual([version.code, version.stdout.toString()], [0, `${VERSION}\n`]);
  const help = await run('--help', { command: WRAPPER, nodeArgs: [] });
  assert.equal(help.code, 0);
  assert.match(help.stdout.toString(), /^Usage: mcp-otel \[--all-node-processes\] <program> \[args\.\.\.\]$/m);
  const missing = await run('no-such-program', { command: WRAPPER, nodeArgs: [] });
  assert.deepEqual([missing.code, missing.stdout.length, missing.stderr], [127, 0, 'mcp-otel: program not found: no-such-program\n']);
  const noFile = await run('no-such-server.js', { command: WRAPPER, nodeArgs: [] });
  assert.deepEqual([noFile.code, noFile.stderr], [127, 'mcp-otel: no such file: no-such-server.js\n']);
  const nothing = await run('', { command: WRAPPER, nodeArgs: [] });
  assert.equal(nothing.code, 127, 'an empty program name is not found');
});

test("examples/docker: the Dockerfile's ENTRYPOINT and CMD, run as Docker's exec form runs them", async () => {
  const dockerfile = readFileSync(join(ROOT, 'examples', 'docker', 'Dockerfile'), 'utf8');
  const execForm = (instruction) => JSON.parse(new RegExp(`^${instruction} (\\[.*\\])$`, 'm').exec(dockerfile)[1]);
  const [entrypoint, cmd] = [execForm('ENTRYPOINT'), execForm('CMD')];
  assert.deepEqual([entrypoint, cmd], [['mcp-otel'], ['node', 'server.mjs']]);
  const workdir = join(APP_DIR, 'docker-app');
  mkdirSync(workdir, { recursive: true });
  cpSync(join(ROOT, 'examples', 'docker', 'server.mjs'), join(workdir, 'server.mjs'));
  const result = await run(cmd[0], {
    command: entrypoint[0],
    nodeArgs: entrypoint.slice(1),
    args: cmd.slice(1),
    cwd: workdir,
    input: STDIO_INPUT,
    env: exportEnv('docker-example', { PATH: `${join(APP_DIR, 'node_modules', '.bin')}:${process.env.PATH}` }),
  });
  assert.equal(result.code, 0, result.stderr);
  const answers = result.stdout.toString().trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(answers.map((a) => a.id), [1, 2, 3]);
  assert.equal(answers[2].result.content[0].text, '5');
  await receiver.waitFor(() => spansOf('docker-example').some((s) => s.name === 'tools/call add'));
});

test('installed under a path with a space, # and %: both routes find the preload', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp otel #1 %20 '));
  try {
    // The package copied there; its dependencies linked from the test app.
    const modules = join(dir, 'node_modules');
    mkdirSync(join(modules, '@x'), { recursive: true });
    cpSync(join(APP_DIR, 'node_modules', '@x', 'mcp-otel'), join(modules, '@x', 'mcp-otel'), { recursive: true });
    const { readdirSync } = await import('node:fs');
    for (const entry of readdirSync(join(APP_DIR, 'node_modules'))) {
      if (entry !== '@x') symlinkSync(join(APP_DIR, 'node_modules', entry), join(modules, basename(entry)));
    }
    const wrapper = join(modules, '@x', 'mcp-otel', 'src', 'cli', 'mcp-otel');
    const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none' };
    for (const nodeArgs of [['node'], ['--all-node-processes', 'node']]) {
      const result = await run('probe-children.mjs', { command: wrapper, nodeArgs, env });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout.toString()).self, true, nodeArgs.join(' '));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
