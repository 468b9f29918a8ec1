/**
 * The sending side: every request and notification this side sends becomes a CLIENT span, and the trace context goes
 * into `params._meta`.
 * - A request: from `request()` until its promise settles (response, error response, timeout, cancellation or closed
 *   connection); `_onresponse` tells a peer's error response from a local failure.
 * - A notification: where it leaves through `transport.send` (transport.ts), because `notification()` debounces
 *   (several calls, one message) and `request()` sends `notifications/cancelled` to the transport directly.
 */
import { context, trace } from '@opentelemetry/api';
import type { Context, Link } from '@opentelemetry/api';
import { captureRequest, captureResult, resultAttributes, sentAttributes } from './attributes';
import type { MessageFacts } from './attributes';
import { startOperation } from './operation';
import type { Controller, Operation } from './operation';
import { cappedValue } from './caps';
import { startSession } from './connection';
import type { Connection } from './connection';
import { operationContext, rawRequestIn, retriedOperation, retryingContext } from './context';
import { protocolLogRecord } from './logs';
import { methodRule, spanName } from './methods';
import { processValues, processWeakSet } from './state';
import { observe } from './promises';
import { httpRefusalStatus, text } from './status';
import { injectTraceContext } from './context';
import { isObject, paramsOf, RETRY_PARAMS_KEYS, sendWith, sessionIdOf, transportOf } from './sdk-internals';
import type { JsonRpcError, JsonRpcMessage, RequestOptions, SdkProtocol, SdkTransport, Sender } from './sdk-internals';
import {
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ERROR_TYPE_CANCELLED,
  RESULT_TYPE_INPUT_REQUIRED,
} from './semconv';

type Original = (this: unknown, ...args: unknown[]) => unknown;

/** The `_meta` objects withTraceContext made, so that the transport does not inject into them a second time. */
const injectedMetas = processWeakSet<object>('send.injectedMetas');

/** The CLIENT operation of a message this side sends: its attributes (attributes.ts), then its span (operation.ts). */
export function startSent(
  connection: Connection | undefined,
  transport: SdkTransport | undefined,
  message: MessageFacts,
  parent: Context,
  ctl: Controller,
  links?: Link[],
  sentFrom?: Context,
): Operation {
  const facts = { ...message, sessionId: sessionIdOf(transport) };
  const attributes = sentAttributes(facts, connection, ctl);
  const operation = startOperation(ctl, {
    side: 'client',
    kind: message.kind ?? 'notification',
    method: message.method,
    name: spanName(message.method, message.params),
    attributes,
    parent,
    links,
    sentFrom,
  });
  if (ctl.content || ctl.captureContentSizes) captureRequest(ctl, 'client', operation, message.params);
  return operation;
}

/**
 * A copy of the message whose params._meta carries the trace context of `ctx`, in place of any the caller's _meta had
 * (a proxy forwards its caller's; a v2 retry carries the first request's); the caller's objects are left untouched.
 */
export function withTraceContext<T extends JsonRpcMessage>(message: T, ctx: Context): T {
  const params = paramsOf(message);
  const meta = params?._meta;
  const injected = injectTraceContext(isObject(meta) ? (meta as Record<string, unknown>) : undefined, ctx, true);
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
  if (rawDispatch.seen) noteRawRequestId(message);
  const meta = paramsOf(message)?._meta;
  return isObject(meta) && injectedMetas.has(meta) ? message : withTraceContext(message, context.active());
}

/** Set once a host's raw dispatch sent a request (ext-tasks.ts): only then can a request leaving be one. */
const rawDispatch = processValues('send.rawDispatch', () => ({ seen: false }));

/** ext-tasks.ts: a raw dispatch is traced from now on; its requests' ids are read where they leave. */
export function expectRawRequests(): void {
  rawDispatch.seen = true;
}

/**
 * The id a host gave the request its raw dispatch sends (ext-tasks.ts), when this is that request: it leaves in the
 * context of its CLIENT span, which has no id yet.
 */
function noteRawRequestId(message: JsonRpcMessage): void {
  const operation = rawRequestIn(context.active());
  if (operation === undefined || operation.method !== message.method) return;
  if (ATTR_JSONRPC_REQUEST_ID in operation.attributes) return;
  if (typeof message.id === 'string' || typeof message.id === 'number') {
    operation.setAttribute(ATTR_JSONRPC_REQUEST_ID, String(message.id));
  }
}

/**
 * `request()` (v1) or `_requestWithSchemaViaCodec()` (v2), traced: the CLIENT span covers the call until its promise
 * settles. `at` is where the request is in the arguments (0, or 1 after v2's codec); its options are two further on.
 */
