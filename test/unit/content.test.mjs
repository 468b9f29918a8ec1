// Unit tests of content capture (content.ts): the bounded JSON writer (cycles, BigInt, failing toJSON and getters, the
// budget), the binary placeholder, the switch's values, and the redaction hook of the programmatic API over the
// in-memory transport.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { finishedSpans, setUp } from '../helpers/in-memory-otel.mjs';

const seen = [];
const { Client, McpServer, InMemoryTransport, z } = await setUp({
  captureMessageContent: true,
  redactContent(value, info) {
    seen.push(info);
    if (info.field === 'arguments' && value.secret !== undefined) return { ...value, secret: '[redacted]' };
    if (info.field === 'result' && info.side === 'client') return undefined;
    if (info.field === 'prompt_variable' && info.name === 'boom') throw new Error('redactor failed');
    return value;
  },
});
const { boundedJson, captureModeOf } = await import('../../dist/instrumentation/content.js');

test('boundedJson: cycles, BigInt, a failing toJSON or getter, functions and symbols, non-finite numbers: never throws', () => {
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  const shared = { k: 1 };
  const tricky = {
    cyclic,
    twice: [shared, shared],
    big: 10n ** 20n,
    bad: { toJSON() { throw new Error('no'); } },
    get broken() {
      throw new Error('getter');
    },
    fn() {},
    sym: Symbol('s'),
    nan: Number.NaN,
    date: new Date(0),
  };
  assert.equal(
    boundedJson(tricky, 10_000),
    '{"cyclic":{"a":1,"self":"[Circular]"},"twice":[{"k":1},{"k":1}],"big":"100000000000000000000","bad":"[unserializable]","broken":"[unserializable]","nan":null,"date":"1970-01-01T00:00:00.000Z"}',
  );
});

test('boundedJson: writes no more than its budget, cut with an ellipsis; binary data and blobs become placeholders', () => {
  const huge = Array.from({ length: 100_000 }, (_, i) => ({ i, text: 'y'.repeat(100) }));
  const started = performance.now();
  const out = boundedJson(huge, 500);
  assert.ok(performance.now() - started < 200, 'stops at the budget instead of writing 10 MB');
  assert.equal(out.length, 500);
  assert.ok(out.startsWith('[{"i":0,"text":"yyy'));
  assert.ok(out.endsWith('…'));
  const result = {
    content: [
      { type: 'audio', data: 'AAAA', mimeType: 'audio/wav' },
      { type: 'resource', resource: { uri: 'file:///a.bin', blob: 'AAECAw==', mimeType: 'application/octet-stream' } },
      { type: 'text', data: 'not binary' },
    ],
  };
  assert.equal(
    boundedJson(result, 10_000),
    '{"content":[{"type":"audio","data":"[audio/wav, 3 bytes]","mimeType":"audio/wav"},{"type":"resource","resource":{"uri":"file:///a.bin","blob":"[application/octet-stream, 4 bytes]","mimeType":"application/octet-stream"}},{"type":"text","data":"not binary"}]}',
  );
});

test('boundedJson: a huge string or array costs no more than the budget; holes are null; buffers, deep nesting and a blob without a uri', () => {
  const long = boundedJson({ text: 'z'.repeat(50_000_000) }, 100);
  assert.equal(long, `{"text":"${'z'.repeat(100 - '{"text":"'.length - 1)}…`);
  // An array stops at the budget: counted by the elements read, not by a clock.
  let read = 0;
  const counted = new Proxy(new Array(5_000_000).fill(1), {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) read++;
      return Reflect.get(target, key, receiver);
    },
  });
  assert.equal(boundedJson(counted, 20).length, 20);
  assert.ok(read <= 20, `an array is read up to the budget only, not ${read} elements`);
  assert.equal(boundedJson([1, , 3, undefined, () => 1], 100), '[1,null,3,null,null]');
  assert.equal(boundedJson({ file: Buffer.from('hello') }, 100), '{"file":"[binary, 5 bytes]"}');
  let deep = {};
  for (let i = 0; i < 10_000; i++) deep = { d: deep };
  const nested = boundedJson(deep, 100_000);
  assert.ok(nested.includes('"[too deep]"'), 'nesting beyond 64 levels is not followed');
  assert.doesNotThrow(() => JSON.parse(nested));
  assert.equal(boundedJson({ blob: 'plain text, no resource' }, 100), '{"blob":"plain text, no resource"}');
  assert.equal(boundedJson({ when: { toJSON: (key) => `key=${key}` } }, 100), '{"when":"key=when"}');
  // A surrogate pair is never split by the cut.
  assert.equal(boundedJson('😀😀😀', 5), '"😀…');
});

test('the switch: true/false in any case and the GenAI modes; anything else is unknown', () => {
  const table = { '': false, true: true, TRUE: true, False: false, NO_CONTENT: false, span_only: true, SPAN_ONLY: true, EVENT_ONLY: false, SPAN_AND_EVENT: true };
  for (const [value, on] of Object.entries(table)) assert.equal(captureModeOf(value), on, JSON.stringify(value));
  assert.equal(captureModeOf(undefined), false);
  assert.equal(captureModeOf('yes'), undefined);
});

test('redactContent: what it returns is recorded, undefined records nothing, a failure withholds the value', async () => {
  const server = new McpServer({ name: 'redacting', version: '1.0.0' });
  server.registerTool('login', { inputSchema: { user: z.string(), secret: z.string() } }, async ({ user }) => ({ content: [{ type: 'text', text: `hi ${user}` }] }));
  server.registerPrompt('p', { argsSchema: { boom: z.string(), fine: z.string() } }, () => ({ messages: [] }));
  const client = new Client({ name: 'c', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await client.connect(a);
  await client.callTool({ name: 'login', arguments: { user: 'ada', secret: 'hunter2' } });
  await client.getPrompt({ name: 'p', arguments: { boom: 'x', fine: 'y' } });
  await new Promise((resolve) => setImmediate(resolve));
  await client.close();
  const span = (name, kind) => finishedSpans().find((s) => s.name === name && s.kind === kind);
  for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
    assert.equal(span('tools/call login', kind).attributes['gen_ai.tool.call.arguments'], '{"user":"ada","secret":"[redacted]"}');
    assert.equal(span('prompts/get p', kind).attributes['gen_ai.prompt.variable.boom'], '[withheld: the redaction hook failed]');
    assert.equal(span('prompts/get p', kind).attributes['gen_ai.prompt.variable.fine'], 'y');
  }
  assert.equal(span('tools/call login', SpanKind.CLIENT).attributes['gen_ai.tool.call.result'], undefined, 'redacted away on the client');
  assert.equal(span('tools/call login', SpanKind.SERVER).attributes['gen_ai.tool.call.result'], '{"content":[{"type":"text","text":"hi ada"}]}');
  assert.ok(JSON.stringify(finishedSpans().map((s) => s.attributes)).includes('hunter2') === false, 'the secret is nowhere');
  assert.deepEqual(
    [...new Set(seen.map((i) => `${i.side} ${i.method} ${i.field}${i.name ? ` ${i.name}` : ''}`))].sort(),
    ['client prompts/get prompt_variable boom', 'client prompts/get prompt_variable fine', 'client tools/call arguments', 'client tools/call result', 'server prompts/get prompt_variable boom', 'server prompts/get prompt_variable fine', 'server tools/call arguments', 'server tools/call result'],
  );
});
