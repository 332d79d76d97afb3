// The msgbus console: a single page over the JSON API under /api/. Routes live in the hash
// (#/failed, #/failed/group/<id>, #/failed/message/<id>, #/actions, #/outbox, #/queues,
// #/hosts), so every view has a link that can be shared and the back button works.

import {ApiError, getJson, hasBearerToken, setBearerToken, setCsrfToken} from './api.js';
import {badge, errorBox, field, fill, h} from './dom.js';
import {renderAudit} from './page-audit.js';
import {renderGroup} from './page-group.js';
import {renderGroups} from './page-groups.js';
import {renderHosts} from './page-hosts.js';
import {renderMessage} from './page-message.js';
import {renderOutbox} from './page-outbox.js';
import {renderQueues} from './page-queues.js';

const ROUTES = [
  {prefix: '/failed/group/', nav: 'failed', render: renderGroup},
  {prefix: '/failed/message/', nav: 'failed', render: renderMessage},
  {path: '/failed', nav: 'failed', render: renderGroups},
  {path: '/actions', nav: 'actions', render: renderAudit},
  {path: '/outbox', nav: 'outbox', render: renderOutbox},
  {path: '/queues', nav: 'queues', render: renderQueues},
  {path: '/hosts', nav: 'hosts', render: renderHosts},
];

let session = null;
let leaveHandlers = [];
let rendered = 0;

function parseHash() {
  const text = location.hash.replace(/^#/, '') || '/failed';
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  for (const route of ROUTES) {
    if (route.path && (path === route.path || (route.path === '/failed' && path === '/')))
      return {route, path, rest: '', params};
    if (route.prefix && path.startsWith(route.prefix) && path.length > route.prefix.length)
      return {route, path, rest: path.slice(route.prefix.length), params};
  }
  return {route: null, path, rest: '', params};
}

function leave() {
  leaveHandlers.forEach((fn) => fn());
  leaveHandlers = [];
}

function drawSession() {
  const el = document.getElementById('session');
  fill(el, 
      session.read_only ? badge('read-only', 'warn') : null,
      h('span', {class: 'user'}, session.user ? session.user : 'local'),
      session.version ? h('span', {class: 'version'}, `v${session.version}`) : null,
      hasBearerToken() ? h('button', {type: 'button', class: 'btn btn-small', onclick: () => {
        setBearerToken('');
        location.reload();
      }}, 'Sign out') : null);
  document.body.classList.toggle('read-only', !!session.read_only);
}

async function show(focus) {
  leave();
  const main = document.getElementById('main');
  const target = parseHash();
  const page = h('div', {class: 'page'});
  fill(main, page);
  for (const link of document.querySelectorAll('[data-nav]')) {
    const current = target.route && link.dataset.nav === target.route.nav;
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const generation = ++rendered;
  const ctx = {
    session,
    navigate: (hash) => {
      if (location.hash === hash) show(true);
      else location.hash = hash;
    },
    // A page's timers stop when another page is shown (or this one was left before it loaded).
    onLeave: (fn) => (generation === rendered ? leaveHandlers.push(fn) : fn()),
  };
  page.dataset.route = target.path;
  let rendering = null;
  if (!target.route) {
    page.append(h('h1', {tabindex: '-1'}, 'Not found'),
        h('p', {}, 'No page at ', h('code', {}, target.path), '. ',
            h('a', {href: '#/failed'}, 'Failed messages')));
  } else {
    rendering = target.route.render(page, target, ctx);
  }
  // Every page draws its frame (title, forms) before it waits for data: the title takes the
  // focus now, not when the data arrives, which would pull it out of a field being typed in.
  const title = page.querySelector('h1');
  if (focus && title) title.focus();
  try {
    await rendering;
  } catch (e) {
    page.append(errorBox(e));
  }
  if (generation !== rendered) return;
  const heading = page.querySelector('h1');
  document.title = `${heading ? heading.textContent : 'msgbus'} · msgbus console`;
  page.dataset.ready = 'true';
}

function signIn(message) {
  const main = document.getElementById('main');
  const token = h('input', {type: 'password', name: 'token', autocomplete: 'current-password',
    required: true});
  const form = h('form', {class: 'card sign-in'},
      h('h1', {tabindex: '-1'}, 'Sign in'),
      h('p', {}, message),
      field('Console token', token, 'console.token, or MSGBUS_CONSOLE_TOKEN where the console ' +
        'runs. Kept for this browser tab only.'),
      h('button', {type: 'submit', class: 'btn btn-primary'}, 'Sign in'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setBearerToken(token.value.trim());
    start();
  });
  fill(main, form);
  token.focus();
}

async function start() {
  try {
    session = await getJson('/api/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      const hadToken = hasBearerToken();
      setBearerToken('');
      signIn(hadToken ? 'That token was refused.' : 'This console needs a token.');
      return;
    }
    fill(document.getElementById('main'), h('h1', {}, 'The console cannot start'), errorBox(e));
    return;
  }
  setCsrfToken(session.csrf);
  drawSession();
  window.addEventListener('hashchange', () => show(true));
  await show(false);
}

start();
