import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, listFiles, lptool, sha256, siteFrom, UPDATE_GOLDEN } from '../../cli/src/testing.js';
import { sort } from '../../sort/src/index.js';
import { synthSite } from '../../synth/src/index.js';
import { build } from './build.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});
function site(name: string) {
  const s = siteFrom(`build/${name}/input`);
  cleanups.push(s.cleanup);
  return s.root;
}

/** Compare every lp/*.csv of a run to fixtures/build/<name>/expected/ (rewritten with LPTOOL_UPDATE_GOLDEN=1). */
function expectGoldenProfiles(root: string, name: string, suffix = '') {
  const expectedDir = path.join(FIXTURES, 'build', name, `expected${suffix}`);
  const got = listFiles(path.join(root, 'lp')).filter((f) => f.endsWith('.csv'));
  if (UPDATE_GOLDEN) {
    fs.rmSync(expectedDir, { recursive: true, force: true });
    fs.mkdirSync(expectedDir, { recursive: true });
    for (const f of got) fs.copyFileSync(path.join(root, 'lp', f), path.join(expectedDir, f));
  }
  expect(got).toEqual(listFiles(expectedDir));
  for (const f of got)
    expect(fs.readFileSync(path.join(root, 'lp', f), 'utf8'), f).toBe(
      fs.readFileSync(path.join(expectedDir, f), 'utf8'),
    );
}

const column = (csv: string, name: string) => {
  const [head, ...rows] = csv.trim().split('\n');
  const i = head!.split(',').indexOf(name);
  return rows.map((r) => r.split(',')[i]);
};

describe('lptool build — the 8 golden rows through the real CLI', () => {
  it('legacy net gives the documented MW_net, MVA_net and PF_net exactly', () => {
    const root = site('golden');
    const r = lptool(['build', '--root', root, '--legacy-net']);
    expect(r.code).toBe(0);
    const csv = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8');
    expect(column(csv, 'MW_net')).toEqual([
      '1.630944',
      '0.502848',
      '0.475776',
      '0.991296',
      '1.1952',
      '1.128096',
      '0.981504',
      '1.193472',
    ]);
    expect(column(csv, 'MVA_net')).toEqual([
      '7.013664',
      '4.972608',
      '3.858912',
      '5.779296',
      '6.649056',
      '6.610464',
      '6.169536',
      '6.574752',
    ]);
    expect(column(csv, 'PF_net')).toEqual([
      '0.232538',
      '0.101124',
      '0.123293',
      '0.171525',
      '0.179755',
      '0.170653',
      '0.159089',
      '0.181524',
    ]);
    expectGoldenProfiles(root, 'golden', '-legacy');
  });

  it('the default signed net: first row MW_net −1.58256, PF_net −0.22564, byte-exact file', () => {
    const root = site('golden');
    const r = lptool(['build', '--root', root]);
    expect(r.code).toBe(0);
    const csv = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe(
      'Start Time,End Time,meter,Record No.,Event Type,kw_del,kw_rec,kva_del,kva_rec,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,PF_net',
    );
    expect(csv.split('\n')[1]).toBe(
      '2024-07-12T11:00:00-07:00,2024-07-12T11:15:00-07:00,144800052,157594,Normal,0.84,55.79,15.02,228.51,0.024192,1.606752,0.432576,6.581088,-1.58256,7.013664,-0.22564',
    );
    expectGoldenProfiles(root, 'golden');
  });
});

