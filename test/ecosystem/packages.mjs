// The sweep's table: every package of test/ecosystem/package.json that the sweep runs, one row each, in the order of
// the README's compatibility list. test/ecosystem/sweep.test.mjs runs each row bare and preloaded; NOTES/README take
// their list from here.
//
// A row:
// - name, version: the npm package, pinned in test/ecosystem/package.json (the test checks they agree);
// - role: 'server' (an npm MCP server run through its bin), 'framework' (a fixture server written with a server
//   framework, test/ecosystem/fixtures/frameworks) or 'client' (a fixture client written with a client library, that
//   drives the SDK fixture server, test/ecosystem/fixtures/clients);
// - carries: how the package carries MCP: 'by name' (the MCP SDK as a dependency, loaded from node_modules), 'bundled'
//   (the SDK compiled into the package's own files) or 'own' (its own MCP implementation, no SDK);
// - entry: the file run, relative to .test-work/ecosystem (a bin of node_modules, or a fixture);
// - args, env: its arguments and environment (dummy credentials where it asks for a key; every switch that would send
//   anything off the machine turned off); `{dir}` is the row's own empty folder (also the cwd, and HOME is its
//   subfolder home), `{url}` the address of the HTTP fixture server a bridge forwards to;
// - tool: the `tools/call` of the session where one works offline, else null (and why in `noCall`);
// - normalise: for a server whose answers carry documented nondeterministic fields, what is replaced before bare and
//   preloaded answers are compared, with the reason;
// - untraced.names: messages the package writes itself, past its MCP implementation (no trace context), whose SERVER
//   spans on the other side have no parent;
// - offMachine.hosts: the hosts the package may try to reach on its own (seen as HTTP CLIENT spans under the preload;
//   there is no network here, so each attempt fails and the server goes on); any other host fails the row.

/** Dummy credentials: the servers only check that a key is present until a tool reaches the vendor's API. */
const DUMMY_KEY = 'dummy-key-for-the-offline-sweep';

