/**
 * Option values the review found taken silently or crashing (M3, L6): picture sizes bounded from below too, numbers
 * in core's decimal grammar (no hex), a name list given empty. The real CLI on a synth site: each is exit 2 with one
 * line, nothing written.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupsAfterEach, lptool, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

describe('option values outside what a command can do are exit 2 with one line', () => {
  it('pictures under 100 px a side (as given or after --scale), hex numbers, an empty --only/--exclude', () => {
    const s = synthSite(
      ['--meters', '2', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build'], ['merge']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    const lp = () => fs.readdirSync(path.join(root, 'lp')).sort();
    const all = fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8');
    const before = lp();
    const cases: [string[], RegExp][] = [
      [
        ['gaps', 'lp/north.csv', '--png', '--height', '40'],
        /--width\/--height\/--scale — expected a picture of at least 100 px a side \(as given and after scale\), got 1000 × 40 px/,
      ],
      [['gaps', 'lp/north.csv', '--png', '--height', '1.5'], /at least 100 px a side/],
      [['gaps', 'lp/north.csv', '--png', '--scale', '1e-9'], /at least 100 px a side.*got 1000 × 360 px at scale 1e-9/],
      [['gaps', 'lp/north.csv', '--png', '--width', '0x10'], /--width — expected a positive number, got "0x10"/],
      [['gaps', 'lp/north.csv', '--png', '--scale', '0b1'], /--scale — expected a positive number, got "0b1"/],
      [['sort', '--settle', '0x5'], /--settle — expected a number of seconds ≥ 0, got "0x5"/],
      [['sort', '--settle', ' '], /--settle — expected a number of seconds ≥ 0, got " "/],
      [['merge', '--only', ''], /--only — expected one or more comma-separated names, got ""/],
      [['merge', '--only', ' , '], /--only — expected one or more comma-separated names, got " , "/],
      [['merge', '--exclude', ''], /--exclude — expected one or more comma-separated names, got ""/],
      [['stats', 'lp/north.csv', '--out', ''], /--out — expected a file name, got an empty value/],
    ];
    for (const [args, message] of cases) {
      const r = lptool(args, { cwd: root });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/^lptool: LPT_USAGE: /);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(lp()).toEqual(before);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toBe(all);
    // the smallest picture allowed is drawn
    expect(lptool(['gaps', 'lp/north.csv', '--png', '--width', '100', '--height', '100'], { cwd: root }).code).toBe(0);
    expect(lptool(['synth', 'site', '--out', path.join(s.dir, 'x'), '--meters', '0x2'], { cwd: root }).code).toBe(2);
  });
});
