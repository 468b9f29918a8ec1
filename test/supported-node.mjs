// Runs a shell command with a Node.js the project supports, for the npm scripts (`npm test`, `npm run demo`,
// `npm run bench`, `npm run example`):
//
//   node test/supported-node.mjs "node test/setup.mjs && node --test test/*.test.mjs"
//
// On a supported Node (>= 22.15.0) the command runs as it is. On an older one (a machine whose system Node is 20) a
// pinned Node is fetched once from the npm registry (test/helpers/nodes.mjs) and put first on PATH, so the command,
// npm and every process they start use it; one line on stderr says so. Exits with the command's exit code, or ends by
// its signal.
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { atLeast, DEFAULT_NODE, MINIMUM_NODE, nodeBin } from './helpers/nodes.mjs';

const command = process.argv.slice(2).join(' ');
if (command === '') {
  process.stderr.write('usage: node test/supported-node.mjs "<shell command>"\n');
  process.exit(2);
}

const env = { ...process.env };
if (!atLeast(process.version, MINIMUM_NODE)) {
  process.stderr.write(
    `supported-node: this Node (${process.version}) is older than ${MINIMUM_NODE}; running with Node v${DEFAULT_NODE} from the npm registry (.test-work/nodes)\n`,
  );
  env.PATH = `${nodeBin(DEFAULT_NODE)}${delimiter}${process.env.PATH}`;
}

const child = spawn(command, { cwd: process.cwd(), env, shell: true, stdio: 'inherit' });
// Ctrl-C reaches the command itself (the same process group): this process only waits for it. A SIGTERM or SIGHUP
// sent to this process alone is passed on.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const signal of SIGNALS) process.on(signal, () => signal !== 'SIGINT' && child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`supported-node: could not run the command: ${err.message}\n`);
  process.exitCode = 1;
});
child.on('exit', (code, signal) => {
  if (signal) {
    for (const s of SIGNALS) process.removeAllListeners(s);
    process.kill(process.pid, signal);
    return;
  }
  process.exitCode = code ?? 1;
});
