/**
 * Span attributes, pure builders apart from the wrapping: from a JSON-RPC message, the facts of its transport, the
 * peer's identity and a result (the per-method part: methods.ts).
 */
import type { Attributes } from '@opentelemetry/api';
import type { Operation } from './operation';
import { ATTR_GEN_AI_TOOL_CALL_RESULT, requestContent, resultContent } from './content';
import type { ContentCapture } from './content';
import { requestSizes, sizeResult } from './content-size';
import type { Side } from './metrics';
import { methodRule } from './methods';
import type { MethodRule } from './methods';
import { cappedValue } from './caps';
import { isObject, nonEmptyString, PROTOCOL_VERSION_META_KEY } from './sdk-internals';
import type { SdkAuthInfo, SdkMessageExtra, SdkTransport } from './sdk-internals';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESULT_TYPE,
  ATTR_MCP_SERVER_NAME,
  ATTR_MCP_SERVER_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  CLIENT_INFO_META_KEY,
  METHOD_SERVER_DISCOVER,
  RESULT_TYPE_OTHER,
  RESULT_TYPES,
  SERVER_INFO_META_KEY,
} from './semconv';

/** What is known of a connection's transport, gathered once when the Protocol connects. */
export interface TransportFacts {
  networkTransport?: 'pipe' | 'tcp';
  protocolName?: 'http' | 'websocket';
  serverAddress?: string;
  serverPort?: number;
}

/** The peer of one received HTTP request, from the Node.js IncomingMessage the server transport was handed. */
export interface HttpPeer {
  address?: string;
  port?: number;
  httpVersion?: string;
  /** The `mcp-protocol-version` header. */
  protocolVersion?: string;
}

export interface MessageFacts {
  method: string;
  params: Record<string, unknown> | undefined;
  /** The JSON-RPC id of a received request; undefined for notifications, and for a request not yet numbered. */
  id?: string | number;
  /** A sent message: a request (numbered by the SDK once it is sent), or a notification. */
  kind?: 'request' | 'notification';
  sessionId?: string;
  protocolVersion?: string;
  /** The method's row of the table (methods.ts), when the caller has it already. */
  rule?: MethodRule;
}

/** The version a 2026-07-28 request claims in its `_meta` envelope. */
export function envelopeVersion(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta;
  return isObject(meta) ? nonEmptyString(meta[PROTOCOL_VERSION_META_KEY]) : undefined;
}

