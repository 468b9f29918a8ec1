// Transports of every shape handed to serveStdio of SDK v2 (2.4.0, CommonJS, loaded after the instrumentation, so its
// hooks wrap serveStdio), in process over PassThrough streams: an app's class whose handlers are accessors forwarding
// to an inner StdioServerTransport (own and inherited), a Proxy, a subclass, and transports that set or replace their
// handler later. Each gets the same session as bare: every message reaches the app's transport code once and in
// order, the three answers leave, and the SERVER spans are made. (Issue 23: an own `onmessage` defined on the
// transport shadowed the class's accessor, and nothing was answered.)
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ROOT, STDIO_INPUT } from '../helpers/processes.mjs';

const spans = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
const { McpInstrumentation } = await import('../../dist/index.js');
registerInstrumentations({ instrumentations: [new McpInstrumentation()] });

// The v2 copy the end-to-end matrix installs (test/setup.mjs), loaded after the instrumentation.
const requireV2 = createRequire(join(ROOT, '.test-work', 'third-party', 'node_modules', 'sdk-v2-2.4.0', 'package.json'));
const { McpServer, fromJsonSchema } = requireV2('@modelcontextprotocol/server');
const { serveStdio, StdioServerTransport } = requireV2('@modelcontextprotocol/server/stdio');

const ADD_INPUT = fromJsonSchema({ type: 'object', properties: { a: { type: 'number' }, b: { type: 'number' } }, required: ['a', 'b'] });
const SESSION = ['initialize', 'notifications/initialized', 'tools/list', 'tools/call'];
const SERVER_SPANS = ['initialize', 'notifications/initialized', 'tools/call add', 'tools/list'];

const handles = new Set();
after(async () => {
  for (const handle of handles) await handle.close().catch(() => {});
});

function factory() {
  const server = new McpServer({ name: 'shapes', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool('add', { inputSchema: ADD_INPUT }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  return server;
}

/** The streams of one session, and the messages the app's transport code saw, by method, in order. */
function pipes() {
  return { stdin: new PassThrough(), stdout: new PassThrough(), seen: [] };
}

/**
 * Serves `wire` with serveStdio, calls `afterServe`, plays the session into stdin (a PassThrough delivers it at once)
 * and resolves with the answers (ids 1 to 3).
 */
async function play(wire, { stdin, stdout }, afterServe = () => {}) {
  assert.ok(serveStdio.name === 'serveStdio' && Object.getOwnPropertySymbols(serveStdio).length > 0, 'serveStdio is wrapped by the hooks');
  spans.reset();
  const handle = serveStdio(factory, { transport: wire, onerror: (err) => assert.fail(`serveStdio error: ${err.stack}`) });
  handles.add(handle);
  afterServe();
  const answers = [];
  let buffered = '';
  const done = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`3 answers expected within 5 s, got: ${JSON.stringify(answers)}`)), 5_000);
    stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) answers.push(JSON.parse(line));
      if (answers.length >= 3) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  stdin.write(STDIO_INPUT);
  await done;
  await new Promise((resolve) => setTimeout(resolve, 20));
  await handle.close();
  handles.delete(handle);
  return answers;
}

function assertServed(answers, seen) {
  assert.deepEqual(seen, SESSION, 'every message through the app transport once, in order');
  assert.deepEqual(answers.map((a) => a.id), [1, 2, 3], 'the answers, in order, once each');
  assert.equal(answers[0].result?.serverInfo?.name, 'shapes');
  assert.deepEqual(answers[2].result, { content: [{ type: 'text', text: '5' }] });
  const ours = spans.getFinishedSpans().filter((s) => s.instrumentationScope.name === '@x/mcp-otel');
  assert.deepEqual(ours.map((s) => s.name).sort(), SERVER_SPANS);
  assert.ok(ours.every((s) => s.kind === SpanKind.SERVER), `kinds: ${ours.map((s) => s.kind)}`);
  const call = ours.find((s) => s.name === 'tools/call add');
  assert.equal(call.attributes['jsonrpc.request.id'], '3');
}

const record = (seen, message) => seen.push(message.method ?? `response ${message.id}`);

