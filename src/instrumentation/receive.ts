/**
 * The receiving side, in the order things happen to a message this side receives; every one becomes a SERVER span, a
 * child of the trace context in its `params._meta`, with its handlers running inside it:
 * 1. receipt (`receiveRequest`, `receiveNotification`, from the SDK's `_onrequest` / `_onnotification`, patch.ts, or
 *    an adapter: tmcp.ts, ai-sdk-mcp.ts): the parent from `_meta`, the attributes, the span (operation.ts
 *    `startOperation`), the operation kept by its JSON-RPC id on the connection;
 * 2. the handler runs inside it (`recordingExceptions`, `endingNotification`, the tool callback watched): what it
 *    throws is recorded on the span of the request it serves;
 * 3. the ending: a request's when `transport.send` is called with the response of the same id (`respond`, from
 *    transport.ts), or when it is cancelled, its response is queued for a task (SDK 1.24+), or the connection closes;
 *    a notification's when its handler settles (or at once when there is no handler).
 */
import { context } from '@opentelemetry/api';
import { captureRequest, captureResult, receivedAttributes, resultTypeOf } from './attributes';
import type { MessageFacts } from './attributes';
import { startOperation } from './operation';
import type { Controller, Operation } from './operation';
import { cappedValue } from './caps';
import { startSession } from './connection';
import type { Connection } from './connection';
import { handlerContext, receivedContexts, servedOperation, unmarked } from './context';
import type { Receipt } from './context';
import { methodRule, spanName } from './methods';
import { isThenable, observe } from './promises';
import { isObject, paramsOf, sendWith, sessionIdOf, TOOL_CALLBACK_FIELDS, transportOf } from './sdk-internals';
import type {
  JsonRpcMessage,
  QueuedTaskMessage,
  SdkMcpServer,
  SdkProtocol,
  SdkRegisteredTool,
  Sender,
} from './sdk-internals';
import { ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_RESULT_TYPE } from './semconv';
import { wrapFunctionOnce } from './sdk-objects';
import { processValues, processWeakMap } from './state';

type Original = (this: unknown, ...args: unknown[]) => unknown;
type Received = JsonRpcMessage & { method: string };

/** McpServer instances by the low-level Server they own, to reach the tool callbacks a tools/call will run. */
const mcpServers = processWeakMap<object, SdkMcpServer>('receive.mcpServers');
/**
 * An adapter that answers some messages itself (the v2 serving entries, entry.ts) is told of every message a Server
 * received; set only once such an adapter exists, so that nothing else is on this path.
 */
const receipts = processValues('receive.receiptWatcher', (): { watcher?: (message: object) => void } => ({}));

/** entry.ts: be told of every message a Server receives from now on. */
export function watchReceipts(watcher: (message: object) => void): void {
  receipts.watcher = watcher;
}

/** McpServer.connect(): remembers the McpServer of its Server. */
export function rememberMcpServer(mcpServer: SdkMcpServer & object): void {
  if (isObject(mcpServer.server)) mcpServers.set(mcpServer.server, mcpServer);
}

/** `_onrequest`: the handler runs inside the request's SERVER span. */
export function receiveRequest(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  original: Original,
  args: unknown[],
  ctl: Controller,
): unknown {
  const [request] = args as [Received];
  const { method } = request;
  const params = paramsOf(request);
  receipts.watcher?.(request);
  const receipt = receivedContexts(params);
  const rule = methodRule(method);
  wrapFallbackHandler(protocol, 'fallbackRequestHandler', recordingExceptions);
  if (rule.runsToolCallback) recordToolExceptions(protocol, params);
  const sessionId = sessionIdOf(transportOf(protocol));
  const message: MessageFacts = { method, params, id: request.id as string | number, kind: 'request', rule, sessionId };
  const operation = startReceived(connection, message, args[1], receipt, ctl);
  if (connection) {
    // A peer that reuses an id still in flight: the older span ends now rather than never.
    connection.pendingServer.get(request.id)?.end();
    connection.pendingServer.set(request.id, operation);
  } else {
    queueMicrotask(() => operation.end());
  }
  try {
    return context.with(handlerContext(receipt.parent, operation), () => original.apply(protocol, args));
  } catch (err) {
    connection?.pendingServer.delete(request.id);
    operation.endWithException(err);
    throw err;
  }
}

/** `_onrequest` of an excluded method: no span, and the handler still runs in the context `_meta` carries. */
export function receiveExcludedRequest(protocol: SdkProtocol, original: Original, args: unknown[]): unknown {
  const [request] = args as [Received];
  receipts.watcher?.(request);
  const { parent } = receivedContexts(paramsOf(request));
  return context.with(unmarked(parent), () => original.apply(protocol, args));
}

