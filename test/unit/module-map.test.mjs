// src/README.md, the module map, lists every source file, and names no file that is gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = process.cwd();
const SRC = join(ROOT, 'src');
const map = readFileSync(join(SRC, 'README.md'), 'utf8');

function sourceFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name === 'README.md' ? [] : [relative(ROOT, path)];
  });
}

test('src/README.md names every file of src/', () => {
  const listed = new Set(map.match(/\bsrc\/[\w/.-]*\w/g));
  assert.deepEqual(sourceFiles(SRC).filter((file) => !listed.has(file)).sort(), []);
});

test('every src/ path src/README.md names exists', () => {
  const named = [...new Set(map.match(/\bsrc\/[\w/.-]*\w/g))];
  assert.ok(named.length > 40, `only ${named.length} paths named`);
  assert.deepEqual(named.filter((path) => !existsSync(join(ROOT, path))).sort(), []);
});
