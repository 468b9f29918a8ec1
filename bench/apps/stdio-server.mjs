// The stdio server of the benchmarks: the `add` tool over stdin/stdout. It exits when stdin ends.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { addServer } from './calls-common.mjs';

await addServer().connect(new StdioServerTransport());
process.stdin.on('end', () => process.exit(0));
