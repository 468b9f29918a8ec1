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
