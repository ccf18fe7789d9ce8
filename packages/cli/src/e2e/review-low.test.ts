/**
 * The review's low findings on stats, gaps and their outputs (L3, L4, L7, L10), through the real CLI on a synth
 * site: exit codes of SPEC §8, one moved row reported as one, messages that say what happened.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, lptool, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

function site() {
  const s = synthSite(
    ['--meters', '3', '--days', '3', '--start', '2024-10-30'],
    [['sort', '--settle', '0'], ['build'], ['merge']],
  );
  cleanups.push(s.cleanup);
  return s;
}

describe('the review, low findings', () => {
  it('L3: a file that is no profile (empty, binary, no header) is exit 2 like a folder; an output nothing can be made at is exit 2', () => {
    const { root, dir } = site();
    fs.writeFileSync(path.join(root, 'empty.csv'), '');
    fs.writeFileSync(path.join(root, 'binary.csv'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 4]));
    fs.writeFileSync(path.join(root, 'hello.csv'), 'hello\n');
    fs.mkdirSync(path.join(dir, 'a-folder'));
    const cases: [string[], RegExp][] = [
      [
        ['gaps', 'empty.csv'],
        /^lptool: LPT_USAGE: content — expected a profile with a Start Time and MW_net header, got an empty file/,
      ],
      [
        ['gaps', 'binary.csv'],
        /^lptool: LPT_USAGE: content — expected a profile CSV \(text\), got binary data \(first bytes 89 50 4e 47 00 01 02 03\)/,
      ],
      [
        ['stats', 'hello.csv'],
        /^lptool: LPT_USAGE: header — expected a profile with Start Time and MW_net, got "hello"/,
      ],
      [
        ['stats', 'lp/north.csv', '--out', '/proc/x.csv'],
        /--out — expected a path where a file can be written, got \/proc\/x\.csv \(\/proc is on the kernel's proc file system/,
      ],
      [
        ['stats', 'lp/north.csv', '--out', '/proc/x/y.csv'],
        /got \/proc\/x\/y\.csv \(\/proc is on the kernel's proc file system/,
      ],
      [
        ['stats', 'lp/north.csv', '--out', '/dev/null/x.csv'],
        /got \/dev\/null\/x\.csv \(\/dev\/null is not a folder\)/,
      ],
      [
        ['stats', 'lp/north.csv', '--out', path.join(dir, 'a-folder')],
        /--out — expected a path where a file can be written, got .*a-folder \(EISDIR on rename\); nothing was written/,
      ],
      [
        ['resample', 'lp/north.csv', '--every', '1d', '--out', '/sys/x.csv'],
        /--out — expected a path where a file can be written, got \/sys\/x\.csv/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = lptool(args, { cwd: root });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(fs.readdirSync(path.join(dir, 'a-folder'))).toEqual([]);
  });

  it('L4: one row moved to the top of a profile is one row out of order, not every row up to its time', () => {
    const { root } = site();
    const file = path.join(root, 'lp/north.csv');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.startsWith('2024-10-31T18:00'));
    fs.writeFileSync(file, `${[lines[0], lines[at], ...lines.slice(1, at), ...lines.slice(at + 1)].join('\n')}\n`);
    const r = lptool(['gaps', 'lp/north.csv', '--json'], { cwd: root });
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout).profiles[0];
    expect(p.outOfOrder).toEqual([{ line: 2, start: '2024-10-31T18:00:00-07:00', after: null }]);
    expect(p.gaps).toEqual([]);
    expect(lptool(['gaps', 'lp/north.csv'], { cwd: root }).stdout).toContain(
      'out of order 2024-10-31T18:00:00-07:00 at the top of the file (line 2)',
    );
  });

  it('L7: a merge left with no meter and a range that cuts an interval or holds none say what happened', () => {
    const { root } = site();
    const run = (args: string[]) => lptool(args, { cwd: root });
    const none = run(['merge', '--exclude', 'north,south,east']);
    expect([none.code, none.stderr]).toEqual([
      2,
      'lptool: LPT_USAGE: --exclude — expected to leave at least one meter to total, got all of east, north, south excluded (key --exclude)\n',
    ]);
    const meterData = fs.readFileSync(path.join(root, 'meter-data.csv'), 'utf8');
    fs.writeFileSync(path.join(root, 'meter-data.csv'), 'meter,name,multiplier\n');
    const empty = run(['merge']);
    expect([empty.code, empty.stderr]).toEqual([
      2,
      "lptool: LPT_USAGE: meter-data.csv — expected at least one meter (a line of meter,name,multiplier), got none: add the site's meters and run lptool build (meter-data.csv)\n",
    ]);
    fs.writeFileSync(path.join(root, 'meter-data.csv'), meterData);
    // a range shorter than an interval expects the one interval whose start it holds; one that cuts the second too
    for (const [to, present] of [
      ['2024-11-01T00:00:00.5', 1],
      ['2024-11-01T00:20', 2],
    ] as const) {
      const r = run(['stats', 'lp/north.csv', '--from', '2024-11-01', '--to', to, '--json']);
      const p = JSON.parse(r.stdout).periods[0];
      expect([p.intervalsPresent, p.intervalsExpected, p.completenessPct]).toEqual([present, present, 100]);
    }
    const nothing = run(['stats', 'lp/north.csv', '--from', '2025-01-01', '--to', '2025-02-01', '--png']);
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toBe(
      'lptool: note: lp/north.csv: no interval in 2025-01-01T00:00:00-08:00 → 2025-02-01T00:00:00-08:00 (it has 2024-10-30T00:00:00-07:00 → 2024-11-02T00:00:00-07:00)\n' +
        'lptool: note: --png: no picture drawn, as no profile has an interval in the range\n',
    );
    expect(fs.existsSync(path.join(root, 'lp/stats'))).toBe(false);
  });

  it('L10: stats and resample read a total beyond the exact range the same way: one line naming the cell, exit 1', () => {
    const { root } = site();
    const big = '9007199254.740991';
    for (const m of ['north', 'south', 'east']) {
      const rows = ['Start Time,End Time,MW_net,MVA_net,PF_net'];
      for (let k = 0; k < 4; k++)
        rows.push(`2024-07-15T0${k}:00:00-07:00,2024-07-15T0${k}:15:00-07:00,${big},${big},1`);
      fs.writeFileSync(path.join(root, 'lp', `${m}.csv`), `${rows.join('\n')}\n`);
    }
    fs.rmSync(path.join(root, 'lp/.cache'), { recursive: true, force: true });
    expect(lptool(['merge'], { cwd: root }).code).toBe(0);
    const message =
      'LPT_PARSE: MW_net — expected a value within ±9007199254.740991 (the range kept exact), got "27021597764.222973" (lp/all.csv:2, column MW_net)';
    for (const args of [
      ['stats', 'lp/all.csv'],
      ['resample', 'lp/all.csv', '--every', '1d'],
    ]) {
      const r = lptool(args, { cwd: root });
      expect([args[0], r.code, r.stderr]).toEqual([args[0], 1, `lptool: ${message}\n`]);
    }
  });
});
