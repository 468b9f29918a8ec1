// `npm run demo` (examples/demo/run.mjs, after test/setup.mjs has built dist/): the agent and the MCP server run under
// the preload, export over OTLP/HTTP JSON to the demo's own receiver, and the demo prints the trace as a tree on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT, run } from '../helpers/processes.mjs';

const PROTOCOL = 'mcp=2025-11-25'; // the latest protocol version of the pinned SDK (1.32.2), which both sides agree on

/** The tree lines of the demo's stderr with their durations masked and their columns' padding collapsed. */
function treeOf(stderr) {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^trace [0-9a-f]{32}: \d+ spans$/.test(l));
  assert.notEqual(start, -1, `no trace header in the demo's stderr:\n${stderr}`);
  const end = lines.indexOf('', start);
  return [
    lines[start].replace(/[0-9a-f]{32}/, '<trace id>'),
    ...lines.slice(start + 1, end).map((l) => l.replace(/ +\d+\.\d ms/, ' <ms>').replace(/(?<=[^ │├└─]) {2,}/g, ' ')),
  ];
}

test('npm run demo: both processes traced, one trace, tool calls as CLIENT spans under the agent and SERVER spans under them', async () => {
  const { code, signal, stdout, stderr } = await run('examples/demo/run.mjs', { nodeArgs: [], cwd: ROOT, timeoutMs: 60_000 });
  assert.equal(signal, null, stderr);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.length, 0, `the demo writes nothing to stdout, but wrote: ${stdout}`);

  const lines = stderr.split('\n');
  // What the agent did, as it said it (the tools' answers went through the instrumented SDK unchanged).
  assert.ok(lines.includes('agent: add(2, 3) = 5'), stderr);
  assert.ok(lines.includes('agent: divide(1, 0) failed: division by zero'), stderr);
  // The header line names the columns and what each attribute label stands for.
  assert.ok(
    lines.some((l) =>
      /^span +kind +service +duration {2}attributes: error=error\.type tool=gen_ai\.tool\.name uri=mcp\.resource\.uri id=jsonrpc\.request\.id mcp=mcp\.protocol\.version$/.test(l),
    ),
    stderr,
  );

  // tools/call add: a CLIENT span of the agent right under the root `agent turn`, and the server's SERVER span under it.
  const agent = lines.findIndex((l) => /^agent turn +INTERNAL +mcp-demo-client +\d+\.\d ms$/.test(l));
  assert.notEqual(agent, -1, stderr);
  const addClient = lines.findIndex((l) => /^├─ tools\/call add +CLIENT +mcp-demo-client +\d+\.\d ms {2}tool=add id=2 mcp=2025-11-25$/.test(l));
  assert.ok(addClient > agent, stderr);
  assert.match(lines[addClient + 1], /^│ {2}└─ tools\/call add +SERVER +mcp-demo-server +\d+\.\d ms {2}tool=add id=2 mcp=2025-11-25$/);

  // The whole tree: every request and notification of the turn, sent (CLIENT) and received (SERVER), in one trace.
  assert.deepEqual(treeOf(stderr), [
    'trace <trace id>: 19 spans',
    'agent turn INTERNAL mcp-demo-client <ms>',
    `├─ initialize CLIENT mcp-demo-client <ms> id=0 ${PROTOCOL}`,
    `│  └─ initialize SERVER mcp-demo-server <ms> id=0 ${PROTOCOL}`,
    `├─ notifications/initialized CLIENT mcp-demo-client <ms> ${PROTOCOL}`,
    `│  └─ notifications/initialized SERVER mcp-demo-server <ms> ${PROTOCOL}`,
    `├─ tools/list CLIENT mcp-demo-client <ms> id=1 ${PROTOCOL}`,
    `│  └─ tools/list SERVER mcp-demo-server <ms> id=1 ${PROTOCOL}`,
    `├─ tools/call add CLIENT mcp-demo-client <ms> tool=add id=2 ${PROTOCOL}`,
    `│  └─ tools/call add SERVER mcp-demo-server <ms> tool=add id=2 ${PROTOCOL}`,
    `├─ tools/call fetch-weather CLIENT mcp-demo-client <ms> tool=fetch-weather id=3 ${PROTOCOL}`,
    `│  └─ tools/call fetch-weather SERVER mcp-demo-server <ms> tool=fetch-weather id=3 ${PROTOCOL}`,
    '│     └─ weather lookup INTERNAL mcp-demo-server <ms>',
    '│        └─ GET CLIENT mcp-demo-server <ms>',
    `├─ tools/call divide CLIENT mcp-demo-client <ms> error=tool_error tool=divide id=4 ${PROTOCOL}`,
    `│  └─ tools/call divide SERVER mcp-demo-server <ms> error=tool_error ("division by zero") tool=divide id=4 ${PROTOCOL}`,
    `├─ prompts/get weather-report CLIENT mcp-demo-client <ms> id=5 ${PROTOCOL}`,
    `│  └─ prompts/get weather-report SERVER mcp-demo-server <ms> id=5 ${PROTOCOL}`,
    `└─ resources/read CLIENT mcp-demo-client <ms> uri=demo://units id=6 ${PROTOCOL}`,
    `   └─ resources/read SERVER mcp-demo-server <ms> uri=demo://units id=6 ${PROTOCOL}`,
  ]);
  assert.match(
    lines.at(-2),
    /^demo: OK in \d+\.\d s: 19 spans in 1 trace from mcp-demo-client and mcp-demo-server; every tools\/call SERVER span is a child of the agent's CLIENT span$/,
  );
  assert.equal(lines.at(-1), '');
});
