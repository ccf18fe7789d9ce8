#!/usr/bin/env node
// pnpm bench [--quick] [--meters N] [--days D] [--no-peer] [--out DIR] [--cache DIR]
//
// Generates its data with `lptool synth` (cached in bench/cache), measures every command beside its floors (cat,
// sha256sum, a bare csv-parse pass over the same bytes) and, where python3 with pandas is available, the pandas
// peer (../shared/peers/peer_pandas.py) on the identical archive. Prints a table and writes bench/results.json.
// Not part of CI (noisy, minutes); `--quick` (small sizes, nothing written to bench/) runs in the test suite.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(REPO, 'packages/cli/dist/bin.js');
const PEERS = path.resolve(REPO, '../shared/peers');
const args = process.argv.slice(2);
const flag = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const quick = args.includes('--quick');
const meters = Number(flag('--meters', quick ? 3 : 50));
const days = Number(flag('--days', quick ? 14 : 365));
const outDir = path.resolve(flag('--out', path.join(REPO, 'bench/out')));
const cacheDir = path.resolve(flag('--cache', path.join(REPO, 'bench/cache')));
const PY = process.env.PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const p2 = (n) => String(n).padStart(2, '0');
const lbl = (w) => {
  const d = new Date(w);
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCFullYear() % 100)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
};
const log = (s) => process.stderr.write(`bench: ${s}\n`);

/** Run a command; wall time (s) and peak RSS (MB, from /usr/bin/time when present). */
function measure(cmd, argv) {
  const rssFile = path.join(os.tmpdir(), `lptool-bench-rss-${process.pid}`);
  const [c, a] = TIME ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let rssMb = null;
  if (TIME && fs.existsSync(rssFile)) {
    rssMb = Math.round(Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024);
    fs.rmSync(rssFile, { force: true });
  }
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`${cmd} ${argv.join(' ').slice(0, 300)} exited ${r.status ?? r.error}: ${r.stderr}`);
  return { wall, rssMb, stdout: r.stdout };
}
const lptoolRun = (...a) => {
  const r = spawnSync(process.execPath, ['--max-old-space-size=8192', BIN, ...a], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`lptool ${a.join(' ')} exited ${r.status}`);
};
const hasPandas = () => spawnSync(PY, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0;
function csvFilesUnder(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.csv')) out.push(f);
    }
  };
  walk(dir);
  return out.sort();
}

