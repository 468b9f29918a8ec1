// Prepares what the end-to-end tests run: builds the package, packs it as `npm pack` would for a user, and installs the
// tarball into .test-work/app, a copy of fixtures/app (the fixture apps and their own dependencies). Tests then start
// `node --import @x/mcp-otel/register <fixture>` from that directory, so the preload resolves as an installed package.
// Re-running is cheap: nothing is reinstalled when the tarball and the fixtures' package.json are unchanged.
//
//   node test/setup.mjs              # the build, the app and every install of the suite (npm test)
//   node test/setup.mjs --ecosystem  # the build, the app and only .test-work/ecosystem (npm run test:ecosystem)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MINIMUM_NODE, nodeBin, UNSUPPORTED_NODE } from './helpers/nodes.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, '.test-work');
const APP = join(WORK, 'app');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
/**
 * An npm install whose output goes to the file `log` (.test-work/<dir>.npm.log) instead of the terminal: fixtures that
 * pin older versions on purpose (the SDK matrix's overrides in third-party, API 1.9.1 in loggers-old) make npm print
 * some 360 lines of `npm warn ERESOLVE overriding peer dependency`. One line on stderr counts them by code; a failed
 * install throws with the end of its output.
 */
function npmLogged(args, cwd, log) {
  const result = spawnSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  const output = `$ npm ${args.join(' ')}  (in ${cwd})\n${result.stdout}${result.stderr}`;
  appendFileSync(log, output);
  if (result.status !== 0) {
    throw new Error(`test setup: npm ${args[0]} failed in ${cwd} (${log}):\n${output.split('\n').slice(-40).join('\n')}`);
  }
  const lines = output.split('\n').filter((line) => line.startsWith('npm warn')).length;
  if (lines > 0) {
    const codes = {};
    for (const [, code] of output.matchAll(/^npm warn (E[A-Z]+) /gm)) codes[code] = (codes[code] ?? 0) + 1;
    const counted = Object.entries(codes).map(([code, n]) => `${code} ×${n}`);
    process.stderr.write(
      `test setup: npm ${args[0]} printed ${lines} npm warn lines (${counted.join(', ') || 'no code'}), in ${relative(ROOT, log)}\n`,
    );
  }
}

mkdirSync(WORK, { recursive: true });
// The build, then the pack without its prepack script (the same build again): one tsc run per setup.
npm(['run', '--silent', 'build'], ROOT);
const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', WORK], ROOT))[0];
const tarball = join(WORK, packed.filename);
const fixtureManifest = readFileSync(join(ROOT, 'fixtures', 'app', 'package.json'));
const stamp = createHash('sha256').update(readFileSync(tarball)).update(fixtureManifest).digest('hex');
const stampFile = join(APP, '.installed');

// The fixture sources are always copied fresh; node_modules stays unless the stamp changed.
cpSync(join(ROOT, 'fixtures', 'app'), APP, { recursive: true });
if (!existsSync(stampFile) || readFileSync(stampFile, 'utf8') !== stamp) {
  rmSync(join(APP, 'node_modules'), { recursive: true, force: true });
  rmSync(join(APP, 'package-lock.json'), { force: true });
  npm(['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', tarball], APP);
  writeFileSync(stampFile, stamp);
}
process.stderr.write(`test setup: ${packed.filename} (${packed.files.length} files) installed in ${APP}\n`);

