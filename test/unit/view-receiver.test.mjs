// The OTLP/HTTP handler of `mcp-otel view` (src/view/receiver.ts) on a real HTTP server on 127.0.0.1, port 0: the
// real OTLP exporters of traces, metrics and logs, protobuf and JSON, get SUCCESS (plain and gzip) with no diag
// warning and their data reaches the sink decoded; hand-made requests pin JSON, deflate, the 413s (declared, streamed,
// decompressed), the 400s with a google.rpc.Status in the sender's encoding, 415, 404, 405, a sink that throws (500,
// and the next request is served), an aborted body; a Host not allowed (421) and any Origin (403) are refused; the
// bytes in flight across requests are bounded (503 with Retry-After) and given back; every refusal is counted and
// reported, and nothing refused reaches the sink.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, createServer, request } from 'node:http';
import { connect } from 'node:net';
import { constants } from 'node:buffer';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { expectedLogs, expectedPoints, expectedSpan, makeLogs, makeMetrics, makeSpans } from '../helpers/sdk-telemetry.mjs';

const require = createRequire(import.meta.url);
const { createOtlpHandler, DEFAULT_MAX_BODY_BYTES } = require(join(process.cwd(), 'dist/view/receiver.js'));

const MAX_BODY = 64 * 1024;
const MAX_LENGTH = constants.MAX_LENGTH;
const STEP_TIMEOUT_MS = 10_000;

let batches = [];
let sinkError;
const rejections = [];
const handler = createOtlpHandler(
  (batch) => {
    if (sinkError) throw sinkError;
    batches.push(batch);
  },
  { maxBodyBytes: MAX_BODY, onRejected: (rejection) => rejections.push(rejection) },
);
// Idle connections are not closed by the server's own keep-alive timer within a test's bound: a connection cut is the
// handler's doing.
const server = createServer({ keepAliveTimeout: 60_000 }, handler);
let base;
/** The Content-Type of each request the server got (the exporters' encoding, seen on the wire). */
const contentTypes = [];
server.on('request', (req) => contentTypes.push(req.headers['content-type']));

before(async () => {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  base = `http://127.0.0.1:${server.address().port}`;
});

after(async () => {
  server.closeAllConnections();
  await Promise.race([
    new Promise((resolve) => server.close(resolve)),
    new Promise((resolve) => setTimeout(resolve, STEP_TIMEOUT_MS).unref()),
  ]);
});

beforeEach(() => {
  contentTypes.length = 0;
  batches = [];
  sinkError = undefined;
  rejections.length = 0;
});

const serialized = (serializer, data) => Buffer.from(serializer.serializeRequest(data));
const spansBody = () => serialized(ProtobufTraceSerializer, makeSpans());

/**
 * One request, answered within the bound: { status, headers, body }. `chunks` are written one by one without a
 * Content-Length (chunked) unless `headers` declare one.
 */
