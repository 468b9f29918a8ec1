// The 2026-07-28 revision with SDK v2 (2.4.0, ESM), end to end, over stdio and Streamable HTTP, each side a process under
// the preload exporting to the OTLP receiver: what the README decides where the conventions are silent.
// - input_required: the first request's span ends with its result and is no error; the SDK's retry (a new id) is a
//   new CLIENT span linked to the first (its child here, as the first has no parent); each leg has its SERVER span;
// - subscriptions/listen: a CLIENT span from listen() until the acknowledgement, and the SERVER span the serving
//   entry's answer gets (serveStdio, createMcpHandler: no Server sees the request);
// - refusals a serving entry sends itself (an unsupported protocol version, -32022): a SERVER span, a caller fault
//   (status code, no error), and its operation metric point.
// The client is fixtures/sdk-v2-matrix/client-2026.mjs; the server the matrix server in the modern era.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startReceiver } from '../helpers/otlp-receiver.mjs';
import { ROOT, diagLines, run, start, startListening } from '../helpers/processes.mjs';

const CWD = join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0');
const SERVER = 2;
const CLIENT = 3;
const UNSET = 0;
const MODERN = '2026-07-28';

let receiver;
before(async () => {
  receiver = await startReceiver();
});
after(() => receiver.close());

const ours = (service) => receiver.spans.filter((s) => s.resource['service.name'] === service && s.scope === '@x/mcp-otel');
// Content capture on, to see it work with v2 too (issue 16): the arguments of every leg, on both sides.
const otelEnv = (service) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_SERVICE_NAME: service,
  OTEL_LOGS_EXPORTER: 'none',
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
});
const named = (spans, name) => spans.filter((s) => s.name === name);
// Each side's spans name the peer: the server from each result's _meta serverInfo, the client from each request's.
const SERVER_NAMED = { 'mcp.server.name': 'sdk-v2-matrix-modern-server', 'mcp.server.version': '2.4.0' };
const CLIENT_NAMED = { 'mcp.client.name': 'sdk-v2-2026-client', 'mcp.client.version': '1.0.0' };

async function runBoth(transport) {
  const clientService = `v2-2026-${transport}-client`;
  const serverService = `v2-2026-${transport}-server`;
  let result;
  if (transport === 'stdio') {
    result = await run('client-2026.mjs', { cwd: CWD, args: ['stdio', 'server.mjs'], timeoutMs: 30_000, env: { ...otelEnv(clientService), SERVER_SERVICE_NAME: serverService } });
  } else {
    const server = await startListening('server.mjs', { cwd: CWD, args: ['http', 'modern'], timeoutMs: 60_000, env: otelEnv(serverService) });
    try {
      result = await run('client-2026.mjs', { cwd: CWD, args: ['http', server.url], timeoutMs: 30_000, env: otelEnv(clientService) });
    } finally {
      server.child.kill('SIGTERM');
    }
    const stopped = await server.child.result;
    assert.equal(stopped.signal, 'SIGTERM', stopped.stderr);
    assert.deepEqual(diagLines(stopped.stderr), [], stopped.stderr);
  }
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(diagLines(result.stderr), [], result.stderr);
  const out = JSON.parse(result.stdout.toString());
  assert.equal(out.protocolVersion, MODERN);
  assert.deepEqual(out.deploy.content, [{ type: 'text', text: 'deployed to prod' }]);
  assert.equal(out.listened, true);
  await receiver.waitFor(
    () => named(ours(clientService), 'subscriptions/listen').length === 1 && named(ours(serverService), 'subscriptions/listen').length === 1 && named(ours(serverService), 'tools/call deploy').length === 2,
    5000,
  );
  return { out, client: ours(clientService), server: ours(serverService), serverService };
}

