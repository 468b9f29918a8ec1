// How `mcp-otel view` and `tail` listen (src/view/listen.ts): `--host localhost` is loopback's two addresses, the
// OTLP port answers to loopback's names only when it listens on loopback (any name otherwise, for a container), the
// Host check shared with the page, and the limits every server gets against slow or many peers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { hostAllowed, isLoopback, listenAddresses, listenOnAll, otlpAllowedHosts, LOOPBACK_HOSTS } = require(
  join(process.cwd(), 'dist/view/listen.js'),
);

const STEP_TIMEOUT_MS = 10_000;

test('--host localhost listens on both loopback addresses, as no --host does; another host on itself', () => {
  assert.deepStrictEqual(LOOPBACK_HOSTS, ['127.0.0.1', '::1']);
  assert.deepStrictEqual(listenAddresses(undefined), ['127.0.0.1', '::1']);
  assert.deepStrictEqual(listenAddresses('localhost'), ['127.0.0.1', '::1']);
  assert.deepStrictEqual(listenAddresses('LocalHost'), ['127.0.0.1', '::1']);
  assert.deepStrictEqual(listenAddresses('127.0.0.1'), ['127.0.0.1']);
  assert.deepStrictEqual(listenAddresses('0.0.0.0'), ['0.0.0.0']);
});

test("the OTLP port's names: loopback's when on loopback, any (undefined) when the user chose another address", () => {
  const names = ['127.0.0.1', '[::1]', 'localhost'];
  assert.deepStrictEqual(otlpAllowedHosts(undefined), names);
  assert.deepStrictEqual(otlpAllowedHosts('localhost'), [...names, 'localhost']);
  assert.deepStrictEqual(otlpAllowedHosts('::1'), [...names, '[::1]']);
  assert.deepStrictEqual(otlpAllowedHosts('127.0.0.2'), [...names, '127.0.0.2']);
  assert.equal(otlpAllowedHosts('0.0.0.0'), undefined);
  assert.equal(otlpAllowedHosts('::'), undefined);
  assert.equal(otlpAllowedHosts('192.168.1.5'), undefined);
  assert.deepStrictEqual(
    ['localhost', '::1', '127.9.9.9', '0.0.0.0', '::', '128.0.0.1', 'example.com'].map(isLoopback),
    [true, true, true, false, false, false, false],
  );
});

test('hostAllowed: a name allows any port, name:port that port only, nothing else (no empty, no suffix)', () => {
  const allowed = new Set(['127.0.0.1', '[::1]', 'localhost', 'box:8080']);
  const hosts = ['127.0.0.1', '127.0.0.1:4318', '[::1]:4318', 'localhost:1', 'box:8080', 'box:8081', 'box', '',
    'localhost.evil.example', 'evil.example:4318', '127.0.0.1:', '127.0.0.1:x'];
  assert.deepStrictEqual(
    hosts.map((host) => hostAllowed(host, allowed)),
    [true, true, true, true, true, false, false, false, false, false, false, false],
  );
});

test('every server listenOnAll opens gets the timeouts and the connection bound', async () => {
  const { servers, port } = await listenOnAll(() => createServer(() => {}), ['127.0.0.1'], 0);
  try {
    assert.equal(servers.length, 1);
    assert.ok(port > 0);
    assert.deepStrictEqual(
      servers.map((s) => [s.requestTimeout, s.headersTimeout, s.maxConnections]),
      [[30_000, 10_000, 256]],
    );
    // Node's own keep-alive timeout is left as it is.
    assert.equal(servers[0].keepAliveTimeout, createServer().keepAliveTimeout);
  } finally {
    await Promise.race([
      Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))),
      new Promise((resolve) => setTimeout(resolve, STEP_TIMEOUT_MS).unref()),
    ]);
  }
});
