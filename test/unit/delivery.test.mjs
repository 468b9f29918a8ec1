// Unit tests of delivery: the OTLP exporter that hands each export over at once (exporters.ts), its transport
// (otlp-transport.ts) against small HTTP servers on 127.0.0.1, and what the collectors say (collectors.ts).
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';

const require = createRequire(import.meta.url);
const { createOtlpExporter } = require('../../dist/distro/exporters.js');
const collectors = require('../../dist/distro/collectors.js');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');

/** Our stderr lines, captured while a test runs. */
let lines;
let restore;
beforeEach(() => {
  collectors.resetCollectors();
  lines = [];
  const write = process.stderr.write;
  process.stderr.write = (chunk, ...rest) => {
    const text = String(chunk);
    if (text.startsWith('@x/mcp-otel ')) {
      lines.push(text.trimEnd());
      return true;
    }
    return write.call(process.stderr, chunk, ...rest);
  };
  restore = () => (process.stderr.write = write);
});
afterEach(() => restore());

function spans(...names) {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  for (const name of names) provider.getTracer('delivery-test').startSpan(name).end();
  return memory.getFinishedSpans();
}

/** A server answering each request with `answer(count)` (a status, or 'silent'), counting requests. */
async function server(answer) {
  let count = 0;
  const http = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = answer(++count);
      if (status !== 'silent') res.writeHead(status).end();
    });
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    requests: () => count,
    close: () => {
      http.closeAllConnections();
      return new Promise((resolve) => http.close(resolve));
    },
  };
}

const settings = (url, extra = {}) => ({
  signal: 'traces',
  protocol: 'http/protobuf',
  url: `${url}/v1/traces`,
  headers: {},
  timeoutMillis: 5000,
  compression: 'none',
  ...extra,
});

/** Exports and returns the result the processor got, synchronously. */
function exportNow(exporter, items) {
  let result;
  exporter.export(items, (r) => (result = r));
  return result;
}

test('an export is handed over at once; delivery goes on, and settled() waits for it', async () => {
  const collector = await server(() => 200);
  try {
    const exporter = createOtlpExporter(settings(collector.url));
    const batch = spans('a', 'b');
    assert.deepEqual(exportNow(exporter, batch), { code: 0 }, 'the processor is answered before any request');
    assert.deepEqual(exporter.inFlight, [batch]);
    assert.equal(exporter.inFlightCount(), 2);
    assert.equal(exporter.handedOver, 2);
    await exporter.settled();
    assert.deepEqual(exporter.inFlight, []);
    assert.equal(collector.requests(), 1);
    assert.equal(exporter.collector.state, 'up');
    assert.equal(exporter.collector.everAccepted, true);
    assert.deepEqual(lines, []);
  } finally {
    await collector.close();
  }
});

test('a collector that never answered well: one line, no retry, then silence; a line when it answers, with the counts', async () => {
  let failing = true;
  const collector = await server(() => (failing ? 503 : 200));
  try {
    const exporter = createOtlpExporter(settings(collector.url));
    exportNow(exporter, spans('a'));
    await exporter.settled();
    assert.equal(collector.requests(), 1, 'a collector that never accepted anything is not retried');
    exportNow(exporter, spans('b', 'c'));
    await exporter.settled();
    assert.deepEqual(lines, [
      `@x/mcp-otel warn: cannot send traces to ${collector.url}: HTTP 503 Service Unavailable; dropping them until it answers, one line when it does`,
    ]);
    failing = false;
    exportNow(exporter, spans('d'));
    await exporter.settled();
    assert.deepEqual(lines.slice(1), [`@x/mcp-otel info: ${collector.url} takes telemetry again; dropped while it did not: 3 spans`]);
  } finally {
    await collector.close();
  }
});

test('a collector that accepted before is retried on 503 until it answers', async () => {
  const collector = await server((n) => (n === 2 ? 503 : 200));
  try {
    const exporter = createOtlpExporter(settings(collector.url));
    exportNow(exporter, spans('a'));
    await exporter.settled();
    exportNow(exporter, spans('b'));
    await exporter.settled();
    assert.equal(collector.requests(), 3, 'the 503 was retried once');
    assert.equal(exporter.collector.state, 'up');
    assert.deepEqual(lines, []);
  } finally {
    await collector.close();
  }
});

