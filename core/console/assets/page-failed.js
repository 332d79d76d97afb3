// The failed messages: their groups (the console's first page) and one group's messages.

import {downloadExport, getJson} from './api.js';
import {badge, clear, errorBox, field, fill, fmtCount, fromLocalInput, h, pageTitle, timeEl,
  toLocalInput} from './dom.js';
import {runFailedAction} from './failed-actions.js';
import {dataTable, exportButtons} from './table.js';

const FILTER_KEYS = ['consumer', 'name', 'error_class', 'q', 'status', 'range', 'since', 'until'];
const RANGES = {'1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3};
const PAGE_SIZE = 50;

/** Groups seen on the groups page, so a group's page can show its header at once. */
const groupCache = new Map();

/** The filters of a route, as they appear in its hash. */
function routeFilters(params) {
  const filters = {};
  for (const key of FILTER_KEYS) if (params.get(key)) filters[key] = params.get(key);
  return filters;
}

/** The API's filter parameters for route filters (a "last hour" range becomes since=now-1h). */
export function apiFilter(filters) {
  const api = {};
  for (const key of ['consumer', 'name', 'error_class', 'q', 'status'])
    if (filters[key]) api[key] = filters[key];
  if (RANGES[filters.range]) {
    api.since = Date.now() - RANGES[filters.range];
  } else if (filters.range === 'custom') {
    if (filters.since) api.since = Number(filters.since);
    if (filters.until) api.until = Number(filters.until);
  }
  return api;
}

function hashWith(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

function filterForm(filters, onApply) {
  const input = (name, label, placeholder) => field(label,
      h('input', {type: 'text', name, value: filters[name] || '', placeholder, autocomplete: 'off'}));
  const range = h('select', {name: 'range'},
      [['', 'any time'], ['1h', 'the last hour'], ['24h', 'the last 24 hours'],
        ['7d', 'the last 7 days'], ['custom', 'between…']].map(([value, text]) =>
        h('option', {value, selected: (filters.range || '') === value}, text)));
  const since = h('input', {type: 'datetime-local', name: 'since', value: toLocalInput(filters.since)});
  const until = h('input', {type: 'datetime-local', name: 'until', value: toLocalInput(filters.until)});
  const custom = h('div', {class: 'field-pair', hidden: filters.range !== 'custom'},
      field('From', since), field('Until', until));
  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
  });
  const status = h('select', {name: 'status'},
      [['', 'failed'], ['retry', 'waiting for a retry'], ['all', 'failed and retry']].map(
          ([value, text]) => h('option', {value, selected: (filters.status || '') === value}, text)));
  const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter failed messages'},
      input('consumer', 'Consumer', 'orders'),
      input('name', 'Message name', 'order.placed'),
      input('error_class', 'Error class', 'HandlerFailed'),
      input('q', 'Error text contains', 'timeout'),
      field('Failed within', range),
      field('Rows', status),
      custom,
      h('div', {class: 'filter-buttons'},
          h('button', {type: 'submit', class: 'btn btn-primary'}, 'Apply'),
          h('button', {type: 'button', class: 'btn', onclick: () => onApply({})}, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = {};
    for (const key of ['consumer', 'name', 'error_class', 'q', 'status', 'range']) {
      const value = form.elements[key].value.trim();
      if (value) next[key] = value;
    }
    if (next.range === 'custom') {
      next.since = fromLocalInput(since.value);
      next.until = fromLocalInput(until.value);
    }
    onApply(next);
  });
  return form;
}

