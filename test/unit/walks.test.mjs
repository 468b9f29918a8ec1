// The two walks of src/README.md ("The two walks, file by file"), counted by the code itself: every function a file of
// dist/instrumentation exports (and every method of Operation, and the functions of the per-method table's rows) is
// wrapped to note its file and name when called. TypeScript's CommonJS output calls another file's function through
// that file's exports object, and a file's own functions directly, so what is noted is exactly the calls from one file
// into another. The leaf helpers that call nothing of ours back are not counted (sdk-internals, caps, promises,
// semconv, state), as the README says.
//   1. an incoming `tools/call` on a v1 McpServer over a real StdioServerTransport (its stdin and stdout in memory);
//   2. an outgoing `tools/call` from a v2 Client (2.4.0), answered by a peer of the test's own on an in-memory
//      transport (no Protocol of ours on that side).
// Issue 25's targets: each walk crosses at most 8 files, with at most 15 calls between files.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ROOT } from '../helpers/processes.mjs';

const require = createRequire(import.meta.url);
const DIST = join(ROOT, 'dist', 'instrumentation');
const LEAVES = new Set(['sdk-internals.js', 'caps.js', 'promises.js', 'semconv.js', 'state.js']);
const MAX_FILES = 8;
const MAX_CALLS = 15;

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const spans = new InMemorySpanExporter();
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));

/** The calls noted while `recording` is on: `file:function`, once each. */
const noted = new Set();
let recording = false;
const note = (label) => {
  if (recording) noted.add(label);
};

function wrapFunction(owner, name, label) {
  const original = owner[name];
  owner[name] = function (...args) {
    note(label);
    return new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args);
  };
}

// Every export of every file (the TypeScript output reads them at each call), before anything runs.
for (const file of readdirSync(DIST).filter((f) => f.endsWith('.js') && !LEAVES.has(f))) {
  const exports = require(join(DIST, file));
  for (const [name, value] of Object.entries(exports)) {
    const descriptor = Object.getOwnPropertyDescriptor(exports, name);
    if (typeof value !== 'function' || !descriptor?.writable) continue;
    if (/^[A-Z]/.test(name)) continue; // classes: their methods, below
    wrapFunction(exports, name, `${file.replace(/\.js$/, '.ts')}:${name}`);
  }
}
const { Operation } = require(join(DIST, 'operation.js'));
for (const name of Object.getOwnPropertyNames(Operation.prototype)) {
  const descriptor = Object.getOwnPropertyDescriptor(Operation.prototype, name);
  if (name === 'constructor' || typeof descriptor.value !== 'function') continue;
  wrapFunction(Operation.prototype, name, `operation.ts:Operation.${name}`);
}
const { methodRule } = require(join(DIST, 'methods.js'));
const toolsCall = methodRule('tools/call');
for (const name of Object.keys(toolsCall)) {
  if (typeof toolsCall[name] === 'function') wrapFunction(toolsCall, name, `methods.ts:rule.${name}`);
}

const { McpInstrumentation } = require(join(ROOT, 'dist', 'index.js'));
const instrumentation = new McpInstrumentation();
instrumentation.setTracerProvider(trace.getTracerProvider());

/** What one walk crossed: the files (the entry file given, patch.ts, included) and the calls between them. */
function crossed() {
  const calls = [...noted].sort();
  const files = new Set(['patch.ts', ...calls.map((call) => call.split(':')[0])]);
  return { calls, files: [...files].sort() };
}

const cleanups = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup().catch(() => {});
});

