/**
 * The wrapping of the MCP SDK's `Protocol` class, the common base of `Client` and `Server`: every request and
 * notification sent becomes a CLIENT span, every one received a SERVER span.
 *
 * Where each span starts and ends:
 * - sent request: `Protocol.prototype.request`, from the call until its promise settles (response, error response,
 *   timeout, cancellation or closed connection); `_onresponse` tells a peer's error response from a local failure.
 * - sent notification: the connection's `transport.send`, because `Protocol.prototype.notification` debounces
 *   (several calls, one message) and `request` sends `notifications/cancelled` to the transport directly.
 * - received request: `_onrequest`, until `transport.send` is called with the response of the same id.
 * - received notification: `_onnotification`, until its handler settles (or at once when there is no handler).
 * Handlers run with the SERVER span active. Everything is patched in place on the prototype (no Proxy, which breaks
 * private fields) and on the transport instance handed to `connect`, before the transport starts.
 *
 * Metrics follow the spans: every span is a MeasuredSpan whose end records the operation duration. A session is
 * measured from the `initialize` that succeeded on a connection until the connection closes (for a stdio server,
 * until its stdin ends: the SDK's transport does not close then).
 */
import {
  context,
  createContextKey,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
} from '@opentelemetry/api';
import {
  paramsOf,
  peerAttributes,
  serverAttributes,
  spanName,
  startAttributes,
  transportFacts,
  type HttpPeer,
  type MessageFacts,
  type TransportFacts,
} from './attributes';
import type { LogRecord } from '@opentelemetry/api';
import { protocolLogRecord, withOperation } from './logs';
import { MeasuredSpan, secondsSince, type Side } from './metrics';
import { extractTraceContext, injectTraceContext } from './propagation';
import { asException, errorCodeOutcome, exceptionErrorType, exceptionMessage, isCallerFault } from './status';
import {
  ATTR_ERROR_TYPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ERROR_TYPE_CANCELLED,
  ERROR_TYPE_TOOL_ERROR,
  METHOD_INITIALIZE,
  METHOD_NOTIFICATIONS_CANCELLED,
  METHOD_NOTIFICATIONS_MESSAGE,
  METHOD_TOOLS_CALL,
} from './semconv';

/** What the wrappers ask of the instrumentation that installed them, read at each message. */
export interface Controller {
  readonly enabled: boolean;
  isExcluded(method: string): boolean;
  /** Starts the span of one operation (CLIENT for the sender, SERVER for the receiver) that measures its duration. */
  startSpan(side: Side, name: string, attributes: Attributes, parent: Context, links?: Link[]): MeasuredSpan;
  recordSession(side: Side, seconds: number, attributes: Attributes): void;
  emitLog(record: LogRecord | undefined): void;
}

// The SDK's objects are reached through their (private, but stable across 1.x) field names.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string | symbol, any>;
type AnyFunction = (...args: unknown[]) => unknown;

interface Call {
  span: MeasuredSpan;
  method: string;
  ended: boolean;
}
interface ServerCall extends Call {
  exceptionMessage?: string;
  /** Notifications only: a handler took over the ending of the span. */
  handlerStarted?: boolean;
}
interface ClientCall extends Call {
  responseError?: { code?: unknown; message?: unknown };
}

/** One connection of one Protocol instance: the transport's facts and the calls in flight on it. */
interface Connection {
  transport: Loose;
  facts: TransportFacts;
  protocolVersion?: string;
  /** Received requests waiting for their response, by JSON-RPC id. */
  pendingServer: Map<unknown, ServerCall>;
  /** Sent requests waiting for their response, by JSON-RPC id. */
  pendingClient: Map<number, ClientCall>;
  /** The MCP session on this connection: from the `initialize` that succeeded until the connection closes. */
  session?: { side: Side; started: number };
  /** Stops listening for the end of a stdio server's stdin (the session's end there). */
  stopWatchingStdin?: () => void;
}

const PATCHED = Symbol.for('@x/mcp-otel.patched');
const WRAPPED = Symbol.for('@x/mcp-otel.wrapped');
const SERVER_CALL = createContextKey('@x/mcp-otel server call');
const NOTIFICATION_CALL = createContextKey('@x/mcp-otel notification call');
const HTTP_PEER = createContextKey('@x/mcp-otel http peer');

const connections = new WeakMap<object, Connection>();
/** The `_meta` objects withTraceContext made, so that the transport does not inject into them a second time. */
const injectedMetas = new WeakSet<object>();
const transportConnections = new WeakMap<object, Connection>();
/** McpServer instances by the low-level Server they own, to reach the tool callbacks a tools/call will run. */
const mcpServers = new WeakMap<object, Loose>();

