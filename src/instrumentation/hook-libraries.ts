/**
 * require-in-the-middle and import-in-the-middle keep their lists of hooked modules in module state, so a hook only
 * fires in the copy it was registered with. Every instrumentation (ours and the ones built on
 * @opentelemetry/instrumentation) registers with the copies that @opentelemetry/instrumentation depends on, so those
 * are the copies to use here and for the ESM loader hook. They are not always ours: with another package that pins a
 * different import-in-the-middle (dd-trace 6.21 pins 3.5.1), npm hoists that one next to @opentelemetry/instrumentation
 * and nests ours, and a loader hook from our copy would never hear of the modules to wrap.
 */
import { createRequire } from 'node:module';
import { processValues } from './state';

const resolved = processValues('hook-libraries.hookRequire', (): { hookRequire?: NodeJS.Require } => ({}));

/** `require` as @opentelemetry/instrumentation resolves; our own when that package cannot be resolved. */
export function requireFromInstrumentation(): NodeJS.Require {
  if (resolved.hookRequire === undefined) {
    try {
      resolved.hookRequire = createRequire(require.resolve('@opentelemetry/instrumentation'));
    } catch {
      resolved.hookRequire = require;
    }
  }
  return resolved.hookRequire;
}
