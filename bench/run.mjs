#!/usr/bin/env node
// pnpm bench [--quick] [--meters N] [--days D] [--rounds R] [--pipeline] [--no-peer] [--peers] [--out DIR] [--cache DIR]
//
// What issue 16 asks, measured side by side: lptool's build + merge + gaps against the DuckDB peer
// (../shared/peers/duckdb, copied into bench/cache and `npm ci`-ed there on first use) and the pandas peer
// (../shared/peers/peer_pandas.py), each on a fresh copy of the same archive, each timed as a whole process under
// /usr/bin/time (wall, CPU = user + sys, peak RSS), in R alternating rounds (default 3: medians are reported, with
// each round's ratio), plus lptool sort against its floors (sha256sum, a bare csv-parse pass, a bare byte pass) and
// the incremental cron builds (the first after the full build, which fills the empty shadows, and a later one).
// Then the other commands' lines (report, gaps --png, export, bess) — not with --pipeline. The data is `lptool synth` (cached in bench/cache). Prints the tables, the targets and the load
// average; writes bench/results.json. Not part of CI (noisy, minutes); `--quick` (small sizes, one round, nothing
// written to bench/) runs in the test suite. From 200 meters on, one round and no peers unless --peers.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
// LPTOOL_BENCH_BIN: another build's bin.js to time (a before/after comparison on the same archive and peers)
const BIN = path.resolve(process.env.LPTOOL_BENCH_BIN ?? path.join(REPO, 'packages/cli/dist/bin.js'));
const PEERS = path.resolve(process.env.LPTOOL_PEERS ?? path.join(REPO, '../shared/peers'));
const args = process.argv.slice(2);
const flag = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const quick = args.includes('--quick');
const meters = Number(flag('--meters', quick ? 3 : 50));
const days = Number(flag('--days', quick ? 14 : 365));
const big = meters >= 200;
const ROUNDS = Number(flag('--rounds', quick || big ? 1 : 3));
const pipelineOnly = args.includes('--pipeline');
const outDir = path.resolve(flag('--out', path.join(REPO, 'bench/out')));
const cacheDir = path.resolve(flag('--cache', path.join(REPO, 'bench/cache')));
const PY = process.env.PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const wantPeers = !args.includes('--no-peer') && (!big || args.includes('--peers'));

const p2 = (n) => String(n).padStart(2, '0');
const lbl = (w) => {
  const d = new Date(w);
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCFullYear() % 100)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
};
const log = (s) => process.stderr.write(`bench: ${s}\n`);
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

/**
 * Run a command as a whole process: wall time (s, from spawn to exit), CPU seconds (user + sys of the process and
 * its children, from /usr/bin/time) and peak RSS (MB). Exit 0 and 1 are results; anything else is a failure.
 */
function measure(cmd, argv, options = {}) {
  const timeFile = path.join(os.tmpdir(), `lptool-bench-time-${process.pid}`);
  const [c, a] = TIME ? [TIME, ['-f', '%U %S %M', '-o', timeFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let cpu = null;
  let rssMb = null;
  if (TIME && fs.existsSync(timeFile)) {
    const [user, sys, kb] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpu = user + sys;
    rssMb = Math.round(kb / 1024);
    fs.rmSync(timeFile, { force: true });
  }
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`${cmd} ${argv.join(' ').slice(0, 300)} exited ${r.status ?? r.error}: ${r.stderr}`);
  return { wall, cpu, rssMb, stdout: r.stdout };
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
/** A fresh copy of `from` at `to` (whatever was there goes), written back to disk before any clock starts. */
function freshCopy(from, to) {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true, preserveTimestamps: true });
  spawnSync('sync');
}

// ---- data: `lptool synth site`, taken in once by `lptool sort` into an archive (cached); every tool reads copies
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
const peers = preparePeers();
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const ours = path.join(outDir, 'lptool');
const inputs = csvFilesUnder(path.join(source, 'data/KW')).filter((f) => /data\/KW\/\d{4}-\d{2}\//.test(f));
const bytes = inputs.reduce((s, f) => s + fs.statSync(f).size, 0);
let rows = 0;
for (const f of inputs) {
  const b = fs.readFileSync(f);
  for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) rows++;
  rows--; // the header
}
log(`${inputs.length} files, ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB; load average ${load()}`);
const loadAtStart = load();

