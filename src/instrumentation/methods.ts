/**
 * What is particular to each MCP method, in one table: the target in the span name, the attributes read from its
 * params, the result rule that makes a successful response an error, and the methods whose handling goes beyond a
 * span (the version negotiation, cancellation, protocol logging). Methods not listed get the general treatment.
 */
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_RESOURCE_URI,
  CALLER_FAULT_CODES,
  ERROR_TYPE_TOOL_ERROR,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from './semconv';
import { cappedName, cappedValue } from './caps';
import { isObject } from './sdk-internals';

type Params = Record<string, unknown> | undefined;

export interface MethodRule {
  /** The param whose value follows the method in the span name (`tools/call add`). */
  target?: string;
  /** Attributes from the params, known when the span starts. */
  attributes?(params: Params, attributes: Attributes): void;
  /** The `error.type` of a result that reports a failure in a successful response. */
  resultError?(result: unknown): string | undefined;
  /** Such a result that says it is the caller's fault: the JSON-RPC code it names (on SERVER spans, not an error). */
  resultCallerFault?(result: unknown): number | undefined;
  /** `tools/call`: McpServer turns what a tool callback throws into a result, so the callback itself is watched. */
  runsToolCallback?: true;
  /** `initialize`: its result negotiates the protocol version, and its success starts the session. */
  negotiates?: true;
  /** `notifications/cancelled`: received, it ends the SERVER span of the request it names (no response will come). */
  cancels?: true;
  /** `notifications/message`: sent, it is also a log record (MCP's protocol logging). */
  protocolLog?: true;
}

function stringParam(params: Params, key: string): string | undefined {
  const value = params?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** An attribute from the peer's params, bounded (caps.ts). */
function set(attributes: Attributes, key: string, value: string | undefined): void {
  if (value !== undefined) attributes[key] = cappedValue(value);
}

/**
 * SDK v1's McpServer answers an McpError raised while it handles `tools/call` (an unknown or disabled tool, arguments
 * that fail the tool's schema: the 2025-11-25 revision asks for a result the model can correct itself from) with an
 * `isError` result whose text is the error's message, `MCP error -32602: ...`. A caller-fault code there is the
 * caller's fault; an output that fails the tool's own schema (`Output validation error`, also -32602) is the
 * server's. (v2's text has no code: its input validation is seen as it throws, patch.ts.)
 */
function callerFaultInResult(result: unknown): number | undefined {
  let text: unknown;
  try {
    const content = isObject(result) && Array.isArray(result.content) ? (result.content[0] as unknown) : undefined;
    text = isObject(content) && content.type === 'text' ? content.text : undefined;
  } catch {
    return undefined;
  }
  if (typeof text !== 'string' || !text.startsWith('MCP error -')) return undefined;
  const match = /^MCP error (-\d{1,6}): (?!Output validation error)/.exec(text);
  const code = match ? Number(match[1]) : undefined;
  return code !== undefined && CALLER_FAULT_CODES.has(code) ? code : undefined;
}

const resourceUri: MethodRule = {
  attributes: (params, attributes) => set(attributes, ATTR_MCP_RESOURCE_URI, stringParam(params, 'uri')),
};

const METHODS: Record<string, MethodRule> = {
  'tools/call': {
    target: 'name',
    attributes(params, attributes) {
      set(attributes, ATTR_GEN_AI_TOOL_NAME, stringParam(params, 'name'));
      attributes[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
    },
    // A tool that failed answers with a result, `isError: true`, not with a JSON-RPC error.
    resultError: (result) => (isObject(result) && result.isError === true ? ERROR_TYPE_TOOL_ERROR : undefined),
    resultCallerFault: callerFaultInResult,
    runsToolCallback: true,
  },
  'prompts/get': {
    target: 'name',
    attributes: (params, attributes) => set(attributes, ATTR_GEN_AI_PROMPT_NAME, stringParam(params, 'name')),
  },
  'resources/read': resourceUri,
  'resources/subscribe': resourceUri,
  'resources/unsubscribe': resourceUri,
  'notifications/resources/updated': resourceUri,
  initialize: { negotiates: true },
  'notifications/cancelled': { cancels: true },
  'notifications/message': { protocolLog: true },
};

const GENERAL: MethodRule = {};

export function methodRule(method: string): MethodRule {
  return Object.hasOwn(METHODS, method) ? METHODS[method]! : GENERAL;
}

/**
 * `{mcp.method.name} {target}`: the tool name for tools/call, the prompt name for prompts/get, else the method;
 * bounded (caps.ts).
 */
export function spanName(method: string, params: Params): string {
  const key = methodRule(method).target;
  const target = key === undefined ? undefined : stringParam(params, key);
  return cappedName(target ? `${method} ${target}` : method);
}
