// The context keys every copy of @x/mcp-otel in a process shares: createContextKey(name) is Symbol.for(name), so an
// older copy reads (and writes) the same keys with the values it knows. Their names and shapes are kept: the
// operation a log line belongs to ({ mcp.method.name, gen_ai.tool.name }) and the operation a handler serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { ROOT } from '../helpers/processes.mjs';

const { handlerContext, operationContext, servedOperation, unmarked } = await import(join(ROOT, 'dist', 'instrumentation', 'context.js'));
const { mcpLogAttributes } = await import(join(ROOT, 'dist', 'index.js'));
const LOGGED = Symbol.for('@x/mcp-otel operation');
const SERVED = Symbol.for('@x/mcp-otel served operation');

const operation = {
  span: trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }),
  attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'jsonrpc.request.id': '7' },
};

test('the operation a log line belongs to: under the shared key, the method and tool as attributes', () => {
  const ctx = operationContext(ROOT_CONTEXT, operation);
  assert.deepEqual(ctx.getValue(LOGGED), { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' });
  assert.equal(ctx.getValue(SERVED), undefined);
  // What an older copy put there is read as it is.
  const older = ROOT_CONTEXT.setValue(LOGGED, { 'mcp.method.name': 'prompts/get' });
  assert.deepEqual(mcpLogAttributes(older), { 'mcp.method.name': 'prompts/get' });
});

test('the operation a handler serves: under the shared key, the operation itself; an excluded message drops it', () => {
  const ctx = handlerContext(ROOT_CONTEXT, operation);
  assert.equal(ctx.getValue(SERVED), operation);
  assert.deepEqual(ctx.getValue(LOGGED), { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' });
  assert.equal(unmarked(ctx).getValue(SERVED), undefined);
  assert.equal(servedOperation(), undefined);
});