/** An app's own transport: handlers are accessors forwarding to an inner StdioServerTransport; state in private fields. */
class ForwardingTransport {
  #inner;
  #seen;
  constructor(inner, seen) {
    this.#inner = inner;
    this.#seen = seen;
  }
  get onmessage() {
    return this.#inner.onmessage;
  }
  set onmessage(handler) {
    const seen = this.#seen;
    this.#inner.onmessage = typeof handler === 'function' ? (message, ...rest) => (record(seen, message), handler(message, ...rest)) : handler;
  }
  get onclose() {
    return this.#inner.onclose;
  }
  set onclose(handler) {
    this.#inner.onclose = handler;
  }
  get onerror() {
    return this.#inner.onerror;
  }
  set onerror(handler) {
    this.#inner.onerror = handler;
  }
  start() {
    return this.#inner.start();
  }
  send(message, options) {
    return this.#inner.send(message, options);
  }
  close() {
    return this.#inner.close();
  }
}

test('an accessor class forwarding to an inner StdioServerTransport: served as bare, with its spans', async () => {
  const io = pipes();
  const wire = new ForwardingTransport(new StdioServerTransport(io.stdin, io.stdout), io.seen);
  assertServed(await play(wire, io), io.seen);
});

test('an inherited accessor (a subclass of the forwarding class): served as bare, with its spans', async () => {
  class Logged extends ForwardingTransport {}
  const io = pipes();
  const wire = new Logged(new StdioServerTransport(io.stdin, io.stdout), io.seen);
  assertServed(await play(wire, io), io.seen);
  assert.equal(typeof wire.onmessage, 'function');
});

test('a Proxy of a StdioServerTransport whose traps route the handlers: served as bare, with its spans', async () => {
  const io = pipes();
  const inner = new StdioServerTransport(io.stdin, io.stdout);
  const sets = [];
  const wire = new Proxy(inner, {
    set(target, name, value, receiver) {
      if (name === 'onmessage' && typeof value === 'function') {
        sets.push(name);
        const handler = value;
        value = (message, ...rest) => (record(io.seen, message), handler(message, ...rest));
      }
      return Reflect.set(target, name, value, receiver);
    },
  });
  assertServed(await play(wire, io), io.seen);
  assert.deepEqual(sets, ['onmessage'], 'serveStdio set the handler once, through the trap');
});

test('a subclass of StdioServerTransport that overrides send, and replaces its handler around each read: served as bare, with its spans', async () => {
  const io = pipes();
  const sent = [];
  class Subclass extends StdioServerTransport {
    send(message, options) {
      sent.push(message.id);
      return super.send(message, options);
    }
  }
  const wire = new Subclass(io.stdin, io.stdout);
  const handle = wire;
  const original = handle.processReadBuffer;
  handle.processReadBuffer = function () {
    const onmessage = this.onmessage;
    this.onmessage = (message, ...rest) => (record(io.seen, message), onmessage.call(this, message, ...rest));
    try {
      return original.call(this);
    } finally {
      this.onmessage = onmessage;
    }
  };
  assertServed(await play(wire, io), io.seen);
  assert.deepEqual(sent, [1, 2, 3], 'each answer through the subclass send once');
});

test('an accessor transport that installs its inner handler only at start(): served as bare, with its spans', async () => {
  const io = pipes();
  class LateTransport {
    #inner = new StdioServerTransport(io.stdin, io.stdout);
    #handler;
    get onmessage() {
      return this.#handler;
    }
    set onmessage(handler) {
      this.#handler = handler;
    }
    start() {
      this.#inner.onmessage = (message, ...rest) => (record(io.seen, message), this.#handler?.(message, ...rest));
      return this.#inner.start();
    }
    send(message) {
      return this.#inner.send(message);
    }
    close() {
      return this.#inner.close();
    }
  }
  assertServed(await play(new LateTransport(), io), io.seen);
});

test('a transport whose app replaces the handler after serveStdio set it, chaining onto the one it read: no loss, no duplicate, no recursion', async () => {
  const io = pipes();
  // Accessors that forward the handler as it is (the wrapper above wraps it: chaining onto it records twice, bare too).
  class Forwarding {
    constructor(inner) {
      this.inner = inner;
    }
    get onmessage() {
      return this.inner.onmessage;
    }
    set onmessage(handler) {
      this.inner.onmessage = handler;
    }
    start() {
      return this.inner.start();
    }
    send(message) {
      return this.inner.send(message);
    }
    close() {
      return this.inner.close();
    }
  }
  const wire = new Forwarding(new StdioServerTransport(io.stdin, io.stdout));
  let read;
  const answers = await play(wire, io, () => {
    const served = (read = wire.onmessage);
    wire.onmessage = (message, ...rest) => (record(io.seen, message), served(message, ...rest));
  });
  assertServed(answers, io.seen);
  assert.equal(typeof read, 'function', 'the handler serveStdio set, read back');
  assert.equal(wire.inner.onmessage, wire.onmessage, 'the getter gives what the inner transport holds');
});
