/**
 * The two requests a v2 client sends around its Protocol instead of through it (2026-07-28 revision):
 * - the `server/discover` probe of `connect()` (`versionNegotiation` `auto` or `{ pin }`), sent on the raw transport
 *   before Protocol.connect(), or on a throwaway sibling of a stdio transport (a second server process): its CLIENT
 *   span covers the exchange, from the send to the reply of its id (or, unanswered, to the end of `connect()`);
 * - `listen()` (`subscriptions/listen`), written to the transport directly: its CLIENT span covers the call until
 *   the subscription is acknowledged or refused. The notifications of the subscription are spans of their own.
 */
import { context, createContextKey } from '@opentelemetry/api';
import {
  envelopeVersion,
  resultAttributes,
  serverAttributes,
  startAttributes,
  transportFacts,
  versionOf,
} from './attributes';
import { startOperation } from './operation';
import type { Controller, Operation } from './operation';
import { withTraceContext } from './send';
import { connectionOfTransport } from './transport';
import type { Connection } from './connection';
import { operationContext } from './context';
import { sentPeerIdentity } from './attributes';
import { observe, safely } from './promises';
import { definedByAccessor, interceptHandler, replaceMethodForGood } from './sdk-objects';
import { processWeakMap } from './state';
import { isFunction, isObject, listenRequestId, paramsOf } from './sdk-internals';
import type { JsonRpcMessage, SdkClient, SdkHttpErrorLike, SdkTransport } from './sdk-internals';
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_JSONRPC_REQUEST_ID,
  METHOD_SERVER_DISCOVER,
  METHOD_SUBSCRIPTIONS_LISTEN,
} from './semconv';

type Original = (this: unknown, ...args: unknown[]) => unknown;

/** Set around a v2 Client's connect(): probes sent in it are traced, and the ones left open end with it. */
const PROBING = createContextKey('@x/mcp-otel server/discover probe');
/** Probes awaiting a reply on one transport: a connect() sends one or two; a peer that never answers is bounded. */
const MAX_AWAITED = 16;
/**
 * The answers to a probe that the negotiation expects: -32601, a legacy server (the client falls back to
 * `initialize`), and -32022, an unsupported version (the client probes once more with one the server offers). They
 * are recorded as `rpc.response.status_code`, not as errors (our choice; see the README).
 */
export const NEGOTIATION_CODES: ReadonlySet<unknown> = new Set([-32601, -32022]);

interface Probing {
  readonly ctl: Controller;
  /** Probes sent and not yet answered. */
  readonly open: Set<Operation>;
}

/** `Client.connect()`, with the probes it sends traced. */
export function connectProbing(client: object, original: Original, args: unknown[], ctl: Controller): unknown {
  watchProbeSends(args[0] as SdkTransport & object);
  watchProbeReplies(args[0]);
  const probing: Probing = { ctl, open: new Set() };
  let result: unknown;
  try {
    result = context.with(context.active().setValue(PROBING, probing), () => original.apply(client, args));
  } catch (err) {
    endUnanswered(probing, err);
    throw err;
  }
  return observe(
    result,
    () => endUnanswered(probing),
    (err) => endUnanswered(probing, err),
  );
}

/**
 * The probe is written with the transport's own `send`, on the app's transport or on a new instance of its class
 * (the stdio sibling): the method is wrapped where it is defined, once, and does nothing outside a probing connect.
 */
function watchProbeSends(transport: SdkTransport & object): void {
  let owner: Record<string | symbol, unknown> | null = transport as Record<string | symbol, unknown>;
  try {
    while (owner && !Object.hasOwn(owner, 'send')) owner = Object.getPrototypeOf(owner) as typeof owner;
    if (!owner || owner === Object.prototype) return;
    // A method (a plain property), as the SDK's transports have: an accessor `send` is the app's own and is left
    // alone (setting it would call the app's setter), so its probe goes out untraced.
    const defined = Object.getOwnPropertyDescriptor(owner, 'send');
    if (!defined?.writable || !isFunction(defined.value)) return;
    // Once per owner, by any copy of @x/mcp-otel (sdk-objects.ts).
    replaceMethodForGood(
      owner,
      'send',
      (send) =>
        function send_(this: unknown, message: unknown, ...rest: unknown[]) {
          const probing = context.active().getValue(PROBING) as Probing | undefined;
          if (!probing?.ctl.enabled || !isProbe(message) || !isObject(this) || connectionOfTransport(this))
            return send.call(this, message, ...rest);
          if (probing.ctl.excluded.has(message.method)) return send.call(this, message, ...rest);
          return sendProbe(this as SdkTransport & object, probing, message, send, rest);
        },
      'probe-sends',
    );
  } catch {
    // A frozen or exotic transport: its probe goes out untraced.
  }
}

