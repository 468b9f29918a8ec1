// Per-request cost across processes: a Client that spawns stdio-server.mjs with the same node options it was started
// with (so both are bare, or both preloaded with the same environment).
// `node [preload] stdio-client.mjs <calls> <warmup>` prints one JSON line (calls-common.mjs report).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { fileURLToPath } from 'node:url';
import { report, timeCalls } from './calls-common.mjs';

const [count, warmup] = process.argv.slice(2).map(Number);
const transport = new StdioClientTransport({
  command: process.execPath,
  args: [...process.execArgv, fileURLToPath(new URL('stdio-server.mjs', import.meta.url))],
  env: { ...process.env, OTEL_SERVICE_NAME: 'bench-stdio-server' },
  stderr: 'inherit',
});
const client = new Client({ name: 'bench-client', version: '1.0.0' });
await client.connect(transport);
const latencies = await timeCalls(client, count, warmup);
await client.close();
report(latencies);
