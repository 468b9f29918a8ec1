// The agent of `npm run demo`: an MCP SDK Client that starts server.mjs over stdio and does one "agent turn" with it.
// Run under the preload, each request and notification it sends gets a CLIENT span, a child of the `agent turn` span,
// and carries its trace context to the server in params._meta. The server runs under the same preload: the command
// below is how any stdio MCP server is started with telemetry.
// What the agent does is written to stderr (kept apart from stdout, like everything in this demo).
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { SpanStatusCode, trace } from '@opentelemetry/api';

const HERE = dirname(fileURLToPath(import.meta.url));
const REGISTER = pathToFileURL(join(HERE, '..', '..', 'register.mjs')).href;

const say = (line) => process.stderr.write(`agent: ${line}\n`);
const text = (result) => result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join(' ');

const transport = new StdioClientTransport({
  command: process.execPath,
  args: ['--import', REGISTER, join(HERE, 'server.mjs')],
  // Without `env` the SDK passes the server only a few variables (HOME, PATH, ...): the OTEL_* ones are handed on here.
  env: { ...process.env, OTEL_SERVICE_NAME: 'mcp-demo-server' },
  cwd: HERE,
  stderr: 'inherit',
});
const client = new Client({ name: 'mcp-demo-agent', version: '1.0.0' });

const tracer = trace.getTracer('mcp-demo');
try {
  await tracer.startActiveSpan('agent turn', async (span) => {
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      say(`the server has ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}`);

      say(`add(2, 3) = ${text(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))}`);
      say(`fetch-weather(Lisbon) = ${text(await client.callTool({ name: 'fetch-weather', arguments: { city: 'Lisbon' } }))}`);
      const failed = await client.callTool({ name: 'divide', arguments: { a: 1, b: 0 } });
      say(`divide(1, 0) ${failed.isError ? 'failed' : 'succeeded'}: ${text(failed)}`);

      const prompt = await client.getPrompt({ name: 'weather-report', arguments: { city: 'Lisbon' } });
      say(`prompt weather-report has ${prompt.messages.length} message(s)`);
      const resource = await client.readResource({ uri: 'demo://units' });
      say(`resource demo://units says "${resource.contents[0]?.text}"`);
    } catch (err) {
      span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: String(err?.message ?? err) });
      throw err;
    } finally {
      span.end();
    }
  });
} catch (err) {
  say(`failed: ${err?.stack ?? err}`);
  process.exitCode = 1;
} finally {
  // Closes the server's stdin: the server flushes its spans and exits (the SDK waits up to 2 s, then signals it).
  await client.close();
}
