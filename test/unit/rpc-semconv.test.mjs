// Unit tests of the name of the JSON-RPC error code: OTEL_SEMCONV_STABILITY_OPT_IN read as upstream reads it (every
// value, the list form), and the configuration file's form (instrumentation/development.general.rpc.semconv and
// stability_opt_in_list), which wins over the variable; unsupported values fall back without a warning.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from '../helpers/processes.mjs';

const require = createRequire(import.meta.url);
const { rpcStatusCodeKeys, semconvStabilityOptInFromEnv } = require('../../dist/instrumentation/rpc-semconv.js');
const { readConfigFile } = require('../../dist/distro/config-file.js');
const { readConfig } = require('../../dist/distro/config.js');

const OLD = ['rpc.response.status_code'];
const STABLE = ['rpc.status_code'];
const BOTH = ['rpc.response.status_code', 'rpc.status_code'];

test('the variable: rpc gives the stable name, rpc/dup both (and wins), anything else the MCP name', () => {
  const table = [
    [undefined, OLD],
    ['', OLD],
    ['rpc', STABLE],
    [' RPC ', STABLE],
    ['rpc/dup', BOTH],
    ['RPC/DUP', BOTH],
    ['rpc,rpc/dup', BOTH],
    ['rpc/dup,rpc', BOTH],
    ['http, rpc', STABLE],
    ['http/dup,database,rpc/dup', BOTH],
    ['http', OLD],
    ['http/dup, database/dup', OLD],
    ['rpcx', OLD],
    ['rpc/duplicate', OLD],
    [',,', OLD],
  ];
  for (const [value, keys] of table) assert.deepEqual(rpcStatusCodeKeys(value), keys, JSON.stringify(value));
  assert.equal(semconvStabilityOptInFromEnv({}), '');
  assert.equal(semconvStabilityOptInFromEnv({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,rpc' }), 'http,rpc');
});

test('the distribution reads the variable as it is, with no warning for other domains or unknown tokens', () => {
  const warnings = [];
  const config = readConfig({ OTEL_SEMCONV_STABILITY_OPT_IN: 'http,rpc/dup,nonsense' }, [], (name, message) => warnings.push(`${name}: ${message}`));
  assert.equal(config.mcp.semconvStabilityOptIn, 'http,rpc/dup,nonsense');
  assert.deepEqual(rpcStatusCodeKeys(config.mcp.semconvStabilityOptIn), BOTH);
  assert.deepEqual(warnings, []);
  assert.equal(readConfig({}, [], () => {}).mcp.semconvStabilityOptIn, '');
});

const DIR = join(ROOT, '.test-work', `rpc-semconv-files-${process.pid}`);
mkdirSync(DIR, { recursive: true });
after(() => rmSync(DIR, { recursive: true, force: true }));
let count = 0;

/** Reads a file whose `instrumentation/development.general` is `general` (YAML, indented), with `vars` set. */
function readGeneral(general, vars = {}) {
  const file = join(DIR, `config-${++count}.yaml`);
  const section = general === undefined ? '' : `instrumentation/development:\n  general:\n${general}`;
  writeFileSync(file, `file_format: "1.0"\n${section}`);
  const saved = { ...process.env };
  Object.assign(process.env, { OTEL_CONFIG_FILE: file }, vars);
  const warnings = [];
  try {
    const result = readConfigFile({ path: file, serviceName: undefined }, (m) => warnings.push(m), { enabled: undefined, disabled: [] });
    assert.equal(result.kind, 'plan', JSON.stringify(result));
    return { optIn: result.plan.mcp.semconvStabilityOptIn, warnings };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

test('the file: rpc.semconv version and dual_emit, stability_opt_in_list under it, fallbacks without warnings', () => {
  const semconv = (lines) => `    rpc:\n      semconv:\n${lines.map((l) => `        ${l}\n`).join('')}`;
  const table = [
    // No general section, or no rpc in it: the MCP name.
    [undefined, '', OLD],
    // Version 1: the stable conventions; dual_emit adds the MCP name (version 0, "v0", is ours).
    [semconv(['version: 1']), 'rpc', STABLE],
    [semconv(['version: 1', 'dual_emit: true']), 'rpc/dup', BOTH],
    [semconv(['version: 1', 'dual_emit: false']), 'rpc', STABLE],
    [semconv(['version: 1', 'experimental: true']), 'rpc', STABLE],
    // A version above the one supported falls back to it.
    [semconv(['version: 2']), 'rpc', STABLE],
    [semconv(['version: 7', 'dual_emit: true']), 'rpc/dup', BOTH],
    // Omitted: the latest stable version, as the schema says.
    [semconv(['dual_emit: true']), 'rpc/dup', BOTH],
    [semconv(['experimental: false']), 'rpc', STABLE],
    // Version 0 is the default, and has no previous version to emit as well.
    [semconv(['version: 0']), '', OLD],
    [semconv(['version: 0', 'dual_emit: true']), '', OLD],
    // stability_opt_in_list: the variable's syntax; the rpc block wins over it.
    ['    stability_opt_in_list: http,rpc/dup\n', 'http,rpc/dup', BOTH],
    ['    stability_opt_in_list: database\n', 'database', OLD],
    [`    stability_opt_in_list: rpc/dup\n${semconv(['version: 1'])}`, 'rpc', STABLE],
    [`    stability_opt_in_list: rpc\n${semconv(['version: 0'])}`, '', OLD],
  ];
  for (const [general, optIn, keys] of table) {
    const read = readGeneral(general);
    assert.deepEqual(read, { optIn, warnings: [] }, general);
    assert.deepEqual(rpcStatusCodeKeys(read.optIn), keys, general);
  }
});

test('the file wins over OTEL_SEMCONV_STABILITY_OPT_IN, also when it says nothing (it is the whole configuration)', () => {
  const vars = { OTEL_SEMCONV_STABILITY_OPT_IN: 'rpc/dup' };
  assert.deepEqual(readGeneral('    rpc:\n      semconv:\n        version: 1\n', vars), { optIn: 'rpc', warnings: [] });
  assert.deepEqual(readGeneral(undefined, vars), { optIn: '', warnings: [] });
});

test('the file: other general settings are still named as not applied', () => {
  const { warnings } = readGeneral('    http:\n      client:\n        request_captured_headers: [x-a]\n    rpc:\n      semconv:\n        version: 1\n');
  assert.deepEqual(warnings, ['instrumentation/development.general: "http" is not supported by @x/mcp-otel; left out']);
});
