// Hosts: each host's heartbeat state and the plugin set it runs, so a reload that did not reach
// every host shows.

import {getJson} from './api.js';
import {badge, errorBox, fill, fmtAge, fmtCount, h, pageTitle, timeEl} from './dom.js';
import {dataTable, exportButtons} from './table.js';

const REFRESH_MS = 10000;
const STATE_KIND = {up: 'ok', late: 'warn', gone: 'muted'};

function pluginSet(host) {
  return (host.plugins || []).slice().sort().join(', ');
}

/** A warning when the hosts still beating run different plugin sets (a reload that did not
 * reach every host). */
function mismatch(hosts) {
  const live = hosts.filter((host) => host.state !== 'gone');
  const sets = new Map();
  for (const host of live) {
    const key = pluginSet(host);
    sets.set(key, [...(sets.get(key) || []), host.id]);
  }
  if (sets.size <= 1) return null;
  return h('div', {class: 'notice notice-warn', role: 'status', 'data-note': 'plugin-mismatch'},
      h('strong', {}, 'The live hosts run different plugin sets.'),
      h('ul', {}, [...sets].map(([set, ids]) =>
        h('li', {}, `${ids.join(', ')}: ${set || 'no plugins'}`))));
}

export async function renderHosts(main, route, ctx) {
  const content = h('div', {}, h('p', {class: 'loading'}, 'Loading…'));
  fill(main, pageTitle('Hosts'),
      h('p', {class: 'lead'},
          'Up: beat within two heartbeat intervals; late: within ten; gone: older.'),
      content);
  const load = async () => {
    try {
      const {hosts} = await getJson('/api/hosts');
      const columns = [
        {key: 'id', label: 'Host', render: (host) => h('div', {},
            h('div', {class: 'strong'}, host.id),
            host.hostname ? h('div', {class: 'sub'},
                host.pid ? `${host.hostname}, pid ${host.pid}` : host.hostname) : null)},
        {key: 'state', label: 'State', render: (host) => h('div', {class: 'badges'},
            badge(host.state, STATE_KIND[host.state]),
            host.plugins_differ ? badge('other plugins', 'warn') : null)},
        {key: 'version', label: 'Version'},
        {key: 'plugin_generation', label: 'Generation', num: true},
        {key: 'plugins', label: 'Plugins', value: pluginSet, cls: 'wrap', render: (host) =>
          h('ul', {class: 'plain'}, (host.plugins || []).map((p) => h('li', {}, p)))},
        {key: 'consumers', label: 'Consumers', value: (host) => (host.consumers || []).join(', '),
          render: (host) => (host.consumers || []).join(', ') || '–'},
        {key: 'started_at', label: 'Started', render: (host) => timeEl(host.started_at)},
        {key: 'last_beat', label: 'Last beat', render: (host) => h('span',
            {title: new Date(host.last_beat).toISOString()}, `${fmtAge(host.last_beat)} ago`)},
      ];
      const up = hosts.filter((host) => host.state === 'up').length;
      fill(content, mismatch(hosts),
          h('section', {class: 'card'},
              h('div', {class: 'table-tools'},
                  h('h2', {}, `${fmtCount(up)} of ${fmtCount(hosts.length)} up`),
                  exportButtons('hosts', 'the hosts', {columns, rows: hosts})),
              dataTable({caption: 'Hosts', columns, rows: hosts, rowKey: (host) => host.id,
                emptyText: 'No host has written a heartbeat yet.',
                rowClass: (host) => `state-${host.state}`}).el));
    } catch (e) {
      fill(content, errorBox(e));
    }
  };
  await load();
  const timer = setInterval(load, REFRESH_MS);
  ctx.onLeave(() => clearInterval(timer));
}
