/**
 * Servers that trace themselves: some MCP servers on npm (for example mcp-handler) make their own MCP SERVER spans
 * through the global API. Under the preload that would be two SERVER spans for one message. With `merge` (the
 * default; see the README) the user gets one, ours, which keeps the trace joined to the caller:
 * - a foreign MCP SERVER span of the same method that is already active when the message arrives is taken over: the
 *   operation adds its attributes and status to that span, and the span's owner ends it (`borrowedServerSpan`);
 * - a foreign MCP SERVER span made while our operation is open (inside it, or next to it, as mcp-handler does when it
 *   answers) is folded into ours when it ends: its attributes that ours lacks are added, and it is not exported
 *   (`SelfTracedSpanProcessor`, which the distribution puts in front of its exporters).
 * `keep` leaves both spans as they are. Only the SDK's own spans can be read back (kind, attributes, scope): any other
 * tracer's spans are never touched. Everything here reads spans structurally, as `ReadableSpan` of sdk-trace.
 */
import { SpanKind, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanContext } from '@opentelemetry/api';
import type { Operation } from './call';
import { ATTR_JSONRPC_REQUEST_ID, ATTR_MCP_METHOD_NAME } from './semconv';
import { PACKAGE_NAME } from '../version';
import { processSet, processValues } from './state';

export const SELF_TRACED_MODES = ['merge', 'keep'] as const;
export type SelfTracedMode = (typeof SELF_TRACED_MODES)[number];

/** What an sdk-trace span exposes (sdk-trace 3.0 `ReadableSpan`), read without importing the SDK. */
interface ReadableSpanLike {
  kind?: unknown;
  attributes?: Attributes;
  ended?: unknown;
  instrumentationScope?: { name?: unknown };
  parentSpanContext?: SpanContext;
  links?: Link[];
}

/** Our open SERVER operations (process-wide, like the patches). */
const open = processSet<Operation>('self-traced.open');
/** Set once a SelfTracedSpanProcessor exists: only then are open operations tracked. */
const tracking = processValues('self-traced.tracking', () => ({ on: false }));

const forget = (operation: Operation): void => {
  open.delete(operation);
};

function foreignMcpServerSpan(span: unknown): (ReadableSpanLike & { attributes: Attributes }) | undefined {
  const readable = span as ReadableSpanLike | undefined;
  if (readable?.kind !== SpanKind.SERVER || readable.ended === true) return undefined;
  if (readable.instrumentationScope?.name === PACKAGE_NAME) return undefined;
  const attributes = readable.attributes;
  return typeof attributes?.[ATTR_MCP_METHOD_NAME] === 'string' ? (readable as { attributes: Attributes }) : undefined;
}

/** The foreign MCP SERVER span of this method that is active at receipt, if any: the operation adds to it. */
export function borrowedServerSpan(ctx: Context, method: string): Span | undefined {
  const span = trace.getSpan(ctx);
  const foreign = span?.isRecording() ? foreignMcpServerSpan(span) : undefined;
  return foreign?.attributes[ATTR_MCP_METHOD_NAME] === method ? span : undefined;
}

/** A SERVER operation of ours begins: remembered with its parent and links while tracking (no copies made). */
export function trackOpen(operation: Operation, parent: Context, links: Link[] | undefined): void {
  if (!tracking.on) return;
  operation.related = { parentSpanId: trace.getSpanContext(parent)?.spanId, links };
  open.add(operation);
  operation.onEnd = forget;
}

/** Whether one of the span ids is our operation's span, its parent or a span it links to. */
function relatedTo(operation: Operation, spanIds: (string | undefined)[]): boolean {
  const ours = operation.span.spanContext().spanId;
  const { parentSpanId, links } = operation.related ?? {};
  return spanIds.some(
    (id) =>
      id !== undefined &&
      (id === ours || id === parentSpanId || (links ?? []).some((link) => link.context.spanId === id)),
  );
}

/** The open operation of ours a foreign span describes: the same method and id, and related by parent or link. */
function operationOf(span: ReadableSpanLike & { attributes: Attributes }): Operation | undefined {
  const method = span.attributes[ATTR_MCP_METHOD_NAME];
  const id = span.attributes[ATTR_JSONRPC_REQUEST_ID];
  const theirs = [span.parentSpanContext?.spanId, ...(span.links ?? []).map((link) => link.context.spanId)];
  for (const operation of open) {
    if (operation.method !== method) continue;
    const ours = operation.attributes[ATTR_JSONRPC_REQUEST_ID];
    if (id !== undefined && ours !== undefined && String(id) !== ours) continue;
    if (relatedTo(operation, theirs)) return operation;
  }
  return undefined;
}

/** The processor side of an sdk-trace pipeline, structurally (sdk-trace 3.0 `SpanProcessor`). */
export interface SpanProcessorLike {
  onStart(span: never, parentContext: Context): void;
  onEnd(span: never): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Forwards to the processors it wraps, except the foreign MCP SERVER spans that an open operation of ours took in.
 * Put it in place of the exporting processors of a TracerProvider.
 */
export class SelfTracedSpanProcessor implements SpanProcessorLike {
  constructor(private readonly processors: SpanProcessorLike[]) {
    tracking.on = true;
  }

  onStart(span: never, parentContext: Context): void {
    for (const processor of this.processors) processor.onStart(span, parentContext);
  }

  onEnd(span: never): void {
    if (open.size > 0 && this.foldedIn(span)) return;
    for (const processor of this.processors) processor.onEnd(span);
  }

  private foldedIn(span: unknown): boolean {
    const readable = span as ReadableSpanLike;
    if (readable.kind !== SpanKind.SERVER || readable.instrumentationScope?.name === PACKAGE_NAME) return false;
    const attributes = readable.attributes;
    if (typeof attributes?.[ATTR_MCP_METHOD_NAME] !== 'string') return false;
    const operation = operationOf(readable as ReadableSpanLike & { attributes: Attributes });
    if (!operation) return false;
    for (const [key, value] of Object.entries(attributes)) {
      if (value !== undefined && !(key in operation.attributes)) operation.setAttribute(key, value);
    }
    return true;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.processors.map((processor) => processor.shutdown()));
  }
}
