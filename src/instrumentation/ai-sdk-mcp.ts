/**
 * The Vercel AI SDK's own MCP client, `@ai-sdk/mcp` (read in 2.0.99, `dist/index.js`): a client of its own, without
 * the MCP SDK, whose requests and notifications become the same CLIENT spans, metrics and `_meta` trace context as the
 * SDK client's (send.ts does the work; this file only adapts the AI SDK's shapes to it).
 *
 * Its client class, `DefaultMCPClient`, is not exported: `createMCPClient(config)` constructs it and starts `init()`
 * (the first request) before it returns. The prototype is found once, when the module is hooked, by one throwaway
 * client on a transport of ours that never starts: the client hands its transport an `onerror` that calls the app's
 * `onUncaughtError` as a method of the client, which gives the instance, hence the prototype. That client sends
 * nothing and keeps nothing alive (its init fails at once and closes it). The prototype is then patched in place:
 * - `requestOnce({ request, resultSchema, options })`: one JSON-RPC request (the modern era's `input_required`
 *   rounds call it once per round), numbered from `requestMessageId` synchronously; its CLIENT span covers the call
 *   until its promise settles, and the request sent carries the span's trace context in `params._meta`;
 * - `notification(notification, options)`: the one way a notification is sent; its span covers the send;
 * - `onResponse(response)`: an error response is kept for the request it answers (the peer's code, not a local
 *   failure);
 * - `onRequestMessage(request)`: a request the server sends the client (`ping`, `elicitation/create`), a SERVER span
 *   as the SDK client makes one (receive.ts), ended when its response leaves through the transport's `send`
 *   (wrapped on the instance, for responses only: requests and notifications pass as they are);
 * - `onClose()`: the end of the MCP session (its duration metric), and of the received requests still unanswered.
 */
import { diag } from '@opentelemetry/api';
import { urlFacts } from './attributes';
import type { TransportFacts } from './attributes';
import type { Controller } from './operation';
import { NEGOTIATION_CODES } from './client-probe';
import { noteResponse, sendNotification, sendRequest } from './send';
import { endSession } from './connection';
import type { Connection } from './connection';
import { isThenable } from './promises';
import { changeOnce, replaceMethods, wrapInstanceMethod } from './sdk-objects';
import { endAllOnClose, receiveExcludedRequest, receiveRequest, respond } from './receive';
import { isFunction, isMethodMessage, isObject } from './sdk-internals';
import type { JsonRpcMessage, Method, Prototype, SdkProtocol, SdkTransport } from './sdk-internals';
import { METHOD_SERVER_DISCOVER } from './semconv';
import { processWeakMap, processWeakSet } from './state';

/** The module hooked: its main entry, by package name (internals on: the hook is told the file too). */
export const AI_SDK_MCP_PACKAGE = '@ai-sdk/mcp';
const AI_SDK_MCP_FILE = /^@ai-sdk\/mcp(?:[\\/]dist[\\/]index\.js)?$/;
/** For import-in-the-middle's include list (`registerEsmHook`): the package is ESM only. */
export const AI_SDK_MCP_ESM_INCLUDE = /\/@ai-sdk\/mcp\/dist\/index\.js$/;

const METHODS = ['requestOnce', 'notification', 'onResponse', 'onRequestMessage', 'onClose'] as const;

/** `DefaultMCPClient`: the fields read on an instance. */
interface AiSdkClient {
  transport?: unknown;
  /** The counter requestOnce() numbers requests from, synchronously, once its early checks passed. */
  requestMessageId?: unknown;
  /** `legacy` (initialize) or `modern` (2026-07-28, `server/discover`, the version in each request's `_meta`). */
  protocolEra?: unknown;
  protocolVersion?: unknown;
}

/** What `requestOnce` is called with. */
interface RequestOnceArgs {
  request?: unknown;
  options?: unknown;
}

/** Whether the module is one this file hooks: the package's main entry. */
export function isAiSdkMcpModule(name: string): boolean {
  return AI_SDK_MCP_FILE.test(name);
}

/**
 * Patches the client class of a hooked `@ai-sdk/mcp` module, once; `remember` keeps the prototype for disable() and a
 * later enable(). A module of another shape is left alone, with one debug line.
 */
