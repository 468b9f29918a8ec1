// `npm run test:ecosystem`: the ecosystem sweep, once, on Node 24 (DEFAULT_NODE, fetched from the npm registry into
// .test-work/nodes when it is not there), whatever Node runs this script: the setup with only the sweep's install
// (`node test/setup.mjs --ecosystem`), then `node --test test/ecosystem/*.test.mjs`. Exits with the tests' exit code.
import { spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { DEFAULT_NODE, nodeBin, ROOT } from '../helpers/nodes.mjs';

const bin = nodeBin(DEFAULT_NODE);
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH}` };
const node = join(bin, 'node');
process.stderr.write(`test:ecosystem: Node ${DEFAULT_NODE} (${bin})\n`);
for (const args of [['test/setup.mjs', '--ecosystem'], ['--test', 'test/ecosystem/sweep.test.mjs']]) {
  const result = spawnSync(node, args, { cwd: ROOT, env, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
