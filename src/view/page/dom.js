/* global document, fetch */
// The page's building blocks: elements made with their text (never from HTML), the page's own routes, the API's JSON,
// and how times, durations, counts, outcomes and attribute values are written.

export const OUTCOME_LABELS = {
  ok: 'ok',
  tool_error: 'tool error',
  caller_fault: 'caller fault',
  error: 'error',
  input_required: 'input required',
};
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const SVG = 'http://www.w3.org/2000/svg';

/** An element with text and attributes; children are elements or strings (as text nodes). */
export function el(tag, attributes, ...children) {
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

export function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

/** A route of this page: the only kind of link built from data. */
export function route(...parts) {
  return '#/' + parts.map((part) => encodeURIComponent(part)).join('/');
}

export async function getJson(path) {
  const response = await fetch(path, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = new Error(body.error ?? `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

export function formatTime(ms) {
  const date = new Date(ms);
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

export function formatDate(ms) {
  const date = new Date(ms);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')} ${formatTime(ms)}`;
}

export function formatDuration(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return '–';
  if (ms === 0) return '0';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

export function formatCount(n) {
  return Number(n).toLocaleString('en-US');
}

export function plural(count, noun) {
  return `${formatCount(count)} ${noun}${count === 1 ? '' : 's'}`;
}

export function outcomeBadge(outcome) {
  return el('span', { class: `outcome outcome-${outcome}`, text: OUTCOME_LABELS[outcome] ?? outcome });
}

export function kindLabel(kind) {
  return el('span', { class: `kind kind-${KINDS[kind] ?? 'unspecified'}`, text: KINDS[kind] ?? String(kind) });
}

/**
 * An attribute value as text; strings that hold a JSON object or array (captured content) pretty-printed. Captured
 * content longer than the preload's cap (8,192 characters) was cut and ends with `…`: no longer JSON, it is shown as
 * the text it is, with a note that says so (rather than looking like a value that was sent broken).
 */
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
        if (value.endsWith('…')) {
          return el(
            'div',
            { class: 'cut-value' },
            el('pre', { class: 'json cut', text: value }),
            el('p', { class: 'cut-note', text: `(cut by the preload at ${formatCount(value.length)} characters)` }),
          );
        }
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

export function attributesTable(attributes, emptyText = 'none') {
  const entries = Object.entries(attributes ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return el('p', { class: 'muted', text: emptyText });
  const body = el('tbody');
  for (const [key, value] of entries)
    body.append(el('tr', {}, el('th', { text: key }), el('td', {}, valueNode(value))));
  return el('table', { class: 'attributes' }, body);
}
