/**
 * The dashboard: one self-contained HTML page (no CDN, no framework). Its script asks for a token
 * (from `#token=...`, localStorage, or a form), polls `<base>/dashboard/data` and draws the charts
 * itself as SVG: memories per tier and per type over time, recall latency, top recalled memories.
 */

const STYLE = `
:root { --bg:#0f1420; --panel:#171e2e; --line:#27324a; --text:#e6ebf5; --muted:#8c97ad; --accent:#6ea8fe; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--text); }
header { display:flex; align-items:baseline; gap:16px; padding:18px 28px; border-bottom:1px solid var(--line); }
header h1 { margin:0; font-size:20px; letter-spacing:.3px; }
header .ns { color:var(--accent); font-weight:600; }
header .status { margin-left:auto; color:var(--muted); font-size:12px; }
main { display:grid; grid-template-columns:repeat(2, minmax(0, 1fr)); gap:18px; padding:18px 28px 32px; }
.cards { grid-column:1 / -1; display:grid; grid-template-columns:repeat(auto-fit, minmax(140px, 1fr)); gap:12px; }
.card, .panel { background:var(--panel); border:1px solid var(--line); border-radius:10px; }
.card { padding:12px 14px; }
.card .v { font-size:24px; font-weight:650; }
.card .v.text { font-size:14px; font-weight:600; overflow-wrap:anywhere; padding:5px 0 4px; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.6px; }
.panel { padding:14px 16px; min-height:280px; }
.panel h2 { margin:0 0 8px; font-size:14px; font-weight:600; }
.panel .sub { color:var(--muted); font-size:12px; margin-bottom:6px; }
.wide { grid-column:1 / -1; }
svg text { fill:var(--muted); font-size:11px; }
.legend { display:flex; flex-wrap:wrap; gap:10px; font-size:12px; color:var(--muted); margin-top:6px; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
table { width:100%; border-collapse:collapse; font-size:13px; }
td { padding:6px 6px; border-top:1px solid var(--line); vertical-align:middle; }
td.n { width:56px; text-align:right; font-variant-numeric:tabular-nums; }
td.bar { width:34%; }
td.bar div { height:10px; border-radius:5px; background:var(--accent); }
.tag { color:var(--muted); font-size:11px; }
.empty { color:var(--muted); padding:30px 0; text-align:center; }
form.login { max-width:520px; margin:80px auto; background:var(--panel); border:1px solid var(--line); border-radius:10px; padding:22px; }
form.login input { width:100%; padding:9px; border-radius:6px; border:1px solid var(--line); background:#0b0f18; color:var(--text); font:12px monospace; }
form.login button { margin-top:12px; padding:8px 16px; border:0; border-radius:6px; background:var(--accent); color:#071020; font-weight:600; cursor:pointer; }
@media (max-width: 900px) { main { grid-template-columns:1fr; } }
`

