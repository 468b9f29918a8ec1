// Collectors that misbehave, on 127.0.0.1, for the tests of what the preload does when export fails: each answers
// every OTLP request the same way and counts the requests. `refusedUrl()` is an address where nothing listens.
import { createServer } from 'node:http';

/**
 * mode: `silent` (accepts the connection and the request, never answers), `slow` (answers 200 after `delayMs`),
 * `status` (answers `status`, with `retryAfter` seconds as Retry-After when given).
 */
export async function startStubCollector({ mode, delayMs = 3000, status = 503, retryAfter } = {}) {
  const requests = [];
  const timers = new Set();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests.push(req.url);
      if (mode === 'silent') return;
      if (mode === 'slow') {
        const timer = setTimeout(() => res.end(), delayMs);
        timers.add(timer);
        return;
      }
      if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
      res.writeHead(status).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A URL on 127.0.0.1 where nothing listens: a port taken from the system, then released. */
export async function refusedUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