/** The DuckDB peer, copied into the cache and installed there (npm ci) once; the pandas peer where pandas is. */
function preparePeers() {
  const out = { duckdb: null, pandas: null };
  if (!wantPeers) return out;
  const duck = path.join(PEERS, 'duckdb');
  if (fs.existsSync(path.join(duck, 'peer_duckdb.mjs'))) {
    const dir = path.join(cacheDir, 'peer-duckdb');
    const lock = (d) =>
      fs.existsSync(path.join(d, 'package-lock.json'))
        ? fs.readFileSync(path.join(d, 'package-lock.json'), 'utf8')
        : '';
    if (!fs.existsSync(path.join(dir, 'node_modules/@duckdb/node-api')) || lock(dir) !== lock(duck)) {
      log(`installing the DuckDB peer into ${dir} (npm ci)`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true });
      for (const f of fs.readdirSync(duck))
        if (!fs.statSync(path.join(duck, f)).isDirectory()) fs.copyFileSync(path.join(duck, f), path.join(dir, f));
      const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
        cwd: dir,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.status !== 0) log('npm ci of the DuckDB peer failed: the DuckDB peer is left out');
    }
    for (const f of fs.readdirSync(duck))
      if (f.endsWith('.mjs')) fs.copyFileSync(path.join(duck, f), path.join(dir, f));
    if (fs.existsSync(path.join(dir, 'node_modules/@duckdb/node-api'))) out.duckdb = path.join(dir, 'peer_duckdb.mjs');
  } else log(`no DuckDB peer at ${duck}: it is left out`);
  if (fs.existsSync(path.join(PEERS, 'peer_pandas.py'))) {
    if (!hasPandas()) {
      log('pandas missing: trying ../shared/peers/ensure_deps.sh');
      spawnSync('bash', [path.join(PEERS, 'ensure_deps.sh')], { stdio: 'inherit' });
    }
    if (hasPandas()) out.pandas = path.join(PEERS, 'peer_pandas.py');
    else log('no pandas: the pandas peer is left out');
  }
  return out;
}

// ---- the rounds: each tool on a fresh copy of the archive, alternating, R times
const samples = new Map(); // step → [{wall, cpu, rssMb, load}]
const note = (step, m) => {
  if (!samples.has(step)) samples.set(step, []);
  samples.get(step).push({ wall: m.wall, cpu: m.cpu, rssMb: m.rssMb });
  log(
    `${step}: ${m.wall.toFixed(2)} s wall${m.cpu === null ? '' : `, ${m.cpu.toFixed(2)} s CPU`}${m.rssMb ? `, ${m.rssMb} MB` : ''}`,
  );
  return m;
};
const lp = (...a) => measure(process.execPath, [BIN, ...a, '--root', ours]);
const STEPS = {
  build: 'lptool build (full, first run)',
  merge: 'lptool merge',
  gaps: 'lptool gaps (all profiles)',
  incr: 'lptool build (incremental, +1 day/meter)',
  incr2: 'lptool build (a later cron run, +1 day/meter)',
  run: 'lptool run (build + merge + gaps, one process)',
  sort: `lptool sort (${inputs.length} files into an empty site)`,
  duckdb: 'DuckDB peer: build + merge + gaps (one process)',
  pandas: 'pandas peer: build + merge + gaps (one process)',
  cat: 'floor: cat',
  sha: 'floor: sha256sum',
  csvparse: 'floor: bare csv-parse pass',
  bytes: 'floor: bare byte pass',
};
const peerPhases = { duckdb: [], pandas: [] };
const roundLoads = [];
const tools = [lptoolRound, ...(peers.duckdb ? [duckdbRound] : []), ...(peers.pandas ? [pandasRound] : []), sortRound];
for (let k = 0; k < ROUNDS; k++) {
  roundLoads.push(load());
  log(`round ${k + 1} of ${ROUNDS} (load average ${roundLoads[k]})`);
  // alternate which tool goes first, so no tool always meets the same moment of the machine
  for (let j = 0; j < tools.length; j++) tools[(j + k) % tools.length](k);
}

