/**
 * The serving entries of SDK v2 answer some requests themselves, before any Server sees them (2026-07-28 revision):
 * - `createMcpHandler(factory)` (one Server per HTTP request) refuses an unsupported version, a header mismatch, a
 *   missing client capability, an auth challenge, and serves `subscriptions/listen` from its listen router;
 * - `serveStdio(factory)` refuses an invalid envelope or version in the opening exchange and serves
 *   `subscriptions/listen` on the stdio connection.
 * Their exports are wrapped (`ENTRY_WRAPPERS`), and every request they answer without a Server gets the SERVER span
 * it would have had, recorded when the answer leaves, starting when the request arrived. A request a Server
 * received (receive.ts tells `noteDispatched`, once an entry exists) is left to its Server's span. Also here:
 * `toNodeHandler` of
 * `@modelcontextprotocol/node`, whose Node.js request gives the peer's address to the spans of what it carries.
 */
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Attributes, Context } from '@opentelemetry/api';
import { envelopeVersion, peerAttributes, startAttributes, transportFacts } from './attributes';
import type { TransportFacts } from './attributes';
import { startOperation } from './operation';
import { watchReceipts } from './receive';
import type { Controller, Operation } from './operation';
import { exchangeIn, httpPeerIn, withExchange, withHttpPeer } from './context';
import type { HttpExchange } from './context';
import { spanName } from './methods';
import { receivedPeerIdentity } from './attributes';
import { cappedValue } from './caps';
import { observe, safely } from './promises';
import { extractTraceContext } from './context';
import {
  isFunction,
  isMethodMessage,
  isObject,
  nonEmptyString,
  paramsOf,
  STDIO_SERVER_TRANSPORT_EXPORT,
  SUBSCRIPTION_ID_META_KEY,
} from './sdk-internals';
import type { JsonRpcMessage, SdkMcpHandler, SdkServeStdioOptions } from './sdk-internals';
import {
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  METHOD_SUBSCRIPTIONS_ACKNOWLEDGED,
} from './semconv';
import { changeOnce, interceptHandler, wrapFunctionOnce, wrapInstanceMethod } from './sdk-objects';
import { processValues, processWeakSet } from './state';
import { httpPeerOf } from './node-request';

type Original = (this: unknown, ...args: unknown[]) => unknown;

/** The messages a Server received, while a stdio entry is watched (the others are the entry's own answers). */
const dispatched = processWeakSet<object>('entry.dispatched');
/**
 * `http`: set once a createMcpHandler exists: only then can a received message belong to one of its HTTP exchanges;
 * `stdio`: set once a serveStdio transport is watched.
 */
const watching = processValues('entry.watching', () => ({ http: false, stdio: false }));
/** Requests a stdio entry keeps while they wait for an answer; a peer that never lets them be answered is bounded. */
const MAX_WAITING = 1024;

/** A Server received this message (receive.ts tells, once an entry exists): its own span covers it. */
function noteDispatched(message: object): void {
  if (watching.http) {
    const exchange = exchangeIn(context.active());
    if (exchange) exchange.served = true;
  }
  if (watching.stdio) dispatched.add(message);
}

/** The exported functions of the v2 packages that are wrapped, by name, given the module they came from. */
const ENTRY_WRAPPERS: Record<
  string,
  (original: Original, exports: Record<string, unknown>, ctl: Controller) => Original
> = {
  createMcpHandler: (original, _sdkModule, ctl) =>
    function createMcpHandler(this: unknown, ...args: unknown[]) {
      const handler = original.apply(this, args) as SdkMcpHandler;
      if (isObject(handler) && isFunction(handler.fetch)) {
        watching.http = true;
        watchReceipts(noteDispatched);
        handler.fetch = tracedFetch(handler.fetch, ctl);
      }
      return handler;
    },
  serveStdio: (original, sdkModule, ctl) =>
    function serveStdio(this: unknown, factory: unknown, options: unknown, ...rest: unknown[]) {
      const Transport = sdkModule[STDIO_SERVER_TRANSPORT_EXPORT];
      if (!ctl.enabled || !isFunction(Transport)) return original.call(this, factory, options, ...rest);
      const given: SdkServeStdioOptions = isObject(options) ? options : {};
      // The transport serveStdio would create, created here so that its messages can be watched.
      const wire: unknown = given.transport ?? new (Transport as unknown as new () => object)();
      if (isObject(wire)) safely(() => watchStdioEntry(wire, ctl));
      return original.call(this, factory, { ...given, transport: wire }, ...rest);
    },
  toNodeHandler: (original, _sdkModule, ctl) =>
    function toNodeHandler(this: unknown, ...args: unknown[]) {
      const handle = original.apply(this, args);
      if (!isFunction(handle)) return handle;
      return function (this: unknown, req: unknown, ...rest: unknown[]) {
        if (!ctl.enabled) return handle.call(this, req, ...rest);
        const ctx = withHttpPeer(context.active(), httpPeerOf(req) ?? {});
        return context.with(ctx, () => handle.call(this, req, ...rest));
      };
    },
};

