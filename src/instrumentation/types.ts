import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { SelfTracedMode } from './self-traced';

export interface McpInstrumentationConfig extends InstrumentationConfig {
  /**
   * MCP methods that get no span (for example `notifications/progress` or `ping`); their trace context is still
   * propagated. Defaults to the comma-separated list in OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS.
   */
  excludedMethods?: string[];
  /**
   * Adds `mcp.resource.uri` to the operation metrics (it is on the spans always). Off by default: every URI becomes a
   * time series. Defaults to OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI=true.
   */
  metricsResourceUri?: boolean;
  /**
   * A server that makes its own MCP SERVER spans: `merge` (default) keeps one span per message, ours, with theirs
   * folded in (with a SelfTracedSpanProcessor in front of the exporters; the preload installs one); `keep` exports
   * both. Defaults to OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS.
   */
  selfTracedServers?: SelfTracedMode;
}
