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
  /**
   * The attribute value length limit of the tracer provider, so that what a peer sends is cut below it, visibly
   * (caps.ts); `Infinity` for none. Defaults to OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT, then
   * OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT.
   */
  attributeValueLengthLimit?: number;
  /**
   * `enduser.id` (the OAuth client id) and `enduser.scope` on SERVER spans, from the SDK's auth info; never the token.
   * Defaults to true, unless OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER=false.
   */
  captureEndUser?: boolean;
}
