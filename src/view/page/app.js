/* global document, window, location, fetch, EventSource, URLSearchParams, CSS */
// The page of `mcp-otel view`: plain DOM, no framework, no build step. Every value shown came from a peer (tool names,
// arguments, error messages): it goes into the page as text (textContent, setAttribute of plain attributes), never as
// HTML, and the only URLs made from data are this page's own #/ routes, encoded.

const OUTCOME_LABELS = {
  ok: 'ok',
  tool_error: 'tool error',
  caller_fault: 'caller fault',
  error: 'error',
  input_required: 'input required',
};
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
/** One colour per service, in the order the trace names them; distinct on white and for the common colour blindness. */
const PALETTE = ['#3b5bdb', '#e8590c', '#2f9e44', '#ae3ec9', '#1098ad', '#f08c00', '#c2255c', '#5c940d', '#6741d9'];
const SVG = 'http://www.w3.org/2000/svg';
/** How many operations the list keeps on screen; older ones are a click on "older" away. */
const LIST_LIMIT = 200;

const main = document.getElementById('main');
const state = {
  route: { view: 'operations' },
  filters: { service: '', method: '', tool: '', outcome: '', q: '' },
  /** The operations on screen, newest first, and the view they belong to (a new route starts a new list). */
  operations: [],
  list: undefined,
  /** What the current view refreshes when the store changes. */
  refresh: undefined,
  refreshing: false,
  refreshAgain: false,
  /** Counts the view fetches each render; an answer to an older render is dropped. */
  generation: 0,
};

// ---------------------------------------------------------------------------------------------------------- helpers

/** An element with text and attributes; children are elements or strings (as text nodes). */
function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== undefined && child !== null) node.append(child);
  return node;
}

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** A route of this page: the only kind of link built from data. */
function route(...parts) {
  return '#/' + parts.map((part) => encodeURIComponent(part)).join('/');
}

async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function showProblem(message) {
  const banner = document.getElementById('problem');
  banner.textContent = message ?? '';
  banner.hidden = !message;
}

function formatTime(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function formatDate(ms) {
  const date = new Date(ms);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')} ${formatTime(ms)}`;
}

function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

function plural(count, noun) {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

function outcomeBadge(outcome) {
  return el('span', { class: `outcome outcome-${outcome}`, text: OUTCOME_LABELS[outcome] ?? outcome });
}

function kindLabel(kind) {
  return el('span', { class: `kind kind-${KINDS[kind] ?? 'unspecified'}`, text: KINDS[kind] ?? String(kind) });
}

/** An attribute value as text; strings that hold a JSON object or array (captured content) pretty-printed. */
function valueNode(value) {
  if (typeof value === 'string') {
    const trimmed = value.trimStart();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const parsed = JSON.parse(value);
        if (parsed !== null && typeof parsed === 'object') {
          return el('pre', { class: 'json', text: JSON.stringify(parsed, null, 2) });
        }
      } catch {
        // Not JSON: shown as the string it is.
      }
    }
    return el('span', { class: value.includes('\n') ? 'value multiline' : 'value', text: value });
  }
  if (value !== null && typeof value === 'object') {
    return el('pre', { class: 'json', text: JSON.stringify(value, null, 2) });
  }
  return el('span', { class: `value value-${typeof value}`, text: String(value) });
}

function attributesTable(attributes, emptyText = 'none') {
  const entries = Object.entries(attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return el('p', { class: 'muted', text: emptyText });
  const body = el('tbody');
  for (const [key, value] of entries)
    body.append(el('tr', {}, el('th', { text: key }), el('td', {}, valueNode(value))));
  return el('table', { class: 'attributes' }, body);
}

// ----------------------------------------------------------------------------------------------------- header, live

let serverInfo;

function showStatus(status) {
  if (!status) return;
  const counts = document.getElementById('counts');
  const count = (n, noun) => el('span', {}, el('b', { text: formatCount(n) }), ` ${noun}${n === 1 ? '' : 's'}`);
  counts.replaceChildren(
    count(status.kept.spans, 'span'),
    count(status.kept.logs, 'log'),
    count(status.kept.points, 'metric point'),
  );
  const dropped = document.getElementById('dropped');
  const parts = [];
  for (const kind of ['spans', 'logs', 'points']) {
    if (status.dropped[kind] > 0) {
      parts.push(`${formatCount(status.dropped[kind])} ${kind} (keeps ${formatCount(status.caps[kind])})`);
    }
  }
  if (status.rejectedRequests > 0) parts.push(`${formatCount(status.rejectedRequests)} malformed requests refused`);
  dropped.textContent = parts.length ? `Dropped, oldest first, at the caps: ${parts.join(', ')}.` : '';
  dropped.hidden = parts.length === 0;
}

async function loadInfo() {
  try {
    serverInfo = await getJson('/api/info');
    document.getElementById('endpoint').textContent = serverInfo.otlpUrl ?? 'the OTLP/HTTP port of this view';
  } catch (error) {
    showProblem(`The view does not answer: ${error.message}`);
  }
}

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('changed', (event) => {
    showProblem('');
    try {
      showStatus(JSON.parse(event.data));
    } catch {
      return;
    }
    refreshView();
  });
  events.addEventListener('error', () => {
    if (events.readyState !== EventSource.OPEN) showProblem('Lost the connection to the view; reconnecting…');
  });
}

