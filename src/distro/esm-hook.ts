/**
 * The ESM loader hook: import-in-the-middle, in the mode that wraps only the modules that instrumentations name
 * (wrapping every module costs about 0.2 s at startup and breaks some bundles). It must be registered before the
 * instrumentations are created: each of them tells the hook, through a message port, which modules it wants, and the
 * preload waits until the hook has acknowledged them.
 *
 * Where Node's synchronous hooks can run it (module.registerHooks(): Node 22.22.3+, 24.11.1+, 26), the hook runs on
 * the app's thread; elsewhere on Node's loader thread through module.register(), which Node 26 deprecates (DEP0205:
 * calling it prints a DeprecationWarning on the app's stderr).
 */
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { requireFromInstrumentation } from '../instrumentation/hook-libraries';

export interface EsmHook {
  /** Resolves when the hook knows every module named so far, or after timeoutMillis. */
  ready(timeoutMillis: number): Promise<void>;
}

interface SyncHooks {
  supportsSyncHooks(): boolean;
  register(options: object): void;
}

export async function registerEsmHook(extraIncludes: readonly (string | RegExp)[] = []): Promise<EsmHook | undefined> {
  // The same copy of import-in-the-middle as @opentelemetry/instrumentation's (hook-libraries.ts): the message port
  // lives in its module state, so a second copy would never hear of the modules to hook.
  let waitForAllMessagesAcknowledged: () => Promise<void>;
  try {
    const hookRequire = requireFromInstrumentation();
    const iitm = hookRequire('import-in-the-middle') as typeof import('import-in-the-middle');
    const fileOfIitm = (file: string) => pathToFileURL(hookRequire.resolve(`import-in-the-middle/${file}`)).href;
    const channel = iitm.createAddHookMessageChannel();
    const data = channel.registerOptions.data as { include: (string | RegExp)[] };
    data.include.push(...extraIncludes);
    // A module without imports: asking it loads nothing else.
    const { supportsSyncHooks } = (await import(fileOfIitm('supports-sync-hooks.mjs'))) as SyncHooks;
    if (supportsSyncHooks()) {
      const { register } = (await import(fileOfIitm('register-hooks.mjs'))) as SyncHooks;
      // The same options as the loader thread's: the include list and the port that adds to it.
      register(data);
      diag.debug('ESM loader hook: import-in-the-middle on the app thread (module.registerHooks)');
    } else {
      const nodeModule = require('node:module') as { register: (...args: unknown[]) => void };
      nodeModule.register(fileOfIitm('hook.mjs'), pathToFileURL(__filename), channel.registerOptions);
      diag.debug('ESM loader hook: import-in-the-middle on the loader thread (module.register)');
    }
    waitForAllMessagesAcknowledged = channel.waitForAllMessagesAcknowledged;
  } catch (err) {
    // CommonJS instrumentation still works without the hook: go on without it.
    diag.warn('the ESM loader hook could not be registered; ES modules are not instrumented:', err);
    return undefined;
  }
  return {
    ready(timeoutMillis) {
      let timer: NodeJS.Timeout | undefined;
      // import-in-the-middle keeps the process alive with an interval until every module is acknowledged; if that
      // never happens, the interval is cleared here, or the app could never exit by itself.
      const [acknowledged, keepAlive] = intervalsMadeBy(waitForAllMessagesAcknowledged);
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          diag.warn(
            `the ESM loader hook did not answer within ${timeoutMillis} ms; ES modules may not be instrumented`,
          );
          for (const interval of keepAlive) clearInterval(interval);
          resolve();
        }, timeoutMillis);
      });
      return Promise.race([acknowledged, timeout]).finally(() => clearTimeout(timer));
    },
  };
}

/** Calls `fn` and returns what it returned with the intervals it started synchronously. */
function intervalsMadeBy<T>(fn: () => T): [T, NodeJS.Timeout[]] {
  const original = globalThis.setInterval;
  const made: NodeJS.Timeout[] = [];
  globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
    const interval = original(...args);
    made.push(interval);
    return interval;
  }) as typeof setInterval;
  try {
    return [fn(), made];
  } finally {
    globalThis.setInterval = original;
  }
}
