/**
 * Logs and MCP: the MCP operation a log line belongs to (for the attributes of exported log records), and the MCP
 * protocol's own log messages (`notifications/message`) as OpenTelemetry log records.
 */
import { context, type Attributes, type Context } from '@opentelemetry/api';
import { loggedOperationIn } from './context';
import type { LogRecord } from '@opentelemetry/api';
import { cappedValue } from './caps';

/** `mcp.method.name` (and `gen_ai.tool.name` on tool calls) of the MCP operation running in `ctx`, if any. */
export function mcpLogAttributes(ctx: Context = context.active()): Attributes | undefined {
  return loggedOperationIn(ctx);
}

/** The part of the Logs SDK's record a processor may change (typed here: no dependency on @opentelemetry/sdk-logs). */
interface WritableLogRecord {
  readonly attributes: Record<string, unknown>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  setAttribute(key: string, value?: any): unknown;
}

/**
 * A log record processor (for `@opentelemetry/sdk-logs`) that adds `mcp.method.name` and `gen_ai.tool.name` to the
 * records emitted inside an MCP operation, so logs can be filtered by tool. Put it before the exporting processors.
 * Attributes the record already has are kept.
 */
export class McpLogRecordProcessor {
  onEmit(record: WritableLogRecord, ctx?: Context): void {
    const attributes = mcpLogAttributes(ctx ?? context.active());
    if (!attributes) return;
    for (const [key, value] of Object.entries(attributes)) {
      if (record.attributes[key] === undefined) record.setAttribute(key, value);
    }
  }

  /** It only adds attributes: whether a logger is enabled is for the other processors to say. */
  enabled(): boolean {
    return false;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** MCP logging levels (RFC 5424) to OpenTelemetry severity numbers. */
const SEVERITY: Record<string, number> = {
  debug: 5, // DEBUG
  info: 9, // INFO
  notice: 10, // INFO2
  warning: 13, // WARN
  error: 17, // ERROR
  critical: 18, // ERROR2
  alert: 19, // ERROR3
  emergency: 21, // FATAL
};

/** The attribute that carries the `logger` field of an MCP log message (our name; the conventions have none). */
export const ATTR_MCP_LOGGING_LOGGER = 'mcp.logging.logger';

/** The log record of an MCP `notifications/message`: level as severity, `data` as body, `logger` as an attribute. */
export function protocolLogRecord(params: Record<string, unknown> | undefined, ctx: Context): LogRecord | undefined {
  if (!params) return undefined;
  const level = typeof params.level === 'string' ? params.level : undefined;
  const record: LogRecord = { context: ctx, body: params.data as LogRecord['body'] };
  if (level !== undefined) {
    record.severityText = level;
    if (SEVERITY[level] !== undefined) record.severityNumber = SEVERITY[level];
  }
  if (typeof params.logger === 'string') record.attributes = { [ATTR_MCP_LOGGING_LOGGER]: cappedValue(params.logger) };
  return record;
}