// Plain ES2017 in quotes, so it can live in this template literal (no backticks or dollar-braces inside).
const SCRIPT = `
(function () {
  var BASE = document.body.getAttribute('data-base');
  var TIERS = ['working', 'short-term', 'long-term', 'archived'];
  var TYPES = ['episodic', 'semantic', 'preference', 'procedural', 'emotional', 'contextual'];
  var COLORS = ['#6ea8fe', '#f7b267', '#7bd389', '#c98bdb', '#f4845f', '#5ad1d1'];
  var NS = 'http://www.w3.org/2000/svg';

  function token() {
    var m = /[#&]token=([^&]+)/.exec(location.hash);
    if (m) { localStorage.setItem('engram-token', decodeURIComponent(m[1])); history.replaceState(null, '', location.pathname); }
    return localStorage.getItem('engram-token');
  }
  function el(tag, attrs, parent) {
    var node = document.createElementNS(NS, tag);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, s, anchor) {
    var t = el('text', { x: x, y: y, 'text-anchor': anchor || 'start' }, parent); t.textContent = s; return t;
  }
  function fmtTime(ms) {
    var d = new Date(ms); return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) + ' ' + d.toTimeString().slice(0, 5);
  }
  function legend(host, names) {
    var div = document.createElement('div'); div.className = 'legend';
    names.forEach(function (n, i) { var s = document.createElement('span'); s.innerHTML = '<i style="background:' + COLORS[i % COLORS.length] + '"></i>'; s.appendChild(document.createTextNode(n)); div.appendChild(s); });
    host.appendChild(div);
  }
  function frame(host, w, h, maxY, xs) {
    host.innerHTML = '';
    var svg = el('svg', { viewBox: '0 0 ' + w + ' ' + h, width: '100%', role: 'img' }, host);
    for (var i = 0; i <= 4; i++) {
      var y = 10 + (h - 40) * (1 - i / 4);
      el('line', { x1: 44, x2: w - 8, y1: y, y2: y, stroke: '#27324a' }, svg);
      text(svg, 38, y + 4, String(Math.round((maxY * i) / 4 * 10) / 10), 'end');
    }
    if (xs && xs.length) { text(svg, 46, h - 10, fmtTime(xs[0])); text(svg, w - 8, h - 10, fmtTime(xs[xs.length - 1]), 'end'); }
    return svg;
  }
  function xy(w, h, n, maxY) {
    return function (i, v) { return [44 + ((w - 52) * i) / Math.max(1, n - 1), 10 + (h - 40) * (1 - v / maxY)]; };
  }
  function stacked(host, at, series, names, title) {
    var w = 560, h = 230, n = at.length;
    var totals = at.map(function (_, i) { return names.reduce(function (s, k) { return s + series[k][i]; }, 0); });
    var maxY = Math.max(1, Math.max.apply(null, totals));
    var svg = frame(host, w, h, maxY, at), p = xy(w, h, n, maxY), base = at.map(function () { return 0; });
    svg.setAttribute('aria-label', title);
    names.forEach(function (k, j) {
      var top = base.map(function (b, i) { return b + series[k][i]; });
      var pts = top.map(function (v, i) { return p(i, v).join(','); });
      var back = base.map(function (v, i) { return p(i, v).join(','); }).reverse();
      el('polygon', { points: pts.concat(back).join(' '), fill: COLORS[j % COLORS.length], 'fill-opacity': 0.75, stroke: COLORS[j % COLORS.length] }, svg);
      base = top;
    });
    legend(host, names);
  }
  function lines(host, at, series, names, title) {
    var w = 560, h = 230, n = at.length, maxY = 1;
    names.forEach(function (k) { maxY = Math.max(maxY, Math.max.apply(null, series[k])); });
    var svg = frame(host, w, h, maxY, at), p = xy(w, h, n, maxY);
    svg.setAttribute('aria-label', title);
    names.forEach(function (k, j) {
      el('polyline', { points: series[k].map(function (v, i) { return p(i, v).join(','); }).join(' '), fill: 'none', stroke: COLORS[j % COLORS.length], 'stroke-width': 2.2 }, svg);
    });
    legend(host, names);
  }
  function latency(host, recall) {
    var s = recall.samples;
    if (!s.length) { host.innerHTML = '<div class="empty">No recalls yet: call /memory/recall and they appear here.</div>'; return; }
    var w = 1160, h = 220, maxY = Math.max(1, recall.p99 * 1.15, Math.max.apply(null, s.map(function (x) { return x.ms; })));
    var svg = frame(host, w, h, maxY, [s[0].at, s[s.length - 1].at]), p = xy(w, h, s.length, maxY);
    svg.setAttribute('aria-label', 'Recall latency');
    s.forEach(function (x, i) { var q = p(i, x.ms); el('rect', { x: q[0] - 2, y: q[1], width: 4, height: Math.max(1, 10 + (h - 40) - q[1]), fill: '#6ea8fe', 'fill-opacity': 0.8 }, svg); });
    [['p50', recall.p50, '#7bd389'], ['p95', recall.p95, '#f7b267'], ['p99', recall.p99, '#f4845f']].forEach(function (m) {
      var y = p(0, m[1])[1];
      el('line', { x1: 44, x2: w - 8, y1: y, y2: y, stroke: m[2], 'stroke-dasharray': '5 4' }, svg);
      text(svg, w - 10, y - 4, m[0] + ' ' + m[1].toFixed(2) + ' ms', 'end').setAttribute('style', 'fill:' + m[2]);
    });
  }
  function topTable(host, top) {
    if (!top.length) { host.innerHTML = '<div class="empty">Nothing recalled yet.</div>'; return; }
    var max = top[0].accessCount, rows = top.map(function (t) {
      var tr = document.createElement('tr');
      var c = document.createElement('td'); c.textContent = t.content;
      var tag = document.createElement('div'); tag.className = 'tag'; tag.textContent = t.type + ' · ' + t.tier + ' · ' + t.id; c.appendChild(tag);
      var b = document.createElement('td'); b.className = 'bar'; var d = document.createElement('div'); d.style.width = Math.max(4, (100 * t.accessCount) / max) + '%'; b.appendChild(d);
      var n = document.createElement('td'); n.className = 'n'; n.textContent = t.accessCount + '×';
      tr.appendChild(c); tr.appendChild(b); tr.appendChild(n); return tr;
    });
    var table = document.createElement('table'); rows.forEach(function (r) { table.appendChild(r); });
    host.innerHTML = ''; host.appendChild(table);
  }
  function cards(data) {
    var st = data.stats, items = [['Memories', st.total]];
    TIERS.forEach(function (t) { items.push([t, st.byTier[t] || 0]); });
    items.push(['Recalls', data.recall.count], ['Recall p50', data.recall.p50.toFixed(2) + ' ms'], ['Log seq', st.logSeq], ['Embedder', st.embedder.id]);
    var host = document.getElementById('cards'); host.innerHTML = '';
    items.forEach(function (it) {
      var c = document.createElement('div'); c.className = 'card';
      var v = document.createElement('div'); v.className = typeof it[1] === 'string' && it[1].length > 9 ? 'v text' : 'v'; v.textContent = String(it[1]);
      var k = document.createElement('div'); k.className = 'k'; k.textContent = it[0];
      c.appendChild(v); c.appendChild(k); host.appendChild(c);
    });
  }
  function render(data) {
    document.getElementById('ns').textContent = data.namespace;
    document.getElementById('status').textContent = 'updated ' + new Date(data.generatedAt).toLocaleTimeString() + (data.truncated ? ' · first 20k memories' : '');
    cards(data);
    stacked(document.getElementById('tiers'), data.series.at, data.series.byTier, TIERS, 'Memories per tier over time');
    lines(document.getElementById('types'), data.series.at, data.series.byType, TYPES, 'Memories per type over time');
    latency(document.getElementById('latency'), data.recall);
    topTable(document.getElementById('top'), data.top);
    document.body.setAttribute('data-ready', '1');
  }
  function login(message) {
    document.querySelector('main').style.display = 'none';
    var f = document.getElementById('login'); f.style.display = 'block';
    document.getElementById('login-msg').textContent = message;
    f.onsubmit = function (e) { e.preventDefault(); localStorage.setItem('engram-token', document.getElementById('token').value.trim()); location.reload(); };
  }
  function refresh() {
    var t = token();
    if (!t) return login('Paste a token for your namespace (npm start prints one).');
    fetch(BASE + '/dashboard/data', { headers: { authorization: 'Bearer ' + t } })
      .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
      .then(function (r) {
        if (!r.ok) { if (r.body.error && (r.body.error.code === 'UNAUTHORIZED' || r.body.error.code === 'FORBIDDEN')) { localStorage.removeItem('engram-token'); return login(r.body.error.message); } throw new Error(r.body.error ? r.body.error.message : 'failed'); }
        render(r.body);
      })
      .catch(function (e) { document.getElementById('status').textContent = 'error: ' + e.message; });
  }
  refresh();
  setInterval(refresh, 5000);
})();
`

