/**
 * The public API of @x/mcp-otel. The preload lives at `@x/mcp-otel/register`; this entry is for users who build
 * their own OpenTelemetry setup.
 */
export { VERSION, PACKAGE_NAME } from './version';
