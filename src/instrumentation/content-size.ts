/**
 * Opt-in content sizes: how big a tool call's arguments and result and a read resource's contents were, without what
 * they said (OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES, off by default, independent of content capture):
 * - `mcp.tool.call.arguments.size` and `mcp.tool.call.result.size` on `tools/call` spans, both sides;
 * - `mcp.resource.contents.size` on `resources/read` spans, both sides.
 * No convention names these yet: the names are provisional. A size is the number of bytes of the value's JSON text in
 * UTF-8, what it adds to the message on the wire. It is counted by walking the value, never by writing its JSON, and no
 * string is copied: a 4 MB result costs a scan of it, not another 4 MB. Where JSON.stringify would throw or we cannot
 * be sure of the number (a cycle, nesting deeper than MAX_DEPTH, a getter or toJSON that throws), no size is recorded.
 */
import type { Attributes } from '@opentelemetry/api';
import type { Operation } from './operation';
import { MAX_DEPTH } from './content';
import { isObject } from './sdk-internals';
import { RESULT_TYPE_INPUT_REQUIRED } from './semconv';

export const ATTR_MCP_TOOL_CALL_ARGUMENTS_SIZE = 'mcp.tool.call.arguments.size';
export const ATTR_MCP_TOOL_CALL_RESULT_SIZE = 'mcp.tool.call.result.size';
export const ATTR_MCP_RESOURCE_CONTENTS_SIZE = 'mcp.resource.contents.size';

/** The size of a request's tool arguments, added to its start attributes. Never throws. */
export function requestSizes(
  method: string,
  params: Record<string, unknown> | undefined,
  attributes: Attributes,
): void {
  if (method !== 'tools/call') return;
  const size = jsonByteSize(readArguments(params));
  if (size !== undefined) attributes[ATTR_MCP_TOOL_CALL_ARGUMENTS_SIZE] = size;
}

/**
 * The size of a successful response's result on its operation (tools/call: the result, resources/read: its
 * contents), once: a client measures the result as it came, where it can, before the SDK's parsing drops or adds
 * fields, and the parsed value only where it could not. A paused call's `input_required` result asks for input: it is
 * not the tool's result, and has no size. Never throws.
 */
export function sizeResult(operation: Operation, result: unknown): void {
  const key = resultSizeKey(operation.method);
  if (key === undefined || operation.attributes[key] !== undefined || isInputRequired(result)) return;
  const size = jsonByteSize(key === ATTR_MCP_RESOURCE_CONTENTS_SIZE ? readContents(result) : result);
  if (size !== undefined) operation.setAttribute(key, size);
}

function resultSizeKey(method: string): string | undefined {
  if (method === 'tools/call') return ATTR_MCP_TOOL_CALL_RESULT_SIZE;
  return method === 'resources/read' ? ATTR_MCP_RESOURCE_CONTENTS_SIZE : undefined;
}

function isInputRequired(result: unknown): boolean {
  try {
    return isObject(result) && result.resultType === RESULT_TYPE_INPUT_REQUIRED;
  } catch {
    return false;
  }
}

function readArguments(params: Record<string, unknown> | undefined): unknown {
  try {
    return params?.arguments;
  } catch {
    return undefined;
  }
}

function readContents(result: unknown): unknown {
  try {
    return isObject(result) ? result.contents : undefined;
  } catch {
    return undefined;
  }
}

/** A walk that cannot give the right number (a cycle, too deep, a throwing getter or toJSON). */
class NoSize extends Error {}

/**
 * The number of bytes of `JSON.stringify(value)` in UTF-8, counted without writing it; undefined where JSON.stringify
 * gives undefined, would throw (a cycle, a BigInt without toJSON), or where the value nests deeper than MAX_DEPTH or
 * a getter, proxy or toJSON throws. Never throws.
 */
export function jsonByteSize(value: unknown): number | undefined {
  try {
    return sizeOf(value, '', 0, []);
  } catch {
    return undefined;
  }
}

/**
 * The size of one value as JSON.stringify serializes a property (SerializeJSONProperty): toJSON once, boxed
 * primitives unwrapped; undefined for what it leaves out (undefined, functions, symbols).
 */
