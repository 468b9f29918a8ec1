/** The log counterpart of PendingAwareSpanProcessor, in its own module so that sdk-logs loads only when logs are on. */
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { LogRecordExporter, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { batchPending } from './pending';
import type { BatchOptions } from '../shapes';
import type { ExitPending } from './exit-flush';
import type { OtlpExporter } from '../exporters';

export class PendingAwareLogRecordProcessor extends BatchLogRecordProcessor {
  readonly pending: ExitPending;
  private recorded = 0;

  constructor(exporter: OtlpExporter & LogRecordExporter, options: BatchOptions) {
    super({ ...options, exporter });
    this.pending = batchPending(this, '_finishedLogRecords', exporter, () => this.recorded);
  }

  override onEmit(record: ReadWriteLogRecord): void {
    this.recorded++;
    super.onEmit(record);
  }
}
