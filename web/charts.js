// charts.js - bar charts drawn as inline SVG, each with a data table as its text alternative.
// No library: the portal needs no internet and the server's CSP allows only its own files.

const SVG = 'http://www.w3.org/2000/svg';
let seq = 0;

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return v;
}

// A stacked bar chart.
//   title: the chart's accessible name; desc: a one-line summary read by screen readers
//   categories: [{label}] (x axis); series: [{key, label, cls}] (stacked, bottom first)
//   values: values[i][key] for category i
// Returns an <svg> (role="img", titled) that fills its container's width.
export function stackedBars({ title, desc, categories, series, values, height = 260 }) {
  const id = `chart-${++seq}`;
  const n = Math.max(categories.length, 1);
  const left = 44, right = 12, top = 28, bottom = 72;
  const barW = Math.max(14, Math.min(56, Math.floor(560 / n) - 10));
  const gap = Math.max(8, Math.round(barW * 0.4));
  const width = Math.max(480, left + right + n * (barW + gap) + gap);
  const plotH = height - top - bottom;
  const totals = values.map((v) => series.reduce((a, sr) => a + (Number(v[sr.key]) || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const y = (v) => top + plotH - (v / max) * plotH;

  const svg = s('svg', {
    viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img',
    'aria-labelledby': `${id}-t ${id}-d`, class: 'chart', preserveAspectRatio: 'xMinYMin meet',
  });
  svg.append(s('title', { id: `${id}-t` }, title), s('desc', { id: `${id}-d` }, desc));

  // gridlines and y axis labels
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (max / ticks) * i;
    const yy = y(v);
    svg.append(s('line', { x1: left, x2: width - right, y1: yy, y2: yy, class: i ? 'grid' : 'axis' }));
    svg.append(s('text', { x: left - 6, y: yy + 4, 'text-anchor': 'end', class: 'tick' },
      Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }

  categories.forEach((c, i) => {
    const x = left + gap + i * (barW + gap);
    let acc = 0;
    const g = s('g', { class: 'bar' });
    for (const sr of series) {
      const v = Number(values[i][sr.key]) || 0;
      if (v > 0) {
        const r = s('rect', {
          x, width: barW, y: y(acc + v), height: Math.max(1, y(acc) - y(acc + v)), class: sr.cls,
        });
        r.append(s('title', {}, `${c.label}: ${sr.label} ${v}`));
        g.append(r);
      }
      acc += v;
    }
    if (totals[i] > 0) {
      g.append(s('text', { x: x + barW / 2, y: y(acc) - 4, 'text-anchor': 'middle', class: 'value' }, String(totals[i])));
    }
    const lx = x + barW / 2, ly = top + plotH + 14;
    g.append(s('text', {
      x: lx, y: ly, 'text-anchor': 'end', class: 'label', transform: `rotate(-35 ${lx} ${ly})`,
    }, c.label));
    svg.append(g);
  });

  // legend
  let lx = left;
  for (const sr of series) {
    svg.append(s('rect', { x: lx, y: 8, width: 12, height: 12, class: sr.cls }));
    const tx = s('text', { x: lx + 16, y: 18, class: 'legend' }, sr.label);
    svg.append(tx);
    lx += 30 + [...sr.label].reduce((w, ch) => w + (ch.charCodeAt(0) < 0x2e80 ? 7 : 12), 0);
  }
  if (!categories.length) {
    svg.append(s('text', { x: width / 2, y: top + plotH / 2, 'text-anchor': 'middle', class: 'empty' }, desc));
  }
  return svg;
}

// The chart's data as a table: caption, a header row, one row per category, totals.
export function dataTable({ caption, headLabel, categories, series, values, totalLabel }) {
  const table = document.createElement('table');
  table.className = 'data';
  const cap = document.createElement('caption');
  cap.textContent = caption;
  table.append(cap);
  const thead = table.createTHead();
  const hr = thead.insertRow();
  for (const text of [headLabel, ...series.map((sr) => sr.label), totalLabel]) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = text;
    hr.append(th);
  }
  const tb = table.createTBody();
  categories.forEach((c, i) => {
    const tr = tb.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = c.label;
    tr.append(th);
    let sum = 0;
    for (const sr of series) {
      const v = Number(values[i][sr.key]) || 0;
      sum += v;
      tr.insertCell().textContent = String(v);
    }
    tr.insertCell().textContent = String(sum);
  });
  return table;
}
