/**
 * What an MCP span means to a reader: its method and target, its outcome and the session it belongs to. Pure
 * functions over a decoded span; the store calls them once per span as it arrives, `tail` as it prints.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  ATTR_MCP_RESULT_TYPE,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SERVER_NAME,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ATTR_RPC_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  CALLER_FAULT_CODES,
  ERROR_TYPE_TOOL_ERROR,
  RESULT_TYPE_INPUT_REQUIRED,
} from '../instrumentation/semconv';
import type { AttributeValue, Operation, Outcome, SpanRecord } from './model';

const STATUS_ERROR = 2;
const SPAN_KIND_CLIENT = 3;

const text = (value: AttributeValue | undefined): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * The span's outcome; see Outcome in model.ts for the rules, which follow the README's "Errors" table. The JSON-RPC
 * code is read under either name the preload may record it (rpc-semconv.ts: the stable `rpc.status_code` too). A
 * CLIENT span with a caller fault's code and no error.type is a reply its caller expected (the `server/discover`
 * probe's -32601 and -32022): ok.
 */
export function outcomeOf(span: SpanRecord): Outcome {
  const errorType = text(span.attributes[ATTR_ERROR_TYPE]);
  if (errorType === ERROR_TYPE_TOOL_ERROR) return 'tool_error';
  const code = Number(
    text(span.attributes[ATTR_RPC_RESPONSE_STATUS_CODE]) ?? text(span.attributes[ATTR_RPC_STATUS_CODE]),
  );
  const expected = span.kind === SPAN_KIND_CLIENT && errorType === undefined;
  if (Number.isInteger(code) && CALLER_FAULT_CODES.has(code) && !expected) return 'caller_fault';
  if (errorType !== undefined || span.status.code === STATUS_ERROR) return 'error';
  if (span.attributes[ATTR_MCP_RESULT_TYPE] === RESULT_TYPE_INPUT_REQUIRED) return 'input_required';
  return 'ok';
}

/**
 * The session an MCP span belongs to: its mcp.session.id (Streamable HTTP with sessions); else its process's
 * connection: the service, its instance (service.instance.id, else the process id) and the side, and on a client the
 * server it calls (mcp.server.name, else server.address:port), so that an agent's two stdio servers are two sessions.
 * A server without sessions (stateless HTTP, the 2026-07-28 era) has one: every client of that process.
 */
export function sessionKeyOf(span: SpanRecord): string {
  const session = text(span.attributes[ATTR_MCP_SESSION_ID]);
  if (session !== undefined) return session;
  const instance = text(span.resource['service.instance.id']) ?? text(span.resource['process.pid']) ?? '';
  if (span.kind !== SPAN_KIND_CLIENT) return `${span.service} ${instance} server`;
  const address = text(span.attributes[ATTR_SERVER_ADDRESS]);
  const port = text(span.attributes[ATTR_SERVER_PORT]);
  const peer = text(span.attributes[ATTR_MCP_SERVER_NAME]) ?? (address === undefined ? '' : `${address}:${port ?? ''}`);
  return `${span.service} ${instance} client ${peer}`.trimEnd();
}

/** The operation an MCP span stands for, or undefined for a span that is not one (no mcp.method.name). */
export function operationOf(span: SpanRecord, id: number): Operation | undefined {
  const method = text(span.attributes[ATTR_MCP_METHOD_NAME]);
  if (method === undefined) return undefined;
  const target =
    text(span.attributes[ATTR_GEN_AI_TOOL_NAME]) ??
    text(span.attributes[ATTR_GEN_AI_PROMPT_NAME]) ??
    text(span.attributes[ATTR_MCP_RESOURCE_URI]);
  const errorType = text(span.attributes[ATTR_ERROR_TYPE]);
  const operation: Operation = {
    id,
    traceId: span.traceId,
    spanId: span.spanId,
    service: span.service,
    kind: span.kind,
    method,
    name: span.name,
    startMs: span.startMs,
    durationMs: Math.max(0, span.endMs - span.startMs),
    outcome: outcomeOf(span),
    session: sessionKeyOf(span),
  };
  if (target !== undefined) operation.target = target;
  if (errorType !== undefined) operation.errorType = errorType;
  if (span.status.message) operation.statusMessage = span.status.message;
  return operation;
}
