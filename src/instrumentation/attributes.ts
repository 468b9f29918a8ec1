/** Span attributes from a JSON-RPC message and the facts of its transport (the per-method part: methods.ts). */
import type { Attributes } from '@opentelemetry/api';
import { methodRule } from './methods';
import { cappedValue } from './caps';
import { isObject, nonEmptyString, PROTOCOL_VERSION_META_KEY } from './sdk-internals';
import type { SdkAuthInfo, SdkMessageExtra, SdkTransport } from './sdk-internals';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ENDUSER_ID,
  ATTR_ENDUSER_SCOPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  RESULT_TYPE_OTHER,
  RESULT_TYPES,
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
}

export function paramsOf(message: { params?: unknown }): Record<string, unknown> | undefined {
  const params = message.params;
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : undefined;
}

/** The version a 2026-07-28 request claims in its `_meta` envelope. */
export function envelopeVersion(params: Record<string, unknown> | undefined): string | undefined {
  const meta = params?._meta;
  return isObject(meta) ? nonEmptyString(meta[PROTOCOL_VERSION_META_KEY]) : undefined;
}

/** The attributes known when a span starts. */
export function startAttributes(message: MessageFacts, facts: TransportFacts | undefined): Attributes {
  // What comes from a message is bounded (caps.ts): the method, the id, the session id, the version a peer claims.
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: cappedValue(message.method) };
  methodRule(message.method).attributes?.(message.params, attributes);
  if (message.id !== undefined && message.id !== null)
    attributes[ATTR_JSONRPC_REQUEST_ID] = cappedValue(String(message.id));
  if (message.sessionId) attributes[ATTR_MCP_SESSION_ID] = cappedValue(message.sessionId);
  if (message.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = cappedValue(message.protocolVersion);
  if (facts?.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = facts.networkTransport;
  if (facts?.protocolName) attributes[ATTR_NETWORK_PROTOCOL_NAME] = facts.protocolName;
  return attributes;
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