test('causes in words: refused, a status with its hint, no answer within the timeout', async () => {
  const gone = await server(() => 200);
  const goneUrl = gone.url;
  await gone.close();
  const missing = await server(() => 404);
  const silent = await server(() => 'silent');
  try {
    const refused = createOtlpExporter(settings(goneUrl));
    const notFound = createOtlpExporter(settings(missing.url, { signal: 'logs', url: `${missing.url}/v1/logs` }));
    const slow = createOtlpExporter(settings(silent.url, { timeoutMillis: 300 }));
    exportNow(refused, spans('a'));
    exportNow(notFound, []);
    exportNow(slow, spans('b'));
    await Promise.all([refused.settled(), notFound.settled(), slow.settled()]);
    assert.deepEqual(lines.sort(), [
      `@x/mcp-otel warn: cannot send logs to ${missing.url}: HTTP 404 Not Found (check the endpoint's path: /v1/traces, /v1/metrics, /v1/logs are appended to OTEL_EXPORTER_OTLP_ENDPOINT); dropping them until it answers, one line when it does`,
      `@x/mcp-otel warn: cannot send traces to ${goneUrl}: connection refused (is an OTLP collector listening there?); dropping them until it answers, one line when it does`,
      `@x/mcp-otel warn: cannot send traces to ${silent.url}: no answer within 300 ms; dropping them until it answers, one line when it does`,
    ].sort());
  } finally {
    await Promise.all([missing.close(), silent.close()]);
  }
});

test('once the process is ending: a collector that never accepted is not even asked; the exit line counts it', async () => {
  const collector = await server(() => 503);
  try {
    const exporter = createOtlpExporter(settings(collector.url));
    exportNow(exporter, spans('a'));
    await exporter.settled();
    collectors.beginExit();
    assert.deepEqual(exportNow(exporter, spans('b', 'c')), { code: 0 });
    assert.deepEqual(exporter.inFlight, [], 'nothing sent');
    assert.equal(collector.requests(), 1);
    collectors.reportExit();
    assert.equal(
      lines.at(-1),
      `@x/mcp-otel warn: at exit, 2 spans could not be sent to ${collector.url}: HTTP 503 Service Unavailable; dropped before: 1 span`,
    );
  } finally {
    await collector.close();
  }
});

test('once the process is ending: deliveries to a collector that has not answered for a second are not waited for', async () => {
  const collector = await server(() => 'silent');
  try {
    const exporter = createOtlpExporter(settings(collector.url));
    exportNow(exporter, spans('a'));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(exporter.collector.neverAccepted, true);
    collectors.beginExit();
    await exporter.settledForExit();
    assert.deepEqual(exporter.inFlight, []);
    collectors.reportExit();
    assert.deepEqual(lines, [`@x/mcp-otel warn: at exit, 1 span could not be sent to ${collector.url}: no answer to any request so far`]);
  } finally {
    await collector.close();
  }
});

test('describeCounts and the collectors of one endpoint: signals share it, counts read as words', () => {
  assert.equal(collectors.describeCounts({ traces: 1, metrics: 0, logs: 0 }), '1 span');
  assert.equal(collectors.describeCounts({ traces: 2, metrics: 1, logs: 3 }), '2 spans, 1 metric export and 3 log records');
  assert.equal(collectors.describeCounts({ traces: 0, metrics: 0, logs: 0 }), '');
  const traces = collectors.collectorFor('http://c:4318/v1/traces', 'traces');
  const logs = collectors.collectorFor('http://c:4318/v1/logs', 'logs');
  assert.equal(traces, logs);
  assert.deepEqual([...traces.signals], ['traces', 'logs']);
  assert.notEqual(collectors.collectorFor('http://other:4318/v1/logs', 'logs'), traces);
  // An error's first line only, never its stack; a network code in words.
  assert.deepEqual(collectors.errorFailure(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), {
    cause: 'connection refused',
    hint: 'is an OTLP collector listening there?',
  });
  assert.deepEqual(collectors.errorFailure(new Error('first\n    at stack')), { cause: 'first' });
});
