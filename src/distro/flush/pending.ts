/**
 * Batch processors that remember what they have not yet delivered, so that a process.exit() can still send it.
 *
 * process.exit() runs the 'exit' listeners and ends the process: no promise resolves after it, so the batches waiting
 * in a BatchSpanProcessor would be lost. The span processor reads the SDK processor's own queue at exit, and the
 * batches in flight from its exporter (which hands each batch over at once and knows which are still being delivered,
 * exporters.ts); the log processor keeps a bounded set of the records whose delivery has not ended. At exit the
 * distribution serializes those and posts them synchronously (see exit-flush.ts). A batch whose export was in flight at
 * exit is sent again: at-least-once, like OTLP retries.
 */
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExitPending } from './exit-flush';
import type { OtlpExporter } from '../exporters';

/** Insertion-ordered set with a cap: when full, the oldest item goes (the batch processor has dropped it too). */
export class PendingItems<T> {
  private readonly items = new Set<T>();
  /** Counts every item ever added, so a caller can tell whether anything new was recorded since it last looked. */
  added = 0;

  constructor(private readonly capacity: number) {}

  add(item: T): void {
    this.added++;
    if (this.items.size >= this.capacity) {
      const oldest = this.items.values().next().value as T;
      this.items.delete(oldest);
    }
    this.items.add(item);
  }

  deleteAll(items: readonly T[]): void {
    for (const item of items) this.items.delete(item);
  }

  /** Takes everything out: used once, at exit. */
  drain(): T[] {
    const all = [...this.items];
    this.items.clear();
    return all;
  }

  get size(): number {
    return this.items.size;
  }
}

/**
 * What is pending at exit in the exporter of a simple (unbatched) processor: the exports it has handed over and not
 * yet delivered. At process.exit() they are sent again by the exit flush.
 */
export function inFlightPending(exporter: OtlpExporter): ExitPending {
  return {
    get size() {
      return exporter.inFlight.length;
    },
    get added() {
      return exporter.handedOver;
    },
    drain() {
      const items = exporter.inFlight.flat();
      exporter.forgetInFlight();
      return items;
    },
  };
}

export interface BatchOptions {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

export const DEFAULT_QUEUE = 2048;

/**
 * The BatchSpanProcessor's own queue: the spans it holds and has not handed to its exporter yet (sdk-trace 3.0,
 * export/BatchSpanProcessorBase: `_finishedSpans`, read there). Read only at exit.
 */
interface SdkBatchQueue {
  _finishedSpans?: unknown;
}

/**
 * A BatchSpanProcessor whose undelivered spans the exit flush can take: those still in its queue (read from the SDK's
 * processor at exit) and those of the exports in flight (known to the exporter wrapper, per batch). Nothing is done per
 * span but a count: the queue is the SDK's own, not a copy of it.
 */
export class PendingAwareSpanProcessor extends BatchSpanProcessor {
  readonly pending: ExitPending;
  private recorded = 0;

  constructor(
    private readonly exporter: OtlpExporter & SpanExporter,
    options: BatchOptions,
  ) {
    super({ ...options, exporter });
    const queued = (): ReadableSpan[] => {
      const spans = (this as unknown as SdkBatchQueue)._finishedSpans;
      return Array.isArray(spans) ? (spans as ReadableSpan[]) : [];
    };
    const inFlightSpans = (): ReadableSpan[] => (exporter.inFlight as ReadableSpan[][]).flat();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const processor = this;
    this.pending = {
      get size() {
        return queued().length + exporter.inFlightCount();
      },
      get added() {
        return processor.recorded;
      },
      drain() {
        const spans = [...inFlightSpans(), ...queued()];
        exporter.forgetInFlight();
        (processor as unknown as SdkBatchQueue)._finishedSpans = [];
        return spans;
      },
    };
  }

  override onEnd(span: ReadableSpan): void {
    // The same filter as the base class: unsampled spans are never exported.
    if ((span.spanContext().traceFlags & 1) === 1 && this.recorded++ === 0) {
      // The exporter loads after the first span's call stack (for a server: once the answer to its first message is
      // written), not inside whichever later call fills the first batch: a one-time cost of about 65 ms (the OTLP
      // packages and the HTTP client), paid where a warm-up would pay it.
      setImmediate(() => this.exporter.load());
    }
    super.onEnd(span);
  }
}
