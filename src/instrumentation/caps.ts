/**
 * Bounds on what a peer can put into telemetry: method, tool and prompt names, URIs, ids, versions and error
 * messages all come from JSON-RPC messages, and a 20,000-character tool name must not become a 20,000-character
 * span name. A span name is cut at 1,024 characters, a string attribute value at 8,192 or at the user's attribute
 * length limit when that is smaller (so that our mark survives the SDK's own cut); the cut ends with `…`.
 */
import { processValues } from './state';

export const SPAN_NAME_CAP = 1024;
export const ATTRIBUTE_VALUE_CAP = 8192;
const MARK = '…';

/**
 * Process-wide, like the patches: set from the configuration of the instrumentation that starts last (two instances
 * in one process share it).
 */
const valueCap = processValues('caps.valueCap', () => ({ cap: ATTRIBUTE_VALUE_CAP }));

/** The user's attribute value length limit (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT or the span one), if any. */
export function setAttributeValueLimit(limit: number | undefined): void {
  valueCap.cap =
    limit !== undefined && Number.isSafeInteger(limit) && limit > 0
      ? Math.min(limit, ATTRIBUTE_VALUE_CAP)
      : ATTRIBUTE_VALUE_CAP;
}

/** The cap of an attribute value now in force. */
export function attributeValueCap(): number {
  return valueCap.cap;
}

/** Cuts to `cap` characters, the mark included, never between the two halves of a surrogate pair. */
export function cut(value: string, cap: number): string {
  if (value.length <= cap) return value;
  let end = Math.max(0, cap - MARK.length);
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return value.slice(0, end) + MARK;
}

export function cappedName(name: string): string {
  return cut(name, SPAN_NAME_CAP);
}

export function cappedValue(value: string): string {
  return cut(value, valueCap.cap);
}
