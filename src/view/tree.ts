/**
 * The trace tree `npm run demo` and `mcp-otel tail` print: one row per span, children under their parent with box
 * drawing, then the span's kind, service, duration and a few attributes. Pure functions over decoded spans that return
 * lines; the callers choose where the lines go.
 *
 *   span                                   kind      service            duration  attributes: error=error.type ...
 *   trace 4bf92f3577b34da6a3ce929d0e0e4736: 3 spans
 *   agent turn                             INTERNAL  mcp-demo-client      52.1 ms
 *   └─ tools/call add                      CLIENT    mcp-demo-client       8.0 ms  tool=add id=2 mcp=2025-11-25
 *      └─ tools/call add                   SERVER    mcp-demo-server       1.2 ms  tool=add id=2 mcp=2025-11-25
 *
 * Everything in a row but the box drawing comes from a peer: control and bidirectional-override characters are shown
 * escaped (`\u001b`), so that a span name cannot move the cursor, recolour or reorder the terminal.
 */
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_RESOURCE_URI,
} from '../instrumentation/semconv';
import type { AttributeValue, SpanRecord } from './model';

const KINDS = ['UNSET', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_ERROR = 2;
/** How much of a status message a row shows. */
const MESSAGE_SHOWN = 60;
/** Deeper rows are not indented further (a peer's chain of parents could make each line as long as it likes). */
const MAX_DRAWN_DEPTH = 32;

/** The attributes a row shows, as `label=value`; the header line says which attribute each label stands for. */
const SHOWN: ReadonlyArray<readonly [string, string]> = [
  ['error', ATTR_ERROR_TYPE],
  ['tool', ATTR_GEN_AI_TOOL_NAME],
  ['uri', ATTR_MCP_RESOURCE_URI],
  ['id', ATTR_JSONRPC_REQUEST_ID],
  ['mcp', ATTR_MCP_PROTOCOL_VERSION],
];

/**
 * C0 and C1 controls, DEL, the bidirectional marks (LRM, RLM, ALM), embeddings, overrides and isolates, and the line
 * and paragraph separators (a new line to some terminals and editors).
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** A peer's text made safe for a terminal: each unsafe character as a `\uXXXX` escape. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface TreeRow {
  span: SpanRecord;
  /** The span's name after the box drawing of its depth. */
  label: string;
  /** Set when the span names a parent that is not among the spans. */
  orphan: boolean;
}

export interface TraceRows {
  traceId: string;
  /** Depth first, siblings by start time. */
  rows: TreeRow[];
}

export interface TreeOptions {
  /** A note appended to the line of a trace, by trace id (e.g. why it is printed before it is complete). */
  traceNotes?: ReadonlyMap<string, string>;
  /** What an orphan's row says; ` (its parent was not received)` unless given. */
  orphanNote?: string;
}

const kindOf = (span: SpanRecord): string => KINDS[span.kind] ?? String(span.kind);

/** Start times have millisecond precision (the SDK takes them from Date.now()): the end time breaks ties. */
const byStart = (a: SpanRecord, b: SpanRecord): number => a.startMs - b.startMs || a.endMs - b.endMs;

const shown = (value: AttributeValue): string =>
  typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);

const quotedMessage = (message: string | undefined): string =>
  message ? ` (${JSON.stringify(message.slice(0, MESSAGE_SHOWN))})` : '';

/** The attributes column of a span's row: the SHOWN attributes it has, and its status when it failed without one. */
export function detailsOf(span: SpanRecord): string {
  const parts: string[] = [];
  for (const [label, key] of SHOWN) {
    const value = span.attributes[key];
    if (value === undefined) continue;
    let part = `${label}=${shown(value)}`;
    if (key === ATTR_ERROR_TYPE) part += quotedMessage(span.status.message);
    parts.push(part);
  }
  if (span.attributes[ATTR_ERROR_TYPE] === undefined && span.status.code === STATUS_ERROR) {
    parts.unshift(`status=ERROR${quotedMessage(span.status.message)}`);
  }
  return terminalSafe(parts.join(' '));
}

