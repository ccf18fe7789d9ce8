/**
 * `lptool run` end to end — the line cron calls: sort → build → merge → gaps (→ bess) under one lock, one summary,
 * the worst exit code; `-q` prints nothing when nothing needs attention, and what does need it goes to stderr.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock } from '../../../io/src/index.js';
import { lptool, siteRoots } from '../testing.js';

const roots = siteRoots();

/**
 * A synth site (2 meters × 21 days from 2024-06-03, a file a week) whose first week was delivered and run once;
 * the second and third weeks of both are held back in `held/` (north's second, delivered after its third, is a gap).
 */
function cronSite(): { root: string; held: string } {
  const root = path.join(roots.temp('lptool-run-'), 'site');
  const made = lptool(['synth', 'site', '--out', root, '--meters', '2', '--days', '21', '--start', '2024-06-03']);
  expect(made.code, made.stderr).toBe(0);
  const box = path.join(root, '_dropbox/KW');
  const held = path.join(root, '..', 'held');
  fs.mkdirSync(held);
  for (const f of fs.readdirSync(box))
    if (/-06(10|17)24-/.test(f)) fs.renameSync(path.join(box, f), path.join(held, f));
  const first = lptool(['run', '--root', root, '--settle', '0', '-q']);
  expect(first, 'the first run takes in a week: nothing needs attention').toEqual({
    code: 0,
    stdout: '',
    stderr: '',
  });
  return { root, held };
}

/** north's meter id, from meter-data.csv. */
const north = (root: string) =>
  fs
    .readFileSync(path.join(root, 'meter-data.csv'), 'utf8')
    .split('\n')
    .find((l) => l.split(',')[1] === 'north')!
    .split(',')[0];

const deliverHeld = (root: string, held: string, pattern: RegExp) => {
  for (const f of fs.readdirSync(held))
    if (pattern.test(f)) fs.renameSync(path.join(held, f), path.join(root, '_dropbox/KW', f));
};

