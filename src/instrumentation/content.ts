/**
 * Opt-in content: what a tool call carries, on the spans that the MCP conventions give it to, off unless switched on
 * (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, the switch upstream GenAI instrumentations read):
 * - `gen_ai.tool.call.arguments` and `gen_ai.tool.call.result` on `tools/call` spans, both sides, as JSON;
 * - `gen_ai.prompt.variable.<name>` on `prompts/get` spans, both sides, each prompt argument as its string.
 * Each value goes through the app's redaction hook first (if any), binary content (image and audio data, blob
 * resources) becomes a placeholder with its type and size, never the base64, and the JSON is written with a budget:
 * at most the size limit is ever produced, and the cut ends with `…`. Serialization never throws (cycles, BigInt,
 * a toJSON that fails).
 */
import type { Attributes } from '@opentelemetry/api';
import { attributeValueCap, cappedName, cut } from './caps';
import { isObject } from './sdk-internals';
import type { Side } from './metrics';

export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments';
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result';
export const ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX = 'gen_ai.prompt.variable.';

/** What the redaction hook is told about a value. */
export interface ContentInfo {
  side: Side;
  method: string;
  field: 'arguments' | 'result' | 'prompt_variable';
  /** The prompt argument's name, for a prompt variable. */
  name?: string;
}

/** Returns what to record instead of `value`; `undefined` records nothing. It may throw: the value is then withheld. */
export type ContentRedactor = (value: unknown, info: ContentInfo) => unknown;

export interface ContentCapture {
  maxLength: number;
  redact?: ContentRedactor;
}

export const DEFAULT_CONTENT_MAX_LENGTH = 8192;
/**
 * The values of OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, and whether each records content here: the MCP
 * conventions define content as span attributes only, so the event forms record it when they include spans.
 */
export const CAPTURE_MODES: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  NO_CONTENT: false,
  SPAN_ONLY: true,
  EVENT_ONLY: false,
  SPAN_AND_EVENT: true,
};

/** Reads the switch as upstream GenAI instrumentations do (true/false in any case, or one of the modes). */
export function captureModeOf(raw: string | undefined): boolean | undefined {
  const value = raw?.trim();
  if (value === undefined || value === '') return false;
  const lower = value.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  return Object.hasOwn(CAPTURE_MODES, value.toUpperCase()) ? CAPTURE_MODES[value.toUpperCase()] : undefined;
}

const WITHHELD = '[withheld: the redaction hook failed]';
const UNSERIALIZABLE = '[unserializable]';
/** Deeper than this, a value is not followed (a peer's JSON can nest far deeper than the stack). */
export const MAX_DEPTH = 64;
const TOO_DEEP = '[too deep]';

/** The attributes of a request's content: tool arguments, or prompt variables. Never throws (getters may). */
export function requestContent(
  capture: ContentCapture,
  side: Side,
  method: string,
  params: Record<string, unknown> | undefined,
  attributes: Attributes,
): void {
  try {
    const args = params?.arguments;
    if (method === 'tools/call') {
      if (args === undefined) return;
      const text = contentText(capture, args, { side, method, field: 'arguments' });
      if (text !== undefined) attributes[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = text;
      return;
    }
    if (method !== 'prompts/get' || !isObject(args)) return;
    for (const [name, value] of Object.entries(args)) {
      const text = contentText(capture, value, { side, method, field: 'prompt_variable', name });
      if (text !== undefined) attributes[ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX + cappedName(name)] = text;
    }
  } catch {
    // What could not be read is not recorded.
  }
}

/** The recorded form of a tools/call result, or undefined (not tools/call, or redacted away). Never throws. */
export function resultContent(
  capture: ContentCapture,
  side: Side,
  method: string,
  result: unknown,
): string | undefined {
  if (method !== 'tools/call' || result === undefined) return undefined;
  try {
    return contentText(capture, result, { side, method, field: 'result' });
  } catch {
    return undefined;
  }
}

function contentText(capture: ContentCapture, value: unknown, info: ContentInfo): string | undefined {
  let content = value;
  if (capture.redact) {
    try {
      content = capture.redact(value, info);
    } catch {
      return WITHHELD;
    }
    if (content === undefined) return undefined;
  }
  // A prompt argument is a string in MCP: recorded as it is. Everything else as JSON.
  // The attribute cap applies to content too: a bigger content limit would be cut by the SDK, without the mark.
  const limit = Math.min(capture.maxLength, attributeValueCap());
  if (typeof content === 'string' && info.field === 'prompt_variable') return cut(content, limit);
  return boundedJson(content, limit);
}

/** Bytes a base64 string decodes to. */
function decodedSize(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((base64.length * 3) / 4) - padding);
}

