// Per-request cost against a real third-party stdio server: the SDK's Client spawns
// @modelcontextprotocol/server-memory (the reference knowledge-graph server) with the same node options it was started
// with, so both processes are bare, or both under the same tracer, and calls its `read_graph` tool one call at a time.
// It runs from .test-work/bench-peer (bench/peer/package.json), where the server, dd-trace and the packed @x/mcp-otel
// are installed side by side. `node [preload] peer-client.mjs <calls> <warmup>` prints one JSON line: every timed
// call's latency, and each process's CPU time per timed call (the client's from process.cpuUsage, the server's from
// /proc, at 10 ms resolution).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const [count, warmup] = process.argv.slice(2).map(Number);
const serverPath = createRequire(import.meta.url).resolve('@modelcontextprotocol/server-memory/dist/index.js');
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [...process.execArgv, serverPath],
  env: { ...process.env, OTEL_SERVICE_NAME: 'bench-memory-server', DD_SERVICE: 'bench-memory-server' },
  stderr: 'ignore',
});
const client = new Client({ name: 'bench-client', version: '1.0.0' });
await client.connect(transport);

/** One read_graph round trip, checked: the graph the runner wrote must come back. */
async function readGraph() {
  const result = await client.callTool({ name: 'read_graph', arguments: {} });
  if (result.structuredContent?.entities?.length !== Number(process.env.BENCH_GRAPH_ENTITIES)) {
    throw new Error(`unexpected read_graph result ${JSON.stringify(result).slice(0, 300)}`);
  }
}

/** CPU time of a process from /proc/<pid>/stat (user + system, in clock ticks of 10 ms), in µs. */
function processCpuUs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

for (let i = 0; i < warmup; i++) await readGraph();
const clientCpu = process.cpuUsage();
const serverCpu = processCpuUs(transport.pid);
const latencies = new Float64Array(count);
for (let i = 0; i < count; i++) {
  const started = performance.now();
  await readGraph();
  latencies[i] = (performance.now() - started) * 1000;
}
const { user, system } = process.cpuUsage(clientCpu);
const serverCpuUs = processCpuUs(transport.pid) - serverCpu;
await client.close();
process.stdout.write(
  JSON.stringify({ samplesUs: Array.from(latencies), clientCpuUs: (user + system) / count, serverCpuUs: serverCpuUs / count }) + '\n',
);
