import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, FIXTURES, lptool, REPO, tempDir } from './testing.js';

/*
 * Docs as tests (node-csv runs its samples): every example command in README.md (its ```sh blocks) and in
 * every command's `--help` ("Examples:") runs here, twice in a row, on a synth site, with the exit codes
 * listed below. The list must name exactly the examples the docs have: an example added to the README or to
 * a --help, and not listed here with its expected exit codes, fails this test — and so does one listed here
 * that the docs no longer have. Lines of the README's shell blocks that are not lptool commands (installing,
 * the test suite) are listed too, with why they are not run.
 *
 * How the examples' paths are mapped (the commands are run by bash, so globs such as lp/*.csv expand as
 * they do for an operator):
 *  - the working folder is the site root, a synth site (`lptool synth site --seed 5`: 4 meters over
 *    2024-06-20 … 2024-08-03, one export file never delivered, one re-delivered) that the examples build up
 *    in the README's order, from `sort` on; its fourth meter is named test_feeder (for `merge --exclude`);
 *  - `/srv/meters` is that site root, and any other `/srv/…` (e.g. /srv/share/qa) a temp folder of the example's own;
 *  - `/tmp/…` is a temp folder of the example's own (so two examples that both write /tmp/site each get a
 *    new folder on their first run; their second run finds it full), and $TMPDIR (where `lptool demo`
 *    puts its site when given no --out) is a temp folder too;
 *  - `bess.yaml`, `bess/bess.yaml` and `site/bess.yaml` are a synth BESS config with its telemetry (`lptool
 *    synth bess --seed 5`, 2024-03-30 … 2024-04-02 in Australia/Sydney) in the site root, bess/ and site/;
 *  - `old/north.csv` is an older profile with naive local labels (fixtures/gaps/old-naive.csv);
 *  - `pnpm lptool …` is `lptool …` (the same program).
 */

type Expect = { codes: [number, number]; why?: string } | { notRun: string };

