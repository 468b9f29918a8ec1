// Startup cost: the time from spawning node until an ESM app that imports @modelcontextprotocol/sdk, pino and winston
// prints "ready", for bare node, our preload, and the upstream register. Runs the variants in turn, RUNS times each
// (default 15), and prints the medians. Needs the test setup first (`node test/setup.mjs`): it runs in .test-work/app,
// where the package is installed from its tarball.
import { spawn } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.test-work', 'app');
const RUNS = Number(process.env.RUNS ?? 15);
const VARIANTS = {
  bare: [],
  '@x/mcp-otel/register': ['--import', '@x/mcp-otel/register'],
  'upstream register (--require)': ['--require', '@opentelemetry/auto-instrumentations-node/register'],
  // Upstream's documented way to instrument ESM apps too (js doc/esm-support.md); wraps every ES module.
  'upstream register + ESM hook': [
    '--experimental-loader=@opentelemetry/instrumentation/hook.mjs',
    '--require', '@opentelemetry/auto-instrumentations-node/register',
  ],
};
// A closed port: the exporters never get an answer, as on a laptop without a collector. Timing stops at "ready".
const env = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' };

function timeOnce(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, 'startup-app.mjs'], { cwd: APP_DIR, env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.once('data', () => {
      const ms = performance.now() - started;
      child.kill('SIGKILL');
      resolve(ms);
    });
    child.on('error', reject);
    setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const samples = Object.fromEntries(Object.keys(VARIANTS).map((k) => [k, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, args] of Object.entries(VARIANTS)) samples[name].push(await timeOnce(args));
}
const bare = median(samples.bare);
console.log(`startup until ready, median of ${RUNS} runs (node ${process.version}):`);
for (const [name, xs] of Object.entries(samples)) {
  const m = median(xs);
  console.log(`  ${name.padEnd(34)} ${m.toFixed(0).padStart(5)} ms   added ${(m - bare).toFixed(0).padStart(5)} ms`);
}
