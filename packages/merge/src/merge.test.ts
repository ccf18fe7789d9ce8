import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, lptool, siteFrom, UPDATE_GOLDEN } from '../../cli/src/testing.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function site() {
  const s = siteFrom('merge/input');
  cleanups.push(s.cleanup);
  return s.root;
}
const rows = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));

describe('lptool merge', () => {
  it('totals the feeders into the golden lp/all.csv, marking incomplete intervals', () => {
    const root = site();
    fs.writeFileSync(path.join(root, 'lp/north_gaps.csv'), 'gap_start\n');
    const r = lptool(['merge', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^merge .*: 3 feeders → lp\/all\.csv, 49 intervals/);
    const golden = path.join(FIXTURES, 'merge/expected-all.csv');
    if (UPDATE_GOLDEN) fs.copyFileSync(path.join(root, 'lp/all.csv'), golden);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(fs.readFileSync(golden, 'utf8'));
    // the three fixture feeders never report at the same instant: every total is marked 1 of 3
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((r) => `${r[6]}/${r[7]}`))).toEqual(new Set(['1/3']));
  });

  it('property: Σ of the feeder files equals MW_total/MVA_total for every interval (aligned on instants)', () => {
    const root = site();
    // a second copy of north under another name, with its labels written in UTC: alignment must be on instants
    const north = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8').split('\n');
    const utc = north.map((l, i) => {
      if (i === 0 || !l) return l;
      const f = l.split(',');
      f[0] = new Date(Date.parse(f[0]!)).toISOString().replace('.000Z', 'Z');
      f[1] = new Date(Date.parse(f[1]!)).toISOString().replace('.000Z', 'Z');
      return f.join(',');
    });
    fs.writeFileSync(path.join(root, 'lp/north_utc.csv'), utc.join('\n'));
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1004,north_utc,1\n');
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const expected = new Map<number, [number, number, number]>();
    for (const name of ['east', 'north', 'north_utc', 'south']) {
      const file = path.join(root, `lp/${name}.csv`);
      const head = fs.readFileSync(file, 'utf8').split('\n')[0]!.split(',');
      for (const r of rows(file)) {
        const t = Date.parse(r[0]!);
        const acc = expected.get(t) ?? [0, 0, 0];
        acc[0] += Number(r[head.indexOf('MW_net')]);
        acc[1] += Number(r[head.indexOf('MVA_net')]);
        acc[2]++;
        expected.set(t, acc);
      }
    }
    const all = rows(path.join(root, 'lp/all.csv'));
    expect(all).toHaveLength(expected.size);
    for (const r of all) {
      const e = expected.get(Date.parse(r[0]!))!;
      expect(Math.abs(Number(r[2]) - e[0])).toBeLessThan(1e-6);
      expect(Math.abs(Number(r[3]) - e[1])).toBeLessThan(1e-6);
      expect(Number(r[6])).toBe(e[2]);
      expect(r[7]).toBe('4');
      expect(r[5]).toBe(r[2]);
    }
    expect(all.some((r) => r[6] === '2')).toBe(true); // north + north_utc together
  });

  it('--only / --exclude choose feeders; unknown names are a usage error', () => {
    const root = site();
    expect(lptool(['merge', '--root', root, '--only', 'north,east']).code).toBe(0);
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((r) => r[7]))).toEqual(new Set(['2']));
    expect(lptool(['merge', '--root', root, '--exclude', 'south']).code).toBe(0);
    expect(rows(path.join(root, 'lp/all.csv'))).toHaveLength(17);
    const bad = lptool(['merge', '--root', root, '--only', 'west']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--only — expected meter names from meter-data.csv \(east, north, south\), got west/);
  });

  it('different interval lengths are an error, or --resample brings them to the coarsest', () => {
    const root = site();
    fs.copyFileSync(path.join(FIXTURES, 'merge/five-minute.csv'), path.join(root, 'lp/fast.csv'));
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1005,fast,1\n');
    const r = lptool(['merge', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /LPT_INTERVAL_MISMATCH: interval — expected one interval length across feeders, got east 15m, fast 5m, north 15m, south 15m; use --resample/,
    );
    expect(fs.existsSync(path.join(root, 'lp/all.csv'))).toBe(false);
    expect(lptool(['merge', '--root', root, '--resample', '--only', 'fast,north']).code).toBe(0);
    const all = rows(path.join(root, 'lp/all.csv'));
    // 11:00–11:45 have fast (mean of 3 five-minute values) + north; MW_total 11:00 = mean(1,1.1,1.2) + north's −1.58256
    expect(all[0]!.slice(0, 3)).toEqual(['2024-07-12T11:00:00-07:00', '2024-07-12T11:15:00-07:00', '-0.48256']);
    expect(all[0]![6]).toBe('2');
    expect(all[4]![6]).toBe('1');
  });
});

