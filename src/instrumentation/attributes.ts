/** Span names and attributes from a JSON-RPC message and the facts of the transport that carries it. */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  METHOD_PROMPTS_GET,
  METHOD_TOOLS_CALL,
  RESOURCE_URI_METHODS,
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
  /** The JSON-RPC id; undefined for notifications. */
  id?: string | number;
  sessionId?: string;
  protocolVersion?: string;
}

export function paramsOf(message: { params?: unknown }): Record<string, unknown> | undefined {
  const params = message.params;
  return typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : undefined;
}

function stringParam(params: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = params?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** `{mcp.method.name} {target}`: the tool name for tools/call, the prompt name for prompts/get, else the method. */
export function spanName(method: string, params: Record<string, unknown> | undefined): string {
  const target =
    method === METHOD_TOOLS_CALL ? stringParam(params, 'name') : method === METHOD_PROMPTS_GET ? stringParam(params, 'name') : undefined;
  return target ? `${method} ${target}` : method;
}

/** The attributes known when a span starts. */
export function startAttributes(message: MessageFacts, facts: TransportFacts | undefined): Attributes {
  const { method, params } = message;
  const attributes: Attributes = { [ATTR_MCP_METHOD_NAME]: method };
  if (method === METHOD_TOOLS_CALL) {
    const tool = stringParam(params, 'name');
    if (tool !== undefined) attributes[ATTR_GEN_AI_TOOL_NAME] = tool;
    attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
  } else if (method === METHOD_PROMPTS_GET) {
    const prompt = stringParam(params, 'name');
    if (prompt !== undefined) attributes[ATTR_GEN_AI_PROMPT_NAME] = prompt;
  } else if (RESOURCE_URI_METHODS.has(method)) {
    const uri = stringParam(params, 'uri');
    if (uri !== undefined) attributes[ATTR_MCP_RESOURCE_URI] = uri;
  }
  if (message.id !== undefined && message.id !== null) attributes[ATTR_JSONRPC_REQUEST_ID] = String(message.id);
  if (message.sessionId) attributes[ATTR_MCP_SESSION_ID] = message.sessionId;
  if (message.protocolVersion) attributes[ATTR_MCP_PROTOCOL_VERSION] = message.protocolVersion;
  if (facts?.networkTransport) attributes[ATTR_NETWORK_TRANSPORT] = facts.networkTransport;
  if (facts?.protocolName) attributes[ATTR_NETWORK_PROTOCOL_NAME] = facts.protocolName;
  return attributes;
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
 * The SDK's transports are recognised by class name, which has been stable through SDK 1.x; a custom transport gets no
 * network attributes rather than a guess. A URL the client transport keeps gives server.address and server.port.
 */
export function transportFacts(transport: object): TransportFacts {
  const name = (transport.constructor as { name?: unknown } | undefined)?.name;
  const facts: TransportFacts = {};
  if (typeof name === 'string') {
    if (/^Stdio(Server|Client)Transport$/.test(name)) {
      facts.networkTransport = 'pipe';
    } else if (/StreamableHTTP|SSE/.test(name)) {
      facts.networkTransport = 'tcp';
      facts.protocolName = 'http';
    } else if (/WebSocket/.test(name)) {
      facts.networkTransport = 'tcp';
      facts.protocolName = 'websocket';
    }
  }
  const url = (transport as { _url?: unknown })._url;
  if (facts.networkTransport === 'tcp' && url instanceof URL && url.hostname) {
    facts.serverAddress = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = url.port ? Number(url.port) : defaultPort(url.protocol);
    if (port !== undefined) facts.serverPort = port;
  }
  return facts;
}

function defaultPort(protocol: string): number | undefined {
  if (protocol === 'https:' || protocol === 'wss:') return 443;
  if (protocol === 'http:' || protocol === 'ws:') return 80;
  return undefined;
}