export function sendRequest(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  original: Original,
  args: unknown[],
  at: 0 | 1,
  ctl: Controller,
): unknown {
  const request = args[at] as JsonRpcMessage & { method: string };
  const options = args[at + 2] as RequestOptions | undefined;
  const { method } = request;
  const params = paramsOf(request);
  let parent = context.active();
  // v2 retries a request whose result was `input_required` with a new id: a sibling of the first, linked to it; the
  // child of the first when that had no parent, so that one call stays one trace. The retry is the same method with
  // the answers (`inputResponses`) or the server's `requestState`; other requests sent meanwhile (by the app's
  // elicitation or sampling handlers) are not.
  const retried = retryOf(parent, method, params);
  if (retried?.sentFrom) {
    const first = retried.sentFrom;
    parent = trace.getSpanContext(first) ? first : trace.setSpan(first, retried.span);
  }
  // The SDK numbers requests from this counter, synchronously, once request() has passed its early checks.
  const id = typeof protocol._requestMessageId === 'number' ? protocol._requestMessageId : undefined;
  const operation = ctl.excluded.has(method)
    ? undefined
    : startSent(
        connection,
        transportOf(protocol),
        { method, params, kind: 'request' },
        parent,
        ctl,
        retried ? [{ context: retried.span.spanContext() }] : undefined,
        // Only v2 (the funnel) retries: only its requests keep the context they were sent from.
        at === 1 ? parent : undefined,
      );
  const ctx = operation ? operationContext(parent, operation) : parent;
  const sent = args.slice();
  sent[at] = withTraceContext(request, ctx);
  // Registered before the send: an in-memory peer can answer before request() returns.
  if (operation && connection && id !== undefined) connection.pendingClient.set(id, operation);
  let result: unknown;
  try {
    // Inside the CLIENT span: the HTTP request that carries the message nests under it.
    result = context.with(ctx, () => original.apply(protocol, sent));
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
    (value) => settleRequest(protocol, connection, operation, sentId, value, undefined, options, ctl),
    (err) => settleRequest(protocol, connection, operation, sentId, undefined, err, options, ctl),
  );
}

/** The first request this one retries: the same method, with retry params, sent while the first is fulfilled. */
function retryOf(parent: Context, method: string, params: Record<string, unknown> | undefined): Operation | undefined {
  if (params === undefined || !RETRY_PARAMS_KEYS.some((key) => key in params)) return undefined;
  const first = retriedOperation(parent);
  return first?.method === method ? first : undefined;
}

/** Removes an operation from the pending map, unless the id already belongs to a later one. */
function forget(connection: Connection | undefined, id: number | undefined, operation: Operation): void {
  if (id !== undefined && connection?.pendingClient.get(id) === operation) connection.pendingClient.delete(id);
}

/**
 * `_onresponse`: an error response is kept on the operation of its request for when the promise rejects. A result
 * gives its server's identity (attributes.ts), its size (content-size.ts) and its `resultType`. A v2 `input_required`
 * result ends its request's span (it is an answer, not an error), and the returned context is the one the client
 * fulfils it in, so that the retry is tied to this request.
 */
export function noteResponse(connection: Connection | undefined, response: unknown): Context | undefined {
  if (!isObject(response) || connection === undefined) return undefined;
  const operation = connection.pendingClient.get(Number(response.id));
  if (operation === undefined) return undefined;
  if (isObject(response.error)) {
    operation.noteResponseError(response.error as JsonRpcError);
    return undefined;
  }
  const resultType = resultAttributes(connection, operation, response.result, connection.ctl);
  if (resultType !== RESULT_TYPE_INPUT_REQUIRED || !operation.sentFrom) return undefined;
  connection.pendingClient.delete(Number(response.id));
  operation.end();
  return retryingContext(operation, operation.sentFrom);
}

function settleRequest(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  operation: Operation,
  id: number | undefined,
  value: unknown,
  err: unknown,
  options: RequestOptions | undefined,
  ctl: Controller,
): void {
  forget(connection, id, operation);
  // Ended already: its result was `input_required`, and what settles now is the last retry's outcome.
  if (operation.isEnded) return;
  const { rule } = operation;
  if (err === undefined) {
    if (rule.negotiates && isObject(value) && typeof value.protocolVersion === 'string') {
      if (connection) {
        connection.protocolVersion = cappedValue(value.protocolVersion);
        startSession(connection, 'client', operation.started);
      }
      operation.setAttribute(ATTR_MCP_PROTOCOL_VERSION, cappedValue(value.protocolVersion));
      const sessionId = sessionIdOf(transportOf(protocol));
      if (sessionId) operation.setAttribute(ATTR_MCP_SESSION_ID, cappedValue(sessionId));
    }
    if (ctl.content || ctl.captureContentSizes) captureResult(ctl, 'client', operation, value);
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
  } else if (isObject(err) && Number.isSafeInteger(err.code) && httpRefusalStatus(err) === undefined) {
    // The SDK's own McpError for a timeout (-32001) or a closed connection (-32000): no response carried it. (v1's
    // StreamableHTTPError has an HTTP status as its code: an exception, recorded as such.)
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
  const operation = ctl.excluded.has(method)
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
