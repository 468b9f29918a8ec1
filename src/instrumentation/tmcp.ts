/**
 * tmcp (github.com/paoloricciuti/tmcp): an MCP server library with its own JSON-RPC, not the MCP SDK. Every message a
 * transport receives goes through one method, `McpServer.prototype.receive(message, ctx)`, which resolves to the
 * response (or null for a notification): the SERVER span runs from that call until the promise settles, built with
 * the same builders as an SDK server's (attributes.ts, receive.ts, operation.ts), so the spans and metrics are the
 * same. The handler runs inside the span's context; what a tool, prompt or resource callback throws is recorded on
 * it (tmcp answers it with a JSON-RPC error, -32603, where the SDK's McpServer answers with an `isError` result: the
 * span says what the server answered).
 *
 * Which transport a server is served by (`network.transport`, the session of a stdio server) is learnt when the
 * transport is constructed with the server: the transport classes of `@tmcp/transport-stdio`, `@tmcp/transport-http`
 * and `@tmcp/transport-sse` are exported through a Proxy whose construct trap notes the server (a Proxy keeps the
 * class's name, statics, prototype, `instanceof` and subclassing; the instances are the class's own).
 */
import { context, diag } from '@opentelemetry/api';
import type { Attributes, Context } from '@opentelemetry/api';
import { captureRequest, receivedAttributes, startAttributes, versionOf } from './attributes';
import type { HttpPeer, MessageFacts, TransportFacts } from './attributes';
import { startOperation } from './operation';
import type { Controller, Operation } from './operation';
import { cappedValue } from './caps';
import { endSession } from './connection';
import type { Connection } from './connection';
import { ATTR_GEN_AI_TOOL_CALL_RESULT, requestContent, resultContent } from './content';
import { requestSizes, sizeResult } from './content-size';
import { handlerContext, operationContext, receivedContexts, servedOperation, unmarked, withHttpPeer } from './context';
import { withTraceContext } from './send';
import { protocolLogRecord } from './logs';
import { methodRule, spanName } from './methods';
import { sentPeerIdentity } from './attributes';
import { peerBeingHandled, watchNodeRequests } from './node-request';
import { observe, safely } from './promises';
import { isFunction, isMethodMessage, isObject, nonEmptyString, paramsOf } from './sdk-internals';
import type { JsonRpcMessage, Prototype, SdkTransport } from './sdk-internals';
import { constructingOnce, replaceMethods } from './sdk-objects';
import type { MethodWrappers } from './sdk-objects';
import { endResponded, recordingExceptions } from './receive';
import { ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_SESSION_ID } from './semconv';
import { processWeakMap, processWeakSet } from './state';

type Original = (this: unknown, ...args: unknown[]) => unknown;

/**
 * The packages hooked by name (ES modules only: tmcp publishes no CommonJS). Their main entries need no pattern in the
 * loader hook's include list: import-in-the-middle includes a package's main entry by the name a Hook gives.
 */
export const TMCP_PACKAGES = ['tmcp', '@tmcp/transport-stdio', '@tmcp/transport-http', '@tmcp/transport-sse'];

/** The registration methods whose `execute` callback is watched for exceptions. */
const REGISTRATIONS = ['tool', 'prompt', 'resource', 'template'] as const;

type TransportKind = 'stdio' | 'http';

/** The transport packages: the class each exports, and what it carries. */
const TRANSPORTS: Record<string, [string, TransportKind] | undefined> = {
  '@tmcp/transport-stdio': ['StdioTransport', 'stdio'],
  '@tmcp/transport-http': ['HttpTransport', 'http'],
  // The older HTTP+SSE transport: the same `respond(request)` entry.
  '@tmcp/transport-sse': ['SseTransport', 'http'],
};

const FACTS: Record<TransportKind, TransportFacts> = {
  stdio: { networkTransport: 'pipe' },
  http: { networkTransport: 'tcp', protocolName: 'http' },
};

