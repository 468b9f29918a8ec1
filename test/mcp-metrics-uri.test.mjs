// The opt-in: metricsResourceUri (OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI=true in the preload) adds
// mcp.resource.uri to the operation metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { histogramPoints, setUp } from './helpers/in-memory-otel.mjs';

const { Client, McpServer, InMemoryTransport } = await setUp({ metricsResourceUri: true });

test('with the opt-in, resources/read measurements carry mcp.resource.uri', async () => {
  const server = new McpServer({ name: 'uri', version: '1' });
  server.registerResource('readme', 'file:///readme.md', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'x' }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'uri', version: '1' });
  await client.connect(clientSide);
  await client.readResource({ uri: 'file:///readme.md' });
  await new Promise((resolve) => setImmediate(resolve));
  const reads = (await histogramPoints()).filter((p) => p.attributes['mcp.method.name'] === 'resources/read');
  assert.deepEqual(reads.map((p) => [p.name, p.attributes['mcp.resource.uri'], p.count]).sort(), [
    ['mcp.client.operation.duration', 'file:///readme.md', 1],
    ['mcp.server.operation.duration', 'file:///readme.md', 1],
  ]);
  await client.close();
});
