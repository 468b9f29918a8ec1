/* global document, location, URLSearchParams, CSS, setTimeout */
// The trace view: the waterfall across processes (rows indented by parent, bars placed by time, a colour per service),
// and the selected span's details: attributes, exception, events, links, its log records and the trace's others.
import {
  el,
  route,
  getJson,
  formatTime,
  formatDate,
  formatDuration,
  formatCount,
  plural,
  outcomeBadge,
  kindLabel,
  attributesTable,
} from './dom.js';
import { main, state } from './shell.js';

/** One colour per service, in the order the trace names them; distinct on white and for the common colour blindness. */
const PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#1098ad', '#f08c00', '#c2255c', '#5c940d', '#6741d9'];

/** The spans as rows in tree order: children under their parent by start time; orphans marked. */
function spanTree(spans) {
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const children = new Map();
  const roots = [];
  for (const span of spans) {
    if (span.parentSpanId && byId.has(span.parentSpanId) && span.parentSpanId !== span.spanId) {
      if (!children.has(span.parentSpanId)) children.set(span.parentSpanId, []);
      children.get(span.parentSpanId).push(span);
    } else roots.push(span);
  }
  const byStart = (a, b) => a.startMs - b.startMs;
  const rows = [];
  const visited = new Set();
  const stack = roots
    .sort(byStart)
    .reverse()
    .map((span) => ({ span, depth: 0 }));
  while (stack.length > 0) {
    const { span, depth } = stack.pop();
    if (visited.has(span.spanId)) continue;
    visited.add(span.spanId);
    rows.push({ span, depth, orphan: Boolean(span.parentSpanId) && !byId.has(span.parentSpanId) });
    const kids = (children.get(span.spanId) ?? []).sort(byStart);
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i], depth: depth + 1 });
  }
  // A circle of parents (a broken sender) leaves spans unvisited: they are shown at the end, not lost.
  for (const span of spans) if (!visited.has(span.spanId)) rows.push({ span, depth: 0, orphan: true });
  return rows;
}

function serviceColours(spans) {
  const services = [...new Set(spans.map((span) => span.service))].sort();
  return new Map(services.map((service, i) => [service, PALETTE[i % PALETTE.length]]));
}

/**
 * When the trace on screen is fetched again. Its spans arrive from each process separately, so it is refetched while
 * it can still grow, but a large trace costs the view hundreds of milliseconds per answer, and a busy app makes four
 * `changed` events a second. So:
 * - only when the store received spans or logs since the last fetch (its kept + dropped counts moved): a change that
 *   stored nothing of either (metric points, a refused request) cannot have changed this trace;
 * - at most once every 2 s (the last change of a burst is fetched at the end of the 2 s);
 * - not at all once the trace had no new span or log for 30 s: its processes have exported it by then (they export
 *   every few seconds, and at exit). A later part shows when the trace is opened again.
 * Asking the store whether this trace changed (its newest operation) would miss non-MCP spans (an HTTP call under a
 * tool call), which are what a trace mostly grows by.
 */
const REFETCH_EVERY_MS = 2000;
const QUIET_AFTER_MS = 30_000;

/** Spans and logs the store received so far, kept or dropped: it moves with every batch that holds either. */
function receivedCount(status) {
  if (!status) return undefined;
  return status.kept.spans + status.dropped.spans + status.kept.logs + status.dropped.logs;
}

/** How many spans and logs the store holds of a trace answer (more than it carries when truncated). */
function sizeOf(trace) {
  return `${trace.truncated?.spans ?? trace.spans.length}/${trace.truncated?.logs ?? trace.logs.length}`;
}

export async function renderTrace(generation) {
  const { traceId } = state.route;
  state.trace = undefined;
  main.replaceChildren(el('p', { class: 'muted', text: 'Loading trace…' }));
  const fetched = { at: Date.now(), received: receivedCount(state.status) };
  let trace;
  let operations;
  try {
    [trace, operations] = await Promise.all([
      getJson(`/api/trace/${encodeURIComponent(traceId)}`),
      getJson(`/api/operations?${new URLSearchParams({ trace: traceId, limit: '1000' })}`).catch(() => undefined),
    ]);
  } catch (error) {
    if (generation !== state.generation) return;
    main.replaceChildren(
      el('p', { class: 'empty', text: error.status === 404 ? 'No span of this trace is stored.' : error.message }),
    );
    state.refresh = () => (generation === state.generation ? renderTrace(generation) : undefined);
    return;
  }
  if (generation !== state.generation) return;
  drawTrace(trace, operations?.operations ?? [], { fetchedAt: fetched.at, received: fetched.received });
  state.refresh = () => refreshTrace(generation);
}

