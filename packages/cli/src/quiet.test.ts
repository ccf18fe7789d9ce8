/**
 * Quiet when all is well, loud where it matters (issue 15): -q/--quiet on every command, problems on stderr in every
 * mode, an up-to-date build in one line, the zone warning once per run, progress only on a terminal and at most ~10
 * redraws a second, and errors that name what the operator got wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { COMMANDS } from './commands.js';
import { progressLine, progressWriter } from './progress.js';
import { deliver, exportText, lptool, siteRoots } from './testing.js';

const roots = siteRoots();

/** A synth site (2 meters × 14 days, a file a week per meter) in a temp folder, with its exports in the dropbox. */
function synthSite(days = 14): string {
  const root = path.join(roots.temp('lptool-quiet-'), 'site');
  const r = lptool(['synth', 'site', '--out', root, '--meters', '2', '--days', String(days), '--start', '2024-06-03']);
  expect(r.code, r.stderr).toBe(0);
  return root;
}

/** A synth site sorted, built and merged. */
function builtSite(): string {
  const root = synthSite();
  for (const args of [['sort', '--settle', '0'], ['build'], ['merge']])
    expect(lptool([...args, '--root', root, '-q']).code).toBe(0);
  return root;
}

/** An export of north whose row 51 is lost: a SEQUENCE-ERROR. */
function deliverBroken(root: string): string {
  const lines = exportText('144800001', '2024-06-20T00:00', 96).split('\n');
  lines.splice(51, 1);
  deliver(root, 'north-broken.csv', lines.join('\n'));
  return 'north-broken.csv';
}

