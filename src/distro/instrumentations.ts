/**
 * Which instrumentations the distribution starts, by the upstream names of OTEL_NODE_ENABLED_INSTRUMENTATIONS and
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS (`http`, `pino`, ...). Only the chosen packages are loaded: requiring the
 * auto-instrumentations-node index would load all 41 of them.
 */
import { diag } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { DistroConfig } from './config';
import { packageManifest, requireVia } from './resolve';

/** What an MCP server usually does besides MCP: HTTP in and out, and logging. */
export const DEFAULT_INSTRUMENTATIONS = ['http', 'undici', 'pino', 'winston'];

const PREFIX = '@opentelemetry/instrumentation-';

interface Catalog {
  names: string[];
  load(name: string): Instrumentation;
}

/**
 * The upstream instrumentations are dependencies of auto-instrumentations-node; they are resolved from its directory,
 * so they are found however npm laid out node_modules.
 */
export function upstreamCatalog(): Catalog {
  const manifest = packageManifest('@opentelemetry/auto-instrumentations-node') as {
    dependencies: Record<string, string>;
  };
  const names = Object.keys(manifest.dependencies)
    .filter((dep) => dep.startsWith(PREFIX))
    .map((dep) => dep.slice(PREFIX.length));
  return {
    names,
    load(name) {
      const exports = requireVia('@opentelemetry/auto-instrumentations-node', PREFIX + name) as Record<string, unknown>;
      const Class = Object.values(exports).find(
        (v): v is new (config?: object) => Instrumentation =>
          typeof v === 'function' && /Instrumentation$/.test(v.name) && typeof v.prototype?.enable === 'function',
      );
      if (Class === undefined) throw new Error(`${PREFIX + name} exports no instrumentation class`);
      return new Class({});
    },
  };
}

/** The names to start: the enabled list (or the defaults), less the disabled list. */
export function chooseInstrumentations(
  config: Pick<DistroConfig, 'enabledInstrumentations' | 'disabledInstrumentations'>,
  defaults: readonly string[],
): string[] {
  const chosen = config.enabledInstrumentations ?? defaults;
  return chosen.filter((name) => !config.disabledInstrumentations.includes(name));
}

/** Constructs the chosen instrumentations; one that fails to load is reported and skipped. */
export function loadInstrumentations(names: readonly string[], catalog: Catalog): Instrumentation[] {
  const loaded: Instrumentation[] = [];
  for (const name of names) {
    try {
      loaded.push(catalog.load(name));
    } catch (err) {
      diag.warn(`instrumentation "${name}" could not be loaded and is skipped:`, err);
    }
  }
  return loaded;
}