/** Image and audio content carry `data`; resource contents (with a `uri`) carry `blob`: both base64. */
function binaryPlaceholder(holder: Record<string, unknown>, key: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const isBinary =
    (key === 'blob' && typeof holder.uri === 'string') ||
    (key === 'data' && (holder.type === 'image' || holder.type === 'audio'));
  if (!isBinary) return undefined;
  const kind =
    typeof holder.mimeType === 'string' ? holder.mimeType : typeof holder.type === 'string' ? holder.type : 'binary';
  return `[${kind}, ${decodedSize(value)} bytes]`;
}

/**
 * JSON of `value`, written until `limit` characters and then cut; never throws. What is past the limit is not
 * written at all: a long string is cut before it is escaped, an array or object stops at the limit, binary buffers
 * become placeholders.
 */
export function boundedJson(value: unknown, limit: number): string {
  const out: string[] = [];
  let length = 0;
  const ancestors = new Set<object>();
  const full = () => length > limit;
  const write = (part: string) => {
    out.push(part);
    length += part.length;
  };
  const walk = (item: unknown, key: string, depth: number): void => {
    if (full()) return;
    if (item === null || item === undefined) return write('null');
    switch (typeof item) {
      case 'string': {
        const room = limit - length + 1;
        return write(JSON.stringify(item.length > room ? item.slice(0, room) : item));
      }
      case 'number':
        return write(Number.isFinite(item) ? String(item) : 'null');
      case 'boolean':
        return write(String(item));
      case 'bigint':
        return write(JSON.stringify(item.toString()));
      case 'object':
        break;
      default:
        return write('null');
    }
    if (depth > MAX_DEPTH) return write(JSON.stringify(TOO_DEEP));
    if (ArrayBuffer.isView(item)) return write(JSON.stringify(`[binary, ${item.byteLength} bytes]`));
    const object = item as Record<string, unknown> & { toJSON?: unknown };
    if (ancestors.has(object)) return write('"[Circular]"');
    if (typeof object.toJSON === 'function') {
      let replaced: unknown;
      try {
        replaced = (object.toJSON as (key: string) => unknown)(key);
      } catch {
        return write(JSON.stringify(UNSERIALIZABLE));
      }
      if (replaced !== object) return walk(replaced, key, depth + 1);
    }
    ancestors.add(object);
    if (Array.isArray(object)) {
      write('[');
      for (let i = 0; i < object.length && !full(); i++) {
        if (i > 0) write(',');
        // As JSON.stringify: holes, undefined and functions in an array are null.
        const element: unknown = object[i];
        walk(typeof element === 'function' || typeof element === 'symbol' ? null : element, String(i), depth + 1);
      }
      write(']');
    } else {
      write('{');
      let first = true;
      for (const name of Object.keys(object)) {
        if (full()) break;
        let member: unknown;
        try {
          member = object[name];
        } catch {
          member = UNSERIALIZABLE;
        }
        if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
        if (!first) write(',');
        first = false;
        write(`${JSON.stringify(name)}:`);
        const placeholder = binaryPlaceholder(object, name, member);
        if (placeholder !== undefined) write(JSON.stringify(placeholder));
        else walk(member, name, depth + 1);
      }
      write('}');
    }
    ancestors.delete(object);
  };
  try {
    walk(value, '', 0);
  } catch {
    return UNSERIALIZABLE;
  }
  return cut(out.join(''), limit);
}
