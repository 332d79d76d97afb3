// One failed message: what it is, why it failed, its headers and body, and its actions.

import {getJson} from './api.js';
import {badge, errorBox, fill, fmtCount, fmtDuration, h, pageTitle, safeLink,
  timeEl} from './dom.js';
import {runFailedAction} from './failed-actions.js';
import {dataTable, exportButtons} from './table.js';

const HEX_VIEW_LIMIT = 256 * 1024;

/** A hex + text dump of text's UTF-8 bytes, 16 per line, like the server's for binary bodies. */
export function hexDump(text) {
  const bytes = new TextEncoder().encode(text).slice(0, HEX_VIEW_LIMIT);
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.slice(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'))
        .join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** The failed table's queue of a row: failed, retry (waiting for its next attempt) or running
 * (a retry worker has leased it). */
function stateBadge(queue) {
  if (queue === 'retry') return badge('waiting for a retry', 'info');
  if (queue === 'running') return badge('being retried', 'warn');
  return badge(queue || 'failed', 'error');
}

function facts(m) {
  const lease = m.lease || {};
  let trace = '–';
  if (m.trace_id) {
    trace = m.trace_link ? safeLink(m.trace_link, m.trace_id) :
      h('span', {class: 'mono'}, m.trace_id);
  }
  const rows = [
    ['Message id', h('span', {class: 'mono'}, m.message_id || '– (none could be read)')],
    ['Name', m.message_name || '–'],
    ['Consumer', m.consumer || '–'],
    ['State', stateBadge(m.queue)],
    ['Error class', badge(m.error_class || '–', 'error')],
    ['Failed at', timeEl(m.failed_at)],
    ['Attempts', fmtCount(m.attempts)],
    ['Next attempt', m.queue === 'failed' ? '–' : timeEl(m.available_at)],
    ['Lease', lease.running ? h('span', {'data-lease': 'running'}, badge('running', 'warn'),
        ` by ${lease.by || 'an unknown host'} until `, timeEl(lease.until),
        lease.until ? ` (${fmtDuration(lease.until - Date.now())} left)` : '') : 'not leased'],
    ['Trace', trace],
  ];
  if (m.parked_key != null)
    rows.push(['Parked behind it', h('span', {'data-parked-key': m.parked_key},
        'the later messages of key ', h('span', {class: 'mono'}, m.parked_key),
        ' (an ordered consumer) wait until this one is retried, removed or skipped')]);
  return h('dl', {class: 'facts'}, rows.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function headersTable(headers) {
  const rows = Object.entries(headers || {}).map(([name, value]) => ({name,
    value: typeof value === 'string' ? value : JSON.stringify(value)}));
  const columns = [
    {key: 'name', label: 'Header', cls: 'mono'},
    {key: 'value', label: 'Value', cls: 'mono wrap', render: (r) => (r.value === '***' ?
      h('span', {class: 'masked', title: 'masked by console.masked_headers'}, '*** (masked)') :
      r.value)},
  ];
  return h('section', {class: 'card'},
      h('div', {class: 'table-tools'}, h('h2', {}, 'Headers'),
          exportButtons('headers', 'the headers', {columns, rows})),
      dataTable({caption: 'Headers', columns, rows, emptyText: 'No headers.'}).el);
}

function bodyView(body) {
  body = body || {kind: 'text', text: '', size: 0, shown: 0};
  const pre = h('pre', {class: 'body-text', tabindex: '0', 'aria-label': 'Message body'});
  const views = body.kind === 'hex' ? [['hex', 'Hex and text']] :
    [['formatted', body.kind === 'json' ? 'Formatted JSON' : 'Text'], ['hex', 'Hex']];
  const show = (view) => {
    pre.textContent = view === 'hex' && body.kind !== 'hex' ? hexDump(body.text) : body.text;
    for (const b of switcher.querySelectorAll('button'))
      b.setAttribute('aria-pressed', String(b.dataset.view === view));
  };
  const switcher = h('div', {class: 'switch', role: 'group', 'aria-label': 'Body view'},
      views.map(([view, text]) => h('button', {type: 'button', class: 'btn btn-small',
        'data-view': view, onclick: () => show(view)}, text)));
  const notes = [];
  if (body.stored_cut)
    notes.push(h('p', {class: 'notice notice-error', 'data-note': 'stored-cut'},
        'The body was cut when it was stored: this message cannot be retried, only removed.'));
  if (body.cut)
    notes.push(h('p', {class: 'notice notice-warn', 'data-note': 'cut'},
        `Showing the first ${fmtCount(body.shown)} of ${fmtCount(body.size)} bytes.`));
  const section = h('section', {class: 'card'},
      h('div', {class: 'table-tools'},
          h('h2', {}, `Body (${fmtCount(body.size)} bytes, ${body.kind})`),
          switcher),
      notes, pre);
  show(views[0][0]);
  return section;
}

export async function renderMessage(main, route, ctx) {
  const id = route.rest;
  const resultEl = h('div', {class: 'result'});
  fill(main, h('p', {}, h('a', {href: '#/failed'}, '← Failed messages')),
      pageTitle(`Failed message #${id}`), h('p', {class: 'loading'}, 'Loading…'));
  let m;
  try {
    m = await getJson(`/api/failed/messages/${encodeURIComponent(id)}`);
  } catch (e) {
    main.querySelector('.loading').replaceWith(errorBox(e));
    return;
  }
  const groupLink = m.group ? h('a', {href: `#/failed/group/${encodeURIComponent(m.group)}`},
      'its group') : null;
  const actions = ctx.session.read_only ? null : h('div', {class: 'action-bar'},
      h('div', {class: 'bar-group'},
          h('button', {type: 'button', class: 'btn btn-primary', 'data-action': 'retry-one',
            onclick: () => runFailedAction({action: 'retry', target: {ids: [m.id]},
              consumer: m.consumer, label: `message #${m.id}`, resultEl})}, 'Retry'),
          m.parked_key == null ? null :
            h('button', {type: 'button', class: 'btn', 'data-action': 'skip-one',
              onclick: () => runFailedAction({action: 'skip', target: {ids: [m.id]},
                consumer: m.consumer, label: `message #${m.id}`, resultEl})}, 'Skip'),
          h('button', {type: 'button', class: 'btn btn-danger', 'data-action': 'remove-one',
            onclick: () => runFailedAction({action: 'remove', target: {ids: [m.id]},
              consumer: m.consumer, label: `message #${m.id}`, resultEl})}, 'Remove')),
      groupLink);
  main.querySelector('h1').textContent = `${m.message_name || 'Failed message'} #${m.id}`;
  main.querySelector('.loading').replaceWith(h('div', {},
      actions, resultEl,
      h('section', {class: 'card'}, facts(m)),
      h('section', {class: 'card'}, h('h2', {}, 'Error'),
          h('pre', {class: 'error-text'}, m.error || '')),
      headersTable(m.headers),
      bodyView(m.body)));
}
