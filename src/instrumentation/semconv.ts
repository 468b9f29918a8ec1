/**
 * Semantic-convention names used on MCP spans, copied from the OpenTelemetry MCP conventions
 * (semantic-conventions v1.39-v1.41 `docs/gen-ai/mcp.md`, now in semantic-conventions-genai) so that nothing is
 * imported from the incubating entry point of `@opentelemetry/semantic-conventions` at runtime.
 */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri';
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
/** The name the MCP conventions still use; semantic-conventions 1.45 renamed the general one `rpc.status_code`. */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
/** The stable RPC conventions' name (semantic-conventions 1.45), emitted on opt-in only (rpc-semconv.ts). */
export const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = 'execute_tool';
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_NETWORK_TRANSPORT = 'network.transport';
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version';
export const ATTR_SERVER_ADDRESS = 'server.address';
export const ATTR_SERVER_PORT = 'server.port';
export const ATTR_CLIENT_ADDRESS = 'client.address';
export const ATTR_CLIENT_PORT = 'client.port';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const ATTR_ENDUSER_ID = 'enduser.id';
export const ATTR_ENDUSER_SCOPE = 'enduser.scope';
/**
 * Ours, provisional (the conventions have none yet: semantic-conventions-genai #437; Sentry's names): the name and
 * version the peer reports of itself, `mcp.client.*` where the peer is the client, `mcp.server.*` where it is the
 * server (attributes.ts).
 */
export const ATTR_MCP_CLIENT_NAME = 'mcp.client.name';
export const ATTR_MCP_CLIENT_VERSION = 'mcp.client.version';
export const ATTR_MCP_SERVER_NAME = 'mcp.server.name';
export const ATTR_MCP_SERVER_VERSION = 'mcp.server.version';
/**
 * Ours, provisional: the `resultType` of a 2026-07-28 result (`complete`, `input_required`), so that a call paused
 * for input is kept apart from a completed one on spans and metric points.
 */
export const ATTR_MCP_RESULT_TYPE = 'mcp.result.type';
/** The `_meta` keys of the 2026-07-28 revision that carry the client's and the server's identity. */
export const CLIENT_INFO_META_KEY = 'io.modelcontextprotocol/clientInfo';
export const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';
/** The MCP methods of the 2026-07-28 revision that the instrumentation treats apart (they have no constants yet). */
export const METHOD_SERVER_DISCOVER = 'server/discover';
export const METHOD_SUBSCRIPTIONS_LISTEN = 'subscriptions/listen';
/** What answers a `subscriptions/listen` request that succeeded (its `_meta` names the subscription). */
export const METHOD_SUBSCRIPTIONS_ACKNOWLEDGED = 'notifications/subscriptions/acknowledged';
/** A 2026-07-28 result that asks the client for input; the client sends the request again, with a new id. */
export const RESULT_TYPE_INPUT_REQUIRED = 'input_required';
/**
 * The `resultType`s recorded as they are: a completed call, one paused for input, and a task handed back (the tasks
 * extension, `@modelcontextprotocol/ext-tasks`); another is RESULT_TYPE_OTHER (the peer chooses it: bounded).
 */
export const RESULT_TYPES: ReadonlySet<string> = new Set(['complete', RESULT_TYPE_INPUT_REQUIRED, 'task']);
export const RESULT_TYPE_OTHER = '_OTHER';

/** `error.type` of a tool result with `isError: true` (the conventions' own value). */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error';
/** `error.type` of a request the caller cancelled through its AbortSignal (our choice; see the README). */
export const ERROR_TYPE_CANCELLED = 'cancelled';
/** The conventions' fallback `error.type`. */
export const ERROR_TYPE_OTHER = '_OTHER';

/**
 * JSON-RPC codes that are the caller's fault: on SERVER spans they are recorded as `rpc.response.status_code` but are
 * not errors (semantic-conventions-genai PR #404): parse error, invalid request, method not found, invalid params,
 * resource not found. The conventions do not list the 2026-07-28 codes yet; ours (see the README): header mismatch
 * (-32020), missing required client capability (-32021) and unsupported protocol version (-32022) are the caller's
 * fault too, like invalid params: the server refused, as it must, a request it cannot serve from that caller.
 */
export const CALLER_FAULT_CODES: ReadonlySet<number> = new Set([
  -32700, -32600, -32601, -32602, -32002, -32020, -32021, -32022,
]);

/** The `_meta` keys MCP reserves for W3C trace context and baggage (MCP SEP-414). */
export const META_TRACE_KEYS = ['traceparent', 'tracestate', 'baggage'] as const;

export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration';
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration';
export const METRIC_MCP_CLIENT_SESSION_DURATION = 'mcp.client.session.duration';
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration';
