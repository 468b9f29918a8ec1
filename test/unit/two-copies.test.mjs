// Two copies of this build of @x/mcp-otel in one process (a second installation, or a library that bundles one), both
// enabled over the same SDK classes: what one copy changed (prototypes, transports, handlers) the other recognises by
// the marks of sdk-objects.ts, so each message is traced once, in either order. The copy is this dist at another path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { exporter, finishedSpans, setUp } from '../helpers/in-memory-otel.mjs';
import { ROOT } from '../helpers/processes.mjs';

const copyDir = join(ROOT, '.test-work', 'unit-second-copy');
const copy = join(copyDir, 'dist');
rmSync(copyDir, { recursive: true, force: true });
cpSync(join(ROOT, 'dist'), copy, { recursive: true });
cpSync(join(ROOT, 'package.json'), join(copyDir, 'package.json'));
const { McpInstrumentation: SecondCopy } = await import(join(copy, 'index.js'));
// The second copy is enabled first: it patches, the first copy (setUp's) finds the classes patched.
registerInstrumentations({ instrumentations: [new SecondCopy()] });
const { McpServer, Client, InMemoryTransport } = await setUp();

test('two copies enabled over one SDK: each request and notification has one CLIENT and one SERVER span, a tool exception one event', async () => {
  exporter.reset();
  const server = new McpServer({ name: 'two-copies', version: '1.0.0' });
  server.registerTool('add', {}, async () => ({ content: [{ type: 'text', text: '3' }] }));
  server.registerTool('throws', {}, async () => {
    throw new TypeError('boom');
  });
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'two-copies-client', version: '1.0.0' });
  await client.connect(clientTransport);
  await client.callTool({ name: 'add', arguments: {} });
  await client.callTool({ name: 'throws', arguments: {} });
  await client.close();
  const spans = finishedSpans();
  const kinds = { [SpanKind.CLIENT]: 'CLIENT', [SpanKind.SERVER]: 'SERVER' };
  assert.deepEqual(spans.map((s) => `${kinds[s.kind]} ${s.name}`).sort(), [
    'CLIENT initialize',
    'CLIENT notifications/initialized',
    'CLIENT tools/call add',
    'CLIENT tools/call throws',
    'SERVER initialize',
    'SERVER notifications/initialized',
    'SERVER tools/call add',
    'SERVER tools/call throws',
  ]);
  const thrown = spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'tools/call throws');
  assert.deepEqual(thrown.events.map((e) => e.name), ['exception']);
  const call = spans.find((s) => s.kind === SpanKind.CLIENT && s.name === 'tools/call add');
  assert.equal(spans.find((s) => s.kind === SpanKind.SERVER && s.name === 'tools/call add').parentSpanId, call.spanId);
});