/** What is known of one tmcp server: the transport that serves it and, for stdio, its one connection. */
interface ServerState {
  kind?: TransportKind;
  /** stdio (or a transport we do not know): one connection for the life of the server. */
  connection?: Connection;
  watchingStdin?: boolean;
  /** Requests this server sent (sampling, elicitation, roots), by JSON-RPC id, until their response is received. */
  pendingClient?: Map<unknown, Operation>;
  /** HTTP: the connections of the sessions an `initialize` opened, by session id, until their DELETE. */
  sessions?: Map<string, Connection>;
}

const servers = processWeakMap<object, ServerState>('tmcp.servers');
/** The server each tracked transport instance serves (an HTTP DELETE ends a session of that server). */
const transportServers = processWeakMap<object, object>('tmcp.transportServers');
/**
 * HTTP sessions kept at most per server: a client that never sends DELETE leaves its session here; past this many the
 * oldest is dropped (its duration is not recorded).
 */
const MAX_HTTP_SESSIONS = 10_000;

/** The second argument of `receive()`, as the tmcp transports pass it. */
interface ReceiveContext {
  sessionId?: unknown;
  auth?: unknown;
}

/** tmcp's McpServer: a class whose prototype has receive(), tool() and on(). */
export function isTmcpServerClass(Class: unknown): boolean {
  if (!isFunction(Class)) return false;
  const proto = Class.prototype as Prototype | undefined;
  return isFunction(proto?.receive) && isFunction(proto?.tool) && isFunction(proto?.on);
}

/**
 * The module of one tmcp package, as the hook hands it: McpServer's prototype patched (returned, for the caller to
 * remember), a transport class replaced by its Proxy. Returns undefined when the module is not the expected shape.
 */
export function instrumentTmcpModule(
  exports: Record<string, unknown>,
  name: string,
  ctl: Controller,
): { proto: Prototype; patch: (proto: Prototype) => boolean } | undefined {
  if (name === 'tmcp') {
    const Server = exports.McpServer;
    if (!isTmcpServerClass(Server)) {
      diag.debug('tmcp: McpServer is not the shape expected (receive, tool, on); left alone');
      return undefined;
    }
    return { proto: (Server as { prototype: Prototype }).prototype, patch: (proto) => patchTmcpServer(proto, ctl) };
  }
  const transport = TRANSPORTS[name];
  if (transport === undefined) return undefined;
  const [exportName, kind] = transport;
  const Transport = exports[exportName];
  if (!isFunction(Transport)) {
    diag.debug(`${name}: no ${exportName} class; left alone`);
    return undefined;
  }
  const tracking = trackingTransport(Transport, kind, ctl);
  if (tracking === undefined) return undefined;
  exports[exportName] = tracking;
  if (kind !== 'http') return undefined;
  // A web Request made from a Node.js one has no socket: its peer is kept where it is received (node-request.ts).
  watchNodeRequests();
  return { proto: Transport.prototype as Prototype, patch: (proto) => patchHttpRespond(proto, ctl) };
}

/**
 * `HttpTransport.prototype.respond(request)` (and SseTransport's), the entry of one HTTP request: the messages it
 * hands the server are received in a context marked with the request's peer and its `mcp-protocol-version` header,
 * as the SDK's HTTP server transports mark theirs (context.ts): the HTTP SERVER span active there becomes a link of
 * each MCP span.
 */
function patchHttpRespond(proto: Prototype, ctl: Controller): boolean {
  if (!isFunction(proto.respond)) return false;
  return replaceMethods(proto, { respond: (respond) => respondTraced(respond, ctl) });
}

function respondTraced(respond: Original, ctl: Controller): Original {
  return function respondTraced(this: unknown, ...args: unknown[]) {
    const request = args[0];
    if (!ctl.enabled || !isObject(request)) return respond.apply(this, args);
    const peer: HttpPeer = { ...peerBeingHandled() };
    const headers = request.headers;
    let closing: string | undefined;
    if (isObject(headers) && isFunction(headers.get)) {
      const version = nonEmptyString(headers.get('mcp-protocol-version'));
      if (version !== undefined) peer.protocolVersion = cappedValue(version);
      if (request.method === 'DELETE') closing = nonEmptyString(headers.get('mcp-session-id'));
    }
    const returned = context.with(withHttpPeer(context.active(), peer), () => respond.apply(this, args));
    if (closing === undefined) return returned;
    // The client ends its session: once the transport has answered, the session's duration is recorded.
    const server = isObject(this) ? transportServers.get(this) : undefined;
    const end = () => {
      if (server !== undefined) endHttpSession(server, closing);
    };
    return observe(returned, end, end);
  };
}

