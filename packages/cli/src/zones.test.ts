import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  profileText,
  readReferenceSite,
  referenceDaily,
  referenceGaps,
  referenceProfiles,
  referenceTotal,
} from './reference.js';
import { FIXTURES, listFiles, lptool, siteFrom, UPDATE_GOLDEN } from './testing.js';

/*
 * The same rules in every zone, clock and interval (issue 19): end-to-end golden trees under fixtures/zones/.
 * Each input is a `lptool synth site` root committed as generated (fixtures/zones/README.md has the commands),
 * with meter-data.csv given multipliers of 2 and 4 decimals so that rounding matters. The test runs the real CLI —
 * sort, build, merge, gaps, resample --every 1d — and checks every file it writes twice: against the committed
 * golden tree (byte for byte), and against a second implementation (reference.ts: Intl for instants, BigInt
 * for numbers, no lptool code) that works the same files out from the raw exports.
 */

const CASES = [
  // the fixture; hand-worked facts: intervals in a local day of a meter, and the exit codes of sort and build
  {
    name: 'la-5min-fall-back', // 5-minute, America/Los_Angeles, 2024-11-03: a missing day, a corrected re-export
    days: { north: { '2024-11-02': 288, '2024-11-04': 288 }, south: { '2024-11-03': 300 } },
    codes: { sort: 0, build: 1 }, // the re-export's conflict is flagged
  },
  {
    name: 'lord-howe-autumn', // 15-minute, Australia/Lord_Howe, 2024-04-07: the 30-minute shift back, a missing day
    days: { north: { '2024-04-07': 98 }, south: { '2024-04-06': 96, '2024-04-07': 98 } },
    codes: { sort: 0, build: 0 },
  },
  {
    name: 'lord-howe-spring', // 2024-10-06: the 30-minute shift forward; north's export of that day lost a row
    days: { north: { '2024-10-05': 96 }, south: { '2024-10-06': 94 } },
    codes: { sort: 1, build: 0 }, // the broken export is rejected
  },
  {
    name: 'berlin-standard', // meters on standard time (no DST) in Europe/Berlin; 2024-10-27, a re-delivery
    days: { north: { '2024-10-27': 100 }, south: { '2024-10-27': 100 } },
    codes: { sort: 0, build: 0 },
  },
] as const;

let cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

/** Run the pipeline on a copy of the fixture; its files in the order synth delivered them (mtimes, like a dropbox). */
function runSite(name: string): { root: string; deliveries: string[]; codes: Record<string, number> } {
  const s = siteFrom(`zones/${name}/input`);
  cleanups.push(s.cleanup);
  const root = s.root;
  const deliveries = JSON.parse(fs.readFileSync(path.join(root, 'synth-manifest.json'), 'utf8')).deliveries as string[];
  const t0 = Date.parse('2024-12-01T00:00:00Z');
  deliveries.forEach((f, k) => {
    const t = new Date(t0 + k * 1000);
    fs.utimesSync(path.join(root, '_dropbox/KW', f), t, t);
  });
  const codes: Record<string, number> = {};
  const run = (...args: string[]) => {
    const r = lptool([...args, '--root', root], { cwd: root });
    if (r.code > 1) throw new Error(`lptool ${args.join(' ')}: ${r.stderr}`);
    codes[args[0]!] = r.code;
  };
  run('sort', '--settle', '0');
  run('build');
  run('merge');
  run('gaps');
  for (const f of fs.readdirSync(path.join(root, 'lp')).filter((x) => /\.csv$/.test(x) && !x.endsWith('_gaps.csv')))
    run('resample', `lp/${f}`, '--every', '1d');
  return { root, deliveries, codes };
}

/** Every output file the reference works out from the raw exports of a site's inputs, by path under lp/. */
function referenceTree(input: string, deliveries: string[]): Map<string, string> {
  const site = readReferenceSite(input, deliveries);
  const profiles = referenceProfiles(site);
  const total = referenceTotal(site, profiles);
  const out = new Map<string, string>();
  const feederColumns = ['MW_del', 'MW_rec', 'MVA_del', 'MVA_rec', 'MW_net', 'MVA_net'];
  const feederEnergy = [
    { name: 'MWh_del', column: 0 },
    { name: 'MWh_rec', column: 1 },
    { name: 'MWh_net', column: 4 },
  ];
  for (const p of profiles) {
    out.set(`${p.name}.csv`, profileText(p));
    out.set(`${p.name}_gaps.csv`, referenceGaps(site, p.starts));
    out.set(
      `resampled/${p.name}_1d.csv`,
      referenceDaily(site, p.starts, p.values, feederColumns, feederEnergy, [4, 5]),
    );
  }
  out.set('all.csv', total.text);
  out.set('all_gaps.csv', referenceGaps(site, total.starts));
  out.set(
    'resampled/all_1d.csv',
    referenceDaily(
      site,
      total.starts,
      total.values,
      ['MW_net', 'MW_total', 'MVA_total'],
      [{ name: 'MWh_net', column: 1 }],
      [1, 2],
      total.complete, // a total some meter is missing from is not a present interval
    ),
  );
  return out;
}

describe('golden trees across zones, clocks and intervals (worked out independently)', () => {
  for (const c of CASES) {
    it(`${c.name}: profiles, all.csv, gap lists and daily energies`, () => {
      const { root, deliveries, codes } = runSite(c.name);
      const expectedDir = path.join(FIXTURES, 'zones', c.name, 'expected');
      const written = listFiles(path.join(root, 'lp')).filter((f) => f.endsWith('.csv'));
      const reference = referenceTree(path.join(FIXTURES, 'zones', c.name, 'input'), deliveries);
      // 1. lptool's files are the reference's, byte for byte
      expect(written).toEqual([...reference.keys()].sort());
      for (const f of written)
        expect(fs.readFileSync(path.join(root, 'lp', f), 'utf8'), `${c.name}: lp/${f}`).toBe(reference.get(f));
      // 2. … and the committed golden tree (rewritten with LPTOOL_UPDATE_GOLDEN=1, after 1. holds)
      if (UPDATE_GOLDEN) {
        fs.rmSync(expectedDir, { recursive: true, force: true });
        for (const f of written) {
          fs.mkdirSync(path.dirname(path.join(expectedDir, f)), { recursive: true });
          fs.copyFileSync(path.join(root, 'lp', f), path.join(expectedDir, f));
        }
      }
      expect(written).toEqual(listFiles(expectedDir));
      for (const f of written)
        expect(fs.readFileSync(path.join(root, 'lp', f), 'utf8'), `golden ${f}`).toBe(
          fs.readFileSync(path.join(expectedDir, f), 'utf8'),
        );
      // 3. hand-worked: the DST days have the lengths the zones give them
      for (const [name, days] of Object.entries(c.days)) {
        const daily = fs
          .readFileSync(path.join(root, 'lp/resampled', `${name}_1d.csv`), 'utf8')
          .trim()
          .split('\n');
        for (const [date, n] of Object.entries(days))
          expect(
            daily
              .find((l) => l.startsWith(date))
              ?.split(',')
              .slice(-2),
            `${name} ${date}`,
          ).toEqual([String(n), String(n)]);
      }
      expect(codes).toEqual({ ...c.codes, merge: 0, gaps: 0, resample: 0 });
    });
  }
});
