/**
 * The wrappers of the SDK's prototypes. `Client` and `Server` extend the SDK's `Protocol`; its methods are wrapped in
 * place (no Proxy, which breaks private fields), once per class, by sdk-objects.ts, whose mark every copy of
 * @x/mcp-otel recognises. Each wrapper checks whether it has anything to do (instrumentation enabled, a well-formed
 * message) and otherwise calls the original as it is; the work is in transport.ts, send.ts and receive.ts.
 * `McpServer` wraps a `Server`: its `connect` is wrapped to reach the tool callbacks a `tools/call` will run.
 */
import { context, diag } from '@opentelemetry/api';
import type { Controller } from './operation';
import { connectProbing, listenTraced } from './client-probe';
import { endSession } from './connection';
import type { Connection } from './connection';
import { noteResponse, sendRequest } from './send';
import { CLIENT_METHODS, isFunction, isMethodMessage, isObject, PROTOCOL_METHODS, transportOf } from './sdk-internals';
import type {
  ClientMethodName,
  ProtocolMethodName,
  Prototype,
  SdkClient,
  SdkMcpServer,
  SdkProtocol,
} from './sdk-internals';
import {
  endAllOnClose,
  endingNotification,
  queueTaskMessage,
  receiveNotification,
  receiveExcludedRequest,
  receiveRequest,
  recordingExceptions,
  rememberMcpServer,
} from './receive';
import { METHOD_SUBSCRIPTIONS_LISTEN } from './semconv';
import { defaultEnvironment, registerFileUrl, stdioServerEnv } from './stdio-servers';
import { replaceMethods, restoreMethods } from './sdk-objects';
import type { MethodWrappers } from './sdk-objects';
import { attach, connectionOf, knownConnection, restoreConnection } from './transport';

type Original = (this: unknown, ...args: unknown[]) => unknown;
type Instance = SdkProtocol & object;
/** A wrapper, called with the Protocol instance as `this`. */
type Wrapped = (this: Instance, ...args: never[]) => unknown;

/**
 * The prototype that defines the Protocol methods, found by walking up from any class of the SDK that extends it
 * (`Client`, `Server`, `Protocol` itself), so it does not matter which file or copy of the SDK the class came from.
 */
export function findProtocolPrototype(Class: unknown): Prototype | undefined {
  let proto: Prototype | null = isFunction(Class) ? (Class.prototype as Prototype) : null;
  while (proto && proto !== Object.prototype) {
    if (Object.hasOwn(proto, '_onrequest') && Object.hasOwn(proto, 'request') && Object.hasOwn(proto, 'connect'))
      return proto;
    proto = Object.getPrototypeOf(proto) as Prototype | null;
  }
  return undefined;
}

/**
 * McpServer is not a Protocol: it owns a Server and registers the tool, prompt and resource handlers on it (v2 has
 * only `registerTool`, v1 before 1.12 only `tool`).
 */
export function isMcpServerClass(Class: unknown): boolean {
  if (!isFunction(Class)) return false;
  const proto = Class.prototype as Prototype | undefined;
  return (
    isFunction(proto?.connect) &&
    (isFunction(proto?.tool) || isFunction(proto?.registerTool)) &&
    findProtocolPrototype(Class) === undefined
  );
}

/** The connection of a Protocol: known since connect(), else one connected before the patch, bound now. */
function connectionFor(protocol: Instance, ctl: Controller): Connection | undefined {
  return knownConnection(protocol) ?? connectionOf(protocol, ctl);
}