/** lptool: a first (cold) full build, merge, gaps; then one more day per meter and the incremental cron build. */
function lptoolRound(k) {
  freshCopy(source, ours);
  note(STEPS.build, lp('build'));
  note(STEPS.merge, lp('merge'));
  note(STEPS.gaps, lp('gaps'));
  addOneDay(ours, k);
  spawnSync('sync');
  note(STEPS.incr, lp('build'));
  // the first cron run after a full build fills the profiles' (empty) shadows; the runs after it are the steady state
  addOneDay(ours, k + 100);
  spawnSync('sync');
  note(STEPS.incr2, lp('build'));
  // the same work as the cron line does it: one process, one lock (sort finds the archive already filed)
  freshCopy(source, ours);
  note(STEPS.run, lp('run', '--settle', '0'));
}
function duckdbRound() {
  const site = path.join(outDir, 'duckdb');
  freshCopy(source, site);
  const m = note(STEPS.duckdb, measure(process.execPath, [peers.duckdb, site, '--json']));
  peerPhases.duckdb.push(JSON.parse(m.stdout.trim().split('\n').pop()));
  fs.rmSync(site, { recursive: true, force: true });
}
function pandasRound() {
  const site = path.join(outDir, 'pandas');
  freshCopy(source, site);
  const m = note(STEPS.pandas, measure(PY, [peers.pandas, site, '--json']));
  peerPhases.pandas.push(JSON.parse(m.stdout.trim().split('\n').pop()));
  fs.rmSync(site, { recursive: true, force: true });
}
/** sort: the archive's files delivered into an empty site's dropbox; then the floors on the same bytes. */
function sortRound() {
  const sortSite = path.join(outDir, 'sort');
  fs.rmSync(sortSite, { recursive: true, force: true });
  fs.mkdirSync(path.join(sortSite, '_dropbox/KW'), { recursive: true });
  fs.copyFileSync(path.join(source, 'lptool.yaml'), path.join(sortSite, 'lptool.yaml'));
  const yesterday = new Date(Date.now() - 86_400_000);
  for (const f of inputs) {
    const to = path.join(sortSite, '_dropbox/KW', path.basename(f));
    fs.copyFileSync(f, to);
    fs.utimesSync(to, yesterday, yesterday);
  }
  spawnSync('sync');
  note(STEPS.sort, measure(process.execPath, [BIN, 'sort', '--root', sortSite, '--settle', '0']));
  fs.rmSync(sortSite, { recursive: true, force: true });
  // the floors (find | xargs: thousands of names do not fit one command line)
  const archive = path.join(source, 'data/KW');
  const each = (cmd) =>
    `find '${archive}' -path '*/[0-9][0-9][0-9][0-9]-[0-9][0-9]/*.csv' -print0 | xargs -0 ${cmd} > /dev/null`;
  note(STEPS.cat, measure('sh', ['-c', each('cat')]));
  note(STEPS.sha, measure('sh', ['-c', each('sha256sum')]));
  note(STEPS.csvparse, measure(process.execPath, [path.join(REPO, 'bench/csv-parse-floor.mjs'), archive]));
  note(STEPS.bytes, measure(process.execPath, [path.join(REPO, 'bench/byte-floor.mjs'), archive]));
}

// ---- medians
const med = (xs) => {
  const s = xs.filter((x) => x !== null).sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : null;
};
const stat = (step) => {
  const xs = samples.get(step) ?? [];
  return {
    wall: med(xs.map((x) => x.wall)),
    cpu: med(xs.map((x) => x.cpu)),
    rssMb: Math.max(0, ...xs.map((x) => x.rssMb ?? 0)) || null,
    walls: xs.map((x) => x.wall),
    cpus: xs.map((x) => x.cpu),
  };
};
const results = [];
const row = (name, m, extra = {}) => {
  const r = {
    step: name,
    wall_s: Number(m.wall.toFixed(3)),
    cpu_s: m.cpu === null || m.cpu === undefined ? null : Number(m.cpu.toFixed(2)),
    rss_mb: m.rssMb,
    ...extra,
  };
  if (m.walls && m.walls.length > 1) {
    r.runs_wall_s = m.walls.map((w) => Number(w.toFixed(3)));
    r.runs_cpu_s = m.cpus.map((c) => (c === null ? null : Number(c.toFixed(2))));
  }
  results.push(r);
  return r;
};
for (const key of ['cat', 'sha', 'csvparse', 'bytes', 'sort', 'build', 'merge', 'gaps', 'incr', 'incr2', 'run'])
  row(STEPS[key], stat(STEPS[key]));
