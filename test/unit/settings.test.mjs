// Unit tests of the settings table (src/instrumentation/settings.ts): one row per option of McpInstrumentationConfig,
// each with its variable, configuration file key, type and default, and the one reader that instrument(), the
// preload's environment reader and the configuration file reader share, with one warning per bad value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { SETTINGS, SETTING_OPTIONS, FILE_KEYS, readSettings, readSetting, settingsFromEnv, settingsFromFile } = require('../../dist/instrumentation/settings.js');
const { readConfig } = require('../../dist/distro/config.js');
const { readConfigFile } = require('../../dist/distro/config-file.js');
const { diag, DiagLogLevel } = require('@opentelemetry/api');

/** option: [variables, file key, kind, default, in the preload's plan]. The whole table, in its order. */
const TABLE = {
  excludedMethods: [['OTEL_INSTRUMENTATION_MCP_EXCLUDED_METHODS'], 'excluded_methods', 'list', [], true],
  metricsResourceUri: [['OTEL_INSTRUMENTATION_MCP_METRICS_RESOURCE_URI'], 'metrics_resource_uri', 'switch', false, true],
  selfTracedServers: [['OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS'], 'self_traced_servers', 'mode', 'merge', true],
  captureEndUser: [['OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER'], 'capture_enduser', 'switch', true, true],
  capturePeerIdentity: [['OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY'], 'capture_peer_identity', 'switch', true, true],
  enrichToolSpans: [['OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS'], 'enrich_tool_spans', 'switch', true, true],
  traceStdioServers: [['OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS'], 'trace_stdio_servers', 'switch', false, true],
  stdioServersExporterHeaders: [['OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS'], 'stdio_servers_exporter_headers', 'switch', false, true],
  captureMessageContent: [['OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT'], 'capture_message_content', 'capture', false, true],
  contentMaxLength: [['OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH'], 'content_max_length', 'count', 8192, true],
  captureContentSizes: [['OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES'], 'capture_content_sizes', 'switch', false, true],
  semconvStabilityOptIn: [['OTEL_SEMCONV_STABILITY_OPT_IN'], undefined, 'text', '', true],
  attributeValueLengthLimit: [['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'], undefined, 'limit', undefined, false],
  redactContent: [[], undefined, 'code', undefined, false],
};

/** A value each kind refuses, in a variable and in a file, and the warning each gives (where: the name or the key). */
const BAD = {
  switch: { text: 'nope', file: 'nope', env: (d) => `unknown value "nope"; using ${d} (expected true or false)`, yaml: (d) => `not true or false; using ${d}` },
  mode: { text: 'both', file: 'both', env: () => 'unknown mode "both"; using merge (expected merge or keep)', yaml: () => 'not one of merge, keep; using merge' },
  capture: {
    text: 'everything',
    file: 3,
    env: () => 'unknown value "everything"; no content is recorded (expected true, false, NO_CONTENT, SPAN_ONLY, EVENT_ONLY or SPAN_AND_EVENT)',
    yaml: () => 'not true, false or one of NO_CONTENT, SPAN_ONLY, EVENT_ONLY, SPAN_AND_EVENT; no content is recorded',
  },
  count: { text: '0', file: 0, env: () => '"0" is not a positive whole number; using the default', yaml: (d) => `not a positive whole number; using ${d}` },
  list: { text: undefined, file: 'ping', env: undefined, yaml: () => 'not a list of method names; no method is excluded' },
};

test('the table: one row per option, in this order, each with its variables, file key, kind and default', () => {
  assert.deepEqual(SETTING_OPTIONS, Object.keys(TABLE));
  for (const [option, [env, file, kind, fallback, inPlan]] of Object.entries(TABLE)) {
    const row = SETTINGS[option];
    assert.deepEqual({ env: row.env, file: row.file, kind: row.type.kind, default: row.default, inPlan: row.inPlan }, { env, file, kind, default: fallback, inPlan }, option);
    assert.equal(typeof row.type.accepts, 'string', option);
    assert.equal(typeof row.type.fromText, env.length > 0 ? 'function' : 'undefined', option);
    assert.equal(typeof row.type.fromFile, file === undefined ? 'undefined' : 'function', option);
  }
  // A file key appears once; a variable once.
  assert.deepEqual(FILE_KEYS, Object.values(TABLE).flatMap(([, file]) => file ?? []));
  const variables = Object.values(TABLE).flatMap(([env]) => env);
  assert.equal(new Set(variables).size, variables.length);
});

