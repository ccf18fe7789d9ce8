import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { gaps } from '../../../gaps/src/index.js';
import { merge } from '../../../merge/src/index.js';
import { resample, type StatsOptions, stats as statsOf } from '../../../stats/src/index.js';
import { PLAIN_GAPS, tempDir } from '../testing.js';

/*
 * Properties of the numbers lptool prints, over generated profiles, through the commands' functions together (the
 * profile reader, merge, stats, resample and gaps):
 *  - a profile's row order in its file changes nothing (stats, resample, the gap list, merge), nor do identical
 *    copies of its rows anywhere in the file (each interval is taken once);
 *  - the diversity factor of feeders whose sum is the total is ≥ 1, and feeders that are a subset of the
 *    total's get no factor.
 */
const Q = 900_000;
const T0 = Date.parse('2024-07-15T00:00:00-07:00');
const iso = (t: number) => `${new Date(t - 7 * 3_600_000).toISOString().slice(0, 19)}-07:00`; // July: PDT
/** Millionths as the 6-decimal text lptool writes. */
const dec = (micro: number) => {
  const s = (Math.abs(micro) / 1e6).toFixed(6).replace(/\.?0+$/, '');
  return micro < 0 && s !== '0' ? `-${s}` : s;
};

/** One row: the interval's index from T0, MW delivered and received in millionths. */
type Row = { at: number; del: number; rec: number };
function profileText(rows: readonly Row[]): string {
  const lines = ['Start Time,End Time,MW_del,MW_rec,MVA_del,MVA_rec,MW_net,MVA_net,PF_net'];
  for (const { at, del, rec } of rows) {
    const t = T0 + at * Q;
    const mva = del + rec + 1000;
    lines.push(
      `${iso(t)},${iso(t + Q)},${dec(del)},${dec(rec)},${dec(del + 500)},${dec(rec + 500)},${dec(del - rec)},${dec(mva)},`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const stats = (o: Pick<StatsOptions, 'root' | 'files'> & Partial<StatsOptions>) =>
  statsOf({ by: 'all', png: false, ...o });
const mergeAll = (root: string) => merge({ root, resample: false, lockWaitMs: 30_000 });

let dirs: (() => void)[] = [];
afterAll(() => {
  for (const c of dirs) c();
  dirs = [];
});
/** A site with these feeder profiles (as text) in lp/ and each of them in meter-data.csv. */
function site(feeders: Record<string, string>): string {
  const t = tempDir('lptool-prop-');
  dirs.push(t.cleanup);
  fs.writeFileSync(path.join(t.dir, 'lptool.yaml'), 'timezone: America/Los_Angeles\n');
  const names = Object.keys(feeders);
  fs.writeFileSync(
    path.join(t.dir, 'meter-data.csv'),
    `meter,name,multiplier\n${names.map((n, i) => `${1000 + i},${n},1`).join('\n')}\n`,
  );
  fs.mkdirSync(path.join(t.dir, 'lp'));
  for (const [n, text] of Object.entries(feeders)) fs.writeFileSync(path.join(t.dir, 'lp', `${n}.csv`), text);
  return t.dir;
}

/** Rows of a feeder: a random subset of 0..n−1 (at least two), with values; and a random order key per row. */
const feederRows = (n: number) =>
  fc
    .array(
      fc.record({
        present: fc.boolean(),
        del: fc.integer({ min: 0, max: 40_000_000 }),
        rec: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10_000_000 })),
        key: fc.nat(),
        /** Identical copies of the row the permuted file has besides it. */
        copies: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 2 })),
      }),
      { minLength: n, maxLength: n },
    )
    .map((rs) => rs.map((r, at) => ({ ...r, at, present: r.present || at < 2 })).filter((r) => r.present));

