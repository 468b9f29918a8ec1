/**
 * The one way this package changes an object of the SDK (or of a library that speaks MCP): every prototype, instance
 * and function we change is changed here, and marked with one mark, `Symbol.for('@x/mcp-otel.patched')`, which every
 * copy of @x/mcp-otel in the process reads, so that no copy changes what another one changed. Its value says what
 * was there before:
 * - a prototype (or object) whose methods were replaced (`replaceMethods`): the originals by method name, which
 *   `restoreMethods` puts back (the value older copies wrote, and their `unpatch` reads);
 * - a wrapper function of ours (`wrapFunctionOnce`): the function it wraps;
 * - an instance changed in place (`changeOnce`, then `wrapInstanceMethod` / `interceptHandler`, which keep its
 *   accessors): the purposes it was changed for, `true` (never undone: the instance goes away with its connection).
 *
 * Older copies (0.1.0 before issue 25) used one mark per purpose (`LEGACY_MARKS`). They are recognised (what an older
 * copy changed is not changed again) and still written next to ours, because an older copy reads only its own: were
 * they not written, an older copy loaded next to this one would wrap the same transport, handler or export a second
 * time and trace each message twice.
 *
 * Transports come in every shape: the SDK's classes (handlers as plain fields, methods on the prototype), their
 * subclasses, a Proxy, and an app's own class whose handlers are accessors forwarding to an inner transport (the shape
 * telemetry, logging and auth wrappers take). Assigning or defining a property on such an object can shadow the
 * accessor its class defines: the handler then never reaches the inner transport, and every message is dropped
 * (issue 23). So an instance's property is first looked up along the prototype chain, and:
 * - an accessor is kept and called: ours, defined on the object, calls the ORIGINAL getter and setter with the
 *   object as `this`, wrapping what goes through (the handler set, the method read), so that whatever the class does
 *   with the value (store it, forward it to an inner transport, wrap it again, replace it later) it still does;
 * - a plain field (or none) is held by an accessor of ours, as before: the transport's own code reads it to call it;
 * - what cannot be changed (frozen, non-configurable, read-only, a Proxy that refuses) is left alone, untraced: the
 *   app's calls then fail or succeed exactly as they would without us.
 * A Proxy is handled by the same path: its traps see the same reads, definitions and writes as its target would.
 * Nothing here throws into the app.
 */
import { isFunction } from './sdk-internals';
import type { Method } from './sdk-internals';

/** The one mark (the string older copies read on prototypes: keep it). */
const MARK = Symbol.for('@x/mcp-otel.patched');

/**
 * What we change besides prototypes, each once per object, and the mark an older copy put for it (an own property,
 * except on a handler, which older copies read through `[]`).
 */
export const LEGACY_MARKS = {
  /** transport.ts: a transport bound to a Protocol, its `send` and HTTP handlers wrapped. */
  'sdk-transport': Symbol.for('@x/mcp-otel.wrapped'),
  /** receive.ts: a request or notification handler (the same symbol as transports: its second meaning). */
  'request-handler': Symbol.for('@x/mcp-otel.wrapped'),
  /** entry.ts: an export of the v2 packages (its value was the original), and a serveStdio transport watched. */
  'v2-entry': Symbol.for('@x/mcp-otel.entry'),
  /** ext-tasks.ts: a factory of the tasks extension (its value was the original). */
  'ext-tasks-factory': Symbol.for('@x/mcp-otel.ext-tasks'),
  /** ai-sdk-mcp.ts: a transport whose responses end SERVER spans. */
  'ai-sdk-responses': Symbol.for('@x/mcp-otel.ai-sdk-responses'),
  /** tmcp.ts: a transport class exported through a Proxy (read through the Proxy's `get`). */
  'tmcp-transport': Symbol.for('@x/mcp-otel.tmcp-transport'),
  /** client-probe.ts: a transport class's `send`, wrapped for the server/discover probe (its value: the original). */
  'probe-sends': Symbol.for('@x/mcp-otel.probe-sends'),
} as const;

export type Purpose = keyof typeof LEGACY_MARKS;

/** Every mark of ours, older ones included. */
const ALL_MARKS: readonly symbol[] = [MARK, ...new Set(Object.values(LEGACY_MARKS))];

/** The mark's value: what was there before, by method name or purpose. */
type MarkValue = Record<string, unknown>;

/** The mark's value on `target` (its own), if any. */
function markOf(target: object): MarkValue | undefined {
  const found = Reflect.getOwnPropertyDescriptor(target, MARK)?.value as unknown;
  return typeof found === 'object' && found !== null ? (found as MarkValue) : undefined;
}

/** Adds `entries` to the mark of `target`, made when there is none; false when it cannot be marked. */
function addToMark(target: object, entries: MarkValue): boolean {
  const existing = markOf(target);
  if (existing) {
    Object.assign(existing, entries);
    return true;
  }
  return Reflect.defineProperty(target, MARK, { value: entries, configurable: true });
}

