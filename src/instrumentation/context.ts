/**
 * Which context an operation starts from and runs in: the trace context in `params._meta` (read and written), the
 * parent and link policy at receipt, the context handlers run in, and the marks this instrumentation keeps in
 * contexts (the HTTP request being handled, the operation a handler serves and the one log records belong to, a v2
 * HTTP exchange, a v2 request being retried, a request of a host's raw dispatch).
 *
 * `_meta` is the carrier the MCP conventions and MCP SEP-414 define: the configured global propagator writes its
 * fields (`traceparent`, `tracestate`, `baggage` with the default W3C propagators) into the bag.
 */
import { context, createContextKey, isSpanContextValid, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, TextMapGetter } from '@opentelemetry/api';
import type { HttpPeer } from './attributes';
import type { Operation } from './operation';
import { ATTR_GEN_AI_TOOL_NAME, ATTR_MCP_METHOD_NAME } from './semconv';

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

/** Set by a wrapped HTTP server transport around the handling of one HTTP request: its peer. */
const HTTP_PEER = createContextKey('@x/mcp-otel http peer');
/** v2: one HTTP request a createMcpHandler handles (entry.ts), and whether a Server received its message. */
const EXCHANGE = createContextKey('@x/mcp-otel v2 http exchange');
export interface HttpExchange {
  served: boolean;
}

export function withExchange(ctx: Context, exchange: HttpExchange): Context {
  return ctx.setValue(EXCHANGE, exchange);
}

export function exchangeIn(ctx: Context): HttpExchange | undefined {
  return ctx.getValue(EXCHANGE) as HttpExchange | undefined;
}

/** v2: the sent request whose `input_required` result the client is fulfilling; its retry is linked to it. */
const RETRYING = createContextKey('@x/mcp-otel retrying request');

export function withHttpPeer(ctx: Context, peer: HttpPeer): Context {
  return ctx.setValue(HTTP_PEER, peer);
}

export function httpPeerIn(ctx: Context): HttpPeer | undefined {
  return ctx.getValue(HTTP_PEER) as HttpPeer | undefined;
}

/**
 * The MCP operation a log line written in a context belongs to: its method and tool (logs.ts reads it). This key and
 * SERVED are `Symbol.for` their names, shared with every copy of @x/mcp-otel in the process (an older one reads them
 * too, with these values): their names and shapes stay.
 */
const LOGGED_OPERATION = createContextKey('@x/mcp-otel operation');
/** The received request or notification a handler serves. */
const SERVED = createContextKey('@x/mcp-otel served operation');

/** Where a message received stands: see receivedContexts. */
export interface Receipt {
  /** The receipt context: the HTTP request's over HTTP, else none. */
  readonly ambient: Context;
  /** The trace context `_meta` carries, on top of the receipt context: the operation's parent. */
  readonly parent: Context;
  /** A link to the HTTP request's span, when it is not the parent (ambientLinks). */
  readonly links: Link[] | undefined;
  /** The peer of the HTTP request that carried the message. */
  readonly httpPeer: HttpPeer | undefined;
}

/**
 * The contexts of a message received, read once: its receipt context, its parent, its links, its HTTP peer. Only an
 * HTTP server transport calls onmessage in a context that belongs to the message: the HTTP request that carried it
 * (its server span becomes a link, or the parent when _meta has no trace context). Other transports call it in
 * whatever context their stream was opened in (a stdio client's connect(), a Streamable HTTP client's
 * `notifications/initialized`): a span long over, which must be neither parent nor link.
 */
export function receivedContexts(params: Record<string, unknown> | undefined): Receipt {
  const ambient = context.active();
  const httpPeer = httpPeerIn(ambient);
  if (httpPeer === undefined) {
    // Not an HTTP receipt: no context of its own, so no link either.
    const parent = extractTraceContext(params?._meta, ROOT_CONTEXT);
    return { ambient: ROOT_CONTEXT, parent, links: undefined, httpPeer };
  }
  const parent = extractTraceContext(params?._meta, ambient);
  return { ambient, parent, links: ambientLinks(ambient, parent), httpPeer };
}

/** The context code runs in during an operation: its span active, marked with the operation for log records. */
export function operationContext(parent: Context, operation: Operation): Context {
  const { attributes } = operation;
  const logged: Attributes = { [ATTR_MCP_METHOD_NAME]: attributes[ATTR_MCP_METHOD_NAME] };
  if (attributes[ATTR_GEN_AI_TOOL_NAME] !== undefined)
    logged[ATTR_GEN_AI_TOOL_NAME] = attributes[ATTR_GEN_AI_TOOL_NAME];
  return trace.setSpan(parent, operation.span).setValue(LOGGED_OPERATION, logged);
}

/** `mcp.method.name` (and `gen_ai.tool.name` on tool calls) of the MCP operation running in `ctx`, if any. */
export function loggedOperationIn(ctx: Context): Attributes | undefined {
  return ctx.getValue(LOGGED_OPERATION) as Attributes | undefined;
}

/**
 * The context a handler runs in: the operation's, marked as served. The receipt mark is dropped: an in-process MCP
 * call the handler makes is not an HTTP receipt.
 */
export function handlerContext(parent: Context, operation: Operation): Context {
  return withoutMarks(operationContext(parent, operation).setValue(SERVED, operation), RECEIPT_MARKS);
}

/** The context of a message that gets no span (an excluded method): its trace context, none of our marks. */
export function unmarked(parent: Context): Context {
  return withoutMarks(parent, ALL_MARKS);
}

const RECEIPT_MARKS = [HTTP_PEER, EXCHANGE];
const ALL_MARKS = [SERVED, HTTP_PEER, EXCHANGE];

/** `ctx` without the given keys. Each deleteValue copies the context, so only the keys it holds are deleted. */
function withoutMarks(ctx: Context, keys: readonly symbol[]): Context {
  let result = ctx;
  for (const key of keys) if (result.getValue(key) !== undefined) result = result.deleteValue(key);
  return result;
}

/** The received operation the running handler serves, if any. */
export function servedOperation(): Operation | undefined {
  return context.active().getValue(SERVED) as Operation | undefined;
}

/**
 * The context in which a v2 client handles an `input_required` result: the first request's parent, marked with the
 * first request, so that the retry (a new request with a new id) is its sibling, with a link to it.
 */
export function retryingContext(first: Operation, parent: Context): Context {
  return parent.setValue(RETRYING, first);
}

/** The request being retried, when a request is sent while a v2 client fulfils an `input_required` result. */
export function retriedOperation(ctx: Context): Operation | undefined {
  return ctx.getValue(RETRYING) as Operation | undefined;
}

/** A request a host's raw dispatch sends for ext-tasks (ext-tasks.ts): its id is learnt where it leaves. */
const RAW_REQUEST = createContextKey('@x/mcp-otel raw request');

export function withRawRequest(ctx: Context, operation: Operation): Context {
  return ctx.setValue(RAW_REQUEST, operation);
}

export function rawRequestIn(ctx: Context): Operation | undefined {
  return ctx.getValue(RAW_REQUEST) as Operation | undefined;
}

/** A link to the span that was active when the message arrived (the HTTP server span), unless it is the parent. */
export function ambientLinks(ambient: Context, parent: Context): Link[] | undefined {
  const active = trace.getSpanContext(ambient);
  if (!active || !isSpanContextValid(active)) return undefined;
  const chosen = trace.getSpanContext(parent);
  if (chosen && chosen.spanId === active.spanId && chosen.traceId === active.traceId) return undefined;
  return [{ context: active }];
}
