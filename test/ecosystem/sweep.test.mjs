// The ecosystem sweep (issue 23, item 6): the most-used MCP servers, server frameworks and client libraries of npm
// (test/ecosystem/packages.mjs), installed from test/ecosystem's lockfile into .test-work/ecosystem with the packed
// @x/mcp-otel. Each row runs twice with the same scripted session, bare and preloaded (the driver or client process
// and every MCP process it starts under `node --import <register of the tarball>`, exporting to the test receiver):
// - the answers are identical (after each row's documented normalisation);
// - a server ends by itself once its stdin closes, before the SDK's SIGTERM two seconds later;
// - preloaded, each operation of the session is one CLIENT span on the caller's side and one SERVER span on the
//   callee's, the SERVER span a child of the CLIENT span, in the trace of the session's span (hopsOf says which
//   operations, per kind of row); every SERVER span has one CLIENT parent; no span twice;
// - no host off the machine was tried but those the row names.
//
//   npm run test:ecosystem                                    # setup, then the whole sweep on Node 24 (as CI)
//   ECOSYSTEM_ONLY=by-name node --test test/ecosystem/*.test.mjs        # only the rows that carry MCP so ('bundled', 'own')
//   ECOSYSTEM_ONLY=tmcp,@ai-sdk/mcp node --test test/ecosystem/*.test.mjs   # only the rows of these packages
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { PRELOAD, ROOT, run, startListening, stopWithSigterm } from '../helpers/processes.mjs';
import { BRIDGES, CLIENTS, FRAMEWORKS, PACKAGES } from './packages.mjs';

const ECOSYSTEM = join(ROOT, '.test-work', 'ecosystem');
const SERVER = 2;
const CLIENT = 3;
const KIND = { 1: 'INTERNAL', 2: 'SERVER', 3: 'CLIENT' };
const SESSION = 'ecosystem session';
// Two cores: a row is two to four Node processes, mostly waiting on each other.
const CONCURRENCY = 4;

const ALL = [...PACKAGES, ...FRAMEWORKS, ...BRIDGES, ...CLIENTS];
const only = (process.env.ECOSYSTEM_ONLY ?? '').split(',').filter(Boolean);
const ROWS = only.length === 0 ? ALL : ALL.filter((row) => only.includes(row.name) || only.includes(row.carries.replace(' ', '-')));

/** `{dir}` (the row's own folder: cwd, and HOME below it) and `{url}` (a bridge's HTTP server) in a row's strings. */
const expand = (value, vars) => value.replace(/\{(\w+)\}/g, (_, name) => vars[name]);

/** The OTLP settings of a preloaded process of the sweep. */
const otel = (receiver, service) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
});

/**
 * One run of a row's session, bare (`receiver` undefined) or preloaded. The row's folder is laid anew for each run
 * (same path, empty), so that what a server keeps in HOME or its cwd is the same for both runs.
 */
async function session(row, dir, receiver) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  const preload = receiver !== undefined;
  const nodeArgs = preload ? PRELOAD : [];
  const home = join(dir, 'home');
  let http;
  try {
    if (row.role === 'bridge') {
      http = await startListening('fixtures/servers/sdk-add-http-server.mjs', {
        cwd: ECOSYSTEM,
        nodeArgs,
        env: preload ? otel(receiver, 'ecosystem-server') : {},
      });
    }
    const vars = { dir, url: http ? `${http.url}/mcp` : '' };
    const base = { HOME: home };
    let result;
    if (row.role === 'client') {
      result = await run(row.entry, {
        cwd: ECOSYSTEM,
        nodeArgs,
        args: [JSON.stringify({ preloadServer: preload })],
        env: { ...base, ...(preload ? otel(receiver, 'ecosystem-client') : {}) },
        timeoutMs: 60_000,
      });
    } else {
      const spec = {
        args: [join(ECOSYSTEM, row.entry), ...row.args.map((arg) => expand(arg, vars))],
        env: { ...base, ...Object.fromEntries(Object.entries(row.env).map(([k, v]) => [k, expand(v, vars)])) },
        cwd: dir,
        // A tool's arguments may name the row's folder too.
        tool: row.tool && JSON.parse(expand(JSON.stringify(row.tool), vars)),
        preloadServer: preload,
        serviceName: row.role === 'bridge' ? 'ecosystem-bridge' : 'ecosystem-server',
      };
      result = await run('fixtures/driver.mjs', {
        cwd: ECOSYSTEM,
        nodeArgs,
        args: [JSON.stringify(spec)],
        env: { ...base, ...(preload ? otel(receiver, 'ecosystem-driver') : {}) },
        timeoutMs: 60_000,
      });
    }
    const how = preload ? 'preloaded' : 'bare';
    assert.equal(result.code, 0, `${row.name} ${how}: the session failed:\n${result.stderr}`);
    const lines = result.stdout.toString().trim().split('\n');
    return JSON.parse(lines[lines.length - 1]);
  } finally {
    if (http) await stopWithSigterm(http.child);
  }
}