// ---- data: `lptool synth site`, taken in once by `lptool sort` into an archive (cached); both tools read copies
const source = path.join(cacheDir, `site-${meters}x${days}`);
if (!fs.existsSync(path.join(source, 'data/KW'))) {
  log(`generating ${meters} meters × ${days} days into ${source}`);
  fs.rmSync(source, { recursive: true, force: true });
  lptoolRun(
    'synth',
    'site',
    '--out',
    source,
    '--meters',
    String(meters),
    '--days',
    String(days),
    '--start',
    '2023-01-01',
    '--seed',
    '7',
  );
  lptoolRun('sort', '--root', source, '--settle', '0');
  fs.rmSync(path.join(source, 'logs'), { recursive: true, force: true });
  fs.rmSync(path.join(source, '.processed-hashes.json'), { force: true });
}
let peerOk = !args.includes('--no-peer') && fs.existsSync(path.join(PEERS, 'peer_pandas.py'));
if (peerOk && !hasPandas()) {
  log('pandas missing: trying ../shared/peers/ensure_deps.sh');
  spawnSync('bash', [path.join(PEERS, 'ensure_deps.sh')], { stdio: 'inherit' });
  peerOk = hasPandas();
  if (!peerOk) log('no pandas: the peer is left out');
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const ours = path.join(outDir, 'lptool');
const peer = path.join(outDir, 'peer');
fs.cpSync(source, ours, { recursive: true });
if (peerOk) fs.cpSync(source, peer, { recursive: true });
const inputs = csvFilesUnder(path.join(ours, 'data/KW')).filter((f) => /data\/KW\/\d{4}-\d{2}\//.test(f));
const bytes = inputs.reduce((s, f) => s + fs.statSync(f).size, 0);
const rows = inputs.reduce((s, f) => s + fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length - 1, 0);
log(`${inputs.length} files, ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);

const results = [];
const row = (name, m, extra = {}) => {
  const r = { step: name, wall_s: Number(m.wall.toFixed(3)), rss_mb: m.rssMb, ...extra };
  if (m.runs) r.runs_s = m.runs.map((w) => Number(w.toFixed(3)));
  results.push(r);
  log(
    `${name}: ${r.wall_s}s${m.rssMb ? `, ${m.rssMb} MB` : ''}${m.runs ? ` (median of ${r.runs_s.join(' / ')})` : ''}`,
  );
  return r;
};
/**
 * The median of REPEAT runs (this VM's speed swings by ±20 % over tens of seconds: one run of a step can land in
 * a slow spell the other steps missed); RSS is the largest. `before(k)` prepares run k and is not timed.
 */
const REPEAT = quick ? 1 : 3;
const median = (before, run) => {
  const ms = [];
  for (let k = 0; k < REPEAT; k++) {
    before(k);
    ms.push(run());
  }
  const walls = ms.map((m) => m.wall);
  const mid = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)];
  return { wall: mid, rssMb: Math.max(...ms.map((m) => m.rssMb ?? 0)) || null, runs: REPEAT > 1 ? walls : undefined };
};

// ---- floors on the same bytes
// (find | xargs: thousands of names do not fit one command line)
const archive = path.join(ours, 'data/KW');
const each = (cmd) =>
  `find '${archive}' -path '*/[0-9][0-9][0-9][0-9]-[0-9][0-9]/*.csv' -print0 | xargs -0 ${cmd} > /dev/null`;
row('floor: cat', measure('sh', ['-c', each('cat')]));
row('floor: sha256sum', measure('sh', ['-c', each('sha256sum')]));
const floor = row(
  'floor: bare csv-parse pass',
  measure(process.execPath, [path.join(REPO, 'bench/csv-parse-floor.mjs'), path.join(ours, 'data/KW')]),
);

// ---- lptool sort: the same files delivered into an empty site's dropbox
const sortSite = path.join(outDir, 'sort');
fs.mkdirSync(path.join(sortSite, '_dropbox/KW'), { recursive: true });
fs.copyFileSync(path.join(ours, 'lptool.yaml'), path.join(sortSite, 'lptool.yaml'));
const yesterday = new Date(Date.now() - 86_400_000);
for (const f of inputs) {
  const to = path.join(sortSite, '_dropbox/KW', path.basename(f));
  fs.copyFileSync(f, to);
  fs.utimesSync(to, yesterday, yesterday);
}
row(
  `lptool sort (${inputs.length} files into an empty site)`,
  measure(process.execPath, [BIN, 'sort', '--root', sortSite, '--settle', '0']),
  { files: inputs.length },
);

// ---- build → merge → gaps, then one more day per meter and an incremental build
const lp = (...a) => measure(process.execPath, [BIN, ...a, '--root', ours]);
// a first run each time: no profiles, no manifest (every file hashed)
const build = row(
  'lptool build (full, first run)',
  median(
    () => {
      fs.rmSync(path.join(ours, 'lp'), { recursive: true, force: true });
      spawnSync('sync'); // the freed blocks are written back before the clock starts
    },
    () => lp('build'),
  ),
);
const merge = row('lptool merge', lp('merge'));
const gapsRun = row('lptool gaps (all profiles)', lp('gaps'));
const pipeline = build.wall_s + merge.wall_s + gapsRun.wall_s;
const reportRun = await benchReport();
// three cron runs in a row, each after one more day of files per meter
const incr = row(
  'lptool build (incremental, +1 day/meter)',
  median(
    (k) => addOneDay(ours, k),
    () => lp('build'),
  ),
);
const first = fs
  .readdirSync(path.join(ours, 'lp'))
  .find((f) => /\.csv$/.test(f) && f !== 'all.csv' && !f.includes('_gaps'));
row(
  `lptool gaps --png (one profile, ${days} days)`,
  measure(process.execPath, [BIN, 'gaps', path.join(ours, 'lp', first), '--png', '--root', ours]),
);

// ---- export: the profiles and the total as a Parquet dataset, and into a local PostgreSQL server
lp('merge'); // the total of the profiles as they are now
const exported = fs
  .readdirSync(path.join(ours, 'lp'))
  .filter((f) => /\.csv$/.test(f) && !f.includes('_gaps'))
  .reduce(
    (n, f) =>
      n +
      fs
        .readFileSync(path.join(ours, 'lp', f), 'utf8')
        .split('\n')
        .filter(Boolean).length -
      1,
    0,
  );
const lake = path.join(outDir, 'lake');
const parquet = row(
  'lptool export parquet (new dataset)',
  median(
    () => fs.rmSync(lake, { recursive: true, force: true }),
    () => lp('export', 'parquet', '--out', lake),
  ),
  { rows: exported },
);
const lakeBytes = parquetFiles(lake).reduce((s, f) => s + fs.statSync(f).size, 0);
parquet.bytes_per_row = Number((lakeBytes / exported).toFixed(2));
row('lptool export parquet (nothing changed)', lp('export', 'parquet', '--out', lake));
let postgres = null;
const { findPgBin, startPgCluster } = await import(path.join(REPO, 'packages/export/dist/pg-cluster.js'));
if (findPgBin()) {
  // a durable server (fsync on, as a real one), a new database for each run
  const cluster = await startPgCluster({ durable: true });
  try {
    const { default: pg } = await import(path.join(REPO, 'packages/export/node_modules/pg/lib/index.js'));
    const admin = new pg.Client(cluster.url());
    await admin.connect();
    for (let k = 0; k < REPEAT; k++) await admin.query(`CREATE DATABASE bench_${k}`);
    await admin.end();
    let run = 0;
    postgres = row(
      'lptool export postgres (first load, local server)',
      median(
        () => {},
        () => lp('export', 'postgres', '--url', cluster.url({ database: `bench_${run++}` })),
      ),
      { rows: exported },
    );
  } finally {
    cluster.stop();
  }
} else log('no PostgreSQL server binaries: export postgres is left out');

// ---- bess: wide telemetry from `lptool synth bess` (cached), CSV and Parquet
const bessArgs = quick
  ? ['--inverters', '2', '--days', '1', '--extra-columns', '20']
  : ['--inverters', '20', '--days', '30', '--extra-columns', '900'];
for (const fmt of ['csv', 'parquet']) {
  const dir = path.join(cacheDir, `bess-${quick ? 'quick' : '30d-2041'}-${fmt}`);
  if (!fs.existsSync(path.join(dir, 'bess.yaml'))) {
    log(`generating wide BESS telemetry (${fmt}) into ${dir}`);
    fs.rmSync(dir, { recursive: true, force: true });
    lptoolRun('synth', 'bess', '--out', dir, '--format', fmt, '--step', '1m', ...bessArgs);
  }
  const file = path.join(dir, `telemetry.${fmt}`);
  const size = fs.statSync(file).size;
  const columns =
    fmt === 'csv'
      ? fs
          .readFileSync(file, 'utf8')
          .slice(0, 1 << 20)
          .split('\n')[0]
          .split(',').length
      : null;
  row(
    `lptool bess (${fmt}, ${(size / 1e6).toFixed(0)} MB${columns ? `, ${columns} columns` : ''})`,
    measure(process.execPath, [
      BIN,
      'bess',
      '-c',
      path.join(dir, 'bess.yaml'),
      '--out',
      path.join(outDir, `bess-${fmt}`),
    ]),
    { file_mb: Number((size / 1e6).toFixed(1)) },
  );
}

// ---- label resolution throughput (in process)
const { SiteClock, resolveIntervals } = await import(path.join(REPO, 'packages/core/dist/index.js'));
const clock = new SiteClock('America/Los_Angeles');
const starts = [];
const ends = [];
for (let t = Date.parse('2024-01-01T08:00:00Z'); starts.length < 35136; t += 900_000) {
  starts.push(lbl(clock.wallOf(t)));
  ends.push(lbl(clock.wallOf(t + 900_000)));
}
let resolved = 0;
const t0 = performance.now();
while (performance.now() - t0 < (quick ? 200 : 1500)) {
  resolveIntervals(starts, ends, { clock, intervalMs: 900_000 });
  resolved += starts.length * 2;
}
const labelsPerSec = Math.round(resolved / ((performance.now() - t0) / 1000));

// ---- the pandas peer on identical input
let peerResult = null;
if (peerOk) {
  const m = measure(PY, [path.join(PEERS, 'peer_pandas.py'), peer, '--json']);
  peerResult = { ...JSON.parse(m.stdout.trim().split('\n').pop()), wall_s: Number(m.wall.toFixed(3)), rss_mb: m.rssMb };
  log(
    `peer: build ${peerResult.build_s}s merge ${peerResult.merge_s}s gaps ${peerResult.gaps_s}s (process ${peerResult.wall_s}s)`,
  );
}

const summary = {
  when: new Date().toISOString(),
  machine: { cpus: os.cpus().length, node: process.version },
  data: { meters, days, files: inputs.length, rows, mb: Number((bytes / 1e6).toFixed(1)) },
  steps: results,
  build_rows_per_s: Math.round(rows / build.wall_s),
  build_mb_per_s: Number((bytes / 1e6 / build.wall_s).toFixed(1)),
  build_vs_csv_parse_floor: Number((build.wall_s / floor.wall_s).toFixed(2)),
  pipeline_s: Number(pipeline.toFixed(3)),
  incremental_vs_full: Number((incr.wall_s / build.wall_s).toFixed(3)),
  labels_per_s: labelsPerSec,
  report: reportRun,
  export_rows: exported,
  export_parquet_rows_per_s: Math.round(exported / parquet.wall_s),
  export_parquet_bytes_per_row: parquet.bytes_per_row,
  export_postgres_rows_per_s: postgres ? Math.round(exported / postgres.wall_s) : null,
  peer: peerResult,
  speedup_vs_peer: peerResult ? Number((peerResult.wall_s / pipeline).toFixed(2)) : null,
};
if (!quick) fs.writeFileSync(path.join(REPO, 'bench/results.json'), `${JSON.stringify(summary, null, 2)}\n`);

const pad = (s, n) => String(s).padEnd(n);
const perRow = (r) =>
  r.rows
    ? Math.round(r.rows / r.wall_s)
    : r.step.startsWith('lptool build (full') || r.step.startsWith('floor') || r.step.startsWith('lptool sort')
      ? Math.round(rows / r.wall_s)
      : '';
const mbs = (r) =>
  r.step.startsWith('lptool build (full') || r.step.startsWith('floor') || r.step.startsWith('lptool sort')
    ? (bytes / 1e6 / r.wall_s).toFixed(0)
    : r.file_mb
      ? (r.file_mb / r.wall_s).toFixed(0)
      : '';
console.log(
  `\nlptool bench — ${meters} meters × ${days} days: ${inputs.length} files, ${rows} rows, ${summary.data.mb} MB (${os.cpus().length} cores, Node ${process.version})\n`,
);
console.log(`${pad('step', 52)}${pad('wall s', 9)}${pad('rows/s', 11)}${pad('MB/s', 7)}peak RSS`);
for (const r of results)
  console.log(
    `${pad(r.step, 52)}${pad(r.wall_s.toFixed(2), 9)}${pad(perRow(r), 11)}${pad(mbs(r), 7)}${r.rss_mb ? `${r.rss_mb} MB` : 'n/a'}`,
  );
if (peerResult)
  console.log(
    `${pad('pandas peer: build + merge + gaps (one process)', 52)}${pad(peerResult.wall_s.toFixed(2), 9)}${pad(Math.round(rows / peerResult.build_s), 11)}${pad('', 7)}${peerResult.rss_mb ? `${peerResult.rss_mb} MB` : 'n/a'}`,
  );
console.log(
  `\nbuild + merge + gaps: ${summary.pipeline_s}s${peerResult ? ` — ${summary.speedup_vs_peer}× faster than the pandas peer (${peerResult.wall_s}s)` : ' (no peer)'}`,
);
console.log(
  `full build: ${summary.build_vs_csv_parse_floor}× the bare csv-parse pass; incremental (+1 day): ${(summary.incremental_vs_full * 100).toFixed(1)} % of full`,
);
console.log(
  `report: ${reportRun.mb} MB in ${reportRun.files} files, written in ${reportRun.wall_s}s; every chart drawn ${reportRun.browser_s === null ? 'n/a (no Chromium)' : `${reportRun.browser_s}s`} after load in headless Chromium`,
);
console.log(
  `label resolution (resolveIntervals, America/Los_Angeles, a year of 15-minute rows): ${labelsPerSec.toLocaleString('en-US')} labels/s`,
);
console.log(
  `export: ${exported.toLocaleString('en-US')} rows — Parquet ${summary.export_parquet_rows_per_s.toLocaleString('en-US')} rows/s, ${summary.export_parquet_bytes_per_row} bytes/row; PostgreSQL ${summary.export_postgres_rows_per_s ? `${summary.export_postgres_rows_per_s.toLocaleString('en-US')} rows/s` : 'n/a (no server binaries)'}`,
);
if (!quick) console.log('\nwritten: bench/results.json');

/**
 * `lptool report` on the built site (sort, build, merge, gaps): its wall time, the folder's size, and how long
 * headless Chromium takes from load until every chart is drawn (the page's own ready signal, checked for errors).
 */
async function benchReport() {
  const m = lp('report');
  const out = path.join(ours, 'lp/report');
  let bytes = 0;
  let files = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else {
        bytes += fs.statSync(f).size;
        files++;
      }
    }
  };
  walk(out);
  const { CHROMIUM, withReportPage } = await import(path.join(REPO, 'packages/report/dist/browser-check.js'));
  let browser = null;
  if (fs.existsSync(CHROMIUM)) {
    browser = await withReportPage(path.join(out, 'index.html'), async ({ check }) => check);
    const broken = [...browser.consoleErrors, ...browser.failedRequests, ...browser.empty];
    if (broken.length || Number.isNaN(browser.readyMs))
      throw new Error(`report: the page failed: ${broken.join('; ')}`);
  } else log(`no Chromium at ${CHROMIUM}: the report's in-browser time is left out`);
  const mb = Number((bytes / 1e6).toFixed(1));
  const browserS = browser ? Number((browser.readyMs / 1000).toFixed(2)) : null;
  row(`lptool report (${mb} MB; drawn in ${browserS === null ? 'n/a' : `${browserS}s`} in Chromium)`, m, {
    mb,
    browser_s: browserS,
  });
  return { wall_s: Number(m.wall.toFixed(3)), mb, files, browser_s: browserS };
}

/** Every .parquet file under dir. */
function parquetFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.parquet')) out.push(f);
    }
  };
  walk(dir);
  return out;
}

