/**
 * Batch processors that remember what they have not yet delivered, so that a process.exit() can still send it.
 *
 * process.exit() runs the 'exit' listeners and ends the process: no promise resolves after it, so the batches waiting
 * in a BatchSpanProcessor would be lost. The span processor reads the SDK processor's own queue at exit and knows the
 * batches in flight; the log processor (and the exporter of a simple processor) keep a bounded set of the items handed
 * to them whose export has not completed. At exit the distribution serializes those and posts them synchronously (see
 * exit-flush.ts). A batch whose export was in flight at exit is sent again: at-least-once, like OTLP retries.
 */
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExportResult } from '@opentelemetry/core';
import type { ExitPending } from './exit-flush';

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

/** The one method span and log record exporters share. */
export interface ItemExporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
}

/**
 * Wraps an exporter: `sent` sees the items of each export as it starts, `settled` once it completes, successful or
 * not. Everything else is the exporter's own.
 */
function watchedExporter<T, E extends ItemExporter<T>>(
  exporter: E,
  settled: (items: T[]) => void,
  sent?: (items: T[]) => void,
): E {
  return new Proxy(exporter, {
    get(target, property, receiver) {
      if (property === 'export') {
        return (items: T[], done: (result: ExportResult) => void) => {
          sent?.(items);
          target.export(items, (result) => {
            settled(items);
            done(result);
          });
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Wraps an exporter so that each completed export, successful or not, removes its items from the pending set. */
export function forgettingExporter<T, E extends ItemExporter<T>>(exporter: E, pending: PendingItems<T>): E {
  return watchedExporter(exporter, (items: T[]) => pending.deleteAll(items));
}

/**
 * Wraps the exporter of a simple (unbatched) processor: the items of each export are pending from the call until it
 * completes, so that an export still in flight at process.exit() is sent again by the exit flush.
 */
export function trackingExporter<T, E extends ItemExporter<T>>(exporter: E, pending: PendingItems<T>): E {
  return watchedExporter(
    exporter,
    (items: T[]) => pending.deleteAll(items),
    (items: T[]) => {
      for (const item of items) pending.add(item);
    },
  );
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
  /** The deferred OTLP exporter's load() (exporters.ts), when the exporter has one. */
  private readonly loadExporter: (() => void) | undefined;

  constructor(exporter: SpanExporter, options: BatchOptions) {
    const inFlight = new Set<ReadableSpan[]>();
    // The batches being exported are in `inFlight` until their export completes.
    const exporting = watchedExporter(
      exporter,
      (spans: ReadableSpan[]) => inFlight.delete(spans),
      (spans: ReadableSpan[]) => inFlight.add(spans),
    );
    super({ ...options, exporter: exporting });
    const { load } = exporter as { load?: () => void };
    this.loadExporter = typeof load === 'function' ? () => load.call(exporter) : undefined;
    const queued = (): ReadableSpan[] => {
      const spans = (this as unknown as SdkBatchQueue)._finishedSpans;
      return Array.isArray(spans) ? (spans as ReadableSpan[]) : [];
    };
    const inFlightSpans = (): ReadableSpan[] => [...inFlight].flat();
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const processor = this;
    this.pending = {
      get size() {
        return queued().length + inFlightSpans().length;
      },
      get added() {
        return processor.recorded;
      },
      drain() {
        const spans = [...inFlightSpans(), ...queued()];
        inFlight.clear();
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
      setImmediate(() => this.loadExporter?.());
    }
    super.onEnd(span);
  }
}
