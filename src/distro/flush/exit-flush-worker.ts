/**
 * Runs in a worker thread at process exit: posts the OTLP requests that exit-flush.ts serialized, then wakes the
 * main thread. Plain node:http(s) only: this thread loads nothing else.
 */
import { workerData } from 'node:worker_threads';
import * as http from 'node:http';
import * as https from 'node:https';
import type { ExitRequest } from './exit-flush';

const { requests, state, timeoutMillis } = workerData as {
  requests: ExitRequest[];
  /** Slot 0: done; slot 1 + i: the outcome of request i (exit-flush.ts: an HTTP status or an EXIT_* code). */
  state: Int32Array;
  timeoutMillis: number;
};
// The same values as EXIT_NETWORK_ERROR, EXIT_REFUSED and EXIT_NO_ANSWER of exit-flush.ts, which this thread does not
// load (it loads node:http(s) and nothing else).
const NETWORK_ERROR = -1;
const REFUSED = -2;
const NO_ANSWER = -3;

function post(request: ExitRequest, slot: number): Promise<void> {
  return new Promise((resolve) => {
    // The first outcome of a request is its outcome (a timeout is followed by the error of the destroyed request).
    const settle = (outcome: number) => {
      if (Atomics.load(state, slot) === 0) Atomics.store(state, slot, outcome);
      resolve();
    };
    const url = new URL(request.url);
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      url,
      {
        method: 'POST',
        headers: { ...request.headers, 'content-length': String(request.body.byteLength) },
        timeout: timeoutMillis,
      },
      (res) => {
        res.resume();
        res.on('end', () => settle(res.statusCode ?? NETWORK_ERROR));
        res.on('error', () => settle(NETWORK_ERROR));
      },
    );
    req.on('timeout', () => {
      settle(NO_ANSWER);
      req.destroy();
    });
    req.on('error', (err: Error & { code?: string }) => settle(err.code === 'ECONNREFUSED' ? REFUSED : NETWORK_ERROR));
    req.end(Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength));
  });
}

void Promise.all(requests.map((request, i) => post(request, i + 1))).finally(() => {
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
});