function groupColumns(ctx, filters, resultEl, reload) {
  const columns = [
    {key: 'message_name', label: 'Message', render: (g) => h('div', {},
        h('a', {href: hashWith(`#/failed/group/${encodeURIComponent(g.group)}`, filters),
          class: 'strong', 'data-group': g.group}, g.message_name || '(no name)'),
        h('div', {class: 'sub'}, g.consumer))},
    {key: 'consumer', label: 'Consumer', noShow: true},
    {key: 'error_class', label: 'Error', render: (g) => h('div', {class: 'error-cell'},
        badge(g.error_class, 'error'), h('span', {class: 'fingerprint', title: g.sample_error},
            g.fingerprint))},
    {key: 'count', label: 'Count', num: true, render: (g) => fmtCount(g.count)},
    {key: 'first_seen', label: 'First seen', render: (g) => timeEl(g.first_seen)},
    {key: 'last_seen', label: 'Last seen', render: (g) => timeEl(g.last_seen)},
  ];
  if (!ctx.session.read_only)
    columns.push({key: 'actions', label: 'Actions', noExport: true, render: (g) => h('div',
        {class: 'row-actions'},
        ['retry', 'remove'].map((action) => h('button', {type: 'button',
          class: ['btn', 'btn-small', action === 'remove' && 'btn-danger-outline'],
          'data-action': action, 'aria-label': `${action} the ${fmtCount(g.count)} messages of ` +
            `${g.message_name} in ${g.consumer}`,
          onclick: () => runFailedAction({action, consumer: g.consumer, resultEl, onDone: reload,
            label: `all ${fmtCount(g.count)} messages of ${g.message_name} (${g.error_class})`,
            target: {group: g.group, filter: apiFilter(filters), count: g.count}})},
        action === 'retry' ? 'Retry all' : 'Remove all')))});
  return columns.filter((c) => !c.noShow);
}

export async function renderGroups(main, route, ctx) {
  const filters = routeFilters(route.params);
  const page = Math.max(1, Number(route.params.get('page')) || 1);
  const resultEl = h('div', {class: 'result'});
  const content = h('div', {class: 'content', 'aria-busy': 'true'}, h('p', {class: 'loading'}, 'Loading…'));
  const apply = (next) => ctx.navigate(hashWith('#/failed', next));
  // On a phone the filters fold away (unless some are set) so the groups show first.
  const active = Object.keys(filters).length;
  const filterBox = h('details', {class: 'filter-box',
    open: active > 0 || window.matchMedia('(min-width: 721px)').matches},
  h('summary', {}, active ? `Filters (${active} set)` : 'Filters'), filterForm(filters, apply));
  fill(main, pageTitle('Failed messages'), filterBox, resultEl, content);

  const load = async () => {
    const data = await getJson('/api/failed/groups',
        {...apiFilter(filters), page, page_size: PAGE_SIZE});
    data.groups.forEach((g) => groupCache.set(g.group, g));
    const columns = groupColumns(ctx, filters, resultEl, load);
    const pages = Math.max(1, Math.ceil(data.total_groups / (data.page_size || PAGE_SIZE)));
    const serverExport = (format) => downloadExport('/api/failed/groups', apiFilter(filters), format,
        'failed-groups');
    fill(content, 
        h('div', {class: 'table-tools'},
            h('span', {class: 'summary', 'data-summary': ''}, `${fmtCount(data.total_groups)} group` +
              `${data.total_groups === 1 ? '' : 's'}, ${fmtCount(data.groups.reduce((n, g) => n + g.count, 0))}` +
              ' messages on this page'),
            exportButtons('failed-groups', 'the groups', {columns, rows: data.groups, serverExport})),
        dataTable({caption: 'Groups of failed messages', columns, rows: data.groups,
          rowKey: (g) => g.group, emptyText: 'No failed messages match.'}).el,
        pager(page, pages, (p) => hashWith('#/failed', {...filters, page: p})));
    content.removeAttribute('aria-busy');
  };
  try {
    await load();
  } catch (e) {
    fill(content, errorBox(e));
  }
}

function pager(page, pages, hashOf) {
  if (pages <= 1) return null;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'},
      page > 1 ? h('a', {class: 'btn', href: hashOf(page - 1), rel: 'prev'}, '← Previous') : null,
      h('span', {}, `Page ${page} of ${fmtCount(pages)}`),
      page < pages ? h('a', {class: 'btn', href: hashOf(page + 1), rel: 'next'}, 'Next →') : null);
}

function groupHeader(group, total) {
  return h('section', {class: 'card group-card'},
      h('dl', {class: 'facts'},
          h('dt', {}, 'Consumer'), h('dd', {}, group.consumer || '–'),
          h('dt', {}, 'Error class'), h('dd', {}, badge(group.error_class || '–', 'error')),
          h('dt', {}, 'Messages'), h('dd', {'data-total': String(total)}, fmtCount(total)),
          group.first_seen ? [h('dt', {}, 'First seen'), h('dd', {}, timeEl(group.first_seen)),
            h('dt', {}, 'Last seen'), h('dd', {}, timeEl(group.last_seen))] : null),
      h('h2', {class: 'small-title'}, 'Error'),
      h('pre', {class: 'error-text'}, group.sample_error || group.error || ''));
}