export const PACKAGES = [
  {
    name: '@playwright/mcp',
    version: '0.0.86',
    role: 'server',
    carries: 'bundled',
    entry: 'node_modules/@playwright/mcp/cli.js',
    args: ['--headless', '--isolated'],
    env: {},
    tool: null,
    noCall: 'every tool drives a browser, and none is installed (scripts off)',
  },
  {
    name: 'chrome-devtools-mcp',
    version: '1.11.0',
    role: 'server',
    carries: 'bundled',
    entry: 'node_modules/chrome-devtools-mcp/build/src/bin/chrome-devtools-mcp.js',
    args: ['--headless', '--isolated', '--no-usage-statistics', '--no-performance-crux'],
    env: { CHROME_DEVTOOLS_MCP_NO_USAGE_STATISTICS: '1' },
    tool: null,
    noCall: 'every tool drives Chrome, and none is installed',
  },
  {
    name: '@notionhq/notion-mcp-server',
    version: '2.5.2',
    role: 'server',
    carries: 'bundled',
    entry: 'node_modules/@notionhq/notion-mcp-server/bin/cli.mjs',
    args: [],
    env: { NOTION_TOKEN: DUMMY_KEY },
    tool: null,
    noCall: "every tool calls Notion's API",
  },
  {
    name: '@modelcontextprotocol/server-filesystem',
    version: '2026.8.31',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js',
    args: ['{dir}'],
    env: {},
    tool: { name: 'list_allowed_directories', arguments: {} },
  },
  {
    name: '@modelcontextprotocol/server-memory',
    version: '2026.8.31',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@modelcontextprotocol/server-memory/dist/index.js',
    args: [],
    env: { MEMORY_FILE_PATH: '{dir}/memory.jsonl' },
    tool: { name: 'read_graph', arguments: {} },
  },
  {
    name: '@modelcontextprotocol/server-sequential-thinking',
    version: '2026.8.31',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@modelcontextprotocol/server-sequential-thinking/dist/index.js',
    args: [],
    env: { DISABLE_THOUGHT_LOGGING: 'true' },
    tool: {
      name: 'sequentialthinking',
      arguments: { thought: 'One step.', thoughtNumber: 1, totalThoughts: 1, nextThoughtNeeded: false },
    },
  },
  {
    name: '@modelcontextprotocol/server-everything',
    version: '2026.8.31',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    args: ['stdio'],
    env: {},
    tool: { name: 'echo', arguments: { message: 'hello' } },
  },
  {
    name: '@upstash/context7-mcp',
    version: '4.1.1',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@upstash/context7-mcp/dist/index.js',
    args: ['--transport', 'stdio'],
    env: { CONTEXT7_API_KEY: DUMMY_KEY },
    tool: null,
    noCall: "every tool calls Context7's API",
  },
  {
    name: 'firecrawl-mcp',
    version: '3.26.0',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/firecrawl-mcp/dist/index.js',
    args: [],
    env: { FIRECRAWL_API_KEY: `fc-${DUMMY_KEY}` },
    tool: null,
    noCall: "every tool calls Firecrawl's API",
  },
  {
    name: '@wonderwhy-er/desktop-commander',
    version: '0.2.52',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@wonderwhy-er/desktop-commander/dist/index.js',
    args: [],
    env: { DESKTOP_COMMANDER_DISABLE_TELEMETRY: 'true' },
    // Its FilteredStdioServerTransport turns console output into `notifications/message` written straight to stdout
    // (dist/custom-stdio.js), not sent through the SDK: no trace context, no CLIENT span on the server's side.
    untraced: { names: ['notifications/message'] },
    // Fetched at start even with telemetry off: its feature flags, and Chrome for Testing's version list.
    offMachine: { hosts: ['desktopcommander.app', 'googlechromelabs.github.io'] },
    // Not get_config: it answers with a random client id, the pid and memory figures.
    tool: { name: 'list_directory', arguments: { path: '{dir}' } },
  },
  {
    name: 'tavily-mcp',
    version: '0.2.22',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/tavily-mcp/build/index.js',
    args: [],
    env: { TAVILY_API_KEY: `tvly-${DUMMY_KEY}` },
    tool: null,
    noCall: "every tool calls Tavily's API",
  },
  {
    name: 'exa-mcp-server',
    version: '3.4.1',
    role: 'server',
    carries: 'bundled',
    entry: 'node_modules/exa-mcp-server/dist/stdio.cjs',
    args: [],
    env: { EXA_API_KEY: DUMMY_KEY },
    tool: null,
    noCall: "every tool calls Exa's API",
  },
  {
    name: '@supabase/mcp-server-supabase',
    version: '0.13.0',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@supabase/mcp-server-supabase/dist/cli.js',
    args: ['--read-only', '--project-ref=abcdefghijklmnopqrst', '--features=database,development'],
    env: { SUPABASE_ACCESS_TOKEN: DUMMY_KEY },
    tool: null,
    noCall: "every tool calls Supabase's API",
  },
  {
    name: '@sentry/mcp-server',
    version: '0.39.0',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/@sentry/mcp-server/dist/index.js',
    args: [],
    env: { SENTRY_ACCESS_TOKEN: DUMMY_KEY },
    tool: null,
    noCall: "every tool calls Sentry's API",
  },
  {
    name: 'mongodb-mcp-server',
    version: '3.0.4',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/mongodb-mcp-server/dist/esm/index.js',
    args: [],
    env: { MDB_MCP_TELEMETRY: 'disabled', DO_NOT_TRACK: '1' },
    tool: null,
    noCall: 'every tool needs a MongoDB',
  },
  {
    name: 'figma-developer-mcp',
    version: '0.13.2',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/figma-developer-mcp/dist/bin.js',
    args: ['--stdio', `--figma-api-key=${DUMMY_KEY}`],
    env: { FRAMELINK_TELEMETRY: 'off', IMAGE_DIR: '{dir}' },
    tool: null,
    noCall: "every tool calls Figma's API",
  },
  {
    name: 'n8n-mcp',
    version: '2.87.0',
    role: 'server',
    carries: 'by name',
    entry: 'node_modules/n8n-mcp/dist/mcp/stdio-wrapper.js',
    args: [],
    env: { MCP_MODE: 'stdio', LOG_LEVEL: 'error', DISABLE_CONSOLE_OUTPUT: 'true', N8N_MCP_TELEMETRY_DISABLED: 'true' },
    tool: { name: 'tools_documentation', arguments: {} },
  },
];

