/**
 * The MCP SDK's private shapes this instrumentation relies on, typed, in one place: nothing else names a private field
 * of the SDK. NB: they were read in `@modelcontextprotocol/sdk` 1.32.2 (the file each comes from is named) and are the
 * same in every 1.x back to 1.0.1 unless a comment says otherwise. SDK v2 (`@modelcontextprotocol/server` and
 * `/client` 2.0.0-2.4.0, read in their 2.4.0 bundles, `dist/src-<hash>.mjs` for Protocol, `dist/public-<hash>.mjs` for
 * Client, `dist/mcp-<hash>.mjs` for McpServer) is marked "v2". A field that is missing or of another type is treated
 * as absent, never trusted.
 */

/** A JSON-RPC message as it crosses a transport (`src/types.ts`: JSONRPCRequest, -Notification, -Response, -Error). */
export interface JsonRpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** The `error` member of a JSON-RPC error response. */
export interface JsonRpcError {
  code?: unknown;
  message?: unknown;
}

export type Method = (this: unknown, ...args: unknown[]) => unknown;

/**
 * `Protocol` (`src/shared/protocol.ts`), the base of `Client` and `Server`: the fields read on an instance.
 * - `_transport` (`transport` is its getter since 1.3; before, only the field);
 * - `_requestMessageId`: the counter request() numbers requests from, synchronously, once its early checks passed;
 * - `fallbackRequestHandler`, `fallbackNotificationHandler`: plain properties the app may set at any time.
 */
export interface SdkProtocol {
  transport?: unknown;
  _transport?: unknown;
  _requestMessageId?: unknown;
  fallbackRequestHandler?: unknown;
  fallbackNotificationHandler?: unknown;
  /** v2: the version the instance speaks: set by initialize, the client's `server/discover` probe, or per request. */
  _negotiatedProtocolVersion?: unknown;
}

/** v2 `Client` (`src/client/client.ts`): the counter `listen()` numbers its `subscriptions/listen` requests from. */
export interface SdkClient {
  _nextListenId?: unknown;
}

/** The JSON-RPC id `listen()` gives its request: `listen:<counter>`, a string that never collides with request ids. */
export function listenRequestId(counter: number): string {
  return `listen:${counter}`;
}

/**
 * v2 `SdkHttpError` (core `src/errors`): what a client transport throws for an HTTP error status; `data.text` is
 * the response body.
 */
export interface SdkHttpErrorLike {
  status?: unknown;
  data?: { text?: unknown };
}

/**
 * v2 multi-round-trip retry (core `inputRequiredDriver.ts`, RETRY_PARAMS_KEYS): the params that make a request the
 * retry of one whose result was `input_required`.
 */
export const RETRY_PARAMS_KEYS = ['inputResponses', 'requestState'] as const;

/**
 * v2 serving entries (server `src/server/createMcpHandler.ts`, `src/server/stdio.ts`): `createMcpHandler()` returns
 * `{ fetch, notify, bus, close }`; `serveStdio(factory, { transport })` creates a `StdioServerTransport` of its
 * module when none is given.
 */
export interface SdkMcpHandler {
  fetch?: unknown;
}
export interface SdkServeStdioOptions {
  transport?: unknown;
}
export const STDIO_SERVER_TRANSPORT_EXPORT = 'StdioServerTransport';

/**
 * The methods of `Protocol.prototype` that are wrapped (`_enqueueTaskMessage` since 1.24, with tasks). v2:
 * `request()` and a handler's `ctx.mcpReq.send` both go through `_requestWithSchemaViaCodec(codec, request, schema,
 * options)`, the one funnel, which is wrapped instead of `request`.
 */
export const PROTOCOL_METHODS = [
  'connect',
  'request',
  '_requestWithSchemaViaCodec',
  'notification',
  '_onrequest',
  '_onnotification',
  '_onresponse',
  '_onclose',
  'setRequestHandler',
  'setNotificationHandler',
  '_enqueueTaskMessage',
] as const;
export type ProtocolMethodName = (typeof PROTOCOL_METHODS)[number];

/** A prototype as patch.ts sees it: named methods, and the symbol that marks it patched. */
export type Prototype = Record<string | symbol, unknown>;

/** v2 `Client.prototype` methods that are wrapped: the connect-time `server/discover` probe, and `listen()`. */
export const CLIENT_METHODS = ['connect', 'listen'] as const;
export type ClientMethodName = (typeof CLIENT_METHODS)[number];

/** The third argument of `request()` (`src/shared/protocol.ts`: RequestOptions): only its abort signal is read. */
export interface RequestOptions {
  signal?: { aborted?: unknown; reason?: unknown };
}