describe('property: the order of a profile’s rows in its file changes no result', () => {
  it('stats (any --from/--to), resample, the gap list and merge are the same for any permutation of the rows, duplicated or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 4, max: 150 })
          .chain((n) => fc.tuple(fc.constant(n), feederRows(n), feederRows(n), fc.nat(n - 1), fc.nat(n - 1))),
        async ([n, a, b, x, y]) => {
          // the permuted file: each row with its identical copies, all in the order of their keys
          const shuffled = (rows: typeof a) =>
            rows
              .flatMap((r) =>
                Array.from({ length: 1 + r.copies }, (_, c) => ({ ...r, key: (r.key + c * 104_729) % 2 ** 31 })),
              )
              .sort((p, q) => p.key - q.key || p.at - q.at);
          const sorted = site({ a: profileText(a), b: profileText(b) });
          const permuted = site({ a: profileText(shuffled(a)), b: profileText(shuffled(b)) });
          const from = iso(T0 + Math.min(x, y) * Q);
          const to = iso(T0 + (Math.max(x, y) + 1) * Q);
          const results = [];
          for (const root of [sorted, permuted]) {
            const lp = (f: string) => path.join(root, 'lp', f);
            await mergeAll(root);
            const s = await stats({ root, files: [lp('a.csv'), lp('b.csv'), lp('all.csv')] });
            const ranged = await stats({ root, files: [lp('a.csv'), lp('all.csv')], from, to, by: 'month' });
            await resample({ root, file: lp('a.csv'), every: '1h', out: lp('a_1h.out') });
            const g = await gaps({
              root,
              files: [lp('a.csv'), lp('b.csv')],
              interval: '15m',
              from: iso(T0),
              to: iso(T0 + n * Q),
              ...PLAIN_GAPS,
              out: path.join(root, 'ranged'), // a ranged run's gap lists are not the site's
            });
            results.push({
              all: fs.readFileSync(lp('all.csv'), 'utf8'),
              stats: [s.periods, s.coincident, ranged.periods],
              resampled: fs.readFileSync(lp('a_1h.out'), 'utf8'),
              gapLists: ['a_gaps.csv', 'b_gaps.csv'].map((f) => fs.readFileSync(path.join(root, 'ranged', f), 'utf8')),
              // (the rows less the duplicates gaps lists: the permuted file has its copies besides)
              gaps: g.profiles.map((p) => [p.gaps, p.missingIntervals, p.rows - p.duplicates.length, p.first, p.last]),
            });
          }
          expect(results[1]).toEqual(results[0]);
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('property: the diversity factor', () => {
  it('is ≥ 1 for any set of profiles whose sum is the total (merge’s all.csv), and omitted for a strict subset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 60 }).chain((n) => fc.array(feederRows(n), { minLength: 1, maxLength: 5 })),
        async (feeders) => {
          const names = feeders.map((_, k) => `f${k}`);
          // every feeder reports at interval 0 and draws power there, so the coincident peak is positive
          const text = Object.fromEntries(
            feeders.map((rows, k) => [
              names[k]!,
              profileText(rows.map((r) => (r.at === 0 ? { ...r, del: r.del + 1 } : r))),
            ]),
          );
          const root = site(text);
          await mergeAll(root);
          const files = [...names.map((n) => path.join(root, 'lp', `${n}.csv`)), path.join(root, 'lp/all.csv')];
          const c = (await stats({ root, files })).coincident!;
          expect(c.diversity_note).toBeNull();
          expect(c.diversity_factor).not.toBeNull();
          expect(c.diversity_factor!).toBeGreaterThanOrEqual(1);
          // Σ individual peaks / coincident peak, worked out here from the files
          const peaks = c.feeders.reduce((s, f) => s + f.own_peak_mw, 0);
          expect(c.diversity_factor!).toBeCloseTo(peaks / coincidentPeak(feeders), 9);
          if (names.length > 1) {
            const subset = (await stats({ root, files: files.slice(1) })).coincident!;
            expect(subset.diversity_factor).toBeNull();
            expect(subset.diversity_note).toMatch(/(is|are) a subset of the \d+ that make up all\.csv/);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

/** The highest Σ MW_net over the intervals where every feeder reports (a second implementation, in MW). */
function coincidentPeak(feeders: Row[][]): number {
  const sums = new Map<number, { mw: number; n: number }>();
  for (const rows of feeders)
    for (const r of rows) {
      const s = sums.get(r.at) ?? { mw: 0, n: 0 };
      s.mw += (r.at === 0 ? r.del + 1 - r.rec : r.del - r.rec) / 1e6;
      s.n++;
      sums.set(r.at, s);
    }
  return Math.max(...[...sums.values()].filter((s) => s.n === feeders.length).map((s) => s.mw));
}
