/**
 * The transport of a connection: bound to its Protocol when it connects (or at the first message, for a Protocol
 * connected before the patch), and wrapped in place, before it starts:
 * - `send`, the one way out of every message: a request gets its trace context checked, a notification its CLIENT
 *   span (send.ts), a response ends the SERVER span of its request (receive.ts);
 * - `handleRequest` / `handlePostMessage` of HTTP server transports: the Node.js request they are handed gives the
 *   peer's address and HTTP version, and the MCP protocol version header, to the spans of the messages it carries,
 *   which reach `_onrequest` in the same async context.
 */
import { context } from '@opentelemetry/api';
import type { Controller } from './operation';
import { requestOnTheWire, sendNotification } from './send';
import { newConnection, watchStdin } from './connection';
import type { Connection } from './connection';
import { withHttpPeer } from './context';
import { HTTP_HANDLER_METHODS, isObject, transportOf } from './sdk-internals';
import { sendWith } from './sdk-internals';
import type { JsonRpcMessage, SdkProtocol, SdkTransport, Sender } from './sdk-internals';
import { httpPeerOf } from './node-request';
import { changeOnce, wrapInstanceMethod } from './sdk-objects';
import { processWeakMap } from './state';
import { respond } from './receive';

/** The connection of each Protocol, and of each transport (what leaves through its `send`). */
const byProtocol = processWeakMap<object, Connection>('transport.byProtocol');
const byTransport = processWeakMap<object, Connection>('transport.byTransport');

/** Records a new connection of `protocol` to `transport` (it replaces the previous one of that protocol). */
export function registerConnection(
  protocol: SdkProtocol & object,
  transport: SdkTransport & object,
  ctl: Controller,
): Connection {
  const connection = newConnection(protocol, transport, ctl);
  byProtocol.set(protocol, connection);
  byTransport.set(transport, connection);
  return connection;
}

/** The connection a Protocol was bound to, if any. */
export function knownConnection(protocol: object): Connection | undefined {
  return byProtocol.get(protocol);
}

/** Puts back the connection a refused connect() call replaced. */
export function restoreConnection(protocol: object, connection: Connection): void {
  byProtocol.set(protocol, connection);
}

/** The connection whose messages leave through this transport. */
export function connectionOfTransport(transport: object): Connection | undefined {
  return byTransport.get(transport);
}

/** Binds a Protocol to the transport it connects: a new connection, the transport wrapped, a stdio stdin watched. */
export function attach(protocol: SdkProtocol & object, transport: SdkTransport & object, ctl: Controller): Connection {
  const connection = registerConnection(protocol, transport, ctl);
  wrapTransport(transport);
  watchStdin(connection);
  return connection;
}

/** The connection of a Protocol; one connected before the patch is bound at its first message. */
export function connectionOf(protocol: SdkProtocol & object, ctl: Controller): Connection | undefined {
  const known = knownConnection(protocol);
  if (known) return known;
  const transport = transportOf(protocol);
  return transport ? attach(protocol, transport, ctl) : undefined;
}

/**
 * `send` and the HTTP handlers are wrapped where the transport defines them, without shadowing an accessor, once by
 * any copy of @x/mcp-otel (sdk-objects.ts); what cannot be wrapped (a frozen or exotic transport) stays as it is: its
 * messages are still traced where the Protocol sees them.
 */
function wrapTransport(transport: SdkTransport & object): void {
  if (!changeOnce(transport, 'sdk-transport')) return;
  wrapInstanceMethod(
    transport,
    'send',
    (send) =>
      function send_(this: unknown, message: unknown, ...rest: unknown[]) {
        const connection = connectionOfTransport(transport);
        if (!connection?.ctl.enabled || !isObject(message)) return send.call(this, message, ...rest);
        return routeSend(connection, { send, thisArg: this, rest }, message as JsonRpcMessage);
      },
  );
  for (const name of HTTP_HANDLER_METHODS) {
    wrapInstanceMethod(
      transport,
      name,
      (handle) =>
        function (this: unknown, req: unknown, ...rest: unknown[]) {
          return context.with(withHttpPeer(context.active(), httpPeerOf(req) ?? {}), () =>
            handle.call(this, req, ...rest),
          );
        },
    );
  }
}

/** Where a message leaving through the transport goes: notifications and responses are traced here. */
function routeSend(connection: Connection, sender: Sender, message: JsonRpcMessage): unknown {
  if (typeof message.method === 'string') {
    if (message.id !== undefined) return sendWith(sender, requestOnTheWire(message));
    return sendNotification(connection, message as JsonRpcMessage & { method: string }, sender);
  }
  if (message.id === undefined) return sendWith(sender, message);
  return respond(connection, message, sender);
}