const PROTOCOL_METHODS = [
  'connect',
  'request',
  'notification',
  '_onrequest',
  '_onnotification',
  '_onresponse',
  '_onclose',
  'setRequestHandler',
  'setNotificationHandler',
  '_enqueueTaskMessage',
] as const;

/**
 * The prototype that defines the Protocol methods, found by walking up from any class of the SDK that extends it
 * (`Client`, `Server`, `Protocol` itself), so it does not matter which file or copy of the SDK the class came from.
 */
export function findProtocolPrototype(Class: unknown): Loose | undefined {
  let proto: Loose | null = typeof Class === 'function' ? (Class.prototype as Loose) : null;
  while (proto && proto !== Object.prototype) {
    if (Object.hasOwn(proto, '_onrequest') && Object.hasOwn(proto, 'request') && Object.hasOwn(proto, 'connect')) return proto;
    proto = Object.getPrototypeOf(proto) as Loose | null;
  }
  return undefined;
}

/** McpServer is not a Protocol: it owns a Server and registers the tool, prompt and resource handlers on it. */
export function isMcpServerClass(Class: unknown): boolean {
  if (typeof Class !== 'function') return false;
  const proto = Class.prototype as Loose;
  return typeof proto?.connect === 'function' && typeof proto.tool === 'function' && findProtocolPrototype(Class) === undefined;
}

/** Patches a Protocol prototype once; returns false when it was already patched (by this or another copy of us). */
export function patchProtocol(proto: Loose, ctl: Controller): boolean {
  if (Object.hasOwn(proto, PATCHED)) return false;
  const originals: Record<string, AnyFunction> = {};
  for (const name of PROTOCOL_METHODS) {
    if (typeof proto[name] === 'function') originals[name] = proto[name] as AnyFunction;
  }
  const wrappers: Record<string, (original: AnyFunction) => AnyFunction> = {
    connect: (original) =>
      function connect(this: Loose, transport: unknown, ...rest: unknown[]) {
        if (typeof transport !== 'object' || transport === null) return original.call(this, transport, ...rest);
        const previous = connections.get(this);
        bind(this, transport as Loose, ctl);
        const result = original.call(this, transport, ...rest);
        // The SDK takes the transport synchronously; one it refused ("Already connected") leaves the live binding.
        if (previous && transportOf(this) !== transport) connections.set(this, previous);
        return result;
      },
    request: (original) =>
      function request(this: Loose, ...args: unknown[]) {
        return sendRequest(this, original, args, ctl);
      },
    _onrequest: (original) =>
      function _onrequest(this: Loose, ...args: unknown[]) {
        return receiveRequest(this, original, args, ctl);
      },
    _onnotification: (original) =>
      function _onnotification(this: Loose, ...args: unknown[]) {
        return receiveNotification(this, original, args, ctl);
      },
    _onresponse: (original) =>
      function _onresponse(this: Loose, response: unknown, ...rest: unknown[]) {
        noteErrorResponse(this, response);
        return original.call(this, response, ...rest);
      },
    _onclose: (original) =>
      function _onclose(this: Loose, ...args: unknown[]) {
        const connection = connections.get(this);
        if (connection) {
          endSession(connection, ctl);
          connection.stopWatchingStdin?.();
        }
        try {
          return original.apply(this, args);
        } finally {
          if (connection) endServerCallsOnClose(connection);
        }
      },
    setRequestHandler: (original) =>
      function setRequestHandler(this: Loose, schema: unknown, handler: unknown, ...rest: unknown[]) {
        return original.call(this, schema, recordingExceptions(handler), ...rest);
      },
    // SDK 1.24+: the response to a task-related request is queued for `tasks/result` instead of being sent; the
    // SERVER span of the request ends when its response is queued.
    _enqueueTaskMessage: (original) =>
      function _enqueueTaskMessage(this: Loose, taskId: unknown, queued: unknown, ...rest: unknown[]) {
        const connection = connections.get(this);
        if (connection && ctl.enabled && isObject(queued) && isObject(queued.message) && (queued.type === 'response' || queued.type === 'error')) {
          const response = queued.message;
          const call = connection.pendingServer.get(response.id);
          if (call) {
            connection.pendingServer.delete(response.id);
            endServerCall(connection, call, response);
          }
        }
        return original.call(this, taskId, queued, ...rest);
      },
    setNotificationHandler: (original) =>
      function setNotificationHandler(this: Loose, schema: unknown, handler: unknown, ...rest: unknown[]) {
        return original.call(this, schema, endingNotificationCall(handler), ...rest);
      },
  };
  for (const [name, original] of Object.entries(originals)) {
    const wrap = wrappers[name];
    if (wrap) proto[name] = wrap(original);
  }
  Object.defineProperty(proto, PATCHED, { value: originals, configurable: true });
  return true;
}