export function instrumentAiSdkMcp(
  exports: Record<string, unknown>,
  ctl: Controller,
  remember: (proto: Prototype, patch: (proto: Prototype) => boolean) => void,
): void {
  const proto = findClientPrototype(exports?.createMCPClient);
  if (!proto) {
    diag.debug(`${AI_SDK_MCP_PACKAGE}: its MCP client is not of the shape known (2.0), left alone`);
    return;
  }
  remember(proto, (p) => patchAiSdkClient(p, ctl));
}

/** The prototype of the clients `createMCPClient` makes, from one throwaway client that never starts. */
function findClientPrototype(createMCPClient: unknown): Prototype | undefined {
  if (!isFunction(createMCPClient)) return undefined;
  const refusal = new Error('@x/mcp-otel: probe transport, never started');
  const clients: unknown[] = [];
  const transport: Record<string, unknown> = {
    start(this: { onerror?: unknown }) {
      if (isFunction(this.onerror)) this.onerror(refusal);
      return Promise.reject(refusal);
    },
    send: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  try {
    const made = createMCPClient({
      transport,
      onUncaughtError(this: unknown, err: unknown) {
        if (err === refusal) clients.push(this);
      },
    });
    if (isThenable(made)) made.then(undefined, () => undefined);
  } catch {
    return undefined;
  }
  const proto: unknown = isObject(clients[0]) ? Object.getPrototypeOf(clients[0]) : undefined;
  if (!isObject(proto) || !METHODS.every((name) => Object.hasOwn(proto, name) && isFunction(proto[name])))
    return undefined;
  return proto;
}

/**
 * Wraps the client's methods in place, the originals kept (sdk-objects.ts: `unpatch()` puts them back); false when
 * this prototype was patched already (by any copy of us).
 */
export function patchAiSdkClient(proto: Prototype, ctl: Controller): boolean {
  return replaceMethods(proto, {
    requestOnce: (requestOnce) =>
      function requestOnce_(this: AiSdkClient & object, ...args: unknown[]) {
        const call = args[0] as RequestOnceArgs | undefined;
        if (!ctl.enabled || !isObject(call) || !isMethodMessage(call.request)) return requestOnce.apply(this, args);
        // send.ts takes the SDK's request(request, schema, options): the AI SDK's one object, taken apart.
        const original = (request: unknown) => requestOnce.call(this, { ...call, request }, ...args.slice(1));
        const sdkArgs = [call.request, undefined, call.options];
        return sendRequest(protocolOf(this), connectionOf(this, ctl), original, sdkArgs, 0, ctl);
      } as Method,
    notification: (notification) =>
      function notification_(this: AiSdkClient & object, ...args: unknown[]) {
        const message = args[0];
        if (!ctl.enabled || !isMethodMessage(message)) return notification.apply(this, args);
        const sender = { send: notification, thisArg: this, rest: args.slice(1) };
        return sendNotification(connectionOf(this, ctl), message, sender);
      } as Method,
    onResponse: (onResponse) =>
      function onResponse_(this: AiSdkClient & object, ...args: unknown[]) {
        const connection = connections.get(this);
        if (!endNegotiation(connection, args[0])) noteResponse(connection, args[0]);
        return onResponse.apply(this, args);
      } as Method,
    onRequestMessage: (onRequestMessage) =>
      function onRequestMessage_(this: AiSdkClient & object, ...args: unknown[]) {
        const request = args[0];
        if (!ctl.enabled || !isMethodMessage(request)) return onRequestMessage.apply(this, args);
        const connection = connectionOf(this, ctl);
        if (!answersTraced.has(connection.transport)) return onRequestMessage.apply(this, args);
        const original = (...received: unknown[]) => onRequestMessage.apply(this, received);
        if (ctl.excluded.has(request.method)) return receiveExcludedRequest(protocolOf(this), original, args);
        return receiveRequest(protocolOf(this), connection, original, args, ctl);
      } as Method,
    onClose: (onClose) =>
      function onClose_(this: AiSdkClient & object, ...args: unknown[]) {
        const connection = connections.get(this);
        if (connection) endSession(connection);
        try {
          return onClose.apply(this, args);
        } finally {
          if (connection) endAllOnClose(connection);
        }
      } as Method,
  });
}

/**
 * The `server/discover` probe's answer that the negotiation expects (-32601 from a server of an earlier revision, the
 * client then sends `initialize`; -32022): `rpc.response.status_code`, not an error, as for the SDK v2 client's probe.
 */
function endNegotiation(connection: Connection | undefined, response: unknown): boolean {
  if (connection === undefined || !isObject(response) || !isObject(response.error)) return false;
  const id = Number(response.id);
  const operation = connection.pendingClient.get(id);
  const { code } = response.error;
  if (operation?.method !== METHOD_SERVER_DISCOVER || !NEGOTIATION_CODES.has(code)) return false;
  connection.pendingClient.delete(id);
  operation.setStatusCode(String(code));
  operation.end();
  return true;
}

const connections = processWeakMap<object, Connection>('ai-sdk-mcp.connections');
const protocols = processWeakMap<object, SdkProtocol>('ai-sdk-mcp.protocols');

/**
 * The client as send.ts reads a Protocol: its transport, the request counter, and the version of the modern
 * era (which every request carries in `_meta`; the legacy era's comes from the `initialize` result).
 */
function protocolOf(client: AiSdkClient & object): SdkProtocol {
  let protocol = protocols.get(client);
  if (protocol) return protocol;
  protocol = {
    get transport() {
      return client.transport;
    },
    get _requestMessageId() {
      return client.requestMessageId;
    },
    get _negotiatedProtocolVersion() {
      return client.protocolEra === 'modern' ? client.protocolVersion : undefined;
    },
  };
  protocols.set(client, protocol);
  return protocol;
}

/** The connection of a client: its transport is set in the constructor and never replaced. */
function connectionOf(client: AiSdkClient & object, ctl: Controller): Connection {
  let connection = connections.get(client);
  if (connection) return connection;
  const transport = (isObject(client.transport) ? client.transport : {}) as SdkTransport & object;
  connection = {
    protocol: protocolOf(client),
    transport,
    facts: aiSdkTransportFacts(transport),
    ctl,
    role: 'client',
    pendingServer: new Map(),
    pendingClient: new Map(),
  };
  connections.set(client, connection);
  wrapResponses(connection);
  return connection;
}

/** Transports whose responses end the SERVER spans of the requests they answer. */
const answersTraced = processWeakSet<object>('ai-sdk-mcp.answersTraced');

/**
 * The client answers a server's request with `transport.send(response)`: the transport's `send` is wrapped where it
 * is defined, without shadowing an accessor (sdk-objects.ts). One that cannot be wrapped leaves received requests
 * untraced (a span that could never end well is not started).
 */
function wrapResponses(connection: Connection): void {
  const { transport } = connection;
  if (!changeOnce(transport, 'ai-sdk-responses')) return;
  const wrapped = wrapInstanceMethod(
    transport,
    'send',
    (send) =>
      function send_(this: unknown, message: unknown, ...rest: unknown[]) {
        if (!isObject(message) || message.method !== undefined || !connection.pendingServer.has(message.id))
          return send.call(this, message, ...rest);
        return respond(connection, message as JsonRpcMessage, { send, thisArg: this, rest });
      },
  );
  if (wrapped) answersTraced.add(transport);
}

/**
 * The AI SDK's transports, by class name: `StdioMCPTransport` (exported from `@ai-sdk/mcp/mcp-stdio`, also as
 * `Experimental_StdioMCPTransport`), `HttpMCPTransport` (Streamable HTTP) and `SseMCPTransport`, made from
 * `{ type: 'http' | 'sse', url }`; their URL is `url`. An app's own transport gets no network attributes.
 */
export function aiSdkTransportFacts(transport: object): TransportFacts {
  const name = (transport.constructor as { name?: unknown } | undefined)?.name;
  if (name === 'StdioMCPTransport') return { networkTransport: 'pipe' };
  if (name !== 'HttpMCPTransport' && name !== 'SseMCPTransport') return {};
  const facts: TransportFacts = { networkTransport: 'tcp', protocolName: 'http' };
  urlFacts((transport as { url?: unknown }).url, facts);
  return facts;
}