describe('the 2026-07-28 revision (SDK v2 2.4.0)', { concurrency: 2 }, () => {
  for (const transport of ['stdio', 'http']) {
    test(`${transport}: input_required and its retry, subscriptions/listen on both sides${transport === 'http' ? ', and a refusal by createMcpHandler' : ''}`, async () => {
      const { out, client, server, serverService } = await runBoth(transport);

      // input_required: two legs, ids 0 and 2 (after the probe; the elicitation handler's own call took 1), neither an
      // error; the retry tied to the first.
      const legs = named(client, 'tools/call deploy').sort((a, b) => Number(a.attributes['jsonrpc.request.id']) - Number(b.attributes['jsonrpc.request.id']));
      assert.deepEqual(legs.map((s) => [s.kind, s.attributes['jsonrpc.request.id'], s.attributes['mcp.protocol.version'], s.attributes['error.type'], s.status.code]), [
        [CLIENT, '0', MODERN, undefined, UNSET],
        [CLIENT, '2', MODERN, undefined, UNSET],
      ]);
      const [first, retry] = legs;
      assert.equal(first.parentSpanId, undefined, 'the first leg is a root');
      assert.equal(retry.traceId, first.traceId, 'one call, one trace');
      assert.equal(retry.parentSpanId, first.spanId, 'the retry is the child of the first (it had no parent)');
      assert.deepEqual(retry.links.map((l) => l.spanId), [first.spanId], 'the retry links to the first');
      assert.ok(first.end > 0n && retry.start >= first.end, 'the first leg ended with its input_required result');
      // The call the elicitation handler made meanwhile is not a retry: no link, not under the first leg.
      const [meanwhile] = named(client, 'tools/call add');
      assert.equal(meanwhile.kind, CLIENT);
      assert.equal(meanwhile.attributes['jsonrpc.request.id'], '1');
      assert.deepEqual(meanwhile.links, []);
      assert.notEqual(meanwhile.parentSpanId, first.spanId);
      for (const leg of legs) assert.equal(leg.attributes['gen_ai.tool.call.arguments'], '{"env":"prod"}');
      assert.equal(first.attributes['gen_ai.tool.call.result'], undefined, 'the first leg resolved with the final result, after it ended');
      // The pause is marked (mcp.result.type), and each leg names the server from its result's _meta serverInfo.
      for (const [leg, type] of [
        [first, 'input_required'],
        [retry, 'complete'],
      ]) {
        assert.equal(leg.attributes['mcp.result.type'], type);
        assert.equal(leg.attributes['mcp.server.name'], SERVER_NAMED['mcp.server.name']);
        assert.equal(leg.attributes['mcp.server.version'], SERVER_NAMED['mcp.server.version']);
        assert.equal(leg.attributes['mcp.client.name'], undefined);
      }
      const served = named(server, 'tools/call deploy');
      for (const leg of legs) {
        const span = served.find((s) => s.parentSpanId === leg.spanId);
        assert.equal(span?.kind, SERVER, `the SERVER span of leg ${leg.attributes['jsonrpc.request.id']}`);
        assert.equal(span.traceId, leg.traceId);
        assert.equal(span.attributes['jsonrpc.request.id'], leg.attributes['jsonrpc.request.id']);
        assert.equal(span.attributes['error.type'], undefined);
        assert.equal(span.status.code, UNSET);
        assert.equal(span.attributes['gen_ai.tool.call.arguments'], '{"env":"prod"}');
        // The server's span: the same mark, and the client from the request's _meta clientInfo.
        assert.equal(span.attributes['mcp.result.type'], leg.attributes['mcp.result.type']);
        assert.equal(span.attributes['mcp.client.name'], CLIENT_NAMED['mcp.client.name']);
        assert.equal(span.attributes['mcp.client.version'], CLIENT_NAMED['mcp.client.version']);
        assert.equal(span.attributes['mcp.server.name'], undefined);
      }
      // The duration points keep the paused leg apart from the completed one, on both sides; the client's name the
      // server, the server's do not name the client.
      const clientService = `v2-2026-${transport}-client`;
      await receiver.waitFor(() => points(clientService, 'mcp.client.operation.duration').length > 0 && points(serverService, 'mcp.server.operation.duration').length > 0, 5000);
      const deployPoints = (service, name) =>
        points(service, name)
          .filter((p) => p.attributes['gen_ai.tool.name'] === 'deploy')
          .map((p) => [p.attributes['mcp.result.type'], p.count, p.attributes['mcp.server.name'], p.attributes['mcp.client.name'], p.attributes['error.type']])
          .sort();
      assert.deepEqual(deployPoints(clientService, 'mcp.client.operation.duration'), [
        ['complete', 1, SERVER_NAMED['mcp.server.name'], undefined, undefined],
        ['input_required', 1, SERVER_NAMED['mcp.server.name'], undefined, undefined],
      ]);
      assert.deepEqual(deployPoints(serverService, 'mcp.server.operation.duration'), [
        ['complete', 1, undefined, undefined, undefined],
        ['input_required', 1, undefined, undefined, undefined],
      ]);
      // The server's results: input_required first, the deployment then.
      const results = served.map((s) => JSON.parse(s.attributes['gen_ai.tool.call.result'])).map((r) => (r.resultType === 'input_required' ? r.resultType : r.content[0].text));
      assert.deepEqual(results.sort(), ['deployed to prod', 'input_required']);

      // subscriptions/listen: the client's span, id listen:0, until the acknowledgement.
      const [listen] = named(client, 'subscriptions/listen');
      assert.equal(listen.kind, CLIENT);
      const network = transport === 'stdio' ? { 'network.transport': 'pipe' } : { 'network.transport': 'tcp', 'network.protocol.name': 'http', 'server.address': '127.0.0.1', 'server.port': listen.attributes['server.port'] };
      assert.deepEqual(listen.attributes, { 'mcp.method.name': 'subscriptions/listen', 'jsonrpc.request.id': 'listen:0', 'mcp.protocol.version': MODERN, ...network, ...SERVER_NAMED });
      assert.equal(listen.status.code, UNSET);
      // The server's: the serving entry answers it. Over stdio the request's _meta gives the parent; over HTTP the
      // entry never hands the body over, so the span is the child of the HTTP request's span and is named by its headers.
      const [answered] = named(server, 'subscriptions/listen');
      assert.equal(answered.kind, SERVER);
      assert.equal(answered.status.code, UNSET);
      if (transport === 'stdio') {
        assert.equal(answered.parentSpanId, listen.spanId);
        assert.deepEqual(answered.attributes, { 'mcp.method.name': 'subscriptions/listen', 'jsonrpc.request.id': 'listen:0', 'mcp.protocol.version': MODERN, 'network.transport': 'pipe', ...CLIENT_NAMED });
      } else {
        const post = receiver.spans.find((s) => s.spanId === answered.parentSpanId);
        assert.equal(post?.name, 'POST');
        assert.equal(post.resource['service.name'], serverService);
        const { 'client.port': port, ...rest } = answered.attributes;
        assert.equal(typeof port, 'number');
        assert.deepEqual(rest, {
          'mcp.method.name': 'subscriptions/listen',
          'mcp.protocol.version': MODERN,
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
          'network.protocol.version': '1.1',
          'client.address': '127.0.0.1',
          'http.response.status_code': 200,
        });
      }

      if (transport === 'http') {
        // A request with an unsupported version, refused by createMcpHandler before any Server: its SERVER span.
        assert.deepEqual(out.refused, {
          status: 400,
          body: { jsonrpc: '2.0', id: 7, error: { code: -32022, message: 'Unsupported protocol version: 2099-01-01', data: { supported: [MODERN], requested: '2099-01-01' } } },
        });
        // (The other tools/call add is the elicitation handler's, served.)
        const refusals = named(server, 'tools/call add').filter((s) => s.attributes['rpc.response.status_code'] !== undefined);
        assert.equal(refusals.length, 1);
        const [refusal] = refusals;
        const { 'client.port': port, ...rest } = refusal.attributes;
        assert.equal(typeof port, 'number');
        assert.deepEqual(rest, {
          'mcp.method.name': 'tools/call',
          'gen_ai.tool.name': 'add',
          'gen_ai.operation.name': 'execute_tool',
          'jsonrpc.request.id': '7',
          'mcp.protocol.version': '2099-01-01',
          'rpc.response.status_code': '-32022',
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
          'network.protocol.version': '1.1',
          'client.address': '127.0.0.1',
          'http.response.status_code': 400,
        });
        assert.deepEqual(refusal.status, { code: UNSET, message: undefined }, 'a caller fault on the server side');
        assert.equal(receiver.spans.find((s) => s.spanId === refusal.parentSpanId)?.name, 'POST');
        await receiver.waitFor(() => points(serverService, 'mcp.server.operation.duration').some((p) => p.attributes['rpc.response.status_code'] === '-32022'), 5000);
        const [point] = points(serverService, 'mcp.server.operation.duration').filter((p) => p.attributes['rpc.response.status_code'] === '-32022');
        assert.equal(point.attributes['mcp.method.name'], 'tools/call');
        assert.equal(point.attributes['error.type'], undefined);
        // A notification a Server handled: its one SERVER span, not a second one from the entry.
        assert.equal(out.notified, 202);
        await receiver.waitFor(() => named(server, 'notifications/progress').length >= 1, 5000);
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.deepEqual(named(ours(serverService), 'notifications/progress').map((s) => [s.kind, s.attributes['http.response.status_code']]), [[SERVER, undefined]]);
      }
    });
  }

  test('stdio: a request with an unsupported version, refused by serveStdio in the opening exchange, gets its SERVER span (the app chaining onto the entry\'s handler)', async () => {
    const service = 'v2-2026-stdio-refused-server';
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const request = {
      jsonrpc: '2.0',
      id: 5,
      method: 'tools/call',
      params: {
        name: 'add',
        arguments: { a: 1, b: 1 },
        _meta: { traceparent: `00-${traceId}-b7ad6b7169203331-01`, 'io.modelcontextprotocol/protocolVersion': '2099-01-01', 'io.modelcontextprotocol/clientCapabilities': {} },
      },
    };
    // The app chains onto the handler serveStdio set on its transport (CHAIN_ONMESSAGE): both still run, once.
    const child = start('server.mjs', { cwd: CWD, args: ['stdio', 'modern'], timeoutMs: 20_000, env: { ...otelEnv(service), CHAIN_ONMESSAGE: '1' } });
    child.stdin.write(JSON.stringify(request) + '\n');
    let answer = '';
    await new Promise((resolve) => child.stdout.on('data', (chunk) => (answer += chunk) && answer.includes('\n') && resolve()));
    child.stdin.end();
    const result = await child.result;
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(answer), { jsonrpc: '2.0', id: 5, error: { code: -32022, message: 'Unsupported protocol version: 2099-01-01', data: { supported: [MODERN], requested: '2099-01-01' } } });
    await receiver.waitFor(() => ours(service).length >= 1, 5000);
    const spans = ours(service);
    assert.deepEqual(spans.map((s) => [s.name, s.kind]), [['tools/call add', SERVER]]);
    const [span] = spans;
    assert.equal(span.traceId, traceId);
    assert.equal(span.parentSpanId, 'b7ad6b7169203331');
    assert.deepEqual(span.attributes, {
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'add',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': '5',
      'mcp.protocol.version': '2099-01-01',
      'rpc.response.status_code': '-32022',
      'network.transport': 'pipe',
    });
    assert.deepEqual(span.status, { code: UNSET, message: undefined });
  });
});

function points(service, name) {
  return receiver.metrics.filter((m) => m.resource['service.name'] === service && m.name === name).flatMap((m) => m.dataPoints);
}
