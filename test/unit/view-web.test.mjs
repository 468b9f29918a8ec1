// The view's web side (dist/view/web.js) against a fake store: the page's files, every route of the JSON API, the
// refusals (methods, bad queries, unknown traces, Host and Origin), the security headers, and the live updates over
// Server-Sent Events (a `changed` event when the store changes, at most 4 a second, every stream ended on close).
import { test, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { createFakeStore, FAILING_TRACE_ID, HOSTILE_TOOL, TRACE_ID } from '../helpers/view-fake-store.mjs';

const require = createRequire(import.meta.url);
const { createWebHandler } = require('../../dist/view/web.js');
const { VERSION } = require('../../dist/version.js');

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const PAGE_DIR = join(process.cwd(), 'src', 'view', 'page');

/** A server on 127.0.0.1:0 with the handler; stopped after the tests, its streams first, within a bound. */
async function serve(store = createFakeStore(), options = {}) {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const handler = createWebHandler(store, {
    allowedHosts: [`127.0.0.1:${port}`, 'localhost'],
    otlpUrl: 'http://127.0.0.1:4318',
    ...options,
  });
  server.on('request', handler);
  const stop = async () => {
    handler.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  after(stop);
  return { server, port, handler, store, host: `127.0.0.1:${port}`, stop };
}

/** One request with raw headers (fetch cannot set Host); the body as text, with a 5 s bound. */
function get(port, path, { method = 'GET', headers = {}, setHost = true } = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, setHost, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

async function getJson(port, path, options) {
  const answer = await get(port, path, options);
  assert.equal(answer.headers['content-type'], 'application/json; charset=utf-8', `${path}: ${answer.body}`);
  return { ...answer, json: JSON.parse(answer.body) };
}

function assertSecurityHeaders(headers, what) {
  assert.equal(headers['content-security-policy'], CSP, what);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
  assert.equal(headers['x-frame-options'], 'DENY', what);
  assert.equal(headers['cross-origin-resource-policy'], 'same-origin', what);
  assert.deepEqual(
    Object.keys(headers).filter((name) => name.startsWith('access-control-')),
    [],
    `${what}: no CORS header`,
  );
}

test('the page files are served with their types, the same bytes as src/view/page, and the headers', async () => {
  const { port } = await serve();
  const types = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    svg: 'image/svg+xml',
  };
  const files = readdirSync(PAGE_DIR).sort();
  assert.deepEqual(files, [
    'app.js',
    'dom.js',
    'favicon.svg',
    'index.html',
    'operations.js',
    'session.js',
    'shell.js',
    'stats.js',
    'style.css',
    'trace.js',
  ]);
  for (const [path, file] of [['/', 'index.html'], ...files.map((file) => [`/${file}`, file])]) {
    const answer = await get(port, path);
    assert.equal(answer.status, 200, path);
    assert.equal(answer.headers['content-type'], types[file.split('.').pop()], path);
    assert.equal(answer.body, readFileSync(join(PAGE_DIR, file), 'utf8'), path);
    assert.equal(answer.headers['cache-control'], 'no-store', path);
    assertSecurityHeaders(answer.headers, path);
  }
  const head = await get(port, '/app.js', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal(Number(head.headers['content-length']), readFileSync(join(PAGE_DIR, 'app.js')).length);
});

test('only the page files of known types are served, read once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-page-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><p>first</p>');
  writeFileSync(join(dir, 'notes.txt'), 'not served');
  const { port } = await serve(createFakeStore(), { pageDir: dir });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><p>changed</p>');
  assert.deepEqual(
    [(await get(port, '/')).body, (await get(port, '/notes.txt')).status],
    ['<!doctype html><p>first</p>', 404],
  );
  const empty = mkdtempSync(join(tmpdir(), 'mcp-otel-page-'));
  after(() => rmSync(empty, { recursive: true, force: true }));
  assert.throws(() => createWebHandler(createFakeStore(), { allowedHosts: [], pageDir: empty }), {
    message: `the page's index.html is missing from ${empty}; reinstall @x/mcp-otel`,
  });
});

test('the page has no inline script or style, loads nothing from elsewhere, and sets data as text only', () => {
  const html = readFileSync(join(PAGE_DIR, 'index.html'), 'utf8');
  assert.deepEqual(html.match(/<script\b[^>]*>/g), ['<script type="module" src="app.js">']);
  assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=|https?:\/\//i);
  for (const file of readdirSync(PAGE_DIR).filter((name) => name.endsWith('.js'))) {
    const code = readFileSync(join(PAGE_DIR, file), 'utf8');
    assert.doesNotMatch(code, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/, file);
    assert.doesNotMatch(code, /import\s*\(|from '(?!\.\/)/, `${file} imports only the page's own modules`);
  }
});

test('every API route answers what the store holds', async () => {
  const { port, store } = await serve();
  assert.deepEqual((await getJson(port, '/api/status')).json, store.status());
  assert.deepEqual((await getJson(port, '/api/stats')).json, store.stats());
  assert.deepEqual((await getJson(port, '/api/info')).json, {
    product: '@x/mcp-otel',
    version: VERSION,
    otlpUrl: 'http://127.0.0.1:4318',
  });

  const all = await getJson(port, '/api/operations');
  assert.equal(all.status, 200);
  assert.deepEqual(
    all.json.operations.map((op) => op.id),
    [4, 3, 2, 1],
  );
  assert.deepEqual(all.json.facets, store.facets());
  assert.deepEqual(all.json.status, store.status());
  assert.deepEqual(store.calls.at(-1), ['operations', { limit: 200 }]);

  const filtered = await getJson(
    port,
    '/api/operations?service=weather-server&method=tools%2Fcall&tool=flaky&outcome=tool_error&q=TIMED&session=session-1&limit=5',
  );
  assert.deepEqual(
    filtered.json.operations.map((op) => op.id),
    [3],
  );
  assert.deepEqual(store.calls.at(-1), [
    'operations',
    {
      service: 'weather-server',
      method: 'tools/call',
      tool: 'flaky',
      outcome: 'tool_error',
      text: 'TIMED',
      session: 'session-1',
      limit: 5,
    },
  ]);
  await getJson(port, `/api/operations?after=1&before=4&limit=1000&trace=${TRACE_ID}&service=&outcome=`);
  assert.deepEqual(store.calls.at(-1), ['operations', { afterId: 1, beforeId: 4, limit: 1000, traceId: TRACE_ID }]);

  const trace = await getJson(port, `/api/trace/${TRACE_ID}`);
  assert.equal(trace.status, 200);
  assert.deepEqual(trace.json, store.trace(TRACE_ID));
  const upper = await getJson(port, `/api/trace/${FAILING_TRACE_ID.toUpperCase()}`);
  assert.equal(upper.status, 200);
  assert.equal(upper.json.traceId, FAILING_TRACE_ID);

  const session = await getJson(port, `/api/session/${encodeURIComponent('session/2 ?#')}`);
  assert.equal(session.status, 200);
  assert.deepEqual(
    session.json.operations.map((op) => [op.id, op.target]),
    [[4, HOSTILE_TOOL]],
  );
  assert.deepEqual(store.calls.at(-1), ['sessionOperations', 'session/2 ?#', 200]);
  await getJson(port, '/api/session/session-1?limit=1000');
  assert.deepEqual(store.calls.at(-1), ['sessionOperations', 'session-1', 1000]);
  assert.equal((await get(port, '/api/status', { method: 'HEAD' })).body, '');
});

test('bad queries are 400 with a JSON error, unknown traces, sessions and paths 404', async () => {
  const { port, store } = await serve();
  const refusals = [
    ['/api/operations?limit=0', 400, 'limit must be 1 to 1000'],
    ['/api/operations?limit=1001', 400, 'limit must be 1 to 1000'],
    ['/api/operations?limit=ten', 400, 'limit must be 1 to 1000'],
    ['/api/operations?limit=', 400, 'limit must be 1 to 1000'],
    ['/api/operations?before=-1', 400, 'before must be an operation id'],
    ['/api/operations?after=1.5', 400, 'after must be an operation id'],
    ['/api/operations?after=1e3', 400, 'after must be an operation id'],
    ['/api/operations?outcome=fine', 400, 'outcome must be one of ok, tool_error, caller_fault, error, input_required'],
    ['/api/operations?trace=xyz', 400, 'a trace id is 32 lowercase hexadecimal digits'],
    ['/api/operations?service=a&service=b', 400, 'service is given twice'],
    ['/api/operations?colour=red', 400, 'unknown parameter "colour"'],
    [`/api/operations?q=${'x'.repeat(1001)}`, 400, 'q is longer than 1000 characters'],
    ['/api/status?verbose=1', 400, 'unknown parameter "verbose"'],
    ['/api/stats?x', 400, 'unknown parameter "x"'],
    [`/api/trace/${TRACE_ID}?x=1`, 400, 'unknown parameter "x"'],
    ['/api/trace/not-a-trace', 400, 'a trace id is 32 hexadecimal digits'],
    [`/api/trace/${TRACE_ID}0`, 400, 'a trace id is 32 hexadecimal digits'],
    [`/api/trace/${'e'.repeat(32)}`, 404, `no span of trace ${'e'.repeat(32)} is stored`],
    ['/api/session/%E0%A4%A', 400, 'the session is not a valid URL component'],
    ['/api/session/s?service=x', 400, 'unknown parameter "service"'],
    ['/api/session/s?limit=0', 400, 'limit must be 1 to 1000'],
    ['/api/session/nobody', 404, 'no operation of that session is stored'],
    ['/api/trace/', 404, 'no such page'],
    [`/api/trace/${TRACE_ID}/more`, 404, 'no such page'],
    ['/api/nothing', 404, 'no such page'],
    // The first segment is the API's: a route under another one is no route.
    [`/x/trace/${TRACE_ID}`, 404, 'no such page'],
    ['/app.js/session/session-1', 404, 'no such page'],
    ['/etc/passwd', 404, 'no such page'],
    ['/../src/view/web.ts', 404, 'no such page'],
  ];
  for (const [path, status, error] of refusals) {
    const answer = await getJson(port, path);
    assert.deepEqual([answer.status, answer.json], [status, { error }], path);
    assertSecurityHeaders(answer.headers, path);
  }
  for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const answer = await getJson(port, '/api/status', { method });
    assert.deepEqual([answer.status, answer.json], [405, { error: 'only GET and HEAD' }], method);
    assert.equal(answer.headers.allow, 'GET, HEAD');
  }
  // Only the well-formed queries reached the store.
  assert.deepEqual(store.calls, [
    ['trace', 'e'.repeat(32)],
    ['sessionOperations', 'nobody', 200],
  ]);
});

test('a host name other than the allowed ones is 421 (DNS rebinding), another origin 403', async () => {
  const { port, host } = await serve();
  const ok = async (headers) => (await getJson(port, '/api/status', { headers })).status;
  assert.equal(await ok({}), 200);
  assert.equal(await ok({ host: `localhost:${port}` }), 200);
  assert.equal(await ok({ host: 'LOCALHOST' }), 200);
  assert.equal(await ok({ host, origin: `http://${host}` }), 200);
  for (const bad of [
    'attacker.example',
    `attacker.example:${port}`,
    `127.0.0.1:${port + 1}`,
    '127.0.0.1',
    `[::1]:${port}`,
  ]) {
    const answer = await getJson(port, '/api/status', { headers: { host: bad } });
    assert.deepEqual(
      [answer.status, answer.json],
      [421, { error: 'this view does not answer to that host name' }],
      bad,
    );
  }
  // With no Host header at all, Node's server answers 400 before the handler (requireHostHeader).
  assert.equal((await get(port, '/', { setHost: false })).status, 400);
  for (const origin of ['http://attacker.example', `https://${host}`, 'null', `http://localhost:${port}`]) {
    const answer = await getJson(port, '/api/events', { headers: { origin } });
    assert.deepEqual([answer.status, answer.json], [403, { error: 'requests from other sites refused' }], origin);
    assertSecurityHeaders(answer.headers, origin);
  }
  const page = await get(port, '/', { headers: { host: `attacker.example:${port}` } });
  assert.equal(page.status, 421);
  assert.doesNotMatch(page.body, /<html/);
});

test('a store that fails is a 500 with one JSON error, and the handler keeps answering', async () => {
  const store = createFakeStore();
  store.stats = () => {
    throw new Error('database is locked');
  };
  const { port } = await serve(store);
  const answer = await getJson(port, '/api/stats');
  assert.deepEqual([answer.status, answer.json], [500, { error: 'the view failed to answer: database is locked' }]);
  assert.equal((await getJson(port, '/api/status')).status, 200);
});

/** An event stream read as events; `next()` resolves with the next one not read yet (5 s bound). */
function openEvents(port, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers }, (res) => {
      const events = [];
      const waiting = [];
      let read = 0;
      let buffer = '';
      const flush = () => {
        while (waiting.length > 0 && read < events.length) waiting.shift().resolve(events[read++]);
      };
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = { comments: [], data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.comments.push(line);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data += line.slice(6);
            else if (line.startsWith('retry: ')) event.retry = Number(line.slice(7));
          }
          events.push(event);
        }
        flush();
      });
      let ended = false;
      const whenEnded = new Promise((done) =>
        res.on('end', () => {
          ended = true;
          for (const waiter of waiting.splice(0)) waiter.reject(new Error('the stream ended'));
          done();
        }),
      );
      resolve({
        res,
        events,
        whenEnded,
        ended: () => ended,
        next() {
          return new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error('no event in 5 s')), 5000);
            waiting.push({
              resolve: (event) => (clearTimeout(timer), ok(event)),
              reject: (error) => (clearTimeout(timer), fail(error)),
            });
            flush();
          });
        },
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A promise with a bound: rejects with `what` after 5 s. */
function within(promise, what) {
  let timer;
  const bound = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not in 5 s`)), 5000)));
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

test('the event stream sends `changed` with the status when the store changes', async () => {
  const { port, store } = await serve();
  const stream = await openEvents(port);
  assert.equal(stream.res.statusCode, 200);
  assert.equal(stream.res.headers['content-type'], 'text/event-stream; charset=utf-8');
  assertSecurityHeaders(stream.res.headers, '/api/events');
  const first = await stream.next();
  assert.deepEqual([first.event, first.retry, JSON.parse(first.data)], ['changed', 2000, store.status()]);
  assert.equal(store.listenerCount(), 1);

  const second = await openEvents(port);
  await second.next();
  assert.equal(store.listenerCount(), 1, 'one subscription shared by every stream');

  store.addOperation();
  const changed = await stream.next();
  assert.deepEqual([changed.event, JSON.parse(changed.data).kept.spans], ['changed', 7]);
  assert.equal(JSON.parse((await second.next()).data).kept.spans, 7);

  stream.close();
  assert.equal(store.listenerCount(), 1);
  second.close();
  // Once the last page is gone, the store is not listened to.
  await within(store.whenNoListeners(), 'unsubscribed when the streams closed');
  assert.equal(store.listenerCount(), 0);
});

test('a burst of changes is at most 4 events a second, and the last change is always sent', async (t) => {
  const { port, store } = await serve();
  const stream = await openEvents(port);
  await stream.next();
  let statusCalls = 0;
  const status = store.status.bind(store);
  store.status = () => (statusCalls++, status());

  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  store.changed();
  assert.equal(statusCalls, 1, 'the first change of a quiet stream is sent at once');
  for (let i = 0; i < 10; i++) store.changed();
  assert.equal(statusCalls, 1, 'the changes that follow wait for the interval');
  t.mock.timers.tick(249);
  assert.equal(statusCalls, 1);
  t.mock.timers.tick(1);
  assert.equal(statusCalls, 2, 'the burst is one event at the end of the interval');

  // A change every 10 ms for 2 s: 8 events, 250 ms apart.
  const sentAt = [];
  store.status = () => (sentAt.push(Date.now() - 1_000_000), status());
  for (let ms = 0; ms < 2000; ms += 10) {
    store.changed();
    t.mock.timers.tick(10);
  }
  assert.deepEqual(sentAt, [500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
  t.mock.timers.reset();

  // What the client received: every event is `changed` with the status.
  const received = [];
  // (the first one, sent on connection, was read above)
  while (received.length < 1 + 1 + 8) received.push(await stream.next());
  assert.deepEqual(new Set(received.map((e) => e.event)), new Set(['changed']));
  stream.close();
});

test('close() ends every event stream and unsubscribes, so the server can close', async () => {
  const { port, store, handler, server } = await serve();
  const streams = [await openEvents(port), await openEvents(port)];
  for (const stream of streams) await stream.next();
  assert.equal(store.listenerCount(), 1);
  handler.close();
  await within(Promise.all(streams.map((s) => s.whenEnded)), 'the streams ended');
  assert.deepEqual(
    streams.map((s) => s.ended()),
    [true, true],
  );
  assert.equal(store.listenerCount(), 0);
  // No event stream holds the server: close() completes (idle keep-alive sockets are closed by it).
  await new Promise((resolve) => server.close(resolve));
  const late = await openEvents(port).catch((error) => error.code);
  assert.equal(late, 'ECONNREFUSED');
});

test('an event stream opened after close() is refused with 503', async () => {
  const { port, handler } = await serve();
  handler.close();
  const answer = await get(port, '/api/events');
  assert.equal(answer.status, 503);
});

test('at most 64 event streams are open at once: the next one is a 503 with a JSON error', async () => {
  const { port } = await serve();
  const streams = [];
  try {
    for (let i = 0; i < 64; i++) streams.push(await openEvents(port));
    for (const stream of streams) assert.equal((await stream.next()).event, 'changed');
    const refused = await getJson(port, '/api/events');
    assert.equal(refused.status, 503);
    assert.deepEqual(refused.json, {
      error: 'too many open event streams (64): close some tabs of the view, or reload',
    });
    assertSecurityHeaders(refused.headers, 'the refused stream');
  } finally {
    for (const stream of streams) stream.close();
  }
});

/** A response that queues what is written and never sends it: a reader that stopped reading. */
function stalledResponse() {
  const listeners = new Map();
  return {
    written: [],
    writableLength: 0,
    destroyed: false,
    ended: false,
    writeHead() {
      return this;
    },
    write(chunk) {
      this.written.push(chunk);
      this.writableLength += Buffer.byteLength(chunk);
      return this.writableLength < 16384;
    },
    end() {
      this.ended = true;
    },
    destroy() {
      this.destroyed = true;
      listeners.get('close')?.();
    },
    on(name, listener) {
      listeners.set(name, listener);
      return this;
    },
  };
}

test('an event stream whose reader stopped reading is destroyed once 64 KiB are queued; the others go on', (t) => {
  const { createEventStreams, MAX_UNSENT_BYTES } = require('../../dist/view/web-events.js');
  const store = createFakeStore();
  // A status of ~10 KiB: a few unread events pass the bound.
  store.statusValue.padding = 'x'.repeat(10_000);
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 1_000_000 });
  const streams = createEventStreams(store);
  const stalled = stalledResponse();
  const reading = stalledResponse();
  streams.open({ method: 'GET' }, stalled, {});
  streams.open({ method: 'GET' }, reading, {});
  const sent = [];
  for (let i = 0; i < 8; i++) {
    // The reading one takes what it is sent.
    reading.writableLength = 0;
    store.changed();
    sent.push([stalled.written.length, stalled.destroyed]);
    t.mock.timers.tick(250);
  }
  // The first write (the status at open) and 6 events make 7 × ~10 KiB > 64 KiB: destroyed then, and written no more.
  assert.deepEqual(sent, [
    [2, false],
    [3, false],
    [4, false],
    [5, false],
    [6, false],
    [7, true],
    [7, true],
    [7, true],
  ]);
  assert.equal(stalled.ended, false, 'not ended: an end would wait for the reader');
  assert.equal(reading.written.length, 9);
  assert.equal(reading.destroyed, false);
  assert.equal(store.listenerCount(), 1, 'still listening for the reading stream');
  // The heartbeat goes through the same bound.
  reading.writableLength = MAX_UNSENT_BYTES;
  t.mock.timers.tick(15_000);
  assert.equal(reading.written.at(-1), ': keep-alive\n\n');
  assert.equal(reading.destroyed, true);
  assert.equal(store.listenerCount(), 0, 'no stream left: the store is not listened to');
  streams.close();
  t.mock.timers.reset();
});
