// `mcp-otel check -- <server command>`, run through the installed package's bin as a user would: it starts the server
// bare and preloaded, and says what the preload found in it and which spans it made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { APP_DIR, ROOT, run } from '../helpers/processes.mjs';

const BIN = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
const check = (args, options = {}) => run('check', { command: BIN, nodeArgs: [], args, timeoutMs: 60_000, ...options });
/** The report's lines, without the first (which repeats the command). */
const report = (stdout) => stdout.toString().trimEnd().split('\n').slice(1);

test('a server on the MCP SDK by name: covered, the same answers, its spans in the caller\'s trace', async () => {
  const result = await check(['--', 'node', 'stdio-server.mjs']);
  assert.equal(result.code, 0, `${result.stdout}${result.stderr}`);
  assert.deepEqual(report(result.stdout), [
    '  bare:       answered initialize (server "fixture-stdio-server" 1.0.0, protocol 2025-06-18) and tools/list (1 tools)',
    '  preloaded:  the same answers',
    '  found:      MCP SDK hooked by name: @modelcontextprotocol/sdk/dist/esm/shared/protocol.js 1.32.2',
    '              MCP SDK hooked by name: @modelcontextprotocol/sdk/dist/esm/server/mcp.js 1.32.2',
    "  spans:      SERVER initialize, SERVER notifications/initialized, SERVER tools/list, in the caller's trace",
    '  exit:       exited with code 0 after its stdin closed',
    '  covered:    yes',
  ]);
  assert.equal(result.stderr, '');
});

test('a server that bundles the SDK (notion) and one on tmcp: what was found is named, covered', async () => {
  const notion = join(ROOT, '.test-work', 'bundled', 'node_modules', '@notionhq', 'notion-mcp-server', 'bin', 'cli.mjs');
  const bundled = await check(['--', 'node', notion], { env: { NOTION_TOKEN: 'dummy' } });
  assert.equal(bundled.code, 0, `${bundled.stdout}${bundled.stderr}`);
  assert.deepEqual(report(bundled.stdout).slice(1), [
    '  preloaded:  the same answers',
    `  found:      MCP SDK found bundled in ${notion}: Protocol`,
    "  spans:      SERVER initialize, SERVER notifications/initialized, SERVER tools/list, in the caller's trace",
    '  exit:       exited with code 0 after its stdin closed',
    '  covered:    yes',
  ]);
  const tmcp = await check(['--no-compare', join(ROOT, '.test-work', 'tmcp', 'server.mjs')]);
  assert.equal(tmcp.code, 0, `${tmcp.stdout}${tmcp.stderr}`);
  assert.deepEqual(report(tmcp.stdout).slice(1, 3), [
    '  found:      MCP server hooked by name: tmcp 1.20.0',
    "  spans:      SERVER initialize, SERVER notifications/initialized, SERVER tools/list, in the caller's trace",
  ]);
});

test('a server with its own JSON-RPC: answered, nothing found, not covered (exit status 1)', async () => {
  const result = await check(['--no-compare', 'mcp/own-jsonrpc-server.mjs']);
  assert.equal(result.code, 1, `${result.stdout}${result.stderr}`);
  assert.deepEqual(report(result.stdout), [
    '  preloaded:  answered initialize (server "own" 0.1.0, protocol 2025-06-18) and tools/list (0 tools)',
    '  found:      no MCP implementation that the preload knows',
    "  spans:      none in the caller's trace",
    '  exit:       exited with code 0 after its stdin closed',
    '  covered:    no',
  ]);
});

test('a command that never answers: exit status 2, with the reason', async () => {
  const result = await check(['--timeout', '500', '--', 'node', '-e', 'console.error("not a server"); setInterval(() => {}, 1000)']);
  assert.equal(result.code, 2, `${result.stdout}${result.stderr}`);
  assert.deepEqual(report(result.stdout), [
    '  bare:       no answer to initialize within 500 ms; ended by SIGTERM: it did not exit within 5000 ms',
    '      not a server',
  ]);
});

test('no command, or an unknown option: the usage, exit status 2', async () => {
  for (const args of [[], ['--frobnicate', 'node', 'x.js']]) {
    const result = await check(args);
    assert.equal(result.code, 2);
    assert.match(result.stdout.toString(), /^mcp-otel check: (no server command given|unknown option --frobnicate)\n\nUsage: mcp-otel check /);
  }
});
