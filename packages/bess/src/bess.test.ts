import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parquetWriteFile } from 'hyparquet-writer';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import {
  cleanupsAfterEach,
  errorLine,
  FIXTURES,
  inDir,
  tempDir,
  UPDATE_GOLDEN,
} from '../../io/src/fixtures.test-helper.js';
import { bess as bessOf, formatBessSummary } from './bess.js';

const cleanups = cleanupsAfterEach();
/** A temp copy of fixtures/bess (configs + telemetry). */
function site() {
  const t = tempDir('lptool-bess-');
  cleanups.push(t.cleanup);
  fs.cpSync(path.join(FIXTURES, 'bess'), t.dir, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}expected`),
  });
  return t.dir;
}
/** bess() in `dir` on its config, as the CLI calls it with no flag but these. */
const bess = (o: { config: string; out?: string }, dir = path.dirname(o.config)) =>
  inDir(dir, () => bessOf({ minCoverage: 0.9, ...o }));
const failure = (dir: string, config = 'bess.yaml') => errorLine(bess({ config }, dir));
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, 'out', f), 'utf8');
const OUTPUTS = ['daily_energy_by_enclosure.csv', 'outliers_bottom5.csv', 'enclosure_summary.csv'];
const row = (csv: string, start: string) => csv.split('\n').find((l) => l.startsWith(start))!;

/** The telemetry CSVs as one table: part-2 repeats part-1's last row (midnight), taken once. */
function table(dir: string): { header: string[]; rows: string[][] } {
  const [a, b] = ['part-1.csv', 'part-2.csv'].map((f) =>
    fs
      .readFileSync(path.join(dir, 'telemetry', f), 'utf8')
      .trim()
      .split('\n'),
  );
  const header = a![0]!.split(',');
  // (not deduplicated by text: the repeated DST hour has identical labels and values, and both are real)
  return { header, rows: [...a!.slice(1), ...b!.slice(2)].map((l) => l.split(',')) };
}

/**
 * The telemetry table written as files p0, p1 … cut at `cuts` (row indices, ascending), each file but the first
 * optionally repeating the row before its cut; then bess on them (into out-split/): its summary and daily table.
 */
async function bessOnSplit(
  dir: string,
  table: { header: string[]; rows: string[][] },
  cuts: number[],
  overlap = false,
) {
  const split = path.join(dir, 'split');
  fs.rmSync(split, { recursive: true, force: true });
  fs.mkdirSync(split);
  const points = [0, ...cuts, table.rows.length];
  for (let k = 0; k + 1 < points.length; k++) {
    const from = overlap && k > 0 ? points[k]! - 1 : points[k]!;
    const lines = [table.header, ...table.rows.slice(from, points[k + 1])].map((r) => r.join(','));
    fs.writeFileSync(path.join(split, `p${k}.csv`), `${lines.join('\n')}\n`);
  }
  const cfg = path.join(dir, 'bess-split.yaml');
  fs.writeFileSync(
    cfg,
    fs
      .readFileSync(path.join(dir, 'bess.yaml'), 'utf8')
      .replace('paths: [telemetry/*.csv]', 'paths: [split/*.csv]')
      .replace('dir: out', 'dir: out-split'),
  );
  const summary = await bess({ config: cfg });
  return { summary, daily: fs.readFileSync(path.join(dir, 'out-split/daily_energy_by_enclosure.csv'), 'utf8') };
}

describe('bess — the golden site', () => {
  it('CSV telemetry: 6 → 3 + 3 and 4 → 2 + 2, daily energy over the 25-hour day, outliers, summary, heatmap', async () => {
    const dir = site();
    const r = await bess({ config: 'bess.yaml' }, dir);
    expect(r.exitCode).toBe(1); // one input offline for a day: low coverage is flagged
    const text = formatBessSummary(r);
    expect(text).toContain('2 inverters, 4 inputs, 10 enclosures, 2 days (Australia/Sydney)');
    expect(r.warnings).toContain('2 enclosure(s) covered less than 90 % of the period: 1A2BAT3 (0.49), 1A2BAT4 (0.49)');
    expect(text).not.toContain('warning'); // the CLI writes warnings on stderr
    const daily = read(dir, 'daily_energy_by_enclosure.csv');
    // hand-computed: 60 kW for 2 h plus two 5-minute ramps = 125 kWh a day, a third each
    expect(row(daily, '2024-04-06,1A1BAT1,')).toBe('2024-04-06,1A1BAT1,1APCS1,BESS1,20.833333,41.666667,24');
    // the DST-end day: 01:00–03:00 on the wall clock is three real hours of charging at 30 kW (+ ramps) = 92.5 kWh
    expect(row(daily, '2024-04-07,1A1BAT1,')).toBe('2024-04-07,1A1BAT1,1APCS1,BESS1,30.833333,41.666667,25');
    expect(row(daily, '2024-04-07,1A2BAT4,')).toBe('2024-04-07,1A2BAT4,1APCS2,BESS2,0,0,0');
    for (const f of OUTPUTS) {
      const g = path.join(FIXTURES, 'bess/expected', f);
      if (UPDATE_GOLDEN) {
        fs.mkdirSync(path.dirname(g), { recursive: true });
        fs.writeFileSync(g, read(dir, f));
      }
      expect(read(dir, f), f).toBe(fs.readFileSync(g, 'utf8'));
    }
    const png = PNG.sync.read(fs.readFileSync(path.join(dir, 'out/discharged_heatmap.png')));
    expect(png.width).toBeGreaterThan(200);
    expect(png.height).toBeGreaterThan(150);
  });

  it('Parquet with the same content gives the same outputs', async () => {
    const dir = site();
    const { header, rows } = table(dir);
    const pq = path.join(dir, 'pq');
    fs.mkdirSync(pq);
    // two Parquet files cut at a different place than the CSVs
    const cut = 200;
    for (const [name, part] of [
      ['a.parquet', rows.slice(0, cut)],
      ['b.parquet', rows.slice(cut)],
    ] as const) {
      parquetWriteFile({
        filename: path.join(pq, name),
        columnData: header.map((h, j) =>
          j === 0
            ? { name: h, data: part.map((r) => r[0]!), type: 'STRING' as const }
            : { name: h, data: part.map((r) => (r[j] === '' ? null : Number(r[j]))), type: 'DOUBLE' as const },
        ),
      });
    }
    fs.writeFileSync(
      path.join(dir, 'bess-pq.yaml'),
      fs
        .readFileSync(path.join(dir, 'bess.yaml'), 'utf8')
        .replace('paths: [telemetry/*.csv]', 'paths: [pq/*.parquet]')
        .replace('dir: out', 'dir: out-pq'),
    );
    expect((await bess({ config: 'bess.yaml' }, dir)).exitCode).toBe(1);
    expect((await bess({ config: 'bess-pq.yaml' }, dir)).exitCode).toBe(1);
    for (const f of OUTPUTS) expect(fs.readFileSync(path.join(dir, 'out-pq', f), 'utf8'), f).toBe(read(dir, f));
  });

  it('an explicit groups: list replaces the inference', async () => {
    const dir = site();
    const s = await bess({ config: 'bess-groups.yaml' }, dir);
    const byId = Object.fromEntries(s.totals.map((t) => [t.enclosure_id, t]));
    expect(byId['1A1BAT6']).toMatchObject({ input: 'BESS1', discharged_kwh: 125 }); // 250 kWh over 2 enclosures
    expect(byId['1A1BAT1']).toMatchObject({ input: 'BESS2', discharged_kwh: 31.25 }); // 125 over 4
    expect(byId['1A2BAT4']!.input).toBe('BESS2');
    expect(byId['1A2BAT4']!.discharged_kwh).toBeCloseTo(80 + 10 / 3, 9); // alone on a 40 kW input that ran one day
  });
});

describe('bess — configuration errors name the key', () => {
  const cases: [string, (y: string) => string, RegExp][] = [
    [
      'an unknown key',
      (y) => y.replace('max_gap: 25m', 'max_gapp: 25m'),
      /bess\.yaml: \(top level\) — expected only keys lptool knows, got unknown key\(s\) max_gapp/,
    ],
    [
      'a regex without a needed group',
      (y) => y.replace('(?<inverter>', '(?<inv>'),
      /power\.regex — expected named group\(s\) \(\?<inverter>…\)/,
    ],
    [
      'a broken regex',
      (y) => y.replace("'^(?<input>BESS", "'^((?<input>BESS"),
      /power\.regex — expected a JavaScript regular expression/,
    ],
    [
      'a long broken regex (its reason shown, not the whole pattern again)',
      (y) => y.replace("'^(?<input>BESS", `'^((?<input>${'B'.repeat(300)}BESS`),
      /power\.regex — expected a JavaScript regular expression, got "\^\(\(\?<input>B+… \(\d+ chars\)": Unterminated group \(/,
    ],
    [
      'split parts that do not add up',
      (y) => y.replace('6: [3, 3]', '6: [3, 2]'),
      /split\.6 — expected parts that add up to 6, got 3 \+ 2 = 5/,
    ],
    [
      'a group count no split rule covers',
      (y) => y.replace('  4: [2, 2]\n', ''),
      /grouping — .*inverter 1APCS2: 4 enclosures \(1A2BAT1, 1A2BAT2, 1A2BAT3, 1A2BAT4\) — no split rule for 4 \(split: has 6\)/,
    ],
    [
      'a missing timestamp column',
      (y) => y.replace('column: Timestamp', 'column: Time'),
      /timestamp\.column — expected a column "Time" in/,
    ],
    [
      'no files',
      (y) => y.replace('telemetry/*.csv', 'nowhere/*.csv'),
      /source\.paths — expected files matching nowhere\/\*\.csv/,
    ],
    ['a bad max_gap', (y) => y.replace('max_gap: 25m', 'max_gap: soon'), /max_gap — expected a duration/],
    [
      'a max_gap without its unit',
      (y) => y.replace('max_gap: 25m', 'max_gap: 5'),
      /^LPT_CONFIG: bess\.yaml: max_gap — expected a duration with its unit \(e\.g\. 25m, 300s, PT25M\), got "5"/,
    ],
    [
      'a max_gap as a quoted bare number',
      (y) => y.replace('max_gap: 25m', 'max_gap: "1.5"'),
      /max_gap — expected a duration with its unit/,
    ],
  ];
  it.each(cases)('%s', async (_name, edit, message) => {
    const dir = site();
    fs.writeFileSync(path.join(dir, 'bess.yaml'), edit(fs.readFileSync(path.join(dir, 'bess.yaml'), 'utf8')));
    await expect(bess({ config: 'bess.yaml' }, dir)).rejects.toMatchObject({ exitCode: 2 });
    const line = await failure(dir);
    expect(line).toMatch(message);
    expect(line.split('\n')).toHaveLength(1);
  });
});

