/**
 * The load path of bundled SDK copies (bundled-source.ts finds them): every module's source passes the cheap test,
 * and a candidate's SDK classes get the static block that calls the global function defined here with the class and
 * its index in the list of classes found (which says its kind and file).
 * - CommonJS, on every Node: `Module.prototype._compile` is wrapped. It sees every CommonJS module, also one an ES
 *   module imports; a load hook would see that one twice (once for the import, once for its compilation).
 * - ES modules, where Node's synchronous hooks work (module.registerHooks: 22.22.3+, 24.11.1+, 25.1+, 26): a `load`
 *   hook on the app's thread, for format `module` only. On older Node, bundled ES modules are not handed over (the
 *   asynchronous hooks run on another thread, and the cost of a second loader thread is not worth it there).
 * The hooks stay for the life of the process, shared by every copy of @x/mcp-otel; while no instrumentation is
 * enabled they pass every module through untouched, and a class defined then is handed to no one.
 */
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CALLBACK, handOverBundledClasses, isCandidateSource } from './bundled-source';
import type { BundledKind } from './bundled-source';
import { replaceMethods } from './sdk-objects';
import { sharedByCopies } from './state';

export type OnBundledClass = (Class: unknown, kind: BundledKind, file: string) => void;

/**
 * What every copy of @x/mcp-otel in the process shares: the classes handed over so far (a static block passes its
 * index here), and the instrumentations that want them (the first one enabled gets each class; the others would patch
 * the same prototypes, which are marked once patched).
 */
interface SharedState {
  found: { kind: BundledKind; file: string }[];
  receivers: OnBundledClass[];
}
/** The SDK's own files, hooked by name (instrumentation.ts): their classes are instrumented from their exports. */
const SDK_FILE = /[\\/]node_modules[\\/]@modelcontextprotocol[\\/](?:sdk|server|client|node|core)[\\/]/;

type LoadResult = { format?: string | null; source?: string | ArrayBuffer | ArrayBufferView | null };
type NextLoad = (url: string, context?: object) => LoadResult;
interface SyncHooksModule {
  registerHooks?: (hooks: { load: (url: string, context: object, nextLoad: NextLoad) => LoadResult }) => unknown;
}

/**
 * The module's source with the SDK classes handed over, or undefined to keep it; never throws. Bytes (an ES module)
 * are tested as they are, and only a candidate is decoded: as UTF-8, which Node would do next anyway, and its text is
 * what the load hook returns. (Working on the bytes instead, read as latin1 and spliced, made two more copies of a
 * bundle, and on the 7.9 MB Chrome DevTools one cost about 30 ms more at startup.)
 */
function transform(state: SharedState, source: string | Buffer, file: string): string | undefined {
  try {
    if (!isCandidateSource(source) || SDK_FILE.test(file)) return undefined;
    const register = (kind: BundledKind) => state.found.push({ kind, file }) - 1;
    const text = typeof source === 'string' ? source : source.toString('utf8');
    return handOverBundledClasses(text, register);
  } catch {
    return undefined;
  }
}

/**
 * Adds `onClass` to the instrumentations that bundled classes are handed to, and installs the load path once per
 * process. Returns the function that takes `onClass` away again.
 */
export function installBundledHooks(onClass: OnBundledClass): () => void {
  const { state, created } = sharedByCopies<SharedState>('bundled', () => ({ found: [], receivers: [] }));
  if (created) {
    const shared = state;
    // What the static blocks call; not enumerable, so that it does not show among the app's globals.
    Object.defineProperty(globalThis, BUNDLED_CALLBACK, {
      value: (Class: unknown, id: unknown) => {
        try {
          const found = typeof id === 'number' ? shared.found[id] : undefined;
          const receiver = shared.receivers[0];
          if (found && receiver) receiver(Class, found.kind, found.file);
        } catch {
          // Never into the module that defines the class.
        }
      },
      configurable: true,
      writable: true,
      enumerable: false,
    });
    wrapCompile(shared);
    registerEsmLoadHook(shared);
  }
  state.receivers.push(onClass);
  const receivers = state.receivers;
  return () => {
    const at = receivers.indexOf(onClass);
    if (at !== -1) receivers.splice(at, 1);
  };
}

/** Node's own prototype, changed the one way (sdk-objects.ts): once per process, never put back. */
function wrapCompile(state: SharedState): void {
  const proto = (nodeModule.Module as unknown as { prototype: object }).prototype;
  replaceMethods(proto, {
    _compile: (original) =>
      function _compile(this: unknown, content: string, filename: string, ...rest: unknown[]) {
        const changed =
          state.receivers.length > 0 && typeof content === 'string'
            ? transform(state, content, String(filename))
            : undefined;
        return original.call(this, changed ?? content, filename, ...rest);
      } as (this: unknown, ...args: unknown[]) => unknown,
  });
}

function registerEsmLoadHook(state: SharedState): void {
  const registerHooks = (nodeModule as SyncHooksModule).registerHooks;
  if (typeof registerHooks !== 'function' || !syncLoadHooksWork(process.versions.node)) return;
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (result.format !== 'module' || state.receivers.length === 0 || !url.startsWith('file:')) return result;
      const { source } = result;
      let changed: string | undefined;
      try {
        const file = fileURLToPath(url);
        if (typeof source === 'string') changed = transform(state, source, file);
        else if (ArrayBuffer.isView(source))
          changed = transform(state, Buffer.from(source.buffer, source.byteOffset, source.byteLength), file);
      } catch {
        changed = undefined;
      }
      return changed === undefined ? result : { ...result, source: changed };
    },
  });
}

/**
 * module.registerHooks exists since 22.15, but before 22.22.3, 24.11.1 and 25.1 its load hooks made a `require()`
 * inside an ES module graph fail (nodejs/node#59929): on those versions no load hook is registered.
 */
export function syncLoadHooksWork(version: string): boolean {
  const [major, minor, patch] = version.split('.').map((part) => parseInt(part, 10));
  if (major >= 26) return true;
  if (major === 25) return minor >= 1;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
}
