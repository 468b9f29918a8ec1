// The README's install lines, run exactly as written from a clean temporary directory outside the repository: the
// indented lines of "Install and use" (up to "Start your app with the preload") make one bash script, whose one
// placeholder, `<this repository>`, becomes a git bundle of this repository's HEAD (so the clone is the committed
// HEAD, branch or detached, and never touches this checkout's node_modules or dist/). The script clones, builds the
// tarball and installs it into a fresh app; then the README's first start line runs a tiny app whose span the console
// exporter writes to stderr. A README install line that does not work fails here.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { ROOT } from '../helpers/processes.mjs';

const PLACEHOLDER = '<this repository>';
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The indented (code) lines of the README between `from` (a line start) and `to` (a line start), unindented. */
function codeLines(from, to) {
  const start = README.indexOf(`\n${from}`);
  const end = README.indexOf(`\n${to}`, start + 1);
  assert.ok(start >= 0 && end > start, `README.md has no "${from}" followed by "${to}"`);
  return README.slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('    ') && line.trim() !== '')
    .map((line) => line.slice(4));
}

/**
 * The environment of a user's shell: this process's own, without what `npm test` and the test runner add (npm's
 * per-run settings and its node_modules/.bin directories on PATH, NODE_OPTIONS, OTEL_*). npm's cache stays (the suite's
 * shared one), and npm skips the audit and fund requests and takes cached metadata: what the lines install is the same.
 */
function userEnv() {
  const keep = new Set(['npm_config_cache', 'npm_config_registry', 'npm_config_cafile', 'npm_config_userconfig']);
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !(k.startsWith('npm_') && !keep.has(k.toLowerCase())) &&
        !k.startsWith('OTEL_') &&
        !k.startsWith('NODE_TEST') &&
        !['NODE_OPTIONS', 'INIT_CWD', 'NODE'].includes(k),
    ),
  );
  env.PATH = process.env.PATH.split(delimiter)
    .filter((dir) => !/node_modules[\\/]\.bin$|node-gyp-bin$/.test(dir))
    .join(delimiter);
  return {
    ...env,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
    // The clone of a bundle's HEAD is detached: no advice paragraph about it.
    GIT_CONFIG_COUNT: '1',
    GIT_CONFIG_KEY_0: 'advice.detachedHead',
    GIT_CONFIG_VALUE_0: 'false',
  };
}

const groups = new Set();
after(() => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** Runs `script` with `bash -e` in `cwd`, in a process group of its own killed after timeoutMs; stdout and stderr apart. */
function bash(script, { cwd, env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    groups.add(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      process.kill(-child.pid, 'SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      groups.delete(child.pid);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

const git = (...args) =>
  execFileSync('git', ['-C', ROOT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
let head;
try {
  head = git('rev-parse', 'HEAD').trim();
} catch {
  head = undefined;
}

test(
  "the README's install lines, as written, from a clone to an app that exports a span",
  { timeout: 420_000, skip: head ? false : 'not a git checkout: the install lines start with a git clone' },
  async () => {
    const installLines = codeLines('## Install and use', 'Start your app with the preload');
    const script = installLines.join('\n');
    assert.equal(script.split(PLACEHOLDER).length, 2, `the install lines name ${PLACEHOLDER} once:\n${script}`);
    // The README's first start line (the --import flag) and its app file.
    const startLine = codeLines('Start your app with the preload', '**The `mcp-otel` wrapper**')[0];
    assert.match(startLine, /^node --import @x\/mcp-otel\/register server\.js\s+#/);

    const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-install-'));
    try {
      const bundle = join(dir, 'repository.bundle');
      git('bundle', 'create', bundle, 'HEAD');
      // The user's app: its own @opentelemetry/api, a span of its own, one line on stdout.
      const app = join(dir, 'my-app');
      mkdirSync(app);
      const manifest = {
        name: 'my-app',
        version: '1.0.0',
        private: true,
        dependencies: { '@opentelemetry/api': '1.10.0' },
      };
      writeFileSync(join(app, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
      writeFileSync(
        join(app, 'server.js'),
        [
          "const { trace } = require('@opentelemetry/api');",
          "trace.getTracer('my-app').startActiveSpan('hello', (span) => {",
          "  span.setAttribute('answer', 42);",
          '  span.end();',
          '});',
          "console.log('hello from my-app');",
          '',
        ].join('\n'),
      );

      const env = userEnv();
      const install = await bash(script.replace(PLACEHOLDER, bundle), { cwd: dir, env, timeoutMs: 360_000 });
      const output = `${install.stdout}${install.stderr}`;
      assert.deepEqual(
        [install.code, install.signal, install.timedOut],
        [0, null, false],
        `the install lines failed:\n${script}\n${output}`,
      );
      assert.equal(
        execFileSync('git', ['-C', join(dir, 'mcp-otel'), 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
        head,
      );

      // npm 11 lists the packages whose install scripts it skipped: never this one (no prepare, no install script).
      const scriptLines = output.split('\n').filter((line) => line.includes('install-scripts'));
      assert.deepEqual(
        scriptLines.filter((line) => line.includes('@x/mcp-otel')),
        [],
        output,
      );
      // The clone's npm ci warns about nothing (no EBADENGINE on a supported Node, no ERESOLVE, protobufjs denied);
      // the app's install lists protobufjs's postinstall, and nothing else.
      const warnings = output.split('\n').filter((line) => line.startsWith('npm warn'));
      assert.deepEqual(
        warnings.filter((line) => !line.startsWith('npm warn install-scripts')),
        [],
        output,
      );
      const listed = scriptLines.map((line) => /^npm warn install-scripts {3}(\S+)@/.exec(line)?.[1]).filter(Boolean);
      assert.deepEqual(listed, ['protobufjs'], output);

      const env2 = {
        ...env,
        OTEL_SERVICE_NAME: 'my-app',
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
      };
      const started = await bash(startLine, { cwd: app, env: env2, timeoutMs: 30_000 });
      assert.deepEqual([started.code, started.signal, started.timedOut], [0, null, false], started.stderr);
      assert.equal(started.stdout, 'hello from my-app\n');
      const normalized = started.stderr
        .replace(/traceId: '[0-9a-f]{32}'/, "traceId: '<trace>'")
        .replace(/spanId: '[0-9a-f]{16}'/, "spanId: '<span>'")
        .replace(/timestamp: \d+, duration: \d+(\.\d+)?/, 'timestamp: <t>, duration: <d>');
      assert.equal(
        normalized,
        "span { name: 'hello', kind: 0, traceId: '<trace>', spanId: '<span>', parentSpanId: undefined, timestamp: <t>, duration: <d>, attributes: { answer: 42 }, status: { code: 0 }, events: [], links: [], scope: 'my-app', service: 'my-app' }\n",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
