// One group of failed messages: its error, its messages 50 at a time (keyset paging by row
// id, so rows settled meanwhile never shift a page), and actions on a selection or the group.

import {downloadExport, getJson} from './api.js';
import {badge, errorBox, fill, fmtCount, h, pageTitle, timeEl} from './dom.js';
import {runFailedAction} from './failed-actions.js';
import {apiFilter, groupHash, hashWith, routeFilters} from './failed-filters.js';
import {groupCache} from './page-groups.js';
import {dataTable, exportButtons} from './table.js';

const PAGE_SIZE = 50;

function groupHeader(group, total) {
  const seen = group.first_seen ? [
    h('dt', {}, 'First seen'), h('dd', {}, timeEl(group.first_seen)),
    h('dt', {}, 'Last seen'), h('dd', {}, timeEl(group.last_seen)),
  ] : null;
  return h('section', {class: 'card group-card'},
      h('dl', {class: 'facts'},
          h('dt', {}, 'Consumer'), h('dd', {}, group.consumer || '–'),
          h('dt', {}, 'Error class'), h('dd', {}, badge(group.error_class || '–', 'error')),
          h('dt', {}, 'Messages'), h('dd', {'data-total': String(total)}, fmtCount(total)),
          seen),
      h('h2', {class: 'small-title'}, 'Error'),
      h('pre', {class: 'error-text'}, group.sample_error || group.error || ''));
}

function stateOf(m) {
  return [m.queue, m.leased && 'leased', m.body_cut && 'body cut'].filter(Boolean).join(' ');
}

function messageColumns() {
  return [
    {key: 'id', label: 'Row', render: (m) =>
      h('a', {href: `#/failed/message/${m.id}`, 'data-message': String(m.id)}, `#${m.id}`)},
    {key: 'message_id', label: 'Message id', cls: 'mono'},
    {key: 'failed_at', label: 'Failed', render: (m) => timeEl(m.failed_at)},
    {key: 'attempts', label: 'Attempts', num: true},
    {key: 'error', label: 'Error', cls: 'wrap'},
    {key: 'state', label: 'State', value: stateOf, render: (m) => h('div', {class: 'badges'},
        m.queue && m.queue !== 'failed' ? badge(m.queue, 'info') : null,
        m.leased ? badge('running', 'warn') : null,
        m.body_cut ? badge('body cut', 'error') : null)},
  ];
}

/** The action buttons: the rows ticked, and the whole group as the page counted it. */
function actionBar({selected, total, run}) {
  const ids = () => [...selected];
  const whole = `all ${fmtCount(total)} messages of this group`;
  return [
    h('div', {class: 'bar-group', role: 'group', 'aria-label': 'The selected rows'},
        h('button', {type: 'button', class: 'btn', disabled: !selected.size,
          'data-action': 'retry-selected', onclick: () => run('retry', {ids: ids()})},
        `Retry selected (${selected.size})`),
        h('button', {type: 'button', class: 'btn btn-danger-outline', disabled: !selected.size,
          'data-action': 'remove-selected', onclick: () => run('remove', {ids: ids()})},
        `Remove selected (${selected.size})`)),
    h('div', {class: 'bar-group', role: 'group', 'aria-label': 'The whole group'},
        h('button', {type: 'button', class: 'btn btn-primary', disabled: !total,
          'data-action': 'retry-group', onclick: () => run('retry', null, whole)},
        `Retry all ${fmtCount(total)}`),
        h('button', {type: 'button', class: 'btn btn-danger', disabled: !total,
          'data-action': 'remove-group', onclick: () => run('remove', null, whole)},
        `Remove all ${fmtCount(total)}`)),
  ];
}

function pager(groupId, filters, after, nextAfter) {
  const more = nextAfter !== null && nextAfter !== undefined;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'},
      after ? h('a', {class: 'btn', href: groupHash(groupId, filters)}, '⇤ First page') : null,
      more ? h('a', {class: 'btn', rel: 'next',
        href: groupHash(groupId, {...filters, after: nextAfter})}, 'Next 50 →') : null);
}

export async function renderGroup(main, route, ctx) {
  const groupId = decodeURIComponent(route.rest);
  const filters = routeFilters(route.params);
  const after = route.params.get('after') || '';
  const resultEl = h('div', {class: 'result'});
  const head = h('div', {});
  const bar = h('div', {class: 'action-bar'});
  const content = h('div', {class: 'content'}, h('p', {class: 'loading'}, 'Loading…'));
  const title = pageTitle('Failed group');
  fill(main, h('p', {}, h('a', {href: hashWith('#/failed', filters)}, '← All groups')),
      title, head, bar, resultEl, content);

  const load = async () => {
    const query = apiFilter(filters);
    const data = await getJson('/api/failed/messages',
        {group: groupId, ...query, after, limit: PAGE_SIZE});
    const group = groupCache.get(groupId) || data.messages[0] || {};
    title.querySelector('h1').textContent = group.message_name ?
      `${group.message_name} · ${group.error_class}` : 'Failed group';
    fill(head, groupHeader(group, data.total));
    const selected = new Set();
    const run = (action, ids, label) => runFailedAction({action, label, resultEl,
      consumer: group.consumer, onDone: load,
      target: ids || {group: groupId, filter: query, count: data.total}});
    const drawBar = () => fill(bar, ctx.session.read_only ? null :
      actionBar({selected, total: data.total, run}));
    drawBar();
    const columns = messageColumns();
    const serverExport = (format) => downloadExport('/api/failed/messages',
        {group: groupId, ...query}, format, 'failed-messages');
    const shown = `${fmtCount(data.messages.length)} of ${fmtCount(data.total)}` +
      (after ? ` after row #${after}` : '');
    fill(content,
        h('div', {class: 'table-tools'}, h('span', {class: 'summary'}, shown),
            exportButtons('failed-messages', 'the messages',
                {columns, rows: data.messages, serverExport})),
        dataTable({caption: 'Messages of the group', columns, rows: data.messages,
          selectable: !ctx.session.read_only, selected, onSelect: drawBar,
          emptyText: 'No messages left in this group.',
          rowClass: (m) => (m.leased || m.body_cut ? 'row-flag' : null)}).el,
        pager(groupId, filters, after, data.next_after));
  };

  try {
    await load();
  } catch (e) {
    fill(content, errorBox(e));
  }
}
