/**
 * One vocabulary for flags (issue 15), end to end: site options before the command, the short forms, resample's
 * --every and range, `-` as stdout/stdin, stats' --every/--out (and their old names), gaps' --out (review M2).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, lptool, PIPELINE, synthSite } from '../testing.js';

let root = '';
let dir = '';
let cleanup = () => {};
beforeAll(() => {
  const s = synthSite(
    ['--meters', '2', '--days', '10', '--start', '2024-06-25', '--file-days', '2', '--gaps', '1'],
    [...PIPELINE, ['gaps']],
  );
  ({ root, dir, cleanup } = s);
});
afterAll(() => cleanup());

const inSite = (args: string[]) => lptool(args, { cwd: root });

/** `lptool args < input` in the site, as an operator's pipe. */
function pipe(args: string[], input: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: root,
    input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', TZ: 'America/Los_Angeles' },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('site options before the command', () => {
  it('lptool --root DIR sort (and -r DIR) works from anywhere, as the README server section writes it', () => {
    const r = lptool(['--root', root, 'sort', '--settle', '0']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^sort ${root}: 0 archived`));
    expect(lptool(['-r', root, '--json', 'merge']).code).toBe(0);
    expect(JSON.parse(lptool(['-r', root, '--json', 'merge']).stdout)).toMatchObject({ command: 'merge' });
    expect(lptool(['sort', '-r', root, '-n', '--settle', '0']).stdout).toMatch(/^sort .*\(dry run\)|would/);
  });

  it('-q and -v before the command (lptool -q run, as a crontab line may say it) work as after it', () => {
    const quiet = lptool(['-q', '--root', root, 'sort', '--settle', '0']);
    expect(quiet).toEqual({ code: 0, stdout: '', stderr: '' });
    const after = lptool(['--root', root, 'sort', '--settle', '0', '-q']);
    expect(after).toEqual(quiet);
    const verbose = lptool(['-v', '-r', root, 'build']);
    const plain = lptool(['-r', root, 'build']);
    expect([verbose.code, plain.code]).toEqual([0, 0]);
    // -v lists the meters a build left unchanged: more lines than the one summary line
    expect(verbose.stdout.trim().split('\n').length).toBeGreaterThan(plain.stdout.trim().split('\n').length);
  });

  it('a site option before a command that does not take it is exit 2 naming it', () => {
    const r = lptool(['--root', root, 'bess', '-c', 'x.yaml']);
    expect([r.code, r.stderr]).toEqual([
      2,
      'lptool: LPT_USAGE: --root — expected an option that lptool bess takes, got one it does not (given before the command) (key --root)\n',
    ]);
    // synth's --tz and --interval are its own (the sample site's, with defaults): before it they would vanish
    for (const [flag, value] of [
      ['--tz', 'UTC'],
      ['--interval', '5m'],
    ]) {
      const out = path.join(path.dirname(root), `synth-${value}`);
      const s = lptool([flag!, value!, 'synth', 'site', '--out', out, '--meters', '1', '--days', '1']);
      expect([s.code, s.stderr]).toEqual([
        2,
        `lptool: LPT_USAGE: ${flag} — expected it after the command: lptool synth site has its own ${flag}, not the site's (given before the command) (key ${flag})\n`,
      ]);
      expect(fs.existsSync(out)).toBe(false);
    }
  });
});

