/**
 * The synchronous flush at process exit.
 *
 * The 'exit' event is the last moment any JavaScript runs, and it runs with no event loop: nothing asynchronous can
 * finish. So the pending items are serialized here, on the main thread, and a worker thread posts them while the main
 * thread waits on an Atomics.wait with a deadline. The app's exit is delayed by at most that deadline, and only when
 * something was still pending (a normal exit has flushed at 'beforeExit' already, so there is nothing to send).
 */
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { diag } from '@opentelemetry/api';
import type { OtlpSettings } from '../config';

export interface ExitRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** What is not yet delivered, as the exit flush sees it (PendingItems for spans and logs, PendingMetrics). */
export interface ExitPending {
  readonly size: number;
  /** Every item ever added ('beforeExit' compares it to tell whether anything new was recorded). */
  readonly added: number;
  /** Takes what is to be sent out: used once, at exit. */
  drain(): unknown[];
}

export interface SyncFlushSource {
  config: OtlpSettings;
  pending: ExitPending;
}

const CONTENT_TYPES = { 'http/protobuf': 'application/x-protobuf', 'http/json': 'application/json' } as const;
const SERIALIZER_NAMES = { traces: 'Trace', metrics: 'Metrics', logs: 'Logs' } as const;

interface Serializer {
  serializeRequest(items: unknown): Uint8Array | undefined;
}

/** The OTLP serializer of a source: spans and log records as a list, metrics as one ResourceMetrics. */
function serializer(source: SyncFlushSource): ((items: unknown[]) => Uint8Array | undefined) | undefined {
  const { protocol, signal } = source.config;
  if (protocol === 'grpc') return undefined;
  const transformer = require('@opentelemetry/otlp-transformer') as Record<string, Serializer | undefined>;
  const prefix = protocol === 'http/json' ? 'Json' : 'Protobuf';
  const serialize = transformer[`${prefix}${SERIALIZER_NAMES[signal]}Serializer`];
  if (serialize === undefined) return undefined;
  return signal === 'metrics'
    ? (items) => serialize.serializeRequest(items[0])
    : (items) => serialize.serializeRequest(items);
}

/** Serializes what is pending into one OTLP request per signal. */
export function collectExitRequests(sources: readonly SyncFlushSource[]): ExitRequest[] {
  const requests: ExitRequest[] = [];
  for (const source of sources) {
    if (source.pending.size === 0 || source.config.url === undefined) continue;
    const serialize = serializer(source);
    if (serialize === undefined) {
      diag.debug(`${source.config.signal} pending at exit are lost: no synchronous path for grpc`);
      continue;
    }
    const items = source.pending.drain();
    if (items.length === 0) continue;
    let body = serialize(items);
    if (body === undefined) continue;
    const headers: Record<string, string> = {
      ...source.config.headers,
      'content-type': CONTENT_TYPES[source.config.protocol as keyof typeof CONTENT_TYPES],
    };
    if (source.config.compression === 'gzip') {
      body = gzipSync(body);
      headers['content-encoding'] = 'gzip';
    }
    requests.push({ url: source.config.url, headers, body });
  }
  return requests;
}

/** Posts the requests from a worker thread and blocks the main thread until they are done or the deadline passes. */
export function postSynchronously(requests: ExitRequest[], timeoutMillis: number): boolean {
  if (requests.length === 0) return true;
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(join(__dirname, 'exit-flush-worker.js'), {
    workerData: { requests, done, timeoutMillis },
    // The worker must not run the app's preloads (ours included) again.
    execArgv: [],
    env: {},
    stdout: true,
    stderr: true,
  });
  worker.unref();
  const outcome = Atomics.wait(done, 0, 0, timeoutMillis);
  return outcome !== 'timed-out' && Atomics.load(done, 0) === 1;
}