/** Tool callbacks of an McpServer are reached through the Server it connects. */
export function patchMcpServer(proto: Loose): boolean {
  if (Object.hasOwn(proto, PATCHED)) return false;
  const original = proto.connect as AnyFunction;
  const originals = { connect: original };
  proto.connect = function connect(this: Loose, ...args: unknown[]) {
    if (typeof this.server === 'object' && this.server !== null) mcpServers.set(this.server as object, this);
    return original.apply(this, args);
  };
  Object.defineProperty(proto, PATCHED, { value: originals, configurable: true });
  return true;
}

/** Puts back the methods of a prototype this module patched. */
export function unpatch(proto: Loose): void {
  const originals = Object.hasOwn(proto, PATCHED) ? (proto[PATCHED] as Record<string, AnyFunction>) : undefined;
  if (!originals) return;
  for (const [name, original] of Object.entries(originals)) proto[name] = original;
  delete proto[PATCHED];
}

function bind(protocol: Loose, transport: Loose, ctl: Controller): Connection {
  const connection: Connection = { transport, facts: transportFacts(transport), pendingServer: new Map(), pendingClient: new Map() };
  // A client that resumes a Streamable HTTP session skips initialize; its transport kept the negotiated version.
  const version = transport.protocolVersion as unknown;
  if (typeof version === 'string' && version !== '') connection.protocolVersion = version;
  connections.set(protocol, connection);
  transportConnections.set(transport, connection);
  wrapTransport(transport, ctl);
  watchStdin(connection, transport, ctl);
  return connection;
}

/**
 * A stdio server's transport does not close when its stdin ends, but the session is over then. The listener goes when
 * the connection closes: an app that connects and closes on the same stdin must not pile listeners up.
 */
function watchStdin(connection: Connection, transport: Loose, ctl: Controller): void {
  const stdin = transport._stdin as NodeJS.ReadableStream | undefined;
  if (!stdin || typeof stdin.once !== 'function' || typeof stdin.off !== 'function') return;
  const onEnd = () => endSession(connection, ctl);
  stdin.once('end', onEnd);
  connection.stopWatchingStdin = () => stdin.off('end', onEnd);
}

/** The connection of a Protocol; one connected before the patch is bound at its first message. */
function connectionOf(protocol: Loose, ctl: Controller): Connection | undefined {
  const known = connections.get(protocol);
  if (known) return known;
  const transport = transportOf(protocol);
  return transport ? bind(protocol, transport, ctl) : undefined;
}

function transportOf(protocol: Loose): Loose | undefined {
  const transport = (protocol.transport ?? protocol._transport) as unknown;
  return typeof transport === 'object' && transport !== null ? (transport as Loose) : undefined;
}