function isProbe(message: unknown): message is JsonRpcMessage & { method: string } {
  return isObject(message) && message.method === METHOD_SERVER_DISCOVER && message.id !== undefined;
}

function sendProbe(
  transport: SdkTransport & object,
  probing: Probing,
  message: JsonRpcMessage & { method: string },
  send: Original,
  rest: unknown[],
): unknown {
  const params = paramsOf(message);
  const facts = transportFacts(transport);
  const attributes = startAttributes(
    { method: message.method, params, id: message.id as string | number, protocolVersion: envelopeVersion(params) },
    facts,
  );
  serverAttributes(facts, attributes);
  const parent = context.active();
  const operation = startOperation(probing.ctl, {
    side: 'client',
    kind: 'request',
    method: message.method,
    name: message.method,
    attributes,
    parent,
  });
  probing.open.add(operation);
  const end = (reply: JsonRpcMessage) => {
    probing.open.delete(operation);
    endProbe(operation, reply, probing.ctl);
  };
  safely(() => catchReply(transport, message.id, end));
  const ctx = operationContext(parent, operation);
  let sent: unknown;
  try {
    sent = context.with(ctx, () => send.call(transport, withTraceContext(message, ctx), ...rest));
  } catch (err) {
    probing.open.delete(operation);
    operation.endWithException(err);
    throw err;
  }
  return observe(
    sent,
    () => undefined,
    (err) => {
      probing.open.delete(operation);
      endRefusedProbe(operation, err);
    },
  );
}

/**
 * Over HTTP a server that is not modern may refuse the probe with a 4xx (a v1 server: 400, "Server not initialized"):
 * the SDK reads that as a legacy server and falls back, as it does for -32601 over stdio, so it is recorded as the
 * answer it is (`http.response.status_code`, and the JSON-RPC code of the body), not as an error. 401, 403 and 5xx
 * fail the connect, and so does anything else the send throws: the span records the exception (an HTTP refusal's
 * `error.type` is its status code: operation.ts).
 */
function endRefusedProbe(operation: Operation, err: unknown): void {
  const refusal = isObject(err) ? (err as SdkHttpErrorLike) : undefined;
  const status = refusal?.status;
  if (typeof status !== 'number' || status < 400 || status >= 500 || status === 401 || status === 403) {
    operation.endWithException(err);
    return;
  }
  operation.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  const body = isObject(refusal?.data) ? refusal.data.text : undefined;
  const code = typeof body === 'string' ? jsonRpcErrorCode(body) : undefined;
  if (code !== undefined) operation.setStatusCode(String(code));
  operation.end();
}

