// Tables: a caption, optional row selection, and an export of what they show as CSV or JSON.

import {saveBlob} from './api.js';
import {h, toast} from './dom.js';

/** One CSV cell. Text that a spreadsheet would run as a formula (=, +, -, @) gets a leading
 * quote: error texts and headers come from the network. */
export function csvCell(value) {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvCell(c.label)).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvCell(valueOf(c, row))).join(','));
  return lines.join('\r\n') + '\r\n';
}

function valueOf(column, row) {
  return column.value ? column.value(row) : row[column.key];
}

/** Export buttons: through the server (the whole list) when serverExport is given, else the
 * rows in hand. */
export function exportButtons(name, label, {columns, rows, serverExport}) {
  const run = async (format) => {
    try {
      if (serverExport) {
        await serverExport(format);
      } else if (format === 'json') {
        saveBlob(new Blob([JSON.stringify(rows, null, 2)], {type: 'application/json'}),
            `${name}.json`);
      } else {
        saveBlob(new Blob([toCsv(columns.filter((c) => !c.noExport), rows)], {type: 'text/csv'}),
            `${name}.csv`);
      }
    } catch (e) {
      toast(`Export failed: ${e.message}`, 'error');
    }
  };
  return h('div', {class: 'export', role: 'group', 'aria-label': `Export ${label}`},
      h('span', {class: 'export-label'}, 'Export'),
      h('button', {type: 'button', class: 'btn btn-small', 'data-export': 'csv',
        'aria-label': `Export ${label} as CSV`, onclick: () => run('csv')}, 'CSV'),
      h('button', {type: 'button', class: 'btn btn-small', 'data-export': 'json',
        'aria-label': `Export ${label} as JSON`, onclick: () => run('json')}, 'JSON'));
}

/**
 * A table of rows. columns: [{key, label, render(row) → node|text, value(row) for exports,
 * num (right-aligned), noExport}]. With selectable, a checkbox per row (rowKey(row) names it)
 * and one for the page; onSelect(set) hears every change.
 */
export function dataTable(options) {
  const {caption, columns, rows, rowKey = (r) => r.id, selectable = false, onSelect,
    emptyText = 'Nothing to show.', rowClass} = options;
  const selected = options.selected || new Set();
  const boxes = [];
  const notify = () => onSelect && onSelect(selected);

  const head = h('tr', {});
  let all = null;
  if (selectable) {
    all = h('input', {type: 'checkbox', 'aria-label': 'Select every row on this page',
      onchange: () => {
        boxes.forEach(([box, key]) => {
          box.checked = all.checked;
          if (all.checked) selected.add(key);
          else selected.delete(key);
        });
        notify();
      }});
    head.append(h('th', {scope: 'col', class: 'col-select'}, all));
  }
  for (const c of columns)
    head.append(h('th', {scope: 'col', class: c.num ? 'num' : null}, c.label));

  const body = h('tbody', {});
  for (const row of rows) {
    const tr = h('tr', {class: rowClass ? rowClass(row) : null});
    if (selectable) {
      const key = rowKey(row);
      const box = h('input', {type: 'checkbox', checked: selected.has(key),
        'aria-label': `Select row ${key}`, dataset: {key: String(key)},
        onchange: () => {
          if (box.checked) selected.add(key);
          else selected.delete(key);
          all.checked = boxes.every(([b]) => b.checked);
          notify();
        }});
      boxes.push([box, key]);
      tr.append(h('td', {class: 'col-select'}, box));
    }
    for (const c of columns) {
      const content = c.render ? c.render(row) : valueOf(c, row);
      tr.append(h('td', {class: [c.num && 'num', c.cls]}, content ?? '–'));
    }
    body.append(tr);
  }
  if (!rows.length)
    body.append(h('tr', {}, h('td', {colspan: columns.length + (selectable ? 1 : 0),
      class: 'empty'}, emptyText)));
  if (all) all.checked = rows.length > 0 && boxes.every(([b]) => b.checked);

  const table = h('table', {class: 'data'},
      caption ? h('caption', {class: 'visually-hidden'}, caption) : null,
      h('thead', {}, head), body);
  return {el: h('div', {class: 'table-wrap', tabindex: '0', role: 'region',
    'aria-label': caption || 'table'}, table), selected};
}