/** One refresh at a time; changes during one make one more afterwards. */
async function refreshView() {
  if (!state.refresh) return;
  if (state.refreshing) {
    state.refreshAgain = true;
    return;
  }
  state.refreshing = true;
  try {
    await state.refresh();
  } catch (error) {
    showProblem(error.message);
  } finally {
    state.refreshing = false;
    if (state.refreshAgain) {
      state.refreshAgain = false;
      refreshView();
    }
  }
}

// ----------------------------------------------------------------------------------------------------------- router

function parseRoute() {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return '';
      }
    });
  const [view, ...rest] = parts;
  if (view === 'trace' && rest[0]) return { view: 'trace', traceId: rest[0], spanId: rest[1] };
  if (view === 'session' && rest[0]) return { view: 'session', session: rest[0] };
  if (view === 'stats') return { view: 'stats' };
  return { view: 'operations' };
}

function render() {
  const previous = state.route;
  state.route = parseRoute();
  state.generation++;
  state.refresh = undefined;
  showProblem('');
  for (const tab of document.querySelectorAll('#tabs a')) {
    const view = tab.dataset.view;
    tab.classList.toggle('active', view === state.route.view);
    if (view === 'trace' || view === 'session') {
      const current = state.route.view === view;
      if (current) tab.setAttribute('href', location.hash);
      tab.hidden = !current && tab.hidden;
    }
  }
  const { view } = state.route;
  // Selecting another span of the trace on screen keeps the waterfall and only redraws the details.
  if (view === 'trace' && previous.view === 'trace' && previous.traceId === state.route.traceId && state.trace) {
    selectSpan(state.route.spanId);
    state.refresh = () => refreshTrace(state.generation);
    return;
  }
  if (view === 'trace') renderTrace(state.generation);
  else if (view === 'session') renderSession(state.generation);
  else if (view === 'stats') renderStats(state.generation);
  else renderOperations(state.generation);
}

// ------------------------------------------------------------------------------------------------------- operations

function operationsQuery(extra) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
  for (const [name, value] of Object.entries(extra ?? {})) query.set(name, String(value));
  return query.toString();
}

function fillSelect(select, values, labels) {
  const chosen = select.value;
  const options = [el('option', { value: '', text: select.dataset.all })];
  for (const value of values) options.push(el('option', { value, text: labels?.[value] ?? value }));
  select.replaceChildren(...options);
  // A value the store no longer holds stays chosen until the user changes it.
  if (chosen && !values.includes(chosen))
    select.append(el('option', { value: chosen, text: labels?.[chosen] ?? chosen }));
  select.value = chosen;
}

function operationRow(operation, { showSession = true } = {}) {
  const target = operation.target ? el('span', { class: 'target', text: operation.target }) : undefined;
  const detail = operation.statusMessage ?? operation.errorType;
  const row = el(
    'tr',
    { class: 'operation', tabindex: 0, 'data-trace': operation.traceId, 'data-span': operation.spanId },
    el('td', { class: 'time', text: formatTime(operation.startMs), title: formatDate(operation.startMs) }),
    el(
      'td',
      { class: 'what' },
      el('span', { class: 'method', text: operation.method }),
      target,
      detail ? el('div', { class: 'detail', text: detail }) : undefined,
    ),
    el('td', { class: 'service', text: operation.service }),
    el('td', {}, kindLabel(operation.kind)),
    el('td', { class: 'duration', text: formatDuration(operation.durationMs) }),
    el('td', {}, outcomeBadge(operation.outcome)),
    showSession
      ? el(
          'td',
          { class: 'session' },
          el('a', { href: route('session', operation.session), title: operation.session, text: 'session' }),
        )
      : undefined,
  );
  return row;
}