function sessionIdOf(transport: Loose | undefined): string | undefined {
  const id = transport?.sessionId as unknown;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

function wrapTransport(transport: Loose, ctl: Controller): void {
  if (Object.hasOwn(transport, WRAPPED)) return;
  try {
    Object.defineProperty(transport, WRAPPED, { value: true });
    const send = transport.send as unknown;
    if (typeof send === 'function') {
      transport.send = function send_(this: unknown, message: unknown, ...rest: unknown[]) {
        return onSend(transport, send as AnyFunction, this, message, rest, ctl);
      };
    }
    // HTTP server transports are handed the Node.js request: its socket gives client.address and the HTTP version of
    // the MCP messages it carries, which reach _onrequest in the same async context.
    for (const name of ['handleRequest', 'handlePostMessage']) {
      const handle = transport[name] as unknown;
      if (typeof handle !== 'function') continue;
      transport[name] = function (this: unknown, req: unknown, ...rest: unknown[]) {
        const peer = httpPeerOf(req) ?? {};
        return context.with(context.active().setValue(HTTP_PEER, peer), () => (handle as AnyFunction).call(this, req, ...rest));
      };
    }
  } catch {
    // A frozen or exotic transport stays as it is: its messages are still traced where the Protocol sees them.
  }
}

function httpPeerOf(req: unknown): HttpPeer | undefined {
  if (typeof req !== 'object' || req === null) return undefined;
  // A Node.js IncomingMessage has the socket and the HTTP version; a web Request has neither.
  const { socket, httpVersion, headers } = req as {
    socket?: { remoteAddress?: unknown; remotePort?: unknown };
    httpVersion?: unknown;
    headers?: Record<string, unknown>;
  };
  const peer: HttpPeer = {};
  // A Node.js request has a record of headers; a web Request (the web-standard transport) a Headers object.
  const protocolVersion = typeof headers?.get === 'function' ? (headers.get as (name: string) => unknown)('mcp-protocol-version') : headers?.['mcp-protocol-version'];
  if (typeof protocolVersion === 'string') peer.protocolVersion = protocolVersion;
  if (typeof socket?.remoteAddress === 'string') peer.address = socket.remoteAddress;
  if (typeof socket?.remotePort === 'number') peer.port = socket.remotePort;
  if (typeof httpVersion === 'string') peer.httpVersion = httpVersion;
  return peer;
}

/**
 * The context a received message starts from. Only an HTTP server transport calls onmessage in a context that belongs
 * to the message: the HTTP request that carried it (its server span becomes a link, or the parent when _meta has no
 * trace context). Other transports call it in whatever context their stream was opened in (a stdio client's connect(),
 * a Streamable HTTP client's `notifications/initialized`): a span long over, which must be neither parent nor link.
 */
function receiptContext(): Context {
  const active = context.active();
  return active.getValue(HTTP_PEER) !== undefined ? active : ROOT_CONTEXT;
}

function isObject(value: unknown): value is Loose {
  return typeof value === 'object' && value !== null;
}

/** Sent notifications get a CLIENT span and the trace context; responses end the SERVER span of their request. */
function onSend(transport: Loose, send: AnyFunction, thisArg: unknown, message: unknown, rest: unknown[], ctl: Controller): unknown {
  const connection = transportConnections.get(transport);
  if (!ctl.enabled || !connection || !isObject(message)) return send.call(thisArg, message, ...rest);
  if (typeof message.method === 'string') {
    // A request: request() traced it and put the context in _meta. SDK 1.0-1.2 rebuild _meta when they add a
    // progressToken; only then (a _meta that is not the one request() made) is the context added again here.
    if (message.id !== undefined) {
      const meta = paramsOf(message)?._meta;
      const ours = isObject(meta) && injectedMetas.has(meta);
      return send.call(thisArg, ours ? message : withTraceContext(message, context.active()), ...rest);
    }
    return sendNotification(connection, transport, send, thisArg, message, rest, ctl);
  }
  if (message.id === undefined) return send.call(thisArg, message, ...rest);
  const call = connection.pendingServer.get(message.id);
  if (!call) return send.call(thisArg, message, ...rest);
  connection.pendingServer.delete(message.id);
  if (call.method === METHOD_INITIALIZE) {
    const version = (message.result as Loose | undefined)?.protocolVersion as unknown;
    if (typeof version === 'string') connection.protocolVersion = version;
  }
  let sent: unknown;
  try {
    sent = send.call(thisArg, message, ...rest);
  } catch (err) {
    endServerCall(connection, call, message, err);
    throw err;
  }
  return observe(
    sent,
    () => endServerCall(connection, call, message),
    (err) => endServerCall(connection, call, message, err),
  );
}

function sendNotification(
  connection: Connection,
  transport: Loose,
  send: AnyFunction,
  thisArg: unknown,
  message: Loose,
  rest: unknown[],
  ctl: Controller,
): unknown {
  const method = message.method as string;
  const params = paramsOf(message);
  const parent = context.active();
  const span = ctl.isExcluded(method) ? undefined : startSent(connection, transport, { method, params }, parent, ctl);
  if (method === METHOD_NOTIFICATIONS_MESSAGE) ctl.emitLog(protocolLogRecord(params, parent));
  const ctx = span ? operationContext(parent, span) : parent;
  const out = withTraceContext(message, ctx);
  let sent: unknown;
  try {
    sent = context.with(ctx, () => send.call(thisArg, out, ...rest));
  } catch (err) {
    if (span) endWithException(span, err);
    throw err;
  }
  if (!span) return sent;
  const ending = span;
  return observe(
    sent,
    () => ending.end(),
    (err) => endWithException(ending, err),
  );
}

/** A copy of the message whose params._meta carries the trace context; the caller's objects are left untouched. */
function withTraceContext<T extends Loose>(message: T, ctx: Context): T {
  const params = paramsOf(message);
  const meta = params?._meta as Record<string, unknown> | undefined;
  const injected = injectTraceContext(isObject(meta) ? meta : undefined, ctx);
  if (injected === meta || injected === undefined) return message;
  injectedMetas.add(injected);
  return { ...message, params: { ...params, _meta: injected } };
}

function sendRequest(protocol: Loose, original: AnyFunction, args: unknown[], ctl: Controller): unknown {
  const [request, resultSchema, options, ...rest] = args as [Loose, unknown, Loose | undefined, ...unknown[]];
  if (!ctl.enabled || !isObject(request) || typeof request.method !== 'string') return original.apply(protocol, args);
  const method = request.method;
  const params = paramsOf(request);
  const parent = context.active();
  const connection = connectionOf(protocol, ctl);
  // The SDK numbers requests from this counter, synchronously, once request() has passed its early checks.
  const id = typeof protocol._requestMessageId === 'number' ? (protocol._requestMessageId as number) : undefined;
  const call: ClientCall | undefined = ctl.isExcluded(method)
    ? undefined
    : { span: startSent(connection, transportOf(protocol), { method, params }, parent, ctl), method, ended: false };
  const ctx = call ? operationContext(parent, call.span) : parent;
  const sent = withTraceContext(request, ctx);
  // Registered before the send: an in-memory peer can answer before request() returns.
  if (call && connection && id !== undefined) connection.pendingClient.set(id, call);
  let result: unknown;
  try {
    // Inside the CLIENT span: the HTTP request that carries the message nests under it.
    result = context.with(ctx, () => original.call(protocol, sent, resultSchema, options, ...rest));
  } catch (err) {
    if (call) {
      forget(connection, id, call);
      endWithException(call.span, err);
    }
    throw err;
  }
  if (!call) return result;
  const pending = call;
  // The counter moved: the id was sent. It did not (not connected, a capability check, an aborted signal): the request
  // was refused before it had an id, and the id belongs to the next request.
  let sentId: number | undefined;
  if (id !== undefined && protocol._requestMessageId !== id) {
    sentId = id;
    pending.span.setAttribute(ATTR_JSONRPC_REQUEST_ID, String(id));
  } else {
    forget(connection, id, pending);
  }
  return observe(
    result,
    (value) => endClientCall(protocol, connection, pending, sentId, value, undefined, options),
    (err) => endClientCall(protocol, connection, pending, sentId, undefined, err, options),
  );
}

/**
 * Calls onFulfilled or onRejected when a returned promise settles, and hands the caller a promise that settles the
 * same way. The caller gets the derived promise rather than the original so that a rejection nobody handles is still
 * reported as unhandled, as it would be without us (a handler attached to the original alone would silence it).
 */
function observe(value: unknown, onFulfilled: (value: unknown) => void, onRejected: (err: unknown) => void): unknown {
  if (!isThenable(value)) {
    safely(() => onFulfilled(value));
    return value;
  }
  return value.then(
    (result) => {
      safely(() => onFulfilled(result));
      return result;
    },
    (err: unknown) => {
      safely(() => onRejected(err));
      throw err;
    },
  );
}

/** Telemetry must never break the app: a failure in our own bookkeeping is dropped. */
function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // nothing to do: the span is left as it is
  }
}

