// The audit trail: every retry, remove and replay, from the console and from the CLI.

import {downloadExport, getJson} from './api.js';
import {badge, errorBox, fill, fmtCount, h, pageTitle, timeEl} from './dom.js';
import {dataTable, exportButtons} from './table.js';

function filterText(text) {
  if (!text) return '–';
  try {
    const parsed = JSON.parse(text);
    return JSON.stringify(parsed, null, 1).replace(/\n\s*/g, ' ');
  } catch (e) {
    return text;
  }
}

export async function renderAudit(main, route) {
  const after = route.params.get('after') || '';
  const content = h('div', {class: 'content'}, h('p', {class: 'loading'}, 'Loading…'));
  fill(main, pageTitle('Actions'),
      h('p', {class: 'lead'}, 'Every retry, remove and replay, by the console or the CLI, with ' +
        'who asked, the filter used and how many rows it touched.'), content);
  try {
    const data = await getJson('/api/actions', {after, limit: 50});
    const columns = [
      {key: 'id', label: '#', num: true},
      {key: 'at', label: 'When', render: (a) => timeEl(a.at)},
      {key: 'who', label: 'Who'},
      {key: 'action', label: 'Action', render: (a) =>
        badge(a.action, a.action === 'remove' ? 'error' : 'info')},
      {key: 'origin', label: 'From'},
      {key: 'filter', label: 'Filter', cls: 'mono wrap', render: (a) => filterText(a.filter)},
      {key: 'count', label: 'Asked', num: true, render: (a) => fmtCount(a.count)},
      {key: 'done', label: 'Done', num: true, render: (a) => fmtCount(a.done)},
      {key: 'refused', label: 'Refused', num: true, render: (a) => (a.refused ?
        h('strong', {class: 'warn-text'}, fmtCount(a.refused)) : '0')},
    ];
    const serverExport = (format) => downloadExport('/api/actions', {}, format, 'actions');
    fill(content, 
        h('div', {class: 'table-tools'}, h('span', {class: 'summary'},
            after ? `Actions past #${after}` : 'Actions'),
        exportButtons('actions', 'the actions', {columns, rows: data.actions, serverExport})),
        dataTable({caption: 'Actions', columns, rows: data.actions,
          emptyText: 'No actions yet.'}).el,
        h('nav', {class: 'pager', 'aria-label': 'Pages'},
            after ? h('a', {class: 'btn', href: '#/actions'}, '⇤ First page') : null,
            data.next_after !== null && data.next_after !== undefined ?
              h('a', {class: 'btn', rel: 'next', href: `#/actions?after=${data.next_after}`},
                  'Next 50 →') : null));
  } catch (e) {
    fill(content, errorBox(e));
  }
}