/** `_onnotification`: the handler runs inside the notification's SERVER span, which ends when it settles. */
export function receiveNotification(
  protocol: SdkProtocol,
  connection: Connection | undefined,
  original: Original,
  args: unknown[],
  ctl: Controller,
): unknown {
  const [notification] = args as [Received];
  const { method } = notification;
  const params = paramsOf(notification);
  receipts.watcher?.(notification);
  const rule = methodRule(method);
  if (rule.cancels && connection) endCancelled(connection, params?.requestId);
  const receipt = receivedContexts(params);
  if (ctl.excluded.has(method)) return context.with(unmarked(receipt.parent), () => original.apply(protocol, args));
  wrapFallbackHandler(protocol, 'fallbackNotificationHandler', endingNotification);
  const sessionId = sessionIdOf(transportOf(protocol));
  const message: MessageFacts = { method, params, kind: 'notification', rule, sessionId };
  const operation = startReceived(connection, message, args[1], receipt, ctl);
  let returned: unknown;
  try {
    returned = context.with(handlerContext(receipt.parent, operation), () => original.apply(protocol, args));
  } catch (err) {
    operation.endWithException(err);
    throw err;
  }
  // The SDK starts the handler in a microtask queued before this one; with no handler (or one we did not wrap) the
  // span ends here, when the notification has been dispatched.
  void Promise.resolve().then(() => {
    if (!operation.endingTakenOver) operation.end();
  });
  return returned;
}

/** The SERVER operation of a message received: its attributes (attributes.ts), then its span (operation.ts). */
function startReceived(
  connection: Connection | undefined,
  message: MessageFacts,
  extra: unknown,
  receipt: Receipt,
  ctl: Controller,
): Operation {
  const attributes = receivedAttributes(message, connection, receipt.httpPeer, extra, ctl);
  const operation = startOperation(ctl, {
    side: 'server',
    kind: message.kind ?? 'request',
    method: message.method,
    rule: message.rule,
    name: spanName(message.method, message.params),
    attributes,
    parent: receipt.parent,
    links: receipt.links,
  });
  if (ctl.content || ctl.captureContentSizes) captureRequest(ctl, 'server', operation, message.params);
  return operation;
}

/**
 * A request handler that records what it throws on the SERVER span of the request it serves, once. The span's status
 * comes later, from the error response the SDK sends.
 */
export function recordingExceptions(handler: unknown): unknown {
  return wrapOnce(
    handler,
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const operation = servedOperation();
        if (!operation || operation.kind !== 'request') return original.apply(this, args);
        try {
          const result = original.apply(this, args);
          // The SDK gets the handler's own promise, observed on the side: a derived one settles a tick later, and a
          // request received after this one could be answered first (a v2 server answered a pipelined tools/list
          // before initialize). The SDK handles the rejection, so the side observer silences nothing. Another
          // thenable is followed as before: calling its `then` twice could run it twice (a lazy query object).
          if (result instanceof Promise) result.then(undefined, (err: unknown) => operation.noteException(err));
          else if (isThenable(result))
            return result.then(undefined, (err: unknown) => {
              operation.noteException(err);
              throw err;
            });
          return result;
        } catch (err) {
          operation.noteException(err);
          throw err;
        }
      },
  );
}

/** A notification handler that ends the SERVER span of the notification it handles when it settles. */
export function endingNotification(handler: unknown): unknown {
  return wrapOnce(
    handler,
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const operation = servedOperation();
        if (!operation || operation.kind !== 'notification' || !operation.takeOverEnding())
          return original.apply(this, args);
        try {
          const result = original.apply(this, args);
          if (isThenable(result)) {
            result.then(
              () => operation.end(),
              (err: unknown) => operation.endWithException(err),
            );
          } else {
            operation.end();
          }
          return result;
        } catch (err) {
          operation.endWithException(err);
          throw err;
        }
      },
  );
}

/**
 * McpServer catches what a tool callback throws and answers with an `isError` result, so the exception never reaches
 * the request handler: the callback of the tool about to run is wrapped, in place, just before the call.
 */
function recordToolExceptions(server: object, params: Record<string, unknown> | undefined): void {
  const tools = mcpServers.get(server)?._registeredTools;
  const name = params?.name;
  if (!isObject(tools) || typeof name !== 'string' || !Object.hasOwn(tools, name)) return;
  const tool = tools[name];
  if (!isObject(tool)) return;
  for (const field of TOOL_CALLBACK_FIELDS) {
    const callback = (tool as SdkRegisteredTool)[field];
    const wrapped = recordingExceptions(callback);
    if (wrapped !== callback) (tool as SdkRegisteredTool)[field] = wrapped;
  }
}

