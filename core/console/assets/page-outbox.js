// The outbox: what waits to be published per message name, and the delivered trail, from which
// a selection or a time window can be sent again.

import {downloadExport, getJson, postJson} from './api.js';
import {confirmDialog} from './dialog.js';
import {errorBox, field, fill, fmtAge, fmtCount, fromLocalInput, h, pageTitle, timeEl,
  toLocalInput, toast} from './dom.js';
import {dataTable, exportButtons} from './table.js';

const SEARCH_KEYS = ['id', 'message_id', 'name', 'since', 'until'];

function summarySection(data) {
  const columns = [
    {key: 'message_name', label: 'Message name'},
    {key: 'pending', label: 'Pending', num: true, render: (r) => fmtCount(r.pending)},
    {key: 'oldest_pending_ms', label: 'Oldest pending', render: (r) => (r.oldest_pending_ms ?
      h('span', {title: new Date(r.oldest_pending_ms).toISOString()},
          fmtAge(r.oldest_pending_ms)) : '–')},
    {key: 'failing', label: 'Failing to publish', num: true, render: (r) => (r.failing ?
      h('strong', {class: 'warn-text'}, fmtCount(r.failing)) : '0')},
    {key: 'last_error', label: 'Last error', cls: 'wrap'},
  ];
  return h('section', {class: 'card'},
      h('div', {class: 'table-tools'},
          h('h2', {}, `Pending: ${fmtCount(data.pending_total)}`),
          exportButtons('outbox-pending', 'the pending summary', {columns, rows: data.names})),
      dataTable({caption: 'Pending rows per message name', columns, rows: data.names,
        emptyText: 'Nothing waits to be published.',
        rowClass: (r) => (r.failing ? 'row-flag' : null)}).el);
}

function searchForm(search, onSearch) {
  const text = (name, label, placeholder) => field(label, h('input', {type: 'text', name,
    value: search[name] || '', placeholder, autocomplete: 'off'}));
  const since = h('input', {type: 'datetime-local', name: 'since',
    value: toLocalInput(search.since)});
  const until = h('input', {type: 'datetime-local', name: 'until',
    value: toLocalInput(search.until)});
  const form = h('form', {class: 'filters', role: 'search',
    'aria-label': 'Search the delivered trail'},
      text('id', 'Row id', 'e.g. 1234'), text('message_id', 'Message id', 'a UUID'),
      text('name', 'Message name', 'e.g. order.placed'),
      field('Delivered from', since), field('Delivered until', until),
      h('div', {class: 'filter-buttons'},
          h('button', {type: 'submit', class: 'btn btn-primary'}, 'Search'),
          h('button', {type: 'button', class: 'btn', onclick: () => onSearch({})}, 'Clear')));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = {};
    for (const key of ['id', 'message_id', 'name']) {
      const value = form.elements[key].value.trim();
      if (value) next[key] = value;
    }
    if (since.value) next.since = fromLocalInput(since.value);
    if (until.value) next.until = fromLocalInput(until.value);
    onSearch(next);
  });
  return form;
}

async function replay(request, what, resultEl, readOnly) {
  if (readOnly) return;
  const ok = await confirmDialog({title: `Replay ${what}`, confirmLabel: 'Replay',
    body: [h('p', {}, `Send ${what} again, with their original ids?`),
      h('p', {class: 'hint'}, 'Consumers that already handled an id skip it; a message still ' +
        'pending is not written twice. Deliveries recorded after now are never replayed.')]});
  if (!ok) return;
  try {
    const result = await postJson('/api/outbox/replay', request);
    const window = result.window || {};
    fill(resultEl, h('section', {class: 'notice notice-ok', 'data-result': 'replay'},
        h('h2', {}, `Replayed ${fmtCount(result.replayed)}`),
        h('p', {}, 'Window: deliveries recorded up to row ', String(window.until_id ?? '–'),
            window.until ? [', until ', timeEl(window.until)] : '', '.')));
    toast(`Replayed ${fmtCount(result.replayed)}`, 'ok');
  } catch (e) {
    fill(resultEl, h('div', {class: 'notice notice-error', role: 'alert'},
        `Replay refused: ${e.message}`));
  }
}