/** What is compared between the runs: everything the client got, nothing of how the server ended. */
function answers(row, out) {
  const { exit, serverStderr, ...rest } = out;
  return row.normalise ? row.normalise(rest) : rest;
}

const label = (span) => `${KIND[span.kind] ?? span.kind} ${span.name}`;

/**
 * The calls of the session, hop by hop: a caller service, a callee service and operations, each operation one CLIENT
 * span of the caller and one SERVER span of the callee, the SERVER span the child of the CLIENT span. `trace` says
 * where both are: in the session's trace, or (`own`) in a trace of their own, for what a process does by itself
 * before the session reaches it. `exact` when the callee gets nothing else from the caller.
 */
function hopsOf(row) {
  if (row.role === 'client') {
    return [{ caller: 'ecosystem-client', callee: 'ecosystem-server', ops: ['initialize', 'tools/call add'], trace: 'session', exact: false }];
  }
  const ops = ['initialize', 'notifications/initialized', 'tools/list'];
  if (row.tool) ops.push(`tools/call ${row.tool.name}`);
  if (row.role === 'bridge') {
    // mcp-remote forwards each message as it is, transport to transport (no MCP request handling in between), so the
    // trace context in `_meta` passes through: the HTTP server's SERVER spans are children of the driver's CLIENT
    // spans. Before that, at its start, mcp-remote connects to the server with an initialize of its own: its CLIENT
    // spans, and the server's SERVER spans for them, in a trace of their own.
    return [
      { caller: 'ecosystem-driver', callee: 'ecosystem-server', ops, trace: 'session', exact: false },
      { caller: 'ecosystem-bridge', callee: 'ecosystem-server', ops: ['initialize', 'notifications/initialized'], trace: 'own', exact: true },
    ];
  }
  return [{ caller: 'ecosystem-driver', callee: 'ecosystem-server', ops, trace: 'session', exact: true }];
}

const isMcp = (span) => span.attributes['mcp.method.name'] !== undefined;

