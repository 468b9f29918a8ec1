// Unit tests of the enrichment of an agent's own tool span (foreign-spans.ts), over the in-memory transport: only an
// INTERNAL span of another tracer, a tool execution of the same tool, without MCP attributes, takes the MCP attributes;
// a different tool, a SERVER span, or another instrumentation's MCP span get a CLIENT span nested as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, trace } from '@opentelemetry/api';
import { exporter, finishedSpans, setUp } from '../helpers/in-memory-otel.mjs';

const { Client, McpServer, InMemoryTransport } = await setUp({});
const agent = trace.getTracer('agent-framework');

const server = new McpServer({ name: 'tools', version: '1.0.0' });
for (const name of ['echo', 'other']) server.registerTool(name, {}, async () => ({ content: [{ type: 'text', text: name } ] }));
const client = new Client({ name: 'c', version: '1.0.0' });
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(b);
await client.connect(a);

/** Calls `tool` inside an agent span of `kind` with `attributes`; returns the MCP CLIENT span made, if any, and the agent span. */
async function callInside(tool, kind, attributes, name = 'execute_tool echo') {
  exporter.reset();
  await agent.startActiveSpan(name, { kind, attributes }, async (span) => {
    await client.callTool({ name: tool, arguments: {} });
    span.end();
  });
  await new Promise((resolve) => setImmediate(resolve));
  const spans = finishedSpans();
  return { clientSpan: spans.find((s) => s.kind === SpanKind.CLIENT && s.name === `tools/call ${tool}`), outer: spans.find((s) => s.name === name) };
}

const TOOL = { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'echo' };

test('an INTERNAL execute_tool span of the same tool takes the MCP attributes: no CLIENT span', async () => {
  const { clientSpan, outer } = await callInside('echo', SpanKind.INTERNAL, TOOL);
  assert.equal(clientSpan, undefined);
  assert.equal(outer.attributes['mcp.method.name'], 'tools/call');
  const serverSpan = finishedSpans().find((s) => s.kind === SpanKind.SERVER && s.name === 'tools/call echo');
  assert.equal(serverSpan.parentSpanId, outer.spanId);
});

test('the name alone (execute_tool echo, no attributes) is enough', async () => {
  const { clientSpan, outer } = await callInside('echo', SpanKind.INTERNAL, {});
  assert.equal(clientSpan, undefined);
  assert.equal(outer.attributes['gen_ai.tool.name'], 'echo');
});

test('a different tool, a SERVER span, or another instrumentation MCP span: a CLIENT span, the outer span untouched', async () => {
  const cases = [
    ['other', SpanKind.INTERNAL, TOOL],
    ['echo', SpanKind.SERVER, TOOL],
    ['echo', SpanKind.INTERNAL, { ...TOOL, 'mcp.method.name': 'tools/call' }],
  ];
  for (const [tool, kind, attributes] of cases) {
    const { clientSpan, outer } = await callInside(tool, kind, attributes);
    assert.ok(clientSpan, `${tool}, kind ${kind}: a CLIENT span`);
    assert.equal(clientSpan.parentSpanId, outer.spanId);
    assert.deepEqual(outer.attributes, attributes, 'the outer span keeps its own attributes only');
  }
});