/** Per round: lptool's build + merge + gaps as the sum of its three processes. */
const pipe = { walls: [], cpus: [], rss: [] };
for (let k = 0; k < ROUNDS; k++) {
  const at = (s) => samples.get(STEPS[s])[k];
  pipe.walls.push(at('build').wall + at('merge').wall + at('gaps').wall);
  pipe.cpus.push(TIME ? at('build').cpu + at('merge').cpu + at('gaps').cpu : null);
  pipe.rss.push(Math.max(at('build').rssMb ?? 0, at('merge').rssMb ?? 0, at('gaps').rssMb ?? 0));
}
const pipeline = {
  wall: med(pipe.walls),
  cpu: med(pipe.cpus),
  rssMb: Math.max(...pipe.rss) || null,
  walls: pipe.walls,
  cpus: pipe.cpus,
};
const pipelineRow = row('lptool build + merge + gaps (3 processes)', pipeline);
const duck = peers.duckdb ? row(STEPS.duckdb, stat(STEPS.duckdb)) : null;
const pandas = peers.pandas ? row(STEPS.pandas, stat(STEPS.pandas)) : null;
/** The ratio of each round (a round's tools ran within a minute of each other), then their median. */
const paired = (a, b) => med(a.map((x, k) => (x === null || b[k] === null ? null : x / b[k])));
const build = stat(STEPS.build);
const incr = stat(STEPS.incr);
const incr2 = stat(STEPS.incr2);
const sortStat = stat(STEPS.sort);
const floorCsv = med(samples.get(STEPS.sha).map((s, k) => s.wall + samples.get(STEPS.csvparse)[k].wall));
const floorBytes = med(samples.get(STEPS.sha).map((s, k) => s.wall + samples.get(STEPS.bytes)[k].wall));
const floorCsvCpu = TIME ? med(samples.get(STEPS.sha).map((s, k) => s.cpu + samples.get(STEPS.csvparse)[k].cpu)) : null;
const floorBytesCpu = TIME ? med(samples.get(STEPS.sha).map((s, k) => s.cpu + samples.get(STEPS.bytes)[k].cpu)) : null;
const ratios = {
  wall_vs_duckdb: duck ? paired(pipe.walls, stat(STEPS.duckdb).walls) : null,
  cpu_vs_duckdb: duck && TIME ? paired(pipe.cpus, stat(STEPS.duckdb).cpus) : null,
  pandas_vs_lptool: pandas ? paired(stat(STEPS.pandas).walls, pipe.walls) : null,
  incremental_vs_full_wall: incr.wall / build.wall,
  incremental_vs_full_cpu: TIME ? incr.cpu / build.cpu : null,
  later_cron_vs_full_wall: incr2.wall / build.wall,
  later_cron_vs_full_cpu: TIME ? incr2.cpu / build.cpu : null,
  sort_vs_sha256_csvparse: sortStat.wall / floorCsv,
  sort_vs_sha256_bytes: sortStat.wall / floorBytes,
  sort_cpu_vs_sha256_csvparse: TIME ? sortStat.cpu / floorCsvCpu : null,
  sort_cpu_vs_sha256_bytes: TIME ? sortStat.cpu / floorBytesCpu : null,
};
const lptoolRss =
  Math.max(...['build', 'merge', 'gaps', 'incr', 'incr2'].map((s) => stat(STEPS[s]).rssMb ?? 0)) || null;

// ---- the other commands, once, on the site of the last round (built, merged, gapped, one day more)
let reportRun = null;
let parquet = null;
let postgres = null;
let exported = null;
let labelsPerSec = null;
if (!pipelineOnly) {
  reportRun = await benchReport();
  const first = fs
    .readdirSync(path.join(ours, 'lp'))
    .find((f) => /\.csv$/.test(f) && f !== 'all.csv' && !f.includes('_gaps'));
  row(
    `lptool gaps --png (one profile, ${days} days)`,
    measure(process.execPath, [BIN, 'gaps', path.join(ours, 'lp', first), '--png', '--root', ours]),
  );
  ({ parquet, postgres, exported } = await benchExport());
  await benchBess();
  labelsPerSec = await benchLabels();
}