function openRow(event) {
  if (event.target.closest('a')) return;
  const row = event.target.closest('tr.operation');
  if (!row) return;
  if (event.type === 'keydown' && event.key !== 'Enter') return;
  location.hash = route('trace', row.dataset.trace, row.dataset.span);
}

function operationsTable(showSession) {
  const headings = ['Time', 'Operation', 'Service', 'Kind', 'Duration', 'Outcome'];
  if (showSession) headings.push('');
  const body = el('tbody');
  const table = el(
    'table',
    { class: 'operations' },
    el('thead', {}, el('tr', {}, ...headings.map((text) => el('th', { text })))),
    body,
  );
  table.addEventListener('click', openRow);
  table.addEventListener('keydown', openRow);
  return { table, body };
}

function renderOperations(generation) {
  const selects = {};
  const filterBar = el('form', { class: 'filters', role: 'search' });
  filterBar.addEventListener('submit', (event) => event.preventDefault());
  for (const [name, all] of [
    ['service', 'All services'],
    ['method', 'All methods'],
    ['tool', 'All tools'],
    ['outcome', 'All outcomes'],
  ]) {
    const select = el('select', { name, 'aria-label': all, 'data-all': all });
    select.append(el('option', { value: '', text: all }));
    if (state.filters[name]) select.append(el('option', { value: state.filters[name], text: state.filters[name] }));
    select.value = state.filters[name];
    select.addEventListener('change', () => {
      state.filters[name] = select.value;
      reload();
    });
    selects[name] = select;
    filterBar.append(select);
  }
  const search = el('input', {
    type: 'search',
    name: 'q',
    placeholder: 'Search method, tool, service, error…',
    'aria-label': 'Search',
    value: state.filters.q,
  });
  let typing;
  search.addEventListener('input', () => {
    window.clearTimeout(typing);
    typing = window.setTimeout(() => {
      state.filters.q = search.value;
      reload();
    }, 200);
  });
  filterBar.append(search);

  const { table, body } = operationsTable(true);
  const empty = el('div', { class: 'empty' });
  const older = el('button', { type: 'button', class: 'older', text: 'Older operations', hidden: true });
  main.replaceChildren(el('section', { class: 'view-operations' }, filterBar, table, empty, older));

  const list = { body, empty, older, newest: 0, oldest: Infinity };
  state.list = list;

  function showEmpty() {
    const filtered = Object.values(state.filters).some(Boolean);
    empty.replaceChildren();
    empty.hidden = body.childElementCount > 0;
    if (!empty.hidden) {
      if (filtered) empty.append(el('p', { text: 'No operation matches these filters.' }));
      else {
        empty.append(
          el('p', { class: 'empty-title', text: 'No MCP operation received yet.' }),
          el(
            'p',
            { text: 'Start your MCP server or client with the preload; it sends to the default endpoint by itself:' },
            el('br'),
            el('code', { text: 'node --import @x/mcp-otel/register server.js' }),
          ),
          el('p', {
            text: `Elsewhere, set OTEL_EXPORTER_OTLP_ENDPOINT=${serverInfo?.otlpUrl ?? 'http://localhost:4318'}.`,
          }),
        );
      }
    }
  }

  function answered(answer) {
    fillSelect(selects.service, answer.facets.services);
    fillSelect(selects.method, answer.facets.methods);
    fillSelect(selects.tool, answer.facets.tools);
    fillSelect(selects.outcome, answer.facets.outcomes, OUTCOME_LABELS);
    showStatus(answer.status);
  }

  async function reload() {
    const mine = ++state.generation;
    state.refresh = undefined;
    const answer = await getJson(`/api/operations?${operationsQuery({ limit: LIST_LIMIT })}`);
    if (mine !== state.generation) return;
    const fragment = document.createDocumentFragment();
    for (const operation of answer.operations) fragment.append(operationRow(operation));
    body.replaceChildren(fragment);
    list.newest = answer.operations[0]?.id ?? 0;
    list.oldest = answer.operations.at(-1)?.id ?? Infinity;
    older.hidden = answer.operations.length < LIST_LIMIT;
    answered(answer);
    showEmpty();
    state.refresh = () => newer(mine);
  }

  async function newer(mine) {
    const answer = await getJson(`/api/operations?${operationsQuery({ after: list.newest, limit: LIST_LIMIT })}`);
    if (mine !== state.generation) return;
    if (answer.operations.length === LIST_LIMIT) return reload();
    if (answer.operations.length > 0) {
      const fragment = document.createDocumentFragment();
      for (const operation of answer.operations) fragment.append(operationRow(operation));
      body.prepend(fragment);
      list.newest = answer.operations[0].id;
      while (body.childElementCount > LIST_LIMIT * 5) body.lastElementChild.remove();
    }
    answered(answer);
    showEmpty();
  }

  older.addEventListener('click', async () => {
    const mine = state.generation;
    try {
      const answer = await getJson(`/api/operations?${operationsQuery({ before: list.oldest, limit: LIST_LIMIT })}`);
      if (mine !== state.generation) return;
      const fragment = document.createDocumentFragment();
      for (const operation of answer.operations) fragment.append(operationRow(operation));
      body.append(fragment);
      list.oldest = answer.operations.at(-1)?.id ?? list.oldest;
      older.hidden = answer.operations.length < LIST_LIMIT;
    } catch (error) {
      showProblem(error.message);
    }
  });

  if (generation === state.generation) reload().catch((error) => showProblem(error.message));
}

