// Unit tests of src/view/filter.ts (the --filter grammar of `mcp-otel tail`) and of tail's argument parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parseFilter, parseFilters } = require('../../dist/view/filter.js');
const { parseArguments } = require('../../dist/cli/tail.js');

const operation = (fields) => ({
  id: 1,
  traceId: 'ab'.repeat(16),
  spanId: 'cd'.repeat(8),
  service: 'weather-server',
  kind: 2,
  method: 'tools/call',
  target: 'fetch-weather',
  name: 'tools/call fetch-weather',
  startMs: 0,
  durationMs: 1,
  outcome: 'ok',
  session: 'weather-server 42 server',
  ...fields,
});
const ADD = operation({ target: 'add', name: 'tools/call add', service: 'calc', outcome: 'tool_error', errorType: 'tool_error' });
const WEATHER = operation({});
const PROMPT = operation({ method: 'prompts/get', target: 'add', name: 'prompts/get add', kind: 3, service: 'agent' });
const LIST = operation({ method: 'tools/list', target: undefined, name: 'tools/list', outcome: 'caller_fault', errorType: '-32602' });
const ALL = [ADD, WEATHER, PROMPT, LIST];
const passing = (expressions) => {
  const test = parseFilters(expressions);
  assert.equal(typeof test, 'function', String(test));
  return ALL.filter(test).map((o) => o.name);
};

test('a word: any case, in service, method, target, outcome, name or error type', () => {
  assert.deepEqual(passing(['WEATHER']), ['tools/call fetch-weather', 'tools/list'], 'the name, the service');
  assert.deepEqual(passing(['tool_error']), ['tools/call add']);
  assert.deepEqual(passing(['prompts']), ['prompts/get add']);
  assert.deepEqual(passing(['-32602']), ['tools/list']);
  assert.deepEqual(passing(['nothing-like-it']), []);
});

test('KEY=VALUE exact, * for any characters, KEY!=VALUE, repeated = all must hold', () => {
  assert.deepEqual(passing(['tool=add']), ['tools/call add'], 'tool is the target of a tools/call only');
  assert.deepEqual(passing(['target=add']), ['tools/call add', 'prompts/get add']);
  assert.deepEqual(passing(['target=ADD']), [], 'case-sensitive');
  assert.deepEqual(passing(['method=tools/*']), ['tools/call add', 'tools/call fetch-weather', 'tools/list']);
  assert.deepEqual(passing(['service=*-server']), ['tools/call fetch-weather', 'tools/list']);
  assert.deepEqual(passing(['outcome!=ok']), ['tools/call add', 'tools/list']);
  assert.deepEqual(passing(['side=client']), ['prompts/get add']);
  assert.deepEqual(passing(['target!=add']), ['tools/call fetch-weather', 'tools/list'], 'no target is not add');
  assert.deepEqual(passing(['error=-32602']), ['tools/list']);
  assert.deepEqual(passing([`trace=${'ab'.repeat(16)}`, 'session=weather-server 42 server', 'method=tools/call']), ['tools/call add', 'tools/call fetch-weather']);
  assert.deepEqual(passing(['method=tools/call', 'outcome=ok']), ['tools/call fetch-weather']);
  assert.deepEqual(passing(['target=a.d']), [], 'a dot is a dot');
  assert.deepEqual(passing(['service=']), [], 'an empty value matches an empty field only');
});

test('what is wrong with an expression, in one line', () => {
  assert.equal(parseFilter('colour=red'), '--filter colour=red: unknown key colour (keys: service, method, target, tool, outcome, side, session, trace, error)');
  assert.equal(parseFilter('outcome=failed'), '--filter outcome=failed: an outcome is one of ok, tool_error, caller_fault, error, input_required');
  assert.equal(parseFilter('side=agent'), '--filter side=agent: a side is client or server');
  assert.equal(parseFilter(''), '--filter takes a word or KEY=VALUE, not an empty string');
  assert.equal(parseFilters(['tool=add', 'nope=1']), '--filter nope=1: unknown key nope (keys: service, method, target, tool, outcome, side, session, trace, error)');
});

test("tail's arguments: defaults, each option in both forms, and one line for what is wrong", () => {
  assert.deepEqual(parseArguments([]), { otlpPort: 4318, host: '127.0.0.1', json: false, filters: [] });
  assert.deepEqual(parseArguments(['--otlp-port', '0', '--host=::1', '--json', '--filter', 'tool=add', '--filter=outcome!=ok']), {
    otlpPort: 0,
    host: '::1',
    json: true,
    filters: ['tool=add', 'outcome!=ok'],
  });
  assert.equal(parseArguments(['--json', '--help']), 'help');
  assert.equal(parseArguments(['-h']), 'help');
  assert.equal(parseArguments(['--otlp-port', '70000']), '--otlp-port takes a port number from 0 to 65535, not "70000"');
  assert.equal(parseArguments(['--otlp-port=']), '--otlp-port takes a port number from 0 to 65535, not ""');
  assert.equal(parseArguments(['--otlp-port']), '--otlp-port takes a port number from 0 to 65535');
  assert.equal(parseArguments(['--host']), '--host takes an address to listen on, e.g. 127.0.0.1');
  assert.equal(parseArguments(['--filter']), '--filter takes an expression, e.g. --filter tool=add');
  assert.equal(parseArguments(['--json=yes']), '--json takes no value');
  assert.equal(parseArguments(['--port', '1']), 'unknown argument "--port"');
  assert.equal(parseArguments(['extra']), 'unknown argument "extra"');
});
