// Bundled copies of the MCP SDK (issue 23, item 2): the finder and the transform of bundled-source.ts on snippets of
// each shape a bundler writes, on real bundles of the SDK made by esbuild, rollup, webpack and ncc (fixtures/bundled,
// built into .test-work/bundled/out), and on the real servers that bundle it; and the load path of bundled-hook.ts
// in this process, on CommonJS and ES modules written for the test.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/processes.mjs';

const require = createRequire(import.meta.url);
const { findBundledClasses, handOverBundledClasses, handOverBlock, isCandidateSource } = require('../../dist/instrumentation/bundled-source.js');
const { installBundledHooks } = require('../../dist/instrumentation/bundled-hook.js');

const BUNDLED = join(ROOT, '.test-work', 'bundled');
/** The kinds found in a source, with the statement before each insertion point (from its `;` or line start). */
const found = (source) =>
  findBundledClasses(source).map(({ kind, bodyStart }) => [kind, source.slice(Math.max(0, bodyStart - 40), bodyStart).split(/[;\n]/).pop()]);
const kinds = (source) => findBundledClasses(source).map((c) => c.kind);
/** The source with every inserted block taken out again. */
const BLOCK = /static\{globalThis\.__xMcpOtelBundled\?\.\(this,\d+\)\}/g;

const PROTOCOL_MIN = 'var Xy=class{constructor(t){this._o=t}connect(t){}request(t,r){}_onrequest(t,r){let n=this._h.get(t.method)}}';
const MCP_SERVER_MIN = 'var Ab=class{constructor(t){this.server=t}connect(t){return this.server.connect(t)}registerTool(t,r,n){}}';

test('the cheap test: on text and on bytes, without decoding', () => {
  assert.equal(isCandidateSource('a._onrequest(b)'), true);
  assert.equal(isCandidateSource('onrequest('), false);
  assert.equal(isCandidateSource(Buffer.from('x;_onrequest(t){}')), true);
  assert.equal(isCandidateSource(new Uint8Array(Buffer.from('nothing here'))), false);
});

test('minified classes (esbuild, terser): the Protocol, McpServer, the v2 Client, in source order', () => {
  assert.deepEqual(found(`${PROTOCOL_MIN};${MCP_SERVER_MIN};var Cl=class extends Xy{connect(t){}listen(t){}getServerCapabilities(){}}`), [
    ['Protocol', 'var Xy=class{'],
    ['McpServer', 'var Ab=class{'],
    ['Client', 'var Cl=class extends Xy{'],
  ]);
  // Declarations, `new class`, `extends` a member expression, doc comments and line comments before the head.
  assert.deepEqual(kinds('/** Doc. */\nclass Protocol {\n  connect(t) {}\n  request(r) {}\n  _onrequest(request, extra) {}\n}'), ['Protocol']);
  assert.deepEqual(kinds(`${PROTOCOL_MIN};const s=new class{connect(t){}registerTool(n,...r){}}(1)`), ['Protocol', 'McpServer']);
  assert.deepEqual(kinds('// x\nexport class P extends a.B {\n  async connect(t) {}\n  request(r) {}\n  _onrequest(q, e) {}\n}'), ['Protocol']);
  // ASI: a class statement on a new line after a statement without semicolon.
  assert.deepEqual(kinds('foo()\nclass P{connect(t){}request(r){}_onrequest(q,e){}}'), ['Protocol']);
});

test('what is not the SDK, or not sure, is left alone', () => {
  // Calls only; a method of an object literal; a method of a nested class inside another method.
  assert.deepEqual(kinds('this._onrequest(m,e);x.connect();'), []);
  assert.deepEqual(kinds('var o={connect(t){},request(r){},_onrequest(q,e){}};'), []);
  assert.deepEqual(kinds('class A{m(){return class{connect(t){}request(r){}foo(){}}}}var z={_onrequest(q){}}'), []);
  // A Protocol shape without `request`, a Client shape without `extends`, an McpServer shape without `connect`.
  assert.deepEqual(kinds('var P=class{connect(t){}_onrequest(q,e){}}'), []);
  assert.deepEqual(kinds(`${PROTOCOL_MIN};var C=class{connect(t){}listen(t){}getServerCapabilities(){}}`), ['Protocol']);
  assert.deepEqual(kinds(`${PROTOCOL_MIN};var C=class extends Xy{connect(t){}getServerCapabilities(){}}`), ['Protocol']);
  assert.deepEqual(kinds(`${PROTOCOL_MIN};var M=class{registerTool(t){}}`), ['Protocol']);
  // Not a candidate: McpServer shapes alone are not looked at.
  assert.deepEqual(kinds(MCP_SERVER_MIN), []);
  // Heads in comments and strings, and braces, slashes and quotes inside the body that the tokenizer must read past.
  assert.deepEqual(kinds('/* class X { */ let a = "class Y {"; ' + PROTOCOL_MIN), ['Protocol']);
  const tricky =
    'var P=class{connect(t){let a=`}${"{"}`+/[}{]\\//.source+"}"+\'{\';/* } */ // }\n return a/2}request(t){}_onrequest(t,r){}}';
  assert.deepEqual(kinds(tricky), ['Protocol']);
  // A body that does not read to its end (an unclosed string): nothing.
  assert.deepEqual(kinds('var P=class{connect(t){}request(r){"unclosed\n}_onrequest(t,r){}}'), []);
});

