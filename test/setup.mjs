// Prepares what the end-to-end tests run: builds the package, packs it as `npm pack` would for a user, and installs the
// tarball into .test-work/app, a copy of fixtures/app (the fixture apps and their own dependencies). Tests then start
// `node --import @x/mcp-otel/register <fixture>` from that directory, so the preload resolves as an installed package.
// Re-running is cheap: nothing is reinstalled when the tarball and the fixtures' package.json are unchanged.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const WORK = join(ROOT, '.test-work');
const APP = join(WORK, 'app');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

mkdirSync(WORK, { recursive: true });
npm(['run', '--silent', 'build'], ROOT);
const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', WORK], ROOT))[0];
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