function post(path, { method = 'POST', headers = {}, body, chunks, agent = false, to = base } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(`${to}${path}`, { method, headers, agent }, (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts), reused: req.reusedSocket }),
      );
      res.on('error', reject);
    });
    req.setTimeout(STEP_TIMEOUT_MS, () => req.destroy(new Error(`no answer to ${method} ${path}`)));
    req.on('error', reject);
    if (chunks) {
      for (const chunk of chunks) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

/** google.rpc.Status in the wire format: { code (field 1, varint), message (field 2, string) }. */
function decodeStatus(bytes) {
  let pos = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const status = {};
  while (pos < bytes.length) {
    const key = varint();
    if (key === 0x08) status.code = varint();
    else if (key === 0x12) {
      const length = varint();
      status.message = bytes.toString('utf8', pos, pos + length);
      pos += length;
    } else throw new Error(`unexpected key ${key}`);
  }
  return status;
}

const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

function exportWith(exporter, items) {
  return new Promise((resolve) => exporter.export(items, resolve));
}

const EXPORTERS = {
  protobuf: [OTLPTraceExporter, OTLPLogExporter, OTLPMetricExporter],
  json: [JsonTraceExporter, JsonLogExporter, JsonMetricExporter],
};
for (const [encoding, compression] of [
  ['protobuf', 'none'],
  ['protobuf', 'gzip'],
  ['json', 'none'],
  ['json', 'gzip'],
]) {
  test(`the real OTLP ${encoding} exporters (compression ${compression}) get SUCCESS; the sink gets their data`, async () => {
    const [TraceExporter, LogExporter, MetricExporter] = EXPORTERS[encoding];
    const spans = makeSpans();
    const logs = makeLogs();
    const resourceMetrics = await makeMetrics();
    const options = (path) => ({ url: `${base}${path}`, compression, timeoutMillis: STEP_TIMEOUT_MS });
    // What the exporters would warn about (a response they cannot read, a retry): nothing, to be asserted.
    const warnings = [];
    const keep = (...args) => warnings.push(args.join(' '));
    diag.setLogger({ error: keep, warn: keep, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
    const exporters = [
      new TraceExporter(options('/v1/traces')),
      new LogExporter(options('/v1/logs')),
      new MetricExporter(options('/v1/metrics')),
    ];
    try {
      const results = [
        await exportWith(exporters[0], spans),
        await exportWith(exporters[1], logs),
        await exportWith(exporters[2], resourceMetrics),
      ];
      assert.deepStrictEqual(
        results.map((r) => [r.code, r.error?.message]),
        [
          [ExportResultCode.SUCCESS, undefined],
          [ExportResultCode.SUCCESS, undefined],
          [ExportResultCode.SUCCESS, undefined],
        ],
      );
    } finally {
      await Promise.all(exporters.map((e) => e.shutdown()));
      diag.disable();
    }
    assert.deepStrictEqual(warnings, []);
    const type = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
    assert.deepStrictEqual(contentTypes, [type, type, type]);
    assert.deepStrictEqual(batches, [
      { signal: 'traces', spans: spans.map(expectedSpan) },
      { signal: 'logs', logs: expectedLogs(logs) },
      { signal: 'metrics', points: expectedPoints(resourceMetrics), otherPoints: 3 },
    ]);
    assert.equal(rejections.length, 0);
  });
}

test('protobuf: 200, an empty ExportTraceServiceResponse, application/x-protobuf', async () => {
  const answer = await post('/v1/traces', { headers: PROTOBUF, body: spansBody() });
  assert.deepStrictEqual(
    [answer.status, answer.headers['content-type'], answer.headers['content-length'], answer.body.length],
    [200, 'application/x-protobuf', '0', 0],
  );
  assert.equal(batches.length, 1);
  assert.equal(batches[0].spans.length, 4);
});

test('JSON (a charset parameter allowed, a query string ignored): 200 and {} as application/json', async () => {
  const logs = makeLogs();
  const answer = await post('/v1/logs?x=1', {
    headers: { 'Content-Type': 'Application/JSON; charset=utf-8' },
    body: serialized(JsonLogsSerializer, logs),
  });
  assert.deepStrictEqual([answer.status, answer.headers['content-type'], answer.body.toString()], [200, 'application/json', '{}']);
  assert.deepStrictEqual(batches, [{ signal: 'logs', logs: expectedLogs(logs) }]);
});

test('Content-Encoding gzip, deflate (zlib and raw) and identity are read', async () => {
  const spans = makeSpans();
  const json = serialized(JsonTraceSerializer, spans);
  for (const [encoding, body] of [
    ['gzip', gzipSync(json)],
    ['deflate', deflateSync(json)],
    ['deflate', deflateRawSync(json)],
    ['identity', json],
    ['GZIP ', gzipSync(json)],
  ]) {
    const answer = await post('/v1/traces', { headers: { ...JSON_TYPE, 'Content-Encoding': encoding }, body });
    assert.deepStrictEqual([answer.status, answer.body.toString()], [200, '{}'], encoding);
  }
  assert.deepStrictEqual(batches, Array(5).fill({ signal: 'traces', spans: spans.map(expectedSpan) }));
});

test('413: declared too large (not read), streamed past the bound, decompressed past the bound; nothing stored', async () => {
  const declared = await post('/v1/traces', {
    headers: { ...PROTOBUF, 'Content-Length': String(MAX_BODY + 1) },
    body: Buffer.alloc(MAX_BODY + 1),
  });
  const streamed = await post('/v1/traces', { headers: PROTOBUF, chunks: [Buffer.alloc(MAX_BODY / 2), Buffer.alloc(MAX_BODY)] });
  // A gzip bomb: a few hundred bytes that would become 64 times the bound.
  const bomb = gzipSync(Buffer.alloc(MAX_BODY * 64));
  assert.ok(bomb.length < MAX_BODY / 8);
  const decompressed = await post('/v1/traces', { headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, body: bomb });
  const message = `body larger than ${MAX_BODY} bytes`;
  assert.deepStrictEqual(
    [declared, streamed].map((a) => [a.status, a.headers['content-type'], decodeStatus(a.body)]),
    Array(2).fill([413, 'application/x-protobuf', { code: 8, message }]),
  );
  assert.deepStrictEqual([decompressed.status, JSON.parse(decompressed.body)], [413, { code: 8, message }]);
  assert.deepStrictEqual(batches, []);
  assert.deepStrictEqual(rejections, Array(3).fill({ status: 413, signal: 'traces', message }));
  // A body exactly at the bound is read, plain and decompressed; a byte more is not.
  const padded = (length) => Buffer.from('{}'.padEnd(length, ' '));
  const gzip = { ...JSON_TYPE, 'Content-Encoding': 'gzip' };
  const statuses = [
    (await post('/v1/logs', { headers: JSON_TYPE, chunks: [padded(MAX_BODY)] })).status,
    (await post('/v1/logs', { headers: gzip, body: gzipSync(padded(MAX_BODY)) })).status,
    (await post('/v1/logs', { headers: JSON_TYPE, chunks: [padded(MAX_BODY + 1)] })).status,
    (await post('/v1/logs', { headers: gzip, body: gzipSync(padded(MAX_BODY + 1)) })).status,
  ];
  assert.deepStrictEqual(statuses, [200, 200, 413, 413]);
  assert.deepStrictEqual(batches, Array(2).fill({ signal: 'logs', logs: [] }));
});

test('after a 413 the rest of the body is drained: the connection serves the next request; 4 MiB more and it is cut', async () => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const refused = await post('/v1/traces', { agent, headers: PROTOBUF, chunks: [Buffer.alloc(MAX_BODY), Buffer.alloc(MAX_BODY)] });
    const next = await post('/v1/traces', { agent, headers: PROTOBUF, body: spansBody() });
    assert.deepStrictEqual([refused.status, refused.reused, next.status, next.reused], [413, false, 200, true]);
  } finally {
    agent.destroy();
  }
  // A sender that goes on writing past what is worth draining has its connection cut, whatever it declared.
  const closed = await new Promise((resolve, reject) => {
    const socket = connect(server.address().port, '127.0.0.1', () => {
      socket.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: ${2 ** 30}\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024);
      let written = 0;
      const writeMore = () => {
        while (written < 16 * 1024 * 1024 && !socket.destroyed) {
          written += chunk.length;
          if (!socket.write(chunk)) return socket.once('drain', writeMore);
        }
      };
      writeMore();
    });
    socket.on('error', () => {}); // the cut, seen as a reset or a broken pipe
    socket.on('close', () => resolve(true));
    socket.resume();
    socket.setTimeout(STEP_TIMEOUT_MS, () => {
      socket.destroy();
      reject(new Error('the connection was not cut'));
    });
  });
  assert.equal(closed, true);
  assert.deepStrictEqual([batches.length, batches[0].spans.length], [1, 4]);
});

