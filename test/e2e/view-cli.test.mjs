// `mcp-otel view` from the installed package (node_modules/.bin/mcp-otel view): the lines it prints, a preloaded stdio
// server's operations in its API, the caps and their counts, --db across a restart, a port in use, a warning for a
// non-loopback --host, SIGTERM.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { APP_DIR, STDIO_INPUT, childEnv, run } from '../helpers/processes.mjs';

const WRAPPER = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
const STOP_BOUND_MS = 5_000;
const views = new Set();
after(() => {
  for (const child of views) child.kill('SIGKILL');
});

/** Starts `mcp-otel view args…`; resolves once it printed its `view:` and `otlp:` lines. */
function startView(args) {
  const child = spawn(WRAPPER, ['view', ...args], { cwd: APP_DIR, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  views.add(child);
  let stderr = '';
  let stdout = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      views.delete(child);
      resolve({ code, signal, stderr, stdout });
    }),
  );
  child.output = () => ({ stderr, stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`view did not print its addresses:\n${stderr}`)), 15_000);
    child.stderr.on('data', (c) => {
      stderr += c;
      const view = /^view: (http:\/\/[^/\s]+\/)$/m.exec(stderr);
      const otlp = /^otlp: (http:\/\/[^/\s]+)$/m.exec(stderr);
      if (view && otlp) {
        clearTimeout(timer);
        resolve({ child, view: view[1], otlp: otlp[1], lines: () => stderr });
      }
    });
    child.exited.then(({ code }) => reject(new Error(`view exited (${code}) before listening:\n${stderr}`)));
  });
}

/** `mcp-otel view args…` that is expected to exit by itself (killed after 15 s). */
const runView = (args) => run('view', { command: WRAPPER, nodeArgs: [], args, timeoutMs: 15_000 });

/** SIGTERM, and the exit it makes, within a bound. */
async function stopView(child) {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_BOUND_MS);
  const exit = await child.exited;
  clearTimeout(timer);
  return exit;
}

