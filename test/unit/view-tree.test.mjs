// Unit tests of src/view/tree.ts: the trace tree `npm run demo` and `mcp-otel tail` print, line by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { treeLines, traceRows, terminalSafe, detailsOf } = require('../../dist/view/tree.js');

const TRACE = 'a'.repeat(32);
const OTHER = 'b'.repeat(32);
/** A decoded span; times in milliseconds from 1000. */
function span(spanId, name, { traceId = TRACE, parent, kind = 1, service = 'svc', start = 0, end = 1, attributes = {}, status = { code: 0 } } = {}) {
  const record = { service, resource: {}, scope: 'test', traceId, spanId, name, kind, startMs: 1000 + start, endMs: 1000 + end, attributes, events: [], links: [], status };
  if (parent) record.parentSpanId = parent;
  return record;
}

const HEADER_TAIL = 'attributes: error=error.type tool=gen_ai.tool.name uri=mcp.resource.uri id=jsonrpc.request.id mcp=mcp.protocol.version';

test('a client and server trace: header, trace line, rows with box drawing, siblings by start time, columns padded', () => {
  const spans = [
    // Given out of order: children are sorted by start, then end.
    span('03', 'tools/call add', { parent: '02', kind: 2, service: 'server', start: 2, end: 3.25, attributes: { 'gen_ai.tool.name': 'add', 'jsonrpc.request.id': 2, 'mcp.protocol.version': '2025-11-25' } }),
    span('04', 'tools/list', { parent: '01', kind: 3, service: 'client', start: 5, end: 6, attributes: { 'jsonrpc.request.id': 3 } }),
    span('02', 'tools/call add', { parent: '01', kind: 3, service: 'client', start: 1, end: 4, attributes: { 'gen_ai.tool.name': 'add', 'jsonrpc.request.id': 2 } }),
    span('01', 'agent turn', { service: 'client', start: 0, end: 10 }),
  ];
  assert.deepEqual(treeLines(spans), [
    `span                  kind      service    duration  ${HEADER_TAIL}`,
    `trace ${TRACE}: 4 spans`,
    'agent turn            INTERNAL  client      10.0 ms',
    '├─ tools/call add     CLIENT    client       3.0 ms  tool=add id=2',
    '│  └─ tools/call add  SERVER    server       1.3 ms  tool=add id=2 mcp=2025-11-25',
    '└─ tools/list         CLIENT    client       1.0 ms  id=3',
  ]);
});

test('errors: error.type with the status message (60 characters at most), status=ERROR when there is no error.type', () => {
  const long = 'x'.repeat(70);
  assert.equal(detailsOf(span('01', 'a', { attributes: { 'error.type': 'tool_error' }, status: { code: 2, message: 'division by zero' } })), 'error=tool_error ("division by zero")');
  assert.equal(detailsOf(span('01', 'a', { status: { code: 2, message: long } })), `status=ERROR ("${'x'.repeat(60)}")`);
  assert.equal(detailsOf(span('01', 'a', { status: { code: 2 }, attributes: { 'jsonrpc.request.id': 'req-1' } })), 'status=ERROR id=req-1');
  assert.equal(detailsOf(span('01', 'a', { status: { code: 1, message: 'fine' } })), '');
});

test('two traces share the columns; a span whose parent is missing is marked; one span says "1 span"; notes by trace', () => {
  const spans = [
    span('11', 'later root', { traceId: OTHER, start: 50, end: 51, service: 'a-much-longer-service' }),
    span('01', 'orphan', { parent: 'ff', start: 0, end: 2 }),
    span('02', 'child', { parent: '01', start: 1, end: 2 }),
  ];
  assert.deepEqual(traceRows(spans).map((t) => [t.traceId, t.rows.map((r) => [r.label, r.orphan])]), [
    [TRACE, [['orphan', true], ['└─ child', false]]],
    [OTHER, [['later root', false]]],
  ]);
  assert.deepEqual(treeLines(spans, { traceNotes: new Map([[OTHER, ' (incomplete: no root span received)']]) }), [
    `span        kind      service                  duration  ${HEADER_TAIL}`,
    `trace ${TRACE}: 2 spans`,
    'orphan      INTERNAL  svc                        2.0 ms   (its parent was not received)',
    '└─ child    INTERNAL  svc                        1.0 ms',
    `trace ${OTHER}: 1 span (incomplete: no root span received)`,
    'later root  INTERNAL  a-much-longer-service      1.0 ms',
  ]);
  assert.equal(treeLines([span('01', 'x', { parent: 'ff' })], { orphanNote: ' (printed before)' })[2].endsWith('1.0 ms   (printed before)'), true);
});

