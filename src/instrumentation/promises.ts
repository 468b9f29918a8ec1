/** Following what the SDK returns without changing it: the app must see the same values, rejections and timing. */
import { isObject } from './sdk-internals';

export function isThenable(value: unknown): value is Promise<unknown> {
  return isObject(value) && typeof value.then === 'function';
}

/** Telemetry must never break the app: a failure in our own bookkeeping is dropped. */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // nothing to do: the span is left as it is
  }
}

/**
 * Calls onFulfilled or onRejected when a returned promise settles, and hands the caller a promise that settles the
 * same way. The caller gets the derived promise rather than the original so that a rejection nobody handles is still
 * reported as unhandled, as it would be without us (a handler attached to the original alone would silence it).
 */
export function observe(
  value: unknown,
  onFulfilled: (value: unknown) => void,
  onRejected: (err: unknown) => void,
): unknown {
  if (!isThenable(value)) {
    safely(() => onFulfilled(value));
    return value;
  }
  return value.then(
    (result) => {
      safely(() => onFulfilled(result));
      return result;
    },
    (err: unknown) => {
      safely(() => onRejected(err));
      throw err;
    },
  );
}
