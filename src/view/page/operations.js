/* global document, window, location, URLSearchParams */
// The operations view (the default): the live list of MCP operations, newest first, its filters and search; and the
// operation rows and table the session view shares.
import {
  OUTCOME_LABELS,
  el,
  route,
  getJson,
  formatTime,
  formatDate,
  formatDuration,
  outcomeBadge,
  kindLabel,
} from './dom.js';
import { main, state, showProblem, showStatus } from './shell.js';

/** How many operations the list fetches at a time; older ones are a click on "older" away. */
const LIST_LIMIT = 200;

function operationsQuery(extra) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(state.filters)) if (value) query.set(name, value);
  for (const [name, value] of Object.entries(extra ?? {})) query.set(name, String(value));
  return query.toString();
}

function fillSelect(select, values, labels) {
  const chosen = select.value;
  // A fragment, not replaceChildren(...options): a peer can send 100,000 tool names, and a spread that long overflows
  // the stack.
  const options = document.createDocumentFragment();
  options.append(el('option', { value: '', text: select.dataset.all }));
  for (const value of values) options.append(el('option', { value, text: labels?.[value] ?? value }));
  select.replaceChildren(options);
  // A value the store no longer holds stays chosen until the user changes it.
  if (chosen && !values.includes(chosen))
    select.append(el('option', { value: chosen, text: labels?.[chosen] ?? chosen }));
  select.value = chosen;
}

export function operationRow(operation, { showSession = true } = {}) {
  const target = operation.target ? el('span', { class: 'target', text: operation.target }) : undefined;
  const detail = operation.statusMessage ?? operation.errorType;
  const row = el(
    'tr',
    {
      class: 'operation',
      tabindex: 0,
      'data-id': String(operation.id),
      'data-trace': operation.traceId,
      'data-span': operation.spanId,
    },
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

export function operationsTable(showSession) {
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

export function renderOperations(generation) {
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
      reload().catch((error) => showProblem(error.message));
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
      reload().catch((error) => showProblem(error.message));
    }, 200);
  });
  filterBar.append(search);

  const { table, body } = operationsTable(true);
  const empty = el('div', { class: 'empty' });
  const older = el('button', { type: 'button', class: 'older', text: 'Older operations', hidden: true });
  main.replaceChildren(el('section', { class: 'view-operations' }, filterBar, table, empty, older));

  const list = { body, empty, older, newest: 0, oldest: Infinity };

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
            text: `Elsewhere, set OTEL_EXPORTER_OTLP_ENDPOINT=${state.info?.otlpUrl ?? 'http://localhost:4318'}.`,
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
      if (body.childElementCount > LIST_LIMIT * 5) {
        while (body.childElementCount > LIST_LIMIT * 5) body.lastElementChild.remove();
        // "Older operations" goes on from the last row still shown, not from the rows just taken away.
        list.oldest = Number(body.lastElementChild.dataset.id);
        older.hidden = false;
      }
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
