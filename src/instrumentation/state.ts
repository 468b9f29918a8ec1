/**
 * Process-wide state: every holder of the instrumentation layer that outlives one call, named in one list
 * (`PROCESS_STATE`), made here, and reset by `resetProcessState()` (for tests: a fresh process, as far as our state
 * goes). A module declares its holder in one line, `const x = processWeakMap<K, V>('file.name')`, with the types it
 * stores: the holders are created here but typed there, because a list typed here would import the types of the
 * modules that use it (an import circle). A name missing from the list is a type error, and a unit test checks that
 * no module of dist/instrumentation keeps a module-level Map, Set or `let` of its own.
 *
 * What is shared with the other copies of @x/mcp-otel in the process lives on `globalThis` under a `Symbol.for` key
 * (`sharedByCopies`), and the changes made to SDK objects are marked on the objects (sdk-objects.ts): neither is
 * reset here (the hooks installed into Node and the patched prototypes stay).
 */

/** Every holder, by name (`file.holder`), and what it keeps. */
export const PROCESS_STATE = {
  // Connections, bound to their Protocol and transport (transport.ts).
  'transport.byProtocol': 'the connection of each Protocol (or client of its own) it was registered for',
  'transport.byTransport': 'the connection of each transport, for what leaves through transport.send',
  // The receive and send paths.
  'receive.mcpServers': 'the McpServer of each low-level Server it connected (tool callbacks for tools/call)',
  'receive.receiptWatcher': 'the adapter told of every message a Server received (entry.ts, once an entry exists)',
  'send.injectedMetas': 'the `_meta` objects our trace context was put into, not to inject a second time',
  'send.rawDispatch': 'whether a raw dispatch of ext-tasks ever sent a request: only then are ids read on the wire',
  'operation.openServerOperations': 'our open SERVER operations, while a SelfTracedSpanProcessor exists',
  'operation.trackingOpen': 'whether a SelfTracedSpanProcessor exists (open SERVER operations are kept)',
  'client-probe.awaitedReplies': 'probes of server/discover awaiting a reply, by transport (accessor onmessage)',
  // Adapters.
  'entry.dispatched': 'the messages a Server received while a v2 serveStdio entry is watched',
  'entry.watching': 'whether a v2 createMcpHandler (http) or serveStdio (stdio) entry was ever made',
  'ext-tasks.traced': 'the raw dispatches ext-tasks is given that are ours, not to trace one twice',
  'tmcp.servers': 'what is known of each tmcp server: its transport kind, connection, sessions, pending requests',
  'tmcp.transportServers': 'the tmcp server each tracked transport instance serves',
  'tmcp.sentDetails': 'the `send` event details of tmcp already traced (the first listener traces)',
  'ai-sdk-mcp.connections': 'the connection of each @ai-sdk/mcp client',
  'ai-sdk-mcp.protocols': 'each @ai-sdk/mcp client read as a Protocol',
  'ai-sdk-mcp.answersTraced': 'the @ai-sdk/mcp transports whose responses end SERVER spans',
  'node-request.watching': 'whether Node.js HTTP requests are watched (diagnostics channel subscribed)',
  // Settings and caches shared by every instance in the process.
  'caps.valueCap': 'the cap of attribute values in force, from the instrumentation that started last',
  'stdio-servers.registerUrl': 'the file URL of our register.mjs, once looked up',
  'hook-libraries.hookRequire': 'the require of @opentelemetry/instrumentation, once resolved',
} as const;

export type ProcessStateName = keyof typeof PROCESS_STATE;

interface Resettable {
  reset(): void;
}

const holders = new Map<ProcessStateName, Resettable>();

function held<T extends Resettable>(name: ProcessStateName, holder: T): T {
  holders.set(name, holder);
  return holder;
}

/** A WeakMap that can be emptied (a WeakMap cannot be cleared: a new one replaces it). */
export class ResettableWeakMap<K extends object, V> implements Resettable {
  private map = new WeakMap<K, V>();
  get(key: K): V | undefined {
    return this.map.get(key);
  }
  has(key: K): boolean {
    return this.map.has(key);
  }
  set(key: K, value: V): this {
    this.map.set(key, value);
    return this;
  }
  delete(key: K): boolean {
    return this.map.delete(key);
  }
  reset(): void {
    this.map = new WeakMap();
  }
}

/** A WeakSet that can be emptied. */
export class ResettableWeakSet<T extends object> implements Resettable {
  private values = new WeakSet<T>();
  has(value: T): boolean {
    return this.values.has(value);
  }
  add(value: T): this {
    this.values.add(value);
    return this;
  }
  delete(value: T): boolean {
    return this.values.delete(value);
  }
  reset(): void {
    this.values = new WeakSet();
  }
}

export function processWeakMap<K extends object, V>(name: ProcessStateName): ResettableWeakMap<K, V> {
  return held(name, new ResettableWeakMap<K, V>());
}

export function processWeakSet<T extends object>(name: ProcessStateName): ResettableWeakSet<T> {
  return held(name, new ResettableWeakSet<T>());
}

/** A Set (iterable, so not weak: its owner deletes what it adds); emptied in place. */
export function processSet<T>(name: ProcessStateName): Set<T> {
  const set = new Set<T>();
  held(name, { reset: () => set.clear() });
  return set;
}

/** An object of flags or cached values, put back to `initial()` on reset; read and written as fields. */
export function processValues<T extends object>(name: ProcessStateName, initial: () => T): T {
  const values = initial();
  const reset = () => {
    for (const key of Object.keys(values)) Reflect.deleteProperty(values, key);
    Object.assign(values, initial());
  };
  held(name, { reset });
  return values;
}

/** Puts every holder back as it was when its module loaded. For tests; the patched SDK objects are not touched. */
export function resetProcessState(): void {
  for (const holder of holders.values()) holder.reset();
}

/** The names of the holders made so far (every module that declares one has loaded): for the unit test. */
export function processStateNames(): ProcessStateName[] {
  return [...holders.keys()];
}

/**
 * State shared by every copy of @x/mcp-otel in the process, on `globalThis` under `Symbol.for('@x/mcp-otel.<key>')`
 * (the key an older copy reads too: keep it). Made by the first copy that asks; never reset.
 * - `bundled` (bundled-hook.ts): the bundled SDK classes handed over so far and the instrumentations that want them.
 */
export function sharedByCopies<T extends object>(key: 'bundled', create: () => T): { state: T; created: boolean } {
  const global = globalThis as Record<symbol, unknown>;
  const symbol = Symbol.for(`@x/mcp-otel.${key}`);
  const existing = global[symbol];
  if (typeof existing === 'object' && existing !== null) return { state: existing as T, created: false };
  const state = create();
  global[symbol] = state;
  return { state, created: true };
}