describe('bess — properties', () => {
  it('allocated energy equals the integrated input energy', async () => {
    const dir = site();
    const s = await bess({ config: path.join(dir, 'bess.yaml') });
    const total = (k: 'charged_kwh' | 'discharged_kwh') => s.totals.reduce((a, r) => a + r[k], 0);
    // inputs by hand: discharge 125 + 62.5 + 125 + 2 days of 83.333 (40 kW, one day only) …
    // per input and day: d = P_dis × 2 h + ramps, c = P_chg × (2 or 3 h) + ramps
    const dis = (p: number) => p * 2 + (p / 2) * (5 / 60) * 2;
    const chg = (p: number, hours: number) => p * hours + (p / 2) * (5 / 60) * 2;
    const expectedDis = 2 * (dis(60) + dis(30) + dis(60)) + dis(40);
    const expectedChg = chg(30, 2) + chg(15, 2) + chg(30, 2) + chg(20, 2) + chg(30, 3) + chg(15, 3) + chg(30, 3);
    expect(total('discharged_kwh')).toBeCloseTo(expectedDis, 6);
    expect(total('charged_kwh')).toBeCloseTo(expectedChg, 6);
  });

  it('results do not change when the telemetry is split into several files at any timestamps', async () => {
    const dir = site();
    const ref = await bess({ config: path.join(dir, 'bess.yaml') });
    const refDaily = read(dir, 'daily_energy_by_enclosure.csv');
    const { header, rows } = table(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.integer({ min: 1, max: rows.length - 1 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (cuts, overlap) => {
          // optionally repeat the previous file's last row (identical: kept once)
          const { summary, daily } = await bessOnSplit(
            dir,
            { header, rows },
            cuts.sort((a, b) => a - b),
            overlap,
          );
          expect(summary.samples).toBe(ref.samples);
          expect(daily).toBe(refDaily);
        },
      ),
      { numRuns: 5 },
    );
  });

  it('a file wholly inside the repeated DST hour continues the files before it (one file an hour, one a sample)', async () => {
    const dir = site();
    const ref = await bess({ config: path.join(dir, 'bess.yaml') });
    const refDaily = read(dir, 'daily_energy_by_enclosure.csv');
    const { header, rows } = table(dir);
    // the second pass of 02:00–02:55 on 7 April 2024 (Sydney falls back at 03:00): its rows repeat the first's
    const firstPass = rows.findIndex((r) => r[0] === '2024-04-07 02:00:00');
    const secondPass = rows.findIndex((r, i) => i > firstPass && r[0] === '2024-04-07 02:00:00');
    expect(secondPass - firstPass).toBe(12);
    const cutsOf = [
      [firstPass, secondPass, secondPass + 12], // one file a wall-clock hour
      [secondPass + 11, secondPass + 12], // the last sample of the second pass alone
      [secondPass, secondPass + 1, secondPass + 6], // one sample, then five, inside the second pass
    ];
    for (const cuts of cutsOf) {
      const { summary, daily } = await bessOnSplit(dir, { header, rows }, cuts);
      expect([cuts, summary.samples]).toEqual([cuts, ref.samples]);
      expect(daily).toBe(refDaily);
    }
  });

  it('a timestamp repeated across files with different values is a warning naming it', async () => {
    const dir = site();
    const p2 = path.join(dir, 'telemetry/part-2.csv');
    const lines = fs.readFileSync(p2, 'utf8').split('\n');
    lines[1] = lines[1]!.replace(/,0,0,/, ',7,0,'); // the boundary row, now different from part-1's
    fs.writeFileSync(p2, lines.join('\n'));
    const s = await bess({ config: path.join(dir, 'bess.yaml') });
    expect(s.warnings.join('\n')).toMatch(
      /1 timestamp\(s\) appear in several files with different values; the first file's row was kept, e\.g\. 2024-04-07T00:00:00\+11:00/,
    );
  });
});

describe('bess — hostile configs and globs (issue 13 item 10)', () => {
  const edit = (dir: string, f: (y: string) => string) =>
    fs.writeFileSync(path.join(dir, 'bess.yaml'), f(fs.readFileSync(path.join(dir, 'bess.yaml'), 'utf8')));

  it('a regex that backtracks without end is stopped after 2 s: exit 2 naming the key and the column', async () => {
    const dir = site();
    // a column of 40 `a`s and a `!`, and a power regex with a nested quantifier that meets it
    const part = path.join(dir, 'telemetry/part-1.csv');
    const lines = fs.readFileSync(part, 'utf8').split('\n');
    fs.writeFileSync(part, lines.map((l, i) => (l ? `${l},${i === 0 ? `${'a'.repeat(40)}!` : ''}` : l)).join('\n'));
    edit(dir, (y) => y.replace(/(power:[^\n]*\n\s+regex: '[^']*)'/, (_m, head) => `${head}|^(a+)+$'`));
    expect(fs.readFileSync(path.join(dir, 'bess.yaml'), 'utf8')).toContain('|^(a+)+$');
    const t0 = Date.now();
    await expect(bess({ config: 'bess.yaml' }, dir)).rejects.toMatchObject({ exitCode: 2 });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(await failure(dir)).toMatch(
      /^LPT_CONFIG: bess\.yaml: power\.regex — expected a pattern that decides each column name quickly, got one still running after 2 s on "a{40}!": nested quantifiers such as \(a\+\)\+ backtrack without end — simplify it \(.*bess\.yaml, key power\.regex\)$/,
    );
  }, 30_000);

  it('more files than source.max_files (default 10,000) is exit 2 before any is read; raising it reads them', async () => {
    const dir = site();
    const many = path.join(dir, 'many');
    fs.mkdirSync(many);
    const [head, first] = fs.readFileSync(path.join(dir, 'telemetry/part-1.csv'), 'utf8').split('\n');
    // (hard links to one small file: creating 10,001 files with data takes seconds on some disks)
    fs.writeFileSync(path.join(dir, 'one.csv'), `${head}\n${first}\n`);
    for (let i = 0; i <= 10_000; i++) fs.linkSync(path.join(dir, 'one.csv'), path.join(many, `t${i}.csv`));
    edit(dir, (y) => y.replace('telemetry/*.csv', 'many/*.csv'));
    const t0 = Date.now();
    await expect(bess({ config: 'bess.yaml' }, dir)).rejects.toMatchObject({ exitCode: 2 });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(await failure(dir)).toMatch(
      /^LPT_CONFIG: bess\.yaml: source\.paths — expected at most 10,000 files, got 10,001 matching many\/\*\.csv; narrow the globs \(e\.g\. one month per run\), or raise source\.max_files/,
    );
    for (let i = 21; i <= 10_000; i++) fs.rmSync(path.join(many, `t${i}.csv`));
    edit(dir, (y) => y.replace('many/*.csv]', 'many/*.csv]\n  max_files: 20'));
    expect(await failure(dir)).toMatch(/expected at most 20 files, got 21/);
    edit(dir, (y) => y.replace('max_files: 20', 'max_files: 21'));
    expect((await bess({ config: 'bess.yaml' }, dir)).files).toHaveLength(21);
  }, 60_000);

  it.each([
    [
      'an input',
      'daily: ../telemetry/part-1.csv',
      /output\.daily — expected a file that is neither an input nor a site's own file, got telemetry\/part-1\.csv \(one of its inputs\); writing there would destroy it/,
    ],
    [
      'the config itself',
      'summary: ../bess.yaml',
      /output\.summary — expected a file that is neither an input nor a site's own file, got bess\.yaml \(one of its inputs\)/,
    ],
    [
      'another output',
      'outliers: daily_energy_by_enclosure.csv',
      /output\.outliers — expected a file of its own, got out\/daily_energy_by_enclosure\.csv, which output\.daily writes too/,
    ],
  ])('an output that is %s is exit 2 and nothing is written', async (_what, line, message) => {
    const dir = site();
    const key = line.split(':')[0]!;
    edit(dir, (y) => y.replace(new RegExp(`  ${key}: .*`), `  ${line}`));
    const before = fs.readFileSync(path.join(dir, 'telemetry/part-1.csv'), 'utf8');
    const config = fs.readFileSync(path.join(dir, 'bess.yaml'), 'utf8');
    await expect(bess({ config: 'bess.yaml' }, dir)).rejects.toMatchObject({ exitCode: 2 });
    expect(await failure(dir)).toMatch(message);
    expect(fs.readFileSync(path.join(dir, 'telemetry/part-1.csv'), 'utf8')).toBe(before);
    expect(fs.readFileSync(path.join(dir, 'bess.yaml'), 'utf8')).toBe(config);
    expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
  });

  it("--out into a site's lp/ (plainly or through a symlinked folder) may not replace a meter's profile: exit 2, nothing written", async () => {
    const dir = site();
    const lp = path.join(dir, 'meters', 'lp');
    fs.mkdirSync(lp, { recursive: true });
    fs.writeFileSync(path.join(dir, 'meters', 'meter-data.csv'), 'meter,name,multiplier\n1,north,1\n');
    const profile = 'Start Time,End Time,MW_net\n2024-07-15T00:00:00-07:00,2024-07-15T00:15:00-07:00,1.5\n';
    fs.writeFileSync(path.join(lp, 'north.csv'), profile);
    fs.symlinkSync(lp, path.join(dir, 'lplink'));
    edit(dir, (y) => y.replace(/ {2}daily: .*/, '  daily: north.csv'));
    for (const out of [lp, path.join(dir, 'lplink'), path.join(lp, '.cache', '..')]) {
      await expect(bess({ config: 'bess.yaml', out }, dir)).rejects.toMatchObject({ exitCode: 2 });
      expect(await errorLine(bess({ config: 'bess.yaml', out }, dir))).toMatch(
        /output\.daily — expected a file that is neither an input nor a site's own file, got .*north\.csv \(the profile of meter north\); writing there would destroy it/,
      );
    }
    expect(fs.readFileSync(path.join(lp, 'north.csv'), 'utf8')).toBe(profile);
    expect(fs.readdirSync(lp).sort()).toEqual(['north.csv']);
  });
});
