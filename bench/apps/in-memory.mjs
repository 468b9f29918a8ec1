// Per-request cost in one process: a Client and an McpServer joined by the SDK's in-memory transport.
// `node [preload] in-memory.mjs <calls> <warmup>` prints one JSON line (calls-common.mjs report).
import { report, timeCalls } from './calls-common.mjs';
import { connectInMemory } from './in-memory-pair.mjs';

const [count, warmup] = process.argv.slice(2).map(Number);
const client = await connectInMemory();
const latencies = await timeCalls(client, count, warmup);
await client.close();
report(latencies);
