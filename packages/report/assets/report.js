/*
 * lptool report: the page's script. data/site.js has set window.LPTOOL_REPORT (packages/report/src/model.ts,
 * SiteData); each data/series/<name>.js, loaded when its profile is shown, calls window.LPTOOL_REPORT_SERIES.
 * Plain script tags only: the page must work from file://, where fetch() and ES modules are refused.
 * window.lptoolReport exposes the views and timings (the browser test and the bench read them).
 * Everything is in one block (strict, so its functions and constants stay inside it): nothing but
 * window.LPTOOL_REPORT_SERIES and window.lptoolReport is set on the page's global scope.
 */

{
  const D = window.LPTOOL_REPORT;
  const DAY = 86_400_000;
  const views = {};
  const seriesCache = new Map();
  const waiting = new Map();
  const api = { views, readyMs: null, errors: [], shown: {}, timings: {} };
  window.lptoolReport = api;

  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const fmt = (x, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
  const int = (n) => n.toLocaleString('en-US');

  const fail = (message, error) => {
    api.errors.push(message);
    const s = $('#status');
    s.className = 'error';
    s.textContent = message;
    console.error(message, error ?? '');
  };

  /* ---- time: instants → the site's wall clock (drawn on UTC scales) */
  const offsets = D.offsets;
  const toWall = (t) => {
    let lo = 0;
    let hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid][0] <= t) lo = mid;
      else hi = mid - 1;
    }
    return t + offsets[lo][1];
  };

  /* ---- series files: runs of starts + Int32 little-endian values, base64 (src/encode.ts) */
  const decode = (s) => {
    const bin = atob(s.values);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const view = new DataView(bytes.buffer);
    const points = [];
    let k = 0;
    for (const [t0, count] of s.runs) {
      // a point without a value where the last run ended: the drawn line breaks at the hole
      if (k > 0) points.push({ t: toWall(t0) - s.intervalMs, v: null });
      for (let j = 0; j < count; j++, k++) {
        const t = t0 + j * s.intervalMs;
        points.push({ t: toWall(t), v: view.getInt32(k * 4, true) / s.scale });
      }
    }
    return points;
  };

  window.LPTOOL_REPORT_SERIES = (file) => {
    const w = waiting.get(file.name);
    if (file.gen !== D.gen) {
      const s = $('#status');
      s.className = 'warn';
      s.textContent = 'This report was refreshed since the page was opened: reload the page to see the new one.';
    }
    if (w) w.resolve(file);
  };

  const loadSeries = (entry) => {
    if (!seriesCache.has(entry.name)) {
      const p = new Promise((resolve, reject) => {
        waiting.set(entry.name, { resolve });
        const script = el('script', { src: entry.series });
        script.onerror = () => reject(new Error(`cannot load ${entry.series}`));
        document.body.append(script);
      }).then((file) => ({ file, points: decode(file.series) }));
      seriesCache.set(entry.name, p);
    }
    return seriesCache.get(entry.name);
  };

  /* ---- charts */
  const embed = async (id, target, decl, datasets = {}) => {
    const t0 = performance.now();
    if (views[id]) views[id].finalize();
    const spec = { ...decl.spec, datasets: { ...(decl.spec.datasets ?? {}), ...datasets } };
    const result = await window.vegaEmbed(target, spec, { renderer: decl.renderer, actions: false, mode: 'vega-lite' });
    views[id] = result.view;
    api.timings[id] = Math.round(performance.now() - t0);
    return result.view;
  };

  /** The brush param of a profile spec, found wherever the spec keeps it. */
  const withWindow = (spec, span) => {
    const copy = JSON.parse(JSON.stringify({ ...spec, datasets: undefined }));
    copy.datasets = spec.datasets;
    const walk = (node) => {
      if (!node || typeof node !== 'object') return;
      for (const p of node.params ?? []) if (p.name === 'brush') p.value = { x: span };
      for (const k of ['vconcat', 'layer']) for (const c of node[k] ?? []) walk(c);
    };
    if (span) walk(copy);
    return copy;
  };

  const byName = new Map(D.profiles.map((p) => [p.name, p]));

  const showProfile = async (slot, name, span) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`no profile ${name}`);
    const { file, points } = await loadSeries(entry);
    const decl = { ...file.chart, spec: withWindow(file.chart.spec, span) };
    await embed(slot, `#chart-${slot}`, decl, { points });
    api.shown[slot] = name;
    if (slot === 'meter') {
      if ($('#pick')) $('#pick').value = name;
      statsTable(entry);
      gapTable(entry);
    }
  };

  const statsTable = (p) => {
    const s = p.stats;
    const host = $('#meter-stats');
    host.replaceChildren(el('h3', {}, `${p.name}: figures over its whole range`));
    if (!s) {
      host.append(el('p', { class: 'none' }, 'No rows.'));
      return;
    }
    const field = p.kind === 'total' ? 'MW_total' : 'MW_net';
    const rows = [
      ['range', `${s.from} → ${s.to}`],
      [`peak ${field}`, `${fmt(s.peak_mw)} MW at ${s.peak_at}`],
      [`minimum ${field} (peak export when negative)`, `${fmt(s.min_mw)} MW at ${s.min_at}`],
      ['average', `${fmt(s.average_mw)} MW`],
      ['load factor (average / peak)', fmt(s.load_factor)],
      ['energy delivered (MW_del)', s.mwh_delivered === null ? '—' : `${fmt(s.mwh_delivered)} MWh`],
      ['energy received (MW_rec)', s.mwh_received === null ? '—' : `${fmt(s.mwh_received)} MWh`],
      ['energy net', `${fmt(s.mwh_net)} MWh`],
      ['intervals with flow both ways', s.flow_reversals === null ? '—' : int(s.flow_reversals)],
      ['intervals present / expected', `${int(s.intervals_present)} / ${int(s.intervals_expected)}`],
    ];
    const t = el('table', { class: 'stats' });
    for (const [k, v] of rows) t.append(el('tr', {}, el('th', {}, k), el('td', {}, v)));
    host.append(t, el('p', { class: 'note' }, `Times in ${D.site.zone}.`));
  };

  const gapTable = (p) => {
    const host = $('#meter-gaps');
    host.replaceChildren(el('h3', {}, `Gaps (${p.gapCount}, ${int(p.missingIntervals)} intervals missing)`));
    if (!p.gaps.length) {
      host.append(el('p', { class: 'none' }, 'No gaps.'));
      return;
    }
    const t = el('table', { class: 'gaps' });
    t.append(el('tr', {}, ...['gap start', 'gap end', 'duration', 'missing', ''].map((h) => el('th', {}, h))));
    for (const g of p.gaps) {
      const b = el('button', { type: 'button', class: 'zoom' }, 'show');
      b.onclick = () => run(showProfile('meter', p.name, around(g.s, g.e)));
      t.append(
        el(
          'tr',
          {},
          el('td', {}, g.gap_start),
          el('td', {}, g.gap_end),
          el('td', {}, g.gap_duration),
          el('td', {}, g.missing_intervals),
          el('td', {}, b),
        ),
      );
    }
    host.append(t);
    if (p.gapCount > p.gaps.length) host.append(el('p', { class: 'more' }, `${p.gapCount - p.gaps.length} more.`));
  };

  /** A window around a span: the span and a day either side. */
  const around = (s, e) => [s - DAY, e + DAY];

  const heatmapCells = () => {
    const h = D.heatmap;
    const cells = [];
    for (const p of D.profiles) {
      if (!p.perColumn) continue;
      const expected = p.expectedPerColumn ?? h.expected;
      p.perColumn.forEach((present, k) => {
        cells.push({
          meter: p.name,
          date: h.dates[k],
          d0: h.wall[k],
          d1: h.wall[k + 1],
          present,
          expected: expected[k],
          share: expected[k] ? present / expected[k] : 1,
        });
      });
    }
    return cells;
  };

  const open = (name, span) => {
    history.replaceState(null, '', `#meter=${encodeURIComponent(name)}`); // (no hashchange event)
    run(showProfile('meter', name, span).then(() => $('#meter').scrollIntoView()));
  };

  const siteCharts = async () => {
    const jobs = [];
    for (const decl of D.charts) {
      const target = `#chart-${decl.id}`;
      if (decl.id === 'completeness')
        jobs.push(
          embed(decl.id, target, decl, { cells: heatmapCells() }).then((view) =>
            view.addEventListener('click', (_, item) => {
              const d = item?.datum;
              if (d?.meter) open(d.meter, [d.d0 - DAY, d.d1 + DAY]);
            }),
          ),
        );
      else if (decl.id === 'peak-shares') jobs.push(embed(decl.id, target, decl, { feeders: D.total.peak.feeders }));
      else if (decl.id === 'bess-heatmap') {
        const b = D.bess;
        const cells = b.cells.map(([e, d, kwh]) => ({ enclosure: b.enclosures[e], date: b.dates[d], kwh }));
        jobs.push(embed(decl.id, target, decl, { cells }));
      } else if (decl.id === 'bess-ratios') jobs.push(embed(decl.id, target, decl, { enclosures: D.bess.ratios }));
    }
    return Promise.all(jobs);
  };

  const peakText = () => {
    const t = D.total;
    const host = $('#total-peak');
    if (!host || !t?.peak) return;
    const missing = t.peak.feeders.filter((f) => f.mw === null).map((f) => f.name);
    host.replaceChildren(
      el(
        'p',
        {},
        `Coincident peak: ${fmt(t.peak.mw)} MW (MW_total) in the interval starting ${t.peak.at} (${D.site.zone}).`,
        missing.length ? ` No row at that instant for: ${missing.join(', ')}.` : '',
      ),
    );
  };

  const run = (promise) => promise.catch((e) => fail(`The report could not draw a chart: ${e?.message ?? e}`, e));

  const wire = () => {
    $('#pick')?.addEventListener('change', (e) => open(e.target.value));
    document.addEventListener('click', (e) => {
      const a = e.target.closest?.('a.zoom');
      if (!a) return;
      e.preventDefault();
      open(a.dataset.profile, around(Number(a.dataset.s), Number(a.dataset.e)));
    });
    window.addEventListener('hashchange', () => {
      const m = /^#meter=(.+)$/.exec(location.hash);
      const name = m && decodeURIComponent(m[1]);
      if (name && byName.has(name) && name !== api.shown.meter) open(name);
    });
  };

  /** The meter shown first: the one in the address, else the least complete meter, else the first profile. */
  const firstMeter = () => {
    const m = /^#meter=(.+)$/.exec(location.hash);
    const named = m && decodeURIComponent(m[1]);
    if (named && byName.has(named)) return named;
    return D.heatmap.rows[0] ?? D.profiles[0]?.name ?? null;
  };

  const start = async () => {
    wire();
    peakText();
    const first = firstMeter();
    const total = D.profiles.find((p) => p.kind === 'total');
    await Promise.all([
      siteCharts(),
      first ? showProfile('meter', first) : null,
      total ? showProfile('total', total.name) : null,
    ]);
    api.readyMs = performance.now();
    document.documentElement.dataset.ready = String(Math.round(api.readyMs));
  };

  run(start());
}