test('every option of McpInstrumentationConfig (types.ts) has a row, and every row an option', () => {
  const source = readFileSync(new URL('../../src/instrumentation/types.ts', import.meta.url), 'utf8');
  const body = source.slice(source.indexOf('export interface McpInstrumentationConfig'));
  const options = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)\?:/gm)].map(([, name]) => name);
  assert.ok(options.length >= 14, `the options of types.ts were read: ${options}`);
  assert.deepEqual([...options].sort(), [...SETTING_OPTIONS].sort());
});

test("the preload's plan holds the rows marked inPlan, from the environment and from a file alike", () => {
  const planned = SETTING_OPTIONS.filter((option) => SETTINGS[option].inPlan);
  assert.deepEqual(Object.keys(readConfig({}, [], () => {}).mcp).sort(), [...planned].sort());
  const dir = mkdtempSync(join(tmpdir(), 'settings-test-'));
  const saved = process.env.OTEL_CONFIG_FILE;
  try {
    const path = join(dir, 'c.yaml');
    writeFileSync(path, 'file_format: "1.0"\n');
    process.env.OTEL_CONFIG_FILE = path;
    const result = readConfigFile({ path, serviceName: undefined }, () => {}, { enabled: undefined, disabled: [] });
    assert.deepEqual(Object.keys(result.plan.mcp).sort(), [...planned].sort());
  } finally {
    if (saved === undefined) delete process.env.OTEL_CONFIG_FILE;
    else process.env.OTEL_CONFIG_FILE = saved;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('defaults: nothing given, nothing set: every default, no warning', () => {
  const warnings = [];
  const settings = readSettings({}, {}, (...w) => warnings.push(w));
  assert.deepEqual(warnings, []);
  assert.deepEqual(settings, Object.fromEntries(Object.entries(TABLE).map(([option, [, , , fallback]]) => [option, fallback])));
  assert.deepEqual(settingsFromFile(undefined, (...w) => warnings.push(w)), settingsFromFile({}, (...w) => warnings.push(w)));
  assert.deepEqual(warnings, []);
  // Only the two without a default may be undefined: the readers' types count on it.
  for (const option of SETTING_OPTIONS) {
    if (option !== 'attributeValueLengthLimit' && option !== 'redactContent') assert.notEqual(settings[option], undefined, option);
  }
});

test('every row, from its variable: a good value read, a bad one warned about once as `VARIABLE: message`, the default kept', () => {
  const good = { list: [' ping , x ,, y', ['ping', 'x', 'y']], switch: null, mode: [' KEEP ', 'keep'], capture: ['span_and_event', true], count: [' 42 ', 42], text: [' http, rpc ', ' http, rpc '], limit: ['7', 7] };
  for (const [option, [env, , kind, fallback]] of Object.entries(TABLE)) {
    if (env.length === 0) continue;
    const name = env[0];
    if (kind === 'switch') {
      assert.equal(readSetting(option, {}, { [name]: ` ${String(!fallback).toUpperCase()} ` }, assert.fail), !fallback, option);
    } else {
      assert.deepEqual(readSetting(option, {}, { [name]: good[kind][0] }, assert.fail), good[kind][1], option);
    }
    // Every value of a list or of the opt-in text is one (their parsers keep what they can use).
    if (kind === 'list' || kind === 'text') continue;
    const warnings = [];
    const bad = BAD[kind];
    const quiet = bad?.env === undefined || option === 'metricsResourceUri';
    const value = readSetting(option, {}, { [name]: bad?.text ?? 'bad' }, (where, message) => warnings.push(`${where}: ${message}`));
    assert.deepEqual(value, fallback, option);
    assert.deepEqual(warnings, quiet ? [] : [`${name}: ${bad.env(fallback)}`], option);
  }
});

test('every row with a file key: its bad value warned about once as `key: message` (the reader adds the section)', () => {
  for (const [option, [, file, kind, fallback]] of Object.entries(TABLE)) {
    if (file === undefined) continue;
    const warnings = [];
    const settings = settingsFromFile({ [file]: BAD[kind].file }, (key, message) => warnings.push(`${key}: ${message}`));
    assert.deepEqual(settings[option], fallback, option);
    assert.deepEqual(warnings, [`${file}: ${BAD[kind].yaml(fallback)}`], option);
  }
});

test('an option given in code wins, and its variable is then not read (nor warned about)', () => {
  const env = Object.fromEntries(Object.values(TABLE).flatMap(([names]) => names.map((name) => [name, 'bad'])));
  const given = { excludedMethods: ['ping'], metricsResourceUri: true, selfTracedServers: 'keep', captureEndUser: false, capturePeerIdentity: false, enrichToolSpans: false, traceStdioServers: true, stdioServersExporterHeaders: true, captureMessageContent: true, contentMaxLength: 5, captureContentSizes: true, semconvStabilityOptIn: 'rpc', attributeValueLengthLimit: Infinity, redactContent: () => undefined };
  assert.deepEqual(Object.keys(given).sort(), [...SETTING_OPTIONS].sort());
  assert.deepEqual(readSettings(given, env, assert.fail), given);
});

test('the environment is read in the order of the rows (the preload warns in that order); the file by kind', () => {
  const env = {};
  const kinds = { switch: 'nope', mode: 'both', capture: 'everything', count: '0' };
  for (const [, [names, , kind]] of Object.entries(TABLE)) if (kinds[kind] && names.length) env[names[0]] = kinds[kind];
  const order = [];
  settingsFromEnv(env, (name) => order.push(name));
  assert.deepEqual(order, [
    'OTEL_INSTRUMENTATION_MCP_SELF_TRACED_SERVERS',
    'OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER',
    'OTEL_INSTRUMENTATION_MCP_CAPTURE_PEER_IDENTITY',
    'OTEL_INSTRUMENTATION_MCP_ENRICH_TOOL_SPANS',
    'OTEL_INSTRUMENTATION_MCP_TRACE_STDIO_SERVERS',
    'OTEL_INSTRUMENTATION_MCP_STDIO_SERVERS_EXPORTER_HEADERS',
    'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT',
    'OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH',
    'OTEL_INSTRUMENTATION_MCP_CAPTURE_CONTENT_SIZES',
  ]);
  const section = Object.fromEntries(Object.entries(TABLE).flatMap(([, [, file, kind]]) => (file ? [[file, BAD[kind].file]] : [])));
  const keys = [];
  settingsFromFile(section, (key) => keys.push(key));
  assert.deepEqual(keys, [
    'excluded_methods',
    'metrics_resource_uri',
    'capture_enduser',
    'capture_peer_identity',
    'enrich_tool_spans',
    'trace_stdio_servers',
    'stdio_servers_exporter_headers',
    'capture_content_sizes',
    'capture_message_content',
    'content_max_length',
    'self_traced_servers',
  ]);
});

test("instrument() in a user's own setup: a bad variable is one diag warning in the table's format, the default kept", async () => {
  const warnings = [];
  diag.setLogger({ warn: (...args) => warnings.push(args.join(' ')), error() {}, info() {}, debug() {}, verbose() {} }, DiagLogLevel.WARN);
  const saved = { ...process.env };
  Object.assign(process.env, { OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER: 'nope', OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH: '-1' });
  const { McpInstrumentation } = await import('../../dist/index.js');
  const instrumentation = new McpInstrumentation();
  try {
    assert.deepEqual(warnings, [
      '@x/mcp-otel: OTEL_INSTRUMENTATION_MCP_CAPTURE_ENDUSER: unknown value "nope"; using true (expected true or false)',
      '@x/mcp-otel: OTEL_INSTRUMENTATION_MCP_CONTENT_MAX_LENGTH: "-1" is not a positive whole number; using the default',
    ]);
  } finally {
    instrumentation.disable();
    diag.disable();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});
