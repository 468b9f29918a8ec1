/**
 * Who is on the other side of a connection: the name and version the peer reports of itself, kept on the connection
 * and put on every span of it (`mcp.client.*` where the peer is the client, `mcp.server.*` where it is the server).
 * - 2025 era: the `clientInfo` of the `initialize` request and the `serverInfo` of its result, once per connection;
 *   the SDK keeps them too (`Server._clientVersion`, `Client._serverVersion`), which covers a connection that
 *   skipped `initialize` (a resumed Streamable HTTP session, a v2 client after its `server/discover` probe).
 * - 2026-07-28: `_meta["io.modelcontextprotocol/clientInfo"]` on each request and
 *   `_meta["io.modelcontextprotocol/serverInfo"]` on each result; the latest one seen is kept for the spans that carry
 *   none (notifications).
 * The conventions have no names for these yet (semantic-conventions-genai #437): ours are Sentry's, provisional.
 * A peer's strings are bounded (caps.ts); anything but a string is left out.
 */
import type { Attributes } from '@opentelemetry/api';
import { cappedValue } from './caps';
import type { Connection } from './connection';
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

/** Which side the peer is. */
type PeerRole = 'client' | 'server';

const KEYS: Record<PeerRole, readonly [name: string, version: string]> = {
  client: [ATTR_MCP_CLIENT_NAME, ATTR_MCP_CLIENT_VERSION],
  server: [ATTR_MCP_SERVER_NAME, ATTR_MCP_SERVER_VERSION],
};

/** The SDK's own record of the peer, on a Client (`_serverVersion`) or a Server (`_clientVersion`), v1 and v2. */
interface SdkPeerFields {
  _serverVersion?: unknown;
  _clientVersion?: unknown;
}

/** The attributes of an MCP `Implementation` ({ name, version, ... }) the peer sent; undefined without a name. */
function identityOf(role: PeerRole, info: unknown): Attributes | undefined {
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

/** What the connection knows of its peer: what was seen, else what the SDK instance keeps. */
function knownIdentity(connection: Connection): Attributes | undefined {
  if (connection.peer !== undefined) return connection.peer;
  const fields = connection.protocol as SdkPeerFields;
  const seen = identityOf('server', fields._serverVersion) ?? identityOf('client', fields._clientVersion);
  // Kept only once found: the SDK sets its field later (at the initialize it handles).
  if (seen !== undefined) connection.peer = seen;
  return seen;
}

/**
 * A message received (a request or notification): the client's identity it carries (the `initialize` params, a
 * 2026-07-28 request's `_meta`) is kept; the attributes get the peer's identity as now known.
 */
export function receivedPeerIdentity(
  connection: Connection | undefined,
  method: string,
  params: Record<string, unknown> | undefined,
  attributes: Attributes,
): void {
  const carried =
    identityOf('client', metaOf(params)?.[CLIENT_INFO_META_KEY]) ??
    (method === 'initialize' ? identityOf('client', params?.clientInfo) : undefined);
  if (carried !== undefined && connection !== undefined) connection.peer = carried;
  const identity = carried ?? (connection && knownIdentity(connection));
  if (identity !== undefined) Object.assign(attributes, identity);
}

/** A message sent: the peer's identity as now known. */
export function sentPeerIdentity(connection: Connection | undefined, attributes: Attributes): void {
  const identity = connection && knownIdentity(connection);
  if (identity !== undefined) Object.assign(attributes, identity);
}

/** The results that name their server in a field: `initialize`, and `server/discover` before SDK 2.4 (now `_meta`). */
const NAMING_RESULTS: ReadonlySet<string> = new Set(['initialize', METHOD_SERVER_DISCOVER]);

/**
 * A result received for a request this side sent: the server's identity it carries (the `initialize` result's
 * `serverInfo`, a 2026-07-28 result's `_meta`) is kept and set on the operation.
 */
export function resultPeerIdentity(connection: Connection | undefined, operation: Operation, result: unknown): void {
  const identity =
    identityOf('server', metaOf(result)?.[SERVER_INFO_META_KEY]) ??
    (NAMING_RESULTS.has(operation.method) && isObject(result) ? identityOf('server', result.serverInfo) : undefined);
  if (identity === undefined) return;
  if (connection !== undefined) connection.peer = identity;
  for (const [key, value] of Object.entries(identity)) if (value !== undefined) operation.setAttribute(key, value);
}

/** The server's identity a session's duration is recorded with, on the client. */
export function sessionPeerIdentity(connection: Connection, attributes: Attributes): void {
  const identity = connection.peer;
  if (identity?.[ATTR_MCP_SERVER_NAME] !== undefined) Object.assign(attributes, identity);
}
