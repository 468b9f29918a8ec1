/**
 * The sending side: every request and notification this side sends becomes a CLIENT span, and the trace context goes
 * into `params._meta`.
 * - A request: from `request()` until its promise settles (response, error response, timeout, cancellation or closed
 *   connection); `_onresponse` tells a peer's error response from a local failure.
 * - A notification: where it leaves through `transport.send` (transport.ts), because `notification()` debounces
 *   (several calls, one message) and `request()` sends `notifications/cancelled` to the transport directly.
 */
import { context } from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { paramsOf, serverAttributes, startAttributes } from './attributes';
import type { MessageFacts } from './attributes';
import type { Controller, Operation } from './call';
import { startSession } from './connection';
import type { Connection } from './connection';
import { operationContext } from './context';
import { protocolLogRecord } from './logs';
import { methodRule, spanName } from './methods';
import { observe } from './promises';
import { text } from './status';
import { injectTraceContext } from './propagation';
import { isObject, sendWith, sessionIdOf, transportOf } from './sdk-internals';
import type { JsonRpcError, JsonRpcMessage, RequestOptions, SdkProtocol, SdkTransport, Sender } from './sdk-internals';
import {
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ERROR_TYPE_CANCELLED,
} from './semconv';

type Original = (this: unknown, ...args: unknown[]) => unknown;

/** The `_meta` objects withTraceContext made, so that the transport does not inject into them a second time. */
const injectedMetas = new WeakSet<object>();

/** The CLIENT operation of a message this side sends. */
function startSent(
  connection: Connection | undefined,
  transport: SdkTransport | undefined,
  message: MessageFacts,
  parent: Context,
  ctl: Controller,
): Operation {
  const attributes = startAttributes(
    { ...message, sessionId: sessionIdOf(transport), protocolVersion: connection?.protocolVersion },
    connection?.facts,
  );
  serverAttributes(connection?.facts, attributes);
  return ctl.start(
    'client',
    message.kind ?? 'notification',
    message.method,
    spanName(message.method, message.params),
    attributes,
    parent,
  );
}

/** A copy of the message whose params._meta carries the trace context; the caller's objects are left untouched. */
function withTraceContext<T extends JsonRpcMessage>(message: T, ctx: Context): T {
  const params = paramsOf(message);
  const meta = params?._meta;
  const injected = injectTraceContext(isObject(meta) ? (meta as Record<string, unknown>) : undefined, ctx);
  if (injected === meta || injected === undefined) return message;
  injectedMetas.add(injected);
  return { ...message, params: { ...params, _meta: injected } };
}

/**
 * A request on its way out through the transport: request() traced it and put the context in _meta. SDK 1.0-1.2
 * rebuild _meta when they add a progressToken; only then (a _meta that is not the one request() made) is the context
 * added again here.
 */
export function requestOnTheWire(message: JsonRpcMessage): JsonRpcMessage {
  const meta = paramsOf(message)?._meta;
  return isObject(meta) && injectedMetas.has(meta) ? message : withTraceContext(message, context.active());
}

/** `request()`, traced: the CLIENT span covers the call until its promise settles. */
export function sendRequest(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  original: Original,
  args: unknown[],
  ctl: Controller,
): unknown {
  const [request, resultSchema, options, ...rest] = args as [
    JsonRpcMessage & { method: string },
    unknown,
    RequestOptions | undefined,
    ...unknown[],
  ];
  const { method } = request;
  const params = paramsOf(request);
  const parent = context.active();
  // The SDK numbers requests from this counter, synchronously, once request() has passed its early checks.
  const id = typeof protocol._requestMessageId === 'number' ? protocol._requestMessageId : undefined;
  const operation = ctl.isExcluded(method)
    ? undefined
    : startSent(connection, transportOf(protocol), { method, params, kind: 'request' }, parent, ctl);
  const ctx = operation ? operationContext(parent, operation) : parent;
  const sent = withTraceContext(request, ctx);
  // Registered before the send: an in-memory peer can answer before request() returns.
  if (operation && connection && id !== undefined) connection.pendingClient.set(id, operation);
  let result: unknown;
  try {
    // Inside the CLIENT span: the HTTP request that carries the message nests under it.
    result = context.with(ctx, () => original.call(protocol, sent, resultSchema, options, ...rest));
  } catch (err) {
    if (operation) {
      forget(connection, id, operation);
      operation.endWithException(err);
    }
    throw err;
  }
  if (!operation) return result;
  // The counter moved: the id was sent. It did not (not connected, a capability check, an aborted signal): the request
  // was refused before it had an id, and the id belongs to the next request.
  let sentId: number | undefined;
  if (id !== undefined && protocol._requestMessageId !== id) {
    sentId = id;
    operation.setAttribute(ATTR_JSONRPC_REQUEST_ID, String(id));
  } else {
    forget(connection, id, operation);
  }
  return observe(
    result,
    (value) => settleRequest(protocol, connection, operation, sentId, value, undefined, options),
    (err) => settleRequest(protocol, connection, operation, sentId, undefined, err, options),
  );
}