/** The attributes known when a span starts. */
export function startAttributes(
  message: MessageFacts,
  facts: TransportFacts | undefined,
  protocolVersion = message.protocolVersion,
): Attributes {
  // What comes from a message is bounded (caps.ts): the method, the id, the session id, the version a peer claims.
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: cappedValue(message.method) };
  (message.rule ?? methodRule(message.method)).attributes?.(message.params, attributes);
  if (message.id !== undefined && message.id !== null)
    attributes[ATTR_JSONRPC_REQUEST_ID] = cappedValue(String(message.id));
  if (message.sessionId) attributes[ATTR_MCP_SESSION_ID] = cappedValue(message.sessionId);
  if (protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = cappedValue(protocolVersion);
  if (facts?.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = facts.networkTransport;
  if (facts?.protocolName) attributes[ATTR_NETWORK_PROTOCOL_NAME] = facts.protocolName;
  return attributes;
}

/** What versionOf reads of a connection (connection.ts's Connection is one). */
interface VersionRecord {
  readonly protocol: { _negotiatedProtocolVersion?: unknown };
  protocolVersion?: string;
}

/**
 * The protocol version a connection speaks: the one its `initialize` negotiated, else (v2) the one its Protocol
 * instance holds, which the client's `server/discover` probe or the serving entry set for the 2026-07-28 era.
 */
export function versionOf(connection: VersionRecord | undefined): string | undefined {
  if (connection === undefined) return undefined;
  return connection.protocolVersion ?? nonEmptyString(connection.protocol._negotiatedProtocolVersion);
}

/** What the start builders read of a connection (connection.ts's Connection is one). */
type ConnectionRecord = PeerRecord & VersionRecord & { readonly facts: TransportFacts };

/** The switches of the attribute builders (the instrumentation's Controller has them). */
export interface AttributeSwitches {
  readonly captureEndUser: boolean;
  readonly capturePeerIdentity: boolean;
}

/**
 * The attributes of a message received when its SERVER span starts: the message's, the transport's, the HTTP peer's,
 * the peer's identity and the end user's. The protocol version is the one the message names (a 2026-07-28 request,
 * in its `_meta` envelope), else the connection's, else the HTTP request header's (stateless Streamable HTTP has no
 * initialize on this connection).
 */
export function receivedAttributes(
  message: MessageFacts,
  connection: ConnectionRecord | undefined,
  peer: HttpPeer | undefined,
  extra: unknown,
  switches: AttributeSwitches,
): Attributes {
  const protocolVersion = envelopeVersion(message.params) ?? versionOf(connection) ?? peer?.protocolVersion;
  const attributes = startAttributes(message, connection?.facts, protocolVersion);
  peerAttributes(peer, attributes);
  if (switches.capturePeerIdentity) receivedPeerIdentity(connection, message.method, message.params, attributes);
  if (switches.captureEndUser) endUserAttributes(extra, attributes);
  return attributes;
}

/**
 * The attributes of a message sent when its CLIENT span starts: the message's, the transport's, the server's
 * address and the peer's identity as known.
 */
export function sentAttributes(
  message: MessageFacts,
  connection: ConnectionRecord | undefined,
  switches: AttributeSwitches,
): Attributes {
  const attributes = startAttributes(message, connection?.facts, versionOf(connection));
  serverAttributes(connection?.facts, attributes);
  if (switches.capturePeerIdentity) sentPeerIdentity(connection, message.method, attributes);
  return attributes;
}

/** The switches of the opt-in content (content.ts) and sizes (content-size.ts). */
export interface CaptureSwitches {
  readonly content: ContentCapture | undefined;
  readonly captureContentSizes: boolean;
}

/**
 * The opt-in content and sizes of a request, set on its operation once its span is known to be recorded: for a span
 * that is not (sampled out), nothing is serialized or measured. Span attributes only (never the metrics').
 */
export function captureRequest(
  switches: CaptureSwitches,
  side: Side,
  operation: Operation,
  params: Record<string, unknown> | undefined,
): void {
  if ((switches.content === undefined && !switches.captureContentSizes) || !operation.span.isRecording()) return;
  const captured: Attributes = {};
  if (switches.content) requestContent(switches.content, side, operation.method, params, captured);
  if (switches.captureContentSizes) requestSizes(operation.method, params, captured);
  for (const [key, value] of Object.entries(captured)) if (value !== undefined) operation.setAttribute(key, value);
}

/** The opt-in content and size of a result, on a recorded span (as captureRequest). */
export function captureResult(switches: CaptureSwitches, side: Side, operation: Operation, result: unknown): void {
  if ((switches.content === undefined && !switches.captureContentSizes) || !operation.span.isRecording()) return;
  const content = switches.content && resultContent(switches.content, side, operation.method, result);
  if (content) operation.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, content);
  if (switches.captureContentSizes) sizeResult(operation, result);
}

/**
 * `mcp.result.type`: the `resultType` of a 2026-07-28 result (earlier revisions have none). The peer chooses the
 * string and it goes to the metrics: the kinds known (RESULT_TYPES) as they are, anything else `_OTHER`. Never throws.
 */
export function resultTypeOf(result: unknown): string | undefined {
  let type: unknown;
  try {
    type = isObject(result) ? result.resultType : undefined;
  } catch {
    return undefined;
  }
  if (typeof type !== 'string') return undefined;
  return RESULT_TYPES.has(type) ? type : RESULT_TYPE_OTHER;
}

/** server.address and server.port, for the spans of the side that connected to a URL. */
export function serverAttributes(facts: TransportFacts | undefined, attributes: Attributes): void {
  if (facts?.serverAddress === undefined) return;
  attributes[ATTR_SERVER_ADDRESS] = facts.serverAddress;
  if (facts.serverPort !== undefined) attributes[ATTR_SERVER_PORT] = facts.serverPort;
}

/** client.address, client.port and the HTTP version, for the spans of the side that received an HTTP request. */
export function peerAttributes(peer: HttpPeer | undefined, attributes: Attributes): void {
  if (peer === undefined) return;
  if (peer.address !== undefined) {
    attributes[ATTR_CLIENT_ADDRESS] = peer.address;
    if (peer.port !== undefined) attributes[ATTR_CLIENT_PORT] = peer.port;
  }
  if (peer.httpVersion !== undefined) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = peer.httpVersion;
}

/**
 * `enduser.id` (the OAuth client id) and `enduser.scope` (the granted scopes, space-separated) of the caller, from the
 * auth info the SDK hands a received message (`extra.authInfo`, set by its bearer-auth middleware or the app's
 * `req.auth`), as FastMCP records them. The token is never read.
 */