test("a peer's control and bidi characters are shown escaped, in names, services and attributes; arrays as JSON", () => {
  assert.equal(terminalSafe('a\u001b[31mred\u0007\u009b\u202e\u2066z\n'), 'a\\u001b[31mred\\u0007\\u009b\\u202e\\u2066z\\u000a');
  assert.equal(terminalSafe('tools/call ünïcode → ok'), 'tools/call ünïcode → ok');
  // The Arabic letter mark, the line and paragraph separators.
  assert.equal(terminalSafe('a\u061cb\u2028c\u2029d'), 'a\\u061cb\\u2028c\\u2029d');
  const lines = treeLines([span('01', 'evil\u001b]0;title\u0007', { service: 'svc\r', attributes: { 'gen_ai.tool.name': 'x\u001b[2J', 'mcp.resource.uri': ['a', 1] } })]);
  assert.equal(lines[2], 'evil\\u001b]0;title\\u0007  INTERNAL  svc\\u000d      1.0 ms  tool=x\\u001b[2J uri=["a",1]');
  assert.equal(lines.some((l) => /[\u0000-\u001f]/.test(l)), false);
});

test('a repeated span id, a span that is its own parent, a circle of parents: every span once, no endless walk', () => {
  const rows = traceRows([
    span('01', 'root'),
    span('02', 'self', { parent: '02', start: 1 }),
    span('01', 'again', { parent: '01', start: 2 }),
    span('x1', 'circle one', { traceId: OTHER, parent: 'x2', start: 3 }),
    span('x2', 'circle two', { traceId: OTHER, parent: 'x1', start: 4 }),
  ]);
  assert.deepEqual(rows.map((t) => [t.traceId, t.rows.map((r) => r.label)]), [
    [TRACE, ['root', '└─ again', 'self']],
    [OTHER, ['circle one', '└─ circle two']],
  ]);
});

test('a chain of 20,000 spans: no stack overflow; indentation stops at depth 32, then the depth is written', () => {
  const chain = Array.from({ length: 20_000 }, (_, i) => span(`s${i}`, `n${i}`, { parent: i === 0 ? undefined : `s${i - 1}`, start: i }));
  const lines = treeLines(chain);
  assert.equal(lines.length, 20_002);
  assert.equal(lines[2].startsWith('n0 '), true);
  assert.equal(lines[3].startsWith('└─ n1 '), true);
  assert.equal(lines[34].startsWith(`${'   '.repeat(31)}└─ n32 `), true);
  assert.equal(lines[35].startsWith(`${'   '.repeat(31)}└─ (depth 33) n33 `), true);
  assert.equal(lines.at(-1).startsWith(`${'   '.repeat(31)}└─ (depth 19999) n19999 `), true);
});

test('a trace of 200,000 spans is printed (the column widths are found without spreading the values)', () => {
  const spans = [span('root', 'tools/call crawl', { service: 'crawler' })];
  for (let i = 1; i < 200_000; i++) spans.push(span(`s${i}`, `GET /page/${i}`, { parent: 'root', start: i / 1000, end: i / 1000 + 1 }));
  const lines = treeLines(spans);
  assert.equal(lines.length, 2 + 200_000, 'the header, the trace line, a row per span');
  assert.equal(lines[1], `trace ${TRACE}: 200000 spans`);
  assert.equal(lines.at(-1), `└─ GET /page/199999  INTERNAL  svc          1.0 ms`);
});