/** Replaces the wrapped functions in a module's exports (an ES module namespace of import-in-the-middle, or CJS). */
export function wrapEntries(sdkModule: Record<string, unknown>, ctl: Controller): void {
  for (const [name, wrap] of Object.entries(ENTRY_WRAPPERS)) {
    const original = sdkModule[name];
    const wrapped = wrapFunctionOnce('v2-entry', original, (fn) => wrap(fn, sdkModule, ctl));
    if (wrapped !== original) sdkModule[name] = wrapped;
  }
}

/** The fetch face of a createMcpHandler: an HTTP request no Server received gets its span from the answer. */
function tracedFetch(fetch: Original, ctl: Controller): Original {
  return function fetch_(this: unknown, request: unknown, ...rest: unknown[]) {
    if (!ctl.enabled || !isObject(request)) return fetch.call(this, request, ...rest);
    const startedAt = performance.now();
    const exchange: HttpExchange = { served: false };
    const active = context.active();
    const ambient = withHttpPeer(active, httpPeerIn(active) ?? httpPeerOf(request) ?? {});
    const result = context.with(withExchange(ambient, exchange), () => fetch.call(this, request, ...rest));
    return observe(
      result,
      (response) => {
        if (!exchange.served) answeredOverHttp(request, response, ambient, startedAt, ctl);
      },
      () => undefined,
    );
  };
}

function header(request: Record<string | symbol, unknown>, name: string): string | undefined {
  const headers = request.headers as { get?: unknown } | undefined;
  return isObject(headers) && isFunction(headers.get) ? nonEmptyString(headers.get.call(headers, name)) : undefined;
}

/**
 * The method and target come from the `Mcp-Method` and `Mcp-Name` headers the 2026-07-28 revision puts on every POST
 * (the body was read by the entry); a request without them (a 2025-era one) gets no span here.
 */
function answeredOverHttp(
  request: Record<string | symbol, unknown>,
  response: unknown,
  ambient: Context,
  startedAt: number,
  ctl: Controller,
): void {
  const method = header(request, 'mcp-method');
  if (method === undefined || ctl.excluded.has(method) || !isObject(response)) return;
  const target = header(request, 'mcp-name');
  const params = target === undefined ? undefined : { name: target, uri: target };
  const attributes = startAttributes({ method, params }, { networkTransport: 'tcp', protocolName: 'http' });
  const version = header(request, 'mcp-protocol-version');
  if (version !== undefined) attributes[ATTR_MCP_PROTOCOL_VERSION] = cappedValue(version);
  peerAttributes(httpPeerIn(ambient), attributes);
  if (typeof response.status === 'number') attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = response.status;
  const end = (body: unknown) => {
    const operation = startAnswered(ctl, method, params, attributes, ambient, startedAt);
    if (isObject(body)) settle(operation, body as JsonRpcMessage);
    operation.end();
  };
  const type = header(response, 'content-type');
  // A JSON-RPC answer (an error, as a refusal is) is read from a copy; a stream (listen) is not waited for.
  if (type?.startsWith('application/json') && isFunction(response.clone)) {
    const copy = response.clone.call(response) as { json(): Promise<unknown> };
    copy.json().then(
      (body) => safely(() => end(body)),
      () => safely(() => end(undefined)),
    );
  } else end(undefined);
}

/** The SERVER operation of a request an entry answered itself: it began when the request arrived. */
function startAnswered(
  ctl: Controller,
  method: string,
  params: Record<string, unknown> | undefined,
  attributes: Attributes,
  parent: Context,
  startedAt: number,
): Operation {
  return startOperation(ctl, {
    side: 'server',
    kind: 'request',
    method,
    name: spanName(method, params),
    attributes,
    parent,
    startedAt,
  });
}

