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
import { SpanKind } from '@opentelemetry/api';
import type { Attributes, Context } from '@opentelemetry/api';
import type { ReadableSpanLike } from './foreign-spans';
import { openServerOperations, trackOpenServerOperations } from './operation';
import type { Operation } from './operation';
import { ATTR_JSONRPC_REQUEST_ID, ATTR_MCP_METHOD_NAME } from './semconv';
import { PACKAGE_NAME } from '../version';

export const SELF_TRACED_MODES = ['merge', 'keep'] as const;
export type SelfTracedMode = (typeof SELF_TRACED_MODES)[number];

/** Whether one of the span ids is our operation's span, its parent or a span it links to. */
function relatedTo(operation: Operation, spanIds: (string | undefined)[]): boolean {
  const ours = operation.span.spanContext().spanId;
  const { parentSpanId, links } = operation.relatedSpans ?? {};
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
  for (const operation of openServerOperations) {
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
    trackOpenServerOperations();
  }

  onStart(span: never, parentContext: Context): void {
    for (const processor of this.processors) processor.onStart(span, parentContext);
  }

  onEnd(span: never): void {
    if (openServerOperations.size > 0 && this.foldedIn(span)) return;
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