/** Removes an operation from the pending map, unless the id already belongs to a later one. */
function forget(connection: Connection | undefined, id: number | undefined, operation: Operation): void {
  if (id !== undefined && connection?.pendingClient.get(id) === operation) connection.pendingClient.delete(id);
}

/** `_onresponse`: an error response, kept on the operation of its request for when the promise rejects. */
export function noteErrorResponse(connection: Connection | undefined, response: unknown): void {
  if (!isObject(response) || !isObject(response.error)) return;
  const operation = connection?.pendingClient.get(Number(response.id));
  if (operation) operation.responseError = response.error as JsonRpcError;
}

function settleRequest(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  operation: Operation,
  id: number | undefined,
  value: unknown,
  err: unknown,
  options: RequestOptions | undefined,
): void {
  forget(connection, id, operation);
  const { rule } = operation;
  if (err === undefined) {
    if (rule.negotiates && isObject(value) && typeof value.protocolVersion === 'string') {
      if (connection) {
        connection.protocolVersion = value.protocolVersion;
        startSession(connection, 'client', operation.started);
      }
      operation.setAttribute(ATTR_MCP_PROTOCOL_VERSION, value.protocolVersion);
      const sessionId = sessionIdOf(transportOf(protocol));
      if (sessionId) operation.setAttribute(ATTR_MCP_SESSION_ID, sessionId);
    }
    const resultError = rule.resultError?.(value);
    if (resultError !== undefined) operation.fail(resultError);
    operation.end();
    return;
  }
  const response = operation.responseError;
  const signal = options?.signal;
  if (response) {
    operation.failWithCode(response.code, response.message);
  } else if (signal?.aborted === true) {
    operation.fail(ERROR_TYPE_CANCELLED, signal.reason === undefined ? undefined : text(signal.reason));
  } else if (isObject(err) && Number.isSafeInteger(err.code)) {
    // The SDK's own McpError for a timeout (-32001) or a closed connection (-32000): no response carried it.
    operation.fail(String(err.code), typeof err.message === 'string' ? err.message : undefined);
  } else {
    operation.endWithException(err);
    return;
  }
  operation.end();
}

/** A notification leaving through the transport: its CLIENT span covers the send. */
export function sendNotification(
  connection: Connection,
  message: JsonRpcMessage & { method: string },
  sender: Sender,
): unknown {
  const { ctl } = connection;
  const { method } = message;
  const params = paramsOf(message);
  const parent = context.active();
  const operation = ctl.isExcluded(method)
    ? undefined
    : startSent(connection, connection.transport, { method, params }, parent, ctl);
  if (methodRule(method).protocolLog) ctl.emitLog(protocolLogRecord(params, parent));
  const ctx = operation ? operationContext(parent, operation) : parent;
  const out = withTraceContext(message, ctx);
  let sent: unknown;
  try {
    sent = context.with(ctx, () => sendWith(sender, out));
  } catch (err) {
    operation?.endWithException(err);
    throw err;
  }
  if (!operation) return sent;
  return observe(
    sent,
    () => operation.end(),
    (err) => operation.endWithException(err),
  );
}
