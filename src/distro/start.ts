/**
 * The distribution: what `node --import @x/mcp-otel/register` starts, in order. register.mjs has already checked that
 * this is the main thread, the first preload in the process, and that OTEL_SDK_DISABLED is not set.
 */
import { diag } from '@opentelemetry/api';
import { readConfig } from './config';
import { installDiagLogger } from './diag';
import { registerEsmHook } from './esm-hook';
import { chooseInstrumentations, DEFAULT_INSTRUMENTATIONS, loadInstrumentations, upstreamCatalog } from './instrumentations';
import { installProcessHooks } from './process-hooks';
import { excludedMethodsFromEnv, McpInstrumentation, MCP_SDK_ESM_INCLUDE, metricsResourceUriFromEnv } from '../instrumentation/instrumentation';
import { buildResource } from './resource';
import { startTelemetry } from './sdk';
import { VERSION } from '../version';

/** The name of the MCP instrumentation in OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS. */
const MCP = 'mcp';

/** How long the preload waits for the ESM hook before letting the app start anyway. */
const ESM_HOOK_TIMEOUT_MILLIS = 5_000;

export async function startDistro(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const logger = installDiagLogger(env);
  const bad = logger.badVariable.bind(logger);
  const catalog = upstreamCatalog();
  const config = readConfig(env, [MCP, ...catalog.names], bad);

  // MCP is what this distribution is for: it stays on unless OTEL_NODE_DISABLED_INSTRUMENTATIONS names it, also
  // when OTEL_NODE_ENABLED_INSTRUMENTATIONS picks upstream instrumentations.
  const mcp = !config.disabledInstrumentations.includes(MCP);
  // The hook comes first: each instrumentation tells it which modules to wrap as it is created.
  const esmHook = registerEsmHook(mcp ? [MCP_SDK_ESM_INCLUDE] : []);
  const names = chooseInstrumentations(config, DEFAULT_INSTRUMENTATIONS).filter((name) => name !== MCP);
  const mcpConfig = { excludedMethods: excludedMethodsFromEnv(env), metricsResourceUri: metricsResourceUriFromEnv(env) };
  const instrumentations = [...(mcp ? [new McpInstrumentation(mcpConfig)] : []), ...loadInstrumentations(names, catalog)];
  const telemetry = startTelemetry(config, buildResource(config), instrumentations, env, bad);
  installProcessHooks(telemetry, config.flushTimeoutMillis);
  diag.debug(
    `@x/mcp-otel ${VERSION} started: traces=${config.traces.exporters.join('+') || 'none'} ` +
      `metrics=${config.metrics.exporters.join('+') || 'none'} logs=${config.logs.exporters.join('+') || 'none'} ` +
      `instrumentations=${[...(mcp ? [MCP] : []), ...names].join(',')}`,
  );
  await esmHook?.ready(ESM_HOOK_TIMEOUT_MILLIS);
}