/** Removes a call from the pending map, unless the id already belongs to a later call. */
function forget(connection: Connection | undefined, id: number | undefined, call: ClientCall): void {
  if (id !== undefined && connection?.pendingClient.get(id) === call) connection.pendingClient.delete(id);
}

function noteErrorResponse(protocol: Loose, response: unknown): void {
  if (!isObject(response) || !isObject(response.error)) return;
  const call = connections.get(protocol)?.pendingClient.get(Number(response.id));
  if (call) call.responseError = response.error as ClientCall['responseError'];
}

function endClientCall(
  protocol: Loose,
  connection: Connection | undefined,
  call: ClientCall,
  id: number | undefined,
  value: unknown,
  err: unknown,
  options: Loose | undefined,
): void {
  forget(connection, id, call);
  const { span } = call;
  if (err === undefined) {
    if (call.method === METHOD_INITIALIZE && isObject(value) && typeof value.protocolVersion === 'string') {
      if (connection) {
        connection.protocolVersion = value.protocolVersion;
        connection.session = { side: 'client', started: span.started };
      }
      span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, value.protocolVersion);
      const sessionId = sessionIdOf(transportOf(protocol));
      if (sessionId) span.setAttribute(ATTR_MCP_SESSION_ID, sessionId);
    }
    if (call.method === METHOD_TOOLS_CALL && isObject(value) && value.isError === true) {
      setError(span, ERROR_TYPE_TOOL_ERROR);
    }
    span.end();
    return;
  }
  const response = call.responseError;
  const signal = options?.signal as { aborted?: boolean; reason?: unknown } | undefined;
  if (response) {
    setErrorCode(span, response.code, response.message, true);
  } else if (signal?.aborted === true) {
    setError(span, ERROR_TYPE_CANCELLED, signal.reason === undefined ? undefined : String(signal.reason));
  } else if (isObject(err) && Number.isSafeInteger(err.code)) {
    // The SDK's own McpError for a timeout (-32001) or a closed connection (-32000): no response carried it.
    setError(span, String(err.code), typeof err.message === 'string' ? err.message : undefined);
  } else {
    endWithException(span, err);
    return;
  }
  span.end();
}

