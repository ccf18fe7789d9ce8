/**
 * Duplicate rows in a profile (the review's H5): stats, resample and merge read them by one rule — identical rows
 * once, with a note; rows of one interval that differ refused naming the file and both lines, wherever they are in
 * the file — and gaps lists them. The real CLI on a synth site.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, lptool, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

describe('duplicate rows in a profile', () => {
  it('identical copies of every row change no figure of stats, resample or merge (a note says so)', () => {
    const s = synthSite(
      ['--meters', '2', '--days', '3', '--start', '2024-10-21'],
      [['sort', '--settle', '0'], ['build'], ['merge']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    const run = (args: string[]) => lptool(args, { cwd: root });
    const outputs = () => ({
      stats: run(['stats', 'lp/north.csv', 'lp/south.csv', 'lp/all.csv', '--json']),
      resample: run(['resample', 'lp/north.csv', '--every', '1d', '--out', 'north_1d.csv']),
      merge: run(['merge']),
    });
    const before = outputs();
    const resampled = fs.readFileSync(path.join(root, 'north_1d.csv'), 'utf8');
    const all = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    // every row of north twice: the file, then its rows again
    const north = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8').trimEnd().split('\n');
    fs.writeFileSync(path.join(root, 'lp/north.csv'), `${[...north, ...north.slice(1)].join('\n')}\n`);
    fs.rmSync(path.join(root, 'lp/.cache'), { recursive: true, force: true });
    const after = outputs();
    expect(after.stats.code).toBe(0);
    expect(JSON.parse(after.stats.stdout).periods).toEqual(JSON.parse(before.stats.stdout).periods);
    expect(after.stats.stderr).toMatch(
      /lp\/north\.csv: 288 duplicated rows \(identical to an earlier row of the same interval, e\.g\. line 290 = line 2\) taken once/,
    );
    expect(after.resample.code).toBe(0);
    expect(after.resample.stderr).toMatch(/288 duplicated rows/);
    expect(fs.readFileSync(path.join(root, 'north_1d.csv'), 'utf8')).toBe(resampled);
    expect(after.merge.code).toBe(0);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(all);
  });

  it('a row of one interval that differs, first or last in the file: stats, resample and merge exit 1 naming both lines; gaps lists it', () => {
    const s = synthSite(
      ['--meters', '2', '--days', '3', '--start', '2024-10-21'],
      [['sort', '--settle', '0'], ['build'], ['merge']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    const lines = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('2024-10-22T18:00'));
    const cells = lines[at]!.split(',');
    const mvaNet = lines[0]!.split(',').indexOf('MVA_net');
    cells[mvaNet] = '50';
    const changed = cells.join(',');
    const allBefore = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    for (const [file, line] of [
      [[lines[0]!, changed, ...lines.slice(1)], 2],
      [[...lines, changed], lines.length + 1],
    ] as const) {
      fs.writeFileSync(path.join(root, 'lp/north.csv'), `${file.join('\n')}\n`);
      fs.rmSync(path.join(root, 'lp/.cache'), { recursive: true, force: true });
      const kept = line === 2 ? at + 2 : at + 1; // the original row's line, moved down one by the copy on top
      const [first, second] = [Math.min(kept, line), Math.max(kept, line)];
      const message = new RegExp(
        `^lptool: LPT_PARSE: Start Time — expected one row per interval, got two different rows for 2024-10-22T18:00:00-07:00, lines ${first} and ${second} \\(MVA_net \\S+ vs \\S+\\); remove the wrong one \\(lptool gaps lists every duplicate\\) \\(lp/north\\.csv:${second}, column MVA_net\\)\\n$`,
      );
      for (const args of [
        ['stats', 'lp/north.csv'],
        ['resample', 'lp/north.csv', '--every', '1d', '--out', 'x.csv'],
        ['merge'],
      ]) {
        const r = lptool(args, { cwd: root });
        expect([args[0], r.code]).toEqual([args[0], 1]);
        expect(r.stderr).toMatch(message);
      }
      expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(allBefore);
      const g = lptool(['gaps', 'lp/north.csv', '--json'], { cwd: root });
      expect(g.code).toBe(0);
      expect(JSON.parse(g.stdout).profiles[0].duplicates).toHaveLength(1);
      expect(g.stderr).toMatch(
        /lp\/north\.csv: 1 interval with rows that differ \(e\.g\. 2024-10-22T18:00:00-07:00, lines \d+ and \d+: MVA_net \S+ vs \S+\) — stats, resample and merge refuse this profile/,
      );
    }
  });
});
