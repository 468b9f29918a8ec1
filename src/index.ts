/**
 * The public API of @x/mcp-otel. The preload lives at `@x/mcp-otel/register`; this entry is for users who build
 * their own OpenTelemetry setup: add `new McpInstrumentation()` to its instrumentations.
 */
export { VERSION, PACKAGE_NAME } from './version';
export {
  McpInstrumentation,
  MCP_SDK_ESM_INCLUDE,
  MCP_SDK_V2_ESM_INCLUDE,
  AI_SDK_MCP_ESM_INCLUDE,
  EXT_TASKS_ESM_INCLUDE,
  getTracer,
} from './instrumentation/instrumentation';
export type { McpInstrumentationConfig } from './instrumentation/types';
export { injectTraceContext, extractTraceContext } from './instrumentation/context';
export { McpLogRecordProcessor, mcpLogAttributes } from './instrumentation/logs';
export { SelfTracedSpanProcessor } from './instrumentation/self-traced';
export type { SelfTracedMode } from './instrumentation/self-traced';
