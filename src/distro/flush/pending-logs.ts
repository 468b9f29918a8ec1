/** The log counterpart of PendingAwareSpanProcessor, in its own module so that sdk-logs loads only when logs are on. */
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadWriteLogRecord, ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { DEFAULT_QUEUE, PendingItems } from './pending';
import type { OtlpExporter } from '../exporters';
import type { BatchOptions } from './pending';

export class PendingAwareLogRecordProcessor extends BatchLogRecordProcessor {
  readonly pending: PendingItems<ReadableLogRecord>;
  private stopped = false;

  constructor(exporter: OtlpExporter & LogRecordExporter, options: BatchOptions) {
    const pending = new PendingItems<ReadableLogRecord>(options.maxQueueSize ?? DEFAULT_QUEUE);
    // A record stays pending until its delivery has ended, delivered or not (the exporter hands over at once).
    exporter.onSettled = (records) => pending.deleteAll(records as ReadableLogRecord[]);
    super({ ...options, exporter });
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