function settle(operation: Operation, answer: JsonRpcMessage): void {
  if (answer.id !== undefined && answer.id !== null) operation.setAttribute(ATTR_JSONRPC_REQUEST_ID, String(answer.id));
  if (isObject(answer.error)) operation.failWithCode(answer.error.code, answer.error.message);
}

interface Arrived {
  request: JsonRpcMessage & { method: string };
  startedAt: number;
}

/**
 * A serveStdio transport: what arrives is noted, what the entry answers itself is recorded as it leaves. The handler
 * serveStdio sets is wrapped as it is set, through whatever the transport defines (sdk-objects.ts): an app's own
 * transport whose `onmessage` is an accessor forwarding to an inner transport still gets the handler, wrapped.
 */
function watchStdioEntry(wire: Record<string | symbol, unknown>, ctl: Controller): void {
  if (!changeOnce(wire, 'v2-entry')) return;
  watching.stdio = true;
  watchReceipts(noteDispatched);
  const arrived = new Map<unknown, Arrived>();
  // serveStdio serves stdio: a transport of the app's own class (a wrapper) is a pipe too.
  const facts: TransportFacts = { networkTransport: 'pipe', ...transportFacts(wire) };
  /** The messages noted: a handler the app chained onto the wrapped one passes each message through twice. */
  const noted = new WeakSet<object>();
  const note = (message: unknown) => {
    if (!ctl.enabled || !isMethodMessage(message) || noted.has(message)) return;
    noted.add(message);
    if (message.id !== undefined) {
      if (arrived.size >= MAX_WAITING) arrived.delete(arrived.keys().next().value);
      arrived.set(message.id, { request: message, startedAt: performance.now() });
    } else if (message.method === 'notifications/cancelled') arrived.delete(paramsOf(message)?.requestId);
  };
  // One wrapper per handler (sdk-objects.ts), so that an app that chains onto the handler it reads calls the entry's,
  // not itself. A transport that cannot be watched is left as it is: its entry's own answers go untraced.
  interceptHandler(
    wire,
    'onmessage',
    (handler) =>
      function (this: unknown, message: unknown, ...rest: unknown[]) {
        safely(() => note(message));
        return handler.call(this, message, ...rest);
      },
  );
  wrapInstanceMethod(
    wire,
    'send',
    (send) =>
      function (this: unknown, message: unknown, ...rest: unknown[]) {
        safely(() => answered(arrived, message, facts, ctl));
        return send.call(this, message, ...rest);
      },
  );
}

/** A message leaving a stdio entry: the answer of a request no Server received is recorded. */
function answered(arrived: Map<unknown, Arrived>, message: unknown, facts: TransportFacts, ctl: Controller): void {
  if (!isObject(message)) return;
  const request = answeredRequest(arrived, message as JsonRpcMessage);
  if (request && !dispatched.has(request.request)) answeredOverStdio(request, message as JsonRpcMessage, facts, ctl);
}

/** The request an outgoing message answers: a response of its id, or the acknowledgement of a listen request. */
function answeredRequest(arrived: Map<unknown, Arrived>, message: JsonRpcMessage): Arrived | undefined {
  let id: unknown;
  if (message.method === undefined) id = message.id;
  else if (message.method === METHOD_SUBSCRIPTIONS_ACKNOWLEDGED) {
    const meta = paramsOf(message)?._meta;
    id = isObject(meta) ? meta[SUBSCRIPTION_ID_META_KEY] : undefined;
  } else return undefined;
  const answered = arrived.get(id);
  if (answered) arrived.delete(id);
  return answered;
}

function answeredOverStdio(
  { request, startedAt }: Arrived,
  answer: JsonRpcMessage,
  facts: TransportFacts,
  ctl: Controller,
): void {
  const { method } = request;
  if (ctl.excluded.has(method)) return;
  const params = paramsOf(request);
  const attributes: Attributes = startAttributes(
    { method, params, id: request.id as string | number, protocolVersion: envelopeVersion(params) },
    facts,
  );
  if (ctl.capturePeerIdentity) receivedPeerIdentity(undefined, method, params, attributes);
  const parent = extractTraceContext(params?._meta, ROOT_CONTEXT);
  const operation = startAnswered(ctl, method, params, attributes, parent, startedAt);
  // A response (a refusal, or a listen refused); an acknowledgement is the successful answer of a listen.
  if (answer.method === undefined) settle(operation, answer);
  operation.end();
}
