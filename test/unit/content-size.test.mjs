// Unit tests of content sizes (content-size.ts): the byte size of a value's JSON, counted without writing it, against
// Buffer.byteLength(JSON.stringify(value)) over many values; the cases where no size is given; and the switch of the
// programmatic API over the in-memory transport (sizes of the original values, whatever the redaction hook does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { finishedSpans, setUp } from '../helpers/in-memory-otel.mjs';

const { Client, McpServer, InMemoryTransport, z } = await setUp({
  captureContentSizes: true,
  captureMessageContent: true,
  redactContent: () => '[redacted]',
});
const { jsonByteSize, stringSize, requestSizes, sizeResult } = await import('../../dist/instrumentation/content-size.js');

const wire = (value) => Buffer.byteLength(JSON.stringify(value), 'utf8');

const STRINGS = [
  '',
  'plain ascii',
  'quote " and backslash \\ and slash /',
  'controls \b\t\n\f\r and \u0000\u0001\u001f\u007f',
  'é ü ß 中文 日本語 한국어',
  'emoji 😀👍🏽 family 👨‍👩‍👧',
  'lone high \ud800 here',
  'lone low \udc00 here',
  'reversed pair \udc00\ud800',
  '\ud800',
  '\udfff',
  'pair at the end 😀',
  'high at the end \ud83d',
  'line\u2028separator\u2029paragraph',
  'x'.repeat(10_000),
  `${'"'.repeat(1000)}${'\n'.repeat(1000)}${'€'.repeat(1000)}`,
];

test('stringSize: the bytes of the JSON string in UTF-8, escapes, non-ASCII, emoji and lone surrogates included', () => {
  for (const s of STRINGS) assert.equal(stringSize(s), wire(s), JSON.stringify(s));
  // Every code unit below 0x80, and every surrogate alone.
  for (let code = 0; code < 0x80; code++) assert.equal(stringSize(String.fromCharCode(code)), wire(String.fromCharCode(code)), `U+${code}`);
  for (let code = 0xd800; code <= 0xdfff; code += 0x7f) assert.equal(stringSize(`a${String.fromCharCode(code)}b`), wire(`a${String.fromCharCode(code)}b`), `U+${code.toString(16)}`);
});

test('jsonByteSize equals Buffer.byteLength(JSON.stringify(value)) over many values', () => {
  const sparse = [1, , 3];
  sparse[6] = 'end';
  const values = [
    null,
    true,
    false,
    0,
    -0,
    42,
    -3.25,
    1e21,
    1e-7,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    ...STRINGS,
    [],
    {},
    [[]],
    [{}],
    { a: {} },
    sparse,
    [undefined, () => 1, Symbol('s'), null],
    { skipped: undefined, fn() {}, sym: Symbol('s'), kept: 1 },
    { [Symbol('key')]: 1, visible: 2 },
    { 'ключ "quoted"\n': 'значение', '😀': ['\ud800'] },
    { date: new Date(0), invalid: new Date(Number.NaN) },
    { when: { toJSON: (key) => `key=${key}` }, list: [{ toJSON: (key) => ({ index: key }) }] },
    { gone: { toJSON: () => undefined }, inArray: [{ toJSON: () => undefined }] },
    { boxed: [new Number(3.5), new String('s"'), new Boolean(false)] },
    { buffer: Buffer.from('hello'), typed: new Uint8Array([1, 200, 3]) },
    { map: new Map([[1, 2]]), set: new Set([1]), regexp: /x/g, error: new Error('e') },
    Object.create({ inherited: 1 }, { own: { value: 2, enumerable: true }, hidden: { value: 3, enumerable: false } }),
    { content: [{ type: 'text', text: 'hello "world"\n' }], isError: false, structuredContent: { n: 1, list: [1, 2, 3] } },
    { contents: [{ uri: 'file:///a.txt', mimeType: 'text/plain', text: 'é'.repeat(100) }, { uri: 'file:///b.bin', blob: 'AAECAw==' }] },
    Array.from({ length: 200 }, (_, i) => ({ i, text: `item ${i} ✓`, nested: { deeper: [i, String(i), i % 2 === 0] } })),
  ];
  // 64 levels of nesting are followed, as content capture does.
  let deep = 'leaf';
  for (let i = 0; i < 64; i++) deep = { d: deep };
  values.push(deep, [deep]);
  for (const value of values) assert.equal(jsonByteSize(value), wire(value), JSON.stringify(value)?.slice(0, 200));
  // Numbers: integers around every power of ten, negative ones, the largest and smallest, fractions, exponents.
  const numbers = [Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60, -(2 ** 70), 1e21 - 65536, 1e21, 123456789012345680000, 0.1, 1 / 3, -2.5e-8, 5e-324, 1.7976931348623157e308];
  for (let k = 0; k <= 22; k++) {
    const power = Number(`1e${k}`);
    numbers.push(power, power - 1, power + 1, -power, -(power - 1), power * 9.999);
  }
  for (const n of numbers) assert.equal(jsonByteSize(n), wire(n), String(n));
  assert.equal(jsonByteSize(numbers), wire(numbers));
  // Strings either side of the length where counting moves to Buffer, with escapes and non-ASCII at each end.
  for (let length = 60; length <= 68; length++) {
    for (const fill of ['a', 'é', '"', '\n', '😀', '\ud800']) {
      const text = fill.repeat(length).slice(0, length);
      assert.equal(jsonByteSize(text), wire(text), `${length} × ${JSON.stringify(fill)}`);
    }
  }
  // A function given a toJSON is serialized by it, as JSON.stringify does.
  const withToJSON = Object.assign(() => 1, { toJSON: () => 'from a function' });
  assert.equal(jsonByteSize({ withToJSON }), wire({ withToJSON }));
});

