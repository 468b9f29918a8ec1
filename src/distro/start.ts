/**
 * The distribution: what `node --import @x/mcp-otel/register` starts, in order. register.mjs has already checked that
 * this is the main thread, the first preload in the process, a supported Node, and that OTEL_SDK_DISABLED is not set.
 */
import { diag } from '@opentelemetry/api';
import { readConfig, readConfigFileSource, readInstrumentationNames } from './config';
import type { ConfigFileSource } from './config';
import { readConfigFile } from './config-file';
import { installDiagLogger } from './diag';
import type { StderrDiagLogger } from './diag';
import { registerEsmHook } from './esm-hook';
import {
  chooseInstrumentations,
  DEFAULT_INSTRUMENTATIONS,
  loadInstrumentations,
  upstreamCatalog,
} from './instrumentations';
import { planFromEnv } from './plan';
import type { ExporterPlan, TelemetryPlan } from './plan';
import { installProcessHooks } from './flush/process-hooks';
import {
  AI_SDK_MCP_ESM_INCLUDE,
  EXT_TASKS_ESM_INCLUDE,
  McpInstrumentation,
  MCP_SDK_ESM_INCLUDE,
  MCP_SDK_V2_ESM_INCLUDE,
} from '../instrumentation/instrumentation';
import { buildResource } from './resource';
import { createComponents, registerGlobals } from './sdk';
import { VERSION } from '../version';

/** The name of the MCP instrumentation in OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS. */
const MCP = 'mcp';

/** How long the preload waits for the ESM hook before letting the app start anyway. */
const ESM_HOOK_TIMEOUT_MILLIS = 5_000;

/**
 * The plan from OTEL_CONFIG_FILE when it is set (then the file is the whole configuration, but for the choice of
 * instrumentations, which stays with OTEL_NODE_*_INSTRUMENTATIONS as in upstream's register), else from the OTEL_*
 * variables. undefined: no telemetry (the file says disabled, or cannot be used: one error line says why).
 */
function readPlan(
  env: NodeJS.ProcessEnv,
  file: ConfigFileSource | undefined,
  known: readonly string[],
  logger: StderrDiagLogger,
): TelemetryPlan | undefined {
  const bad = logger.badVariable.bind(logger);
  if (file === undefined) return planFromEnv(readConfig(env, known, bad));
  const warnings: string[] = [];
  const names = readInstrumentationNames(env, known, bad);
  const result = readConfigFile(file, (message) => warnings.push(message), {
    enabled: names.enabledInstrumentations,
    disabled: names.disabledInstrumentations,
  });
  if (result.kind === 'unusable') {
    diag.error(`OTEL_CONFIG_FILE: ${result.reason}; telemetry is off`);
    return undefined;
  }
  if (result.kind === 'disabled') return undefined;
  // The file's log_level applies from here on, to its own warnings too.
  logger.setLevel(result.logLevel);
  for (const warning of warnings) bad('OTEL_CONFIG_FILE', warning);
  return result.plan;
}

const exporterNames = (exporters: readonly { exporter: ExporterPlan }[] | undefined) =>
  exporters?.map(({ exporter }) => (exporter.kind === 'console' ? 'console' : exporter.otlp.protocol)).join('+') ||
  'none';

export async function startDistro(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  // With a configuration file, its log_level is the level (set once the file is read); OTEL_LOG_LEVEL is not read,
  // so the line that says why a file cannot be used is never silenced by it.
  const file = readConfigFileSource(env);
  const logger = installDiagLogger(file ? {} : env);
  const catalog = upstreamCatalog();
  const plan = readPlan(env, file, [MCP, ...catalog.names], logger);
  if (plan === undefined) return;

  // MCP is what this distribution is for: it stays on unless OTEL_NODE_DISABLED_INSTRUMENTATIONS names it, also
  // when OTEL_NODE_ENABLED_INSTRUMENTATIONS picks upstream instrumentations.
  const mcp = !plan.disabledInstrumentations.includes(MCP);
  // The hook comes first: each instrumentation tells it which modules to wrap as it is created.
  const esmHook = await registerEsmHook(
    mcp ? [MCP_SDK_ESM_INCLUDE, MCP_SDK_V2_ESM_INCLUDE, AI_SDK_MCP_ESM_INCLUDE, EXT_TASKS_ESM_INCLUDE] : [],
  );
  const names = chooseInstrumentations(plan, DEFAULT_INSTRUMENTATIONS).filter((name) => name !== MCP);
  const instrumentations = [
    // The attribute limit of the plan (environment or file), none given meaning none: the cut below it is ours.
    ...(mcp
      ? [
          new McpInstrumentation({
            ...plan.mcp,
            attributeValueLengthLimit: plan.traces?.limits?.attributeValueLengthLimit ?? Infinity,
          }),
        ]
      : []),
    ...loadInstrumentations(names, catalog),
  ];
  const telemetry = registerGlobals(createComponents(plan, buildResource(plan.resource)), instrumentations);
  installProcessHooks(telemetry, plan.flushTimeoutMillis);
  diag.debug(
    `@x/mcp-otel ${VERSION} started: ` +
      `traces=${exporterNames(plan.traces?.processors)} metrics=${exporterNames(plan.metrics?.readers)} ` +
      `logs=${exporterNames(plan.logs?.processors)} instrumentations=${[...(mcp ? [MCP] : []), ...names].join(',')}` +
      (file ? ` config=${file.path}` : ''),
  );
  await esmHook?.ready(ESM_HOOK_TIMEOUT_MILLIS);
}
