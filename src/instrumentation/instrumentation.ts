/**
 * McpInstrumentation: spans for the MCP TypeScript SDK, for any OpenTelemetry setup (the preload starts it, and users
 * with their own NodeSDK add it to their instrumentations).
 *
 * Why it owns its module hooks instead of declaring InstrumentationNodeModuleDefinitions: the SDK's `exports` map has
 * a `"."` entry whose file does not exist (and none before 1.20), so require-in-the-middle cannot resolve the package
 * and skips every file of it, and import-in-the-middle in include mode does not wrap a package's internal files.
 * Instead it hooks two files of every SDK copy by their path inside the package, and patches the Protocol class (the
 * base of Client and Server) and McpServer it finds there, once per class (patch.ts). SDK v2 is hooked through what
 * its packages export: `@modelcontextprotocol/server` and `/client` each bundle their own Protocol in chunk files
 * whose names change every release, but their main entry (ESM and CJS) exports `Protocol`, `McpServer`, `Client`.
 * The path of one message from there: patch.ts -> transport.ts (the connection) -> send.ts or receive.ts
 * -> operation.ts (the operation); a v2 client's probe and listen(): client-probe.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { diag, trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { InstrumentationBase } from '@opentelemetry/instrumentation';
import { AI_SDK_MCP_PACKAGE, instrumentAiSdkMcp, isAiSdkMcpModule } from './ai-sdk-mcp';
import { installBundledHooks } from './bundled-hook';
import type { BundledKind } from './bundled-source';
import { setAttributeValueLimit } from './caps';
import type { ContentCapture } from './content';
import { wrapEntries } from './entry';
import { EXT_TASKS_PACKAGE, instrumentExtTasks, isExtTasksClientModule } from './ext-tasks';
import { requireFromInstrumentation } from './hook-libraries';
import { watchNodeRequests } from './node-request';
import type { Controller } from './operation';
import { createHistograms, operationKeys, type McpHistograms } from './metrics';
import {
  findProtocolPrototype,
  isMcpServerClass,
  isStdioClientTransportClass,
  isV2ClientClass,
  patchClient,
  patchMcpServer,
  patchProtocol,
  patchStdioClientTransport,
  unpatch,
} from './patch';
import type { StdioServersSettings } from './patch';
import { rpcStatusCodeKeys } from './rpc-semconv';
import { isFunction } from './sdk-internals';
import type { Prototype } from './sdk-internals';
import { readSetting, readSettings } from './settings';
import { instrumentTmcpModule, TMCP_PACKAGES } from './tmcp';
import type { McpInstrumentationConfig } from './types';
import { PACKAGE_NAME, VERSION } from '../version';

/** The CommonJS files, as require-in-the-middle names them (path inside the package, no `.js`). 1.0.x had no CJS. */
const CJS_FILES = [
  '@modelcontextprotocol/sdk/dist/cjs/shared/protocol',
  '@modelcontextprotocol/sdk/dist/cjs/server/mcp',
  // StdioClientTransport, patched only with OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS (stdio-servers.ts).
  '@modelcontextprotocol/sdk/dist/cjs/client/stdio',
];
/** The ES module files of every layout: `dist/esm/*` since 1.2.0, `dist/*` in 1.0.x-1.1.x. */
const ESM_FILE = /[\\/]dist[\\/](?:esm[\\/])?(?:shared[\\/]protocol|server[\\/]mcp|client[\\/]stdio)\.js$/;
/**
 * SDK v2: the packages hooked by name (their `exports` map resolves), and the entry files wanted in them: the main
 * entries, and `server/stdio` (serveStdio); `@modelcontextprotocol/node` for toNodeHandler. The hashed chunks behind
 * them are not needed: the classes and functions are reached through what these export.
 */
const V2_PACKAGES = ['@modelcontextprotocol/server', '@modelcontextprotocol/client', '@modelcontextprotocol/node'];
const V2_FILE = /^@modelcontextprotocol\/(?:server|client|node)(?:\/dist\/(?:index|stdio)\.[cm]?js)?$/;
/**
 * For import-in-the-middle's loader hook in include mode (`createAddHookMessageChannel`): the SDK files to wrap, as
 * patterns over their URLs. Push them into `registerOptions.data.include` before `module.register()`.
 */