describe('lptool run', () => {
  it('-q on an up-to-date site prints nothing and exits 0, rewriting nothing', () => {
    const { root } = cronSite();
    const all = path.join(root, 'lp/all.csv');
    const before = fs.statSync(all, { bigint: true }).mtimeNs;
    const r = lptool(['run', '--root', root, '--settle', '0', '-q']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(fs.statSync(all, { bigint: true }).mtimeNs).toBe(before);
    // without -q: one line
    const plain = lptool(['run', '--root', root, '--settle', '0']);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toBe('');
    expect(plain.stdout).toMatch(
      /^run .*: exit 0 in [\d.]+ s — sort: nothing to sort · build: 2 profiles: 2 up to date · merge: lp\/all\.csv unchanged · gaps: no new data to check · bess: not configured\n$/,
    );
  });

  it('-q after a new export with a gap: the gap on stderr, exit 1; stdout empty', () => {
    const { root, held } = cronSite();
    deliverHeld(root, held, /^north-061724-|^south-/); // north's third week, its second still missing
    const r = lptool(['run', '--root', root, '--settle', '0', '-q']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'lptool: gaps: lp/north.csv: gap 2024-06-10T00:00:00-07:00 → 2024-06-17T00:00:00-07:00 PT168H (672 missing)\n',
    );
    expect(r.code).toBe(1);
  });

  it('-q with a rejected export: the reject named on stderr, exit 1; --json keeps stdout the summary', () => {
    const { root, held } = cronSite();
    const name = fs.readdirSync(held).find((f) => /^north-061024-/.test(f))!;
    const lines = fs.readFileSync(path.join(held, name), 'utf8').split('\n');
    lines.splice(50, 1); // a row lost: a time break
    fs.writeFileSync(path.join(root, '_dropbox/KW', name), lines.join('\n'));
    const r = lptool(['run', '--root', root, '--settle', '0', '-q']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^lptool: sort: SEQUENCE-ERROR ${name} → data/KW/ERROR/${name.replace('.csv', '')}_SEQUENCE-ERROR\\.csv: line 51: time break`,
      ),
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.code).toBe(1);
    // the next run has nothing new: quiet again (the reject was said once; doctor keeps it for 24 h)
    expect(lptool(['run', '--root', root, '--settle', '0', '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('--json: one object with each step; the worst exit code; steps never take the lock again', () => {
    const { root, held } = cronSite();
    deliverHeld(root, held, /-061024-/);
    const r = lptool(['run', '--root', root, '--settle', '0', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ command: 'run', schema: 1, exitCode: 0 });
    expect(j.steps.map((s: { step: string; exitCode: number }) => [s.step, s.exitCode])).toEqual([
      ['sort', 0],
      ['build', 0],
      ['merge', 0],
      ['gaps', 0],
      ['bess', 0],
    ]);
    expect(j.steps[1].summary.meters.map((m: { status: string }) => m.status)).toEqual(['appended', 'appended']);
    expect(j.steps[3].summary.profiles.map((p: { file: string }) => path.basename(p.file))).toEqual([
      'north.csv',
      'south.csv',
      'all.csv',
    ]);
    // one run id across the steps' logs, and run.log's end
    const runLog = fs
      .readFileSync(path.join(root, 'logs/run.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const id = runLog.at(-1).run;
    expect(runLog.at(-1)).toMatchObject({ event: 'end', exitCode: 0 });
    for (const log of ['dropbox', 'build', 'merge', 'gaps'])
      expect(fs.readFileSync(path.join(root, `logs/${log}.log`), 'utf8')).toContain(`"run":"${id}"`);
    expect(fs.existsSync(path.join(root, '.lptool.lock'))).toBe(false);
  });

  it('a lock held by another live process: run waits --lock-wait, then exit 1 naming the holder; a missing root is exit 2', () => {
    const { root } = cronSite();
    const release = acquireLock(path.join(root, '.lptool.lock'), { command: 'lptool build' });
    try {
      const r = lptool(['run', '--root', root, '--lock-wait', '0', '-q']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/lptool build/);
    } finally {
      release();
    }
    const missing = lptool(['run', '--root', path.join(root, 'nope'), '-q']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^lptool: LPT_CONFIG: site root — expected a folder with meter-data\.csv, got nothing at /,
    );
  });

  it('--report refreshes lp/report/ when the run changed something it shows, and leaves it when nothing did', () => {
    const { root, held } = cronSite();
    const index = path.join(root, 'lp/report/index.html');
    // no report yet: the first --report run writes one though nothing else changed
    const first = lptool(['run', '--root', root, '--settle', '0', '--report', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const steps = JSON.parse(first.stdout).steps;
    expect(steps.map((s: { step: string }) => s.step)).toEqual(['sort', 'build', 'merge', 'gaps', 'bess', 'report']);
    expect(steps.at(-1)).toMatchObject({ step: 'report', exitCode: 0, line: 'lp/report/index.html written' });
    expect(steps.at(-1).summary).toMatchObject({ index, profiles: 3 });
    const written = fs.statSync(index, { bigint: true }).mtimeNs;
    // nothing new: the report stays as it is, and -q stays silent
    expect(lptool(['run', '--root', root, '--settle', '0', '--report', '-q'])).toEqual({
      code: 0,
      stdout: '',
      stderr: '',
    });
    expect(fs.statSync(index, { bigint: true }).mtimeNs).toBe(written);
    // the second weeks arrive: the report is made again and shows them
    deliverHeld(root, held, /-061024-/);
    const again = lptool(['run', '--root', root, '--settle', '0', '--report', '-v']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/ {2}report exit 0 {2}lp\/report\/index\.html written\n/);
    expect(fs.statSync(index, { bigint: true }).mtimeNs).not.toBe(written);
    // without --report, no report step at all
    expect(JSON.parse(lptool(['run', '--root', root, '--settle', '0', '--json']).stdout).steps).toHaveLength(5);
  });

  it('a feeder that stops delivering: said once on stderr with where its data stops (exit 1), and doctor names it', () => {
    const { root, held } = cronSite();
    deliverHeld(root, held, /-061024-/); // both meters' second week
    expect(lptool(['run', '--root', root, '--settle', '0', '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
    deliverHeld(root, held, /^south-061724-/); // then only south delivers
    const r = lptool(['run', '--root', root, '--settle', '0', '-q']);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'lptool: lp/all.csv: 672 intervals at the end without north (its data stops at 2024-06-17T00:00:00-07:00)\n',
    );
    expect(r.code).toBe(1);
    expect(fs.readFileSync(path.join(root, 'lp/all.csv'), 'utf8')).toMatch(/,1,2\n$/);
    // said once: the next run adds nothing
    expect(lptool(['run', '--root', root, '--settle', '0', '-q'])).toEqual({ code: 0, stdout: '', stderr: '' });
    const doc = lptool(['doctor', '--root', root, '--json']);
    expect(doc.code).toBe(1);
    expect(JSON.parse(doc.stdout).findings).toEqual([
      {
        check: 'stopped',
        problem:
          'north has stopped: its last interval ends 2024-06-17T00:00:00-07:00, the others reach 2024-06-24T00:00:00-07:00 (more than 1d later)',
        fix:
          'check meter ' +
          north(root) +
          "'s exports (do they still reach _dropbox/KW/? rejected ones are in data/KW/ERROR/), then lptool sort && lptool build",
      },
    ]);
    expect(lptool(['doctor', '--root', root, '--stale-after', '8d', '-q']).code).toBe(0);
  });

  it('--json when a step fails outright (a corrupt hash store): ok false, exit 2, the step names its error', () => {
    const { root } = cronSite();
    fs.writeFileSync(path.join(root, '.processed-hashes.json'), '{ not json');
    const r = lptool(['run', '--root', root, '--settle', '0', '--json']);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ command: 'run', schema: 1, ok: false, exitCode: 2 });
    expect(out.steps[0]).toMatchObject({ step: 'sort', exitCode: 2, error: { code: expect.stringMatching(/^LPT_/) } });
    expect(out.steps.slice(1).every((s: { skipped?: string }) => s.skipped === 'sort failed')).toBe(true);
  });
});
