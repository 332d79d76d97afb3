// A small time-series line chart in SVG (no library): one line per series over a fixed window.

import {fmtCount, h, svg} from './dom.js';

const HEIGHT = 240;
const PAD = {left: 48, right: 12, top: 12, bottom: 26};
const COLORS = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d',
  '#dc2626'];

export function seriesColor(index) {
  return COLORS[index % COLORS.length];
}

/** The top of the y axis: four equal steps of 1, 2 or 5 × a power of ten, holding value. */
function niceMax(value) {
  const rough = Math.max(1, value / 4);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough);
  return step * 4;
}

function clock(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/**
 * series: [{name, color, dashed, points: [[ms, value], ...]}] drawn from `from` to `to` (ms),
 * width pixels wide (the chart's box, so text keeps its proportions). label describes the
 * chart for screen readers (the table beside it has the numbers).
 */
export function lineChart({series, from, to, label, width}) {
  const boxWidth = Math.max(280, Math.round(width || 720));
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.points.map((p) => p[1]))));
  const plotWidth = boxWidth - PAD.left - PAD.right;
  const x = (ms) => PAD.left + ((ms - from) / Math.max(1, to - from)) * plotWidth;
  const y = (v) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);
  const grid = [];
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    grid.push(
        svg('line', {x1: PAD.left, x2: boxWidth - PAD.right, y1: y(v), y2: y(v), class: 'grid'}),
        svg('text', {x: PAD.left - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end'},
            fmtCount(v)));
  }
  const ticks = boxWidth < 480 ? 3 : 6;
  for (let i = 0; i <= ticks; i++) {
    const t = from + ((to - from) / ticks) * i;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    grid.push(svg('text', {x: x(t), y: HEIGHT - 6, class: 'axis', 'text-anchor': anchor},
        clock(t)));
  }
  const lines = series.map((s) => {
    const points = s.points.filter((p) => p[0] >= from && p[0] <= to);
    if (!points.length) return null;
    const path = points.map((p, i) =>
      `${i ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`);
    return svg('path', {d: path.join(''), fill: 'none', stroke: s.color, 'stroke-width': 2,
      'stroke-dasharray': s.dashed ? '5 4' : null, 'data-series': s.name});
  });
  const chart = svg('svg', {viewBox: `0 0 ${boxWidth} ${HEIGHT}`, class: 'chart', role: 'img',
    'aria-label': label}, grid, lines);
  const legend = h('ul', {class: 'legend'}, series.map((s) => h('li', {},
      h('span', {class: ['swatch', s.dashed && 'swatch-dashed'], 'data-color': s.color}), s.name)));
  // The swatch colours are set through the CSSOM (allowed under a strict style-src policy).
  legend.querySelectorAll('.swatch').forEach((el) => {
    el.style.borderColor = el.dataset.color;
  });
  return h('figure', {class: 'chart-figure'}, chart, legend);
}