function messageColumns() {
  return [
    {key: 'id', label: 'Row', render: (m) => h('a', {href: `#/failed/message/${m.id}`,
      'data-message': String(m.id)}, `#${m.id}`)},
    {key: 'message_id', label: 'Message id', cls: 'mono'},
    {key: 'failed_at', label: 'Failed', render: (m) => timeEl(m.failed_at)},
    {key: 'attempts', label: 'Attempts', num: true},
    {key: 'error', label: 'Error', cls: 'wrap'},
    {key: 'state', label: 'State', value: (m) => [m.queue, m.leased && 'leased',
      m.body_cut && 'body cut'].filter(Boolean).join(' '), render: (m) => h('div', {class: 'badges'},
        m.queue === 'retry' ? badge('retry', 'info') : null,
        m.leased ? badge('running', 'warn') : null,
        m.body_cut ? badge('body cut', 'error') : null)},
  ];
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
  const selected = new Set();

  const load = async () => {
    const params = {group: groupId, ...apiFilter(filters), limit: PAGE_SIZE};
    const data = await getJson('/api/failed/messages', {...params, after});
    const first = data.messages[0] || {};
    const group = groupCache.get(groupId) || first;
    title.querySelector('h1').textContent = group.message_name ?
      `${group.message_name} · ${group.error_class}` : 'Failed group';
    fill(head, groupHeader(group, data.total));
    selected.clear();
    drawBar(data.total, group);
    const columns = messageColumns();
    const serverExport = (format) => downloadExport('/api/failed/messages',
        {group: groupId, ...apiFilter(filters)}, format, 'failed-messages');
    fill(content, 
        h('div', {class: 'table-tools'},
            h('span', {class: 'summary'}, `${fmtCount(data.messages.length)} of ${fmtCount(data.total)}` +
              (after ? ` after row #${after}` : '')),
            exportButtons('failed-messages', 'the messages', {columns, rows: data.messages, serverExport})),
        dataTable({caption: 'Messages of the group', columns, rows: data.messages,
          selectable: !ctx.session.read_only, selected, onSelect: () => drawBar(data.total, group),
          emptyText: 'No messages left in this group.',
          rowClass: (m) => (m.leased || m.body_cut ? 'row-flag' : null)}).el,
        h('nav', {class: 'pager', 'aria-label': 'Pages'},
            after ? h('a', {class: 'btn', href: hashWith(`#/failed/group/${encodeURIComponent(groupId)}`,
                filters)}, '⇤ First page') : null,
            data.next_after !== null && data.next_after !== undefined ? h('a', {class: 'btn', rel: 'next',
              href: hashWith(`#/failed/group/${encodeURIComponent(groupId)}`,
                  {...filters, after: data.next_after})}, 'Next 50 →') : null));
  };

  const drawBar = (total, group) => {
    clear(bar);
    if (ctx.session.read_only) return;
    const run = (action, target, label) => runFailedAction({action, target, label,
      consumer: group.consumer, resultEl, onDone: load});
    const ids = () => [...selected];
    bar.append(
        h('div', {class: 'bar-group', role: 'group', 'aria-label': 'The selected rows'},
            h('button', {type: 'button', class: 'btn', disabled: !selected.size, 'data-action': 'retry-selected',
              onclick: () => run('retry', {ids: ids()})}, `Retry selected (${selected.size})`),
            h('button', {type: 'button', class: 'btn btn-danger-outline', disabled: !selected.size,
              'data-action': 'remove-selected', onclick: () => run('remove', {ids: ids()})},
            `Remove selected (${selected.size})`)),
        h('div', {class: 'bar-group', role: 'group', 'aria-label': 'The whole group'},
            h('button', {type: 'button', class: 'btn btn-primary', disabled: !total, 'data-action': 'retry-group',
              onclick: () => run('retry', {group: groupId, filter: apiFilter(filters), count: total},
                  `all ${fmtCount(total)} messages of this group`)}, `Retry all ${fmtCount(total)}`),
            h('button', {type: 'button', class: 'btn btn-danger', disabled: !total, 'data-action': 'remove-group',
              onclick: () => run('remove', {group: groupId, filter: apiFilter(filters), count: total},
                  `all ${fmtCount(total)} messages of this group`)}, `Remove all ${fmtCount(total)}`)));
  };

  try {
    await load();
  } catch (e) {
    fill(content, errorBox(e));
  }
}
