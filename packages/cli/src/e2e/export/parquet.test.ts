import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listFiles, lptool, lptoolKilledAfter, seededRandom } from '../../testing.js';
import { builtSite, csvRows, dataset, duck, helpExamples } from './site.test-helper.js';

// three meters from 2023-12-30 to 2024-11-05: a year boundary and both DST nights of 2024
const site = builtSite(['--meters', '3', '--days', '311', '--start', '2023-12-30', '--file-days', '28']);
const lp = path.join(site.root, 'lp');
const out = path.join(site.root, 'export', 'parquet');
const names = fs
  .readdirSync(lp)
  .filter((f) => f.endsWith('.csv') && f !== 'all.csv')
  .map((f) => f.slice(0, -4))
  .sort();
const sha = (f: string) => createHash('sha256').update(fs.readFileSync(f)).digest('hex');
let first: { code: number; stdout: string; stderr: string };

beforeAll(() => {
  first = lptool(['export', 'parquet', '--root', site.root, '--json']);
});
afterAll(() => site.cleanup());

describe('lptool export parquet — the dataset DuckDB reads', () => {
  it('writes hive partitions by name and local year, the total by year, and _lptool.json with the sources’ hashes', () => {
    expect(first.code, first.stderr).toBe(0);
    const files = listFiles(out);
    for (const n of names) {
      expect(files).toContain(`profiles/name=${n}/year=2023/part-0.parquet`);
      expect(files).toContain(`profiles/name=${n}/year=2024/part-0.parquet`);
    }
    expect(files).toContain('system_total/year=2023/part-0.parquet');
    expect(files).toContain('system_total/year=2024/part-0.parquet');
    expect(files.filter((f) => !f.endsWith('.parquet'))).toEqual(['_lptool.json']); // no temps, no lock left
    const m = JSON.parse(fs.readFileSync(path.join(out, '_lptool.json'), 'utf8'));
    expect(m.schemaVersion).toBe(1);
    expect(m.writer).toMatch(/zstd/);
    for (const n of names) expect(m.sources[n].sha256).toBe(sha(path.join(lp, `${n}.csv`)));
    expect(m.sources.all.sha256).toBe(sha(path.join(lp, 'all.csv')));
    expect(m.tables.profiles.columns.map((c: { name: string }) => c.name)).toContain('start_local');
  });

  it('has the CSVs’ row count, per-meter MW_net sums within 1e-9, and 100/92 rows on the DST days', async () => {
    const csv = names.map((n) => ({ n, rows: csvRows(path.join(lp, `${n}.csv`)) }));
    const [{ rows }] = (await duck(`SELECT count(*) AS rows FROM ${dataset(out)}`)) as [{ rows: number }];
    expect(rows).toBe(csv.reduce((s, c) => s + c.rows.length, 0));
    const sums = await duck(
      `SELECT name, meter, sum(MW_net) AS mw, count(*) AS n FROM ${dataset(out)} GROUP BY ALL ORDER BY name`,
    );
    expect(sums.map((s) => s.name)).toEqual(names);
    for (const c of csv) {
      const s = sums.find((x) => x.name === c.n)!;
      expect(s.meter).toBe(c.rows[0]!.meter);
      expect(Math.abs((s.mw as number) - c.rows.reduce((a, r) => a + Number(r.MW_net), 0))).toBeLessThan(1e-9);
    }
    const days = await duck(
      `SELECT name, substr(start_local, 1, 10) AS day, count(*) AS n FROM ${dataset(out)}
       WHERE substr(start_local, 1, 10) IN ('2024-03-10', '2024-11-03', '2024-07-01') GROUP BY ALL ORDER BY ALL`,
    );
    for (const n of names) {
      expect(days.find((d) => d.name === n && d.day === '2024-03-10')?.n).toBe(92);
      expect(days.find((d) => d.name === n && d.day === '2024-11-03')?.n).toBe(100);
      expect(days.find((d) => d.name === n && d.day === '2024-07-01')?.n).toBe(96);
    }
  });

  it('stores instants (TIMESTAMP WITH TIME ZONE, µs) equal to the CSV labels’ offsets, typed columns as specified', async () => {
    const types = await duck(`DESCRIBE SELECT * FROM ${dataset(out)}`);
    const type = (c: string) => types.find((t) => t.column_name === c)?.column_type;
    expect(type('start')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(type('end')).toBe('TIMESTAMP WITH TIME ZONE');
    expect(type('start_local')).toBe('VARCHAR');
    expect(type('meter')).toBe('VARCHAR');
    expect(type('name')).toBe('VARCHAR');
    expect(type('MW_net')).toBe('DOUBLE');
    expect(type('record_no')).toBe('BIGINT');
    const totalTypes = await duck(`DESCRIBE SELECT * FROM ${dataset(out, 'system_total')}`);
    expect(totalTypes.find((t) => t.column_name === 'feeders_reporting')?.column_type).toBe('INTEGER');
    const meta = await duck(
      `SELECT path_in_schema AS col, encodings, compression FROM parquet_metadata('${out}/profiles/name=${names[0]}/year=2024/part-0.parquet')`,
    );
    expect(meta.find((m) => m.col === 'meter')?.encodings).toMatch(/DICTIONARY/);
    expect(new Set(meta.map((m) => m.compression))).toEqual(new Set(['ZSTD']));
    const schema = await duck(
      `SELECT name, logical_type FROM parquet_schema('${out}/profiles/name=${names[0]}/year=2024/part-0.parquet')`,
    );
    expect(String(schema.find((s) => s.name === 'start')?.logical_type)).toMatch(
      /isAdjustedToUTC=1.*MICROS|MICROS.*isAdjustedToUTC=1/s,
    );
    for (const n of names) {
      const rows = csvRows(path.join(lp, `${n}.csv`));
      const got = await duck(
        `SELECT epoch_ms(start) AS s, epoch_ms("end") AS e, start_local FROM ${dataset(out)} WHERE name = '${n}' ORDER BY start`,
      );
      expect(got).toHaveLength(rows.length);
      rows.forEach((r, i) => {
        expect(got[i]!.s).toBe(Date.parse(r['Start Time']!));
        expect(got[i]!.e).toBe(Date.parse(r['End Time']!));
        expect(got[i]!.start_local).toBe(r['Start Time']);
      });
    }
  });

  it('a GROUP BY start over the dataset reproduces lp/all.csv, and system_total is all.csv', async () => {
    const all = csvRows(path.join(lp, 'all.csv'));
    const total = await duck(`
      SELECT epoch_ms(start) AS start_ms, max(epoch_ms("end")) AS end_ms,
             round(sum(MW_net), 6) AS MW_total, round(sum(MVA_net), 6) AS MVA_total,
             round(sum(MW_net) / nullif(sum(MVA_net), 0), 6) AS PF_total,
             count(*) AS feeders_reporting, (SELECT count(DISTINCT name) FROM ${dataset(out)}) AS feeders_expected
      FROM ${dataset(out)} GROUP BY start ORDER BY start`);
    expect(total).toHaveLength(all.length);
    all.forEach((r, i) => {
      const t = total[i]!;
      expect(t.start_ms).toBe(Date.parse(r['Start Time']!));
      expect(t.end_ms).toBe(Date.parse(r['End Time']!));
      expect(Math.abs((t.MW_total as number) - Number(r.MW_total))).toBeLessThan(1e-9);
      expect(Math.abs((t.MVA_total as number) - Number(r.MVA_total))).toBeLessThan(1e-9);
      expect(Math.abs(((t.PF_total as number | null) ?? 0) - Number(r.PF_total || 0))).toBeLessThanOrEqual(1.000001e-6);
      expect(t.feeders_reporting).toBe(Number(r.feeders_reporting));
      expect(t.feeders_expected).toBe(Number(r.feeders_expected));
    });
    const st = await duck(
      `SELECT epoch_ms(start) AS s, MW_total, feeders_reporting FROM ${dataset(out, 'system_total')} ORDER BY start`,
    );
    expect(st.map((x) => [x.s, x.MW_total, x.feeders_reporting])).toEqual(
      all.map((r) => [Date.parse(r['Start Time']!), Number(r.MW_total), Number(r.feeders_reporting)]),
    );
  });
});

describe('lptool export parquet — the --help examples', () => {
  it('each runs on the site (a temp folder in place of the example’s /srv path)', () => {
    const examples = helpExamples(['export', 'parquet']);
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const ex of examples) {
      const args = ex.args.map((a) => (a.startsWith('/srv/') ? path.join(site.root, 'lake') : a));
      const r = lptool([...args, '--root', site.root], { env: ex.env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    expect(fs.existsSync(path.join(site.root, 'lake', '_lptool.json'))).toBe(true);
  });
});

describe('lptool export parquet — incremental, and safe to kill', () => {
  const stamp = () => Object.fromEntries(listFiles(out).map((f) => [f, fs.statSync(path.join(out, f)).mtimeMs]));

  it('rewrites nothing when nothing changed, and only the changed partition when one profile changed', () => {
    const before = stamp();
    const again = lptool(['export', 'parquet', '--root', site.root, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).partitionsWritten).toBe(0);
    expect(stamp()).toEqual(before);
    // a corrected value in July 2024 of the first meter: its 2024 partition only
    const file = path.join(lp, `${names[0]}.csv`);
    const text = fs.readFileSync(file, 'utf8').split('\n');
    const at = text.findIndex((l) => l.startsWith('2024-07-01T12:00:00'));
    const cells = text[at]!.split(',');
    cells[13] = String(Number(cells[13]) + 1); // MW_net
    text[at] = cells.join(',');
    fs.writeFileSync(file, text.join('\n'));
    const r = lptool(['export', 'parquet', '--root', site.root, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.partitionsWritten).toBe(1);
    const after = stamp();
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(changed.sort()).toEqual(['_lptool.json', `profiles/name=${names[0]}/year=2024/part-0.parquet`]);
  });

  it('a kill at any step of the commit leaves every partition whole (old or new) and readable; a re-run converges', async () => {
    // every profile changes (build --legacy-net flips MW_net where the meter exports), so every partition is rewritten
    expect(lptool(['build', '--root', site.root, '--legacy-net', '--full']).code).toBeLessThanOrEqual(1);
    const old = Object.fromEntries(listFiles(out).map((f) => [f, sha(path.join(out, f))]));
    const reference = path.join(site.root, 'reference');
    expect(lptool(['export', 'parquet', '--root', site.root, '--out', reference]).code).toBe(0);
    const fresh = Object.fromEntries(listFiles(reference).map((f) => [f, sha(path.join(reference, f))]));
    const changing = Object.keys(old).filter((f) => f.endsWith('.parquet') && old[f] !== fresh[f]);
    expect(changing.length).toBeGreaterThanOrEqual(3);
    const rows = (await duck(`SELECT count(*) AS n FROM ${dataset(out)}`))[0]!.n;
    const wholeAndReadable = async () => {
      for (const f of listFiles(out).filter((x) => x.endsWith('.parquet')))
        expect([old[f], fresh[f]]).toContain(sha(path.join(out, f)));
      expect((await duck(`SELECT count(*) AS n FROM ${dataset(out)}`))[0]!.n).toBe(rows);
    };
    // stopped between every two renames of the commit (io's fault injection), then at random instants
    for (let k = 0; k < changing.length; k++) {
      const r = lptool(['export', 'parquet', '--root', site.root], { env: { LPTOOL_CRASH_AT: `commit:${k}` } });
      expect(r.code, r.stdout + r.stderr).toBe(-1); // killed
      await wholeAndReadable();
    }
    const random = seededRandom(17);
    for (let k = 0; k < 3; k++) {
      await lptoolKilledAfter(['export', 'parquet', '--root', site.root, '--full'], 150 + random() * 600);
      await wholeAndReadable();
    }
    const done = lptool(['export', 'parquet', '--root', site.root]);
    expect(done.code, done.stderr).toBe(0);
    const now = Object.fromEntries(listFiles(out).map((f) => [f, sha(path.join(out, f))]));
    for (const [f, h] of Object.entries(fresh)) if (f.endsWith('.parquet')) expect(now[f], f).toBe(h);
    // temps of killed runs are cleared when their partition is written again
    const full = lptool(['export', 'parquet', '--root', site.root, '--full']);
    expect(full.code, full.stderr).toBe(0);
    expect(listFiles(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