export const MCP_SDK_ESM_INCLUDE =
  /\/@modelcontextprotocol\/sdk\/dist\/(?:esm\/)?(?:shared\/protocol|server\/mcp|client\/stdio)\.js$/;
export const MCP_SDK_V2_ESM_INCLUDE = /\/@modelcontextprotocol\/(?:server|client|node)\/dist\/(?:index|stdio)\.mjs$/;
export { AI_SDK_MCP_ESM_INCLUDE } from './ai-sdk-mcp';
export { EXT_TASKS_ESM_INCLUDE } from './ext-tasks';

interface Unhookable {
  unhook(): void;
}
type HookConstructor = new (
  modules: string[],
  options: { internals: boolean },
  /** require-in-the-middle and import-in-the-middle both pass the package's directory third. */
  onModule: (exports: Record<string, unknown>, name: string, baseDir?: string) => unknown,
) => Unhookable;

export class McpInstrumentation extends InstrumentationBase<McpInstrumentationConfig> {
  // Declared, not initialised: the base constructor calls enable() before subclass fields would be assigned.
  declare private hooks: Unhookable[] | undefined;
  /** Takes away the function that bundled SDK copies hand their classes to (bundled-hook.ts). */
  declare private stopBundled: (() => void) | undefined;
  /** The prototypes this instance patched, with how: enable() after disable() patches them again. */
  declare private patched: Map<Prototype, (proto: Prototype) => boolean> | undefined;
  declare private controller: Controller & { enabled: boolean; tracer: Tracer; histograms: McpHistograms | undefined };
  declare private histograms: McpHistograms | undefined;

  constructor(config: McpInstrumentationConfig = {}) {
    super(PACKAGE_NAME, VERSION, config);
  }

  protected init(): [] {
    return [];
  }

  /** Called by the base class whenever a meter provider is set (also from its constructor). */
  protected override _updateMetricInstruments(): void {
    this.histograms = createHistograms(this.meter);
    if (this.controller) this.controller.histograms = this.histograms;
  }

  override setTracerProvider(tracerProvider: TracerProvider): void {
    super.setTracerProvider(tracerProvider);
    if (this.controller) this.controller.tracer = this.tracer;
  }

  /** The tracer of this instrumentation, from the tracer provider it was given or the global one. */
  getTracer(): Tracer {
    return this.tracer;
  }

  override enable(): void {
    super.enable();
    const ctl = this.ensureController();
    ctl.enabled = true;
    for (const [proto, patch] of this.patched ?? []) patch(proto);
    if (this.hooks === undefined) this.hooks = this.installHooks();
    this.stopBundled ??= installBundledHooks((Class, kind, file) => this.instrumentBundled(Class, kind, file));
  }

  override disable(): void {
    super.disable();
    if (this.controller) this.controller.enabled = false;
    for (const hook of this.hooks ?? []) hook.unhook();
    this.hooks = undefined;
    this.stopBundled?.();
    this.stopBundled = undefined;
    for (const proto of this.patched?.keys() ?? []) unpatch(proto);
  }

  /**
   * Instruments classes of an MCP SDK that was loaded before this instrumentation was enabled, or that the hooks do
   * not see (a bundled SDK): pass `Client`, `Server`, `McpServer` or `Protocol`, from any copy or version, v1 or v2.
   */
  instrument(...classes: unknown[]): void {
    const ctl = this.ensureController();
    for (const Class of classes) {
      if (isMcpServerClass(Class)) {
        this.remember((Class as { prototype: Prototype }).prototype, (proto) => patchMcpServer(proto));
        continue;
      }
      // A v2 Client: its own connect() and listen(), and the Protocol below it.
      if (isV2ClientClass(Class))
        this.remember((Class as { prototype: Prototype }).prototype, (p) => patchClient(p, ctl));
      const proto = findProtocolPrototype(Class);
      if (proto) this.remember(proto, (p) => patchProtocol(p, ctl));
      else
        diag.debug(
          `${PACKAGE_NAME}: not an MCP SDK class, left alone:`,
          (Class as { name?: unknown } | undefined)?.name,
        );
    }
  }

