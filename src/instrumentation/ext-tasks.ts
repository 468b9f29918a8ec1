/**
 * The tasks extension's client, `@modelcontextprotocol/ext-tasks` (read in 0.2.2, `dist/client`), on an SDK v2
 * `Client`. In the 2025-11-25 era it sends everything through `Client.request()`, which is traced already. Against a
 * 2026-07-28 tasks server it sends `tools/call` and every `tasks/*` request through a raw dispatch the host supplies
 * (`createTaskSessionFromClient(client, { rawDispatch, v2RequestFraming })`, also `createSessionPortFromClient`):
 * the SDK's Client would refuse a `resultType: 'task'` result, so the host writes these requests itself, with request
 * ids and response matching of its own (typically on the Client's transport, its responses taken off before the
 * Client sees them). Nothing of ours sees them leave as requests: without this file they have no CLIENT span, no
 * client metric, and their SERVER spans start new traces.
 *
 * So the two factories are wrapped where the module exports them, and the host's raw dispatch they are given is
 * traced (the options are copied, the host's function is called as it is): one call is one request, whose CLIENT span
 * covers the call until its promise settles, like `request()`'s, with the span's trace context in `params._meta`; the
 * answer is ext-tasks' `{ kind: 'result', result }` or `{ kind: 'error', error }`. The JSON-RPC id is the host's:
 * it is read where the request leaves through a transport of ours (`requestOnTheWire`, send.ts), in the
 * span's context.
 */
import { resultAttributes } from './attributes';
import { context } from '@opentelemetry/api';
import type { Controller, Operation } from './operation';
import { expectRawRequests, startSent, withTraceContext } from './send';
import type { Connection } from './connection';
import { ATTR_GEN_AI_TOOL_CALL_RESULT, resultContent } from './content';
import { operationContext, withRawRequest } from './context';
import { observe } from './promises';
import { isFunction, isObject, paramsOf, transportOf } from './sdk-internals';
import type { JsonRpcMessage, Method, SdkProtocol } from './sdk-internals';
import { wrapFunctionOnce } from './sdk-objects';
import { processWeakSet } from './state';
import { connectionOf } from './transport';

/** The module hooked: the `./client` entry of the package (ESM only), by its file inside the package. */
export const EXT_TASKS_PACKAGE = '@modelcontextprotocol/ext-tasks';
const EXT_TASKS_CLIENT_FILE = /^@modelcontextprotocol\/ext-tasks[\\/]dist[\\/]client[\\/]index\.js$/;
/** For import-in-the-middle's include list (`registerEsmHook`). */
export const EXT_TASKS_ESM_INCLUDE = /\/@modelcontextprotocol\/ext-tasks\/dist\/client\/index\.js$/;

/** The factories that take a raw dispatch: where their options are in the arguments (the client comes first). */
const FACTORIES = { createTaskSessionFromClient: 1, createSessionPortFromClient: 2 } as const;
/** The raw dispatches of ours, so that one handed on (the port of a session) is not traced twice. */
const traced = processWeakSet<Method>('ext-tasks.traced');

/** Whether the module is the one this file hooks: the client entry. */
export function isExtTasksClientModule(name: string): boolean {
  return EXT_TASKS_CLIENT_FILE.test(name);
}

/** Wraps the factories in the module's exports (an ES module namespace of import-in-the-middle); false if none. */
export function instrumentExtTasks(exports: Record<string, unknown>, ctl: Controller): boolean {
  let wrapped = false;
  for (const [name, at] of Object.entries(FACTORIES)) {
    const original = exports[name];
    if (!isFunction(original)) continue;
    wrapped = true;
    // Marked (sdk-objects.ts): a factory wrapped already, by any copy of @x/mcp-otel, is left as it is.
    const factory = wrapFunctionOnce(
      'ext-tasks-factory',
      original,
      (fn) =>
        function (this: unknown, ...args: unknown[]) {
          const [client] = args;
          const options = args[at];
          const dispatch = isObject(options) ? options.rawDispatch : undefined;
          if (isObject(client) && isObject(options) && isFunction(dispatch) && !traced.has(dispatch)) {
            args[at] = { ...options, rawDispatch: tracedRawDispatch(client, dispatch, ctl) };
          }
          return fn.apply(this, args);
        },
    );
    if (factory !== original) exports[name] = factory;
  }
  return wrapped;
}

/** The host's raw dispatch, traced: `dispatch(request, options)` sends one JSON-RPC request (no id) of the client's. */
function tracedRawDispatch(client: SdkProtocol & object, dispatch: Method, ctl: Controller): Method {
  const raw = function (this: unknown, request: unknown, ...rest: unknown[]) {
    if (!ctl.enabled || !isObject(request) || typeof request.method !== 'string' || ctl.excluded.has(request.method)) {
      return dispatch.call(this, request, ...rest);
    }
    const message: JsonRpcMessage = request;
    const method = request.method;
    const parent = context.active();
    const connection = connectionOf(client, ctl);
    const params = paramsOf(message);
    const operation = startSent(connection, transportOf(client), { method, params, kind: 'request' }, parent, ctl);
    const ctx = withRawRequest(operationContext(parent, operation), operation);
    expectRawRequests();
    let result: unknown;
    try {
      result = context.with(ctx, () => dispatch.call(this, withTraceContext(message, ctx), ...rest));
    } catch (err) {
      operation.endWithException(err);
      throw err;
    }
    return observe(
      result,
      (response) => settle(connection, operation, response, ctl),
      (err) => operation.endWithException(err),
    );
  };
  traced.add(raw);
  return raw;
}

/**
 * ext-tasks' answer of a dispatch: a JSON-RPC result or error response, as an object. A result names its server and
 * its `resultType` (`task` for a task handed back) as any other (send.ts).
 */
function settle(connection: Connection | undefined, operation: Operation, response: unknown, ctl: Controller): void {
  if (isObject(response) && response.kind === 'error' && isObject(response.error)) {
    operation.failWithCode(response.error.code, response.error.message);
  } else if (isObject(response) && response.kind === 'result') {
    resultAttributes(connection, operation, response.result, ctl);
    const content = ctl.content && resultContent(ctl.content, 'client', operation.method, response.result);
    if (content) operation.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, content);
    const resultError = operation.rule.resultError?.(response.result);
    if (resultError !== undefined) operation.fail(resultError);
  }
  operation.end();
}
