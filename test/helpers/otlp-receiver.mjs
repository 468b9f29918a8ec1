// A real OTLP/HTTP receiver for the tests: decodes protobuf (and JSON) export requests into plain objects with hex ids.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// The generated protobuf code of an older otlp-transformer release: the current one ships no decoders.
const root = require('otlp-proto-root/build/src/generated/root.js');
const collector = root.opentelemetry.proto.collector;
const DECODERS = {
  '/v1/traces': collector.trace.v1.ExportTraceServiceRequest,
  '/v1/metrics': collector.metrics.v1.ExportMetricsServiceRequest,
  '/v1/logs': collector.logs.v1.ExportLogsServiceRequest,
};

const hex = (b64) => (b64 ? Buffer.from(b64, 'base64').toString('hex') : undefined);

/** OTLP AnyValue to a plain JS value. */
export function anyValue(v) {
  if (v == null) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('boolValue' in v) return v.boolValue;
  if ('arrayValue' in v) return (v.arrayValue.values ?? []).map(anyValue);
  if ('kvlistValue' in v) return attributes(v.kvlistValue.values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

export function attributes(list = []) {
  return Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));
}

function flattenTraces(request, meta) {
  const out = [];
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          ...meta,
          resource,
          scope: ss.scope?.name,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: hex(s.parentSpanId),
          name: s.name,
          kind: s.kind,
          start: BigInt(s.startTimeUnixNano ?? 0),
          end: BigInt(s.endTimeUnixNano ?? 0),
          attributes: attributes(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message },
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributes(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId), attributes: attributes(l.attributes) })),
        });
      }
    }
  }
  return out;
}

function flattenMetrics(request, meta) {
  const out = [];
  for (const rm of request.resourceMetrics ?? []) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of rm.scopeMetrics ?? []) {
      for (const m of sm.metrics ?? []) {
        const data = m.histogram ?? m.sum ?? m.gauge ?? m.exponentialHistogram ?? {};
        out.push({
          ...meta,
          resource,
          scope: sm.scope?.name,
          name: m.name,
          unit: m.unit,
          type: m.histogram ? 'histogram' : m.sum ? 'sum' : m.gauge ? 'gauge' : 'other',
          // OTLP AggregationTemporality: 1 delta, 2 cumulative.
          temporality: data.aggregationTemporality,
          dataPoints: (data.dataPoints ?? []).map((p) => ({
            ...p,
            attributes: attributes(p.attributes),
            count: p.count === undefined ? undefined : Number(p.count),
          })),
        });
      }
    }
  }
  return out;
}

function flattenLogs(request, meta) {
  const out = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = attributes(rl.resource?.attributes);
    for (const sl of rl.scopeLogs ?? []) {
      for (const r of sl.logRecords ?? []) {
        out.push({
          ...meta,
          resource,
          scope: sl.scope?.name,
          body: anyValue(r.body),
          severityText: r.severityText,
          severityNumber: r.severityNumber,
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          attributes: attributes(r.attributes),
        });
      }
    }
  }
  return out;
}

/**
 * Starts the receiver on 127.0.0.1 and a free port (or `port`, to stand in again for a receiver that was closed); it
 * records each request at once and answers it `answerDelayMs` later.
 * `spans`, `metrics` and `logs` grow as requests arrive; `requests` records each request's path, headers and the
 * service names of what it carried.
 */
export async function startReceiver({ port: listenPort = 0, answerDelayMs = 0 } = {}) {
  const received = { spans: [], metrics: [], logs: [], requests: [] };
  const waiters = new Set();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const decoder = DECODERS[req.url];
        if (!decoder) {
          res.writeHead(404).end();
          return;
        }
        const json = (req.headers['content-type'] ?? '').includes('json');
        const request = json
          ? JSON.parse(body.toString('utf8'))
          : decoder.toObject(decoder.decode(body), { longs: String, bytes: String, defaults: false });
        const meta = { path: req.url };
        const flatten = { '/v1/traces': flattenTraces, '/v1/metrics': flattenMetrics, '/v1/logs': flattenLogs }[req.url];
        const items = flatten(request, meta);
        // Which processes sent it: the service names of its resources.
        const services = [...new Set(items.map((item) => item.resource['service.name']))];
        received.requests.push({ path: req.url, headers: req.headers, services });
        if (req.url === '/v1/traces') received.spans.push(...items);
        if (req.url === '/v1/metrics') received.metrics.push(...items);
        if (req.url === '/v1/logs') received.logs.push(...items);
        const answer = () => res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end();
        if (answerDelayMs > 0) setTimeout(answer, answerDelayMs);
        else answer();
        for (const w of waiters) w();
      } catch (err) {
        res.writeHead(400).end(String(err));
      }
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(listenPort, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    ...received,
    received,
    url: `http://127.0.0.1:${port}`,
    port,
    /** Resolves with the result of check() once it is truthy; rejects after timeoutMs. */
    waitFor(check, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const attempt = () => {
          const value = check(received);
          if (value) {
            waiters.delete(attempt);
            clearTimeout(timer);
            resolve(value);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(attempt);
          reject(new Error(`receiver: condition not met within ${timeoutMs} ms (spans=${received.spans.length}, metrics=${received.metrics.length}, logs=${received.logs.length})`));
        }, timeoutMs);
        waiters.add(attempt);
        attempt();
      });
    },
    reset() {
      received.spans.length = 0;
      received.metrics.length = 0;
      received.logs.length = 0;
      received.requests.length = 0;
    },
    close() {
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
