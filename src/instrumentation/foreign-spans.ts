/**
 * Spans of other tracers an operation may take instead of making its own (operation.ts chooseSpan), read through what
 * the OpenTelemetry SDK's spans expose (sdk-trace 3.0 `ReadableSpan`: name, kind, attributes, scope), without
 * importing the SDK. Any other tracer's spans cannot be read back and are left alone.
 * - An agent's own tool span. Agent frameworks with GenAI instrumentation run a tool call inside a span of their own,
 *   `execute_tool {tool}` (INTERNAL, gen_ai.operation.name `execute_tool`). The MCP conventions say the MCP client
 *   SHOULD then add its attributes to that span rather than nest a second one (the official C# SDK does so): when
 *   `tools/call` is sent inside a recording span of another tracer that is a tool execution of the same tool, that
 *   span is the operation's (no CLIENT span is made, the request carries its trace context, the client metric is
 *   recorded all the same).
 * - A self-traced server's span (self-traced.ts): a foreign MCP SERVER span of the same method, active when the
 *   message arrives.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from './semconv';
import { PACKAGE_NAME } from '../version';

/** What an sdk-trace span exposes (sdk-trace 3.0 `ReadableSpan`), read without importing the SDK. */
export interface ReadableSpanLike {
  name?: unknown;
  kind?: unknown;
  attributes?: Attributes;
  ended?: unknown;
  instrumentationScope?: { name?: unknown };
  parentSpanContext?: SpanContext;
  links?: Link[];
}

const PREFIX = `${GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL} `;

/** The span of the parent context if it is another tracer's tool execution of the tool this tools/call calls. */
export function outerToolSpan(parent: Context, method: string, attributes: Attributes): Span | undefined {
  if (method !== 'tools/call') return undefined;
  const span = trace.getSpan(parent);
  if (!span?.isRecording()) return undefined;
  const readable = span as unknown as ReadableSpanLike;
  if (readable.instrumentationScope?.name === PACKAGE_NAME || readable.kind !== SpanKind.INTERNAL) return undefined;
  const tool = attributes[ATTR_GEN_AI_TOOL_NAME];
  if (typeof tool !== 'string') return undefined;
  const theirs = readable.attributes ?? {};
  // Another instrumentation's MCP span (a server tracing itself, whose span we took over) is not an agent's tool span.
  if (theirs[ATTR_MCP_METHOD_NAME] !== undefined) return undefined;
  const name = typeof readable.name === 'string' ? readable.name : '';
  const executesTool =
    theirs[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL || name.startsWith(PREFIX);
  const sameTool = theirs[ATTR_GEN_AI_TOOL_NAME] === tool || name === PREFIX + tool;
  return executesTool && sameTool ? span : undefined;
}

/** A foreign MCP SERVER span not ended yet: not ours, with an `mcp.method.name`. */
export function foreignMcpServerSpan(span: unknown): (ReadableSpanLike & { attributes: Attributes }) | undefined {
  const readable = span as ReadableSpanLike | undefined;
  if (readable?.kind !== SpanKind.SERVER || readable.ended === true) return undefined;
  if (readable.instrumentationScope?.name === PACKAGE_NAME) return undefined;
  const attributes = readable.attributes;
  return typeof attributes?.[ATTR_MCP_METHOD_NAME] === 'string' ? (readable as { attributes: Attributes }) : undefined;
}

/**
 * The recording span active at receipt, if it is a foreign MCP SERVER span of this method: the operation adds
 * to it.
 */
export function borrowedServerSpan(active: Span, method: string): Span | undefined {
  const foreign = foreignMcpServerSpan(active);
  return foreign?.attributes[ATTR_MCP_METHOD_NAME] === method ? active : undefined;
}
