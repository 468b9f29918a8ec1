// The metric options: metricsResourceUri (OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI=true in the preload) adds
// mcp.resource.uri to the operation metrics, and the buckets are only advice, which a user's view overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AggregationType } from '@opentelemetry/sdk-metrics';
import { histogramPoints, setUp } from '../helpers/in-memory-otel.mjs';

const view = {
  instrumentName: 'mcp.server.operation.duration',
  aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [1, 10] } },
};
const { Client, McpServer, InMemoryTransport } = await setUp({ metricsResourceUri: true }, { views: [view] });

test('with the opt-in, resources/read measurements carry mcp.resource.uri; a view replaces the advised buckets', async () => {
  const server = new McpServer({ name: 'uri', version: '1' });
  server.registerResource('readme', 'file:///readme.md', {}, async (uri) => ({ contents: [{ uri: uri.href, text: 'x' }] }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'uri', version: '1' });
  await client.connect(clientSide);
  await client.readResource({ uri: 'file:///readme.md' });
  await new Promise((resolve) => setImmediate(resolve));
  const reads = (await histogramPoints()).filter((p) => p.attributes['mcp.method.name'] === 'resources/read');
  assert.deepEqual(reads.map((p) => [p.name, p.attributes['mcp.resource.uri'], p.count, p.boundaries.length]).sort(), [
    ['mcp.client.operation.duration', 'file:///readme.md', 1, 14],
    ['mcp.server.operation.duration', 'file:///readme.md', 1, 2],
  ]);
  await client.close();
});
