// The grammar of the installed mcp-otel wrapper: its subcommands (view, tail, check), `--` before a program named like
// one, the Node version view and tail need, and --help. Fake `node` and `view` programs on a temporary PATH say how
// they were called, so that the dispatch is seen without running the subcommands.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { APP_DIR, run } from '../helpers/processes.mjs';

const WRAPPER = join(APP_DIR, 'node_modules', '.bin', 'mcp-otel');
const PACKAGE = realpathSync(join(APP_DIR, 'node_modules', '@x', 'mcp-otel'));
const REGISTER_URL = pathToFileURL(join(PACKAGE, 'register.mjs')).href;

let dir;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-otel-grammar-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A directory for PATH holding fake programs: name -> the shell body. */
function fakeBin(name, programs) {
  const bin = join(dir, name);
  mkdirSync(bin);
  for (const [program, body] of Object.entries(programs)) {
    writeFileSync(join(bin, program), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, program), 0o755);
  }
  return bin;
}

/** A `node` that answers --version with `version` and otherwise prints its arguments, one a line. */
const fakeNode = (version) => `[ "$1" = --version ] && { echo ${version}; exit 0; }\nprintf 'node %s\\n' "$@"`;
const wrapper = (args, env = {}) => run(args[0] ?? '', { command: WRAPPER, nodeArgs: [], args: args.slice(1), env });
const withPath = (bin) => ({ PATH: `${bin}:/usr/bin:/bin` });

test('view, tail and check are subcommands: each execs node on its dist/cli file with the rest of the arguments', async () => {
  const bin = fakeBin('node-24', { node: fakeNode('v24.1.0') });
  for (const [subcommand, file] of [['view', 'view.js'], ['tail', 'tail.js'], ['check', 'check.js']]) {
    const result = await wrapper([subcommand, '--port', '0', '--', 'x y'], withPath(bin));
    assert.deepEqual(
      [result.code, result.stdout.toString(), result.stderr],
      [0, `node ${join(PACKAGE, 'dist', 'cli', file)}\nnode --port\nnode 0\nnode --\nnode x y\n`, ''],
      subcommand,
    );
  }
});

test('`--` runs a program named like a subcommand, preloaded through NODE_OPTIONS; without `--` after an option, an error', async () => {
  const bin = fakeBin('programs', { view: 'printf "the system view: %s; NODE_OPTIONS=%s\\n" "$*" "$NODE_OPTIONS"' });
  const ran = await wrapper(['--', 'view', 'notes.txt'], withPath(bin));
  assert.deepEqual(
    [ran.code, ran.stdout.toString(), ran.stderr],
    [0, `the system view: notes.txt; NODE_OPTIONS=--import ${REGISTER_URL}\n`, ''],
  );
  const all = await wrapper(['--all-node-processes', '--', 'view', 'a'], withPath(bin));
  assert.deepEqual([all.code, all.stdout.toString()], [0, `the system view: a; NODE_OPTIONS=--import ${REGISTER_URL}\n`]);
  const ambiguous = await wrapper(['--all-node-processes', 'view', 'a'], withPath(bin));
  assert.deepEqual(
    [ambiguous.code, ambiguous.stdout.length, ambiguous.stderr],
    [2, 0, 'mcp-otel: view is a subcommand; to run a program named view: mcp-otel --all-node-processes -- view ...\n'],
  );
  const nothing = await wrapper(['--'], withPath(bin));
  assert.deepEqual([nothing.code, nothing.stdout.length], [2, 0]);
  assert.match(nothing.stderr, /^Usage: mcp-otel /);
});

test('`--` then node or a script file: node gets the preload with --import, as without `--`', async () => {
  const bin = fakeBin('node-for-scripts', { node: fakeNode('v24.1.0') });
  writeFileSync(join(dir, 'server.mjs'), '');
  const result = await run('--', { command: WRAPPER, nodeArgs: [], args: ['server.mjs', 'tail'], cwd: dir, env: withPath(bin) });
  assert.deepEqual([result.code, result.stdout.toString()], [0, `node --import\nnode ${REGISTER_URL}\nnode server.mjs\nnode tail\n`]);
});

test('view and tail need Node.js 22.15: an older node on PATH gets one line and exit 1; check does not ask', async () => {
  for (const [version, allowed] of [['v22.14.0', false], ['v20.19.2', false], ['v18.20.8', false], ['v22.15.0', true], ['v23.0.0', true], ['v24.11.1', true]]) {
    const bin = fakeBin(`node-${version}`, { node: fakeNode(version) });
    for (const subcommand of ['view', 'tail']) {
      const result = await wrapper([subcommand, '--help'], withPath(bin));
      if (allowed) assert.deepEqual([result.code, result.stderr], [0, ''], `${subcommand} on ${version}`);
      else
        assert.deepEqual(
          [result.code, result.stdout.length, result.stderr],
          [1, 0, `mcp-otel: ${subcommand} needs Node.js 22.15 or later; the node on PATH is ${version.slice(1)}: install a newer one (https://nodejs.org) or put it first on PATH\n`],
          `${subcommand} on ${version}`,
        );
    }
  }
  const old = fakeBin('node-old-check', { node: fakeNode('v18.20.8') });
  assert.equal((await wrapper(['check', 'x'], withPath(old))).code, 0, 'check is not gated');
  // No node at all: only the tools the wrapper itself uses (this machine has an old node in /usr/bin).
  const tools = fakeBin('tools-only', {});
  for (const tool of ['dirname', 'readlink', 'sed', 'basename']) symlinkSync(join('/usr/bin', tool), join(tools, tool));
  const missing = await wrapper(['tail'], { PATH: tools });
  assert.deepEqual([missing.code, missing.stderr], [1, 'mcp-otel: tail needs Node.js 22.15 or later, and there is no node on PATH\n']);
});

test('--help lists the subcommands, one line each, and names the package for npx; tail --help runs tail', async () => {
  const help = await wrapper(['--help']);
  const text = help.stdout.toString();
  assert.equal(help.code, 0);
  assert.match(text, /^Usage: mcp-otel \[--all-node-processes\] <program> \[args\.\.\.\]$/m);
  assert.match(text, /^ {7}mcp-otel \[--all-node-processes\] -- <program> \[args\.\.\.\]$/m);
  for (const subcommand of ['view', 'tail', 'check']) assert.match(text, new RegExp(`^  ${subcommand} .{20,}$`, 'm'), subcommand);
  assert.match(text, /npx -p @x\/mcp-otel mcp-otel \.\.\./);
  assert.doesNotMatch(text, /npx (?:-y )?mcp-otel/, 'never a bare npx mcp-otel');
  const tail = await wrapper(['tail', '--help']);
  assert.equal(tail.code, 0, tail.stderr);
  assert.match(tail.stdout.toString(), /^Usage: mcp-otel tail \[--otlp-port N\] \[--host H\] \[--json\] \[--filter EXPR\]\.\.\.\n {7}\(without installing the package: npx -p @x\/mcp-otel mcp-otel tail \.\.\.\)\n/);
  assert.doesNotMatch(tail.stdout.toString(), /npx (?:-y )?mcp-otel/);
});
