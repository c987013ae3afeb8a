/**
 * The dashboard page: one self-contained HTML document (inline CSS and JS, no CDN, no web
 * fonts, no images) that works offline. It subscribes to `/events` (Server-Sent Events) and
 * draws, live:
 * - the root regions' states, the admission gate (open, or the reasons nothing is placed),
 *   venue position, average entry, realized / unrealized PnL, risk phase, operator pause;
 * - the entry-cycle statechart (the root's `entry` region; the whole root when it has none),
 *   the root's other regions (lifecycle, risk) below it, and one statechart per live child (each position), drawn as nested boxes from the
 *   outlines the server read from the machine definitions, active states highlighted;
 * - the ladder: best bid / ask with our entry, exits and open positions at their prices;
 * - the events feed (newest first);
 * - buttons pause / resume / flatten / cancel-all, each behind an in-page confirm dialog,
 *   POSTing to `/command/<action>` with the run's token.
 *
 * Invariants: the token is embedded only when the server says so (loopback); otherwise it is
 * read from the URL fragment. All text from the bot is inserted with textContent (never as
 * HTML). Element ids / data attributes used by the browser test: #gate, #regions
 * [data-region], #feed li[data-type][data-time], #entry-chart, #children, button[data-action],
 * dialog#confirm, #confirm-yes, #result.
 */

export interface PageOptions {
  /** Embedded run token (loopback only); null: read `#token=` from the URL. */
  token: string | null;
}

const CSS = `
*{box-sizing:border-box}body{margin:0;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#0f1419;color:#d6dde6}
header{display:flex;flex-wrap:wrap;gap:8px;align-items:center;padding:8px 14px;background:#161d25;border-bottom:1px solid #26313d}
h1{font-size:15px;margin:0 10px 0 0}h2{font-size:13px;margin:0 0 6px;color:#9fb0c2;text-transform:uppercase;letter-spacing:.04em}
.badge{padding:2px 8px;border-radius:10px;background:#243140;white-space:nowrap}.badge b{color:#fff}
.ok{background:#1d4d34}.bad{background:#5a2a2a}.warn{background:#5a4a1f}
main{display:grid;grid-template-columns:minmax(420px,1.25fr) minmax(320px,1fr) minmax(300px,.9fr);gap:10px;padding:10px}
section{background:#161d25;border:1px solid #26313d;border-radius:6px;padding:8px 10px;min-width:0}
.span2{grid-column:span 2}
table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;text-align:right;font-variant-numeric:tabular-nums}th{color:#8696a8;font-weight:500}td:first-child,th:first-child{text-align:left}
.kv{display:grid;grid-template-columns:auto 1fr;gap:2px 10px}.kv span:nth-child(odd){color:#8696a8}
.pos{color:#4fd18b}.neg{color:#ff7474}
button{font:inherit;padding:5px 12px;border-radius:4px;border:1px solid #3a4a5c;background:#22303f;color:#e6edf3;cursor:pointer}button:hover{background:#2d3f52}
button.danger{border-color:#7a3a3a;background:#4a2323}
#result{margin-left:6px;color:#9fb0c2}
.st{border:1px solid #34414f;border-radius:6px;padding:2px 5px 4px;margin:3px;display:inline-flex;flex-direction:column;vertical-align:top;background:#1a232d;min-width:60px}
.st>.nm{font-size:11px;color:#9fb0c2;white-space:nowrap}.st>.kids{display:flex;flex-wrap:wrap;align-items:flex-start}
.st.parallel>.kids>.st{border-style:dashed}
.st.atomic,.st.final{padding:3px 7px;min-width:0}.st.final{border-width:2px}
.st.initial>.nm::before{content:"\\25B8 ";color:#5d7085}
.st.active{border-color:#49a3ff;background:#17324d}.st.active>.nm{color:#fff;font-weight:600}
.st.atomic.active,.st.final.active{background:#1f6fd1;border-color:#8cc4ff}
 #children{display:grid;grid-template-columns:repeat(auto-fill,minmax(470px,1fr));gap:6px 12px}.child{border-top:1px solid #26313d;padding-top:4px}.child h3{font-size:12px;margin:2px 0}
.next{color:#8696a8;font-size:11px;margin-top:4px}
#ladder tr.bid td{color:#4fd18b}#ladder tr.ask td{color:#ff7474}#ladder tr.mid td{border-top:1px dashed #55677a;height:0;padding:0}
.o{display:inline-block;padding:0 6px;margin:1px 2px;border-radius:8px;font-size:11px}
.o.entry{background:#1f4f8a}.o.exit{background:#7a4b12}.o.position{background:#334150}
#feed{list-style:none;margin:0;padding:0;max-height:520px;overflow:auto;font-size:12px}
#feed li{padding:2px 0;border-bottom:1px solid #1f2832}#feed .t{color:#6f8194;margin-right:6px}#feed .ty{color:#9cc9ff;margin-right:6px}
#feed li.warning .ty{color:#ffc14d}#feed li.error .ty{color:#ff7474}
dialog{background:#1b2430;color:#e6edf3;border:1px solid #3a4a5c;border-radius:8px;max-width:420px}dialog::backdrop{background:#0008}
.muted{color:#6f8194}
`;