export async function renderOutbox(main, route, ctx) {
  const search = {};
  for (const key of SEARCH_KEYS) if (route.params.get(key)) search[key] = route.params.get(key);
  const after = route.params.get('after') || '';
  const readOnly = ctx.session.read_only;
  const summary = h('div', {}, h('p', {class: 'loading'}, 'Loading…'));
  const resultEl = h('div', {class: 'result'});
  const trail = h('div', {class: 'content'});
  const toHash = (params) => `#/outbox${new URLSearchParams(params).toString() ? '?' : ''}` +
    new URLSearchParams(params).toString();
  fill(main, pageTitle('Outbox'), summary,
      h('section', {class: 'card'}, h('h2', {}, 'Delivered trail'),
          searchForm(search, (next) => ctx.navigate(toHash(next))), resultEl, trail));

  let keepDelivered = true;
  try {
    const data = await getJson('/api/outbox/summary');
    keepDelivered = data.keep_delivered;
    fill(summary, summarySection(data));
  } catch (e) {
    fill(summary, errorBox(e));
  }
  if (!keepDelivered) {
    trail.append(h('p', {class: 'notice notice-info'}, 'outbox.keep_delivered is off: delivered ' +
      'rows are deleted, so there is no trail to search or replay.'));
    return;
  }
  try {
    const data = await getJson('/api/outbox/delivered', {...search, after, limit: 50});
    const selected = new Set();
    const columns = [
      {key: 'id', label: 'Row', num: true},
      {key: 'message_id', label: 'Message id', cls: 'mono'},
      {key: 'message_name', label: 'Name'},
      {key: 'partition_key', label: 'Key'},
      {key: 'created_at', label: 'Created', render: (r) => timeEl(r.created_at)},
      {key: 'delivered_at', label: 'Delivered', render: (r) => timeEl(r.delivered_at)},
    ];
    const replaySelected = h('button', {type: 'button', class: 'btn', disabled: true,
      'data-action': 'replay-selected', onclick: () => replay({ids: [...selected]},
          `${selected.size} selected message${selected.size === 1 ? '' : 's'}`, resultEl,
          readOnly)},
    'Replay selected (0)');
    const windowFilter = {name: search.name, since: search.since ? Number(search.since) : undefined,
      until: search.until ? Number(search.until) : undefined};
    const canReplayWindow = !!(search.name || search.since || search.until);
    const serverExport = (format) => downloadExport('/api/outbox/delivered', search, format,
        'outbox-delivered');
    fill(trail, 
        readOnly ? null : h('div', {class: 'action-bar'}, replaySelected,
            h('button', {type: 'button', class: 'btn', disabled: !canReplayWindow,
              title: canReplayWindow ? null : 'Search by name or time first',
              'data-action': 'replay-filter', onclick: () => replay({filter: windowFilter},
                  'every delivery matching the search', resultEl, readOnly)},
            'Replay everything matching')),
        h('div', {class: 'table-tools'}, h('span', {class: 'summary'},
            `${fmtCount(data.rows.length)} deliveries${after ? ` after row ${after}` : ''}`),
        exportButtons('outbox-delivered', 'the deliveries',
            {columns, rows: data.rows, serverExport})),
        // Replays name messages by their message id (a row id means nothing to outbox:replay).
        dataTable({caption: 'Delivered messages', columns, rows: data.rows, selectable: !readOnly,
          rowKey: (r) => r.message_id, selected, emptyText: 'No delivery matches.', onSelect: () => {
            replaySelected.disabled = !selected.size;
            replaySelected.textContent = `Replay selected (${selected.size})`;
          }}).el,
        h('nav', {class: 'pager', 'aria-label': 'Pages'},
            after ? h('a', {class: 'btn', href: toHash(search)}, '⇤ First page') : null,
            data.next_after !== null && data.next_after !== undefined ? h('a', {class: 'btn',
              rel: 'next', href: toHash({...search, after: data.next_after})}, 'Next 50 →') :
              null));
  } catch (e) {
    fill(trail, errorBox(e));
  }
}