export function endUserAttributes(extra: unknown, attributes: Attributes): void {
  const auth = isObject(extra) ? (extra as SdkMessageExtra).authInfo : undefined;
  if (!isObject(auth)) return;
  const { clientId, scopes } = auth as SdkAuthInfo;
  if (typeof clientId === 'string' && clientId !== '') attributes[ATTR_ENDUSER_ID] = cappedValue(clientId);
  if (Array.isArray(scopes) && scopes.length > 0 && scopes.every((scope) => typeof scope === 'string'))
    attributes[ATTR_ENDUSER_SCOPE] = cappedValue(scopes.join(' '));
}

/**
 * The SDK's transports are recognised by class name, which has been stable through SDK 1.x (the stdio ones also by
 * their fields, where a bundle mangled the name: shapeFacts); a custom transport gets no network attributes rather than
 * a guess. A URL the client transport keeps gives server.address and server.port.
 */
export function transportFacts(transport: SdkTransport & object): TransportFacts {
  const name = (transport.constructor as { name?: unknown } | undefined)?.name;
  const facts: TransportFacts = {};
  if (typeof name === 'string') {
    // v2: serveStdio() connects each Server to a StdioConnectionChannel over the stdio transport, createMcpHandler()
    // to a PerRequestHTTPServerTransport for one HTTP request.
    if (/^Stdio(Server|Client)Transport$|^StdioConnectionChannel$/.test(name)) {
      facts.networkTransport = 'pipe';
    } else if (/StreamableHTTP|SSE|^PerRequestHTTPServerTransport$/.test(name)) {
      facts.networkTransport = 'tcp';
      facts.protocolName = 'http';
    } else if (/WebSocket/.test(name)) {
      facts.networkTransport = 'tcp';
      facts.protocolName = 'websocket';
    }
  }
  if (facts.networkTransport === undefined) shapeFacts(transport, facts);
  if (facts.networkTransport === 'tcp') urlFacts(transport._url, facts);
  return facts;
}

/** server.address and server.port from the URL a client transport connects to (a `URL` instance). */
export function urlFacts(url: unknown, facts: TransportFacts): void {
  if (!(url instanceof URL) || !url.hostname) return;
  facts.serverAddress = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : defaultPort(url.protocol);
  if (port !== undefined) facts.serverPort = port;
}

/**
 * A bundle that mangles class names (esbuild's or terser's minification, bundled-source.ts) leaves the SDK's stdio
 * transports their fields: the server's its two streams, the client's its spawn parameters. Other transports are not
 * guessed at (a URL alone does not tell the SDK's HTTP transport from an app's own).
 */
function shapeFacts(transport: SdkTransport & object, facts: TransportFacts): void {
  const fields = transport as Record<string, unknown>;
  const stream = (value: unknown) => isObject(value) && typeof (value as { on?: unknown }).on === 'function';
  const params = fields._serverParams;
  if ((stream(fields._stdin) && stream(fields._stdout)) || (isObject(params) && typeof params.command === 'string'))
    facts.networkTransport = 'pipe';
}

function defaultPort(protocol: string): number | undefined {
  if (protocol === 'https:' || protocol === 'wss:') return 443;
  if (protocol === 'http:' || protocol === 'ws:') return 80;
  return undefined;
}

/*
 * The peer's identity.
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

/**
 * What a result received tells of its request (on a client): the server's identity it carries (kept on the
 * connection, as resultPeerIdentity), its size (content-size.ts, when switched on) and its `mcp.result.type`, which is
 * returned. Read from the raw result: the SDK hands the caller a copy without `resultType` and, v2, without `_meta`;
 * its parsing may drop fields it does not know, or add defaults. Never throws.
 */
export function resultAttributes(
  connection: PeerRecord | undefined,
  operation: Operation,
  result: unknown,
  switches: Pick<AttributeSwitches, 'capturePeerIdentity'> & { readonly captureContentSizes: boolean },
): string | undefined {
  if (switches.capturePeerIdentity) resultPeerIdentity(connection, operation, result);
  if (switches.captureContentSizes && operation.span.isRecording()) sizeResult(operation, result);
  const resultType = resultTypeOf(result);
  if (resultType !== undefined) operation.setAttribute(ATTR_MCP_RESULT_TYPE, resultType);
  return resultType;
}

/** The server's identity a session's duration is recorded with, on the client. */
export function sessionPeerIdentity(connection: PeerRecord, attributes: Attributes): void {
  if (connection.role !== 'server' && connection.peer?.[ATTR_MCP_SERVER_NAME] !== undefined)
    Object.assign(attributes, connection.peer);
}