// ------------------------------------------------------------------------------------------------------------ trace

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

async function renderTrace(generation) {
  const { traceId } = state.route;
  state.trace = undefined;
  main.replaceChildren(el('p', { class: 'muted', text: 'Loading trace…' }));
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
  drawTrace(trace, operations?.operations ?? []);
  state.refresh = () => refreshTrace(generation);
}

/** Spans of a trace arrive from each process separately: a trace on screen is redrawn when it has more. */
async function refreshTrace(generation) {
  const trace = await getJson(`/api/trace/${encodeURIComponent(state.route.traceId)}`);
  if (generation !== state.generation || !state.trace) return;
  if (trace.spans.length === state.trace.spans.length && trace.logs.length === state.trace.logs.length) return;
  const operations = await getJson(
    `/api/operations?${new URLSearchParams({ trace: state.route.traceId, limit: '1000' })}`,
  ).catch(() => undefined);
  if (generation !== state.generation) return;
  drawTrace(trace, operations?.operations ?? []);
}

function drawTrace(trace, operations) {
  const spans = trace.spans;
  const start = Math.min(...spans.map((span) => span.startMs));
  const end = Math.max(...spans.map((span) => span.endMs));
  const total = Math.max(end - start, 0.001);
  const colours = serviceColours(spans);
  const bySpan = new Map(operations.map((operation) => [operation.spanId, operation]));
  const rows = spanTree(spans);
  state.trace = { ...trace, start, total, colours, bySpan, byId: new Map(spans.map((span) => [span.spanId, span])) };

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

function selectSpan(spanId) {
  const trace = state.trace;
  if (!trace) return;
  const span = trace.byId.get(spanId) ?? trace.spans[0];
  for (const row of trace.rowsBox.querySelectorAll('.span-row.selected')) row.classList.remove('selected');
  const row = trace.rowsBox.querySelector(`[data-span="${CSS.escape(span.spanId)}"]`);
  row?.classList.add('selected');
  document.getElementById('details')?.replaceChildren(...spanDetails(span));
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

// ---------------------------------------------------------------------------------------------------------- session

async function renderSession(generation) {
  const { session } = state.route;
  main.replaceChildren(el('p', { class: 'muted', text: 'Loading session…' }));
  const draw = async () => {
    let answer;
    try {
      answer = await getJson(`/api/session/${encodeURIComponent(session)}?limit=1000`);
    } catch (error) {
      if (generation !== state.generation) return;
      if (error.status !== 404) throw error;
      main.replaceChildren(el('p', { class: 'empty', text: 'No operation of this session is stored.' }));
      return;
    }
    if (generation !== state.generation) return;
    const operations = answer.operations;
    const { table, body } = operationsTable(false);
    const fragment = document.createDocumentFragment();
    for (const operation of operations) fragment.append(operationRow(operation, { showSession: false }));
    body.append(fragment);
    const first = operations[0];
    const last = operations.at(-1);
    const services = [...new Set(operations.map((operation) => operation.service))];
    main.replaceChildren(
      el(
        'section',
        { class: 'view-session' },
        el('h2', {}, 'Session ', el('code', { text: session })),
        el(
          'p',
          { class: 'muted' },
          `${plural(operations.length, 'operation')} of ${services.join(', ')}, `,
          `${formatDate(first.startMs)} to ${formatTime(last.startMs + last.durationMs)}, oldest first`,
        ),
        table,
      ),
    );
    showStatus(answer.status);
  };
  try {
    await draw();
  } catch (error) {
    showProblem(error.message);
  }
  state.refresh = () => (generation === state.generation ? draw() : undefined);
}

// ------------------------------------------------------------------------------------------------------------ stats

async function renderStats(generation) {
  main.replaceChildren(el('p', { class: 'muted', text: 'Loading…' }));
  const draw = async () => {
    const stats = await getJson('/api/stats');
    if (generation !== state.generation) return;
    main.replaceChildren(
      el(
        'section',
        { class: 'view-stats' },
        el('h2', { text: 'Per tool' }),
        statsTable(stats.tools, true),
        el('h2', { text: 'Per server and client' }),
        el('p', { class: 'muted', text: 'Every MCP method a service served (server) or sent (client).' }),
        statsTable(stats.servers, false),
        el('p', {
          class: 'muted',
          text:
            'From the duration histograms (mcp.server.operation.duration, mcp.client.operation.duration); ' +
            'percentiles are interpolated within their buckets.',
        }),
      ),
    );
  };
  try {
    await draw();
  } catch (error) {
    showProblem(error.message);
  }
  state.refresh = () => (generation === state.generation ? draw() : undefined);
}

function statsTable(rows, perTool) {
  if (rows.length === 0) {
    return el('p', {
      class: 'empty',
      text: perTool ? 'No tool call measured yet.' : 'No server or client measured yet.',
    });
  }
  const headings = [
    ...(perTool ? ['Tool'] : []),
    'Service',
    'Side',
    'Calls',
    'p50',
    'p95',
    'p99',
    'Errors',
    'Durations',
  ];
  const body = el('tbody');
  for (const row of rows) {
    const rate = el('td', { class: 'number', text: `${(row.errorRate * 100).toFixed(1)}%` });
    if (row.errors > 0) rate.classList.add('has-errors');
    body.append(
      el(
        'tr',
        {},
        perTool ? el('td', { class: 'what', text: row.tool }) : undefined,
        el('td', { class: 'service', text: row.service }),
        el('td', { text: row.side }),
        el('td', { class: 'number', text: formatCount(row.count) }),
        el('td', { class: 'number', text: formatDuration(row.p50) }),
        el('td', { class: 'number', text: formatDuration(row.p95) }),
        el('td', { class: 'number', text: formatDuration(row.p99) }),
        rate,
        el('td', {}, bucketChart(row)),
      ),
    );
  }
  return el(
    'table',
    { class: perTool ? 'stats per-tool' : 'stats per-service' },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...headings.map((text) => el('th', { class: /^(Calls|p|Errors)/.test(text) ? 'number' : undefined, text })),
      ),
    ),
    body,
  );
}