  /**
   * A class a bundled copy of the SDK handed over as it was defined (bundled-source.ts): instrumented if it has the
   * shape of the kind the source looked like. Called from the static block inside the bundle: it must never throw.
   */
  private instrumentBundled(Class: unknown, kind: BundledKind, file: string): void {
    try {
      const fits =
        kind === 'McpServer'
          ? isMcpServerClass(Class)
          : kind === 'Client'
            ? isV2ClientClass(Class) && findProtocolPrototype(Class) !== undefined
            : isFunction(Class) && findProtocolPrototype(Class) === Class.prototype;
      if (!fits) {
        diag.debug(`${PACKAGE_NAME}: a class in ${file} reads like the MCP SDK's ${kind} but is not one; left alone`);
        return;
      }
      diag.debug(`MCP SDK found bundled in ${file}: ${kind}`);
      this.instrument(Class);
    } catch (err) {
      diag.warn(`${PACKAGE_NAME}: the MCP SDK bundled in ${file} could not be instrumented:`, err);
    }
  }

  /**
   * With traceStdioServers on: the StdioClientTransport of an SDK module (v1 `client/stdio.js`, v2
   * `@modelcontextprotocol/client/stdio`) passes the preload and the OTEL_* settings to the servers it spawns.
   */
  private instrumentStdioTransport(sdkModule: Record<string, unknown>): void {
    const Transport = sdkModule.StdioClientTransport;
    if (!isStdioClientTransportClass(Transport)) return;
    // Read when the transport's module loads, as the options are then; a bad variable was warned about at start.
    const config = this.getConfig();
    if (!readSetting('traceStdioServers', config, process.env, ignoreBadSetting)) return;
    const ctl = this.ensureController();
    const getDefault = sdkModule.getDefaultEnvironment;
    const settings: StdioServersSettings = {
      exporterHeaders: readSetting('stdioServersExporterHeaders', config, process.env, ignoreBadSetting),
      defaultEnv: isFunction(getDefault) ? () => getDefault() as Record<string, string> : undefined,
    };
    this.remember((Transport as { prototype: Prototype }).prototype, (p) =>
      patchStdioClientTransport(p, ctl, settings),
    );
  }

  private remember(proto: Prototype, patch: (proto: Prototype) => boolean): void {
    if (patch(proto)) {
      this.patched ??= new Map();
      this.patched.set(proto, patch);
    }
  }

  private ensureController(): Controller & {
    enabled: boolean;
    tracer: Tracer;
    histograms: McpHistograms | undefined;
  } {
    if (this.controller) return this.controller;
    const config = this.getConfig();
    // The options given in code, else the environment (settings.ts); a bad variable is one diag warning.
    const s = readSettings(config, process.env, warnOfSetting);
    const excluded = new Set(s.excludedMethods);
    const capturePeerIdentity = s.capturePeerIdentity;
    const statusCodeKeys = rpcStatusCodeKeys(s.semconvStabilityOptIn);
    const content: ContentCapture | undefined = s.captureMessageContent
      ? { maxLength: s.contentMaxLength, redact: s.redactContent }
      : undefined;
    setAttributeValueLimit(s.attributeValueLengthLimit);
    this.controller = {
      enabled: false,
      captureEndUser: s.captureEndUser,
      capturePeerIdentity,
      content,
      captureContentSizes: s.captureContentSizes,
      enrichToolSpans: s.enrichToolSpans,
      mergeSelfTraced: s.selfTracedServers === 'merge',
      // Plain fields, so that nothing on a message's path calls back into this file: replaced with the providers.
      tracer: this.tracer,
      histograms: this.histograms,
      metricKeys: operationKeys({
        withResourceUri: s.metricsResourceUri,
        withPeerIdentity: capturePeerIdentity,
        statusCodeKeys,
      }),
      statusCodeKeys,
      excluded,
      recordSession: (side, seconds, attributes) => this.histograms?.session[side].record(seconds, attributes),
      emitLog: (record) => {
        if (record) this.logger.emit(record);
      },
    };
    return this.controller;
  }