test('the transform: one static block after each body brace, on the same line; nothing else changes', () => {
  const source = `#!/usr/bin/env node\n'use strict';\n${PROTOCOL_MIN};\n${MCP_SERVER_MIN};\nmodule.exports={Xy,Ab};\n`;
  const registered = [];
  const out = handOverBundledClasses(source, (kind) => registered.push(kind) - 1);
  assert.deepEqual(registered, ['Protocol', 'McpServer']);
  assert.equal(
    out,
    `#!/usr/bin/env node\n'use strict';\nvar Xy=class{${handOverBlock(0)}constructor(t)` +
      `${PROTOCOL_MIN.slice('var Xy=class{constructor(t)'.length)};\nvar Ab=class{${handOverBlock(1)}` +
      `${MCP_SERVER_MIN.slice('var Ab=class{'.length)};\nmodule.exports={Xy,Ab};\n`,
  );
  assert.equal(handOverBlock(7), 'static{globalThis.__xMcpOtelBundled?.(this,7)}');
  // Already handed over (another copy of us, or another load path): left as it is.
  assert.equal(handOverBundledClasses(out, () => 0), undefined);
  assert.equal(handOverBundledClasses('nothing', () => 0), undefined);
});

let bundles;
before(async () => {
  const { buildBundles } = await import(pathToFileURL(join(BUNDLED, 'fixtures', 'build.mjs')).href);
  bundles = await buildBundles(join(BUNDLED, 'out'));
});

const EXPECTED = {
  'v1-esbuild-esm-min.mjs': ['Protocol', 'McpServer'],
  'v1-esbuild-cjs-min.cjs': ['Protocol', 'McpServer'],
  'v1-rollup-esm.mjs': ['Protocol', 'McpServer'],
  'v1-rollup-cjs-terser.cjs': ['Protocol', 'McpServer'],
  'v1-webpack-cjs-min.cjs': ['Protocol', 'McpServer'],
  'v1-ncc-esm.mjs': ['Protocol', 'McpServer'],
  'v2-esbuild-esm-min.mjs': ['Protocol', 'McpServer'],
  'v2-esbuild-cjs-min.cjs': ['Protocol', 'McpServer'],
  'v2-client-esbuild-esm-min.mjs': ['Protocol', 'Client'],
};

test('bundles of the SDK by esbuild, rollup, webpack and ncc: each class found, the lines kept', () => {
  assert.deepEqual(Object.keys(bundles).sort(), Object.keys(EXPECTED).sort());
  for (const [name, expected] of Object.entries(EXPECTED)) {
    const source = readFileSync(bundles[name], 'utf8');
    assert.deepEqual(kinds(source), expected, name);
    const out = handOverBundledClasses(source, () => 0);
    assert.equal(out.split('\n').length, source.split('\n').length, name);
    assert.equal(out.replace(BLOCK, ''), source, name);
    assert.equal(out.match(BLOCK).length, expected.length, name);
  }
});

test('the real servers that bundle the SDK: @playwright/mcp, chrome-devtools-mcp, @notionhq/notion-mcp-server', () => {
  const at = (path) => readFileSync(join(BUNDLED, 'node_modules', path), 'utf8');
  const playwright = at('playwright-core/lib/utilsBundle.js');
  assert.deepEqual(found(playwright), [['Protocol', 'var Protocol = class {']]);
  assert.deepEqual(kinds(at('chrome-devtools-mcp/build/src/third_party/index.js')), ['Protocol', 'McpServer']);
  assert.deepEqual(kinds(at('@notionhq/notion-mcp-server/bin/cli.mjs')), ['Protocol']);
});

test('the load path: CommonJS and ES modules are handed over as they load, with their lines and shebang', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-bundled-'));
  const body = `${PROTOCOL_MIN.slice(0, -2)}}fail(){throw new Error('at line 3')}}`;
  writeFileSync(join(dir, 'p.cjs'), `#!/usr/bin/env node\n'use strict';\n${body};module.exports=Xy;\n`);
  writeFileSync(join(dir, 'p.mjs'), `#!/usr/bin/env node\n\n${body};export default Xy;\n`);
  writeFileSync(join(dir, 'after.cjs'), `${body};module.exports=Xy;\n`);
  const handed = [];
  const stop = installBundledHooks((Class, kind, file) => handed.push([Class, kind, file]));
  try {
    const Cjs = require(join(dir, 'p.cjs'));
    const { default: Esm } = await import(pathToFileURL(join(dir, 'p.mjs')).href);
    assert.deepEqual(handed, [
      [Cjs, 'Protocol', join(dir, 'p.cjs')],
      [Esm, 'Protocol', join(dir, 'p.mjs')],
    ]);
    for (const [Class, file] of [[Cjs, 'p.cjs'], [Esm, 'p.mjs']]) {
      const stack = (() => {
        try {
          new Class().fail();
        } catch (err) {
          return err.stack;
        }
      })();
      assert.match(stack, new RegExp(`${file}:3:`), stack);
    }
  } finally {
    stop();
  }
  // Stopped: a module loaded now is passed through untouched.
  require(join(dir, 'after.cjs'));
  assert.equal(handed.length, 2);
  assert.equal(Object.keys(globalThis).includes('__xMcpOtelBundled'), false);
});

test('a candidate that starts with a head the finder cannot read ends (it once looped for ever)', () => {
  assert.deepEqual(kinds('class P extends mix(Base) {\n _onrequest(r) { return 1 }\n request() {}\n connect() {}\n}'), []);
});