/** The catch-all handlers are plain properties the app may set at any time: wrapped at the first message they serve. */
function wrapFallbackHandler(
  protocol: SdkProtocol,
  name: 'fallbackRequestHandler' | 'fallbackNotificationHandler',
  wrap: (handler: unknown) => unknown,
): void {
  const handler = protocol[name];
  if (handler === undefined) return;
  const wrapped = wrap(handler);
  if (wrapped !== handler) protocol[name] = wrapped;
}

/** Returns `handler` wrapped once (sdk-objects.ts), or as it is when it is not a function or already wrapped. */
function wrapOnce(handler: unknown, wrap: (handler: Original) => Original): unknown {
  return wrapFunctionOnce('request-handler', handler, wrap);
}

/** The response to a received request, on its way out through the transport: its sending ends the SERVER span. */
export function respond(connection: Connection, message: JsonRpcMessage, sender: Sender): unknown {
  const operation = connection.pendingServer.get(message.id);
  if (!operation) return sendWith(sender, message);
  connection.pendingServer.delete(message.id);
  if (operation.rule.negotiates && isObject(message.result) && typeof message.result.protocolVersion === 'string') {
    connection.protocolVersion = cappedValue(message.result.protocolVersion);
  }
  let sent: unknown;
  try {
    sent = sendWith(sender, message);
  } catch (err) {
    endResponded(connection, operation, message, err);
    throw err;
  }
  return observe(
    sent,
    () => endResponded(connection, operation, message),
    (err) => endResponded(connection, operation, message, err),
  );
}

/** `_enqueueTaskMessage` (SDK 1.24+): the response to a task-related request is queued for `tasks/result`. */
export function queueTaskMessage(connection: Connection, queued: unknown): void {
  if (!isObject(queued)) return;
  const { type, message } = queued as QueuedTaskMessage;
  if ((type !== 'response' && type !== 'error') || !isObject(message)) return;
  const response = message as JsonRpcMessage;
  const operation = connection.pendingServer.get(response.id);
  if (!operation) return;
  connection.pendingServer.delete(response.id);
  endResponded(connection, operation, response);
}

/** Ends the SERVER operation of a request by its response (tmcp.ts ends its own with it too). */
export function endResponded(
  connection: Connection,
  operation: Operation,
  response: JsonRpcMessage,
  sendError?: unknown,
): void {
  if (operation.isEnded) return;
  if (operation.rule.negotiates && connection.protocolVersion) {
    operation.setAttribute(ATTR_MCP_PROTOCOL_VERSION, connection.protocolVersion);
    // Stateless Streamable HTTP (no session id) has no session, only a connection per request.
    const stateless = connection.facts.protocolName === 'http' && sessionIdOf(connection.transport) === undefined;
    if (sendError === undefined && !isObject(response.error) && !stateless)
      startSession(connection, 'server', operation.started);
  }
  if (sendError !== undefined) {
    operation.endWithException(sendError);
    return;
  }
  if (isObject(response.error)) {
    operation.failWithCode(response.error.code, response.error.message);
  } else {
    const { result } = response;
    const { ctl } = connection;
    if (ctl.content || ctl.captureContentSizes) captureResult(ctl, 'server', operation, result);
    const resultType = resultTypeOf(result);
    if (resultType !== undefined) operation.setAttribute(ATTR_MCP_RESULT_TYPE, resultType);
    const { rule } = operation;
    const resultError = rule.resultError?.(result);
    if (resultError !== undefined) {
      // A result that reports a failure; one that is the caller's (invalid arguments) is recorded as its code alone.
      // Not a result that a real exception made (its message may read like a caller fault's).
      const callerFault =
        operation.exceptionMessage === undefined
          ? (operation.callerFaultCode ?? rule.resultCallerFault?.(result))
          : undefined;
      if (callerFault !== undefined) operation.failWithCode(callerFault, undefined);
      else operation.fail(resultError, operation.exceptionMessage);
    }
  }
  operation.end();
}

/** The peer cancelled: no response will be sent. Like a cancelled gRPC call on a server, this is not an error. */
function endCancelled(connection: Connection, requestId: unknown): void {
  const operation = connection.pendingServer.get(requestId);
  if (!operation) return;
  connection.pendingServer.delete(requestId);
  operation.end();
}

/** The connection closed while requests were being handled: their responses can no longer be sent. */
export function endAllOnClose(connection: Connection): void {
  for (const operation of connection.pendingServer.values()) {
    operation.fail('-32000', 'Connection closed');
    operation.end();
  }
  connection.pendingServer.clear();
}