const summary = {
  when: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    node: process.version,
    load_start: loadAtStart,
    load_rounds: roundLoads,
    load_end: load(),
  },
  data: { meters, days, files: inputs.length, rows, mb: Number((bytes / 1e6).toFixed(1)) },
  rounds: ROUNDS,
  steps: results,
  peer_phases: peerPhases,
  ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, v === null ? null : Number(v.toFixed(3))])),
  build_rows_per_s: Math.round(rows / build.wall),
  pipeline_s: Number(pipeline.wall.toFixed(3)),
  pipeline_cpu_s: pipeline.cpu === null ? null : Number(pipeline.cpu.toFixed(2)),
  lptool_peak_rss_mb: lptoolRss,
  incremental_vs_full: Number(ratios.incremental_vs_full_wall.toFixed(3)),
  labels_per_s: labelsPerSec,
  report: reportRun,
  export_rows: exported,
  export_parquet_rows_per_s: parquet ? Math.round(exported / parquet.wall_s) : null,
  export_parquet_bytes_per_row: parquet?.bytes_per_row ?? null,
  export_postgres_rows_per_s: postgres ? Math.round(exported / postgres.wall_s) : null,
  speedup_vs_peer: ratios.pandas_vs_lptool === null ? null : Number(ratios.pandas_vs_lptool.toFixed(2)),
};
if (!quick) fs.writeFileSync(path.join(REPO, 'bench/results.json'), `${JSON.stringify(summary, null, 2)}\n`);
const pad = (s, n) => String(s).padEnd(n);
const f2 = (x) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));
printTables();

function printTables() {
  printSteps();
  if (duck || pandas) printSideBySide();
  printTargets();
  printClosing();
}

