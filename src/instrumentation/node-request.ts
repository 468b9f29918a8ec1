/**
 * The peer of the Node.js request being handled, for v2 servers that hand the SDK a web-standard `Request` made from
 * it (`createMcpHandler` behind a bundled or home-made Node adapter, as mcp-proxy has; the web-standard transport):
 * the web request has no socket, so the peer's address would be lost. Node publishes every request an HTTP server
 * receives on the `http.server.request.start` diagnostics channel, synchronously, before the app's handler runs; its
 * peer (not the request: nothing is kept alive) is put in a store of our own there, which everything the handler does
 * from then on inherits. Subscribed once the v2 server package is loaded, so apps without it pay nothing.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { HttpPeer } from './attributes';
import { cappedValue } from './caps';
import { isFunction, isObject } from './sdk-internals';
import type { HttpRequestLike } from './sdk-internals';
import { processValues } from './state';

const REQUEST_START = 'http.server.request.start';
const handling = new AsyncLocalStorage<HttpPeer>();
const requests = processValues('node-request.watching', () => ({ watched: false }));

/** The address, port and HTTP version of a Node.js IncomingMessage (`protocolVersion` is the caller's to add). */
export function nodePeerOf(req: HttpRequestLike): HttpPeer {
  const { socket, httpVersion } = req;
  const peer: HttpPeer = {};
  if (typeof socket?.remoteAddress === 'string') peer.address = socket.remoteAddress;
  if (typeof socket?.remotePort === 'number') peer.port = socket.remotePort;
  if (typeof httpVersion === 'string') peer.httpVersion = httpVersion;
  return peer;
}

function onRequestStart(message: unknown): void {
  const request = (message as { request?: unknown } | undefined)?.request;
  if (typeof request === 'object' && request !== null) handling.enterWith(nodePeerOf(request as HttpRequestLike));
}

export function watchNodeRequests(): void {
  if (requests.watched) return;
  requests.watched = true;
  // After resetProcessState(), the subscription made before is not made twice.
  unsubscribe(REQUEST_START, onRequestStart);
  subscribe(REQUEST_START, onRequestStart);
}

/** The peer of the Node.js request whose handling the current code is part of, if any. */
export function peerBeingHandled(): HttpPeer | undefined {
  return requests.watched ? handling.getStore() : undefined;
}

/**
 * The peer of an HTTP request a server transport or a v2 entry was handed (transport.ts, entry.ts): a Node.js
 * IncomingMessage, or a web Request.
 */
export function httpPeerOf(req: unknown): HttpPeer | undefined {
  if (!isObject(req)) return undefined;
  // A Node.js IncomingMessage has the socket and the HTTP version; a web Request has neither: they come from the
  // Node.js request it was made from, when there is one (peerBeingHandled).
  const { headers, socket } = req as HttpRequestLike;
  const peer: HttpPeer = isObject(socket) ? nodePeerOf(req as HttpRequestLike) : { ...peerBeingHandled() };
  // A Node.js request has a record of headers; a web Request (the web-standard transport) a Headers object.
  const protocolVersion = isObject(headers)
    ? isFunction(headers.get)
      ? headers.get('mcp-protocol-version')
      : headers['mcp-protocol-version']
    : undefined;
  if (typeof protocolVersion === 'string') peer.protocolVersion = cappedValue(protocolVersion);
  return peer;
}
