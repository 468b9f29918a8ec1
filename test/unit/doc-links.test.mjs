// The docs stay true to each other: every relative link of README.md, src/README.md and test/README.md names a file
// that exists and, with a #fragment, a heading of it (GitHub's anchors), and the README's table of contents names each
// of its sections in order. Text moves between these pages; a link left behind fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = process.cwd();
const DOCS = ['README.md', 'src/README.md', 'test/README.md'];

/** The text outside fenced code blocks, where headings and links are markdown. */
const prose = (file) => readFileSync(file, 'utf8').replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped (`_` and `-` kept), each space a `-`. */
const anchorOf = (heading) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

/** The anchors of a file's headings; a repeated heading gets `-1`, `-2`, ... as on GitHub. */
function anchors(file) {
  const seen = new Map();
  return new Set(
    [...prose(file).matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => {
      const base = anchorOf(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      return count === 0 ? base : `${base}-${count}`;
    }),
  );
}

test('every relative link of the docs names an existing file and heading', () => {
  const broken = [];
  let checked = 0;
  for (const doc of DOCS) {
    const file = join(ROOT, doc);
    // Inline code is not a link, even when it looks like one.
    const text = prose(file).replace(/`[^`\n]*`/g, '');
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(link)) continue;
      checked++;
      const [path, fragment] = link.split('#');
      const target = path ? resolve(dirname(file), path) : file;
      if (!existsSync(target)) broken.push(`${doc}: ${link} (no ${relative(ROOT, target)})`);
      else if (fragment !== undefined && statSync(target).isFile() && !anchors(target).has(fragment)) {
        broken.push(`${doc}: ${link} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(checked > 30, `only ${checked} relative links found`);
});

test("the README's table of contents names each of its sections, in order", () => {
  const text = prose(join(ROOT, 'README.md'));
  const contents = /^\*\*Contents:\*\*(.*)$/m.exec(text);
  assert.ok(contents, 'README.md has no **Contents:** line');
  const listed = [...contents[1].matchAll(/\]\(#([^)]+)\)/g)].map(([, anchor]) => anchor);
  const sections = [...text.matchAll(/^## (.+)$/gm)].map(([, heading]) => anchorOf(heading));
  assert.deepEqual(listed, sections);
});