test('400: a malformed body gets a google.rpc.Status (code 3) in the sender\'s encoding; nothing stored', async () => {
  const protobuf = await post('/v1/traces', { headers: PROTOBUF, body: spansBody().subarray(0, 40) });
  assert.deepStrictEqual(
    [protobuf.status, protobuf.headers['content-type'], decodeStatus(protobuf.body)],
    [400, 'application/x-protobuf', { code: 3, message: 'field 1 is longer than its message' }],
  );
  const json = await post('/v1/metrics', { headers: JSON_TYPE, body: '{"resourceMetrics":7}' });
  assert.deepStrictEqual(
    [json.status, json.headers['content-type'], JSON.parse(json.body)],
    [400, 'application/json', { code: 3, message: 'resourceMetrics is not an array' }],
  );
  const badGzip = await post('/v1/logs', { headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, body: 'not gzip' });
  assert.equal(badGzip.status, 400);
  assert.match(JSON.parse(badGzip.body).message, /^the gzip body does not decompress: /);
  assert.deepStrictEqual(batches, []);
  assert.deepStrictEqual(
    rejections.map((r) => [r.status, r.signal]),
    [
      [400, 'traces'],
      [400, 'metrics'],
      [400, 'logs'],
    ],
  );
});

test('415 for another Content-Type or Content-Encoding, 404 for another path, 405 (Allow: POST) for another method', async () => {
  const text = await post('/v1/traces', { headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  const none = await post('/v1/traces', { body: spansBody() });
  const brotli = await post('/v1/traces', { headers: { ...PROTOBUF, 'Content-Encoding': 'br' }, body: spansBody() });
  const notFound = await post('/v1/trace', { headers: PROTOBUF, body: spansBody() });
  const long = await post(`/${'x'.repeat(5000)}`, { headers: PROTOBUF, body: spansBody() });
  const root = await post('/', { method: 'GET' });
  const get = await post('/v1/metrics', { method: 'GET' });
  const put = await post('/v1/logs', { method: 'PUT', headers: JSON_TYPE, body: '{}' });
  assert.deepStrictEqual(
    [text, none].map((a) => [a.status, a.headers['content-type'], JSON.parse(a.body)]),
    [
      [415, 'application/json', { code: 3, message: 'Content-Type text/plain; OTLP/HTTP is application/x-protobuf or application/json' }],
      [415, 'application/json', { code: 3, message: 'no Content-Type; OTLP/HTTP is application/x-protobuf or application/json' }],
    ],
  );
  assert.deepStrictEqual(
    [brotli.status, decodeStatus(brotli.body)],
    [415, { code: 3, message: 'Content-Encoding br; accepted: gzip, deflate, identity' }],
  );
  assert.deepStrictEqual(
    [notFound.status, decodeStatus(notFound.body)],
    [404, { code: 12, message: 'no OTLP endpoint at /v1/trace; POST to /v1/traces, /v1/metrics or /v1/logs' }],
  );
  assert.deepStrictEqual([root.status, JSON.parse(root.body).code], [404, 12]);
  assert.equal(decodeStatus(long.body).message, `no OTLP endpoint at /${'x'.repeat(99)}...; POST to /v1/traces, /v1/metrics or /v1/logs`);
  assert.deepStrictEqual(
    [get, put].map((a) => [a.status, a.headers.allow, JSON.parse(a.body)]),
    [
      [405, 'POST', { code: 12, message: 'GET is not allowed; OTLP/HTTP is POST' }],
      [405, 'POST', { code: 12, message: 'PUT is not allowed; OTLP/HTTP is POST' }],
    ],
  );
  assert.deepStrictEqual(batches, []);
  assert.deepStrictEqual(
    rejections.map((r) => [r.status, r.signal]),
    [
      [415, 'traces'],
      [415, 'traces'],
      [415, 'traces'],
      [404, undefined],
      [404, undefined],
      [404, undefined],
      [405, 'metrics'],
      [405, 'logs'],
    ],
  );
});

test('the sink throwing: 500 with its message only; the next request is served', async () => {
  sinkError = new Error('database is locked');
  const failed = await post('/v1/traces', { headers: JSON_TYPE, body: serialized(JsonTraceSerializer, makeSpans()) });
  assert.deepStrictEqual([failed.status, JSON.parse(failed.body)], [500, { code: 13, message: 'database is locked' }]);
  sinkError = undefined;
  const next = await post('/v1/traces', { headers: PROTOBUF, body: spansBody() });
  assert.equal(next.status, 200);
  assert.equal(batches.length, 1);
  assert.deepStrictEqual(rejections, [{ status: 500, signal: 'traces', message: 'database is locked' }]);
});

test('an aborted body: nothing stored, no crash, the server still answers', async () => {
  await new Promise((resolve, reject) => {
    const socket = connect(server.address().port, '127.0.0.1', () => {
      socket.write(
        'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 1000\r\n\r\n' +
          'partial',
      );
      setImmediate(() => socket.destroy());
    });
    socket.on('close', resolve);
    socket.on('error', reject);
    socket.setTimeout(STEP_TIMEOUT_MS, () => socket.destroy(new Error('socket timeout')));
  });
  const next = await post('/v1/traces', { headers: PROTOBUF, body: spansBody() });
  assert.equal(next.status, 200);
  assert.equal(batches.length, 1);
});

test('handler.rejected counts every refusal; a listener that throws changes nothing; a bad bound is refused', async () => {
  const throwing = createOtlpHandler(() => {}, {
    onRejected: () => {
      throw new Error('listener bug');
    },
  });
  const local = createServer(throwing);
  await new Promise((resolve) => local.listen(0, '127.0.0.1', resolve));
  try {
    const port = local.address().port;
    const answer = await new Promise((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', path: '/nope', method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode));
      });
      req.setTimeout(STEP_TIMEOUT_MS, () => req.destroy(new Error('no answer')));
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer, 404);
    assert.equal(throwing.rejected, 1);
  } finally {
    local.closeAllConnections();
    local.close();
  }
  const before = handler.rejected;
  await post('/v1/traces', { headers: PROTOBUF, body: Buffer.from([0xff]) });
  await post('/v1/traces', { headers: PROTOBUF, body: spansBody() });
  assert.equal(handler.rejected, before + 1);
  assert.equal(DEFAULT_MAX_BODY_BYTES, 32 * 1024 * 1024);
  assert.throws(() => createOtlpHandler(() => {}, { maxBodyBytes: 0 }), {
    name: 'RangeError',
    message: `maxBodyBytes must be an integer from 1 to ${MAX_LENGTH}, not 0`,
  });
  assert.throws(() => createOtlpHandler(() => {}, { maxBodyBytes: MAX_LENGTH + 1 }), { name: 'RangeError' });
  assert.throws(() => createOtlpHandler(() => {}, { maxBodyBytes: 1.5 }), { name: 'RangeError' });
});

/** A handler of its own on a server of its own, for `run`; closed after it, within the bound. */
async function withHandler(options, run) {
  const own = { batches: [], rejections: [] };
  own.handler = createOtlpHandler((batch) => own.batches.push(batch), {
    ...options,
    onRejected: (rejection) => own.rejections.push(rejection),
  });
  const ownServer = createServer(own.handler);
  await new Promise((resolve, reject) => {
    ownServer.once('error', reject);
    ownServer.listen(0, '127.0.0.1', resolve);
  });
  own.base = `http://127.0.0.1:${ownServer.address().port}`;
  own.port = ownServer.address().port;
  try {
    await run(own);
  } finally {
    ownServer.closeAllConnections();
    await Promise.race([
      new Promise((resolve) => ownServer.close(resolve)),
      new Promise((resolve) => setTimeout(resolve, STEP_TIMEOUT_MS).unref()),
    ]);
  }
}

/** A JSON export request of no items, padded with whitespace to `size` bytes (JSON allows it; the body is valid). */
const paddedJson = (size) => {
  const json = '{"resourceSpans":[]}';
  return Buffer.from(json + ' '.repeat(size - json.length));
};

test('a Host other than the allowed names is 421, any Origin 403: refused unread, with a Status, nothing kept', async () => {
  await withHandler({ allowedHosts: ['127.0.0.1', '[::1]', 'localhost'] }, async (own) => {
    const body = paddedJson(100);
    const sent = (headers) => post('/v1/traces', { to: own.base, headers: { ...JSON_TYPE, ...headers }, body });
    const answers = [
      await sent({}),
      await sent({ Host: `localhost:${own.port}` }),
      await sent({ Host: `[::1]:${own.port}` }),
      await sent({ Host: 'LOCALHOST' }),
      await sent({ Host: `rebound.example:${own.port}` }),
      await sent({ Host: 'localhost.rebound.example' }),
      await sent({ Origin: 'http://rebound.example' }),
      await sent({ Origin: `http://127.0.0.1:${own.port}` }),
      await sent({ Origin: 'null' }),
    ];
    const hostMessage = (host) => ({ code: 7, message: `this receiver does not answer to host ${host}` });
    const originRefusal = {
      code: 7,
      message: 'requests from web pages (with an Origin) are refused; send from an exporter',
    };
    assert.deepStrictEqual(
      answers.map((a) => [a.status, a.status === 200 ? a.body.toString() : JSON.parse(a.body.toString())]),
      [
        [200, '{}'],
        [200, '{}'],
        [200, '{}'],
        [200, '{}'],
        [421, hostMessage(`rebound.example:${own.port}`)],
        [421, hostMessage('localhost.rebound.example')],
        [403, originRefusal],
        [403, originRefusal],
        [403, originRefusal],
      ],
    );
    assert.equal(own.batches.length, 4);
    assert.deepStrictEqual(
      own.rejections.map((r) => r.status),
      [421, 421, 403, 403, 403],
    );
    // In protobuf, the Status is in protobuf.
    const refused = await post('/v1/traces', { to: own.base, headers: { ...PROTOBUF, Host: 'rebound.example' }, body });
    assert.deepStrictEqual([refused.status, decodeStatus(refused.body)], [421, hostMessage('rebound.example')]);
  });
  // Without allowedHosts (the user chose a non-loopback --host), any Host is served; an Origin is still refused.
  const any = await post('/v1/traces', { headers: { ...JSON_TYPE, Host: 'host.docker.internal:4318' }, body: paddedJson(50) });
  const fromPage = await post('/v1/traces', { headers: { ...JSON_TYPE, Origin: 'http://rebound.example' }, body: paddedJson(50) });
  assert.deepStrictEqual([any.status, fromPage.status], [200, 403]);
  assert.equal(batches.length, 1);
});

/** Waits, turn by turn of the event loop (a bounded number, no clock), until `check()` holds. */
async function until(check, what) {
  for (let turns = 0; !check(); turns++) {
    if (turns > 100_000) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Starts a POST of `body` and writes only its first `sent` bytes; `finish()` writes the rest and gives the answer. */
function partialPost(own, body, sent, headers = JSON_TYPE) {
  let answered;
  const answer = new Promise((resolve, reject) => {
    answered = { resolve, reject };
  });
  const req = request(
    `${own.base}/v1/traces`,
    { method: 'POST', agent: false, headers: { ...headers, 'Content-Length': body.length } },
    (res) => {
      const parts = [];
      res.on('data', (part) => parts.push(part));
      res.on('end', () => answered.resolve({ status: res.statusCode, body: Buffer.concat(parts) }));
    },
  );
  req.setTimeout(STEP_TIMEOUT_MS, () => req.destroy(new Error('no answer')));
  req.on('error', (error) => answered.reject(error));
  req.write(body.subarray(0, sent));
  // A request destroyed unfinished rejects: that is for whoever awaits finish() to see, not an unhandled rejection.
  answer.catch(() => {});
  return {
    req,
    finish: () => {
      req.end(body.subarray(sent));
      return answer;
    },
  };
}

test('the bytes in flight across requests are bounded: past the budget 503 with Retry-After; all given back', async () => {
  await withHandler({ maxBodyBytes: 1000, maxInFlightBytes: 1500 }, async (own) => {
    const slow = partialPost(own, paddedJson(900), 890);
    try {
      await until(() => own.handler.inFlightBytes === 890, 'the first 890 bytes held');
      // 890 + 700 > 1500: refused while the first is under way, though each alone is within maxBodyBytes.
      const refused = await post('/v1/traces', { to: own.base, headers: JSON_TYPE, body: paddedJson(700) });
      assert.deepStrictEqual(
        [refused.status, refused.headers['retry-after'], JSON.parse(refused.body.toString())],
        [503, '1', { code: 14, message: 'too many bytes in flight; retry later' }],
      );
      // A small gzip body that decompresses past the budget: its output is held too.
      const gzipped = gzipSync(paddedJson(900));
      assert.ok(gzipped.length < 100);
      const bomb = await post('/v1/traces', {
        to: own.base,
        headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' },
        body: gzipped,
      });
      assert.deepStrictEqual([bomb.status, bomb.headers['retry-after']], [503, '1']);
      // What fits is served meanwhile.
      const fits = await post('/v1/traces', { to: own.base, headers: JSON_TYPE, body: paddedJson(600) });
      assert.equal(fits.status, 200);
      assert.equal(own.handler.inFlightBytes, 890);
      const done = await slow.finish();
      assert.equal(done.status, 200);
    } finally {
      slow.req.destroy();
    }
    assert.equal(own.handler.inFlightBytes, 0);
    const again = await post('/v1/traces', { to: own.base, headers: JSON_TYPE, body: paddedJson(700) });
    const gzipAgain = await post('/v1/traces', {
      to: own.base,
      headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' },
      body: gzipSync(paddedJson(900)),
    });
    assert.deepStrictEqual([again.status, gzipAgain.status], [200, 200]);
    assert.equal(own.batches.length, 4);
    assert.deepStrictEqual(
      own.rejections.map((r) => r.status),
      [503, 503],
    );
    // A peer gone mid-body gives back what it held.
    const gone = partialPost(own, paddedJson(900), 500);
    await until(() => own.handler.inFlightBytes === 500, 'the 500 bytes held');
    gone.req.destroy();
    await until(() => own.handler.inFlightBytes === 0, 'the 500 bytes given back');
    assert.equal(own.handler.inFlightBytes, 0);
  });
});

test('maxInFlightBytes below maxBodyBytes is a RangeError', () => {
  assert.throws(() => createOtlpHandler(() => {}, { maxBodyBytes: 1000, maxInFlightBytes: 999 }), {
    name: 'RangeError',
    message: 'maxInFlightBytes must be an integer of at least maxBodyBytes, not 999',
  });
});
