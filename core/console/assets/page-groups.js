// The console's first page: failed messages grouped by name, consumer, error class and the
// error's fingerprint, largest first, with a filter and an action per group.

import {downloadExport, getJson} from './api.js';
import {badge, errorBox, fill, fmtCount, h, pageTitle, timeEl} from './dom.js';
import {runFailedAction} from './failed-actions.js';
import {apiFilter, filterForm, groupHash, hashWith, routeFilters} from './failed-filters.js';
import {dataTable, exportButtons} from './table.js';

const PAGE_SIZE = 50;

/** Groups seen on the groups page, so a group's page can show first and last seen. */
export const groupCache = new Map();

function groupActions(g, {query, resultEl, reload}) {
  const run = (action) => runFailedAction({action, consumer: g.consumer, resultEl,
    onDone: reload,
    label: `all ${fmtCount(g.count)} messages of ${g.message_name} (${g.error_class})`,
    target: {group: g.group, filter: query, count: g.count}});
  return h('div', {class: 'row-actions'},
      h('button', {type: 'button', class: 'btn btn-small', 'data-action': 'retry',
        'aria-label': `Retry the ${fmtCount(g.count)} messages of ${g.message_name} in ` +
          g.consumer, onclick: () => run('retry')}, 'Retry all'),
      h('button', {type: 'button', class: 'btn btn-small btn-danger-outline',
        'data-action': 'remove', 'aria-label': `Remove the ${fmtCount(g.count)} messages of ` +
          `${g.message_name} in ${g.consumer}`, onclick: () => run('remove')}, 'Remove all'));
}

function groupColumns(ctx, options) {
  const columns = [
    {key: 'message_name', label: 'Message', render: (g) => h('div', {},
        h('a', {href: groupHash(g.group, options.filters), class: 'strong',
          'data-group': g.group}, g.message_name || '(no name)'),
        h('div', {class: 'sub'}, g.consumer))},
    {key: 'error_class', label: 'Error', render: (g) => h('div', {class: 'error-cell'},
        badge(g.error_class, 'error'),
        h('span', {class: 'fingerprint', title: g.sample_error}, g.fingerprint))},
    {key: 'count', label: 'Count', num: true, render: (g) => fmtCount(g.count)},
    {key: 'first_seen', label: 'First seen', render: (g) => timeEl(g.first_seen)},
    {key: 'last_seen', label: 'Last seen', render: (g) => timeEl(g.last_seen)},
  ];
  if (!ctx.session.read_only) {
    columns.push({key: 'actions', label: 'Actions', noExport: true,
      render: (g) => groupActions(g, options)});
  }
  return columns;
}

function pager(page, pages, hashOf) {
  if (pages <= 1) return null;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'},
      page > 1 ? h('a', {class: 'btn', href: hashOf(page - 1), rel: 'prev'}, '← Previous') : null,
      h('span', {}, `Page ${page} of ${fmtCount(pages)}`),
      page < pages ? h('a', {class: 'btn', href: hashOf(page + 1), rel: 'next'}, 'Next →') : null);
}

function summaryText(data) {
  const messages = data.groups.reduce((n, g) => n + g.count, 0);
  return `${fmtCount(data.total_groups)} group${data.total_groups === 1 ? '' : 's'}, ` +
    `${fmtCount(messages)} messages on this page`;
}

export async function renderGroups(main, route, ctx) {
  const filters = routeFilters(route.params);
  const page = Math.max(1, Number(route.params.get('page')) || 1);
  const resultEl = h('div', {class: 'result'});
  const content = h('div', {class: 'content'}, h('p', {class: 'loading'}, 'Loading…'));
  const apply = (next) => ctx.navigate(hashWith('#/failed', next));
  // On a phone the filters fold away (unless some are set) so the groups show first.
  const active = Object.keys(filters).length;
  const filterBox = h('details', {class: 'filter-box',
    open: active > 0 || window.matchMedia('(min-width: 721px)').matches},
  h('summary', {}, active ? `Filters (${active} set)` : 'Filters'), filterForm(filters, apply));
  fill(main, pageTitle('Failed messages'), filterBox, resultEl, content);

  const load = async () => {
    const query = apiFilter(filters);
    const data = await getJson('/api/failed/groups', {...query, page, page_size: PAGE_SIZE});
    data.groups.forEach((g) => groupCache.set(g.group, g));
    const columns = groupColumns(ctx, {filters, query, resultEl, reload: load});
    const pages = Math.max(1, Math.ceil(data.total_groups / (data.page_size || PAGE_SIZE)));
    const serverExport = (format) =>
      downloadExport('/api/failed/groups', query, format, 'failed-groups');
    fill(content,
        h('div', {class: 'table-tools'},
            h('span', {class: 'summary'}, summaryText(data)),
            exportButtons('failed-groups', 'the groups',
                {columns, rows: data.groups, serverExport})),
        dataTable({caption: 'Groups of failed messages', columns, rows: data.groups,
          rowKey: (g) => g.group, emptyText: 'No failed messages match.'}).el,
        pager(page, pages, (p) => hashWith('#/failed', {...filters, page: p})));
  };
  try {
    await load();
  } catch (e) {
    fill(content, errorBox(e));
  }
}