function jsonRpcErrorCode(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const code = isObject(parsed) && isObject(parsed.error) ? parsed.error.code : undefined;
    return Number.isSafeInteger(code) ? (code as number) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Transports whose `onmessage` is an accessor (an app's own class, probed in place), with the replies awaited on each:
 * the handler the SDK's probe window sets is wrapped as it is set (sdk-objects.ts), which sees each reply once. Reading
 * such a handler back and chaining onto it would call the app's accessor code twice per message.
 */
const awaitedReplies = processWeakMap<object, Map<unknown, (reply: JsonRpcMessage) => void>>(
  'client-probe.awaitedReplies',
);

/** Called before connect(), which is when the SDK sets its probe window's handler. */
function watchProbeReplies(transport: unknown): void {
  if (!isObject(transport) || awaitedReplies.has(transport) || !definedByAccessor(transport, 'onmessage')) return;
  const awaited = new Map<unknown, (reply: JsonRpcMessage) => void>();
  const watching = interceptHandler(
    transport,
    'onmessage',
    (handler) =>
      function (this: unknown, message: unknown, ...rest: unknown[]): unknown {
        if (awaited.size > 0) safely(() => catchAwaited(awaited, message));
        return handler.call(this, message, ...rest);
      },
  );
  if (watching) awaitedReplies.set(transport, awaited);
}

function catchAwaited(awaited: Map<unknown, (reply: JsonRpcMessage) => void>, message: unknown): void {
  if (!isObject(message) || message.method !== undefined) return;
  const onReply = awaited.get(message.id);
  if (!onReply) return;
  awaited.delete(message.id);
  onReply(message as JsonRpcMessage);
}

/**
 * The reply comes to the handler the SDK's probe window set on the transport. On a transport of plain fields (the
 * SDK's, or a sibling of one) that handler is wrapped until the reply; on one with an accessor, the handler was wrapped
 * as it was set (watchProbeReplies).
 */
function catchReply(transport: SdkTransport & object, id: unknown, onReply: (reply: JsonRpcMessage) => void): void {
  const awaited = awaitedReplies.get(transport);
  if (awaited) {
    if (awaited.size >= MAX_AWAITED) awaited.delete(awaited.keys().next().value);
    awaited.set(id, onReply);
    return;
  }
  if (definedByAccessor(transport, 'onmessage')) return;
  const handler = transport.onmessage;
  const catching = function (this: unknown, message: unknown, ...rest: unknown[]): unknown {
    if (isObject(message) && message.id === id && message.method === undefined) {
      if (transport.onmessage === catching) transport.onmessage = handler;
      safely(() => onReply(message as JsonRpcMessage));
    }
    return isFunction(handler) ? handler.call(this, message, ...rest) : undefined;
  };
  transport.onmessage = catching;
}

/** The probe's reply: an answer the negotiation expects, an error, or a result (read as any other: send.ts). */
function endProbe(operation: Operation, reply: JsonRpcMessage, ctl: Controller): void {
  const error = reply.error;
  if (isObject(error)) {
    if (NEGOTIATION_CODES.has(error.code)) operation.setStatusCode(String(error.code));
    else operation.failWithCode(error.code, error.message);
  } else {
    resultAttributes(undefined, operation, reply.result, ctl);
  }
  operation.end();
}

/** Probes without a reply when connect() settles: it failed with `err`, or a later probe was answered. */
function endUnanswered(probing: Probing, err?: unknown): void {
  for (const operation of probing.open) {
    if (err !== undefined) operation.endWithException(err);
    else {
      operation.fail('timeout', 'no reply to the server/discover probe');
      operation.end();
    }
  }
  probing.open.clear();
}

/**
 * `Client.listen()`: `subscriptions/listen`, from the call until the subscription is acknowledged or refused (the
 * caller checked that the method is not excluded).
 */
export function listenTraced(
  client: SdkClient,
  connection: Connection | undefined,
  original: Original,
  args: unknown[],
  ctl: Controller,
): unknown {
  const method = METHOD_SUBSCRIPTIONS_LISTEN;
  const attributes = startAttributes(
    { method, params: undefined, protocolVersion: versionOf(connection) },
    connection?.facts,
  );
  serverAttributes(connection?.facts, attributes);
  if (ctl.capturePeerIdentity) sentPeerIdentity(connection, method, attributes);
  const parent = context.active();
  const operation = startOperation(ctl, { side: 'client', kind: 'request', method, name: method, attributes, parent });
  // The client numbers listen requests `listen:<n>` from this counter, once its early checks passed.
  const counter = client._nextListenId;
  let result: unknown;
  try {
    result = context.with(operationContext(parent, operation), () => original.apply(client, args));
  } catch (err) {
    operation.endWithException(err);
    throw err;
  }
  if (typeof counter === 'number' && client._nextListenId !== counter)
    operation.setAttribute(ATTR_JSONRPC_REQUEST_ID, listenRequestId(counter));
  return observe(
    result,
    () => operation.end(),
    (err) => {
      if (isObject(err) && Number.isSafeInteger(err.code)) {
        operation.failWithCode(err.code, err.message);
        operation.end();
      } else operation.endWithException(err);
    },
  );
}