const INSTALL = { notRun: 'installs pnpm and the workspace: the machine running this test has done it' };
const EXAMPLES: Record<string, Expect> = {
  // README: the first lines
  'npm install -g pnpm@12.21.0': INSTALL,
  'pnpm install': INSTALL,
  'pnpm test': { notRun: 'the test suite itself' },
  'pnpm lptool demo': { codes: [0, 0], why: 'a new temp folder each time' },
  'lptool demo': { codes: [0, 0], why: 'a new temp folder each time' },
  // init: the synth site has its lptool.yaml (America/Los_Angeles) and meter-data.csv, which are kept; the folders it
  // lacks are made on the first run, nothing on the second (stdin is not a terminal here: nothing is asked)
  'lptool init --root /srv/meters --tz America/Los_Angeles': { codes: [0, 0] },
  'lptool init --root /tmp/site --tz Europe/Berlin --clock standard --interval 15m --json': { codes: [0, 0] },
  'lptool init': { codes: [0, 0] },
  // doctor, before the first sort: the exports were just delivered (not a backlog), nothing is archived yet
  'lptool doctor': { codes: [0, 0] },
  'lptool doctor --root /srv/meters --json': { codes: [0, 0] },
  'lptool doctor --backlog-age 1h': { codes: [0, 0] },
  'lptool doctor --stale-after 2d': { codes: [0, 0] },
  // run, the first time the site is run: it takes in every export, builds, merges, and checks what it wrote for gaps —
  // one export was never delivered: a gap, exit 1; the second run has nothing new (exit 0), nor do the others
  'lptool run -q': { codes: [1, 0] },
  'lptool run --root /srv/meters --verbose': { codes: [0, 0] },
  'lptool run --json --settle 0': { codes: [0, 0] },
  // the first --report run writes lp/report/ (there is none yet); the second finds nothing changed and keeps it
  'lptool run -q --report': { codes: [0, 0] },
  // sort (lptool run took every export in: nothing to sort)
  'lptool sort': { codes: [0, 0] },
  'lptool sort -n': { codes: [0, 0] },
  'lptool sort --json --settle 0': { codes: [0, 0] },
  'lptool sort --root /srv/meters --dry-run': { codes: [0, 0] },
  // build
  'lptool build': { codes: [0, 0] },
  'lptool build --meter north --from 2024-07-01 --to 2024-08-01 --out /tmp/july': { codes: [0, 0] },
  'lptool build --legacy-net --full': { codes: [0, 0] },
  'lptool build --on-bad-row fail': { codes: [0, 0] },
  'lptool build --shard 2/3': { codes: [0, 0] },
  // merge
  'lptool merge': { codes: [0, 0] },
  'lptool merge --exclude test_feeder': { codes: [0, 0] },
  'lptool merge --only north,south --resample': { codes: [0, 0] },
  'lptool merge --only north,south': { codes: [0, 0] },
  // gaps (one export file of the site was never delivered: a gap, so --fail-on-gaps exits 1 — every time)
  'lptool gaps lp/south.csv --png': { codes: [0, 0] },
  'lptool gaps --fail-on-gaps --json': { codes: [1, 1] },
  'lptool gaps lp/*.csv --fail-on-gaps --json': {
    codes: [1, 1],
    why: 'the second run skips the *_gaps.csv the first wrote',
  },
  'lptool gaps lp/south.csv --png --out /srv/share/qa': { codes: [0, 0] },
  // a ranged or reparameterised run writes to --out (the site's gap lists are left alone)
  'lptool gaps lp/all.csv --partial-as-gap --from 2024-07-01 --to 2024-08-01 --out /tmp/july': { codes: [0, 0] },
  'lptool gaps old/north.csv --tz America/Los_Angeles --interval 15m --format vl.json -o /tmp/old': { codes: [0, 0] },
  'lptool gaps old/north.csv --tz America/Los_Angeles --interval 15m --format svg --out /tmp/old': { codes: [0, 0] },
  // export (Parquet: the second run finds nothing changed; PostgreSQL: no server answers at the example's address
  // here, so exit 2 naming it — packages/cli/src/e2e/export/postgres.test.ts runs these examples against a real server)
  'lptool export parquet': { codes: [0, 0] },
  'lptool export parquet --out /srv/lake/meters --shard 2/3': { codes: [0, 0] },
  'lptool export parquet --json': { codes: [0, 0] },
  'lptool export postgres --url postgres://lptool:secret@localhost:5432/meters': {
    codes: [2, 2],
    why: 'no PostgreSQL server of this test at localhost:5432',
  },
  'LPTOOL_PG_URL=postgres://lptool:secret@localhost:5432/meters lptool export postgres --shard 1/3 --json': {
    codes: [2, 2],
    why: 'no PostgreSQL server of this test at localhost:5432',
  },
  // bess
  'lptool bess -c bess.yaml': { codes: [0, 0] },
  'lptool bess -c bess.yaml --json': { codes: [0, 0] },
  'lptool bess -c site/bess.yaml --from 2024-04-01 --to 2024-05-01 --out /tmp/april': { codes: [0, 0] },
  'lptool bess -c site/bess.yaml --from 2024-04-01 --to 2024-05-01 --out /tmp/april --json': { codes: [0, 0] },
  // synth: a second run into the same --out refuses a folder with files in it (exit 2) rather than mix two sites
  'lptool synth site --out /tmp/site --meters 50 --days 365 --start 2023-01-01': { codes: [0, 2] },
  'lptool synth site --out /tmp/dst --meters 3 --days 21 --start 2024-10-21 --clock standard --file-days 1 --gaps 1 --sequence-errors 1 --duplicates 1 --overlaps 1':
    { codes: [0, 2] },
  'lptool synth site --out /tmp/dst --meters 3 --days 21 --start 2024-10-21 --file-days 1 --gaps 1 --sequence-errors 1 --duplicates 1 --overlaps 1':
    { codes: [0, 2] },
  'lptool synth site --out /tmp/site --meters 5 --days 30 --gaps 2 --duplicates 1': { codes: [0, 2] },
  'lptool synth bess --out /tmp/bess --inverters 20 --days 7 --extra-columns 900 --format parquet': { codes: [0, 2] },
  // report (the second run replaces the first report whole)
  'lptool report': { codes: [0, 0] },
  'lptool report --root /srv/meters --out /srv/share/qa': { codes: [0, 0] },
  'lptool report --bess bess/bess.yaml --json': { codes: [0, 0] },
  // demo: the same, for a named folder
  'lptool demo --out /tmp/demo': { codes: [0, 2] },
  'lptool demo --out /tmp/lptool-demo': { codes: [0, 2] },
  // resample and stats (after gaps, resample and stats have written beside the profiles: those are skipped)
  'lptool resample lp/north.csv --every 1d': { codes: [0, 0] },
  'lptool resample lp/all.csv --every 1mo --from 2024-07-01 --out /tmp/monthly.csv': { codes: [0, 0] },
  'lptool resample lp/north.csv --every 1h -o - | head': { codes: [0, 0], why: 'head closes the pipe early: no EPIPE' },
  'lptool stats lp/*.csv --every 1mo --out /tmp/stats.csv': { codes: [0, 0] },
  'lptool stats lp/north.csv lp/south.csv lp/all.csv --png': { codes: [0, 0] },
  'lptool stats lp/*.csv': { codes: [0, 0] },
  'lptool stats lp/north.csv lp/south.csv lp/all.csv --every 1mo --out /tmp/stats.csv': { codes: [0, 0] },
  'lptool stats lp/all.csv --from 2024-07-01 --to 2024-08-01 --png': { codes: [0, 0] },
  // installing on a server
  'git clone <this repository> /opt/lptool': { notRun: 'a placeholder for this repository, cloned to /opt' },
  'cd /opt/lptool': { notRun: 'part of the install, in /opt' },
  'ln -s /opt/lptool/packages/cli/dist/bin.js /usr/local/bin/lptool': {
    notRun: 'installs the command system-wide; this test runs the same bin.js',
  },
  'lptool run --root /srv/meters -q': {
    codes: [1, 0],
    why: 'the examples before it rebuilt profiles (build --legacy-net --full …): run builds them again and checks them — the undelivered export is a gap (exit 1); then nothing new',
  },
  'lptool doctor --root /srv/meters': {
    codes: [1, 1],
    why: "the README's export postgres examples before it failed (no server here): doctor names that last run",
  },
  // development
  'LPTOOL_UPDATE_GOLDEN=1 pnpm test': { notRun: 'rewrites the golden files' },
  'LPTOOL_SWEEP_SEED=123 LPTOOL_FUZZ_SEED=7 pnpm test': { notRun: "the test suite itself, with a failed run's seeds" },
  'pnpm bench': { notRun: 'the benchmark (minutes); `pnpm bench --quick` runs in bench/bench.test.ts' },
  'pnpm bench --quick': { notRun: 'run by bench/bench.test.ts' },
  'pnpm build': { notRun: 'the tests run on the build (vitest.setup.ts builds it)' },
  'pnpm lptool <args>': { notRun: 'a placeholder for any of the commands above' },
};

