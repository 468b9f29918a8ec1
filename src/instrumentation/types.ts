import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

export interface McpInstrumentationConfig extends InstrumentationConfig {
  /**
   * MCP methods that get no span (for example `notifications/progress` or `ping`); their trace context is still
   * propagated. Defaults to the comma-separated list in OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS.
   */
  excludedMethods?: string[];
}
