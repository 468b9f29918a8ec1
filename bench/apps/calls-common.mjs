// What the per-request and memory benchmarks time: `tools/call` round trips of a small tool (`add`), one at a time,
// through an SDK Client. Each call is timed with performance.now(); the first `warmup` calls are not recorded.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

export function addServer() {
  const server = new McpServer({ name: 'bench-server', version: '1.0.0' });
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  return server;
}

/** One `tools/call add` round trip, checked: a benchmark that got wrong answers measures nothing. */
export async function callAdd(client, i) {
  const result = await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
  if (result.content[0].text !== String(i + 1)) throw new Error(`wrong result ${JSON.stringify(result)}`);
}

/** Makes `count` calls after `warmup` untimed ones; returns each timed call's latency in microseconds. */
export async function timeCalls(client, count, warmup) {
  for (let i = 0; i < warmup; i++) await callAdd(client, i);
  const latencies = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await callAdd(client, i);
    latencies[i] = (performance.now() - started) * 1000;
  }
  return latencies;
}

/** The one stdout line of a benchmark child: every timed call's latency; the runner pools and summarizes them. */
export function report(latencies) {
  process.stdout.write(JSON.stringify({ samplesUs: Array.from(latencies) }) + '\n');
}