// More install directories, each with the tarball and its fixture's own dependencies, with the same stamp caching:
// - .test-work/ecosystem: the ecosystem sweep's package test/ecosystem (npm ci from its own lockfile, scripts off), with its fixtures;
// - .test-work/third-party: the isolated package of third-party software test/third-party, installed with `npm ci`
//   from its own lockfile: the conformance suite, server-everything (with the client of fixtures/everything in
//   third-party/everything) and the SDK matrix,
//   one copy of fixtures/sdk-matrix per SDK version (node_modules/sdk-<version>) and one copy of fixtures/sdk-v2-matrix
//   per SDK v2 version (node_modules/sdk-v2-<version>);
// - .test-work/app-api-1.9: an app on @opentelemetry/api 1.9 (fixtures/app-api-1.9), with the own-span MCP server;
// - .test-work/app-other-iitm: an app pinning another import-in-the-middle (fixtures/app-other-iitm), with the own-span server;
// - .test-work/loggers-old: pino 7 and an old winston 3 (fixtures/loggers-old);
// - .test-work/tmcp: a tmcp server and an SDK client (fixtures/tmcp).
// - .test-work/ext-tasks: an SDK v2 client calling tools as tasks through @modelcontextprotocol/ext-tasks, and an SDK v2
//   server (fixtures/ext-tasks);
// - .test-work/bundled: test/bundled (bundlers, SDKs, real servers that bundle the SDK), with fixtures/bundled in fixtures/.
// Each one is installed in a directory of its own process and then renamed into place, so that two setups running at
// once never extract into the same node_modules; an install missing a file of the tarball is redone.
const E2E = join(ROOT, 'test', 'third-party');
const SDK_MATRIX = join(ROOT, 'fixtures', 'sdk-matrix');
const SDK_V2_MATRIX = join(ROOT, 'fixtures', 'sdk-v2-matrix');
// The third-party lockfile pins what the tarball's dependencies bring only if it lists them at the versions the tarball asks.
const rootDependencies = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies;
const ECOSYSTEM = join(ROOT, 'test', 'ecosystem');
for (const testPackage of ['third-party', 'ecosystem']) {
  const listed = JSON.parse(readFileSync(join(ROOT, 'test', testPackage, 'package.json'), 'utf8')).dependencies;
  for (const [name, version] of Object.entries(rootDependencies)) {
    if (listed[name] !== version) {
      throw new Error(`test setup: test/${testPackage}/package.json must list ${name} ${version}, as package.json does (then npm install --package-lock-only in test/${testPackage})`);
    }
  }
}
/** Copies a fixture's files over an installed copy, removing the files of an older version of it first. */
function refreshFiles(source, target) {
  for (const entry of readdirSync(target, { withFileTypes: true })) if (entry.isFile()) rmSync(join(target, entry.name));
  cpSync(source, target, { recursive: true });
}
/** An app fixture of its own dependencies, with the own-span MCP server of fixtures/app/mcp copied in. */
function ownSpanApp(name) {
  const fixture = join(ROOT, 'fixtures', name);
  return {
    dir: join(WORK, name),
    manifests: [join(fixture, 'package.json')],
    prepare: (staging) => cpSync(fixture, staging, { recursive: true }),
    refresh: (dir) => {
      cpSync(fixture, dir, { recursive: true });
      cpSync(join(ROOT, 'fixtures', 'app', 'mcp', 'own-span-server.mjs'), join(dir, 'own-span-server.mjs'));
    },
  };
}
const installs = [
  {
    dir: join(WORK, 'third-party'),
    manifests: [join(E2E, 'package.json'), join(E2E, 'package-lock.json'), join(E2E, '.npmrc'), join(SDK_MATRIX, 'package.json'), join(SDK_V2_MATRIX, 'package.json')],
    // The staging directory sits as deep as test/third-party, so the lockfile's `file:../../fixtures/sdk-matrix` holds there.
    prepare: (staging) => {
      for (const file of ['package.json', 'package-lock.json', '.npmrc']) cpSync(join(E2E, file), join(staging, file));
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging, `${join(WORK, 'third-party')}.npm.log`);
    },
    // The fixture sources are always copied fresh: the matrix fixture into each of its installed copies.
    refresh: (dir) => {
      rmSync(join(dir, 'everything'), { recursive: true, force: true });
      cpSync(join(ROOT, 'fixtures', 'everything'), join(dir, 'everything'), { recursive: true });
      for (const file of ['client-common.cjs', 'sdk.cjs']) cpSync(join(SDK_MATRIX, file), join(dir, 'everything', file));
      for (const name of readdirSync(join(dir, 'node_modules')).filter((n) => /^sdk-\d/.test(n))) {
        refreshFiles(SDK_MATRIX, join(dir, 'node_modules', name));
      }
      // The v2 matrix fixture into each of its installed copies (node_modules/sdk-v2-<version>).
      for (const name of readdirSync(join(dir, 'node_modules')).filter((n) => n.startsWith('sdk-v2-'))) {
        refreshFiles(SDK_V2_MATRIX, join(dir, 'node_modules', name));
      }
      // The fixtures of the v2 third-party, cross-version and several-copies tests (fixtures/v2-third-party).
      rmSync(join(dir, 'v2-third-party'), { recursive: true, force: true });
      cpSync(join(ROOT, 'fixtures', 'v2-third-party'), join(dir, 'v2-third-party'), { recursive: true });
    },
  },
  {
    // The ecosystem sweep (test/ecosystem): the most-used MCP servers, frameworks and clients of npm, with scripts off
    // (no browser or binary download), and its fixtures (test/ecosystem/fixtures) beside them. Optional dependencies
    // are left out: no row runs one, and they are a fifth of the download (the Bun binaries that
    // @modelcontextprotocol/ext-apps 0.3 lists, 200 MB unpacked).
    dir: join(WORK, 'ecosystem'),
    manifests: [join(ECOSYSTEM, 'package.json'), join(ECOSYSTEM, 'package-lock.json')],
    flags: ['--omit=optional'],
    prepare: (staging) => {
      for (const file of ['package.json', 'package-lock.json']) cpSync(join(ECOSYSTEM, file), join(staging, file));
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional'], staging, `${join(WORK, 'ecosystem')}.npm.log`);
    },
    refresh: (dir) => {
      rmSync(join(dir, 'fixtures'), { recursive: true, force: true });
      cpSync(join(ECOSYSTEM, 'fixtures'), join(dir, 'fixtures'), { recursive: true });
    },
  },
  // .test-work/tmcp: tmcp (an MCP server without the SDK) and an SDK client, pinned by fixtures/tmcp's lockfile.
  {
    dir: join(WORK, 'tmcp'),
    manifests: [join(ROOT, 'fixtures', 'tmcp', 'package.json'), join(ROOT, 'fixtures', 'tmcp', 'package-lock.json')],
    prepare: (staging) => {
      cpSync(join(ROOT, 'fixtures', 'tmcp'), staging, { recursive: true });
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging, `${join(WORK, 'tmcp')}.npm.log`);
    },
    refresh: (dir) => {
      const fixture = join(ROOT, 'fixtures', 'tmcp');
      for (const file of readdirSync(fixture).filter((f) => f.endsWith('.mjs'))) cpSync(join(fixture, file), join(dir, file));
    },
  },
  // .test-work/ext-tasks: @modelcontextprotocol/ext-tasks with an SDK v2 client and server, pinned by fixtures/ext-tasks's lockfile.
  {
    dir: join(WORK, 'ext-tasks'),
    manifests: [join(ROOT, 'fixtures', 'ext-tasks', 'package.json'), join(ROOT, 'fixtures', 'ext-tasks', 'package-lock.json')],
    prepare: (staging) => {
      cpSync(join(ROOT, 'fixtures', 'ext-tasks'), staging, { recursive: true });
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging, `${join(WORK, 'ext-tasks')}.npm.log`);
    },
    refresh: (dir) => {
      const fixture = join(ROOT, 'fixtures', 'ext-tasks');
      for (const file of readdirSync(fixture).filter((f) => f.endsWith('.mjs'))) cpSync(join(fixture, file), join(dir, file));
    },
  },
  {
    // test/bundled: the bundlers, the SDKs they compile into the fixtures of fixtures/bundled, and real servers that
    // bundle the SDK (the bundled-SDK tests and the bench's startup figures).
    dir: join(WORK, 'bundled'),
    manifests: [join(ROOT, 'test', 'bundled', 'package.json'), join(ROOT, 'test', 'bundled', 'package-lock.json')],
    prepare: (staging) => {
      for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, 'test', 'bundled', file), join(staging, file));
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging, `${join(WORK, 'bundled')}.npm.log`);
    },
    refresh: (dir) => {
      rmSync(join(dir, 'fixtures'), { recursive: true, force: true });
      cpSync(join(ROOT, 'fixtures', 'bundled'), join(dir, 'fixtures'), { recursive: true });
    },
  },
  ownSpanApp('app-api-1.9'),
  ownSpanApp('app-other-iitm'),
  // .test-work/ai-sdk: the Vercel AI SDK's MCP client and ai (test/ai-sdk, its own lockfile), with fixtures/ai-sdk.
  {
    dir: join(WORK, 'ai-sdk'),
    manifests: [join(ROOT, 'test', 'ai-sdk', 'package.json'), join(ROOT, 'test', 'ai-sdk', 'package-lock.json')],
    prepare: (staging) => {
      for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, 'test', 'ai-sdk', file), join(staging, file));
      npmLogged(['ci', '--no-audit', '--no-fund', '--ignore-scripts'], staging, `${join(WORK, 'ai-sdk')}.npm.log`);
    },
    refresh: (dir) => cpSync(join(ROOT, 'fixtures', 'ai-sdk'), dir, { recursive: true }),
  },
  {
    dir: join(WORK, 'loggers-old'),
    manifests: [join(ROOT, 'fixtures', 'loggers-old', 'package.json')],
    prepare: (staging) => cpSync(join(ROOT, 'fixtures', 'loggers-old'), staging, { recursive: true }),
    refresh: (dir) => cpSync(join(ROOT, 'fixtures', 'loggers-old'), dir, { recursive: true }),
  },
];
const complete = (dir) => packed.files.every((f) => existsSync(join(dir, 'node_modules', ...packed.name.split('/'), f.path)));
// The ecosystem sweep's 1.4 GB of packages are installed only for it: the suite, run once per Node, never needs them.
const ECOSYSTEM_ONLY = process.argv.includes('--ecosystem');
const selected = installs.filter(({ dir }) => (dir === join(WORK, 'ecosystem')) === ECOSYSTEM_ONLY);
for (const { dir, manifests, prepare, refresh, flags = [] } of selected) {
  const hash = createHash('sha256').update(readFileSync(tarball));
  for (const manifest of manifests) hash.update(readFileSync(manifest));
  const dirStamp = hash.digest('hex');
  const dirStampFile = join(dir, '.installed');
  if (!existsSync(dirStampFile) || readFileSync(dirStampFile, 'utf8') !== dirStamp || !complete(dir)) {
    const staging = `${dir}.installing-${process.pid}`;
    rmSync(`${dir}.npm.log`, { force: true });
    try {
      for (let attempt = 1; ; attempt++) {
        rmSync(staging, { recursive: true, force: true });
        mkdirSync(staging, { recursive: true });
        prepare(staging);
        // The fixtures pin their dependencies: the npm cache's metadata is good enough, and twice as fast as the registry.
        const install = ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', ...flags, '--no-save', tarball];
        npmLogged(install, staging, `${dir}.npm.log`);
        if (complete(staging)) break;
        if (attempt === 2) throw new Error(`test setup: ${packed.name} is incomplete in ${staging} after two installs`);
      }
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      throw err;
    }
    writeFileSync(join(staging, '.installed'), dirStamp);
    rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(staging, dir);
    } catch (err) {
      // Another setup put its own, equally fresh, installation there first.
      if (err.code !== 'ENOTEMPTY' && err.code !== 'EEXIST') throw err;
      rmSync(staging, { recursive: true, force: true });
    }
  }
  refresh(dir);
}
process.stderr.write(`test setup: also installed in ${selected.map((i) => relative(ROOT, i.dir)).join(', ')}\n`);

// The newest Node the package does not support and the oldest it does, for the tests of the boundary (fetched once).
const boundary = ECOSYSTEM_ONLY ? [] : [[UNSUPPORTED_NODE, 'unsupported'], [MINIMUM_NODE, 'the oldest supported']];
for (const [version, what] of boundary) {
  process.stderr.write(`test setup: Node ${version} (${what}) in ${relative(ROOT, nodeBin(version))}\n`);
}