const SCRIPT = String.raw`
(() => {
  const meta = document.querySelector('meta[name="dashboard-token"]');
  const TOKEN = (meta && meta.content) || new URLSearchParams(location.hash.slice(1)).get('token') || '';
  const $ = (s) => document.querySelector(s);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  let charts = null;
  const childBoxes = new Map();
  let entryChartFor = '';

  function chartBox(node, initial) {
    const box = el('div', 'st ' + node.type + (initial ? ' initial' : ''));
    box.dataset.stateId = node.id;
    box.title = node.edges.length ? node.edges.map((e) => e.event + ' \u2192 ' + (e.targets.map((t) => t.split('.').pop()).join(', ') || '(self)')).join('\n') : node.key;
    box.appendChild(el('span', 'nm', node.key));
    if (node.states.length) {
      const kids = el('div', 'kids');
      for (const s of node.states) kids.appendChild(chartBox(s, s.id === node.initial));
      box.appendChild(kids);
    }
    return box;
  }
  function findNode(node, id) { if (node.id === id) return node; for (const s of node.states) { const f = findNode(s, id); if (f) return f; } return null; }
  function highlight(container, active) {
    const set = new Set(active);
    for (const b of container.querySelectorAll('.st')) b.classList.toggle('active', set.has(b.dataset.stateId));
  }
  function nextLine(chart, active) {
    const leaves = active.map((id) => findNode(chart, id)).filter((n) => n && n.states.length === 0);
    const edges = [];
    for (const n of leaves) for (const e of n.edges) edges.push(e.event + ' \u2192 ' + (e.targets.map((t) => t.split('.').pop()).join(', ') || '(self)'));
    return edges.length ? 'next: ' + [...new Set(edges)].join(' \u00b7 ') : 'next: (waits for an event of an enclosing state)';
  }
  function entryChart() {
    const root = charts && charts.charts[charts.root];
    if (!root) return null;
    return root.states.find((s) => s.key === 'entry') || root;
  }
  function renderEntryChart() {
    const c = entryChart();
    const host = $('#entry-chart');
    if (!c || entryChartFor === c.id + JSON.stringify(c).length) return;
    entryChartFor = c.id + JSON.stringify(c).length;
    host.replaceChildren(chartBox(c, false));
    const root = charts.charts[charts.root];
    $('#root-chart').replaceChildren(...(root === c ? [] : root.states.filter((s) => s !== c).map((s) => chartBox(s, false))));
  }

  const fmtTime = (iso) => (iso || '').slice(11, 19);
  const signed = (s) => (s && s.startsWith('-') ? 'neg' : s && s !== '0' ? 'pos' : '');

  function renderView(v) {
    const st = v.status;
    $('#running').textContent = v.running ? 'running' : 'not running';
    $('#running').className = 'badge ' + (v.running ? 'ok' : 'bad');
    const regions = $('#regions');
    regions.replaceChildren();
    for (const [k, val] of Object.entries(v.regions)) {
      const b = el('span', 'badge'); b.dataset.region = k; b.append(k + ': '); b.appendChild(el('b', '', val)); regions.appendChild(b);
    }
    const gate = $('#gate');
    if (!st) { gate.textContent = 'gate: \u2014'; gate.className = 'badge'; gate.dataset.reasons = ''; }
    else {
      gate.dataset.reasons = st.gateReasons.join(',');
      gate.textContent = st.gate.open ? 'gate open: placing entries' : 'gate closed: ' + st.gateReasons.join(', ');
      gate.className = 'badge ' + (st.gate.open ? 'ok' : 'warn');
    }
    $('#bot').textContent = st ? st.bot : '';
    $('#clock').textContent = st ? new Date(st.now).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '';
    const kv = $('#kv');
    kv.replaceChildren();
    if (st) {
      const rows = [
        ['market', st.market], ['book', st.book ? st.book.bid + ' / ' + st.book.ask : 'none'], ['mid', v.mid || '\u2014'],
        ['venue position', st.venuePosition], ['avg entry', st.avgEntry], ['tracked size', st.trackedSize],
        ['realized PnL', st.realizedPnl], ['unrealized PnL', st.unrealizedPnl], ['positions', String(st.positions.length)],
        ['resting exits', String(st.restingExits)], ['entry', st.entry ? st.entry.name + ' ' + st.entry.side + ' ' + st.entry.size + ' @ ' + st.entry.price + ' ' + st.entry.status : 'none'],
        ['risk', st.risk.phase + (st.risk.trigger ? ' (' + st.risk.trigger + ')' : '')], ['operator pause', st.operatorPaused ? 'yes' : 'no'], ['next position', 'grid-' + st.nextN],
      ];
      for (const [k, val] of rows) { kv.appendChild(el('span', '', k)); kv.appendChild(el('span', /PnL/.test(k) ? signed(val) : '', val)); }
    }
    renderEntryChart();
    const ec = entryChart();
    if (ec) { highlight($('#entry-chart'), v.rootActive); highlight($('#root-chart'), v.rootActive); $('#entry-next').textContent = nextLine(ec, v.rootActive); }
    renderChildren(v.children);
    renderLadder(v);
  }

  function renderChildren(children) {
    const host = $('#children');
    const seen = new Set();
    for (const c of children) {
      seen.add(c.id);
      let entry = childBoxes.get(c.id);
      const chart = charts && charts.charts[c.machine];
      if (!chart) continue;
      if (!entry) {
        const wrap = el('div', 'child'); wrap.dataset.child = c.id;
        const h = el('h3'); const name = el('span', '', c.id); const val = el('span', 'muted'); h.append(name, ' ', val);
        const box = chartBox(chart, false); const next = el('div', 'next');
        wrap.append(h, box, next); host.appendChild(wrap);
        entry = { wrap, val, next, chart }; childBoxes.set(c.id, entry);
      }
      entry.val.textContent = c.value + (c.status !== 'active' ? ' (' + c.status + ')' : '');
      entry.wrap.dataset.state = c.value;
      highlight(entry.wrap, c.active);
      entry.next.textContent = nextLine(entry.chart, c.active);
    }
    for (const [id, e] of childBoxes) if (!seen.has(id)) { e.wrap.remove(); childBoxes.delete(id); }
    $('#children-empty').hidden = children.length > 0;
  }

  function renderLadder(v) {
    const body = $('#ladder tbody');
    body.replaceChildren();
    let midDone = !v.mid;
    for (const r of v.ladder) {
      if (!midDone && r.aboveMid === false) { const m = el('tr', 'mid'); m.appendChild(el('td')).colSpan = 3; body.appendChild(m); midDone = true; }
      const tr = el('tr', r.bid ? 'bid' : r.ask ? 'ask' : '');
      tr.appendChild(el('td', '', r.price));
      tr.appendChild(el('td', '', r.bid ? 'best bid' : r.ask ? 'best ask' : ''));
      const td = el('td');
      for (const o of r.orders) { const s = el('span', 'o ' + o.kind, o.name + ' ' + o.size); s.title = o.kind + ' ' + o.side + ' ' + o.detail; td.appendChild(s); }
      tr.appendChild(td);
      body.appendChild(tr);
    }
  }

  function addJournal(line) {
    const feed = $('#feed');
    const li = el('li', line.level);
    li.dataset.type = line.type; li.dataset.time = line.time;
    li.appendChild(el('span', 't', fmtTime(line.time)));
    li.appendChild(el('span', 'ty', line.type));
    li.appendChild(el('span', '', line.message));
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 300) feed.lastChild.remove();
  }

  const es = new EventSource('/events?token=' + encodeURIComponent(TOKEN));
  es.addEventListener('charts', (e) => { charts = JSON.parse(e.data); entryChartFor = ''; for (const [, c] of childBoxes) c.wrap.remove(); childBoxes.clear(); });
  es.addEventListener('view', (e) => renderView(JSON.parse(e.data)));
  es.addEventListener('journal', (e) => addJournal(JSON.parse(e.data)));
  es.onopen = () => { $('#link').textContent = 'live'; $('#link').className = 'badge ok'; };
  es.onerror = () => { $('#link').textContent = 'disconnected (retrying)'; $('#link').className = 'badge bad'; };

  const WHAT = {
    pause: 'Pause new entries? Exits, retries and recovery go on; Resume lifts it.',
    resume: 'Resume? Lifts an operator pause or a halt (refused while mid is beyond the stop price).',
    flatten: 'Flatten? Cancels the entry, closes the whole position at market (reduce-only), retires every position, then halts.',
    'cancel-all': 'Cancel all? Cancels the entry and every exit; positions stay tracked; then halts.',
  };
  const dlg = $('#confirm');
  let pending = null;
  for (const b of document.querySelectorAll('button[data-action]')) {
    b.addEventListener('click', () => { pending = b.dataset.action; $('#confirm-text').textContent = WHAT[pending]; $('#confirm-yes').textContent = 'Yes, ' + pending; dlg.showModal(); });
  }
  $('#confirm-no').addEventListener('click', () => { pending = null; dlg.close(); $('#result').textContent = 'not confirmed; nothing sent'; });
  $('#confirm-yes').addEventListener('click', async () => {
    const action = pending; pending = null; dlg.close();
    if (!action) return;
    $('#result').textContent = action + ': sending\u2026';
    try {
      const r = await fetch('/command/' + action, { method: 'POST', headers: { 'X-Dashboard-Token': TOKEN } });
      const body = await r.json();
      $('#result').textContent = (r.ok ? '' : 'refused: ') + body.message;
      $('#result').dataset.ok = String(r.ok);
    } catch (err) { $('#result').textContent = action + ' failed: ' + err.message; $('#result').dataset.ok = 'false'; }
  });
})();
`;