interface Example {
  command: string;
  source: string;
}

/** The commands of the README's ```sh blocks: continuation lines joined, comments cut, `&&` chains split. */
function readmeExamples(): Example[] {
  const lines = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8').split('\n');
  const out: Example[] = [];
  let inSh = false;
  let pending = '';
  let start = 0;
  lines.forEach((line, i) => {
    if (/^```/.test(line)) {
      inSh = !inSh && /^```(sh|bash|shell)\s*$/.test(line);
      return;
    }
    if (!inSh) return;
    if (!pending) start = i + 1;
    const text = line.replace(/(^|\s)#.*$/, '').trimEnd();
    if (text.endsWith('\\')) {
      pending += `${text.slice(0, -1).trim()} `;
      return;
    }
    const full = (pending + text.trim()).trim();
    pending = '';
    if (!full) return;
    for (const part of full.split(/\s+&&\s+/))
      out.push({ command: part.replace(/\s+/g, ' ').trim(), source: `README.md:${start}` });
  });
  return out;
}

/** The "Examples:" of `lptool <command> --help`, for every command the top level lists, and their subcommands. */
function helpExamples(): Example[] {
  const out: Example[] = [];
  const visit = (words: string[]) => {
    const r = lptool([...words, '--help']);
    if (r.code !== 0) throw new Error(`lptool ${words.join(' ')} --help: exit ${r.code}`);
    for (const m of (r.stdout.split(/\nExamples:\n/)[1] ?? '').matchAll(/^ {2}\$ (.+)$/gm))
      out.push({ command: m[1]!.trim(), source: `lptool ${[...words, '--help'].join(' ')}` });
    const commands = r.stdout.split(/\nCommands:\n/)[1] ?? '';
    for (const m of commands.matchAll(/^ {2}([a-z]+)\b/gm)) if (m[1] !== 'help') visit([...words, m[1]!]);
  };
  visit([]);
  return out;
}

let tmp = '';
let site = '';
let bin = '';
let cleanup = () => {};

/** The synth site the examples run on, its BESS configs and an older profile (see the header comment). */
beforeAll(() => {
  const t = tempDir('lptool-docs-');
  tmp = t.dir;
  cleanup = t.cleanup;
  site = path.join(tmp, 'site');
  const ok = (args: string[]) => {
    const r = lptool(args, { cwd: tmp });
    expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
  };
  const synth = ['--meters', '4', '--days', '45', '--start', '2024-06-20', '--gaps', '1', '--duplicates', '1'];
  ok(['synth', 'site', '--out', site, ...synth, '--seed', '5']);
  const md = path.join(site, 'meter-data.csv');
  fs.writeFileSync(md, fs.readFileSync(md, 'utf8').replace(',west,', ',test_feeder,'));
  const bess = path.join(tmp, 'bess-src');
  ok([
    'synth',
    'bess',
    '--out',
    bess,
    '--inverters',
    '2',
    '--days',
    '4',
    '--start',
    '2024-03-30',
    '--extra-columns',
    '5',
    '--seed',
    '5',
  ]);
  for (const dir of [site, path.join(site, 'bess'), path.join(site, 'site')]) fs.cpSync(bess, dir, { recursive: true });
  fs.mkdirSync(path.join(site, 'old'));
  fs.copyFileSync(path.join(FIXTURES, 'gaps/old-naive.csv'), path.join(site, 'old/north.csv'));
  // `lptool` on the PATH, as installed on a server
  bin = path.join(tmp, 'bin');
  fs.mkdirSync(bin);
  fs.writeFileSync(path.join(bin, 'lptool'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  fs.mkdirSync(path.join(tmp, 'os-tmp'));
});
afterAll(() => cleanup());

/** An example as bash runs it here: its paths mapped (see the header comment), in the site root. */
function run(command: string, index: number): { code: number; stdout: string; stderr: string } {
  const own = path.join(tmp, `tmp-${index}`);
  fs.mkdirSync(own, { recursive: true });
  const mapped = command
    .replace(/^pnpm lptool\b/, 'lptool')
    .replace(/\/srv\/meters|\/srv\/|\/tmp\//g, (m) => (m === '/srv/meters' ? site : `${own}/`));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('LPTOOL_') && !k.startsWith('npm_') && v !== undefined) env[k] = v;
  const r = spawnSync('bash', ['-c', mapped], {
    cwd: site,
    env: { ...env, PATH: `${bin}:${env.PATH}`, TMPDIR: path.join(tmp, 'os-tmp'), TZ: 'America/Los_Angeles' },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Every example of the docs, in the README's order then --help's (read once, when the tests are collected). */
const FOUND = [...readmeExamples(), ...helpExamples()];
/** Those that run (each once, at its first place in the docs), with the index that names its own /tmp. */
const RUNS = FOUND.flatMap((example, index) => {
  const e = EXAMPLES[example.command];
  const first = FOUND.findIndex((x) => x.command === example.command) === index;
  return e && 'codes' in e && first ? [{ ...example, index, codes: e.codes }] : [];
});

describe('docs as tests: every example of the README and of --help', () => {
  it('the list of examples above is exactly what the docs have (an example the test cannot run fails here)', () => {
    const unknown = FOUND.filter((e) => !(e.command in EXAMPLES));
    expect(unknown, 'examples in the docs that docs.test.ts does not know: add each with its exit codes').toEqual([]);
    const commands = new Set(FOUND.map((e) => e.command));
    const stale = Object.keys(EXAMPLES).filter((c) => !commands.has(c));
    expect(stale, 'examples listed in docs.test.ts that the docs no longer have').toEqual([]);
    // every lptool line is run: nothing that starts with lptool hides among the lines not run
    for (const [c, e] of Object.entries(EXAMPLES)) if ('notRun' in e) expect(c).not.toMatch(/^(pnpm )?lptool \w/);
    expect(RUNS.length).toBeGreaterThan(30);
  });

  // in order: the examples build the site up as an operator would (sort, build, merge, gaps …)
  it.each(RUNS)(
    '$source: `$command` runs twice with exit codes $codes',
    ({ command, index, codes }) => {
      for (const [k, want] of codes.entries()) {
        const r = run(command, index);
        expect(r.code, `run ${k + 1}: ${r.stderr.slice(0, 800)}`).toBe(want);
        expect(r.stderr, `run ${k + 1}`).not.toMatch(/LPT_INTERNAL|\n\s+at .*:\d+:\d+/);
      }
    },
    180_000,
  );
});
