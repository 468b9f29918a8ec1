// Per-request cost in one process: a Client and an McpServer joined by the SDK's in-memory transport.
// `node [preload] in-memory.mjs <calls> <warmup>` prints one JSON line (calls-common.mjs report).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { addServer, report, timeCalls } from './calls-common.mjs';

const [count, warmup] = process.argv.slice(2).map(Number);
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
await addServer().connect(serverTransport);
const client = new Client({ name: 'bench-client', version: '1.0.0' });
await client.connect(clientTransport);
const latencies = await timeCalls(client, count, warmup);
await client.close();
report(latencies);