describe('lptool build — golden sites', () => {
  it('legal clock: DST nights in both End Time conventions, a corrected re-export, a bad row, an unknown meter', () => {
    const root = site('legal');
    const r = lptool(['build', '--root', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'unknown meter 999999999 (not in meter-data.csv): 1 file(s), e.g. data/KW/2024-07/stranger.csv',
    );
    expect(r.stdout).toContain(
      'bad row data/KW/2024-07/east.csv:4 column kw_del: kw_del — expected a decimal number, got "n/a"',
    );
    expect(r.stdout).toContain(
      'conflict 2024-07-12T12:15:00-07:00: kept data/KW/2024-07/north-b-reexport.csv:3 (kw_del=40.0 kw_rec=0.05 kva_del=229.31 kva_rec=0.22), dropped data/KW/2024-07/north-a.csv:7 (kw_del=39.12',
    );
    const north = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8');
    expect(north).toContain('2024-07-12T12:15:00-07:00,2024-07-12T12:30:00-07:00,144800052,157599,Normal,40.0,');
    const south = fs.readFileSync(path.join(root, 'lp/south.csv'), 'utf8');
    expect(south).toContain('2024-11-03T01:45:00-07:00,2024-11-03T01:00:00-08:00,');
    expect(south).toContain('2024-03-10T01:45:00-08:00,2024-03-10T03:00:00-07:00,');
    expect(south.trim().split('\n')).toHaveLength(33); // wall and start+interval files collapsed, no conflict
    const log = fs.readFileSync(path.join(root, 'logs/build.log'), 'utf8');
    expect(log).toMatch(/"event":"conflict".*"kept".*north-b-reexport\.csv.*"dropped".*north-a\.csv/);
    expectGoldenProfiles(root, 'legal');
  });

  it('standard clock (MV-90 style): the same nights read with the standard offset', () => {
    const root = site('standard');
    const r = lptool(['build', '--root', root, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.meters[0]).toMatchObject({ name: 'west', rows: 32, conflicts: 0 });
    expectGoldenProfiles(root, 'standard');
  });
});

describe('lptool build — behaviour', () => {
  it('is incremental: unchanged inputs are not rebuilt; a new file rebuilds only its meter; --full rebuilds all', () => {
    const root = site('legal');
    lptool(['build', '--root', root]);
    const again = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
    expect(again.meters.map((m: { status: string }) => m.status)).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    expect(again.rowsRead).toBe(0);
    const src = path.join(root, 'data/KW/2024-07/east.csv');
    const text = fs.readFileSync(src, 'utf8').replaceAll('07/12/24', '07/13/24');
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/east-next-day.csv'), text);
    const third = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
    expect(third.meters.map((m: { status: string }) => m.status)).toEqual(['up-to-date', 'up-to-date', 'appended']);
    expect(third.meters[2].rows).toBe(10);
    expect(third.rowsRead).toBe(6); // only the new file was read
    const appended = fs.readFileSync(path.join(root, 'lp/east.csv'), 'utf8');
    const sidecar = fs.readFileSync(path.join(root, 'lp/.cache/east.bin'));
    const full = JSON.parse(lptool(['build', '--root', root, '--json', '--full']).stdout);
    expect(full.meters.map((m: { status: string }) => m.status)).toEqual(['built', 'built', 'built']);
    // appending gives exactly the bytes of a full build, sidecar included
    expect(fs.readFileSync(path.join(root, 'lp/east.csv'), 'utf8')).toBe(appended);
    const data = (b: Buffer) => b.subarray(b.length - 10 * 4 * 8); // 10 rows × 4 Float64 columns
    expect(data(fs.readFileSync(path.join(root, 'lp/.cache/east.bin')))).toEqual(data(sidecar));
    // a new file that overlaps what is already built cannot be appended: that meter is rebuilt in full
    fs.writeFileSync(path.join(root, 'data/KW/2024-07/east-resent.csv'), text.replace('13.03', '13.50'));
    const fourth = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
    expect(fourth.meters[2]).toMatchObject({ status: 'built', rows: 10, conflicts: 1 });
    // and a profile edited by hand is rebuilt, not appended to
    fs.appendFileSync(path.join(root, 'lp/north.csv'), '');
    fs.utimesSync(path.join(root, 'lp/north.csv'), new Date(2020, 0, 1), new Date(2020, 0, 1));
    fs.writeFileSync(
      path.join(root, 'data/KW/2024-07/north-later.csv'),
      fs.readFileSync(path.join(root, 'data/KW/2024-07/north-a.csv'), 'utf8').replaceAll('07/12/24', '07/14/24'),
    );
    const fifth = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
    expect(fifth.meters[0].status).toBe('built');
  });

  it('appends go through the shadow; a shadow not as the last build left it is never used', () => {
    const root = site('legal');
    const src = fs.readFileSync(path.join(root, 'data/KW/2024-07/east.csv'), 'utf8');
    const shadow = path.join(root, 'lp/.cache/east.csv.shadow');
    const profile = path.join(root, 'lp/east.csv');
    let day = 12;
    /** One more day for east, then a build: the statuses and east's profile. */
    const nextDay = () => {
      day++;
      const text = src.replaceAll('07/12/24', `07/${day}/24`);
      fs.writeFileSync(path.join(root, `data/KW/2024-07/east-${day}.csv`), text);
      const r = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
      return r.meters.find((m: { name: string }) => m.name === 'east').status as string;
    };
    const fullBytes = () => {
      const t = fs.mkdtempSync(path.join(os.tmpdir(), 'lpt-full-'));
      try {
        fs.cpSync(path.join(root, 'data'), path.join(t, 'data'), { recursive: true });
        for (const f of ['meter-data.csv', 'lptool.yaml']) fs.copyFileSync(path.join(root, f), path.join(t, f));
        expect(lptool(['build', '--root', t, '--meter', 'east']).code).toBeLessThan(2);
        return fs.readFileSync(path.join(t, 'lp/east.csv'), 'utf8');
      } finally {
        fs.rmSync(t, { recursive: true, force: true });
      }
    };
    lptool(['build', '--root', root]);
    // a full build leaves a shadow with the profile's bytes; an append leaves the old profile as the shadow
    expect(fs.readFileSync(shadow, 'utf8')).toBe(fs.readFileSync(profile, 'utf8'));
    const before = fs.readFileSync(profile, 'utf8');
    expect(nextDay()).toBe('appended');
    expect(fs.readFileSync(shadow, 'utf8')).toBe(before);
    expect(fs.readFileSync(profile, 'utf8')).toBe(fullBytes());
    expect(nextDay()).toBe('appended'); // the shadow catches up one append and takes the next
    expect(fs.readFileSync(profile, 'utf8')).toBe(fullBytes());
    // killed while writing the shadow: rows at its end the manifest does not know
    fs.appendFileSync(shadow, 'half a row,');
    expect(nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(fullBytes());
    // killed between the two renames: no shadow, a linked temp of a dead process beside where it was
    fs.linkSync(shadow, path.join(root, 'lp/.cache/.east.csv.shadow.tmp-999999-0badc0de'));
    fs.rmSync(shadow);
    expect(nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(fullBytes());
    expect(fs.readdirSync(path.join(root, 'lp/.cache')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // same size, other bytes (an edit that kept the length): its mtime gives it away
    const text = fs.readFileSync(shadow, 'utf8');
    const edited = text.replace(',Normal,', ',Normxl,');
    expect(edited).not.toBe(text);
    fs.writeFileSync(shadow, edited);
    expect(nextDay()).toBe('appended');
    expect(fs.readFileSync(profile, 'utf8')).toBe(fullBytes());
  });

  it('two exports that end at the same instant: the later delivery wins', () => {
    const root = site('legal');
    const a = path.join(root, 'data/KW/2024-07/north-a.csv');
    const fixed = path.join(root, 'data/KW/2024-07/a-fixed-north.csv'); // sorts first by name, delivered later
    fs.writeFileSync(fixed, fs.readFileSync(a, 'utf8').replace(',0.84,55.79,', ',0.99,55.79,'));
    fs.utimesSync(a, new Date(2024, 6, 13), new Date(2024, 6, 13));
    fs.utimesSync(fixed, new Date(2024, 6, 14), new Date(2024, 6, 14));
    const r = lptool(['build', '--root', root, '--meter', 'north']);
    expect(r.stdout).toContain('kept data/KW/2024-07/a-fixed-north.csv:2 (kw_del=0.99');
    fs.utimesSync(fixed, new Date(2024, 6, 12), new Date(2024, 6, 12));
    expect(lptool(['build', '--root', root, '--meter', 'north', '--full']).stdout).toContain(
      'kept data/KW/2024-07/north-a.csv:2 (kw_del=0.84',
    );
  });

  it('--on-bad-row fail leaves that meter unbuilt and the others built', () => {
    const root = site('legal');
    const r = JSON.parse(lptool(['build', '--root', root, '--json', '--on-bad-row', 'fail']).stdout);
    expect(r.meters.find((m: { name: string }) => m.name === 'east').status).toBe('failed');
    expect(fs.existsSync(path.join(root, 'lp/east.csv'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'lp/north.csv'))).toBe(true);
  });

  it('--meter and --from/--to limit the work (a range writes an extract into --out)', () => {
    const root = site('legal');
    const r = lptool([
      'build',
      '--root',
      root,
      '--meter',
      'north',
      '--from',
      '2024-07-12T12:00',
      '--to',
      '2024-07-12T13:00',
      '--out',
      path.join(root, 'extract'),
    ]);
    expect(r.code).toBe(1); // the re-export conflict is still flagged
    expect(listFiles(path.join(root, 'extract'))).toEqual(['north.csv']);
    expect(fs.readFileSync(path.join(root, 'extract/north.csv'), 'utf8').trim().split('\n')).toHaveLength(5);
    expect(fs.existsSync(path.join(root, 'lp'))).toBe(false);
    const bad = lptool(['build', '--root', root, '--meter', 'nowhere']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--meter — expected a name from meter-data\.csv \(north, south, east\), got "nowhere"/);
  });

  it('meter-data problems: bad names and duplicates stop the run (exit 2); a bad multiplier stops only its meter', () => {
    const root = site('legal');
    const md = path.join(root, 'meter-data.csv');
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800099,../south,40\n');
    let r = lptool(['build', '--root', root]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /LPT_BAD_METER_DATA: name — expected a plain file name .*got "\.\.\/south" \(meter-data\.csv:3, column name\)/,
    );
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800052,north2,40\n');
    r = lptool(['build', '--root', root]);
    expect(r.stderr).toMatch(
      /meter — expected each id once, got 144800052 again \(first on line 2\) \(meter-data\.csv:3, column meter\)/,
    );
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,28.8\n144800099,all,40\n');
    expect(lptool(['build', '--root', root]).code).toBe(2);
    fs.writeFileSync(md, 'meter,name,multiplier\n144800052,north,-2\n144800099,south,40\n144800077,east,12\n');
    r = lptool(['build', '--root', root]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /north +failed +multiplier — expected a number > 0, got "-2" \(meter-data\.csv:2, column multiplier\)/,
    );
    expect(fs.existsSync(path.join(root, 'lp/south.csv'))).toBe(true);
  });
});

describe('build — properties', () => {
  const base = () => site('legal');
  const profiles = (root: string) =>
    Object.fromEntries(
      ['north', 'south', 'east'].map((n) => [n, fs.readFileSync(path.join(root, `lp/${n}.csv`), 'utf8')]),
    );

  it('any order of the archived files gives the same bytes', async () => {
    const ref = base();
    await build({ root: ref });
    const expected = profiles(ref);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 10, maxLength: 10 }),
        async (prefixes) => {
          const root = base();
          const files = listFiles(path.join(root, 'data/KW'));
          files.forEach((f, i) => {
            const [month, name] = f.split('/');
            fs.renameSync(
              path.join(root, 'data/KW', f),
              path.join(
                root,
                'data/KW',
                month!,
                `${String(prefixes[i % prefixes.length]).padStart(3, '0')}-${i}-${name}`,
              ),
            );
          });
          await build({ root });
          expect(profiles(root)).toEqual(expected);
        },
      ),
      { numRuns: 6 },
    );
  });

  it('splitting one export into several files gives the same bytes', async () => {
    const ref = base();
    await build({ root: ref });
    const expected = profiles(ref);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: 15 }), { maxLength: 5 }), async (cuts) => {
        const root = base();
        const file = path.join(root, 'data/KW/2024-11/south-fallback-wall.csv');
        const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
        fs.rmSync(file);
        const points = [0, ...cuts.sort((a, b) => a - b), rows.length];
        for (let k = 0; k + 1 < points.length; k++) {
          fs.writeFileSync(
            path.join(root, `data/KW/2024-11/part-${k}.csv`),
            `${[head, ...rows.slice(points[k], points[k + 1])].join('\n')}\n`,
          );
        }
        await build({ root });
        expect(profiles(root)).toEqual(expected);
      }),
      { numRuns: 6 },
    );
  });
});

