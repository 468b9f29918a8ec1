// Unit tests of src/view/filter.ts (the --filter grammar of `mcp-otel tail`), of tail's argument parsing and of what it
// prints for a finished trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { parseFilter, parseFilters } = require('../../dist/view/filter.js');
const { parseArguments, TracePrinter, BoundedOutput } = require('../../dist/cli/tail.js');
import { Writable } from 'node:stream';

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
  // A key with a dot or a capital is a key too, refused: not a word that silently matches nothing.
  assert.equal(parseFilter('error.type=tool_error'), '--filter error.type=tool_error: unknown key error.type (keys: service, method, target, tool, outcome, side, session, trace, error)');
  assert.equal(parseFilter('Tool=add'), '--filter Tool=add: unknown key Tool (keys: service, method, target, tool, outcome, side, session, trace, error)');
  assert.equal(parseFilter('outcome=failed'), '--filter outcome=failed: an outcome is one of ok, tool_error, caller_fault, error, input_required');
  assert.equal(parseFilter('side=agent'), '--filter side=agent: a side is client or server');
  assert.equal(parseFilter(''), '--filter takes a word or KEY=VALUE, not an empty string');
  assert.equal(parseFilters(['tool=add', 'nope=1']), '--filter nope=1: unknown key nope (keys: service, method, target, tool, outcome, side, session, trace, error)');
});

test("tail's arguments: defaults, each option in both forms, and one line for what is wrong", () => {
  assert.deepEqual(parseArguments([]), { otlpPort: 4318, json: false, filters: [] });
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
  // A whole number in digits only, as view's: what Number() alone would take is refused.
  for (const given of ['1e3', '0x10', ' 80', '80 ', '4318.0', '+80', '-0', '0b1', '123456']) {
    assert.equal(parseArguments(['--otlp-port', given]), `--otlp-port takes a port number from 0 to 65535, not "${given}"`);
  }
  assert.equal(parseArguments(['--otlp-port=65535']).otlpPort, 65535);
  assert.equal(parseArguments(['--host']), '--host takes an address to listen on, e.g. 127.0.0.1');
  assert.equal(parseArguments(['--filter']), '--filter takes an expression, e.g. --filter tool=add');
  assert.equal(parseArguments(['--json=yes']), '--json takes no value');
  assert.equal(parseArguments(['--port', '1']), 'unknown argument "--port"');
  assert.equal(parseArguments(['extra']), 'unknown argument "extra"');
});

const filters = parseFilters;

