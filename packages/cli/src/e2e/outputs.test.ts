/**
 * An output the operator names never replaces a command's input or a file the site keeps (io's output guard):
 * `resample --out`, `stats --out`, `gaps --out` and bess's outputs, by plain spelling, `..` and a symlinked folder — the real
 * CLI on a synth site, every refused run exit 2 with every file as it was.
 */

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanupsAfterEach, lptool, synthSite } from '../testing.js';

const cleanups = cleanupsAfterEach();

/** Every file of the site (less logs/, which each run appends to) with its bytes. */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(root, f);
    if (f.startsWith('logs') || f === '.lptool.lock' || !fs.lstatSync(full).isFile()) continue;
    out.set(f, fs.readFileSync(full, 'latin1'));
  }
  return out;
}

/** The environment without LPTOOL_* (as testing's lptool() runs the CLI). */
const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LPTOOL_')));

describe('outputs never replace an input or a site file', () => {
  it('resample --out, stats --out, gaps --out: refused with exit 2 and one line, by any spelling; nothing touched', () => {
    const s = synthSite(
      ['--meters', '2', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build'], ['merge']],
    );
    cleanups.push(s.cleanup);
    const { root, dir } = s;
    const archived = fs
      .readdirSync(path.join(root, 'data/KW'), { recursive: true, encoding: 'utf8' })
      .find((f) => f.endsWith('.csv'))!;
    fs.symlinkSync(path.join(root, 'lp'), path.join(dir, 'lplink'));
    fs.mkdirSync(path.join(root, '_dropbox/KW'), { recursive: true });
    fs.writeFileSync(path.join(root, '_dropbox/KW/waiting.csv'), 'not yet sorted\n');
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, 'lp/north-old.csv'));
    const before = snapshot(root);
    const refused: [string[], RegExp][] = [
      [['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north.csv'], /\(one of its inputs\)/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/south.csv'], /\(the profile of meter south\)/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/all.csv'], /the site total lp\/all\.csv/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north-old.csv'], /a load profile in lp\//],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/.cache/../south.csv'], /profile of meter south/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', path.join(dir, 'lplink/north.csv')], /one of its inputs/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', path.join(dir, 'lplink/south.csv')], /meter south/],
      [['resample', 'lp/north.csv', '--every', '1d', '--out', ''], /--out — expected a file name, got an empty value/],
      [['stats', 'lp/south.csv', '--out', path.join('data/KW', archived)], /a file under the site's data\//],
      [['stats', 'lp/south.csv', '--out', '_dropbox/KW/waiting.csv'], /a file under the site's _dropbox\//],
      [['stats', 'lp/south.csv', '--out', 'meter-data.csv'], /the site's meter-data\.csv/],
      [['stats', 'lp/south.csv', '--out', 'lptool.yaml'], /the site's lptool\.yaml/],
      [['stats', 'lp/north.csv', '--out', 'lp/north.csv'], /one of its inputs/],
      [['stats', 'lp/north.csv', '--out', path.join(dir, 'lplink/north.csv')], /one of its inputs/],
      [['stats', path.join(dir, 'lplink/north.csv'), '--out', 'lp/.cache/north.csv.shadow'], /lp\/\.cache\//],
      // gaps --out is a folder: each gap list and picture it would write there passes the guard
      [
        ['gaps', 'lp/north.csv', '--from', '2024-07-15', '--to', '2024-07-16', '--out', 'data/KW'],
        /under the site's data\//,
      ],
      [['gaps', 'lp/north.csv', '--out', '_dropbox/KW'], /a file under the site's _dropbox\//],
    ];
    for (const [args, message] of refused) {
      const r = lptool(args, { cwd: root });
      expect([args.join(' '), r.code]).toEqual([args.join(' '), 2]);
      expect(r.stderr).toMatch(/^lptool: LPT_USAGE: (--out|--csv) — expected/);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
    expect(snapshot(root)).toEqual(before);
    // from outside the site (--root elsewhere, cwd elsewhere): the site is found from the output's path
    const away = lptool(
      [
        'resample',
        path.join(root, 'lp/north.csv'),
        '--to',
        '1d',
        '--out',
        path.join(dir, 'lplink/south.csv'),
        '--root',
        dir,
      ],
      { cwd: dir },
    );
    expect([away.code, away.stderr]).toEqual([2, expect.stringMatching(/profile of meter south/)]);
    // what an output may be: a file of its own, also lptool's own earlier output in lp/ (written again)
    for (const args of [
      ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north_1d.csv'],
      ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north_1d.csv'],
      ['stats', 'lp/north.csv', '--out', 'lp/stats.csv'],
      ['stats', 'lp/north.csv', '--out', 'lp/stats.csv'],
      ['stats', 'lp/north.csv', '--out', path.join(dir, 'stats.csv')],
    ])
      expect([args.join(' '), lptool(args, { cwd: root }).code]).toEqual([args.join(' '), 0]);
  });

  it('a profile fed in on stdin (`- < FILE`) is an input too: --out that file, or a hard link to it, is refused', () => {
    const s = synthSite(
      ['--meters', '1', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build']],
    );
    cleanups.push(s.cleanup);
    const { root, dir } = s;
    const copy = path.join(dir, 'north.csv');
    fs.copyFileSync(path.join(root, 'lp/north.csv'), copy);
    fs.linkSync(copy, path.join(dir, 'linked.csv'));
    const bytes = fs.readFileSync(copy, 'latin1');
    /** The real CLI with stdin opened on a file (the shell's `< file`), or given as a pipe when `piped`. */
    const fed = (args: string[], input: string, piped = false) => {
      const fd = fs.openSync(input, 'r');
      try {
        const r = spawnSync(process.execPath, [BIN, ...args], {
          cwd: root,
          encoding: 'utf8',
          env: { ...cleanEnv(), TZ: 'America/Los_Angeles' },
          ...(piped ? { input: fs.readFileSync(input) } : { stdio: [fd, 'pipe', 'pipe'] }),
        });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      } finally {
        fs.closeSync(fd);
      }
    };
    for (const out of [copy, path.join(dir, 'linked.csv')]) {
      const r = fed(['resample', '-', '--every', '1d', '--out', out], copy);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        2,
        '',
        expect.stringMatching(
          /^lptool: LPT_USAGE: --out — expected an output of its own, got \S+ \(one of its inputs, stdin\); writing there would replace it/,
        ),
      ]);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(fs.readFileSync(copy, 'latin1')).toBe(bytes);
    // stats reads no stdin: `stats - --out FILE < FILE` is exit 2 with nothing written
    const stats = fed(['stats', '-', '--out', copy], copy);
    expect([stats.code, stats.stderr]).toEqual([2, expect.stringMatching(/^lptool: LPT_USAGE: profiles — .*got -/)]);
    expect(fs.readFileSync(copy, 'latin1')).toBe(bytes);
    // another output, or the same file given through a pipe (no file to compare: the shell has read it already)
    expect(fed(['resample', '-', '--every', '1d', '--out', path.join(dir, 'daily.csv')], copy).code).toBe(0);
    expect(fed(['resample', '-', '--every', '1d', '--out', path.join(dir, 'piped.csv')], copy, true).code).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'piped.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(dir, 'daily.csv'), 'utf8'),
    );
    // a named profile with stdin on the output: stdin is not read, so not an input
    expect(
      fed(
        ['resample', 'lp/north.csv', '--every', '1d', '--out', path.join(dir, 'daily.csv')],
        path.join(dir, 'daily.csv'),
      ).code,
    ).toBe(0);
  });

  it("lptool's own outputs in lp/ — a gap list, a gap picture, the QA report — are refused, naming what they are", () => {
    const s = synthSite(
      ['--meters', '2', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build'], ['merge'], ['gaps', '--png'], ['report']],
    );
    cleanups.push(s.cleanup);
    const { root, dir } = s;
    fs.mkdirSync(path.join(dir, 'old'));
    fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(dir, 'old/north.csv'));
    const before = snapshot(root);
    expect([...before.keys()]).toEqual(
      expect.arrayContaining(['lp/north_gaps.csv', 'lp/north_gaps.png', 'lp/report/index.html']),
    );
    const refused: [string[], string][] = [
      [
        ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north_gaps.csv'],
        "the site's gap list lp/north_gaps.csv",
      ],
      [
        ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/South_GAPS.csv'],
        "the site's gap list lp/South_GAPS.csv",
      ],
      [['stats', 'lp/north.csv', '--out', 'lp/all_gaps.csv'], "the site's gap list lp/all_gaps.csv"],
      [['stats', 'lp/north.csv', '--out', 'lp/south_gaps.png'], "the site's gap picture lp/south_gaps.png"],
      [
        ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/north_gaps.svg'],
        "the site's gap picture lp/north_gaps.svg",
      ],
      [['stats', 'lp/north.csv', '--out', 'lp/report/index.html'], "a file of the site's QA report in lp/report/"],
      [
        ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/report/x.csv'],
        "a file of the site's QA report in lp/report/",
      ],
      // gaps of another file (a copy, a range) into lp/ would replace the site's list of that name
      [['gaps', path.join(dir, 'old/north.csv'), '--out', 'lp'], "the site's gap list lp/north_gaps.csv"],
      [
        ['gaps', path.join(dir, 'old/north.csv'), '--from', '2024-07-15', '--to', '2024-07-16', '--out', 'lp'],
        "the site's gap list lp/north_gaps.csv",
      ],
    ];
    for (const [args, what] of refused) {
      const r = lptool(args, { cwd: root });
      expect([args.join(' '), r.code, r.stdout]).toEqual([args.join(' '), 2, '']);
      expect(r.stderr).toMatch(/^lptool: LPT_USAGE: --out — expected an output of its own, got /);
      expect(r.stderr).toContain(`(${what}); writing there would replace it`);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
    expect(snapshot(root)).toEqual(before);
    // what the operator asks for by name: resample's and stats' folders, and a plain gaps run into its own lp/
    for (const args of [
      ['resample', 'lp/north.csv', '--every', '1d', '--out', 'lp/resampled/north_daily.csv'],
      ['stats', 'lp/north.csv', '--out', 'lp/stats/table.csv'],
      ['gaps', 'lp/north.csv', '--out', 'lp'],
    ])
      expect([args.join(' '), lptool(args, { cwd: root }).code]).toEqual([args.join(' '), 0]);
  });

  it('gaps --out the folder of its own profile: allowed in lp/, refused under data/ and _dropbox/ as for any profile', () => {
    const s = synthSite(
      ['--meters', '1', '--days', '2', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build']],
    );
    cleanups.push(s.cleanup);
    const { root } = s;
    // a profile copied into the archive or the dropbox: its gap list there would be taken for an export
    for (const folder of ['data/KW/2024-07', '_dropbox/KW']) {
      fs.mkdirSync(path.join(root, folder), { recursive: true });
      fs.copyFileSync(path.join(root, 'lp/north.csv'), path.join(root, folder, 'copy.csv'));
    }
    const before = snapshot(root);
    for (const folder of ['data/KW/2024-07', '_dropbox/KW']) {
      const args = ['gaps', `${folder}/copy.csv`, '--out', folder];
      const r = lptool(args, { cwd: root });
      expect([args.join(' '), r.code, r.stdout]).toEqual([args.join(' '), 2, '']);
      expect(r.stderr).toContain(`got ${folder}/copy_gaps.csv (a file under the site's ${folder.split('/')[0]}/)`);
    }
    expect(snapshot(root)).toEqual(before);
    expect(lptool(['gaps', 'lp/north.csv', '--out', 'lp'], { cwd: root }).code).toBe(0);
  });

  it("through a bind mount of the site's lp/ (another path, same folder): refused as lp/ itself", () => {
    const s = synthSite(
      ['--meters', '1', '--days', '1', '--start', '2024-07-15'],
      [['sort', '--settle', '0'], ['build']],
    );
    cleanups.push(s.cleanup);
    const { root, dir } = s;
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    const profile = fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8');
    // in a mount namespace of its own (nothing to unmount after): lp/ bound at mnt/, then resample into it
    const run = (out: string) =>
      spawnSync(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --bind "$1" "$2" && exec "$3" "$4" resample lp/north.csv --every 1d --out "$5"',
          'sh',
        ].concat([path.join(root, 'lp'), mnt, process.execPath, BIN, out]),
        { cwd: root, encoding: 'utf8', env: { ...process.env, TZ: 'America/Los_Angeles' } },
      );
    const r = run(path.join(mnt, 'north.csv'));
    expect([r.status, r.stderr]).toEqual([
      2,
      expect.stringMatching(
        /^lptool: LPT_USAGE: --out — expected an output of its own, got .*mnt\/north\.csv \(one of its inputs, lp\/north\.csv\)/,
      ),
    ]);
    // a file not there yet is judged by where it would land: lp/all.csv
    const all = run(path.join(mnt, 'all.csv'));
    expect([all.status, all.stderr]).toEqual([
      2,
      expect.stringMatching(/mnt\/all\.csv \(the site total lp\/all\.csv\)/),
    ]);
    expect(fs.existsSync(path.join(root, 'lp/all.csv'))).toBe(false);
    expect(fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8')).toBe(profile);
    expect(run(path.join(mnt, 'north_1d.csv')).status).toBe(0); // a file of its own there is fine
  });
});