describe('lptool merge — exactly the meters of meter-data.csv', () => {
  it('a copy such as lp/north-old.csv is named in a warning and never summed: all.csv does not change', () => {
    const root = site();
    expect(lptool(['merge', '--root', root]).code).toBe(0);
    const before = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    const r = lptool(['merge', '--root', root, '--json']);
    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(before);
    expect(r.stderr).toBe(
      'lptool: warning: lp/north-old.csv — not a meter of meter-data.csv: not summed (move it out of lp/ to silence this)\n',
    );
    const s = JSON.parse(r.stdout);
    expect(s.feeders.map((f: { name: string }) => f.name)).toEqual(['east', 'north', 'south']);
    expect([s.expected, s.ignored]).toEqual([3, ['lp/north-old.csv']]);
    // lptool's own outputs in lp/ are not warned about
    expect(lptool(['gaps', 'lp/north.csv'], { cwd: root }).code).toBe(0);
    expect(lptool(['merge', '--root', root]).stderr).not.toMatch(/north_gaps/);
  });

  it('feeders_expected is the size of that list: a meter without a profile counts as not reporting', () => {
    const root = site();
    fs.appendFileSync(path.join(root, 'meter-data.csv'), '1009,west,1\n');
    const r = lptool(['merge', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /warning: lp\/west\.csv — expected a profile of meter west \(meter-data\.csv\), got none: counted as not reporting/,
    );
    expect(r.stdout).toMatch(/^merge .*: 3 of 4 feeders → lp\/all\.csv/);
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((x) => x[7]))).toEqual(new Set(['4']));
    expect(lptool(['merge', '--root', root, '--exclude', 'west']).stderr).toBe('');
    expect(new Set(rows(path.join(root, 'lp/all.csv')).map((x) => x[7]))).toEqual(new Set(['3']));
    fs.rmSync(path.join(root, 'meter-data.csv'));
    const none = lptool(['merge', '--root', root]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/LPT_INPUT_MISSING: .*meter-data\.csv/);
  });
});

describe('the columnar sidecar', () => {
  it('gives the same all.csv as the CSVs, and an edited CSV is read as text again', async () => {
    const { build } = await import('../../profiles/src/index.js');
    const s = siteFrom('build/legal/input');
    cleanups.push(s.cleanup);
    await build({ root: s.root });
    expect(fs.existsSync(path.join(s.root, 'lp/.cache/north.bin'))).toBe(true);
    expect(lptool(['merge', '--root', s.root]).code).toBe(0);
    const fromCache = fs.readFileSync(path.join(s.root, 'lp/all.csv'), 'utf8');
    fs.rmSync(path.join(s.root, 'lp/.cache'), { recursive: true });
    expect(lptool(['merge', '--root', s.root]).code).toBe(0);
    expect(fs.readFileSync(path.join(s.root, 'lp/all.csv'), 'utf8')).toBe(fromCache);
    // rebuild the cache, then edit a value by hand: merge must see the edit
    await build({ root: s.root, full: true });
    const north = path.join(s.root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8').replace(',-1.58256,7.013664,', ',-100,7.013664,');
    fs.writeFileSync(north, text);
    expect(lptool(['merge', '--root', s.root]).code).toBe(0);
    expect(fs.readFileSync(path.join(s.root, 'lp/all.csv'), 'utf8')).toContain(
      '2024-07-12T11:00:00-07:00,2024-07-12T11:15:00-07:00,-100,',
    );
  });
});
