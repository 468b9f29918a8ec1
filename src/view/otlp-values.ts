/**
 * What the protobuf and the JSON decoders of OTLP share: their one error class, the bounds a peer's body is held to,
 * and the conversions of OTLP scalars into the model's (nanosecond times to milliseconds, int64 to a number or a
 * decimal string, enums checked against what the model accepts, ids, the origin of an item), and the bounds on the
 * values themselves: a peer's string or attribute list is copied into every row and every answer that shows it, so
 * a value longer than is readable is cut here, once, rather than stored whole.
 */
import type { Attributes, AttributeValue, Origin, SpanKind, StatusCode } from './model';

/** A body that is not a well-formed OTLP export request. The message is short and fit for a status body. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

/** AnyValue nesting (arrays and kvlists within values) deeper than this is refused: a peer picks the depth. */
export const MAX_VALUE_DEPTH = 32;

/** A string (attribute value or key, body, name, message, resource value) longer than this is cut, in UTF-16 units. */
export const MAX_STRING_LENGTH = 16 * 1024;
/** A span name longer than this is cut: it is a title on one line, not a value. */
export const MAX_SPAN_NAME_LENGTH = 1024;
/** An attribute list (of a resource, span, event, link, log, point, or kvlist value) keeps this many keys. */
export const MAX_ATTRIBUTES = 256;
/** A histogram point with more explicit bounds than this is refused (SDKs default to 15; none sends thousands). */
export const MAX_HISTOGRAM_BOUNDS = 1000;

const ELLIPSIS = '\u2026';

/**
 * How many values the decoding under way has cut or dropped. Decoding is synchronous, so one counter serves: the
 * decoder resets it before a body and reads it after (takeCutCount).
 */
let cutCount = 0;

export function takeCutCount(): number {
  const count = cutCount;
  cutCount = 0;
  return count;
}

/**
 * `text` if it has at most `max` UTF-16 units, else its first units and a trailing `…`, `max` units in all, never
 * ending on half a surrogate pair. The cut is copied into a string of its own: a slice would keep the long original
 * alive in V8 for as long as the cut lives.
 */
export function cutString(text: string, max = MAX_STRING_LENGTH): string {
  if (text.length <= max) return text;
  cutCount++;
  let keep = max - 1;
  const last = text.charCodeAt(keep - 1);
  if (last >= 0xd800 && last <= 0xdbff) keep--;
  return Buffer.from(text.slice(0, keep) + ELLIPSIS, 'utf16le').toString('utf16le');
}

/** Refuses a histogram point with more explicit bounds than MAX_HISTOGRAM_BOUNDS. */
export function checkBounds(count: number): void {
  if (count > MAX_HISTOGRAM_BOUNDS)
    fail(`histogram point with ${count} explicit bounds; at most ${MAX_HISTOGRAM_BOUNDS}`);
}

export const UNKNOWN_SERVICE = 'unknown_service';

/** Length in bytes of OTLP trace and span ids. */
export const TRACE_ID_BYTES = 16;
export const SPAN_ID_BYTES = 8;

export function fail(message: string): never {
  throw new OtlpDecodeError(message);
}

const NANOS_PER_MS = 1e6;
/** 2^32 = 4294 * 1e6 + 967296: the high word of a nanosecond count splits into whole milliseconds and a remainder. */
const MS_PER_HIGH_WORD = 4294;
const NANOS_LEFT_PER_HIGH_WORD = 967296;

/**
 * A fixed64 nanosecond count, given as its two 32-bit words, in milliseconds. The whole milliseconds and the
 * nanoseconds left are computed exactly (every product stays below 2^53) and only then joined, so that a time of
 * today keeps its microseconds.
 */
export function nanosToMs(low: number, high: number): number {
  const rest = high * NANOS_LEFT_PER_HIGH_WORD + low;
  const restMs = Math.floor(rest / NANOS_PER_MS);
  return high * MS_PER_HIGH_WORD + restMs + (rest - restMs * NANOS_PER_MS) / NANOS_PER_MS;
}