function receiveRequest(protocol: Loose, original: AnyFunction, args: unknown[], ctl: Controller): unknown {
  const [request, extra, ...rest] = args as [Loose, Loose | undefined, ...unknown[]];
  if (!ctl.enabled || !isObject(request) || typeof request.method !== 'string') return original.apply(protocol, args);
  const method = request.method;
  const params = paramsOf(request);
  const ambient = receiptContext();
  const parent = extractTraceContext(params?._meta, ambient);
  if (ctl.isExcluded(method)) {
    return context.with(parent.deleteValue(SERVER_CALL).deleteValue(HTTP_PEER), () => original.apply(protocol, args));
  }
  wrapFallbackHandler(protocol, 'fallbackRequestHandler', recordingExceptions);
  if (method === METHOD_TOOLS_CALL) recordToolExceptions(protocol, params);
  const connection = connectionOf(protocol, ctl);
  const span = startReceived(protocol, connection, { method, params, id: request.id as string | number }, ambient, parent, ctl);
  const call: ServerCall = { span, method, ended: false };
  if (connection) {
    // A peer that reuses an id still in flight: the older span ends now rather than never.
    const earlier = connection.pendingServer.get(request.id);
    if (earlier) endCall(earlier);
    connection.pendingServer.set(request.id, call);
  } else {
    queueMicrotask(() => endCall(call));
  }
  const ctx = handlerContext(parent, span).setValue(SERVER_CALL, call);
  try {
    return context.with(ctx, () => original.call(protocol, request, extra, ...rest));
  } catch (err) {
    connection?.pendingServer.delete(request.id);
    if (!call.ended) {
      call.ended = true;
      endWithException(span, err);
    }
    throw err;
  }
}

function receiveNotification(protocol: Loose, original: AnyFunction, args: unknown[], ctl: Controller): unknown {
  const [notification, ...rest] = args as [Loose, ...unknown[]];
  if (!ctl.enabled || !isObject(notification) || typeof notification.method !== 'string') return original.apply(protocol, args);
  const method = notification.method;
  const params = paramsOf(notification);
  const connection = connectionOf(protocol, ctl);
  if (method === METHOD_NOTIFICATIONS_CANCELLED && connection) endCancelledServerCall(connection, params?.requestId);
  const ambient = receiptContext();
  const parent = extractTraceContext(params?._meta, ambient);
  if (ctl.isExcluded(method)) {
    return context.with(parent.deleteValue(NOTIFICATION_CALL).deleteValue(HTTP_PEER), () => original.apply(protocol, args));
  }
  wrapFallbackHandler(protocol, 'fallbackNotificationHandler', endingNotificationCall);
  const span = startReceived(protocol, connection, { method, params }, ambient, parent, ctl);
  const call: ServerCall = { span, method, ended: false };
  const ctx = handlerContext(parent, span).setValue(NOTIFICATION_CALL, call);
  let returned: unknown;
  try {
    returned = context.with(ctx, () => original.call(protocol, notification, ...rest));
  } catch (err) {
    call.ended = true;
    endWithException(span, err);
    throw err;
  }
  // The SDK starts the handler in a microtask queued before this one; with no handler (or one we did not wrap) the
  // span ends here, when the notification has been dispatched.
  Promise.resolve().then(() => {
    if (!call.handlerStarted) endCall(call);
  });
  return returned;
}