/** Every step's line: wall, CPU, rows/s, MB/s, peak RSS. */
function printSteps() {
  const perRow = (r) =>
    r.rows
      ? Math.round(r.rows / r.wall_s)
      : /^(lptool build \(full|floor|lptool sort)/.test(r.step)
        ? Math.round(rows / r.wall_s)
        : '';
  const mbs = (r) =>
    /^(lptool build \(full|floor|lptool sort)/.test(r.step)
      ? (bytes / 1e6 / r.wall_s).toFixed(0)
      : r.file_mb
        ? (r.file_mb / r.wall_s).toFixed(0)
        : '';
  console.log(
    `\nlptool bench — ${meters} meters × ${days} days: ${inputs.length} files, ${rows} rows, ${summary.data.mb} MB (${os.cpus().length} cores, Node ${process.version}); ${ROUNDS > 1 ? `medians of ${ROUNDS} alternating rounds, each on a fresh copy` : 'one round'}; load average ${loadAtStart} at the start, ${summary.machine.load_end} at the end\n`,
  );
  console.log(`${pad('step', 52)}${pad('wall s', 9)}${pad('CPU s', 8)}${pad('rows/s', 11)}${pad('MB/s', 7)}peak RSS`);
  for (const r of results)
    console.log(
      `${pad(r.step, 52)}${pad(r.wall_s.toFixed(2), 9)}${pad(f2(r.cpu_s), 8)}${pad(perRow(r), 11)}${pad(mbs(r), 7)}${r.rss_mb ? `${r.rss_mb} MB` : 'n/a'}`,
    );
}

/** lptool's build + merge + gaps beside the peers, with the per-round ratios and the peers' own phases. */
function printSideBySide() {
  console.log(
    `\n${pad('the pipeline, side by side', 42)}${pad('wall s', 9)}${pad('CPU s', 8)}${pad('peak RSS', 10)}lptool ÷ tool (wall, CPU; per-round medians)`,
  );
  const side = (name, r, w, c) =>
    console.log(
      `${pad(name, 42)}${pad(r.wall_s.toFixed(2), 9)}${pad(f2(r.cpu_s), 8)}${pad(r.rss_mb ? `${r.rss_mb} MB` : 'n/a', 10)}${w === null ? '' : `${f2(w)}×, ${f2(c)}×`}`,
    );
  side('lptool build + merge + gaps', pipelineRow, null, null);
  const runRow = results.find((r) => r.step === STEPS.run);
  const runStat = stat(STEPS.run);
  if (runRow)
    side(
      'lptool run (one process)',
      runRow,
      duck ? paired(runStat.walls, stat(STEPS.duckdb).walls) : null,
      duck && TIME ? paired(runStat.cpus, stat(STEPS.duckdb).cpus) : null,
    );
  if (duck) side('DuckDB peer (2 threads)', duck, ratios.wall_vs_duckdb, ratios.cpu_vs_duckdb);
  if (pandas) side('pandas peer', pandas, 1 / ratios.pandas_vs_lptool, paired(pipe.cpus, stat(STEPS.pandas).cpus));
  for (const [tool, ph] of Object.entries(peerPhases))
    if (ph.length)
      console.log(
        `  ${tool}'s own phases (median): build ${f2(med(ph.map((p) => p.build_s)))} s, merge ${f2(med(ph.map((p) => p.merge_s)))} s, gaps ${f2(med(ph.map((p) => p.gaps_s)))} s`,
      );
}

/** Issue 16's targets: measured, bound, met or not. */
function printTargets() {
  const target = (what, got, limit, ok) =>
    console.log(`${pad(what, 60)}${pad(got, 34)}${pad(limit, 22)}${ok === null ? 'n/a' : ok ? 'met' : 'NOT met'}`);
  console.log(`\n${pad('target (issue 16)', 60)}${pad('measured', 34)}${pad('bound', 22)}`);
  const ok = (x, bound) => (x === null || x === undefined ? null : x <= bound);
  target(
    'build + merge + gaps wall ≤ DuckDB peer',
    ratios.wall_vs_duckdb === null ? 'n/a' : `${f2(ratios.wall_vs_duckdb)}× DuckDB's`,
    '≤ 1×',
    ok(ratios.wall_vs_duckdb, 1),
  );
  target(
    'build + merge + gaps CPU ≤ DuckDB peer',
    ratios.cpu_vs_duckdb === null ? 'n/a' : `${f2(ratios.cpu_vs_duckdb)}× DuckDB's`,
    '≤ 1×',
    ok(ratios.cpu_vs_duckdb, 1),
  );
  target(
    'pandas peer ÷ build + merge + gaps',
    ratios.pandas_vs_lptool === null ? 'n/a' : `${f2(ratios.pandas_vs_lptool)}×`,
    '≥ 8×',
    ratios.pandas_vs_lptool === null ? null : ratios.pandas_vs_lptool >= 8,
  );
  target(
    'peak RSS (build, merge, gaps, incremental)',
    lptoolRss ? `${lptoolRss} MB` : 'n/a',
    '≤ 300 MB',
    lptoolRss === null ? null : lptoolRss <= 300,
  );
  target(
    'incremental (+1 day/meter) ÷ full build',
    `${(ratios.incremental_vs_full_wall * 100).toFixed(1)} % wall, ${ratios.incremental_vs_full_cpu === null ? 'n/a' : `${(ratios.incremental_vs_full_cpu * 100).toFixed(1)} %`} CPU`,
    '≤ 3 %',
    ok(ratios.incremental_vs_full_wall, 0.03),
  );
  target(
    'a later cron run (+1 day/meter) ÷ full build',
    `${(ratios.later_cron_vs_full_wall * 100).toFixed(1)} % wall, ${ratios.later_cron_vs_full_cpu === null ? 'n/a' : `${(ratios.later_cron_vs_full_cpu * 100).toFixed(1)} %`} CPU`,
    '≤ 3 %',
    ok(ratios.later_cron_vs_full_wall, 0.03),
  );
  target(
    'sort ÷ (sha256sum + bare csv-parse pass)',
    `${f2(ratios.sort_vs_sha256_csvparse)}× wall, ${f2(ratios.sort_cpu_vs_sha256_csvparse)}× CPU`,
    '≤ 1.5×',
    ok(ratios.sort_vs_sha256_csvparse, 1.5),
  );
  target(
    'sort ÷ (sha256sum + bare byte pass)',
    `${f2(ratios.sort_vs_sha256_bytes)}× wall, ${f2(ratios.sort_cpu_vs_sha256_bytes)}× CPU`,
    '≤ 1.5×',
    ok(ratios.sort_vs_sha256_bytes, 1.5),
  );
}

/** The closing lines: the pipeline against the peers, build's rows/s, and the other commands' one-liners. */
function printClosing() {
  console.log(
    `\nbuild + merge + gaps: ${summary.pipeline_s}s${pandas ? ` — ${summary.speedup_vs_peer}× faster than the pandas peer (${pandas.wall_s}s)` : duck ? '' : ' (no peer)'}${duck ? `; DuckDB peer ${duck.wall_s}s` : ''}`,
  );
  console.log(
    `full build: ${summary.build_rows_per_s.toLocaleString('en-US')} rows/s, ${(build.wall / floorCsv).toFixed(2)}× sha256sum + the bare csv-parse pass; incremental (+1 day): ${(summary.incremental_vs_full * 100).toFixed(1)} % of full`,
  );
  if (reportRun)
    console.log(
      `report: ${reportRun.mb} MB in ${reportRun.files} files, written in ${reportRun.wall_s}s; every chart drawn ${reportRun.browser_s === null ? 'n/a (no Chromium)' : `${reportRun.browser_s}s`} after load in headless Chromium`,
    );
  if (labelsPerSec)
    console.log(
      `label resolution (resolveIntervals, America/Los_Angeles, a year of 15-minute rows): ${labelsPerSec.toLocaleString('en-US')} labels/s`,
    );
  if (parquet)
    console.log(
      `export: ${exported.toLocaleString('en-US')} rows — Parquet ${summary.export_parquet_rows_per_s.toLocaleString('en-US')} rows/s, ${summary.export_parquet_bytes_per_row} bytes/row; PostgreSQL ${summary.export_postgres_rows_per_s ? `${summary.export_postgres_rows_per_s.toLocaleString('en-US')} rows/s` : 'n/a (no server binaries)'}`,
    );
  if (!quick) console.log('\nwritten: bench/results.json');
}

/** The export lines: a new Parquet dataset (median of the rounds), nothing changed, a first PostgreSQL load. */
async function benchExport() {
  lp('merge'); // the total of the profiles as they are now
  const exportedRows = fs
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
  const runs = [];
  for (let k = 0; k < ROUNDS; k++) {
    fs.rmSync(lake, { recursive: true, force: true });
    runs.push(lp('export', 'parquet', '--out', lake));
  }
  const pq = row('lptool export parquet (new dataset)', medianOf(runs), { rows: exportedRows });
  const lakeBytes = parquetFiles(lake).reduce((s, f) => s + fs.statSync(f).size, 0);
  pq.bytes_per_row = Number((lakeBytes / exportedRows).toFixed(2));
  row('lptool export parquet (nothing changed)', lp('export', 'parquet', '--out', lake));
  let pg = null;
  const { findPgBin, startPgCluster } = await import(path.join(REPO, 'packages/export/dist/pg-cluster.js'));
  if (findPgBin()) {
    // a durable server (fsync on, as a real one), a new database for each run
    const cluster = await startPgCluster({ durable: true });
    try {
      const { default: pgLib } = await import(path.join(REPO, 'packages/export/node_modules/pg/lib/index.js'));
      const admin = new pgLib.Client(cluster.url());
      await admin.connect();
      for (let k = 0; k < ROUNDS; k++) await admin.query(`CREATE DATABASE bench_${k}`);
      await admin.end();
      const loads = [];
      for (let k = 0; k < ROUNDS; k++)
        loads.push(lp('export', 'postgres', '--url', cluster.url({ database: `bench_${k}` })));
      pg = row('lptool export postgres (first load, local server)', medianOf(loads), { rows: exportedRows });
    } finally {
      cluster.stop();
    }
  } else log('no PostgreSQL server binaries: export postgres is left out');
  return { parquet: pq, postgres: pg, exported: exportedRows };
}

/** The median (wall and CPU) of some runs of one step; RSS the largest. */
function medianOf(ms) {
  return {
    wall: med(ms.map((m) => m.wall)),
    cpu: med(ms.map((m) => m.cpu)),
    rssMb: Math.max(...ms.map((m) => m.rssMb ?? 0)) || null,
    walls: ms.map((m) => m.wall),
    cpus: ms.map((m) => m.cpu),
  };
}

/** bess: wide telemetry from `lptool synth bess` (cached), CSV and Parquet. */
async function benchBess() {
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
}

/** Label resolution throughput, in process. */
async function benchLabels() {
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
  return Math.round(resolved / ((performance.now() - t0) / 1000));
}

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