/** The wrappers of methods, by name: `undefined` leaves a method as it is. */
export type MethodWrappers = Readonly<Record<string, ((original: Method) => Method) | undefined>>;

/**
 * Replaces methods of `target` (a prototype, usually) with their wrappers, the originals kept under the mark. Refused
 * (false) when one of them was replaced already, by this or any other copy of @x/mcp-otel (`legacy`: the purpose
 * whose older mark also counts, written too); a method that is not a function, or cannot be set, is skipped.
 */
export function replaceMethods(target: object, wrappers: MethodWrappers, legacy?: Purpose): boolean {
  try {
    const object = target as Record<string, unknown>;
    const names = Object.keys(wrappers).filter((name) => wrappers[name] !== undefined);
    const replaced = markOf(target);
    if (replaced && names.some((name) => Object.hasOwn(replaced, name))) return false;
    if (legacy !== undefined && Object.hasOwn(target, LEGACY_MARKS[legacy])) return false;
    const originals: Record<string, Method> = {};
    for (const name of names) {
      const original = object[name];
      const wrap = wrappers[name];
      if (!isFunction(original) || wrap === undefined) continue;
      if (Reflect.set(target, name, wrap(original))) originals[name] = original;
    }
    // The older mark's value is the original of the one method it was written for.
    if (legacy !== undefined) {
      const [only] = Object.values(originals);
      Reflect.defineProperty(target, LEGACY_MARKS[legacy], { value: only ?? true, configurable: true });
    }
    return addToMark(target, originals);
  } catch {
    return false;
  }
}

/**
 * Replaces one method of `target` for the life of the process (never put back: the wrapper checks whether it has
 * anything to do), marked only with the mark of its purpose, the one every copy of @x/mcp-otel reads for it. Not the
 * one mark: that would tell an older copy the prototype's other methods are taken (client-probe.ts's `send` shares
 * StdioClientTransport's prototype with stdio-servers' `start`), and `restoreMethods` must not put it back. False when
 * any copy replaced it already, or it cannot be set.
 */
export function replaceMethodForGood(
  target: object,
  name: string,
  wrap: (original: Method) => Method,
  purpose: Purpose,
): boolean {
  try {
    const mark = LEGACY_MARKS[purpose];
    const original = (target as Record<string, unknown>)[name];
    if (Object.hasOwn(target, mark) || !isFunction(original)) return false;
    if (!Reflect.defineProperty(target, mark, { value: original })) return false;
    return Reflect.set(target, name, wrap(original));
  } catch {
    return false;
  }
}

/** Puts back the methods `replaceMethods` replaced on `target`, and takes the mark (and the older one written) away. */
export function restoreMethods(target: object): void {
  try {
    const replaced = markOf(target);
    if (!replaced) return;
    const restored = new Set<unknown>();
    for (const [name, original] of Object.entries(replaced)) {
      if (!isFunction(original)) continue;
      Reflect.set(target, name, original);
      restored.add(original);
    }
    for (const symbol of ALL_MARKS) {
      if (symbol !== MARK && restored.has(Reflect.getOwnPropertyDescriptor(target, symbol)?.value))
        Reflect.deleteProperty(target, symbol);
    }
    Reflect.deleteProperty(target, MARK);
  } catch {
    // A prototype that will not take its methods back keeps the wrappers, which call the originals.
  }
}

/** Whether `fn` is a wrapper of ours (any copy's): then it is not wrapped again. */
function isOurWrapper(fn: object, legacy: Purpose): boolean {
  return Reflect.get(fn, MARK) !== undefined || !!Reflect.get(fn, LEGACY_MARKS[legacy]);
}

/**
 * `fn` wrapped, the wrapper marked (with the function it wraps); `fn` as it is when it is not a function or is a
 * wrapper of ours already (of any copy).
 */
export function wrapFunctionOnce(purpose: Purpose, fn: unknown, wrap: (fn: Method) => Method): unknown {
  try {
    if (!isFunction(fn) || isOurWrapper(fn, purpose)) return fn;
    const wrapped = wrap(fn);
    Reflect.defineProperty(wrapped, MARK, { value: fn });
    // Older copies: a handler's mark was `true`, an export's the original.
    Reflect.defineProperty(wrapped, LEGACY_MARKS[purpose], { value: purpose === 'request-handler' ? true : fn });
    return wrapped;
  } catch {
    return fn;
  }
}

/**
 * A class exported through a Proxy (its name, statics, prototype, `instanceof` and subclassing kept; instances are the
 * class's own), `construct` called with each instance made; undefined when `Class` is such a Proxy of ours already.
 */
export function constructingOnce(
  purpose: Purpose,
  Class: object,
  construct: (instance: object, args: unknown[]) => void,
): object | undefined {
  try {
    if (isOurWrapper(Class, purpose)) return undefined;
  } catch {
    return undefined;
  }
  const mark = { [purpose]: true };
  const legacy = LEGACY_MARKS[purpose];
  return new Proxy(Class, {
    construct(target, args: unknown[], newTarget) {
      const instance = Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget) as object;
      construct(instance, args);
      return instance;
    },
    get(target, key, receiver) {
      if (key === MARK) return mark;
      return key === legacy ? true : Reflect.get(target, key, receiver);
    },
  });
}

