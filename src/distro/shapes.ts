/**
 * The plain shapes that the readers of the configuration (config.ts, config-file.ts), the plan (plan.ts) and the flush
 * (flush/) share. A leaf: it imports nothing of the distribution, so that they need not import each other (no import
 * circle: .ci/imports.mjs).
 */
import type { PlannedSettings } from '../instrumentation/settings';

/** The settings of a batch processor (OTEL_BSP_*, OTEL_BLRP_*, a file's `batch`). */
export interface BatchOptions {
  maxQueueSize?: number;
  maxExportBatchSize?: number;
  scheduledDelayMillis?: number;
  exportTimeoutMillis?: number;
}

/** The MCP settings a configuration gives (the rest of McpInstrumentationConfig is for code): settings.ts's table. */
export type McpPlan = PlannedSettings;

export interface SpanLimitsPlan {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
  eventCountLimit?: number;
  linkCountLimit?: number;
  attributePerEventCountLimit?: number;
  attributePerLinkCountLimit?: number;
}

export interface LogLimitsPlan {
  attributeCountLimit?: number;
  attributeValueLengthLimit?: number;
}