/** One more day of 15-minute rows per meter, continuing each meter's archive (what a cron run brings). */
function addOneDay(site, k) {
  const md = fs.readFileSync(path.join(site, 'meter-data.csv'), 'utf8').trim().split('\n').slice(1);
  const all = csvFilesUnder(path.join(site, 'data/KW')).filter((f) => /data\/KW\/\d{4}-\d{2}\//.test(f));
  for (const line of md) {
    const [id, name] = line.split(',');
    const last = all.filter((f) => path.basename(f).startsWith(`${name}-`)).pop();
    const text = fs.readFileSync(last, 'utf8').trim().split('\n');
    const f = text[text.length - 1].split(',');
    // labels as the exports write them; early January has no DST night
    const [md1, t1] = f[4].split(' ');
    const [mo, d, y] = md1.split('/').map(Number);
    let w = Date.UTC(2000 + y, mo - 1, d, ...t1.split(':').map(Number));
    const out = [text[0]];
    for (let i = 0; i < 96; i++, w += 900_000)
      out.push([id, Number(f[1]) + 1 + i, 'Normal', lbl(w), lbl(w + 900_000), '12.5', '0', '14.1', '0'].join(','));
    const dir = path.join(site, 'data/KW', new Date(w - 900_000).toISOString().slice(0, 7));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}-extra-day-${k + 1}.csv`), `${out.join('\n')}\n`);
  }
}