/** The wrapper of each Protocol method, given the original and the controller of the instrumentation. */
const PROTOCOL_WRAPPERS: Record<ProtocolMethodName, ((original: Original, ctl: Controller) => Wrapped) | undefined> = {
  connect: (original, ctl) =>
    function connect(this: Instance, transport: unknown, ...rest: unknown[]) {
      if (!isObject(transport)) return original.call(this, transport, ...rest);
      const previous = knownConnection(this);
      attach(this, transport, ctl);
      const result = original.call(this, transport, ...rest);
      // The SDK takes the transport synchronously; one it refused ("Already connected") leaves the live binding.
      if (previous && transportOf(this) !== transport) restoreConnection(this, previous);
      return result;
    },
  request: (original, ctl) =>
    function request(this: Instance, ...args: unknown[]) {
      if (!ctl.enabled || !isMethodMessage(args[0])) return original.apply(this, args);
      return sendRequest(this, connectionFor(this, ctl), original, args, 0, ctl);
    },
  // v2: the funnel of request() and of a handler's ctx.mcpReq.send, and of the retry after `input_required`.
  _requestWithSchemaViaCodec: (original, ctl) =>
    function _requestWithSchemaViaCodec(this: Instance, ...args: unknown[]) {
      if (!ctl.enabled || !isMethodMessage(args[1])) return original.apply(this, args);
      return sendRequest(this, connectionFor(this, ctl), original, args, 1, ctl);
    },
  // Sent notifications are traced in transport.send: this method debounces, and is not the only way out.
  notification: undefined,
  _onrequest: (original, ctl) =>
    function _onrequest(this: Instance, ...args: unknown[]) {
      if (!ctl.enabled || !isMethodMessage(args[0])) return original.apply(this, args);
      // An excluded request binds nothing: it only keeps its trace context.
      if (ctl.excluded.has(args[0].method)) return receiveExcludedRequest(this, original, args);
      return receiveRequest(this, connectionFor(this, ctl), original, args, ctl);
    },
  _onnotification: (original, ctl) =>
    function _onnotification(this: Instance, ...args: unknown[]) {
      if (!ctl.enabled || !isMethodMessage(args[0])) return original.apply(this, args);
      return receiveNotification(this, connectionFor(this, ctl), original, args, ctl);
    },
  _onresponse: (original) =>
    function _onresponse(this: Instance, ...args: unknown[]) {
      const retrying = noteResponse(knownConnection(this), args[0]);
      return retrying ? context.with(retrying, () => original.apply(this, args)) : original.apply(this, args);
    },
  _onclose: (original) =>
    function _onclose(this: Instance, ...args: unknown[]) {
      const connection = knownConnection(this);
      if (connection) {
        endSession(connection);
        connection.stopWatchingStdin?.();
      }
      try {
        return original.apply(this, args);
      } finally {
        if (connection) endAllOnClose(connection);
      }
    },
  setRequestHandler: (original) =>
    function setRequestHandler(this: Instance, ...args: unknown[]) {
      return original.apply(this, withHandler(args, recordingExceptions));
    },
  setNotificationHandler: (original) =>
    function setNotificationHandler(this: Instance, ...args: unknown[]) {
      return original.apply(this, withHandler(args, endingNotification));
    },
  // SDK 1.24+: the response to a task-related request is queued for `tasks/result` instead of being sent; the
  // SERVER span of the request ends when its response is queued.
  _enqueueTaskMessage: (original, ctl) =>
    function _enqueueTaskMessage(this: Instance, ...args: unknown[]) {
      const connection = knownConnection(this);
      if (connection && ctl.enabled) queueTaskMessage(connection, args[1]);
      return original.apply(this, args);
    },
};

/**
 * The handler of `setRequestHandler(schema, handler)` (v1) or `setRequestHandler(method, handler)` and
 * `setRequestHandler(method, schemas, handler)` (v2; the same for notifications), wrapped; the arguments are copied.
 */
function withHandler(args: unknown[], wrap: (handler: unknown) => unknown): unknown[] {
  const at = typeof args[0] === 'string' && !isFunction(args[1]) ? 2 : 1;
  const copy = args.slice();
  copy[at] = wrap(args[at]);
  return copy;
}

/**
 * Wraps the named methods of a prototype with the wrappers of a table, keeping the originals (sdk-objects.ts); false
 * when they were wrapped already (by this or another copy of us).
 */
function wrapMethods<Name extends string>(
  proto: Prototype,
  names: readonly Name[],
  wrappers: Record<Name, ((original: Original, ctl: Controller) => Wrapped) | undefined>,
  ctl: Controller,
): boolean {
  const bound: Record<string, MethodWrappers[string]> = {};
  for (const name of names) {
    const wrap = wrappers[name];
    if (wrap !== undefined) bound[name] = (original) => wrap(original, ctl) as Original;
  }
  return replaceMethods(proto, bound);
}

/** The wrapper of each v2 Client method. */
const CLIENT_WRAPPERS: Record<ClientMethodName, (original: Original, ctl: Controller) => Wrapped> = {
  connect: (original, ctl) =>
    function connect(this: Instance, ...args: unknown[]) {
      if (!ctl.enabled || !isObject(args[0])) return original.apply(this, args);
      return connectProbing(this, original, args, ctl);
    },
  listen: (original, ctl) =>
    function listen(this: Instance & SdkClient, ...args: unknown[]) {
      // An excluded method binds nothing, as in _onrequest.
      if (!ctl.enabled || ctl.excluded.has(METHOD_SUBSCRIPTIONS_LISTEN)) return original.apply(this, args);
      return listenTraced(this, connectionFor(this, ctl), original, args, ctl);
    },
};

/** Patches a Protocol prototype once; returns false when it was already patched (by this or another copy of us). */
export function patchProtocol(proto: Prototype, ctl: Controller): boolean {
  // v2's request() only delegates to the funnel, which is wrapped instead: one span per request.
  const names = isFunction(proto._requestWithSchemaViaCodec)
    ? PROTOCOL_METHODS.filter((name) => name !== 'request')
    : PROTOCOL_METHODS;
  return wrapMethods(proto, names, PROTOCOL_WRAPPERS, ctl);
}

