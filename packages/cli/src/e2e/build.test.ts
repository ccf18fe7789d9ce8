import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, listFiles, lptool, siteRoots, folderState as snapshot, UPDATE_GOLDEN } from '../testing.js';

/**
 * `lptool build` end to end: the real CLI on the golden trees (byte-exact profiles), and what only the
 * CLI says (a usage error's one line on stderr). The build itself is tested in packages/profiles.
 */
const roots = siteRoots();
const site = (name: string) => roots.fixture(`build/${name}/input`);

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
    expect(r.stderr).toContain(
      'lptool: build: unknown meter 999999999 (not in meter-data.csv): 1 file(s), e.g. data/KW/2024-07/stranger.csv',
    );
    expect(r.stderr).toContain(
      'lptool: build: bad row data/KW/2024-07/east.csv:4 column kw_del: kw_del — expected a decimal number, got "n/a"',
    );
    expect(r.stderr).toContain(
      'lptool: build: conflict 2024-07-12T12:15:00-07:00: kept data/KW/2024-07/north-b-reexport.csv:3 (kw_del=40.0 kw_rec=0.05 kva_del=229.31 kva_rec=0.22), dropped data/KW/2024-07/north-a.csv:7 (kw_del=39.12',
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

describe('lp/<name>.csv is always the whole profile: ranged builds are extracts', () => {
  it('a range without --out is a usage error and touches nothing', async () => {
    const root = site('legal');
    lptool(['build', '--root', root]);
    const before = snapshot(root);
    const r = lptool(['build', '--root', root, '--from', '2024-11-01', '--meter', 'north']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'lptool: LPT_USAGE: --out — expected a folder for a ranged build (--from/--to writes an extract there; lp/<name>.csv is always the whole profile), got none (key --out)\n',
    );
    expect(snapshot(root)).toEqual(before);
  });
});

describe("lptool's internal files are never read as profiles (review L11)", () => {
  it('gaps and stats on a profile shadow or lp/.cache refuse it, writing nothing beside it', () => {
    const root = site('legal');
    expect(lptool(['build', '--root', root]).code).toBe(1); // (the site's bad row)
    const cache = path.join(root, 'lp/.cache');
    const before = listFiles(cache);
    expect(before).toContain('north.csv.shadow');
    for (const cmd of ['gaps', 'stats'])
      for (const f of ['lp/.cache/north.csv.shadow', 'lp/.cache']) {
        const r = lptool([cmd, '--root', root, path.join(root, f)]);
        expect(r.code, `${cmd} ${f}`).toBe(2);
        expect(r.stderr, `${cmd} ${f}`).toMatch(/^lptool: LPT_INPUT_MISSING: .*\(internal file\)\n$/);
      }
    expect(listFiles(cache)).toEqual(before);
  });
});

describe('build: option values that would be silently ignored are exit 2 (review L6)', () => {
  it("--tz '', LPTOOL_WORKER_HEAP_MB=abc and a --from inside the spring-forward gap", () => {
    const root = site('legal');
    const before = snapshot(root);
    const cases: [string[], Record<string, string>, RegExp][] = [
      [
        ['--tz', ''],
        {},
        /^lptool: LPT_USAGE: --tz — expected a value \(an IANA zone such as America\/Los_Angeles\), got an empty one/,
      ],
      [
        [],
        { LPTOOL_WORKER_HEAP_MB: 'abc' },
        /^lptool: LPT_CONFIG: LPTOOL_WORKER_HEAP_MB — expected a whole number of megabytes > 0 \(default 192\), got "abc"/,
      ],
      [
        ['--from', '2024-03-10T02:30', '--out', path.join(root, 'ex')],
        {},
        /^lptool: LPT_USAGE: --from — expected a local time that exists in America\/Los_Angeles, got "2024-03-10T02:30": the clocks skip it that night/,
      ],
    ];
    for (const [args, env, why] of cases) {
      const r = lptool(['build', '--root', root, ...args], { env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(why);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(snapshot(root)).toEqual(before);
  });
});
