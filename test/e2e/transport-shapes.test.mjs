// A v2 stdio server that hands serveStdio its own transport, a class whose handlers are accessors forwarding to an
// inner StdioServerTransport (fixtures/v2-third-party/wrapped-stdio-server.mjs), run bare and under the preload with
// the same scripted session (initialize, notifications/initialized, tools/list, tools/call): the same answers on
// stdout, every message through the wrapper once and in order, and under the preload the SERVER spans of the session.
// (Issue 23: the preload once defined its own `onmessage` on the transport, which shadowed the class's accessor: the
// handler never reached the inner transport and the server never answered.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, STDIO_INPUT, diagLines, run } from '../helpers/processes.mjs';

const CWD = join(ROOT, '.test-work', 'third-party', 'v2-third-party');
const FIXTURE = 'wrapped-stdio-server.mjs';
const SERVER = 2;
const SERVICE = 'wrapped-stdio-server';
const THROUGH_WRAPPER = 'received 4: initialize, notifications/initialized, tools/list, tools/call\n';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver?.close());

const env = () => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: SERVICE,
  OTEL_METRICS_EXPORTER: 'none',
  OTEL_LOGS_EXPORTER: 'none',
});

test('a v2 stdio server whose transport forwards its accessor handlers to an inner StdioServerTransport answers as bare under the preload, and exports its SERVER spans', async () => {
  const bare = await run(FIXTURE, { cwd: CWD, nodeArgs: [], input: STDIO_INPUT, env: env(), timeoutMs: 20_000 });
  assert.equal(bare.code, 0, `bare exit: ${bare.signal ?? bare.code}\n${bare.stderr}`);
  const answers = bare.stdout.toString().trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(answers.map((a) => a.id), [1, 2, 3], 'bare: the three answers');
  assert.deepEqual(answers[2].result, { content: [{ type: 'text', text: '5' }] });
  assert.equal(bare.stderr, THROUGH_WRAPPER);

  const preloaded = await run(FIXTURE, { cwd: CWD, input: STDIO_INPUT, env: env(), timeoutMs: 20_000 });
  assert.equal(preloaded.code, 0, `preloaded exit: ${preloaded.signal ?? preloaded.code}\n${preloaded.stderr}`);
  assert.equal(preloaded.stdout.toString(), bare.stdout.toString(), 'the same answers, byte for byte');
  assert.equal(preloaded.stderr, THROUGH_WRAPPER, 'each message through the wrapper once, in order; no diagnostics');
  assert.deepEqual(diagLines(preloaded.stderr), []);

  const ours = () => receiver.spans.filter((s) => s.resource['service.name'] === SERVICE && s.scope === '@x/mcp-otel');
  await receiver.waitFor(() => ours().length >= 4, 10_000);
  const spans = ours();
  assert.deepEqual(
    spans.map((s) => `${s.kind} ${s.name}`).sort(),
    [`${SERVER} initialize`, `${SERVER} notifications/initialized`, `${SERVER} tools/call add`, `${SERVER} tools/list`],
  );
  const call = spans.find((s) => s.name === 'tools/call add');
  assert.equal(call.attributes['jsonrpc.request.id'], '3');
  assert.equal(call.attributes['network.transport'], 'pipe');
  assert.deepEqual(call.status, { code: 0, message: undefined });
});

test("SDK v2's own StdioServerTransport with the session's requests pipelined in one write: the answers come in the order bare gives them", async () => {
  const legacy = (nodeArgs) =>
    run('v2-legacy-stdio-server.mjs', { cwd: CWD, nodeArgs, args: ['stdio'], input: STDIO_INPUT, env: env(), timeoutMs: 20_000 });
  const bare = await legacy([]);
  const preloaded = await legacy(undefined);
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(preloaded.code, 0, preloaded.stderr);
  const ids = (result) => result.stdout.toString().trim().split('\n').map((line) => JSON.parse(line).id);
  assert.deepEqual(ids(bare), [1, 2, 3]);
  assert.deepEqual(ids(preloaded), [1, 2, 3]);
  assert.ok(preloaded.stdout.equals(bare.stdout), `stdout differs:\n${preloaded.stdout}\n---\n${bare.stdout}`);
});