/** v2 `Client`: the connect-time `server/discover` probe and `listen()` bypass Protocol (client-probe.ts). */
export function patchClient(proto: Prototype, ctl: Controller): boolean {
  return wrapMethods(proto, CLIENT_METHODS, CLIENT_WRAPPERS, ctl);
}

/** A v2 Client class: its prototype defines listen() and connect() (v1's Client has no listen()). */
export function isV2ClientClass(Class: unknown): boolean {
  if (!isFunction(Class)) return false;
  const proto = Class.prototype as Prototype | undefined;
  return !!proto && Object.hasOwn(proto, 'listen') && Object.hasOwn(proto, 'connect');
}

/**
 * Tool callbacks of an McpServer are reached through the Server it connects. Its input validation (SDK 1.2x+ and v2:
 * `validateToolInput`) throws an invalid-params error that McpServer turns into an `isError` result: seen on the
 * SERVER operation, it makes that result the caller's fault (receive.ts).
 */
export function patchMcpServer(proto: Prototype): boolean {
  if (!isFunction(proto.connect)) return false;
  return replaceMethods(proto, {
    connect: (original) =>
      function connect(this: SdkMcpServer & object, ...args: unknown[]) {
        rememberMcpServer(this);
        return original.apply(this, args);
      } as Original,
    validateToolInput: (original) => recordingExceptions(original) as Original,
  });
}

/** What a preloaded client passes to the stdio servers it spawns (stdio-servers.ts). */
export interface StdioServersSettings {
  /** Pass the exporter headers too. */
  exporterHeaders: boolean;
  /** The SDK copy's own `getDefaultEnvironment`, when it exports one. */
  defaultEnv: (() => Record<string, string>) | undefined;
}

/** The SDK's StdioClientTransport: a prototype with start() (instances keep their parameters in `_serverParams`). */
export function isStdioClientTransportClass(Class: unknown): boolean {
  return isFunction(Class) && isFunction((Class.prototype as Prototype | undefined)?.start);
}

/**
 * StdioClientTransport.start() spawns the server synchronously (in every version, v1 and v2), reading
 * `this._serverParams.env`: for the length of that call the transport sees a copy of the parameters whose `env` is
 * the one built in stdio-servers.ts; the app's own object is put back and never changed.
 */
export function patchStdioClientTransport(
  proto: Prototype,
  ctl: { enabled: boolean },
  settings: StdioServersSettings,
): boolean {
  if (!isFunction(proto.start)) return false;
  return replaceMethods(proto, { start: (original) => startingTraced(original, ctl, settings) });
}

/** StdioClientTransport.prototype.start, spawning the server with the environment stdio-servers.ts builds. */
function startingTraced(original: Original, ctl: { enabled: boolean }, settings: StdioServersSettings): Original {
  return function start(this: { _serverParams?: unknown }, ...args: unknown[]) {
    const params = ctl.enabled ? this._serverParams : undefined;
    let swapped: object | undefined;
    try {
      if (isObject(params) && typeof params.command === 'string') {
        const registerUrl = registerFileUrl();
        const env = stdioServerEnv(
          {
            command: params.command,
            args: Array.isArray(params.args) ? (params.args as unknown[]) : [],
            env: isObject(params.env) ? (params.env as Record<string, string>) : undefined,
          },
          {
            parentEnv: process.env,
            defaultEnv: settings.defaultEnv ?? (() => defaultEnvironment()),
            registerUrl,
            exporterHeaders: settings.exporterHeaders,
          },
        );
        const copy = Object.assign(Object.create(Object.getPrototypeOf(params) as object | null) as object, params, {
          env,
        });
        this._serverParams = copy;
        swapped = copy;
        const preload = registerUrl === undefined ? 'no preload (register.mjs not found)' : 'the preload';
        const service = env.OTEL_SERVICE_NAME ?? "the app's";
        diag.debug(`stdio server ${params.command}: spawned with ${preload}, service.name ${service}`);
      }
    } catch (err) {
      diag.debug('stdio server: its environment could not be built; spawned as the app asked:', err);
    }
    try {
      return original.apply(this, args);
    } finally {
      try {
        if (swapped !== undefined && this._serverParams === swapped) this._serverParams = params;
      } catch {
        // The transport would not take its parameters back: it keeps the copy, which reads the same.
      }
    }
  } as Original;
}

/** Puts back the methods of a prototype this module (or tmcp.ts, ai-sdk-mcp.ts) patched. */
export function unpatch(proto: Prototype): void {
  restoreMethods(proto);
}
