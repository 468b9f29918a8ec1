/**
 * The load path of bundled SDK copies (bundled-source.ts finds them): every module's source passes the cheap test,
 * and a candidate's SDK classes get the static block that hands them to the function put on globalThis here.
 * - CommonJS, on every Node: `Module.prototype._compile` is wrapped. It sees every CommonJS module, also one an ES
 *   module imports; a load hook would see that one twice (once for the import, once for its compilation).
 * - ES modules, where Node's synchronous hooks work (module.registerHooks: 22.22.3+, 24.11.1+, 25.1+, 26): a `load`
 *   hook on the app's thread, for format `module` only. On older Node, bundled ES modules are not handed over (the
 *   asynchronous hooks run on another thread, and the cost of a second loader thread is not worth it there).
 * The hooks stay for the life of the process (Node cannot take a load hook back on every version); disabling the
 * instrumentation removes the function they call and makes them pass every module through untouched.
 */
import * as nodeModule from 'node:module';
import { fileURLToPath } from 'node:url';
import { BUNDLED_CALLBACK_KEY, handOverBundledClasses, isCandidateSource } from './bundled-source';
import type { BundledKind } from './bundled-source';

export type OnBundledClass = (Class: unknown, kind: BundledKind, file: string) => void;

const CALLBACK = Symbol.for(BUNDLED_CALLBACK_KEY);
/** Set once per process, by whichever copy of @x/mcp-otel installs the hooks first. */
const INSTALLED = Symbol.for('@x/mcp-otel.bundled-hooks');
/** The SDK's own files, hooked by name (instrumentation.ts): their classes are instrumented from their exports. */
const SDK_FILE = /[\\/]node_modules[\\/]@modelcontextprotocol[\\/](?:sdk|server|client|node|core)[\\/]/;

type Compile = (this: unknown, content: string, filename: string, ...rest: unknown[]) => unknown;
type LoadResult = { format?: string | null; source?: string | ArrayBuffer | ArrayBufferView | null };
type NextLoad = (url: string, context?: object) => LoadResult;
interface SyncHooksModule {
  registerHooks?: (hooks: { load: (url: string, context: object, nextLoad: NextLoad) => LoadResult }) => unknown;
}

type Global = typeof globalThis & { [CALLBACK]?: OnBundledClass; [INSTALLED]?: true };

/** Source text with the SDK classes handed over, or undefined to keep it; never throws. */
function transform(source: string, file: string): string | undefined {
  try {
    if (!isCandidateSource(source) || SDK_FILE.test(file)) return undefined;
    return handOverBundledClasses(source, file);
  } catch {
    return undefined;
  }
}

/** The same for an ES module's bytes: decoded only when the bytes are a candidate. */
function transformBytes(source: ArrayBufferView, file: string): string | undefined {
  const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  if (!isCandidateSource(bytes)) return undefined;
  return transform(bytes.toString('utf8'), file);
}

/**
 * Puts `onClass` where the static blocks find it and installs the load path once per process. Returns the function
 * that takes `onClass` away again.
 */
export function installBundledHooks(onClass: OnBundledClass): () => void {
  const global = globalThis as Global;
  // Another copy of @x/mcp-otel (or another instance) that came first keeps the classes: both patch the same way.
  const mine = global[CALLBACK] === undefined;
  if (mine) global[CALLBACK] = onClass;
  if (global[INSTALLED] === undefined) {
    global[INSTALLED] = true;
    wrapCompile();
    registerEsmLoadHook();
  }
  return () => {
    if (mine && global[CALLBACK] === onClass) delete global[CALLBACK];
  };
}

/** Nothing to hand over to: a module passes through as it is. */
function active(): boolean {
  return (globalThis as Global)[CALLBACK] !== undefined;
}

function wrapCompile(): void {
  const proto = (nodeModule.Module as unknown as { prototype: { _compile?: Compile } }).prototype;
  const original = proto._compile;
  if (typeof original !== 'function') return;
  proto._compile = function _compile(this: unknown, content: string, filename: string, ...rest: unknown[]) {
    const changed = active() && typeof content === 'string' ? transform(content, String(filename)) : undefined;
    return original.call(this, changed ?? content, filename, ...rest);
  };
}

function registerEsmLoadHook(): void {
  const registerHooks = (nodeModule as SyncHooksModule).registerHooks;
  if (typeof registerHooks !== 'function' || !syncLoadHooksWork(process.versions.node)) return;
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      if (result.format !== 'module' || !active() || !url.startsWith('file:')) return result;
      const { source } = result;
      let changed: string | undefined;
      try {
        const file = fileURLToPath(url);
        if (typeof source === 'string') changed = transform(source, file);
        else if (ArrayBuffer.isView(source)) changed = transformBytes(source, file);
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
