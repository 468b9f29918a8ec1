/**
 * Who is on the other side of a connection: the name and version the peer reports of itself, kept on the connection
 * and put on every span of it (`mcp.client.*` where the peer is the client, `mcp.server.*` where it is the server).
 * - 2025 era: the `clientInfo` of the `initialize` request and the `serverInfo` of its result, once per connection;
 *   the SDK's Client keeps the latter too (`_serverVersion`), which covers a connection that skipped `initialize` (a
 *   resumed Streamable HTTP session, a v2 client after its `server/discover` probe).
 * - 2026-07-28: `_meta["io.modelcontextprotocol/clientInfo"]` on each request and
 *   `_meta["io.modelcontextprotocol/serverInfo"]` on each result; the latest one seen is kept for the spans that carry
 *   none (notifications).
 * The conventions have no names for these yet (semantic-conventions-genai #437): ours are Sentry's, provisional.
 * A peer's strings are bounded (caps.ts); anything but a string is left out. Each side takes only the other's
 * identity (Connection.role): a client cannot name a server to a server's metrics, nor a server a client.
 */
import type { Attributes } from '@opentelemetry/api';
import { cappedValue } from './caps';
import type { Operation } from './call';
import { isObject, nonEmptyString } from './sdk-internals';
import {
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  CLIENT_INFO_META_KEY,
  METHOD_SERVER_DISCOVER,
  SERVER_INFO_META_KEY,
} from './semconv';

/** A side of an MCP connection: the local one (Connection.role), or the peer's. */
export type Role = 'client' | 'server';

/** What this file reads and keeps of a connection (connection.ts's Connection is one). */
interface PeerRecord {
  readonly protocol: object;
  readonly role?: Role;
  peer?: Attributes;
}

const KEYS: Record<Role, readonly [name: string, version: string]> = {
  client: [ATTR_MCP_CLIENT_NAME, ATTR_MCP_CLIENT_VERSION],
  server: [ATTR_MCP_SERVER_NAME, ATTR_MCP_SERVER_VERSION],
};

/** The results that name their server in a field: `initialize`, and `server/discover` before SDK 2.4 (now `_meta`). */
const NAMING_RESULTS: ReadonlySet<string> = new Set(['initialize', METHOD_SERVER_DISCOVER]);

/** The SDK's own record, on a Client (`_clientInfo`, `_serverVersion`) or a Server (`_serverInfo`), v1 and v2. */
interface SdkPeerFields {
  _clientInfo?: unknown;
  _serverInfo?: unknown;
  _serverVersion?: unknown;
}

/** The local role of an SDK Protocol instance: a Client keeps its own `_clientInfo`, a Server its `_serverInfo`. */
export function roleOf(protocol: object): Role | undefined {
  if (Object.hasOwn(protocol, '_clientInfo')) return 'client';
  return Object.hasOwn(protocol, '_serverInfo') ? 'server' : undefined;
}

/** The attributes of an MCP `Implementation` ({ name, version, ... }) the peer sent; undefined without a name. */
function identityOf(role: Role, info: unknown): Attributes | undefined {
  if (!isObject(info)) return undefined;
  const name = nonEmptyString(info.name);
  if (name === undefined) return undefined;
  const [nameKey, versionKey] = KEYS[role];
  const identity: Attributes = { [nameKey]: cappedValue(name) };
  const version = nonEmptyString(info.version);
  if (version !== undefined) identity[versionKey] = cappedValue(version);
  return identity;
}

function metaOf(holder: unknown): Record<string, unknown> | undefined {
  const meta = isObject(holder) ? holder._meta : undefined;
  return isObject(meta) ? (meta as Record<string, unknown>) : undefined;
}

/**
 * What a client connection knows of its server when no result told it yet: what the SDK's Client kept, for a
 * connection that skipped `initialize` (a resumed session; a v2 client after its probe). Not for the requests that
 * name the server themselves: a v1 Client reused for another server still holds the previous one's.
 */
function knownIdentity(connection: PeerRecord, method: string): Attributes | undefined {
  if (connection.peer !== undefined || connection.role !== 'client' || NAMING_RESULTS.has(method))
    return connection.peer;
  const seen = identityOf('server', (connection.protocol as SdkPeerFields)._serverVersion);
  // Kept only once found: the SDK sets its field later.
  if (seen !== undefined) connection.peer = seen;
  return seen;
}

/**
 * A message received (a request or notification): on a server, the client's identity it carries (the `initialize`
 * params, a 2026-07-28 request's `_meta`) is kept; the attributes get the peer's identity as now known. What a server
 * sends its client carries no identity of the server's that a client would take (the roles are checked: a peer must
 * not name itself as the other side). Never throws (a peer's getters may).
 */
export function receivedPeerIdentity(
  connection: PeerRecord | undefined,
  method: string,
  params: Record<string, unknown> | undefined,
  attributes: Attributes,
): void {
  try {
    const carried =
      connection?.role === 'client'
        ? undefined
        : (identityOf('client', metaOf(params)?.[CLIENT_INFO_META_KEY]) ??
          (method === 'initialize' ? identityOf('client', params?.clientInfo) : undefined));
    if (carried !== undefined && connection !== undefined) connection.peer = carried;
    const identity = carried ?? (connection && knownIdentity(connection, method));
    if (identity !== undefined) Object.assign(attributes, identity);
  } catch {
    // What could not be read is not recorded.
  }
}

/** A message sent: the peer's identity as now known. */
export function sentPeerIdentity(connection: PeerRecord | undefined, method: string, attributes: Attributes): void {
  const identity = connection && knownIdentity(connection, method);
  if (identity !== undefined) Object.assign(attributes, identity);
}

/**
 * A result received for a request this side sent, on a client: the server's identity it carries (the `initialize`
 * result's `serverInfo`, a 2026-07-28 result's `_meta`) is kept and set on the operation. A server's requests to its
 * client (sampling, elicitation) get no server identity from the client's answer. Never throws.
 */
export function resultPeerIdentity(connection: PeerRecord | undefined, operation: Operation, result: unknown): void {
  if (connection?.role === 'server') return;
  try {
    const identity =
      identityOf('server', metaOf(result)?.[SERVER_INFO_META_KEY]) ??
      (NAMING_RESULTS.has(operation.method) && isObject(result) ? identityOf('server', result.serverInfo) : undefined);
    if (identity === undefined) return;
    if (connection !== undefined) connection.peer = identity;
    for (const [key, value] of Object.entries(identity)) if (value !== undefined) operation.setAttribute(key, value);
  } catch {
    // What could not be read is not recorded.
  }
}

/** The server's identity a session's duration is recorded with, on the client. */
export function sessionPeerIdentity(connection: PeerRecord, attributes: Attributes): void {
  if (connection.role !== 'server' && connection.peer?.[ATTR_MCP_SERVER_NAME] !== undefined)
    Object.assign(attributes, connection.peer);
}
