/* global document */
// What every view of the page shares: its state (the route, the filters, what a change of the store refreshes), the
// main area, the header's counts and the banners.
import { el, formatCount } from './dom.js';

export const main = document.getElementById('main');
export const state = {
  route: { view: 'operations' },
  filters: { service: '', method: '', tool: '', outcome: '', q: '' },
  /** What GET /api/info said: the OTLP endpoint to show. */
  info: undefined,
  /** The trace on screen: its spans, logs, scale and colours (trace.js). */
  trace: undefined,
  /** The store's status as the last `changed` event said it. */
  status: undefined,
  /** What the current view refreshes when the store changes. */
  refresh: undefined,
  refreshing: false,
  refreshAgain: false,
  /** Counts the view fetches each render; an answer to an older render is dropped. */
  generation: 0,
};

export function showProblem(message) {
  const banner = document.getElementById('problem');
  banner.textContent = message ?? '';
  banner.hidden = !message;
}

export function showStatus(status) {
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
  const sentences = parts.length ? [`Dropped, oldest first, at the caps: ${parts.join(', ')}.`] : [];
  // Refused by the receiver (400, 413, 415), not dropped at a cap: its own sentence.
  const refused = status.rejectedRequests;
  if (refused > 0)
    sentences.push(
      `${formatCount(refused)} request${refused === 1 ? '' : 's'} refused (malformed, too large or of another type).`,
    );
  dropped.textContent = sentences.join(' ');
  dropped.hidden = sentences.length === 0;
}
