/**
 * How an MCP operation failed, in the conventions' terms: pure functions from a JSON-RPC error code, an HTTP refusal
 * or an exception to `error.type`, the status code (`rpc.response.status_code`, or the name(s) rpc-semconv.ts chose)
 * and whether the span is an error. The wrappers apply them to spans.
 */
import { CALLER_FAULT_CODES, ERROR_TYPE_OTHER } from './semconv';
import type { Side } from './metrics';

/** What a JSON-RPC error code puts on a span: either attribute may be absent. */
export interface ErrorCodeOutcome {
  /** The status code attribute's value (under the name(s) rpc-semconv.ts chose), for every integer code. */
  statusCode?: string;
  /** `error.type`, and an error status with it; absent for a caller fault seen by the server. */
  errorType?: string;
}

/**
 * Always the status code; an error unless a SERVER span sees a caller fault (parse error, invalid request,
 * method not found, invalid params, resource not found): the server answered as it should. A code that is not an
 * integer is `_OTHER`.
 */
export function errorCodeOutcome(code: unknown, side: Side): ErrorCodeOutcome {
  if (typeof code !== 'number' || !Number.isSafeInteger(code)) return { errorType: ERROR_TYPE_OTHER };
  const statusCode = String(code);
  if (side === 'server' && CALLER_FAULT_CODES.has(code)) return { statusCode };
  return { statusCode, errorType: statusCode };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** An HTTP status code (RFC 9110: three digits). The JSON-RPC codes of the SDKs' own errors are negative. */
function isHttpStatus(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599;
}

/** v1's SSEClientTransport throws a plain Error when its POST is refused; the status is only in this message. */
const SSE_POST_REFUSED = /^Error POSTing to endpoint \(HTTP (\d{3})\)/;

/**
 * The HTTP status of a message a client sent that the server refused at the HTTP layer, before any JSON-RPC answer
 * (401, 404, 405...), from what each client throws: SDK v2's SdkHttpError (`status`), @ai-sdk/mcp's MCPClientError
 * (`statusCode`), v1's StreamableHTTPError (the status as its `code`; its -1, an unexpected content type, is not
 * HTTP's) and v1's SSEClientTransport (the message). Undefined for anything else: v1's and v2's UnauthorizedError,
 * the end of a failed OAuth flow that may follow a 401 or a 403, carries no status.
 */
export function httpRefusalStatus(err: unknown): number | undefined {
  if (!isObject(err)) return undefined;
  try {
    if (isHttpStatus(err.status)) return err.status;
    if (isHttpStatus(err.statusCode)) return err.statusCode;
    if (isHttpStatus(err.code)) return err.code;
    const refused = typeof err.message === 'string' ? SSE_POST_REFUSED.exec(err.message) : null;
    return refused ? Number(refused[1]) : undefined;
  } catch {
    // A getter of an app's own error class that throws: not a refusal we can read.
    return undefined;
  }
}

/** The class name of an exception: low in cardinality, and what users search for. */
export function exceptionErrorType(err: unknown): string {
  const name = isObject(err) ? ((err.constructor as { name?: unknown } | undefined)?.name ?? err.name) : undefined;
  return typeof name === 'string' && name !== '' && name !== 'Object' ? name : ERROR_TYPE_OTHER;
}

/** String(value), which throws for an object without a prototype (nothing to convert it with). */
export function text(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** The status description of an exception. */
export function exceptionMessage(err: unknown): string | undefined {
  if (isObject(err) && typeof err.message === 'string') return err.message;
  return err === undefined ? undefined : text(err);
}

/** What recordException() takes: the Error itself, or the text of anything else thrown. */
export function asException(err: unknown): Error | string {
  return err instanceof Error ? err : text(err);
}

/** An McpError-like exception with a caller-fault code is a protocol answer, not a failure of the handler. */
export function isCallerFault(err: unknown): boolean {
  return (
    isObject(err) && typeof err.code === 'number' && Number.isSafeInteger(err.code) && CALLER_FAULT_CODES.has(err.code)
  );
}
