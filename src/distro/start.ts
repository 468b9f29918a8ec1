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
import { buildResource } from './resource';
import { startTelemetry } from './sdk';
import { VERSION } from '../version';

/** How long the preload waits for the ESM hook before letting the app start anyway. */
const ESM_HOOK_TIMEOUT_MILLIS = 5_000;

export async function startDistro(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const logger = installDiagLogger(env);
  const bad = logger.badVariable.bind(logger);
  const catalog = upstreamCatalog();
  const config = readConfig(env, catalog.names, bad);

  const esmHook = registerEsmHook();
  const names = chooseInstrumentations(config, DEFAULT_INSTRUMENTATIONS);
  const instrumentations = loadInstrumentations(names, catalog);
  const telemetry = startTelemetry(config, buildResource(config), instrumentations, env, bad);
  installProcessHooks(telemetry, config.flushTimeoutMillis);
  diag.debug(
    `@x/mcp-otel ${VERSION} started: traces=${config.traces.exporters.join('+') || 'none'} ` +
      `metrics=${config.metrics.exporters.join('+') || 'none'} logs=${config.logs.exporters.join('+') || 'none'} ` +
      `instrumentations=${names.join(',')}`,
  );
  await esmHook?.ready(ESM_HOOK_TIMEOUT_MILLIS);
}
