// The MCP server of `npm run demo`: an ordinary stdio McpServer with no OpenTelemetry code for its MCP traffic. The
// preload (`node --import @x/mcp-otel/register server.mjs`) gives every request it receives a SERVER span, a child of
// the caller's CLIENT span. The one span of its own, `weather lookup`, shows that work inside a tool nests under it.
// stdout is the JSON-RPC stream: nothing else may ever be written there.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { trace } from '@opentelemetry/api';
import { z } from 'zod';

const tracer = trace.getTracer('mcp-demo-server');
const server = new McpServer({ name: 'mcp-demo-server', version: '1.0.0' });

server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
  content: [{ type: 'text', text: String(a + b) }],
}));

server.registerTool(
  'fetch-weather',
  { description: 'The current weather of a city', inputSchema: { city: z.string() } },
  async ({ city }) =>
    // A span of the tool's own: the active span here is the SERVER span of the tools/call, so this one is its child,
    // and the HTTP request made inside it (an undici CLIENT span) is a child of this one.
    tracer.startActiveSpan('weather lookup', { attributes: { 'demo.city': city } }, async (span) => {
      try {
        const weather = await lookUpWeather(city);
        return { content: [{ type: 'text', text: `${city}: ${weather.temperatureC} °C, ${weather.conditions}` }] };
      } finally {
        span.end();
      }
    }),
);

server.registerTool(
  'divide',
  { description: 'Divides a by b', inputSchema: { a: z.number(), b: z.number() } },
  async ({ a, b }) => {
    // McpServer turns the exception into a result with isError: true; its span gets error.type=tool_error.
    if (b === 0) throw new RangeError('division by zero');
    return { content: [{ type: 'text', text: String(a / b) }] };
  },
);

server.registerPrompt(
  'weather-report',
  { description: 'Asks for a short weather report', argsSchema: { city: z.string() } },
  ({ city }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Write a two-line weather report for ${city}.` } }] }),
);

server.registerResource('units', 'demo://units', { description: 'The units the tools answer in', mimeType: 'text/plain' }, async (uri) => ({
  contents: [{ uri: uri.href, text: 'temperature: degrees Celsius' }],
}));

/** From the weather service run.mjs serves on 127.0.0.1 (MCP_DEMO_WEATHER_URL), or made up when there is none. */
async function lookUpWeather(city) {
  const base = process.env.MCP_DEMO_WEATHER_URL;
  if (!base) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { temperatureC: 21, conditions: 'sunny' };
  }
  const response = await fetch(`${base}?city=${encodeURIComponent(city)}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) throw new Error(`weather service answered ${response.status}`);
  return response.json();
}

await server.connect(new StdioServerTransport());