describe('resample: --every, --from/--to, and - for stdout and stdin', () => {
  it('--every is the bucket, --from/--to the range; -o names the output', () => {
    const r = inSite([
      'resample',
      'lp/north.csv',
      '--every',
      '1d',
      '--from',
      '2024-06-27',
      '--to',
      '2024-06-30',
      '-o',
      'd.csv',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const days = fs.readFileSync(path.join(root, 'd.csv'), 'utf8').trim().split('\n').slice(1);
    expect(days.map((l) => l.slice(0, 10))).toEqual(['2024-06-27', '2024-06-28', '2024-06-29']);
  });

  it('the old `--to 1d` still works, with a note saying it is --every now; no bucket at all is exit 2', () => {
    const r = inSite(['resample', 'lp/north.csv', '--to', '1d', '-o', 'old.csv']);
    expect([r.code, r.stderr]).toEqual([
      0,
      'lptool: note: --to 1d is now --every 1d (--to is the end of the range, as in every other command)\n',
    ]);
    const none = inSite(['resample', 'lp/north.csv', '--to', '2024-07-01']);
    expect([none.code, none.stderr]).toEqual([
      2,
      'lptool: LPT_USAGE: --every — expected a bucket (1h, 1d, 1mo, or a length that divides a day), got none (key --every)\n',
    ]);
  });

  it('--out - writes the CSV to stdout and no file named -; a profile from stdin (-) with --out', () => {
    const r = inSite(['resample', 'lp/north.csv', '--every', '1d', '--out', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^Start Time,End Time,MW_del,/);
    expect(r.stdout.trim().split('\n')).toHaveLength(11); // header + 10 days
    expect(fs.existsSync(path.join(root, '-'))).toBe(false);
    const piped = pipe(
      ['resample', '-', '--every', '1d', '-o', '-'],
      fs.readFileSync(path.join(root, 'lp/north.csv'), 'utf8'),
    );
    expect([piped.code, piped.stdout]).toEqual([0, r.stdout]);
    const noOut = pipe(['resample', '-', '--every', '1d'], 'x');
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--out — expected an output for a profile read from stdin/);
    const both = inSite(['resample', 'lp/north.csv', '--every', '1d', '--out', '-', '--json']);
    expect(both.code).toBe(2); // stdout is the summary's: it carries the error as JSON, not the CSV
    expect(JSON.parse(both.stdout).error.message).toMatch(/^--out — expected a file with --json .*, got -/);
  });

  it('a reader that closes the pipe early (| head) is not an error: no EPIPE stack, exit 0', () => {
    const r = spawnSync(
      'bash',
      // pipefail: the status is lptool's, not head's
      ['-o', 'pipefail', '-c', `"${process.execPath}" "${BIN}" resample lp/north.csv --every 30m -o - | head -2`],
      { cwd: root, encoding: 'utf8', env: { ...process.env, TZ: 'America/Los_Angeles' } },
    );
    expect([r.status, r.stderr, r.stdout.split('\n').length]).toEqual([0, '', 3]);
  });

  it('a command that writes several files refuses --out - (no folder named -)', () => {
    const r = inSite(['build', '--out', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--out — expected a folder \(the command writes several files\), got -/);
    expect(fs.existsSync(path.join(root, '-'))).toBe(false);
  });
});

describe('stats: --every as resample says it, --out for the table (and the pictures beside it)', () => {
  it('--every 1mo --out FILE writes the monthly table; --out - puts the CSV on stdout', () => {
    const r = inSite(['stats', 'lp/north.csv', '--every', '1mo', '--out', 'monthly.csv']);
    expect(r.code).toBe(0);
    const csv = fs.readFileSync(path.join(root, 'monthly.csv'), 'utf8');
    expect(csv.split('\n').map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
      'profile,period',
      'north,2024-06',
      'north,2024-07',
      '',
    ]);
    const out = inSite(['stats', 'lp/north.csv', '--every', '1mo', '-o', '-']);
    expect([out.code, out.stdout]).toEqual([0, csv]);
    // -q drops the summary and the notes, never the data stdout was asked to carry (`… -q -o - > monthly.csv`)
    const quiet = inSite(['stats', 'lp/north.csv', '--every', '1mo', '-q', '-o', '-']);
    expect([quiet.code, quiet.stdout, quiet.stderr]).toEqual([0, csv, '']);
    const rolled = inSite(['resample', 'lp/north.csv', '--every', '1d', '-o', '-']);
    const quietRolled = inSite(['resample', 'lp/north.csv', '--every', '1d', '-q', '-o', '-']);
    expect([quietRolled.code, quietRolled.stdout]).toEqual([0, rolled.stdout]);
    expect(rolled.stdout).toMatch(/^Start Time,End Time,MW_del,/);
  });

  it('the old --by month --csv FILE still works, each with a note; an old and a new name together is exit 2', () => {
    const r = inSite(['stats', 'lp/north.csv', '--by', 'month', '--csv', 'old.csv']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'lptool: note: --by is now --every: use --every 1mo (the old name will go)\nlptool: note: --csv is now --out: use --out old.csv (the old name will go)\n',
    );
    expect(fs.readFileSync(path.join(root, 'old.csv'), 'utf8')).toBe(
      fs.readFileSync(path.join(root, 'monthly.csv'), 'utf8'),
    );
    const both = inSite(['stats', 'lp/north.csv', '--csv', 'a.csv', '--out', 'b.csv']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--csv — expected --out alone \(--csv is its old name\), got both/);
  });

  it('--png draws beside --out', () => {
    const r = inSite(['stats', 'lp/north.csv', '--png', '--out', path.join(dir, 'qa/stats.csv')]);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'qa')).sort()).toEqual([
      'stats.csv',
      'stats_duration.png',
      'stats_typical_day.png',
    ]);
  });
});

describe('gaps --out (review M2: a ranged or reparameterised run never replaces the site gap list)', () => {
  const siteList = () => fs.readFileSync(path.join(root, 'lp/south_gaps.csv'), 'utf8');

  it('--from/--to, --interval or --partial-as-gap without --out is exit 2, and the site list is untouched', () => {
    const before = siteList();
    expect(before.trim().split('\n').length).toBeGreaterThan(1); // the synth site's missing export
    for (const extra of [['--from', '2024-06-26', '--to', '2024-06-27'], ['--interval', '7m'], ['--partial-as-gap']]) {
      const r = inSite(['gaps', 'lp/south.csv', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^lptool: LPT_USAGE: --out — expected a folder for the gap lists of a run with /);
    }
    const own = inSite(['gaps', 'lp/south.csv', '--interval', '7m', '--out', 'lp']);
    expect(own.code).toBe(2);
    expect(own.stderr).toMatch(/--out — expected a folder other than the profiles' for a run with --interval, got lp/);
    expect(siteList()).toBe(before);
  });

  it('a ranged run writes its list and picture to --out; a plain run with --out too', () => {
    const before = siteList();
    const r = inSite(['gaps', 'lp/south.csv', '--from', '2024-06-26', '--to', '2024-06-27', '--png', '--out', 'june']);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(root, 'june')).sort()).toEqual(['south_gaps.csv', 'south_gaps.png']);
    expect(fs.readFileSync(path.join(root, 'june/south_gaps.csv'), 'utf8')).toBe(
      'gap_start,gap_end,gap_duration,missing_intervals\n',
    );
    expect(siteList()).toBe(before);
    const plain = inSite(['gaps', 'lp/north.csv', '--png', '-o', path.join(dir, 'pictures')]);
    expect(plain.code).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'pictures')).sort()).toEqual(['north_gaps.csv', 'north_gaps.png']);
  });
});