/**
 * An answer that came back after the view moved on is dropped; when the same trace is still shown (another span was
 * selected), what it may have carried is fetched again rather than lost until the store changes once more.
 */
function answerDropped(shown) {
  if (state.trace !== shown) return;
  shown.received = undefined;
  state.refresh?.();
}

/** Spans of a trace arrive from each process separately: a trace on screen is redrawn when it has more. */
export async function refreshTrace(generation) {
  const shown = state.trace;
  if (!shown || shown.fetching || generation !== state.generation) return;
  const received = receivedCount(state.status);
  if (received !== undefined && received === shown.received) return;
  const now = Date.now();
  if (now - shown.grewAt > QUIET_AFTER_MS) return;
  const wait = shown.fetchedAt + REFETCH_EVERY_MS - now;
  if (wait > 0) {
    shown.timer ??= setTimeout(() => {
      shown.timer = undefined;
      if (state.trace === shown) refreshTrace(generation).catch(() => undefined);
    }, wait);
    return;
  }
  shown.fetching = true;
  shown.fetchedAt = now;
  shown.received = received;
  let trace;
  try {
    trace = await getJson(`/api/trace/${encodeURIComponent(state.route.traceId)}`);
  } finally {
    shown.fetching = false;
  }
  if (generation !== state.generation || state.trace !== shown) return answerDropped(shown);
  if (sizeOf(trace) === sizeOf(shown)) return;
  const operations = await getJson(
    `/api/operations?${new URLSearchParams({ trace: state.route.traceId, limit: '1000' })}`,
  ).catch(() => undefined);
  if (generation !== state.generation || state.trace !== shown) return answerDropped(shown);
  drawTrace(trace, operations?.operations ?? [], { fetchedAt: shown.fetchedAt, received: shown.received });
}

function drawTrace(trace, operations, fetched) {
  const spans = trace.spans;
  // Loops, not Math.min(...values): a spread of some 100,000 values overflows the stack.
  let start = Infinity;
  let end = -Infinity;
  for (const span of spans) {
    if (span.startMs < start) start = span.startMs;
    if (span.endMs > end) end = span.endMs;
  }
  const total = Math.max(end - start, 0.001);
  const colours = serviceColours(spans);
  const bySpan = new Map(operations.map((operation) => [operation.spanId, operation]));
  const rows = spanTree(spans);
  state.trace = {
    ...trace,
    start,
    total,
    colours,
    bySpan,
    byId: new Map(spans.map((span) => [span.spanId, span])),
    ...fetched,
    grewAt: Date.now(),
  };

  const sessions = [...new Set(operations.map((operation) => operation.session))];
  const legend = el('ul', { class: 'legend', 'aria-label': 'Services' });
  for (const [service, colour] of colours) {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.backgroundColor = colour;
    legend.append(el('li', {}, swatch, el('span', { text: service })));
  }
  const summary = el(
    'div',
    { class: 'trace-summary' },
    el('h2', {}, 'Trace ', el('code', { text: trace.traceId })),
    el(
      'p',
      { class: 'muted' },
      `${plural(spans.length, 'span')}, ${plural(colours.size, 'service')}, `,
      `${formatDuration(end - start)}, started ${formatDate(start)}`,
      trace.logs.length ? `, ${plural(trace.logs.length, 'log record')}` : '',
    ),
    truncatedNote(trace),
    sessions.length
      ? el(
          'p',
          { class: 'sessions' },
          sessions.length === 1 ? 'Session: ' : 'Sessions: ',
          ...sessions.flatMap((session, i) => [
            i ? ', ' : '',
            el('a', { href: route('session', session), text: session, class: 'session-link' }),
          ]),
        )
      : undefined,
    legend,
  );

  const waterfall = el('div', { class: 'waterfall', role: 'tree', 'aria-label': 'Spans of the trace' });
  const ticks = el('div', { class: 'ticks' }, el('div', { class: 'name-col' }));
  const scale = el('div', { class: 'scale' });
  for (let i = 0; i <= 4; i++) {
    const tick = el('span', { class: 'tick', text: formatDuration((total * i) / 4) });
    tick.style.left = `${i * 25}%`;
    scale.append(tick);
  }
  ticks.append(scale);

  const fragment = document.createDocumentFragment();
  for (const { span, depth, orphan } of rows) fragment.append(spanRow(span, depth, orphan));
  const rowsBox = el('div', { class: 'rows' });
  rowsBox.append(fragment);
  rowsBox.addEventListener('click', (event) => {
    const row = event.target.closest('.span-row');
    if (row) location.hash = route('trace', trace.traceId, row.dataset.span);
  });
  rowsBox.addEventListener('keydown', (event) => {
    const row = event.target.closest('.span-row');
    if (row && event.key === 'Enter') location.hash = route('trace', trace.traceId, row.dataset.span);
  });
  waterfall.append(ticks, rowsBox);

  const details = el('aside', { class: 'details', id: 'details' });
  main.replaceChildren(
    el('section', { class: 'view-trace' }, summary, el('div', { class: 'trace-body' }, waterfall, details)),
  );
  state.trace.rowsBox = rowsBox;
  selectSpan(state.route.spanId ?? rows[0]?.span.spanId);
}

