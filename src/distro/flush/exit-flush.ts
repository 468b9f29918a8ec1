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
import { countItems } from '../exporters';
import type { OtlpExporter } from '../exporters';
import { errorFailure, httpFailure } from '../collectors';
import type { SendFailure } from '../collectors';

export interface ExitRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

/** A request with where its items came from, for the report of what was not sent. */
export interface SourcedExitRequest extends ExitRequest {
  source: SyncFlushSource;
  /** Items in the body (spans, log records; a metric export counts as one). */
  count: number;
}

/** What became of one exit request. */
export type ExitOutcome = { delivered: true } | { delivered: false; failure: SendFailure };

/** What is not yet delivered, as the exit flush sees it (batchPending for spans and logs, PendingMetrics). */
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
  /** The exporter: its collector, and the deliveries under way. */
  exporter: OtlpExporter;
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
export function collectExitRequests(sources: readonly SyncFlushSource[]): SourcedExitRequest[] {
  const requests: SourcedExitRequest[] = [];
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
    const count = countItems(source.config.signal, source.config.signal === 'metrics' ? items[0] : items);
    requests.push({ url: source.config.url, headers, body, source, count });
  }
  return requests;
}

/**
 * How the worker reports each request, in one Int32 slot: the HTTP status, or one of these (0 while unfinished).
 * Shared with exit-flush-worker.ts.
 */
export const EXIT_NETWORK_ERROR = -1;
export const EXIT_REFUSED = -2;
export const EXIT_NO_ANSWER = -3;

function outcomeOf(slot: number, timeoutMillis: number): ExitOutcome {
  if (slot >= 200 && slot < 300) return { delivered: true };
  if (slot > 0) return { delivered: false, failure: httpFailure(slot, undefined) };
  if (slot === EXIT_REFUSED) return { delivered: false, failure: errorFailure({ code: 'ECONNREFUSED' }) };
  if (slot === EXIT_NETWORK_ERROR) return { delivered: false, failure: { cause: 'network error' } };
  return { delivered: false, failure: { cause: `no answer within the exit bound of ${timeoutMillis} ms` } };
}

/**
 * Posts the requests from a worker thread and blocks the main thread until they are done or the deadline passes.
 * Returns what became of each request.
 */
export function postSynchronously(requests: readonly ExitRequest[], timeoutMillis: number): ExitOutcome[] {
  if (requests.length === 0) return [];
  // Slot 0: the worker is done; slot 1 + i: request i's outcome.
  const state = new Int32Array(new SharedArrayBuffer(4 * (requests.length + 1)));
  const worker = new Worker(join(__dirname, 'exit-flush-worker.js'), {
    workerData: {
      requests: requests.map(({ url, headers, body }) => ({ url, headers, body })),
      state,
      timeoutMillis,
    },
    // The worker must not run the app's preloads (ours included) again.
    execArgv: [],
    env: {},
    stdout: true,
    stderr: true,
  });
  worker.unref();
  Atomics.wait(state, 0, 0, timeoutMillis);
  return requests.map((_, i) => outcomeOf(Atomics.load(state, i + 1), timeoutMillis));
}
