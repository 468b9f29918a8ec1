// Child processes for the end-to-end tests: fixture apps started as a user would start them, each one stopped with a
// bounded timeout even when a test fails.
import { spawn } from 'node:child_process';
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const APP_DIR = join(ROOT, '.test-work', 'app');
export const PRELOAD = ['--import', '@x/mcp-otel/register'];

/** JSON-RPC messages a host sends to a stdio server; the server answers each request on stdout. */
export const STDIO_INPUT = [
  { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test-host', version: '1.0.0' } } },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  { jsonrpc: '2.0', id: 2, method: 'tools/list' },
  { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'add', arguments: { a: 2, b: 3 } } },
].map((m) => JSON.stringify(m) + '\n').join('');

const children = new Set();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** Environment for a child: the test's own OTEL_* and NODE_OPTIONS are dropped so that only `env` applies. */
export function childEnv(env = {}) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS' && !k.startsWith('NODE_TEST')),
  );
  return { ...base, ...env };
}

/**
 * Starts `node [nodeArgs] <file> [args]` in the fixture app directory. Returns the child with `result`, a promise of
 * { code, signal, stdout (Buffer), stderr (string), elapsedMs }. The child is killed after timeoutMs.
 */
export function start(file, { nodeArgs = PRELOAD, args = [], env = {}, input, timeoutMs = 20_000, cwd = APP_DIR, command = process.execPath } = {}) {
  const started = performance.now();
  const child = spawn(command, [...nodeArgs, file, ...args], { cwd, env: childEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const stdout = [];
  let stderr = '';
  child.stdout.on('data', (c) => stdout.push(c));
  child.stderr.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  if (input !== undefined) child.stdin.end(input);
  child.result = new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr, elapsedMs: performance.now() - started });
    });
  });
  child.stderrText = () => stderr;
  return child;
}

/** Runs to completion. */
export function run(file, options) {
  return start(file, options).result;
}

/**
 * Starts a server fixture that prints `listening <port>` on stdout once it listens on 127.0.0.1; resolves with the
 * child, the port and the base URL.
 */
export async function startListening(file, options) {
  const child = start(file, options);
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not listen: ${child.stderrText()}`)), 15_000);
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /listening (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.result.then(({ code, signal, stderr }) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code ?? signal}) before it listened: ${stderr}`));
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}` };
}

/** Stops a server with SIGTERM (the preload flushes, then lets the signal end the process) and waits for its exit. */
export async function stopWithSigterm(child) {
  child.kill('SIGTERM');
  const result = await child.result;
  assert.equal(result.signal, 'SIGTERM', result.stderr);
  return result;
}

/** Resolves when the child's stderr contains `text`. */
export function waitForStderr(child, text, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (child.stderrText().includes(text)) {
        clearTimeout(timer);
        child.stderr.off('data', check);
        resolve();
      }
    };
    const timer = setTimeout(() => {
      child.stderr.off('data', check);
      reject(new Error(`child stderr never said ${JSON.stringify(text)}; it said: ${child.stderrText()}`));
    }, timeoutMs);
    child.stderr.on('data', check);
    check();
  });
}

/** The diagnostic lines of ours in a stderr text. */
export function diagLines(stderr) {
  return stderr.split('\n').filter((l) => l.startsWith('@x/mcp-otel '));
}
