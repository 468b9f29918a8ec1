/**
 * Runs in a worker thread at process exit: posts the OTLP requests that exit-flush.ts serialized, then wakes the
 * main thread. Plain node:http(s) only: this thread loads nothing else.
 */
import { workerData } from 'node:worker_threads';
import * as http from 'node:http';
import * as https from 'node:https';
import type { ExitRequest } from './exit-flush';

const { requests, done, timeoutMillis } = workerData as {
  requests: ExitRequest[];
  done: Int32Array;
  timeoutMillis: number;
};

function post(request: ExitRequest): Promise<void> {
  return new Promise((resolve) => {
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
        res.on('end', resolve);
        res.on('error', () => resolve());
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve());
    req.end(Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength));
  });
}

void Promise.all(requests.map(post)).finally(() => {
  Atomics.store(done, 0, 1);
  Atomics.notify(done, 0);
});
