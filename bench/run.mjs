#!/usr/bin/env node
// pnpm bench [--quick] [--meters N] [--days D] [--no-peer]
//
// Measures lptool on a generated archive beside its floors (cat, sha256sum, a bare csv-parse pass) and, where
// python3 with pandas is available, the pandas peer (../shared/peers/peer_pandas.py) on identical input.
// Prints a table and writes bench/results.json. Not part of CI (noisy, minutes); `--quick` runs in the tests.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const BIN = path.join(REPO, 'packages/cli/dist/bin.js');
const PEERS = path.resolve(REPO, '../shared/peers');
const args = process.argv.slice(2);
const flag = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
};
const quick = args.includes('--quick');
const meters = Number(flag('--meters', quick ? 3 : 20));
const days = Number(flag('--days', quick ? 14 : 365));
const outDir = flag('--out', path.join(REPO, 'bench/out'));
const cacheDir = path.join(REPO, 'bench/cache');
const PY = process.env.PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

const p2 = (n) => String(n).padStart(2, '0');
const lbl = (w) => {
  const d = new Date(w);
  return `${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCFullYear() % 100)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:00`;
};

function log(s) {
  process.stderr.write(`bench: ${s}\n`);
}

/** Run a command; wall time (s) and peak RSS (MB, from /usr/bin/time when present). */
function measure(cmd, argv, opts = {}) {
  const rssFile = path.join(os.tmpdir(), `lptool-bench-rss-${process.pid}`);
  const [c, a] = TIME ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(c, a, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let rssMb = null;
  if (TIME && fs.existsSync(rssFile)) {
    rssMb = Math.round(Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024);
    fs.rmSync(rssFile, { force: true });
  }
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { wall, rssMb, stdout: r.stdout, status: r.status };
}

function hasPandas() {
  return spawnSync(PY, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0;
}

function filesUnder(dir) {
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

// ---- data: the peers' generator (the same archive both tools read), cached between runs
let peerOk = !args.includes('--no-peer') && fs.existsSync(path.join(PEERS, 'gen_scale.py'));
if (peerOk && !hasPandas()) {
  log('pandas missing: trying ../shared/peers/ensure_deps.sh');
  spawnSync('bash', [path.join(PEERS, 'ensure_deps.sh')], { stdio: 'inherit' });
  peerOk = hasPandas();
}
if (!peerOk) {
  log('python3 + pandas not available: no archive generator and no peer; nothing to measure');
  process.exit(quick ? 0 : 2);
}
const source = path.join(cacheDir, `scale-${meters}x${days}`);
if (!fs.existsSync(path.join(source, 'meter-data.csv'))) {
  log(`generating ${meters} meters × ${days} days into ${source}`);
  fs.rmSync(source, { recursive: true, force: true });
  execFileSync(PY, [path.join(PEERS, 'gen_scale.py'), source, '--meters', String(meters), '--days', String(days)], {
    stdio: 'inherit',
  });
}
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const ours = path.join(outDir, 'lptool');
const peer = path.join(outDir, 'peer');
fs.cpSync(source, ours, { recursive: true });
fs.cpSync(source, peer, { recursive: true });
const inputs = filesUnder(path.join(ours, 'data/KW'));
const bytes = inputs.reduce((s, f) => s + fs.statSync(f).size, 0);
const rows = inputs.reduce((s, f) => s + fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length - 1, 0);
log(`${inputs.length} files, ${rows} rows, ${(bytes / 1e6).toFixed(1)} MB`);

const results = [];
const row = (name, m, extra = {}) => {
  const r = { step: name, wall_s: Number(m.wall.toFixed(3)), rss_mb: m.rssMb, ...extra };
  results.push(r);
  log(`${name}: ${r.wall_s}s${m.rssMb ? `, ${m.rssMb} MB` : ''}`);
  return r;
};

// ---- floors on the same bytes
row('floor: cat', measure('sh', ['-c', `cat ${inputs.map((f) => `'${f}'`).join(' ')} > /dev/null`]));
row('floor: sha256sum', measure('sh', ['-c', `sha256sum ${inputs.map((f) => `'${f}'`).join(' ')} > /dev/null`]));
const floorScript = path.join(REPO, 'bench/csv-parse-floor.mjs');
const floor = row('floor: bare csv-parse pass', measure(process.execPath, [floorScript, path.join(ours, 'data/KW')]));

// ---- lptool sort: the same files delivered into an empty site's dropbox
const sortSite = path.join(outDir, 'sort');
fs.mkdirSync(path.join(sortSite, '_dropbox/KW'), { recursive: true });
fs.copyFileSync(path.join(ours, 'lptool.yaml'), path.join(sortSite, 'lptool.yaml'));
const old = new Date(Date.now() - 86_400_000);
for (const f of inputs) {
  const to = path.join(sortSite, '_dropbox/KW', path.basename(f));
  fs.copyFileSync(f, to);
  fs.utimesSync(to, old, old);
}
row(
  'lptool sort (every file into an empty site)',
  measure(process.execPath, [BIN, 'sort', '--root', sortSite, '--settle', '0']),
  { files: inputs.length },
);

// ---- lptool
const lp = (...a) => measure(process.execPath, [BIN, ...a, '--root', ours]);
const build = row('lptool build (full, first run)', lp('build'));
const merge = row('lptool merge', lp('merge'));
const gapsRun = row('lptool gaps (all profiles)', lp('gaps'));
const pipeline = build.wall_s + merge.wall_s + gapsRun.wall_s;

// one more day of files per meter, then an incremental build
addOneDay(ours);
const incr = row('lptool build (incremental, +1 day/meter)', lp('build'));
row(
  'lptool gaps --png (one profile, 1 year)',
  measure(process.execPath, [BIN, 'gaps', path.join(ours, 'lp/m001.csv'), '--png', '--root', ours]),
);

// ---- bess: wide telemetry (2,081 columns × a month of 1-minute samples), CSV and Parquet, cached
const bessDir = path.join(cacheDir, quick ? 'bess-quick' : 'bess-30d');
if (!fs.existsSync(path.join(bessDir, 'bess-parquet.yaml'))) {
  log(`generating wide BESS telemetry into ${bessDir}`);
  fs.rmSync(bessDir, { recursive: true, force: true });
  const genArgs = quick ? ['--days', '1', '--inverters', '2', '--noise', '20'] : ['--days', '30'];
  execFileSync(
    process.execPath,
    ['--max-old-space-size=8192', path.join(REPO, 'bench/gen-bess.mjs'), bessDir, ...genArgs],
    { stdio: 'inherit' },
  );
}
for (const fmt of ['csv', 'parquet']) {
  const size = fs.statSync(path.join(bessDir, `telemetry.${fmt}`)).size;
  row(
    `lptool bess (${fmt}, ${(size / 1e6).toFixed(0)} MB)`,
    measure(process.execPath, [
      BIN,
      'bess',
      '-c',
      path.join(bessDir, `bess-${fmt}.yaml`),
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
while (performance.now() - t0 < 1500) {
  resolveIntervals(starts, ends, { clock, intervalMs: 900_000 });
  resolved += starts.length * 2;
}
const labelsPerSec = Math.round(resolved / ((performance.now() - t0) / 1000));
log(`label resolution: ${labelsPerSec} labels/s`);

// ---- the pandas peer on identical input
let peerResult = null;
if (!args.includes('--no-peer')) {
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
  peer: peerResult,
  speedup_vs_peer: peerResult ? Number((peerResult.wall_s / pipeline).toFixed(2)) : null,
};
fs.mkdirSync(path.join(REPO, 'bench'), { recursive: true });
if (!quick) fs.writeFileSync(path.join(REPO, 'bench/results.json'), `${JSON.stringify(summary, null, 2)}\n`);

const pad = (s, n) => String(s).padEnd(n);
console.log(
  `\nlptool bench — ${meters} meters × ${days} days: ${inputs.length} files, ${rows} rows, ${summary.data.mb} MB (${os.cpus().length} cores, Node ${process.version})\n`,
);
console.log(`${pad('step', 44)}${pad('wall s', 10)}${pad('rows/s', 12)}${pad('MB/s', 8)}peak RSS`);
for (const r of results) {
  const perRow =
    r.step.startsWith('lptool build (full') || r.step.startsWith('floor') ? Math.round(rows / r.wall_s) : '';
  const mbs =
    r.step.startsWith('lptool build (full') || r.step.startsWith('floor') ? (bytes / 1e6 / r.wall_s).toFixed(0) : '';
  console.log(
    `${pad(r.step, 44)}${pad(r.wall_s.toFixed(2), 10)}${pad(perRow, 12)}${pad(mbs, 8)}${r.rss_mb ? `${r.rss_mb} MB` : 'n/a'}`,
  );
}
if (peerResult)
  console.log(
    `${pad('pandas peer (build+merge+gaps, whole process)', 44)}${pad(peerResult.wall_s.toFixed(2), 10)}${pad(Math.round(rows / peerResult.build_s), 12)}${pad('', 8)}${peerResult.rss_mb ? `${peerResult.rss_mb} MB` : 'n/a'}`,
  );
console.log(
  `\nbuild + merge + gaps: ${summary.pipeline_s}s${peerResult ? ` — ${summary.speedup_vs_peer}× faster than the pandas peer (${peerResult.wall_s}s)` : ''}`,
);
console.log(
  `full build: ${summary.build_vs_csv_parse_floor}× the bare csv-parse pass; incremental (+1 day): ${(summary.incremental_vs_full * 100).toFixed(1)} % of full`,
);
console.log(
  `label resolution (resolveIntervals, America/Los_Angeles, a year of 15-minute rows): ${labelsPerSec.toLocaleString('en-US')} labels/s`,
);
if (!quick) console.log('\nwritten: bench/results.json');

/** Append one day of 15-minute rows per meter, continuing each meter's archive (a cron run's new files). */
function addOneDay(site) {
  const md = fs.readFileSync(path.join(site, 'meter-data.csv'), 'utf8').trim().split('\n').slice(1);
  const all = filesUnder(path.join(site, 'data/KW'));
  for (const line of md) {
    const [id, name] = line.split(',');
    const last = all.filter((f) => path.basename(f).startsWith(`${name}-`)).pop();
    const text = fs.readFileSync(last, 'utf8').trim().split('\n');
    const [header, lastRow] = [text[0], text[text.length - 1]];
    const f = lastRow.split(',');
    const rec = Number(f[1]);
    // labels as the exports write them: naive local, the zone of lptool.yaml (no DST in early January)
    const [md1, t1] = f[4].split(' ');
    const [mo, d, y] = md1.split('/').map(Number);
    let w = Date.UTC(2000 + y, mo - 1, d, ...t1.split(':').map(Number));
    const out = [header];
    for (let i = 0; i < 96; i++, w += 900_000)
      out.push([id, rec + 1 + i, 'Normal', lbl(w), lbl(w + 900_000), '12.5', '0', '14.1', '0'].join(','));
    const dir = path.join(site, 'data/KW', new Date(w - 900_000).toISOString().slice(0, 7));
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${name}-extra-day.csv`), `${out.join('\n')}\n`);
  }
}