/**
 * Marks `object` as changed in place for `purpose`; false when it was already (by any copy) or cannot be marked
 * (frozen, a Proxy that refuses): then it is left as it is.
 */
export function changeOnce(object: object, purpose: Purpose): boolean {
  try {
    const legacy = LEGACY_MARKS[purpose];
    if (Object.hasOwn(object, legacy) || Object.hasOwn(markOf(object) ?? {}, purpose)) return false;
    return Reflect.defineProperty(object, legacy, { value: true }) && addToMark(object, { [purpose]: true });
  } catch {
    return false;
  }
}

/** The descriptor of `name` on `object` or the nearest prototype that has it. */
function descriptorOf(object: object, name: PropertyKey): { found: PropertyDescriptor; own: boolean } | undefined {
  for (let at: object | null = object; at !== null; at = Reflect.getPrototypeOf(at)) {
    const found = Reflect.getOwnPropertyDescriptor(at, name);
    if (found) return { found, own: at === object };
  }
  return undefined;
}

function isAccessor(descriptor: PropertyDescriptor): boolean {
  return 'get' in descriptor || 'set' in descriptor;
}

/** One wrapper per function, so that reading the property twice gives the same function, as it does bare. */
function memoized(wrap: (fn: Method) => Method): (fn: Method) => Method {
  const wrappers = new WeakMap<Method, Method>();
  const ours = new WeakSet<Method>();
  return (fn) => {
    if (ours.has(fn)) return fn;
    let wrapped = wrappers.get(fn);
    if (!wrapped) {
      wrapped = wrap(fn);
      wrappers.set(fn, wrapped);
      ours.add(wrapped);
    }
    return wrapped;
  };
}

/**
 * A handler the object's code calls (`onmessage`): every function set is wrapped. The getter gives what the
 * transport gives (the wrapped handler), since the transport's own code may read it to call it; an app that chains onto
 * the handler it reads then calls the wrapped one inside its own, so what `wrap` adds must be idempotent per message
 * (entry.ts notes each message once). Returns whether the handler is now wrapped.
 */
export function interceptHandler(object: object, name: string, wrap: (handler: Method) => Method): boolean {
  try {
    const wrapOnce = memoized(wrap);
    const at = descriptorOf(object, name);
    if (at && isAccessor(at.found)) {
      const { get, set, enumerable } = at.found;
      // Without a setter, setting it fails (or does nothing) bare: the same under the preload.
      if (!set || (at.own && !at.found.configurable)) return false;
      return Reflect.defineProperty(object, name, {
        configurable: true,
        enumerable,
        get,
        set(this: unknown, handler: unknown) {
          set.call(this, isFunction(handler) ? wrapOnce(handler) : handler);
        },
      });
    }
    if (at && (!at.found.writable || (at.own && !at.found.configurable))) return false;
    let current: unknown = at ? at.found.value : undefined;
    if (isFunction(current)) current = wrapOnce(current);
    return Reflect.defineProperty(object, name, {
      configurable: true,
      enumerable: at?.own ? at.found.enumerable : true,
      get: () => current,
      set: (handler: unknown) => {
        current = isFunction(handler) ? wrapOnce(handler) : handler;
      },
    });
  } catch {
    return false;
  }
}

/**
 * A method the app or the SDK calls on the object (`send`, `handleRequest`): what a plain property holds is replaced by
 * its wrapper (on the object: a method of the class is not changed for its other instances); an accessor's getter gives
 * the wrapper of what it returns, and its setter is kept. Returns whether the method is now wrapped.
 */
export function wrapInstanceMethod(object: object, name: string, wrap: (method: Method) => Method): boolean {
  try {
    const at = descriptorOf(object, name);
    if (!at) return false;
    const { found, own } = at;
    if (isAccessor(found)) {
      const { get, set, enumerable } = found;
      if (!get || (own && !found.configurable)) return false;
      const wrapOnce = memoized(wrap);
      return Reflect.defineProperty(object, name, {
        configurable: true,
        enumerable,
        get(this: unknown) {
          const method: unknown = get.call(this);
          return isFunction(method) ? wrapOnce(method) : method;
        },
        set,
      });
    }
    if (!isFunction(found.value) || !found.writable) return false;
    const wrapped = wrap(found.value);
    if (own && !found.configurable) return Reflect.set(object, name, wrapped);
    // Own: its attributes are kept. Inherited: an own property the class's code and for-in loops do not see.
    return Reflect.defineProperty(object, name, {
      value: wrapped,
      writable: true,
      configurable: true,
      enumerable: own ? found.enumerable : false,
    });
  } catch {
    return false;
  }
}

/** Whether `name` is an accessor of `object` (its own, or its class's). */
export function definedByAccessor(object: object, name: string): boolean {
  try {
    const at = descriptorOf(object, name);
    return at !== undefined && isAccessor(at.found);
  } catch {
    return false;
  }
}
