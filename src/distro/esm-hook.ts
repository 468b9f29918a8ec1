/**
 * The ESM loader hook: import-in-the-middle registered through module.register(), in the mode that wraps only the
 * modules that instrumentations name (wrapping every module costs about 0.2 s at startup and breaks some bundles).
 * It must be registered before the instrumentations are created: each of them tells the hook, through a message
 * port, which modules it wants, and the preload waits until the hook has acknowledged them.
 */
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';

export interface EsmHook {
  /** Resolves when the hook knows every module named so far, or after timeoutMillis. */
  ready(timeoutMillis: number): Promise<void>;
}

export function registerEsmHook(extraIncludes: readonly (string | RegExp)[] = []): EsmHook | undefined {
  const nodeModule = require('node:module') as { register?: (...args: unknown[]) => void };
  if (typeof nodeModule.register !== 'function') {
    diag.warn('this Node.js has no module.register(): ES modules are not instrumented (Node ^18.19 or >=20.6 needed)');
    return undefined;
  }
  // The same copy of import-in-the-middle as @opentelemetry/instrumentation's: the message port lives in its module
  // state, so a second copy would never hear of the modules to hook.
  let waitForAllMessagesAcknowledged: () => Promise<void>;
  try {
    const iitm = require('import-in-the-middle') as typeof import('import-in-the-middle');
    const channel = iitm.createAddHookMessageChannel();
    (channel.registerOptions.data as { include: (string | RegExp)[] }).include.push(...extraIncludes);
    nodeModule.register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), channel.registerOptions);
    waitForAllMessagesAcknowledged = channel.waitForAllMessagesAcknowledged;
  } catch (err) {
    // CommonJS instrumentation still works without the hook: go on without it.
    diag.warn('the ESM loader hook could not be registered; ES modules are not instrumented:', err);
    return undefined;
  }
  return {
    ready(timeoutMillis) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          diag.warn(`the ESM loader hook did not answer within ${timeoutMillis} ms; ES modules may not be instrumented`);
          resolve();
        }, timeoutMillis);
      });
      return Promise.race([waitForAllMessagesAcknowledged(), timeout]).finally(() => clearTimeout(timer));
    },
  };
}