/** Says that the answer carries only the first spans or logs of a large trace (the store sends at most 10,000). */
function truncatedNote(trace) {
  const parts = [];
  if (trace.truncated && trace.truncated.spans > trace.spans.length)
    parts.push(`the first ${formatCount(trace.spans.length)} of ${formatCount(trace.truncated.spans)} spans`);
  if (trace.truncated && trace.truncated.logs > trace.logs.length)
    parts.push(`the first ${formatCount(trace.logs.length)} of ${formatCount(trace.truncated.logs)} log records`);
  if (parts.length === 0) return undefined;
  return el('p', { class: 'trace-truncated', text: `Showing ${parts.join(' and ')}, by time.` });
}

function spanRow(span, depth, orphan) {
  const { start, total, colours, bySpan } = state.trace;
  const operation = bySpan.get(span.spanId);
  const name = el('div', { class: 'name-col' });
  name.style.paddingLeft = `${0.4 + Math.min(depth, 40) * 1.1}rem`;
  name.append(el('span', { class: 'span-name', text: span.name }));
  if (operation && operation.outcome !== 'ok') name.append(outcomeBadge(operation.outcome));
  else if (span.status.code === 2) name.append(el('span', { class: 'outcome outcome-error', text: 'error' }));
  if (orphan) name.append(el('span', { class: 'orphan', text: 'parent not received', title: span.parentSpanId }));
  name.append(el('span', { class: 'span-service', text: span.service }));

  const track = el('div', { class: 'track' });
  const bar = el('div', { class: 'bar' });
  bar.style.left = `${((span.startMs - start) / total) * 100}%`;
  bar.style.width = `${Math.max(((span.endMs - span.startMs) / total) * 100, 0.3)}%`;
  bar.style.backgroundColor = colours.get(span.service);
  const label = el('span', { class: 'bar-label', text: formatDuration(span.endMs - span.startMs) });
  // After the bar; inside a wide bar or before a narrow one when the bar reaches the right edge.
  const startShare = (span.startMs - start) / total;
  const endShare = (span.endMs - start) / total;
  if (endShare <= 0.8) label.style.left = `${endShare * 100}%`;
  else if (endShare - startShare > 0.15) {
    label.style.right = `${(1 - endShare) * 100}%`;
    label.classList.add('inside');
  } else label.style.right = `${(1 - startShare) * 100}%`;
  track.append(bar, label);

  return el(
    'div',
    {
      class: orphan ? 'span-row orphaned' : 'span-row',
      role: 'treeitem',
      tabindex: 0,
      'aria-level': depth + 1,
      'data-span': span.spanId,
    },
    name,
    track,
  );
}

export function selectSpan(spanId) {
  const trace = state.trace;
  if (!trace) return;
  const span = trace.byId.get(spanId) ?? trace.spans[0];
  for (const row of trace.rowsBox.querySelectorAll('.span-row.selected')) row.classList.remove('selected');
  const row = trace.rowsBox.querySelector(`[data-span="${CSS.escape(span.spanId)}"]`);
  row?.classList.add('selected');
  // A fragment, not a spread: a span can carry any number of exception events, each a section.
  const details = document.createDocumentFragment();
  for (const section of spanDetails(span)) details.append(section);
  document.getElementById('details')?.replaceChildren(details);
}