function mcpSpan(spanId, parent, name, attributes, { kind = 2, start = 1_700_000_000_000.0625, end = start + 2.0004999 } = {}) {
  const record = { service: 'svc', resource: { 'service.instance.id': 'i-1' }, scope: '', traceId: 'ab'.repeat(16), spanId, name, kind, startMs: start, endMs: end, attributes, events: [], links: [], status: { code: 0 } };
  if (parent) record.parentSpanId = parent;
  return record;
}
const LISTED = mcpSpan('01', undefined, 'tools/list', { 'mcp.method.name': 'tools/list' });
const CALL = mcpSpan('02', 'gone', 'tools/call add', { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' }, { start: 1_700_000_000_005 });
const OWN = mcpSpan('03', '02', 'own work', {}, { start: 1_700_000_000_006 });

test('the printer: --json rounds times to the microsecond and counts every MCP operation it sees', () => {
  const printer = new TracePrinter(true, filters(['tool=add']));
  const text = printer.render({ traceId: LISTED.traceId, spans: [CALL, OWN, LISTED], continued: false });
  assert.deepEqual(text.split('\n').map((line) => (line ? JSON.parse(line) : line)), [
    {
      id: 2,
      traceId: LISTED.traceId,
      spanId: '02',
      service: 'svc',
      kind: 2,
      method: 'tools/call',
      name: 'tools/call add',
      startMs: 1_700_000_000_005,
      durationMs: 2,
      outcome: 'ok',
      session: 'svc i-1 server',
      target: 'add',
      parentSpanId: 'gone',
      attributes: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add' },
    },
    '',
  ]);
  assert.equal(JSON.parse(new TracePrinter(true, undefined).render({ traceId: LISTED.traceId, spans: [LISTED], continued: false })).startMs, 1_700_000_000_000.063);
});

test('the printer: a tree with its notes; nothing for a trace the filter leaves out', () => {
  const printer = new TracePrinter(false, undefined);
  const lines = printer.render({ traceId: LISTED.traceId, spans: [CALL, OWN], continued: true, note: "incomplete: 1 span's parent not received" }).split('\n');
  assert.deepEqual(lines.slice(1), [
    `trace ${LISTED.traceId}: 2 spans (continued: an earlier part was printed before; incomplete: 1 span's parent not received)`,
    'tools/call add  SERVER    svc          2.0 ms  tool=add (its parent was printed before, or not received)',
    '└─ own work     SERVER    svc          2.0 ms',
    '',
    '',
  ]);
  assert.equal(new TracePrinter(false, filters(['method=prompts/get'])).render({ traceId: LISTED.traceId, spans: [LISTED], continued: false }), '');
  assert.equal(new TracePrinter(true, filters(['method=prompts/get'])).render({ traceId: LISTED.traceId, spans: [LISTED], continued: false }), '');
});

test('--json: C1 controls, DEL, bidi marks and overrides, line and paragraph separators are \\u escapes; the line is the same JSON', () => {
  const hostile = 'a\u009b31mred\u0085\u007f\u202eevil\u2066\u2069\u200e\u200f\u061c\u2028\u2029z \u001b é → 😀';
  const span = mcpSpan('01', undefined, `tools/call ${hostile}`, { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': hostile });
  const line = new TracePrinter(true, undefined).render({ traceId: span.traceId, spans: [span], continued: false });
  assert.equal(line.split('\n').length, 2, 'one line');
  assert.doesNotMatch(line, /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
  const escaped = 'a\\u009b31mred\\u0085\\u007f\\u202eevil\\u2066\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029z \\u001b é → 😀';
  assert.ok(line.includes(`"target":"${escaped}"`), line);
  const parsed = JSON.parse(line);
  assert.equal(parsed.target, hostile);
  assert.equal(parsed.attributes['gen_ai.tool.name'], hostile);
});

/** A stdout whose reader stopped: what is written waits until release(). */
function stalledOut() {
  const held = [];
  const out = new Writable({
    highWaterMark: 100,
    write(chunk, _encoding, done) {
      out.received.push(chunk.toString());
      held.push(done);
    },
  });
  out.received = [];
  out.release = () => {
    for (const done of held.splice(0)) done();
  };
  return out;
}

test("tail's stdout: past the bound of unread output traces are dropped, said once on stderr, counted when it drains", async () => {
  const out = stalledOut();
  const said = [];
  const output = new BoundedOutput(out, (line) => said.push(line), 1000);
  const trace = (n) => `trace ${n} ${'x'.repeat(391)}\n`;
  for (let n = 1; n <= 6; n++) output.write(trace(n));
  // 400 bytes each: written while less than 1,000 wait (3 of them), then dropped.
  assert.equal(out.writableLength, 1200);
  assert.deepEqual(said, ['stdout is not being read fast enough: traces are dropped until it catches up']);
  // The reader reads again: each held write completes, the next is handed over, then 'drain'.
  for (let i = 0; i < 10 && out.writableLength > 0; i++) {
    out.release();
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(said.slice(1), ['stdout is read again; 3 traces were dropped']);
  assert.deepEqual(
    out.received.map((text) => text.split(' ')[1]),
    ['1', '2', '3'],
  );
  output.write(trace(7));
  assert.equal(out.received.at(-1).split(' ')[1], '7', 'written again once read');
  assert.equal(said.length, 2);
});
