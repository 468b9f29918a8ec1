/**
 * The Node.js request being handled, for v2 servers that hand the SDK a web-standard `Request` made from it
 * (`createMcpHandler` behind a bundled or home-made Node adapter, as mcp-proxy does; the web-standard transport):
 * the web request has no socket, so the peer's address would be lost. Node publishes every request an HTTP server
 * receives on the `http.server.request.start` diagnostics channel, synchronously, before the app's handler runs; the
 * request is kept there in a store of our own, which everything the handler does from then on inherits. Subscribed
 * once the v2 server package is loaded, so apps without it pay nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';

const REQUEST_START = 'http.server.request.start';
const handling = new AsyncLocalStorage<unknown>();
let watching = false;

function onRequestStart(message: unknown): void {
  handling.enterWith((message as { request?: unknown } | undefined)?.request);
}

export function watchNodeRequests(): void {
  if (watching) return;
  watching = true;
  subscribe(REQUEST_START, onRequestStart);
}

/** The Node.js IncomingMessage whose handling the current code is part of, if any. */
export function nodeRequestBeingHandled(): unknown {
  return watching ? handling.getStore() : undefined;
}
