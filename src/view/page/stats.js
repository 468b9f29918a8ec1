// The per-tool and per-server view: calls, percentiles and error rate from the duration histograms, and a chart of
// each row's buckets drawn with SVG elements.
import { el, svg, getJson, formatDuration, formatCount } from './dom.js';
import { main, state, showProblem } from './shell.js';

export async function renderStats(generation) {
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
  // Only if the view is still this one: a slow answer must not take the next view's live updates away.
  if (generation === state.generation) state.refresh = draw;
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
        // A client's rows are per server it called.
        el('td', { text: row.server === undefined ? row.side : `client of ${row.server}` }),
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

/**
 * Bars drawn at most: one per bucket up to this (the SDKs' default histograms have 16 buckets; ours 11). A histogram
 * with more (a sender's custom boundaries) has adjacent buckets summed into this many bars, so that the chart stays a
 * few hundred elements whatever was sent.
 */
const MAX_BARS = 1000;

/** The histogram's buckets as small bars, drawn with SVG elements (never from a string). */
function bucketChart(row) {
  const width = 160;
  const height = 28;
  const bars = barsOf(row.bucketCounts, row.boundsMs);
  // A loop, not Math.max(...counts): a spread of some 100,000 values overflows the stack and the tab with it.
  let max = 1;
  for (const bar of bars) if (bar.count > max) max = bar.count;
  const chart = svg('svg', {
    class: 'chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `durations of ${formatCount(row.count)} calls by bucket`,
  });
  const step = width / Math.max(bars.length, 1);
  bars.forEach(({ count, low, high }, i) => {
    const barHeight = count === 0 ? 0 : Math.max((count / max) * (height - 2), 1.5);
    const bar = svg('rect', {
      x: (i * step + 0.5).toFixed(2),
      y: (height - barHeight).toFixed(2),
      width: Math.max(step - 1, 0.5).toFixed(2),
      height: barHeight.toFixed(2),
      class: count === 0 ? 'bucket empty' : 'bucket',
    });
    const title = svg('title', {});
    title.textContent = `${formatCount(count)} calls ${high === Infinity ? `over ${formatDuration(low)}` : `${formatDuration(low)} to ${formatDuration(high)}`}`;
    bar.append(title);
    chart.append(bar);
  });
  chart.append(svg('line', { x1: 0, y1: height - 0.5, x2: width, y2: height - 0.5, class: 'axis' }));
  return chart;
}

/** The buckets as bars, `low` to `high` each: one per bucket, or adjacent buckets summed when there are too many. */
function barsOf(counts, boundsMs) {
  const perBar = Math.max(1, Math.ceil(counts.length / MAX_BARS));
  const bars = [];
  for (let first = 0; first < counts.length; first += perBar) {
    const last = Math.min(first + perBar, counts.length) - 1;
    let count = 0;
    for (let i = first; i <= last; i++) count += counts[i];
    const low = first === 0 ? 0 : boundsMs[first - 1];
    const high = last < boundsMs.length ? boundsMs[last] : Infinity;
    bars.push({ count, low, high });
  }
  return bars;
}