/**
 * The transport class, constructed as it is, noting which server it serves; undefined when it is such a Proxy already
 * (of any copy of @x/mcp-otel: sdk-objects.ts).
 */
function trackingTransport(Transport: object, kind: TransportKind, ctl: Controller): object | undefined {
  return constructingOnce('tmcp-transport', Transport, (instance, args) => {
    const server = args[0];
    if (ctl.enabled && isObject(server)) {
      stateOf(server).kind = kind;
      transportServers.set(instance, server);
    }
  });
}

function stateOf(server: object): ServerState {
  let state = servers.get(server);
  if (state === undefined) {
    state = {};
    servers.set(server, state);
  }
  return state;
}

/** Patches tmcp's McpServer prototype once; false when it was already patched (by this or another copy of us). */
export function patchTmcpServer(proto: Prototype, ctl: Controller): boolean {
  const wrappers: Record<string, MethodWrappers[string]> = {
    receive: (receive) =>
      function receiveTraced(this: object, ...args: unknown[]) {
        if (!ctl.enabled) return receive.apply(this, args);
        if (!isMethodMessage(args[0])) {
          // A response to a request this server sent: it ends that request's CLIENT span.
          safely(() => endAnswered(this, args[0], ctl));
          return receive.apply(this, args);
        }
        return receiveTmcp(this, receive, args, ctl);
      } as Original,
    // The transports take what the server sends through its `send` event (see: Sent messages, below).
    on: (on) =>
      function onWatched(this: object, ...args: unknown[]) {
        if (args[0] !== 'send' || !isFunction(args[1])) return on.apply(this, args);
        const copy = args.slice();
        copy[1] = sendingTraced(this, args[1] as Original, ctl);
        return on.apply(this, copy);
      } as Original,
  };
  for (const name of REGISTRATIONS) {
    wrappers[name] = (register) =>
      function registerWatched(this: object, ...args: unknown[]) {
        const returned = register.apply(this, args);
        watchCallback(args[0]);
        return returned;
      } as Original;
  }
  return replaceMethods(proto, wrappers);
}

/**
 * tmcp stores the options object it was given, with `execute` set on it, and calls `stored.execute(...)`: the
 * callback is wrapped there, once (the wrapper is marked), after tmcp has set it.
 */
function watchCallback(stored: unknown): void {
  if (!isObject(stored) || !isFunction(stored.execute)) return;
  try {
    const wrapped = recordingExceptions(stored.execute);
    if (wrapped !== stored.execute) stored.execute = wrapped;
  } catch {
    // A frozen or accessor `execute`: the callback runs unwatched, its exception is not recorded.
  }
}

/** One received request or notification, traced: the handler runs inside its SERVER span. */
function receiveTmcp(server: object, original: Original, args: unknown[], ctl: Controller): unknown {
  const message = args[0] as JsonRpcMessage & { method: string };
  const received = isObject(args[1]) ? (args[1] as ReceiveContext) : undefined;
  const { method } = message;
  const params = paramsOf(message);
  const receipt = receivedContexts(params);
  const { parent } = receipt;
  if (ctl.excluded.has(method)) return context.with(unmarked(parent), () => original.apply(server, args));

  const isRequest = message.id !== undefined && message.id !== null;
  const state = stateOf(server);
  const connection = connectionFor(server, state, received, ctl);
  const peer = state.kind === 'http' ? (receipt.httpPeer ?? peerBeingHandled()) : undefined;
  const facts: MessageFacts = {
    method,
    params,
    id: isRequest ? (message.id as string | number) : undefined,
    kind: isRequest ? 'request' : 'notification',
    sessionId: nonEmptyString(received?.sessionId),
  };
  const attributes = receivedAttributes(facts, connection, peer, { authInfo: received?.auth }, ctl);
  const operation = startOperation(ctl, {
    side: 'server',
    kind: isRequest ? 'request' : 'notification',
    method,
    name: spanName(method, params),
    attributes,
    parent,
    links: receipt.links,
  });
  if (ctl.content || ctl.captureContentSizes) captureRequest(ctl, 'server', operation, params);
  let returned: unknown;
  try {
    returned = context.with(handlerContext(parent, operation), () => original.apply(server, args));
  } catch (err) {
    operation.endWithException(err);
    throw err;
  }
  return observe(
    returned,
    (response) => {
      if (!isRequest || !isObject(response)) return operation.end();
      const result = (response as JsonRpcMessage).result;
      if (operation.rule.negotiates && isObject(result) && typeof result.protocolVersion === 'string')
        connection.protocolVersion = cappedValue(result.protocolVersion);
      endResponded(connection, operation, response as JsonRpcMessage);
      // An HTTP initialize that opened a session: its later messages and its DELETE find it.
      if (state.kind === 'http' && connection.session !== undefined) rememberHttpSession(state, connection);
    },
    (err) => operation.endWithException(err),
  );
}

