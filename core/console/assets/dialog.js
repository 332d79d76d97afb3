// A modal confirmation (the native <dialog>: focus is trapped in it and Escape cancels).

import {fmtCount, h} from './dom.js';

/**
 * Asks before an action. With typeCount, the user must type that number (the rows a group
 * action will touch) before the action button works. Resolves to the values of the dialog's
 * named fields, or null when cancelled.
 */
export function confirmDialog({title, body, confirmLabel, danger = false, typeCount = null,
  fields = []}) {
  return new Promise((resolve) => {
    const countInput = typeCount === null ? null :
      h('input', {type: 'text', inputmode: 'numeric', autocomplete: 'off', name: 'count',
        id: 'confirm-count', required: true, 'aria-describedby': 'confirm-count-hint'});
    const error = h('p', {class: 'dialog-error', role: 'alert'});
    const confirm = h('button', {type: 'submit', value: 'confirm', 'data-confirm': '',
      class: ['btn', danger ? 'btn-danger' : 'btn-primary']}, confirmLabel);
    const cancel = h('button', {type: 'button', class: 'btn', 'data-cancel': ''}, 'Cancel');
    const form = h('form', {method: 'dialog', class: 'dialog-form'},
        h('h2', {id: 'dialog-title'}, title),
        h('div', {class: 'dialog-body'}, body),
        fields,
        countInput ? h('div', {class: 'field'},
            h('label', {for: 'confirm-count'}, `Type ${fmtCount(typeCount)} to confirm`),
            countInput,
            h('small', {class: 'hint', id: 'confirm-count-hint'},
                'The number of messages this will touch.')) : null,
        error,
        h('div', {class: 'dialog-buttons'}, cancel, confirm));
    const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': 'dialog-title'}, form);

    let result = null;
    form.addEventListener('submit', (event) => {
      if (countInput && countInput.value.replace(/[\s,._']/g, '') !== String(typeCount)) {
        event.preventDefault();
        error.textContent = `Type ${typeCount} (the number of messages) to go ahead.`;
        countInput.focus();
        return;
      }
      const values = {};
      for (const el of form.elements) {
        if (el.name && el.name !== 'count') values[el.name] = el.value;
      }
      result = values;
    });
    countInput?.addEventListener('input', () => {
      error.textContent = '';
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (countInput || confirm).focus();
  });
}