/** The CLIENT span of a message this side sends. */
function startSent(
  connection: Connection | undefined,
  transport: Loose | undefined,
  message: MessageFacts,
  parent: Context,
  ctl: Controller,
): MeasuredSpan {
  const attributes = startAttributes(
    { ...message, sessionId: sessionIdOf(transport), protocolVersion: connection?.protocolVersion },
    connection?.facts,
  );
  serverAttributes(connection?.facts, attributes);
  return ctl.startSpan('client', spanName(message.method, message.params), attributes, parent);
}

/** The SERVER span of a message this side received; `ambient` is the receipt context (the HTTP request's, if any). */
function startReceived(
  protocol: Loose,
  connection: Connection | undefined,
  message: MessageFacts,
  ambient: Context,
  parent: Context,
  ctl: Controller,
): MeasuredSpan {
  const peer = ambient.getValue(HTTP_PEER) as HttpPeer | undefined;
  const attributes = startAttributes(
    {
      ...message,
      sessionId: sessionIdOf(transportOf(protocol)),
      // Stateless Streamable HTTP has no initialize on this connection: the request header tells the version.
      protocolVersion: connection?.protocolVersion ?? peer?.protocolVersion,
    },
    connection?.facts,
  );
  peerAttributes(peer, attributes);
  return ctl.startSpan('server', spanName(message.method, message.params), attributes, parent, ambientLinks(ambient, parent));
}

/** The context code runs in during an operation: its span active, marked with the operation for log records. */
function operationContext(parent: Context, span: MeasuredSpan): Context {
  return withOperation(trace.setSpan(parent, span.span), span.attributes);
}

/**
 * The context a handler runs in. The receipt marker is dropped: an in-process MCP call the handler makes is not an
 * HTTP receipt.
 */
function handlerContext(parent: Context, span: MeasuredSpan): Context {
  return operationContext(parent, span).deleteValue(HTTP_PEER);
}

/** A link to the span that was active when the message arrived (the HTTP server span), unless it is the parent. */
function ambientLinks(ambient: Context, parent: Context): Link[] | undefined {
  const active = trace.getSpanContext(ambient);
  if (!active || !isSpanContextValid(active)) return undefined;
  const chosen = trace.getSpanContext(parent);
  if (chosen && chosen.spanId === active.spanId && chosen.traceId === active.traceId) return undefined;
  return [{ context: active }];
}

function endServerCall(connection: Connection, call: ServerCall, response: Loose, sendError?: unknown): void {
  if (call.ended) return;
  call.ended = true;
  const { span } = call;
  if (call.method === METHOD_INITIALIZE && connection.protocolVersion) {
    span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, connection.protocolVersion);
    // Stateless Streamable HTTP (no session id) has no session, only a connection per request.
    const stateless = connection.facts.protocolName === 'http' && sessionIdOf(connection.transport) === undefined;
    if (sendError === undefined && !isObject(response.error) && !stateless) connection.session = { side: 'server', started: span.started };
  }
  if (sendError !== undefined) {
    endWithException(span, sendError);
    return;
  }
  if (isObject(response.error)) {
    setErrorCode(span, response.error.code, response.error.message, false);
  } else if (call.method === METHOD_TOOLS_CALL && isObject(response.result) && response.result.isError === true) {
    setError(span, ERROR_TYPE_TOOL_ERROR, call.exceptionMessage);
  }
  span.end();
}

/** The peer cancelled: no response will be sent. Like a cancelled gRPC call on a server, this is not an error. */
function endCancelledServerCall(connection: Connection, requestId: unknown): void {
  const call = connection.pendingServer.get(requestId);
  if (!call) return;
  connection.pendingServer.delete(requestId);
  endCall(call);
}

/** The connection closed while requests were being handled: their responses can no longer be sent. */
function endServerCallsOnClose(connection: Connection): void {
  for (const call of connection.pendingServer.values()) {
    if (call.ended) continue;
    call.ended = true;
    setError(call.span, '-32000', 'Connection closed');
    call.span.end();
  }
  connection.pendingServer.clear();
}

/**
 * Records the session's duration, once. A session that closes with requests still in flight (either way) ends with
 * error.type -32000, the SDK's "connection closed".
 */
