/**
 * Trace context in `params._meta`, the carrier the MCP conventions and MCP SEP-414 define: the configured global
 * propagator writes its fields (`traceparent`, `tracestate`, `baggage` with the default W3C propagators) into the bag.
 */
import { context, propagation, type Context, type TextMapGetter } from '@opentelemetry/api';

export type Meta = Record<string, unknown>;

/** Reads only string values: `_meta` is user data and may hold anything under any key. */
const metaGetter: TextMapGetter<Meta> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    return typeof value === 'string' ? value : undefined;
  },
};

/**
 * Returns a new `_meta` object with the trace context of `ctx` added, and `meta` itself is never modified; `meta`
 * unchanged when the propagator has nothing to add. Keys the caller already set are kept as they are, unless
 * `replace`: then the keys the propagator writes are those of `ctx`, and a `tracestate` that belonged to a replaced
 * `traceparent` goes with it (what the instrumentation sends: a proxy that forwards the `_meta` it received must not
 * send its caller's trace context on, or its own hop drops out of the trace). Other keys are always kept.
 */
export function injectTraceContext<T extends Meta | undefined>(
  meta: T,
  ctx: Context = context.active(),
  replace = false,
): T | Meta {
  const fields: Record<string, string> = {};
  propagation.inject(ctx, fields);
  const keys = Object.keys(fields);
  if (keys.length === 0 || meta === undefined) return keys.length === 0 ? meta : fields;
  if (!replace) return keys.some((key) => !(key in meta)) ? { ...fields, ...meta } : meta;
  const staleState =
    fields.traceparent !== undefined && fields.tracestate === undefined && meta.tracestate !== undefined;
  if (!staleState && keys.every((key) => meta[key] === fields[key])) return meta;
  const out: Meta = {};
  for (const key of Object.keys(meta)) {
    if (!(key in fields) && !(staleState && key === 'tracestate')) out[key] = meta[key];
  }
  return Object.assign(out, fields);
}

/** The context carried by a received `_meta`, on top of `ctx` (the active context by default). */
export function extractTraceContext(meta: unknown, ctx: Context = context.active()): Context {
  if (!isMeta(meta)) return ctx;
  return propagation.extract(ctx, meta, metaGetter);
}

export function isMeta(value: unknown): value is Meta {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