  private installHooks(): Unhookable[] {
    const onModule = (exports: Record<string, unknown>, name: string, baseDir?: string): Record<string, unknown> => {
      try {
        diag.debug(`MCP SDK hooked by name: ${name}${sdkVersionAt(baseDir)}`);
        this.instrument(...[exports?.Protocol, exports?.McpServer, exports?.Client].filter((c) => c !== undefined));
        if (exports) wrapEntries(exports, this.ensureController());
        if (exports) this.instrumentStdioTransport(exports);
        // A v2 server may be handed web requests made from Node.js ones: their peer is kept (node-request.ts).
        if (isFunction(exports?.createMcpHandler)) watchNodeRequests();
      } catch (err) {
        diag.warn(`${PACKAGE_NAME}: the MCP SDK could not be instrumented:`, err);
      }
      return exports;
    };
    const onV2Module = (exports: Record<string, unknown>, name: string, baseDir?: string) =>
      V2_FILE.test(name) ? onModule(exports, name, baseDir) : exports;
    const hooks: Unhookable[] = [];
    try {
      const { Hook } = requireFromInstrumentation()('require-in-the-middle') as { Hook: HookConstructor };
      hooks.push(new Hook(CJS_FILES, { internals: true }, onModule));
      hooks.push(new Hook(V2_PACKAGES, { internals: true }, onV2Module));
    } catch (err) {
      diag.warn(`${PACKAGE_NAME}: CommonJS copies of the MCP SDK cannot be hooked:`, err);
    }
    try {
      const Hook = requireFromInstrumentation()('import-in-the-middle') as HookConstructor;
      hooks.push(
        new Hook(['@modelcontextprotocol/sdk'], { internals: true }, (exports, name, baseDir) =>
          ESM_FILE.test(name) ? onModule(exports, name, baseDir) : exports,
        ),
        new Hook(V2_PACKAGES, { internals: true }, onV2Module),
        // MCP without the SDK: the Vercel AI SDK's own client (ai-sdk-mcp.ts), an ES module only.
        new Hook([AI_SDK_MCP_PACKAGE], { internals: true }, (exports, name, baseDir) => {
          if (!isAiSdkMcpModule(name)) return exports;
          try {
            diag.debug(`MCP client hooked by name: ${AI_SDK_MCP_PACKAGE}${sdkVersionAt(baseDir)}`);
            instrumentAiSdkMcp(exports, this.ensureController(), (proto, patch) => this.remember(proto, patch));
          } catch (err) {
            diag.warn(`${PACKAGE_NAME}: ${AI_SDK_MCP_PACKAGE} could not be instrumented:`, err);
          }
          return exports;
        }),
        // tmcp, an MCP server without the SDK (tmcp.ts).
        new Hook(TMCP_PACKAGES, { internals: false }, (exports, name, baseDir) => {
          try {
            const server = instrumentTmcpModule(exports, name, this.ensureController());
            if (server) {
              this.remember(server.proto, server.patch);
              diag.debug(`MCP server hooked by name: ${name}${sdkVersionAt(baseDir)}`);
            }
          } catch (err) {
            diag.warn(`${PACKAGE_NAME}: ${name} could not be instrumented:`, err);
          }
          return exports;
        }),
        // The tasks extension's client: the requests it sends through a host's raw dispatch (ext-tasks.ts).
        new Hook([EXT_TASKS_PACKAGE], { internals: true }, (exports, name, baseDir) => {
          if (!isExtTasksClientModule(name)) return exports;
          try {
            if (instrumentExtTasks(exports, this.ensureController())) {
              diag.debug(`MCP client hooked by name: ${EXT_TASKS_PACKAGE}${sdkVersionAt(baseDir)}`);
            }
          } catch (err) {
            diag.warn(`${PACKAGE_NAME}: ${EXT_TASKS_PACKAGE} could not be instrumented:`, err);
          }
          return exports;
        }),
      );
    } catch (err) {
      diag.warn(`${PACKAGE_NAME}: ES module copies of the MCP SDK cannot be hooked:`, err);
    }
    return hooks;
  }
}

/** ` 1.32.2`: the version of the package in `baseDir`, for the debug line of a hooked SDK file; empty if unknown. */
function sdkVersionAt(baseDir: string | undefined): string {
  if (baseDir === undefined) return '';
  try {
    const manifest = JSON.parse(readFileSync(join(baseDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? ` ${manifest.version}` : '';
  } catch {
    return '';
  }
}

/** A bad variable of a setting, in a user's own setup: one diag warning (the preload gives every option itself). */
function warnOfSetting(name: string, message: string): void {
  diag.warn(`${PACKAGE_NAME}: ${name}: ${message}`);
}

function ignoreBadSetting(): void {}

/** The tracer MCP spans are made with, for users' own spans next to them. */
export function getTracer(): Tracer {
  return trace.getTracer(PACKAGE_NAME, VERSION);
}