test('jsonByteSize: no size where JSON gives none, would throw, or the number could be wrong; it never throws', () => {
  // What JSON.stringify gives undefined for.
  assert.equal(jsonByteSize(undefined), undefined);
  assert.equal(jsonByteSize(() => 1), undefined);
  assert.equal(jsonByteSize(Symbol('s')), undefined);
  // A cycle (JSON would throw); the same object twice, not a cycle, is counted.
  const cyclic = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(jsonByteSize(cyclic), undefined);
  assert.equal(jsonByteSize([cyclic]), undefined);
  const shared = { k: 'v' };
  assert.equal(jsonByteSize({ one: shared, two: [shared, shared] }), wire({ one: shared, two: [shared, shared] }));
  // BigInt: JSON throws, unless BigInt.prototype.toJSON says how.
  assert.equal(jsonByteSize({ big: 10n }), undefined);
  assert.equal(jsonByteSize(Object(10n)), undefined);
  BigInt.prototype.toJSON = function () {
    return this.toString();
  };
  try {
    assert.equal(jsonByteSize({ big: 10n ** 20n }), wire({ big: 10n ** 20n }));
  } finally {
    delete BigInt.prototype.toJSON;
  }
  // Nesting deeper than 64 levels.
  let deep = 'leaf';
  for (let i = 0; i < 66; i++) deep = { d: deep };
  assert.equal(jsonByteSize(deep), undefined);
  let veryDeep = [];
  for (let i = 0; i < 100_000; i++) veryDeep = [veryDeep];
  assert.equal(jsonByteSize(veryDeep), undefined);
  // A getter, a toJSON or a proxy that throws.
  assert.equal(jsonByteSize({ get broken() { throw new Error('getter'); } }), undefined);
  assert.equal(jsonByteSize({ bad: { toJSON() { throw new Error('no'); } } }), undefined);
  const hostile = new Proxy({}, { ownKeys() { throw new Error('trap'); } });
  assert.equal(jsonByteSize({ hostile }), undefined);
  assert.equal(jsonByteSize({ fine: 1, list: [hostile] }), undefined);
});