/** The histogram's buckets as small bars, drawn with SVG elements (never from a string). */
function bucketChart(row) {
  const width = 160;
  const height = 28;
  const counts = row.bucketCounts;
  const max = Math.max(1, ...counts);
  const chart = svg('svg', {
    class: 'chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `durations of ${formatCount(row.count)} calls by bucket`,
  });
  const step = width / Math.max(counts.length, 1);
  counts.forEach((count, i) => {
    const barHeight = count === 0 ? 0 : Math.max((count / max) * (height - 2), 1.5);
    const bar = svg('rect', {
      x: (i * step + 0.5).toFixed(2),
      y: (height - barHeight).toFixed(2),
      width: Math.max(step - 1, 0.5).toFixed(2),
      height: barHeight.toFixed(2),
      class: count === 0 ? 'bucket empty' : 'bucket',
    });
    const low = i === 0 ? 0 : row.boundsMs[i - 1];
    const high = i < row.boundsMs.length ? row.boundsMs[i] : Infinity;
    const title = svg('title', {});
    title.textContent = `${formatCount(count)} calls ${high === Infinity ? `over ${formatDuration(low)}` : `${formatDuration(low)} to ${formatDuration(high)}`}`;
    bar.append(title);
    chart.append(bar);
  });
  chart.append(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'axis' }));
  return chart;
}

// ------------------------------------------------------------------------------------------------------------ start

window.addEventListener('hashchange', render);
loadInfo().then(() => {
  render();
  listen();
});