/** Every file under a folder with its bytes' hash and mtime (a snapshot to prove a run touched nothing there). */
function snapshot(dir: string): Record<string, string> {
  if (!fs.existsSync(dir)) return {};
  return Object.fromEntries(
    listFiles(dir).map((f) => {
      const full = path.join(dir, f);
      return [f, `${sha256(fs.readFileSync(full))} ${fs.statSync(full).mtimeMs}`];
    }),
  );
}

/** A synth site (3 meters, 14 days, one export a day), sorted and built. */
async function builtSynthSite(): Promise<string> {
  const { root, cleanup } = (() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lptool-trust-'));
    return { root: dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
  })();
  cleanups.push(cleanup);
  synthSite({
    out: root,
    meters: 3,
    days: 14,
    start: '2024-10-28',
    tz: 'America/Los_Angeles',
    clock: 'legal',
    seed: 3,
    fileDays: 1,
    intervalMs: 900_000,
    gaps: 0,
    sequenceErrors: 0,
    duplicates: 0,
    overlaps: 0,
  });
  await sort({ root, settleMs: 0 });
  expect(lptool(['build', '--root', root]).code).toBe(0);
  return root;
}
const rowsOf = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').length - 1;

describe('lp/<name>.csv is always the whole profile: ranged builds are extracts', () => {
  it('a range without --out is a usage error and touches nothing', async () => {
    const root = await builtSynthSite();
    const before = snapshot(root);
    const r = lptool(['build', '--root', root, '--from', '2024-11-01', '--meter', 'north']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lptool: LPT_USAGE: --out — expected a folder for a ranged build (--from/--to writes an extract there; lp/<name>.csv is always the whole profile), got none (key --out)\n',
    );
    expect(snapshot(root)).toEqual(before);
  });

  it('a ranged build writes plain profiles into --out and leaves lp/, its shadows, sidecars and manifest as they were', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    expect(Object.keys(lp)).toEqual(
      expect.arrayContaining(['.build-manifest.json', '.cache/north.bin', '.cache/north.csv.shadow', 'north.csv']),
    );
    const out = path.join(root, 'july');
    const r = lptool(['build', '--root', root, '--from', '2024-11-01', '--to', '2024-11-03', '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(listFiles(out)).toEqual(['east.csv', 'north.csv', 'south.csv']); // no shadows, no sidecars
    expect(rowsOf(path.join(out, 'north.csv'))).toBe(2 * 96);
    expect(JSON.parse(r.stdout).outDir).toBe(out);
    expect(snapshot(path.join(root, 'lp'))).toEqual(lp);
    // the next plain build finds lp/ up to date (the extract did not pose as a build of lp/)
    expect(
      JSON.parse(lptool(['build', '--root', root, '--json']).stdout).meters.map((m: { status: string }) => m.status),
    ).toEqual(['up-to-date', 'up-to-date', 'up-to-date']);
    // an extract never goes into lp/
    const lpNow = snapshot(path.join(root, 'lp'));
    for (const bad of [path.join(root, 'lp'), path.join(root, 'lp/july')]) {
      const r2 = lptool(['build', '--root', root, '--from', '2024-11-01', '--out', bad]);
      expect(r2.code).toBe(2);
      expect(r2.stderr).toMatch(/--out — expected a folder outside lp\//);
    }
    expect(snapshot(path.join(root, 'lp'))).toEqual(lpNow);
  });
});

describe('a build never replaces a profile with fewer rows (the commit step’s rule)', () => {
  it('build --full --interval 5 --meter north: every file rejected, lp/north.csv kept with its shadow and sidecar; exit 1 says why', async () => {
    const root = await builtSynthSite();
    const lp = snapshot(path.join(root, 'lp'));
    const r = lptool(['build', '--root', root, '--full', '--interval', '5', '--meter', 'north']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /north +kept +kept lp\/north\.csv \(1348 rows\): this build would replace it with 0 rows; 14 of 14 archived files rejected, e\.g\. data\/KW\/2024-10\/north-\S+\.csv: SEQUENCE-ERROR: line 2: interval length — expected 5m, got 15m .* — check the settings \(--interval, --tz\) and the archive, or pass --allow-shrink to replace it/,
    );
    const after = snapshot(path.join(root, 'lp'));
    for (const f of ['north.csv', '.cache/north.bin', '.cache/north.csv.shadow', 'south.csv'])
      expect(after[f], f).toBe(lp[f]);
    expect(listFiles(path.join(root, 'lp')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // the next ordinary build: lp/north.csv is as the last good build left it
    expect(lptool(['build', '--root', root]).code).toBe(0);
    expect(snapshot(path.join(root, 'lp'))['north.csv']).toBe(lp['north.csv']);
    // --allow-shrink: the operator's word replaces it
    const forced = lptool(['build', '--root', root, '--full', '--interval', '5', '--meter', 'north', '--allow-shrink']);
    expect(forced.code).toBe(1); // the rejected files are still flagged
    expect(rowsOf(path.join(root, 'lp/north.csv'))).toBe(0);
  });

  it('a shrunken archive, all rows bad, or a profile with rows added by hand: the old profile is kept', async () => {
    const root = await builtSynthSite();
    const rows = rowsOf(path.join(root, 'lp/south.csv'));
    // the archive lost three days of south
    const month = path.join(root, 'data/KW/2024-11');
    for (const f of fs
      .readdirSync(month)
      .filter((f) => f.startsWith('south-'))
      .slice(0, 3))
      fs.rmSync(path.join(month, f));
    const lost = JSON.parse(lptool(['build', '--root', root, '--json']).stdout);
    expect(lost.exitCode).toBe(1);
    expect(lost.meters.find((m: { name: string }) => m.name === 'south')).toMatchObject({ status: 'kept' });
    expect(rowsOf(path.join(root, 'lp/south.csv'))).toBe(rows);
    // every value of east turned non-numeric: every row bad
    for (const dir of ['2024-10', '2024-11'])
      for (const f of fs.readdirSync(path.join(root, 'data/KW', dir)).filter((f) => f.startsWith('east-'))) {
        const file = path.join(root, 'data/KW', dir, f);
        fs.writeFileSync(
          file,
          fs
            .readFileSync(file, 'utf8')
            .replace(/,(\d+\.?\d*),(\d+\.?\d*),(\d+\.?\d*),(\d+\.?\d*)\r?$/gm, ',x,$2,$3,$4'),
        );
      }
    const bad = JSON.parse(lptool(['build', '--root', root, '--json', '--meter', 'east']).stdout);
    expect(bad.meters[0]).toMatchObject({ status: 'kept', rows: 0 });
    expect(bad.meters[0].error).toMatch(
      /kept lp\/east\.csv \(1348 rows\): this build would replace it with 0 rows; 1348 bad rows skipped/,
    );
    expect(rowsOf(path.join(root, 'lp/east.csv'))).toBe(1348);
    // north edited by hand (rows pasted twice): a full rebuild would have fewer rows than the file has — counted, kept
    const north = path.join(root, 'lp/north.csv');
    const text = fs.readFileSync(north, 'utf8');
    fs.writeFileSync(north, `${text}${text.split('\n').slice(1, 11).join('\n')}\n`);
    const edited = JSON.parse(lptool(['build', '--root', root, '--json', '--meter', 'north', '--full']).stdout);
    expect(edited.meters[0].error).toMatch(
      /kept lp\/north\.csv \(1358 rows\): this build would replace it with 1348 rows/,
    );
    expect(lptool(['build', '--root', root, '--meter', 'north', '--full', '--allow-shrink']).code).toBe(0);
    expect(fs.readFileSync(north, 'utf8')).toBe(text);
  });
});