test('an incoming tools/call on a v1 stdio server: at most 8 files and 15 calls between files', async () => {
  const { McpServer } = require('@modelcontextprotocol/sdk/server/mcp.js');
  const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
  const { z } = require('zod');
  instrumentation.instrument(McpServer, require('@modelcontextprotocol/sdk/server/index.js').Server);
  const server = new McpServer({ name: 'walk-server', version: '1.0.0' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const lines = [];
  let waiting;
  stdout.on('data', (chunk) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    waiting?.();
  });
  const answerTo = async (id) => {
    for (let i = 0; i < 200 && !lines.some((m) => m.id === id); i++) await new Promise((r) => (waiting = r));
    return lines.find((m) => m.id === id);
  };
  await server.connect(new StdioServerTransport(stdin, stdout));
  cleanups.push(() => server.close());
  const write = (message) => stdin.write(`${JSON.stringify(message)}\n`);
  write({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'walker', version: '1' } } });
  assert.equal((await answerTo(1)).result.protocolVersion, '2025-11-25');
  write({ jsonrpc: '2.0', method: 'notifications/initialized' });
  await new Promise((resolve) => setImmediate(resolve));
  spans.reset();

  noted.clear();
  recording = true;
  write({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } });
  const answer = await answerTo(2);
  await new Promise((resolve) => setImmediate(resolve));
  recording = false;

  assert.deepEqual(answer.result.content, [{ type: 'text', text: '5' }]);
  const [span] = spans.getFinishedSpans().filter((s) => s.name === 'tools/call add');
  assert.equal(span?.attributes['mcp.method.name'], 'tools/call', 'the walk traced the call');
  const { calls, files } = crossed();
  console.log(`walk 1: ${files.length} files (${files.join(', ')}), ${calls.length} calls:\n  ${calls.join('\n  ')}`);
  assert.ok(calls.includes('receive.ts:receiveRequest') && calls.includes('receive.ts:respond'), calls.join(' '));
  assert.ok(files.length <= MAX_FILES, `${files.length} files: ${files.join(', ')}`);
  assert.ok(calls.length <= MAX_CALLS, `${calls.length} calls: ${calls.join(', ')}`);
});

test('an outgoing tools/call from a v2 client: at most 8 files and 15 calls between files', async () => {
  const requireV2 = createRequire(join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0', 'package.json'));
  const { Client, InMemoryTransport } = requireV2('@modelcontextprotocol/client');
  instrumentation.instrument(Client);
  const [clientSide, peerSide] = InMemoryTransport.createLinkedPair();
  // The peer: the test's own answers, no Protocol (nothing of ours runs on this side).
  peerSide.onmessage = (message) => {
    if (message.id === undefined) return;
    const answer = (result) => void peerSide.send({ jsonrpc: '2.0', id: message.id, result });
    if (message.method === 'initialize')
      answer({ protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'walk-peer', version: '1' } });
    else if (message.method === 'tools/call') answer({ content: [{ type: 'text', text: '5' }] });
    else if (message.method === 'tools/list') answer({ tools: [{ name: 'add', inputSchema: { type: 'object' } }] });
    else void peerSide.send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: 'Method not found' } });
  };
  await peerSide.start();
  const client = new Client({ name: 'walk-client', version: '1.0.0' });
  await client.connect(clientSide);
  cleanups.push(() => client.close());
  spans.reset();

  noted.clear();
  recording = true;
  const result = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
  await new Promise((resolve) => setImmediate(resolve));
  recording = false;

  assert.deepEqual(result.content, [{ type: 'text', text: '5' }]);
  const [span] = spans.getFinishedSpans().filter((s) => s.name === 'tools/call add');
  assert.equal(span?.attributes['mcp.method.name'], 'tools/call', 'the walk traced the call');
  const { calls, files } = crossed();
  console.log(`walk 2: ${files.length} files (${files.join(', ')}), ${calls.length} calls:\n  ${calls.join('\n  ')}`);
  assert.ok(calls.includes('send.ts:sendRequest') && calls.includes('send.ts:noteResponse'), calls.join(' '));
  assert.ok(files.length <= MAX_FILES, `${files.length} files: ${files.join(', ')}`);
  assert.ok(calls.length <= MAX_CALLS, `${calls.length} calls: ${calls.join(', ')}`);
});
