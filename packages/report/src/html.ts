/**
 * index.html: the parts of the page that need no script (the summary, the
 * site tables) are written here, so they print and read even without one;
 * charts and the chosen meter's tables are drawn by assets/report.js from
 * data/site.js. Pure: no fs.
 */
import { formatShortDuration } from '@lptool/core';
import type { ProfileEntry, SiteData } from './model.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ESC[c]!);
}

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number) => `${(100 * x).toFixed(x < 0.999995 && x > 0.99 ? 2 : 1)} %`;
const mw = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);

/** A table: header cells, rows of cells (already HTML), optional attributes per row. */
function table(cls: string, head: string[], rows: { cells: string[]; attrs?: string }[], empty: string): string {
  if (!rows.length) return `<p class="none">${esc(empty)}</p>`;
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr${r.attrs ? ` ${r.attrs}` : ''}>${r.cells.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function more(shown: number, total: number, where: string): string {
  return total > shown ? `<p class="more">${int(total - shown)} more not shown: see ${esc(where)}.</p>` : '';
}

interface Card {
  label: string;
  value: string;
  bad: boolean;
  href: string;
  note: string;
}

/** The first thing on the page: what needs a look, in red, with where to look. */
export function summaryCards(d: SiteData): Card[] {
  const meters = d.profiles.filter((p) => p.kind === 'meter');
  const total = d.profiles.find((p) => p.kind === 'total');
  const withGaps = meters.filter((p) => p.gapCount > 0).length;
  const gaps = d.profiles.reduce((s, p) => s + p.gapCount, 0);
  const missing = meters.reduce((s, p) => s + p.missingIntervals, 0);
  const present = meters.reduce((s, p) => s + p.present, 0);
  const expected = meters.reduce((s, p) => s + p.expected, 0);
  const rowProblems = d.profiles.reduce((s, p) => s + p.duplicates + p.outOfOrder, 0);
  const low = d.bess?.ratios.filter((r) => r.low).length ?? 0;
  const cards: Card[] = [
    {
      label: 'meters',
      value: int(meters.length),
      bad: d.missingProfiles.length > 0 || d.unreadable.length > 0,
      href: '#meters',
      note: d.missingProfiles.length
        ? `${d.missingProfiles.length} in meter-data.csv without a profile`
        : d.unreadable.length
          ? `${d.unreadable.length} profile(s) unreadable`
          : 'every meter has a profile',
    },
    {
      label: 'complete',
      value: expected ? pct(present / expected) : '—',
      bad: present < expected,
      href: '#completeness',
      note: `${int(missing)} intervals missing`,
    },
    {
      label: 'gaps',
      value: int(gaps),
      bad: gaps > 0,
      href: '#meters',
      note: `${withGaps} meter(s) with gaps${rowProblems ? `; ${rowProblems} duplicated/out-of-order rows` : ''}`,
    },
    {
      label: 'rejected exports',
      value: int(d.sort.rejectsTotal),
      bad: d.sort.rejectsTotal > 0,
      href: '#intake',
      note: 'kept in data/KW/ERROR',
    },
    {
      label: 're-deliveries',
      value: int(d.sort.duplicatesTotal),
      bad: false,
      href: '#intake',
      note: 'byte-identical, set aside',
    },
    {
      label: 'build conflicts',
      value: int(d.conflicts.total),
      bad: d.conflicts.total > 0,
      href: '#conflicts',
      note: 'overlapping exports that disagree',
    },
  ];
  if (total)
    cards.push({
      label: 'partial totals',
      value: int(total.partial),
      bad: total.partial > 0,
      href: '#partial',
      note: 'intervals of lp/all.csv with a feeder missing',
    });
  if (d.bess)
    cards.push({
      label: 'BESS low coverage',
      value: int(low),
      bad: low > 0,
      href: '#bess',
      note: `of ${d.bess.ratios.length} enclosures`,
    });
  return cards;
}

/** `2024-07-12 11:00` from an ISO local time (the zone is in the page header; the full time in the tooltip). */
function short(iso: string | null): string {
  if (!iso) return '—';
  return `<span title="${esc(iso)}">${esc(iso.slice(0, 16).replace('T', ' '))}</span>`;
}

function metersTable(d: SiteData): string {
  const rows = d.profiles.map((p: ProfileEntry) => {
    const share = p.expected ? p.present / p.expected : 1;
    const problems = p.duplicates + p.outOfOrder;
    const notes = [
      p.kind === 'total' ? `<span class="${p.partial ? 'warn' : 'ok'}">${int(p.partial)} partial totals</span>` : '',
      p.intervalMs !== d.site.intervalMs || p.intervalAssumed
        ? `${esc(formatShortDuration(p.intervalMs))} intervals${p.intervalAssumed ? ' (assumed: too few rows to tell)' : ''}`
        : '',
    ].filter(Boolean);
    return {
      attrs: `data-profile="${esc(p.name)}" data-gaps="${p.gapCount}" class="${p.kind}${p.gapCount ? ' has-gaps' : ''}"`,
      cells: [
        `<a href="#meter=${esc(p.name)}" class="open">${esc(p.name)}</a>${p.kind === 'total' ? ' <span class="tag">system total</span>' : ''}`,
        esc(p.meter ?? ''),
        short(p.first),
        short(p.last),
        int(p.rows),
        `<span class="${share < 1 ? 'bad' : 'ok'}">${pct(share)}</span>`,
        `<span class="gapcount ${p.gapCount ? 'bad' : 'ok'}">${p.gapCount}</span>`,
        int(p.missingIntervals),
        problems ? `<span class="bad">${p.duplicates} / ${p.outOfOrder}</span>` : '0 / 0',
        mw(p.stats?.peak_mw),
        notes.join('; '),
      ],
    };
  });
  const head = [
    'profile',
    'meter id',
    'first start',
    'last end',
    'rows',
    'complete',
    'gaps',
    'missing intervals',
    'duplicate / out-of-order rows',
    'peak MW',
    'notes',
  ];
  const notes = [
    d.missingProfiles.length
      ? `<p class="bad">In meter-data.csv without a profile in lp/: ${d.missingProfiles.map(esc).join(', ')}.</p>`
      : '',
    d.unreadable.length
      ? `<p class="bad">Not readable, left out: ${d.unreadable.map((u) => `${esc(u.file)} (${esc(u.error)})`).join('; ')}.</p>`
      : '',
    d.otherProfiles.length
      ? `<p class="note">Other CSV files in lp/ that are not meters of meter-data.csv (not in this report): ${d.otherProfiles.map(esc).join(', ')}.</p>`
      : '',
  ];
  return `${table('meters', head, rows, 'No profiles in lp/ yet: run lptool build.')}${notes.join('')}`;
}

function intake(d: SiteData): string {
  const s = d.sort;
  const last = s.lastRun
    ? `<p>Last sort run finished ${esc(s.lastRun.at)} (UTC): ${Object.entries(s.lastRun.counts)
        .map(([k, v]) => `${esc(k)} ${int(v)}`)
        .join(', ')}.</p>`
    : '<p class="none">No finished sort run in logs/dropbox.log.</p>';
  const rejects = table(
    'rejects',
    ['rejected (UTC)', 'export', 'reason', 'what', 'rows named'],
    s.rejects.map((r) => ({
      cells: [
        esc(r.at),
        `${esc(r.source)}<br><span class="path">${esc(r.file)}</span>`,
        `<span class="bad">${esc(r.reason)}</span>`,
        esc(r.message),
        r.rows.map((x) => `line ${x.line}`).join(', ') + (r.rowsTotal > r.rows.length ? ' …' : ''),
      ],
    })),
    'No rejected exports in data/KW/ERROR/.',
  );
  const dups = table(
    'duplicates',
    ['delivered (UTC)', 'export', 'same bytes as'],
    s.duplicates.map((x) => ({
      cells: [esc(x.at), `${esc(x.file)}<br><span class="path">${esc(x.dest)}</span>`, esc(x.original)],
    })),
    'No re-deliveries logged.',
  );
  return `${last}<h3>Rejected exports (${int(s.rejectsTotal)})</h3>${rejects}${more(s.rejects.length, s.rejectsTotal, 'data/KW/ERROR/*.json')}<h3>Re-deliveries (${int(s.duplicatesTotal)})</h3>${dups}${more(s.duplicates.length, s.duplicatesTotal, 'logs/dropbox.log')}`;
}

function conflicts(d: SiteData): string {
  const c = d.conflicts;
  return `${table(
    'conflicts',
    ['meter', 'interval start', 'kept (the export whose data ends latest)', 'dropped'],
    c.rows.map((x) => ({
      cells: [
        `<a href="#meter=${esc(x.name)}" class="open">${esc(x.name)}</a>`,
        `<a href="#meter=${esc(x.name)}" class="zoom" data-profile="${esc(x.name)}" data-s="${x.s}" data-e="${x.e}">${esc(x.start)}</a>`,
        `${esc(x.kept.values)}<br><span class="path">${esc(x.kept.file)}:${x.kept.line}</span>`,
        `${esc(x.dropped.values)}<br><span class="path">${esc(x.dropped.file)}:${x.dropped.line}</span>`,
      ],
    })),
    'No standing conflicts in logs/build.log.',
  )}${more(c.rows.length, c.total, 'logs/build.log')}`;
}

function partial(d: SiteData): string {
  const t = d.total;
  if (!t) return '<p class="none">No lp/all.csv: run lptool merge.</p>';
  return `${table(
    'partial',
    ['from', 'to', 'intervals', 'feeders missing'],
    t.partialRuns.map((r) => ({
      attrs: `data-s="${r.s}" data-e="${r.e}"`,
      cells: [
        `<a href="#meter=${esc(t.name)}" class="zoom" data-profile="${esc(t.name)}" data-s="${r.s}" data-e="${r.e}">${esc(r.start)}</a>`,
        esc(r.end),
        int(r.intervals),
        esc(r.missingFeeders.join(', ') || '—'),
      ],
    })),
    'Every interval of the total has all its feeders.',
  )}${more(t.partialRuns.length, t.partialRunsTotal, 'lp/all.csv (feeders_reporting < feeders_expected)')}`;
}

function bess(d: SiteData): string {
  const b = d.bess;
  if (!b) return '';
  const bottom = table(
    'bottom',
    ['metric', 'rank', 'enclosure', 'total kWh'],
    b.bottom.map((r) => ({ cells: [esc(r.metric), String(r.rank), esc(r.enclosure), mw(r.kwh, 1)] })),
    'No outliers_bottom5.csv.',
  );
  const ratios = table(
    'ratios',
    ['enclosure', 'inverter', 'charged kWh', 'discharged kWh', 'round trip', 'coverage'],
    b.ratios.map((r) => ({
      cells: [
        esc(r.enclosure),
        esc(r.inverter),
        mw(r.charged, 1),
        mw(r.discharged, 1),
        mw(r.ratio),
        `<span class="${r.low ? 'warn' : 'ok'}">${r.coverage === null ? '—' : pct(r.coverage)}</span>`,
      ],
    })),
    'No enclosure_summary.csv.',
  );
  return `<section id="bess"><h2>BESS</h2><p class="note">From ${esc(b.dir)} (lptool bess -c ${esc(b.config)}); days in ${esc(b.zone)}.</p>
<div class="chart" id="chart-bess-heatmap"></div>
<h3>Bottom 5 by charged and by discharged energy (kWh)</h3>${bottom}
<div class="chart" id="chart-bess-ratios"></div>
<details><summary>Round-trip ratios, all ${b.ratios.length} enclosures</summary>${ratios}</details></section>`;
}

function oneMeter(d: SiteData): string {
  const options = d.profiles
    .map((p) => `<option value="${esc(p.name)}">${esc(p.name)}${p.kind === 'total' ? ' (system total)' : ''}</option>`)
    .join('');
  return `<section id="meter"><h2>One meter: <select id="pick" aria-label="profile">${options}</select></h2>
<div class="chart profile" id="chart-meter"></div>
<div class="columns"><div id="meter-stats"></div><div id="meter-gaps"></div></div></section>`;
}

export interface PageAssets {
  scripts: string[];
  styles: string[];
}

/** The whole index.html. */
export function indexHtml(d: SiteData, assets: PageAssets): string {
  const cards = summaryCards(d)
    .map(
      (c) =>
        `<a class="card${c.bad ? ' bad' : ''}" href="${c.href}" data-card="${esc(c.label)}"><span class="value">${esc(c.value)}</span><span class="label">${esc(c.label)}</span><span class="note">${esc(c.note)}</span></a>`,
    )
    .join('');
  const hasTotal = d.total !== null;
  const has = (id: string) => d.charts.some((c) => c.id === id);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${esc(d.generator)}">
<title>lptool report — ${esc(d.site.name)}</title>
${assets.styles.map((s) => `<link rel="stylesheet" href="${esc(s)}">`).join('\n')}
</head><body>
<header><h1>Load profile QA — ${esc(d.site.name)}</h1>
<p class="meta">Generated ${esc(d.generatedAt)} by ${esc(d.generator)} · data ${esc(d.range.first ?? '—')} → ${esc(d.range.last ?? '—')} · times in <b>${esc(d.site.zone)}</b> (site wall clock, ${esc(d.site.clock)} meters) · ${esc(formatShortDuration(d.site.intervalMs))} intervals · power in MW, energy in MWh</p>
<nav><a href="#completeness">completeness</a><a href="#meters">meters</a><a href="#intake">sort &amp; build</a>${d.profiles.length ? '<a href="#meter">one meter</a>' : ''}${hasTotal ? '<a href="#total">system total</a>' : ''}${d.bess ? '<a href="#bess">BESS</a>' : ''}</nav>
<div id="status" role="status"></div></header>
<main>
<section id="summary" class="cards">${cards}</section>
${d.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}
<section id="completeness">${has('completeness') ? '<div class="chart" id="chart-completeness"></div>' : '<p class="none">No meter profiles in lp/ yet: run lptool build.</p>'}</section>
<section id="meters"><h2>Meters</h2><p class="note">Completeness and gaps as <code>lptool gaps</code> finds them (intervals present of those expected over the days above); click a name to open it.</p>${metersTable(d)}</section>
<section id="intake"><h2>Latest sort outcomes</h2>${intake(d)}</section>
<section id="conflicts"><h2>Build conflicts (${int(d.conflicts.total)})</h2><p class="note">The same interval in two exports with different values: build kept the export whose data ends latest.</p>${conflicts(d)}</section>
<section id="partial"><h2>Partial totals${d.total ? ` (${int(d.total.partialRunsTotal)} stretches)` : ''}</h2>${partial(d)}</section>
${d.profiles.length ? oneMeter(d) : ''}
${hasTotal ? `<section id="total"><h2>System total</h2><div class="chart profile" id="chart-total"></div><div id="total-peak"></div>${has('peak-shares') ? '<div class="chart" id="chart-peak-shares"></div>' : ''}</section>` : ''}
${bess(d)}
</main>
<footer>lptool report · ${d.profiles.length} profiles · open from a file share or disk: it needs no server and no network.</footer>
${assets.scripts.map((s) => `<script src="${esc(s)}"></script>`).join('\n')}
</body></html>
`;
}