const UNSIGNED_DECIMAL = /^\d{1,20}$/;
const SIGNED_DECIMAL = /^-?\d{1,19}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** A JSON nanosecond time (a decimal string, or a number) in milliseconds, as exactly as nanosToMs. */
export function jsonNanosToMs(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) fail(`${what} is not a time in nanoseconds`);
    return value / NANOS_PER_MS;
  }
  if (typeof value !== 'string' || !UNSIGNED_DECIMAL.test(value) || BigInt(value) > UINT64_MAX) {
    fail(`${what} is not a time in nanoseconds`);
  }
  if (value.length <= 15) return Number(value) / NANOS_PER_MS;
  return Number(value.slice(0, -6)) + Number(value.slice(-6)) / NANOS_PER_MS;
}

/** A JSON uint64 count (a decimal string, or a number) as a number. */
export function jsonCount(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) fail(`${what} is not a count`);
    return value;
  }
  if (typeof value !== 'string' || !UNSIGNED_DECIMAL.test(value) || BigInt(value) > UINT64_MAX) {
    fail(`${what} is not a count`);
  }
  return Number(value);
}

/** A signed 64-bit value as the model keeps it: a number when it is exact, else its decimal string. */
export function int64Value(value: bigint): number | string {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value.toString();
}

/** A varint's two 32-bit words read as an int64 attribute value. */
export function int64FromWords(low: number, high: number): number | string {
  if (high === 0) return low;
  // A small negative number: the high word all ones and the low word's top bit set.
  if (high === 0xffffffff && low >= 0x80000000) return low - 0x100000000;
  return int64Value(BigInt.asIntN(64, (BigInt(high) << 32n) | BigInt(low)));
}

/** A JSON int64 (a decimal string, or an integral number) as the model keeps it. */
export function jsonInt64(value: unknown, what: string): number | string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) fail(`${what} is not an integer`);
    return Number.isSafeInteger(value) ? value : int64Value(BigInt(value));
  }
  if (typeof value !== 'string' || !SIGNED_DECIMAL.test(value)) fail(`${what} is not an integer`);
  const exact = BigInt(value);
  if (exact < INT64_MIN || exact > INT64_MAX) fail(`${what} does not fit 64 bits`);
  return int64Value(exact);
}

/** A JSON double: a number, or one of the strings the proto3 JSON mapping allows for it. */
export function jsonDouble(value: unknown, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (value === 'NaN') return NaN;
  if (value === 'Infinity') return Infinity;
  if (value === '-Infinity') return -Infinity;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return fail(`${what} is not a number`);
}

export function spanKind(value: number): SpanKind {
  if (value >= 0 && value <= 5 && Number.isInteger(value)) return value as SpanKind;
  return fail(`span kind ${value} is not 0..5`);
}

export function statusCode(value: number): StatusCode {
  if (value === 0 || value === 1 || value === 2) return value;
  return fail(`status code ${value} is not 0, 1 or 2`);
}

export function severityNumber(value: number): number {
  if (value >= 0 && value <= 24 && Number.isInteger(value)) return value;
  return fail(`severity number ${value} is not 0..24`);
}

/** The origin every item of a resource and scope shares. */
export function originOf(resource: Attributes, scope: string): Origin {
  const service = resource['service.name'];
  return { service: typeof service === 'string' ? service : UNKNOWN_SERVICE, resource, scope };
}

/** How many keys each attribute list being built holds (a list is a fresh object; the map lets it go with it). */
const attributeCounts = new WeakMap<Attributes, number>();

/**
 * Sets an attribute; `__proto__` as a key is kept as data, never taken as the object's prototype. This is where the
 * MAX_ATTRIBUTES bound is kept, for both encodings and every list: a key past the first MAX_ATTRIBUTES distinct ones
 * is dropped (and counted as cut); a repeated key still replaces its value, as before the bound.
 */
export function setAttribute(target: Attributes, key: string, value: AttributeValue): void {
  if (!Object.hasOwn(target, key)) {
    const count = attributeCounts.get(target) ?? 0;
    if (count >= MAX_ATTRIBUTES) {
      cutCount++;
      return;
    }
    attributeCounts.set(target, count + 1);
  }
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true });
  else target[key] = value;
}
