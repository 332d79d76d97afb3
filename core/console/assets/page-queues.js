// Queues: depth, unacked, consumers and the oldest message of each consumer queue, with the last
// hour as a chart, refreshed while the page is open.

import {getJson} from './api.js';
import {lineChart, seriesColor} from './chart.js';
import {badge, errorBox, fill, fmtAge, fmtCount, fmtTime, h, pageTitle} from './dom.js';
import {dataTable, exportButtons} from './table.js';

const REFRESH_MS = 10000;
const HOUR_MS = 3600e3;

function queueTable(queues) {
  const columns = [
    {key: 'name', label: 'Queue', cls: 'strong', render: (q) => (q.exists === false ?
      h('span', {}, q.name, ' ', badge('missing', 'error')) : q.name)},
    {key: 'consumer', label: 'Consumer'},
    {key: 'ready', label: 'Ready', num: true, render: (q) => fmtCount(q.ready)},
    {key: 'unacked', label: 'Unacked', num: true, render: (q) => fmtCount(q.unacked)},
    {key: 'consumers', label: 'Consumers', num: true, render: (q) => (q.consumers === 0 ?
      h('strong', {class: 'warn-text'}, '0') : fmtCount(q.consumers))},
    {key: 'oldest_ms', label: 'Oldest message', render: (q) => (q.oldest_ms ?
      h('span', {title: new Date(q.oldest_ms).toISOString()}, fmtAge(q.oldest_ms)) : '–')},
  ];
  return [h('div', {class: 'table-tools'}, h('h2', {}, 'Queues'),
      exportButtons('queues', 'the queues', {columns, rows: queues})),
  dataTable({caption: 'Queues', columns, rows: queues, emptyText: 'No consumer queues configured.',
    rowClass: (q) => (q.consumers === 0 || q.exists === false ? 'row-flag' : null)}).el];
}

function chartOf(data, now, width) {
  const series = [];
  Object.keys(data.history || {}).sort().forEach((name, i) => {
    const points = data.history[name] || [];
    const color = seriesColor(i);
    series.push({name: `${name} ready`, color, points: points.map((p) => [p[0], p[1]])});
    series.push({name: `${name} unacked`, color, dashed: true,
      points: points.map((p) => [p[0], p[2]])});
  });
  if (!series.length)
    return h('p', {class: 'hint'},
        'No samples yet: the console records one every 10 s while it runs.');
  return lineChart({series, from: now - HOUR_MS, to: now, width,
    label: 'Ready and unacked messages per queue over the last hour'});
}

export async function renderQueues(main, route, ctx) {
  const status = h('p', {class: 'hint', 'aria-live': 'off'});
  const errorEl = h('div', {});
  const tableEl = h('section', {class: 'card'}, h('p', {class: 'loading'}, 'Loading…'));
  const chartEl = h('div', {});
  let paused = false;
  const pause = h('button', {type: 'button', class: 'btn btn-small', 'aria-pressed': 'false',
    onclick: () => {
      paused = !paused;
      pause.setAttribute('aria-pressed', String(paused));
      pause.textContent = paused ? 'Resume live updates' : 'Pause live updates';
    }}, 'Pause live updates');
  fill(main, pageTitle('Queues', h('div', {class: 'live'}, status, pause)), errorEl, tableEl,
      h('section', {class: 'card'}, h('h2', {}, 'The last hour'), chartEl));

  const load = async () => {
    try {
      const data = await getJson('/api/queues');
      const now = Date.now();
      fill(errorEl, data.error ? h('p', {class: 'notice notice-warn', role: 'status'},
          `Some figures are missing: ${data.error}`) : null);
      fill(tableEl, ...queueTable(data.queues || []));
      fill(chartEl, chartOf(data, now, chartEl.clientWidth));
      status.textContent = `Live, updated ${fmtTime(now).slice(11)}`;
    } catch (e) {
      fill(errorEl, errorBox(e));
      status.textContent = 'Not updated';
    }
  };
  await load();
  const timer = setInterval(() => paused || load(), REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}
