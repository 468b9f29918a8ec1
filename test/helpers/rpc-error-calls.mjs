// Shared by test/unit/rpc-semconv-env.test.mjs and rpc-semconv-option.test.mjs: an in-memory client and server (SDK
// v1), and a request the server has no handler for (-32601), whose code both sides record.
import assert from 'node:assert/strict';

/** `prompts/list` to a server with tools only: -32601 on both sides. */
export async function callMissingMethod({ Client, McpServer, InMemoryTransport }) {
  const server = new McpServer({ name: 'codes', version: '1' });
  server.registerTool('noop', {}, async () => ({ content: [] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'codes', version: '1' });
  await client.connect(clientSide);
  await assert.rejects(client.listPrompts(), (err) => err.code === -32601);
  await client.close();
  await new Promise((resolve) => setImmediate(resolve));
}

/** The prompts/list spans and points of both sides carry `codes` and no other status code name. */
export function assertCodes(spans, points, codes) {
  const pick = (attributes) => ({
    'rpc.response.status_code': attributes['rpc.response.status_code'],
    'rpc.status_code': attributes['rpc.status_code'],
  });
  const expected = { 'rpc.response.status_code': undefined, 'rpc.status_code': undefined, ...codes };
  const listed = spans.filter((s) => s.name === 'prompts/list');
  assert.equal(listed.length, 2, 'a CLIENT and a SERVER span');
  for (const span of listed) assert.deepEqual(pick(span.attributes), expected, `span kind ${span.kind}`);
  const measured = points.filter((p) => p.attributes['mcp.method.name'] === 'prompts/list');
  assert.deepEqual(measured.map((p) => p.name).sort(), ['mcp.client.operation.duration', 'mcp.server.operation.duration']);
  for (const point of measured) assert.deepEqual(pick(point.attributes), expected, point.name);
}