export function dashboardPage(opts: PageOptions): string {
  const meta = opts.token !== null ? `<meta name="dashboard-token" content="${escapeAttr(opts.token)}">` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${meta}
<title>gridchart dashboard</title><style>${CSS}</style></head>
<body>
<header>
  <h1>gridchart</h1><span id="bot" class="muted"></span>
  <span id="link" class="badge">connecting</span><span id="running" class="badge">…</span>
  <span id="regions"></span><span id="gate" class="badge">gate: …</span><span id="clock" class="muted"></span>
  <span style="flex:1"></span>
  <span style="display:inline-flex;gap:6px;align-items:center"><button data-action="pause">Pause</button><button data-action="resume">Resume</button>
  <button data-action="flatten" class="danger">Flatten</button><button data-action="cancel-all" class="danger">Cancel all</button></span>
  <span id="result"></span>
</header>
<main>
  <section><h2>Entry cycle</h2><div id="entry-chart"></div><div id="entry-next" class="next"></div>
    <h2 style="margin-top:12px">Other root regions</h2><div id="root-chart"></div></section>
  <section><h2>Position &amp; PnL</h2><div id="kv" class="kv"></div>
    <h2 style="margin-top:10px">Book around the grid</h2>
    <table id="ladder"><thead><tr><th>price</th><th>book</th><th>our orders</th></tr></thead><tbody></tbody></table></section>
  <section style="grid-row:span 2"><h2>Events</h2><ul id="feed"></ul></section>
  <section class="span2"><h2>Positions</h2><div id="children-empty" class="muted">no tracked position</div><div id="children"></div></section>
</main>
<dialog id="confirm"><p id="confirm-text"></p><p><button id="confirm-yes" class="danger">Yes</button> <button id="confirm-no">Cancel</button></p></dialog>
<script>${SCRIPT}</script>
</body></html>
`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