async function api(view, path) {
  const response = await fetch(new URL(path, view), { signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200, `${path}: ${response.status}`);
  return response.json();
}

/** Polls the API until check() returns something truthy. */
async function waitFor(view, path, check, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await api(view, path);
    const value = check(last);
    if (value) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${path}: condition not met; last answer: ${JSON.stringify(last).slice(0, 2000)}`);
}

/** POSTs an empty JSON export request to the OTLP port with `headers`; resolves with the status (bounded). */
function postOtlp(otlp, headers) {
  return new Promise((resolve, reject) => {
    const req = request(`${otlp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.setTimeout(STOP_BOUND_MS, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end('{}');
  });
}

function runServer(otlp, service) {
  return run('stdio-server.mjs', {
    input: STDIO_INPUT,
    env: { OTEL_SERVICE_NAME: service, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, OTEL_BSP_SCHEDULE_DELAY: '100' },
  });
}

test('view: its addresses on stderr, a preloaded stdio server\'s operations in the API, nothing on stdout, exit 0 on SIGTERM', async () => {
  const { child, view, otlp, lines } = await startView(['--port', '0', '--otlp-port', '0']);
  try {
    const server = await runServer(otlp, 'view-cli-server');
    assert.equal(server.code, 0, server.stderr);
    const { operations } = await waitFor(view, '/api/operations', (a) => a.operations.length >= 4 && a);
    // Newest first as they arrived: a span is exported when it ends (initialize ends after the notification).
    assert.deepEqual(
      [...operations].sort((a, b) => b.startMs - a.startMs).map((o) => [o.method, o.target, o.service, o.kind, o.outcome]),
      [
        ['tools/call', 'add', 'view-cli-server', 2, 'ok'],
        ['tools/list', undefined, 'view-cli-server', 2, 'ok'],
        ['notifications/initialized', undefined, 'view-cli-server', 2, 'ok'],
        ['initialize', undefined, 'view-cli-server', 2, 'ok'],
      ],
    );
    assert.deepEqual(operations.map((o) => o.id), [4, 3, 2, 1]);
    // On loopback, the OTLP port answers to loopback's names only (DNS rebinding), and to no web page.
    const port = new URL(otlp).port;
    assert.deepEqual(
      [
        await postOtlp(otlp, { host: `rebound.example:${port}` }),
        await postOtlp(otlp, { origin: 'http://rebound.example' }),
        await postOtlp(otlp, { host: `localhost:${port}` }),
      ],
      [421, 403, 200],
    );
    // One stdio connection: one session, in order.
    assert.equal(new Set(operations.map((o) => o.session)).size, 1);
    const session = await api(view, `/api/session/${encodeURIComponent(operations[0].session)}`);
    assert.deepEqual(session.operations.map((o) => o.method), ['initialize', 'notifications/initialized', 'tools/list', 'tools/call']);
    const trace = await api(view, `/api/trace/${operations[0].traceId}`);
    assert.deepEqual(trace.spans.map((s) => [s.name, s.kind, s.service]), [['tools/call add', 2, 'view-cli-server']]);
    assert.equal(trace.spans[0].attributes['gen_ai.tool.name'], 'add');
    // The server's duration histogram arrived at its exit: the per-tool row.
    const stats = await waitFor(view, '/api/stats', (s) => s.tools.length > 0 && s);
    assert.deepEqual(
      stats.tools.map((r) => [r.service, r.side, r.method, r.tool, r.count, r.errors]),
      [['view-cli-server', 'server', 'tools/call', 'add', 1, 0]],
    );
  } finally {
    const exit = await stopView(child);
    assert.deepEqual([exit.code, exit.signal], [0, null], exit.stderr);
    assert.equal(exit.stdout, '');
    assert.equal(lines().split('\n').filter((l) => l.startsWith('mcp-otel view:')).length, 0, lines());
  }
});

test('view --db keeps what it received across a restart; --max-spans drops the oldest and counts them', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'view-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const db = join(dir, 'view.db');
  const first = await startView(['--port', '0', '--otlp-port', '0', '--db', db, '--max-spans', '3']);
  let before;
  try {
    assert.equal((await runServer(first.otlp, 'view-db-server')).code, 0);
    before = await waitFor(first.view, '/api/operations', (a) => a.status.kept.spans === 3 && a.status.dropped.spans === 1 && a);
    // The first span to arrive is the one dropped.
    assert.deepEqual(before.operations.map((o) => o.id), [4, 3, 2]);
    assert.equal(before.operations.length, 3);
  } finally {
    assert.equal((await stopView(first.child)).code, 0);
  }
  const second = await startView(['--port', '0', '--otlp-port', '0', '--db', db, '--max-spans', '3']);
  try {
    const again = await api(second.view, '/api/operations');
    assert.deepEqual(again.operations, before.operations);
    assert.deepEqual(again.status.dropped, before.status.dropped);
  } finally {
    assert.equal((await stopView(second.child)).code, 0);
  }
});

test('view: a port in use is one line and exit 1; a non-loopback --host warns; a wrong option is exit 2', async (t) => {
  const blocker = createServer();
  await new Promise((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.after(() => blocker.close());
  const { port } = blocker.address();
  const busy = await runView(['--port', '0', '--otlp-port', String(port)]);
  assert.equal(busy.code, 1, busy.stderr);
  assert.equal(
    busy.stderr,
    `mcp-otel view: 127.0.0.1:${port} is in use (a collector, or another view?); stop it, or choose another port with --otlp-port\n`,
  );

  // An address beyond loopback that this machine does not have (TEST-NET-2): the warning comes before listening, and
  // the test listens nowhere but 127.0.0.1.
  const beyond = await runView(['--port', '0', '--otlp-port', '0', '--host', '198.51.100.7']);
  assert.equal(beyond.code, 1, beyond.stderr);
  const [warning, cannot, ...rest] = beyond.stderr.split('\n');
  assert.match(warning, /^mcp-otel view: warning: listening on 198\.51\.100\.7: other machines can send telemetry to it/);
  assert.match(cannot, /^mcp-otel view: cannot listen on 198\.51\.100\.7:0: listen EADDRNOTAVAIL/);
  assert.deepEqual(rest, ['']);

  const wrong = await runView(['--max-spans', 'lots']);
  assert.equal(wrong.code, 2, wrong.stderr);
  assert.equal(wrong.stderr.split('\n')[0], 'mcp-otel view: --max-spans takes a whole number from 1 to 100000000, not "lots"');
  assert.equal(wrong.stdout.length, 0);
});