/**
 * The connection a message arrived on. stdio (and a transport we do not know): one per server, whose session runs
 * from a successful `initialize` until stdin ends. HTTP: the session's, from its `initialize` until the client's
 * DELETE; a message of no known session (stateless, per-request versions) gets a connection of its own.
 */
function connectionFor(
  server: object,
  state: ServerState,
  received: ReceiveContext | undefined,
  ctl: Controller,
): Connection {
  if (state.kind === 'http') {
    const sessionId = nonEmptyString(received?.sessionId);
    const known = sessionId === undefined ? undefined : state.sessions?.get(sessionId);
    if (known !== undefined) return known;
    const transport: SdkTransport & object = { sessionId };
    return newConnection(server, transport, FACTS.http, ctl);
  }
  if (state.connection === undefined) {
    state.connection = newConnection(server, {}, state.kind === 'stdio' ? FACTS.stdio : {}, ctl);
  }
  if (state.kind === 'stdio' && !state.watchingStdin) {
    // The stdio transport reads process.stdin already; its end is the end of the session.
    state.watchingStdin = true;
    const connection = state.connection;
    process.stdin.once('end', () => {
      endSession(connection);
      endUnanswered(state);
    });
  }
  return state.connection;
}

function rememberHttpSession(state: ServerState, connection: Connection): void {
  const sessionId = nonEmptyString(connection.transport.sessionId);
  if (sessionId === undefined) return;
  state.sessions ??= new Map();
  if (state.sessions.size >= MAX_HTTP_SESSIONS) {
    const oldest = state.sessions.keys().next();
    if (!oldest.done) state.sessions.delete(oldest.value);
  }
  state.sessions.set(sessionId, connection);
}

function endHttpSession(server: object, sessionId: string): void {
  const sessions = servers.get(server)?.sessions;
  const connection = sessions?.get(sessionId);
  if (connection === undefined) return;
  sessions?.delete(sessionId);
  endSession(connection);
}

function newConnection(
  server: object,
  transport: SdkTransport & object,
  facts: TransportFacts,
  ctl: Controller,
): Connection {
  return {
    protocol: server,
    transport,
    facts,
    ctl,
    role: 'server',
    pendingServer: new Map(),
    pendingClient: new Map(),
  };
}

/**
 * Sent messages. tmcp hands every request and notification it sends to one client (sampling, elicitation, roots,
 * ping, log messages, progress) to the listeners of its `send` event, the transports, synchronously from the call
 * that sends it (inside the handler of the received request, when there is one). Each becomes a CLIENT span, once
 * (the first listener; the event's detail is shared), with the trace context in its `params._meta`, and the listener
 * runs inside it. A request's span ends when its response is received, a notification's when the listener returns.
 * Messages routed to a subscription (`subscriptionOrigin`) and the `broadcast` event (list changes, resource updates,
 * which a transport may or may not write) are left as they are.
 */
const sentDetails = processWeakSet<object>('tmcp.sentDetails');

interface SendDetail {
  request?: unknown;
  subscriptionOrigin?: unknown;
}

