/** The log counterpart of PendingAwareSpanProcessor, in its own module so that sdk-logs loads only when logs are on. */
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadWriteLogRecord, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { DEFAULT_QUEUE, forgettingExporter, PendingItems } from './pending';
import type { BatchOptions } from './pending';

export class PendingAwareLogRecordProcessor extends BatchLogRecordProcessor {
  readonly pending: PendingItems<ReadableLogRecord>;
  private stopped = false;

  constructor(exporter: LogRecordExporter, options: BatchOptions) {
    const pending = new PendingItems<ReadableLogRecord>(options.maxQueueSize ?? DEFAULT_QUEUE);
    super({ ...options, exporter: forgettingExporter(exporter, pending) });
    this.pending = pending;
  }

  override onEmit(record: ReadWriteLogRecord): void {
    if (!this.stopped) this.pending.add(record);
    super.onEmit(record);
  }

  override shutdown(): Promise<void> {
    this.stopped = true;
    return super.shutdown();
  }
}