/** The second argument of `_enqueueTaskMessage()` (1.24+, `src/shared/protocol.ts`: QueuedMessage). */
export interface QueuedTaskMessage {
  type?: unknown;
  message?: unknown;
}

/**
 * A transport handed to `connect()` (`src/shared/transport.ts` and the SDK's transports):
 * - `send`, the one way out for every message; `onmessage`, the way in (v2's probe window sets its own);
 * - `sessionId` (Streamable HTTP, both sides) and `protocolVersion` (the client's, kept for a resumed session);
 * - `_stdin` (`src/server/stdio.ts`): the stream whose end is a stdio server's session end;
 * - `_url` (`src/client/streamableHttp.ts`, `src/client/sse.ts`): the server's URL;
 * - `handleRequest` (Streamable HTTP server), `handlePostMessage` (SSE server): the HTTP request that carries messages.
 */
export interface SdkTransport {
  send?: unknown;
  onmessage?: unknown;
  sessionId?: unknown;
  protocolVersion?: unknown;
  _stdin?: unknown;
  _url?: unknown;
  handleRequest?: unknown;
  handlePostMessage?: unknown;
}

/** A call of the transport's original `send`, kept as its parts: no closure is made per message. */
export interface Sender {
  send: Method;
  thisArg: unknown;
  rest: unknown[];
}

export function sendWith(sender: Sender, message: unknown): unknown {
  return sender.send.call(sender.thisArg, message, ...sender.rest);
}

/** The HTTP entry points of server transports, wrapped to remember the request's peer. */
export const HTTP_HANDLER_METHODS = ['handleRequest', 'handlePostMessage'] as const;

/**
 * `McpServer` (`src/server/mcp.ts`, 1.3+): the `Server` it owns, and its tools by name, whose callbacks are
 * `handler` (1.24+) or `callback` (before); v2 calls `executor`, a closure around `handler`.
 */
export interface SdkMcpServer {
  server?: unknown;
  _registeredTools?: unknown;
}
export interface SdkRegisteredTool {
  handler?: unknown;
  callback?: unknown;
  executor?: unknown;
}
export const TOOL_CALLBACK_FIELDS = ['executor', 'handler', 'callback'] as const;

/**
 * The reserved `_meta` keys of the 2026-07-28 revision that tell telemetry something: every request carries the
 * protocol version it speaks (v2 lifts it out of `_meta` inside `_onrequest`; the raw message still has it), and a
 * subscription's notifications carry the id of their `subscriptions/listen` request.
 */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';
export const SUBSCRIPTION_ID_META_KEY = 'io.modelcontextprotocol/subscriptionId';

/**
 * The second argument of `_onrequest` and `_onnotification` (`src/shared/transport.ts` MessageExtraInfo; v2 the same):
 * the auth info of the HTTP request that carried the message (`src/server/auth/types.ts` AuthInfo). Only the client
 * id and the scopes are read; `token` is there too, and is never read.
 */
export interface SdkMessageExtra {
  authInfo?: unknown;
}
export interface SdkAuthInfo {
  clientId?: unknown;
  scopes?: unknown;
}

/** The parts of a Node.js IncomingMessage (or a web Request: `headers.get`) the HTTP peer is read from. */
export interface HttpRequestLike {
  socket?: { remoteAddress?: unknown; remotePort?: unknown };
  httpVersion?: unknown;
  headers?: unknown;
}

/** The params of a JSON-RPC message, when they are an object. */
export function paramsOf(message: { params?: unknown }): Record<string, unknown> | undefined {
  const params = message.params;
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : undefined;
}

export function isObject(value: unknown): value is Record<string | symbol, unknown> {
  return typeof value === 'object' && value !== null;
}

/** A request or notification: a JSON-RPC message with a method. */
export function isMethodMessage(value: unknown): value is JsonRpcMessage & { method: string } {
  return isObject(value) && typeof value.method === 'string';
}

export function isFunction(value: unknown): value is Method {
  return typeof value === 'function';
}

/** A transport object, or undefined: the SDK's field may hold anything an app assigned. */
export function asTransport(value: unknown): (SdkTransport & object) | undefined {
  return isObject(value) ? (value as SdkTransport & object) : undefined;
}

/** The transport a Protocol instance is connected to. */
export function transportOf(protocol: SdkProtocol): (SdkTransport & object) | undefined {
  return asTransport(protocol.transport ?? protocol._transport);
}

export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The `Mcp-Session-Id` a transport has, if any. */
export function sessionIdOf(transport: SdkTransport | undefined): string | undefined {
  return nonEmptyString(transport?.sessionId);
}
