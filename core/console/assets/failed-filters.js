// The filters of the failed-message pages: how they sit in the page's hash, how they become the
// API's parameters, and the form that edits them.

import {field, fromLocalInput, h, toLocalInput} from './dom.js';

const FILTER_KEYS = ['consumer', 'name', 'error_class', 'q', 'status', 'range', 'since', 'until'];
const RANGES = {'1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3};

/** The filters of a route, as they appear in its hash. */
export function routeFilters(params) {
  const filters = {};
  for (const key of FILTER_KEYS) {
    if (params.get(key)) filters[key] = params.get(key);
  }
  return filters;
}

/**
 * The API's filter parameters for route filters: "the last hour" becomes since = now - 1 h.
 * A page computes them once per load and uses the same ones for its list and its actions, so a
 * group action counts exactly the rows the page counted.
 */
export function apiFilter(filters) {
  const api = {};
  for (const key of ['consumer', 'name', 'error_class', 'q', 'status']) {
    if (filters[key]) api[key] = filters[key];
  }
  if (RANGES[filters.range]) {
    api.since = Date.now() - RANGES[filters.range];
  } else if (filters.range === 'custom') {
    if (filters.since) api.since = Number(filters.since);
    if (filters.until) api.until = Number(filters.until);
  }
  return api;
}

/** "#/failed?consumer=orders" from a path and the non-empty params. */
export function hashWith(path, params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== '' && value !== undefined && value !== null) q.set(key, value);
  }
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

export function groupHash(groupId, filters) {
  return hashWith(`#/failed/group/${encodeURIComponent(groupId)}`, filters);
}

function select(name, current, options) {
  return h('select', {name}, options.map(([value, text]) =>
    h('option', {value, selected: (current || '') === value}, text)));
}

/** The filter form; onApply(filters) runs with what was entered ({} for Clear). */
export function filterForm(filters, onApply) {
  const input = (name, label, placeholder) => field(label, h('input',
      {type: 'text', name, value: filters[name] || '', placeholder, autocomplete: 'off'}));
  const range = select('range', filters.range, [['', 'any time'], ['1h', 'the last hour'],
    ['24h', 'the last 24 hours'], ['7d', 'the last 7 days'], ['custom', 'between…']]);
  const status = select('status', filters.status, [['', 'failed'],
    ['retry', 'waiting for a retry'], ['all', 'failed and retry']]);
  const since = h('input', {type: 'datetime-local', name: 'since',
    value: toLocalInput(filters.since)});
  const until = h('input', {type: 'datetime-local', name: 'until',
    value: toLocalInput(filters.until)});
  const custom = h('div', {class: 'field-pair', hidden: filters.range !== 'custom'},
      field('From', since), field('Until', until));
  range.addEventListener('change', () => {
    custom.hidden = range.value !== 'custom';
  });
  const form = h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter failed messages'},
      input('consumer', 'Consumer', 'e.g. orders'),
      input('name', 'Message name', 'e.g. order.placed'),
      input('error_class', 'Error class', 'e.g. HandlerFailed'),
      input('q', 'Error text contains', 'e.g. timeout'),
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