test('requestSizes and sizeResult: the arguments and result of tools/call, the contents of resources/read, nothing else', () => {
  const args = { query: 'café', limit: 3 };
  const attributes = {};
  requestSizes('tools/call', { name: 't', arguments: args }, attributes);
  assert.deepEqual(attributes, { 'mcp.tool.call.arguments.size': wire(args) });
  const none = {};
  requestSizes('tools/call', { name: 't' }, none);
  requestSizes('prompts/get', { name: 'p', arguments: { a: 'b' } }, none);
  requestSizes('tools/call', undefined, none);
  requestSizes('tools/call', { get arguments() { throw new Error('getter'); } }, none);
  assert.deepEqual(none, {});
  // What sizeResult uses of an operation: its method, its attributes, setAttribute.
  const sized = (method, ...results) => {
    const operation = { method, attributes: {}, setAttribute(key, value) { this.attributes[key] = value; } };
    for (const result of results) sizeResult(operation, result);
    return operation.attributes;
  };
  const result = { content: [{ type: 'text', text: 'ok' }], isError: true };
  assert.deepEqual(sized('tools/call', result), { 'mcp.tool.call.result.size': wire(result) });
  // Once: the first result seen (the client's raw one) is kept, the parsed one is not measured again.
  assert.deepEqual(sized('tools/call', result, { content: [] }), { 'mcp.tool.call.result.size': wire(result) });
  assert.deepEqual(sized('tools/call', undefined, result), { 'mcp.tool.call.result.size': wire(result) });
  const contents = [{ uri: 'file:///a', text: 'ä' }];
  assert.deepEqual(sized('resources/read', { contents, _meta: { big: 'x'.repeat(100) } }), { 'mcp.resource.contents.size': wire(contents) });
  assert.deepEqual(sized('resources/read', {}, undefined, { get contents() { throw new Error('getter'); } }), {});
  assert.deepEqual(sized('resources/list', { resources: [] }), {});
  assert.deepEqual(sized('tools/call', undefined), {});
  // A paused call's input_required result is not the tool's result.
  assert.deepEqual(sized('tools/call', { resultType: 'input_required', inputRequests: {} }), {});
  assert.deepEqual(sized('tools/call', { resultType: 'complete', content: [] }), { 'mcp.tool.call.result.size': wire({ resultType: 'complete', content: [] }) });
});

test('captureContentSizes: the sizes of the original values on both sides, whatever the redaction hook records', async () => {
  const server = new McpServer({ name: 'sized', version: '1.0.0' });
  const reply = { content: [{ type: 'text', text: 'résumé "quoted"\n😀' }] };
  server.registerTool('echo', { inputSchema: { text: z.string() } }, async () => reply);
  server.registerResource('doc', 'file:///doc.txt', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'ü'.repeat(10) }] }));
  const client = new Client({ name: 'c', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(b);
  await client.connect(a);
  const args = { text: 'naïve \u0001' };
  await client.callTool({ name: 'echo', arguments: args });
  await client.readResource({ uri: 'file:///doc.txt' });
  await new Promise((resolve) => setImmediate(resolve));
  await client.close();
  const span = (name, kind) => finishedSpans().find((s) => s.name === name && s.kind === kind);
  for (const kind of [SpanKind.CLIENT, SpanKind.SERVER]) {
    const call = span('tools/call echo', kind).attributes;
    assert.equal(call['mcp.tool.call.arguments.size'], wire(args));
    assert.equal(call['mcp.tool.call.result.size'], wire(reply));
    assert.equal(call['gen_ai.tool.call.arguments'], '"[redacted]"');
    assert.equal(call['gen_ai.tool.call.result'], '"[redacted]"');
    const read = span('resources/read', kind).attributes;
    assert.equal(read['mcp.resource.contents.size'], wire([{ uri: 'file:///doc.txt', text: 'ü'.repeat(10) }]));
    assert.equal(read['mcp.tool.call.result.size'], undefined);
  }
  const others = finishedSpans().filter((s) => !['tools/call echo', 'resources/read'].includes(s.name));
  assert.ok(others.length > 0);
  for (const s of others) assert.deepEqual(Object.keys(s.attributes).filter((k) => k.endsWith('.size')), [], s.name);
});

test('a client measures the result as it came: a field the SDK parses away, a default it adds, are not counted as its', async () => {
  // A peer that is not the SDK: it answers by hand, with a content field SDK 1.32 does not know and no `content`.
  const client = new Client({ name: 'c', version: '1.0.0' });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const results = {
    newer: { content: [{ type: 'text', text: 'hi', note: 'a field of a newer revision' }] },
    structured: { structuredContent: { n: 1 } },
  };
  b.onmessage = (message) => {
    if (message.id === undefined) return;
    const result =
      message.method === 'initialize'
        ? { protocolVersion: message.params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } }
        : results[message.params.name];
    b.send({ jsonrpc: '2.0', id: message.id, result });
  };
  await b.start();
  await client.connect(a);
  const received = {};
  for (const name of Object.keys(results)) received[name] = await client.callTool({ name, arguments: {} });
  await client.close();
  // What the app got differs from what was sent …
  assert.notEqual(wire(received.newer), wire(results.newer));
  assert.notEqual(wire(received.structured), wire(results.structured));
  // … the span has the size of what was sent.
  for (const name of Object.keys(results)) {
    const span = finishedSpans().find((s) => s.name === `tools/call ${name}` && s.kind === SpanKind.CLIENT);
    assert.equal(span.attributes['mcp.tool.call.result.size'], wire(results[name]), name);
  }
});
