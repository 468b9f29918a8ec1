/**
 * The page's live updates: `GET /api/events` as Server-Sent Events. One subscription to the store is shared by every
 * open page; a burst of stored batches becomes at most one `changed` event per interval (the first at once, the last
 * one of a burst at the end of the interval, so the page always ends up with the latest status).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StoreReader } from './model';

/** At most 4 events a second: the page refetches on each, and a busy app stores a batch every few milliseconds. */
const EVENT_INTERVAL_MS = 250;
/** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** How long the browser waits before reconnecting after the view restarted. */
const RETRY_MS = 2000;
/**
 * Open streams at most: a tab holds one, so 64 is many tabs; beyond it a page (or a script opening streams in a loop)
 * is refused instead of holding sockets and memory without bound.
 */
const MAX_STREAMS = 64;
/**
 * A stream whose unsent output passed this is ended: its reader stopped reading (a suspended tab, a stuck proxy), and
 * what it would get is stale anyway; the browser reconnects when it reads again and gets the current status at once.
 */
export const MAX_UNSENT_BYTES = 64 * 1024;

export interface EventStreams {
  /** Takes a GET /api/events whose headers were already checked; answers it as an event stream kept open. */
  open(req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): void;
  /** Ends every stream and stops listening to the store, so that the server can close. */
  close(): void;
}

export function createEventStreams(store: StoreReader): EventStreams {
  const streams = new Set<ServerResponse>();
  let stopListening: (() => void) | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let pending: NodeJS.Timeout | undefined;
  let lastSentAt = -Infinity;
  let closed = false;

  function send(): void {
    pending = undefined;
    lastSentAt = Date.now();
    let data: string;
    try {
      data = JSON.stringify(store.status());
    } catch {
      // A store that fails to answer now may answer at the next change; the page keeps what it shows.
      return;
    }
    writeAll(`event: changed\ndata: ${data}\n\n`);
  }

  function writeAll(message: string): void {
    for (const res of [...streams]) {
      res.write(message);
      if (res.writableLength > MAX_UNSENT_BYTES) {
        // Destroyed, not ended: an end would wait for the reader to take what is queued, keeping it in memory.
        drop(res);
        res.destroy();
      }
    }
  }

  function changed(): void {
    if (pending || streams.size === 0) return;
    const wait = lastSentAt + EVENT_INTERVAL_MS - Date.now();
    if (wait <= 0) send();
    else pending = unref(setTimeout(send, wait));
  }

  function drop(res: ServerResponse): void {
    if (!streams.delete(res)) return;
    if (streams.size > 0) return;
    stopListening?.();
    stopListening = undefined;
    clearInterval(heartbeat);
    heartbeat = undefined;
    clearTimeout(pending);
    pending = undefined;
  }

  return {
    open(req, res, headers) {
      if (closed) {
        res.writeHead(503, headers).end();
        return;
      }
      if (streams.size >= MAX_STREAMS) {
        const body = JSON.stringify({
          error: `too many open event streams (${MAX_STREAMS}): close some tabs of the view, or reload`,
        });
        res.writeHead(503, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Retry-After': '10' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      res.writeHead(200, { ...headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'X-Accel-Buffering': 'no' });
      if (req.method === 'HEAD') {
        res.end();
        return;
      }
      // The status at once: a page that reconnects after a restart of the view refreshes what it shows.
      res.write(`retry: ${RETRY_MS}\nevent: changed\ndata: ${JSON.stringify(store.status())}\n\n`);
      streams.add(res);
      res.on('close', () => drop(res));
      stopListening ??= store.onChange(changed);
      heartbeat ??= unref(setInterval(() => writeAll(': keep-alive\n\n'), HEARTBEAT_MS));
    },
    close() {
      closed = true;
      for (const res of [...streams]) {
        res.end();
        drop(res);
      }
    },
  };
}

/** Timers of the view never keep the process alive by themselves: its servers do. */
function unref(timer: NodeJS.Timeout): NodeJS.Timeout {
  timer.unref();
  return timer;
}
