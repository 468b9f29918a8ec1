/**
 * Batch processors that remember what they have not yet delivered, so that a process.exit() can still send it.
 *
 * process.exit() runs the 'exit' listeners and ends the process: no promise resolves after it, so the batches waiting
 * in a batch processor would be lost. The span and log processors read the SDK processor's own queue at exit, and take
 * from their exporter the batches in flight whose request is not written out (exporters.ts); at exit the distribution
 * serializes those and posts them synchronously (see exit-flush.ts). A batch whose request is written out is not sent
 * again: the system delivers it even as the process ends, and sending it twice would make its items arrive twice.
 */
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { ExitPending } from './exit-flush';
import type { OtlpExporter } from '../exporters';
import type { BatchOptions } from '../shapes';

/**
 * What is pending at exit in the exporter of a simple (unbatched) processor: the exports it has handed over whose
 * request is not written out. At process.exit() they are sent by the exit flush.
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
      return exporter.takeUnsent().flat();
    },
  };
}

/**
 * The SDK batch processors' own queues: the items they hold and have not handed to their exporter yet (sdk-trace 3.0,
 * export/BatchSpanProcessorBase: `_finishedSpans`; sdk-logs 3.0, export/BatchLogRecordProcessorBase:
 * `_finishedLogRecords`; read there). Read only at exit.
 */
export type SdkQueueField = '_finishedSpans' | '_finishedLogRecords';

/**
 * What is pending at exit in an SDK batch processor: its own queue, and the batches its exporter has not written out
 * (exporters.ts). Nothing is kept per item but a count (`recorded`): the queue is the SDK's own, not a copy of it.
 */
export function batchPending(
  processor: object,
  field: SdkQueueField,
  exporter: OtlpExporter,
  recorded: () => number,
): ExitPending {
  const queue = processor as Partial<Record<SdkQueueField, unknown>>;
  const queued = (): unknown[] => {
    const items = queue[field];
    return Array.isArray(items) ? (items as unknown[]) : [];
  };
  return {
    get size() {
      return queued().length + exporter.inFlightCount();
    },
    get added() {
      return recorded();
    },
    drain() {
      const items = [...exporter.takeUnsent().flat(), ...queued()];
      queue[field] = [];
      return items;
    },
  };
}

export class PendingAwareSpanProcessor extends BatchSpanProcessor {
  readonly pending: ExitPending;
  private recorded = 0;

  constructor(
    private readonly exporter: OtlpExporter & SpanExporter,
    options: BatchOptions,
  ) {
    super({ ...options, exporter });
    this.pending = batchPending(this, '_finishedSpans', exporter, () => this.recorded);
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