const ADD = { name: 'add', arguments: { a: 2, b: 3 } };

/** The server frameworks: a fixture server written with each, run as the servers above. */
export const FRAMEWORKS = [
  {
    name: 'fastmcp',
    version: '4.20.16',
    role: 'framework',
    carries: 'by name',
    entry: 'fixtures/frameworks/fastmcp-server.mjs',
    args: [],
    env: {},
    tool: ADD,
  },
  {
    name: 'mcp-framework',
    version: '0.2.22',
    role: 'framework',
    carries: 'by name',
    entry: 'fixtures/frameworks/mcp-framework/server.js',
    args: [],
    env: {},
    tool: ADD,
  },
  {
    name: 'tmcp',
    version: '1.20.0',
    role: 'framework',
    carries: 'own',
    entry: 'fixtures/frameworks/tmcp-server.mjs',
    args: [],
    env: {},
    tool: ADD,
  },
];

/** The client libraries: a fixture client written with each drives the SDK fixture server (fixtures/servers). */
export const CLIENTS = [
  { name: '@ai-sdk/mcp', version: '2.0.99', role: 'client', carries: 'own', entry: 'fixtures/clients/ai-sdk.mjs' },
  { name: '@mastra/mcp', version: '2.0.0', role: 'client', carries: 'by name', entry: 'fixtures/clients/mastra.mjs' },
  {
    name: '@langchain/mcp-adapters',
    version: '1.1.4',
    role: 'client',
    carries: 'by name',
    entry: 'fixtures/clients/langchain.mjs',
  },
  {
    name: '@openai/agents',
    version: '0.20.0',
    role: 'client',
    carries: 'by name',
    entry: 'fixtures/clients/openai-agents.mjs',
  },
  { name: 'mcporter', version: '0.12.3', role: 'client', carries: 'by name', entry: 'fixtures/clients/mcporter.mjs' },
];

/**
 * mcp-remote, a bundled client: a stdio server that forwards every message to a Streamable HTTP server. The driver
 * talks to it over stdio, as to the servers above, and it forwards to the SDK fixture server over HTTP on 127.0.0.1;
 * `{url}` is that server's address. HOME is the run's own folder: mcp-remote keeps its OAuth state in ~/.mcp-auth.
 */
export const BRIDGES = [
  {
    name: 'mcp-remote',
    version: '0.15.1',
    role: 'bridge',
    carries: 'bundled',
    entry: 'node_modules/mcp-remote/dist/proxy.js',
    args: ['{url}', '--transport', 'http-only'],
    env: {},
    tool: ADD,
  },
];

/**
 * Most-used MCP packages that are not in the sweep, and why (the README's list of packages left out; not installed).
 */
export const DROPPED = [
  {
    name: '@stripe/mcp',
    version: '0.3.3',
    why: 'not a local server: dist/index.js connects to https://mcp.stripe.com (its MCP_SERVER_URL) before it answers initialize, so it cannot start offline',
  },
  {
    name: '@browsermcp/mcp',
    version: '0.1.3',
    why: 'at start it runs `lsof -ti:9009 | xargs kill -9` (kills whatever holds port 9009) and listens on the fixed port 9009 on every interface: not safe on a shared CI machine',
  },
  {
    name: '@storybook/addon-mcp',
    version: '10.6.2',
    why: "a Storybook addon served over HTTP by a running Storybook dev server (peers storybook and @storybook/addon-vitest), no stdio bin; its MCP implementation, tmcp, is in the sweep as a framework row",
  },
];