function endSession(connection: Connection, ctl: Controller): void {
  const session = connection.session;
  if (!session) return;
  connection.session = undefined;
  const attributes: Attributes = {};
  if (connection.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = connection.protocolVersion;
  if (connection.facts.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = connection.facts.networkTransport;
  if (connection.facts.protocolName) attributes[ATTR_NETWORK_PROTOCOL_NAME] = connection.facts.protocolName;
  if (session.side === 'client') serverAttributes(connection.facts, attributes);
  if (connection.pendingServer.size > 0 || connection.pendingClient.size > 0) attributes[ATTR_ERROR_TYPE] = '-32000';
  ctl.recordSession(session.side, secondsSince(session.started), attributes);
}

function endCall(call: Call): void {
  if (call.ended) return;
  call.ended = true;
  call.span.end();
}

/** A JSON-RPC error code on a span, by the rules of status.ts. */
function setErrorCode(span: MeasuredSpan, code: unknown, message: unknown, clientSide: boolean): void {
  const { statusCode, errorType } = errorCodeOutcome(code, clientSide ? 'client' : 'server');
  if (statusCode !== undefined) span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, statusCode);
  if (errorType !== undefined) setError(span, errorType, typeof message === 'string' ? message : undefined);
}

function setError(span: MeasuredSpan, type: string, description?: string): void {
  const attributes: Attributes = { [ATTR_ERROR_TYPE]: type };
  span.setAttributes(attributes);
  span.setStatus(description === undefined ? { code: SpanStatusCode.ERROR } : { code: SpanStatusCode.ERROR, message: description });
}

function endWithException(span: MeasuredSpan, err: unknown): void {
  span.recordException(asException(err));
  setError(span, exceptionErrorType(err), exceptionMessage(err));
  span.end();
}

function recordException(call: ServerCall, err: unknown): void {
  if (call.exceptionMessage !== undefined || call.ended || isCallerFault(err)) return;
  call.span.recordException(asException(err));
  call.exceptionMessage = exceptionMessage(err) ?? '';
}

/**
 * A request handler that records what it throws on the SERVER span of the request it serves, once. The span's status
 * comes later, from the error response the SDK sends.
 */
function recordingExceptions(handler: unknown): unknown {
  if (typeof handler !== 'function' || (handler as Loose)[WRAPPED]) return handler;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const call = context.active().getValue(SERVER_CALL) as ServerCall | undefined;
    if (!call) return (handler as AnyFunction).apply(this, args);
    try {
      const result = (handler as AnyFunction).apply(this, args);
      if (isThenable(result)) {
        return result.then(undefined, (err: unknown) => {
          recordException(call, err);
          throw err;
        });
      }
      return result;
    } catch (err) {
      recordException(call, err);
      throw err;
    }
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  return wrapped;
}

/** A notification handler that ends the SERVER span of the notification it handles when it settles. */
function endingNotificationCall(handler: unknown): unknown {
  if (typeof handler !== 'function' || (handler as Loose)[WRAPPED]) return handler;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const call = context.active().getValue(NOTIFICATION_CALL) as ServerCall | undefined;
    if (!call || call.handlerStarted || call.ended) return (handler as AnyFunction).apply(this, args);
    call.handlerStarted = true;
    const fail = (err: unknown) => {
      if (call.ended) return;
      call.ended = true;
      endWithException(call.span, err);
    };
    try {
      const result = (handler as AnyFunction).apply(this, args);
      if (isThenable(result)) result.then(() => endCall(call), fail);
      else endCall(call);
      return result;
    } catch (err) {
      fail(err);
      throw err;
    }
  };
  Object.defineProperty(wrapped, WRAPPED, { value: true });
  return wrapped;
}

/**
 * McpServer catches what a tool callback throws and answers with an `isError` result, so the exception never reaches
 * the request handler: the callback of the tool about to run is wrapped, in place, just before the call.
 */
function recordToolExceptions(server: Loose, params: Loose | undefined): void {
  const tools = mcpServers.get(server)?._registeredTools as Loose | undefined;
  const name = params?.name as unknown;
  if (!tools || typeof name !== 'string' || !Object.hasOwn(tools, name)) return;
  const tool = tools[name] as Loose | undefined;
  if (!isObject(tool)) return;
  for (const key of ['handler', 'callback']) {
    if (typeof tool[key] === 'function' && !(tool[key] as Loose)[WRAPPED]) tool[key] = recordingExceptions(tool[key]);
  }
}

/** The catch-all handlers are plain properties, set by the app at any time: wrapped at the first message they may serve. */
function wrapFallbackHandler(protocol: Loose, name: string, wrap: (handler: unknown) => unknown): void {
  const handler = protocol[name] as unknown;
  if (typeof handler === 'function' && !(handler as Loose)[WRAPPED]) protocol[name] = wrap(handler);
}

function isThenable(value: unknown): value is Promise<unknown> {
  return isObject(value) && typeof value.then === 'function';
}