/** The rows of every trace among the spans, the trace whose first root starts first first. */
export function traceRows(spans: readonly SpanRecord[]): TraceRows[] {
  const key = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;
  const ids = new Set(spans.map((s) => key(s.traceId, s.spanId)));
  const children = new Map<string, SpanRecord[]>();
  const roots: SpanRecord[] = [];
  for (const span of spans) {
    const parentKey = span.parentSpanId ? key(span.traceId, span.parentSpanId) : undefined;
    if (parentKey !== undefined && ids.has(parentKey)) {
      const siblings = children.get(parentKey);
      if (siblings) siblings.push(span);
      else children.set(parentKey, [span]);
    } else {
      roots.push(span);
    }
  }
  const rootsByTrace = new Map<string, SpanRecord[]>();
  for (const root of roots.sort(byStart)) {
    const traceRoots = rootsByTrace.get(root.traceId);
    if (traceRoots) traceRoots.push(root);
    else rootsByTrace.set(root.traceId, [root]);
  }
  // A span id repeated within a trace, or parents that go round in a circle (a broken exporter), must neither make
  // the walk go round for ever nor lose spans: what no root reaches is walked after the roots, as a root.
  const walked = new Set<SpanRecord>();
  const spanCounts = new Map<string, number>();
  for (const span of spans) {
    spanCounts.set(span.traceId, (spanCounts.get(span.traceId) ?? 0) + 1);
    if (!rootsByTrace.has(span.traceId)) rootsByTrace.set(span.traceId, []);
  }
  const result: TraceRows[] = [];
  for (const [traceId, traceRoots] of rootsByTrace) {
    const rows: TreeRow[] = [];
    // Depth first without recursion: a peer's chain of parents may be as long as it likes.
    const walk = (root: SpanRecord): void => {
      const stack: Array<{ span: SpanRecord; lead: string; branch: string; depth: number }> = [
        { span: root, lead: '', branch: '', depth: 0 },
      ];
      for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
        const { span, lead, branch, depth } = next;
        if (walked.has(span)) continue;
        walked.add(span);
        const deep = depth > MAX_DRAWN_DEPTH ? `(depth ${depth}) ` : '';
        const label = `${lead}${branch}${deep}${terminalSafe(span.name)}`;
        rows.push({ span, label, orphan: span.parentSpanId !== undefined });
        const kids = (children.get(key(span.traceId, span.spanId)) ?? []).sort(byStart);
        const nextLead =
          depth >= MAX_DRAWN_DEPTH ? lead : lead + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
        for (let i = kids.length - 1; i >= 0; i--) {
          const kidBranch = depth >= MAX_DRAWN_DEPTH ? branch : i === kids.length - 1 ? '└─ ' : '├─ ';
          stack.push({ span: kids[i], lead: nextLead, branch: kidBranch, depth: depth + 1 });
        }
      }
    };
    for (const root of traceRoots) walk(root);
    if (rows.length < (spanCounts.get(traceId) ?? 0)) {
      const unreached = spans.filter((s) => s.traceId === traceId && !walked.has(s)).sort(byStart);
      for (const span of unreached) walk(span);
    }
    // Only roots can be orphans: a span walked as a child has its parent.
    for (const row of rows) row.orphan = row.orphan && !ids.has(key(traceId, row.span.parentSpanId ?? ''));
    result.push({ traceId, rows });
  }
  return result;
}

/** The header line: the columns, and what each attribute label stands for. */
const headerLine = (nameWidth: number, serviceWidth: number): string =>
  `${'span'.padEnd(nameWidth)}${'kind'.padEnd(10)}${'service'.padEnd(serviceWidth)}${'duration'.padStart(10)}` +
  `  attributes: ${SHOWN.map(([label, key]) => `${label}=${key}`).join(' ')}`;

/**
 * The tree of the spans: the header line, then each trace's line (`trace <id>: <n> spans`) and its rows, the columns
 * as wide as the widest value of all traces. No trailing spaces; no empty line.
 */
export function treeLines(spans: readonly SpanRecord[], options: TreeOptions = {}): string[] {
  return linesOfRows(traceRows(spans), options);
}

/** The lines of rows already laid out by traceRows (tail lays them out once to find its operations too). */
export function linesOfRows(traces: readonly TraceRows[], options: TreeOptions = {}): string[] {
  const all = traces.flatMap((t) => t.rows);
  const services = new Map(all.map((r) => [r.span, terminalSafe(r.span.service)]));
  // Loops, not Math.max(...values): a spread of some 100,000 values overflows the stack.
  let nameWidth = 4;
  for (const row of all) nameWidth = Math.max(nameWidth, row.label.length);
  nameWidth += 2;
  let serviceWidth = 7;
  for (const service of services.values()) serviceWidth = Math.max(serviceWidth, service.length);
  serviceWidth += 2;
  const orphanNote = options.orphanNote ?? ' (its parent was not received)';
  const lines = [headerLine(nameWidth, serviceWidth)];
  for (const { traceId, rows } of traces) {
    const note = options.traceNotes?.get(traceId);
    lines.push(`trace ${terminalSafe(traceId)}: ${rows.length} span${rows.length === 1 ? '' : 's'}${note ?? ''}`);
    for (const { span, label, orphan } of rows) {
      const duration = `${(span.endMs - span.startMs).toFixed(1)} ms`.padStart(10);
      const line =
        `${label.padEnd(nameWidth)}${kindOf(span).padEnd(10)}${(services.get(span) ?? '').padEnd(serviceWidth)}` +
        `${duration}  ${detailsOf(span)}${orphan ? orphanNote : ''}`;
      lines.push(line.trimEnd());
    }
  }
  return lines;
}