export interface DashboardPageOptions {
  /** The API's base path. @default '/memory' */
  basePath?: string
}

/** The dashboard HTML (served without auth: it holds no data until the page sends a token). */
export function dashboardPage({ basePath = '/memory' }: DashboardPageOptions = {}): string {
  const base = basePath.replace(/[^A-Za-z0-9/_.-]/g, '')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>engram dashboard</title>
<style>${STYLE}</style>
</head>
<body data-base="${base}">
<header><h1>engram</h1><span class="ns" id="ns"></span><span class="status" id="status">loading…</span></header>
<form class="login" id="login" style="display:none"><h2>Sign in</h2><p id="login-msg"></p><input id="token" placeholder="eg1.…" autocomplete="off"><button>Open dashboard</button></form>
<main>
  <section class="cards" id="cards"></section>
  <section class="panel"><h2>Memories per tier over time</h2><div class="sub">cumulative, by creation time and current tier</div><div id="tiers"></div></section>
  <section class="panel"><h2>Memories per type over time</h2><div class="sub">cumulative, by creation time</div><div id="types"></div></section>
  <section class="panel wide"><h2>Recall latency</h2><div class="sub">latest recalls served by this instance, ms, as the runtime's clock sees them (a Worker's clock moves only on I/O)</div><div id="latency"></div></section>
  <section class="panel wide"><h2>Top recalled memories</h2><div class="sub">by access count</div><div id="top"></div></section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`
}
