/**
 * Optional packages (the JSON and gRPC exporters, extra propagators, the configuration-file reader, the upstream
 * instrumentations and cloud resource detectors) are dependencies of @opentelemetry/sdk-node,
 * auto-instrumentations-node or winston-transport, which pin them to our OTel line. They are resolved from the
 * directory of the package that depends on them, so that they are found however npm laid out node_modules, and loaded
 * only when the configuration names them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type Owner =
  '@opentelemetry/sdk-node' | '@opentelemetry/auto-instrumentations-node' | '@opentelemetry/winston-transport';

const requires = new Map<string, NodeRequire>();

function requireFrom(key: string, resolveMain: () => string): NodeRequire {
  let found = requires.get(key);
  if (found === undefined) {
    found = createRequire(resolveMain());
    requires.set(key, found);
  }
  return found;
}

/**
 * Requires `path`'s last package as its owner's dependency sees it; the packages before it are the way there
 * (`requireVia(owner, '@opentelemetry/configuration', 'yaml')`: yaml as @opentelemetry/configuration resolves it).
 */
export function requireVia(owner: Owner, ...path: [string, ...string[]]): unknown {
  let from = requireFrom(owner, () => require.resolve(owner));
  let key: string = owner;
  for (const step of path.slice(0, -1)) {
    const parent = from;
    key += `>${step}`;
    from = requireFrom(key, () => parent.resolve(step));
  }
  return from(path[path.length - 1]!);
}

/**
 * The package.json of an installed package, found from its main file upwards (its `exports` do not always list
 * `./package.json`, and where the main file sits changes between releases).
 */
export function packageManifest(name: string): Record<string, unknown> {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      if (manifest.name === name) return manifest;
    } catch {
      // No package.json here (or a partial one of a build directory): look further up.
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`the package.json of ${name} was not found`);
    dir = parent;
  }
}