function spanDetails(span) {
  const trace = state.trace;
  const operation = trace.bySpan.get(span.spanId);
  const parent = span.parentSpanId ? trace.byId.get(span.parentSpanId) : undefined;
  const facts = el('dl', { class: 'facts' });
  const fact = (term, ...value) => facts.append(el('dt', { text: term }), el('dd', {}, ...value));
  fact('Service', span.service);
  fact('Kind', kindLabel(span.kind));
  fact('Duration', formatDuration(span.endMs - span.startMs));
  fact('Start', `${formatDate(span.startMs)} (+${formatDuration(span.startMs - trace.start)})`);
  if (operation) {
    fact('Outcome', outcomeBadge(operation.outcome));
    fact('Session', el('a', { href: route('session', operation.session), text: operation.session }));
  }
  fact(
    'Status',
    ['unset', 'ok', 'error'][span.status.code] ?? String(span.status.code),
    span.status.message ? el('div', { class: 'status-message', text: span.status.message }) : undefined,
  );
  fact('Span id', el('code', { text: span.spanId }));
  if (span.parentSpanId) {
    fact(
      'Parent',
      parent
        ? el('a', { href: route('trace', span.traceId, parent.spanId), text: parent.name })
        : el('span', { class: 'orphan', text: `not received (${span.parentSpanId})` }),
    );
  }
  fact('Scope', span.scope);

  const sections = [el('h3', { class: 'span-title', text: span.name }), facts];

  const exceptions = span.events.filter((event) => event.name === 'exception');
  for (const exception of exceptions) {
    const a = exception.attributes;
    sections.push(
      el(
        'section',
        { class: 'exception' },
        el('h4', { text: 'Exception' }),
        el(
          'p',
          {},
          el('b', { text: String(a['exception.type'] ?? 'Error') }),
          ': ',
          String(a['exception.message'] ?? ''),
        ),
        a['exception.stacktrace'] ? el('pre', { class: 'stack', text: String(a['exception.stacktrace']) }) : undefined,
      ),
    );
  }

  sections.push(el('h4', { text: 'Attributes' }), attributesTable(span.attributes));

  if (span.events.length) {
    const list = el('ol', { class: 'events' });
    for (const event of span.events) {
      list.append(
        el(
          'li',
          {},
          el('div', {}, el('b', { text: event.name }), ` at +${formatDuration(event.timeMs - span.startMs)}`),
          Object.keys(event.attributes).length ? attributesTable(event.attributes) : undefined,
        ),
      );
    }
    sections.push(el('h4', { text: `Events (${span.events.length})` }), list);
  }

  if (span.links.length) {
    const list = el('ul', { class: 'links' });
    for (const link of span.links) {
      list.append(
        el(
          'li',
          {},
          el('a', { href: route('trace', link.traceId, link.spanId) }, el('code', { text: link.traceId })),
          ` span ${link.spanId}`,
          Object.keys(link.attributes).length ? attributesTable(link.attributes) : undefined,
        ),
      );
    }
    sections.push(el('h4', { text: `Links (${span.links.length})` }), list);
  }

  const ownLogs = trace.logs.filter((log) => log.spanId === span.spanId);
  const otherLogs = trace.logs.filter((log) => log.spanId !== span.spanId);
  sections.push(el('h4', { text: `Logs of this span (${ownLogs.length})` }), logList(ownLogs, 'No log record.'));
  if (otherLogs.length) {
    sections.push(
      el('details', {}, el('summary', { text: `Other logs of this trace (${otherLogs.length})` }), logList(otherLogs)),
    );
  }
  sections.push(
    el('details', {}, el('summary', { text: 'Resource' }), attributesTable(span.resource, 'No resource attribute.')),
  );
  return sections;
}

function logList(logs, emptyText) {
  if (logs.length === 0) return el('p', { class: 'muted', text: emptyText ?? 'none' });
  const list = el('ol', { class: 'logs' });
  for (const log of logs) {
    const severity = log.severityText || severityName(log.severityNumber);
    const body = typeof log.body === 'string' ? log.body : JSON.stringify(log.body);
    list.append(
      el(
        'li',
        { class: `log severity-${severityClass(log.severityNumber)}` },
        el('span', { class: 'time', text: formatTime(log.timeMs) }),
        el('span', { class: 'severity', text: severity }),
        el('span', { class: 'log-service', text: log.service }),
        el('div', { class: 'log-body', text: body }),
        Object.keys(log.attributes).length
          ? el('details', {}, el('summary', { text: 'attributes' }), attributesTable(log.attributes))
          : undefined,
      ),
    );
  }
  return list;
}

function severityName(number) {
  if (!number) return 'UNSPECIFIED';
  return ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'][Math.min(Math.floor((number - 1) / 4), 5)];
}

function severityClass(number) {
  return severityName(number).toLowerCase();
}