function sizeOf(input: unknown, key: string | number, depth: number, ancestors: object[]): number | undefined {
  let value = input;
  const type = typeof value;
  // A function is an object to JSON too: its toJSON counts.
  if ((type === 'object' && value !== null) || type === 'bigint' || type === 'function') {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // The key is made a string only here: an array's items are not given one each.
    if (typeof toJSON === 'function')
      value = (toJSON as (this: unknown, key: string) => unknown).call(value, String(key));
  }
  if (typeof value === 'object' && value !== null) {
    if (value instanceof Number) value = Number(value);
    else if (value instanceof String) value = String(value);
    else if (value instanceof Boolean) value = value.valueOf();
    else if (value instanceof BigInt) value = value.valueOf();
  }
  switch (typeof value) {
    case 'string':
      return stringSize(value);
    case 'number':
      // A finite number's JSON is its ASCII String(); NaN and the infinities are `null`.
      return Number.isFinite(value) ? numberSize(value) : 4;
    case 'boolean':
      return value ? 4 : 5;
    case 'object':
      return value === null ? 4 : containerSize(value, depth, ancestors);
    case 'bigint':
      // JSON.stringify throws on a BigInt without toJSON: such a message cannot be sent, and no size is right.
      throw new NoSize();
    default:
      return undefined;
  }
}

function containerSize(value: object, depth: number, ancestors: object[]): number {
  if (depth > MAX_DEPTH || ancestors.includes(value)) throw new NoSize();
  ancestors.push(value);
  let size: number;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    // The brackets, and a comma between two items; an item JSON leaves out is `null`, as are holes.
    size = items.length > 0 ? items.length + 1 : 2;
    for (let i = 0; i < items.length; i++) size += sizeOf(items[i], i, depth + 1, ancestors) ?? 4;
  } else {
    const record = value as Record<string, unknown>;
    let members = 0;
    size = 2;
    for (const name of Object.keys(record)) {
      const member = sizeOf(record[name], name, depth + 1, ancestors);
      if (member === undefined) continue;
      // `"name":value`, and a comma before each member but the first.
      size += stringSize(name) + 1 + member + (members > 0 ? 1 : 0);
      members++;
    }
  }
  ancestors.pop();
  return size;
}

/** What JSON escapes: quotes, backslashes, control characters and lone surrogates (a pair is written as it is). */
// Control characters are what this looks for.
// eslint-disable-next-line no-control-regex
const ESCAPED = /["\\\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Below this length a string is counted in one pass here; above, Buffer and a regular expression scan it natively. */
const SHORT_STRING = 64;

/** Bytes of a string's JSON in UTF-8: its own bytes, the two quotes, and what escapes add. */
export function stringSize(text: string): number {
  if (text.length < SHORT_STRING) return shortStringSize(text);
  const bytes = Buffer.byteLength(text, 'utf8') + 2;
  if (!ESCAPED.test(text)) return bytes;
  let extra = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c && (code < 0xd800 || code > 0xdfff)) continue;
    if (code < 0xd800) {
      extra += escapedSize(code) - 1;
    } else if (code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A pair: four bytes in UTF-8 as Buffer counted them.
      i++;
    } else {
      // A lone surrogate: Buffer counts the three bytes of U+FFFD, JSON writes six (\udXXX).
      extra += 3;
    }
  }
  return bytes + extra;
}

/** A short string (an object's key, a small value), bytes and escapes in one pass: no call into Buffer. */
function shortStringSize(text: string): number {
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) {
      size += code >= 0x20 && code !== 0x22 && code !== 0x5c ? 1 : escapedSize(code);
    } else if (code < 0x800) {
      size += 2;
    } else if (code < 0xd800 || code > 0xdfff) {
      size += 3;
    } else if (code <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      size += 4;
      i++;
    } else {
      size += 6;
    }
  }
  return size;
}

/** The JSON of a quote, a backslash or a control character: \b \t \n \f \r two bytes, others six (\u00XX). */
function escapedSize(code: number): number {
  return code === 0x22 ||
    code === 0x5c ||
    code === 0x08 ||
    code === 0x09 ||
    code === 0x0a ||
    code === 0x0c ||
    code === 0x0d
    ? 2
    : 6;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** 10, 100, … 1e20: exact doubles, so that counting the digits of an integer compares exactly. */
const POWERS_OF_TEN = Array.from({ length: 20 }, (_, i) => Number(`1e${i + 1}`));

/** The length of a finite number's JSON (its String()); an integer's digits are counted without making the string. */
function numberSize(value: number): number {
  const magnitude = Math.abs(value);
  if (!Number.isInteger(value) || magnitude >= 1e21) return String(value).length;
  let digits = 1;
  while (digits <= 20 && magnitude >= POWERS_OF_TEN[digits - 1]) digits++;
  return value < 0 ? digits + 1 : digits;
}