/** The spans of the preloaded run: the MCP spans per hop, each once, in one trace with the session span. */
function assertSpans(row, spans) {
  const listing = `spans received:\n${spans.map((s) => `  ${s.resource['service.name']}: ${label(s)}`).join('\n')}`;
  // Each span once: an export sent twice would repeat span ids.
  const ids = spans.map((s) => s.spanId);
  assert.equal(new Set(ids).size, ids.length, `no span id twice; ${listing}`);

  // What the row's processes tried to reach off this machine (there is no network here, so each attempt failed): only
  // hosts the row names, with the reason. A subset: a fetch a server starts in the background may not have begun
  // when the session ends.
  const allowed = row.offMachine?.hosts ?? [];
  const offMachine = spans
    .filter((s) => s.kind === CLIENT && !isMcp(s) && s.attributes['server.address'] !== undefined)
    .map((s) => s.attributes['server.address'])
    .filter((host) => !['127.0.0.1', 'localhost', '::1'].includes(host) && !allowed.includes(host));
  assert.deepEqual([...new Set(offMachine)], [], `hosts tried off the machine that the row does not name; ${listing}`);

  const sessions = spans.filter((s) => s.name === SESSION);
  assert.equal(sessions.length, 1, `one session span; ${listing}`);
  const [root] = sessions;
  for (const { caller, callee, ops, trace, exact } of hopsOf(row)) {
    const inTrace = (s) => (trace === 'session' ? s.traceId === root.traceId : s.traceId !== root.traceId);
    const where = trace === 'session' ? "in the session's trace" : 'in a trace of its own';
    const of = (service, kind, name) =>
      spans.filter((s) => s.resource['service.name'] === service && s.kind === kind && s.name === name && isMcp(s) && inTrace(s));
    for (const op of ops) {
      const clients = of(caller, CLIENT, op);
      const servers = of(callee, SERVER, op);
      assert.equal(clients.length, 1, `${caller}: one CLIENT ${op} ${where}; ${listing}`);
      assert.equal(servers.length, 1, `${callee}: one SERVER ${op} ${where}; ${listing}`);
      const [client] = clients;
      const [server] = servers;
      assert.equal(server.traceId, client.traceId, `${op}: one trace; ${listing}`);
      assert.equal(server.parentSpanId, client.spanId, `${callee}: SERVER ${op} is a child of ${caller}'s CLIENT ${op}`);
      assert.equal(server.attributes['mcp.method.name'], op.split(' ')[0]);
    }
    if (exact) {
      const sent = spans.filter((s) => s.resource['service.name'] === caller && s.kind === CLIENT && isMcp(s));
      const got = spans.filter(
        (s) => s.resource['service.name'] === callee && s.kind === SERVER && isMcp(s) && sent.some((c) => c.spanId === s.parentSpanId),
      );
      assert.deepEqual(sent.map((s) => s.name).sort(), [...ops].sort(), `${caller} sent only these; ${listing}`);
      assert.deepEqual(got.map((s) => s.name).sort(), [...ops].sort(), `${callee} got only these from ${caller}; ${listing}`);
    }
  }
  // The session's own calls are in its trace, under its span.
  for (const span of spans.filter((s) => s.resource['service.name'] === root.resource['service.name'] && s.kind === CLIENT && isMcp(s))) {
    assert.equal(span.traceId, root.traceId, `${label(span)} in the session's trace; ${listing}`);
  }
  // Every SERVER span, in either direction (a server's own notifications too), is the child of one CLIENT span of the
  // same operation in another process, and no CLIENT span has two: no operation is handled or exported twice. The
  // exception, named in the row: messages a package writes to stdout itself, past its MCP implementation, carry no
  // trace context, and their SERVER spans start a trace of their own.
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const parents = new Set();
  for (const server of spans.filter((s) => s.kind === SERVER && isMcp(s))) {
    const where = `${server.resource['service.name']}: SERVER ${server.name}`;
    if (server.parentSpanId === undefined && (row.untraced?.names ?? []).includes(server.name)) continue;
    const client = byId.get(server.parentSpanId);
    assert.ok(client, `${where} has its CLIENT span as parent; ${listing}`);
    assert.equal(client.kind, CLIENT, where);
    assert.equal(client.name, server.name, where);
    assert.notEqual(client.resource['service.name'], server.resource['service.name'], where);
    assert.ok(!parents.has(client.spanId), `${where}: its CLIENT span has no other SERVER child; ${listing}`);
    parents.add(client.spanId);
  }
}

/** Resolves once every operation of every hop has its two spans, or after 15 s (the assertions then say what is missing). */
async function spansOfSession(row, receiver) {
  const present = ({ spans }) =>
    spans.some((s) => s.name === SESSION) &&
    hopsOf(row).every(({ caller, callee, ops }) =>
      ops.every(
        (op) =>
          spans.some((s) => s.resource['service.name'] === caller && s.kind === CLIENT && s.name === op) &&
          spans.some((s) => s.resource['service.name'] === callee && s.kind === SERVER && s.name === op),
      ),
    );
  await receiver.waitFor(present, 15_000).catch(() => {});
  return receiver.spans;
}

test('the table pins the versions of test/ecosystem/package.json', () => {
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'test', 'ecosystem', 'package.json'), 'utf8'));
  for (const row of ALL) assert.equal(dependencies[row.name], row.version, row.name);
  assert.ok(PACKAGES.length >= 15, 'at least 15 servers');
  assert.equal(FRAMEWORKS.length, 3);
  assert.ok(CLIENTS.length >= 5, 'at least 5 client libraries');
});

describe('ecosystem sweep: bare and preloaded, the same session', { concurrency: CONCURRENCY }, () => {
  for (const row of ROWS) {
    test(`${row.name} ${row.version} (${row.role}, MCP ${row.carries})`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-ecosystem-'));
      const receiver = await startReceiver();
      try {
        const bare = await session(row, dir);
        const preloaded = await session(row, dir, receiver);
        assert.deepEqual(answers(row, preloaded), answers(row, bare), 'the same answers bare and preloaded');
        if (row.role !== 'client') {
          // The SDK's client closes the server's stdin, then waits two seconds before a SIGTERM: a signal here means
          // the server did not end by itself.
          assert.deepEqual({ ...bare.exit, ms: undefined }, { code: 0, signal: null, ms: undefined }, `bare exit: ${JSON.stringify(bare.exit)}`);
          assert.deepEqual(
            { ...preloaded.exit, ms: undefined },
            { code: 0, signal: null, ms: undefined },
            `preloaded exit: ${JSON.stringify(preloaded.exit)}\n${preloaded.serverStderr}`,
          );
        }
        assertSpans(row, await spansOfSession(row, receiver));
      } finally {
        await receiver.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
