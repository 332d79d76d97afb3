// Retry, remove and skip of failed messages: one row, a selection or a whole group, always through a
// confirmation, then the outcome with every refused row and its reason.

import {ApiError, getJson, postJson} from './api.js';
import {confirmDialog} from './dialog.js';
import {fill, fmtCount, h, toast} from './dom.js';
import {dataTable, exportButtons} from './table.js';

const VERB = {retry: 'Retry', remove: 'Remove', skip: 'Skip'};
const DONE = {retry: 'retried', remove: 'removed', skip: 'skipped'};
const SHOWN_REFUSALS = 200;

/** The consumers the hosts run, for "retry to another consumer" (empty when unknown). */
async function knownConsumers() {
  try {
    const {hosts} = await getJson('/api/hosts');
    return [...new Set(hosts.flatMap((host) => host.consumers || []))].sort();
  } catch (e) {
    return [];
  }
}

async function dialogFields(action, consumer) {
  if (action !== 'retry') return [];
  const others = (await knownConsumers()).filter((c) => c !== consumer);
  if (!others.length) return [];
  const select = h('select', {name: 'to_consumer', id: 'to-consumer'},
      h('option', {value: ''}, consumer ? `its own consumer (${consumer})` : 'its own consumer'),
      others.map((c) => h('option', {value: c}, c)));
  return [h('div', {class: 'field'}, h('label', {for: 'to-consumer'}, 'Send to'), select,
      h('small', {class: 'hint'},
          'Another consumer only where it handles the message name; others are refused.'))];
}

function explanation(action) {
  if (action === 'retry')
    return h('p', {class: 'hint'}, 'Refused and listed afterwards: rows whose body was cut when ' +
        'stored, rows a running host holds, and rows older than the deduplication window.');
  if (action === 'skip')
    return h('p', {class: 'hint'}, 'The message stays here as failed and is not retried; the ' +
        'later messages of its key that were parked behind it run next, in order. Refused: ' +
        'rows that head no parked key and rows a running host holds.');
  return h('p', {class: 'hint'}, 'Removed messages are gone for good. Rows a running host holds ' +
      'are refused.');
}

/** The outcome of an action: counts, then the refused rows with their reasons. */
export function actionResult(action, result) {
  const refused = result.refused || [];
  const done = result.done ?? 0;
  const verbDone = DONE[action];
  const summary = `${fmtCount(done)} ${verbDone}` +
      (refused.length ? `, ${fmtCount(refused.length)} refused` : '') +
      (result.action_id ? ` (action #${result.action_id})` : '');
  const parts = [h('h2', {tabindex: '-1'}, `${VERB[action]}: ${summary}`)];
  if (refused.length) {
    const columns = [
      {key: 'id', label: 'Row', render: (r) =>
        h('a', {href: `#/failed/message/${r.id}`}, `#${r.id}`)},
      {key: 'reason', label: 'Reason refused'},
    ];
    const shown = refused.slice(0, SHOWN_REFUSALS);
    parts.push(h('div', {class: 'table-tools'}, h('span', {}, refused.length > shown.length ?
        `The first ${shown.length} of ${fmtCount(refused.length)} refused rows` : 'Refused rows'),
    exportButtons('refused-rows', 'the refused rows', {columns, rows: refused})));
    parts.push(dataTable({caption: 'Refused rows', columns, rows: shown}).el);
  }
  return h('section', {class: ['notice', refused.length ? 'notice-warn' : 'notice-ok'],
    'aria-live': 'polite', 'data-result': action}, parts);
}

/**
 * Asks, runs and shows one action. target: {ids} or {group, filter, count}; consumer and
 * label describe it. The outcome goes into resultEl; onDone runs after a success.
 */
export async function runFailedAction({action, target, consumer, label, resultEl, onDone}) {
  const isGroup = !!target.group;
  let count = isGroup ? target.count : target.ids.length;
  for (;;) {
    const what = label || `${fmtCount(count)} message${count === 1 ? '' : 's'}`;
    const values = await confirmDialog({
      title: `${VERB[action]} ${what}`,
      body: explanation(action),
      confirmLabel: `${VERB[action]} ${fmtCount(count)}`,
      danger: action === 'remove',
      typeCount: isGroup ? count : null,
      fields: await dialogFields(action, consumer),
    });
    if (!values) return null;
    const request = isGroup ?
      {action, group: target.group, filter: target.filter || {}, expected_count: count} :
      {action, ids: target.ids};
    if (values.to_consumer) request.to_consumer = values.to_consumer;
    try {
      const result = await postJson('/api/failed/actions', request);
      fill(resultEl, actionResult(action, result));
      toast(`${VERB[action]}: ${fmtCount(result.done)} done`, 'ok');
      if (onDone) await onDone(result);
      resultEl.querySelector('h2')?.focus();
      return result;
    } catch (e) {
      const changed = e instanceof ApiError && e.status === 409 && typeof e.body.count === 'number';
      if (isGroup && changed) {
        // The group changed since the page was drawn: ask again with the count it has now.
        toast(`${e.message}: the group now holds ${fmtCount(e.body.count)}`, 'warn');
        count = e.body.count;
        if (count === 0) return null;
        continue;
      }
      fill(resultEl, h('div', {class: 'notice notice-error', role: 'alert'},
          `${VERB[action]} refused: ${e.message}`));
      return null;
    }
  }
}
