/* global document */
// The session view: the operations of one MCP session or stdio connection, oldest first.
import { el, getJson, formatTime, formatDate, plural } from './dom.js';
import { main, state, showProblem, showStatus } from './shell.js';
import { operationRow, operationsTable } from './operations.js';

export async function renderSession(generation) {
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
  // Only if the view is still this one: a slow answer must not take the next view's live updates away.
  if (generation === state.generation) state.refresh = draw;
}