describe('-q/--quiet on every command', () => {
  it('every command of the table has -q/--quiet and -v/--verbose in its --help', () => {
    for (const d of COMMANDS) {
      const r = lptool([...d.name.split(' '), '--help']);
      expect(r.stdout, d.name).toContain('-q, --quiet');
      expect(r.stdout, d.name).toContain('-v, --verbose');
    }
  });

  it('sort on an empty dropbox: -q prints nothing (exit 0); without it one line', () => {
    const root = builtSite();
    expect(lptool(['sort', '--root', root, '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const r = lptool(['sort', '--root', root]);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  it("sort's rejects go to stderr in every mode (>/dev/null hides nothing that matters); -q keeps stdout empty", () => {
    const root = builtSite();
    const name = deliverBroken(root);
    const r = lptool(['sort', '--root', root, '--settle', '0']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^sort .*: 0 archived, 1 rejected, 0 duplicates/);
    expect(r.stdout).not.toContain(name);
    expect(r.stderr).toBe(
      `lptool: sort: SEQUENCE-ERROR ${name} → data/KW/ERROR/north-broken_SEQUENCE-ERROR.csv: line 52: time break — expected the row to start at 06/20/24 12:30:00 (end of line 51), got 06/20/24 12:45:00: 15m missing\n`,
    );
    deliverBroken(root);
    const quiet = lptool(['sort', '--root', root, '--settle', '0', '-q']);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(/^lptool: sort: duplicate|^$/); // a re-delivery of a reject is a duplicate: exit 0
    const json = lptool(['sort', '--root', root, '--settle', '0', '--json']);
    expect(JSON.parse(json.stdout).counts).toBeDefined();
  });

  it('an up-to-date build prints one line; -v lists the meters left unchanged; -q nothing', () => {
    const root = builtSite();
    const r = lptool(['build', '--root', root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^build .*: 0 built, 2 up to date, 0 rows read, 0 unknown meters\n$/);
    const v = lptool(['build', '--root', root, '--verbose']);
    expect(v.stdout.trim().split('\n')).toHaveLength(3);
    expect(v.stdout).toMatch(/^ {2}north +up-to-date inputs unchanged$/m);
    expect(lptool(['build', '--root', root, '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('gaps --fail-on-gaps -q: each gap on stderr, stdout empty, exit 1; merge -q: nothing', () => {
    const root = synthSite(21);
    fs.rmSync(
      path.join(
        root,
        '_dropbox/KW',
        fs.readdirSync(path.join(root, '_dropbox/KW')).find((f) => /^north-061024-/.test(f))!,
      ),
    );
    for (const args of [['sort', '--settle', '0'], ['build']]) lptool([...args, '--root', root, '-q']);
    expect(lptool(['merge', '--root', root, '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(lptool(['gaps', 'lp/south.csv', '--fail-on-gaps', '-q'], { cwd: root })).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    const r = lptool(['gaps', 'lp/north.csv', '--fail-on-gaps', '-q'], { cwd: root });
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'lptool: gaps: lp/north.csv: gap 2024-06-10T00:00:00-07:00 → 2024-06-17T00:00:00-07:00 PT168H (672 missing)\n',
    });
    // without --fail-on-gaps the gaps are the output: on stdout
    const plain = lptool(['gaps', 'lp/north.csv'], { cwd: root });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('  gap 2024-06-10T00:00:00-07:00 → 2024-06-17T00:00:00-07:00 PT168H (672 missing)');
  });
});

describe('the time zone set nowhere', () => {
  it('is a warning on stderr, once per run — also under -q and in lptool run, whose steps each open the site', () => {
    const root = synthSite();
    fs.rmSync(path.join(root, 'lptool.yaml'));
    const warning =
      "lptool: warning: time zone — expected one set by --tz, LPTOOL_TZ or timezone: in lptool.yaml, got none: using this machine's zone, America/Los_Angeles (lptool init --tz ZONE, or add timezone: to lptool.yaml)\n";
    const r = lptool(['run', '--root', root, '--settle', '0', '-q']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: warning });
    expect(lptool(['build', '--root', root, '-q']).stderr).toBe(warning);
    expect(lptool(['build', '--root', root, '-q', '--tz', 'America/Los_Angeles']).stderr).toBe('');
    expect(lptool(['build', '--root', root, '-q'], { env: { LPTOOL_TZ: 'America/Los_Angeles' } }).stderr).toBe('');
  });
});

describe('errors name what the operator got wrong', () => {
  it('a missing root, or one without meter-data.csv, is exit 2 saying so (sort, build, merge)', () => {
    const dir = roots.temp('lptool-noroot-');
    const missing = path.join(dir, 'nope');
    for (const cmd of ['sort', 'build', 'merge']) {
      const r = lptool([cmd, '--root', missing]);
      expect(r.code, cmd).toBe(2);
      expect(r.stderr).toBe(
        `lptool: LPT_CONFIG: site root — expected a folder with meter-data.csv, got nothing at ${missing}; check --root and LPTOOL_ROOT, or make a site there with lptool init --root ${missing} (${missing})\n`,
      );
    }
    const empty = lptool(['build', '--root', dir, '--tz', 'UTC']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(
      /^lptool: LPT_INPUT_MISSING: site root — expected a folder with meter-data\.csv, got .* without one;/,
    );
    expect(empty.stderr).not.toMatch(/ENOENT/);
  });

  it('bess -c of a file that is not there: "no such file", exit 2; YAML keys as "expected X, got Y"', () => {
    const dir = roots.temp('lptool-yaml-');
    const r = lptool(['bess', '-c', 'nope.yaml'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `lptool: LPT_CONFIG: nope.yaml — expected a YAML file, got no such file at ${path.join(dir, 'nope.yaml')} (nope.yaml)\n`,
    );
    fs.writeFileSync(path.join(dir, 'bess.yaml'), 'source: { paths: [x.csv] }\n');
    expect(lptool(['bess', '-c', 'bess.yaml'], { cwd: dir }).stderr).toBe(
      'lptool: LPT_CONFIG: bess.yaml: timestamp — expected a section of keys, got nothing (bess.yaml, key timestamp)\n',
    );
    const site = builtSite();
    fs.writeFileSync(path.join(site, 'lptool.yaml'), 'clock: lega\n');
    expect(lptool(['build', '--root', site]).stderr).toBe(
      'lptool: LPT_CONFIG: lptool.yaml: clock — expected one of "legal", "standard", got "lega" (lptool.yaml, key clock)\n',
    );
  });
});

describe('progress', () => {
  const tty = () => {
    const writes: string[] = [];
    return { writes, stream: { isTTY: true, write: (s: string) => writes.push(s) } };
  };

  it('on a terminal: percentage, rows/s and ETA, at most one redraw per 100 ms; nothing without a terminal', () => {
    let now = 0;
    const t = tty();
    const p = progressWriter(t.stream, 'build', 'meters', { now: () => now });
    for (let i = 1; i <= 1000; i++) {
      now = i; // 1000 updates in one second
      p.update(i, 1000, i * 100);
    }
    p.finish();
    expect(t.writes.length).toBeLessThanOrEqual(12); // ≤ 10 a second, the last one, and the clearing
    expect(t.writes[1]).toBe('\r\x1b[Kbuild: 10% · 101 of 1000 meters · 100k rows/s · ETA 1s');
    expect(progressLine('bess', 'files', 1, 4, 3_000_000, 2000)).toBe(
      'bess: 25% · 1 of 4 files · 1.5M rows/s · ETA 6s',
    );
    const pipe: string[] = [];
    const none = progressWriter({ isTTY: false, write: (s: string) => pipe.push(s) }, 'build', 'meters');
    none.update(1, 2);
    none.finish();
    expect(pipe).toEqual([]);
  });

  it('sort with 60 files on a terminal redraws a few times, not once per file; -q and --json draw nothing', async () => {
    const root = synthSite();
    for (let i = 0; i < 56; i++) deliver(root, `extra-${i}.csv`, exportText(`9000${i}`, '2024-05-01T00:00', 4));
    const t = tty();
    const io = { out: () => {}, err: () => {}, progressStream: t.stream };
    const t0 = performance.now();
    expect(await main(['sort', '--root', root, '--settle', '0', '--dry-run'], io)).toBe(0);
    const ms = performance.now() - t0;
    expect(t.writes.length).toBeGreaterThan(0);
    expect(t.writes.length).toBeLessThanOrEqual(Math.ceil(ms / 100) + 2);
    const q = tty();
    await main(['sort', '--root', root, '--settle', '0', '--dry-run', '-q'], { ...io, progressStream: q.stream });
    await main(['sort', '--root', root, '--settle', '0', '--dry-run', '--json'], { ...io, progressStream: q.stream });
    expect(q.writes).toEqual([]);
  });
});
