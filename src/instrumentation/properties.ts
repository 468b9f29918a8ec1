/**
 * Wrapping what a transport object holds (its `onmessage` handler, its `send` and HTTP handler methods) without
 * changing what the object is. Transports come in every shape: the SDK's classes (handlers as plain fields, methods on
 * the prototype), their subclasses, a Proxy, and an app's own class whose handlers are accessors forwarding to an inner
 * transport (the shape telemetry, logging and auth wrappers take). Assigning or defining a property on such an object
 * can shadow the accessor its class defines: the handler then never reaches the inner transport, and every message is
 * dropped (issue 23). So the property is first looked up along the prototype chain, and:
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
export function wrapMethod(object: object, name: string, wrap: (method: Method) => Method): boolean {
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

/** Marks `object` with `mark` (a symbol of ours); false when it was marked already or cannot be (frozen, a Proxy). */
export function markOnce(object: object, mark: symbol): boolean {
  try {
    return !Object.hasOwn(object, mark) && Reflect.defineProperty(object, mark, { value: true });
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
