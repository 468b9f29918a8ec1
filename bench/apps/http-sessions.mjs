// Memory over many Streamable HTTP sessions: one process serves stateful sessions on 127.0.0.1 (a McpServer and a
// transport per session, dropped when the client ends the session) and opens them one after another through the SDK's
// client: connect (initialize), one tools/call, then DELETE the session and close. With `--expose-gc`:
// `node --expose-gc [preload] http-sessions.mjs 200,1000` prints one JSON line, [{ sessions, rssBytes, heapUsedBytes }]
// at each checkpoint (settled-memory.mjs).
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { addServer, callAdd } from './calls-common.mjs';
import { settledMemory } from './settled-memory.mjs';

const checkpoints = process.argv[2].split(',').map(Number);
const sessions = new Map();
const http = createServer(async (req, res) => {
  try {
    const id = req.headers['mcp-session-id'];
    let transport = id && sessions.get(id);
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => sessions.set(sid, transport),
      });
      transport.onclose = () => sessions.delete(transport.sessionId);
      await addServer().connect(transport);
    }
    await transport.handleRequest(req, res);
  } catch (err) {
    process.stderr.write(`server error: ${err.stack}\n`);
    if (!res.headersSent) res.writeHead(500).end();
  }
});
await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
const url = new URL(`http://127.0.0.1:${http.address().port}/mcp`);

const readings = [];
let opened = 0;
for (const target of checkpoints) {
  for (; opened < target; opened++) {
    const transport = new StreamableHTTPClientTransport(url);
    const client = new Client({ name: 'bench-client', version: '1.0.0' });
    await client.connect(transport);
    await callAdd(client, opened);
    await transport.terminateSession();
    await client.close();
  }
  if (sessions.size !== 0) throw new Error(`${sessions.size} sessions still open on the server`);
  readings.push({ sessions: opened, ...(await settledMemory()) });
}
http.closeAllConnections();
http.close();
process.stdout.write(JSON.stringify(readings) + '\n');
