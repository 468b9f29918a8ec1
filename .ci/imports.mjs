// `npm run lint` runs this first: the imports of src/ keep the layers apart and make no circle.
// - The MCP instrumentation (src/instrumentation) is usable with anyone's own OpenTelemetry setup: it imports only
//   @opentelemetry/api, @opentelemetry/instrumentation, node: built-ins, its own files and src/version.ts; never the
//   distribution (src/distro) or the CLI (src/cli).
// - No two modules import each other, directly or around a circle, `import type` included: shapes that several
//   modules share live in a leaf module of their own (src/distro/shapes.ts), so that the order of the code is one.
// Prints one line per problem and exits 1 if there is any.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');
const INSTRUMENTATION_PACKAGES = new Set(['@opentelemetry/api', '@opentelemetry/instrumentation']);
/** `import ... from '...'` and `export ... from '...'`, type-only ones too. */
const IMPORT = /^(?:import|export)\s+(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;

const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (path.endsWith('.ts')) files.push(path);
  }
})(SRC);

const problems = [];
const imports = new Map();
for (const file of files) {
  const from = relative(SRC, file);
  const targets = [];
  for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    if (specifier.startsWith('.')) {
      const target = relative(SRC, resolve(dirname(file), specifier)) + (specifier.endsWith('.ts') ? '' : '.ts');
      if (from.startsWith('instrumentation/') && !target.startsWith('instrumentation/') && target !== 'version.ts')
        problems.push(`${from}: imports ${target}, outside the instrumentation layer`);
      targets.push(target);
    } else if (from.startsWith('instrumentation/') && !specifier.startsWith('node:') && !INSTRUMENTATION_PACKAGES.has(specifier)) {
      problems.push(`${from}: imports ${specifier}; the instrumentation depends on @opentelemetry/api and /instrumentation only`);
    }
  }
  imports.set(from, targets);
}

// Circles of imports: a depth-first walk, each circle reported once, from its first file in name order.
const circles = new Set();
const path = [];
const onPath = new Set();
const done = new Set();
function visit(file) {
  path.push(file);
  onPath.add(file);
  for (const next of imports.get(file) ?? []) {
    if (onPath.has(next)) {
      const circle = path.slice(path.indexOf(next));
      const first = circle.indexOf([...circle].sort()[0]);
      circles.add([...circle.slice(first), ...circle.slice(0, first), circle[first]].join(' -> '));
    } else if (!done.has(next)) visit(next);
  }
  path.pop();
  onPath.delete(file);
  done.add(file);
}
for (const file of [...imports.keys()].sort()) if (!done.has(file)) visit(file);
for (const circle of circles) problems.push(`an import circle: ${circle}`);

for (const problem of problems) console.error(`.ci/imports.mjs: ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
