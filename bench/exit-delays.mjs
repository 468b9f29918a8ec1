// How long a preloaded stdio server takes to end after its stdin closes, for each state of the collector, beside the
// same server bare: the figures of issue 22. Run after `node test/setup.mjs` (it uses the installed tarball in
// .test-work/app), on a supported Node:
//
//   node test/supported-node.mjs "node test/setup.mjs && node bench/exit-delays.mjs"
//
// Each server answers initialize and five tools/call, serves for HOLD_MS (7000 by default: its first span batch is
// exported at 5 s), then its stdin closes. A process still alive 30 s later is killed and reported as "never".
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const APP = join(fileURLToPath(new URL('..', import.meta.url)), '.test-work', 'app');
const HOLD_MS = Number(process.env.HOLD_MS ?? 7000);
const KILL_MS = 30_000;
const messages = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  ...[10, 11, 12, 13, 14].map((id) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'add', arguments: { a: 1, b: 2 } } })),
];

/** A collector on 127.0.0.1 that answers every request as `mode` says. */
async function collector(mode) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (mode === 'silent') return;
      if (mode === 'slow') return void setTimeout(() => res.end(), 3000);
      if (mode === '429') res.setHeader('retry-after', '1');
      res.writeHead(mode === 'ok' ? 200 : Number(mode)).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/** Serves, closes stdin, and returns the delay to the exit and our stderr lines. */
async function serve(nodeArgs, env) {
  const child = spawn(process.execPath, [...nodeArgs, 'mcp/server-stdio.mjs'], { cwd: APP, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  for (const message of messages) child.stdin.write(JSON.stringify(message) + '\n');
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  const closed = performance.now();
  child.stdin.end();
  const killer = setTimeout(() => child.kill('SIGKILL'), KILL_MS);
  const signal = await new Promise((resolve) => child.on('close', (_code, sig) => resolve(sig)));
  clearTimeout(killer);
  const delay = signal === 'SIGKILL' ? `never (killed at ${KILL_MS / 1000} s)` : `${Math.round(performance.now() - closed)} ms`;
  return { delay, lines: stderr.split('\n').filter((l) => l.startsWith('@x/mcp-otel ')) };
}

const bare = await serve([], {});
console.log(`bare: ends ${bare.delay} after stdin closes\n`);
console.log('| collector | preloaded: ends after stdin closes | lines of ours on stderr |');
console.log('|---|---|---|');
for (const [name, mode, extra] of [
  ['nothing at localhost:4318 (the defaults)', undefined, {}],
  ['refused, OTEL_METRIC_EXPORT_INTERVAL=1000', 'refused', { OTEL_METRIC_EXPORT_INTERVAL: '1000' }],
  ['accepting, never answering', 'silent', {}],
  ['accepting, never answering, OTEL_METRIC_EXPORT_INTERVAL=1000', 'silent', { OTEL_METRIC_EXPORT_INTERVAL: '1000' }],
  ['answering after 3 s', 'slow', {}],
  ['answering 503', '503', {}],
  ['answering 429, Retry-After 1', '429', {}],
  ['answering 200', 'ok', {}],
]) {
  const env = { ...extra };
  let stub;
  if (mode === 'refused') env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
  else if (mode !== undefined) {
    stub = await collector(mode);
    env.OTEL_EXPORTER_OTLP_ENDPOINT = stub.url;
  }
  const result = await serve(['--import', '@x/mcp-otel/register'], env);
  stub?.close();
  console.log(`| ${name} | ${result.delay} | ${result.lines.length} |`);
}
