import type { InstrumentationConfig } from '@opentelemetry/instrumentation';
import type { ContentRedactor } from './content';
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
  /**
   * The name and version the peer reports of itself (provisional names: `mcp.client.name`, `mcp.client.version`,
   * `mcp.server.name`, `mcp.server.version`) on the spans of both sides, and the server's on the client's metrics.
   * Defaults to true, unless OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY=false.
   */
  capturePeerIdentity?: boolean;
  /**
   * Inside an agent's own `execute_tool {tool}` span (another tracer's), `tools/call` of that tool adds its attributes
   * to it and makes no CLIENT span. Defaults to true, unless OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS=false.
   */
  enrichToolSpans?: boolean;
  /**
   * Tool arguments and results (`gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`) and prompt variables
   * (`gen_ai.prompt.variable.<name>`) on the spans of both sides. Off by default; defaults to
   * OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT (`true`, `SPAN_ONLY`, `SPAN_AND_EVENT` turn it on).
   */
  captureMessageContent?: boolean;
  /** The size limit of one content value, in characters: OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH, else 8192. */
  contentMaxLength?: number;
  /** Called with each content value before it is recorded: return what to record instead, or undefined for nothing. */
  redactContent?: ContentRedactor;
  /**
   * Stdio servers this process spawns through the SDK's StdioClientTransport (v1 and v2) get the preload in
   * NODE_OPTIONS (`--import` of this package's register.mjs), this process's OTEL_* variables (not its service name,
   * not the exporter headers) and OTEL_SERVICE_NAME from their command; what the app put in the transport's `env`
   * wins. Off by default; defaults to OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS=true.
   */
  traceStdioServers?: boolean;
  /**
   * With traceStdioServers: pass OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_HEADERS to
   * the servers too (they may carry a vendor's API key). Off by default; defaults to
   * OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS=true.
   */
  stdioServersExporterHeaders?: boolean;
  /**
   * The byte sizes (of the JSON, in UTF-8) of tool arguments and results (`mcp.tool.call.arguments.size`,
   * `mcp.tool.call.result.size`) and of a read resource's contents (`mcp.resource.contents.size`) on the spans of both
   * sides, without the content; provisional names. Independent of captureMessageContent. Off by default; defaults to
   * OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES=true.
   */
  captureContentSizes?: boolean;
  /**
   * The name of a JSON-RPC error code, in OTEL_SEMCONV_STABILITY_OPT_IN's syntax (its default): a comma-separated
   * list where `rpc` gives the stable RPC conventions' `rpc.status_code` in place of the MCP conventions'
   * `rpc.response.status_code`, and `rpc/dup` both (it wins over `rpc`); other domains' tokens are ignored.
   */
  semconvStabilityOptIn?: string;
}
