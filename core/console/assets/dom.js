// DOM helpers. Every text from the API (bodies, errors, headers) is untrusted: it goes into the
// page through textContent and attributes only, never as HTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(el, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    child.forEach((c) => append(el, c));
    return;
  }
  el.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'class') {
      el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key === 'checked' || key === 'disabled' || key === 'selected' || key === 'value') {
      el[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** h('a', {href: '#/x'}, 'text', child...): an element with attributes and children. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** An SVG element (for the charts). */
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs || {}))
    if (value !== null && value !== undefined) el.setAttribute(key, String(value));
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replaces el's children (null, undefined and false children are left out). */
export function fill(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

const numberFormat = new Intl.NumberFormat('en-US');

export function fmtCount(n) {
  return n === null || n === undefined ? '–' : numberFormat.format(n);
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

/** "2026-11-26 14:03:12" in the browser's time zone; "–" for null. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** A time cell: local time shown, UTC in the tooltip and the datetime attribute. */
export function timeEl(ms) {
  if (ms === null || ms === undefined) return '–';
  const iso = new Date(ms).toISOString();
  return h('time', {datetime: iso, title: iso}, fmtTime(ms));
}

/** "45 s", "12 min", "3 h 5 min", "4 d 2 h". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const hours = Math.floor(min / 60);
  if (hours < 48) return min % 60 ? `${hours} h ${min % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

export function fmtAge(ms) {
  return ms === null || ms === undefined ? '–' : fmtDuration(Date.now() - ms);
}

/** The value of a datetime-local input for ms, or "". */
export function toLocalInput(ms) {
  if (!ms) return '';
  const d = new Date(Number(ms));
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** ms since the epoch of a datetime-local input's value, or "" when empty or invalid. */
export function fromLocalInput(value) {
  if (!value) return '';
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? String(ms) : '';
}

export function badge(text, kind) {
  return h('span', {class: ['badge', kind && `badge-${kind}`]}, text);
}

/** A link only for http(s) URLs: a trace link from the configuration must not run script. */
export function safeLink(url, text) {
  try {
    const parsed = new URL(url, location.href);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:')
      return h('a', {href: parsed.href, target: '_blank', rel: 'noopener noreferrer'}, text);
  } catch (e) {
    // not a URL: shown as text below
  }
  return h('span', {}, text);
}

let toastTimer = null;

/** A short note at the bottom of the page (read by screen readers). */
export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.className = `toast toast-${kind} toast-shown`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('toast-shown'), 6000);
}

/** A field: a label tied to its control. */
export function field(label, control, hint) {
  if (!control.id) control.id = `f-${Math.random().toString(36).slice(2, 9)}`;
  return h('div', {class: 'field'}, h('label', {for: control.id}, label), control,
      hint ? h('small', {class: 'hint'}, hint) : null);
}

export function errorBox(error) {
  return h('div', {class: 'notice notice-error', role: 'alert'}, error.message || String(error));
}

/** A page title that takes the focus after navigation (screen readers announce it). */
export function pageTitle(text, ...extra) {
  return h('div', {class: 'page-head'}, h('h1', {tabindex: '-1'}, text), ...extra);
}