function sendingTraced(server: object, listener: Original, ctl: Controller): Original {
  return function sendListener(this: unknown, ...args: unknown[]) {
    const detail = args[0];
    if (!ctl.enabled || !isObject(detail) || sentDetails.has(detail)) return listener.apply(this, args);
    const { request, subscriptionOrigin } = detail as SendDetail;
    if (subscriptionOrigin !== undefined || !isMethodMessage(request)) return listener.apply(this, args);
    sentDetails.add(detail);
    let sent: ReturnType<typeof startSent>;
    safely(() => (sent = startSent(server, detail as SendDetail, request, ctl)));
    if (sent === undefined) return listener.apply(this, args);
    const { operation, ctx, isRequest } = sent;
    try {
      return context.with(ctx, () => listener.apply(this, args));
    } catch (err) {
      stateOf(server).pendingClient?.delete(request.id);
      operation.endWithException(err);
      throw err;
    } finally {
      if (!isRequest) operation.end();
    }
  };
}

function startSent(
  server: object,
  detail: SendDetail,
  message: JsonRpcMessage & { method: string },
  ctl: Controller,
): { operation: Operation; ctx: Context; isRequest: boolean } | undefined {
  const { method } = message;
  const params = paramsOf(message);
  const parent = context.active();
  if (ctl.excluded.has(method)) {
    detail.request = withTraceContext(message, parent);
    return undefined;
  }
  const isRequest = message.id !== undefined && message.id !== null;
  const state = stateOf(server);
  // Sent while a received message is handled: its session and version; otherwise the stdio connection's.
  const served = servedOperation()?.attributes;
  const version = served?.[ATTR_MCP_PROTOCOL_VERSION] ?? versionOf(state.connection);
  const sessionId = served?.[ATTR_MCP_SESSION_ID];
  const attributes: Attributes = startAttributes(
    {
      method,
      params,
      id: isRequest ? (message.id as string | number) : undefined,
      kind: isRequest ? 'request' : 'notification',
      sessionId: typeof sessionId === 'string' ? sessionId : undefined,
      protocolVersion: typeof version === 'string' ? version : undefined,
    },
    state.kind === undefined ? undefined : FACTS[state.kind],
  );
  // The client as the stdio connection knows it (an HTTP server's messages go to a session's client: not named).
  if (ctl.capturePeerIdentity) sentPeerIdentity(state.connection, method, attributes);
  if (ctl.content) requestContent(ctl.content, 'client', method, params, attributes);
  if (ctl.captureContentSizes) requestSizes(method, params, attributes);
  const kind = isRequest ? 'request' : 'notification';
  const operation = startOperation(ctl, {
    side: 'client',
    kind,
    method,
    name: spanName(method, params),
    attributes,
    parent,
  });
  if (methodRule(method).protocolLog) ctl.emitLog(protocolLogRecord(params, parent));
  const ctx = operationContext(parent, operation);
  detail.request = withTraceContext(message, ctx);
  if (isRequest) {
    state.pendingClient ??= new Map();
    state.pendingClient.get(message.id)?.end();
    state.pendingClient.set(message.id, operation);
  }
  return { operation, ctx, isRequest };
}

/** A response the client sent back: the CLIENT span of the request it answers ends, with its outcome. */
function endAnswered(server: object, response: unknown, ctl: Controller): void {
  if (!isObject(response)) return;
  const pending = servers.get(server)?.pendingClient;
  const operation = pending?.get(response.id);
  if (!operation) return;
  pending?.delete(response.id);
  const { error, result } = response as JsonRpcMessage;
  if (isObject(error)) {
    operation.failWithCode(error.code, error.message);
  } else {
    const content = ctl.content && resultContent(ctl.content, 'client', operation.method, result);
    if (content) operation.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, content);
    if (ctl.captureContentSizes) sizeResult(operation, result);
    const resultError = operation.rule.resultError?.(result);
    if (resultError !== undefined) operation.fail(resultError);
  }
  operation.end();
}

/** The connection closed (stdin ended) with requests unanswered: they end as the SDK's do, "Connection closed". */
function endUnanswered(state: ServerState): void {
  for (const operation of state.pendingClient?.values() ?? []) {
    operation.fail('-32000', 'Connection closed');
    operation.end();
  }
  state.pendingClient?.clear();
}
