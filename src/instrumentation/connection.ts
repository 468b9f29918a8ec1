/**
 * One connection of one Protocol instance (a Client or Server and the transport it was connected to): the transport's
 * facts, the negotiated protocol version, the operations in flight by JSON-RPC id, and the MCP session, from the
 * `initialize` that succeeded until the connection closes (for a stdio server, until its stdin ends: the SDK's
 * transport does not close then).
 */
import type { Attributes } from '@opentelemetry/api';
import { serverAttributes, transportFacts } from './attributes';
import { cappedValue } from './caps';
import type { TransportFacts } from './attributes';
import type { Controller, Operation } from './operation';
import { secondsSince } from './metrics';
import type { Side } from './metrics';
import { roleOf, sessionPeerIdentity } from './attributes';
import type { Role } from './attributes';
import { nonEmptyString } from './sdk-internals';
import type { SdkProtocol, SdkTransport } from './sdk-internals';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
} from './semconv';

export interface Connection {
  readonly protocol: SdkProtocol;
  readonly transport: SdkTransport & object;
  readonly facts: TransportFacts;
  readonly ctl: Controller;
  protocolVersion?: string;
  /** Received requests waiting for their response, by JSON-RPC id. */
  readonly pendingServer: Map<unknown, Operation>;
  /** Sent requests waiting for their response, by JSON-RPC id. */
  readonly pendingClient: Map<number, Operation>;
  session?: { side: Side; started: number };
  /** This side's role, where it is known (an SDK Client or Server; tmcp is a server, `@ai-sdk/mcp` a client). */
  readonly role?: Role;
  /** The peer's identity attributes, as last reported (attributes.ts). */
  peer?: Attributes;
  /** Stops listening for the end of a stdio server's stdin. */
  stopWatchingStdin?: () => void;
}

/** The record of a new connection of `protocol` to `transport` (transport.ts binds them to it). */
export function newConnection(
  protocol: SdkProtocol & object,
  transport: SdkTransport & object,
  ctl: Controller,
): Connection {
  const connection: Connection = {
    protocol,
    transport,
    facts: transportFacts(transport),
    ctl,
    role: roleOf(protocol),
    pendingServer: new Map(),
    pendingClient: new Map(),
  };
  // A client that resumes a Streamable HTTP session skips initialize; its transport kept the negotiated version.
  const version = nonEmptyString(transport.protocolVersion);
  if (version !== undefined) connection.protocolVersion = cappedValue(version);
  return connection;
}

/**
 * A stdio server's transport does not close when its stdin ends, but the session is over then. The listener goes when
 * the connection closes: an app that connects and closes on the same stdin must not pile listeners up.
 */
export function watchStdin(connection: Connection): void {
  const stdin = connection.transport._stdin as NodeJS.ReadableStream | undefined;
  if (!stdin || typeof stdin.once !== 'function' || typeof stdin.off !== 'function') return;
  const onEnd = () => endSession(connection);
  stdin.once('end', onEnd);
  connection.stopWatchingStdin = () => stdin.off('end', onEnd);
}

export function startSession(connection: Connection, side: Side, started: number): void {
  connection.session = { side, started };
}

/**
 * Records the session's duration, once. A session that closes with requests still in flight (either way) ends with
 * error.type -32000, the SDK's "connection closed".
 */
export function endSession(connection: Connection): void {
  const session = connection.session;
  if (!session) return;
  connection.session = undefined;
  const attributes: Attributes = {};
  if (connection.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = connection.protocolVersion;
  if (connection.facts.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = connection.facts.networkTransport;
  if (connection.facts.protocolName) attributes[ATTR_NETWORK_PROTOCOL_NAME] = connection.facts.protocolName;
  if (session.side === 'client') {
    serverAttributes(connection.facts, attributes);
    if (connection.ctl.capturePeerIdentity) sessionPeerIdentity(connection, attributes);
  }
  if (connection.pendingServer.size > 0 || connection.pendingClient.size > 0) attributes[ATTR_ERROR_TYPE] = '-32000';
  connection.ctl.recordSession(session.side, secondsSince(session.started), attributes);
}
