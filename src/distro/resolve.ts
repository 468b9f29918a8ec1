/**
 * Optional packages (the JSON and gRPC exporters, extra propagators, the upstream instrumentations and cloud resource
 * detectors) are dependencies of @opentelemetry/sdk-node or auto-instrumentations-node, which pin them to our OTel
 * line. They are resolved from the directory of the package that depends on them, so that they are found however npm
 * laid out node_modules, and loaded only when the configuration names them.
 */
import { createRequire } from 'node:module';

const requires = new Map<string, NodeRequire>();

export function requireVia(owner: '@opentelemetry/sdk-node' | '@opentelemetry/auto-instrumentations-node', id: string): any {
  let ownerRequire = requires.get(owner);
  if (ownerRequire === undefined) {
    ownerRequire = createRequire(require.resolve(owner));
    requires.set(owner, ownerRequire);
  }
  return ownerRequire(id);
}
