/* global document, window, location, EventSource, setTimeout */
// The page of `mcp-otel view`: plain DOM, no framework, no build step. Every value shown came from a peer (tool names,
// arguments, error messages): it goes into the page as text (textContent, setAttribute of plain attributes), never as
// HTML, and the only URLs made from data are this page's own #/ routes, encoded.
//
// This module starts the page: the header's endpoint, the live updates (Server-Sent Events) and the hash routes, each
// drawn by its view's module.
import { getJson } from './dom.js';
import { state, showProblem, showStatus } from './shell.js';
import { renderOperations } from './operations.js';
import { refreshTrace, renderTrace, selectSpan } from './trace.js';
import { renderSession } from './session.js';
import { renderStats } from './stats.js';

async function loadInfo() {
  try {
    state.info = await getJson('/api/info');
    document.getElementById('endpoint').textContent = state.info.otlpUrl ?? 'the OTLP/HTTP port of this view';
  } catch (error) {
    showProblem(`The view does not answer: ${error.message}`);
  }
}

/** How long after a refused event stream the page asks again. */
const RECONNECT_MS = 10_000;

function listen() {
  const events = new EventSource('/api/events');
  events.addEventListener('changed', (event) => {
    showProblem('');
    try {
      state.status = JSON.parse(event.data);
      showStatus(state.status);
    } catch {
      return;
    }
    refreshView();
  });
  events.addEventListener('error', () => {
    if (events.readyState === EventSource.OPEN) return;
    showProblem('Lost the connection to the view; reconnecting…');
    // A refused stream (503: too many pages open) is closed for good by the browser: open a new one later, as the
    // answer's Retry-After asks.
    if (events.readyState === EventSource.CLOSED) setTimeout(listen, RECONNECT_MS);
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

// ------------------------------------------------------------------------------------------------------------ start

window.addEventListener('hashchange', render);
loadInfo().then(() => {
  render();
  listen();
});
